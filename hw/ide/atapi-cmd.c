/*
 * The SCSI/MMC commands of duet's CD/DVD-ROM (SPC-3, MMC-3; SFF-8020i for
 * READ TOC's old format field): one table indexed by opcode, each with its
 * handler and its flags, as atacmd.c's ATA table.  Handlers read s->packet
 * and end the command (ide_atapi_cmd_ok/_error/_reply/_read).
 *
 * Multi-byte CDB fields and answers are big-endian.  The medium is the
 * image in 2048-byte blocks: one data track from LBA 0, one session.
 */
#include <string.h>

#include "ide-internal.h"
#include "qemu/log.h"
#include "trace/trace.h"

/* Command flags */
#define ATAPI_NEEDS_MEDIUM 0x01 /* NOT READY / MEDIUM NOT PRESENT without one */
#define ATAPI_ALLOW_UA     0x02 /* runs even with a UNIT ATTENTION pending */

/* SCSI/MMC opcodes */
#define GPCMD_TEST_UNIT_READY      0x00
#define GPCMD_REQUEST_SENSE        0x03
#define GPCMD_INQUIRY              0x12
#define GPCMD_START_STOP_UNIT      0x1b
#define GPCMD_PREVENT_ALLOW        0x1e
#define GPCMD_READ_CAPACITY        0x25
#define GPCMD_READ_10              0x28
#define GPCMD_READ_TOC_PMA_ATIP    0x43
#define GPCMD_GET_CONFIGURATION    0x46
#define GPCMD_GET_EVENT_STATUS     0x4a
#define GPCMD_READ_DISC_INFO       0x51
#define GPCMD_MODE_SENSE_10        0x5a
#define GPCMD_READ_12              0xa8
#define GPCMD_MECHANISM_STATUS     0xbd
#define GPCMD_READ_CD              0xbe

/* MMC-3 profiles (GET CONFIGURATION) */
#define MMC_PROFILE_NONE    0x0000
#define MMC_PROFILE_CD_ROM  0x0008
#define MMC_PROFILE_DVD_ROM 0x0010

/* The largest CD (80 minutes of 2048-byte blocks); a larger medium is a DVD. */
#define CD_MAX_BLOCKS 360000u

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint16_t get_be16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static bool ide_atapi_has_medium(IDEState *s)
{
    return s->blk && !s->tray_open;
}

static uint16_t ide_atapi_current_profile(IDEState *s)
{
    if (!ide_atapi_has_medium(s)) {
        return MMC_PROFILE_NONE;
    }
    return s->cd_blocks > CD_MAX_BLOCKS ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
}

/* MMC: logical block address to minute/second/frame, with the 2-second lead-in. */
static void lba_to_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = lba / (60 * 75);
    p[1] = (lba / 75) % 60;
    p[2] = lba % 75;
}

/* An address field of the TOC: LBA, or 0, M, S, F. */
static void put_toc_address(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf) {
        p[0] = 0;
        lba_to_msf(p + 1, lba);
    } else {
        put_be32(p, lba);
    }
}

static void ide_atapi_invalid_field(IDEState *s)
{
    ide_atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_INV_FIELD_IN_CMD_PACKET);
}

/* ---- Commands ------------------------------------------------------- */

static void cmd_test_unit_ready(IDEState *s, uint8_t *buf)
{
    ide_atapi_cmd_ok(s); /* the medium check was the dispatch's */
}

/* SPC-3 4.5.3: fixed-format sense data; reporting a UNIT ATTENTION clears it. */
static void cmd_request_sense(IDEState *s, uint8_t *buf)
{
    uint8_t alloc = s->packet[4];

    memset(buf, 0, 18);
    buf[0] = 0x70 | 0x80; /* current error, fixed format; VALID */
    buf[2] = s->sense_key;
    buf[7] = 10;          /* additional sense length */
    buf[12] = s->asc;
    if (s->sense_key == SENSE_UNIT_ATTENTION) {
        s->sense_key = SENSE_NONE;
        s->asc = 0;
        s->media_changed = false;
    }
    ide_atapi_cmd_reply(s, 18, alloc);
}

/* SPC-3 7.6: vital product data, pages 00h (the list) and 83h (device
 * identification: the drive's serial number, space-padded to 20
 * characters, as a vendor-specific ASCII designator). */
