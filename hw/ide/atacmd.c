/*
 * The ATA command table (named opcodes, each with its CMD_* properties),
 * the dispatch that applies those properties, and the PIO and non-data
 * commands.  ATA8-ACS section 7 for each command; PIO protocols ATA-6 9.
 */
#include <inttypes.h>
#include <string.h>

#include "ide-internal.h"
#include "qemu/log.h"
#include "trace/trace.h"

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

    uint64_t old_req = trace_req_set(s->trace_req);

    trace_event_begin(ide_sector_write, "bus=%d unit=%d sector=%" PRId64 " n=%d",
                      s->bus->bus_id, s->unit, s->sector_num, n);
    s->status = BUSY_STAT;
    s->io_nb_sectors = n;
    ide_io_start(s);
    qemu_iovec_init_buf(&s->qiov, s->io_buffer, n * IDE_SECTOR_SIZE);
    blk_aio_pwritev(s->blk, s->sector_num * IDE_SECTOR_SIZE, &s->qiov, 0, ide_sector_write_cb,
                    s);
    trace_event_end(ide_sector_write_done, ide_sector_write, NULL);
    trace_req_set(old_req);
}

static bool ide_set_block_size(IDEState *s)
{
    if (!(s->cmd_flags & CMD_MULTIPLE)) {
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
    if (!ide_set_block_size(s) || !ide_start_rw(s)) {
        return false;
    }
    ide_sector_read(s);
    return false;
}

static bool cmd_write_pio(IDEState *s, uint8_t cmd)
{
    int n;

    if (!ide_set_block_size(s) || !ide_start_rw(s)) {
        return false;
    }
    /* PIO data-out: the first block is requested without an interrupt. */
    n = MIN(s->nsector_left, (uint32_t)s->req_nb_sectors);
    ide_transfer_start(s, n * IDE_SECTOR_SIZE, IDE_XFER_PIO_OUT, ide_sector_write);
    return false;
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

/* READ BUFFER: the sector buffer by PIO data-in. */
static bool cmd_read_buffer(IDEState *s, uint8_t cmd)
{
    memcpy(s->io_buffer, s->buffer, IDE_SECTOR_SIZE);
    ide_transfer_start(s, IDE_SECTOR_SIZE, IDE_XFER_PIO_IN, ide_transfer_stop);
    ide_set_irq(s->bus);
    return false;
}

static void ide_write_buffer_done(IDEState *s)
{
    memcpy(s->buffer, s->io_buffer, IDE_SECTOR_SIZE);
    ide_transfer_stop(s);
    ide_set_irq(s->bus);
}

/* WRITE BUFFER: PIO data-out, the block requested without an interrupt. */
static bool cmd_write_buffer(IDEState *s, uint8_t cmd)
{
    ide_transfer_start(s, IDE_SECTOR_SIZE, IDE_XFER_PIO_OUT, ide_write_buffer_done);
    return false;
}

static bool cmd_verify(IDEState *s, uint8_t cmd)
{
    /* The medium is host storage: nothing can be unreadable but the range. */
    return ide_start_rw(s);
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
static bool cmd_exec_dev_diagnostic(IDEState *sel, uint8_t cmd)
{
    IDEBus *bus = sel->bus;

    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];

        if (!s->io_in_flight) {
            uint8_t dev = s->select & 0xf0;

            ide_set_signature(s);
            s->select = dev & ~ATA_DEV_DEV; /* device 0 answers; QEMU keeps bits 7, 5 */
            s->status = s->present ? s->drive_class->reset_status : 0;
        }
    }
    bus->unit = 0;
    ide_set_irq(bus);
    return false;
}

/*
 * True: done now, the dispatch completes the command (idle, interrupt);
 * for CMD_DMA, set up: the dispatch starts the data phase.  False: the
 * handler went on itself (a data phase under way, or an error reported).
 */
typedef bool IDEHandler(IDEState *s, uint8_t cmd);

typedef struct IDECmd {
    IDEHandler *handler;
    unsigned flags; /* CMD_* (ide-internal.h) */
} IDECmd;

/*
 * The commands duet implements, for ATA disks and (CMD_PACKET_OK) packet
 * devices: ATA/ATAPI-6 6.3 lists what the PACKET feature set requires.
 */
static const IDECmd ide_cmd_table[256] = {
    [WIN_DEVICE_RESET]     = { cmd_device_reset, CMD_PACKET_OK | CMD_PACKET_ONLY },
    [WIN_READ]             = { cmd_read_pio, CMD_MEDIUM | CMD_PACKET_SIG },
    [WIN_READ_EXT]         = { cmd_read_pio, CMD_MEDIUM | CMD_LBA48 },
    [WIN_READDMA_EXT]      = { cmd_rw_dma, CMD_MEDIUM | CMD_LBA48 | CMD_DMA },
    [WIN_MULTREAD_EXT]     = { cmd_read_pio, CMD_MEDIUM | CMD_LBA48 | CMD_MULTIPLE },
    [WIN_WRITE]            = { cmd_write_pio, CMD_MEDIUM | CMD_WRITE },
    [WIN_WRITE_EXT]        = { cmd_write_pio, CMD_MEDIUM | CMD_LBA48 | CMD_WRITE },
    [WIN_WRITEDMA_EXT]     = { cmd_rw_dma, CMD_MEDIUM | CMD_LBA48 | CMD_WRITE | CMD_DMA },
    [WIN_MULTWRITE_EXT]    = { cmd_write_pio, CMD_MEDIUM | CMD_LBA48 | CMD_MULTIPLE | CMD_WRITE },
    [WIN_VERIFY]           = { cmd_verify, CMD_MEDIUM },
    [WIN_VERIFY_EXT]       = { cmd_verify, CMD_MEDIUM | CMD_LBA48 },
    [WIN_DIAGNOSE]         = { cmd_exec_dev_diagnostic, CMD_BOTH_DEVICES | CMD_PACKET_OK },
    [WIN_SPECIFY]          = { cmd_specify, 0 },
    [WIN_PACKETCMD]        = { cmd_packet, CMD_PACKET_OK | CMD_PACKET_ONLY },
    [WIN_PIDENTIFY]        = { cmd_identify_packet, CMD_PACKET_OK | CMD_PACKET_ONLY },
    [WIN_MULTREAD]         = { cmd_read_pio, CMD_MEDIUM | CMD_MULTIPLE },
    [WIN_MULTWRITE]        = { cmd_write_pio, CMD_MEDIUM | CMD_MULTIPLE | CMD_WRITE },
    [WIN_SETMULT]          = { cmd_set_multiple_mode, 0 },
    [WIN_READDMA]          = { cmd_rw_dma, CMD_MEDIUM | CMD_DMA },
    [WIN_WRITEDMA]         = { cmd_rw_dma, CMD_MEDIUM | CMD_WRITE | CMD_DMA },
    [WIN_STANDBYNOW1]      = { cmd_standby_immediate, CMD_PACKET_OK },
    [WIN_IDLEIMMEDIATE]    = { cmd_idle_immediate, CMD_PACKET_OK },
    [WIN_READ_BUFFER]      = { cmd_read_buffer, 0 },
    [WIN_CHECKPOWERMODE1]  = { cmd_check_power_mode, CMD_PACKET_OK },
    [WIN_FLUSH_CACHE]      = { cmd_flush_cache, CMD_PACKET_OK },
    [WIN_WRITE_BUFFER]     = { cmd_write_buffer, CMD_WRITE },
    [WIN_READ_BUFFER_DMA]  = { cmd_buffer_dma, CMD_DMA },
    [WIN_FLUSH_CACHE_EXT]  = { cmd_flush_cache, CMD_LBA48 },
    [WIN_WRITE_BUFFER_DMA] = { cmd_buffer_dma, CMD_WRITE | CMD_DMA },
    [WIN_IDENTIFY]         = { cmd_identify, CMD_PACKET_SIG },
    [WIN_SETFEATURES]      = { cmd_set_features, CMD_PACKET_OK },
};

/* Whether the device's feature set has the command; a packet device
 * refusing a CMD_PACKET_SIG command shows its signature first. */
static bool ide_cmd_permitted(IDEState *s, const IDECmd *c)
{
    if (!s->drive_class->packet) {
        return !(c->flags & CMD_PACKET_ONLY);
    }
    if (c->flags & CMD_PACKET_OK) {
        return true;
    }
    if (c->flags & CMD_PACKET_SIG) {
        uint8_t dev = s->select & 0xf0; /* the signature leaves the device bits */

        ide_set_signature(s);
        s->select = dev;
    }
    return false;
}

IDE_FRAME void ide_exec_cmd(IDEBus *bus, uint32_t val)
{
    IDEState *s = idebus_active_if(bus);
    const IDECmd *c = &ide_cmd_table[val & 0xff];

    /* A command starts a guest request: its id follows it down the layers. */
    s->trace_req = trace_req_new();
    uint64_t old_req = trace_req_set(s->trace_req);

    trace_event_begin(ide_exec_cmd, "bus=%d unit=%d cmd=0x%02x", bus->bus_id, bus->unit, val);
    /* Writing the command register negates INTRQ (ATA-6 5.2.8). */
    ide_clear_irq(bus);
    if (c->flags & CMD_BOTH_DEVICES) {
        c->handler(s, val);
        goto trace_out;
    }
    if (!s->present) {
        /* Device 0 ignores commands for an absent device 1 (ATA-6 9.16.1). */
        qemu_log_mask(LOG_GUEST_ERROR, "ide%d.%d: command 0x%02x to an absent drive\n",
                      bus->bus_id, bus->unit, val);
        goto trace_out;
    }
    s->cmd = val;
    s->cmd_flags = c->flags;
    s->error = 0;
    s->lba48 = c->flags & CMD_LBA48;
    if (!c->handler || !ide_cmd_permitted(s, c)) {
        qemu_log_mask(LOG_UNIMP, "ide%d.%d: command 0x%02x not supported by %s\n",
                      bus->bus_id, bus->unit, val, s->drive_class->name);
        ide_abort_command(s);
        goto trace_out;
    }
    if (c->flags & CMD_MEDIUM) {
        if (!s->blk) {
            ide_command_error(s, ABRT_ERR | NM_ERR);
            goto trace_out;
        }
        s->power_mode = 0xff;
    }
    s->status = BUSY_STAT;
    if (!c->handler(s, val)) {
        goto trace_out;
    }
    if (c->flags & CMD_DMA) {
        ide_dma_start(s);
        goto trace_out;
    }
    s->status = IDE_STATUS_IDLE;
    ide_set_irq(bus);
trace_out:
    trace_event_end(ide_exec_cmd_done, ide_exec_cmd, NULL);
    trace_req_set(old_req);
}
