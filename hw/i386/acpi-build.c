/*
 * ACPI tables for the pc machine.  Section numbers are ACPI 6.x's; every
 * field is written at the offset its table in the specification gives.
 *
 * Layout (each table 16-byte aligned, FACS 64-byte aligned as 5.2.10
 * requires): RSDP, FACS, DSDT, FADT, MADT, HPET, RSDT, XSDT -- or, for
 * firmware's linker/loader, the same without the RSDP, which goes into
 * a file of its own.
 */
#include "hw/i386/acpi-build.h"

#include <string.h>
#include <glib.h>

#include "hw/acpi/acpi-pm.h"
#include "hw/acpi/aml-build.h"
#include "hw/timer/hpet.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"

#define ACPI_OEM_ID       "DUET  "
#define ACPI_OEM_TABLE_ID "DUETPC  "
#define ACPI_CREATOR_ID   "DUET"
#define ACPI_HEADER_SIZE  36

/* Where a table holds the address of another, and which bytes a
 * checksum covers: what the linker/loader script needs to relocate the
 * tables (acpi_build_loader). */
typedef struct AcpiPointer {
    uint32_t ofs;
    uint8_t size;
} AcpiPointer;

typedef struct AcpiChecksum {
    uint32_t start, len, ofs;
} AcpiChecksum;

typedef struct AcpiBuf {
    uint8_t *buf;
    size_t size;
    size_t pos;
    uint32_t base;
    bool overflow;
    GArray *pointers;  /* of AcpiPointer */
    GArray *checksums; /* of AcpiChecksum */
} AcpiBuf;

static void put8(uint8_t *p, uint8_t v) { p[0] = v; }
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

/* Reserves @len zeroed bytes at @align; returns their offset in the buffer. */
static size_t acpi_alloc(AcpiBuf *b, size_t len, size_t align)
{
    size_t pos = (b->pos + align - 1) & ~(align - 1);

    if (pos + len > b->size) {
        b->overflow = true;
        return 0;
    }
    memset(b->buf + pos, 0, len);
    b->pos = pos + len;
    return pos;
}

static uint32_t acpi_addr(AcpiBuf *b, size_t ofs)
{
    return b->base + (uint32_t)ofs;
}

/* Stores the address of table @target at @p (@size bytes). */
static void acpi_put_addr(AcpiBuf *b, uint8_t *p, int size, size_t target)
{
    AcpiPointer ptr = { .ofs = p - b->buf, .size = size };

    if (size == 8) {
        put64(p, acpi_addr(b, target));
    } else {
        put32(p, acpi_addr(b, target));
    }
    if (b->pointers) {
        g_array_append_val(b->pointers, ptr);
    }
}

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return (uint8_t)-sum;
}

/* 5.2.6 System description table header; the checksum comes last. */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    put8(t + 8, rev);
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
    put32(t + 24, 1);                  /* OEM revision */
    memcpy(t + 28, ACPI_CREATOR_ID, 4);
    put32(t + 32, 1);                  /* creator revision */
}

static void acpi_finish(AcpiBuf *b, uint8_t *t)
{
    uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;
    AcpiChecksum c = { .start = t - b->buf, .len = len, .ofs = t - b->buf + 9 };

    t[9] = 0;
    t[9] = acpi_checksum(t, len);
    if (b->checksums) {
        g_array_append_val(b->checksums, c);
    }
}

/* 5.2.3.2 Generic Address Structure, system I/O space */
static void acpi_gas_io(uint8_t *p, uint8_t bit_width, uint8_t access_size, uint64_t addr)
{
    put8(p, 1);       /* address space: system I/O */
    put8(p + 1, bit_width);
    put8(p + 2, 0);   /* bit offset */
    put8(p + 3, access_size);
    put64(p + 4, addr);
}

/*
 * DSDT (ACPI 6.4 chapter 20):
 *   Scope (\_SB) {
 *     Device (PCI0) {            the i440FX host bridge: with ACPI, Linux
 *       Name (_HID, EisaId ("PNP0A03"))   finds PCI buses only through these
 *       Name (_ADR, 0)  Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {   what it decodes, as QEMU's pc:
 *         bus numbers 0-255, the config ports, I/O 0-0xcf7 and 0xd00-0xffff,
 *         the VGA window and the 32-bit PCI hole from the end of low RAM
 *         to below the IOAPIC }) } }
 *   Name (\_S5, Package (4) { S5, S5, 0, 0 })
 */
