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
    /* Byte accesses to 0xcf9 (inside CONFIG_ADDRESS's dword) */
    uint8_t (*cf9_read)(void *opaque);
    void (*cf9_write)(void *opaque, uint8_t val);
    void *cf9_opaque;
} PCIHostState;

void pci_host_init(PCIHostState *s, PCIBus *bus, MemoryRegion *address_space_io);
void pci_host_destroy(PCIHostState *s);
/* Who answers byte accesses to 0xcf9 (the PIIX reset control register). */
void pci_host_set_cf9_handler(PCIHostState *s, uint8_t (*read)(void *opaque),
                              void (*write)(void *opaque, uint8_t val), void *opaque);

#endif
