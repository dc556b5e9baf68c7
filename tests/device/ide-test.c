/*
 * ATA register-level sequences on the PIIX3 IDE channel 0, no CPU:
 * IDENTIFY, PIO reads/writes (LBA28, LBA48, CHS, MULTIPLE), flush, SET
 * FEATURES, power commands, SRST, nIEN, HOB, and the error paths.
 */
#include "ide-harness.h"

#include <string.h>

#define IMG_SECTORS 2048
#define IMG_SIZE (IMG_SECTORS * 512)

static IDETest *t;
static const char *img;

/* A raw image with a pattern, as master of channel 0. */
static void setup_one_drive(const char *extra)
{
    g_autofree uint8_t *buf = g_malloc(IMG_SIZE);
    g_autofree char *opt = NULL;
    Error *err = NULL;

    t = it_new();
    img = it_image(t, "disk.raw", "raw", IMG_SIZE);
    it_pattern(buf, IMG_SIZE, 1);
    it_image_write(img, "raw", 0, buf, IMG_SIZE);
    opt = g_strdup_printf("file=%s,format=raw,if=ide,index=0%s", img, extra ? extra : "");
    if (!it_drives(t, &err, opt, NULL)) {
        ck_abort_msg("%s", error_get_pretty(err));
    }
    it_firmware(t);
}

static void teardown(void)
{
    it_free(t);
    t = NULL;
}

static void identify(uint16_t *words)
{
    outb(IDE_SELECT, 0xa0);
    outb(IDE_CMD, 0xec);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & (DRQ_STAT | ERR_STAT), DRQ_STAT);
    ide_pio_in(words, 512);
}

static void ata_string(const uint16_t *words, int n, char *out)
{
    for (int i = 0; i < n; i++) {
        out[2 * i] = words[i] >> 8;
        out[2 * i + 1] = words[i] & 0xff;
    }
    out[2 * n] = 0;
    g_strchomp(out);
}

START_TEST(test_identify)
{
    uint16_t w[256];
    char model[41], serial[21];
    uint8_t sum = 0;

    setup_one_drive(NULL);
    identify(w);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 1);
    ck_assert_int_eq(t->irq_level[0], 0); /* the status read lowered it */
    ata_string(w + 27, 20, model);
    ck_assert_str_eq(model, "DUET HARDDISK");
    ata_string(w + 10, 10, serial);
    ck_assert_str_eq(serial, "DUET0001");
    ck_assert_uint_eq(w[0], 0x0040);
    ck_assert_uint_eq(w[47], 0x8010);
    ck_assert_uint_eq(w[59], 0x0110);
    ck_assert_uint_eq(w[49] & (1 << 9), 1 << 9);
    ck_assert_uint_eq(w[60] | (w[61] << 16), IMG_SECTORS);
    ck_assert_uint_eq(w[100] | (w[101] << 16), IMG_SECTORS);
    ck_assert_uint_eq(w[102] | w[103], 0);
    ck_assert_uint_eq(w[83] & 0x7400, 0x7400);
    ck_assert_uint_eq(w[86] & 0x3400, 0x3400);
    ck_assert_uint_eq(w[82] & (1 << 5), 1 << 5);
    ck_assert_uint_eq(w[85] & (1 << 5), 1 << 5); /* write cache on (writeback) */
    ck_assert_uint_eq(w[88] & 0x3f, 0x3f);
    for (int i = 0; i < 256; i++) {
        sum += (w[i] & 0xff) + (w[i] >> 8);
    }
    ck_assert_uint_eq(w[255] & 0xff, 0xa5);
    ck_assert_uint_eq(sum, 0);
    /* The data port is empty now. */
    ck_assert_uint_eq(inw(IDE_DATA), 0xffff);
}
END_TEST

