/*
 * The host bridge's configuration mechanism #1 (PCI 3.0 section 3.2.2.3.2):
 * CONFIG_ADDRESS at 0xcf8 (32-bit only) selects bus/device/function/
 * register with bit 31 as enable; CONFIG_DATA at 0xcfc-0xcff moves the
 * bytes.
 */
#ifndef HW_PCI_PCI_HOST_H
#define HW_PCI_PCI_HOST_H

#include "hw/pci/pci.h"

#define PCI_HOST_CONFIG_ADDRESS 0xcf8
#define PCI_HOST_CONFIG_DATA    0xcfc

typedef struct PCIHostState {
    PCIBus *bus;
    uint32_t config_reg;
    MemoryRegion conf_mem;
    MemoryRegion data_mem;
    MemoryRegion *address_space_io;
} PCIHostState;

void pci_host_init(PCIHostState *s, PCIBus *bus, MemoryRegion *address_space_io);
void pci_host_destroy(PCIHostState *s);

#endif
