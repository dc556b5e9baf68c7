/*
 * The ATA command table's property flags, one family per test, each over
 * every opcode that has (or lacks) the flag: LBA48 decides the address
 * width, MULTIPLE the DRQ block size, WRITE refusal on a read-only drive,
 * MEDIUM refusal without a medium, BOTH_DEVICES a command that runs when
 * the selected drive is absent.  (DMA: ide-dmaops-test, no engine.)  Also
 * READ/WRITE BUFFER and their DMA forms through the PIIX bus master.
 */
#include "ide-harness.h"

#include <string.h>

#define IMG_SECTORS 2048
#define IMG_SIZE (IMG_SECTORS * 512)
#define IDLE (READY_STAT | SEEK_STAT)
#define PRD_TABLE 0x1000u
#define BUF 0x20000u

static IDETest *t;
static const char *img;

static void setup_drive(const char *extra)
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
    if (t) {
        it_free(t);
    }
    t = NULL;
}

/* Drops whatever the drive was doing (SRST) so the next command starts clean. */
static void srst(void)
{
    outb(IDE_CTRL, IDE_CTRL_RESET);
    outb(IDE_CTRL, 0);
    ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
    inb(IDE_STATUS);
}

/* Both register layers: previous (HOB) bytes hi, current bytes lo. */
static void taskfile(uint8_t dev, const uint8_t hi[4], const uint8_t lo[4])
{
    static const uint16_t ports[4] = { IDE_NSECTOR, IDE_SECTOR, IDE_LCYL, IDE_HCYL };

    outb(IDE_SELECT, dev);
    for (int i = 0; i < 4; i++) {
        outb(ports[i], hi[i]);
        outb(ports[i], lo[i]);
    }
}

/*
 * The same register contents mean sector 2^32 + 5 to a command with the
 * LBA48 flag (past the end: IDNF) and sector 5 to one without (fine).
 */
START_TEST(test_flag_lba48)
{
    static const uint8_t ext[] = { WIN_READ_EXT, WIN_READDMA_EXT, WIN_MULTREAD_EXT,
                                   WIN_WRITE_EXT, WIN_WRITEDMA_EXT, WIN_MULTWRITE_EXT,
                                   WIN_VERIFY_EXT };
    static const uint8_t lba28[] = { WIN_READ, WIN_READDMA, WIN_MULTREAD, WIN_WRITE,
                                     WIN_WRITEDMA, WIN_MULTWRITE, WIN_VERIFY };
    static const uint8_t hi[4] = { 0, 0, 1, 0 }, lo[4] = { 1, 5, 0, 0 };

    setup_drive(NULL);
    for (unsigned i = 0; i < sizeof(ext); i++) {
        taskfile(0x40, hi, lo);
        outb(IDE_CMD, ext[i]);
        ck_assert_msg(inb(IDE_ALTSTATUS) == (IDLE | ERR_STAT) && inb(IDE_ERROR) == IDNF_ERR,
                      "command 0x%02x did not take the 48-bit address", ext[i]);
        inb(IDE_STATUS);
    }
    for (unsigned i = 0; i < sizeof(lba28); i++) {
        taskfile(0x40, hi, lo);
        outb(IDE_CMD, lba28[i]);
        ck_assert_msg(!(ide_wait_not_busy(IDE_ALTSTATUS) & ERR_STAT),
                      "command 0x%02x took a 48-bit address", lba28[i]);
        srst();
    }
    /* FLUSH CACHE EXT is on the table too (no address, but listed LBA48). */
    outb(IDE_CMD, WIN_FLUSH_CACHE_EXT);
    ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
}
END_TEST

/* MULTIPLE: DRQ blocks of the multiple count, and ABRT while it is off. */
START_TEST(test_flag_multiple)
{
    static const uint8_t mult[] = { WIN_MULTREAD, WIN_MULTWRITE, WIN_MULTREAD_EXT,
                                    WIN_MULTWRITE_EXT };
    static const uint8_t single[] = { WIN_READ, WIN_WRITE, WIN_READ_EXT, WIN_WRITE_EXT };
    static const uint8_t zero[4] = { 0 }, lo[4] = { 8, 0, 0, 0 };
    uint8_t buf[8 * 512];

    setup_drive(NULL);
    outb(IDE_NSECTOR, 4);
    outb(IDE_CMD, WIN_SETMULT);
    ck_assert_uint_eq(inb(IDE_STATUS), IDLE);
    for (unsigned i = 0; i < sizeof(mult); i++) {
        bool out = mult[i] == WIN_MULTWRITE || mult[i] == WIN_MULTWRITE_EXT;

        taskfile(0x40, zero, lo);
        outb(IDE_CMD, mult[i]);
        for (int block = 0; block < 2; block++) {
            ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE | DRQ_STAT);
            inb(IDE_STATUS);
            if (out) {
                ide_pio_out(buf, 4 * 512); /* 4 sectors per block */
            } else {
                ide_pio_in(buf, 4 * 512);
            }
        }
        ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
        inb(IDE_STATUS);
    }
    /* Off: the MULTIPLE commands abort, the others still go by sectors. */
    outb(IDE_NSECTOR, 0);
    outb(IDE_CMD, WIN_SETMULT);
    for (unsigned i = 0; i < sizeof(mult); i++) {
        taskfile(0x40, zero, lo);
        outb(IDE_CMD, mult[i]);
        ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | ERR_STAT);
        ck_assert_uint_eq(inb(IDE_ERROR), ABRT_ERR);
    }
    for (unsigned i = 0; i < sizeof(single); i++) {
        taskfile(0x40, zero, lo);
        outb(IDE_CMD, single[i]);
        ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE | DRQ_STAT);
        srst();
    }
}
END_TEST