START_TEST(test_pio_read_lba28)
{
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    uint8_t buf[3 * 512];

    setup_one_drive(NULL);
    it_pattern(expect, IMG_SIZE, 1);
    ide_lba28(0, 5, 3);
    outb(IDE_CMD, 0x20);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
        ck_assert_int_eq(t->irq_level[0], 1); /* one interrupt per DRQ block */
        ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
        ide_pio_in(buf + 512 * i, 512);
    }
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 3);
    ck_assert_int_eq(t->irq_level[0], 0);
    ck_assert_mem_eq(buf, expect + 5 * 512, sizeof(buf));
}
END_TEST

START_TEST(test_pio_read_32bit)
{
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    uint32_t buf[128];

    setup_one_drive(NULL);
    it_pattern(expect, IMG_SIZE, 1);
    ide_lba28(0, 9, 1);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
    for (int i = 0; i < 128; i++) {
        buf[i] = inl(IDE_DATA);
    }
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(buf, expect + 9 * 512, 512);
}
END_TEST

/* PIO data-out: DRQ without an interrupt first, then one per block. */
START_TEST(test_pio_write_image)
{
    uint8_t data[2 * 512], back[4 * 512], orig[4 * 512];
    char *path;

    setup_one_drive(NULL);
    path = g_strdup(img);
    it_image_read(img, "raw", 99 * 512, orig, sizeof(orig));
    it_pattern(data, sizeof(data), 7);
    ide_lba28(0, 100, 2);
    outb(IDE_CMD, 0x30);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_int_eq(t->irq_raises[0], 0);
    ide_pio_out(data, 512);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_int_eq(t->irq_raises[0], 1);
    inb(IDE_STATUS);
    ide_pio_out(data + 512, 512);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 2);
    it_image_read(path, "raw", 99 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, orig, 512);
    ck_assert_mem_eq(back + 512, data, sizeof(data));
    ck_assert_mem_eq(back + 3 * 512, orig + 3 * 512, 512);
    g_free(path);
}
END_TEST

START_TEST(test_pio_lba48_and_hob)
{
    const uint64_t lba = 0x101a2b3cULL; /* above the 28-bit range */
    uint8_t data[512], back[512];
    Error *err = NULL;
    const char *q;
    g_autofree char *opt = NULL;

    t = it_new();
    q = it_image(t, "big.qcow2", "qcow2", 129LL << 30);
    opt = g_strdup_printf("file=%s,format=qcow2,index=0", q);
    ck_assert(it_drives(t, &err, opt, NULL));
    it_firmware(t);

    /* HOB: the previous register contents read back with HOB set. */
    ide_lba48(0, lba, 0x0201);
    ck_assert_uint_eq(inb(IDE_SECTOR), 0x3c);
    ck_assert_uint_eq(inb(IDE_HCYL), 0x1a);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x01);
    outb(IDE_CTRL, IDE_CTRL_HOB);
    ck_assert_uint_eq(inb(IDE_SECTOR), 0x10);
    ck_assert_uint_eq(inb(IDE_LCYL), 0x00);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x02);
    /* A command-block write clears HOB (ATA-6 7.9.6). */
    outb(IDE_NSECTOR, 0x01);
    ck_assert_uint_eq(inb(IDE_SECTOR), 0x3c);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x01);
    outb(IDE_CTRL, IDE_CTRL_HOB);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x01); /* the previous value moved up */
    outb(IDE_CTRL, 0);
    ide_lba48(0, lba, 1);

    it_pattern(data, sizeof(data), 3);
    outb(IDE_CMD, 0x34);
    ck_assert_int_eq(inb(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
    ide_pio_out(data, 512);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);

    ide_lba48(0, lba, 1);
    outb(IDE_CMD, 0x24);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
    ide_pio_in(back, 512);
    ck_assert_mem_eq(back, data, 512);

    /* The same low 28 bits through LBA28 are a different (empty) sector. */
    ide_lba28(0, lba & 0x0fffffff, 1);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
    ide_pio_in(back, 512);
    for (int i = 0; i < 512; i++) {
        ck_assert_uint_eq(back[i], 0);
    }
}
END_TEST

