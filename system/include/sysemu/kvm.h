/*
 * What the board may ask about the accelerator without including it:
 * whether the interrupt controllers and the PIT are emulated in the
 * kernel (KVM's irqchip).  The accelerator records its choice in the
 * MachineState during init_machine; the board only reads it.
 */
#ifndef SYSEMU_KVM_H
#define SYSEMU_KVM_H

#include "sysemu/machine.h"

/* The ISA IRQ lines go to ms->accel->set_irq, not to the userspace 8259. */
static inline bool kvm_irqchip_in_kernel(const MachineState *ms)
{
    return ms->kernel_irqchip;
}

/* The kernel has its own 8254; the board leaves the userspace PIT out. */
static inline bool kvm_pit_in_kernel(const MachineState *ms)
{
    return ms->kernel_pit;
}

#endif
