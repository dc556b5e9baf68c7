/*
 * The host debugger's breakpoints, watchpoints and single-step under the
 * interpreter (exec/breakpoint.h).  Nothing of it runs on the hot path:
 *  - a breakpoint is translated: every change of the list flushes the
 *    code cache, and translation ends a block before a breakpoint's
 *    address and gives that address a block of one pseudo instruction,
 *    op_gdb_breakpoint, which stops there.  Blocks and their links run as
 *    ever, only split at breakpoints;
 *  - a step makes debug_active true (debug_helper.c): blocks hold one
 *    instruction and debug_insn_end stops after it;
 *  - a watchpoint keeps its pages out of the TLB, so only its pages'
 *    accesses reach ld_slow/st_slow, which compare them.
 * A hit sets gdb_stop; cpu_exec returns EXCP_DEBUG at the next
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
    bool retranslate = code || s->gdb_code;
    s->gdb_code = code;
    s->gdb_watch = watch;
    if (retranslate) {
        tb_flush(s); /* blocks split at the breakpoints as they are now */
    }
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

void gdb_breakpoint_insn(DecodedInsn *d, uint64_t pc, uint64_t lin)
{
    memset(d, 0, sizeof(*d));
    d->handler = op_gdb_breakpoint;
    d->next_eip = pc;       /* len 0: the stop leaves EIP on the breakpoint */
    d->imm = lin;
    d->flags = INSN_BRANCH | INSN_END_TB; /* sets no EIP, never chains on */
}

void op_gdb_breakpoint(TCGCPU *s, const DecodedInsn *d)
{
    gdb_stop_request(s, DEBUG_STOP_BREAKPOINT, cpu_breakpoint_find_pc(s->cpu, d->imm), d->imm);
    end_block(s);
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
