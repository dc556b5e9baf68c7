/*
 * Arithmetic: ADD..CMP, TEST, INC/DEC, NOT/NEG, MUL/IMUL/DIV/IDIV,
 * CMPXCHG/CMPXCHG8B/CMPXCHG16B/XADD, the BCD adjusts, CBW/CWD (SDM vol.2).
 * Division leaves the flags unchanged (they are undefined).
 */
#include "ops.h"

void op_alu_EG(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t b = get_reg(s, ot, d->reg);

    if (d->mod3) {
        uint64_t r = alu_compute(s, d->b, ot, get_reg(s, ot, d->rm), b);
        if (d->b != 7) {
            set_reg(s, ot, d->rm, r);
        }
        return;
    }
    uint64_t lin = insn_lin(s, d, 1 << ot, d->b != 7);
    if (d->b != 7) {
        probe_write(s, lin, 1 << ot); /* fault before the flags change */
    }
    uint64_t r = alu_compute(s, d->b, ot, lin_ld(s, ot, lin), b);
    if (d->b != 7) {
        lin_st(s, ot, lin, r);
    }
}

void op_alu_GE(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t r = alu_compute(s, d->b, ot, get_reg(s, ot, d->reg), ld_E(s, d, ot));

    if (d->b != 7) {
        set_reg(s, ot, d->reg, r);
    }
}

void op_alu_EI(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;

    if (d->mod3) {
        uint64_t r = alu_compute(s, d->b, ot, get_reg(s, ot, d->rm), d->imm);
        if (d->b != 7) {
            set_reg(s, ot, d->rm, r);
        }
        return;
    }
    uint64_t lin = insn_lin(s, d, 1 << ot, d->b != 7);
    if (d->b != 7) {
        probe_write(s, lin, 1 << ot);
    }
    uint64_t r = alu_compute(s, d->b, ot, lin_ld(s, ot, lin), d->imm);
    if (d->b != 7) {
        lin_st(s, ot, lin, r);
    }
}

void op_alu_AI(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    unsigned acc = 0; /* AL / AX / EAX / RAX all start at offset 0 */
    uint64_t r = alu_compute(s, d->b, ot, get_reg(s, ot, acc), d->imm);

    if (d->b != 7) {
        set_reg(s, ot, acc, r);
    }
}

/* ---- specialised 32-bit and 64-bit forms (threaded: see dispatch_next) ---- */
DEFINE_SLOW_PATH(alu32_GE_slow, op_alu_GE)
DEFINE_SLOW_PATH(alu32_EG_slow, op_alu_EG)
DEFINE_SLOW_PATH(alu32_EI_slow, op_alu_EI)

