/*
 * IA-32e mode, for 64-bit and compatibility-mode code alike (SDM vol.3
 * 5.8.3.1, 6.14; vol.2 INT n, IRET, RET, JMP, CALL): interrupts and
 * exceptions through the 64-bit IDT (16-byte gates) onto the 64-bit
 * TSS's RSP0-2 or IST1-7 stacks with the always-SS:RSP frame, IRET, and
 * far RET/JMP/CALL to 64-bit or compatibility-mode code segments (64-bit
 * call gates are gate_helper.c's); task switches do not exist in long
 * mode (#GP).
 */
#include "seg_helper.h"
#include "qemu/log.h"

/* Flat SS with the given selector and DPL; null selectors mark it unusable. */
static void load_ss_flat(TCGCPU *s, uint32_t sel, int dpl)
{
    uint32_t flags = (uint32_t)dpl << DESC_DPL_SHIFT;

    if (sel & 0xfffc) {
        flags |= DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | DESC_G_MASK |
                 (3 << DESC_TYPE_SHIFT);
    }
    cpu_x86_load_seg_cache(s, R_SS, sel, 0, (sel & 0xfffc) ? 0xffffffff : 0, flags);
}

uint64_t tss64_stack(TCGCPU *s, unsigned offset)
{
    CPUX86State *env = s->env;

    if (!(env->tr.flags & DESC_P_MASK) || offset + 7 > env->tr.limit) {
        qemu_log_mask(LOG_GUEST_ERROR, "tcg: no 64-bit TSS stack at offset %u\n", offset);
        raise_exception_err(s, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }
    return sys_ldq(s, env->tr.base + offset);
}

void do_interrupt64(TCGCPU *s, int vec, bool is_int, bool has_err, int err,
                    uint64_t next_eip)
{
    CPUX86State *env = s->env;
    int ext = is_int ? 0 : 1; /* EXT (SDM 6.13) */
    int cpl = s->cpl;
    uint32_t cs_e1, cs_e2;

    if (vec * 16 + 15 > env->idt.limit) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    uint64_t gate = env->idt.base + vec * 16;
    uint32_t e1 = sys_ldl(s, gate), e2 = sys_ldl(s, gate + 4);
    uint32_t e3 = sys_ldl(s, gate + 8);
    int type = (e2 >> DESC_TYPE_SHIFT) & 0x1f; /* includes S */
    if (type != 14 && type != 15) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2 + ext); /* only 64-bit int/trap gates */
    }
    if (is_int && ((e2 >> DESC_DPL_SHIFT) & 3) < cpl) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, vec * 8 + 2 + ext);
    }
    uint32_t sel = e1 >> 16;
    uint64_t offset = (e1 & 0xffff) | (e2 & 0xffff0000) | ((uint64_t)e3 << 32);
    unsigned ist = e2 & 7;

    if ((sel & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, ext);
    }
    if (!load_descriptor(s, sel, &cs_e1, &cs_e2) || !(cs_e2 & DESC_S_MASK) ||
        !(cs_e2 & (8 << DESC_TYPE_SHIFT))) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    int cs_dpl = (cs_e2 >> DESC_DPL_SHIFT) & 3;
    if (cs_dpl > cpl) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    if (!(cs_e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, (sel & 0xfffc) + ext);
    }
    if (!(cs_e2 & DESC_L_MASK) || (cs_e2 & DESC_B_MASK)) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext); /* not 64-bit code */
    }
    if (!is_canonical(offset)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }

    bool conforming = cs_e2 & (4 << DESC_TYPE_SHIFT);
    bool priv_change = !conforming && cs_dpl < cpl;
    int new_cpl = priv_change ? cs_dpl : cpl;
    uint64_t rsp = env->regs[R_ESP];
    if (ist) {
        rsp = tss64_stack(s, 36 + 8 * (ist - 1));
    } else if (priv_change) {
        rsp = tss64_stack(s, 4 + 8 * cs_dpl);
    }
    /* The frame is always SS:RSP, RFLAGS, CS:RIP (and the error code), on
     * a 16-byte aligned stack (SDM 6.14.2). */
    StackPtr st = { 0, ~0ull, rsp & ~0xfull, new_cpl == 3 ? MMU_USER : MMU_KERNEL };
    uint32_t eflags = cpu_compute_eflags(s);
    sp_push(s, &st, MO_64, env->segs[R_SS].selector);
    sp_push(s, &st, MO_64, env->regs[R_ESP]);
    sp_push(s, &st, MO_64, eflags);
    sp_push(s, &st, MO_64, env->segs[R_CS].selector);
    sp_push(s, &st, MO_64, next_eip);
    if (has_err) {
        sp_push(s, &st, MO_64, (uint32_t)err);
    }

    /* Everything is on the stack: commit. */
    if (priv_change) {
        load_ss_flat(s, new_cpl, new_cpl); /* a null SS with RPL = the new CPL */
    }
    env->regs[R_ESP] = st.sp;
    load_code_seg(s, (sel & ~3u) | new_cpl, cs_e1, cs_e2);
    env->eip = offset;
    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK; /* interrupt gate */
    }
}

