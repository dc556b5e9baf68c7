/*
 * Setting up an IDE channel: its drives, their images and the legacy
 * port lists (whose callbacks live in core.c).
 */
#include "ide-internal.h"

const IDEDriveClass ide_hd_class = {
    .name = "ide-hd",
    .model = "DUET HARDDISK",
    .sig_lcyl = 0x00,
    .sig_hcyl = 0x00,
    .reset_status = IDE_STATUS_IDLE,
};

/* ATA/ATAPI-6 9.1: a packet device leaves reset with DRDY clear (status 00h). */
const IDEDriveClass ide_cd_class = {
    .name = "ide-cd",
    .model = "DUET DVD-ROM",
    .packet = true,
    .sig_lcyl = 0x14,
    .sig_hcyl = 0xeb,
    .reset_status = 0x00,
    .reset = ide_atapi_reset,
};

static const MemoryRegionPortio ide_portio_list[] = {
    { 0, 8, 1, .read = ide_ioport_read, .write = ide_ioport_write },
    { 0, 1, 2, .read = ide_data_readw, .write = ide_data_writew },
    { 0, 1, 4, .read = ide_data_readl, .write = ide_data_writel },
    PORTIO_END_OF_LIST(),
};

static const MemoryRegionPortio ide_portio2_list[] = {
    { 0, 1, 1, .read = ide_status_read, .write = ide_ctrl_write },
    PORTIO_END_OF_LIST(),
};

void ide_bus_init(IDEBus *bus, int bus_id, qemu_irq irq)
{
    memset(bus, 0, sizeof(*bus));
    bus->bus_id = bus_id;
    bus->irq = irq;
    bus->no_dma.ops = &ide_dma_nop_ops;
    ide_bus_set_dma(bus, NULL);
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];

        s->bus = bus;
        s->unit = i;
        s->drive_class = &ide_hd_class;
        s->io_buffer = g_malloc0(MAX(IDE_IO_BUFFER_SIZE, ATAPI_IO_BUFFER_SIZE));
    }
    ide_bus_reset(bus);
}

void ide_bus_register_ports(IDEBus *bus, MemoryRegion *io, uint32_t iobase, uint32_t iobase2)
{
    g_autofree char *name = g_strdup_printf("ide%d", bus->bus_id);
    g_autofree char *name2 = g_strdup_printf("ide%d-ctrl", bus->bus_id);

    portio_list_init(&bus->portio_list, ide_portio_list, bus, name);
    portio_list_add(&bus->portio_list, io, iobase);
    portio_list_init(&bus->portio2_list, ide_portio2_list, bus, name2);
    portio_list_add(&bus->portio2_list, io, iobase2);
}

void ide_bus_set_ports_enabled(IDEBus *bus, bool enabled)
{
    PortioList *lists[2] = { &bus->portio_list, &bus->portio2_list };

    memory_region_transaction_begin();
    for (int l = 0; l < 2; l++) {
        for (unsigned i = 0; lists[l]->regions && i < lists[l]->regions->len; i++) {
            memory_region_set_enabled(g_ptr_array_index(lists[l]->regions, i), enabled);
        }
    }
    memory_region_transaction_commit();
}

bool ide_drive_attach(IDEBus *bus, int unit, BlockBackend *blk, Error **errp)
{
    return ide_drive_attach_class(bus, unit, &ide_hd_class, blk, errp);
}

bool ide_drive_attach_class(IDEBus *bus, int unit, const IDEDriveClass *cls,
                            BlockBackend *blk, Error **errp)
{
    IDEState *s = &bus->ifs[unit];
    int64_t len = blk ? blk_getlength(blk) : 0;

    if (s->present) {
        error_setg(errp, "ide%d.%d is already in use", bus->bus_id, unit);
        return false;
    }
    if (len < 0) {
        error_setg_errno(errp, -len, "cannot get the size of ide%d.%d's image", bus->bus_id,
                         unit);
        return false;
    }
    s->drive_class = cls;
    s->blk = blk;
    s->present = true;
    s->nb_sectors = len / IDE_SECTOR_SIZE;
    /* A CD's last partial block is not addressable (MMC: whole blocks). */
    s->cd_blocks = len / ATAPI_SECTOR_SIZE;
    /* The classic BIOS translation: 16 heads, 63 sectors, at most 16383 cylinders. */
    s->heads = 16;
    s->sectors = 63;
    s->cylinders = CLAMP(s->nb_sectors / (16 * 63), 1, 16383);
    snprintf(s->drive_serial, sizeof(s->drive_serial), "DUET%04d", bus->bus_id * 2 + unit + 1);
    snprintf(s->version, sizeof(s->version), "%s", "0.1");
    snprintf(s->model, sizeof(s->model), "%s", cls->model);
    ide_bus_reset(bus);
    /* A medium there from power-on is no change: no UNIT ATTENTION and no
     * media event (QEMU 7.2 has neither). */
    return true;
}

bool ide_cd_change_medium(IDEState *s, BlockBackend *blk, Error **errp)
{
    int64_t len = blk ? blk_getlength(blk) : 0;

    if (!s->present || !s->drive_class->packet) {
        error_setg(errp, "ide%d.%d is not a CD-ROM", s->bus->bus_id, s->unit);
        return false;
    }
    if (len < 0) {
        error_setg_errno(errp, -len, "cannot get the size of the new medium");
        return false;
    }
    if (s->io_in_flight) {
        blk_drain(s->blk);
    }
    blk_unref(s->blk);
    s->blk = blk;
    s->nb_sectors = len / IDE_SECTOR_SIZE;
    s->cd_blocks = len / ATAPI_SECTOR_SIZE;
    if (blk) {
        ide_atapi_medium_inserted(s);
    }
    return true;
}

void ide_bus_destroy(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];

        if (s->blk) {
            blk_drain(s->blk); /* completions still point at s */
            blk_unref(s->blk);
            s->blk = NULL;
        }
        qemu_sglist_destroy(&s->sg);
        g_free(s->io_buffer);
        s->io_buffer = NULL;
    }
    if (bus->portio_list.regions) {
        portio_list_destroy(&bus->portio_list);
    }
    if (bus->portio2_list.regions) {
        portio_list_destroy(&bus->portio2_list);
    }
}
