/*
 * Instruction handlers (ops-*.c) and the operand helpers they share.
 * A handler executes one DecodedInsn; generic ones read the operand size
 * from d->ot, the *_32 ones are specialised for the hot 32-bit forms.
 */
#ifndef ACCEL_TCG_OPS_H
#define ACCEL_TCG_OPS_H

#include "tcg-cpu.h"

/* ---- operands ---- */
static inline uint64_t ld_E(TCGCPU *s, const DecodedInsn *d, int ot)
{
    if (d->mod3) {
        return get_reg(s, ot, d->rm);
    }
    return lin_ld(s, ot, insn_lin(s, d, 1 << ot, false));
}

static inline void st_E(TCGCPU *s, const DecodedInsn *d, int ot, uint64_t v)
{
    if (d->mod3) {
        set_reg(s, ot, d->rm, v);
    } else {
        lin_st(s, ot, insn_lin(s, d, 1 << ot, true), v);
    }
}

/*
 * Threaded dispatch.  A hot handler ends by running the next instruction
 * of its block itself.  accel/meson.build builds the handler files with
 * sibling calls, so this is one indirect jump and no call/return per
 * instruction; where the compiler keeps a real call (sanitizers, -O0) the
 * nesting is bounded by TB_MAX_INSNS.  The first handler that simply
 * returns hands control back to cpu_tb_exec, which goes on after s->cur.
 */
static inline void dispatch_next(TCGCPU *s, const DecodedInsn *d)
{
    const DecodedInsn *next = d + 1;

    if (G_LIKELY(next < s->end)) {
        s->cur = next;
        next->handler(s, next);
    }
}

/*
 * A near branch that has set env->eip: run the block it leads to from
 * here, through the link cache, as cpu_tb_exec's loop would (same
 * checks), without returning to it first.  At most chain_budget times in
 * a row, so that the nesting stays bounded where the compiler keeps real
 * calls; otherwise (or with no link) the block ends here.
 */
static inline void chain_next_tb(TCGCPU *s, const DecodedInsn *d)
{
    TranslationBlock *tb = s->cur_tb, *next;

    if (G_LIKELY(s->chain_budget > 0) && !s->stop_chain && !cpu_chain_needs_attention(s) &&
        (next = tb_link_lookup(s, tb, d->exit_slot))) {
        const DecodedInsn *first = next->insns;

        s->chain_budget--;
        s->insns_executed_bytes += (const char *)(d + 1) - (const char *)tb->insns;
        s->cur_tb = next;
        s->end = first + next->n_insns;
        s->cur = first;
        first->handler(s, first);
        return;
    }
    s->end = s->cur + 1;
}

/*
 * Near targets must lie within CS, or be canonical in 64-bit mode (SDM
 * JMP: #GP(0) otherwise, at the branch).  Relative targets are fixed at
 * decode time, so decode.c sends non-canonical ones to op_gp0/op_jcc_nc
 * and the run-time check is the CS limit alone; indirect targets get both.
 */
