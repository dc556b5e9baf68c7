/*
 * The PACKET protocol of an ATAPI device (ATA/ATAPI-6 clause 9.8, PIO
 * data-in, and 9.9, DMA): the host writes PACKET (A0h) with the DMA bit
 * in Features and the PIO byte count limit in the cylinder registers, the
 * device asks for the 12-byte packet (DRQ, CoD=1, IO=0; no interrupt: the
 * "accelerated DRQ" of IDENTIFY PACKET DEVICE word 0), runs it
 * (atapi-cmd.c), and moves its data:
 *
 *  - PIO: DRQ blocks of at most the byte count limit, each announced by an
 *    interrupt with IO=1, CoD=0 and its length in the cylinder registers;
 *  - DMA: through the channel's engine (bus->dma's IDEDMAOps): the medium
 *    with prepare_buf + dma_blk_read, reply data with rw_buf.
 *
 * The command then ends with IO=1, CoD=1 and an interrupt: status DRDY
 * (GOOD) or DRDY|ERR with the sense key in the error register's high
 * nibble (CHECK CONDITION; REQUEST SENSE returns the rest).
 */
#include <inttypes.h>
#include <string.h>

#include "ide-internal.h"
#include "qemu/log.h"
#include "trace/trace.h"

/* The most one DMA request moves (a 16-bit block count of READ(10) is
 * longer; the engine's table usually is not). */
#define ATAPI_DMA_MAX_BYTES (128u * 1024)

static void ide_atapi_pio_next(IDEState *s);

void ide_atapi_reset(IDEState *s)
{
    s->atapi_dma = false;
    s->atapi_lba = -1;
    s->atapi_left = 0;
    s->atapi_pos = 0;
}

void ide_atapi_medium_inserted(IDEState *s)
{
    s->tray_open = false;
    s->media_changed = true;
    s->media_event = 2; /* MMC-3 table 107: NewMedia */
    s->sense_key = SENSE_UNIT_ATTENTION;
    s->asc = ASC_MEDIUM_MAY_HAVE_CHANGED;
}

/* The status phase: IO=1, CoD=1, one interrupt. */
static void ide_atapi_status_phase(IDEState *s, uint8_t status, uint8_t error)
{
    s->error = error;
    s->status = status;
    s->nsector = ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD;
    s->xfer_dir = IDE_XFER_NONE;
    s->end_transfer_func = NULL;
    s->dma_pending = false;
    s->atapi_left = 0;
    ide_set_irq(s->bus);
}

void ide_atapi_cmd_ok(IDEState *s)
{
    ide_atapi_status_phase(s, IDE_STATUS_IDLE, 0);
}

void ide_atapi_cmd_error(IDEState *s, uint8_t sense_key, uint8_t asc)
{
    trace_event(ide_atapi_error, "bus=%d unit=%d cmd=0x%02x sense=%x/%02x", s->bus->bus_id,
                s->unit, s->packet[0], sense_key, asc);
    s->sense_key = sense_key;
    s->asc = asc;
    ide_atapi_status_phase(s, IDE_STATUS_IDLE | ERR_STAT, sense_key << 4);
}

/* A host read of the medium failed: the medium is gone, or unreadable. */
static void ide_atapi_io_error(IDEState *s, int ret)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: host read error at block %" PRId64 ": %s\n",
                  s->bus->bus_id, s->unit, s->atapi_lba, g_strerror(-ret));
    if (ret == -ENOMEDIUM) {
        ide_atapi_cmd_error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    } else {
        ide_atapi_cmd_error(s, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
    }
}

/* ---- DMA ------------------------------------------------------------ */

/* The engine's table ended before the data: DRQ stays, the guest may
 * start it again with a new table. */
static void ide_atapi_dma_stall(IDEState *s)
{
    s->bus->dma->ops->set_inactive(s->bus->dma, true);
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
}

static void ide_atapi_dma_mem_error(IDEState *s, MemTxResult res)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: an ATAPI DMA access to guest memory failed "
                  "(memory result %d)\n", s->bus->bus_id, s->unit, (int)res);
    s->bus->dma->ops->set_error(s->bus->dma, res);
    ide_atapi_cmd_error(s, SENSE_ABORTED_COMMAND, 0);
}

static void ide_atapi_dma_cb(IDEState *s);

