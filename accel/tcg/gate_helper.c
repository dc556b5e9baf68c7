/*
 * Far JMP and CALL through system descriptors (SDM vol.2 JMP and CALL;
 * vol.3 5.8 and 7.3): call gates (16- and 32-bit; 64-bit in IA-32e mode),
 * with CALL's privilege change onto the inner stack from the TSS and the
 * copy of the gate's parameter count; task gates and TSS descriptors,
 * which switch tasks (task_helper.c).  A far RET back to the outer level
 * is seg_helper.c's return_to.
 */
#include "seg_helper.h"
#include "qemu/log.h"

enum {
    SYS_TSS16 = 1, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4, SYS_TASK = 5,
    SYS_TSS32 = 9, SYS_TSS32_BUSY = 11, SYS_CALL32 = 12,
};

/* JMP/CALL to a TSS descriptor or task gate (protected mode only). */
static void far_task(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, bool call,
                     uint64_t next_eip)
{
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;

    if (dpl < s->cpl || dpl < (int)(sel & 3)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (type == SYS_TASK) {
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
        }
        sel = e1 >> 16;
        task_gate_target(s, sel, &e1, &e2, 0);
    } else {
        if (type == SYS_TSS16_BUSY || type == SYS_TSS32_BUSY || (sel & 4)) {
            raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
        }
    }
    switch_tss(s, sel, e1, e2, call ? TASK_CALL : TASK_JMP, next_eip, 0);
}

/* The code segment a call gate names: must be code with DPL <= CPL
 * (#GP(code selector)), present (#NP). */
