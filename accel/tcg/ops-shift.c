/*
 * Shifts and rotates (group 2), SHLD/SHRD, BT/BTS/BTR/BTC, BSF/BSR,
 * LZCNT and POPCNT where CPUID has them.
 * Undefined results are fixed: OF for counts > 1 is computed as for a
 * 1-bit shift; BSF/BSR with a zero source leave the destination alone;
 * SHLD/SHRD of 16-bit operands by more than 16 shift in from the
 * 32-bit concatenation.
 */
#include "ops.h"

static inline uint64_t msb_of(int ot, uint64_t v)
{
    return (v >> ((8 << ot) - 1)) & 1;
}

/* Group-2 operation d->b on v by count (already masked to 5/6 bits, != 0). */
static uint64_t do_shift(TCGCPU *s, int op, int ot, uint64_t v, unsigned count)
{
    int bits = 8 << ot;
    uint64_t m = size_mask(ot), r;
    uint32_t f;

    v &= m;
    switch (op) {
    case 0: /* ROL */
    case 1: { /* ROR */
        unsigned c = count & (bits - 1);
        if (c == 0) {
            r = v; /* a whole turn: only the flags change */
        } else {
            r = op == 0 ? ((v << c) | (v >> (bits - c))) & m
                        : ((v >> c) | (v << (bits - c))) & m;
        }
        f = cc_compute_all(s) & ~(CC_C | CC_O);
        if (op == 0) {
            f |= (r & 1) ? CC_C : 0;
            f |= (msb_of(ot, r) ^ (r & 1)) ? CC_O : 0;
        } else {
            f |= msb_of(ot, r) ? CC_C : 0;
            f |= (msb_of(ot, r) ^ ((r >> (bits - 2)) & 1)) ? CC_O : 0;
        }
        set_cc_flags(s, f);
        return r;
    }
    case 2: /* RCL */
    case 3: { /* RCR */
        unsigned c = ot == MO_8 ? count % 9 : ot == MO_16 ? count % 17 : count;
        f = cc_compute_all(s);
        uint64_t cf = f & CC_C;
        r = v;
        for (unsigned i = 0; i < c; i++) {
            uint64_t out;
            if (op == 2) {
                out = msb_of(ot, r);
                r = ((r << 1) | cf) & m;
            } else {
                out = r & 1;
                r = (r >> 1) | (cf << (bits - 1));
            }
            cf = out;
        }
        f &= ~(CC_C | CC_O);
        f |= cf ? CC_C : 0;
        if (op == 2) {
            f |= (msb_of(ot, r) ^ cf) ? CC_O : 0;
        } else {
            f |= (msb_of(ot, r) ^ ((r >> (bits - 2)) & 1)) ? CC_O : 0;
        }
        set_cc_flags(s, f);
        return r;
    }
    case 4:
    case 6: /* SHL/SAL */
        r = count >= 64 ? 0 : (v << count) & m;
        set_cc(s, CC_OP_SHL + ot, r, count - 1 >= 64 ? 0 : v << (count - 1));
        return r;
    case 5: /* SHR */
        r = count >= 64 ? 0 : v >> count;
        set_cc(s, CC_OP_SAR + ot, r, count - 1 >= 64 ? 0 : v >> (count - 1));
        return r;
    default: { /* SAR */
        int64_t sv = sext(ot, v);
        unsigned c = count > 63 ? 63 : count;
        r = (uint64_t)(sv >> c) & m;
        set_cc(s, CC_OP_SAR + ot, r, (uint64_t)(sv >> (c - 1)));
        return r;
    }
    }
}

static void shift_E(TCGCPU *s, const DecodedInsn *d, unsigned count)
{
    int ot = d->ot;

    count &= ot == MO_64 ? 0x3f : 0x1f;
    if (count == 0) {
        /* no flags change, no memory write; a 32-bit register is still
         * written, i.e. zero-extended in 64-bit mode */
        if (d->mod3 && ot == MO_32) {
            set_reg(s, MO_32, d->rm, get_reg(s, MO_32, d->rm));
        }
        return;
    }
    if (d->mod3) {
        set_reg(s, ot, d->rm, do_shift(s, d->b, ot, get_reg(s, ot, d->rm), count));
        return;
    }
    uint64_t lin = insn_lin(s, d, 1 << ot, true);
    probe_write(s, lin, 1 << ot);
    lin_st(s, ot, lin, do_shift(s, d->b, ot, lin_ld(s, ot, lin), count));
}

