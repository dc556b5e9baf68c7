/*
 * An accelerator is one const AccelOps table; main lists them all.
 * Selecting one: -accel NAME.  "-accel help" calls every probe.
 */
#ifndef SYSEMU_ACCEL_OPS_H
#define SYSEMU_ACCEL_OPS_H

#include <stdbool.h>

#include "exec/cpu.h"
#include "qapi/error.h"
#include "qemu/option.h"

typedef struct MachineState MachineState;

typedef struct AccelOps {
    const char *name;
    const char *description;
    /* What -accel NAME,KEY=VALUE may set (NULL: nothing); init_machine
     * reads MachineState.accel_opts. */
    const QemuOptDesc *opts;
    /* Can it run on this host?  On false, errp says why in one line. */
    bool (*probe)(Error **errp);
    /* Before the board is built: create the VM, register listeners. */
    bool (*init_machine)(MachineState *ms, Error **errp);
    bool (*init_vcpu)(CPUState *cpu, Error **errp);
    /* The vCPU thread's function (arg: the CPUState), a loop over the
     * helpers in sysemu/cpus.h that calls cpu_exec. */
    void *(*cpu_thread_fn)(void *cpu);
    /* Optional: starts (or shares) the vCPU's thread instead of one
     * cpu_thread_fn thread per vCPU (tcg,thread=single); BQL held,
     * returns once the vCPU is created. */
    bool (*create_vcpu_thread)(CPUState *cpu, Error **errp);
    /* Runs the guest until something needs the vCPU loop; returns EXCP_*. */
    int (*cpu_exec)(CPUState *cpu);
    /* Makes cpu_exec return soon; called from any thread. */
    void (*kick_vcpu)(CPUState *cpu);
    /* Accelerator copy -> env (no-op for the interpreter). */
    void (*synchronize_state)(CPUState *cpu);
    /* env -> accelerator copy, after reset or loading. */
    void (*synchronize_post_reset)(CPUState *cpu);
    /* Drives an ISA line of the accelerator's own interrupt controllers;
     * the board calls it only when kvm_irqchip_in_kernel(ms). */
    void (*set_irq)(MachineState *ms, int gsi, int level);
    /* CPUState.breakpoints or singlestep_enabled changed (vCPU paused,
     * BQL held): apply them; false with errp when they cannot be. */
    bool (*update_guest_debug)(CPUState *cpu, Error **errp);
    /* Debugger memory access at guest physical @paddr went through
     * (exec/cpu-debug.h): a read sees the bytes the accelerator's own
     * breakpoint instructions replaced; a write keeps them in place. */
    void (*debug_memory_fixup)(CPUState *cpu, uint64_t paddr, uint8_t *buf, size_t len,
                               bool is_write);
    void (*cleanup)(MachineState *ms);
} AccelOps;

#endif
