/*
 * A debugger's breakpoints, watchpoints and single-step on a vCPU (the
 * gdb stub's Z/z, s and vCont;s packets, GDB manual E.2).  The list lives
 * in CPUState and changes only while the vCPU is paused, with the BQL
 * held; the accelerator applies it in AccelOps.update_guest_debug (the
 * interpreter checks it at instruction boundaries and in its TLB slow
 * path, KVM programs KVM_SET_GUEST_DEBUG).  When one hits, cpu_exec
 * returns EXCP_DEBUG with CPUState.debug_stop saying why, and the VM
 * stops in RUN_STATE_DEBUG.
 */
#ifndef EXEC_BREAKPOINT_H
#define EXEC_BREAKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/cpu.h"
#include "qapi/error.h"

/* The type numbers of gdb's Z packets (E.2 "z type,addr,kind"). */
typedef enum GdbBreakpointType {
    GDB_BREAKPOINT_SW = 0,
    GDB_BREAKPOINT_HW = 1,
    GDB_WATCHPOINT_WRITE = 2,
    GDB_WATCHPOINT_READ = 3,
    GDB_WATCHPOINT_ACCESS = 4,
} GdbBreakpointType;

typedef struct CPUBreakpoint {
    GdbBreakpointType type;
    uint64_t addr; /* linear */
    uint64_t len;  /* watchpoints: bytes watched; breakpoints: 1 */
} CPUBreakpoint;

static inline bool cpu_breakpoint_is_watch(const CPUBreakpoint *bp)
{
    return bp->type >= GDB_WATCHPOINT_WRITE;
}

/* Longest watchpoint accepted (gdb splits longer ones itself for x86's
 * debug registers; the interpreter has no such limit but a sane one). */
#define CPU_WATCH_MAX_LEN 4096

/* Inserts one; false with errp set when the accelerator cannot (KVM: out
 * of debug registers, a read-only watchpoint, the ioctl's error).
 * Inserting one that exists already is a success that adds nothing. */
bool cpu_breakpoint_insert(CPUState *cpu, GdbBreakpointType type, uint64_t addr,
                           uint64_t len, Error **errp);
/* false (errp set) when there is no such breakpoint. */
bool cpu_breakpoint_remove(CPUState *cpu, GdbBreakpointType type, uint64_t addr,
                           uint64_t len, Error **errp);
/* Detach: every breakpoint and watchpoint goes, single-step ends. */
void cpu_breakpoint_remove_all(CPUState *cpu);
/* Run one instruction, then stop with EXCP_DEBUG (DEBUG_STOP_STEP). */
bool cpu_single_step(CPUState *cpu, bool enabled, Error **errp);

/* The breakpoint of @type kind at @addr, or NULL (the accelerators' check). */
const CPUBreakpoint *cpu_breakpoint_find_pc(const CPUState *cpu, uint64_t pc);
/* The first watchpoint that an access of @size bytes at linear @addr
 * hits (a write when @write), or NULL. */
const CPUBreakpoint *cpu_watchpoint_hit(const CPUState *cpu, uint64_t addr, int size,
                                        bool write);
/* Records why the vCPU stops (the accelerator, before EXCP_DEBUG). */
void cpu_debug_stop_set(CPUState *cpu, CPUDebugStopReason reason, const CPUBreakpoint *bp,
                        uint64_t addr);

#endif
