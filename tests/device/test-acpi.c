/*
 * ACPI: the PM timer's rate against the host clock, PM1 status/enable
 * and the SCI, S5 power-off through PM1a_CNT, the PIIX reset control
 * register at 0xcf9 and PIRQ routing, and the tables the pc machine builds, parsed from
 * the RSDP down (signatures, lengths, checksums, the fields Linux reads).
 *
 *   test-acpi          the tests above
 *   test-acpi iasl     disassembles every table with iasl -d (exit 77
 *                      without acpica-tools) and checks what it decoded
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device-test.h"
#include "hw/acpi/acpi-pm.h"
#include "hw/i386/acpi-build.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/piix3.h"
#include "sysemu/runstate.h"

#define PM_BASE ACPI_PM_BASE

static ACPIPMState *pm;
static IRQProbe sci;

static void setup(void)
{
    irq_probe_init(&sci);
    pm = acpi_pm_init(get_system_io(), PM_BASE, sci.irq);
}

static void teardown(void)
{
    acpi_pm_destroy(pm);
    qemu_free_irq(sci.irq);
}

START_TEST(test_pm_timer_rate)
{
    uint32_t t0, t1;
    int64_t h0, h1;
    double rate;

    h0 = g_get_monotonic_time();
    t0 = inl(PM_BASE + 8);
    g_usleep(200000);
    t1 = inl(PM_BASE + 8);
    h1 = g_get_monotonic_time();
    ck_assert_uint_le(t0, 0xffffff);
    ck_assert_uint_le(t1, 0xffffff);
    rate = (double)((t1 - t0) & 0xffffff) * 1e6 / (double)(h1 - h0);
    ck_assert_msg(rate > ACPI_PM_TIMER_FREQ * 0.98 && rate < ACPI_PM_TIMER_FREQ * 1.02,
                  "PM timer at %.0f Hz", rate);
    printf("ACPI PM timer: %.0f Hz (3579545 nominal)\n", rate);
    /* byte and word reads see the same counter */
    ck_assert_uint_eq(inb(PM_BASE + 11), 0);
}
END_TEST

START_TEST(test_pm1_registers)
{
    ck_assert_uint_eq(inw(PM_BASE + 4) & 1, 1); /* SCI_EN: always in ACPI mode */
    outw(PM_BASE + 4, 0);
    ck_assert_uint_eq(inw(PM_BASE + 4) & 1, 1);
    outw(PM_BASE + 2, 0xffff);
    ck_assert_uint_eq(inw(PM_BASE + 2), 0x0721); /* TMR, GBL, PWRBTN, SLPBTN, RTC */
    outw(PM_BASE + 2, 0);
    outw(PM_BASE + 4, 0x0400 | 0x2000); /* SLP_TYP 1 (not S5), SLP_EN */
    ck_assert(!qemu_system_shutdown_pending(NULL));
    ck_assert_uint_eq(inw(PM_BASE + 4) & 0x2000, 0); /* SLP_EN is write-only */
}
END_TEST

START_TEST(test_s5_power_off)
{
    int status = -1;

    ck_assert(!qemu_system_shutdown_pending(&status));
    outw(PM_BASE + 4, ACPI_SLP_TYP_S5 << 10 | 0x2000);
    ck_assert(qemu_system_shutdown_pending(&status));
    ck_assert_int_eq(status, 0);
}
END_TEST

/* TMR_STS sets when the timer's bit 23 flips (every 2.34 s); with
 * TMR_EN it raises the SCI until software clears the status. */
START_TEST(test_sci_timer_overflow)
{
    uint32_t t = inl(PM_BASE + 8);

    outw(PM_BASE, 0xffff);
    ck_assert_uint_eq(inw(PM_BASE) & 1, 0);
    outw(PM_BASE + 2, 0x0001);
    ck_assert_int_eq(sci.level, 0);
    ck_assert(device_test_wait(&sci.level, 3000));
    ck_assert_uint_eq(inw(PM_BASE) & 1, 1);
    ck_assert_uint_ne(t & 0x800000, inl(PM_BASE + 8) & 0x800000);
    outw(PM_BASE, 0x0001); /* write 1 to clear */
    ck_assert_int_eq(sci.level, 0);
    ck_assert_uint_eq(inw(PM_BASE) & 1, 0);
    /* status without enable: no SCI */
    outw(PM_BASE + 2, 0);
    ck_assert_int_eq(sci.raises, 1);
}
END_TEST

