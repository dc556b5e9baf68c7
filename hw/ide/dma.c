/*
 * The drive's side of DMA commands (ATA8-ACS READ/WRITE DMA (EXT), READ/
 * WRITE BUFFER DMA; the DMA protocol of ATA-6 clause 9): the drive asks the
 * channel's engine for guest memory through bus->dma's IDEDMAOps and
 * moves the data with dma_blk_read/write (medium) or ops->rw_buf
 * (buffer[]).  Which registers the engine has, and what it does with an
 * unreachable address, is the engine's business (hw/ide/bmdma.c).
 *
 * The command takes DRQ and waits; the engine calls ide_dma_cb when it is
 * started, and ide_dma_cb runs again after each request lands, until the
 * count is done (interrupt), the engine has no more buffer (DRQ stays, the
 * guest may restart it), or an error ends the command.
 */
#include <inttypes.h>

#include "ide-internal.h"
#include "qemu/log.h"
#include "trace/trace.h"

/* The most one request moves: the 16-bit sector count of LBA48. */
#define IDE_DMA_MAX_SECTORS 65536u

/* A guest memory access of the transfer failed: the engine records it,
 * the drive ends the command with ABRT (the data phase did not complete). */
static void ide_dma_mem_error(IDEState *s, MemTxResult res)
{
    IDEDMA *dma = s->bus->dma;

    qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: a DMA access to guest memory failed "
                  "(memory result %d)\n", s->bus->bus_id, s->unit, (int)res);
    dma->ops->set_error(dma, res);
    ide_abort_command(s);
}

/* The engine gave no buffer: the drive keeps DRQ until it is started again. */
static void ide_dma_stall(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;

    dma->ops->set_inactive(dma, true);
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
}

static void ide_dma_done(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;

    s->dma_pending = false;
    s->status = IDE_STATUS_IDLE;
    dma->ops->set_inactive(dma, false);
    ide_set_irq(s->bus);
}

/* dma_blk_read/write landed. */
static void ide_dma_rw_done(void *opaque, int ret, MemTxResult mem)
{
    IDEState *s = opaque;

    qemu_sglist_destroy(&s->sg);
    if (ide_complete_pending_reset(s)) {
        return;
    }
    if (mem != MEMTX_OK) {
        ide_dma_mem_error(s, mem);
        return;
    }
    if (ret < 0) {
        ide_rw_error(s, s->dma_read, ret);
        return;
    }
    s->sector_num += s->io_nb_sectors;
    s->nsector_left -= s->io_nb_sectors;
    ide_dma_cb(s);
}

/* buffer[] to or from guest memory; the engine copies synchronously. */
static void ide_dma_buffer_step(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;
    uint32_t done = 0;
    MemTxResult res;

    res = dma->ops->rw_buf(dma, s->buffer + s->data_ptr, s->data_end - s->data_ptr,
                           s->dma_read, &done);
    s->data_ptr += done;
    if (res != MEMTX_OK) {
        ide_dma_mem_error(s, res);
    } else if (s->data_ptr == s->data_end) {
        ide_dma_done(s);
    } else if (done == 0) {
        ide_dma_stall(s);
    } else {
        ide_dma_buffer_step(s);
    }
}

/*
 * Starts or continues the data phase.  The engine calls it when started;
 * ide_dma_rw_done when a request lands.  A call while nothing waits (the
 * command ended, a reset) or while a request is in flight does nothing.
 */
