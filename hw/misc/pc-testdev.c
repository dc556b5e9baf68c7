/*
 * pc-testdev (hw/include/hw/misc/pc-testdev.h).
 */
#include "hw/misc/pc-testdev.h"

#include <inttypes.h>
#include <string.h>

#include "qemu/log.h"
#include "trace/trace.h"

struct PCTestdevState {
    uint32_t scratch;
    uint8_t iomem[PC_TESTDEV_IOMEM_LEN];
    qemu_irq irqs[PC_TESTDEV_NUM_IRQS];
    MemoryRegion ioport, ioport_byte, flush, irq, iomem_mr;
    MemoryRegion *io_parent, *mem_parent;
};

/* The scratch register as four byte lanes: a narrow access touches only
 * its own bytes. */
static uint64_t scratch_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdevState *s = opaque;

    return (s->scratch >> (8 * addr)) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

static void scratch_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;
    uint32_t mask = (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << (8 * addr);

    s->scratch = (s->scratch & ~mask) | (((uint32_t)val << (8 * addr)) & mask);
}

static const MemoryRegionOps scratch_ops = {
    .read = scratch_read,
    .write = scratch_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps scratch_byte_ops = {
    .read = scratch_read,
    .write = scratch_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t zero_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

/*
 * kvm-unit-tests writes a page address here to make the hypervisor drop
 * what it cached about the page.  What duet caches is decoded code (tcg):
 * the page is announced as written, so its translations go.  KVM keeps
 * its own mappings of RAM, which this does not touch.
 */
static void flush_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    hwaddr page = val & ~0xfffull, xlat, len = 0x1000;
    MemoryRegion *mr;

    trace_event(pc_testdev_flush, "page=0x%" PRIx64, page);
    mr = address_space_translate(&address_space_memory, page, &xlat, &len, false,
                                 MEMTXATTRS_UNSPECIFIED);
    if (mr && memory_region_is_ram(mr)) {
        memory_notify_ram_write((uint8_t *)memory_region_get_ram_ptr(mr) + xlat, len);
    }
}

static const MemoryRegionOps flush_ops = {
    .read = zero_read,
    .write = flush_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void irq_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;

    trace_event(pc_testdev_irq, "line=%u level=%d", (unsigned)addr, val != 0);
    if (!s->irqs[addr]) {
        qemu_log_mask(LOG_GUEST_ERROR, "pc-testdev: interrupt line %u is not wired\n",
                      (unsigned)addr);
        return;
    }
    qemu_set_irq(s->irqs[addr], val != 0);
}

static const MemoryRegionOps irq_ops = {
    .read = zero_read,
    .write = irq_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t iomem_read(void *opaque, hwaddr addr, unsigned size)
{
    PCTestdevState *s = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)s->iomem[addr + i] << (8 * i);
    }
    return v;
}

static void iomem_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PCTestdevState *s = opaque;

    for (unsigned i = 0; i < size; i++) {
        s->iomem[addr + i] = val >> (8 * i);
    }
}

static const MemoryRegionOps iomem_ops = {
    .read = iomem_read,
    .write = iomem_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

PCTestdevState *pc_testdev_init(MemoryRegion *io, MemoryRegion *sysmem, const qemu_irq *irqs)
{
    PCTestdevState *s = g_new0(PCTestdevState, 1);

    memcpy(s->irqs, irqs, sizeof(s->irqs));
    s->io_parent = io;
    s->mem_parent = sysmem;
    memory_region_init_io(&s->ioport, &scratch_ops, s, "pc-testdev-ioport", 4);
    memory_region_add_subregion(io, PC_TESTDEV_IOPORT, &s->ioport);
    memory_region_init_io(&s->flush, &flush_ops, s, "pc-testdev-flush-page", 4);
    memory_region_add_subregion(io, PC_TESTDEV_FLUSH_PORT, &s->flush);
    memory_region_init_io(&s->ioport_byte, &scratch_byte_ops, s, "pc-testdev-ioport-byte", 4);
    memory_region_add_subregion(io, PC_TESTDEV_BYTE_PORT, &s->ioport_byte);
    memory_region_init_io(&s->irq, &irq_ops, s, "pc-testdev-irq-line", PC_TESTDEV_NUM_IRQS);
    memory_region_add_subregion(io, PC_TESTDEV_IRQ_PORT, &s->irq);
    memory_region_init_io(&s->iomem_mr, &iomem_ops, s, "pc-testdev-iomem", PC_TESTDEV_IOMEM_LEN);
    memory_region_add_subregion(sysmem, PC_TESTDEV_IOMEM_BASE, &s->iomem_mr);
    return s;
}

void pc_testdev_destroy(PCTestdevState *s)
{
    MemoryRegion *io[] = { &s->ioport, &s->flush, &s->ioport_byte, &s->irq };

    for (size_t i = 0; i < G_N_ELEMENTS(io); i++) {
        memory_region_del_subregion(s->io_parent, io[i]);
        memory_region_finalize(io[i]);
    }
    memory_region_del_subregion(s->mem_parent, &s->iomem_mr);
    memory_region_finalize(&s->iomem_mr);
    g_free(s);
}