/* system_powerdown: PWRBTN_STS, and the SCI once PWRBTN_EN is set. */
START_TEST(test_power_button)
{
    outw(PM_BASE, 0xffff);
    ck_assert(qemu_system_powerdown_request());
    ck_assert_uint_eq(inw(PM_BASE) & 0x100, 0x100);
    ck_assert_int_eq(sci.level, 0);
    outw(PM_BASE + 2, 0x100);
    ck_assert_int_eq(sci.level, 1);
    outw(PM_BASE, 0x100); /* write 1 to clear */
    ck_assert_int_eq(sci.level, 0);
    ck_assert(!qemu_system_shutdown_pending(NULL)); /* the OS decides */
    acpi_pm_destroy(pm);
    ck_assert(!qemu_system_powerdown_request()); /* nothing to press */
    pm = acpi_pm_init(get_system_io(), PM_BASE, sci.irq);
}
END_TEST

START_TEST(test_reset_control_cf9)
{
    PCIBus *bus = pci_bus_new(get_system_memory(), get_system_io(), &address_space_memory);
    PCII440FXState *host = i440fx_init(bus, get_system_io(), NULL);
    PIIX3State *piix3 = piix3_init(bus, PCI_DEVFN(1, 0), NULL);

    pci_host_set_cf9_handler(&host->host, piix3_rcr_read, piix3_rcr_write, piix3);
    outb(0xcf9, 0x02); /* SRST alone: no reset */
    ck_assert_uint_eq(inb(0xcf9), 0x02);
    ck_assert(!qemu_reset_requested());
    /* CONFIG_ADDRESS still works around it */
    outl(0xcf8, 0x80000800);
    ck_assert_uint_eq(inl(0xcf8), 0x80000800);
    ck_assert_uint_eq(inl(0xcfc), 0x70008086); /* PIIX3 at 00:01.0 */
    ck_assert_uint_eq(inb(0xcf9), 0x02);
    outb(0xcf9, 0x06); /* RCPU: reset */
    ck_assert(qemu_reset_requested());
    outw(0xcf8, 0x0006); /* not a byte at 0xcf9: ignored */
    ck_assert(!qemu_reset_requested());
    pci_host_set_cf9_handler(&host->host, NULL, NULL, NULL);
    piix3_free(piix3);
    i440fx_free(host);
    pci_bus_free(bus);
}
END_TEST

