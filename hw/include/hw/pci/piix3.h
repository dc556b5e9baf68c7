/*
 * The PIIX3 (82371SB) PCI-to-ISA bridge, function 0 of its slot.  The
 * ISA devices themselves are the board's; this is the configuration
 * function, with the PIRQ router that puts PCI INTx onto ISA IRQs.
 */
#ifndef HW_PCI_PIIX3_H
#define HW_PCI_PIIX3_H

#include "hw/irq.h"
#include "hw/pci/pci.h"

#define PIIX_NUM_PIRQS 4

typedef struct PIIX3State {
    PCIDevice dev;
    uint8_t rcr; /* reset control register at I/O 0xcf9 */
    qemu_irq pirq_in[PIIX_NUM_PIRQS]; /* PIRQA-D, from the PCI slots' INTx */
    uint8_t pirq_level[PIIX_NUM_PIRQS];
    qemu_irq *isa_irqs;               /* the board's 16 ISA IRQ lines */
} PIIX3State;

PIIX3State *piix3_init(PCIBus *bus, int devfn, Error **errp);
void piix3_free(PIIX3State *s);
/* PIRQA-D inputs (a slot's INTx after the bus swizzle) and where they go. */
qemu_irq piix3_get_pirq(PIIX3State *s, int pirq);
void piix3_set_isa_irqs(PIIX3State *s, qemu_irq *isa_irqs);
/* I/O 0xcf9 (wired through the host bridge's 0xcf8 dword) */
uint8_t piix3_rcr_read(void *opaque);
void piix3_rcr_write(void *opaque, uint8_t val);

#endif