#define ALU32_HANDLERS(op)                                                          \
static void alu32_rr_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    uint32_t r = alu_compute(s, op, MO_32, (uint32_t)regs[d->rm], (uint32_t)regs[d->reg]); \
    if (op != 7) {                                                                  \
        regs[d->rm] = r;                                                            \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu32_rm_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {                                \
        alu32_GE_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint32_t r = alu_compute(s, op, MO_32, (uint32_t)regs[d->reg], ldl_host(p));    \
    if (op != 7) {                                                                  \
        regs[d->reg] = r;                                                           \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu32_mr_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 4, op != 7, &p))) {                              \
        alu32_EG_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint32_t r = alu_compute(s, op, MO_32, ldl_host(p), (uint32_t)s->env->regs[d->reg]); \
    if (op != 7) {                                                                  \
        stl_host(p, r);                                                             \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu32_ri_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    uint32_t r = alu_compute(s, op, MO_32, (uint32_t)regs[d->rm], (uint32_t)d->imm); \
    if (op != 7) {                                                                  \
        regs[d->rm] = r;                                                            \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu32_mi_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 4, op != 7, &p))) {                              \
        alu32_EI_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint32_t r = alu_compute(s, op, MO_32, ldl_host(p), (uint32_t)d->imm);          \
    if (op != 7) {                                                                  \
        stl_host(p, r);                                                             \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}
ALU32_HANDLERS(0) ALU32_HANDLERS(1) ALU32_HANDLERS(2) ALU32_HANDLERS(3)
ALU32_HANDLERS(4) ALU32_HANDLERS(5) ALU32_HANDLERS(6) ALU32_HANDLERS(7)

/*
 * The register forms less the flags, for where a later instruction of the
 * block writes every flag before anything reads them (flags-dead.c).  Only
 * the operations that write all six flags and read none: not ADC/SBB.
 */
static inline uint64_t alu_result(int op, uint64_t a, uint64_t b)
{
    switch (op) {
    case 0: return a + b;
    case 1: return a | b;
    case 4: return a & b;
    case 6: return a ^ b;
    default: return a - b; /* 5: sub */
    }
}

#define ALU_NF_HANDLERS(bits, op)                                                   static void alu##bits##_rr_nf_##op(TCGCPU *s, const DecodedInsn *d)                 {                                                                                       uint64_t *regs = s->env->regs;                                                      regs[d->rm] = (uint##bits##_t)alu_result(op, regs[d->rm], regs[d->reg]);            dispatch_next(s, d);                                                            }                                                                                   static void alu##bits##_ri_nf_##op(TCGCPU *s, const DecodedInsn *d)                 {                                                                                       uint64_t *regs = s->env->regs;                                                      regs[d->rm] = (uint##bits##_t)alu_result(op, regs[d->rm], d->imm);                  dispatch_next(s, d);                                                            }
ALU_NF_HANDLERS(32, 0) ALU_NF_HANDLERS(32, 1) ALU_NF_HANDLERS(32, 4)
ALU_NF_HANDLERS(32, 5) ALU_NF_HANDLERS(32, 6)
ALU_NF_HANDLERS(64, 0) ALU_NF_HANDLERS(64, 1) ALU_NF_HANDLERS(64, 4)
ALU_NF_HANDLERS(64, 5) ALU_NF_HANDLERS(64, 6)

/* CMP and TEST with their flags unused do nothing */
void op_flags_only_nf(TCGCPU *s, const DecodedInsn *d)
{
    dispatch_next(s, d);
}

#define ALU_NF_TABLE(form) { form##_0, form##_1, NULL, NULL, \
                             form##_4, form##_5, form##_6, op_flags_only_nf }
const InsnHandler alu32_rr_nf[8] = ALU_NF_TABLE(alu32_rr_nf);
const InsnHandler alu32_ri_nf[8] = ALU_NF_TABLE(alu32_ri_nf);
const InsnHandler alu64_rr_nf[8] = ALU_NF_TABLE(alu64_rr_nf);
const InsnHandler alu64_ri_nf[8] = ALU_NF_TABLE(alu64_ri_nf);

#define ALU32_TABLE(form) { form##_0, form##_1, form##_2, form##_3, \
                            form##_4, form##_5, form##_6, form##_7 }
const InsnHandler alu32_rr[8] = ALU32_TABLE(alu32_rr);
const InsnHandler alu32_rm[8] = ALU32_TABLE(alu32_rm);
const InsnHandler alu32_mr[8] = ALU32_TABLE(alu32_mr);
const InsnHandler alu32_ri[8] = ALU32_TABLE(alu32_ri);
const InsnHandler alu32_mi[8] = ALU32_TABLE(alu32_mi);

/* The same for 64-bit operands (REX.W), sharing the slow paths. */
#define ALU64_HANDLERS(op)                                                          \
static void alu64_rr_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    uint64_t r = alu_compute(s, op, MO_64, regs[d->rm], regs[d->reg]);              \
    if (op != 7) {                                                                  \
        regs[d->rm] = r;                                                            \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu64_rm_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 8, false, &p))) {                                \
        alu32_GE_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint64_t r = alu_compute(s, op, MO_64, regs[d->reg], ldq_host(p));              \
    if (op != 7) {                                                                  \
        regs[d->reg] = r;                                                           \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu64_mr_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 8, op != 7, &p))) {                              \
        alu32_EG_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint64_t r = alu_compute(s, op, MO_64, ldq_host(p), s->env->regs[d->reg]);      \
    if (op != 7) {                                                                  \
        stq_host(p, r);                                                             \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu64_ri_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    uint64_t *regs = s->env->regs;                                                  \
    uint64_t r = alu_compute(s, op, MO_64, regs[d->rm], d->imm);                    \
    if (op != 7) {                                                                  \
        regs[d->rm] = r;                                                            \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}                                                                                   \
static void alu64_mi_##op(TCGCPU *s, const DecodedInsn *d)                          \
{                                                                                   \
    void *p;                                                                        \
    if (G_UNLIKELY(!fast_mem(s, d, 8, op != 7, &p))) {                              \
        alu32_EI_slow(s, d);                                                        \
        return;                                                                     \
    }                                                                               \
    uint64_t r = alu_compute(s, op, MO_64, ldq_host(p), d->imm);                    \
    if (op != 7) {                                                                  \
        stq_host(p, r);                                                             \
    }                                                                               \
    dispatch_next(s, d);                                                            \
}
ALU64_HANDLERS(0) ALU64_HANDLERS(1) ALU64_HANDLERS(2) ALU64_HANDLERS(3)
ALU64_HANDLERS(4) ALU64_HANDLERS(5) ALU64_HANDLERS(6) ALU64_HANDLERS(7)

const InsnHandler alu64_rr[8] = ALU32_TABLE(alu64_rr);
const InsnHandler alu64_rm[8] = ALU32_TABLE(alu64_rm);
const InsnHandler alu64_mr[8] = ALU32_TABLE(alu64_mr);
const InsnHandler alu64_ri[8] = ALU32_TABLE(alu64_ri);
const InsnHandler alu64_mi[8] = ALU32_TABLE(alu64_mi);

/* ---- TEST ---- */
void op_test_EG(TCGCPU *s, const DecodedInsn *d)
{
    set_cc(s, CC_OP_LOGIC + d->ot, ld_E(s, d, d->ot) & get_reg(s, d->ot, d->reg), 0);
}

void op_test_EI(TCGCPU *s, const DecodedInsn *d)
{
    set_cc(s, CC_OP_LOGIC + d->ot, ld_E(s, d, d->ot) & d->imm, 0);
}

void op_test_AI(TCGCPU *s, const DecodedInsn *d)
{
    set_cc(s, CC_OP_LOGIC + d->ot, get_reg(s, d->ot, 0) & d->imm, 0);
}

/* TEST of 32- and 64-bit operands (threaded: see dispatch_next) */
DEFINE_SLOW_PATH(test_EG_slow, op_test_EG)
DEFINE_SLOW_PATH(test_EI_slow, op_test_EI)

void op_test_EG_32r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    set_cc(s, CC_OP_LOGIC + MO_32, (uint32_t)(regs[d->rm] & regs[d->reg]), 0);
    dispatch_next(s, d);
}

void op_test_EG_64r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    set_cc(s, CC_OP_LOGIC + MO_64, regs[d->rm] & regs[d->reg], 0);
    dispatch_next(s, d);
}

