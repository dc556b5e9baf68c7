/*
 * Compare-and-branch pairs.  A CMP, SUB or TEST followed in its block by
 * a Jcc runs as one handler: it sets the lazy flags as the first
 * instruction would (later code may read them) and decides the branch
 * from its own operands, so the pair costs one dispatch and no reload of
 * the flags.  The Jcc keeps its DecodedInsn; the pair handler finishes
 * through it (s->cur = the Jcc), so block exits, link slots and the
 * instruction count are those of the unfused pair.
 *
 * tb_fuse_insns picks the pairs when a block is decoded.
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

/* The TEST rule for condition c (SDM vol.1 B.1): CF = OF = 0. */
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
static inline __attribute__((always_inline)) void                               \
name(TCGCPU *s, const DecodedInsn *d, int c)                                     \
{                                                                                \
    PAIR_PROLOGUE((wide ? alu64_##src : alu32_##src)[op])                        \
    uint64_t *regs = s->env->regs;                                               \
    type b = #src[1] == 'i' ? (type)d->imm : (type)regs[d->reg];                 \
    type r = alu_compute(s, op, ot, (type)regs[d->rm], b);                       \
    if (op != 7) {                                                               \
        regs[d->rm] = r;                                                         \
    }                                                                            \
    pair_finish(s, j, cc_test_sub(r, b, wide, c));                            \
}

/* CMP with a memory operand: reg - [mem] (rm), [mem] - reg (mr), [mem] - imm (mi). */
#define CMP_MEM_PAIR(name, ot, wide, type, form)                                 \
static inline __attribute__((always_inline)) void                               \
name(TCGCPU *s, const DecodedInsn *d, int c)                                     \
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
    pair_finish(s, j, cc_test_sub(r, b, wide, c));                            \
}

#define TEST_PAIR(name, ot, wide, type, src, unfused)                            \
static inline __attribute__((always_inline)) void                               \
name(TCGCPU *s, const DecodedInsn *d, int c)                                     \
{                                                                                \
    PAIR_PROLOGUE(unfused)                                                       \
    uint64_t *regs = s->env->regs;                                               \
    type b = #src[1] == 'i' ? (type)d->imm : (type)regs[d->reg];                 \
    type r = (type)regs[d->rm] & b;                                              \
    set_cc(s, CC_OP_LOGIC + ot, r, 0);                                           \
    pair_finish(s, j, logic_cond(r, wide, c));                                \
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

/*
 * One handler per condition, so that each tests its condition inline:
 * every condition but O/NO (0, 1) and P/NP (10, 11), which stay unfused
 * (cc_test_sub does not compute them; O after TEST is rare).
 */
#define PAIR_ONE(name, c)                                                        \
static void name##_##c(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                \
    name(s, d, c);                                                               \
}
#define PAIR_CONDS(name)                                                         \
    PAIR_ONE(name, 2) PAIR_ONE(name, 3) PAIR_ONE(name, 4) PAIR_ONE(name, 5)      \
    PAIR_ONE(name, 6) PAIR_ONE(name, 7) PAIR_ONE(name, 8) PAIR_ONE(name, 9)      \
    PAIR_ONE(name, 12) PAIR_ONE(name, 13) PAIR_ONE(name, 14) PAIR_ONE(name, 15)  \
    static const InsnHandler name##_cond[16] = {                                 \
        [2] = name##_2, [3] = name##_3, [4] = name##_4, [5] = name##_5,          \
        [6] = name##_6, [7] = name##_7, [8] = name##_8, [9] = name##_9,          \
        [12] = name##_12, [13] = name##_13, [14] = name##_14, [15] = name##_15,  \
    };