static void ide_atapi_inquiry_vpd(IDEState *s, uint8_t *buf, uint8_t alloc)
{
    memset(buf, 0, 64);
    buf[0] = 0x05;
    buf[1] = s->packet[2];
    switch (s->packet[2]) {
    case 0x00:
        buf[3] = 2;
        buf[4] = 0x00;
        buf[5] = 0x83;
        ide_atapi_cmd_reply(s, 6, alloc);
        return;
    case 0x83:
        buf[3] = 4 + 20;
        buf[4] = 0x02;      /* code set: ASCII */
        buf[5] = 0x00;      /* association: the logical unit; type: vendor specific */
        buf[7] = 20;
        memset(buf + 8, ' ', 20);
        memcpy(buf + 8, s->drive_serial, strnlen(s->drive_serial, 20));
        ide_atapi_cmd_reply(s, 8 + 20, alloc);
        return;
    default:
        ide_atapi_invalid_field(s);
    }
}

/* SPC-3 6.4: standard data, or a VPD page with EVPD. */
static void cmd_inquiry(IDEState *s, uint8_t *buf)
{
    uint8_t alloc = s->packet[4];

    if (s->packet[1] & 1) {
        ide_atapi_inquiry_vpd(s, buf, alloc);
        return;
    }
    memset(buf, 0, 36);
    buf[0] = 0x05;  /* CD/DVD device */
    buf[1] = 0x80;  /* removable medium */
    buf[2] = 0x00;  /* no SCSI version claimed (ATAPI) */
    buf[3] = 0x21;  /* ATAPI transport version 2, response data format 1 */
    buf[4] = 31;    /* additional length */
    memcpy(buf + 8, "DUET    ", 8);
    memcpy(buf + 16, "DUET DVD-ROM    ", 16);
    memcpy(buf + 32, "0.1 ", 4);
    ide_atapi_cmd_reply(s, 36, alloc);
}

/* MMC-3 6.41: the last block and the block length. */
static void cmd_read_capacity(IDEState *s, uint8_t *buf)
{
    put_be32(buf, s->cd_blocks ? s->cd_blocks - 1 : 0);
    put_be32(buf + 4, ATAPI_SECTOR_SIZE);
    ide_atapi_cmd_reply(s, 8, 8);
}

static void ide_atapi_read(IDEState *s, uint32_t lba, uint32_t n)
{
    if ((uint64_t)lba + n > s->cd_blocks) {
        ide_atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_LOGICAL_BLOCK_OOR);
        return;
    }
    ide_atapi_cmd_read(s, lba, n);
}

static void cmd_read_10(IDEState *s, uint8_t *buf)
{
    ide_atapi_read(s, get_be32(s->packet + 2), get_be16(s->packet + 7));
}

static void cmd_read_12(IDEState *s, uint8_t *buf)
{
    ide_atapi_read(s, get_be32(s->packet + 2), get_be32(s->packet + 6));
}

/* MMC-3 6.15 READ CD: the user data of each block (byte 9: 10h), or
 * nothing (00h); other sector fields are not offered. */
static void cmd_read_cd(IDEState *s, uint8_t *buf)
{
    uint32_t n = (s->packet[6] << 16) | (s->packet[7] << 8) | s->packet[8];

    switch (s->packet[9] & 0xf8) {
    case 0x00:
        ide_atapi_cmd_ok(s);
        return;
    case 0x10:
        ide_atapi_read(s, get_be32(s->packet + 2), n);
        return;
    default:
        ide_atapi_invalid_field(s);
    }
}

/* Format 0000b: track 1 (unless a later start track is asked) and the
 * lead-out (AAh).  Returns the length, or -1 for a track that is not there. */
static int ide_atapi_toc(IDEState *s, uint8_t *buf, bool msf, uint8_t start_track)
{
    uint8_t *p = buf + 4;

    if (start_track > 1 && start_track != 0xaa) {
        return -1;
    }
    buf[2] = 1; /* first track */
    buf[3] = 1; /* last track */
    if (start_track <= 1) {
        p[0] = 0;
        p[1] = 0x14; /* ADR 1 (Q sub-channel position), control: data track */
        p[2] = 1;
        p[3] = 0;
        put_toc_address(p + 4, 0, msf);
        p += 8;
    }
    p[0] = 0;
    p[1] = 0x16; /* the lead-out's control nibble as QEMU 7.2 answers it */
    p[2] = 0xaa;
    p[3] = 0;
    put_toc_address(p + 4, s->cd_blocks, msf);
    p += 8;
    put_be16(buf, p - buf - 2);
    return p - buf;
}

