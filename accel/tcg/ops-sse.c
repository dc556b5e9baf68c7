/*
 * SSE/SSE2 floating point, moves, conversions, and the 0F AE group
 * (FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, fences, CLFLUSH).  Arithmetic,
 * compares and conversions run on the host (sse-host.c) under the
 * guest's MXCSR; sse_merge_flags then applies the guest's masks, before
 * any destination is written, so an unmasked exception changes nothing
 * but the MXCSR flags (SDM vol.1 11.5.1).
 */
#include "fpu_helper.h"
#include "qemu/main-loop.h"
#include "sse-host.h"
#include "x87-host.h"

void sse_load_src(TCGCPU *s, const DecodedInsn *d, X86XMMReg *out)
{
    int n = SSE_MEMSZ(d);
    uint64_t lin;

    if (d->mod3) {
        if (d->imm2 & SSE_MMX) {
            out->q[0] = mmx_get(s, d->rm);
            out->q[1] = 0;
        } else {
            *out = *xmm_reg(s, d->rm);
        }
        return;
    }
    lin = fpu_mem_lin(s, d, n, false, (d->imm2 & SSE_ALIGN) ? 16 : 0);
    out->q[0] = out->q[1] = 0;
    switch (n) {
    case 16:
        out->q[0] = lin_ldq(s, lin);
        out->q[1] = lin_ldq(s, lin + 8);
        break;
    case 8: out->q[0] = lin_ldq(s, lin); break;
    case 4: out->l[0] = lin_ldl(s, lin); break;
    default: out->w[0] = lin_lduw(s, lin); break;
    }
}

/* n bytes of v to d's memory operand (16: probed first, never half written) */
static void sse_store_mem(TCGCPU *s, const DecodedInsn *d, const X86XMMReg *v, int n)
{
    uint64_t lin = fpu_mem_lin(s, d, n, true, (d->imm2 & SSE_ALIGN) ? 16 : 0);

    switch (n) {
    case 16:
        probe_write(s, lin, 16);
        lin_stq(s, lin, v->q[0]);
        lin_stq(s, lin + 8, v->q[1]);
        break;
    case 8: lin_stq(s, lin, v->q[0]); break;
    default: lin_stl(s, lin, v->l[0]); break;
    }
}

/*
 * Inexact as an element with an unmasked overflow or underflow reports it:
 * whether the result rounded to the destination's precision with an
 * unbounded exponent is exact (the hardware hands that result to the
 * handler, SDM vol.1 11.5.2.4/11.5.2.5).  The x87, with precision control
 * at 24 or 53 bits and its 15-bit exponent, rounds exactly so.
 * kind: 0 add, 1 sub, 2 mul, 3 div, 4 conversion to single.
 */
static bool unbounded_inexact(int kind, long double a, long double b, bool dbl, uint32_t mxcsr)
{
    static X87HostOp *const ops[5] = { x87h_fadd_r, x87h_fsub_r, x87h_fmul_r, x87h_fdiv_r,
                                       x87h_fmul_r };
    HostX87 h = { .cw = 0x3f | (dbl ? 0x200 : 0) | (((mxcsr >> MXCSR_RC_SHIFT) & 3) << 10) };

    if (kind == 4) {
        b = 1;
    }
    memcpy(h.in0, &a, 10);
    memcpy(h.in1, &b, 10);
    ops[kind](&h);
    return h.out_sw & FSW_PE;
}

/*
 * The flags of host op on (dst, src) as the guest's masks would have them.
 * The host ran with everything masked, which differs in two ways:
 * - masked, underflow is reported only for inexact tiny results; unmasked,
 *   for every tiny one (SDM vol.1 4.9.1.5).  FTZ reports UE for any tiny
 *   result, so a second run with FTZ finds them.
 * - an element with an unmasked overflow or underflow reports inexact as
 *   unbounded_inexact says.  Packed operations run again element by
 *   element (the others set to 1.0, which raises nothing).
 */
