/*
 * The i440FX PAM registers over the BIOS shadow, with no CPU: a 128 KiB
 * ROM at the top of 4 GiB and in the PCI window below 1 MiB (as
 * hw/i386/pc-bios.c maps it), RAM under it, PAM programmed through the
 * 0xcf8/0xcfc configuration ports as firmware does; reads and writes go
 * through address_space_memory (82441FX datasheet 3.2.18).
 */
#include <string.h>

#include "device-test.h"
#include "hw/pci/i440fx.h"

#define RAM_SIZE   0x100000
#define ROM_SIZE   0x20000
#define ROM_BYTE(off) ((uint8_t)(0xa5 ^ ((off) >> 8) ^ (off)))
#define RAM_BYTE   0x5a

static MemoryRegion ram, rom, isa_rom, option_rom, window;
static PCIBus *bus;
static PCII440FXState *host;

static uint8_t rd(hwaddr a)
{
    return address_space_ldub(&address_space_memory, a, MEMTXATTRS_UNSPECIFIED, NULL);
}

static void wr(hwaddr a, uint8_t v)
{
    address_space_stb(&address_space_memory, a, v, MEMTXATTRS_UNSPECIFIED, NULL);
}

static uint8_t *ram_at(hwaddr a)
{
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + a;
}

/* Configuration mechanism #1 to the host bridge, 00:00.0. */
static void host_cfg_writeb(uint8_t reg, uint8_t v)
{
    outl(0xcf8, 0x80000000u | (reg & 0xfc));
    outb(0xcfc + (reg & 3), v);
}

static uint8_t host_cfg_readb(uint8_t reg)
{
    outl(0xcf8, 0x80000000u | (reg & 0xfc));
    return inb(0xcfc + (reg & 3));
}

static void setup(void)
{
    MemoryRegion *sysmem = get_system_memory();

    ck_assert(memory_region_init_ram(&ram, "pc.ram", RAM_SIZE, NULL));
    memset(ram_at(0), RAM_BYTE, RAM_SIZE);
    memory_region_add_subregion(sysmem, 0, &ram);
    ck_assert(memory_region_init_ram(&rom, "pc.bios", ROM_SIZE, NULL));
    for (unsigned i = 0; i < ROM_SIZE; i++) {
        ((uint8_t *)memory_region_get_ram_ptr(&rom))[i] = ROM_BYTE(i);
    }
    memory_region_set_readonly(&rom, true);
    memory_region_add_subregion(sysmem, (1ull << 32) - ROM_SIZE, &rom);
    memory_region_init(&window, "pci-bios-window", PAM_WINDOW_SIZE);
    memory_region_init_alias(&isa_rom, "isa-bios", &rom, 0, ROM_SIZE);
    memory_region_set_readonly(&isa_rom, true);
    memory_region_add_subregion(&window, PAM_WINDOW_SIZE - ROM_SIZE, &isa_rom);
    ck_assert(memory_region_init_ram(&option_rom, "pc.rom", 0x20000, NULL));
    memory_region_set_readonly(&option_rom, true);
    memory_region_add_subregion(&window, 0, &option_rom);

    bus = pci_bus_new(sysmem, get_system_io(), &address_space_memory);
    host = i440fx_init(bus, get_system_io(), NULL);
    ck_assert_ptr_nonnull(host);
    i440fx_init_pam(host, sysmem, &ram, &window);
}

static void teardown(void)
{
    MemoryRegion *sysmem = get_system_memory();

    i440fx_free(host);
    pci_bus_free(bus);
    memory_region_del_subregion(&window, &option_rom);
    memory_region_del_subregion(&window, &isa_rom);
    memory_region_finalize(&option_rom);
    memory_region_finalize(&isa_rom);
    memory_region_finalize(&window);
    memory_region_del_subregion(sysmem, &rom);
    memory_region_del_subregion(sysmem, &ram);
    memory_region_finalize(&rom);
    memory_region_finalize(&ram);
}

/* Power-on: PAM all zero, every segment decodes to the ROM side. */
START_TEST(test_power_on_reads_rom)
{
    for (unsigned p = 0x59; p <= 0x5f; p++) {
        ck_assert_uint_eq(host_cfg_readb(p), 0);
    }
    /* the reset vector, at the top of 4 GiB and through the alias */
    ck_assert_uint_eq(rd(0xfffffff0), ROM_BYTE(ROM_SIZE - 0x10));
    ck_assert_uint_eq(rd(0xffff0), ROM_BYTE(ROM_SIZE - 0x10));
    ck_assert_uint_eq(rd(0xe0000), ROM_BYTE(0));
    ck_assert_uint_eq(rd(0xc0000), 0); /* the empty option-ROM area */
    /* writes to the ROM are dropped and do not reach the RAM below */
    wr(0xf1234, 0x11);
    ck_assert_uint_eq(rd(0xf1234), ROM_BYTE(0x11234));
    ck_assert_uint_eq(*ram_at(0xf1234), RAM_BYTE);
    wr(0xc0000, 0x11);
    ck_assert_uint_eq(*ram_at(0xc0000), RAM_BYTE);
    /* RAM below the shadow is untouched by PAM */
    ck_assert_uint_eq(rd(0xbffff), RAM_BYTE);
}
END_TEST