/* Format 01b: the session information header; the descriptor is left
 * zero, as QEMU 7.2 answers. */
static int ide_atapi_toc_session(uint8_t *buf, bool msf)
{
    memset(buf, 0, 12);
    put_be16(buf, 10);
    buf[2] = 1; /* first session */
    buf[3] = 1; /* last session */
    return 12;
}

/* Format 0010b: the full TOC, Q sub-channel points A0h, A1h, A2h and the track. */
static int ide_atapi_toc_raw(IDEState *s, uint8_t *buf, bool msf)
{
    static const uint8_t points[] = { 0xa0, 0xa1, 0xa2, 1 };
    uint8_t *p = buf + 4;

    buf[2] = 1;
    buf[3] = 1;
    for (size_t i = 0; i < G_N_ELEMENTS(points); i++, p += 11) {
        memset(p, 0, 11);
        p[0] = 1;    /* session */
        p[1] = 0x14;
        p[3] = points[i];
        switch (points[i]) {
        case 0xa0:
            p[8] = 1; /* first track; disc type 00h (CD-ROM) */
            break;
        case 0xa1:
            p[8] = 1; /* last track */
            break;
        case 0xa2:   /* the lead-out's start */
            if (msf) {
                lba_to_msf(p + 8, s->cd_blocks);
            } else {
                put_be32(p + 7, s->cd_blocks);
            }
            break;
        default:     /* track 1 at block 0 */
            if (msf) {
                lba_to_msf(p + 8, 0);
            }
            break;
        }
    }
    put_be16(buf, p - buf - 2);
    return p - buf;
}

/*
 * READ TOC/PMA/ATIP.  The format is the SFF-8020i field (byte 9, bits 7:6:
 * 00b TOC, 01b session information, 10b full TOC), as QEMU 7.2 reads it;
 * MMC-3's field in byte 2 is not looked at, so an MMC format there gets
 * the TOC (QEMU's answer too).
 */
static void cmd_read_toc_pma_atip(IDEState *s, uint8_t *buf)
{
    bool msf = s->packet[1] & 2;
    uint8_t format = s->packet[9] >> 6;
    uint8_t start_track = s->packet[6];
    uint16_t alloc = get_be16(s->packet + 7);
    int len;

    switch (format) {
    case 0:
        len = ide_atapi_toc(s, buf, msf, start_track);
        break;
    case 1:
        len = ide_atapi_toc_session(buf, msf);
        break;
    case 2:
        len = ide_atapi_toc_raw(s, buf, msf);
        break;
    default:
        len = -1;
        break;
    }
    if (len < 0) {
        ide_atapi_invalid_field(s);
        return;
    }
    ide_atapi_cmd_reply(s, len, alloc);
}

/*
 * MMC-3 6.6: the profile list feature (0000h: DVD-ROM, CD-ROM, the
 * current one flagged), the only feature QEMU 7.2 reports: a starting
 * feature number other than 0000h is refused, whatever RT asks.
 */
static void cmd_get_configuration(IDEState *s, uint8_t *buf)
{
    uint16_t start = get_be16(s->packet + 2);
    uint16_t alloc = get_be16(s->packet + 7);
    uint16_t cur = ide_atapi_current_profile(s);
    uint8_t *p = buf + 8;

    if (start != 0) {
        ide_atapi_invalid_field(s);
        return;
    }
    memset(buf, 0, 32);
    put_be16(buf + 6, cur);
    {
        put_be16(p, 0x0000);
        p[2] = 0x03; /* persistent, current */
        p[3] = 8;
        put_be16(p + 4, MMC_PROFILE_DVD_ROM);
        p[6] = cur == MMC_PROFILE_DVD_ROM;
        put_be16(p + 8, MMC_PROFILE_CD_ROM);
        p[10] = cur == MMC_PROFILE_CD_ROM;
        p += 12;
    }
    put_be32(buf, p - buf - 4);
    ide_atapi_cmd_reply(s, p - buf, alloc);
}

