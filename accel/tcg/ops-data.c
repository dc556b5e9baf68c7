/*
 * Data movement: MOV forms, MOVZX/MOVSX, LEA, XCHG, PUSH/POP (registers,
 * immediates, memory, segment registers, PUSHA/POPA, PUSHF/POPF),
 * LAHF/SAHF, SETcc, CMOVcc, BSWAP, XLAT, LDS/LES/LSS/LFS/LGS, BOUND,
 * ARPL, and the single-flag instructions.
 */
#include "ops.h"
#include "qemu/log.h"

void op_nop(TCGCPU *s, const DecodedInsn *d)
{
}

void op_mov_EG(TCGCPU *s, const DecodedInsn *d)
{
    st_E(s, d, d->ot, get_reg(s, d->ot, d->reg));
}

void op_mov_GE(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, ld_E(s, d, d->ot));
}

/* ---- specialised 32-bit forms (threaded: see dispatch_next) ---- */
DEFINE_SLOW_PATH(mov_GE_slow, op_mov_GE)
DEFINE_SLOW_PATH(mov_EG_slow, op_mov_EG)

void op_mov_GE_32r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = (uint32_t)s->env->regs[d->rm];
    dispatch_next(s, d);
}

void op_mov_EG_32r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->rm] = (uint32_t)s->env->regs[d->reg];
    dispatch_next(s, d);
}

void op_mov_GE_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {
        mov_GE_slow(s, d);
        return;
    }
    s->env->regs[d->reg] = ldl_host(p);
    dispatch_next(s, d);
}

void op_mov_EG_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, true, &p))) {
        mov_EG_slow(s, d);
        return;
    }
    stl_host(p, s->env->regs[d->reg]);
    dispatch_next(s, d);
}

/* 64-bit operands (REX.W) */
void op_mov_GE_64r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = s->env->regs[d->rm];
    dispatch_next(s, d);
}

void op_mov_EG_64r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->rm] = s->env->regs[d->reg];
    dispatch_next(s, d);
}

void op_mov_GE_64m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 8, false, &p))) {
        mov_GE_slow(s, d);
        return;
    }
    s->env->regs[d->reg] = ldq_host(p);
    dispatch_next(s, d);
}

void op_mov_EG_64m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 8, true, &p))) {
        mov_EG_slow(s, d);
        return;
    }
    stq_host(p, s->env->regs[d->reg]);
    dispatch_next(s, d);
}

void op_mov_EI(TCGCPU *s, const DecodedInsn *d)
{
    st_E(s, d, d->ot, d->imm);
}

void op_mov_rI(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, d->imm);
}

static uint64_t moffs_lin(TCGCPU *s, const DecodedInsn *d, bool write)
{
    return seg_lin(s, d->seg, ea_mask(d->aflag, d->imm), 1 << d->ot, write);
}

void op_mov_AO(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, 0, lin_ld(s, d->ot, moffs_lin(s, d, false)));
}

void op_mov_OA(TCGCPU *s, const DecodedInsn *d)
{
    lin_st(s, d->ot, moffs_lin(s, d, true), get_reg(s, d->ot, 0));
}

void op_movzx_b(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, (uint8_t)ld_E(s, d, MO_8));
}

DEFINE_SLOW_PATH(movzx_b_slow, op_movzx_b)

void op_movzx_b_32m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 1, false, &p))) {
        movzx_b_slow(s, d);
        return;
    }
    s->env->regs[d->reg] = *(uint8_t *)p;
    dispatch_next(s, d);
}

void op_movzx_b_32r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = *reg8p(s, d->rm);
    dispatch_next(s, d);
}

void op_movzx_w_32m(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = lin_lduw(s, insn_lin(s, d, 2, false));
}

void op_movsx_b_32m(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = (uint32_t)(int32_t)(int8_t)lin_ldub(s, insn_lin(s, d, 1, false));
}

void op_movzx_w(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, (uint16_t)ld_E(s, d, MO_16));
}

void op_movsx_b(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, (uint64_t)(int64_t)(int8_t)ld_E(s, d, MO_8));
}

void op_movsx_w(TCGCPU *s, const DecodedInsn *d)
{
    set_reg(s, d->ot, d->reg, (uint64_t)(int64_t)(int16_t)ld_E(s, d, MO_16));
}

/* MOVSXD (63 in 64-bit mode): without REX.W an ordinary move of the
 * operand size. */
