/*
 * The workload of scripts/compare-io-paths: a few guest requests of each
 * kind, one kind per phase.  A phase is bracketed by writes of its number
 * (and then 0) to the COM1 scratch register, which nothing else uses, so a
 * trace of the run can be cut into phases; serial output happens only
 * between phases.
 *
 * -append selects phases by name (default: all, in this order):
 *   pio-write    WRITE SECTORS, one sector, data by rep outsw
 *   dma-read     READ DMA, 8 sectors
 *   dma-write    WRITE DMA, 8 sectors (rewrites: the cluster is allocated)
 *   flush        FLUSH CACHE
 *   status-poll  reads of the status register
 * All I/O stays in the first 64 KiB cluster of the disk.
 */
#include "ata.h"

#define MARKER_PORT (COM1 + 7) /* 16550 scratch register */
#define REQUESTS 8
#define POLLS 64

static struct ide_dev ide;
static uint8_t dma_area[65536] __attribute__((aligned(65536)));
static uint8_t sector[512];
static bool all_ok = true;

static void pio_write(int i)
{
    all_ok &= ata_pio(&ide, CMD_WRITE_SECTORS, 8 + i, 1, sector).ok;
}

static void dma_read(int i)
{
    all_ok &= ata_dma(&ide, CMD_READ_DMA, 8 * i, 8).ok;
}

static void dma_write(int i)
{
    all_ok &= ata_dma(&ide, CMD_WRITE_DMA, 64 + 8 * i, 8).ok;
}

static void flush(int i)
{
    all_ok &= ata_nondata(CMD_FLUSH_CACHE, 0, 0).ok;
}

static void status_poll(int i)
{
    all_ok &= !(inb(ATA_STATUS) & (ATA_SR_BSY | ATA_SR_ERR));
}

static const struct phase {
    const char *name;
    void (*request)(int i);
    int requests;
} phases[] = {
    { "pio-write", pio_write, REQUESTS },
    { "dma-read", dma_read, REQUESTS },
    { "dma-write", dma_write, REQUESTS },
    { "flush", flush, REQUESTS / 2 },
    { "status-poll", status_poll, POLLS },
};

/* True when @name is a word of the arguments (everything after the kernel path). */
static bool selected(const char *args, const char *name)
{
    size_t len = strlen(name);

    if (!args || !*args) {
        return true;
    }
    for (const char *p = args; *p;) {
        while (*p == ' ') {
            p++;
        }
        if (!strncmp(p, name, len) && (p[len] == ' ' || p[len] == 0)) {
            return true;
        }
        while (*p && *p != ' ') {
            p++;
        }
    }
    return false;
}

static const char *kernel_args(struct multiboot_info *mbi)
{
    const char *p = (mbi->flags & (1 << 2)) ? (const char *)mbi->cmdline : "";

    while (*p && *p != ' ') {
        p++;
    }
    return p;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    const char *args = kernel_args(mbi);
    uint32_t len = 8 * 512;

    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-paths: FAIL\n");
        return GUEST_FAIL;
    }
    pattern_fill(sector, 8, 1, 1);
    pattern_fill(dma_area, 64, 8, 2);
    prd_build(&ide, (uint32_t[]){ (uint32_t)dma_area }, &len, 1);
    for (unsigned p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
        if (!selected(args, phases[p].name)) {
            continue;
        }
        printf_serial("phase %u %s: %d requests\n", p + 1, phases[p].name, phases[p].requests);
        outb(MARKER_PORT, p + 1);
        for (int i = 0; i < phases[p].requests; i++) {
            phases[p].request(i);
        }
        outb(MARKER_PORT, 0);
        printf_serial("phase %u %s: done\n", p + 1, phases[p].name);
    }
    puts_serial(all_ok ? "ide-paths: PASS\n" : "ide-paths: FAIL\n");
    return all_ok ? GUEST_PASS : GUEST_FAIL;
}
