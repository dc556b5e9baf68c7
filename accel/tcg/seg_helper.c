/*
 * Segmentation and exception delivery (SDM vol.3 chapters 3, 5 and 6):
 * descriptor loads with their protection checks, the interrupt/exception
 * path through the IVT (real mode) or IDT (protected mode, virtual-8086
 * mode included), IRET and far control transfers; IA-32e mode's versions
 * are in seg_helper64.c, task switches in task_helper.c, call gates in
 * gate_helper.c.
 */
#include "seg_helper.h"
#include "qemu/log.h"

/* ---- raising ---- */

static G_NORETURN void raise_full(TCGCPU *s, int vector, bool has_err, int err, bool is_int,
                                  uint64_t next_eip)
{
    s->exception_index = vector;
    s->exception_has_error = has_err;
    s->error_code = err;
    s->exception_is_int = is_int;
    s->exception_is_trap = false;
    s->exception_next_eip = next_eip;
    cpu_loop_exit(s);
}

void raise_exception(TCGCPU *s, int vector)
{
    raise_full(s, vector, false, 0, false, 0);
}

void raise_exception_err(TCGCPU *s, int vector, int error_code)
{
    raise_full(s, vector, true, error_code, false, 0);
}

void raise_interrupt(TCGCPU *s, int vector, bool is_int, uint64_t next_eip)
{
    raise_full(s, vector, false, 0, is_int, next_eip);
}

void raise_exception_trap(TCGCPU *s, int vector, uint64_t next_eip)
{
    s->exception_index = vector;
    s->exception_has_error = false;
    s->error_code = 0;
    s->exception_is_int = false;
    s->exception_is_trap = true;
    s->exception_next_eip = next_eip;
    cpu_loop_exit(s);
}

void seg_fault(TCGCPU *s, int seg)
{
    raise_exception_err(s, seg == R_SS ? EXCP0C_STACK : EXCP0D_GPF, 0);
}

/* ---- segment cache ---- */

void tcg_update_seg_flat(TCGCPU *s, int seg)
{
    SegmentCache *sc = &s->env->segs[seg];
    uint32_t type = (sc->flags >> DESC_TYPE_SHIFT) & 15;
    bool flat;

    if (s->code64) {
        /* 64-bit mode: no limits; only FS and GS have a base (SDM 3.4.4) */
        flat = (seg != R_FS && seg != R_GS) || sc->base == 0;
    } else {
        flat = (s->env->cr[0] & CR0_PE_MASK) && !(s->env->eflags & VM_MASK) &&
               sc->base == 0 && sc->limit == 0xffffffff &&
               (sc->flags & DESC_P_MASK) && (sc->flags & DESC_S_MASK) &&
               !(type & 8) && (type & 2) && !(type & 4) &&
               (seg != R_SS || (sc->flags & DESC_B_MASK)); /* the stack fast paths use ESP */
    }

    if (flat) {
        s->seg_flat |= 1u << seg;
    } else {
        s->seg_flat &= ~(1u << seg);
    }
}

