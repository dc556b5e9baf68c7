/*
 * ATA drive state machine (ATA/ATAPI-6, ATA8-ACS): task-file registers,
 * command dispatch, PIO data-in/data-out and the DMA command flow.
 *
 * All of it runs with the BQL held: register accesses from vCPU exits,
 * block completions from the main loop.  While a block request is in
 * flight the drive shows BSY and ignores the command block (ATA-6 5.2),
 * so at most one request per drive is outstanding.  A reset that arrives
 * then is completed when the request lands (the drive stays BSY).
 */
#include <errno.h>
#include <inttypes.h>

#include "hw/ide/pci.h"
#include "block/aio.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

/* Keep the layers of a guest I/O as separate frames for gdb. */
#define IDE_FRAME __attribute__((noinline))

#define IDE_STATUS_IDLE (READY_STAT | SEEK_STAT)
/* ATA-6 host requirement: a pull-down on DD7, so an empty channel reads 7Fh. */
#define IDE_FLOATING_BUS 0x7f

static IDEState *idebus_active_if(IDEBus *bus)
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

static void ide_io_start(IDEState *s)
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
    /* The PIIX latches the interrupt bit when the drive asserts INTRQ. */
    if (bus->bmdma && !(bus->cmd & IDE_CTRL_DISABLE_IRQ)) {
        bus->bmdma->status |= BM_STATUS_INT;
    }
    ide_update_irq(bus);
}

static void ide_clear_irq(IDEBus *bus)
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

static void ide_abort_command(IDEState *s)
{
    s->status = IDE_STATUS_IDLE | ERR_STAT;
    s->error = ABRT_ERR;
    s->xfer_dir = IDE_XFER_NONE;
    s->dma_pending = false;
    ide_set_irq(s->bus);
}

static void ide_command_error(IDEState *s, uint8_t error)
{
    s->status = IDE_STATUS_IDLE | ERR_STAT;
    s->error = error;
    s->xfer_dir = IDE_XFER_NONE;
    s->dma_pending = false;
    ide_set_irq(s->bus);
}

/* A host I/O error: UNC for reads, ABRT for writes, address of the block. */
static void ide_rw_error(IDEState *s, bool is_read, int ret)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: host %s error at sector %" PRId64 ": %s\n",
                  s->bus->bus_id, s->unit, is_read ? "read" : "write", s->sector_num,
                  g_strerror(-ret));
    ide_set_sector(s, s->sector_num);
    ide_command_error(s, is_read ? UNC_ERR : ABRT_ERR);
}

static void ide_transfer_start(IDEState *s, uint32_t size, IDEXferDir dir,
                               EndTransferFunc *end_transfer_func)
{
    s->data_ptr = 0;
    s->data_end = size;
    s->xfer_dir = dir;
    s->end_transfer_func = end_transfer_func;
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
}

static void ide_transfer_stop(IDEState *s)
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

/* ATA-6 9.12: the signature of an ATA device after reset or diagnostics. */
static void ide_set_signature(IDEState *s)
{
    s->nsector = 1;
    s->sector = 1;
    s->lcyl = 0;
    s->hcyl = 0;
    s->hob_feature = s->hob_nsector = s->hob_sector = s->hob_lcyl = s->hob_hcyl = 0;
    s->select = 0;
    s->error = 0x01; /* diagnostic code: passed */
}

static void ide_reset_done(IDEState *s)
{
    trace_event(ide_reset, "bus=%d unit=%d", s->bus->bus_id, s->unit);
    ide_set_signature(s);
    s->bus->unit = 0;
    s->status = s->present ? IDE_STATUS_IDLE : 0;
    s->mult_sectors = IDE_MAX_MULT_SECTORS;
    s->cur_heads = s->heads;
    s->cur_sectors = s->sectors;
    s->power_mode = 0xff;
    s->xfer_dir = IDE_XFER_NONE;
    s->end_transfer_func = NULL;
    s->dma_pending = false;
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
static bool ide_complete_pending_reset(IDEState *s)
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
    if (bus->bmdma) {
        bmdma_reset(bus->bmdma);
    }
}

/* ---- PIO sectors ---------------------------------------------------- */

static void ide_sector_read(IDEState *s);
static void ide_sector_write(IDEState *s);