/* PCI INTx through the PIIX3 PIRQ route registers onto ISA IRQs. */
START_TEST(test_piix3_pirq_routing)
{
    PCIBus *bus = pci_bus_new(get_system_memory(), get_system_io(), &address_space_memory);
    PCII440FXState *host = i440fx_init(bus, get_system_io(), NULL);
    PIIX3State *piix3 = piix3_init(bus, PCI_DEVFN(1, 0), NULL);
    IRQProbe isa[16];
    qemu_irq lines[16];

    for (int i = 0; i < 16; i++) {
        irq_probe_init(&isa[i]);
        lines[i] = isa[i].irq;
    }
    piix3_set_isa_irqs(piix3, lines);
    ck_assert_uint_eq(inl(0xcfc), 0xffffffff); /* CONFIG_ADDRESS disabled */
    outl(0xcf8, 0x80000860);
    ck_assert_uint_eq(inl(0xcfc), 0x80808080); /* all routes disabled at reset */
    qemu_irq_raise(piix3_get_pirq(piix3, 0));
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(isa[i].level, 0);
    }
    outb(0xcfc, 10); /* PIRQA -> IRQ10: the asserted line shows at once */
    ck_assert_int_eq(isa[10].level, 1);
    outl(0xcf8, 0x80000860);
    outb(0xcfd, 10); /* PIRQB shares IRQ10 */
    qemu_irq_raise(piix3_get_pirq(piix3, 1));
    qemu_irq_lower(piix3_get_pirq(piix3, 0));
    ck_assert_int_eq(isa[10].level, 1); /* still B */
    qemu_irq_lower(piix3_get_pirq(piix3, 1));
    ck_assert_int_eq(isa[10].level, 0);
    qemu_irq_raise(piix3_get_pirq(piix3, 1));
    outb(0xcfd, 11); /* re-routed: leaves 10, drives 11 */
    ck_assert_int_eq(isa[10].level, 0);
    ck_assert_int_eq(isa[11].level, 1);
    outb(0xcfd, 0x8b); /* disabled */
    ck_assert_int_eq(isa[11].level, 0);
    outb(0xcfd, 0x02); /* IRQ2 is reserved: no effect */
    ck_assert_int_eq(isa[2].level, 0);
    /* firmware's routes (as SeaBIOS): 10, 10, 11, 11 */
    pci_assign_bars_as_firmware(bus);
    ck_assert_uint_eq(inl(0xcfc), 0x0b0b0a0a);
    ck_assert_int_eq(isa[10].level, 1); /* PIRQB is still asserted */
    piix3_free(piix3);
    i440fx_free(host);
    pci_bus_free(bus);
    for (int i = 0; i < 16; i++) {
        qemu_free_irq(isa[i].irq);
    }
}
END_TEST

/* --- the tables --- */

static uint8_t mem[0x100000];

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--) {
        s += *p++;
    }
    return s;
}

static const uint8_t *table_at(uint64_t addr, const char *sig)
{
    const uint8_t *t;

    ck_assert_uint_ge(addr, ACPI_BUILD_BASE);
    ck_assert_uint_lt(addr, ACPI_BUILD_BASE + ACPI_BUILD_SIZE);
    t = mem + addr;
    ck_assert_msg(!memcmp(t, sig, 4), "expected %s at 0x%llx", sig, (unsigned long long)addr);
    if (strcmp(sig, "FACS")) {
        ck_assert_msg(sum(t, rd32(t + 4)) == 0, "%s checksum", sig);
        ck_assert(!memcmp(t + 10, "DUET  ", 6));
    }
    ck_assert_uint_le(addr + rd32(t + 4), ACPI_BUILD_BASE + ACPI_BUILD_SIZE);
    return t;
}

static size_t build(void)
{
    AcpiBuildConfig cfg;

    acpi_build_pc_config(&cfg, 1);
    memset(mem, 0xaa, sizeof(mem));
    return acpi_build_tables(mem + ACPI_BUILD_BASE, ACPI_BUILD_SIZE, ACPI_BUILD_BASE, &cfg);
}

static const uint8_t *find_rsdp(void)
{
    for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
        if (!memcmp(mem + a, "RSD PTR ", 8) && sum(mem + a, 20) == 0) {
            return mem + a;
        }
    }
    return NULL;
}

