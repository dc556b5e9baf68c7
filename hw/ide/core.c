/*
 * ATA drive state machine (ATA/ATAPI-6, ATA8-ACS): task-file registers,
 * interrupts, reset, addressing and command completion.  The command
 * table and its handlers are in atacmd.c, DMA commands in dma.c; the
 * channel's DMA engine is reached only through bus->dma's IDEDMAOps.
 *
 * All of it runs with the BQL held: register accesses from vCPU exits,
 * block completions from the main loop.  While a block request is in
 * flight the drive shows BSY and ignores the command block (ATA-6 5.2),
 * so at most one request per drive is outstanding.  A reset that arrives
 * then is completed when the request lands (the drive stays BSY).
 */
#include <inttypes.h>

#include "ide-internal.h"
#include "block/aio.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

/* ATA-6 host requirement: a pull-down on DD7, so an empty channel reads 7Fh. */
#define IDE_FLOATING_BUS 0x7f

IDEState *idebus_active_if(IDEBus *bus)
{
    return &bus->ifs[bus->unit];
}

static bool ide_bus_empty(IDEBus *bus)
{
    return !bus->ifs[0].present && !bus->ifs[1].present;
}

/* ---- Requests in flight -------------------------------------------- */

/*
 * How long a polled request may wait for the main loop before the polling
 * vCPU thread runs its completion itself.  Normally the main loop wakes
 * about 10 us after the request lands; on a loaded host it can wait
 * milliseconds for a CPU while the vCPU thread keeps spinning on its own.
 */
#define IDE_POLL_HELP_NS 20000

void ide_io_start(IDEState *s)
{
    s->io_in_flight = true;
    s->io_start_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

/*
 * The guest reads a status register while a request is outstanding.
 * Register accesses run under the BQL, as the main loop's dispatch does,
 * so this thread may run the main context's pending completions (a
 * non-blocking aio_poll) instead of leaving the guest to spin.
 */
static void ide_poll_in_flight(IDEState *s)
{
    if (!s->io_in_flight || !s->blk ||
        qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - s->io_start_ns < IDE_POLL_HELP_NS) {
        return;
    }
    aio_poll(blk_get_aio_context(s->blk), false);
}

void ide_bus_poll_in_flight(IDEBus *bus)
{
    ide_poll_in_flight(idebus_active_if(bus));
}

/* ---- Interrupts ---------------------------------------------------- */

/* INTRQ is the drive's request gated by nIEN (ATA-6 5.2.8). */
static void ide_update_irq(IDEBus *bus)
{
    qemu_set_irq(bus->irq, bus->irq_pending && !(bus->cmd & IDE_CTRL_DISABLE_IRQ));
}

void ide_set_irq(IDEBus *bus)
{
    IDEState *s = idebus_active_if(bus);

    trace_event(ide_irq_raise, "bus=%d unit=%d status=0x%02x nIEN=%d", bus->bus_id,
                bus->unit, s->status, !!(bus->cmd & IDE_CTRL_DISABLE_IRQ));
    bus->irq_pending = true;
    /* A bus master watches INTRQ on the cable, so only when nIEN lets it out. */
    if (!(bus->cmd & IDE_CTRL_DISABLE_IRQ)) {
        bus->dma->ops->set_irq(bus->dma);
    }
    ide_update_irq(bus);
}

void ide_clear_irq(IDEBus *bus)
{
    if (bus->irq_pending) {
        trace_event(ide_irq_lower, "bus=%d", bus->bus_id);
        bus->irq_pending = false;
        ide_update_irq(bus);
    }
}

/* ---- Addressing ---------------------------------------------------- */

/* The command's first sector, or -1 for an invalid CHS address. */
static int64_t ide_get_sector(IDEState *s)
{
    if (s->lba48) {
        return ((int64_t)s->hob_hcyl << 40) | ((int64_t)s->hob_lcyl << 32) |
               ((int64_t)s->hob_sector << 24) | ((int64_t)s->hcyl << 16) |
               (s->lcyl << 8) | s->sector;
    }
    if (s->select & ATA_DEV_LBA) {
        return ((int64_t)(s->select & 0x0f) << 24) | (s->hcyl << 16) | (s->lcyl << 8) |
               s->sector;
    }
    /* CHS through the current translation (INITIALIZE DEVICE PARAMETERS). */
    int cyl = (s->hcyl << 8) | s->lcyl;
    int head = s->select & 0x0f;

    if (s->sector == 0 || s->sector > s->cur_sectors || head >= s->cur_heads) {
        return -1;
    }
    return ((int64_t)cyl * s->cur_heads + head) * s->cur_sectors + s->sector - 1;
}

/* Loads the address registers with sector_num (the error outputs). */
static void ide_set_sector(IDEState *s, int64_t sector_num)
{
    if (s->lba48 || (s->select & ATA_DEV_LBA) || !s->cur_heads || !s->cur_sectors) {
        s->sector = sector_num;
        s->lcyl = sector_num >> 8;
        s->hcyl = sector_num >> 16;
        if (s->lba48) {
            s->hob_sector = sector_num >> 24;
            s->hob_lcyl = sector_num >> 32;
            s->hob_hcyl = sector_num >> 40;
        } else {
            s->select = (s->select & 0xf0) | ((sector_num >> 24) & 0x0f);
        }
        return;
    }
    int64_t cyl = sector_num / (s->cur_heads * s->cur_sectors);
    int r = sector_num % (s->cur_heads * s->cur_sectors);

    s->hcyl = cyl >> 8;
    s->lcyl = cyl;
    s->select = (s->select & 0xf0) | ((r / s->cur_sectors) & 0x0f);
    s->sector = (r % s->cur_sectors) + 1;
}

/* Sector count: 0 means 256 (28-bit) or 65536 (48-bit commands). */
static uint32_t ide_get_nsector(IDEState *s)
{
    if (s->lba48) {
        uint32_t n = (s->hob_nsector << 8) | s->nsector;
        return n ? n : 65536;
    }
    return s->nsector ? s->nsector : 256;
}

/* ---- Command completion -------------------------------------------- */

void ide_abort_command(IDEState *s)
{
    s->status = IDE_STATUS_IDLE | ERR_STAT;
    s->error = ABRT_ERR;
    s->xfer_dir = IDE_XFER_NONE;
    s->dma_pending = false;
    ide_set_irq(s->bus);
}

void ide_command_error(IDEState *s, uint8_t error)
{
    s->status = IDE_STATUS_IDLE | ERR_STAT;
    s->error = error;
    s->xfer_dir = IDE_XFER_NONE;
    s->dma_pending = false;
    ide_set_irq(s->bus);
}

void ide_rw_error(IDEState *s, bool is_read, int ret)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: host %s error at sector %" PRId64 ": %s\n",
                  s->bus->bus_id, s->unit, is_read ? "read" : "write", s->sector_num,
                  g_strerror(-ret));
    ide_set_sector(s, s->sector_num);
    ide_command_error(s, is_read ? UNC_ERR : ABRT_ERR);
}

