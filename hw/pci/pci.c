/*
 * PCI bus 0: configuration space and BAR mapping.
 *
 * A BAR's region is in the bus's address space exactly when its decode
 * bit in PCI_COMMAND is set and the BAR holds a usable address; every
 * write to the command register or a BAR re-evaluates that.
 */
#include <assert.h>
#include <inttypes.h>

#include "hw/pci/pci.h"

#include "qemu/log.h"
#include "trace/trace.h"

#define PCI_IO_SPACE_END 0xffff /* x86 port space */

PCIBus *pci_bus_new(MemoryRegion *address_space_mem, MemoryRegion *address_space_io,
                    AddressSpace *dma_as)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    bus->address_space_mem = address_space_mem;
    bus->address_space_io = address_space_io;
    bus->dma_as = dma_as;
    return bus;
}

void pci_bus_free(PCIBus *bus)
{
    if (!bus) {
        return;
    }
    for (int i = 0; i < 256; i++) {
        assert(!bus->devices[i]);
    }
    g_free(bus);
}

static void pci_config_set_header(PCIDevice *d)
{
    const PCIDeviceClass *k = d->klass;

    pci_set_word(d->config + PCI_VENDOR_ID, k->vendor_id);
    pci_set_word(d->config + PCI_DEVICE_ID, k->device_id);
    pci_set_byte(d->config + PCI_REVISION_ID, k->revision);
    pci_set_byte(d->config + PCI_CLASS_PROG, k->prog_if);
    pci_set_word(d->config + PCI_CLASS_DEVICE, k->class_id);
    pci_set_byte(d->config + PCI_HEADER_TYPE,
                 k->multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0);
    /* QEMU's subsystem on every function (Red Hat, "QEMU virtual machine"):
     * SeaBIOS recognises QEMU's i440FX by it. */
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, 0x1100);
    /* Generic defaults; a device's realize narrows or widens them. */
    pci_set_word(d->wmask + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_SIG_TARGET_ABORT |
                 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT);
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

bool pci_device_register(PCIBus *bus, PCIDevice *d, const PCIDeviceClass *klass, int devfn,
                         Error **errp)
{
    if (devfn < 0 || devfn > 255) {
        error_setg(errp, "PCI devfn %d out of range", devfn);
        return false;
    }
    if (bus->devices[devfn]) {
        error_setg(errp, "PCI slot %02x.%x already holds %s", PCI_SLOT(devfn),
                   PCI_FUNC(devfn), bus->devices[devfn]->klass->name);
        return false;
    }
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->io_regions, 0, sizeof(d->io_regions));
    d->klass = klass;
    d->bus = bus;
    d->devfn = devfn;
    pci_config_set_header(d);
    if (klass->realize) {
        klass->realize(d);
    }
    bus->devices[devfn] = d;
    return true;
}

static void pci_unmap_region(PCIIORegion *r)
{
    if (r->addr != PCI_BAR_UNMAPPED) {
        memory_region_del_subregion(r->address_space, r->memory);
        r->addr = PCI_BAR_UNMAPPED;
    }
}

void pci_device_unregister(PCIDevice *d)
{
    memory_region_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        if (d->io_regions[i].size) {
            pci_unmap_region(&d->io_regions[i]);
        }
    }
    memory_region_transaction_commit();
    d->bus->devices[d->devfn] = NULL;
    d->bus = NULL;
}

void pci_register_bar(PCIDevice *d, int region_num, uint8_t type, MemoryRegion *memory)
{
    PCIIORegion *r = &d->io_regions[region_num];
    uint64_t size = memory_region_size(memory);
    uint32_t addr = PCI_BASE_ADDRESS_0 + 4 * region_num;
    uint32_t mask;

    assert(region_num >= 0 && region_num < PCI_NUM_REGIONS);
    assert(size && (size & (size - 1)) == 0);
    r->addr = PCI_BAR_UNMAPPED;
    r->size = size;
    r->type = type;
    r->memory = memory;
    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        assert(size >= 4);
        r->address_space = d->bus->address_space_io;
        mask = ~(uint32_t)(size - 1) & PCI_BASE_ADDRESS_IO_MASK;
    } else {
        assert(size >= 16);
        r->address_space = d->bus->address_space_mem;
        mask = ~(uint32_t)(size - 1) & PCI_BASE_ADDRESS_MEM_MASK;
    }
    /* Sizing (PCI 3.0 6.2.5.1): all-ones written reads back as the mask. */
    pci_set_long(d->config + addr, type);
    pci_set_long(d->wmask + addr, mask);
}

pcibus_t pci_get_bar_addr(PCIDevice *d, int region_num)
{
    return d->io_regions[region_num].addr;
}

/* Where BAR region_num decodes now, or PCI_BAR_UNMAPPED. */
static pcibus_t pci_bar_address(PCIDevice *d, int region_num)
{
    PCIIORegion *r = &d->io_regions[region_num];
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    uint32_t bar = pci_get_long(d->config + PCI_BASE_ADDRESS_0 + 4 * region_num);
    uint32_t mask = pci_get_long(d->wmask + PCI_BASE_ADDRESS_0 + 4 * region_num);
    pcibus_t base, last, limit;

    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        limit = PCI_IO_SPACE_END;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        limit = UINT32_MAX;
    }
    base = bar & mask;
    last = base + r->size - 1;
    /* 0 is "not assigned"; all-ones is a sizing probe in progress. */
    if (base == 0 || base == mask || last > limit) {
        return PCI_BAR_UNMAPPED;
    }
    return base;
}