void op_test_EG_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {
        test_EG_slow(s, d);
        return;
    }
    set_cc(s, CC_OP_LOGIC + MO_32, ldl_host(p) & (uint32_t)s->env->regs[d->reg], 0);
    dispatch_next(s, d);
}

void op_test_EG_64m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 8, false, &p))) {
        test_EG_slow(s, d);
        return;
    }
    set_cc(s, CC_OP_LOGIC + MO_64, ldq_host(p) & s->env->regs[d->reg], 0);
    dispatch_next(s, d);
}

/* also TEST rAX, imm (decode.c points rm at rAX) */
void op_test_EI_32r(TCGCPU *s, const DecodedInsn *d)
{
    set_cc(s, CC_OP_LOGIC + MO_32, (uint32_t)(s->env->regs[d->rm] & d->imm), 0);
    dispatch_next(s, d);
}

void op_test_EI_64r(TCGCPU *s, const DecodedInsn *d)
{
    set_cc(s, CC_OP_LOGIC + MO_64, s->env->regs[d->rm] & d->imm, 0);
    dispatch_next(s, d);
}

void op_test_EI_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {
        test_EI_slow(s, d);
        return;
    }
    set_cc(s, CC_OP_LOGIC + MO_32, ldl_host(p) & (uint32_t)d->imm, 0);
    dispatch_next(s, d);
}