/* MMC-3 6.5: polled operation, the media class only. */
static void cmd_get_event_status_notification(IDEState *s, uint8_t *buf)
{
    uint8_t classes = s->packet[4];
    uint16_t alloc = get_be16(s->packet + 7);
    int len = 4;

    if (!(s->packet[1] & 1)) {
        ide_atapi_invalid_field(s); /* asynchronous operation is not supported */
        return;
    }
    memset(buf, 0, 8);
    buf[3] = 1 << 4; /* supported: media */
    if (classes & (1 << 4)) {
        buf[2] = 4;  /* media class */
        buf[4] = s->media_event;
        /* media present only with the tray closed; door open */
        buf[5] = s->tray_open ? 1 : (s->blk ? 2 : 0);
        s->media_event = 0;
        len = 8;
    } else {
        buf[2] = 0x80; /* no event available */
    }
    put_be16(buf, len - 4); /* the event data after the header */
    ide_atapi_cmd_reply(s, len, alloc);
}

/* MMC-3 6.22: a complete disc, one session, one track. */
static void cmd_read_disc_information(IDEState *s, uint8_t *buf)
{
    uint16_t alloc = get_be16(s->packet + 7);

    if (s->packet[1] & 7) {
        ide_atapi_invalid_field(s); /* only standard disc information */
        return;
    }
    memset(buf, 0, 34);
    put_be16(buf, 32);
    buf[2] = 0x0e; /* last session complete, disc status: finalized */
    buf[3] = 1;    /* first track on the disc */
    buf[4] = 1;    /* sessions */
    buf[5] = 1;    /* first track in the last session */
    buf[6] = 1;    /* last track in the last session */
    buf[7] = 0x20; /* unrestricted use */
    buf[8] = 0x00; /* disc type: CD-ROM */
    ide_atapi_cmd_reply(s, 34, alloc);
}

/* MMC-3 6.10: no changer; the drive is idle. */
static void cmd_mechanism_status(IDEState *s, uint8_t *buf)
{
    uint16_t alloc = get_be16(s->packet + 8);

    memset(buf, 0, 8);
    buf[5] = 1; /* slots: the one medium */
    ide_atapi_cmd_reply(s, 8, alloc);
}

/* CD audio control (0Eh), as QEMU 7.2 answers it. */
static const uint8_t mode_page_cd_audio[16] = { 0x0e, 0x0e, 0x00, 0x00, 0x39, 0x00, 0x00, 0x00
, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00 };

/* Mode pages (MMC-3 6.3): 01h read error recovery, 0Eh CD audio control,
 * 2Ah capabilities and mechanical status; the current values only. */
static uint8_t *put_mode_page(IDEState *s, uint8_t *p, uint8_t page)
{
    switch (page) {
    case 0x01:
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 6;
        p[3] = 5; /* read retry count */
        return p + 8;
    case 0x0e:
        memcpy(p, mode_page_cd_audio, sizeof(mode_page_cd_audio));
        return p + sizeof(mode_page_cd_audio);
    case 0x2a:
        memset(p, 0, 22);
        p[0] = 0x2a;
        p[1] = 20;
        p[2] = 0x3b;        /* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM */
        p[4] = 0x71;        /* audio play, composite, digital ports, mode 2 form 1/2 */
        p[5] = 0x60;        /* ISRC, UPC */
        p[6] = 0x29 | (s->tray_locked ? 2 : 0); /* tray, eject, lock (state) */
        put_be16(p + 8, 704);  /* obsolete: maximum speed, kB/s */
        put_be16(p + 10, 2);   /* volume levels */
        put_be16(p + 12, 512); /* buffer size, KiB */
        put_be16(p + 14, 704); /* obsolete: current speed */
        return p + 22;
    default:
        return NULL;
    }
}

/* MODE SENSE(10): the current values of one page (QEMU 7.2 refuses the
 * changeable and default values and page 3Fh: INVALID FIELD; saved values:
 * SAVING PARAMETERS NOT SUPPORTED). */
static void cmd_mode_sense(IDEState *s, uint8_t *buf)
{
    uint8_t pc = s->packet[2] >> 6;
    uint8_t page = s->packet[2] & 0x3f;
    uint16_t alloc = get_be16(s->packet + 7);
    uint8_t *p = buf + 8;

    if (pc == 3) {
        ide_atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
        return;
    }
    memset(buf, 0, 8);
    p = pc == 0 ? put_mode_page(s, p, page) : NULL;
    if (!p) {
        ide_atapi_invalid_field(s);
        return;
    }
    put_be16(buf, p - buf - 2);
    buf[2] = 0x70; /* medium type: door closed, no disc type given */
    ide_atapi_cmd_reply(s, p - buf, alloc);
}