void tcg_update_hflags(TCGCPU *s)
{
    CPUX86State *env = s->env;

    if (!(env->cr[0] & CR0_PE_MASK)) {
        s->cpl = 0;
    } else if (env->eflags & VM_MASK) {
        s->cpl = 3;
    } else {
        s->cpl = (env->segs[R_CS].flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    }
    tcg_set_mmu_idx(s, s->cpl == 3 ? MMU_USER : MMU_KERNEL);
    s->code64 = (env->efer & MSR_EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK);
    s->ip_limit = s->code64 ? ~0ull : env->segs[R_CS].limit;
    for (int i = 0; i < 6; i++) {
        tcg_update_seg_flat(s, i);
    }
}

void cpu_x86_load_seg_cache(TCGCPU *s, int seg, uint32_t sel, uint64_t base, uint32_t limit,
                            uint32_t flags)
{
    SegmentCache *sc = &s->env->segs[seg];

    sc->selector = sel;
    sc->base = base;
    sc->limit = limit;
    sc->flags = flags;
    if (seg == R_CS) {
        tcg_update_hflags(s);
    } else {
        tcg_update_seg_flat(s, seg);
    }
}

uint64_t seg_check_slow(TCGCPU *s, int seg, uint64_t ea, int size, bool write)
{
    CPUX86State *env = s->env;
    SegmentCache *sc = &env->segs[seg];
    uint64_t last = ea + size - 1;

    if (s->code64) {
        return (seg == R_FS || seg == R_GS) ? sc->base + ea : ea;
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        if (last > sc->limit) {
            seg_fault(s, seg);
        }
        return (uint32_t)(sc->base + ea);
    }
    uint32_t type = (sc->flags >> DESC_TYPE_SHIFT) & 15;
    if (!(sc->flags & DESC_P_MASK)) {
        seg_fault(s, seg); /* null selector */
    }
    if (type & 8) {
        /* code: never writable; readable only with R */
        if (write || !(type & 2)) {
            seg_fault(s, seg);
        }
    } else if (write && !(type & 2)) {
        seg_fault(s, seg);
    }
    if (!(type & 8) && (type & 4)) {
        /* expand-down: offsets above the limit are valid (SDM 3.4.5.1) */
        uint64_t top = (sc->flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
        if (ea <= sc->limit || last > top) {
            seg_fault(s, seg);
        }
    } else if (last > sc->limit || last < ea) {
        seg_fault(s, seg);
    }
    return (uint32_t)(sc->base + ea);
}

/* ---- descriptors ---- */

uint32_t sys_ldl(TCGCPU *s, uint64_t lin)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    uint32_t v = lin_ldl(s, lin);
    tcg_set_mmu_idx(s, saved);
    return v;
}

uint64_t sys_ldq(TCGCPU *s, uint64_t lin)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    uint64_t v = lin_ldq(s, lin);
    tcg_set_mmu_idx(s, saved);
    return v;
}

uint16_t sys_lduw(TCGCPU *s, uint64_t lin)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    uint16_t v = lin_lduw(s, lin);
    tcg_set_mmu_idx(s, saved);
    return v;
}

void sys_stl(TCGCPU *s, uint64_t lin, uint32_t v)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    lin_stl(s, lin, v);
    tcg_set_mmu_idx(s, saved);
}

bool load_descriptor(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    SegmentCache *dt = (sel & 4) ? &s->env->ldt : &s->env->gdt;
    uint32_t index = sel & ~7u;

    if ((sel & 4) && !(dt->flags & DESC_P_MASK) && dt->selector == 0) {
        return false;
    }
    if (index + 7 > dt->limit) {
        return false;
    }
    *e1 = sys_ldl(s, dt->base + index);
    *e2 = sys_ldl(s, dt->base + index + 4);
    return true;
}

void set_accessed(TCGCPU *s, uint32_t sel, uint32_t e2)
{
    SegmentCache *dt = (sel & 4) ? &s->env->ldt : &s->env->gdt;

    if (!(e2 & (1 << 8))) {
        sys_stl(s, dt->base + (sel & ~7u) + 4, e2 | (1 << 8));
    }
}

void load_seg_desc(TCGCPU *s, int seg, uint32_t sel, uint32_t e1, uint32_t e2)
{
    cpu_x86_load_seg_cache(s, seg, sel, desc_base(e1, e2), desc_limit(e1, e2),
                           e2 & 0x00f0ff00);
}

void load_seg(TCGCPU *s, int seg, uint32_t sel)
{
    CPUX86State *env = s->env;
    uint32_t e1, e2;
    int rpl = sel & 3, dpl, cpl = s->cpl;

    sel &= 0xffff;
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        /* Real and virtual-8086 mode: only selector and base change, which
         * keeps "unreal mode" limits working. */
        SegmentCache *sc = &env->segs[seg];
        uint32_t flags = sc->flags | DESC_P_MASK | DESC_S_MASK | (3 << DESC_TYPE_SHIFT);
        if (env->eflags & VM_MASK) {
            flags |= 3 << DESC_DPL_SHIFT;
        }
        cpu_x86_load_seg_cache(s, seg, sel, sel << 4, sc->limit, flags);
        return;
    }
    if ((sel & ~3u) == 0) {
        /* 64-bit mode lets ring 0-2 run on a null SS (SDM MOV, POP) */
        if (seg == R_SS && !(s->code64 && cpl != 3 && rpl == cpl)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        /* A null selector: loads fine, faults on use. */
        cpu_x86_load_seg_cache(s, seg, sel, 0, 0, 0);
        return;
    }
    if (!load_descriptor(s, sel, &e1, &e2)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_S_MASK)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || (type & 8) || !(type & 2)) {
            raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(s, EXCP0C_STACK, sel & 0xfffc);
        }
    } else {
        if ((type & 8) && !(type & 2)) {
            raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc); /* execute-only code */
        }
        if (!((type & 8) && (type & 4)) && (dpl < cpl || dpl < rpl)) {
            raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
        }
        if (!(e2 & DESC_P_MASK)) {
            raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
        }
    }
    set_accessed(s, sel, e2);
    load_seg_desc(s, seg, sel, e1, e2 | (1 << 8));
}

