/*
 * The ATAPI CD-ROM through the memory API (qtest style): the signature
 * after reset, EXECUTE DEVICE DIAGNOSTIC and DEVICE RESET; IDENTIFY
 * DEVICE aborted with the signature; IDENTIFY PACKET DEVICE; the PACKET
 * protocol (CoD/IO in the sector count, byte count limit, an interrupt
 * per DRQ block and one for the status phase, none for the packet); every
 * MMC command with its answer byte for byte (the bytes guest test
 * guest-diff-atapi-* saw qemu-system-x86_64 7.2 give), sense data, no
 * medium, the tray; DMA through the PIIX bus master (reads, reply data of
 * any length, a short table, unassigned memory).
 */
#include "ide-harness.h"

#include <string.h>

/* SPC-3 sense keys and additional sense codes */
#define SENSE_NOT_READY       0x02
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_UNIT_ATTENTION  0x06
#define SENSE_ABORTED_COMMAND 0x0b
#define ASC_ILLEGAL_OPCODE                  0x20
#define ASC_LOGICAL_BLOCK_OOR               0x21
#define ASC_INV_FIELD_IN_CMD_PACKET         0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED         0x28
#define ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT              0x3a
#define ASC_MEDIA_REMOVAL_PREVENTED         0x53

#define CD_BLOCKS 300
#define CD_SIZE (CD_BLOCKS * 2048)
#define PRD_TABLE 0x1000u
#define BUF 0x20000u

static IDETest *t;
static const char *img;
static uint8_t data[65536 * 2];

typedef struct Reply {
    uint8_t status, error, reason;
    unsigned len, nblocks;
    unsigned blocks[32];
    unsigned irqs;        /* interrupts raised from the packet on */
} Reply;

static void setup_cd(const char *drive_extra, int64_t size)
{
    g_autofree char *opt = NULL;
    Error *err = NULL;

    t = it_new();
    if (size) {
        g_autofree uint8_t *buf = g_malloc(MIN(size, CD_SIZE));

        img = it_image(t, "cd.raw", "raw", size);
        it_pattern(buf, MIN(size, CD_SIZE), 3);
        it_image_write(img, "raw", 0, buf, MIN(size, CD_SIZE));
        opt = g_strdup_printf("file=%s,format=raw,if=ide,index=0,media=cdrom%s", img,
                              drive_extra ? drive_extra : "");
    } else {
        opt = g_strdup_printf("if=ide,index=0,media=cdrom%s", drive_extra ? drive_extra : "");
    }
    if (!it_drives(t, &err, opt, NULL)) {
        ck_abort_msg("%s", error_get_pretty(err));
    }
    it_firmware(t);
}

static void teardown(void)
{
    if (t) {
        it_free(t);
    }
    t = NULL;
}

static void taskfile_is(uint8_t status, uint8_t error, uint8_t nsector, uint8_t sector,
                        uint8_t lcyl, uint8_t hcyl)
{
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), status);
    ck_assert_uint_eq(inb(IDE_ERROR), error);
    ck_assert_uint_eq(inb(IDE_NSECTOR), nsector);
    ck_assert_uint_eq(inb(IDE_SECTOR), sector);
    ck_assert_uint_eq(inb(IDE_LCYL), lcyl);
    ck_assert_uint_eq(inb(IDE_HCYL), hcyl);
}