/* WRITE on a medium command: ABRT on a read-only drive; reads, and
 * WRITE BUFFER (no medium), are accepted. */
START_TEST(test_flag_write_read_only)
{
    static const uint8_t writes[] = { WIN_WRITE, WIN_WRITE_EXT, WIN_WRITEDMA,
                                      WIN_WRITEDMA_EXT, WIN_MULTWRITE, WIN_MULTWRITE_EXT };
    static const uint8_t reads[] = { WIN_READ, WIN_READ_EXT, WIN_READDMA, WIN_READDMA_EXT,
                                     WIN_MULTREAD, WIN_MULTREAD_EXT };
    static const uint8_t zero[4] = { 0 }, lo[4] = { 1, 0, 0, 0 };

    setup_drive(",readonly=on");
    for (unsigned i = 0; i < sizeof(writes); i++) {
        taskfile(0x40, zero, lo);
        outb(IDE_CMD, writes[i]);
        ck_assert_msg(inb(IDE_ALTSTATUS) == (IDLE | ERR_STAT) && inb(IDE_ERROR) == ABRT_ERR,
                      "write 0x%02x accepted on a read-only drive", writes[i]);
    }
    for (unsigned i = 0; i < sizeof(reads); i++) {
        taskfile(0x40, zero, lo);
        outb(IDE_CMD, reads[i]);
        ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS) & ERR_STAT, 0);
        srst();
    }
    outb(IDE_CMD, WIN_WRITE_BUFFER);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
}
END_TEST

/* MEDIUM: ABRT|NM without a medium; the others work. */
START_TEST(test_flag_medium)
{
    static const uint8_t medium[] = { WIN_READ, WIN_READ_EXT, WIN_READDMA, WIN_READDMA_EXT,
                                      WIN_MULTREAD, WIN_MULTREAD_EXT, WIN_WRITE,
                                      WIN_WRITE_EXT, WIN_WRITEDMA, WIN_WRITEDMA_EXT,
                                      WIN_MULTWRITE, WIN_MULTWRITE_EXT, WIN_VERIFY,
                                      WIN_VERIFY_EXT };
    static const uint8_t other[] = { WIN_CHECKPOWERMODE1, WIN_IDLEIMMEDIATE,
                                     WIN_STANDBYNOW1, WIN_FLUSH_CACHE, WIN_FLUSH_CACHE_EXT };
    Error *err = NULL;

    /* A drive with no medium (what an empty removable drive is; -drive
     * refuses a hard disk without an image, so attach it directly). */
    t = it_new();
    ck_assert(ide_drive_attach(&t->ide->bus[0], 0, NULL, &err));
    it_firmware(t);
    for (unsigned i = 0; i < sizeof(medium); i++) {
        ide_lba28(0, 0, 1);
        outb(IDE_CMD, medium[i]);
        ck_assert_msg(inb(IDE_ALTSTATUS) == (IDLE | ERR_STAT) &&
                      inb(IDE_ERROR) == (ABRT_ERR | NM_ERR),
                      "0x%02x without a medium", medium[i]);
    }
    for (unsigned i = 0; i < sizeof(other); i++) {
        outb(IDE_CMD, other[i]);
        ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
    }
    outb(IDE_CMD, WIN_IDENTIFY);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
    srst();
    outb(IDE_CMD, WIN_READ_BUFFER);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
}
END_TEST

/* BOTH_DEVICES: EXECUTE DEVICE DIAGNOSTIC runs though device 1 is absent;
 * any other command to the absent device is ignored (no interrupt). */
START_TEST(test_flag_both_devices)
{
    setup_drive(NULL);
    outb(IDE_SELECT, 0xb0);
    outb(IDE_CMD, WIN_CHECKPOWERMODE1);
    outb(IDE_CMD, WIN_IDENTIFY);
    ck_assert_uint_eq(t->irq_raises[0], 0);
    outb(IDE_NSECTOR, 0x55);
    outb(IDE_CMD, WIN_DIAGNOSE);
    ck_assert_uint_eq(t->irq_raises[0], 1);
    ck_assert_uint_eq(inb(IDE_SELECT) & ATA_DEV_DEV, 0); /* device 0 answers */
    ck_assert_uint_eq(inb(IDE_STATUS), IDLE);
    ck_assert_uint_eq(inb(IDE_NSECTOR), 1); /* signature */
}
END_TEST