/* ---- stack access with an explicit SS ---- */

/* 64-bit stacks (mask ~0) have no base and fault #SS(0) off the canonical
 * range; the others wrap at 4 GiB. */
static uint64_t sp_lin(TCGCPU *s, const StackPtr *st, int size)
{
    uint64_t lin = st->base + (st->sp & st->mask);

    if (st->mask != ~0ull) {
        return (uint32_t)lin;
    }
    if (!is_canonical(lin) || !is_canonical(lin + size - 1)) {
        raise_noncanonical(s, true);
    }
    return lin;
}

void sp_push(TCGCPU *s, StackPtr *st, int ot, uint64_t v)
{
    int saved = s->mmu_idx;
    st->sp -= 1 << ot;
    uint64_t lin = sp_lin(s, st, 1 << ot);
    tcg_set_mmu_idx(s, st->mmu_idx);
    lin_st(s, ot, lin, v);
    tcg_set_mmu_idx(s, saved);
}

uint64_t sp_pop(TCGCPU *s, StackPtr *st, int ot)
{
    int saved = s->mmu_idx;
    uint64_t lin = sp_lin(s, st, 1 << ot);
    tcg_set_mmu_idx(s, st->mmu_idx);
    uint64_t v = lin_ld(s, ot, lin);
    tcg_set_mmu_idx(s, saved);
    st->sp += 1 << ot;
    return v;
}

void set_sp(TCGCPU *s, uint64_t sp, uint64_t mask)
{
    s->env->regs[R_ESP] = (s->env->regs[R_ESP] & ~mask) | (sp & mask);
}

StackPtr cur_stack(TCGCPU *s)
{
    StackPtr st = { s->env->segs[R_SS].base, sp_mask(s), s->env->regs[R_ESP], s->mmu_idx };
    if (s->code64) {
        st.base = 0;
    }
    return st;
}

/* The linear address of a size-byte stack access at (masked) sp. */
static inline uint64_t stack_lin(TCGCPU *s, uint64_t sp, int size, bool write)
{
    if (s->code64) {
        if (G_UNLIKELY(!is_canonical(sp) || !is_canonical(sp + size - 1))) {
            raise_noncanonical(s, true);
        }
        return sp;
    }
    return seg_lin(s, R_SS, sp, size, write);
}

void push_v(TCGCPU *s, int ot, uint64_t v)
{
    uint64_t mask = sp_mask(s);
    uint64_t sp = (s->env->regs[R_ESP] - (1 << ot)) & mask;
    lin_st(s, ot, stack_lin(s, sp, 1 << ot, true), v);
    set_sp(s, sp, mask);
}

uint64_t pop_v(TCGCPU *s, int ot)
{
    uint64_t mask = sp_mask(s);
    uint64_t sp = s->env->regs[R_ESP] & mask;
    uint64_t v = lin_ld(s, ot, stack_lin(s, sp, 1 << ot, false));
    set_sp(s, sp + (1 << ot), mask);
    return v;
}

uint64_t stack_peek(TCGCPU *s, int ot, int offset)
{
    uint64_t sp = (s->env->regs[R_ESP] + offset) & sp_mask(s);
    return lin_ld(s, ot, stack_lin(s, sp, 1 << ot, false));
}

uint64_t stack_lin_at(TCGCPU *s, uint64_t sp, int size, bool write)
{
    return stack_lin(s, sp & sp_mask(s), size, write);
}

