/*
 * The i8042 keyboard controller (0x60 data, 0x64 status/command) and the
 * PS/2 "port 92" system control register.  There is no keyboard behind
 * it yet; it exists for the reset (command 0xFE, port 0x92 bit 0) and A20
 * (output port bit 1, port 0x92 bit 1) lines, and for drivers' probes.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "exec/memory.h"
#include "hw/irq.h"

typedef struct KBDState KBDState;

/* @irq_kbd is IRQ1; @a20_out follows the A20 gate (1 = enabled). */
KBDState *i8042_init(MemoryRegion *io, qemu_irq irq_kbd, qemu_irq a20_out);
void i8042_destroy(KBDState *s);
void i8042_reset(KBDState *s);

#endif