static void gate_code_target(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (!load_descriptor(s, sel, e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    if (!(*e2 & DESC_S_MASK) || !(type & 8) ||
        (int)((*e2 >> DESC_DPL_SHIFT) & 3) > s->cpl) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
}

/* A call gate: its DPL admits the caller, it is present. */
static void check_gate(TCGCPU *s, uint32_t sel, uint32_t e2)
{
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;

    if (dpl < s->cpl || dpl < (int)(sel & 3)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
}

void far_jmp_system(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, uint64_t next_eip)
{
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    uint32_t cs_e1, cs_e2;

    if (s->env->efer & MSR_EFER_LMA) {
        far_system64(s, sel, false, next_eip);
        return;
    }
    switch (type) {
    case SYS_TSS16: case SYS_TSS16_BUSY: case SYS_TASK: case SYS_TSS32: case SYS_TSS32_BUSY:
        far_task(s, sel, e1, e2, false, next_eip);
        return;
    case SYS_CALL16: case SYS_CALL32:
        break;
    default:
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    check_gate(s, sel, e2);
    uint32_t cs = e1 >> 16;
    uint32_t off = (e1 & 0xffff) | (type == SYS_CALL32 ? (e2 & 0xffff0000) : 0);
    gate_code_target(s, cs, &cs_e1, &cs_e2);
    /* JMP never changes privilege: non-conforming code must be at the CPL */
    int dpl = (cs_e2 >> DESC_DPL_SHIFT) & 3;
    if (!(cs_e2 & (4 << DESC_TYPE_SHIFT)) && dpl != s->cpl) {
        raise_exception_err(s, EXCP0D_GPF, cs & 0xfffc);
    }
    if (off > desc_limit(cs_e1, cs_e2)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    set_accessed(s, cs, cs_e2);
    load_code_seg(s, (cs & ~3u) | s->cpl, cs_e1, cs_e2);
    s->env->eip = off;
}

void far_call_system(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, int ot,
                     uint64_t next_eip)
{
    CPUX86State *env = s->env;
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    uint32_t cs_e1, cs_e2;

    if (env->efer & MSR_EFER_LMA) {
        far_system64(s, sel, true, next_eip);
        return;
    }
    switch (type) {
    case SYS_TSS16: case SYS_TSS16_BUSY: case SYS_TASK: case SYS_TSS32: case SYS_TSS32_BUSY:
        far_task(s, sel, e1, e2, true, next_eip);
        return;
    case SYS_CALL16: case SYS_CALL32:
        break;
    default:
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    check_gate(s, sel, e2);
    uint32_t cs = e1 >> 16;
    int gate_ot = type == SYS_CALL32 ? MO_32 : MO_16;
    uint32_t off = (e1 & 0xffff) | (gate_ot == MO_32 ? (e2 & 0xffff0000) : 0);
    gate_code_target(s, cs, &cs_e1, &cs_e2);
    int dpl = (cs_e2 >> DESC_DPL_SHIFT) & 3;
    int size = 1 << gate_ot;
    StackPtr st;

    if (!(cs_e2 & (4 << DESC_TYPE_SHIFT)) && dpl < s->cpl) {
        /* MORE-PRIVILEGE: the inner stack from the TSS, then the caller's
         * SS:ESP, the parameters (count in bits 4:0) and CS:EIP */
        uint32_t ss, esp, ss_e1, ss_e2;
        unsigned count = e2 & 0x1f;
        tss_get_stack(s, dpl, &ss, &esp);
        check_inner_ss(s, ss, esp, dpl, 0, &ss_e1, &ss_e2, &st);
        check_stack_room(s, ss_e1, ss_e2, esp, (4 + count) * size, ss & 0xfffc);
        if (off > desc_limit(cs_e1, cs_e2)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        StackPtr old = cur_stack(s);
        sp_push(s, &st, gate_ot, env->segs[R_SS].selector);
        sp_push(s, &st, gate_ot, env->regs[R_ESP]);
        for (int i = count - 1; i >= 0; i--) {
            StackPtr p = old;
            p.sp = old.sp + i * size;
            sp_push(s, &st, gate_ot, sp_pop(s, &p, gate_ot));
        }
        sp_push(s, &st, gate_ot, env->segs[R_CS].selector);
        sp_push(s, &st, gate_ot, next_eip);
        set_accessed(s, ss, ss_e2);
        set_accessed(s, cs, cs_e2);
        load_code_seg(s, (cs & ~3u) | dpl, cs_e1, cs_e2);
        load_seg_desc(s, R_SS, ss, ss_e1, ss_e2 | (1 << 8));
        set_sp(s, st.sp, st.mask);
    } else {
        /* SAME-PRIVILEGE (conforming, or at the CPL) */
        st = cur_stack(s);
        sp_push(s, &st, gate_ot, env->segs[R_CS].selector);
        sp_push(s, &st, gate_ot, next_eip);
        if (off > desc_limit(cs_e1, cs_e2)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        set_accessed(s, cs, cs_e2);
        load_code_seg(s, (cs & ~3u) | s->cpl, cs_e1, cs_e2);
        set_sp(s, st.sp, st.mask);
    }
    env->eip = off;
    (void)ot; /* the gate's size, not the operand size, sizes the pushes */
}

/*
 * IA-32e mode: only 64-bit call gates (16 bytes, type 12, the upper
 * half's type zero) to 64-bit code; no parameters are copied, and a
 * privilege change loads a null SS with RPL = the new CPL (SDM 5.8.3.1,
 * 5.8.6).  Task gates and TSSs do not exist there.
 */
void far_system64(TCGCPU *s, uint32_t sel, bool call, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    uint32_t e1, e2, cs_e1, cs_e2;
    uint64_t off;

    if (!load_system_descriptor(s, sel, &e1, &e2, &off) || (e2 & DESC_S_MASK) ||
        ((e2 >> DESC_TYPE_SHIFT) & 15) != SYS_CALL32) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    /* load_system_descriptor's "base" spans the wrong fields for a gate */
    SegmentCache *dt = (sel & 4) ? &env->ldt : &env->gdt;
    off = (e1 & 0xffff) | (e2 & 0xffff0000) |
          ((uint64_t)sys_ldl(s, dt->base + (sel & ~7u) + 8) << 32);
    check_gate(s, sel, e2);
    uint32_t cs = e1 >> 16;
    gate_code_target(s, cs, &cs_e1, &cs_e2);
    if (!(cs_e2 & DESC_L_MASK) || (cs_e2 & DESC_B_MASK)) {
        raise_exception_err(s, EXCP0D_GPF, cs & 0xfffc);
    }
    int dpl = (cs_e2 >> DESC_DPL_SHIFT) & 3;
    bool conforming = cs_e2 & (4 << DESC_TYPE_SHIFT);
    if (!call && !conforming && dpl != s->cpl) {
        raise_exception_err(s, EXCP0D_GPF, cs & 0xfffc);
    }
    if (!is_canonical(off)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (!call) {
        set_accessed(s, cs, cs_e2);
        load_code_seg(s, (cs & ~3u) | s->cpl, cs_e1, cs_e2);
        env->eip = off;
        return;
    }
    StackPtr st;
    bool inner = !conforming && dpl < s->cpl;
    if (inner) {
        st = (StackPtr){ 0, ~0ull, tss64_stack(s, 4 + 8 * dpl), dpl == 3 ? MMU_USER : MMU_KERNEL };
        sp_push(s, &st, MO_64, env->segs[R_SS].selector);
        sp_push(s, &st, MO_64, env->regs[R_ESP]);
    } else {
        st = cur_stack(s);
        st.mask = ~0ull;
        st.base = 0;
    }
    sp_push(s, &st, MO_64, env->segs[R_CS].selector);
    sp_push(s, &st, MO_64, next_eip);
    set_accessed(s, cs, cs_e2);
    int new_cpl = inner ? dpl : s->cpl;
    load_code_seg(s, (cs & ~3u) | new_cpl, cs_e1, cs_e2);
    if (inner) {
        cpu_x86_load_seg_cache(s, R_SS, new_cpl, 0, 0, (uint32_t)new_cpl << DESC_DPL_SHIFT);
    }
    env->regs[R_ESP] = st.sp;
    env->eip = off;
}