static void ide_sector_read_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    int n = s->io_nb_sectors;

    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (ret < 0) {
        ide_rw_error(s, true, ret);
        return;
    }
    s->sector_num += n;
    s->nsector_left -= n;
    /* ATA PIO data-in: each DRQ block is announced by an interrupt; after
     * the last block the drive goes idle without another. */
    ide_transfer_start(s, n * IDE_SECTOR_SIZE, IDE_XFER_PIO_IN,
                       s->nsector_left ? ide_sector_read : ide_transfer_stop);
    ide_set_irq(s->bus);
}

static void ide_sector_read(IDEState *s)
{
    int n = MIN(s->nsector_left, (uint32_t)s->req_nb_sectors);

    trace_event(ide_sector_read, "bus=%d unit=%d sector=%" PRId64 " n=%d", s->bus->bus_id,
                s->unit, s->sector_num, n);
    s->status = BUSY_STAT;
    s->io_nb_sectors = n;
    ide_io_start(s);
    qemu_iovec_init_buf(&s->qiov, s->io_buffer, n * IDE_SECTOR_SIZE);
    blk_aio_preadv(s->blk, s->sector_num * IDE_SECTOR_SIZE, &s->qiov, 0, ide_sector_read_cb,
                   s);
}

static void ide_sector_write_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    int n = s->io_nb_sectors;

    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (ret < 0) {
        ide_rw_error(s, false, ret);
        return;
    }
    s->sector_num += n;
    s->nsector_left -= n;
    if (s->nsector_left == 0) {
        ide_transfer_stop(s);
    } else {
        n = MIN(s->nsector_left, (uint32_t)s->req_nb_sectors);
        ide_transfer_start(s, n * IDE_SECTOR_SIZE, IDE_XFER_PIO_OUT, ide_sector_write);
    }
    /* PIO data-out: an interrupt after each block written, the last included. */
    ide_set_irq(s->bus);
}

/* The host filled a DRQ block. */
static void ide_sector_write(IDEState *s)
{
    int n = MIN(s->nsector_left, (uint32_t)s->req_nb_sectors);

    trace_event(ide_sector_write, "bus=%d unit=%d sector=%" PRId64 " n=%d", s->bus->bus_id,
                s->unit, s->sector_num, n);
    s->status = BUSY_STAT;
    s->io_nb_sectors = n;
    ide_io_start(s);
    qemu_iovec_init_buf(&s->qiov, s->io_buffer, n * IDE_SECTOR_SIZE);
    blk_aio_pwritev(s->blk, s->sector_num * IDE_SECTOR_SIZE, &s->qiov, 0, ide_sector_write_cb,
                    s);
}

/*
 * Loads sector_num/nsector_left from the task file and checks the range
 * against the medium: IDNF past the end (ATA-6 8.x error outputs).
 */
static bool ide_start_rw(IDEState *s, bool is_write)
{
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

static bool ide_is_multiple_cmd(uint8_t cmd)
{
    return cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39;
}

static bool ide_set_block_size(IDEState *s, uint8_t cmd)
{
    if (!ide_is_multiple_cmd(cmd)) {
        s->req_nb_sectors = 1;
        return true;
    }
    if (!s->mult_sectors) {
        ide_abort_command(s); /* READ/WRITE MULTIPLE with multiple mode off */
        return false;
    }
    s->req_nb_sectors = s->mult_sectors;
    return true;
}

static bool cmd_read_pio(IDEState *s, uint8_t cmd)
{
    if (!ide_set_block_size(s, cmd) || !ide_start_rw(s, false)) {
        return false;
    }
    ide_sector_read(s);
    return false;
}

static bool cmd_write_pio(IDEState *s, uint8_t cmd)
{
    int n;

    if (!ide_set_block_size(s, cmd) || !ide_start_rw(s, true)) {
        return false;
    }
    /* PIO data-out: the first block is requested without an interrupt. */
    n = MIN(s->nsector_left, (uint32_t)s->req_nb_sectors);
    ide_transfer_start(s, n * IDE_SECTOR_SIZE, IDE_XFER_PIO_OUT, ide_sector_write);
    return false;
}

/* ---- DMA ------------------------------------------------------------ */

/* The bus master could not reach memory (PCI master abort). */
static void ide_dma_master_abort(IDEState *s)
{
    BMDMAState *bm = s->bus->bmdma;

    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: bus-master DMA to undecoded memory\n",
                  s->bus->bus_id, s->unit);
    bm->status |= BM_STATUS_ERROR;
    bmdma_set_inactive(bm);
    pci_set_word(bm->pci_dev->config + PCI_STATUS,
                 pci_get_word(bm->pci_dev->config + PCI_STATUS) |
                 PCI_STATUS_REC_MASTER_ABORT);
    ide_abort_command(s);
}