START_TEST(test_read_write_multiple)
{
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    uint8_t buf[20 * 512], data[10 * 512];
    int blocks = 0;

    setup_one_drive(NULL);
    it_pattern(expect, IMG_SIZE, 1);
    /* Default multiple count 16 (IDENTIFY word 59): blocks of 16 then 4. */
    ide_lba28(0, 0, 20);
    outb(IDE_CMD, 0xc4);
    for (int done = 0; done < 20; blocks++) {
        int n = MIN(16, 20 - done);
        ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
        inb(IDE_STATUS);
        ide_pio_in(buf + done * 512, n * 512);
        done += n;
    }
    ck_assert_int_eq(blocks, 2);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 2);
    ck_assert_mem_eq(buf, expect, sizeof(buf));

    /* SET MULTIPLE 4, then WRITE MULTIPLE 10 sectors: 4 + 4 + 2. */
    outb(IDE_NSECTOR, 4);
    outb(IDE_CMD, 0xc6);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    it_pattern(data, sizeof(data), 9);
    ide_lba28(0, 50, 10);
    outb(IDE_CMD, 0xc5);
    for (int done = 0; done < 10;) {
        int n = MIN(4, 10 - done);
        ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
        ide_pio_out(data + done * 512, n * 512);
        done += n;
        ide_wait_not_busy(IDE_ALTSTATUS);
        inb(IDE_STATUS);
    }
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ide_lba28(0, 50, 10);
    outb(IDE_CMD, 0x20);
    for (int i = 0; i < 10; i++) {
        ide_wait_not_busy(IDE_ALTSTATUS);
        ide_pio_in(buf + i * 512, 512);
    }
    ck_assert_mem_eq(buf, data, sizeof(data));

    /* Not a power of two: aborted, setting kept. */
    outb(IDE_NSECTOR, 3);
    outb(IDE_CMD, 0xc6);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
    /* Multiple mode off: READ MULTIPLE aborts. */
    outb(IDE_NSECTOR, 0);
    outb(IDE_CMD, 0xc6);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ide_lba28(0, 0, 1);
    outb(IDE_CMD, 0xc4);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
}
END_TEST

START_TEST(test_sector_count_zero)
{
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    g_autofree uint8_t *buf = g_malloc(256 * 512);

    setup_one_drive(NULL);
    it_pattern(expect, IMG_SIZE, 1);
    ide_lba28(0, 1, 0); /* 0 = 256 sectors */
    outb(IDE_CMD, 0x20);
    for (int i = 0; i < 256; i++) {
        ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
        ide_pio_in(buf + i * 512, 512);
    }
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(buf, expect + 512, 256 * 512);
}
END_TEST

START_TEST(test_past_end)
{
    setup_one_drive(NULL);
    ide_lba28(0, IMG_SECTORS - 1, 2);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), IDNF_ERR);
    ck_assert_int_eq(t->irq_raises[0], 1);
    /* The last sector alone is fine. */
    ide_lba28(0, IMG_SECTORS - 1, 1);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    for (int i = 0; i < 256; i++) {
        inw(IDE_DATA);
    }
    /* LBA48 far past the end; writes too; verify too. */
    ide_lba48(0, 1ULL << 40, 1);
    outb(IDE_CMD, 0x34);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), IDNF_ERR);
    ide_lba28(0, IMG_SECTORS, 1);
    outb(IDE_CMD, 0x40);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), IDNF_ERR);
    ide_lba28(0, 0, 0);
    outb(IDE_CMD, 0x40);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ide_lba48(0, IMG_SECTORS - 16, 16);
    outb(IDE_CMD, 0x42);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
}
END_TEST

START_TEST(test_flush)
{
    setup_one_drive(NULL);
    outb(IDE_CMD, 0xe7);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 1);
    inb(IDE_STATUS);
    outb(IDE_CMD, 0xea);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_raises[0], 2);
}
END_TEST