void op_shift_E1(TCGCPU *s, const DecodedInsn *d) { shift_E(s, d, 1); }
void op_shift_ECL(TCGCPU *s, const DecodedInsn *d) { shift_E(s, d, s->env->regs[R_ECX] & 0xff); }
void op_shift_EI(TCGCPU *s, const DecodedInsn *d) { shift_E(s, d, d->imm); }

/*
 * SHL/SHR/SAR of a 32- or 64-bit register by imm8 or CL (threaded: see
 * dispatch_next), with do_shift's flags.  A count that masks to 0 changes
 * no flags; the register is still written, so a 32-bit one is
 * zero-extended in 64-bit mode.
 */
#define DEFINE_SHIFT_R(name, type, stype, mask, count_expr, op, compute)       \
void name(TCGCPU *s, const DecodedInsn *d)                                      \
{                                                                               \
    uint64_t *regs = s->env->regs;                                              \
    unsigned count = (count_expr) & (mask);                                     \
    type v = (type)regs[d->rm];                                                 \
    type r;                                                                     \
    uint64_t src;                                                               \
                                                                                \
    compute;                                                                    \
    regs[d->rm] = r;                                                            \
    if (count) {                                                                \
        set_cc(s, op, r, src);                                                  \
    }                                                                           \
    dispatch_next(s, d);                                                        \
}

/* the bit shifted out last sits in src's low bit (SAR/SHR) or msb (SHL) */
#define SHL_R(type) r = (type)(v << count); src = count ? (uint64_t)(type)(v << (count - 1)) : 0
#define SHR_R(type) r = v >> count; src = count ? (uint64_t)(v >> (count - 1)) : 0
#define SAR_R(type, stype) \
    r = (type)((stype)v >> count); src = count ? (uint64_t)(type)((stype)v >> (count - 1)) : 0

DEFINE_SHIFT_R(op_shl_32ri, uint32_t, int32_t, 0x1f, d->imm, CC_OP_SHL + MO_32, SHL_R(uint32_t))
DEFINE_SHIFT_R(op_shr_32ri, uint32_t, int32_t, 0x1f, d->imm, CC_OP_SAR + MO_32, SHR_R(uint32_t))
DEFINE_SHIFT_R(op_sar_32ri, uint32_t, int32_t, 0x1f, d->imm, CC_OP_SAR + MO_32,
               SAR_R(uint32_t, int32_t))
DEFINE_SHIFT_R(op_shl_32rc, uint32_t, int32_t, 0x1f, regs[R_ECX], CC_OP_SHL + MO_32,
               SHL_R(uint32_t))
DEFINE_SHIFT_R(op_shr_32rc, uint32_t, int32_t, 0x1f, regs[R_ECX], CC_OP_SAR + MO_32,
               SHR_R(uint32_t))
DEFINE_SHIFT_R(op_sar_32rc, uint32_t, int32_t, 0x1f, regs[R_ECX], CC_OP_SAR + MO_32,
               SAR_R(uint32_t, int32_t))
DEFINE_SHIFT_R(op_shl_64ri, uint64_t, int64_t, 0x3f, d->imm, CC_OP_SHL + MO_64, SHL_R(uint64_t))
DEFINE_SHIFT_R(op_shr_64ri, uint64_t, int64_t, 0x3f, d->imm, CC_OP_SAR + MO_64, SHR_R(uint64_t))
DEFINE_SHIFT_R(op_sar_64ri, uint64_t, int64_t, 0x3f, d->imm, CC_OP_SAR + MO_64,
               SAR_R(uint64_t, int64_t))