/*
 * Starts, continues or finishes a DMA command.  Entered from the bus
 * master when it is started (ret 0, nothing in flight) and from
 * dma_blk_read/write when a request lands.
 */
IDE_FRAME void ide_dma_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    BMDMAState *bm = s->bus->bmdma;
    bool error = false;
    uint32_t bytes;

    trace_event(ide_dma_cb, "bus=%d unit=%d ret=%d sector=%" PRId64 " left=%u %s",
                s->bus->bus_id, s->unit, ret, s->sector_num, s->nsector_left,
                s->dma_read ? "read" : "write");
    if (s->io_in_flight) {
        qemu_sglist_destroy(&s->sg);
        if (ide_complete_pending_reset(s)) {
            return;
        }
        if (ret == -EFAULT) {
            ide_dma_master_abort(s);
            return;
        }
        if (ret < 0) {
            ide_rw_error(s, s->dma_read, ret);
            return;
        }
        s->sector_num += s->io_nb_sectors;
        s->nsector_left -= s->io_nb_sectors;
    }
    if (!s->dma_pending) {
        return;
    }
    if (s->nsector_left == 0) {
        /* SFF-8038i: the table used up exactly clears Active; a longer
         * table leaves Active set.  Interrupt is set either way. */
        s->dma_pending = false;
        s->status = IDE_STATUS_IDLE;
        if (bmdma_table_exhausted(bm)) {
            bmdma_set_inactive(bm);
        }
        ide_set_irq(s->bus);
        return;
    }
    if (!(bm->status & BM_STATUS_DMAING)) {
        s->status = IDE_STATUS_IDLE | DRQ_STAT; /* waits for the engine */
        return;
    }
    if (!pci_bus_master_enabled(bm->pci_dev)) {
        ide_dma_master_abort(s);
        return;
    }
    qemu_sglist_init(&s->sg, 8, pci_get_address_space(bm->pci_dev));
    bytes = bmdma_prepare_buf(bm, MIN(s->nsector_left, 65536u) * IDE_SECTOR_SIZE, &s->sg,
                              &error);
    if (error) {
        qemu_sglist_destroy(&s->sg);
        ide_dma_master_abort(s);
        return;
    }
    if (bytes == 0) {
        /* SFF-8038i: a table shorter than the transfer stops the engine
         * (Active 0, Interrupt 0); the drive still has data to move. */
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: PRD table shorter than the transfer\n",
                      s->bus->bus_id, s->unit);
        qemu_sglist_destroy(&s->sg);
        bmdma_set_inactive(bm);
        s->status = IDE_STATUS_IDLE | DRQ_STAT;
        return;
    }
    s->io_nb_sectors = bytes / IDE_SECTOR_SIZE;
    ide_io_start(s);
    s->status = BUSY_STAT;
    if (s->dma_read) {
        dma_blk_read(s->blk, &s->sg, s->sector_num * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE,
                     ide_dma_cb, s);
    } else {
        dma_blk_write(s->blk, &s->sg, s->sector_num * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE,
                      ide_dma_cb, s);
    }
}

static bool ide_dma_start_cmd(IDEState *s, bool is_read)
{
    BMDMAState *bm = s->bus->bmdma;

    if (!bm) {
        ide_abort_command(s);
        return false;
    }
    if (!ide_start_rw(s, !is_read)) {
        return false;
    }
    if (!!(bm->cmd & BM_CMD_READ) != is_read && (bm->status & BM_STATUS_DMAING)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: BMDMA direction disagrees with the "
                      "command; the command's direction is used\n", s->bus->bus_id, s->unit);
    }
    s->dma_read = is_read;
    s->dma_pending = true;
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
    if (bm->status & BM_STATUS_DMAING) {
        ide_dma_cb(s, 0); /* the engine was started first */
    }
    return false;
}

static IDE_FRAME bool cmd_read_dma(IDEState *s, uint8_t cmd)
{
    return ide_dma_start_cmd(s, true);
}