void pci_update_mappings(PCIDevice *d)
{
    memory_region_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &d->io_regions[i];
        pcibus_t new_addr;

        if (!r->size) {
            continue;
        }
        new_addr = pci_bar_address(d, i);
        if (new_addr == r->addr) {
            continue;
        }
        trace_event(pci_update_mappings, "%02x.%x %s bar%d 0x%" PRIx64 " -> 0x%" PRIx64,
                    PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), d->klass->name, i,
                    r->addr, new_addr);
        pci_unmap_region(r);
        if (new_addr != PCI_BAR_UNMAPPED) {
            memory_region_add_subregion_overlap(r->address_space, new_addr, r->memory, 1);
            r->addr = new_addr;
        }
    }
    memory_region_transaction_commit();
}

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, int len)
{
    uint32_t val = 0;

    for (int i = 0; i < len; i++) {
        val |= (uint32_t)d->config[(addr + i) & 0xff] << (8 * i);
    }
    return val;
}

static bool ranges_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    for (int i = 0; i < len; i++) {
        uint32_t a = (addr + i) & 0xff;
        uint8_t byte = val >> (8 * i);

        d->config[a] = (d->config[a] & ~d->wmask[a]) | (byte & d->wmask[a]);
        d->config[a] &= ~(byte & d->w1cmask[a]);
    }
    if (ranges_overlap(addr, len, PCI_COMMAND, 2) ||
        ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 4 * PCI_NUM_REGIONS)) {
        pci_update_mappings(d);
    }
}

PCIDevice *pci_find_device(PCIBus *bus, int bus_num, int devfn)
{
    if (bus_num != 0 || devfn < 0 || devfn > 255) {
        return NULL;
    }
    return bus->devices[devfn];
}

uint32_t pci_data_read(PCIBus *bus, int bus_num, int devfn, uint32_t addr, int len)
{
    PCIDevice *d = pci_find_device(bus, bus_num, devfn);
    uint32_t val;

    /* No device: the host bridge's master abort reads all-ones. */
    if (!d) {
        val = len == 4 ? UINT32_MAX : (1u << (8 * len)) - 1;
    } else {
        val = pci_default_read_config(d, addr, len);
    }
    trace_event(pci_cfg_read, "%02x:%02x.%x reg=0x%02x len=%d val=0x%x", bus_num,
                PCI_SLOT(devfn), PCI_FUNC(devfn), addr, len, val);
    return val;
}

void pci_data_write(PCIBus *bus, int bus_num, int devfn, uint32_t addr, uint32_t val, int len)
{
    PCIDevice *d = pci_find_device(bus, bus_num, devfn);

    trace_event(pci_cfg_write, "%02x:%02x.%x reg=0x%02x len=%d val=0x%x%s", bus_num,
                PCI_SLOT(devfn), PCI_FUNC(devfn), addr, len, val, d ? "" : " (no device)");
    if (!d) {
        return;
    }
    if (d->klass->config_write) {
        d->klass->config_write(d, addr, val, len);
    } else {
        pci_default_write_config(d, addr, val, len);
    }
}

void pci_device_reset(PCIDevice *d)
{
    /* Power-on: decoding off, BARs zero, status errors clear. */
    pci_set_word(d->config + PCI_COMMAND,
                 pci_get_word(d->config + PCI_COMMAND) & ~pci_get_word(d->wmask + PCI_COMMAND));
    pci_set_word(d->config + PCI_STATUS,
                 pci_get_word(d->config + PCI_STATUS) & ~pci_get_word(d->w1cmask + PCI_STATUS));
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &d->io_regions[i];

        if (r->size) {
            pci_set_long(d->config + PCI_BASE_ADDRESS_0 + 4 * i, r->type);
        }
    }
    if (d->klass->reset) {
        d->klass->reset(d);
    }
    pci_update_mappings(d);
}

void pci_bus_reset(PCIBus *bus)
{
    for (int devfn = 0; devfn < 256; devfn++) {
        if (bus->devices[devfn]) {
            pci_device_reset(bus->devices[devfn]);
        }
    }
}

void pci_assign_bars_as_firmware(PCIBus *bus)
{
    pcibus_t io_next = 0xc000, mem_next = 0xfe000000;

    for (int devfn = 0; devfn < 256; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        uint16_t cmd;

        if (!d) {
            continue;
        }
        cmd = pci_get_word(d->config + PCI_COMMAND);
        for (int i = 0; i < PCI_NUM_REGIONS; i++) {
            PCIIORegion *r = &d->io_regions[i];
            pcibus_t *next;

            if (!r->size) {
                continue;
            }
            if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
                next = &io_next;
                cmd |= PCI_COMMAND_IO;
            } else {
                next = &mem_next;
                cmd |= PCI_COMMAND_MEMORY;
            }
            *next = (*next + r->size - 1) & ~(r->size - 1);
            pci_set_long(d->config + PCI_BASE_ADDRESS_0 + 4 * i, (uint32_t)*next | r->type);
            *next += r->size;
        }
        cmd &= pci_get_word(d->wmask + PCI_COMMAND) |
               pci_get_word(d->config + PCI_COMMAND);
        pci_set_word(d->config + PCI_COMMAND, cmd);
        if (d->klass->firmware_init) {
            d->klass->firmware_init(d);
        }
        pci_update_mappings(d);
    }
}

AddressSpace *pci_get_address_space(PCIDevice *d)
{
    return d->bus->dma_as;
}

bool pci_bus_master_enabled(PCIDevice *d)
{
    return pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}
