/*
 * The i440FX PCI and memory controller (82441FX PMC) as QEMU's pc machine
 * has it: the host bridge at 00:00.0 plus configuration mechanism #1.
 */
#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H

#include "hw/pci/pci_host.h"

typedef struct PCII440FXState {
    PCIDevice dev; /* first: 00:00.0 */
    PCIHostState host;
} PCII440FXState;

/* Creates the bridge function and the 0xcf8/0xcfc ports on bus. */
PCII440FXState *i440fx_init(PCIBus *bus, MemoryRegion *address_space_io, Error **errp);
void i440fx_free(PCII440FXState *s);

#endif