void ide_transfer_start(IDEState *s, uint32_t size, IDEXferDir dir,
                        EndTransferFunc *end_transfer_func)
{
    s->data_ptr = 0;
    s->data_end = size;
    s->xfer_dir = dir;
    s->end_transfer_func = end_transfer_func;
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
}

void ide_transfer_stop(IDEState *s)
{
    s->xfer_dir = IDE_XFER_NONE;
    s->end_transfer_func = NULL;
    s->status = IDE_STATUS_IDLE;
}

/* The last word of a DRQ block moved through the data port. */
static void ide_transfer_done(IDEState *s)
{
    EndTransferFunc *end = s->end_transfer_func;

    s->xfer_dir = IDE_XFER_NONE;
    s->status &= ~DRQ_STAT;
    if (end) {
        end(s);
    }
}

/* ---- Reset ---------------------------------------------------------- */

/* ATA-6 9.12: the device's signature after reset or diagnostics (its
 * class's cylinder bytes: 00h/00h an ATA device, 14h/EBh a packet device). */
void ide_set_signature(IDEState *s)
{
    s->nsector = 1;
    s->sector = 1;
    s->lcyl = s->drive_class->sig_lcyl;
    s->hcyl = s->drive_class->sig_hcyl;
    s->hob_feature = s->hob_nsector = s->hob_sector = s->hob_lcyl = s->hob_hcyl = 0;
    s->select = 0;
    s->error = 0x01; /* diagnostic code: passed */
}

static void ide_reset_done(IDEState *s)
{
    trace_event(ide_reset, "bus=%d unit=%d", s->bus->bus_id, s->unit);
    ide_set_signature(s);
    s->bus->unit = 0;
    s->status = s->present ? s->drive_class->reset_status : 0;
    s->mult_sectors = IDE_MAX_MULT_SECTORS;
    s->cur_heads = s->heads;
    s->cur_sectors = s->sectors;
    s->power_mode = 0xff;
    s->xfer_dir = IDE_XFER_NONE;
    s->end_transfer_func = NULL;
    s->dma_pending = false;
    if (s->drive_class->reset) {
        s->drive_class->reset(s);
    }
}