/* The i8042's keyboard and mouse ports as PNP devices, as QEMU's DSDT has
 * them: SeaBIOS only sets up its PS/2 keyboard when it finds PNP0303. */
static void build_i8042_aml(GByteArray *scope)
{
    GByteArray *kbd = g_byte_array_new(), *mou = g_byte_array_new();
    GByteArray *kcrs = g_byte_array_new(), *mcrs = g_byte_array_new();

    aml_res_io(kcrs, 0x60, 0x60, 1, 1);
    aml_res_io(kcrs, 0x64, 0x64, 1, 1);
    aml_res_irq_noflags(kcrs, 1u << 1);
    aml_res_end(kcrs);
    aml_append_name_eisaid(kbd, "_HID", "PNP0303");
    aml_append_name_buffer(kbd, "_CRS", kcrs);
    aml_append_device(scope, "KBD_", kbd);
    aml_res_irq_noflags(mcrs, 1u << 12);
    aml_res_end(mcrs);
    aml_append_name_eisaid(mou, "_HID", "PNP0F13");
    aml_append_name_buffer(mou, "_CRS", mcrs);
    aml_append_device(scope, "MOU_", mou);
    g_byte_array_unref(kcrs);
    g_byte_array_unref(mcrs);
}

static GByteArray *build_dsdt_aml(const AcpiBuildConfig *cfg)
{
    static const uint8_t s5[] = { ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, 0, 0 };
    GByteArray *aml = g_byte_array_new(), *sb = g_byte_array_new();
    GByteArray *pci0 = g_byte_array_new(), *crs = g_byte_array_new();

    aml_res_word_bus(crs, 0, 0xff);
    aml_res_io(crs, 0xcf8, 0xcf8, 1, 8);
    aml_res_word_io(crs, 0x0000, 0x0cf7);
    aml_res_word_io(crs, 0x0d00, 0xffff);
    aml_res_dword_memory(crs, 0xa0000, 0xbffff);
    aml_res_dword_memory(crs, cfg->pci_hole_start, cfg->ioapic_addr - 1);
    aml_res_end(crs);
    aml_append_name_eisaid(pci0, "_HID", "PNP0A03");
    aml_append_name_int(pci0, "_ADR", 0);
    aml_append_name_int(pci0, "_UID", 0);
    aml_append_name_buffer(pci0, "_CRS", crs);
    g_byte_array_unref(crs);
    build_i8042_aml(pci0);
    aml_append_device(sb, "PCI0", pci0);
    if (cfg->hpet) {
        GByteArray *hpet = g_byte_array_new(), *hcrs = g_byte_array_new();

        aml_res_memory32_fixed(hcrs, cfg->hpet_addr, 0x400, false);
        aml_res_end(hcrs);
        aml_append_name_eisaid(hpet, "_HID", "PNP0103");
        aml_append_name_int(hpet, "_UID", 0);
        aml_append_name_buffer(hpet, "_CRS", hcrs);
        g_byte_array_unref(hcrs);
        aml_append_device(sb, "HPET", hpet);
    }
    aml_append_scope(aml, "\\_SB", sb);
    aml_append_name_package(aml, "\\_S5", s5, G_N_ELEMENTS(s5));
    return aml;
}

static size_t build_dsdt(AcpiBuf *b, const AcpiBuildConfig *cfg)
{
    g_autoptr(GByteArray) aml = build_dsdt_aml(cfg);
    uint32_t len = ACPI_HEADER_SIZE + aml->len;
    size_t ofs = acpi_alloc(b, len, 16);

    if (b->overflow) {
        return 0;
    }
    acpi_header(b->buf + ofs, "DSDT", len, 2); /* revision 2: 64-bit integers */
    memcpy(b->buf + ofs + ACPI_HEADER_SIZE, aml->data, aml->len);
    acpi_finish(b, b->buf + ofs);
    return ofs;
}

/* 5.2.10 FACS: no checksum; 64-byte aligned. */
static size_t build_facs(AcpiBuf *b)
{
    size_t ofs = acpi_alloc(b, 64, 64);
    uint8_t *t = b->buf + ofs;

    if (b->overflow) {
        return 0;
    }
    memcpy(t, "FACS", 4);
    put32(t + 4, 64);
    put8(t + 32, 2); /* version */
    return ofs;
}

/* 5.2.9 FADT, revision 6 (276 bytes). */
#define FADT_LEN 276
#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_SLP_BUTTON    (1u << 5) /* no fixed-feature sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042           (1u << 1)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

