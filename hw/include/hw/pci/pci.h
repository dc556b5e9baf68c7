/*
 * A PCI bus (one, bus 0, no bridges): devices with a 256-byte type 0
 * configuration space whose BARs and command register place their
 * MemoryRegions in the bus's memory and I/O address spaces.
 *
 * A device embeds PCIDevice as its first member and describes itself
 * with a const PCIDeviceClass (IDs and the hooks it needs beyond the
 * generic header).
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/memory.h"
#include "hw/pci/pci_regs.h"
#include "qapi/error.h"

#define PCI_CONFIG_SPACE_SIZE 256
#define PCI_NUM_REGIONS 6 /* BAR0..BAR5; no expansion ROM */
#define PCI_DEVFN(slot, func) ((((slot) & 0x1f) << 3) | ((func) & 0x07))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)

typedef uint64_t pcibus_t;
#define PCI_BAR_UNMAPPED (~(pcibus_t)0)

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIDeviceClass {
    const char *name;
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint16_t class_id; /* class << 8 | subclass */
    uint8_t prog_if;
    bool multifunction; /* header type bit 7: function 0 of a multi-function slot */
    /* Set up config[]/wmask[] beyond the header and register BARs. */
    void (*realize)(PCIDevice *d);
    /* Replaces the generic write; must call pci_default_write_config. */
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val, int len);
    /* Device-specific state back to power-on (after the generic reset). */
    void (*reset)(PCIDevice *d);
    /* What a BIOS would program besides BARs and PCI_COMMAND. */
    void (*firmware_init)(PCIDevice *d);
} PCIDeviceClass;

typedef struct PCIIORegion {
    pcibus_t addr; /* where it is mapped now, or PCI_BAR_UNMAPPED */
    pcibus_t size; /* 0: BAR not implemented */
    uint8_t type;  /* PCI_BASE_ADDRESS_SPACE_IO or _MEMORY */
    MemoryRegion *memory;
    MemoryRegion *address_space; /* the bus's I/O or memory root */
} PCIIORegion;

struct PCIDevice {
    const PCIDeviceClass *klass;
    PCIBus *bus;
    uint8_t devfn;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* bits cleared by writing 1 */
    PCIIORegion io_regions[PCI_NUM_REGIONS];
};

struct PCIBus {
    PCIDevice *devices[256]; /* by devfn */
    MemoryRegion *address_space_mem;
    MemoryRegion *address_space_io;
    AddressSpace *dma_as; /* where bus masters' DMA goes */
};

PCIBus *pci_bus_new(MemoryRegion *address_space_mem, MemoryRegion *address_space_io,
                    AddressSpace *dma_as);
/* All devices must have been unregistered. */
void pci_bus_free(PCIBus *bus);

/* Plugs d (embedded in its owner) into slot/function devfn and realizes it. */
bool pci_device_register(PCIBus *bus, PCIDevice *d, const PCIDeviceClass *klass, int devfn,
                         Error **errp);
/* Unmaps its BARs and frees the slot; the owner frees the memory. */
void pci_device_unregister(PCIDevice *d);

/* size must be a power of two (>= 4 for I/O, >= 16 for memory). */
void pci_register_bar(PCIDevice *d, int region_num, uint8_t type, MemoryRegion *memory);
pcibus_t pci_get_bar_addr(PCIDevice *d, int region_num);
/* Re-evaluates every BAR against PCI_COMMAND and moves regions to match. */
void pci_update_mappings(PCIDevice *d);

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, int len);
void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len);

/* Configuration access by bus number/devfn; absent functions read all-ones. */
uint32_t pci_data_read(PCIBus *bus, int bus_num, int devfn, uint32_t addr, int len);
void pci_data_write(PCIBus *bus, int bus_num, int devfn, uint32_t addr, uint32_t val, int len);
PCIDevice *pci_find_device(PCIBus *bus, int bus_num, int devfn);

void pci_device_reset(PCIDevice *d);
void pci_bus_reset(PCIBus *bus);
/*
 * With no firmware in the machine, do what a BIOS's PCI init would: give
 * every BAR an address (I/O from 0xc000, memory from 0xfe000000), enable
 * decoding, and run each device's firmware_init hook.
 */
void pci_assign_bars_as_firmware(PCIBus *bus);

AddressSpace *pci_get_address_space(PCIDevice *d);
bool pci_bus_master_enabled(PCIDevice *d);

static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline uint8_t pci_get_byte(const uint8_t *p) { return p[0]; }
static inline uint16_t pci_get_word(const uint8_t *p) { return p[0] | (p[1] << 8); }
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return pci_get_word(p) | ((uint32_t)pci_get_word(p + 2) << 16);
}

#endif