static IDE_FRAME bool cmd_write_dma(IDEState *s, uint8_t cmd)
{
    return ide_dma_start_cmd(s, false);
}

/* ---- Other commands ------------------------------------------------- */

static bool cmd_identify(IDEState *s, uint8_t cmd)
{
    uint16_t words[256];

    ide_identify(s, words);
    for (int i = 0; i < 256; i++) {
        s->io_buffer[2 * i] = words[i];
        s->io_buffer[2 * i + 1] = words[i] >> 8;
    }
    ide_transfer_start(s, IDE_SECTOR_SIZE, IDE_XFER_PIO_IN, ide_transfer_stop);
    ide_set_irq(s->bus);
    return false;
}

static bool cmd_verify(IDEState *s, uint8_t cmd)
{
    /* The medium is host storage: nothing can be unreadable but the range. */
    return ide_start_rw(s, false);
}

static void ide_flush_cb(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: host flush failed: %s\n", s->bus->bus_id,
                      s->unit, g_strerror(-ret));
        ide_abort_command(s);
        return;
    }
    s->status = IDE_STATUS_IDLE;
    ide_set_irq(s->bus);
}

static IDE_FRAME void ide_flush_cache(IDEState *s)
{
    trace_event(ide_flush_cache, "bus=%d unit=%d", s->bus->bus_id, s->unit);
    if (!s->blk) {
        ide_flush_cb(s, 0);
        return;
    }
    s->status = BUSY_STAT;
    ide_io_start(s);
    blk_aio_flush(s->blk, ide_flush_cb, s);
}

static IDE_FRAME bool cmd_flush_cache(IDEState *s, uint8_t cmd)
{
    ide_flush_cache(s);
    return false;
}

static bool ide_xfer_mode_valid(uint8_t mode)
{
    switch (mode >> 3) {
    case 0: return (mode & 7) <= 1; /* PIO default mode, IORDY on/off */
    case 1: return (mode & 7) <= 4; /* PIO flow control mode n */
    case 4: return (mode & 7) <= 2; /* multiword DMA mode n */
    case 8: return (mode & 7) <= 5; /* Ultra DMA mode n */
    default: return false;
    }
}

static bool cmd_set_features(IDEState *s, uint8_t cmd)
{
    switch (s->feature) {
    case 0x02: /* enable write cache */
    case 0x82: /* disable write cache */
        if (s->blk) {
            blk_set_enable_write_cache(s->blk, s->feature == 0x02);
        }
        return true;
    case 0x03: /* set transfer mode from the sector count */
        if (!ide_xfer_mode_valid(s->nsector)) {
            ide_abort_command(s);
            return false;
        }
        s->xfer_mode = s->nsector;
        return true;
    case 0x55: /* read look-ahead off/on; revert to power-on defaults off/on */
    case 0xaa:
    case 0x66:
    case 0xcc:
        return true;
    default:
        qemu_log_mask(LOG_UNIMP, "ide%d.%d: SET FEATURES 0x%02x not supported\n",
                      s->bus->bus_id, s->unit, s->feature);
        ide_abort_command(s);
        return false;
    }
}

static bool cmd_set_multiple_mode(IDEState *s, uint8_t cmd)
{
    /* A power of two up to word 47's maximum; 0 turns multiple mode off. */
    if (s->nsector > IDE_MAX_MULT_SECTORS || (s->nsector & (s->nsector - 1))) {
        ide_abort_command(s);
        return false;
    }
    s->mult_sectors = s->nsector;
    return true;
}

static bool cmd_check_power_mode(IDEState *s, uint8_t cmd)
{
    s->nsector = s->power_mode;
    return true;
}

static bool cmd_idle_immediate(IDEState *s, uint8_t cmd)
{
    s->power_mode = 0xff;
    return true;
}

static bool cmd_standby_immediate(IDEState *s, uint8_t cmd)
{
    s->power_mode = 0x00;
    return true;
}

/* INITIALIZE DEVICE PARAMETERS: the CHS translation for later commands. */
static bool cmd_specify(IDEState *s, uint8_t cmd)
{
    if (s->nsector == 0) {
        ide_abort_command(s);
        return false;
    }
    s->cur_sectors = s->nsector;
    s->cur_heads = (s->select & 0x0f) + 1;
    return true;
}