/* PACKET with cdb; PIO data-in collected block by block into data[]. */
static void packet(const uint8_t *cdb, uint16_t limit, bool dma, Reply *r)
{
    unsigned raises;

    memset(r, 0, sizeof(*r));
    outb(IDE_SELECT, 0xa0);
    outb(IDE_FEATURE, dma ? 1 : 0);
    outb(IDE_LCYL, limit & 0xff);
    outb(IDE_HCYL, limit >> 8);
    inb(IDE_STATUS);
    raises = t->irq_raises[0];
    outb(IDE_CMD, WIN_PACKETCMD);
    /* The packet phase: DRQ, CoD=1 IO=0, and no interrupt (accelerated DRQ). */
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_uint_eq(inb(IDE_NSECTOR), ATAPI_INT_REASON_CD);
    ck_assert_uint_eq(t->irq_raises[0], raises);
    for (int i = 0; i < 6; i++) {
        outw(IDE_DATA, cdb[2 * i] | (cdb[2 * i + 1] << 8));
    }
    if (dma) {
        outb(t->bmdma, BM_CMD_START | BM_CMD_READ);
    }
    for (;;) {
        uint8_t st = ide_wait_not_busy(IDE_ALTSTATUS);
        unsigned n;

        if (!(st & DRQ_STAT) || dma) {
            break;
        }
        n = inb(IDE_LCYL) | (inb(IDE_HCYL) << 8);
        ck_assert_uint_eq(inb(IDE_NSECTOR), ATAPI_INT_REASON_IO);
        ck_assert_uint_gt(n, 0);
        ck_assert_uint_lt(r->nblocks, 32);
        r->blocks[r->nblocks++] = n;
        inb(IDE_STATUS); /* acknowledges the block's interrupt */
        for (unsigned k = 0; k < n; k += 2) {
            uint16_t v = inw(IDE_DATA);

            data[r->len + k] = v;
            data[r->len + k + 1] = v >> 8;
        }
        r->len += n;
    }
    if (dma) {
        outb(t->bmdma, 0);
    }
    r->irqs = t->irq_raises[0] - raises;
    r->status = inb(IDE_ALTSTATUS);
    r->error = inb(IDE_ERROR);
    r->reason = inb(IDE_NSECTOR);
    inb(IDE_STATUS);
}

#define CDB(...) ((const uint8_t[12]){ __VA_ARGS__ })

