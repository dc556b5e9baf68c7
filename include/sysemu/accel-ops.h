/*
 * An accelerator is one const AccelOps table; main lists them all.
 * Selecting one: -accel NAME.  "-accel help" calls every probe.
 */
#ifndef SYSEMU_ACCEL_OPS_H
#define SYSEMU_ACCEL_OPS_H

#include <stdbool.h>

#include "exec/cpu.h"
#include "qapi/error.h"

typedef struct MachineState MachineState;

typedef struct AccelOps {
    const char *name;
    const char *description;
    /* Can it run on this host?  On false, errp says why in one line. */
    bool (*probe)(Error **errp);
    /* Before the board is built: create the VM, register listeners. */
    bool (*init_machine)(MachineState *ms, Error **errp);
    bool (*init_vcpu)(CPUState *cpu, Error **errp);
    /* Runs the guest until something needs the vCPU loop; returns EXCP_*. */
    int (*cpu_exec)(CPUState *cpu);
    /* Makes cpu_exec return soon; called from any thread. */
    void (*kick_vcpu)(CPUState *cpu);
    /* Accelerator copy -> env (no-op for the interpreter). */
    void (*synchronize_state)(CPUState *cpu);
    /* env -> accelerator copy, after reset or loading. */
    void (*synchronize_post_reset)(CPUState *cpu);
    /*
     * Set when the accelerator has its own interrupt controller (KVM's
     * in-kernel irqchip): the board routes its ISA lines here.  NULL: the
     * board uses the userspace 8259 and cpu->get_pic_interrupt.
     */
    void (*set_irq)(MachineState *ms, int gsi, int level);
    /* Has its own 8254 (the board then leaves the userspace PIT out). */
    bool (*has_kernel_pit)(MachineState *ms);
    void (*cleanup)(MachineState *ms);
} AccelOps;

#endif
