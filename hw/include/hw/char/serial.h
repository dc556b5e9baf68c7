/*
 * NS16550A UART (COM1 at 0x3f8, IRQ4 on the pc machine).
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "exec/memory.h"
#include "chardev/char.h"
#include "hw/irq.h"

typedef struct SerialState SerialState;

/* @chr (a frontend of the chardev, the caller's) may be NULL: output is
 * dropped and nothing is ever received. */
SerialState *serial_isa_init(MemoryRegion *io, hwaddr base, qemu_irq irq, CharFrontend *chr);
void serial_destroy(SerialState *s);
void serial_reset(SerialState *s);

#endif