/* A GOOD status phase: DRDY, IO|CoD, one interrupt per block and one more. */
static void good(const Reply *r, unsigned len)
{
    ck_assert_uint_eq(r->status, READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(r->error, 0);
    ck_assert_uint_eq(r->reason, ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    ck_assert_uint_eq(r->len, len);
    ck_assert_uint_eq(r->irqs, r->nblocks + 1);
}

static void sense_is(uint8_t key, uint8_t asc)
{
    Reply r;

    packet(CDB(0x03, 0, 0, 0, 18), 0xfffe, false, &r);
    good(&r, 18);
    ck_assert_uint_eq(data[0], 0xf0);
    ck_assert_uint_eq(data[2], key);
    ck_assert_uint_eq(data[7], 10);
    ck_assert_uint_eq(data[12], asc);
}

/* CHECK CONDITION: DRDY|ERR, the key in the error register's high nibble. */
static void check_condition(const uint8_t *cdb, uint8_t key, uint8_t asc)
{
    Reply r;

    packet(cdb, 0xfffe, false, &r);
    ck_assert_uint_eq(r.status, READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_uint_eq(r.error, key << 4);
    ck_assert_uint_eq(r.reason, ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_uint_eq(r.irqs, 1);
    sense_is(key, asc);
}

static void expect_bytes(const Reply *r, const uint8_t *want, unsigned n)
{
    good(r, n);
    ck_assert_mem_eq(data, want, n);
}

/* A medium there from power-on is no change: nothing to report. */
static void clear_unit_attention(void)
{
    Reply r;

    packet(CDB(0x00), 0xfffe, false, &r);
    good(&r, 0);
}

START_TEST(test_signature)
{
    uint16_t id[256];

    setup_cd(NULL, CD_SIZE);
    /* SRST: the packet signature, DRDY clear (ATA/ATAPI-6 9.12, 9.1). */
    outb(IDE_CTRL, IDE_CTRL_RESET);
    outb(IDE_CTRL, 0);
    taskfile_is(0x00, 0x01, 0x01, 0x01, 0x14, 0xeb);
    outb(IDE_LCYL, 0x55);
    outb(IDE_SELECT, 0xa0);
    outb(IDE_CMD, WIN_DIAGNOSE);
    taskfile_is(0x00, 0x01, 0x01, 0x01, 0x14, 0xeb);
    ck_assert_uint_eq(inb(IDE_SELECT), 0xa0);
    /* IDENTIFY DEVICE and READ SECTORS: aborted, the signature shown
     * (the head bits cleared, the device bits kept). */
    outb(IDE_SELECT, 0xa5);
    outb(IDE_LCYL, 0);
    outb(IDE_CMD, WIN_IDENTIFY);
    taskfile_is(READY_STAT | SEEK_STAT | ERR_STAT, ABRT_ERR, 0x01, 0x01, 0x14, 0xeb);
    ck_assert_uint_eq(inb(IDE_SELECT), 0xa0);
    outb(IDE_HCYL, 0);
    outb(IDE_CMD, WIN_READ);
    taskfile_is(READY_STAT | SEEK_STAT | ERR_STAT, ABRT_ERR, 0x01, 0x01, 0x14, 0xeb);
    /* Disk commands a packet device lacks: aborted, no signature. */
    outb(IDE_HCYL, 0);
    outb(IDE_CMD, WIN_READDMA);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_uint_eq(inb(IDE_HCYL), 0);
    /* DEVICE RESET: the signature again, no interrupt. */
    inb(IDE_STATUS);
    outb(IDE_CMD, WIN_DEVICE_RESET);
    taskfile_is(0x00, 0x01, 0x01, 0x01, 0x14, 0xeb);
    ck_assert_int_eq(t->irq_level[0], 0);
    /* IDENTIFY PACKET DEVICE */
    outb(IDE_CMD, WIN_PIDENTIFY);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ide_pio_in(id, 512);
    ck_assert_uint_eq(id[0], 0x85c0);   /* ATAPI, CD-ROM, removable, 50 us DRQ, 12 bytes */
    ck_assert_uint_eq(id[49], 0x0300);  /* LBA, DMA */
    ck_assert_uint_eq(id[63], 0x0007);
    ck_assert_uint_eq(id[88], 0x003f);
    ck_assert_uint_eq(id[27], ('D' << 8) | 'U'); /* "DUET DVD-ROM" */
}
END_TEST

/* An ATA disk refuses the packet commands. */
START_TEST(test_disk_refuses_packet)
{
    g_autofree char *opt = NULL;
    Error *err = NULL;

    t = it_new();
    opt = g_strdup_printf("file=%s,format=raw,index=0", it_image(t, "d.raw", "raw", 1 << 20));
    ck_assert(it_drives(t, &err, opt, NULL));
    it_firmware(t);
    outb(IDE_SELECT, 0xa0);
    outb(IDE_CMD, WIN_PACKETCMD);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_uint_eq(inb(IDE_ERROR), ABRT_ERR);
    outb(IDE_CMD, WIN_PIDENTIFY);
    ck_assert_uint_eq(inb(IDE_ERROR), ABRT_ERR);
    ck_assert_uint_eq(inb(IDE_LCYL), 0);
}
END_TEST

START_TEST(test_unit_attention_and_sense)
{
    Error *err = NULL;
    Reply r;

    setup_cd(NULL, CD_SIZE);
    /* From power-on: no UNIT ATTENTION, no media event (as QEMU 7.2) */
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 4, 4, 0x10, 0, 2, 0, 0 }, 8);
    packet(CDB(0x00), 0xfffe, false, &r);
    good(&r, 0);
    sense_is(0, 0);
    /* A new medium: INQUIRY (allowed with a UNIT ATTENTION pending) keeps
     * it, TEST UNIT READY reports it once, the NEW MEDIA event once. */
    ck_assert(ide_cd_change_medium(&t->ide->bus[0].ifs[0],
                                   blk_new_open(img, "raw", NULL, true, &err), &err));
    packet(CDB(0x12, 0, 0, 0, 36), 0xfffe, false, &r);
    good(&r, 36);
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 4, 4, 0x10, 2, 2, 0, 0 }, 8);
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 4, 4, 0x10, 0, 2, 0, 0 }, 8);
    check_condition(CDB(0x00), SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    packet(CDB(0x00), 0xfffe, false, &r);
    good(&r, 0);
    sense_is(0, 0);
    /* REQUEST SENSE first also ends the UNIT ATTENTION */
    ck_assert(ide_cd_change_medium(&t->ide->bus[0].ifs[0],
                                   blk_new_open(img, "raw", NULL, true, &err), &err));
    sense_is(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    packet(CDB(0x00), 0xfffe, false, &r);
    good(&r, 0);
    /* Taking the medium out: NOT READY */
    ck_assert(ide_cd_change_medium(&t->ide->bus[0].ifs[0], NULL, &err));
    check_condition(CDB(0x25), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    /* a disk has no medium to change */
    ck_assert(!ide_cd_change_medium(&t->ide->bus[0].ifs[1], NULL, &err));
    error_free(err);
    err = NULL;

    /* REQUEST SENSE with a short allocation length */
    packet(CDB(0x03, 0, 0, 0, 8), 0xfffe, false, &r);
    good(&r, 8);
    ck_assert_uint_eq(data[0], 0xf0);
    ck_assert_uint_eq(data[7], 0x0a);
    /* An error's sense stays until reported */
    check_condition(CDB(0xff), SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_OPCODE);
    check_condition(CDB(0x12, 1, 0x80, 0, 36), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    check_condition(CDB(0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
}
END_TEST

START_TEST(test_commands)
{
    Reply r;

    setup_cd(NULL, CD_SIZE);
    clear_unit_attention();
    packet(CDB(0x12, 0, 0, 0, 36), 0xfffe, false, &r);
    good(&r, 36);
    ck_assert_mem_eq(data, ((const uint8_t[]){ 0x05, 0x80, 0x00, 0x21, 0x1f }), 5);
    ck_assert_mem_eq(data + 8, "DUET    DUET DVD-ROM", 20);
    packet(CDB(0x12, 1, 0, 0, 36), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0x05, 0x00, 0x00, 0x02, 0x00, 0x83 }, 6);
    packet(CDB(0x12, 1, 0x83, 0, 64), 0xfffe, false, &r);
    good(&r, 28);
    ck_assert_mem_eq(data, ((const uint8_t[]){ 0x05, 0x83, 0, 0x18, 0x02, 0, 0, 0x14 }), 8);
    ck_assert_mem_eq(data + 8, "DUET0001            ", 20);
    packet(CDB(0x25), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0, 0x01, 0x2b, 0, 0, 0x08, 0 }, 8);
    /* READ TOC, format 00b: track 1 and the lead-out, LBA and MSF */
    packet(CDB(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0x00, 0x12, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0,
                                        0, 0x16, 0xaa, 0, 0, 0, 0x01, 0x2c }, 20);
    packet(CDB(0x43, 2, 0, 0, 0, 0, 0, 0x03, 0x24), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0x00, 0x12, 1, 1, 0, 0x14, 1, 0, 0, 0, 2, 0,
                                        0, 0x16, 0xaa, 0, 0, 0, 6, 0 }, 20); /* 300+150 */
    packet(CDB(0x43, 0, 0, 0, 0, 0, 0xaa, 0x03, 0x24), 0xfffe, false, &r);
    good(&r, 12);
    check_condition(CDB(0x43, 0, 0, 0, 0, 0, 2, 0x03, 0x24), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    /* format 01b (byte 9) and 10b; MMC's byte 2 field is not read */
    packet(CDB(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0x40), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0x0a, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 12);
    packet(CDB(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0x80), 0xfffe, false, &r);
    good(&r, 48);
    ck_assert_mem_eq(data, ((const uint8_t[]){ 0, 0x2e, 1, 1, 1, 0x14, 0, 0xa0, 0, 0, 0, 0,
                                               1, 0, 0 }), 15);
    ck_assert_mem_eq(data + 26, ((const uint8_t[]){ 1, 0x14, 0, 0xa2, 0, 0, 0, 0, 0, 1, 0x2c }),
                     11);
    packet(CDB(0x43, 0, 2, 0, 0, 0, 0, 0x03, 0x24), 0xfffe, false, &r);
    good(&r, 20);
    check_condition(CDB(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0xc0), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    /* GET CONFIGURATION: the profile list, CD-ROM current */
    packet(CDB(0x46, 0, 0, 0, 0, 0, 0, 0x01, 0), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0, 0, 0x10, 0, 0, 0, 0x08, 0, 0, 0x03, 0x08,
                                        0, 0x10, 0, 0, 0, 0x08, 1, 0 }, 20);
    check_condition(CDB(0x46, 2, 0, 1, 0, 0, 0, 0x01, 0), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    /* MODE SENSE(10) */
    packet(CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0x1c, 0x70, 0, 0, 0, 0, 0, 0x2a, 0x14, 0x3b, 0,
                                        0x71, 0x60, 0x29, 0, 0x02, 0xc0, 0, 2, 2, 0, 2, 0xc0,
                                        0, 0, 0, 0, 0, 0 }, 30);
    packet(CDB(0x5a, 0, 0x01, 0, 0, 0, 0, 0, 128), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0x0e, 0x70, 0, 0, 0, 0, 0, 0x01, 0x06, 0, 5,
                                        0, 0, 0, 0 }, 16);
    packet(CDB(0x5a, 0, 0x0e, 0, 0, 0, 0, 0, 128), 0xfffe, false, &r);
    good(&r, 24);
    packet(CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 8), 0xfffe, false, &r);
    good(&r, 8);
    check_condition(CDB(0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 128), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    check_condition(CDB(0x5a, 0, 0x6a, 0, 0, 0, 0, 0, 128), SENSE_ILLEGAL_REQUEST,
                    ASC_INV_FIELD_IN_CMD_PACKET);
    check_condition(CDB(0x5a, 0, 0xea, 0, 0, 0, 0, 0, 128), SENSE_ILLEGAL_REQUEST,
                    ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
    /* GET EVENT STATUS NOTIFICATION: no event, a medium present */
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 4, 4, 0x10, 0, 2, 0, 0 }, 8);
    packet(CDB(0x4a, 1, 0, 0, 0x02, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0, 0x80, 0x10 }, 4);
    packet(CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 34), 0xfffe, false, &r);
    good(&r, 34);
    ck_assert_mem_eq(data, ((const uint8_t[]){ 0, 0x20, 0x0e, 1, 1, 1, 1, 0x20 }), 8);
    packet(CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0, 0, 0, 0, 1, 0, 0 }, 8);
}
END_TEST