/* By a nonzero immediate count with the flags unused (flags-dead.c) */
#define DEFINE_SHIFT_RI_NF(name, type, mask, expr)                              \
void name(TCGCPU *s, const DecodedInsn *d)                                      \
{                                                                               \
    uint64_t *regs = s->env->regs;                                              \
    unsigned count = d->imm & (mask);                                           \
    type v = (type)regs[d->rm];                                                 \
    regs[d->rm] = (type)(expr);                                                 \
    dispatch_next(s, d);                                                        \
}
DEFINE_SHIFT_RI_NF(op_shl_32ri_nf, uint32_t, 0x1f, v << count)
DEFINE_SHIFT_RI_NF(op_shr_32ri_nf, uint32_t, 0x1f, v >> count)
DEFINE_SHIFT_RI_NF(op_sar_32ri_nf, uint32_t, 0x1f, (int32_t)v >> count)
DEFINE_SHIFT_RI_NF(op_shl_64ri_nf, uint64_t, 0x3f, v << count)
DEFINE_SHIFT_RI_NF(op_shr_64ri_nf, uint64_t, 0x3f, v >> count)
DEFINE_SHIFT_RI_NF(op_sar_64ri_nf, uint64_t, 0x3f, (int64_t)v >> count)
DEFINE_SHIFT_R(op_shl_64rc, uint64_t, int64_t, 0x3f, regs[R_ECX], CC_OP_SHL + MO_64,
               SHL_R(uint64_t))
DEFINE_SHIFT_R(op_shr_64rc, uint64_t, int64_t, 0x3f, regs[R_ECX], CC_OP_SAR + MO_64,
               SHR_R(uint64_t))
DEFINE_SHIFT_R(op_sar_64rc, uint64_t, int64_t, 0x3f, regs[R_ECX], CC_OP_SAR + MO_64,
               SAR_R(uint64_t, int64_t))

/* ---- SHLD/SHRD ---- */
static void shxd(TCGCPU *s, const DecodedInsn *d, unsigned count, bool left)
{
    int ot = d->ot, bits = 8 << ot;
    uint64_t m = size_mask(ot);

    count &= ot == MO_64 ? 0x3f : 0x1f;
    if (count == 0) {
        if (d->mod3 && ot == MO_32) {
            set_reg(s, MO_32, d->rm, get_reg(s, MO_32, d->rm)); /* zero-extended */
        }
        return;
    }
    uint64_t lin = 0, dest;
    if (d->mod3) {
        dest = get_reg(s, ot, d->rm);
    } else {
        lin = insn_lin(s, d, 1 << ot, true);
        probe_write(s, lin, 1 << ot);
        dest = lin_ld(s, ot, lin);
    }
    uint64_t src = get_reg(s, ot, d->reg), r, cc_src;
    if (ot == MO_16) {
        /* dest:src:dest, as 48 bits, so counts up to 31 are defined here */
        uint64_t wide = left ? (dest << 32) | (src << 16) | dest
                             : (dest << 32) | (src << 16) | dest;
        if (left) {
            r = (wide << count) >> 32;
            cc_src = (wide << (count - 1)) >> 32;
        } else {
            uint64_t w2 = (dest) | (src << 16) | (dest << 32);
            r = w2 >> count;
            cc_src = w2 >> (count - 1);
        }
        r &= m;
    } else if (left) {
        unsigned __int128 wide = ((unsigned __int128)dest << bits) | src;
        r = (uint64_t)((wide << count) >> bits) & m;
        cc_src = (uint64_t)((wide << (count - 1)) >> bits);
    } else {
        unsigned __int128 wide = ((unsigned __int128)src << bits) | dest;
        r = (uint64_t)(wide >> count) & m;
        cc_src = (uint64_t)(wide >> (count - 1));
    }
    if (d->mod3) {
        set_reg(s, ot, d->rm, r);
    } else {
        lin_st(s, ot, lin, r);
    }
    set_cc(s, (left ? CC_OP_SHL : CC_OP_SAR) + ot, r, cc_src);
}

void op_shld_I(TCGCPU *s, const DecodedInsn *d) { shxd(s, d, d->imm, true); }
void op_shld_CL(TCGCPU *s, const DecodedInsn *d) { shxd(s, d, s->env->regs[R_ECX], true); }
void op_shrd_I(TCGCPU *s, const DecodedInsn *d) { shxd(s, d, d->imm, false); }
void op_shrd_CL(TCGCPU *s, const DecodedInsn *d) { shxd(s, d, s->env->regs[R_ECX], false); }

