/*
 * qemu_irq: one interrupt line.  The allocator (a PIC input, the KVM
 * irqchip route, a test probe) supplies the handler; the device that owns
 * the output pin only ever calls qemu_set_irq.
 */
#include "hw/irq.h"

#include <inttypes.h>
#include <glib.h>

struct IRQState {
    qemu_irq_handler handler;
    void *opaque;
    int n;
};

qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n)
{
    qemu_irq irq = g_new0(struct IRQState, 1);

    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

void qemu_free_irq(qemu_irq irq)
{
    g_free(irq);
}

void qemu_set_irq(qemu_irq irq, int level)
{
    if (irq) {
        irq->handler(irq->opaque, irq->n, level);
    }
}