START_TEST(test_read)
{
    g_autofree uint8_t *want = g_malloc(CD_SIZE);
    Reply r;

    setup_cd(NULL, CD_SIZE);
    it_pattern(want, CD_SIZE, 3);
    clear_unit_attention();
    /* One DRQ block as long as the limit allows, across medium blocks */
    packet(CDB(0x28, 0, 0, 0, 0, 40, 0, 0, 3), 0xfffe, false, &r);
    good(&r, 3 * 2048);
    ck_assert_uint_eq(r.nblocks, 1);
    ck_assert_mem_eq(data, want + 40 * 2048, 3 * 2048);
    packet(CDB(0x28, 0, 0, 0, 0, 40, 0, 0, 2), 0x600, false, &r);
    good(&r, 4096);
    ck_assert_uint_eq(r.nblocks, 3);
    ck_assert_uint_eq(r.blocks[0], 0x600);
    ck_assert_uint_eq(r.blocks[2], 0x400);
    ck_assert_mem_eq(data, want + 40 * 2048, 4096);
    /* An odd limit is used even; FFFFh means FFFEh; 0 (invalid) the same */
    packet(CDB(0xa8, 0, 0, 0, 0x01, 0x2b, 0, 0, 0, 1), 0x401, false, &r);
    ck_assert_uint_eq(r.blocks[0], 0x400);
    ck_assert_mem_eq(data, want + 299 * 2048, 2048);
    packet(CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 40), 0xffff, false, &r);
    good(&r, 40 * 2048);
    ck_assert_uint_eq(r.blocks[0], 0xfffe);
    ck_assert_mem_eq(data, want, 40 * 2048);
    packet(CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 40), 0, false, &r);
    ck_assert_uint_eq(r.blocks[0], 0xfffe);
    /* READ CD, user data */
    packet(CDB(0xbe, 0, 0, 0, 0, 16, 0, 0, 1, 0x10), 0xfffe, false, &r);
    good(&r, 2048);
    ck_assert_mem_eq(data, want + 16 * 2048, 2048);
    packet(CDB(0x28, 0, 0, 0, 0, 16, 0, 0, 0), 0xfffe, false, &r);
    good(&r, 0);
    check_condition(CDB(0x28, 0, 0, 0, 0x01, 0x2b, 0, 0, 2), SENSE_ILLEGAL_REQUEST,
                    ASC_LOGICAL_BLOCK_OOR);
    check_condition(CDB(0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1), SENSE_ILLEGAL_REQUEST,
                    ASC_LOGICAL_BLOCK_OOR);
    /* An odd allocation length: the last word carries one byte, and the
     * command ends (QEMU 7.2's never does). */
    packet(CDB(0x12, 0, 0, 0, 5), 0xfffe, false, &r);
    good(&r, 5);
    ck_assert_uint_eq(r.blocks[0], 5);
}
END_TEST