void op_movsxd(TCGCPU *s, const DecodedInsn *d)
{
    if (d->ot == MO_64) {
        set_reg(s, MO_64, d->reg, (uint64_t)(int64_t)(int32_t)ld_E(s, d, MO_32));
    } else {
        set_reg(s, d->ot, d->reg, ld_E(s, d, d->ot));
    }
}

DEFINE_SLOW_PATH(movsxd_slow, op_movsxd)

void op_movsxd_64r(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = (uint64_t)(int64_t)(int32_t)s->env->regs[d->rm];
    dispatch_next(s, d);
}

void op_movsxd_64m(TCGCPU *s, const DecodedInsn *d)
{
    void *p;

    if (G_UNLIKELY(!fast_mem(s, d, 4, false, &p))) {
        movsxd_slow(s, d);
        return;
    }
    s->env->regs[d->reg] = (uint64_t)(int64_t)(int32_t)ldl_host(p);
    dispatch_next(s, d);
}

void op_lea_64(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = insn_ea(s, d);
    dispatch_next(s, d);
}

void op_lea(TCGCPU *s, const DecodedInsn *d)
{
    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    set_reg(s, d->ot, d->reg, insn_ea(s, d));
}

void op_lea_32(TCGCPU *s, const DecodedInsn *d)
{
    s->env->regs[d->reg] = (uint32_t)insn_ea(s, d);
    dispatch_next(s, d);
}

void op_xchg_EG(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t r = get_reg(s, ot, d->reg);

    if (d->mod3) {
        set_reg(s, ot, d->reg, get_reg(s, ot, d->rm));
        set_reg(s, ot, d->rm, r);
        return;
    }
    uint64_t lin = insn_lin(s, d, 1 << ot, true);
    uint64_t m = lin_ld(s, ot, lin);
    lin_st(s, ot, lin, r);
    set_reg(s, ot, d->reg, m);
}

void op_xchg_rA(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t a = get_reg(s, ot, R_EAX);

    set_reg(s, ot, R_EAX, get_reg(s, ot, d->reg));
    set_reg(s, ot, d->reg, a);
}

/* ---- stack ---- */
void op_push_r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    if (G_LIKELY(d->ot == MO_32 && (s->seg_flat & (1u << R_SS)))) {
        uint32_t sp = regs[R_ESP] - 4;
        lin_stl(s, sp, regs[d->reg]);
        regs[R_ESP] = sp;
        return;
    }
    push_v(s, d->ot, get_reg(s, d->ot, d->reg));
}

void op_pop_r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    if (G_LIKELY(d->ot == MO_32 && (s->seg_flat & (1u << R_SS)))) {
        uint32_t sp = regs[R_ESP];
        uint32_t v = lin_ldl(s, sp);
        regs[R_ESP] = (uint32_t)(sp + 4);
        regs[d->reg] = v; /* after ESP: "pop %esp" loads the popped value */
        return;
    }
    uint64_t v = pop_v(s, d->ot);
    set_reg(s, d->ot, d->reg, v);
}

DEFINE_SLOW_PATH(push_r_slow, op_push_r)
DEFINE_SLOW_PATH(pop_r_slow, op_pop_r)

void op_push_r32(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint32_t sp = regs[R_ESP] - 4;
    void *p;

    if (G_UNLIKELY(!fast_stack(s, sp, 4, true, &p))) {
        push_r_slow(s, d);
        return;
    }
    stl_host(p, regs[d->reg]);
    regs[R_ESP] = sp;
    dispatch_next(s, d);
}

void op_pop_r32(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint32_t sp = regs[R_ESP];
    void *p;

    if (G_UNLIKELY(!fast_stack(s, sp, 4, false, &p))) {
        pop_r_slow(s, d);
        return;
    }
    regs[R_ESP] = (uint32_t)(sp + 4);
    regs[d->reg] = ldl_host(p); /* after ESP: "pop %esp" loads the popped value */
    dispatch_next(s, d);
}

/* PUSH/POP r64: a hit in the TLB is canonical by construction. */
void op_push_r64(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t sp = regs[R_ESP] - 8;
    void *p;

    if (G_UNLIKELY(!fast_stack(s, sp, 8, true, &p))) {
        push_r_slow(s, d);
        return;
    }
    stq_host(p, regs[d->reg]);
    regs[R_ESP] = sp;
    dispatch_next(s, d);
}

void op_pop_r64(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t sp = regs[R_ESP];
    void *p;

    if (G_UNLIKELY(!fast_stack(s, sp, 8, false, &p))) {
        pop_r_slow(s, d);
        return;
    }
    regs[R_ESP] = sp + 8;
    regs[d->reg] = ldq_host(p); /* after RSP: "pop %rsp" loads the popped value */
    dispatch_next(s, d);
}

