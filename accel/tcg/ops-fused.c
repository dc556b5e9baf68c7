/*
 * Compare-and-branch pairs.  A CMP, SUB or TEST followed in its block by
 * a Jcc runs as one handler: it sets the lazy flags as the first
 * instruction would (later code may read them) and decides the branch
 * from its own operands, so the pair costs one dispatch and no reload of
 * the flags.  The Jcc keeps its DecodedInsn; the pair handler finishes
 * through it (s->cur = the Jcc), so block exits, link slots and the
 * instruction count are those of the unfused pair.
 *
 * tb_fuse_insns picks the pairs when a block is decoded.  Only conditions
 * that cc_test_sub (CMP/SUB) or the logic rule (TEST: CF = OF = 0) decide
 * from the operands are fused; overflow and parity tests stay apart.
 */
#include "ops.h"

/*
 * Run the pair, or, where that would go past the block's end (one
 * instruction only, after STI or MOV SS), the first instruction alone:
 * 'unfused' is its ordinary handler, which also takes any slow path.
 */
#define PAIR_PROLOGUE(unfused)                                                   \
    const DecodedInsn *j = d + 1;                                                \
    if (G_UNLIKELY(j >= s->end)) {                                               \
        (unfused)(s, d);                                                         \
        return;                                                                  \
    }

static inline void pair_finish(TCGCPU *s, const DecodedInsn *j, bool taken)
{
    s->cur = j;
    jcc_finish(s, j, taken);
}

/* The TEST rule for condition c (SDM vol.1 B.1), result dst of width w. */
static inline bool logic_cond(uint64_t dst, bool wide, int c)
{
    bool zero = wide ? dst == 0 : (uint32_t)dst == 0;
    bool neg = wide ? (int64_t)dst < 0 : (int32_t)dst < 0;
    bool r;

    switch (c >> 1) {
    case 1: r = false; break;               /* B: CF */
    case 2: r = zero; break;                /* Z */
    case 3: r = zero; break;                /* BE: CF | ZF */
    case 4: r = neg; break;                 /* S */
    case 6: r = neg; break;                 /* L: SF != OF */
    default: r = zero || neg; break;        /* LE */
    }
    return r ^ (c & 1);
}

