/*
 * The PC's cascaded 8259A pair: master at 0x20/0x21, slave at 0xa0/0xa1
 * on the master's IR2, edge/level control registers at 0x4d0/0x4d1.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "exec/memory.h"
#include "hw/irq.h"

typedef struct PICState PICState;

/* Maps the pair into @io; @parent_irq is the master's INT output. */
PICState *i8259_init(MemoryRegion *io, qemu_irq parent_irq);
void i8259_destroy(PICState *s);
/* Input pin @n (0-15; 8-15 are the slave's IR0-7). */
qemu_irq i8259_get_irq(PICState *s, int n);
/* Interrupt acknowledge: the vector the CPU takes (spurious: base + 7). */
int pic_read_irq(PICState *s);
/* Power-on state (all registers zero, ELCR edge). */
void i8259_reset(PICState *s);
/* info pic / info irq, QEMU's layouts. */
void i8259_print_info(PICState *s, GString *out);
void i8259_print_irq_stats(PICState *s, GString *out);

#endif
