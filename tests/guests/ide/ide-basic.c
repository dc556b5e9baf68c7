/*
 * The IDE function test: finds the PIIX IDE function by scanning PCI,
 * then drives the primary master by polling: IDENTIFY, PIO (28- and
 * 48-bit, single and MULTIPLE), DMA (28- and 48-bit, several PRDs, a
 * 64 KiB one among them), FLUSH CACHE (EXT), and the error outputs of a
 * transfer past the end and of an unknown command.
 *
 * Every successful write is announced as "wrote lba=L n=N tag=T" so the
 * runner can rebuild the expected disk contents (pattern in ata.h).
 * Lines starting with '~' differ legitimately between duet and QEMU
 * (model string, BAR address, the error code chosen for a range error).
 */
#include "ata.h"

/* Regions for the PRD tables: 64 KiB aligned so that offsets decide crossings. */
static uint8_t write_area[4 * 65536] __attribute__((aligned(65536)));
static uint8_t read_area[4 * 65536] __attribute__((aligned(65536)));
static uint8_t linear[256 * 512] __attribute__((aligned(16)));
static uint8_t linear_back[256 * 512] __attribute__((aligned(16)));
static struct ide_dev ide;

static int checks_passed, checks_failed;
static uint32_t sectors_written, sectors_verified;

static bool expect(bool cond, const char *what)
{
    if (check(cond, what)) {
        checks_passed++;
        return true;
    }
    checks_failed++;
    return false;
}

static bool expect_ok(struct ata_result r, const char *what)
{
    if (!r.ok) {
        printf_serial("%s: status 0x%02x error 0x%02x\n", what, r.status, r.error);
    }
    return expect(r.ok, what);
}

static void record_write(uint64_t lba, uint32_t n, uint32_t tag)
{
    printf_serial("wrote lba=%llu n=%u tag=%u\n", (unsigned long long)lba, n, tag);
    sectors_written += n;
}

static bool expect_pattern(const void *buf, uint64_t lba, uint32_t n, uint32_t tag,
                           const char *what)
{
    int bad = pattern_check(buf, lba, n, tag);

    if (bad >= 0) {
        printf_serial("%s: sector %llu has the wrong contents\n", what,
                      (unsigned long long)(lba + bad));
    } else {
        sectors_verified += n;
    }
    return expect(bad < 0, what);
}

static void pio_round_trip(uint8_t wcmd, uint8_t rcmd, uint64_t lba, uint32_t n, uint32_t tag,
                           const char *name)
{
    pattern_fill(linear, lba, n, tag);
    if (!expect_ok(ata_pio(&ide, wcmd, lba, n, linear), name)) {
        return;
    }
    record_write(lba, n, tag);
    memset(linear_back, 0, n * 512);
    if (expect_ok(ata_pio(&ide, rcmd, lba, n, linear_back), name)) {
        expect_pattern(linear_back, lba, n, tag, name);
    }
    printf_serial("%s: %u sectors at %llu written and read back\n", name, n,
                  (unsigned long long)lba);
}

static void dma_round_trip(uint8_t wcmd, uint8_t rcmd, uint64_t lba, uint32_t tag,
                           const uint32_t *wlens, int nw, const uint32_t *woffs,
                           const uint32_t *rlens, int nr, const uint32_t *roffs,
                           const char *name)
{
    uint32_t waddrs[PRD_MAX], raddrs[PRD_MAX], bytes = 0;

    for (int i = 0; i < nw; i++) {
        waddrs[i] = (uint32_t)write_area + woffs[i];
        bytes += wlens[i];
    }
    for (int i = 0; i < nr; i++) {
        raddrs[i] = (uint32_t)read_area + roffs[i];
    }
    uint32_t n = bytes / 512;

    pattern_fill(linear, lba, n, tag);
    prd_build(&ide, waddrs, wlens, nw);
    prd_scatter(&ide, linear);
    if (!expect_ok(ata_dma(&ide, wcmd, lba, n), name)) {
        return;
    }
    record_write(lba, n, tag);
    prd_build(&ide, raddrs, rlens, nr);
    memset(read_area, 0, sizeof(read_area));
    if (expect_ok(ata_dma(&ide, rcmd, lba, n), name)) {
        prd_gather(&ide, linear_back);
        expect_pattern(linear_back, lba, n, tag, name);
    }
    printf_serial("%s: %u sectors at %llu in %d PRDs written, read back in %d PRDs\n", name,
                  n, (unsigned long long)lba, nw, nr);
}

/* A failed command: ERR set, and the error register one of the allowed codes. */
static void expect_error(struct ata_result r, uint8_t code, uint8_t alt_code, const char *name)
{
    printf_serial("%s: status 0x%02x\n", name, r.status & ATA_SR_COMPARABLE);
    printf_serial("~%s: error 0x%02x\n", name, r.error);
    expect(!r.ok && (r.status & ATA_SR_ERR) && !(r.status & (ATA_SR_BSY | ATA_SR_DRQ)), name);
    expect(r.error == code || r.error == alt_code, name);
}