static size_t build_fadt(AcpiBuf *b, const AcpiBuildConfig *cfg, size_t facs, size_t dsdt)
{
    size_t ofs = acpi_alloc(b, FADT_LEN, 16);
    uint8_t *t = b->buf + ofs;
    uint32_t evt = cfg->pm_base + ACPI_PM1_EVT_OFS, cnt = cfg->pm_base + ACPI_PM1_CNT_OFS;
    uint32_t tmr = cfg->pm_base + ACPI_PM_TMR_OFS;

    if (b->overflow) {
        return 0;
    }
    acpi_header(t, "FACP", FADT_LEN, 6);
    acpi_put_addr(b, t + 36, 4, facs);  /* FIRMWARE_CTRL */
    acpi_put_addr(b, t + 40, 4, dsdt);  /* DSDT */
    put16(t + 46, cfg->sci_irq);  /* SCI_INT */
    /* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE zero: always in ACPI mode. */
    put32(t + 56, evt);           /* PM1a_EVT_BLK */
    put32(t + 64, cnt);           /* PM1a_CNT_BLK */
    put32(t + 76, tmr);           /* PM_TMR_BLK */
    put8(t + 88, 4);              /* PM1_EVT_LEN */
    put8(t + 89, 2);              /* PM1_CNT_LEN */
    put8(t + 91, 4);              /* PM_TMR_LEN */
    put16(t + 96, 0xfff);         /* P_LVL2_LAT > 100: no C2 */
    put16(t + 98, 0xfff);         /* P_LVL3_LAT > 1000: no C3 */
    put8(t + 108, 0x32);          /* CENTURY: the RTC's CMOS index */
    put16(t + 109, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 | FADT_BOOT_VGA_NOT_PRESENT);
    /* a fixed-feature power button (PM1 PWRBTN), as QEMU's PIIX4; no sleep button */
    put32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
    acpi_gas_io(t + 116, 8, 1, cfg->reset_port); /* RESET_REG, byte access */
    put8(t + 128, cfg->reset_value);
    put8(t + 131, 0);             /* FADT minor version */
    acpi_put_addr(b, t + 132, 8, facs); /* X_FIRMWARE_CTRL */
    acpi_put_addr(b, t + 140, 8, dsdt); /* X_DSDT */
    acpi_gas_io(t + 148, 32, 0, evt);  /* X_PM1a_EVT_BLK */
    acpi_gas_io(t + 172, 16, 0, cnt);  /* X_PM1a_CNT_BLK */
    acpi_gas_io(t + 208, 32, 0, tmr);  /* X_PM_TMR_BLK */
    acpi_finish(b, t);
    return ofs;
}

/* 5.2.12 MADT */
static size_t build_madt(AcpiBuf *b, const AcpiBuildConfig *cfg)
{
    const uint8_t level_irqs[] = { 5, cfg->sci_irq, 10, 11 };
    /* per CPU: Local APIC (8); IOAPIC (12); overrides (10 each); LAPIC NMI (6) */
    int entries = cfg->max_cpus > cfg->ncpus ? cfg->max_cpus : cfg->ncpus;
    uint32_t len = ACPI_HEADER_SIZE + 8 + 8 * entries + 12 +
                   (1 + G_N_ELEMENTS(level_irqs)) * 10 + 6;
    size_t ofs = acpi_alloc(b, len, 16);
    uint8_t *t = b->buf + ofs, *e;

    if (b->overflow) {
        return 0;
    }
    acpi_header(t, "APIC", len, 4);
    put32(t + 36, cfg->lapic_addr);
    put32(t + 40, 1); /* PCAT_COMPAT: the 8259 pair is there too */
    e = t + 44;
    for (int i = 0; i < entries; i++, e += 8) {
        put8(e, 0);       /* Processor Local APIC (5.2.12.2) */
        put8(e + 1, 8);
        put8(e + 2, i);   /* ACPI processor UID */
        put8(e + 3, cfg->apic_ids[i]);
        put32(e + 4, i < cfg->ncpus); /* enabled; the rest could be hot-added */
    }
    put8(e, 1);           /* I/O APIC (5.2.12.3) */
    put8(e + 1, 12);
    put8(e + 2, cfg->ioapic_id);
    put32(e + 4, cfg->ioapic_addr);
    put32(e + 8, 0);      /* global system interrupt base */
    e += 12;
    /* Interrupt source overrides (5.2.12.5): the PIT is on pin 2. */
    put8(e, 2);
    put8(e + 1, 10);
    put8(e + 2, 0);       /* bus: ISA */
    put8(e + 3, 0);       /* source: IRQ0 */
    put32(e + 4, 2);      /* GSI 2 */
    put16(e + 8, 0);      /* conforms to the bus */
    e += 10;
    /* The SCI and the IRQs the PIIX's PCI interrupt links use are level,
     * active high (polarity 01, trigger 11: table 5-51), as in QEMU's pc. */
    for (int i = 0; i < (int)G_N_ELEMENTS(level_irqs); i++, e += 10) {
        put8(e, 2);
        put8(e + 1, 10);
        put8(e + 2, 0);
        put8(e + 3, level_irqs[i]);
        put32(e + 4, level_irqs[i]);
        put16(e + 8, 0x000d);
    }
    put8(e, 4);           /* Local APIC NMI (5.2.12.7): every CPU's LINT1 */
    put8(e + 1, 6);
    put8(e + 2, 0xff);
    put16(e + 3, 0);
    put8(e + 5, 1);
    acpi_finish(b, t);
    return ofs;
}