/* ---- interrupts ---- */

static void do_interrupt_real(TCGCPU *s, int vec, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    StackPtr st = cur_stack(s);

    if (vec * 4 + 3 > env->idt.limit) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2);
    }
    uint32_t vector = lin_ldl(s, env->idt.base + vec * 4);
    st.mask = 0xffff;
    sp_push(s, &st, MO_16, cpu_compute_eflags(s));
    sp_push(s, &st, MO_16, env->segs[R_CS].selector);
    sp_push(s, &st, MO_16, next_eip);
    set_sp(s, st.sp, 0xffff);
    env->eflags &= ~(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
    env->eip = vector & 0xffff;
    cpu_x86_load_seg_cache(s, R_CS, vector >> 16, (vector >> 16) << 4,
                           env->segs[R_CS].limit, env->segs[R_CS].flags);
}

void tss_get_stack(TCGCPU *s, int dpl, uint32_t *ss, uint32_t *esp)
{
    CPUX86State *env = s->env;
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    bool is32 = type & 8;
    uint32_t off = is32 ? 4 + dpl * 8 : 2 + dpl * 4;

    if (!(env->tr.flags & DESC_P_MASK)) {
        qemu_log_mask(LOG_GUEST_ERROR, "tcg: privilege change without a TSS\n");
        raise_exception_err(s, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }
    if (off + (is32 ? 7 : 3) > env->tr.limit) {
        raise_exception_err(s, EXCP0A_TSS, env->tr.selector & 0xfffc);
    }
    if (is32) {
        *esp = sys_ldl(s, env->tr.base + off);
        *ss = sys_lduw(s, env->tr.base + off + 4);
    } else {
        *esp = sys_lduw(s, env->tr.base + off);
        *ss = sys_lduw(s, env->tr.base + off + 2);
    }
}

void check_stack_room(TCGCPU *s, uint32_t e1, uint32_t e2, uint64_t sp, int len, int err)
{
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    uint64_t mask = (e2 & DESC_B_MASK) ? 0xffffffffull : 0xffff;
    uint64_t limit = desc_limit(e1, e2);
    uint64_t lo = (sp - len) & mask, hi = (sp - 1) & mask;

    /* [lo, hi] may not wrap, and lies within the limit (expand-up) or
     * above it (expand-down, SDM 3.4.5.1) */
    if (len > 0 && (lo > hi || ((type & 4) ? lo <= limit : hi > limit))) {
        raise_exception_err(s, EXCP0C_STACK, err);
    }
}

void check_inner_ss(TCGCPU *s, uint32_t ss, uint32_t esp, int dpl, int ext, uint32_t *e1,
                    uint32_t *e2, StackPtr *st)
{
    if ((ss & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0A_TSS, ext);
    }
    if ((int)(ss & 3) != dpl || !load_descriptor(s, ss, e1, e2)) {
        raise_exception_err(s, EXCP0A_TSS, (ss & 0xfffc) + ext);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    if ((int)((*e2 >> DESC_DPL_SHIFT) & 3) != dpl || !(*e2 & DESC_S_MASK) ||
        (type & 8) || !(type & 2)) {
        raise_exception_err(s, EXCP0A_TSS, (ss & 0xfffc) + ext);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0C_STACK, (ss & 0xfffc) + ext);
    }
    st->base = desc_base(*e1, *e2);
    st->mask = (*e2 & DESC_B_MASK) ? 0xffffffff : 0xffff;
    st->sp = esp;
    st->mmu_idx = dpl == 3 ? MMU_USER : MMU_KERNEL;
}

static void do_interrupt_protected(TCGCPU *s, int vec, bool is_int, bool has_err, int err,
                                   uint64_t next_eip, bool is_hw)
{
    CPUX86State *env = s->env;
    /* EXT (SDM 6.13): set unless a software INT n/INT3/INTO caused it */
    int ext = is_int ? 0 : 1;
    uint32_t e1, e2, sel, cs_e1, cs_e2;
    int type, dpl, cs_dpl, cpl = s->cpl;
    if (vec * 8 + 7 > env->idt.limit) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    e1 = sys_ldl(s, env->idt.base + vec * 8);
    e2 = sys_ldl(s, env->idt.base + vec * 8 + 4);
    type = (e2 >> DESC_TYPE_SHIFT) & 0x1f; /* includes S */
    if (type != 5 && type != 6 && type != 7 && type != 14 && type != 15) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2 + ext);
    }
    dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (is_int && dpl < cpl) {
        raise_exception_err(s, EXCP0D_GPF, vec * 8 + 2);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, vec * 8 + 2 + ext);
    }
    if (type == 5) {
        /* Task gate: the handler is a task (SDM 6.12.2) */
        uint32_t tss_e1, tss_e2, tss_sel = e1 >> 16;
        task_gate_target(s, tss_sel, &tss_e1, &tss_e2, ext);
        switch_tss(s, tss_sel, tss_e1, tss_e2, TASK_INT, next_eip, ext);
        if (has_err) {
            /* onto the new task's stack, sized by its TSS (SDM 6.12.2) */
            StackPtr tst = cur_stack(s);
            bool is32 = (tss_e2 >> DESC_TYPE_SHIFT) & 8;
            sp_push(s, &tst, is32 ? MO_32 : MO_16, err);
            set_sp(s, tst.sp, tst.mask);
        }
        return;
    }
    bool gate32 = type & 8;
    uint32_t offset = (e1 & 0xffff) | (gate32 ? (e2 & 0xffff0000) : 0);
    sel = e1 >> 16;
    if ((sel & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, ext);
    }
    if (!load_descriptor(s, sel, &cs_e1, &cs_e2)) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    if (!(cs_e2 & DESC_S_MASK) || !(cs_e2 & (8 << DESC_TYPE_SHIFT))) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    cs_dpl = (cs_e2 >> DESC_DPL_SHIFT) & 3;
    if (cs_dpl > cpl) {
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    if (!(cs_e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, (sel & 0xfffc) + ext);
    }
    bool conforming = cs_e2 & (4 << DESC_TYPE_SHIFT);
    bool vm86 = env->eflags & VM_MASK;
    if (vm86 && (conforming || cs_dpl != 0)) {
        /* from virtual-8086 mode only to a ring-0 non-conforming handler */
        raise_exception_err(s, EXCP0D_GPF, (sel & 0xfffc) + ext);
    }
    if (offset > desc_limit(cs_e1, cs_e2)) {
        raise_exception_err(s, EXCP0D_GPF, ext);
    }
    int ot = gate32 ? MO_32 : MO_16;
    uint32_t eflags = cpu_compute_eflags(s);
    StackPtr st;
    uint32_t new_ss = 0, ss_e1 = 0, ss_e2 = 0;
    bool priv_change = !conforming && cs_dpl < cpl;

    if (priv_change) {
        uint32_t esp;
        tss_get_stack(s, cs_dpl, &new_ss, &esp);
        check_inner_ss(s, new_ss, esp, cs_dpl, ext, &ss_e1, &ss_e2, &st);
        if (vm86) {
            /* SDM 20.3.1.1, figure 20-4: the V86 segment registers too */
            check_stack_room(s, ss_e1, ss_e2, esp, (has_err ? 20 : 18) << (ot - MO_16),
                             (new_ss & 0xfffc) | ext);
            sp_push(s, &st, ot, env->segs[R_GS].selector);
            sp_push(s, &st, ot, env->segs[R_FS].selector);
            sp_push(s, &st, ot, env->segs[R_DS].selector);
            sp_push(s, &st, ot, env->segs[R_ES].selector);
        } else {
            check_stack_room(s, ss_e1, ss_e2, esp, (has_err ? 12 : 10) << (ot - MO_16),
                             (new_ss & 0xfffc) | ext);
        }
        sp_push(s, &st, ot, env->segs[R_SS].selector);
        sp_push(s, &st, ot, env->regs[R_ESP]);
    } else {
        st = cur_stack(s);
    }
    sp_push(s, &st, ot, eflags);
    sp_push(s, &st, ot, env->segs[R_CS].selector);
    sp_push(s, &st, ot, next_eip);
    if (has_err) {
        sp_push(s, &st, ot, err);
    }

    /* Everything is on the stack: commit. */
    env->eflags &= ~(TF_MASK | VM_MASK | RF_MASK | NT_MASK);
    if (!(type & 1)) {
        env->eflags &= ~IF_MASK; /* interrupt gate */
    }
    if (vm86) {
        for (int i = R_ES; i <= R_GS; i++) {
            if (i != R_CS && i != R_SS) {
                cpu_x86_load_seg_cache(s, i, 0, 0, 0, 0);
            }
        }
    }
    if (priv_change) {
        set_accessed(s, new_ss, ss_e2);
        load_seg_desc(s, R_SS, new_ss, ss_e1, ss_e2 | (1 << 8));
    }
    set_sp(s, st.sp, st.mask);
    set_accessed(s, sel, cs_e2);
    load_code_seg(s, (sel & ~3u) | (conforming ? cpl : cs_dpl), cs_e1, cs_e2);
    env->eip = offset;
}