static void prd(int i, uint32_t addr, uint32_t count, bool eot)
{
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i, addr, MEMTXATTRS_UNSPECIFIED,
                      NULL);
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i + 4,
                      count | (eot ? BMDMA_PRD_EOT : 0), MEMTXATTRS_UNSPECIFIED, NULL);
}

static void bm_setup(void)
{
    outb(t->bmdma, 0);
    outb(t->bmdma + 2, BM_STATUS_INT | BM_STATUS_ERROR);
    outl(t->bmdma + 4, PRD_TABLE);
}

START_TEST(test_dma)
{
    g_autofree uint8_t *want = g_malloc(CD_SIZE);
    Reply r;

    setup_cd(NULL, CD_SIZE);
    it_pattern(want, CD_SIZE, 3);
    clear_unit_attention();
    /* READ(10) of 3 blocks over two PRDs, one not a multiple of 2048 */
    memset(t->ram_ptr + BUF, 0, 0x4000);
    prd(0, BUF, 0x1200, false);
    prd(1, BUF + 0x2000, 0x0600, true);
    bm_setup();
    packet(CDB(0x28, 0, 0, 0, 0, 7, 0, 0, 3), 0, true, &r);
    ck_assert_uint_eq(r.status, READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(r.reason, ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    ck_assert_uint_eq(r.irqs, 1);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF, want + 7 * 2048, 0x1200);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x2000, want + 7 * 2048 + 0x1200, 0x600);
    /* Reply data of any length by DMA (READ CAPACITY: 8 bytes) */
    memset(t->ram_ptr + BUF, 0xee, 16);
    prd(0, BUF, 512, true);
    bm_setup();
    packet(CDB(0x25), 0, true, &r);
    ck_assert_uint_eq(r.status, READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(t->ram_ptr + BUF, ((const uint8_t[]){ 0, 0, 1, 0x2b, 0, 0, 8, 0, 0xee }),
                     9);
    /* A table shorter than the data: the engine stops, the drive keeps
     * DRQ; a new table finishes the command. */
    prd(0, BUF, 1024, true);
    bm_setup();
    packet(CDB(0x28, 0, 0, 0, 0, 9, 0, 0, 1), 0, true, &r);
    ck_assert_uint_eq(r.status, READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 7, 0);
    prd(0, BUF + 1024, 1024, true);
    outl(t->bmdma + 4, PRD_TABLE);
    outb(t->bmdma, BM_CMD_START | BM_CMD_READ);
    ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(inb(IDE_NSECTOR), ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    ck_assert_mem_eq(t->ram_ptr + BUF, want + 9 * 2048, 2048);
    outb(t->bmdma, 0);
    inb(IDE_STATUS);
    /* Memory nothing decodes: BMDMA Error, CHECK CONDITION ABORTED COMMAND */
    prd(0, IT_UNMAPPED, 2048, true);
    bm_setup();
    packet(CDB(0x28, 0, 0, 0, 0, 9, 0, 0, 1), 0, true, &r);
    ck_assert_uint_eq(r.status, READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_uint_eq(r.error, SENSE_ABORTED_COMMAND << 4);
    ck_assert_uint_eq(inb(t->bmdma + 2) & BM_STATUS_ERROR, BM_STATUS_ERROR);
    sense_is(SENSE_ABORTED_COMMAND, 0);
}
END_TEST

START_TEST(test_no_medium)
{
    Reply r;

    setup_cd(NULL, 0);
    /* No medium, no UNIT ATTENTION: NOT READY, MEDIUM NOT PRESENT */
    check_condition(CDB(0x00), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    check_condition(CDB(0x25), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    check_condition(CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    check_condition(CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 12), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    check_condition(CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 34), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    packet(CDB(0x12, 0, 0, 0, 36), 0xfffe, false, &r);
    good(&r, 36);
    packet(CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 0, 0, 0x10, 0, 0, 0, 0 }, 8); /* no profile */
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    expect_bytes(&r, (const uint8_t[]){ 0, 4, 4, 0x10, 0, 0, 0, 0 }, 8);
    /* a locked, empty tray refuses to open with ILLEGAL REQUEST (QEMU 7.2) */
    packet(CDB(0x1e, 0, 0, 0, 1), 0xfffe, false, &r);
    good(&r, 0);
    check_condition(CDB(0x1b, 0, 0, 0, 2), SENSE_ILLEGAL_REQUEST, ASC_MEDIA_REMOVAL_PREVENTED);
}
END_TEST

START_TEST(test_tray)
{
    Reply r;

    setup_cd(NULL, CD_SIZE);
    clear_unit_attention();
    packet(CDB(0x1e, 0, 0, 0, 1), 0xfffe, false, &r);
    good(&r, 0);
    packet(CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 16), 0xfffe, false, &r);
    ck_assert_uint_eq(data[14], 0x2b); /* lock state */
    check_condition(CDB(0x1b, 0, 0, 0, 2), SENSE_NOT_READY, ASC_MEDIA_REMOVAL_PREVENTED);
    packet(CDB(0x1e, 0, 0, 0, 0), 0xfffe, false, &r);
    good(&r, 0);
    packet(CDB(0x1b, 0, 0, 0, 2), 0xfffe, false, &r); /* eject */
    good(&r, 0);
    check_condition(CDB(0x00), SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 0xfffe, false, &r);
    ck_assert_uint_eq(data[5], 0x01); /* door open, no medium present */
    packet(CDB(0x1b, 0, 0, 0, 3), 0xfffe, false, &r); /* load */
    good(&r, 0);
    packet(CDB(0x00), 0xfffe, false, &r); /* the same medium: no UNIT ATTENTION */
    good(&r, 0);
}
END_TEST

/* A medium larger than a CD is a DVD (GET CONFIGURATION's current profile). */
START_TEST(test_dvd_profile)
{
    Reply r;

    setup_cd(NULL, 800 * 1024 * 1024);
    packet(CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 20), 0xfffe, false, &r);
    good(&r, 20);
    ck_assert_uint_eq(data[7], 0x10);
    ck_assert_uint_eq(data[14], 1);
    ck_assert_uint_eq(data[18], 0);
}
END_TEST

/* A CD on the secondary channel (-cdrom's index 2), beside a disk. */
START_TEST(test_cdrom_index2)
{
    g_autofree char *cd = NULL, *hd = NULL;
    Error *err = NULL;

    t = it_new();
    cd = g_strdup_printf("file=%s,index=2,media=cdrom", it_image(t, "c.iso", "raw", CD_SIZE));
    hd = g_strdup_printf("file=%s,format=raw,index=0", it_image(t, "d.raw", "raw", 1 << 20));
    ck_assert_msg(it_drives(t, &err, cd, hd, NULL), "%s", err ? error_get_pretty(err) : "");
    it_firmware(t);
    ck_assert(t->ide->bus[1].ifs[0].drive_class == &ide_cd_class);
    ck_assert(t->ide->bus[0].ifs[0].drive_class == &ide_hd_class);
    ck_assert(blk_is_read_only(t->ide->bus[1].ifs[0].blk));
    ck_assert_uint_eq(inb(0x174), 0x14);
    ck_assert_uint_eq(inb(0x175), 0xeb);
}
END_TEST

/*
 * Random packets (a fixed seed): every one must end in the status phase,
 * GOOD or CHECK CONDITION, after at most the data it announced, by PIO
 * with random byte count limits and by DMA with random PRD tables in RAM;
 * the device never hangs, and its answers stay inside the allocation.
 */
START_TEST(test_random_packets)
{
    static const uint8_t ops[] = { 0x00, 0x03, 0x12, 0x1b, 0x1e, 0x25, 0x28, 0x43, 0x46, 0x4a,
                                   0x51, 0x5a, 0xa8, 0xbd, 0xbe, 0x55, 0xff };
    g_autoptr(GRand) rnd = g_rand_new_with_seed(0xcd00cd);
    unsigned good_n = 0, check_n = 0, blocks_n = 0, dma_ok = 0, stalls = 0;

    setup_cd(NULL, CD_SIZE);
    for (int iter = 0; iter < 1500; iter++) {
        uint8_t cdb[12];
        bool dma = g_rand_boolean(rnd);
        uint16_t limit = g_rand_int_range(rnd, 0, 0x10000);
        unsigned guard = 0;
        uint8_t st;

        for (int i = 0; i < 12; i++) {
            cdb[i] = g_rand_int_range(rnd, 0, 256);
        }
        cdb[0] = ops[g_rand_int_range(rnd, 0, sizeof(ops))];
        if ((cdb[0] == 0x28 || cdb[0] == 0xa8 || cdb[0] == 0xbe) && g_rand_boolean(rnd)) {
            /* mostly inside the medium, a few blocks */
            cdb[2] = cdb[3] = 0;
            cdb[4] = g_rand_int_range(rnd, 0, 2);
            cdb[6] = cdb[7] = cdb[8] = 0;
            cdb[cdb[0] == 0x28 ? 8 : 9] = g_rand_int_range(rnd, 0, 8);
        }
        if (cdb[0] == 0x1b) {
            cdb[4] &= ~2; /* keep the tray closed: it is the medium under test */
        }
        if (dma) {
            int n = g_rand_int_range(rnd, 1, 4);

            for (int i = 0; i < n; i++) {
                prd(i, BUF + i * 0x10000, g_rand_int_range(rnd, 1, 0x8000) * 2, i == n - 1);
            }
            bm_setup();
        }
        outb(IDE_SELECT, 0xa0);
        outb(IDE_FEATURE, dma);
        outb(IDE_LCYL, limit & 0xff);
        outb(IDE_HCYL, limit >> 8);
        outb(IDE_CMD, WIN_PACKETCMD);
        ck_assert_uint_eq(inb(IDE_ALTSTATUS) & (BUSY_STAT | DRQ_STAT), DRQ_STAT);
        for (int i = 0; i < 6; i++) {
            outw(IDE_DATA, cdb[2 * i] | (cdb[2 * i + 1] << 8));
        }
        if (dma) {
            outb(t->bmdma, BM_CMD_START | BM_CMD_READ);
        }
        for (;;) {
            st = ide_wait_not_busy(IDE_ALTSTATUS);
            if (!(st & DRQ_STAT)) {
                break;
            }
            if (dma) {
                /* the table was too short: stop the engine, reset the drive */
                ck_assert_uint_eq(inb(t->bmdma + 2) & BM_STATUS_DMAING, 0);
                outb(t->bmdma, 0);
                outb(IDE_CTRL, IDE_CTRL_RESET);
                outb(IDE_CTRL, 0);
                st = ide_wait_not_busy(IDE_ALTSTATUS);
                ck_assert_uint_eq(st & (BUSY_STAT | DRQ_STAT), 0);
                stalls++;
                break;
            }
            unsigned n = inb(IDE_LCYL) | (inb(IDE_HCYL) << 8);
            ck_assert_uint_gt(n, 0);
            ck_assert_uint_le(n, limit == 0 || limit == 0xffff ? 0xfffe : limit);
            ck_assert_uint_eq(inb(IDE_NSECTOR), ATAPI_INT_REASON_IO);
            for (unsigned k = 0; k < n; k += 2) {
                inw(IDE_DATA);
            }
            blocks_n++;
            ck_assert_uint_lt(++guard, 2000);
        }
        if (dma) {
            outb(t->bmdma, 0);
        }
        if (!(inb(IDE_ALTSTATUS) & 0x7f) && inb(IDE_LCYL) == 0x14) {
            continue; /* reset above: the signature, nothing to check */
        }
        ck_assert_uint_eq(inb(IDE_NSECTOR), ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
        ck_assert_uint_eq(st & ~ERR_STAT, READY_STAT | SEEK_STAT);
        if (st & ERR_STAT) {
            check_n++;
        } else {
            good_n++;
            dma_ok += dma;
        }
        inb(IDE_STATUS);
    }
    /* every kind of ending happened, many times */
    ck_assert_msg(good_n > 200 && check_n > 200 && blocks_n > 200 && dma_ok > 100,
                  "good %u check %u pio blocks %u dma good %u stalls %u", good_n, check_n,
                  blocks_n, dma_ok, stalls);
}
END_TEST

static Suite *atapi_suite(void)
{
    Suite *s = suite_create("ide-atapi");
    TCase *tc = tcase_create("atapi");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_signature);
    tcase_add_test(tc, test_disk_refuses_packet);
    tcase_add_test(tc, test_unit_attention_and_sense);
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_read);
    tcase_add_test(tc, test_dma);
    tcase_add_test(tc, test_no_medium);
    tcase_add_test(tc, test_tray);
    tcase_add_test(tc, test_dvd_profile);
    tcase_add_test(tc, test_cdrom_index2);
    tcase_add_test(tc, test_random_packets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    it_memory_init();
    sr = srunner_create(atapi_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