/* ---- BT/BTS/BTR/BTC: d->b = 0 test, 1 set, 2 reset, 3 complement ---- */
static void bt_common(TCGCPU *s, const DecodedInsn *d, int64_t bitoff, bool from_reg)
{
    int ot = d->ot, bits = 8 << ot;
    uint64_t v, lin = 0;
    unsigned bit;

    if (d->mod3) {
        bit = bitoff & (bits - 1);
        v = get_reg(s, ot, d->rm);
    } else {
        uint64_t ea = insn_ea(s, d);
        if (from_reg) {
            /* the register offset is signed and may leave the operand */
            ea = ea_mask(d->aflag, ea + ((uint64_t)(bitoff >> (3 + ot)) << ot));
        }
        bit = bitoff & (bits - 1);
        lin = seg_lin(s, d->seg, ea, 1 << ot, d->b != 0);
        if (d->b != 0) {
            probe_write(s, lin, 1 << ot);
        }
        v = lin_ld(s, ot, lin);
    }
    uint32_t f = cc_compute_all(s) & ~CC_C;
    if ((v >> bit) & 1) {
        f |= CC_C;
    }
    if (d->b != 0) {
        uint64_t mask = 1ull << bit;
        v = d->b == 1 ? v | mask : d->b == 2 ? v & ~mask : v ^ mask;
        if (d->mod3) {
            set_reg(s, ot, d->rm, v);
        } else {
            lin_st(s, ot, lin, v);
        }
    }
    set_cc_flags(s, f);
}

void op_bt_EG(TCGCPU *s, const DecodedInsn *d)
{
    bt_common(s, d, sext(d->ot, get_reg(s, d->ot, d->reg)), true);
}

void op_bt_EI(TCGCPU *s, const DecodedInsn *d)
{
    bt_common(s, d, d->imm & 0xff, false);
}

void op_bsf(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t v = ld_E(s, d, d->ot);
    uint32_t f = cc_compute_all(s) & ~CC_Z;

    if (v == 0) {
        f |= CC_Z;
    } else {
        set_reg(s, d->ot, d->reg, __builtin_ctzll(v));
    }
    set_cc_flags(s, f);
}

/* F3 0F BD is LZCNT on CPUs with ABM, BSR (the prefix ignored) elsewhere. */
static void lzcnt(TCGCPU *s, const DecodedInsn *d)
{
    int bits = 8 << d->ot;
    uint64_t v = ld_E(s, d, d->ot);
    unsigned n = v ? __builtin_clzll(v) - (64 - bits) : bits;

    set_reg(s, d->ot, d->reg, n);
    set_cc_flags(s, (cc_compute_all(s) & ~(CC_C | CC_Z)) | (n == (unsigned)bits ? CC_C : 0) |
                    (n == 0 ? CC_Z : 0));
}

void op_bsr(TCGCPU *s, const DecodedInsn *d)
{
    if ((d->prefix & PREFIX_REPZ) && cpu_has(s, FEAT_8000_0001_ECX, CPUID_EXT3_ABM)) {
        lzcnt(s, d);
        return;
    }
    uint64_t v = ld_E(s, d, d->ot);
    uint32_t f = cc_compute_all(s) & ~CC_Z;

    if (v == 0) {
        f |= CC_Z;
    } else {
        set_reg(s, d->ot, d->reg, 63 - __builtin_clzll(v));
    }
    set_cc_flags(s, f);
}

/* POPCNT (F3 0F B8): OF SF AF CF PF cleared, ZF for a zero source. */
void op_popcnt(TCGCPU *s, const DecodedInsn *d)
{
    if (!(d->prefix & PREFIX_REPZ) || !cpu_has(s, FEAT_1_ECX, CPUID_EXT_POPCNT)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t v = ld_E(s, d, d->ot);
    set_reg(s, d->ot, d->reg, __builtin_popcountll(v));
    set_cc_flags(s, v ? 0 : CC_Z);
}