void do_interrupt(TCGCPU *s, int vector, bool is_int, bool has_error, int error_code,
                  uint64_t next_eip, bool is_hw)
{
    CPUX86State *env = s->env;

    if (qemu_loglevel_mask(CPU_LOG_INT) && (is_int || is_hw)) {
        qemu_log("tcg: %s 0x%x at %04x:%08" PRIx64 "\n", is_int ? "int" : "irq", vector,
                 env->segs[R_CS].selector, env->eip);
    }
    if (env->efer & MSR_EFER_LMA) {
        do_interrupt64(s, vector, is_int, has_error, error_code, next_eip);
    } else if (env->cr[0] & CR0_PE_MASK) {
        do_interrupt_protected(s, vector, is_int, has_error, error_code, next_eip, is_hw);
    } else {
        do_interrupt_real(s, vector, next_eip);
    }
    s->inhibit_irq = false;
    env->halted = false;
    tcg_update_debug(s); /* TF and RF were cleared */
}

/* ---- IRET, far transfers ---- */

uint32_t eflags_write_mask(TCGCPU *s, int ot)
{
    uint32_t mask = CC_ALL | TF_MASK | DF_MASK | NT_MASK | RF_MASK | AC_MASK | ID_MASK;
    int iopl = (s->env->eflags & IOPL_MASK) >> 12;

    if (s->cpl == 0) {
        mask |= IOPL_MASK | IF_MASK;
    } else if (s->cpl <= iopl) {
        mask |= IF_MASK;
    }
    if (ot == MO_16) {
        mask &= 0xffff;
    }
    return mask;
}

