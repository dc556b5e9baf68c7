/*
 * Control transfer: JMP/Jcc/CALL/RET (near and far), LOOP/JCXZ, INT n,
 * INT3, INTO, INT1, IRET, ENTER/LEAVE.  All are block terminators: they
 * set env->eip themselves.
 */
#include "ops.h"

static inline void check_target_any(TCGCPU *s, uint64_t target)
{
    if (G_UNLIKELY(s->code64 ? !is_canonical(target) : target > s->ip_limit)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

static inline void jump_any(TCGCPU *s, uint64_t target)
{
    check_target_any(s, target);
    s->env->eip = target;
}

static inline uint64_t trunc_ip(const DecodedInsn *d, uint64_t v)
{
    return d->ot == MO_16 ? (v & 0xffff) : d->ot == MO_32 ? (uint32_t)v : v;
}

void op_jmp(TCGCPU *s, const DecodedInsn *d)
{
    jump_to(s, d->imm);
    chain_next_tb(s, d);
}

/* A JMP its block continues through (translate-all.c follows direct
 * jumps on the block's page): EIP for the case that the block ends here
 * (one instruction after STI), then the target's instructions. */
void op_jmp_inline(TCGCPU *s, const DecodedInsn *d)
{
    jump_to(s, d->imm);
    dispatch_next(s, d);
}

/* Jcc to a non-canonical target (64-bit mode): #GP(0) only if taken. */
void op_jcc_nc(TCGCPU *s, const DecodedInsn *d)
{
    if (cc_test(s, d->b)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    s->env->eip = d->next_eip;
}

void op_jcc(TCGCPU *s, const DecodedInsn *d)
{
    if (cc_test(s, d->b)) {
        jump_to(s, d->imm);
    } else {
        s->env->eip = d->next_eip;
    }
}

/* Out of line, so that the inline cases need no stack frame. */
static void __attribute__((noinline)) jcc_generic(TCGCPU *s, const DecodedInsn *d)
{
    jcc_finish(s, d, cc_test(s, d->b));
}

#define JCC(c)                                                   \
static void op_jcc_##c(TCGCPU *s, const DecodedInsn *d)          \
{                                                                \
    int taken = cc_test_try(s, c);                               \
                                                                 \
    if (G_UNLIKELY(taken < 0)) {                                 \
        jcc_generic(s, d);                                       \
        return;                                                  \
    }                                                            \
    jcc_finish(s, d, taken);                                     \
}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

const InsnHandler op_jcc_cond[16] = {
    op_jcc_0, op_jcc_1, op_jcc_2, op_jcc_3, op_jcc_4, op_jcc_5, op_jcc_6, op_jcc_7,
    op_jcc_8, op_jcc_9, op_jcc_10, op_jcc_11, op_jcc_12, op_jcc_13, op_jcc_14, op_jcc_15,
};

static void push_ret(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    if (G_LIKELY(d->ot == MO_32 && (s->seg_flat & (1u << R_SS)))) {
        uint32_t sp = regs[R_ESP] - 4;
        lin_stl(s, sp, d->next_eip);
        regs[R_ESP] = sp;
    } else if (d->ot == MO_64 && lin_rmw_ptr(s, regs[R_ESP] - 8, 8)) {
        /* 64-bit mode: flat SS; a TLB hit is canonical */
        uint64_t sp = regs[R_ESP] - 8;
        lin_stq(s, sp, d->next_eip);
        regs[R_ESP] = sp;
    } else {
        push_v(s, d->ot, d->next_eip);
    }
}

void op_call(TCGCPU *s, const DecodedInsn *d)
{
    check_target(s, d->imm);
    push_ret(s, d);
    s->env->eip = d->imm;
    chain_next_tb(s, d);
}

void op_jmp_E(TCGCPU *s, const DecodedInsn *d)
{
    jump_any(s, trunc_ip(d, ld_E(s, d, d->ot)));
    chain_next_tb(s, d);
}

void op_call_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t target = trunc_ip(d, ld_E(s, d, d->ot));

    check_target_any(s, target);
    push_ret(s, d);
    s->env->eip = target;
    chain_next_tb(s, d);
}

static void ret_common(TCGCPU *s, const DecodedInsn *d, unsigned extra)
{
    uint64_t *regs = s->env->regs;
    uint64_t target;

    if (G_LIKELY(d->ot == MO_32 && (s->seg_flat & (1u << R_SS)))) {
        uint32_t sp = regs[R_ESP];
        target = lin_ldl(s, sp);
        jump_to(s, target);
        regs[R_ESP] = (uint32_t)(sp + 4 + extra);
        return;
    }
    if (d->ot == MO_64 && tlb_entry(s, regs[R_ESP])->addr_read == tlb_tag(regs[R_ESP], 8)) {
        uint64_t sp = regs[R_ESP];
        jump_any(s, lin_ldq(s, sp));
        regs[R_ESP] = sp + 8 + extra;
        return;
    }
    target = trunc_ip(d, stack_peek(s, d->ot, 0));
    jump_any(s, target);
    uint64_t mask = sp_mask(s);
    regs[R_ESP] = (regs[R_ESP] & ~mask) | ((regs[R_ESP] + (1 << d->ot) + extra) & mask);
}

void op_ret(TCGCPU *s, const DecodedInsn *d)
{
    ret_common(s, d, 0);
    chain_next_tb(s, d);
}

void op_ret_imm(TCGCPU *s, const DecodedInsn *d)
{
    ret_common(s, d, d->imm);
    chain_next_tb(s, d);
}

void op_ljmp_A(TCGCPU *s, const DecodedInsn *d)
{
    helper_ljmp(s, d->imm2, d->imm, d->next_eip);
}

void op_lcall_A(TCGCPU *s, const DecodedInsn *d)
{
    helper_lcall(s, d->imm2, d->imm, d->ot, d->next_eip);
}

static void far_pointer(TCGCPU *s, const DecodedInsn *d, uint32_t *sel, uint64_t *off)
{
    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t ea = insn_ea(s, d);
    *off = lin_ld(s, d->ot, seg_lin(s, d->seg, ea, 1 << d->ot, false));
    *sel = lin_lduw(s, seg_lin(s, d->seg, ea_mask(d->aflag, ea + (1 << d->ot)), 2, false));
}

void op_ljmp_E(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t sel;
    uint64_t off;

    far_pointer(s, d, &sel, &off);
    helper_ljmp(s, sel, off, d->next_eip);
}

void op_lcall_E(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t sel;
    uint64_t off;

    far_pointer(s, d, &sel, &off);
    helper_lcall(s, sel, off, d->ot, d->next_eip);
}

void op_lret(TCGCPU *s, const DecodedInsn *d)
{
    helper_lret(s, d->ot, d->imm);
}

void op_iret(TCGCPU *s, const DecodedInsn *d)
{
    helper_iret(s, d->ot, d->next_eip);
}

static inline uint64_t count_mask(const DecodedInsn *d)
{
    return d->aflag == MO_16 ? 0xffff : d->aflag == MO_32 ? 0xffffffffull : ~0ull;
}

/* d->b: 0 LOOPNE, 1 LOOPE, 2 LOOP */
void op_loop(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t m = count_mask(d);
    uint64_t c = (regs[R_ECX] - 1) & m;
    bool take;

    if (d->aflag == MO_32) {
        regs[R_ECX] = (uint32_t)c;
    } else {
        regs[R_ECX] = (regs[R_ECX] & ~m) | c;
    }
    take = c != 0;
    if (take && d->b != 2) {
        bool zf = cc_compute_all(s) & CC_Z;
        take = d->b == 1 ? zf : !zf;
    }
    if (take) {
        jump_any(s, d->imm);
    } else {
        s->env->eip = d->next_eip;
    }
}

void op_jcxz(TCGCPU *s, const DecodedInsn *d)
{
    if ((s->env->regs[R_ECX] & count_mask(d)) == 0) {
        jump_any(s, d->imm);
    } else {
        s->env->eip = d->next_eip;
    }
}

void op_int(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;

    if ((env->eflags & VM_MASK) && ((env->eflags & IOPL_MASK) >> 12) < 3) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    raise_interrupt(s, d->imm & 0xff, true, d->next_eip);
}

void op_int3(TCGCPU *s, const DecodedInsn *d)
{
    raise_interrupt(s, EXCP03_INT3, true, d->next_eip);
}

void op_int1(TCGCPU *s, const DecodedInsn *d)
{
    /* INT1 (ICEBP, F1): a #DB trap like a hardware one -- no gate DPL
     * check, no IOPL check in virtual-8086 mode, DR6 untouched */
    raise_exception_trap(s, EXCP01_DB, d->next_eip);
}

void op_into(TCGCPU *s, const DecodedInsn *d)
{
    if (cc_compute_all(s) & CC_O) {
        raise_interrupt(s, EXCP04_INTO, true, d->next_eip);
    }
    s->env->eip = d->next_eip;
}

void op_enter(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int ot = d->ot, sz = 1 << ot;
    unsigned level = d->imm2 & 31;
    uint64_t mask = sp_mask(s);

    push_v(s, ot, get_reg(s, ot, R_EBP));
    uint64_t frame = regs[R_ESP] & mask;
    if (level > 0) {
        uint64_t bp = regs[R_EBP];
        for (unsigned i = 1; i < level; i++) {
            bp = (bp & ~mask) | ((bp - sz) & mask);
            push_v(s, ot, lin_ld(s, ot, stack_lin_at(s, bp, sz, false)));
        }
        push_v(s, ot, frame);
    }
    set_reg(s, ot == MO_16 ? MO_16 : ot, R_EBP, frame);
    regs[R_ESP] = (regs[R_ESP] & ~mask) | ((regs[R_ESP] - d->imm) & mask);
}

void op_leave(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t mask = sp_mask(s);
    uint64_t bp = regs[R_EBP] & mask;
    uint64_t v = lin_ld(s, d->ot, stack_lin_at(s, bp, 1 << d->ot, false));

    regs[R_ESP] = (regs[R_ESP] & ~mask) | ((bp + (1 << d->ot)) & mask);
    set_reg(s, d->ot, R_EBP, v);
}