/* ---- INC/DEC (CF preserved: cc_src keeps it) ---- */
static void incdec(TCGCPU *s, const DecodedInsn *d, bool mem, int delta)
{
    int ot = d->ot;
    uint64_t lin = 0, v, r;

    if (mem) {
        lin = insn_lin(s, d, 1 << ot, true);
        v = lin_ld(s, ot, lin);
    } else {
        v = get_reg(s, ot, d->mod3 ? d->rm : d->reg);
    }
    r = v + delta;
    if (mem) {
        lin_st(s, ot, lin, r);
    } else {
        set_reg(s, ot, d->mod3 ? d->rm : d->reg, r);
    }
    uint32_t cf = cc_compute_c(s) ? CC_C : 0;
    set_cc(s, (delta > 0 ? CC_OP_INC : CC_OP_DEC) + ot, r, cf);
}

void op_inc_E(TCGCPU *s, const DecodedInsn *d) { incdec(s, d, !d->mod3, 1); }
void op_dec_E(TCGCPU *s, const DecodedInsn *d) { incdec(s, d, !d->mod3, -1); }
void op_inc_r(TCGCPU *s, const DecodedInsn *d) { incdec(s, d, false, 1); }
void op_dec_r(TCGCPU *s, const DecodedInsn *d) { incdec(s, d, false, -1); }

/* ---- NOT/NEG ---- */
void op_not_E(TCGCPU *s, const DecodedInsn *d)
{
    st_E(s, d, d->ot, ~ld_E(s, d, d->ot));
}

void op_neg_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t v = ld_E(s, d, d->ot), r = -v;
    st_E(s, d, d->ot, r);
    set_cc(s, CC_OP_SUB + d->ot, r, v); /* 0 - v */
}

/* ---- MUL/IMUL/DIV/IDIV ---- */
void op_mul_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t v = ld_E(s, d, d->ot);

    switch (d->ot) {
    case MO_8: {
        uint16_t r = (uint8_t)regs[R_EAX] * (uint8_t)v;
        *reg16p(s, R_EAX) = r;
        set_cc(s, CC_OP_MUL + MO_8, r, r >> 8);
        break;
    }
    case MO_16: {
        uint32_t r = (uint16_t)regs[R_EAX] * (uint32_t)(uint16_t)v;
        *reg16p(s, R_EAX) = r;
        *reg16p(s, R_EDX) = r >> 16;
        set_cc(s, CC_OP_MUL + MO_16, r, r >> 16);
        break;
    }
    case MO_32: {
        uint64_t r = (uint64_t)(uint32_t)regs[R_EAX] * (uint32_t)v;
        regs[R_EAX] = (uint32_t)r;
        regs[R_EDX] = r >> 32;
        set_cc(s, CC_OP_MUL + MO_32, r, r >> 32);
        break;
    }
    default: {
        unsigned __int128 r = (unsigned __int128)regs[R_EAX] * v;
        regs[R_EAX] = (uint64_t)r;
        regs[R_EDX] = (uint64_t)(r >> 64);
        set_cc(s, CC_OP_MUL + MO_64, (uint64_t)r, (uint64_t)(r >> 64));
        break;
    }
    }
}

