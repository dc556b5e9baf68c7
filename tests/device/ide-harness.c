/*
 * The device-test machine: see ide-harness.h.
 */
#include "ide-harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "hw/irq.h"
#include "sysemu/block-backend.h"

static bool memory_ready;

static uint64_t it_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IDETest *t = opaque;
    uint64_t val = 0;

    t->mmio_reads++;
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)t->mmio_buf[addr + i] << (8 * i);
    }
    return val;
}

static void it_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    IDETest *t = opaque;

    t->mmio_writes++;
    for (unsigned i = 0; i < size; i++) {
        t->mmio_buf[addr + i] = val >> (8 * i);
    }
}

static const MemoryRegionOps it_mmio_ops = {
    .read = it_mmio_read,
    .write = it_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void it_irq_handler(void *opaque, int n, int level)
{
    IDETest *t = opaque;

    if (level && !t->irq_level[n]) {
        t->irq_raises[n]++;
    }
    t->irq_level[n] = level;
}

void it_memory_init(void)
{
    if (!memory_ready) {
        memory_map_init();
        memory_ready = true;
    }
}

IDETest *it_new(void)
{
    IDETest *t = g_new0(IDETest, 1);
    Error *err = NULL;

    it_memory_init();
    t->tmpdir = g_dir_make_tmp("duet-ide-XXXXXX", NULL);
    ck_assert_ptr_nonnull(t->tmpdir);
    t->images = g_ptr_array_new_with_free_func(g_free);
    ck_assert(memory_region_init_ram(&t->ram, "ram", IT_RAM_SIZE, &err));
    t->ram_ptr = memory_region_get_ram_ptr(&t->ram);
    memory_region_add_subregion(get_system_memory(), 0, &t->ram);
    memory_region_init_io(&t->mmio, &it_mmio_ops, t, "test-mmio", IT_MMIO_SIZE);
    memory_region_add_subregion(get_system_memory(), IT_MMIO_BASE, &t->mmio);

    for (int i = 0; i < 2; i++) {
        t->irq[i] = qemu_allocate_irq(it_irq_handler, t, i);
    }
    t->bus = pci_bus_new(get_system_memory(), get_system_io(), &address_space_memory);
    t->i440fx = i440fx_init(t->bus, get_system_io(), &err);
    ck_assert_ptr_nonnull(t->i440fx);
    t->piix3 = piix3_init(t->bus, PCI_DEVFN(1, 0), &err);
    ck_assert_ptr_nonnull(t->piix3);
    t->ide = piix3_ide_init(t->bus, IT_IDE_DEVFN, t->irq[0], t->irq[1], &err);
    ck_assert_ptr_nonnull(t->ide);
    return t;
}

const char *it_image(IDETest *t, const char *name, const char *fmt, int64_t size)
{
    BlockCreateOpts opts = { 0 };
    Error *err = NULL;
    char *path = g_build_filename(t->tmpdir, name, NULL);

    opts.filename = path;
    opts.size = size;
    if (!bdrv_create(bdrv_find_format(fmt), &opts, &err)) {
        ck_abort_msg("creating %s: %s", path, error_get_pretty(err));
    }
    g_ptr_array_add(t->images, path);
    return path;
}

bool it_drives(IDETest *t, Error **errp, ...)
{
    g_autoptr(GPtrArray) opts = g_ptr_array_new();
    va_list ap;
    const char *s;

    va_start(ap, errp);
    while ((s = va_arg(ap, const char *))) {
        g_ptr_array_add(opts, (char *)s);
    }
    va_end(ap);
    return pc_ide_init_drives(t->ide, opts, errp);
}

void it_firmware(IDETest *t)
{
    pci_assign_bars_as_firmware(t->bus);
    t->bmdma = pci_cfg_read(IT_IDE_DEVFN, 0x20, 4) & ~3u;
}

void it_free(IDETest *t)
{
    piix3_ide_free(t->ide);
    piix3_free(t->piix3);
    i440fx_free(t->i440fx);
    pci_bus_free(t->bus);
    for (int i = 0; i < 2; i++) {
        qemu_free_irq(t->irq[i]);
    }
    memory_region_del_subregion(get_system_memory(), &t->mmio);
    memory_region_finalize(&t->mmio);
    memory_region_del_subregion(get_system_memory(), &t->ram);
    memory_region_finalize(&t->ram);
    for (unsigned i = 0; i < t->images->len; i++) {
        unlink(g_ptr_array_index(t->images, i));
    }
    g_ptr_array_free(t->images, true);
    rmdir(t->tmpdir);
    g_free(t->tmpdir);
    g_free(t);
}

uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

uint16_t inw(uint16_t port)
{
    return address_space_lduw(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

uint32_t inl(uint16_t port)
{
    return address_space_ldl(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

void outw(uint16_t port, uint16_t val)
{
    address_space_stw(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

void outl(uint16_t port, uint32_t val)
{
    address_space_stl(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

uint32_t pci_cfg_read(int devfn, int reg, int len)
{
    outl(0xcf8, 0x80000000u | (devfn << 8) | (reg & 0xfc));
    switch (len) {
    case 1:
        return inb(0xcfc + (reg & 3));
    case 2:
        return inw(0xcfc + (reg & 3));
    default:
        return inl(0xcfc);
    }
}

void pci_cfg_write(int devfn, int reg, uint32_t val, int len)
{
    outl(0xcf8, 0x80000000u | (devfn << 8) | (reg & 0xfc));
    switch (len) {
    case 1:
        outb(0xcfc + (reg & 3), val);
        break;
    case 2:
        outw(0xcfc + (reg & 3), val);
        break;
    default:
        outl(0xcfc, val);
        break;
    }
}

uint8_t ide_wait_not_busy(uint16_t altstatus_port)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    uint8_t st;

    while ((st = inb(altstatus_port)) & BUSY_STAT) {
        if (!aio_poll(qemu_get_aio_context(), false)) {
            g_usleep(20);
        }
        ck_assert_msg(g_get_monotonic_time() < deadline, "drive still busy after 10 s");
    }
    /* Let any completion bottom halves run. */
    while (aio_poll(qemu_get_aio_context(), false)) {
    }
    return inb(altstatus_port);
}

static BlockBackend *it_open(const char *path, const char *fmt)
{
    Error *err = NULL;
    BlockBackend *blk = blk_new_open(path, fmt, NULL, false, &err);

    if (!blk) {
        ck_abort_msg("open %s: %s", path, error_get_pretty(err));
    }
    return blk;
}

void it_image_write(const char *path, const char *fmt, int64_t offset, const void *buf,
                    size_t len)
{
    BlockBackend *blk = it_open(path, fmt);

    ck_assert_int_eq(blk_pwrite(blk, offset, len, buf, 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    blk_unref(blk);
}

/* A look behind the device's back while it has the image open: read-only
 * and force-share=on (qemu-io -r -U), or the device's lock refuses it. */
void it_image_read(const char *path, const char *fmt, int64_t offset, void *buf, size_t len)
{
    g_autoptr(GHashTable) opts = bdrv_options_new();
    Error *err = NULL;
    BlockBackend *blk;

    g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
    blk = blk_new_open_opts(path, fmt, NULL, true, opts, &err);
    if (!blk) {
        ck_abort_msg("open %s: %s", path, error_get_pretty(err));
    }

    ck_assert_int_eq(blk_pread(blk, offset, len, buf, 0), 0);
    blk_unref(blk);
}

void it_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)((i / 512) * 13 + seed * 101 + (i % 512) * 7 + 1);
    }
}

void ide_lba28(uint8_t dev, uint32_t lba, uint8_t count)
{
    outb(IDE_SELECT, 0xe0 | (dev << 4) | ((lba >> 24) & 0x0f));
    outb(IDE_NSECTOR, count);
    outb(IDE_SECTOR, lba);
    outb(IDE_LCYL, lba >> 8);
    outb(IDE_HCYL, lba >> 16);
}

void ide_lba48(uint8_t dev, uint64_t lba, uint16_t count)
{
    outb(IDE_SELECT, 0x40 | (dev << 4));
    outb(IDE_NSECTOR, count >> 8);
    outb(IDE_SECTOR, lba >> 24);
    outb(IDE_LCYL, lba >> 32);
    outb(IDE_HCYL, lba >> 40);
    outb(IDE_NSECTOR, count);
    outb(IDE_SECTOR, lba);
    outb(IDE_LCYL, lba >> 8);
    outb(IDE_HCYL, lba >> 16);
}

void ide_pio_in(void *buf, size_t n)
{
    uint8_t *p = buf;

    for (size_t i = 0; i < n; i += 2) {
        uint16_t w = inw(IDE_DATA);
        p[i] = w;
        p[i + 1] = w >> 8;
    }
}

void ide_pio_out(const void *buf, size_t n)
{
    const uint8_t *p = buf;

    for (size_t i = 0; i < n; i += 2) {
        outw(IDE_DATA, p[i] | (p[i + 1] << 8));
    }
}
