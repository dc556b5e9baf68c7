/*
 * The i440FX PCI and memory controller (82441FX PMC) as QEMU's pc machine
 * has it: the host bridge at 00:00.0 plus configuration mechanism #1, and
 * the PAM registers over the BIOS shadow (hw/pci/pam.h).
 */
#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H

#include "hw/pci/pam.h"
#include "hw/pci/pci_host.h"

typedef struct PCII440FXState {
    PCIDevice dev; /* first: 00:00.0 */
    PCIHostState host;
    bool pam_mapped;
    MemoryRegion *system_memory;
    AddressSpace pam_pci_as;
    PAMMemoryRegion pam_regions[PAM_REGIONS]; /* 0: 0xf0000; 1..12: 0xc0000 upwards */
} PCII440FXState;

/* Creates the bridge function and the 0xcf8/0xcfc ports on bus. */
PCII440FXState *i440fx_init(PCIBus *bus, MemoryRegion *address_space_io, Error **errp);
/*
 * Puts 0xc0000-0xfffff of @system_memory under the PAM registers: RAM is
 * @ram (offset = guest address), the PCI side is @pci_window (offset 0 =
 * 0xc0000, PAM_WINDOW_SIZE bytes).  Without this call PAM is only stored.
 */
void i440fx_init_pam(PCII440FXState *s, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window);
void i440fx_free(PCII440FXState *s);

#endif
