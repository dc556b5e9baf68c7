/*
 * What the segmentation helpers share: system-table accesses, descriptor
 * decoding, explicit-SS stack pushes, and the long-mode entry points
 * (seg_helper64.c) that seg_helper.c dispatches to.
 */
#ifndef ACCEL_TCG_SEG_HELPER_H
#define ACCEL_TCG_SEG_HELPER_H

#include "tcg-cpu.h"

/* System-table reads and writes are supervisor accesses whatever the CPL. */
uint16_t sys_lduw(TCGCPU *s, uint64_t lin);
uint32_t sys_ldl(TCGCPU *s, uint64_t lin);
uint64_t sys_ldq(TCGCPU *s, uint64_t lin);
void sys_stl(TCGCPU *s, uint64_t lin, uint32_t v);

/* The 8-byte descriptor sel names, or false if it lies outside its table. */
bool load_descriptor(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2);
void set_accessed(TCGCPU *s, uint32_t sel, uint32_t e2);
void load_seg_desc(TCGCPU *s, int seg, uint32_t sel, uint32_t e1, uint32_t e2);

static inline uint64_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000);
}

static inline uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000);
    return (e2 & DESC_G_MASK) ? (limit << 12) | 0xfff : limit;
}

/* A code segment descriptor's cache flags, accessed bit set. */
static inline uint32_t desc_flags(uint32_t e2)
{
    return (e2 | (1 << 8)) & 0x00f0ff00;
}

/* Loads CS from descriptor e1/e2.  sel's RPL is the new CPL, and the
 * cached DPL follows it, so that a conforming segment keeps the CPL
 * (tcg_update_hflags reads the CPL from CS.DPL). */
static inline void load_code_seg(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2)
{
    uint32_t flags = (desc_flags(e2) & ~DESC_DPL_MASK) | ((sel & 3) << DESC_DPL_SHIFT);

    cpu_x86_load_seg_cache(s, R_CS, sel, desc_base(e1, e2), desc_limit(e1, e2), flags);
}

/* A stack with an explicit base and size: mask ~0 is a 64-bit stack. */
typedef struct StackPtr {
    uint64_t base;
    uint64_t mask;
    uint64_t sp;
    int mmu_idx;
} StackPtr;

void sp_push(TCGCPU *s, StackPtr *st, int ot, uint64_t v);
uint64_t sp_pop(TCGCPU *s, StackPtr *st, int ot);
void set_sp(TCGCPU *s, uint64_t sp, uint64_t mask);
StackPtr cur_stack(TCGCPU *s);

/* What IRET/POPF may change at the current CPL and IOPL. */
uint32_t eflags_write_mask(TCGCPU *s, int ot);
void validate_seg_on_return(TCGCPU *s, int seg);
/* Checks a code segment for a return to privilege sel.RPL. */
void check_return_cs(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2);

/* The TSS stack pointer for privilege dpl (32- or 16-bit TSS), #TS if
 * the TSS is too short. */
void tss_get_stack(TCGCPU *s, int dpl, uint32_t *ss, uint32_t *esp);
/* A stack segment that privilege-changing transfers switch to: checks
 * (SDM CALL, INT n) with #TS(sel + ext) / #SS(sel + ext); fills st. */
void check_inner_ss(TCGCPU *s, uint32_t ss, uint32_t esp, int dpl, int ext, uint32_t *e1,
                    uint32_t *e2, StackPtr *st);
/* #SS(err) unless the stack of descriptor e1/e2 has len bytes below sp. */
void check_stack_room(TCGCPU *s, uint32_t e1, uint32_t e2, uint64_t sp, int len, int err);

/* ---- task_helper.c: hardware task switches (SDM vol.3 7.3) ---- */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
/* Switches to the TSS sel (descriptor e1/e2, presence and busy state
 * already checked by the caller); next_eip is saved as the old EIP. */
void switch_tss(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, int source,
                uint64_t next_eip, int ext);
/* The available TSS a task gate or JMP/CALL names (#GP/#NP(tss_sel)). */
void task_gate_target(TCGCPU *s, uint32_t tss_sel, uint32_t *e1, uint32_t *e2, int ext);
void task_return(TCGCPU *s, uint64_t next_eip);
/* A virtual-8086 mode segment: base sel * 16, limit 64 KiB, DPL 3. */
void load_seg_vm86(TCGCPU *s, int seg, uint32_t sel);

/* ---- gate_helper.c: far JMP/CALL through a system descriptor ---- */
void far_jmp_system(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, uint64_t next_eip);
void far_call_system(TCGCPU *s, uint32_t sel, uint32_t e1, uint32_t e2, int ot,
                     uint64_t next_eip);
void far_system64(TCGCPU *s, uint32_t sel, bool call, uint64_t next_eip);
/* A 64-bit TSS stack pointer: RSPn at 4 + 8n, ISTn at 36 + 8(n - 1). */
uint64_t tss64_stack(TCGCPU *s, unsigned offset);

/* ---- seg_helper64.c: IA-32e mode (EFER.LMA = 1) ---- */
void do_interrupt64(TCGCPU *s, int vec, bool is_int, bool has_err, int err,
                    uint64_t next_eip);
void helper_iret64(TCGCPU *s, int ot);
void helper_lret64(TCGCPU *s, int ot, int addend);
void helper_ljmp64(TCGCPU *s, uint32_t sel, uint64_t off, uint64_t next_eip);
void helper_lcall64(TCGCPU *s, uint32_t sel, uint64_t off, int ot, uint64_t next_eip);
/* A 16-byte system descriptor (LDT, TSS) in long mode: base bits 63:32. */
bool load_system_descriptor(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2,
                            uint64_t *base);

#endif