START_TEST(test_set_features)
{
    uint16_t w[256];

    setup_one_drive(NULL);
    outb(IDE_FEATURE, 0x03);
    outb(IDE_NSECTOR, 0x22); /* multiword DMA 2 */
    outb(IDE_CMD, 0xef);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    identify(w);
    ck_assert_uint_eq(w[63], 0x0407);
    outb(IDE_FEATURE, 0x03);
    outb(IDE_NSECTOR, 0x45); /* UDMA 5 */
    outb(IDE_CMD, 0xef);
    identify(w);
    ck_assert_uint_eq(w[88], 0x203f);
    ck_assert_uint_eq(w[63], 0x0007);
    outb(IDE_FEATURE, 0x03);
    outb(IDE_NSECTOR, 0x47); /* UDMA 7: not supported */
    outb(IDE_CMD, 0xef);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
    outb(IDE_FEATURE, 0x82); /* write cache off */
    outb(IDE_CMD, 0xef);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    identify(w);
    ck_assert_uint_eq(w[85] & (1 << 5), 0);
    ck_assert(!blk_enable_write_cache(t->ide->bus[0].ifs[0].blk));
    outb(IDE_FEATURE, 0x02);
    outb(IDE_CMD, 0xef);
    identify(w);
    ck_assert_uint_eq(w[85] & (1 << 5), 1 << 5);
    outb(IDE_FEATURE, 0x99);
    outb(IDE_CMD, 0xef);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
}
END_TEST

START_TEST(test_power_commands)
{
    setup_one_drive(NULL);
    outb(IDE_CMD, 0xe5);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0xff);
    outb(IDE_CMD, 0xe0);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    outb(IDE_CMD, 0xe5);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x00);
    outb(IDE_CMD, 0xe1);
    outb(IDE_CMD, 0xe5);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0xff);
    ck_assert_int_eq(t->irq_raises[0], 5); /* each command writes negate INTRQ first */
}
END_TEST

START_TEST(test_srst)
{
    setup_one_drive(NULL);
    ide_lba28(0, 0, 5);
    outb(IDE_CMD, 0x20);
    ide_wait_not_busy(IDE_ALTSTATUS); /* DRQ, mid-transfer */
    outb(IDE_CTRL, IDE_CTRL_RESET);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), BUSY_STAT);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(inb(IDE_NSECTOR), 1);
    ck_assert_int_eq(inb(IDE_SECTOR), 1);
    ck_assert_int_eq(inb(IDE_LCYL), 0);
    ck_assert_int_eq(inb(IDE_HCYL), 0);
    ck_assert_int_eq(inb(IDE_ERROR), 0x01);
    ck_assert_int_eq(t->irq_level[0], 0);
    ck_assert_uint_eq(inw(IDE_DATA), 0xffff); /* the transfer is gone */
}
END_TEST

/* SRST while a host read is in flight: BSY until it lands, then reset. */
START_TEST(test_srst_in_flight)
{
    setup_one_drive(NULL);
    ide_lba28(0, 0, 16);
    outb(IDE_CMD, 0xc4);
    outb(IDE_CTRL, IDE_CTRL_RESET);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(inb(IDE_NSECTOR), 1);
    ck_assert_int_eq(t->irq_level[0], 0);
    ck_assert_uint_eq(inw(IDE_DATA), 0xffff);
    /* The drive works afterwards. */
    outb(IDE_CMD, 0xe7);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
}
END_TEST

