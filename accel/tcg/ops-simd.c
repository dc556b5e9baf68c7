/*
 * Integer SIMD: MMX on the x87 registers' significands (SDM vol.1 ch.9)
 * and the SSE2 forms of the same instructions on XMM registers (11.4).
 * One implementation per operation, over the register's n bytes (8 or
 * 16); the no-prefix encodings use MMX registers, 66 the XMM ones.
 */
#include "fpu_helper.h"

/* ---- operands ---- */
typedef struct SimdOps {
    X86XMMReg dst, src;
    int n; /* bytes: 8 (MMX) or 16 (XMM) */
} SimdOps;

/* Checks, reads the destination register and the source (sized as the
 * entry says), and leaves MMX mode entered for MMX forms. */
static void simd_fetch(TCGCPU *s, const DecodedInsn *d, SimdOps *o, int dst_reg)
{
    if (d->imm2 & SSE_MMX) {
        fpu_check_mmx(s);
        o->n = 8;
        o->dst.q[0] = mmx_get(s, dst_reg);
        o->dst.q[1] = 0;
    } else {
        fpu_check_sse(s);
        o->n = 16;
        o->dst = *xmm_reg(s, dst_reg);
    }
    sse_load_src(s, d, &o->src);
}

static void simd_writeback(TCGCPU *s, const DecodedInsn *d, const SimdOps *o, int dst_reg)
{
    if (o->n == 8) {
        mmx_set(s, dst_reg, o->dst.q[0]);
        fpu_enter_mmx(s);
    } else {
        *xmm_reg(s, dst_reg) = o->dst;
    }
}

