/*
 * pci-testdev (hw/include/hw/misc/pci-testdev.h).  Register values as
 * qemu-system-x86_64 7.2 shows them over qtest.
 */
#include "hw/misc/pci-testdev.h"

#include <inttypes.h>
#include <string.h>

#include "trace/trace.h"

#define TESTDEV_MEM_SIZE  0x1000
#define TESTDEV_IO_SIZE   0x100
#define TESTDEV_DATAMATCH 0xfa
#define TESTDEV_NOMATCH   0xce
#define TESTDEV_TESTS_PER_BAR 3
#define TESTDEV_HDR_NAME  16

typedef struct PCITestDevTest {
    const char *name; /* after the BAR's prefix */
    bool wildcard;    /* any data counts */
} PCITestDevTest;

static const PCITestDevTest testdev_tests[TESTDEV_TESTS_PER_BAR] = {
    { "no-eventfd", false },
    { "wildcard-eventfd", true },
    { "datamatch-eventfd", false },
};

typedef struct PCITestDevBar {
    const char *prefix;   /* "mmio" or "portio" */
    unsigned first;       /* index of its test 0 over both BARs */
    uint32_t test_base;   /* test n writes at test_base + first + n */
    uint8_t test;         /* selected test of this BAR */
    uint32_t count[TESTDEV_TESTS_PER_BAR];
    MemoryRegion mr;
} PCITestDevBar;

struct PCITestDevState {
    PCIDevice dev; /* first: the bus sees a PCIDevice */
    PCITestDevBar bar[2];
};

/* The header of the selected test as bytes (zeros for no test). */
static void testdev_header(PCITestDevBar *b, uint8_t *hdr, size_t len)
{
    uint8_t n = b->test;
    uint32_t offset, data;

    memset(hdr, 0, len);
    if (n >= TESTDEV_TESTS_PER_BAR) {
        return;
    }
    offset = b->test_base + b->first + n;
    data = testdev_tests[n].wildcard ? TESTDEV_NOMATCH : TESTDEV_DATAMATCH;
    hdr[0] = b->first + n;
    hdr[1] = 1;
    pci_set_long(hdr + 4, offset);
    pci_set_long(hdr + 8, data);
    pci_set_long(hdr + 12, b->count[n]);
    snprintf((char *)hdr + TESTDEV_HDR_NAME, len - TESTDEV_HDR_NAME, "%s-%s", b->prefix,
             testdev_tests[n].name);
}

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    PCITestDevBar *b = opaque;
    uint8_t hdr[64];
    uint64_t v = 0;

    testdev_header(b, hdr, sizeof(hdr));
    for (unsigned i = 0; i < size; i++) {
        if (addr + i < sizeof(hdr)) {
            v |= (uint64_t)hdr[addr + i] << (8 * i);
        }
    }
    return v;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCITestDevBar *b = opaque;
    uint8_t n = b->test;

    if (addr == 0) {
        b->test = val; /* the low byte selects */
        return;
    }
    if (n < TESTDEV_TESTS_PER_BAR && addr == b->test_base + b->first + n && size == 1 &&
        (testdev_tests[n].wildcard || (uint8_t)val == TESTDEV_DATAMATCH)) {
        b->count[n]++;
        trace_event(pci_testdev_hit, "%s-%s count=%u", b->prefix, testdev_tests[n].name,
                    b->count[n]);
    }
}

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void testdev_realize(PCIDevice *dev)
{
    PCITestDevState *s = (PCITestDevState *)dev;

    pci_set_word(dev->config + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4); /* QEMU's default */
    pci_set_word(dev->config + PCI_SUBSYSTEM_ID, 0x1100);
    s->bar[0] = (PCITestDevBar){ .prefix = "mmio", .first = 0, .test_base = 0x800 };
    s->bar[1] = (PCITestDevBar){ .prefix = "portio", .first = TESTDEV_TESTS_PER_BAR,
                                 .test_base = 0x80 };
    memory_region_init_io(&s->bar[0].mr, &testdev_ops, &s->bar[0], "pci-testdev-mmio",
                          TESTDEV_MEM_SIZE);
    memory_region_init_io(&s->bar[1].mr, &testdev_ops, &s->bar[1], "pci-testdev-portio",
                          TESTDEV_IO_SIZE);
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->bar[0].mr);
    pci_register_bar(dev, 1, PCI_BASE_ADDRESS_SPACE_IO, &s->bar[1].mr);
}

static void testdev_reset(PCIDevice *dev)
{
    PCITestDevState *s = (PCITestDevState *)dev;

    for (int i = 0; i < 2; i++) {
        s->bar[i].test = 0;
        memset(s->bar[i].count, 0, sizeof(s->bar[i].count));
    }
}

static const PCIDeviceClass pci_testdev_class = {
    .name = "pci-testdev",
    .vendor_id = PCI_VENDOR_ID_REDHAT,
    .device_id = PCI_DEVICE_ID_REDHAT_TEST,
    .class_id = 0x00ff,
    .realize = testdev_realize,
    .reset = testdev_reset,
};

PCITestDevState *pci_testdev_init(PCIBus *bus, int devfn, Error **errp)
{
    PCITestDevState *s = g_new0(PCITestDevState, 1);

    if (!pci_device_register(bus, &s->dev, &pci_testdev_class, devfn, errp)) {
        g_free(s);
        return NULL;
    }
    pci_device_reset(&s->dev);
    return s;
}

void pci_testdev_free(PCITestDevState *s)
{
    pci_device_unregister(&s->dev);
    for (int i = 0; i < 2; i++) {
        memory_region_finalize(&s->bar[i].mr);
    }
    g_free(s);
}