void op_imul1_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int64_t v = sext(d->ot, ld_E(s, d, d->ot));

    switch (d->ot) {
    case MO_8: {
        int16_t r = (int8_t)regs[R_EAX] * (int16_t)v;
        *reg16p(s, R_EAX) = r;
        set_cc(s, CC_OP_MUL + MO_8, r, r != (int8_t)r);
        break;
    }
    case MO_16: {
        int32_t r = (int16_t)regs[R_EAX] * (int32_t)v;
        *reg16p(s, R_EAX) = r;
        *reg16p(s, R_EDX) = (uint32_t)r >> 16;
        set_cc(s, CC_OP_MUL + MO_16, r, r != (int16_t)r);
        break;
    }
    case MO_32: {
        int64_t r = (int64_t)(int32_t)regs[R_EAX] * v;
        regs[R_EAX] = (uint32_t)r;
        regs[R_EDX] = (uint32_t)((uint64_t)r >> 32);
        set_cc(s, CC_OP_MUL + MO_32, r, r != (int32_t)r);
        break;
    }
    default: {
        __int128 r = (__int128)(int64_t)regs[R_EAX] * v;
        regs[R_EAX] = (uint64_t)r;
        regs[R_EDX] = (uint64_t)((unsigned __int128)r >> 64);
        set_cc(s, CC_OP_MUL + MO_64, (uint64_t)r, r != (int64_t)r);
        break;
    }
    }
}

static void imul_to_reg(TCGCPU *s, const DecodedInsn *d, int64_t a, int64_t b)
{
    int ot = d->ot;
    __int128 full = (__int128)a * b;
    uint64_t low = (uint64_t)full;

    set_reg(s, ot, d->reg, low);
    set_cc(s, CC_OP_MUL + ot, low, full != (__int128)(int64_t)sext(ot, low));
}

void op_imul_GE(TCGCPU *s, const DecodedInsn *d)
{
    imul_to_reg(s, d, sext(d->ot, get_reg(s, d->ot, d->reg)), sext(d->ot, ld_E(s, d, d->ot)));
}

void op_imul_GEI(TCGCPU *s, const DecodedInsn *d)
{
    imul_to_reg(s, d, sext(d->ot, ld_E(s, d, d->ot)), sext(d->ot, d->imm));
}

/* IMUL r, r/m of 32 and 64 bits (threaded: see dispatch_next) */
DEFINE_SLOW_PATH(imul_GE_slow, op_imul_GE)

static inline void imul32_finish(TCGCPU *s, const DecodedInsn *d, int32_t a, int32_t b)
{
    int64_t full = (int64_t)a * b;

    s->env->regs[d->reg] = (uint32_t)full;
    set_cc(s, CC_OP_MUL + MO_32, (uint32_t)full, full != (int32_t)full);
    dispatch_next(s, d);
}

static inline void imul64_finish(TCGCPU *s, const DecodedInsn *d, int64_t a, int64_t b)
{
    __int128 full = (__int128)a * b;

    s->env->regs[d->reg] = (uint64_t)full;
    set_cc(s, CC_OP_MUL + MO_64, (uint64_t)full, full != (int64_t)full);
    dispatch_next(s, d);
}

void op_imul_GE_32r(TCGCPU *s, const DecodedInsn *d)
{
    imul32_finish(s, d, s->env->regs[d->reg], s->env->regs[d->rm]);
}

void op_imul_GE_64r(TCGCPU *s, const DecodedInsn *d)
{
    imul64_finish(s, d, s->env->regs[d->reg], s->env->regs[d->rm]);
}

void op_imul_GE_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {
        imul_GE_slow(s, d);
        return;
    }
    imul32_finish(s, d, s->env->regs[d->reg], ldl_host(p));
}

void op_imul_GE_64m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 8, false, &p))) {
        imul_GE_slow(s, d);
        return;
    }
    imul64_finish(s, d, s->env->regs[d->reg], ldq_host(p));
}

void op_imul_GEI_64r(TCGCPU *s, const DecodedInsn *d)
{
    imul64_finish(s, d, s->env->regs[d->rm], d->imm);
}

/* IMUL of registers with the flags unused (flags-dead.c) */
void op_imul_GE_32r_nf(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    regs[d->reg] = (uint32_t)((uint32_t)regs[d->reg] * (uint32_t)regs[d->rm]);
    dispatch_next(s, d);
}

void op_imul_GE_64r_nf(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    regs[d->reg] = regs[d->reg] * regs[d->rm];
    dispatch_next(s, d);
}