/* EXECUTE DEVICE DIAGNOSTIC addresses both drives (ATA-6 9.10). */
static void ide_exec_dev_diagnostic(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];

        if (!s->io_in_flight) {
            ide_set_signature(s);
            s->status = s->present ? IDE_STATUS_IDLE : 0;
        }
    }
    bus->unit = 0;
    ide_set_irq(bus);
}

typedef bool IDEHandler(IDEState *s, uint8_t cmd);

#define CMD_MEDIUM 0x1 /* accesses the medium: NM without one */
#define CMD_LBA48  0x2 /* 48-bit addressing and counts */

typedef struct IDECmd {
    IDEHandler *handler;
    unsigned flags;
} IDECmd;

static const IDECmd ide_cmd_table[256] = {
    [0x20] = { cmd_read_pio, CMD_MEDIUM },
    [0x24] = { cmd_read_pio, CMD_MEDIUM | CMD_LBA48 },
    [0x25] = { cmd_read_dma, CMD_MEDIUM | CMD_LBA48 },
    [0x29] = { cmd_read_pio, CMD_MEDIUM | CMD_LBA48 },
    [0x30] = { cmd_write_pio, CMD_MEDIUM },
    [0x34] = { cmd_write_pio, CMD_MEDIUM | CMD_LBA48 },
    [0x35] = { cmd_write_dma, CMD_MEDIUM | CMD_LBA48 },
    [0x39] = { cmd_write_pio, CMD_MEDIUM | CMD_LBA48 },
    [0x40] = { cmd_verify, CMD_MEDIUM },
    [0x42] = { cmd_verify, CMD_MEDIUM | CMD_LBA48 },
    [0x91] = { cmd_specify, 0 },
    [0xc4] = { cmd_read_pio, CMD_MEDIUM },
    [0xc5] = { cmd_write_pio, CMD_MEDIUM },
    [0xc6] = { cmd_set_multiple_mode, 0 },
    [0xc8] = { cmd_read_dma, CMD_MEDIUM },
    [0xca] = { cmd_write_dma, CMD_MEDIUM },
    [0xe0] = { cmd_standby_immediate, 0 },
    [0xe1] = { cmd_idle_immediate, 0 },
    [0xe5] = { cmd_check_power_mode, 0 },
    [0xe7] = { cmd_flush_cache, 0 },
    [0xea] = { cmd_flush_cache, CMD_LBA48 },
    [0xec] = { cmd_identify, 0 },
    [0xef] = { cmd_set_features, 0 },
};

IDE_FRAME void ide_exec_cmd(IDEBus *bus, uint32_t val)
{
    IDEState *s = idebus_active_if(bus);
    const IDECmd *c = &ide_cmd_table[val & 0xff];

    trace_event(ide_exec_cmd, "bus=%d unit=%d cmd=0x%02x", bus->bus_id, bus->unit, val);
    /* Writing the command register negates INTRQ (ATA-6 5.2.8). */
    ide_clear_irq(bus);
    if (val == 0x90) {
        ide_exec_dev_diagnostic(bus);
        return;
    }
    if (!s->present) {
        /* Device 0 ignores commands for an absent device 1 (ATA-6 9.16.1). */
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: command 0x%02x to an absent drive\n",
                      bus->bus_id, bus->unit, val);
        return;
    }
    s->cmd = val;
    s->error = 0;
    s->lba48 = c->flags & CMD_LBA48;
    if (!c->handler) {
        qemu_log_mask(LOG_UNIMP, "ide%d.%d: command 0x%02x not supported\n", bus->bus_id,
                      bus->unit, val);
        ide_abort_command(s);
        return;
    }
    if (c->flags & CMD_MEDIUM) {
        if (!s->blk) {
            ide_command_error(s, ABRT_ERR | NM_ERR);
            return;
        }
        s->power_mode = 0xff;
    }
    s->status = BUSY_STAT;
    if (c->handler(s, val)) {
        s->status = IDE_STATUS_IDLE;
        ide_set_irq(bus);
    }
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
    if ((old & IDE_CTRL_DISABLE_IRQ) && !(val & IDE_CTRL_DISABLE_IRQ) && bus->irq_pending &&
        bus->bmdma) {
        bus->bmdma->status |= BM_STATUS_INT; /* INTRQ now reaches the pin */
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