PAIR_CONDS(cmp32_rr_jcc) PAIR_CONDS(cmp32_ri_jcc) PAIR_CONDS(sub32_rr_jcc)
PAIR_CONDS(sub32_ri_jcc) PAIR_CONDS(cmp64_rr_jcc) PAIR_CONDS(cmp64_ri_jcc)
PAIR_CONDS(sub64_rr_jcc) PAIR_CONDS(sub64_ri_jcc)
PAIR_CONDS(cmp32_rm_jcc) PAIR_CONDS(cmp32_mr_jcc) PAIR_CONDS(cmp32_mi_jcc)
PAIR_CONDS(cmp64_rm_jcc) PAIR_CONDS(cmp64_mr_jcc) PAIR_CONDS(cmp64_mi_jcc)
PAIR_CONDS(test32_rr_jcc) PAIR_CONDS(test32_ri_jcc)
PAIR_CONDS(test64_rr_jcc) PAIR_CONDS(test64_ri_jcc)

/* The pairs for a first instruction's handler, by Jcc condition. */
static const InsnHandler *pairs_for(InsnHandler first)
{
    static const struct {
        const InsnHandler *table; /* first == table[op] */
        int op;
        const InsnHandler *pairs;
    } sub_kinds[] = {
        { alu32_rr, 7, cmp32_rr_jcc_cond }, { alu32_ri, 7, cmp32_ri_jcc_cond },
        { alu32_rr, 5, sub32_rr_jcc_cond }, { alu32_ri, 5, sub32_ri_jcc_cond },
        { alu64_rr, 7, cmp64_rr_jcc_cond }, { alu64_ri, 7, cmp64_ri_jcc_cond },
        { alu64_rr, 5, sub64_rr_jcc_cond }, { alu64_ri, 5, sub64_ri_jcc_cond },
        { alu32_rm, 7, cmp32_rm_jcc_cond }, { alu32_mr, 7, cmp32_mr_jcc_cond },
        { alu32_mi, 7, cmp32_mi_jcc_cond },
        { alu64_rm, 7, cmp64_rm_jcc_cond }, { alu64_mr, 7, cmp64_mr_jcc_cond },
        { alu64_mi, 7, cmp64_mi_jcc_cond },
    };
    static const struct { InsnHandler first; const InsnHandler *pairs; } tests[] = {
        { op_test_EG_32r, test32_rr_jcc_cond }, { op_test_EI_32r, test32_ri_jcc_cond },
        { op_test_EG_64r, test64_rr_jcc_cond }, { op_test_EI_64r, test64_ri_jcc_cond },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(sub_kinds); i++) {
        if (first == sub_kinds[i].table[sub_kinds[i].op]) {
            return sub_kinds[i].pairs;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        if (first == tests[i].first) {
            return tests[i].pairs;
        }
    }
    return NULL;
}

void tb_fuse_insns(DecodedInsn *insns, int n)
{
    for (int i = 0; i + 1 < n; i++) {
        DecodedInsn *j = &insns[i + 1];

        if (j->b < 16 && j->handler == op_jcc_cond[j->b]) {
            const InsnHandler *pairs = pairs_for(insns[i].handler);
            if (pairs && pairs[j->b]) {
                insns[i].handler = pairs[j->b];
            }
        }
    }
}

/* Whether h is a pair whose first instruction has only register operands:
 * it writes every flag, reads none and cannot fault before its Jcc. */
bool fused_pair_is_register_form(InsnHandler h)
{
    static const InsnHandler *const tables[] = {
        cmp32_rr_jcc_cond, cmp32_ri_jcc_cond, sub32_rr_jcc_cond, sub32_ri_jcc_cond,
        cmp64_rr_jcc_cond, cmp64_ri_jcc_cond, sub64_rr_jcc_cond, sub64_ri_jcc_cond,
        test32_rr_jcc_cond, test32_ri_jcc_cond, test64_rr_jcc_cond, test64_ri_jcc_cond,
    };

    for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
        for (int c = 0; c < 16; c++) {
            if (tables[t][c] && tables[t][c] == h) {
                return true;
            }
        }
    }
    return false;
}