void op_imul_GEI_32r_nf(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    regs[d->reg] = (uint32_t)((uint32_t)regs[d->rm] * (uint32_t)d->imm);
    dispatch_next(s, d);
}

void op_imul_GEI_64r_nf(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    regs[d->reg] = regs[d->rm] * d->imm;
    dispatch_next(s, d);
}

/* IMUL r32, r/m32 (register), imm (threaded: see dispatch_next) */
void op_imul_GEI_32r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int64_t full = (int64_t)(int32_t)regs[d->rm] * (int32_t)d->imm;

    regs[d->reg] = (uint32_t)full;
    set_cc(s, CC_OP_MUL + MO_32, (uint32_t)full, full != (int32_t)full);
    dispatch_next(s, d);
}

void op_div_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t v = ld_E(s, d, d->ot);

    if (v == 0) {
        raise_exception(s, EXCP00_DIVZ);
    }
    switch (d->ot) {
    case MO_8: {
        uint16_t n = regs[R_EAX];
        uint16_t q = n / v;
        if (q > 0xff) {
            raise_exception(s, EXCP00_DIVZ);
        }
        *reg16p(s, R_EAX) = (q & 0xff) | ((n % v) << 8);
        break;
    }
    case MO_16: {
        uint32_t n = (uint16_t)regs[R_EAX] | ((uint32_t)(uint16_t)regs[R_EDX] << 16);
        uint32_t q = n / v;
        if (q > 0xffff) {
            raise_exception(s, EXCP00_DIVZ);
        }
        *reg16p(s, R_EAX) = q;
        *reg16p(s, R_EDX) = n % v;
        break;
    }
    case MO_32: {
        uint64_t n = (uint32_t)regs[R_EAX] | (regs[R_EDX] << 32);
        uint64_t q = n / v;
        if (q > 0xffffffffull) {
            raise_exception(s, EXCP00_DIVZ);
        }
        regs[R_EAX] = (uint32_t)q;
        regs[R_EDX] = (uint32_t)(n % v);
        break;
    }
    default: {
        unsigned __int128 n = regs[R_EAX] | ((unsigned __int128)regs[R_EDX] << 64);
        unsigned __int128 q = n / v;
        if (q >> 64) {
            raise_exception(s, EXCP00_DIVZ);
        }
        regs[R_EAX] = (uint64_t)q;
        regs[R_EDX] = (uint64_t)(n % v);
        break;
    }
    }
}

void op_idiv_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int64_t v = sext(d->ot, ld_E(s, d, d->ot));

    if (v == 0) {
        raise_exception(s, EXCP00_DIVZ);
    }
    switch (d->ot) {
    case MO_8: {
        int32_t n = (int16_t)regs[R_EAX];
        int32_t q = n / v;
        if (q != (int8_t)q) {
            raise_exception(s, EXCP00_DIVZ);
        }
        *reg16p(s, R_EAX) = (uint8_t)q | ((uint8_t)(n % v) << 8);
        break;
    }
    case MO_16: {
        int32_t n = (int32_t)((uint16_t)regs[R_EAX] | ((uint32_t)(uint16_t)regs[R_EDX] << 16));
        int32_t q = n / v;
        if (q != (int16_t)q) {
            raise_exception(s, EXCP00_DIVZ);
        }
        *reg16p(s, R_EAX) = q;
        *reg16p(s, R_EDX) = n % v;
        break;
    }
    case MO_32: {
        int64_t n = (int64_t)((uint32_t)regs[R_EAX] | (regs[R_EDX] << 32));
        int64_t q = n / v; /* cannot overflow int64: |n| < 2^63, v != 0 */
        if (q != (int32_t)q) {
            raise_exception(s, EXCP00_DIVZ);
        }
        regs[R_EAX] = (uint32_t)q;
        regs[R_EDX] = (uint32_t)(n % v);
        break;
    }
    default: {
        __int128 n = (__int128)(regs[R_EAX] | ((unsigned __int128)regs[R_EDX] << 64));
        if (v == -1 && (unsigned __int128)n == (unsigned __int128)1 << 127) {
            raise_exception(s, EXCP00_DIVZ);
        }
        __int128 q = n / v;
        if (q != (int64_t)q) {
            raise_exception(s, EXCP00_DIVZ);
        }
        regs[R_EAX] = (uint64_t)q;
        regs[R_EDX] = (uint64_t)(n % v);
        break;
    }
    }
}

