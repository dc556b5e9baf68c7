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
} PIIX3State;

PIIX3State *piix3_init(PCIBus *bus, int devfn, Error **errp);
void piix3_free(PIIX3State *s);

#endif