/* A code segment descriptor for a return or far transfer in long mode:
 * L and D both set is reserved. */
static void check_long_cs(TCGCPU *s, uint32_t sel, uint32_t e2)
{
    if ((e2 & DESC_L_MASK) && (e2 & DESC_B_MASK)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
}

/* The new instruction pointer for CS descriptor e1/e2. */
static void check_target(TCGCPU *s, uint64_t rip, uint32_t e1, uint32_t e2)
{
    if ((e2 & DESC_L_MASK) ? !is_canonical(rip) : rip > desc_limit(e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

/*
 * The stack segment a return to privilege rpl pops: a null selector is
 * allowed only for a return to 64-bit code outside ring 3.
 */
static void check_return_ss(TCGCPU *s, uint32_t ss, int rpl, bool to64, uint32_t *e1,
                            uint32_t *e2)
{
    if ((ss & 0xfffc) == 0) {
        if (!to64 || rpl == 3 || (ss & 3) != rpl) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        *e1 = *e2 = 0;
        return;
    }
    if ((ss & 3) != rpl || !load_descriptor(s, ss, e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, ss & 0xfffc);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    if (!(*e2 & DESC_S_MASK) || (type & 8) || !(type & 2) ||
        ((*e2 >> DESC_DPL_SHIFT) & 3) != rpl) {
        raise_exception_err(s, EXCP0D_GPF, ss & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0C_STACK, ss & 0xfffc);
    }
}

static void load_return_ss(TCGCPU *s, uint32_t ss, int rpl, uint32_t e1, uint32_t e2)
{
    if ((ss & 0xfffc) == 0) {
        load_ss_flat(s, ss, rpl);
    } else {
        load_seg_desc(s, R_SS, ss, e1, e2 | (1 << 8));
    }
}

/* Common tail of IRET and far RET once CS:RIP (and RFLAGS) are popped. */
static void return_long(TCGCPU *s, StackPtr *st, int ot, uint32_t sel, uint64_t rip,
                        int addend, bool pop_ss)
{
    CPUX86State *env = s->env;
    uint32_t e1, e2, ss_e1 = 0, ss_e2 = 0, ss = 0;
    uint64_t rsp = 0;
    int rpl = sel & 3;
    bool outer = rpl > s->cpl;

    check_return_cs(s, sel, &e1, &e2);
    check_long_cs(s, sel, e2);
    bool to64 = e2 & DESC_L_MASK;
    if (outer || pop_ss) {
        st->sp += addend;
        rsp = sp_pop(s, st, ot);
        ss = sp_pop(s, st, ot) & 0xffff;
        check_return_ss(s, ss, rpl, to64, &ss_e1, &ss_e2);
    }
    if (!to64) {
        rip = ot == MO_16 ? (rip & 0xffff) : (uint32_t)rip;
    }
    check_target(s, rip, e1, e2);

    load_code_seg(s, sel, e1, e2);
    if (outer || pop_ss) {
        load_return_ss(s, ss, rpl, ss_e1, ss_e2);
        rsp += addend;
        if (ot == MO_16) {
            set_sp(s, rsp, 0xffff);
        } else {
            env->regs[R_ESP] = ot == MO_32 ? (uint32_t)rsp : rsp;
        }
    } else {
        set_sp(s, st->sp + addend, st->mask);
    }
    env->eip = rip;
    if (outer) {
        validate_seg_on_return(s, R_ES);
        validate_seg_on_return(s, R_DS);
        validate_seg_on_return(s, R_FS);
        validate_seg_on_return(s, R_GS);
    }
}

void helper_iret64(TCGCPU *s, int ot)
{
    CPUX86State *env = s->env;
    StackPtr st = cur_stack(s);

    if (env->eflags & NT_MASK) {
        raise_exception_err(s, EXCP0D_GPF, 0); /* no task return in IA-32e mode */
    }
    uint64_t rip = sp_pop(s, &st, ot);
    uint32_t sel = sp_pop(s, &st, ot) & 0xffff;
    uint32_t fl = sp_pop(s, &st, ot);
    uint32_t mask = eflags_write_mask(s, ot); /* at the old CPL; VM stays clear */

    /* 64-bit mode pops SS:RSP whatever the privilege (SDM IRET) */
    return_long(s, &st, ot, sel, rip, 0, s->code64);
    cpu_load_eflags(s, fl, mask);
    tcg_update_hflags(s);
}

void helper_lret64(TCGCPU *s, int ot, int addend)
{
    StackPtr st = cur_stack(s);
    uint64_t rip = sp_pop(s, &st, ot);
    uint32_t sel = sp_pop(s, &st, ot) & 0xffff;

    return_long(s, &st, ot, sel, rip, addend, false);
}

/* A far JMP/CALL target: a code segment (conforming or at the CPL); gates
 * and TSSs are not followed.  Returns the selector to load. */
static uint32_t check_far_target64(TCGCPU *s, uint32_t sel, uint64_t off, uint32_t *e1,
                                   uint32_t *e2)
{
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (!load_descriptor(s, sel, e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    int dpl = (*e2 >> DESC_DPL_SHIFT) & 3, rpl = sel & 3;
    if (!(*e2 & DESC_S_MASK) || !(type & 8)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if ((type & 4) ? dpl > s->cpl : (rpl > s->cpl || dpl != s->cpl)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
    check_long_cs(s, sel, *e2);
    check_target(s, off, *e1, *e2);
    return (sel & ~3u) | s->cpl;
}

/* A call gate (gate_helper.c) rather than a code segment? */
static bool gate_target64(TCGCPU *s, uint32_t sel)
{
    uint32_t e1, e2;

    return (sel & 0xfffc) && load_descriptor(s, sel, &e1, &e2) && !(e2 & DESC_S_MASK);
}

void helper_ljmp64(TCGCPU *s, uint32_t sel, uint64_t off, uint64_t next_eip)
{
    uint32_t e1, e2;

    if (gate_target64(s, sel)) {
        far_system64(s, sel, false, next_eip);
        return;
    }
    uint32_t nsel = check_far_target64(s, sel, off, &e1, &e2);

    load_code_seg(s, nsel, e1, e2);
    s->env->eip = off;
}

void helper_lcall64(TCGCPU *s, uint32_t sel, uint64_t off, int ot, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    StackPtr st = cur_stack(s);
    uint32_t e1, e2;

    if (gate_target64(s, sel)) {
        far_system64(s, sel, true, next_eip);
        return;
    }
    uint32_t nsel = check_far_target64(s, sel, off, &e1, &e2);

    sp_push(s, &st, ot, env->segs[R_CS].selector);
    sp_push(s, &st, ot, next_eip);
    set_sp(s, st.sp, st.mask);
    load_code_seg(s, nsel, e1, e2);
    env->eip = off;
}
