/*
 * What the x87, MMX and SSE handlers share: the CR0/CR4 gates (SDM vol.3
 * 2.5 and table 12-1), #MF and #XM delivery, FIP/FDP bookkeeping, wide
 * memory operands, and the FXSAVE/FXRSTOR image.
 */
#include "fpu_helper.h"
#include "qemu/log.h"

void fpu_check_pending(TCGCPU *s)
{
    X86FPUState *f = fpu_state(s);

    if (!(f->fsw & FSW_ES)) {
        return;
    }
    if (s->env->cr[0] & CR0_NE_MASK) {
        raise_exception(s, EXCP10_COPR);
    }
    /* CR0.NE=0 asks for the PC-style report: FERR# to the PIC's IRQ13
     * and an IGNNE# dance.  Not modelled: the exception stays pending
     * and the instruction runs (no modern OS runs with NE=0). */
    qemu_log_mask(LOG_UNIMP, "tcg: x87 exception pending with CR0.NE=0 (FERR#/IRQ13 "
                  "not modelled), fsw=0x%04x\n", f->fsw);
}

void fpu_check_x87(TCGCPU *s, bool waiting)
{
    if (s->env->cr[0] & (CR0_EM_MASK | CR0_TS_MASK)) {
        raise_exception(s, EXCP07_PREX);
    }
    if (waiting) {
        fpu_check_pending(s);
    }
}

void fpu_check_mmx(TCGCPU *s)
{
    uint64_t cr0 = s->env->cr[0];

    if (cr0 & CR0_EM_MASK) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (cr0 & CR0_TS_MASK) {
        raise_exception(s, EXCP07_PREX);
    }
    fpu_check_pending(s);
}

void fpu_check_sse(TCGCPU *s)
{
    CPUX86State *env = s->env;

    if ((env->cr[0] & CR0_EM_MASK) || !(env->cr[4] & CR4_OSFXSR_MASK)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (env->cr[0] & CR0_TS_MASK) {
        raise_exception(s, EXCP07_PREX);
    }
}

void fpu_note_insn(TCGCPU *s, const DecodedInsn *d, uint64_t ea)
{
    X86FPUState *f = fpu_state(s);
    CPUX86State *env = s->env;

    f->fop = d->imm2 & 0x7ff;
    f->fip = insn_eip(s, d);
    f->fcs = env->segs[R_CS].selector;
    if (!d->mod3) {
        f->fdp = ea;
        f->fds = env->segs[d->seg].selector;
    }
}

void fpu_enter_mmx(TCGCPU *s)
{
    X86FPUState *f = fpu_state(s);

    fpu_set_top(f, 0);
    f->ftw = 0xff;
}

void sse_merge_flags(TCGCPU *s, uint32_t flags)
{
    X86FPUState *f = fpu_state(s);
    uint32_t unmasked;

    flags &= MXCSR_EXC;
    unmasked = flags & ~(f->mxcsr >> 7);
    if (!unmasked) {
        f->mxcsr |= flags;
        return;
    }
    /* SDM vol.1 11.5.2: an unmasked invalid, denormal or divide-by-zero
     * found before computing means no result, so no post-computation
     * flags (the host reported those for the masked result). */
    if (unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE)) {
        flags &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
    }
    f->mxcsr |= flags;
    raise_exception(s, (s->env->cr[4] & CR4_OSXMMEXCPT_MASK) ? EXCP13_XM : EXCP06_ILLOP);
}

uint32_t sse_mxcsr_mask(void)
{
    static uint32_t mask;

    if (!mask) {
        uint8_t img[512] __attribute__((aligned(16)));
        uint32_t m;

        memset(img, 0, sizeof(img));
        __asm__ volatile("fxsave %0" : "=m"(img));
        memcpy(&m, img + 28, 4);
        mask = m ? m : 0xffbf; /* SDM vol.1 11.6.6: 0 means 0xFFBF */
    }
    return mask;
}

uint64_t fpu_mem_lin(TCGCPU *s, const DecodedInsn *d, int size, bool write, int align)
{
    uint64_t lin = insn_lin(s, d, size, write);

    if (align && (lin & (align - 1))) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    return lin;
}