static inline void check_target(TCGCPU *s, uint64_t target)
{
    if (G_UNLIKELY(target > s->ip_limit)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

static inline void jump_to(TCGCPU *s, uint64_t target)
{
    check_target(s, target);
    s->env->eip = target;
}

/* Jcc inside a block (INSN_CONT): taken leaves the block, not taken goes
 * on with the next instruction (threaded: see dispatch_next). */
static inline void jcc_finish(TCGCPU *s, const DecodedInsn *d, bool taken)
{
    if (taken) {
        jump_to(s, d->imm);
        chain_next_tb(s, d);
        return;
    }
    s->env->eip = d->next_eip;
    dispatch_next(s, d);
}

/* A hot handler's way out when its fast path does not apply: the generic
 * handler, then the rest of the block.  Out of line, so that the fast
 * path needs no stack frame. */
#define DEFINE_SLOW_PATH(name, generic)                                     \
static void __attribute__((noinline)) name(TCGCPU *s, const DecodedInsn *d)           \
{                                                                           \
    generic(s, d);                                                          \
    dispatch_next(s, d);                                                    \
}

/*
 * *p = host address of a size-byte access to d's memory operand, when its
 * segment is flat (no base, no limit check) and the TLB maps the page for
 * this kind of access; false otherwise (then take the generic path, which
 * checks, faults or goes to MMIO).
 */
static inline bool fast_mem(TCGCPU *s, const DecodedInsn *d, int size, bool write, void **p)
{
    if (G_LIKELY(s->seg_flat & d->seg_bit)) {
        uint64_t lin = insn_ea(s, d); /* 32 bits outside 64-bit mode: amask */
        TLBEntry *e = tlb_entry(s, lin);
        if (G_LIKELY((write ? e->addr_write : e->addr_read) == tlb_tag(lin, size))) {
            *p = (void *)(e->addend + lin);
            return true;
        }
    }
    return false;
}

/* The same for a stack access at address sp (reduced to the stack size). */
static inline bool fast_stack(TCGCPU *s, uint64_t sp, int size, bool write, void **p)
{
    if (G_LIKELY(s->seg_flat & (1u << R_SS))) {
        TLBEntry *e = tlb_entry(s, sp);
        if (G_LIKELY((write ? e->addr_write : e->addr_read) == tlb_tag(sp, size))) {
            *p = (void *)(e->addend + sp);
            return true;
        }
    }
    return false;
}

static inline uint64_t ldq_host(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void stq_host(void *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static inline uint32_t ldl_host(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline void stl_host(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Sets the lazy flags for ALU op (0..7 = add or adc sbb and sub xor cmp)
 * and returns the result. */
static inline uint64_t alu_compute(TCGCPU *s, int op, int ot, uint64_t a, uint64_t b)
{
    uint64_t r, c;

    switch (op) {
    case 0: r = a + b; set_cc(s, CC_OP_ADD + ot, r, b); break;
    case 1: r = a | b; set_cc(s, CC_OP_LOGIC + ot, r, 0); break;
    case 2: c = cc_compute_c(s); r = a + b + c; s->cc_src2 = c; set_cc(s, CC_OP_ADC + ot, r, b); break;
    case 3: c = cc_compute_c(s); r = a - b - c; s->cc_src2 = c; set_cc(s, CC_OP_SBB + ot, r, b); break;
    case 4: r = a & b; set_cc(s, CC_OP_LOGIC + ot, r, 0); break;
    case 6: r = a ^ b; set_cc(s, CC_OP_LOGIC + ot, r, 0); break;
    default: r = a - b; set_cc(s, CC_OP_SUB + ot, r, b); break; /* sub, cmp */
    }
    return r;
}

/* ---- handlers ---- */
#define H(name) void name(TCGCPU *s, const DecodedInsn *d)

/* ops-arith.c */
H(op_alu_EG); H(op_alu_GE); H(op_alu_EI); H(op_alu_AI);
H(op_test_EG); H(op_test_EI); H(op_test_AI);
H(op_inc_E); H(op_dec_E); H(op_inc_r); H(op_dec_r);
H(op_not_E); H(op_neg_E);
H(op_mul_E); H(op_imul1_E); H(op_div_E); H(op_idiv_E);
H(op_imul_GE); H(op_imul_GEI); H(op_imul_GEI_32r); H(op_imul_GEI_64r);
H(op_imul_GE_32r); H(op_imul_GE_64r); H(op_imul_GE_32m); H(op_imul_GE_64m);
H(op_test_EG_32r); H(op_test_EG_64r); H(op_test_EG_32m); H(op_test_EG_64m);
H(op_test_EI_32r); H(op_test_EI_64r); H(op_test_EI_32m);
H(op_cmpxchg); H(op_cmpxchg8b); H(op_xadd);
H(op_daa); H(op_das); H(op_aaa); H(op_aas); H(op_aam); H(op_aad);
H(op_cbw); H(op_cwd);
/* specialised 32-bit and 64-bit ALU forms, one per op: [op] */
extern const InsnHandler alu32_rr[8], alu32_rm[8], alu32_mr[8], alu32_ri[8], alu32_mi[8];
extern const InsnHandler alu64_rr[8], alu64_rm[8], alu64_mr[8], alu64_ri[8], alu64_mi[8];
/* the register forms without the flags (NULL: ADC/SBB read CF) */
extern const InsnHandler alu32_rr_nf[8], alu32_ri_nf[8], alu64_rr_nf[8], alu64_ri_nf[8];
H(op_flags_only_nf);
H(op_imul_GE_32r_nf); H(op_imul_GE_64r_nf); H(op_imul_GEI_32r_nf); H(op_imul_GEI_64r_nf);

/* ops-atomic.c: LOCK-prefixed forms (memory destination only) */
H(op_lock_alu_EG); H(op_lock_alu_EI); H(op_lock_inc); H(op_lock_dec);
H(op_lock_not); H(op_lock_neg); H(op_lock_xchg); H(op_lock_xadd);
H(op_lock_cmpxchg); H(op_lock_cmpxchg8b); H(op_lock_bt_EG); H(op_lock_bt_EI);

/* ops-shift.c */
H(op_shift_E1); H(op_shift_ECL); H(op_shift_EI);
H(op_shld_I); H(op_shld_CL); H(op_shrd_I); H(op_shrd_CL);
H(op_bt_EG); H(op_bt_EI); H(op_bsf); H(op_bsr); H(op_popcnt);
H(op_shl_32ri); H(op_shr_32ri); H(op_sar_32ri);
H(op_shl_32rc); H(op_shr_32rc); H(op_sar_32rc);
H(op_shl_64ri); H(op_shr_64ri); H(op_sar_64ri);
H(op_shl_32ri_nf); H(op_shr_32ri_nf); H(op_sar_32ri_nf);
H(op_shl_64ri_nf); H(op_shr_64ri_nf); H(op_sar_64ri_nf);
H(op_shl_64rc); H(op_shr_64rc); H(op_sar_64rc);

/* ops-data.c */
H(op_mov_EG); H(op_mov_GE); H(op_mov_EI); H(op_mov_rI);
H(op_mov_GE_32r); H(op_mov_GE_32m); H(op_mov_EG_32r); H(op_mov_EG_32m);
H(op_mov_AO); H(op_mov_OA);
H(op_mov_GE_64r); H(op_mov_GE_64m); H(op_mov_EG_64r); H(op_mov_EG_64m);
H(op_lea_64); H(op_movsxd_64r); H(op_movsxd_64m); H(op_push_r64); H(op_pop_r64);
H(op_movzx_b); H(op_movzx_b_32m); H(op_movzx_b_32r); H(op_movzx_w_32m); H(op_movsx_b_32m); H(op_movzx_w); H(op_movsx_b); H(op_movsx_w); H(op_movsxd);
H(op_lea); H(op_lea_32); H(op_xchg_EG); H(op_xchg_rA); H(op_nop);
H(op_push_r); H(op_pop_r); H(op_push_I); H(op_push_E); H(op_pop_E);
H(op_push_r32); H(op_pop_r32);
H(op_push_seg); H(op_pop_seg); H(op_mov_E_seg); H(op_mov_seg_E);
H(op_pusha); H(op_popa); H(op_pushf); H(op_popf);
H(op_lahf); H(op_sahf); H(op_setcc); H(op_cmovcc); H(op_bswap); H(op_xlat); H(op_salc);
H(op_lxs); H(op_bound); H(op_arpl);
H(op_cmc); H(op_clc); H(op_stc); H(op_cld); H(op_std);

/* ops-control.c */
H(op_jmp); H(op_jmp_inline); H(op_jcc); H(op_jcc_nc); extern const InsnHandler op_jcc_cond[16]; H(op_call); H(op_ret); H(op_ret_imm);
H(op_jmp_E); H(op_call_E); H(op_ljmp_A); H(op_lcall_A); H(op_ljmp_E); H(op_lcall_E);
H(op_lret); H(op_iret); H(op_loop); H(op_jcxz);
H(op_int3); H(op_int); H(op_into); H(op_int1); H(op_enter); H(op_leave);

/* ops-string.c */
H(op_movs); H(op_stos); H(op_lods); H(op_cmps); H(op_scas); H(op_ins); H(op_outs);

/* ops-system.c */
H(op_hlt); H(op_cli); H(op_sti); H(op_in_I); H(op_out_I); H(op_in_DX); H(op_out_DX);
H(op_cpuid); H(op_rdtsc); H(op_rdmsr); H(op_wrmsr); H(op_rdpmc);
H(op_mov_r_cr); H(op_mov_cr_r); H(op_mov_r_dr); H(op_mov_dr_r); H(op_clts);
H(op_sldt); H(op_str); H(op_lldt); H(op_ltr); H(op_verr); H(op_verw);
H(op_sgdt); H(op_sidt); H(op_lgdt); H(op_lidt); H(op_smsw); H(op_lmsw); H(op_invlpg);
H(op_lar); H(op_lsl); H(op_invd); H(op_gp0);
H(op_clflush); H(op_fence);
/* ops-x87.c */
H(op_fwait);

/* syscall_helper.c */
H(op_syscall); H(op_sysret); H(op_sysenter); H(op_sysexit); H(op_swapgs); H(op_rdtscp);
H(op_rdpid); H(op_fsgsbase);

#undef H
#endif