/* CMP/SUB of register operands or a register and an immediate. */
#define SUB_REG_PAIR(name, op, ot, wide, type, src)                              \
static void name(TCGCPU *s, const DecodedInsn *d)                                \
{                                                                                \
    PAIR_PROLOGUE((wide ? alu64_##src : alu32_##src)[op])                        \
    uint64_t *regs = s->env->regs;                                               \
    type b = #src[1] == 'i' ? (type)d->imm : (type)regs[d->reg];                 \
    type r = alu_compute(s, op, ot, (type)regs[d->rm], b);                       \
    if (op != 7) {                                                               \
        regs[d->rm] = r;                                                         \
    }                                                                            \
    pair_finish(s, j, cc_test_sub(r, b, wide, j->b));                            \
}

/* CMP with a memory operand: reg - [mem] (rm), [mem] - reg (mr), [mem] - imm (mi). */
#define CMP_MEM_PAIR(name, ot, wide, type, form)                                 \
static void name(TCGCPU *s, const DecodedInsn *d)                                \
{                                                                                \
    PAIR_PROLOGUE((wide ? alu64_##form : alu32_##form)[7])                       \
    void *p;                                                                     \
    if (G_UNLIKELY(!fast_mem(s, d, 1 << ot, false, &p))) {                       \
        (wide ? alu64_##form : alu32_##form)[7](s, d);                           \
        return;                                                                  \
    }                                                                            \
    type m = wide ? ldq_host(p) : ldl_host(p);                                   \
    type a, b;                                                                   \
    if (#form[0] == 'r') {                                                       \
        a = (type)s->env->regs[d->reg], b = m;                                   \
    } else {                                                                     \
        a = m, b = #form[1] == 'i' ? (type)d->imm : (type)s->env->regs[d->reg];  \
    }                                                                            \
    type r = alu_compute(s, 7, ot, a, b);                                        \
    pair_finish(s, j, cc_test_sub(r, b, wide, j->b));                            \
}

#define TEST_PAIR(name, ot, wide, type, src, unfused)                            \
static void name(TCGCPU *s, const DecodedInsn *d)                                \
{                                                                                \
    PAIR_PROLOGUE(unfused)                                                       \
    uint64_t *regs = s->env->regs;                                               \
    type b = #src[1] == 'i' ? (type)d->imm : (type)regs[d->reg];                 \
    type r = (type)regs[d->rm] & b;                                              \
    set_cc(s, CC_OP_LOGIC + ot, r, 0);                                           \
    pair_finish(s, j, logic_cond(r, wide, j->b));                                \
}

SUB_REG_PAIR(cmp32_rr_jcc, 7, MO_32, false, uint32_t, rr)
SUB_REG_PAIR(cmp32_ri_jcc, 7, MO_32, false, uint32_t, ri)
SUB_REG_PAIR(sub32_rr_jcc, 5, MO_32, false, uint32_t, rr)
SUB_REG_PAIR(sub32_ri_jcc, 5, MO_32, false, uint32_t, ri)
SUB_REG_PAIR(cmp64_rr_jcc, 7, MO_64, true, uint64_t, rr)
SUB_REG_PAIR(cmp64_ri_jcc, 7, MO_64, true, uint64_t, ri)
SUB_REG_PAIR(sub64_rr_jcc, 5, MO_64, true, uint64_t, rr)
SUB_REG_PAIR(sub64_ri_jcc, 5, MO_64, true, uint64_t, ri)
CMP_MEM_PAIR(cmp32_rm_jcc, MO_32, false, uint32_t, rm)
CMP_MEM_PAIR(cmp32_mr_jcc, MO_32, false, uint32_t, mr)
CMP_MEM_PAIR(cmp32_mi_jcc, MO_32, false, uint32_t, mi)
CMP_MEM_PAIR(cmp64_rm_jcc, MO_64, true, uint64_t, rm)
CMP_MEM_PAIR(cmp64_mr_jcc, MO_64, true, uint64_t, mr)
CMP_MEM_PAIR(cmp64_mi_jcc, MO_64, true, uint64_t, mi)
TEST_PAIR(test32_rr_jcc, MO_32, false, uint32_t, rr, op_test_EG_32r)
TEST_PAIR(test32_ri_jcc, MO_32, false, uint32_t, ri, op_test_EI_32r)
TEST_PAIR(test64_rr_jcc, MO_64, true, uint64_t, rr, op_test_EG_64r)
TEST_PAIR(test64_ri_jcc, MO_64, true, uint64_t, ri, op_test_EI_64r)

/* Which conditions each kind decides from its operands (bit c = Jcc c). */
#define SUB_CONDS  0xf3fcu  /* not O/NO (0, 1), P/NP (10, 11) */
#define TEST_CONDS 0xf3fcu  /* the same: O is always 0, but rare after TEST */

static const struct {
    const InsnHandler *table; /* the first instruction's handler: table[op] */
    int op;
    InsnHandler pair;
    unsigned conds;
} pair_kinds[] = {
    { alu32_rr, 7, cmp32_rr_jcc, SUB_CONDS }, { alu32_ri, 7, cmp32_ri_jcc, SUB_CONDS },
    { alu32_rr, 5, sub32_rr_jcc, SUB_CONDS }, { alu32_ri, 5, sub32_ri_jcc, SUB_CONDS },
    { alu64_rr, 7, cmp64_rr_jcc, SUB_CONDS }, { alu64_ri, 7, cmp64_ri_jcc, SUB_CONDS },
    { alu64_rr, 5, sub64_rr_jcc, SUB_CONDS }, { alu64_ri, 5, sub64_ri_jcc, SUB_CONDS },
    { alu32_rm, 7, cmp32_rm_jcc, SUB_CONDS }, { alu32_mr, 7, cmp32_mr_jcc, SUB_CONDS },
    { alu32_mi, 7, cmp32_mi_jcc, SUB_CONDS },
    { alu64_rm, 7, cmp64_rm_jcc, SUB_CONDS }, { alu64_mr, 7, cmp64_mr_jcc, SUB_CONDS },
    { alu64_mi, 7, cmp64_mi_jcc, SUB_CONDS },
};

static InsnHandler pair_for(InsnHandler first, unsigned cond)
{
    static const struct { InsnHandler first, pair; } tests[] = {
        { op_test_EG_32r, test32_rr_jcc }, { op_test_EI_32r, test32_ri_jcc },
        { op_test_EG_64r, test64_rr_jcc }, { op_test_EI_64r, test64_ri_jcc },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(pair_kinds); i++) {
        if (first == pair_kinds[i].table[pair_kinds[i].op]) {
            return (pair_kinds[i].conds >> cond) & 1 ? pair_kinds[i].pair : NULL;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        if (first == tests[i].first) {
            return (TEST_CONDS >> cond) & 1 ? tests[i].pair : NULL;
        }
    }
    return NULL;
}

void tb_fuse_insns(DecodedInsn *insns, int n)
{
    for (int i = 0; i + 1 < n; i++) {
        DecodedInsn *j = &insns[i + 1];

        if (j->b < 16 && j->handler == op_jcc_cond[j->b]) {
            InsnHandler pair = pair_for(insns[i].handler, j->b);
            if (pair) {
                insns[i].handler = pair;
            }
        }
    }
}
