/*
 * The PIIX3 (82371SB) PCI-to-ISA bridge, function 0 of its slot.  The
 * ISA devices themselves are the board's; this is the configuration
 * function (PIRQ routing and the like, stored but not acted upon).
 */
#ifndef HW_PCI_PIIX3_H
#define HW_PCI_PIIX3_H

#include "hw/pci/pci.h"

typedef struct PIIX3State {
    PCIDevice dev;
    uint8_t rcr; /* reset control register at I/O 0xcf9 */
} PIIX3State;

PIIX3State *piix3_init(PCIBus *bus, int devfn, Error **errp);
void piix3_free(PIIX3State *s);
/* I/O 0xcf9 (wired through the host bridge's 0xcf8 dword) */
uint8_t piix3_rcr_read(void *opaque);
void piix3_rcr_write(void *opaque, uint8_t val);

#endif