/* From the RSDP in mem down: what a guest OS would check. */
static void check_tables(void)
{
    const uint8_t *rsdp, *rsdt, *xsdt, *fadt, *madt, *dsdt, *facs, *hpet, *e;
    int lapics = 0, ioapics = 0, nmis = 0, overrides = 0;

    rsdp = find_rsdp();
    ck_assert_ptr_nonnull(rsdp);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(rd32(rsdp + 20), 36);
    ck_assert_uint_eq(sum(rsdp, 36), 0);
    rsdt = table_at(rd32(rsdp + 16), "RSDT");
    xsdt = table_at(rd64(rsdp + 24), "XSDT");
    ck_assert_uint_eq(rd32(rsdt + 4), 36 + 3 * 4);
    ck_assert_uint_eq(rd32(xsdt + 4), 36 + 3 * 8);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(rd32(rsdt + 36 + 4 * i), rd64(xsdt + 36 + 8 * i));
    }
    fadt = table_at(rd32(rsdt + 36), "FACP");
    madt = table_at(rd32(rsdt + 40), "APIC");
    hpet = table_at(rd32(rsdt + 44), "HPET");

    /* HPET (IA-PC HPET 1.0a 3.2.4): QEMU's block ID, memory at 0xfed00000 */
    ck_assert_uint_eq(rd32(hpet + 4), 56);
    ck_assert_uint_eq(rd32(hpet + 36), 0x8086a201);
    ck_assert_uint_eq(hpet[40], 0);
    ck_assert_uint_eq(rd64(hpet + 44), 0xfed00000);

    /* FADT (5.2.9) */
    ck_assert_uint_eq(rd32(fadt + 4), 276);
    ck_assert_uint_eq(fadt[8], 6);
    facs = table_at(rd32(fadt + 36), "FACS");
    ck_assert_uint_eq(rd64(fadt + 132), rd32(fadt + 36));
    ck_assert_uint_eq((facs - mem) % 64, 0);
    ck_assert_uint_eq(rd32(facs + 4), 64);
    dsdt = table_at(rd32(fadt + 40), "DSDT");
    ck_assert_uint_eq(rd64(fadt + 140), rd32(fadt + 40));
    ck_assert_uint_eq(rd16(fadt + 46), 9);          /* SCI_INT */
    ck_assert_uint_eq(rd32(fadt + 48), 0);          /* SMI_CMD: always ACPI mode */
    ck_assert_uint_eq(rd32(fadt + 56), 0x600);      /* PM1a_EVT_BLK */
    ck_assert_uint_eq(rd32(fadt + 64), 0x604);      /* PM1a_CNT_BLK */
    ck_assert_uint_eq(rd32(fadt + 76), 0x608);      /* PM_TMR_BLK */
    ck_assert_uint_eq(fadt[88], 4);
    ck_assert_uint_eq(fadt[89], 2);
    ck_assert_uint_eq(fadt[91], 4);
    ck_assert_uint_eq(fadt[108], 0x32);             /* CENTURY */
    ck_assert_uint_eq(rd32(fadt + 112) & (1u << 8), 0);  /* 24-bit timer */
    ck_assert_uint_ne(rd32(fadt + 112) & (1u << 10), 0); /* RESET_REG_SUP */
    ck_assert_uint_eq(rd32(fadt + 112) & (1u << 20), 0); /* not hardware-reduced */
    ck_assert_uint_eq(fadt[116], 1);                /* RESET_REG: system I/O */
    ck_assert_uint_eq(fadt[117], 8);
    ck_assert_uint_eq(rd64(fadt + 120), 0xcf9);
    ck_assert_uint_eq(fadt[128], 0x06);
    ck_assert_uint_eq(fadt[148], 1);                /* X_PM1a_EVT_BLK */
    ck_assert_uint_eq(fadt[149], 32);
    ck_assert_uint_eq(rd64(fadt + 152), 0x600);
    ck_assert_uint_eq(rd64(fadt + 176), 0x604);     /* X_PM1a_CNT_BLK */
    ck_assert_uint_eq(fadt[173], 16);
    ck_assert_uint_eq(rd64(fadt + 212), 0x608);     /* X_PM_TMR_BLK */

    /* DSDT: \_S5 = Package { 0, 0, 0, 0 } */
    {
        /* ZeroOp for each 0 (the builder picks the shortest integer form) */
        static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04,
                                      0x00, 0x00, 0x00, 0x00 };
        static const uint8_t pci0_hid[] = { 0x5b, 0x82 }, hid[] = {
            0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
        /* \_SB.HPET: PNP0103 and Memory32Fixed (read-only) 0xfed00000, 0x400 */
        static const uint8_t hpet_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x01, 0x03 };
        static const uint8_t hpet_crs[] = { 0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xd0, 0xfe,
                                            0x00, 0x04, 0x00, 0x00 };
        bool device = false, pnp0a03 = false, pnp0103 = false, hpet_mem = false;
        bool found = false;
        for (uint32_t i = 36; i + sizeof(s5) <= rd32(dsdt + 4); i++) {
            found |= !memcmp(dsdt + i, s5, sizeof(s5));
            device |= !memcmp(dsdt + i, pci0_hid, sizeof(pci0_hid));
            pnp0a03 |= !memcmp(dsdt + i, hid, sizeof(hid));
            pnp0103 |= !memcmp(dsdt + i, hpet_hid, sizeof(hpet_hid));
            hpet_mem |= i + sizeof(hpet_crs) <= rd32(dsdt + 4) &&
                        !memcmp(dsdt + i, hpet_crs, sizeof(hpet_crs));
        }
        ck_assert(found);
        ck_assert(device && pnp0a03); /* the PCI host bridge, PNP0A03 */
        ck_assert(pnp0103 && hpet_mem);
        /* the i8042 as PNP0303 and PNP0F13 (SeaBIOS looks for the keyboard) */
        {
            static const uint8_t kbd[] = { 0x0c, 0x41, 0xd0, 0x03, 0x03 };
            static const uint8_t mou[] = { 0x0c, 0x41, 0xd0, 0x0f, 0x13 };
            bool k = false, m = false;
            for (uint32_t i = 36; i + sizeof(kbd) <= rd32(dsdt + 4); i++) {
                k |= !memcmp(dsdt + i, kbd, sizeof(kbd));
                m |= !memcmp(dsdt + i, mou, sizeof(mou));
            }
            ck_assert(k && m);
        }
        ck_assert_uint_eq(dsdt[8], 2);
    }

    /* MADT (5.2.12) */
    ck_assert_uint_eq(rd32(madt + 36), 0xfee00000);
    ck_assert_uint_eq(rd32(madt + 40), 1);
    for (e = madt + 44; e < madt + rd32(madt + 4); e += e[1]) {
        ck_assert_uint_gt(e[1], 0);
        switch (e[0]) {
        case 0:
            ck_assert_uint_eq(e[1], 8);
            ck_assert_uint_eq(e[3], lapics);
            ck_assert_uint_eq(rd32(e + 4), 1);
            lapics++;
            break;
        case 1:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(rd32(e + 4), 0xfec00000);
            ck_assert_uint_eq(rd32(e + 8), 0);
            ioapics++;
            break;
        case 2:
            ck_assert_uint_eq(e[1], 10);
            ck_assert_uint_eq(e[2], 0);
            if (e[3] == 0) {
                ck_assert_uint_eq(rd32(e + 4), 2);
                ck_assert_uint_eq(rd16(e + 8), 0);
            } else {
                ck_assert(e[3] == 5 || e[3] == 9 || e[3] == 10 || e[3] == 11);
                ck_assert_uint_eq(rd32(e + 4), e[3]);
                ck_assert_uint_eq(rd16(e + 8), 0x000d);
            }
            overrides++;
            break;
        case 4:
            ck_assert_uint_eq(e[1], 6);
            ck_assert_uint_eq(e[2], 0xff);
            ck_assert_uint_eq(e[5], 1);
            nmis++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", e[0]);
        }
    }
    ck_assert(e == madt + rd32(madt + 4));
    ck_assert_int_eq(lapics, 1);
    ck_assert_int_eq(ioapics, 1);
    ck_assert_int_eq(overrides, 5);
    ck_assert_int_eq(nmis, 1);
}

