/*
 * The debugger's breakpoint list of a vCPU (exec/breakpoint.h).  Shared by
 * both accelerators: they read the list, and are told through
 * AccelOps.update_guest_debug after every change, which they may refuse
 * (then the change is undone).
 */
#include <inttypes.h>
#include <string.h>

#include "exec/breakpoint.h"
#include "sysemu/accel-ops.h"

static bool cpu_update_guest_debug(CPUState *cpu, Error **errp)
{
    if (!cpu->accel_ops || !cpu->accel_ops->update_guest_debug) {
        error_setg(errp, "the accelerator has no guest debugging");
        return false;
    }
    return cpu->accel_ops->update_guest_debug(cpu, errp);
}

static int cpu_breakpoint_index(const CPUState *cpu, GdbBreakpointType type, uint64_t addr,
                                uint64_t len)
{
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        if (bp->type == type && bp->addr == addr && bp->len == len) {
            return i;
        }
    }
    return -1;
}

bool cpu_breakpoint_insert(CPUState *cpu, GdbBreakpointType type, uint64_t addr,
                           uint64_t len, Error **errp)
{
    CPUBreakpoint bp = { .type = type, .addr = addr, .len = len };

    if (type > GDB_WATCHPOINT_ACCESS) {
        error_setg(errp, "unknown breakpoint type %d", type);
        return false;
    }
    if (cpu_breakpoint_is_watch(&bp) ? (len == 0 || len > CPU_WATCH_MAX_LEN ||
                                        addr + len - 1 < addr)
                                     : len > 16) {
        error_setg(errp, "bad length %" PRIu64, len);
        return false;
    }
    if (!cpu_breakpoint_is_watch(&bp)) {
        bp.len = 1; /* gdb's "kind" of an x86 breakpoint is int3's length */
    }
    if (cpu_breakpoint_index(cpu, bp.type, bp.addr, bp.len) >= 0) {
        return true;
    }
    if (!cpu->breakpoints) {
        cpu->breakpoints = g_array_new(false, false, sizeof(CPUBreakpoint));
    }
    g_array_append_val(cpu->breakpoints, bp);
    if (!cpu_update_guest_debug(cpu, errp)) {
        g_array_set_size(cpu->breakpoints, cpu->breakpoints->len - 1);
        cpu_update_guest_debug(cpu, NULL); /* back to what worked */
        return false;
    }
    return true;
}

bool cpu_breakpoint_remove(CPUState *cpu, GdbBreakpointType type, uint64_t addr,
                           uint64_t len, Error **errp)
{
    int i = cpu_breakpoint_index(cpu, type, addr, type >= GDB_WATCHPOINT_WRITE ? len : 1);

    if (i < 0) {
        error_setg(errp, "no breakpoint of type %d at 0x%" PRIx64, type, addr);
        return false;
    }
    g_array_remove_index(cpu->breakpoints, i);
    return cpu_update_guest_debug(cpu, errp);
}

void cpu_breakpoint_remove_all(CPUState *cpu)
{
    if (!cpu->breakpoints && !cpu->singlestep_enabled) {
        return;
    }
    if (cpu->breakpoints) {
        g_array_free(cpu->breakpoints, true);
        cpu->breakpoints = NULL;
    }
    cpu->singlestep_enabled = false;
    cpu_update_guest_debug(cpu, NULL);
}

bool cpu_single_step(CPUState *cpu, bool enabled, Error **errp)
{
    if (cpu->singlestep_enabled == enabled) {
        return true;
    }
    cpu->singlestep_enabled = enabled;
    if (!cpu_update_guest_debug(cpu, errp)) {
        if (enabled) {
            cpu->singlestep_enabled = false;
            cpu_update_guest_debug(cpu, NULL);
        }
        return false;
    }
    return true;
}

const CPUBreakpoint *cpu_breakpoint_find_pc(const CPUState *cpu, uint64_t pc)
{
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        if (!cpu_breakpoint_is_watch(bp) && bp->addr == pc) {
            return bp;
        }
    }
    return NULL;
}

const CPUBreakpoint *cpu_watchpoint_hit(const CPUState *cpu, uint64_t addr, int size,
                                        bool write)
{
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        bool kind = bp->type == GDB_WATCHPOINT_ACCESS ||
                    bp->type == (write ? GDB_WATCHPOINT_WRITE : GDB_WATCHPOINT_READ);
        if (kind && addr <= bp->addr + bp->len - 1 && bp->addr <= addr + size - 1) {
            return bp;
        }
    }
    return NULL;
}

void cpu_debug_stop_set(CPUState *cpu, CPUDebugStopReason reason, const CPUBreakpoint *bp,
                        uint64_t addr)
{
    /* The first reason of an instruction wins (a watchpoint over the step). */
    if (cpu->debug_stop.reason != DEBUG_STOP_NONE && reason == DEBUG_STOP_STEP) {
        return;
    }
    cpu->debug_stop = (CPUDebugStop){
        .reason = reason,
        .type = bp ? (int)bp->type : -1,
        .addr = bp ? bp->addr : addr,
    };
}