IDE_FRAME void ide_dma_cb(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;
    uint32_t bytes = 0;
    MemTxResult res;

    uint64_t old_req = trace_req_set(s->trace_req);

    trace_event_begin(ide_dma_cb, "bus=%d unit=%d sector=%" PRId64 " left=%u %s",
                      s->bus->bus_id, s->unit, s->sector_num, s->nsector_left,
                      s->dma_read ? "read" : "write");
    if (!s->dma_pending || s->io_in_flight) {
        goto trace_out;
    }
    if (s->dma_buffer) {
        ide_dma_buffer_step(s);
        goto trace_out;
    }
    if (s->nsector_left == 0) {
        ide_dma_done(s);
        goto trace_out;
    }
    res = dma->ops->prepare_buf(dma, s, MIN(s->nsector_left, IDE_DMA_MAX_SECTORS) *
                                IDE_SECTOR_SIZE, &bytes);
    if (res != MEMTX_OK || bytes == 0) {
        qemu_sglist_destroy(&s->sg);
        if (res != MEMTX_OK) {
            ide_dma_mem_error(s, res);
        } else {
            ide_dma_stall(s);
        }
        goto trace_out;
    }
    s->io_nb_sectors = bytes / IDE_SECTOR_SIZE;
    ide_io_start(s);
    s->status = BUSY_STAT;
    if (s->dma_read) {
        dma_blk_read(s->blk, &s->sg, s->sector_num * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE,
                     ide_dma_rw_done, s);
    } else {
        dma_blk_write(s->blk, &s->sg, s->sector_num * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE,
                      ide_dma_rw_done, s);
    }
trace_out:
    trace_event_end(ide_dma_cb_done, ide_dma_cb, NULL);
    trace_req_set(old_req);
}

/* The data phase begins: DRQ, and the engine runs it now or when started. */
void ide_dma_start(IDEState *s)
{
    IDEDMA *dma = s->bus->dma;

    s->dma_read = !(s->cmd_flags & CMD_WRITE);
    s->dma_pending = true;
    s->status = IDE_STATUS_IDLE | DRQ_STAT;
    if (!dma->ops->start_dma(dma, s, ide_dma_cb)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: DMA command 0x%02x on a channel without "
                      "a DMA engine\n", s->bus->bus_id, s->unit, s->cmd);
        ide_abort_command(s);
    }
}

/* READ DMA (EXT), WRITE DMA (EXT): the range of the medium. */
IDE_FRAME bool cmd_rw_dma(IDEState *s, uint8_t cmd)
{
    s->dma_buffer = false;
    return ide_start_rw(s);
}

/* READ BUFFER DMA, WRITE BUFFER DMA: one sector of buffer[]. */
IDE_FRAME bool cmd_buffer_dma(IDEState *s, uint8_t cmd)
{
    s->dma_buffer = true;
    s->data_ptr = 0;
    s->data_end = IDE_SECTOR_SIZE;
    return true;
}

/* ---- No DMA engine -------------------------------------------------- */

static bool ide_nop_start_dma(IDEDMA *dma, IDEState *s, IDEDMAFunc *cb)
{
    return false;
}

static MemTxResult ide_nop_prepare_buf(IDEDMA *dma, IDEState *s, uint32_t limit,
                                       uint32_t *bytes)
{
    qemu_sglist_init(&s->sg, 1, NULL);
    *bytes = 0;
    return MEMTX_OK;
}

static MemTxResult ide_nop_rw_buf(IDEDMA *dma, uint8_t *buf, uint32_t len, bool to_memory,
                                  uint32_t *done)
{
    *done = 0;
    return MEMTX_OK;
}

static void ide_nop_set_inactive(IDEDMA *dma, bool more)
{
}

static void ide_nop_set_error(IDEDMA *dma, MemTxResult res)
{
}

static void ide_nop_set_irq(IDEDMA *dma)
{
}

static void ide_nop_reset(IDEDMA *dma)
{
}

const IDEDMAOps ide_dma_nop_ops = {
    .start_dma = ide_nop_start_dma,
    .prepare_buf = ide_nop_prepare_buf,
    .rw_buf = ide_nop_rw_buf,
    .set_inactive = ide_nop_set_inactive,
    .set_error = ide_nop_set_error,
    .set_irq = ide_nop_set_irq,
    .reset = ide_nop_reset,
};
