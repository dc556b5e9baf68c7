/*
 * Intel 8254 programmable interval timer at 0x40-0x43: channel 0 drives
 * IRQ0, channel 2's gate and output are wired to port 0x61 (pcspk.c).
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "exec/memory.h"
#include "hw/irq.h"

#define PIT_FREQ 1193182

typedef struct PITCommonState PITCommonState;

/* Maps the PIT at @base in @io; channel 0's OUT drives @irq0. */
PITCommonState *i8254_pit_init(MemoryRegion *io, hwaddr base, qemu_irq irq0);
void i8254_pit_destroy(PITCommonState *pit);
/* Power-on state: every channel in mode 3 with count 0x10000. */
void i8254_pit_reset(PITCommonState *pit);
void pit_set_gate(PITCommonState *pit, int channel, int level);
int pit_get_gate(PITCommonState *pit, int channel);
/* The channel's OUT pin now. */
int pit_get_out(PITCommonState *pit, int channel);

#endif