/* ---- saturation ---- */
static inline int8_t sat_s8(int v) { return v > 127 ? 127 : v < -128 ? -128 : v; }
static inline uint8_t sat_u8(int v) { return v > 255 ? 255 : v < 0 ? 0 : v; }
static inline int16_t sat_s16(int v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
static inline uint16_t sat_u16(int v) { return v > 65535 ? 65535 : v < 0 ? 0 : v; }

#define B(x, i) ((x).b[i])
#define SB(x, i) ((int8_t)(x).b[i])
#define W(x, i) ((x).w[i])
#define SW(x, i) ((int16_t)(x).w[i])
#define L(x, i) ((x).l[i])
#define SL(x, i) ((int32_t)(x).l[i])
#define Q(x, i) ((x).q[i])

static void lane_op(int op, X86XMMReg *r, const X86XMMReg *dp, const X86XMMReg *sp, int n)
{
    const X86XMMReg a = *dp, b = *sp;
    int nb = n, nw = n / 2, nl = n / 4, nq = n / 8, i;

    switch (op) {
    case L_PUNPCKLBW: for (i = 0; i < nb / 2; i++) { r->b[2 * i] = B(a, i); r->b[2 * i + 1] = B(b, i); } break;
    case L_PUNPCKHBW: for (i = 0; i < nb / 2; i++) { r->b[2 * i] = B(a, i + nb / 2); r->b[2 * i + 1] = B(b, i + nb / 2); } break;
    case L_PUNPCKLWD: for (i = 0; i < nw / 2; i++) { r->w[2 * i] = W(a, i); r->w[2 * i + 1] = W(b, i); } break;
    case L_PUNPCKHWD: for (i = 0; i < nw / 2; i++) { r->w[2 * i] = W(a, i + nw / 2); r->w[2 * i + 1] = W(b, i + nw / 2); } break;
    case L_PUNPCKLDQ: for (i = 0; i < nl / 2; i++) { r->l[2 * i] = L(a, i); r->l[2 * i + 1] = L(b, i); } break;
    case L_PUNPCKHDQ: for (i = 0; i < nl / 2; i++) { r->l[2 * i] = L(a, i + nl / 2); r->l[2 * i + 1] = L(b, i + nl / 2); } break;
    case L_PUNPCKLQDQ: r->q[0] = Q(a, 0); r->q[1] = Q(b, 0); break;
    case L_PUNPCKHQDQ: r->q[0] = Q(a, 1); r->q[1] = Q(b, 1); break;
    case L_PACKSSWB:
        for (i = 0; i < nw; i++) { r->b[i] = sat_s8(SW(a, i)); r->b[i + nw] = sat_s8(SW(b, i)); }
        break;
    case L_PACKUSWB:
        for (i = 0; i < nw; i++) { r->b[i] = sat_u8(SW(a, i)); r->b[i + nw] = sat_u8(SW(b, i)); }
        break;
    case L_PACKSSDW:
        for (i = 0; i < nl; i++) { r->w[i] = sat_s16(SL(a, i)); r->w[i + nl] = sat_s16(SL(b, i)); }
        break;
    case L_PCMPGTB: for (i = 0; i < nb; i++) r->b[i] = SB(a, i) > SB(b, i) ? 0xff : 0; break;
    case L_PCMPGTW: for (i = 0; i < nw; i++) r->w[i] = SW(a, i) > SW(b, i) ? 0xffff : 0; break;
    case L_PCMPGTD: for (i = 0; i < nl; i++) r->l[i] = SL(a, i) > SL(b, i) ? ~0u : 0; break;
    case L_PCMPEQB: for (i = 0; i < nb; i++) r->b[i] = B(a, i) == B(b, i) ? 0xff : 0; break;
    case L_PCMPEQW: for (i = 0; i < nw; i++) r->w[i] = W(a, i) == W(b, i) ? 0xffff : 0; break;
    case L_PCMPEQD: for (i = 0; i < nl; i++) r->l[i] = L(a, i) == L(b, i) ? ~0u : 0; break;
    case L_PADDB: for (i = 0; i < nb; i++) r->b[i] = B(a, i) + B(b, i); break;
    case L_PADDW: for (i = 0; i < nw; i++) r->w[i] = W(a, i) + W(b, i); break;
    case L_PADDD: for (i = 0; i < nl; i++) r->l[i] = L(a, i) + L(b, i); break;
    case L_PADDQ: for (i = 0; i < nq; i++) r->q[i] = Q(a, i) + Q(b, i); break;
    case L_PSUBB: for (i = 0; i < nb; i++) r->b[i] = B(a, i) - B(b, i); break;
    case L_PSUBW: for (i = 0; i < nw; i++) r->w[i] = W(a, i) - W(b, i); break;
    case L_PSUBD: for (i = 0; i < nl; i++) r->l[i] = L(a, i) - L(b, i); break;
    case L_PSUBQ: for (i = 0; i < nq; i++) r->q[i] = Q(a, i) - Q(b, i); break;
    case L_PADDSB: for (i = 0; i < nb; i++) r->b[i] = sat_s8(SB(a, i) + SB(b, i)); break;
    case L_PADDSW: for (i = 0; i < nw; i++) r->w[i] = sat_s16(SW(a, i) + SW(b, i)); break;
    case L_PADDUSB: for (i = 0; i < nb; i++) r->b[i] = sat_u8(B(a, i) + B(b, i)); break;
    case L_PADDUSW: for (i = 0; i < nw; i++) r->w[i] = sat_u16(W(a, i) + W(b, i)); break;
    case L_PSUBSB: for (i = 0; i < nb; i++) r->b[i] = sat_s8(SB(a, i) - SB(b, i)); break;
    case L_PSUBSW: for (i = 0; i < nw; i++) r->w[i] = sat_s16(SW(a, i) - SW(b, i)); break;
    case L_PSUBUSB: for (i = 0; i < nb; i++) r->b[i] = sat_u8(B(a, i) - B(b, i)); break;
    case L_PSUBUSW: for (i = 0; i < nw; i++) r->w[i] = sat_u16(W(a, i) - W(b, i)); break;
    case L_PMULLW: for (i = 0; i < nw; i++) r->w[i] = (uint32_t)(SW(a, i) * SW(b, i)); break;
    case L_PMULHW: for (i = 0; i < nw; i++) r->w[i] = (uint32_t)(SW(a, i) * SW(b, i)) >> 16; break;
    case L_PMULHUW: for (i = 0; i < nw; i++) r->w[i] = ((uint32_t)W(a, i) * W(b, i)) >> 16; break;
    case L_PMULUDQ: for (i = 0; i < nq; i++) r->q[i] = (uint64_t)L(a, 2 * i) * L(b, 2 * i); break;
    case L_PMADDWD:
        for (i = 0; i < nl; i++) {
            /* the one overflow, -32768^2 * 2, wraps to 80000000H as the SDM says */
            r->l[i] = (uint32_t)(SW(a, 2 * i) * SW(b, 2 * i)) +
                      (uint32_t)(SW(a, 2 * i + 1) * SW(b, 2 * i + 1));
        }
        break;
    case L_PSADBW:
        for (i = 0; i < nq; i++) {
            unsigned sum = 0;
            for (int k = 0; k < 8; k++) {
                int diff = B(a, 8 * i + k) - B(b, 8 * i + k);
                sum += diff < 0 ? -diff : diff;
            }
            r->q[i] = sum;
        }
        break;
    case L_PAVGB: for (i = 0; i < nb; i++) r->b[i] = (B(a, i) + B(b, i) + 1) >> 1; break;
    case L_PAVGW: for (i = 0; i < nw; i++) r->w[i] = (W(a, i) + W(b, i) + 1) >> 1; break;
    case L_PMINUB: for (i = 0; i < nb; i++) r->b[i] = B(a, i) < B(b, i) ? B(a, i) : B(b, i); break;
    case L_PMAXUB: for (i = 0; i < nb; i++) r->b[i] = B(a, i) > B(b, i) ? B(a, i) : B(b, i); break;
    case L_PMINSW: for (i = 0; i < nw; i++) r->w[i] = SW(a, i) < SW(b, i) ? W(a, i) : W(b, i); break;
    case L_PMAXSW: for (i = 0; i < nw; i++) r->w[i] = SW(a, i) > SW(b, i) ? W(a, i) : W(b, i); break;
    case L_PAND: for (i = 0; i < nq; i++) r->q[i] = Q(a, i) & Q(b, i); break;
    case L_PANDN: for (i = 0; i < nq; i++) r->q[i] = ~Q(a, i) & Q(b, i); break;
    case L_POR: for (i = 0; i < nq; i++) r->q[i] = Q(a, i) | Q(b, i); break;
    case L_PXOR: for (i = 0; i < nq; i++) r->q[i] = Q(a, i) ^ Q(b, i); break;
    }
}

void op_simd_int(TCGCPU *s, const DecodedInsn *d)
{
    SimdOps o;
    X86XMMReg r = { .q = { 0, 0 } };

    simd_fetch(s, d, &o, d->reg);
    lane_op(d->b, &r, &o.dst, &o.src, o.n);
    o.dst = r;
    simd_writeback(s, d, &o, d->reg);
}

/* Shift v's n bytes by count (any 64-bit value; too large clears, or
 * fills with the sign for the arithmetic shifts) */
static void shift(int kind, X86XMMReg *v, uint64_t count, int n)
{
    int nw = n / 2, nl = n / 4, nq = n / 8, i;

    switch (kind) {
    case S_PSRLW: for (i = 0; i < nw; i++) v->w[i] = count > 15 ? 0 : v->w[i] >> count; break;
    case S_PSRLD: for (i = 0; i < nl; i++) v->l[i] = count > 31 ? 0 : v->l[i] >> count; break;
    case S_PSRLQ: for (i = 0; i < nq; i++) v->q[i] = count > 63 ? 0 : v->q[i] >> count; break;
    case S_PSLLW: for (i = 0; i < nw; i++) v->w[i] = count > 15 ? 0 : v->w[i] << count; break;
    case S_PSLLD: for (i = 0; i < nl; i++) v->l[i] = count > 31 ? 0 : v->l[i] << count; break;
    case S_PSLLQ: for (i = 0; i < nq; i++) v->q[i] = count > 63 ? 0 : v->q[i] << count; break;
    case S_PSRAW:
        for (i = 0; i < nw; i++) v->w[i] = (int16_t)v->w[i] >> (count > 15 ? 15 : count);
        break;
    case S_PSRAD:
        for (i = 0; i < nl; i++) v->l[i] = (int32_t)v->l[i] >> (count > 31 ? 31 : count);
        break;
    case S_PSRLDQ:
    case S_PSLLDQ: {
        X86XMMReg r = { .q = { 0, 0 } };
        int c = count > 16 ? 16 : count;
        for (i = 0; i < 16; i++) {
            int from = kind == S_PSRLDQ ? i + c : i - c;
            if (from >= 0 && from < 16) {
                r.b[i] = v->b[from];
            }
        }
        *v = r;
        break;
    }
    }
}

/* PSRLW..PSLLQ mm, mm/m64 and xmm, xmm/m128: the count is the source's
 * low 64 bits */
void op_simd_shift(TCGCPU *s, const DecodedInsn *d)
{
    SimdOps o;

    simd_fetch(s, d, &o, d->reg);
    shift(d->b, &o.dst, o.src.q[0], o.n);
    simd_writeback(s, d, &o, d->reg);
}

/* 0F 71/72/73 /r ib: the register is ModRM.rm */
void op_simd_shift_imm(TCGCPU *s, const DecodedInsn *d)
{
    SimdOps o;

    simd_fetch(s, d, &o, d->rm);
    shift(d->b, &o.dst, d->imm & 0xff, o.n);
    simd_writeback(s, d, &o, d->rm);
}

/* 0 PSHUFW (MMX), 1 PSHUFD, 2 PSHUFHW, 3 PSHUFLW */
void op_simd_pshuf(TCGCPU *s, const DecodedInsn *d)
{
    SimdOps o;
    X86XMMReg r;
    unsigned imm = d->imm;
    int i;

    simd_fetch(s, d, &o, d->reg);
    r = o.src;
    switch (d->b) {
    case 0:
    case 3:
        for (i = 0; i < 4; i++) {
            r.w[i] = o.src.w[(imm >> (2 * i)) & 3];
        }
        break;
    case 1:
        for (i = 0; i < 4; i++) {
            r.l[i] = o.src.l[(imm >> (2 * i)) & 3];
        }
        break;
    default:
        for (i = 0; i < 4; i++) {
            r.w[4 + i] = o.src.w[4 + ((imm >> (2 * i)) & 3)];
        }
        break;
    }
    o.dst = r;
    simd_writeback(s, d, &o, d->reg);
}

/* PINSRW mm/xmm, r32/m16, imm8 */
void op_simd_pinsrw(TCGCPU *s, const DecodedInsn *d)
{
    SimdOps o;
    uint16_t v;

    if (d->imm2 & SSE_MMX) {
        fpu_check_mmx(s);
        o.n = 8;
        o.dst.q[0] = mmx_get(s, d->reg);
        o.dst.q[1] = 0;
    } else {
        fpu_check_sse(s);
        o.n = 16;
        o.dst = *xmm_reg(s, d->reg);
    }
    v = d->mod3 ? get_reg(s, MO_16, d->rm) : lin_lduw(s, insn_lin(s, d, 2, false));
    o.dst.w[d->imm & (o.n / 2 - 1)] = v;
    simd_writeback(s, d, &o, d->reg);
}

/* PEXTRW r32, mm/xmm, imm8 (zero-extended) */
void op_simd_pextrw(TCGCPU *s, const DecodedInsn *d)
{
    bool mmx = d->imm2 & SSE_MMX;
    X86XMMReg v = { .q = { 0, 0 } };

    if (mmx) {
        fpu_check_mmx(s);
        v.q[0] = mmx_get(s, d->rm);
        fpu_enter_mmx(s);
    } else {
        fpu_check_sse(s);
        v = *xmm_reg(s, d->rm);
    }
    set_reg(s, MO_32, d->reg, v.w[d->imm & (mmx ? 3 : 7)]);
}

/* PMOVMSKB r32, mm/xmm: the bytes' sign bits */
void op_simd_pmovmskb(TCGCPU *s, const DecodedInsn *d)
{
    bool mmx = d->imm2 & SSE_MMX;
    X86XMMReg v;
    uint32_t r = 0;

    if (mmx) {
        fpu_check_mmx(s);
        v.q[0] = mmx_get(s, d->rm);
        fpu_enter_mmx(s);
    } else {
        fpu_check_sse(s);
        v = *xmm_reg(s, d->rm);
    }
    for (int i = 0; i < (mmx ? 8 : 16); i++) {
        r |= (uint32_t)(v.b[i] >> 7) << i;
    }
    set_reg(s, MO_32, d->reg, r);
}

/* MASKMOVQ / MASKMOVDQU: bytes of reg where rm's byte has its sign bit
 * set go to DS:[(E/R)DI] (segment override allowed).  All addresses are
 * checked before the first byte is written. */
void op_simd_maskmov(TCGCPU *s, const DecodedInsn *d)
{
    bool mmx = d->imm2 & SSE_MMX;
    int n = mmx ? 8 : 16;
    X86XMMReg v, m;
    uint64_t ea, lin;
    int seg = d->seg;

    if (mmx) {
        fpu_check_mmx(s);
        v.q[0] = mmx_get(s, d->reg);
        m.q[0] = mmx_get(s, d->rm);
    } else {
        fpu_check_sse(s);
        v = *xmm_reg(s, d->reg);
        m = *xmm_reg(s, d->rm);
    }
    ea = ea_mask(d->aflag, s->env->regs[R_EDI]);
    lin = seg_lin(s, seg, ea, n, true);
    probe_write(s, lin, n);
    for (int i = 0; i < n; i++) {
        if (m.b[i] & 0x80) {
            lin_stb(s, lin + i, v.b[i]);
        }
    }
    if (mmx) {
        fpu_enter_mmx(s);
    }
}

/* MOVQ mm, mm/m64 (b = 0), MOVQ mm/m64, mm (1), MOVNTQ m64, mm (2) */
void op_simd_movq(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_mmx(s);
    if (d->b == 0) {
        uint64_t v = d->mod3 ? mmx_get(s, d->rm) : lin_ldq(s, insn_lin(s, d, 8, false));
        mmx_set(s, d->reg, v);
    } else if (d->mod3) {
        mmx_set(s, d->rm, mmx_get(s, d->reg));
    } else {
        lin_stq(s, insn_lin(s, d, 8, true), mmx_get(s, d->reg));
    }
    fpu_enter_mmx(s);
}
