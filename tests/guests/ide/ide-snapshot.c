/*
 * Writes under -snapshot and reads them back: the runner (test-snapshot.py)
 * gives a disk whose every sector holds the pattern of ata.h with tag 1.
 * The guest checks that, writes tag 2 over scattered runs (PIO and DMA,
 * runs smaller than a qcow2 cluster and across cluster boundaries), and
 * reads the whole region back: the written sectors hold tag 2, all others
 * still tag 1 (the overlay's copy-on-write kept the rest of each cluster).
 * The image itself must be unchanged afterwards, which only the runner
 * can see.  "halt" in the command line: stop there (cli; hlt) so that the
 * runner can look at the image's locks while the overlay is open.
 */
#include "ata.h"

#define REGION 2048 /* sectors checked: 1 MiB */

static struct ide_dev ide;
static uint8_t buf[128 * 512] __attribute__((aligned(65536)));
static uint8_t tags[REGION];

static const struct { uint32_t lba, n; bool dma; } writes[] = {
    { 0, 1, false },      /* the first sector */
    { 7, 3, false },      /* inside the first 64 KiB cluster */
    { 120, 16, true },    /* across the boundary at sector 128 */
    { 300, 1, true },
    { 1000, 64, true },
    { 2047, 1, false },   /* the region's last sector */
};

static bool read_check(uint32_t lba, uint32_t n, bool dma)
{
    struct ata_result r;

    if (dma) {
        uint32_t addr = (uint32_t)buf, len = n * 512;

        prd_build(&ide, &addr, &len, 1);
        r = ata_dma(&ide, CMD_READ_DMA, lba, n);
    } else {
        r = ata_pio(&ide, CMD_READ_SECTORS, lba, n, buf);
    }
    if (!r.ok) {
        printf_serial("FAIL: read lba=%u n=%u: status 0x%02x error 0x%02x\n", lba, n, r.status,
                      r.error);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (pattern_check(buf + i * 512, lba + i, 1, tags[lba + i]) >= 0) {
            printf_serial("FAIL: sector %u does not hold tag %u\n", lba + i, tags[lba + i]);
            return false;
        }
    }
    return true;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    const char *cmdline = (mbi->flags & (1 << 2)) ? (const char *)mbi->cmdline : "";
    bool halt = false;

    for (const char *p = cmdline; *p; p++) {
        halt |= !strncmp(p, "halt", 4);
    }
    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-snapshot: FAIL (no disk)\n");
        return GUEST_FAIL;
    }
    memset(tags, 1, sizeof(tags));
    for (uint32_t lba = 0; lba < REGION; lba += 128) {
        if (!read_check(lba, 128, lba & 128)) {
            return GUEST_FAIL;
        }
    }
    puts_serial("ide-snapshot: the image's data is there\n");
    for (unsigned i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        struct ata_result r;

        pattern_fill(buf, writes[i].lba, writes[i].n, 2);
        if (writes[i].dma) {
            uint32_t addr = (uint32_t)buf, len = writes[i].n * 512;

            prd_build(&ide, &addr, &len, 1);
            r = ata_dma(&ide, CMD_WRITE_DMA, writes[i].lba, writes[i].n);
        } else {
            r = ata_pio(&ide, CMD_WRITE_SECTORS, writes[i].lba, writes[i].n, buf);
        }
        if (!r.ok) {
            printf_serial("FAIL: write lba=%u: status 0x%02x error 0x%02x\n", writes[i].lba,
                          r.status, r.error);
            return GUEST_FAIL;
        }
        memset(tags + writes[i].lba, 2, writes[i].n);
    }
    if (ata_nondata(CMD_FLUSH_CACHE, 0, 0).ok) {
        puts_serial("ide-snapshot: flushed\n");
    }
    for (uint32_t lba = 0; lba < REGION; lba += 128) {
        if (!read_check(lba, 128, !(lba & 128))) {
            return GUEST_FAIL;
        }
    }
    puts_serial("ide-snapshot: PASS (its writes read back, the rest unchanged)\n");
    if (halt) {
        puts_serial("ide-snapshot: halted\n");
        for (;;) {
            __asm__ volatile("cli; hlt");
        }
    }
    return GUEST_PASS;
}