START_TEST(test_tables)
{
    ck_assert_uint_gt(build(), 0);
    check_tables();
}
END_TEST

/* One file of the loader test: its bytes and where the "BIOS" put it. */
typedef struct LoaderFile {
    const char *name;
    GByteArray *data;
    uint32_t addr;
} LoaderFile;

static LoaderFile *loader_file(LoaderFile *files, int n, const uint8_t *name)
{
    for (int i = 0; i < n; i++) {
        if (!strncmp((const char *)name, files[i].name, 56)) {
            return &files[i];
        }
    }
    ck_abort_msg("loader names unknown file %.56s", name);
    return NULL;
}

/*
 * The linker/loader script run as SeaBIOS's romfile_loader runs it: the
 * RSDP goes to the F segment, the tables elsewhere in it (both in the
 * range table_at accepts), then the tables must check out exactly as the
 * ones built in place.
 */
START_TEST(test_loader)
{
    AcpiBuildConfig cfg;
    g_autoptr(GByteArray) tables = g_byte_array_new();
    g_autoptr(GByteArray) rsdp = g_byte_array_new();
    g_autoptr(BIOSLinker) linker = bios_linker_loader_init();
    LoaderFile files[2] = {
        { ACPI_BUILD_TABLE_FILE, tables, ACPI_BUILD_BASE + 0x40 },
        { ACPI_BUILD_RSDP_FILE, rsdp, ACPI_BUILD_BASE },
    };
    int allocated = 0;

    acpi_build_pc_config(&cfg, 1);
    ck_assert(acpi_build_loader(&cfg, tables, rsdp, linker));
    ck_assert_uint_eq(rsdp->len, 36);
    ck_assert_uint_le(tables->len + 0x40, ACPI_BUILD_SIZE);
    ck_assert_uint_eq(linker->cmd_blob->len % 128, 0);
    memset(mem, 0, sizeof(mem));
    for (guint pos = 0; pos < linker->cmd_blob->len; pos += 128) {
        const uint8_t *c = linker->cmd_blob->data + pos;
        LoaderFile *f, *src;
        uint64_t v = 0;
        uint8_t size;

        switch (rd32(c)) {
        case BIOS_LINKER_LOADER_COMMAND_ALLOCATE:
            f = loader_file(files, 2, c + 4);
            ck_assert_uint_eq(f->addr % rd32(c + 60), 0);
            ck_assert_uint_eq(c[64], f == &files[1] ? BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG
                                                    : BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH);
            memcpy(mem + f->addr, f->data->data, f->data->len);
            allocated++;
            break;
        case BIOS_LINKER_LOADER_COMMAND_ADD_POINTER:
            ck_assert_int_eq(allocated, 2);
            f = loader_file(files, 2, c + 4);
            src = loader_file(files, 2, c + 60);
            size = c[120];
            ck_assert_uint_le(rd32(c + 116) + size, f->data->len);
            memcpy(&v, mem + f->addr + rd32(c + 116), size);
            v += src->addr;
            memcpy(mem + f->addr + rd32(c + 116), &v, size);
            break;
        case BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM:
            f = loader_file(files, 2, c + 4);
            ck_assert_uint_le(rd32(c + 64) + rd32(c + 68), f->data->len);
            mem[f->addr + rd32(c + 60)] -= sum(mem + f->addr + rd32(c + 64), rd32(c + 68));
            break;
        default:
            ck_abort_msg("unknown loader command %u", rd32(c));
        }
    }
    check_tables();
}
END_TEST