/* IA-PC HPET specification 1.0a, 3.2.4: the HPET description table. */
static size_t build_hpet(AcpiBuf *b, const AcpiBuildConfig *cfg)
{
    size_t ofs = acpi_alloc(b, 56, 16);
    uint8_t *t = b->buf + ofs;

    if (b->overflow) {
        return 0;
    }
    acpi_header(t, "HPET", 56, 1);
    put32(t + 36, cfg->hpet_block_id);  /* event timer block ID */
    put8(t + 40, 0);                    /* base address: GAS, system memory */
    put64(t + 44, cfg->hpet_addr);
    put8(t + 52, 0);                    /* HPET number */
    put16(t + 53, 0);                   /* minimum clock tick in periodic mode */
    put8(t + 55, 0);                    /* no page protection */
    acpi_finish(b, t);
    return ofs;
}

static size_t build_rsdt(AcpiBuf *b, const size_t *tables, int n)
{
    uint32_t len = ACPI_HEADER_SIZE + 4 * n;
    size_t ofs = acpi_alloc(b, len, 16);

    if (b->overflow) {
        return 0;
    }
    acpi_header(b->buf + ofs, "RSDT", len, 1);
    for (int i = 0; i < n; i++) {
        acpi_put_addr(b, b->buf + ofs + ACPI_HEADER_SIZE + 4 * i, 4, tables[i]);
    }
    acpi_finish(b, b->buf + ofs);
    return ofs;
}

static size_t build_xsdt(AcpiBuf *b, const size_t *tables, int n)
{
    uint32_t len = ACPI_HEADER_SIZE + 8 * n;
    size_t ofs = acpi_alloc(b, len, 16);

    if (b->overflow) {
        return 0;
    }
    acpi_header(b->buf + ofs, "XSDT", len, 1);
    for (int i = 0; i < n; i++) {
        acpi_put_addr(b, b->buf + ofs + ACPI_HEADER_SIZE + 8 * i, 8, tables[i]);
    }
    acpi_finish(b, b->buf + ofs);
    return ofs;
}

/* 5.2.5.3 RSDP, revision 2 (36 bytes). */
static void build_rsdp(uint8_t *r, uint32_t rsdt, uint32_t xsdt)
{
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, ACPI_OEM_ID, 6);
    put8(r + 15, 2);
    put32(r + 16, rsdt);
    put32(r + 20, 36);
    put64(r + 24, xsdt);
    r[8] = acpi_checksum(r, 20);   /* the ACPI 1.0 part */
    r[32] = acpi_checksum(r, 36);  /* all of it */
}

/* Everything but the RSDP; returns false on overflow. */
static bool acpi_build_body(AcpiBuf *b, const AcpiBuildConfig *cfg, size_t *rsdt, size_t *xsdt)
{
    size_t facs, dsdt, tables[3];
    int n = 0;

    /* Children first: their addresses go into their parents. */
    facs = build_facs(b);
    dsdt = build_dsdt(b, cfg);
    tables[n++] = build_fadt(b, cfg, facs, dsdt);
    tables[n++] = build_madt(b, cfg);
    if (cfg->hpet) {
        tables[n++] = build_hpet(b, cfg);
    }
    *rsdt = build_rsdt(b, tables, n);
    *xsdt = build_xsdt(b, tables, n);
    return !b->overflow;
}