static void test_errors(uint64_t sectors)
{
    uint32_t len = 8 * 512, off = 0;

    /* ATA-6: an address outside the medium is IDNF; QEMU answers ABRT. */
    expect_error(ata_pio(&ide, CMD_READ_SECTORS_EXT, sectors, 1, linear), ATA_ER_IDNF,
                 ATA_ER_ABRT, "past-end pio read");
    prd_build(&ide, (uint32_t[]){ (uint32_t)write_area + off }, &len, 1);
    expect_error(ata_dma(&ide, CMD_WRITE_DMA_EXT, sectors - 4, 8), ATA_ER_IDNF, ATA_ER_ABRT,
                 "past-end dma write");
    expect_error(ata_nondata(0xf1, 0, 0), ATA_ER_ABRT, ATA_ER_ABRT, "unknown command 0xf1");
    expect_error(ata_nondata(CMD_SET_MULTIPLE, 0, 3), ATA_ER_ABRT, ATA_ER_ABRT,
                 "set multiple 3");
    /* The drive works normally afterwards. */
    pio_round_trip(CMD_WRITE_SECTORS, CMD_READ_SECTORS, 7, 1, 9, "after errors");
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    struct ata_identity id;

    if (!ide_probe(&ide) || !ata_soft_reset() || !ata_identify(&id)) {
        puts_serial("ide-basic: FAIL\n");
        return GUEST_FAIL;
    }
    printf_serial("~identify: model '%s'\n", id.model);
    printf_serial("identify: %llu sectors, lba48 %s, max multiple %u\n",
                  (unsigned long long)id.sectors, id.lba48 ? "yes" : "no", id.max_multiple);
    printf_serial("~identify: lba28 capacity %u\n", id.lba28_sectors);
    expect(id.lba48, "LBA48 supported");
    expect(id.sectors >= 0x10000, "a disk of at least 32 MiB");

    /* Past 2^28 sectors when the disk is big enough: the HOB bytes then matter. */
    uint64_t hi = id.sectors > (1u << 28) + 0x4000 ? (1u << 28) + 0x123
                                                   : (id.sectors - 0x2000) & ~0xfffull;
    printf_serial("lba48 tests at %llu\n", (unsigned long long)hi);

    pio_round_trip(CMD_WRITE_SECTORS, CMD_READ_SECTORS, 0, 1, 1, "pio28 lba 0");
    pio_round_trip(CMD_WRITE_SECTORS, CMD_READ_SECTORS, 1000, 4, 2, "pio28");
    if (id.sectors >= 0x10000000) {
        pio_round_trip(CMD_WRITE_SECTORS, CMD_READ_SECTORS, 0x0ffffff0, 16, 3,
                       "pio28 top of 28-bit range");
    }
    pio_round_trip(CMD_WRITE_SECTORS_EXT, CMD_READ_SECTORS_EXT, hi, 3, 4, "pio48");

    expect_ok(ata_nondata(CMD_SET_MULTIPLE, 0, 8), "set multiple 8");
    ide.multiple = 8;
    pio_round_trip(CMD_WRITE_MULTIPLE, CMD_READ_MULTIPLE, 2000, 20, 5, "multiple28");
    pio_round_trip(CMD_WRITE_MULTIPLE_EXT, CMD_READ_MULTIPLE_EXT, hi + 64, 19, 6, "multiple48");

    /* A sector split across PRDs (1792 = 3.5 sectors) and an odd region count. */
    dma_round_trip(CMD_WRITE_DMA, CMD_READ_DMA, 5000, 7,
                   (uint32_t[]){ 1792, 4352, 26624 }, 3, (uint32_t[]){ 0, 0x1000, 0x4000 },
                   (uint32_t[]){ 5120, 27648 }, 2, (uint32_t[]){ 0, 0x8000 }, "dma28");
    /* 128 KiB: a full 64 KiB region (count 0) among them. */
    dma_round_trip(CMD_WRITE_DMA_EXT, CMD_READ_DMA_EXT, hi + 1024, 8,
                   (uint32_t[]){ 1792, 4352, 65536, 59392 }, 4,
                   (uint32_t[]){ 0, 0x1000, 0x10000, 0x20000 },
                   (uint32_t[]){ 65536, 65536 }, 2, (uint32_t[]){ 0, 0x10000 }, "dma48");

    /* DMA over part of an earlier PIO write; PIO reads back the mixture. */
    uint32_t len = 8 * 512;
    pattern_fill(linear, 1002, 8, 10);
    prd_build(&ide, (uint32_t[]){ (uint32_t)write_area }, &len, 1);
    prd_scatter(&ide, linear);
    if (expect_ok(ata_dma(&ide, CMD_WRITE_DMA, 1002, 8), "dma overwrite")) {
        record_write(1002, 8, 10);
        if (expect_ok(ata_pio(&ide, CMD_READ_SECTORS, 1000, 10, linear_back), "mixed read")) {
            expect_pattern(linear_back, 1000, 2, 2, "mixed read (pio part)");
            expect_pattern(linear_back + 1024, 1002, 8, 10, "mixed read (dma part)");
        }
        puts_serial("overwrite: pio sectors 1000-1001 kept, 1002-1009 replaced by dma\n");
    }

    expect_ok(ata_nondata(CMD_FLUSH_CACHE, 0, 0), "flush cache");
    expect_ok(ata_nondata(CMD_FLUSH_CACHE_EXT, 0, 0), "flush cache ext");
    puts_serial("flush: ok\n");

    test_errors(id.sectors);
    expect_ok(ata_nondata(CMD_FLUSH_CACHE, 0, 0), "final flush");

    printf_serial("summary: %d checks passed, %d failed; %u sectors written, %u verified\n",
                  checks_passed, checks_failed, sectors_written, sectors_verified);
    puts_serial(checks_failed ? "ide-basic: FAIL\n" : "ide-basic: PASS\n");
    return checks_failed ? GUEST_FAIL : GUEST_PASS;
}
