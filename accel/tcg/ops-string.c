/*
 * String instructions: MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, with and
 * without REP/REPE/REPNE, in both directions (SDM vol.2 "REP").
 *
 * A REP instruction runs in chunks: after REP_CHUNK iterations, or when
 * the vCPU is asked to stop, it leaves EIP on itself with ECX/ESI/EDI
 * updated, so a runaway "rep stosb" with ECX=0xffffffff still lets
 * interrupts and Ctrl-C through, and a fault mid-way is restartable.
 */
#include "ops.h"

#define REP_CHUNK 65536

typedef struct StrCtx {
    uint64_t amask; /* address-size mask for ESI/EDI/ECX */
    int64_t step;   /* +size or -size (DF) */
    int size;
} StrCtx;

static inline StrCtx str_ctx(TCGCPU *s, const DecodedInsn *d)
{
    StrCtx c;
    c.amask = d->aflag == MO_16 ? 0xffff : d->aflag == MO_32 ? 0xffffffffull : ~0ull;
    c.size = 1 << d->ot;
    c.step = (s->env->eflags & DF_MASK) ? -c.size : c.size;
    return c;
}

static inline uint64_t areg(TCGCPU *s, const StrCtx *c, int r)
{
    return s->env->regs[r] & c->amask;
}

static inline void areg_set(TCGCPU *s, const StrCtx *c, int r, uint64_t v)
{
    uint64_t *regs = s->env->regs;
    if (c->amask == 0xffffffffull) {
        regs[r] = (uint32_t)v;
    } else {
        regs[r] = (regs[r] & ~c->amask) | (v & c->amask);
    }
}

static inline void advance(TCGCPU *s, const StrCtx *c, int r)
{
    areg_set(s, c, r, areg(s, c, r) + c->step);
}

static inline uint64_t src_lin(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    return seg_lin(s, d->seg, areg(s, c, R_ESI), c->size, false);
}

static inline uint64_t dst_lin(TCGCPU *s, const StrCtx *c, bool write)
{
    return seg_lin(s, R_ES, areg(s, c, R_EDI), c->size, write);
}

static inline bool has_rep(const DecodedInsn *d)
{
    return d->prefix & (PREFIX_REPZ | PREFIX_REPNZ);
}

/*
 * The REP driver: runs one() while ECX != 0 (and the REPE/REPNE condition
 * holds when cond is set), at most REP_CHUNK times; then sets EIP.
 */
typedef bool (*StrIter)(TCGCPU *s, const DecodedInsn *d, const StrCtx *c);

static void rep_run(TCGCPU *s, const DecodedInsn *d, StrIter one, bool is_cmp)
{
    StrCtx c = str_ctx(s, d);
    CPUState *cpu = s->cpu;

    if (!has_rep(d)) {
        one(s, d, &c);
        return;
    }
    for (unsigned n = 0; ; n++) {
        if (areg(s, &c, R_ECX) == 0) {
            break;
        }
        if (n == REP_CHUNK || (n % 1024 == 1023 &&
            (__atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED) ||
             __atomic_load_n(&cpu->interrupt_request, __ATOMIC_RELAXED)))) {
            s->env->eip = insn_eip(s, d); /* come back for the rest */
            return;
        }
        one(s, d, &c);
        areg_set(s, &c, R_ECX, areg(s, &c, R_ECX) - 1);
        if (is_cmp) {
            bool zf = cc_compute_all(s) & CC_Z;
            if ((d->prefix & PREFIX_REPZ) ? !zf : zf) {
                break;
            }
        }
    }
    s->env->eip = d->next_eip;
}

/* ---- bulk fast paths for forward REP MOVS/STOS within RAM pages ---- */

/* Elements that can be done on host pointers before a page or count ends. */
static uint64_t bulk_span(uint64_t lin, uint64_t count, int size)
{
    uint64_t room = (0x1000 - (lin & 0xfff)) / size;
    return room < count ? room : count;
}

static bool stos_bulk(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint64_t count = areg(s, c, R_ECX);
    uint64_t lin = dst_lin(s, c, true);
    uint64_t n = bulk_span(lin, count, c->size);
    uint8_t *p;

    if (n < 2 || (lin & (c->size - 1)) || !(p = lin_rmw_ptr(s, lin, c->size))) {
        return false;
    }
    uint64_t v = s->env->regs[R_EAX];
    if (c->size == 1) {
        memset(p, (uint8_t)v, n);
    } else {
        for (uint64_t i = 0; i < n; i++) {
            memcpy(p + i * c->size, &v, c->size);
        }
    }
    areg_set(s, c, R_EDI, areg(s, c, R_EDI) + n * c->size);
    areg_set(s, c, R_ECX, count - n);
    return true;
}

