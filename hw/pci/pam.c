/*
 * The PAM segments of the BIOS shadow (see hw/include/hw/pci/pam.h).
 */
#include <string.h>

#include "hw/pci/pam.h"

#include "qemu/log.h"

/* Mode 2: reads come from the PCI window, writes land in RAM. */
static uint64_t pam_write_only_read(void *opaque, hwaddr addr, unsigned size)
{
    PAMMemoryRegion *pam = opaque;
    uint64_t val = 0;

    address_space_read(pam->pci_as, pam->start - PAM_WINDOW_BASE + addr,
                       MEMTXATTRS_UNSPECIFIED, &val, size);
    return val;
}

static void pam_write_only_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PAMMemoryRegion *pam = opaque;
    uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(pam->ram) + pam->start + addr;

    memcpy(host, &val, size);
    memory_notify_ram_write(host, size); /* decoded code there is stale */
}

static const MemoryRegionOps pam_write_only_ops = {
    .read = pam_write_only_read,
    .write = pam_write_only_write,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static MemoryRegion *pam_mode_region(PAMMemoryRegion *pam, unsigned mode)
{
    switch (mode) {
    case 0:
        return &pam->alias[0];
    case PAM_RE:
        return &pam->alias[1];
    case PAM_WE:
        return &pam->write_only;
    default:
        return &pam->alias[2];
    }
}

void pam_init_memory(PAMMemoryRegion *pam, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window, AddressSpace *pci_as, hwaddr start,
                     uint64_t size)
{
    memset(pam, 0, sizeof(*pam));
    pam->start = start;
    pam->size = size;
    pam->ram = ram;
    pam->pci_as = pci_as;
    memory_region_init_alias(&pam->alias[0], "pam-pci", pci_window, start - PAM_WINDOW_BASE,
                             size);
    memory_region_init_alias(&pam->alias[1], "pam-rom", ram, start, size);
    memory_region_set_readonly(&pam->alias[1], true);
    memory_region_init_alias(&pam->alias[2], "pam-ram", ram, start, size);
    memory_region_init_io(&pam->write_only, &pam_write_only_ops, pam, "pam-wo", size);

    memory_region_transaction_begin();
    for (unsigned mode = 0; mode < 4; mode++) {
        MemoryRegion *mr = pam_mode_region(pam, mode);
        memory_region_set_enabled(mr, mode == 0);
        memory_region_add_subregion_overlap(system_memory, start, mr, 1);
    }
    memory_region_transaction_commit();
}

void pam_update(PAMMemoryRegion *pam, unsigned mode)
{
    mode &= PAM_RE | PAM_WE;
    if (mode == pam->current) {
        return;
    }
    memory_region_transaction_begin();
    memory_region_set_enabled(pam_mode_region(pam, pam->current), false);
    memory_region_set_enabled(pam_mode_region(pam, mode), true);
    memory_region_transaction_commit();
    pam->current = mode;
}

void pam_destroy(PAMMemoryRegion *pam, MemoryRegion *system_memory)
{
    for (unsigned mode = 0; mode < 4; mode++) {
        MemoryRegion *mr = pam_mode_region(pam, mode);
        memory_region_del_subregion(system_memory, mr);
        memory_region_finalize(mr);
    }
}