/* ---- CMPXCHG, CMPXCHG8B, XADD ---- */
void op_cmpxchg(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t acc = get_reg(s, ot, 0);
    uint64_t lin = d->mod3 ? 0 : insn_lin(s, d, 1 << ot, true);
    uint64_t dest = d->mod3 ? get_reg(s, ot, d->rm) : lin_ld(s, ot, lin);
    bool eq = ((acc - dest) & size_mask(ot)) == 0;

    /* A memory destination is written either way (SDM CMPXCHG); a register
     * one only when equal, so a 32-bit one keeps its upper half otherwise. */
    if (d->mod3) {
        if (eq) {
            set_reg(s, ot, d->rm, get_reg(s, ot, d->reg));
        }
    } else {
        lin_st(s, ot, lin, eq ? get_reg(s, ot, d->reg) : dest);
    }
    if (!eq) {
        set_reg(s, ot, 0, dest);
    }
    set_cc(s, CC_OP_SUB + ot, acc - dest, dest);
}

/* CMPXCHG8B, and with REX.W CMPXCHG16B (CPUID cx16; #GP(0) unless the
 * operand is 16-byte aligned).  The destination is written either way. */
void op_cmpxchg8b(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint32_t f = cc_compute_all(s);

    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (d->ot == MO_64) {
        if (!cpu_has(s, FEAT_1_ECX, CPUID_EXT_CX16)) {
            raise_exception(s, EXCP06_ILLOP);
        }
        uint64_t lin = insn_lin(s, d, 16, true);
        if (lin & 15) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        probe_write(s, lin, 16);
        uint64_t lo = lin_ldq(s, lin), hi = lin_ldq(s, lin + 8);
        if (lo == regs[R_EAX] && hi == regs[R_EDX]) {
            lin_stq(s, lin, regs[R_EBX]);
            lin_stq(s, lin + 8, regs[R_ECX]);
            f |= CC_Z;
        } else {
            lin_stq(s, lin, lo);
            lin_stq(s, lin + 8, hi);
            regs[R_EAX] = lo;
            regs[R_EDX] = hi;
            f &= ~CC_Z;
        }
        set_cc_flags(s, f);
        return;
    }
    uint64_t lin = insn_lin(s, d, 8, true);
    uint64_t m = lin_ldq(s, lin);
    uint64_t cmp = (uint32_t)regs[R_EAX] | (regs[R_EDX] << 32);

    if (m == cmp) {
        lin_stq(s, lin, (uint32_t)regs[R_EBX] | (regs[R_ECX] << 32));
        f |= CC_Z;
    } else {
        lin_stq(s, lin, m);
        regs[R_EAX] = (uint32_t)m;
        regs[R_EDX] = m >> 32;
        f &= ~CC_Z;
    }
    set_cc_flags(s, f);
}

void op_xadd(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t src = get_reg(s, ot, d->reg);

    if (d->mod3) {
        uint64_t dest = get_reg(s, ot, d->rm);
        set_reg(s, ot, d->reg, dest);
        set_reg(s, ot, d->rm, dest + src);
        set_cc(s, CC_OP_ADD + ot, dest + src, src);
        return;
    }
    uint64_t lin = insn_lin(s, d, 1 << ot, true);
    uint64_t dest = lin_ld(s, ot, lin);
    lin_st(s, ot, lin, dest + src);
    set_reg(s, ot, d->reg, dest);
    set_cc(s, CC_OP_ADD + ot, dest + src, src);
}

