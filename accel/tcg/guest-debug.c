/*
 * The host debugger's breakpoints, watchpoints and single-step under the
 * interpreter (exec/breakpoint.h).  They reuse the guest debug machinery
 * of debug_helper.c: a breakpoint or a step makes debug_active true, so
 * blocks hold one instruction and debug_insn_begin compares each
 * instruction's linear address with the list (nothing runs on the hot
 * path while the list is empty); a watchpoint keeps its pages out of the
 * TLB, so only its pages' accesses reach ld_slow/st_slow, which compare
 * them.  A hit sets gdb_stop; cpu_exec returns EXCP_DEBUG at the next
 * instruction boundary (before a breakpoint's instruction, after a
 * watchpoint's: gdb's stop reply then has the new value in memory).
 */
#include "tcg-cpu.h"

bool tcg_update_guest_debug(CPUState *cpu, Error **errp)
{
    TCGCPU *s = tcg_cpu(cpu);
    bool code = false, watch = false;

    if (!s) {
        return true; /* applied when the vCPU is created */
    }
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        if (cpu_breakpoint_is_watch(bp)) {
            watch = true;
        } else {
            code = true;
        }
    }
    bool refill = watch || s->gdb_watch;
    s->gdb_code = code;
    s->gdb_watch = watch;
    if (refill) {
        tlb_flush(s); /* the watched pages leave (or rejoin) the fast path */
    }
    tcg_update_debug(s);
    return true;
}

void gdb_stop_request(TCGCPU *s, CPUDebugStopReason reason, const CPUBreakpoint *bp,
                      uint64_t addr)
{
    cpu_debug_stop_set(s->cpu, reason, bp, addr);
    s->gdb_stop = true;
    tcg_update_debug(s); /* ends the block after this instruction */
}

void gdb_check_watch(TCGCPU *s, uint64_t lin, int size, bool write)
{
    const CPUBreakpoint *bp = cpu_watchpoint_hit(s->cpu, lin, size, write);

    if (bp) {
        gdb_stop_request(s, DEBUG_STOP_WATCH, bp, lin);
    }
}

void gdb_tlb_filter(TCGCPU *s, TLBEntry *e, uint64_t page)
{
    const GArray *bps = s->cpu->breakpoints;

    for (guint i = 0; bps && i < bps->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(bps, CPUBreakpoint, i);
        if (!cpu_breakpoint_is_watch(bp) || bp->addr > page + 0xfff ||
            bp->addr + bp->len - 1 < page) {
            continue;
        }
        /* A read-modify-write takes its host pointer from the write
         * entry: a watched read must miss it too. */
        e->addr_write = TLB_INVALID;
        if (bp->type != GDB_WATCHPOINT_WRITE) {
            e->addr_read = TLB_INVALID;
        }
    }
}