START_TEST(test_tables_bad_input)
{
    AcpiBuildConfig cfg;
    uint8_t small[64];

    acpi_build_pc_config(&cfg, 1);
    ck_assert_uint_eq(acpi_build_tables(small, sizeof(small), ACPI_BUILD_BASE, &cfg), 0);
    ck_assert_uint_eq(acpi_build_tables(mem, sizeof(mem), ACPI_BUILD_BASE + 4, &cfg), 0);
    cfg.ncpus = 0;
    ck_assert_uint_eq(acpi_build_tables(mem, sizeof(mem), ACPI_BUILD_BASE, &cfg), 0);
}
END_TEST

/* --- iasl --- */

static char *run_iasl(const char *dir, const char *name, const uint8_t *table)
{
    g_autofree char *bin = g_strdup_printf("%s/%s.dat", dir, name);
    g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, name);
    g_autofree char *cmd = g_strdup_printf("cd '%s' && iasl -d '%s.dat' >'%s.log' 2>&1", dir,
                                           name, name);
    char *text = NULL;
    int rc;

    if (!g_file_set_contents(bin, (const char *)table, rd32(table + 4), NULL)) {
        return NULL;
    }
    rc = system(cmd);
    if (rc != 0 || !g_file_get_contents(dsl, &text, NULL, NULL)) {
        g_autofree char *logf = g_strdup_printf("%s/%s.log", dir, name);
        g_autofree char *log = NULL;
        g_file_get_contents(logf, &log, NULL, NULL);
        fprintf(stderr, "iasl -d %s failed (%d):\n%s\n", name, rc, log ? log : "");
        return NULL;
    }
    return text;
}