/* Enters reset: everything in progress is dropped; BSY until done. */
static void ide_reset_start(IDEState *s)
{
    s->xfer_dir = IDE_XFER_NONE;
    s->end_transfer_func = NULL;
    s->dma_pending = false;
    if (s->io_in_flight) {
        s->reset_pending = true;
    }
    s->status = s->present ? BUSY_STAT : 0;
}

/* Called by every completion first: true when the result must be dropped. */
bool ide_complete_pending_reset(IDEState *s)
{
    s->io_in_flight = false;
    if (!s->reset_pending) {
        return false;
    }
    s->reset_pending = false;
    if (!(s->bus->cmd & IDE_CTRL_RESET)) {
        ide_reset_done(s);
    }
    return true;
}

void ide_bus_reset(IDEBus *bus)
{
    bus->cmd = 0;
    bus->irq_pending = false;
    ide_update_irq(bus);
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];

        ide_reset_start(s);
        if (!s->io_in_flight) {
            ide_reset_done(s);
        }
        s->feature = 0;
        s->xfer_mode = 0;
    }
    bus->unit = 0;
    bus->dma->ops->reset(bus->dma);
}

void ide_bus_set_dma(IDEBus *bus, IDEDMA *dma)
{
    bus->dma = dma ? dma : &bus->no_dma;
}
/* ---- Medium range -------------------------------------------------- */

/*
 * Loads sector_num/nsector_left from the task file and checks the range
 * against the medium: IDNF past the end (ATA-6 8.x error outputs).
 */
bool ide_start_rw(IDEState *s)
{
    bool is_write = s->cmd_flags & CMD_WRITE;
    int64_t sector = ide_get_sector(s);
    uint32_t n = ide_get_nsector(s);

    if (is_write && blk_is_read_only(s->blk)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: write to a read-only drive\n",
                      s->bus->bus_id, s->unit);
        ide_abort_command(s);
        return false;
    }
    if (sector < 0 || (uint64_t)sector > s->nb_sectors || n > s->nb_sectors - sector) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: sectors %" PRId64 "+%u past the end (%"
                      PRIu64 ")\n", s->bus->bus_id, s->unit, sector, n, s->nb_sectors);
        ide_command_error(s, IDNF_ERR);
        return false;
    }
    s->sector_num = sector;
    s->nsector_left = n;
    return true;
}

/* ---- Register access ------------------------------------------------ */

uint32_t ide_ioport_read(void *opaque, uint32_t addr)
{
    IDEBus *bus = opaque;
    IDEState *s = idebus_active_if(bus);
    bool hob = bus->cmd & IDE_CTRL_HOB;
    uint32_t reg = addr & 7, val;

    if (ide_bus_empty(bus)) {
        return IDE_FLOATING_BUS;
    }
    switch (reg) {
    case 0:
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d: byte read of the data port\n", bus->bus_id);
        val = 0xff;
        break;
    case 1:
        val = s->error;
        break;
    case 2:
        val = hob ? s->hob_nsector : s->nsector;
        break;
    case 3:
        val = hob ? s->hob_sector : s->sector;
        break;
    case 4:
        val = hob ? s->hob_lcyl : s->lcyl;
        break;
    case 5:
        val = hob ? s->hob_hcyl : s->hcyl;
        break;
    case 6:
        val = s->select;
        break;
    default:
        ide_poll_in_flight(s);
        /* Device 0 answers 00h for an absent device 1 (ATA-6 9.16.1). */
        val = s->present ? s->status : 0;
        if (s->present) {
            ide_clear_irq(bus);
        }
        break;
    }
    trace_event(ide_ioport_read, "bus=%d unit=%d reg=%u val=0x%02x", bus->bus_id, bus->unit,
                reg, val);
    return val;
}