START_TEST(test_nien)
{
    setup_one_drive(NULL);
    outb(IDE_CTRL, IDE_CTRL_DISABLE_IRQ);
    outb(IDE_CMD, 0xe5);
    ck_assert_int_eq(t->irq_raises[0], 0);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    /* The pending interrupt reaches the pin once nIEN clears. */
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(t->irq_level[0], 1);
    inb(IDE_STATUS);
    ck_assert_int_eq(t->irq_level[0], 0);
    /* Alternate status does not acknowledge. */
    outb(IDE_CMD, 0xe5);
    inb(IDE_ALTSTATUS);
    ck_assert_int_eq(t->irq_level[0], 1);
    /* Setting nIEN masks the pending interrupt; a new command clears it. */
    outb(IDE_CTRL, IDE_CTRL_DISABLE_IRQ);
    ck_assert_int_eq(t->irq_level[0], 0);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(t->irq_level[0], 1);
    outb(IDE_CMD, 0xe7);
    ide_wait_not_busy(IDE_ALTSTATUS);
    ck_assert_int_eq(t->irq_level[0], 1); /* the flush's own interrupt */
    inb(IDE_STATUS);
    ck_assert_int_eq(t->irq_level[0], 0);
}
END_TEST

START_TEST(test_absent_devices)
{
    uint16_t w[256];

    setup_one_drive(NULL);
    /* Slave absent: device 0 answers 00h for its status; commands ignored. */
    outb(IDE_SELECT, 0xb0);
    ck_assert_uint_eq(inb(IDE_STATUS), 0x00);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), 0x00);
    outb(IDE_CMD, 0xec);
    ck_assert_uint_eq(inb(IDE_STATUS), 0x00);
    ck_assert_int_eq(t->irq_raises[0], 0);
    ck_assert_uint_eq(inw(IDE_DATA), 0xffff);
    /* Register latches are shared: values written read back. */
    outb(IDE_NSECTOR, 0x55);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 0x55);
    /* Master still fine. */
    identify(w);
    ck_assert_uint_eq(w[0], 0x0040);
    /* Channel 1 has no drives: the bus floats (7Fh with the DD7 pull-down). */
    ck_assert_uint_eq(inb(0x177), 0x7f);
    ck_assert_uint_eq(inb(0x376), 0x7f);
    ck_assert_uint_eq(inb(0x172), 0x7f);
    outb(0x177, 0xec);
    ck_assert_int_eq(t->irq_raises[1], 0);
}
END_TEST

START_TEST(test_unknown_commands_abort)
{
    static const uint8_t cmds[] = { 0x00, 0xa1, 0xa0, 0x10, 0xf8, 0xb0, 0xff };

    setup_one_drive(NULL);
    for (unsigned i = 0; i < sizeof(cmds); i++) {
        outb(IDE_CMD, cmds[i]);
        ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
        ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
        ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    }
    ck_assert_int_eq(t->irq_raises[0], sizeof(cmds));
}
END_TEST

START_TEST(test_busy_and_no_data)
{
    uint8_t buf[512];

    setup_one_drive(NULL);
    /* Data port with nothing to transfer. */
    ck_assert_uint_eq(inw(IDE_DATA), 0xffff);
    outw(IDE_DATA, 0x1234);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    /* While DRQ is set, the command block ignores writes, commands included. */
    ide_lba28(0, 3, 1);
    outb(IDE_CMD, 0x20);
    outb(IDE_CMD, 0xe7); /* ignored: BSY */
    ide_wait_not_busy(IDE_ALTSTATUS);
    outb(IDE_CMD, 0xec);  /* ignored: DRQ */
    outb(IDE_SECTOR, 77); /* ignored */
    ck_assert_uint_eq(inb(IDE_SECTOR), 3);
    ide_pio_in(buf, 512);
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    it_pattern(expect, IMG_SIZE, 1);
    ck_assert_mem_eq(buf, expect + 3 * 512, 512);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    /* A PIO-in transfer ignores data writes. */
    ide_lba28(0, 3, 1);
    outb(IDE_CMD, 0x20);
    ide_wait_not_busy(IDE_ALTSTATUS);
    outw(IDE_DATA, 0xdead);
    ide_pio_in(buf, 512);
    ck_assert_mem_eq(buf, expect + 3 * 512, 512);
}
END_TEST

