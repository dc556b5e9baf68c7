/*
 * QEMU's test devices through the memory API with no CPU: pc-testdev
 * (scratch ports, the byte view, the page flush port, IRQ lines, the
 * MMIO window) and pci-testdev (IDs, BAR sizes, the test headers and
 * counted writes), with the values qemu-system-x86_64 7.2 gives over qtest.
 */
#include <string.h>

#include "device-test.h"
#include "hw/misc/pc-testdev.h"
#include "hw/misc/pci-testdev.h"
#include "hw/pci/pci.h"

static IRQProbe line[PC_TESTDEV_NUM_IRQS];

static uint64_t readq(hwaddr addr)
{
    return address_space_ldq(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

static void writeq(hwaddr addr, uint64_t v)
{
    address_space_stq(&address_space_memory, addr, v, MEMTXATTRS_UNSPECIFIED, NULL);
}

START_TEST(test_pc_testdev)
{
    qemu_irq irqs[PC_TESTDEV_NUM_IRQS];
    PCTestdevState *d;

    for (int i = 0; i < PC_TESTDEV_NUM_IRQS; i++) {
        irq_probe_init(&line[i]);
        irqs[i] = i == 20 ? NULL : line[i].irq;
    }
    d = pc_testdev_init(get_system_io(), get_system_memory(), irqs);
    ck_assert_uint_eq(inl(0xe0), 0);
    outl(0xe0, 0x12345678);
    ck_assert_uint_eq(inl(0xe0), 0x12345678);
    ck_assert_uint_eq(inb(0xe1), 0x56);
    ck_assert_uint_eq(inw(0xe2), 0x1234);
    outb(0xe2, 0xab);
    ck_assert_uint_eq(inl(0xe0), 0x12ab5678);
    ck_assert_uint_eq(inl(0xe4), 0);
    ck_assert_uint_eq(inb(0xe8), 0x78);      /* the byte view of the same register */
    ck_assert_uint_eq(inl(0xe8), 0x12ab5678);
    outl(0xe8, 0x11223344);
    ck_assert_uint_eq(inl(0xe0), 0x11223344);
    outl(0xe4, 0x1000);                      /* flush: no RAM here, nothing happens */
    outl(0xe4, 0xfffff000);
    /* interrupt lines */
    outb(0x2003, 1);
    ck_assert_int_eq(line[3].level, 1);
    ck_assert_uint_eq(inb(0x2003), 0);
    outb(0x2003, 0);
    ck_assert_int_eq(line[3].level, 0);
    outb(0x2017, 7);
    ck_assert_int_eq(line[23].level, 1);
    outw(0x2000, 0x0101);                    /* two lines at once */
    ck_assert_int_eq(line[0].level, 1);
    ck_assert_int_eq(line[1].level, 1);
    outb(0x2014, 1);                         /* not wired: logged, no crash */
    ck_assert_uint_eq(inb(0x2018), 0xff);    /* past the 24 lines */
    /* the MMIO window */
    ck_assert_uint_eq(readl(0xff000000), 0);
    writel(0xff000000, 0xdeadbeef);
    ck_assert_uint_eq(readl(0xff000000), 0xdeadbeef);
    ck_assert_uint_eq(address_space_ldub(&address_space_memory, 0xff000001,
                                         MEMTXATTRS_UNSPECIFIED, NULL), 0xbe);
    ck_assert_uint_eq(readq(0xff000000), 0xdeadbeef);
    writeq(0xff000008, 0x1122334455667788ull);
    ck_assert_uint_eq(readq(0xff000008), 0x1122334455667788ull);
    writel(0xff00fffc, 0xcafe);
    ck_assert_uint_eq(readl(0xff00fffc), 0xcafe);
    pc_testdev_destroy(d);
    for (int i = 0; i < PC_TESTDEV_NUM_IRQS; i++) {
        qemu_free_irq(line[i].irq);
    }
}
END_TEST

#define SLOT 3
#define CFG(reg) (0x80000000u | (SLOT << 11) | (reg))

static uint32_t cfg_read(int reg)
{
    outl(0xcf8, CFG(reg & ~3));
    return inl(0xcfc);
}

static void cfg_write(int reg, uint32_t v)
{
    outl(0xcf8, CFG(reg));
    outl(0xcfc, v);
}

/* Config access through a minimal 0xcf8/0xcfc of the test's own. */
static PCIBus *test_bus;
static uint32_t cf8;

static uint64_t cfg_io_read(void *opaque, hwaddr addr, unsigned size)
{
    if (addr < 4) {
        return cf8;
    }
    return pci_data_read(test_bus, 0, (cf8 >> 8) & 0xff, (cf8 & 0xfc) + (addr - 4), size);
}

static void cfg_io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    if (addr < 4) {
        cf8 = v;
        return;
    }
    pci_data_write(test_bus, 0, (cf8 >> 8) & 0xff, (cf8 & 0xfc) + (addr - 4), v, size);
}

static const MemoryRegionOps cfg_io_ops = {
    .read = cfg_io_read,
    .write = cfg_io_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void check_bar(hwaddr base, bool io, const char *prefix)
{
    static const char *tests[] = { "no-eventfd", "wildcard-eventfd", "datamatch-eventfd" };
    char name[64];

    for (int t = 0; t < 4; t++) {
        uint32_t hdr0, offset, data;

        if (io) {
            outb(base, t);
            hdr0 = inl(base);
            offset = inl(base + 4);
            data = inl(base + 8);
        } else {
            address_space_stb(&address_space_memory, base, t, MEMTXATTRS_UNSPECIFIED, NULL);
            hdr0 = readl(base);
            offset = readl(base + 4);
            data = readl(base + 8);
        }
        if (t == 3) {
            ck_assert_uint_eq(hdr0, 0); /* width 0: no such test, the scan stops */
            break;
        }
        ck_assert_uint_eq(hdr0, 0x100 | ((io ? 3 : 0) + t));
        ck_assert_uint_eq(offset, (io ? 0x80 : 0x800) + (io ? 3 : 0) + t);
        ck_assert_uint_eq(data, t == 1 ? 0xce : 0xfa);
        for (int i = 0; i < 64; i += 4) {
            uint32_t v = io ? inl(base + 16 + i) : readl(base + 16 + i);
            memcpy(name + i, &v, 4);
        }
        g_autofree char *want = g_strdup_printf("%s-%s", prefix, tests[t]);
        ck_assert_str_eq(name, want);
        /* 16 writes of the test's data, as kvm-unit-tests does, and one wrong one */
        for (int i = 0; i < 17; i++) {
            uint8_t v = i == 16 ? data + 1 : data;
            if (io) {
                outb(base + offset, v);
            } else {
                address_space_stb(&address_space_memory, base + offset, v,
                                  MEMTXATTRS_UNSPECIFIED, NULL);
            }
        }
        ck_assert_uint_eq(io ? inl(base + 12) : readl(base + 12), t == 1 ? 17 : 16);
    }
}

START_TEST(test_pci_testdev)
{
    MemoryRegion cfg_io;
    PCITestDevState *d;
    Error *err = NULL;

    test_bus = pci_bus_new(get_system_memory(), get_system_io(), &address_space_memory);
    memory_region_init_io(&cfg_io, &cfg_io_ops, NULL, "test-pci-cfg", 8);
    memory_region_add_subregion(get_system_io(), 0xcf8, &cfg_io);
    d = pci_testdev_init(test_bus, PCI_DEVFN(SLOT, 0), &err);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_null(pci_testdev_init(test_bus, PCI_DEVFN(SLOT, 0), &err)); /* taken */
    error_free(err);
    ck_assert_uint_eq(cfg_read(0x00), 0x00051b36);
    ck_assert_uint_eq(cfg_read(0x08), 0x00ff0000);
    ck_assert_uint_eq(cfg_read(0x2c), 0x11001af4);
    cfg_write(0x10, 0xffffffff);
    ck_assert_uint_eq(cfg_read(0x10), 0xfffff000); /* 4 KiB memory */
    cfg_write(0x14, 0xffffffff);
    ck_assert_uint_eq(cfg_read(0x14), 0xffffff01); /* 256 bytes of I/O */
    cfg_write(0x18, 0xffffffff);
    ck_assert_uint_eq(cfg_read(0x18), 0);
    cfg_write(0x10, 0xfebf0000);
    cfg_write(0x14, 0xc101);
    cfg_write(0x04, 0x3);
    check_bar(0xfebf0000, false, "mmio");
    check_bar(0xc100, true, "portio");
    pci_testdev_free(d);
    pci_bus_free(test_bus);
    memory_region_del_subregion(get_system_io(), &cfg_io);
    memory_region_finalize(&cfg_io);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("testdev");
    TCase *tc = tcase_create("testdev");

    device_test_init();
    tcase_add_test(tc, test_pc_testdev);
    tcase_add_test(tc, test_pci_testdev);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
