/*
 * Lazy condition codes.  Flag-setting instructions only record their
 * operands (cc_op, cc_dst = result, cc_src = second operand, cc_src2 =
 * carry in); EFLAGS is computed when something reads it.
 *
 * Undefined flags (SDM vol.1 appendix A) are computed one fixed way:
 * logic ops clear AF; multiplies set SF/ZF/PF from the low half and
 * clear AF; multi-bit shifts compute OF as for a 1-bit shift.
 */
#include "tcg-cpu.h"

static inline uint32_t parity(uint64_t v)
{
    return __builtin_parity((uint8_t)v) ? 0 : CC_P;
}

static inline uint32_t szp(int ot, uint64_t dst)
{
    uint64_t m = size_mask(ot);
    uint32_t f = parity(dst);

    if ((dst & m) == 0) {
        f |= CC_Z;
    }
    if ((dst >> ((8 << ot) - 1)) & 1) {
        f |= CC_S;
    }
    return f;
}

static inline uint64_t msb(int ot, uint64_t v)
{
    return (v >> ((8 << ot) - 1)) & 1;
}

uint32_t cc_compute_all(TCGCPU *s)
{
    int op = s->cc_op & ~3, ot = s->cc_op & 3;
    uint64_t m = size_mask(ot);
    uint64_t dst = s->cc_dst & m, src = s->cc_src & m, src1;
    uint32_t f;

    switch (op) {
    case CC_OP_EFLAGS:
        return s->cc_src & CC_ALL;
    case CC_OP_ADD:
    case CC_OP_ADC: {
        uint64_t cin = op == CC_OP_ADC ? (s->cc_src2 & 1) : 0;
        src1 = (dst - src - cin) & m;
        f = szp(ot, dst) | ((dst ^ src ^ src1) & CC_A);
        if (cin ? dst <= src1 : dst < src1) {
            f |= CC_C;
        }
        if (msb(ot, (src1 ^ dst) & (src ^ dst))) {
            f |= CC_O;
        }
        return f;
    }
    case CC_OP_SUB:
    case CC_OP_SBB: {
        uint64_t bin = op == CC_OP_SBB ? (s->cc_src2 & 1) : 0;
        src1 = (dst + src + bin) & m;
        f = szp(ot, dst) | ((dst ^ src ^ src1) & CC_A);
        if (bin ? src1 <= src : src1 < src) {
            f |= CC_C;
        }
        if (msb(ot, (src1 ^ src) & (src1 ^ dst))) {
            f |= CC_O;
        }
        return f;
    }
    case CC_OP_LOGIC:
        return szp(ot, dst);
    case CC_OP_INC:
        /* cc_src holds the carry flag from before (INC leaves CF alone) */
        f = szp(ot, dst) | (s->cc_src & CC_C);
        if ((dst & 0xf) == 0) {
            f |= CC_A;
        }
        if (dst == (m >> 1) + 1) {
            f |= CC_O;
        }
        return f;
    case CC_OP_DEC:
        f = szp(ot, dst) | (s->cc_src & CC_C);
        if ((dst & 0xf) == 0xf) {
            f |= CC_A;
        }
        if (dst == m >> 1) {
            f |= CC_O;
        }
        return f;
    case CC_OP_SHL:
        /* cc_src = operand shifted by count-1: its top bit went to CF */
        f = szp(ot, dst) | (msb(ot, src) ? CC_C : 0);
        if (msb(ot, src) ^ msb(ot, dst)) {
            f |= CC_O;
        }
        return f;
    case CC_OP_SAR:
        /* cc_src = operand shifted by count-1: bit 0 went to CF.
         * OF: SHR sets it to the original top bit, SAR clears it; both
         * are msb(src ^ dst) for count 1 since dst = src >> 1. */
        f = szp(ot, dst) | (src & 1 ? CC_C : 0);
        if (msb(ot, src ^ dst)) {
            f |= CC_O;
        }
        return f;
    case CC_OP_MUL:
        f = szp(ot, dst);
        if (s->cc_src) {
            f |= CC_C | CC_O;
        }
        return f;
    default:
        g_assert_not_reached();
    }
}

uint32_t cc_compute_c(TCGCPU *s)
{
    int op = s->cc_op & ~3, ot = s->cc_op & 3;
    uint64_t m = size_mask(ot);
    uint64_t dst = s->cc_dst & m, src = s->cc_src & m;

    switch (op) {
    case CC_OP_ADD:
        return dst < src;
    case CC_OP_SUB:
        return ((dst + src) & m) < src;
    case CC_OP_LOGIC:
        return 0;
    case CC_OP_INC:
    case CC_OP_DEC:
        return s->cc_src & CC_C;
    default:
        return cc_compute_all(s) & CC_C;
    }
}

/* Jcc/SETcc/CMOVcc condition (SDM vol.1 appendix B), with fast paths for
 * the compare-and-branch and test-and-branch cases. */
bool cc_test(TCGCPU *s, int cond)
{
    bool r;
    int ot = s->cc_op & 3;

    if ((s->cc_op & ~3) == CC_OP_SUB) {
        uint64_t m = size_mask(ot);
        uint64_t dst = s->cc_dst & m, src = s->cc_src & m;
        uint64_t src1 = (dst + src) & m;
        int64_t a = sext(ot, src1), b = sext(ot, src);
        switch (cond >> 1) {
        case 1: r = src1 < src; goto done;              /* B */
        case 2: r = dst == 0; goto done;                /* Z */
        case 3: r = src1 <= src; goto done;             /* BE */
        case 4: r = msb(ot, dst); goto done;            /* S */
        case 6: r = a < b; goto done;                   /* L */
        case 7: r = a <= b; goto done;                  /* LE */
        default: break;
        }
    } else if ((s->cc_op & ~3) == CC_OP_LOGIC) {
        uint64_t dst = s->cc_dst & size_mask(ot);
        switch (cond >> 1) {
        case 0: r = false; goto done;                   /* O */
        case 1: r = false; goto done;                   /* B */
        case 2: r = dst == 0; goto done;                /* Z */
        case 3: r = dst == 0; goto done;                /* BE */
        case 4: r = msb(ot, dst); goto done;            /* S */
        case 6: r = msb(ot, dst); goto done;            /* L: SF != OF=0 */
        case 7: r = dst == 0 || msb(ot, dst); goto done;
        default: break;
        }
    }
    {
        uint32_t f = cc_compute_all(s);
        switch (cond >> 1) {
        case 0: r = f & CC_O; break;
        case 1: r = f & CC_C; break;
        case 2: r = f & CC_Z; break;
        case 3: r = f & (CC_C | CC_Z); break;
        case 4: r = f & CC_S; break;
        case 5: r = f & CC_P; break;
        case 6: r = !!(f & CC_S) != !!(f & CC_O); break;
        default: r = (f & CC_Z) || (!!(f & CC_S) != !!(f & CC_O)); break;
        }
    }
done:
    return r ^ (cond & 1);
}

uint32_t cpu_compute_eflags(TCGCPU *s)
{
    uint32_t f = (s->env->eflags & ~CC_ALL) | cc_compute_all(s) | 0x2;

    s->env->eflags = f;
    return f;
}

void cpu_load_eflags(TCGCPU *s, uint32_t val, uint32_t mask)
{
    uint32_t f = cpu_compute_eflags(s);

    f = (f & ~mask) | (val & mask);
    s->env->eflags = f | 0x2;
    set_cc_flags(s, f);
    if (G_UNLIKELY((f & (TF_MASK | RF_MASK)) || s->debug_active)) {
        tcg_update_debug(s);
    }
}
