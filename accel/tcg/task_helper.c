/*
 * Hardware task switches (SDM vol.3 chapter 7): JMP or CALL to a TSS
 * descriptor or a task gate, interrupts and exceptions through a task
 * gate in the IDT, and IRET with EFLAGS.NT set.  Both TSS formats (the
 * 32-bit one of figure 7-2 and the 16-bit one of figure 7-11) are read
 * and written.  The steps follow section 7.3: the new TSS is read whole
 * and the old one probed before anything changes, so a page fault there
 * leaves the old task intact; the segment checks of table 7-1 come after
 * the commit and fault in the context of the new task.
 */
#include "seg_helper.h"
#include "qemu/log.h"

/* Offsets in the 32-bit TSS (figure 7-2) */
#define TSS32_CR3 0x1c
#define TSS32_EIP 0x20
#define TSS32_EFLAGS 0x24
#define TSS32_REGS 0x28
#define TSS32_SEGS 0x48
#define TSS32_LDT 0x60
#define TSS32_TRAP 0x64
/* ... and in the 16-bit TSS (figure 7-11); it has no FS, GS or CR3 */
#define TSS16_IP 0x0e
#define TSS16_FLAGS 0x10
#define TSS16_REGS 0x12
#define TSS16_SEGS 0x22
#define TSS16_LDT 0x2a

#define TSS_BUSY (2u << DESC_TYPE_SHIFT)

typedef struct TaskState {
    uint32_t cr3, eip, eflags;
    uint32_t regs[8];
    uint32_t segs[6];
    uint32_t ldt;
    bool trap;
} TaskState;

static void sys_stw(TCGCPU *s, uint64_t lin, uint16_t v)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    lin_stw(s, lin, v);
    tcg_set_mmu_idx(s, saved);
}

/* Both halves of a page-crossing write are checked (the old TSS must be
 * writable before the switch starts: step 5 of SDM 7.3). */
static void sys_probe_write(TCGCPU *s, uint64_t lin, int len)
{
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    probe_write(s, lin, len);
    tcg_set_mmu_idx(s, saved);
}

static void read_task_state(TCGCPU *s, uint64_t base, bool is32, TaskState *t)
{
    memset(t, 0, sizeof(*t));
    if (is32) {
        t->cr3 = sys_ldl(s, base + TSS32_CR3);
        t->eip = sys_ldl(s, base + TSS32_EIP);
        t->eflags = sys_ldl(s, base + TSS32_EFLAGS);
        for (int i = 0; i < 8; i++) {
            t->regs[i] = sys_ldl(s, base + TSS32_REGS + i * 4);
        }
        for (int i = 0; i < 6; i++) {
            t->segs[i] = sys_lduw(s, base + TSS32_SEGS + i * 4);
        }
        t->ldt = sys_lduw(s, base + TSS32_LDT);
        t->trap = sys_lduw(s, base + TSS32_TRAP) & 1;
    } else {
        t->eip = sys_lduw(s, base + TSS16_IP);
        t->eflags = sys_lduw(s, base + TSS16_FLAGS);
        for (int i = 0; i < 8; i++) {
            t->regs[i] = sys_lduw(s, base + TSS16_REGS + i * 2);
        }
        for (int i = 0; i < 4; i++) {
            t->segs[i] = sys_lduw(s, base + TSS16_SEGS + i * 2);
        }
        t->ldt = sys_lduw(s, base + TSS16_LDT);
    }
}