static uint32_t sse_guest_flags(TCGCPU *s, int op, const X86XMMReg *dst,
                                const X86XMMReg *src, uint32_t flags)
{
    uint32_t mxcsr = fpu_state(s)->mxcsr, csr = sse_host_csr(s);
    uint32_t um = ~(mxcsr >> 7) & MXCSR_EXC;
    int lane, n, kind;
    bool dbl;
    X86XMMReg t;

    if ((um & MXCSR_UE) && !(flags & MXCSR_UE)) {
        t = *dst;
        flags |= sse_host_ops[op](&t, src, csr | MXCSR_FTZ) & MXCSR_UE;
    }
    if (!(flags & um & (MXCSR_OE | MXCSR_UE))) {
        return flags;
    }
    if (op < SSE_minps) {          /* the ARITH4 groups: ps ss pd sd */
        kind = op / 4;
        dbl = op % 4 >= 2;
        lane = dbl ? 8 : 4;
        n = op % 2 ? 1 : 16 / lane;
    } else if (op == SSE_cvtpd2ps || op == SSE_cvtsd2ss) {
        kind = 4;
        dbl = false;
        lane = 8;
        n = op == SSE_cvtpd2ps ? 2 : 1;
    } else {
        return flags;
    }
    flags = 0;
    for (int i = 0; i < n; i++) {
        X86XMMReg a = *dst, b = *src;
        long double x, y;
        uint32_t f;
        for (int k = 0; k < 16 / lane && n > 1; k++) {
            if (k != i && lane == 4) {
                a.l[k] = b.l[k] = 0x3f800000;
            } else if (k != i) {
                a.q[k] = b.q[k] = 0x3ff0000000000000ull;
            }
        }
        t = a;
        f = sse_host_ops[op](&t, &b, csr);
        if (um & MXCSR_UE) {
            t = a;
            f |= sse_host_ops[op](&t, &b, csr | MXCSR_FTZ) & MXCSR_UE;
        }
        if (f & um & (MXCSR_OE | MXCSR_UE)) {
            if (kind == 4) {
                x = b.d[i];
                y = 1;
            } else if (lane == 4) {
                x = a.s[i];
                y = b.s[i];
            } else {
                x = a.d[i];
                y = b.d[i];
            }
            f &= ~MXCSR_PE;
            if (unbounded_inexact(kind, x, y, dbl, mxcsr)) {
                f |= MXCSR_PE;
            }
        }
        flags |= f;
    }
    return flags;
}

void op_sse_host(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg dst, src, old;
    uint32_t flags;

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    old = dst = *xmm_reg(s, d->reg);
    flags = sse_host_ops[d->b](&dst, &src, sse_host_csr(s));
    if (~fpu_state(s)->mxcsr & (MXCSR_UM | (MXCSR_OE << 7))) {
        flags = sse_guest_flags(s, d->b, &old, &src, flags);
    }
    sse_merge_flags(s, flags);
    *xmm_reg(s, d->reg) = dst;
}

/* CMPPS/PD/SS/SD: predicate imm8[2:0] (legacy SSE has eight) */
void op_sse_cmp(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg dst, src;

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    dst = *xmm_reg(s, d->reg);
    sse_merge_flags(s, sse_host_ops[d->b + (d->imm & 7)](&dst, &src, sse_host_csr(s)));
    *xmm_reg(s, d->reg) = dst;
}

/* ANDPS ANDNPS ORPS XORPS (and PD): bitwise, no exceptions */
void op_sse_logic(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg src, *dst = xmm_reg(s, d->reg);

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    for (int i = 0; i < 2; i++) {
        switch (d->b) {
        case 0: dst->q[i] &= src.q[i]; break;
        case 1: dst->q[i] = ~dst->q[i] & src.q[i]; break;
        case 2: dst->q[i] |= src.q[i]; break;
        default: dst->q[i] ^= src.q[i]; break;
        }
    }
}