static bool has(const char *text, const char *what)
{
    if (!strstr(text, what)) {
        fprintf(stderr, "iasl output lacks \"%s\"\n", what);
        return false;
    }
    return true;
}

static int iasl_check(void)
{
    g_autofree char *dir = g_dir_make_tmp("duet-acpi-XXXXXX", NULL);
    const uint8_t *rsdp, *fadt;
    bool ok = true;

    if (system("iasl -v >/dev/null 2>&1") != 0) {
        printf("SKIP: iasl (Debian package acpica-tools) not installed\n");
        return 77;
    }
    if (!dir || !build() || !(rsdp = find_rsdp())) {
        return 1;
    }
    fadt = mem + rd32(mem + rd32(rsdp + 16) + 36);
    struct { const char *name; const uint8_t *t; const char *want[7]; } tables[] = {
        { "rsdt", mem + rd32(rsdp + 16), { "Signature : \"RSDT\"", NULL } },
        { "xsdt", mem + rd64(rsdp + 24), { "Signature : \"XSDT\"", NULL } },
        { "facp", fadt, { "PM Timer Block Address : 00000608", "Reset Register",
                          "Address : 0000000000000CF9", NULL } },
        { "facs", mem + rd32(fadt + 36), { "Signature : \"FACS\"", NULL } },
        { "dsdt", mem + rd32(fadt + 40), { "Name (\\_S5, Package (0x04)", "Scope (\\_SB)", "Device (PCI0)",
                                          "EisaId (\"PNP0A03\")", "WordBusNumber",
                                          "EisaId (\"PNP0103\")", NULL } },
        { "apic", mem + rd32(mem + rd32(rsdp + 16) + 40),
          { "Subtable Type : 01 [I/O APIC]", "Interrupt : 00000002",
            "Subtable Type : 04 [Local APIC NMI]", NULL } },
        { "hpet", mem + rd32(mem + rd32(rsdp + 16) + 44),
          { "Signature : \"HPET\"", "Hardware Block ID : 8086A201",
            "Address : 00000000FED00000", NULL } },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
        g_autofree char *text = run_iasl(dir, tables[i].name, tables[i].t);
        if (!text) {
            ok = false;
            continue;
        }
        for (int j = 0; tables[i].want[j]; j++) {
            ok &= has(text, tables[i].want[j]);
        }
        /* iasl reports bad checksums and lengths in the listing */
        if (strstr(text, "Incorrect checksum") || strstr(text, "Invalid")) {
            fprintf(stderr, "iasl flags table %s:\n%s\n", tables[i].name, text);
            ok = false;
        }
    }
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
    if (system(rm) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    printf("iasl: %s\n", ok ? "all tables decode as expected" : "FAILED");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    Suite *s;
    TCase *tc, *tt;

    if (argc > 1 && !strcmp(argv[1], "iasl")) {
        return iasl_check();
    }
    s = suite_create("acpi");
    tc = tcase_create("pm");
    tt = tcase_create("tables");
    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_pm_timer_rate);
    tcase_add_test(tc, test_pm1_registers);
    tcase_add_test(tc, test_s5_power_off);
    tcase_add_test(tc, test_sci_timer_overflow);
    tcase_add_test(tc, test_power_button);
    tcase_add_test(tc, test_reset_control_cf9);
    tcase_add_test(tc, test_piix3_pirq_routing);
    tcase_add_test(tt, test_tables);
    tcase_add_test(tt, test_loader);
    tcase_add_test(tt, test_tables_bad_input);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tt);
    return device_test_run(s);
}