IDE_FRAME void ide_ioport_write(void *opaque, uint32_t addr, uint32_t val)
{
    IDEBus *bus = opaque;
    IDEState *s = idebus_active_if(bus);
    uint32_t reg = addr & 7;

    trace_event(ide_ioport_write, "bus=%d unit=%d reg=%u val=0x%02x", bus->bus_id, bus->unit,
                reg, val);
    if (s->status & (BUSY_STAT | DRQ_STAT)) {
        /* ATA-6 5.2: the command block is not writable while BSY or DRQ. */
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: register %u written while busy "
                      "(status 0x%02x), ignored\n", bus->bus_id, bus->unit, reg, s->status);
        return;
    }
    if (reg == 7) {
        ide_exec_cmd(bus, val);
        return;
    }
    bus->cmd &= ~IDE_CTRL_HOB; /* any command block write clears HOB */
    for (int i = 0; i < 2; i++) {
        IDEState *d = &bus->ifs[i];

        switch (reg) {
        case 0:
            break;
        case 1:
            d->hob_feature = d->feature;
            d->feature = val;
            break;
        case 2:
            d->hob_nsector = d->nsector;
            d->nsector = val;
            break;
        case 3:
            d->hob_sector = d->sector;
            d->sector = val;
            break;
        case 4:
            d->hob_lcyl = d->lcyl;
            d->lcyl = val;
            break;
        case 5:
            d->hob_hcyl = d->hcyl;
            d->hcyl = val;
            break;
        case 6:
            d->select = val;
            break;
        }
    }
    if (reg == 6) {
        bus->unit = (val & ATA_DEV_DEV) ? 1 : 0;
    }
}

uint32_t ide_status_read(void *opaque, uint32_t addr)
{
    IDEBus *bus = opaque;
    IDEState *s = idebus_active_if(bus);

    if (ide_bus_empty(bus)) {
        return IDE_FLOATING_BUS;
    }
    ide_poll_in_flight(s);
    return s->present ? s->status : 0; /* alternate status: no INTRQ side effect */
}

void ide_ctrl_write(void *opaque, uint32_t addr, uint32_t val)
{
    IDEBus *bus = opaque;
    uint8_t old = bus->cmd;

    trace_event(ide_ctrl_write, "bus=%d val=0x%02x", bus->bus_id, val);
    bus->cmd = val;
    if (!(old & IDE_CTRL_RESET) && (val & IDE_CTRL_RESET)) {
        bus->irq_pending = false;
        for (int i = 0; i < 2; i++) {
            ide_reset_start(&bus->ifs[i]);
        }
    } else if ((old & IDE_CTRL_RESET) && !(val & IDE_CTRL_RESET)) {
        /* No interrupt at the end of a software reset (ATA-6 9.2). */
        for (int i = 0; i < 2; i++) {
            if (!bus->ifs[i].io_in_flight) {
                ide_reset_done(&bus->ifs[i]);
            }
        }
    }
    if ((old & IDE_CTRL_DISABLE_IRQ) && !(val & IDE_CTRL_DISABLE_IRQ) && bus->irq_pending) {
        bus->dma->ops->set_irq(bus->dma); /* INTRQ now reaches the cable */
    }
    ide_update_irq(bus);
}

/* ---- Data port ------------------------------------------------------ */

uint32_t ide_data_readw(void *opaque, uint32_t addr)
{
    IDEBus *bus = opaque;
    IDEState *s = idebus_active_if(bus);
    uint32_t val;

    if (s->xfer_dir != IDE_XFER_PIO_IN || !(s->status & DRQ_STAT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: data port read with no data ready\n",
                      bus->bus_id, bus->unit);
        return 0xffff;
    }
    val = s->io_buffer[s->data_ptr] | (s->io_buffer[s->data_ptr + 1] << 8);
    s->data_ptr += 2;
    if (s->data_ptr >= s->data_end) {
        ide_transfer_done(s);
    }
    return val;
}

void ide_data_writew(void *opaque, uint32_t addr, uint32_t val)
{
    IDEBus *bus = opaque;
    IDEState *s = idebus_active_if(bus);

    if (s->xfer_dir != IDE_XFER_PIO_OUT || !(s->status & DRQ_STAT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: data port write with no transfer\n",
                      bus->bus_id, bus->unit);
        return;
    }
    s->io_buffer[s->data_ptr] = val;
    s->io_buffer[s->data_ptr + 1] = val >> 8;
    s->data_ptr += 2;
    if (s->data_ptr >= s->data_end) {
        ide_transfer_done(s);
    }
}

/* A 32-bit data access is two 16-bit transfers, low word first. */
uint32_t ide_data_readl(void *opaque, uint32_t addr)
{
    uint32_t lo = ide_data_readw(opaque, addr);

    return lo | (ide_data_readw(opaque, addr) << 16);
}

void ide_data_writel(void *opaque, uint32_t addr, uint32_t val)
{
    ide_data_writew(opaque, addr, val & 0xffff);
    ide_data_writew(opaque, addr, val >> 16);
}
