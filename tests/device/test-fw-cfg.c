/*
 * fw_cfg through the memory API with no CPU: the selector/data pair
 * (values as qemu-system-x86_64 -machine pc 7.2 answers them through its
 * qtest port), the file directory, the DMA interface with good and bad
 * descriptors, and the pc machine's items (RAM size, CPUs, etc/e820, HPET).
 */
#include <string.h>
#include <unistd.h>

#include "device-test.h"
#include "hw/i386/fw_cfg.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"

#define RAM_SIZE   (1 << 20)
#define DESC       0x1000
#define BUF        0x2000

static FWCfgState *fw;
static MemoryRegion ram;
static uint8_t *ram_ptr;

static void setup(void)
{
    Error *err = NULL;

    ck_assert(memory_region_init_ram(&ram, "ram", RAM_SIZE, &err));
    ram_ptr = memory_region_get_ram_ptr(&ram);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    fw = fw_cfg_init_io_dma(get_system_io(), FW_CFG_IO_BASE, FW_CFG_DMA_IO_BASE,
                            &address_space_memory);
}

static void teardown(void)
{
    fw_cfg_destroy(fw);
    memory_region_del_subregion(get_system_memory(), &ram);
    memory_region_finalize(&ram);
}

static void read_item(uint16_t key, uint8_t *buf, size_t len)
{
    outw(0x510, key);
    for (size_t i = 0; i < len; i++) {
        buf[i] = inb(0x511);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* A FWCfgDmaAccess at @desc; the guest writes the address as two
 * big-endian halves, the low one starting the transfer. */
static uint32_t dma(uint64_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
    bool in_ram = desc <= RAM_SIZE - 16;

    if (in_ram) {
        put_be32(ram_ptr + desc, control);
        put_be32(ram_ptr + desc + 4, length);
        put_be32(ram_ptr + desc + 8, addr >> 32);
        put_be32(ram_ptr + desc + 12, addr);
    }
    outl(0x514, __builtin_bswap32(desc >> 32));
    outl(0x518, __builtin_bswap32(desc));
    return in_ram ? be32(ram_ptr + desc) : 0;
}

START_TEST(test_signature_and_id)
{
    uint8_t b[8];

    read_item(FW_CFG_SIGNATURE, b, 5);
    ck_assert_mem_eq(b, "QEMU\0", 5); /* past the end: 0 */
    read_item(FW_CFG_ID, b, 4);
    ck_assert_mem_eq(b, "\x03\0\0\0", 4); /* traditional + DMA */
    /* the write-channel bit is ignored by the selector */
    read_item(FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL, b, 1);
    ck_assert_uint_eq(b[0], 'Q');
    /* reading the DMA register gives "QEMU CFG" in address order */
    ck_assert_uint_eq(inl(0x514), 0x554d4551);
    ck_assert_uint_eq(inl(0x518), 0x47464320);
    ck_assert_uint_eq(inw(0x514), 0x4551);
    ck_assert_uint_eq(inb(0x517), 'U');
}
END_TEST

/* What QEMU 7.2 does with the accesses it does not accept. */
START_TEST(test_selector_quirks)
{
    outw(0x510, FW_CFG_SIGNATURE);
    ck_assert_uint_eq(inw(0x510), 0);   /* 16-bit reads: 0, nothing consumed */
    ck_assert_uint_eq(inl(0x510), 0);
    ck_assert_uint_eq(inw(0x512), 0xffff);  /* nothing at 0x512 */
    ck_assert_uint_eq(inl(0x512), 0x4551ffff); /* ... and the DMA register's "QE" */
    ck_assert_uint_eq(inb(0x510), 'Q'); /* a byte read at 0x510 reads data too */
    outb(0x510, FW_CFG_ID);             /* byte writes do not select */
    outb(0x511, 1);                     /* the old data write: ignored */
    outl(0x510, FW_CFG_ID);
    outw(0x511, FW_CFG_ID);
    ck_assert_uint_eq(inb(0x511), 'E');
    ck_assert_uint_eq(inw(0x511), 0xff00 | 'M'); /* split: a data byte, then 0x512 */
    outw(0x510, FW_CFG_MAX_ENTRY);      /* past the last slot: nothing */
    ck_assert_uint_eq(inb(0x511), 0);
    outw(0x510, FW_CFG_MAX_ENTRY - 1);  /* an empty slot */
    ck_assert_uint_eq(inb(0x511), 0);
    outw(0x510, 0xbfff);
    ck_assert_uint_eq(inb(0x511), 0);
    outw(0x510, FW_CFG_INVALID);
    ck_assert_uint_eq(inb(0x511), 0);
}
END_TEST

START_TEST(test_file_dir)
{
    Error *err = NULL;
    uint8_t dir[4 + 3 * 64], b[4];

    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/zz", "z", 1, false, &err), 0x20);
    ck_assert_int_eq(fw_cfg_add_file(fw, "bootorder", NULL, 0, false, &err), 0x20);
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/e820", "abcd", 4, false, &err), 0x21);
    read_item(FW_CFG_FILE_DIR, dir, sizeof(dir));
    ck_assert_uint_eq(be32(dir), 3);
    /* sorted by name; keys follow the order */
    ck_assert_str_eq((char *)dir + 4 + 8, "bootorder");
    ck_assert_uint_eq(be32(dir + 4), 0);
    ck_assert_uint_eq(dir[4 + 4] << 8 | dir[4 + 5], 0x20);
    ck_assert_str_eq((char *)dir + 68 + 8, "etc/e820");
    ck_assert_uint_eq(be32(dir + 68), 4);
    ck_assert_uint_eq(dir[68 + 4] << 8 | dir[68 + 5], 0x21);
    ck_assert_str_eq((char *)dir + 132 + 8, "etc/zz");
    ck_assert_uint_eq(dir[132 + 5], 0x22);
    read_item(0x21, b, 4);
    ck_assert_mem_eq(b, "abcd", 4);
    read_item(0x22, b, 1);
    ck_assert_uint_eq(b[0], 'z');

    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/e820", "x", 1, false, &err), -1);
    ck_assert_str_eq(error_get_pretty(err), "fw_cfg: duplicate file name 'etc/e820'");
    error_free(err);
    err = NULL;
    ck_assert_int_eq(fw_cfg_add_file(fw, "0123456789012345678901234567890123456789012345678901234",
                                     "x", 1, false, &err), 0x20); /* 55 characters fit */
    ck_assert_int_eq(fw_cfg_add_file(fw, "01234567890123456789012345678901234567890123456789012345",
                                     "x", 1, false, &err), -1);
    error_free(err);
    err = NULL;
    for (int i = 4; i < FW_CFG_FILE_SLOTS; i++) {
        g_autofree char *name = g_strdup_printf("f%02d", i);
        ck_assert_int_ge(fw_cfg_add_file(fw, name, NULL, 0, false, &err), 0x20);
    }
    ck_assert_int_eq(fw_cfg_add_file(fw, "one-too-many", NULL, 0, false, &err), -1);
    ck_assert_str_eq(error_get_pretty(err), "fw_cfg: no room for file 'one-too-many'");
    error_free(err);
}
END_TEST

START_TEST(test_dma_read_skip)
{
    Error *err = NULL;
    uint8_t data[300];

    for (int i = 0; i < 300; i++) {
        data[i] = i * 7;
    }
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/test", data, sizeof(data), false, &err), 0x20);
    memset(ram_ptr + BUF, 0xaa, 512);
    /* select + read 100 */
    ck_assert_uint_eq(dma(DESC, 0x20 << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 100,
                          BUF), 0);
    ck_assert_mem_eq(ram_ptr + BUF, data, 100);
    /* skip 100, then read on from 200: past the end is zero-filled */
    ck_assert_uint_eq(dma(DESC, FW_CFG_DMA_CTL_SKIP, 100, 0), 0);
    ck_assert_uint_eq(dma(DESC, FW_CFG_DMA_CTL_READ, 150, BUF), 0);
    ck_assert_mem_eq(ram_ptr + BUF, data + 200, 100);
    for (int i = 100; i < 150; i++) {
        ck_assert_uint_eq(ram_ptr[BUF + i], 0);
    }
    ck_assert_uint_eq(ram_ptr[BUF + 150], 0xaa);
    /* the data port continues where DMA left off (the end) */
    ck_assert_uint_eq(inb(0x511), 0);
    /* a 64-bit signature read and the ID through DMA */
    ck_assert_uint_eq(dma(DESC, FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4,
                          BUF), 0);
    ck_assert_mem_eq(ram_ptr + BUF, "\x03\0\0\0", 4);
    /* no operation bit: only the select happens */
    ck_assert_uint_eq(dma(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT, 4, BUF), 0);
    ck_assert_uint_eq(inb(0x511), 'Q');
}
END_TEST

START_TEST(test_dma_write)
{
    Error *err = NULL;
    uint8_t data[16] = { 0 };
    size_t len;

    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/rw", data, sizeof(data), true, &err), 0x20);
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/ro", data, sizeof(data), false, &err), 0x20);
    memcpy(ram_ptr + BUF, "0123456789abcdefXYZ", 19);
    ck_assert_uint_eq(dma(DESC, 0x21 << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 16,
                          BUF), 0);
    ck_assert_mem_eq(fw_cfg_get_item(fw, 0x21, &len), "0123456789abcdef", 16);
    /* not writable, and too long: the error bit, the item unchanged */
    ck_assert_uint_eq(dma(DESC, 0x20 << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4,
                          BUF), FW_CFG_DMA_CTL_ERROR);
    ck_assert_uint_eq(fw_cfg_get_item(fw, 0x20, &len)[0], 0);
    ck_assert_uint_eq(dma(DESC, 0x21 << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 17,
                          BUF + 3), FW_CFG_DMA_CTL_ERROR);
    ck_assert_mem_eq(fw_cfg_get_item(fw, 0x21, &len), "0123456789abcdef", 16);
    /* a write with nothing selected */
    ck_assert_uint_eq(dma(DESC, 0x3f << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 1,
                          BUF), FW_CFG_DMA_CTL_ERROR);
}
END_TEST

/* Buffers and descriptors outside guest memory: the error bit, no crash. */
START_TEST(test_dma_bad_addresses)
{
    /* buffer past the end of RAM (nothing mapped there) */
    ck_assert_uint_eq(dma(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 4, 0x7ffffffffff0ull), FW_CFG_DMA_CTL_ERROR);
    /* straddling the end: the part in RAM may be written, the error is reported */
    ck_assert_uint_eq(dma(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 4, RAM_SIZE - 2), FW_CFG_DMA_CTL_ERROR);
    /* a huge read: zero-fill runs into the end of RAM and stops with an error */
    ck_assert_uint_eq(dma(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 0xffffffff, 0x10000), FW_CFG_DMA_CTL_ERROR);
    /* a huge skip is fine */
    ck_assert_uint_eq(dma(DESC, FW_CFG_DMA_CTL_SKIP, 0xffffffff, 0), 0);
    /* descriptors outside RAM, also across the top of the address space */
    dma(0xfffffff0ull, FW_CFG_DMA_CTL_READ, 4, BUF);
    dma(0xfffffffffffffff8ull, FW_CFG_DMA_CTL_READ, 4, BUF);
    dma(RAM_SIZE - 8, FW_CFG_DMA_CTL_READ, 4, BUF);
    /* odd-sized and misplaced writes to the DMA register start nothing */
    put_be32(ram_ptr + DESC, FW_CFG_DMA_CTL_READ);
    outw(0x518, 0x1234);
    outb(0x51b, 0x12);
    outl(0x516, 0x100000);
    ck_assert_uint_eq(be32(ram_ptr + DESC), FW_CFG_DMA_CTL_READ);
    /* the device still works */
    ck_assert_uint_eq(dma(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 4, BUF), 0);
    ck_assert_mem_eq(ram_ptr + BUF, "QEMU", 4);
}
END_TEST

START_TEST(test_reset)
{
    outw(0x510, FW_CFG_SIGNATURE);
    ck_assert_uint_eq(inb(0x511), 'Q');
    fw_cfg_reset(fw);
    ck_assert_uint_eq(inb(0x511), 0);
}
END_TEST

/* The pc machine's items, with the values QEMU 7.2's pc gives for -m 128. */
START_TEST(test_pc_items)
{
    MachineState ms = { .ram_size = 128 << 20, .boot_menu = true, .smp = CPU_TOPOLOGY_ONE };
    PCMachineState pcms = { .ms = &ms, .below_4g_mem_size = 128 << 20, .hpet_enabled = true };
    Error *err = NULL;
    uint8_t b[64];
    size_t len;
    const uint8_t *p;
    int key;

    fw_cfg_destroy(fw);
    e820_build_pc(&pcms.e820, 128 << 20, 0);
    ck_assert(pc_fw_cfg_init(&pcms, &err));
    fw = pcms.fw_cfg;
    read_item(FW_CFG_RAM_SIZE, b, 8);
    ck_assert_mem_eq(b, "\0\0\0\x08\0\0\0\0", 8);
    read_item(FW_CFG_NB_CPUS, b, 2);
    ck_assert_mem_eq(b, "\x01\0", 2);
    read_item(FW_CFG_MAX_CPUS, b, 2);
    ck_assert_mem_eq(b, "\x01\0", 2);
    read_item(FW_CFG_BOOT_MENU, b, 2);
    ck_assert_mem_eq(b, "\x01\0", 2);
    read_item(FW_CFG_IRQ0_OVERRIDE, b, 4);
    ck_assert_mem_eq(b, "\x01\0\0\0", 4);
    read_item(FW_CFG_HPET, b, 15);
    ck_assert_mem_eq(b, "\x01\x01\xa2\x86\x80\0\0\xd0\xfe\0\0\0\0\0\0", 15);
    p = fw_cfg_get_item(fw, FW_CFG_NUMA, &len);
    ck_assert_uint_eq(len, 16);
    ck_assert_uint_eq(p[0], 0);
    /* etc/e820 is the board's map, 20 bytes an entry */
    key = fw_cfg_find_file(fw, "etc/e820");
    ck_assert_int_ge(key, 0x20);
    p = fw_cfg_get_item(fw, key, &len);
    ck_assert_uint_eq(len, pcms.e820.count * 20);
    for (unsigned i = 0; i < pcms.e820.count; i++) {
        uint64_t addr, size;
        uint32_t type;

        memcpy(&addr, p + 20 * i, 8);
        memcpy(&size, p + 20 * i + 8, 8);
        memcpy(&type, p + 20 * i + 16, 4);
        ck_assert_uint_eq(addr, pcms.e820.entry[i].addr);
        ck_assert_uint_eq(size, pcms.e820.entry[i].size);
        ck_assert_uint_eq(type, pcms.e820.entry[i].type);
    }
    ck_assert_int_ge(fw_cfg_find_file(fw, "bootorder"), 0x20);
    /* the ACPI tables for the BIOS: an RSDP, the tables, a script of whole commands */
    key = fw_cfg_find_file(fw, "etc/acpi/rsdp");
    ck_assert_mem_eq(fw_cfg_get_item(fw, key, &len), "RSD PTR ", 8);
    ck_assert_uint_eq(len, 36);
    key = fw_cfg_find_file(fw, "etc/acpi/tables");
    ck_assert_mem_eq(fw_cfg_get_item(fw, key, &len), "FACS", 4);
    key = fw_cfg_find_file(fw, "etc/table-loader");
    p = fw_cfg_get_item(fw, key, &len);
    ck_assert_uint_eq(len % 128, 0);
    ck_assert_uint_ge(len, 128 * 4);
    ck_assert_str_eq((const char *)p + 4, "etc/acpi/tables"); /* ALLOCATE first */
    key = fw_cfg_find_file(fw, "etc/boot-fail-wait");
    ck_assert_mem_eq(fw_cfg_get_item(fw, key, &len), "\xff\xff\xff\xff", 4);
    /* -no-hpet: a zero count */
    fw_cfg_destroy(fw);
    pcms.hpet_enabled = false;
    ck_assert(pc_fw_cfg_init(&pcms, &err));
    fw = pcms.fw_cfg;
    read_item(FW_CFG_HPET, b, 2);
    ck_assert_mem_eq(b, "\0\0", 2);
}
END_TEST

/* -kernel bzImage: the loader items, placed as QEMU 7.2 places them (with
 * the Debian 6.1 kernel, -m 256 and its 1.5 MB initrd QEMU gives kernel
 * 0x100000, setup 0x10000 size (setup_sects+1)*512, cmdline 0x20000,
 * initrd 0xfe5f000 = (256M - 160K - 1 - size) & ~4095; the same formula here). */
START_TEST(test_pc_kernel_items)
{
    g_autofree char *dir = g_dir_make_tmp("duet-fwcfg-XXXXXX", NULL);
    g_autofree char *kpath = g_build_filename(dir, "bzImage", NULL);
    g_autofree char *ipath = g_build_filename(dir, "initrd", NULL);
    MachineState ms = { .ram_size = 128 << 20, .smp = CPU_TOPOLOGY_ONE, .kernel_filename = kpath,
                        .initrd_filename = ipath, .kernel_cmdline = "console=ttyS0" };
    PCMachineState pcms = { .ms = &ms, .below_4g_mem_size = 128 << 20 };
    size_t setup = 5 * 512, klen = setup + 0x10000, len;
    g_autofree uint8_t *k = g_malloc0(klen);
    uint8_t initrd[0x1000], b[4];
    const uint8_t *p;
    Error *err = NULL;

    /* a bzImage header (boot.rst): 4 setup sectors, protocol 2.15, loaded high */
    k[0x1f1] = 4;
    k[0x1fe] = 0x55;
    k[0x1ff] = 0xaa;
    memcpy(k + 0x202, "HdrS", 4);
    k[0x206] = 0x0f;
    k[0x207] = 0x02;
    k[0x211] = 1;
    memcpy(k + 0x214, "\0\0\x10\0", 4);
    memcpy(k + 0x22c, "\xff\xff\xff\x7f", 4);
    memcpy(k + 0x230, "\0\0\x20\0", 4);
    k[0x234] = 1;
    k[0x236] = 1;
    memcpy(k + 0x238, "\xff\0\0\0", 4);
    memcpy(k + 0x258, "\0\0\0\x01", 4);
    memcpy(k + 0x260, "\0\0\x80\0", 4);
    memset(k + setup, 0xc3, klen - setup);
    memset(initrd, 0x5a, sizeof(initrd));
    ck_assert(g_file_set_contents(kpath, (char *)k, klen, NULL));
    ck_assert(g_file_set_contents(ipath, (char *)initrd, sizeof(initrd), NULL));
    e820_build_pc(&pcms.e820, 128 << 20, 0);
    pcms.linux_boot = linux_boot_prepare(kpath, g_memdup2(k, klen), klen, ms.kernel_cmdline,
                                         ipath, g_memdup2(initrd, sizeof(initrd)),
                                         sizeof(initrd), &pcms.e820, &err);
    ck_assert_ptr_nonnull(pcms.linux_boot);
    fw_cfg_destroy(fw);
    ck_assert(pc_fw_cfg_init(&pcms, &err));
    fw = pcms.fw_cfg;
#define ITEM32(key, v) read_item(key, b, 4); ck_assert_uint_eq(b[0] | b[1] << 8 | b[2] << 16 | \
                                                           (uint32_t)b[3] << 24, v)
    ITEM32(FW_CFG_KERNEL_ADDR, 0x100000);
    ITEM32(FW_CFG_KERNEL_SIZE, klen - setup);
    ITEM32(FW_CFG_SETUP_ADDR, 0x10000);
    ITEM32(FW_CFG_SETUP_SIZE, setup);
    ITEM32(FW_CFG_CMDLINE_ADDR, 0x20000);
    ITEM32(FW_CFG_CMDLINE_SIZE, 14);
    ITEM32(FW_CFG_INITRD_ADDR, ((128u << 20) - 0x28000 - 1 - 0x1000) & ~4095u);
    ITEM32(FW_CFG_INITRD_SIZE, 0x1000);
    p = fw_cfg_get_item(fw, FW_CFG_CMDLINE_DATA, &len);
    ck_assert_str_eq((const char *)p, "console=ttyS0");
    p = fw_cfg_get_item(fw, FW_CFG_KERNEL_DATA, &len);
    ck_assert_uint_eq(len, klen - setup);
    ck_assert_uint_eq(p[0], 0xc3);
    p = fw_cfg_get_item(fw, FW_CFG_INITRD_DATA, &len);
    ck_assert_mem_eq(p, initrd, sizeof(initrd));
    /* the setup header, filled in for a boot loader */
    p = fw_cfg_get_item(fw, FW_CFG_SETUP_DATA, &len);
    ck_assert_uint_eq(len, setup);
    ck_assert_mem_eq(p + 0x202, "HdrS", 4);
    ck_assert_uint_eq(p[0x210], 0xb0);
    ck_assert_uint_eq(p[0x211], 0x81);
    ck_assert_uint_eq(p[0x224] | p[0x225] << 8, 0x20000 - 0x10000 - 0x200);
    ck_assert_mem_eq(p + 0x228, "\0\0\x02\0", 4);
    ck_assert_mem_eq(p + 0x21c, "\0\x10\0\0", 4);
    linux_boot_image_free(pcms.linux_boot);
    unlink(kpath);
    unlink(ipath);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("fw_cfg");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_selector_quirks);
    tcase_add_test(tc, test_file_dir);
    tcase_add_test(tc, test_dma_read_skip);
    tcase_add_test(tc, test_dma_write);
    tcase_add_test(tc, test_dma_bad_addresses);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_pc_items);
    tcase_add_test(tc, test_pc_kernel_items);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