/* COMISS UCOMISS COMISD UCOMISD: ZF PF CF, OF SF AF cleared */
void op_sse_comi(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg src;
    bool zf, pf, cf;

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    sse_merge_flags(s, sse_host_comi(d->b, xmm_reg(s, d->reg), &src, sse_host_csr(s),
                                     &zf, &pf, &cf));
    set_cc_flags(s, (zf ? CC_Z : 0) | (pf ? CC_P : 0) | (cf ? CC_C : 0));
}

/* CVTSI2SS / CVTSI2SD xmm, r/m32 (r/m64 with REX.W) */
void op_sse_cvt_i2f(TCGCPU *s, const DecodedInsn *d)
{
    bool w = d->ot == MO_64;
    X86XMMReg dst;
    uint64_t v;

    fpu_check_sse(s);
    if (d->mod3) {
        v = get_reg(s, w ? MO_64 : MO_32, d->rm);
    } else {
        uint64_t lin = fpu_mem_lin(s, d, w ? 8 : 4, false, 0);
        v = w ? lin_ldq(s, lin) : lin_ldl(s, lin);
    }
    dst = *xmm_reg(s, d->reg);
    sse_merge_flags(s, sse_host_cvt_i2f(&dst, v, w, d->b, sse_host_csr(s)));
    *xmm_reg(s, d->reg) = dst;
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m: out of range gives the
 * integer indefinite (the host's answer, 80000000H / 8000000000000000H) */
void op_sse_cvt_f2i(TCGCPU *s, const DecodedInsn *d)
{
    bool w = d->ot == MO_64;
    X86XMMReg src;
    uint64_t r;

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    sse_merge_flags(s, sse_host_cvt_f2i(&src, &r, w, d->b, sse_host_csr(s)));
    set_reg(s, w ? MO_64 : MO_32, d->reg, r);
}

/* The MMX conversions, as their XMM forms on two lanes (zero lanes raise
 * nothing): 0 CVTPI2PS 1 CVTPI2PD 2 CVTPS2PI 3 CVTTPS2PI 4 CVTPD2PI 5 CVTTPD2PI */
void op_sse_cvt_mmx(TCGCPU *s, const DecodedInsn *d)
{
    static const uint8_t host_op[6] = { SSE_cvtdq2ps, SSE_cvtdq2pd, SSE_cvtps2dq,
                                        SSE_cvttps2dq, SSE_cvtpd2dq, SSE_cvttpd2dq };
    X86XMMReg src, t = { .q = { 0, 0 } };

    fpu_check_sse(s);
    fpu_check_pending(s);
    sse_load_src(s, d, &src);
    if (d->b == 2 || d->b == 3) {
        src.q[1] = 0; /* CVT(T)PS2PI read two singles: xmm/m64 */
    }
    if (d->b >= 2 || d->mod3) {
        fpu_enter_mmx(s); /* before any #XM; CVTPI2PS/PD only from an MMX register */
    }
    sse_merge_flags(s, sse_host_ops[host_op[d->b]](&t, &src, sse_host_csr(s)));
    switch (d->b) {
    case 0:
        xmm_reg(s, d->reg)->q[0] = t.q[0];
        break;
    case 1:
        *xmm_reg(s, d->reg) = t;
        break;
    default:
        mmx_set(s, d->reg, t.q[0]);
        break;
    }
}

void op_sse_mov(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg v, *r = xmm_reg(s, d->reg), *m = d->mod3 ? xmm_reg(s, d->rm) : NULL;

    fpu_check_sse(s);
    switch (d->b) {
    case MV_LD:
        sse_load_src(s, d, &v);
        *r = v;
        break;
    case MV_ST:
        if (m) {
            *m = *r;
        } else {
            sse_store_mem(s, d, r, 16);
        }
        break;
    case MV_SS_LD:
    case MV_SD_LD:
        sse_load_src(s, d, &v);
        if (!m) {
            *r = v; /* from memory: the rest is zeroed */
        } else if (d->b == MV_SS_LD) {
            r->l[0] = v.l[0];
        } else {
            r->q[0] = v.q[0];
        }
        break;
    case MV_SS_ST:
        if (m) {
            m->l[0] = r->l[0];
        } else {
            sse_store_mem(s, d, r, 4);
        }
        break;
    case MV_SD_ST:
    case MV_LO_ST:
        if (m) {
            m->q[0] = r->q[0];
        } else {
            sse_store_mem(s, d, r, 8);
        }
        break;
    case MV_LO_LD: /* MOVLPS/MOVLPD; MOVHLPS from a register */
        sse_load_src(s, d, &v);
        r->q[0] = m ? v.q[1] : v.q[0];
        break;
    case MV_HI_LD: /* MOVHPS/MOVHPD; MOVLHPS from a register */
        sse_load_src(s, d, &v);
        r->q[1] = v.q[0];
        break;
    case MV_HI_ST:
        v.q[0] = r->q[1];
        sse_store_mem(s, d, &v, 8);
        break;
    case MV_Q_LD:
        sse_load_src(s, d, &v);
        r->q[0] = v.q[0];
        r->q[1] = 0;
        break;
    case MV_Q_ST:
        if (m) {
            m->q[0] = r->q[0];
            m->q[1] = 0;
        } else {
            sse_store_mem(s, d, r, 8);
        }
        break;
    case MV_Q2DQ:
        fpu_check_pending(s);
        r->q[0] = mmx_get(s, d->rm);
        r->q[1] = 0;
        fpu_enter_mmx(s);
        break;
    case MV_DQ2Q:
        fpu_check_pending(s);
        mmx_set(s, d->reg, xmm_reg(s, d->rm)->q[0]);
        fpu_enter_mmx(s);
        break;
    }
}

/* MOVD/MOVQ between r/m32 (r/m64 with REX.W) and MMX (no prefix) or XMM
 * (66): d->b = 0 into the vector register (0F 6E), 1 out of it (0F 7E) */
void op_sse_movd(TCGCPU *s, const DecodedInsn *d)
{
    bool mmx = d->imm2 & SSE_MMX, w = d->ot == MO_64;
    int ot = w ? MO_64 : MO_32;
    uint64_t v;

    if (mmx) {
        fpu_check_mmx(s);
    } else {
        fpu_check_sse(s);
    }
    if (d->b == 0) {
        v = d->mod3 ? get_reg(s, ot, d->rm) : lin_ld(s, ot, insn_lin(s, d, 4 << w, false));
        if (mmx) {
            mmx_set(s, d->reg, v);
            fpu_enter_mmx(s);
        } else {
            xmm_reg(s, d->reg)->q[0] = v;
            xmm_reg(s, d->reg)->q[1] = 0;
        }
        return;
    }
    v = mmx ? mmx_get(s, d->reg) : xmm_reg(s, d->reg)->q[0];
    if (d->mod3) {
        set_reg(s, ot, d->rm, v);
    } else {
        lin_st(s, ot, insn_lin(s, d, 4 << w, true), v);
    }
    if (mmx) {
        fpu_enter_mmx(s);
    }
}

/* MOVNTI m32/m64, r (a non-temporal hint: a plain store here) */
void op_movnti(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot == MO_64 ? MO_64 : MO_32;

    fpu_check_sse(s);
    lin_st(s, ot, insn_lin(s, d, 1 << ot, true), get_reg(s, ot, d->reg));
}

/* MOVMSKPS / MOVMSKPD r32, xmm: the sign bits */
void op_sse_movmsk(TCGCPU *s, const DecodedInsn *d)
{
    const X86XMMReg *x = xmm_reg(s, d->rm);
    uint32_t r = 0;

    fpu_check_sse(s);
    if (d->b == 0) {
        for (int i = 0; i < 4; i++) {
            r |= (x->l[i] >> 31) << i;
        }
    } else {
        r = (x->q[0] >> 63) | ((x->q[1] >> 63) << 1);
    }
    set_reg(s, MO_32, d->reg, r);
}

void op_sse_shuf(TCGCPU *s, const DecodedInsn *d)
{
    X86XMMReg src, *dst = xmm_reg(s, d->reg), a, r;
    unsigned imm = d->imm;

    fpu_check_sse(s);
    sse_load_src(s, d, &src);
    a = *dst;
    switch (d->b) {
    case U_UNPCKLPS:
        r.l[0] = a.l[0]; r.l[1] = src.l[0]; r.l[2] = a.l[1]; r.l[3] = src.l[1];
        break;
    case U_UNPCKHPS:
        r.l[0] = a.l[2]; r.l[1] = src.l[2]; r.l[2] = a.l[3]; r.l[3] = src.l[3];
        break;
    case U_UNPCKLPD:
        r.q[0] = a.q[0]; r.q[1] = src.q[0];
        break;
    case U_UNPCKHPD:
        r.q[0] = a.q[1]; r.q[1] = src.q[1];
        break;
    case U_SHUFPS:
        r.l[0] = a.l[imm & 3]; r.l[1] = a.l[(imm >> 2) & 3];
        r.l[2] = src.l[(imm >> 4) & 3]; r.l[3] = src.l[(imm >> 6) & 3];
        break;
    default:
        r.q[0] = a.q[imm & 1]; r.q[1] = src.q[(imm >> 1) & 1];
        break;
    }
    *dst = r;
}

/* FXSAVE/FXRSTOR: #NM for EM or TS (SDM vol.2 FXSAVE), 16-byte aligned.
 * Outside 64-bit mode the image ends after XMM7 (byte 288); the
 * reserved and software bytes after it are not written, but faults are
 * those of the whole 512-byte operand. */
static int fx_len(TCGCPU *s, bool *xmm8_15)
{
    *xmm8_15 = s->cur_tb && (s->cur_tb->flags & TB_FLAG_CODE64);
    return *xmm8_15 ? 416 : 288;
}

static void op_fxsave(TCGCPU *s, const DecodedInsn *d)
{
    uint8_t img[512];
    bool wide;
    int n = fx_len(s, &wide);
    uint64_t lin;

    fpu_check_x87(s, false);
    lin = fpu_mem_lin(s, d, 512, true, 16);
    fpu_fxsave(s, img, d->ot == MO_64, wide);
    probe_write(s, lin, 512); /* the operand is all 512 bytes, whatever is written */
    fpu_st_block(s, lin, img, n);
}

static void op_fxrstor(TCGCPU *s, const DecodedInsn *d)
{
    uint8_t img[512];
    bool wide;
    uint64_t lin;

    fx_len(s, &wide);
    fpu_check_x87(s, false);
    lin = fpu_mem_lin(s, d, 512, false, 16);
    fpu_ld_block(s, lin, img, 512); /* n bytes are used */
    if (!fpu_fxrstor(s, img, d->ot == MO_64, wide)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

static void op_ldmxcsr(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t v;

    fpu_check_sse(s);
    v = lin_ldl(s, insn_lin(s, d, 4, false));
    if (v & ~sse_mxcsr_mask()) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    fpu_state(s)->mxcsr = v;
}

static void op_stmxcsr(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_sse(s);
    lin_stl(s, insn_lin(s, d, 4, true), fpu_state(s)->mxcsr);
}

void op_sse_grp15(TCGCPU *s, const DecodedInsn *d)
{
    switch ((d->reg & 7) | (d->mod3 ? 8 : 0)) {
    case 0: op_fxsave(s, d); break;
    case 1: op_fxrstor(s, d); break;
    case 2: op_ldmxcsr(s, d); break;
    case 3: op_stmxcsr(s, d); break;
    default:
        raise_exception(s, EXCP06_ILLOP);
    }
}

/* EMMS: every x87 register empty again */
void op_emms(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_mmx(s);
    fpu_state(s)->ftw = 0;
}