/* SBC/MMC START STOP UNIT: LoEj with Start 0 opens the tray, with Start 1 closes it. */
static void cmd_start_stop_unit(IDEState *s, uint8_t *buf)
{
    bool start = s->packet[4] & 1;
    bool loej = s->packet[4] & 2;

    /* The same medium comes back: no UNIT ATTENTION and no media
     * event either way, as in QEMU 7.2. */
    if (loej && !start && !s->tray_open) {
        if (s->tray_locked) {
            /* QEMU 7.2: NOT READY with a medium, ILLEGAL REQUEST without */
            ide_atapi_cmd_error(s, s->blk ? SENSE_NOT_READY : SENSE_ILLEGAL_REQUEST,
                                ASC_MEDIA_REMOVAL_PREVENTED);
            return;
        }
        s->tray_open = true;
    } else if (loej && start) {
        s->tray_open = false;
    }
    ide_atapi_cmd_ok(s);
}

static void cmd_prevent_allow_medium_removal(IDEState *s, uint8_t *buf)
{
    s->tray_locked = s->packet[4] & 1;
    ide_atapi_cmd_ok(s);
}

typedef void ATAPIHandler(IDEState *s, uint8_t *buf);

typedef struct ATAPICmd {
    ATAPIHandler *handler;
    unsigned flags;
} ATAPICmd;

static const ATAPICmd atapi_cmd_table[256] = {
    [GPCMD_TEST_UNIT_READY]   = { cmd_test_unit_ready, ATAPI_NEEDS_MEDIUM },
    [GPCMD_REQUEST_SENSE]     = { cmd_request_sense, ATAPI_ALLOW_UA },
    [GPCMD_INQUIRY]           = { cmd_inquiry, ATAPI_ALLOW_UA },
    [GPCMD_START_STOP_UNIT]   = { cmd_start_stop_unit, 0 },
    [GPCMD_PREVENT_ALLOW]     = { cmd_prevent_allow_medium_removal, 0 },
    [GPCMD_READ_CAPACITY]     = { cmd_read_capacity, ATAPI_NEEDS_MEDIUM },
    [GPCMD_READ_10]           = { cmd_read_10, ATAPI_NEEDS_MEDIUM },
    [GPCMD_READ_TOC_PMA_ATIP] = { cmd_read_toc_pma_atip, ATAPI_NEEDS_MEDIUM },
    [GPCMD_GET_CONFIGURATION] = { cmd_get_configuration, ATAPI_ALLOW_UA },
    [GPCMD_GET_EVENT_STATUS]  = { cmd_get_event_status_notification, ATAPI_ALLOW_UA },
    [GPCMD_READ_DISC_INFO]    = { cmd_read_disc_information, ATAPI_NEEDS_MEDIUM },
    [GPCMD_MODE_SENSE_10]     = { cmd_mode_sense, 0 },
    [GPCMD_READ_12]           = { cmd_read_12, ATAPI_NEEDS_MEDIUM },
    [GPCMD_MECHANISM_STATUS]  = { cmd_mechanism_status, 0 },
    [GPCMD_READ_CD]           = { cmd_read_cd, ATAPI_NEEDS_MEDIUM },
};

void ide_atapi_exec_packet(IDEState *s)
{
    const ATAPICmd *c = &atapi_cmd_table[s->packet[0]];

    trace_event(ide_atapi_cmd, "bus=%d unit=%d cmd=0x%02x %s", s->bus->bus_id, s->unit,
                s->packet[0], s->atapi_dma ? "dma" : "pio");
    if (!c->handler) {
        qemu_log_mask(LOG_UNIMP, "ide%d.%d: ATAPI command 0x%02x not supported\n",
                      s->bus->bus_id, s->unit, s->packet[0]);
        ide_atapi_cmd_error(s, SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_OPCODE);
        return;
    }
    /* SPC-3 5.6.5: the first command after a medium change reports it. */
    if (s->media_changed && !(c->flags & ATAPI_ALLOW_UA)) {
        s->media_changed = false;
        ide_atapi_cmd_error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
        return;
    }
    if ((c->flags & ATAPI_NEEDS_MEDIUM) && !ide_atapi_has_medium(s)) {
        ide_atapi_cmd_error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
        return;
    }
    c->handler(s, s->io_buffer);
}