/* ---- BCD (SDM DAA/DAS/AAA/AAS/AAM/AAD) ---- */
static uint32_t szp8(uint8_t v)
{
    return (v == 0 ? CC_Z : 0) | (v & 0x80 ? CC_S : 0) |
           (__builtin_parity(v) ? 0 : CC_P);
}

void op_daa(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t f = cc_compute_all(s);
    uint8_t al = s->env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C;

    f &= ~(CC_C | CC_A);
    if ((al & 0xf) > 9 || (cc_compute_all(s) & CC_A)) {
        al += 6;
        f |= CC_A | ((old_cf || old_al > 0xf9) ? CC_C : 0);
    }
    if (old_al > 0x99 || old_cf) {
        al += 0x60;
        f |= CC_C;
    }
    *reg8p(s, 0) = al;
    set_cc_flags(s, (f & (CC_C | CC_A)) | szp8(al));
}

void op_das(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t f = cc_compute_all(s);
    uint8_t al = s->env->regs[R_EAX], old_al = al;
    bool old_cf = f & CC_C;
    uint32_t nf = 0;

    if ((al & 0xf) > 9 || (f & CC_A)) {
        al -= 6;
        nf |= CC_A | ((old_cf || old_al < 6) ? CC_C : 0);
    }
    if (old_al > 0x99 || old_cf) {
        al -= 0x60;
        nf |= CC_C;
    }
    *reg8p(s, 0) = al;
    set_cc_flags(s, nf | szp8(al));
}

void op_aaa(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t f = cc_compute_all(s);
    uint16_t ax = s->env->regs[R_EAX];

    if ((ax & 0xf) > 9 || (f & CC_A)) {
        ax += 0x106;
        f = CC_A | CC_C;
    } else {
        f = 0;
    }
    ax &= 0xff0f;
    *reg16p(s, R_EAX) = ax;
    set_cc_flags(s, f | szp8(ax));
}

void op_aas(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t f = cc_compute_all(s);
    uint16_t ax = s->env->regs[R_EAX];

    if ((ax & 0xf) > 9 || (f & CC_A)) {
        uint8_t al = (ax & 0xff) - 6;
        uint8_t ah = (ax >> 8) - 1 - ((ax & 0xff) < 6 ? 1 : 0);
        ax = (ah << 8) | al;
        f = CC_A | CC_C;
    } else {
        f = 0;
    }
    ax &= 0xff0f;
    *reg16p(s, R_EAX) = ax;
    set_cc_flags(s, f | szp8(ax));
}

void op_aam(TCGCPU *s, const DecodedInsn *d)
{
    uint8_t base = d->imm, al = s->env->regs[R_EAX];

    if (base == 0) {
        raise_exception(s, EXCP00_DIVZ);
    }
    *reg16p(s, R_EAX) = ((al / base) << 8) | (al % base);
    set_cc_flags(s, szp8(al % base));
}

void op_aad(TCGCPU *s, const DecodedInsn *d)
{
    uint16_t ax = s->env->regs[R_EAX];
    uint8_t al = (ax & 0xff) + (ax >> 8) * (uint8_t)d->imm;

    *reg16p(s, R_EAX) = al;
    set_cc_flags(s, szp8(al));
}

/* ---- CBW/CWDE/CDQE, CWD/CDQ/CQO ---- */
void op_cbw(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    switch (d->ot) {
    case MO_16: *reg16p(s, R_EAX) = (int8_t)regs[R_EAX]; break;
    case MO_32: regs[R_EAX] = (uint32_t)(int16_t)regs[R_EAX]; break;
    default: regs[R_EAX] = (int64_t)(int32_t)regs[R_EAX]; break;
    }
}

void op_cwd(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    switch (d->ot) {
    case MO_16: *reg16p(s, R_EDX) = ((int16_t)regs[R_EAX]) < 0 ? 0xffff : 0; break;
    case MO_32: regs[R_EDX] = ((int32_t)regs[R_EAX]) < 0 ? 0xffffffffu : 0; break;
    default: regs[R_EDX] = ((int64_t)regs[R_EAX]) < 0 ? ~0ull : 0; break;
    }
}