START_TEST(test_diagnostic)
{
    setup_one_drive(NULL);
    outb(IDE_NSECTOR, 9);
    outb(IDE_SELECT, 0xb0); /* addressed to the absent slave: runs anyway */
    outb(IDE_CMD, 0x90);
    ck_assert_int_eq(t->irq_raises[0], 1);
    ck_assert_uint_eq(inb(IDE_SELECT) & ATA_DEV_DEV, 0);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(inb(IDE_ERROR), 0x01);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 1);
    ck_assert_uint_eq(inb(IDE_SECTOR), 1);
}
END_TEST

START_TEST(test_chs_and_specify)
{
    g_autofree uint8_t *expect = g_malloc(IMG_SIZE);
    uint8_t buf[512];

    setup_one_drive(NULL);
    it_pattern(expect, IMG_SIZE, 1);
    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track. */
    outb(IDE_SELECT, 0xa0 | 3);
    outb(IDE_NSECTOR, 17);
    outb(IDE_CMD, 0x91);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    /* C=1 H=2 S=5 -> (1 * 4 + 2) * 17 + 4 = 106 */
    outb(IDE_SELECT, 0xa0 | 2);
    outb(IDE_NSECTOR, 1);
    outb(IDE_SECTOR, 5);
    outb(IDE_LCYL, 1);
    outb(IDE_HCYL, 0);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & DRQ_STAT, DRQ_STAT);
    ide_pio_in(buf, 512);
    ck_assert_mem_eq(buf, expect + 106 * 512, 512);
    /* Sector 0 does not exist in CHS. */
    outb(IDE_SECTOR, 0);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), IDNF_ERR);
    /* Zero sectors per track is refused. */
    outb(IDE_NSECTOR, 0);
    outb(IDE_CMD, 0x91);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
}
END_TEST

/* What the drive does after shutdown closed its image (bdrv_close_all):
 * requests fail with an error status instead of reaching a freed node. */
START_TEST(test_closed_medium)
{
    setup_one_drive(NULL);
    bdrv_close_all();
    ide_lba28(0, 0, 1);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & ERR_STAT, ERR_STAT);
    ck_assert_int_ne(inb(IDE_ERROR), 0); /* UNC: the host read failed */
    outb(IDE_CMD, 0xe7);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS) & ERR_STAT, ERR_STAT);
}
END_TEST

/* A hard disk needs an image: -drive without file= is refused, as QEMU
 * refuses it ("Device needs media, but drive is empty"). */
START_TEST(test_drive_without_file)
{
    Error *err = NULL;

    t = it_new();
    ck_assert(!it_drives(t, &err, "if=ide,index=0", NULL));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "Device needs media, but drive is empty"));
    error_free(err);
    err = NULL;
    ck_assert(!it_drives(t, &err, "format=qcow2", NULL));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err),
                                 "A block device must be specified for \"file\""));
    error_free(err);
}
END_TEST

START_TEST(test_read_only)
{
    uint8_t data[512], back[512], orig[512];
    char *path;

    setup_one_drive(",readonly=on");
    path = g_strdup(img);
    it_image_read(img, "raw", 0, orig, 512);
    memset(data, 0x5a, sizeof(data));
    ide_lba28(0, 0, 1);
    outb(IDE_CMD, 0x30);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
    ide_pio_out(data, 512); /* goes nowhere */
    outb(IDE_CMD, 0xca);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
    outb(IDE_CMD, 0x20);
    ide_wait_not_busy(IDE_ALTSTATUS);
    ide_pio_in(back, 512);
    ck_assert_mem_eq(back, orig, 512);
    it_image_read(path, "raw", 0, back, 512);
    ck_assert_mem_eq(back, orig, 512);
    g_free(path);
}
END_TEST

