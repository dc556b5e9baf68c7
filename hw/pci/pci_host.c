/*
 * Configuration mechanism #1 (PCI 3.0 section 3.2.2.3.2) on 0xcf8/0xcfc.
 */
#include <inttypes.h>

#include "hw/pci/pci_host.h"

#include "qemu/log.h"
#include "trace/trace.h"

#define CONFIG_ADDRESS_ENABLE 0x80000000u

/*
 * Only a dword access at 0xcf8 is CONFIG_ADDRESS; narrower ones are
 * ordinary I/O cycles (which is how guests probe for mechanism #1).  Of
 * those, a byte at 0xcf9 is the PIIX's reset control register.
 */
static uint64_t pci_host_config_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIHostState *s = opaque;

    if (size == 4 && addr == 0) {
        return s->config_reg;
    }
    if (size == 1 && addr == 1 && s->cf9_read) {
        return s->cf9_read(s->cf9_opaque);
    }
    return (1ull << (8 * size)) - 1;
}

static void pci_host_config_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCIHostState *s = opaque;

    if (size == 4 && addr == 0) {
        s->config_reg = val & ~3u; /* bits 1:0 are reserved and read as zero */
    } else if (size == 1 && addr == 1 && s->cf9_write) {
        s->cf9_write(s->cf9_opaque, val);
    }
}

static uint64_t pci_host_data_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIHostState *s = opaque;
    uint32_t reg = s->config_reg;

    if (!(reg & CONFIG_ADDRESS_ENABLE)) {
        /* Not a configuration cycle: an ordinary I/O read nobody claims. */
        return size == 4 ? UINT32_MAX : (1u << (8 * size)) - 1;
    }
    return pci_data_read(s->bus, (reg >> 16) & 0xff, (reg >> 8) & 0xff,
                         (reg & 0xfc) | (addr & 3), size);
}

static void pci_host_data_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCIHostState *s = opaque;
    uint32_t reg = s->config_reg;

    if (!(reg & CONFIG_ADDRESS_ENABLE)) {
        return;
    }
    pci_data_write(s->bus, (reg >> 16) & 0xff, (reg >> 8) & 0xff,
                   (reg & 0xfc) | (addr & 3), val, size);
}

static const MemoryRegionOps pci_host_conf_ops = {
    .read = pci_host_config_read,
    .write = pci_host_config_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps pci_host_data_ops = {
    .read = pci_host_data_read,
    .write = pci_host_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
};

void pci_host_init(PCIHostState *s, PCIBus *bus, MemoryRegion *address_space_io)
{
    s->bus = bus;
    s->config_reg = 0;
    s->address_space_io = address_space_io;
    memory_region_init_io(&s->conf_mem, &pci_host_conf_ops, s, "pci-conf-idx", 4);
    memory_region_init_io(&s->data_mem, &pci_host_data_ops, s, "pci-conf-data", 4);
    memory_region_add_subregion(address_space_io, PCI_HOST_CONFIG_ADDRESS, &s->conf_mem);
    memory_region_add_subregion(address_space_io, PCI_HOST_CONFIG_DATA, &s->data_mem);
}

void pci_host_set_cf9_handler(PCIHostState *s, uint8_t (*read)(void *opaque),
                              void (*write)(void *opaque, uint8_t val), void *opaque)
{
    s->cf9_read = read;
    s->cf9_write = write;
    s->cf9_opaque = opaque;
}

void pci_host_destroy(PCIHostState *s)
{
    memory_region_del_subregion(s->address_space_io, &s->conf_mem);
    memory_region_del_subregion(s->address_space_io, &s->data_mem);
    memory_region_finalize(&s->conf_mem);
    memory_region_finalize(&s->data_mem);
}
