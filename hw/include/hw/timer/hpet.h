/*
 * HPET: the IA-PC High Precision Event Timer (Intel IA-PC HPET
 * specification 1.0a), as QEMU's pc has it: one block of three
 * comparators at 0xfed00000, a 64-bit main counter ticking every 10 ns,
 * the legacy replacement route (timer 0 -> IRQ0 / IOAPIC pin 2, timer 1
 * -> IRQ8) and the IOAPIC routes QEMU 7.2 advertises (pin 2 only).
 */
#ifndef HW_TIMER_HPET_H
#define HW_TIMER_HPET_H

#include <stdint.h>

#include "exec/memory.h"
#include "hw/irq.h"

#define HPET_BASE         0xfed00000
#define HPET_LEN          0x400
#define HPET_NUM_TIMERS   3
#define HPET_CLK_PERIOD   10000000ULL  /* femtoseconds per tick: 10 ns */
#define HPET_NUM_IRQ_ROUTES 32
/* General capabilities bits 31:0 (spec 2.3.4): revision 1, 3 timers,
 * 64-bit counter, legacy route capable, vendor 8086.  The ACPI table and
 * fw_cfg's FW_CFG_HPET report the same value as the event timer block ID. */
#define HPET_FW_BLOCK_ID  0x8086a201u

typedef struct HPETState HPETState;

/*
 * @irqs: the interrupt lines a timer can be routed to, by IOAPIC input
 * (entry n is pin n; entries may be NULL).  Legacy replacement uses
 * entries 0 (the ISA IRQ0 line, which the board wires to IOAPIC pin 2)
 * and 8.  hpet_get_legacy_in gives the inputs for the PIT's (0) and the
 * RTC's (1) interrupt: the HPET passes them on to irqs[0] and irqs[8]
 * unless legacy replacement is on, which cuts them off (spec 2.3.8).
 */
HPETState *hpet_init(MemoryRegion *sysmem, hwaddr base, const qemu_irq *irqs);
qemu_irq hpet_get_legacy_in(HPETState *s, int n);
void hpet_reset(HPETState *s);
void hpet_destroy(HPETState *s);

#endif
