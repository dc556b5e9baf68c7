/*
 * Programmable Attribute Map: the i440FX's control of the BIOS shadow at
 * 0xc0000-0xfffff (82441FX PMC datasheet, 3.2.18, registers PAM0-PAM6).
 *
 * Each segment is either RAM or the "PCI side" (the ROMs the board maps
 * there: the BIOS's last 128 KiB, the option-ROM area), separately for
 * reads and writes:
 *
 *   RE WE   reads   writes
 *    0  0   PCI     PCI (ROM: dropped)
 *    1  0   RAM     PCI (write-protected shadow)
 *    0  1   PCI     RAM (how firmware copies itself to the shadow)
 *    1  1   RAM     RAM
 *
 * Modelled as QEMU does: four regions per segment placed over system RAM
 * at priority 1, exactly one enabled — an alias of the PCI window, a
 * read-only alias of RAM, an I/O region that splits reads from writes,
 * and a RAM alias.
 */
#ifndef HW_PCI_PAM_H
#define HW_PCI_PAM_H

#include <stdint.h>

#include "exec/memory.h"

#define PAM_BIOS_BASE   0xf0000 /* PAM0 bits 5:4, 64 KiB */
#define PAM_BIOS_SIZE   0x10000
#define PAM_EXPAN_BASE  0xc0000 /* PAM1-PAM6, 16 KiB each nibble */
#define PAM_EXPAN_SIZE  0x04000
#define PAM_WINDOW_BASE 0xc0000 /* the PCI window covers 0xc0000-0xfffff */
#define PAM_WINDOW_SIZE 0x40000
#define PAM_REGIONS     13      /* PAM0 high nibble + 2 per PAM1-PAM6 */

#define PAM_RE 1
#define PAM_WE 2

typedef struct PAMMemoryRegion {
    MemoryRegion alias[3]; /* by mode 0, 1, 3: PCI, RAM read-only, RAM */
    MemoryRegion write_only; /* mode 2 */
    unsigned current;        /* 0..3 */
    hwaddr start;
    uint64_t size;
    MemoryRegion *ram;       /* RAM block whose offset = the guest address */
    AddressSpace *pci_as;    /* mode 2 reads */
} PAMMemoryRegion;

/*
 * @pci_window: a container of PAM_WINDOW_SIZE whose offset 0 stands for
 * 0xc0000 (the board puts its ROM aliases in it); @pci_as an address space
 * over it.  The regions start in mode 0.
 */
void pam_init_memory(PAMMemoryRegion *pam, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window, AddressSpace *pci_as, hwaddr start,
                     uint64_t size);
/* @mode: the 2-bit RE/WE field of the segment's PAM nibble. */
void pam_update(PAMMemoryRegion *pam, unsigned mode);
void pam_destroy(PAMMemoryRegion *pam, MemoryRegion *system_memory);

#endif