static void ide_atapi_dma_read_done(void *opaque, int ret, MemTxResult mem)
{
    IDEState *s = opaque;

    qemu_sglist_destroy(&s->sg);
    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (mem != MEMTX_OK) {
        ide_atapi_dma_mem_error(s, mem);
        return;
    }
    if (ret < 0) {
        ide_atapi_io_error(s, ret);
        return;
    }
    s->atapi_pos += s->io_nb_sectors * IDE_SECTOR_SIZE;
    s->atapi_left -= s->io_nb_sectors * IDE_SECTOR_SIZE;
    ide_atapi_dma_cb(s);
}

/* Reply data (io_buffer) to guest memory; the engine copies at once. */
static void ide_atapi_dma_reply(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;

    while (s->atapi_left) {
        uint32_t done = 0;
        MemTxResult res = dma->ops->rw_buf(dma, s->io_buffer + s->atapi_pos, s->atapi_left,
                                           true, &done);

        s->atapi_pos += done;
        s->atapi_left -= done;
        if (res != MEMTX_OK) {
            ide_atapi_dma_mem_error(s, res);
            return;
        }
        if (done == 0) {
            ide_atapi_dma_stall(s);
            return;
        }
    }
    ide_atapi_dma_cb(s);
}

/*
 * The engine's start entry and the continuation after each request:
 * atapi_lba is the READ's first block and atapi_pos the bytes moved.
 */
static void ide_atapi_dma_cb(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;
    uint32_t bytes = 0;
    MemTxResult res;

    if (!s->dma_pending || s->io_in_flight) {
        return;
    }
    if (s->atapi_left == 0) {
        s->dma_pending = false;
        dma->ops->set_inactive(dma, false);
        ide_atapi_cmd_ok(s);
        return;
    }
    if (s->atapi_lba < 0) {
        ide_atapi_dma_reply(s);
        return;
    }
    res = dma->ops->prepare_buf(dma, s, MIN(s->atapi_left, ATAPI_DMA_MAX_BYTES), &bytes);
    if (res != MEMTX_OK || bytes == 0) {
        qemu_sglist_destroy(&s->sg);
        if (res != MEMTX_OK) {
            ide_atapi_dma_mem_error(s, res);
        } else {
            ide_atapi_dma_stall(s);
        }
        return;
    }
    s->io_nb_sectors = bytes / IDE_SECTOR_SIZE;
    ide_io_start(s);
    s->status = BUSY_STAT;
    dma_blk_read(s->blk, &s->sg, s->atapi_lba * ATAPI_SECTOR_SIZE + s->atapi_pos,
                 IDE_SECTOR_SIZE, ide_atapi_dma_read_done, s);
}

static void ide_atapi_dma_start(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;

    s->dma_read = true;
    s->dma_buffer = false;
    s->dma_pending = true;
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
    if (!dma->ops->start_dma(dma, s, ide_atapi_dma_cb)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: ATAPI DMA on a channel without a DMA "
                      "engine\n", s->bus->bus_id, s->unit);
        ide_atapi_cmd_error(s, SENSE_ABORTED_COMMAND, 0);
    }
}

/* ---- PIO ------------------------------------------------------------ */

/* ATA/ATAPI-6 9.8: the host's byte count limit; FFFFh means FFFEh, and 0
 * (which the protocol does not allow) is taken as the largest. */
static uint32_t ide_atapi_byte_limit(IDEState *s)
{
    uint32_t limit = s->byte_count_limit;

    return (limit == 0 || limit == 0xffff) ? 0xfffe : limit;
}

/* The host read a DRQ block. */
static void ide_atapi_pio_block_done(IDEState *s)
{
    uint32_t n = s->data_end;

    s->atapi_left -= n;
    s->atapi_pos += n;
    ide_atapi_pio_next(s);
}

/* A DRQ block of n bytes from io_buffer[from]: its length in the
 * cylinder registers, IO=1 CoD=0, an interrupt. */
static void ide_atapi_pio_block(IDEState *s, uint32_t from, uint32_t n)
{
    ide_transfer_start(s, 0, IDE_XFER_PIO_IN, ide_atapi_pio_block_done);
    s->data_ptr = from;
    s->data_end = from + n;
    s->lcyl = n;
    s->hcyl = n >> 8;
    s->nsector = ATAPI_INT_REASON_IO;
    ide_set_irq(s->bus);
}

/* This DRQ block's share of the medium is in io_buffer. */
static void ide_atapi_pio_read_cb(void *opaque, int ret)
{
    IDEState *s = opaque;

    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (ret < 0) {
        ide_atapi_io_error(s, ret);
        return;
    }
    ide_atapi_pio_block(s, 0, s->qiov.size);
}

