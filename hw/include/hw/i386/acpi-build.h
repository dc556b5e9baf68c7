/*
 * The pc machine's ACPI tables (ACPI 6.x chapter 5), built into guest
 * memory at every reset: RSDP (revision 2), RSDT, XSDT, FADT (revision
 * 6), FACS, DSDT (\_SB and \_S5) and MADT (one Local APIC per CPU, the
 * IOAPIC, the ISA overrides IRQ0 -> GSI2 and IRQ 5/9/10/11 level,
 * active-high (SCI and PCI links, as QEMU's pc), and LINT1 as NMI).  They describe the same hardware whether it is duet's
 * own or KVM's in-kernel irqchip (same addresses).
 */
#ifndef HW_I386_ACPI_BUILD_H
#define HW_I386_ACPI_BUILD_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hw/acpi/bios-linker-loader.h"

/* Where the pc machine puts them: the reserved F segment, where a
 * search of 0xe0000-0xfffff for the RSDP finds them (ACPI 5.2.5.1). */
#define ACPI_BUILD_BASE 0xf0000
#define ACPI_BUILD_SIZE 0x1000

typedef struct AcpiBuildConfig {
    int ncpus;            /* CPUs present (MADT entries enabled) */
    int max_cpus;         /* MADT entries (-smp maxcpus); 0: ncpus */
    uint8_t apic_ids[256];/* each CPU's APIC ID (default: its index) */
    uint32_t lapic_addr;
    uint32_t ioapic_addr;
    uint8_t ioapic_id;
    uint16_t pm_base;     /* PM1a_EVT at +0, PM1a_CNT at +4, PM_TMR at +8 */
    uint16_t sci_irq;
    uint16_t reset_port;  /* FADT RESET_REG (I/O, 8 bits) */
    uint8_t reset_value;
    uint32_t pci_hole_start; /* the end of RAM below 4 GiB: PCI memory from here */
    bool hpet;            /* an HPET table and \\_SB.HPET */
    uint32_t hpet_addr;
    uint32_t hpet_block_id;
} AcpiBuildConfig;

/* The pc machine's configuration for @ncpus CPUs. */
void acpi_build_pc_config(AcpiBuildConfig *cfg, int ncpus);
/*
 * Lays the tables out in @buf (@size bytes) as they will sit at guest
 * physical address @base (16-byte aligned; the RSDP comes first).
 * Returns the bytes used, or 0 when @size is too small.
 */
size_t acpi_build_tables(uint8_t *buf, size_t size, uint32_t base, const AcpiBuildConfig *cfg);

/* fw_cfg file names, as QEMU's */
#define ACPI_BUILD_TABLE_FILE  "etc/acpi/tables"
#define ACPI_BUILD_RSDP_FILE   "etc/acpi/rsdp"
#define ACPI_BUILD_LOADER_FILE "etc/table-loader"

/*
 * The tables for a BIOS to place through the linker/loader script: the
 * tables (addresses as offsets in ACPI_BUILD_TABLE_FILE) appended to
 * @tables, the RSDP to @rsdp, the commands to @linker.  False if the
 * configuration is refused or the tables do not fit ACPI_BUILD_SIZE.
 */
bool acpi_build_loader(const AcpiBuildConfig *cfg, GByteArray *tables, GByteArray *rsdp,
                       BIOSLinker *linker);

#endif