/* READ/WRITE BUFFER (PIO): the drive's buffer, untouched by sector I/O. */
START_TEST(test_buffer_pio)
{
    uint8_t data[512], back[512], sector[512];
    uint16_t w[256];

    setup_drive(NULL);
    outb(IDE_CMD, WIN_IDENTIFY);
    ide_wait_not_busy(IDE_ALTSTATUS);
    ide_pio_in(w, 512);
    ck_assert_uint_eq(w[82] & 0x3000, 0x3000); /* READ/WRITE BUFFER supported */
    ck_assert_uint_eq(w[85] & 0x3000, 0x3000);
    inb(IDE_STATUS);

    it_pattern(data, sizeof(data), 66);
    outb(IDE_CMD, WIN_WRITE_BUFFER);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
    ck_assert_uint_eq(t->irq_raises[0], 1); /* (IDENTIFY's) none for the request */
    ide_pio_out(data, 512);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE);
    ck_assert_uint_eq(t->irq_raises[0], 2);
    inb(IDE_STATUS);
    /* A sector read in between uses its own buffer. */
    ide_lba28(0, 3, 1);
    outb(IDE_CMD, WIN_READ);
    ide_wait_not_busy(IDE_ALTSTATUS);
    ide_pio_in(sector, 512);
    outb(IDE_CMD, WIN_READ_BUFFER);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
    ide_pio_in(back, 512);
    ck_assert_mem_eq(back, data, 512);
    ck_assert_uint_eq(inb(IDE_STATUS), IDLE);
}
END_TEST

static void prd(int i, uint32_t addr, uint32_t count, bool eot)
{
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i, addr, MEMTXATTRS_UNSPECIFIED,
                      NULL);
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i + 4,
                      count | (eot ? BMDMA_PRD_EOT : 0), MEMTXATTRS_UNSPECIFIED, NULL);
}

static void bm_go(uint8_t cmd, bool to_memory)
{
    outl(t->bmdma + 4, PRD_TABLE);
    outb(t->bmdma, to_memory ? BM_CMD_READ : 0);
    outb(t->bmdma + 2, BM_STATUS_INT | BM_STATUS_ERROR);
    outb(IDE_CMD, cmd);
    outb(t->bmdma, BM_CMD_START | (to_memory ? BM_CMD_READ : 0));
}

/* The DMA forms through the PIIX bus master (its rw_buf). */
START_TEST(test_buffer_dma_bmdma)
{
    uint8_t back[512];

    setup_drive(NULL);
    it_pattern(t->ram_ptr + BUF, 512, 12);
    prd(0, BUF, 512, true);
    bm_go(WIN_WRITE_BUFFER_DMA, false);
    ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 7, BM_STATUS_INT);
    outb(t->bmdma, 0);
    inb(IDE_STATUS);
    outb(IDE_CMD, WIN_READ_BUFFER);
    ide_pio_in(back, 512);
    ck_assert_mem_eq(back, t->ram_ptr + BUF, 512);

    prd(0, BUF + 0x1000, 512, true);
    bm_go(WIN_READ_BUFFER_DMA, true);
    ck_assert_uint_eq(ide_wait_not_busy(IDE_ALTSTATUS), IDLE);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x1000, back, 512);
    outb(t->bmdma, 0);
    inb(IDE_STATUS);

    /* A table of half a sector: the engine stops, the drive keeps DRQ. */
    prd(0, BUF, 256, true);
    bm_go(WIN_READ_BUFFER_DMA, true);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | DRQ_STAT);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 7, 0);
    srst();

    /* Unassigned memory: bus master Error, PCI master abort, ATA ABRT. */
    prd(0, IT_UNMAPPED, 512, true);
    bm_go(WIN_READ_BUFFER_DMA, true);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), IDLE | ERR_STAT);
    ck_assert_uint_eq(inb(IDE_ERROR), ABRT_ERR);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 7, BM_STATUS_INT | BM_STATUS_ERROR);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT,
                      PCI_STATUS_REC_MASTER_ABORT);
}
END_TEST

static Suite *cmd_suite(void)
{
    Suite *s = suite_create("ide-cmd");
    TCase *tc = tcase_create("table");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_flag_lba48);
    tcase_add_test(tc, test_flag_multiple);
    tcase_add_test(tc, test_flag_write_read_only);
    tcase_add_test(tc, test_flag_medium);
    tcase_add_test(tc, test_flag_both_devices);
    tcase_add_test(tc, test_buffer_pio);
    tcase_add_test(tc, test_buffer_dma_bmdma);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cmd_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
