/*
 * The BIOS memory map (INT 15h E820, ACPI 6.4 section 15): what the pc
 * machine hands to a kernel about its physical address space.  The board
 * builds it once; the Linux loader copies it into boot_params, the
 * Multiboot loader into its mmap, the ACPI builder adds its tables.
 */
#ifndef HW_I386_E820_H
#define HW_I386_E820_H

#include <stdbool.h>
#include <stdint.h>

/* ACPI 6.4 table 15.312: address range types. */
enum {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,  /* ACPI reclaim memory: the tables */
    E820_NVS = 4,   /* ACPI NVS memory (the FACS) */
    E820_UNUSABLE = 5,
};

#define E820_MAX_ENTRIES 128 /* what boot_params.e820_table holds */

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

typedef struct E820Table {
    unsigned count;
    E820Entry entry[E820_MAX_ENTRIES];
} E820Table;

/*
 * Adds a range; where it overlaps earlier ones it wins (a reserved range
 * carved out of RAM splits the RAM entry).  Entries stay sorted by address
 * and adjacent ranges of one type merge.  False when the table is full.
 */
bool e820_add_entry(E820Table *t, uint64_t addr, uint64_t size, uint32_t type);
/*
 * The pc machine's map (QEMU's layout, as SeaBIOS reports it, plus the
 * interrupt controllers): RAM to 0x9fc00, the EBDA and the BIOS area
 * 0xf0000-0xfffff reserved, RAM from 1 MiB to @below_4g, the IOAPIC and
 * local APIC pages and the BIOS ROM below 4 GiB reserved, and @above_4g
 * bytes of RAM from 4 GiB.
 */
void e820_build_pc(E820Table *t, uint64_t below_4g, uint64_t above_4g);
/* The end of the highest RAM range below 4 GiB (0 if none). */
uint64_t e820_ram_end_below_4g(const E820Table *t);
/* Whether [addr, addr + size) lies entirely in RAM entries. */
bool e820_is_ram(const E820Table *t, uint64_t addr, uint64_t size);

#endif