/* The four RE/WE combinations on the F segment (PAM0 bits 5:4). */
START_TEST(test_pam0_modes)
{
    host_cfg_writeb(0x59, 0x30); /* read/write RAM */
    ck_assert_uint_eq(rd(0xf0000), RAM_BYTE);
    wr(0xf0000, 0x22);
    ck_assert_uint_eq(*ram_at(0xf0000), 0x22);
    ck_assert_uint_eq(rd(0xf0000), 0x22);

    host_cfg_writeb(0x59, 0x10); /* read RAM, writes to the ROM side */
    ck_assert_uint_eq(rd(0xf0000), 0x22);
    wr(0xf0000, 0x33);
    ck_assert_uint_eq(*ram_at(0xf0000), 0x22);
    ck_assert_uint_eq(rd(0xf0000), 0x22);

    host_cfg_writeb(0x59, 0x20); /* read ROM, write RAM: the copy-to-shadow mode */
    ck_assert_uint_eq(rd(0xf0000), ROM_BYTE(0x10000));
    wr(0xf0000, 0x44);
    ck_assert_uint_eq(*ram_at(0xf0000), 0x44);
    ck_assert_uint_eq(rd(0xf0000), ROM_BYTE(0x10000));

    host_cfg_writeb(0x59, 0x00);
    ck_assert_uint_eq(rd(0xf0000), ROM_BYTE(0x10000));
    /* the E segment was never touched */
    ck_assert_uint_eq(rd(0xe0000), ROM_BYTE(0));
}
END_TEST

/* PAM1..6 (0x5a..0x5f): two 16 KiB segments each, low nibble first. */
START_TEST(test_expansion_segments)
{
    host_cfg_writeb(0x5d, 0x30); /* PAM4 high: 0xdc000-0xdffff RAM */
    ck_assert_uint_eq(rd(0xdc000), RAM_BYTE);
    ck_assert_uint_eq(rd(0xd8000), 0);
    host_cfg_writeb(0x5e, 0x03); /* PAM5 low: 0xe0000-0xe3fff RAM */
    ck_assert_uint_eq(rd(0xe0000), RAM_BYTE);
    ck_assert_uint_eq(rd(0xe3fff), RAM_BYTE);
    ck_assert_uint_eq(rd(0xe4000), ROM_BYTE(0x4000));
    host_cfg_writeb(0x5e, 0x30); /* PAM5 high: 0xe4000-0xe7fff RAM */
    ck_assert_uint_eq(rd(0xe0000), ROM_BYTE(0));
    ck_assert_uint_eq(rd(0xe4000), RAM_BYTE);
    host_cfg_writeb(0x5a, 0x03); /* PAM1 low: 0xc0000 */
    wr(0xc0000, 0x66);
    ck_assert_uint_eq(*ram_at(0xc0000), 0x66);
    ck_assert_uint_eq(rd(0xc4000), 0); /* PAM1 high still the option-ROM area */
    host_cfg_writeb(0x5f, 0x33); /* PAM6: 0xe8000-0xeffff */
    ck_assert_uint_eq(rd(0xe8000), RAM_BYTE);
    ck_assert_uint_eq(rd(0xec000), RAM_BYTE);
}
END_TEST

/* SeaBIOS writes PAM as dwords at 0x58 and 0x5c; reserved bits stay 0. */
START_TEST(test_dword_writes_and_reserved_bits)
{
    outl(0xcf8, 0x80000058);
    outl(0xcfc, 0x33333300 | 0xff);
    ck_assert_uint_eq(host_cfg_readb(0x58), 0);   /* not a PAM register */
    ck_assert_uint_eq(host_cfg_readb(0x59), 0x30); /* PAM0's low nibble is reserved */
    ck_assert_uint_eq(host_cfg_readb(0x5a), 0x33);
    ck_assert_uint_eq(rd(0xf0000), RAM_BYTE);
    ck_assert_uint_eq(rd(0xc4000), RAM_BYTE);
    host_cfg_writeb(0x5c, 0xff); /* CE bits (2, 6) and 3, 7 read back 0 */
    ck_assert_uint_eq(host_cfg_readb(0x5c), 0x33);
}
END_TEST

/* A system reset puts the ROM back in front, whatever the shadow held. */
START_TEST(test_reset_restores_rom)
{
    host_cfg_writeb(0x59, 0x30);
    wr(0xffff0, 0x77);
    ck_assert_uint_eq(rd(0xffff0), 0x77);
    pci_bus_reset(bus);
    ck_assert_uint_eq(host_cfg_readb(0x59), 0);
    ck_assert_uint_eq(rd(0xffff0), ROM_BYTE(ROM_SIZE - 0x10));
    ck_assert_uint_eq(*ram_at(0xffff0), 0x77); /* RAM keeps its contents */
}
END_TEST

/* Without firmware (-kernel) the board leaves the shadow RAM, as a BIOS. */
START_TEST(test_firmware_init_opens_ram)
{
    pci_assign_bars_as_firmware(bus);
    ck_assert_uint_eq(host_cfg_readb(0x59), 0x30);
    for (unsigned p = 0x5a; p <= 0x5f; p++) {
        ck_assert_uint_eq(host_cfg_readb(p), 0x33);
    }
    for (hwaddr a = 0xc0000; a < 0x100000; a += 0x4000) {
        wr(a, 0x12);
        ck_assert_uint_eq(rd(a), 0x12);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pam");
    TCase *tc = tcase_create("pam");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_power_on_reads_rom);
    tcase_add_test(tc, test_pam0_modes);
    tcase_add_test(tc, test_expansion_segments);
    tcase_add_test(tc, test_dword_writes_and_reserved_bits);
    tcase_add_test(tc, test_reset_restores_rom);
    tcase_add_test(tc, test_firmware_init_opens_ram);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