static bool movs_bulk(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint64_t count = areg(s, c, R_ECX);
    uint64_t dl = dst_lin(s, c, true), sl = src_lin(s, d, c);
    uint64_t n = bulk_span(dl, count, c->size);
    uint64_t n2 = bulk_span(sl, n, c->size);
    uint8_t *dp;
    TLBEntry *e = tlb_entry(s, sl);

    n = n2 < n ? n2 : n;
    if (n < 2 || ((dl | sl) & (c->size - 1)) || e->addr_read != (sl & ~0xfffull) ||
        !(dp = lin_rmw_ptr(s, dl, c->size))) {
        return false;
    }
    uint8_t *sp = (uint8_t *)(e->addend + (uintptr_t)sl);
    size_t len = n * c->size;
    /* A forward copy equals memmove unless the destination starts inside
     * the source (then x86 replicates the pattern): do that one by element. */
    if (dp > sp && dp < sp + len) {
        return false;
    }
    memmove(dp, sp, len);
    areg_set(s, c, R_EDI, areg(s, c, R_EDI) + len);
    areg_set(s, c, R_ESI, areg(s, c, R_ESI) + len);
    areg_set(s, c, R_ECX, count - n);
    return true;
}

/* ---- one iteration of each ---- */

static bool movs_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint64_t v = lin_ld(s, d->ot, src_lin(s, d, c));
    lin_st(s, d->ot, dst_lin(s, c, true), v);
    advance(s, c, R_ESI);
    advance(s, c, R_EDI);
    return true;
}

static bool stos_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    lin_st(s, d->ot, dst_lin(s, c, true), s->env->regs[R_EAX]);
    advance(s, c, R_EDI);
    return true;
}

static bool lods_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    set_reg(s, d->ot, R_EAX, lin_ld(s, d->ot, src_lin(s, d, c)));
    advance(s, c, R_ESI);
    return true;
}

static bool cmps_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint64_t a = lin_ld(s, d->ot, src_lin(s, d, c));
    uint64_t b = lin_ld(s, d->ot, dst_lin(s, c, false));
    alu_compute(s, 7, d->ot, a, b);
    advance(s, c, R_ESI);
    advance(s, c, R_EDI);
    return true;
}

static bool scas_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint64_t b = lin_ld(s, d->ot, dst_lin(s, c, false));
    alu_compute(s, 7, d->ot, get_reg(s, d->ot, R_EAX), b);
    advance(s, c, R_EDI);
    return true;
}

static bool ins_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint32_t port = s->env->regs[R_EDX] & 0xffff;
    uint64_t lin = dst_lin(s, c, true);
    uint32_t v;

    probe_write(s, lin, c->size); /* fault before the port read has side effects */
    switch (d->ot) {
    case MO_8: v = helper_inb(s->env, port); break;
    case MO_16: v = helper_inw(s->env, port); break;
    default: v = helper_inl(s->env, port); break;
    }
    lin_st(s, d->ot, lin, v);
    advance(s, c, R_EDI);
    return true;
}

static bool outs_one(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    uint32_t port = s->env->regs[R_EDX] & 0xffff;
    uint32_t v = lin_ld(s, d->ot, src_lin(s, d, c));

    switch (d->ot) {
    case MO_8: helper_outb(s->env, port, v); break;
    case MO_16: helper_outw(s->env, port, v); break;
    default: helper_outl(s->env, port, v); break;
    }
    advance(s, c, R_ESI);
    return true;
}

static bool movs_iter(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    if (c->step > 0 && has_rep(d) && areg(s, c, R_ECX) > 1 && movs_bulk(s, d, c)) {
        /* the driver decrements ECX once more: undo that by doing one element */
        areg_set(s, c, R_ECX, areg(s, c, R_ECX) + 1);
        return true;
    }
    return movs_one(s, d, c);
}

static bool stos_iter(TCGCPU *s, const DecodedInsn *d, const StrCtx *c)
{
    if (c->step > 0 && has_rep(d) && areg(s, c, R_ECX) > 1 && stos_bulk(s, d, c)) {
        areg_set(s, c, R_ECX, areg(s, c, R_ECX) + 1);
        return true;
    }
    return stos_one(s, d, c);
}

void op_movs(TCGCPU *s, const DecodedInsn *d) { rep_run(s, d, movs_iter, false); }
void op_stos(TCGCPU *s, const DecodedInsn *d) { rep_run(s, d, stos_iter, false); }
void op_lods(TCGCPU *s, const DecodedInsn *d) { rep_run(s, d, lods_one, false); }
void op_cmps(TCGCPU *s, const DecodedInsn *d) { rep_run(s, d, cmps_one, true); }
void op_scas(TCGCPU *s, const DecodedInsn *d) { rep_run(s, d, scas_one, true); }

void op_ins(TCGCPU *s, const DecodedInsn *d)
{
    check_io_perm(s, s->env->regs[R_EDX] & 0xffff, 1 << d->ot);
    rep_run(s, d, ins_one, false);
}

void op_outs(TCGCPU *s, const DecodedInsn *d)
{
    check_io_perm(s, s->env->regs[R_EDX] & 0xffff, 1 << d->ot);
    rep_run(s, d, outs_one, false);
}
