/*
 * Intel 82093AA I/O APIC at 0xfec00000: 24 input pins whose redirection
 * entries send interrupt messages to the local APICs (hw/intc/apic.h).
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "exec/memory.h"
#include "hw/intc/apic.h"
#include "hw/irq.h"

#define IOAPIC_DEFAULT_ADDRESS 0xfec00000ULL
#define IOAPIC_NUM_PINS        24
/* Version register: version 0x20 (QEMU's default), 24 entries. */
#define IOAPIC_VERSION         0x20

typedef struct IOAPICState IOAPICState;

/* Maps the IOAPIC at @base in @sysmem and listens for EOIs on @bus. */
IOAPICState *ioapic_init(MemoryRegion *sysmem, hwaddr base, APICBus *bus);
void ioapic_destroy(IOAPICState *s);
/* Power-on: every entry masked, edge, vector 0; ID 0. */
void ioapic_reset(IOAPICState *s);
/* info pic / info irq, QEMU's layouts. */
void ioapic_print_info(IOAPICState *s, GString *out);
void ioapic_print_irq_stats(IOAPICState *s, GString *out);
/* Input pin @n: the level is "asserted", whatever the entry's polarity
 * (the lines carry logical levels, as in QEMU and KVM). */
qemu_irq ioapic_get_irq(IOAPICState *s, int n);
/* A local APIC's EOI for a level-triggered @vector (also the EOI register). */
void ioapic_eoi_broadcast(IOAPICState *s, int vector);

#endif