void op_push_I(TCGCPU *s, const DecodedInsn *d)
{
    push_v(s, d->ot, d->imm);
}

void op_push_E(TCGCPU *s, const DecodedInsn *d)
{
    push_v(s, d->ot, ld_E(s, d, d->ot));
}

void op_pop_E(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int ot = d->ot;
    uint64_t v = stack_peek(s, ot, 0);
    uint64_t old_sp = regs[R_ESP], mask = sp_mask(s);

    if (d->mod3) {
        regs[R_ESP] = (old_sp & ~mask) | ((old_sp + (1 << ot)) & mask);
        set_reg(s, ot, d->rm, v);
        return;
    }
    /* The address is computed with ESP already incremented (SDM POP). */
    regs[R_ESP] = (old_sp & ~mask) | ((old_sp + (1 << ot)) & mask);
    uint64_t lin = insn_lin(s, d, 1 << ot, true);
    regs[R_ESP] = old_sp;
    probe_write(s, lin, 1 << ot);
    regs[R_ESP] = (old_sp & ~mask) | ((old_sp + (1 << ot)) & mask);
    lin_st(s, ot, lin, v);
}

void op_push_seg(TCGCPU *s, const DecodedInsn *d)
{
    push_v(s, d->ot, s->env->segs[d->b].selector);
}

void op_pop_seg(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t mask = sp_mask(s);
    uint32_t sel = stack_peek(s, d->ot, 0) & 0xffff;

    load_seg(s, d->b, sel);
    regs[R_ESP] = (regs[R_ESP] & ~mask) | ((regs[R_ESP] + (1 << d->ot)) & mask);
    if (d->b == R_SS) {
        s->inhibit_irq = true; /* SDM vol.3 6.8.3 */
        s->inhibit_db = true;
    }
}

void op_mov_E_seg(TCGCPU *s, const DecodedInsn *d)
{
    uint32_t sel = s->env->segs[d->reg & 7].selector;

    if (d->mod3) {
        set_reg(s, d->ot, d->rm, sel);
    } else {
        lin_stw(s, insn_lin(s, d, 2, true), sel);
    }
}

void op_mov_seg_E(TCGCPU *s, const DecodedInsn *d)
{
    int seg = d->reg & 7;

    if (seg == R_CS) {
        raise_exception(s, EXCP06_ILLOP);
    }
    load_seg(s, seg, ld_E(s, d, MO_16));
    if (seg == R_SS) {
        s->inhibit_irq = true;
        s->inhibit_db = true;
    }
}

void op_pusha(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int ot = d->ot, sz = 1 << ot;
    uint64_t mask = sp_mask(s), sp = regs[R_ESP];
    uint64_t lins[8];

    for (int i = 0; i < 8; i++) {
        lins[i] = stack_lin_at(s, (sp - (i + 1) * sz) & mask, sz, true);
        probe_write(s, lins[i], sz);
    }
    for (int i = 0; i < 8; i++) {
        lin_st(s, ot, lins[i], get_reg(s, ot, i)); /* ESP: the value before PUSHA */
    }
    regs[R_ESP] = (sp & ~mask) | ((sp - 8 * sz) & mask);
}

void op_popa(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    int ot = d->ot, sz = 1 << ot;
    uint64_t vals[8];

    for (int i = 0; i < 8; i++) {
        vals[7 - i] = stack_peek(s, ot, i * sz);
    }
    uint64_t mask = sp_mask(s), sp = regs[R_ESP];
    for (int i = 0; i < 8; i++) {
        if (i != R_ESP) {
            set_reg(s, ot, i, vals[i]);
        }
    }
    regs[R_ESP] = (sp & ~mask) | ((sp + 8 * sz) & mask);
}

void op_pushf(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;

    if ((env->eflags & VM_MASK) && ((env->eflags & IOPL_MASK) >> 12) < 3) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    push_v(s, d->ot, cpu_compute_eflags(s) & ~(VM_MASK | RF_MASK));
}

void op_popf(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    int iopl = (env->eflags & IOPL_MASK) >> 12;
    uint32_t mask = CC_ALL | TF_MASK | DF_MASK | NT_MASK | AC_MASK | ID_MASK;

    if (env->eflags & VM_MASK) {
        if (iopl < 3) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        mask |= IF_MASK;
    } else if (s->cpl == 0) {
        mask |= IF_MASK | IOPL_MASK;
    } else if (s->cpl <= iopl) {
        mask |= IF_MASK;
    }
    if (d->ot == MO_16) {
        mask &= 0xffff;
    }
    uint32_t v = pop_v(s, d->ot);
    cpu_load_eflags(s, v, mask);
}