static void save_task_state(TCGCPU *s, uint64_t base, bool is32, uint32_t eip, uint32_t eflags)
{
    CPUX86State *env = s->env;

    if (is32) {
        sys_stl(s, base + TSS32_EIP, eip);
        sys_stl(s, base + TSS32_EFLAGS, eflags);
        for (int i = 0; i < 8; i++) {
            sys_stl(s, base + TSS32_REGS + i * 4, env->regs[i]);
        }
        for (int i = 0; i < 6; i++) {
            sys_stw(s, base + TSS32_SEGS + i * 4, env->segs[i].selector);
        }
    } else {
        sys_stw(s, base + TSS16_IP, eip);
        sys_stw(s, base + TSS16_FLAGS, eflags);
        for (int i = 0; i < 8; i++) {
            sys_stw(s, base + TSS16_REGS + i * 2, env->regs[i]);
        }
        for (int i = 0; i < 4; i++) {
            sys_stw(s, base + TSS16_SEGS + i * 2, env->segs[i].selector);
        }
    }
}

static void set_tss_busy(TCGCPU *s, uint32_t sel, bool busy)
{
    uint64_t lin = s->env->gdt.base + (sel & ~7u) + 4;
    uint32_t e2 = sys_ldl(s, lin);

    sys_stl(s, lin, busy ? (e2 | TSS_BUSY) : (e2 & ~TSS_BUSY));
}

/* A fault after the commit point belongs to the new task: it reports the
 * new task's CS:EIP, not the instruction that started the switch. */
static G_NORETURN void raise_new_task(TCGCPU *s, int vector, uint32_t err)
{
    s->cur = NULL;
    s->cur_tb = NULL;
    raise_exception_err(s, vector, err);
}

/* The LDT the new task names (table 7-1: every failure is #TS(LDT)). */
static void task_load_ldt(TCGCPU *s, uint32_t sel, int ext)
{
    uint32_t e1, e2;

    if ((sel & 0xfffc) == 0) {
        s->env->ldt = (SegmentCache){ .selector = sel };
        return;
    }
    if ((sel & 4) || !load_descriptor(s, sel & ~4u, &e1, &e2) || (e2 & DESC_S_MASK) ||
        ((e2 >> DESC_TYPE_SHIFT) & 15) != 2 || !(e2 & DESC_P_MASK)) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    s->env->ldt = (SegmentCache){ sel, desc_base(e1, e2), desc_limit(e1, e2), e2 & 0x00f0ff00 };
}

static void task_load_cs(TCGCPU *s, uint32_t sel, int ext)
{
    uint32_t e1, e2;
    int rpl = sel & 3;

    if ((sel & 0xfffc) == 0 || !load_descriptor(s, sel, &e1, &e2)) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (!(e2 & DESC_S_MASK) || !(type & 8) || ((type & 4) ? dpl > rpl : dpl != rpl)) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_new_task(s, EXCP0B_NOSEG, (sel & 0xfffc) | ext);
    }
    set_accessed(s, sel, e2);
    load_code_seg(s, sel, e1, e2);
}

static void task_load_ss(TCGCPU *s, uint32_t sel, int ext)
{
    uint32_t e1, e2;
    int cpl = s->cpl;

    if ((sel & 0xfffc) == 0 || (int)(sel & 3) != cpl || !load_descriptor(s, sel, &e1, &e2)) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    if (!(e2 & DESC_S_MASK) || (type & 8) || !(type & 2) ||
        (int)((e2 >> DESC_DPL_SHIFT) & 3) != cpl) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_new_task(s, EXCP0C_STACK, (sel & 0xfffc) | ext);
    }
    set_accessed(s, sel, e2);
    load_seg_desc(s, R_SS, sel, e1, e2 | (1 << 8));
}