void fpu_ld_block(TCGCPU *s, uint64_t lin, void *buf, int n)
{
    uint8_t *p = buf;
    int i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t v = lin_ldq(s, lin + i);
        memcpy(p + i, &v, 8);
    }
    for (; i + 2 <= n; i += 2) {
        uint16_t v = lin_lduw(s, lin + i);
        memcpy(p + i, &v, 2);
    }
    if (i < n) {
        p[i] = lin_ldub(s, lin + i);
    }
}

void fpu_st_block(TCGCPU *s, uint64_t lin, const void *buf, int n)
{
    const uint8_t *p = buf;
    int i = 0;

    probe_write(s, lin, n);
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        lin_stq(s, lin + i, v);
    }
    for (; i + 2 <= n; i += 2) {
        uint16_t v;
        memcpy(&v, p + i, 2);
        lin_stw(s, lin + i, v);
    }
    if (i < n) {
        lin_stb(s, lin + i, p[i]);
    }
}

uint16_t fpu_full_tags(const X86FPUState *f)
{
    uint16_t tags = 0;

    for (int r = 0; r < 8; r++) {
        const X86FPReg *v = &f->st[r];
        unsigned exp = v->sign_exp & 0x7fff, tag;

        if (!(f->ftw & (1u << r))) {
            tag = 3;
        } else if (exp == 0x7fff || (exp == 0 && v->mant) ||
                   (exp != 0 && !(v->mant >> 63))) {
            tag = 2; /* NaN, infinity, denormal, unnormal */
        } else if (exp == 0) {
            tag = 1;
        } else {
            tag = 0;
        }
        tags |= tag << (2 * r);
    }
    return tags;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Bytes 0..463 as FXSAVE writes them; 464..511 are the software's. */
void fpu_fxsave(TCGCPU *s, uint8_t img[512], bool rex_w, bool xmm8_15)
{
    X86FPUState *f = fpu_state(s);

    memset(img, 0, 464);
    put16(img + 0, f->fcw);
    put16(img + 2, f->fsw);
    img[4] = f->ftw;
    put16(img + 6, f->fop);
    if (rex_w) {
        put64(img + 8, f->fip);
        put64(img + 16, f->fdp);
    } else {
        put32(img + 8, f->fip);
        put16(img + 12, f->fcs);
        put32(img + 16, f->fdp);
        put16(img + 20, f->fds);
    }
    put32(img + 24, f->mxcsr);
    put32(img + 28, sse_mxcsr_mask());
    for (int i = 0; i < 8; i++) {
        const X86FPReg *r = fpu_st(f, i);
        put64(img + 32 + 16 * i, r->mant);
        put16(img + 40 + 16 * i, r->sign_exp);
    }
    memcpy(img + 160, f->xmm, (xmm8_15 ? 16 : 8) * 16);
}

bool fpu_fxrstor(TCGCPU *s, const uint8_t img[512], bool rex_w, bool xmm8_15)
{
    X86FPUState *f = fpu_state(s);
    uint32_t mxcsr = get32(img + 24);

    if (mxcsr & ~sse_mxcsr_mask()) {
        return false; /* #GP(0), nothing loaded */
    }
    f->fcw = get16(img + 0);
    f->fsw = get16(img + 2);
    f->ftw = img[4];
    f->fop = get16(img + 6) & 0x7ff;
    if (rex_w) {
        f->fip = get64(img + 8);
        f->fdp = get64(img + 16);
    } else {
        f->fip = get32(img + 8);
        f->fcs = get16(img + 12);
        f->fdp = get32(img + 16);
        f->fds = get16(img + 20);
    }
    f->mxcsr = mxcsr;
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = fpu_st(f, i);
        r->mant = get64(img + 32 + 16 * i);
        r->sign_exp = get16(img + 40 + 16 * i);
    }
    memcpy(f->xmm, img + 160, (xmm8_15 ? 16 : 8) * 16);
    return true;
}