/* LAHF/SAHF exist in 64-bit mode only with CPUID lahf_lm. */
static void check_lahf(TCGCPU *s)
{
    if (s->code64 && !cpu_has(s, FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM)) {
        raise_exception(s, EXCP06_ILLOP);
    }
}

void op_lahf(TCGCPU *s, const DecodedInsn *d)
{
    check_lahf(s);
    *reg8p(s, 1) = (cc_compute_all(s) & (CC_S | CC_Z | CC_A | CC_P | CC_C)) | 0x2;
}

void op_sahf(TCGCPU *s, const DecodedInsn *d)
{
    check_lahf(s);
    uint32_t f = cc_compute_all(s) & CC_O;
    set_cc_flags(s, f | (*reg8p(s, 1) & (CC_S | CC_Z | CC_A | CC_P | CC_C)));
}

void op_setcc(TCGCPU *s, const DecodedInsn *d)
{
    st_E(s, d, MO_8, cc_test(s, d->b));
}

void op_cmovcc(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t v = ld_E(s, d, d->ot);

    if (cc_test(s, d->b)) {
        set_reg(s, d->ot, d->reg, v);
    } else if (d->ot == MO_32 && s->code64) {
        set_reg(s, MO_32, d->reg, get_reg(s, MO_32, d->reg));
    }
}

void op_bswap(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    switch (d->ot) {
    case MO_16: *reg16p(s, d->reg) = 0; break; /* undefined: pick zero */
    case MO_32: regs[d->reg] = __builtin_bswap32(regs[d->reg]); break;
    default: regs[d->reg] = __builtin_bswap64(regs[d->reg]); break;
    }
}

void op_xlat(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint64_t ea = ea_mask(d->aflag, regs[R_EBX] + (uint8_t)regs[R_EAX]);

    *reg8p(s, 0) = lin_ldub(s, seg_lin(s, d->seg, ea, 1, false));
}

void op_salc(TCGCPU *s, const DecodedInsn *d)
{
    *reg8p(s, 0) = cc_compute_c(s) ? 0xff : 0;
}

void op_lxs(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;

    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t ea = insn_ea(s, d);
    uint64_t off = lin_ld(s, ot, seg_lin(s, d->seg, ea, 1 << ot, false));
    uint32_t sel = lin_lduw(s, seg_lin(s, d->seg, ea_mask(d->aflag, ea + (1 << ot)), 2, false));
    load_seg(s, d->b, sel);
    set_reg(s, ot, d->reg, off);
    if (d->b == R_SS) {
        s->inhibit_irq = true;
        end_block(s);
    }
}

void op_bound(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;

    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t ea = insn_ea(s, d);
    int64_t lo = sext(ot, lin_ld(s, ot, seg_lin(s, d->seg, ea, 1 << ot, false)));
    int64_t hi = sext(ot, lin_ld(s, ot, seg_lin(s, d->seg, ea_mask(d->aflag, ea + (1 << ot)),
                                                1 << ot, false)));
    int64_t v = sext(ot, get_reg(s, ot, d->reg));
    if (v < lo || v > hi) {
        raise_exception(s, EXCP05_BOUND);
    }
}

void op_arpl(TCGCPU *s, const DecodedInsn *d)
{
    if (!(s->env->cr[0] & CR0_PE_MASK) || (s->env->eflags & VM_MASK)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint32_t dst = ld_E(s, d, MO_16), src = get_reg(s, MO_16, d->reg);
    uint32_t f = cc_compute_all(s) & ~CC_Z;

    if ((dst & 3) < (src & 3)) {
        st_E(s, d, MO_16, (dst & ~3u) | (src & 3));
        f |= CC_Z;
    }
    set_cc_flags(s, f);
}

void op_cmc(TCGCPU *s, const DecodedInsn *d) { set_cc_flags(s, cc_compute_all(s) ^ CC_C); }
void op_clc(TCGCPU *s, const DecodedInsn *d) { set_cc_flags(s, cc_compute_all(s) & ~CC_C); }
void op_stc(TCGCPU *s, const DecodedInsn *d) { set_cc_flags(s, cc_compute_all(s) | CC_C); }
void op_cld(TCGCPU *s, const DecodedInsn *d) { s->env->eflags &= ~DF_MASK; }
void op_std(TCGCPU *s, const DecodedInsn *d) { s->env->eflags |= DF_MASK; }