/* Segment registers a less privileged return must not keep (SDM IRET). */
void validate_seg_on_return(TCGCPU *s, int seg)
{
    SegmentCache *sc = &s->env->segs[seg];
    int dpl = (sc->flags >> DESC_DPL_SHIFT) & 3;
    uint32_t type = (sc->flags >> DESC_TYPE_SHIFT) & 15;

    if ((sc->selector & 0xfffc) == 0) {
        return;
    }
    if (!((type & 8) && (type & 4)) && dpl < s->cpl) {
        cpu_x86_load_seg_cache(s, seg, 0, 0, 0, 0);
    }
}

/* Checks and loads a code segment for a return to privilege rpl. */
void check_return_cs(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    int rpl = sel & 3;

    if ((sel & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (!load_descriptor(s, sel, e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    int dpl = (*e2 >> DESC_DPL_SHIFT) & 3;
    if (!(*e2 & DESC_S_MASK) || !(type & 8) || rpl < s->cpl) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if ((type & 4) ? dpl > rpl : dpl != rpl) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
}

/* Common tail of IRET and far RET: st points past CS (and EFLAGS). */
static void return_to(TCGCPU *s, StackPtr *st, int ot, uint32_t sel, uint64_t eip,
                      uint32_t cs_e1, uint32_t cs_e2, int addend)
{
    int rpl = sel & 3;

    if (rpl > s->cpl) {
        /* Return to an outer level: SS:ESP follow on the stack. */
        st->sp += addend;
        uint32_t new_esp = sp_pop(s, st, ot);
        uint32_t new_ss = sp_pop(s, st, ot) & 0xffff;
        uint32_t ss_e1, ss_e2;
        if ((new_ss & 0xfffc) == 0 || (new_ss & 3) != rpl ||
            !load_descriptor(s, new_ss, &ss_e1, &ss_e2)) {
            raise_exception_err(s, EXCP0D_GPF, new_ss & 0xfffc);
        }
        uint32_t type = (ss_e2 >> DESC_TYPE_SHIFT) & 15;
        if (!(ss_e2 & DESC_S_MASK) || (type & 8) || !(type & 2) ||
            ((ss_e2 >> DESC_DPL_SHIFT) & 3) != rpl) {
            raise_exception_err(s, EXCP0D_GPF, new_ss & 0xfffc);
        }
        if (!(ss_e2 & DESC_P_MASK)) {
            raise_exception_err(s, EXCP0C_STACK, new_ss & 0xfffc);
        }
        load_code_seg(s, sel, cs_e1, cs_e2);
        load_seg_desc(s, R_SS, new_ss, ss_e1, ss_e2 | (1 << 8));
        set_sp(s, new_esp + addend, (ss_e2 & DESC_B_MASK) ? 0xffffffff : 0xffff);
        validate_seg_on_return(s, R_ES);
        validate_seg_on_return(s, R_DS);
        validate_seg_on_return(s, R_FS);
        validate_seg_on_return(s, R_GS);
    } else {
        load_code_seg(s, sel, cs_e1, cs_e2);
        set_sp(s, st->sp + addend, st->mask);
    }
    s->env->eip = eip;
}

/* SDM IRET, RETURN-TO-VIRTUAL-8086-MODE: from CPL 0, a 32-bit frame with
 * VM set also holds ESP, SS, ES, DS, FS, GS. */
static void iret_to_vm86(TCGCPU *s, StackPtr *st, uint64_t eip, uint32_t cs, uint32_t fl)
{
    CPUX86State *env = s->env;
    uint32_t esp = sp_pop(s, st, MO_32);
    uint32_t segs[6];

    segs[R_CS] = cs;
    segs[R_SS] = sp_pop(s, st, MO_32) & 0xffff;
    segs[R_ES] = sp_pop(s, st, MO_32) & 0xffff;
    segs[R_DS] = sp_pop(s, st, MO_32) & 0xffff;
    segs[R_FS] = sp_pop(s, st, MO_32) & 0xffff;
    segs[R_GS] = sp_pop(s, st, MO_32) & 0xffff;
    if (eip > 0xffff) {
        raise_exception_err(s, EXCP0D_GPF, 0); /* outside the new CS's 64 KiB */
    }
    cpu_load_eflags(s, fl, CC_ALL | TF_MASK | IF_MASK | DF_MASK | IOPL_MASK | NT_MASK |
                    RF_MASK | VM_MASK | AC_MASK | ID_MASK);
    for (int i = 0; i < 6; i++) {
        load_seg_vm86(s, i, segs[i]);
    }
    env->regs[R_ESP] = esp;
    env->eip = eip;
    tcg_update_hflags(s);
}

void helper_iret(TCGCPU *s, int ot, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    StackPtr st = cur_stack(s);

    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        if ((env->eflags & VM_MASK) && ((env->eflags & IOPL_MASK) >> 12) != 3) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        uint64_t eip = sp_pop(s, &st, ot);
        uint32_t cs = sp_pop(s, &st, ot) & 0xffff;
        uint32_t fl = sp_pop(s, &st, ot);
        uint32_t mask = CC_ALL | TF_MASK | DF_MASK | NT_MASK | IF_MASK | RF_MASK | AC_MASK |
                        ID_MASK | ((env->eflags & VM_MASK) ? 0 : IOPL_MASK);
        if (ot == MO_16) {
            mask &= 0xffff;
        }
        set_sp(s, st.sp, st.mask);
        cpu_x86_load_seg_cache(s, R_CS, cs, cs << 4, env->segs[R_CS].limit,
                               env->segs[R_CS].flags);
        env->eip = ot == MO_16 ? (eip & 0xffff) : eip;
        cpu_load_eflags(s, fl, mask);
        return;
    }
    if (env->efer & MSR_EFER_LMA) {
        helper_iret64(s, ot);
        return;
    }
    if (env->eflags & NT_MASK) {
        task_return(s, next_eip);
        return;
    }
    uint64_t eip = sp_pop(s, &st, ot);
    uint32_t sel = sp_pop(s, &st, ot) & 0xffff;
    uint32_t fl = sp_pop(s, &st, ot);
    if ((fl & VM_MASK) && ot == MO_32 && s->cpl == 0) {
        iret_to_vm86(s, &st, eip, sel, fl);
        return;
    }
    uint32_t e1, e2;
    check_return_cs(s, sel, &e1, &e2);
    uint32_t mask = eflags_write_mask(s, ot); /* uses the old CPL */
    return_to(s, &st, ot, sel, ot == MO_16 ? (eip & 0xffff) : eip, e1, e2, 0);
    cpu_load_eflags(s, fl, mask);
    tcg_update_hflags(s);
}

void helper_lret(TCGCPU *s, int ot, int addend)
{
    CPUX86State *env = s->env;

    if (env->efer & MSR_EFER_LMA) {
        helper_lret64(s, ot, addend);
        return;
    }
    StackPtr st = cur_stack(s);
    uint64_t eip = sp_pop(s, &st, ot);
    uint32_t sel = sp_pop(s, &st, ot) & 0xffff;

    if (ot == MO_16) {
        eip &= 0xffff;
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        set_sp(s, st.sp + addend, st.mask);
        cpu_x86_load_seg_cache(s, R_CS, sel, sel << 4, env->segs[R_CS].limit,
                               env->segs[R_CS].flags);
        env->eip = eip;
        return;
    }
    uint32_t e1, e2;
    check_return_cs(s, sel, &e1, &e2);
    return_to(s, &st, ot, sel, eip, e1, e2, addend);
}

/* A far JMP/CALL to a gate or TSS goes to gate_helper.c. */
static bool system_target(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    return (sel & 0xfffc) && load_descriptor(s, sel, e1, e2) && !(*e2 & DESC_S_MASK);
}

/* Checks a far JMP/CALL target code segment; returns the selector to load. */
static uint32_t check_far_target(TCGCPU *s, uint32_t sel, uint64_t off, uint32_t *e1,
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
    if (!(type & 8)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if ((type & 4) ? dpl > s->cpl : (rpl > s->cpl || dpl != s->cpl)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
    if (off > desc_limit(*e1, *e2)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    return (sel & ~3u) | s->cpl;
}

void helper_ljmp(TCGCPU *s, uint32_t sel, uint64_t off, uint64_t next_eip)
{
    CPUX86State *env = s->env;

    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        cpu_x86_load_seg_cache(s, R_CS, sel, sel << 4, env->segs[R_CS].limit,
                               env->segs[R_CS].flags);
        env->eip = off;
        return;
    }
    if (env->efer & MSR_EFER_LMA) {
        helper_ljmp64(s, sel, off, next_eip);
        return;
    }
    uint32_t e1, e2;
    if (system_target(s, sel, &e1, &e2)) {
        far_jmp_system(s, sel, e1, e2, next_eip);
        return;
    }
    uint32_t nsel = check_far_target(s, sel, off, &e1, &e2);
    load_code_seg(s, nsel, e1, e2);
    env->eip = off;
}

void helper_lcall(TCGCPU *s, uint32_t sel, uint64_t off, int ot, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    StackPtr st = cur_stack(s);

    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        sp_push(s, &st, ot, env->segs[R_CS].selector);
        sp_push(s, &st, ot, next_eip);
        set_sp(s, st.sp, st.mask);
        cpu_x86_load_seg_cache(s, R_CS, sel, sel << 4, env->segs[R_CS].limit,
                               env->segs[R_CS].flags);
        env->eip = off;
        return;
    }
    if (env->efer & MSR_EFER_LMA) {
        helper_lcall64(s, sel, off, ot, next_eip);
        return;
    }
    uint32_t e1, e2;
    if (system_target(s, sel, &e1, &e2)) {
        far_call_system(s, sel, e1, e2, ot, next_eip);
        return;
    }
    uint32_t nsel = check_far_target(s, sel, off, &e1, &e2);
    sp_push(s, &st, ot, env->segs[R_CS].selector);
    sp_push(s, &st, ot, next_eip);
    set_sp(s, st.sp, st.mask);
    load_code_seg(s, nsel, e1, e2);
    env->eip = off;
}