/*
 * The next DRQ block, or the status phase.  A block is as long as the
 * byte count limit allows, even unless it is the last, whatever blocks of
 * the medium it spans (QEMU 7.2 does the same).  atapi_pos counts the
 * bytes moved so far: of io_buffer for reply data, past atapi_lba for a
 * READ, whose block is read into io_buffer first.
 */
static void ide_atapi_pio_next(IDEState *s)
{
    uint32_t limit = ide_atapi_byte_limit(s);
    uint32_t n = s->atapi_left;

    if (n == 0) {
        ide_atapi_cmd_ok(s);
        return;
    }
    if (n > limit) {
        n = limit & ~1u; /* a block that is not the last has an even length */
    }
    if (s->atapi_lba < 0) {
        /* data_ptr counts from the block's start, so shift the reply down */
        memmove(s->io_buffer, s->io_buffer + s->atapi_pos, s->atapi_left);
        s->atapi_pos = 0;
        ide_atapi_pio_block(s, 0, n);
        return;
    }
    s->status = BUSY_STAT;
    ide_io_start(s);
    qemu_iovec_init_buf(&s->qiov, s->io_buffer, n);
    blk_aio_preadv(s->blk, s->atapi_lba * ATAPI_SECTOR_SIZE + s->atapi_pos, &s->qiov, 0,
                   ide_atapi_pio_read_cb, s);
}

/* ---- Data phases ---------------------------------------------------- */

void ide_atapi_cmd_reply(IDEState *s, uint32_t size, uint32_t max_size)
{
    s->atapi_lba = -1;
    s->atapi_pos = 0;
    s->atapi_left = MIN(size, max_size);
    if (s->atapi_left == 0) {
        ide_atapi_cmd_ok(s);
    } else if (s->atapi_dma) {
        ide_atapi_dma_start(s);
    } else {
        ide_atapi_pio_next(s);
    }
}

void ide_atapi_cmd_read(IDEState *s, int64_t lba, uint32_t nblocks)
{
    trace_event(ide_atapi_read, "bus=%d unit=%d lba=%" PRId64 " n=%u %s", s->bus->bus_id,
                s->unit, lba, nblocks, s->atapi_dma ? "dma" : "pio");
    s->atapi_lba = lba;
    s->atapi_pos = 0;
    s->atapi_left = nblocks * ATAPI_SECTOR_SIZE;
    if (s->atapi_left == 0) {
        ide_atapi_cmd_ok(s);
    } else if (s->atapi_dma) {
        ide_atapi_dma_start(s);
    } else {
        ide_atapi_pio_next(s);
    }
}

/* ---- ATA commands of the PACKET feature set ------------------------- */

static void ide_atapi_packet_received(IDEState *s)
{
    memcpy(s->packet, s->io_buffer, ATAPI_PACKET_SIZE);
    s->status = BUSY_STAT;
    ide_atapi_exec_packet(s);
}

/* PACKET (ATA/ATAPI-6 8.21): DRQ for the packet, without an interrupt. */
bool cmd_packet(IDEState *s, uint8_t cmd)
{
    s->atapi_dma = s->feature & 1;
    s->byte_count_limit = s->lcyl | (s->hcyl << 8);
    ide_transfer_start(s, ATAPI_PACKET_SIZE, IDE_XFER_PIO_OUT, ide_atapi_packet_received);
    s->nsector = ATAPI_INT_REASON_CD;
    return false;
}

bool cmd_identify_packet(IDEState *s, uint8_t cmd)
{
    uint16_t words[256];

    ide_atapi_identify(s, words);
    for (int i = 0; i < 256; i++) {
        s->io_buffer[2 * i] = words[i];
        s->io_buffer[2 * i + 1] = words[i] >> 8;
    }
    ide_transfer_start(s, IDE_SECTOR_SIZE, IDE_XFER_PIO_IN, ide_transfer_stop);
    ide_set_irq(s->bus);
    return false;
}

/* DEVICE RESET (ATA/ATAPI-6 8.7): the signature, no interrupt. */
bool cmd_device_reset(IDEState *s, uint8_t cmd)
{
    uint8_t dev = s->select & 0xf0;

    ide_set_signature(s);
    s->select = dev;
    s->status = s->drive_class->reset_status;
    ide_atapi_reset(s);
    return false;
}