START_TEST(test_drive_options)
{
    Error *err = NULL;
    const char *a;
    g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL;

    t = it_new();
    a = it_image(t, "a.raw", "raw", 1 << 20);
    o1 = g_strdup_printf("file=%s,index=3,cache=none", a);
    ck_assert(it_drives(t, &err, o1, NULL));
    ck_assert(t->ide->bus[1].ifs[1].present);
    ck_assert(!it_drives(t, &err, o1, NULL)); /* slot 3 taken */
    error_free(err);
    err = NULL;
    static const char *bad[] = {
        "file=x,if=scsi", "file=x,index=4", "file=x,bogus=1", "file=x,media=cdrom",
        "file=x,readonly=maybe", "justtext", "file=/nonexistent/duet.img,index=0",
        "file=x,cache=sometimes,index=0", "file=x,index=0,bus=1",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!it_drives(t, &err, bad[i], NULL), "%s accepted", bad[i]);
        ck_assert_ptr_nonnull(err);
        error_free(err);
        err = NULL;
    }
    /* bus/unit and first-free placement; if=none waits for a -device.  Other
     * images: a.raw's lock keeps a second disk off it. */
    o2 = g_strdup_printf("file=%s,bus=1,unit=0,format=raw",
                         it_image(t, "b.raw", "raw", 1 << 20));
    o3 = g_strdup_printf("file=%s,readonly=on", it_image(t, "c.raw", "raw", 1 << 20));
    ck_assert_msg(it_drives(t, &err, o2, o3, "if=none,id=spare", NULL), "%s", err ? error_get_pretty(err) : "");
    ck_assert(t->ide->bus[1].ifs[0].present);
    ck_assert(t->ide->bus[0].ifs[0].present);
    ck_assert(blk_is_read_only(t->ide->bus[0].ifs[0].blk));
}
END_TEST

/* snapshot=on: the guest reads its write back, the image keeps its data;
 * with readonly=on there is no overlay and the write is refused. */
START_TEST(test_snapshot_drive)
{
    uint8_t data[512], back[512], orig[512];

    setup_one_drive(",snapshot=on");
    it_image_read(img, "raw", 100 * 512, orig, sizeof(orig));
    ck_assert(!blk_is_read_only(t->ide->bus[0].ifs[0].blk));
    ck_assert_ptr_nonnull(blk_bs(t->ide->bus[0].ifs[0].blk)->backing);
    it_pattern(data, sizeof(data), 9);
    ide_lba28(0, 100, 1);
    outb(IDE_CMD, 0x30);
    ide_pio_out(data, 512);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    inb(IDE_STATUS);
    ide_lba28(0, 100, 1);
    outb(IDE_CMD, 0x20);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ide_pio_in(back, 512);
    ck_assert_mem_eq(back, data, 512);
    it_image_read(img, "raw", 100 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, orig, 512);
    it_free(t);
    t = NULL;

    setup_one_drive(",snapshot=on,readonly=on");
    ck_assert(blk_is_read_only(t->ide->bus[0].ifs[0].blk));
    ide_lba28(0, 100, 1);
    outb(IDE_CMD, 0x30);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
}
END_TEST

static Suite *ide_suite(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("ata");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_identify);
    tcase_add_test(tc, test_pio_read_lba28);
    tcase_add_test(tc, test_pio_read_32bit);
    tcase_add_test(tc, test_pio_write_image);
    tcase_add_test(tc, test_snapshot_drive);
    tcase_add_test(tc, test_pio_lba48_and_hob);
    tcase_add_test(tc, test_read_write_multiple);
    tcase_add_test(tc, test_sector_count_zero);
    tcase_add_test(tc, test_past_end);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_set_features);
    tcase_add_test(tc, test_power_commands);
    tcase_add_test(tc, test_srst);
    tcase_add_test(tc, test_srst_in_flight);
    tcase_add_test(tc, test_nien);
    tcase_add_test(tc, test_absent_devices);
    tcase_add_test(tc, test_unknown_commands_abort);
    tcase_add_test(tc, test_busy_and_no_data);
    tcase_add_test(tc, test_diagnostic);
    tcase_add_test(tc, test_chs_and_specify);
    tcase_add_test(tc, test_closed_medium);
    tcase_add_test(tc, test_drive_without_file);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_drive_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ide_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