static void task_load_data(TCGCPU *s, int seg, uint32_t sel, int ext)
{
    uint32_t e1, e2;

    if ((sel & 0xfffc) == 0) {
        cpu_x86_load_seg_cache(s, seg, sel, 0, 0, 0);
        return;
    }
    if (!load_descriptor(s, sel, &e1, &e2)) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    if (!(e2 & DESC_S_MASK) || ((type & 8) && !(type & 2))) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    if (!((type & 8) && (type & 4)) && (dpl < s->cpl || dpl < (int)(sel & 3))) {
        raise_new_task(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_new_task(s, EXCP0B_NOSEG, (sel & 0xfffc) | ext);
    }
    set_accessed(s, sel, e2);
    load_seg_desc(s, seg, sel, e1, e2 | (1 << 8));
}

void load_seg_vm86(TCGCPU *s, int seg, uint32_t sel)
{
    uint32_t type = seg == R_CS ? 0xb : 3;

    sel &= 0xffff;
    cpu_x86_load_seg_cache(s, seg, sel, sel << 4, 0xffff,
                           DESC_P_MASK | DESC_S_MASK | (3 << DESC_DPL_SHIFT) |
                           (type << DESC_TYPE_SHIFT));
}

void switch_tss(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, int source,
                uint64_t next_eip, int ext)
{
    CPUX86State *env = s->env;
    bool new32 = (e2 >> DESC_TYPE_SHIFT) & 8;
    uint64_t base = desc_base(e1, e2);
    uint32_t limit = desc_limit(e1, e2);
    TaskState t;

    qemu_log_mask(CPU_LOG_INT, "tcg: task switch (%s) to TSS 0x%x\n",
                  source == TASK_JMP ? "jmp" : source == TASK_CALL ? "call" :
                  source == TASK_IRET ? "iret" : "interrupt", sel);
    /* Step 3: the new TSS's limit (its presence the callers checked) */
    if (limit < (new32 ? 0x67u : 0x2bu)) {
        raise_exception_err(s, EXCP0A_TSS, (sel & 0xfffc) | ext);
    }
    uint32_t old_type = (env->tr.flags >> DESC_TYPE_SHIFT) & 15;
    bool old32 = old_type & 8;
    uint32_t old_sel = env->tr.selector;
    uint64_t old_base = env->tr.base;
    if (!(env->tr.flags & DESC_P_MASK) || env->tr.limit < (old32 ? 0x5fu : 0x29u)) {
        raise_exception_err(s, EXCP0A_TSS, (old_sel & 0xfffc) | ext);
    }
    /* Step 5: everything the switch reads or writes is accessible */
    read_task_state(s, base, new32, &t);
    if (old32) {
        sys_probe_write(s, old_base + TSS32_EIP, TSS32_LDT - TSS32_EIP);
    } else {
        sys_probe_write(s, old_base + TSS16_IP, TSS16_LDT - TSS16_IP);
    }
    if (source == TASK_CALL || source == TASK_INT) {
        sys_probe_write(s, base, 2);
    }

    /* Steps 6-10: the old task gives up its busy bit (JMP, IRET) and its
     * state; a nested task gets NT and the back link. */
    uint32_t eflags = cpu_compute_eflags(s);
    if (source == TASK_JMP || source == TASK_IRET) {
        set_tss_busy(s, old_sel, false);
    }
    if (source == TASK_IRET) {
        eflags &= ~NT_MASK;
    }
    save_task_state(s, old_base, old32, next_eip, eflags);
    if (source == TASK_CALL || source == TASK_INT) {
        sys_stw(s, base, old_sel);
        t.eflags |= NT_MASK;
    }
    if (source != TASK_IRET) {
        set_tss_busy(s, sel, true);
    }

    /* Step 11: TR, and CR0.TS so that the new task's first x87/SSE use
     * faults (#NM) and the OS can switch that state lazily. */
    env->tr = (SegmentCache){ sel, base, limit, (e2 | TSS_BUSY) & 0x00f0ff00 };
    env->cr[0] |= CR0_TS_MASK;
    /* the local breakpoint enables belong to the old task (SDM 17.2.4) */
    if (env->dr[7] & 0x55) {
        env->dr[7] &= ~0x55ull;
        tcg_debug_regs_changed(s);
    }

    /* Step 12: the registers.  Paging's CR3 comes only from a 32-bit TSS. */
    if (new32 && (env->cr[0] & CR0_PG_MASK) && t.cr3 != env->cr[3]) {
        env->cr[3] = t.cr3;
        tlb_flush_nonglobal(s);
    }
    uint32_t fl_mask = CC_ALL | TF_MASK | IF_MASK | DF_MASK | IOPL_MASK | NT_MASK;
    if (new32) {
        fl_mask |= RF_MASK | VM_MASK | AC_MASK | ID_MASK;
    }
    cpu_load_eflags(s, t.eflags, fl_mask);
    for (int i = 0; i < 8; i++) {
        if (new32) {
            env->regs[i] = t.regs[i];
        } else {
            *reg16p(s, i) = t.regs[i];
        }
    }
    env->eip = t.eip;

    /* Step 13: the selectors first (as figure 7-1's "invalid" caches), so
     * that a failing check leaves them visible to the handler; then each
     * descriptor, the LDT first since the others may live in it. */
    env->ldt = (SegmentCache){ .selector = t.ldt };
    if (env->eflags & VM_MASK) {
        /* Virtual-8086 task (SDM 20.2.5): real-mode style segments, CPL 3 */
        task_load_ldt(s, t.ldt, ext);
        for (int i = 0; i < 6; i++) {
            load_seg_vm86(s, i, t.segs[i]);
        }
        tcg_update_hflags(s);
    } else {
        for (int i = 0; i < 6; i++) {
            uint32_t fl = i == R_CS ? (t.segs[i] & 3) << DESC_DPL_SHIFT : 0;
            cpu_x86_load_seg_cache(s, i, t.segs[i], 0, 0, fl);
        }
        task_load_ldt(s, t.ldt, ext);
        task_load_cs(s, t.segs[R_CS], ext);
        task_load_ss(s, t.segs[R_SS], ext);
        task_load_data(s, R_ES, t.segs[R_ES], ext);
        task_load_data(s, R_DS, t.segs[R_DS], ext);
        task_load_data(s, R_FS, t.segs[R_FS], ext);
        task_load_data(s, R_GS, t.segs[R_GS], ext);
    }
    if (t.eip > env->segs[R_CS].limit) {
        raise_new_task(s, EXCP0D_GPF, ext);
    }
    /* The debug trap flag (T): #DB with DR6.BT before the new task's
     * first instruction (SDM 17.3.1.5). */
    if (t.trap) {
        debug_trap_pending(s, DR6_BT);
    }
}

/* The TSS that a task gate (or JMP/CALL) names: a GDT entry of an
 * available TSS type, present (SDM vol.2 JMP, CALL and INT n). */
void task_gate_target(TCGCPU *s, uint32_t tss_sel, uint32_t *e1, uint32_t *e2, int ext)
{
    if ((tss_sel & 4) || !load_descriptor(s, tss_sel, e1, e2)) {
        raise_exception_err(s, EXCP0D_GPF, (tss_sel & 0xfffc) | ext);
    }
    uint32_t type = (*e2 >> DESC_TYPE_SHIFT) & 15;
    if ((*e2 & DESC_S_MASK) || (type != 1 && type != 9)) {
        raise_exception_err(s, EXCP0D_GPF, (tss_sel & 0xfffc) | ext);
    }
    if (!(*e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, (tss_sel & 0xfffc) | ext);
    }
}

/* IRET with NT: back to the task in the current TSS's link field, which
 * must name a busy TSS in the GDT (SDM vol.2 IRET, TASK-RETURN). */
void task_return(TCGCPU *s, uint64_t next_eip)
{
    CPUX86State *env = s->env;
    uint32_t e1, e2;
    uint32_t link = sys_lduw(s, env->tr.base);

    if ((link & 4) || !load_descriptor(s, link, &e1, &e2)) {
        raise_exception_err(s, EXCP0A_TSS, link & 0xfffc);
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    if ((e2 & DESC_S_MASK) || (type != 3 && type != 11)) {
        raise_exception_err(s, EXCP0A_TSS, link & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, link & 0xfffc);
    }
    switch_tss(s, link, e1, e2, TASK_IRET, next_eip, 0);
}