static bool acpi_config_ok(const AcpiBuildConfig *cfg)
{
    return cfg->ncpus >= 1 && cfg->ncpus <= 255 && cfg->max_cpus <= 255;
}

size_t acpi_build_tables(uint8_t *buf, size_t size, uint32_t base, const AcpiBuildConfig *cfg)
{
    AcpiBuf b = { .buf = buf, .size = size, .base = base };
    size_t rsdp, rsdt, xsdt;

    if (base & 15 || !acpi_config_ok(cfg)) {
        return 0;
    }
    rsdp = acpi_alloc(&b, 36, 16);
    if (!acpi_build_body(&b, cfg, &rsdt, &xsdt)) {
        return 0;
    }
    build_rsdp(buf + rsdp, acpi_addr(&b, rsdt), acpi_addr(&b, xsdt));
    return b.pos;
}

/*
 * The same tables for firmware to place: addresses in them are offsets in
 * ACPI_BUILD_TABLE_FILE, and the script relocates them -- ALLOCATE both
 * files (the tables 64-byte aligned in high memory for the FACS, the
 * RSDP in the F segment where OSes search for it), ADD_POINTER for every
 * address, then ADD_CHECKSUM for every table and the RSDP's two sums.
 */
bool acpi_build_loader(const AcpiBuildConfig *cfg, GByteArray *tables, GByteArray *rsdp,
                       BIOSLinker *linker)
{
    g_autofree uint8_t *buf = g_malloc0(ACPI_BUILD_SIZE);
    g_autoptr(GArray) pointers = g_array_new(false, false, sizeof(AcpiPointer));
    g_autoptr(GArray) checksums = g_array_new(false, false, sizeof(AcpiChecksum));
    AcpiBuf b = { .buf = buf, .size = ACPI_BUILD_SIZE, .base = 0,
                  .pointers = pointers, .checksums = checksums };
    uint8_t r[36] = { 0 };
    size_t rsdt, xsdt;

    if (!acpi_config_ok(cfg) || !acpi_build_body(&b, cfg, &rsdt, &xsdt)) {
        return false;
    }
    g_byte_array_append(tables, buf, b.pos);
    build_rsdp(r, rsdt, xsdt);
    g_byte_array_append(rsdp, r, sizeof(r));

    bios_linker_loader_alloc(linker, ACPI_BUILD_TABLE_FILE, 64, false);
    bios_linker_loader_alloc(linker, ACPI_BUILD_RSDP_FILE, 16, true);
    for (guint i = 0; i < pointers->len; i++) {
        AcpiPointer *p = &g_array_index(pointers, AcpiPointer, i);

        bios_linker_loader_add_pointer(linker, ACPI_BUILD_TABLE_FILE, p->ofs, p->size,
                                       ACPI_BUILD_TABLE_FILE);
    }
    for (guint i = 0; i < checksums->len; i++) {
        AcpiChecksum *c = &g_array_index(checksums, AcpiChecksum, i);

        bios_linker_loader_add_checksum(linker, ACPI_BUILD_TABLE_FILE, c->start, c->len, c->ofs);
    }
    bios_linker_loader_add_pointer(linker, ACPI_BUILD_RSDP_FILE, 16, 4, ACPI_BUILD_TABLE_FILE);
    bios_linker_loader_add_pointer(linker, ACPI_BUILD_RSDP_FILE, 24, 8, ACPI_BUILD_TABLE_FILE);
    bios_linker_loader_add_checksum(linker, ACPI_BUILD_RSDP_FILE, 0, 20, 8);
    bios_linker_loader_add_checksum(linker, ACPI_BUILD_RSDP_FILE, 0, 36, 32);
    return true;
}

void acpi_build_pc_config(AcpiBuildConfig *cfg, int ncpus)
{
    *cfg = (AcpiBuildConfig){
        .ncpus = ncpus,
        .lapic_addr = APIC_DEFAULT_ADDRESS,
        .ioapic_addr = IOAPIC_DEFAULT_ADDRESS,
        .ioapic_id = 0,
        .pm_base = ACPI_PM_BASE,
        .sci_irq = 9,
        .reset_port = 0xcf9,
        .reset_value = 0x06,
        .pci_hole_start = 0xe0000000,
        .hpet = true,
        .hpet_addr = HPET_BASE,
        .hpet_block_id = HPET_FW_BLOCK_ID,
    };
    for (int i = 0; i < 256; i++) {
        cfg->apic_ids[i] = i;
    }
}
