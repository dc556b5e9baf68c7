/*
 * The guest of scripts/bench-ide: writes, flushes and reads back a stretch
 * of the disk in 128 KiB commands, by PIO or by DMA.
 *
 * -append "pio|dma mib=N": the mode and the size (default dma, 16 MiB).
 * PIO uses READ/WRITE MULTIPLE EXT with 16-sector DRQ blocks (one
 * rep insw/outsw of 8 KiB each); DMA uses READ/WRITE DMA EXT with two
 * 64 KiB PRDs.  The host times the phases between the serial lines
 * "bench: write start" / "bench: write end" (and read).  Each command's
 * buffer carries its index in the first word, checked on the way back.
 * The phases are also marked by writing 1..4 to the COM1 scratch register,
 * for counting exits in a trace (serial_ioport_write addr=7).
 */
#include "ata.h"

#define SECTORS_PER_CMD 256
#define BYTES_PER_CMD (SECTORS_PER_CMD * 512)
#define MARKER_PORT (COM1 + 7)

static struct ide_dev ide;
static uint8_t area[BYTES_PER_CMD] __attribute__((aligned(65536)));

static const char *kernel_args(struct multiboot_info *mbi)
{
    const char *p = (mbi->flags & (1 << 2)) ? (const char *)mbi->cmdline : "";

    while (*p && *p != ' ') {
        p++;
    }
    return p;
}

static unsigned arg_number(const char *args, const char *key, unsigned dflt)
{
    size_t len = strlen(key);

    for (const char *p = args; *p; p++) {
        if ((p == args || p[-1] == ' ') && !strncmp(p, key, len)) {
            unsigned v = 0;

            for (p += len; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (*p - '0');
            }
            return v;
        }
    }
    return dflt;
}

static bool arg_word(const char *args, const char *word)
{
    size_t len = strlen(word);

    for (const char *p = args; *p; p++) {
        if ((p == args || p[-1] == ' ') && !strncmp(p, word, len) &&
            (p[len] == ' ' || p[len] == 0)) {
            return true;
        }
    }
    return false;
}

static bool transfer(bool pio, bool write, uint32_t index)
{
    uint64_t lba = (uint64_t)index * SECTORS_PER_CMD;

    if (pio) {
        return ata_pio(&ide, write ? CMD_WRITE_MULTIPLE_EXT : CMD_READ_MULTIPLE_EXT, lba,
                       SECTORS_PER_CMD, area).ok;
    }
    return ata_dma(&ide, write ? CMD_WRITE_DMA_EXT : CMD_READ_DMA_EXT, lba, SECTORS_PER_CMD).ok;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    const char *args = kernel_args(mbi);
    bool pio = arg_word(args, "pio");
    unsigned mib = arg_number(args, "mib=", 16);
    uint32_t cmds = mib * (1024 * 1024 / BYTES_PER_CMD);
    uint32_t *first_word = (uint32_t *)area;
    bool ok = true;

    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-bench: FAIL\n");
        return GUEST_FAIL;
    }
    if (pio && !ata_nondata(CMD_SET_MULTIPLE, 0, 16).ok) {
        puts_serial("FAIL: SET MULTIPLE 16\n");
        return GUEST_FAIL;
    }
    ide.multiple = 16;
    prd_build(&ide, (uint32_t[]){ (uint32_t)area, (uint32_t)area + 65536 },
              (uint32_t[]){ 65536, 65536 }, 2);
    pattern_fill(area, 0, SECTORS_PER_CMD, 1);
    printf_serial("bench: mode=%s size=%u MiB commands=%u of %u KiB\n", pio ? "pio" : "dma",
                  mib, cmds, BYTES_PER_CMD / 1024);

    puts_serial("bench: write start\n");
    outb(MARKER_PORT, 1);
    for (uint32_t i = 0; i < cmds && ok; i++) {
        *first_word = i;
        ok = transfer(pio, true, i);
    }
    ok = ok && ata_nondata(CMD_FLUSH_CACHE_EXT, 0, 0).ok;
    outb(MARKER_PORT, 2);
    puts_serial("bench: write end\n");

    puts_serial("bench: read start\n");
    outb(MARKER_PORT, 3);
    for (uint32_t i = 0; i < cmds && ok; i++) {
        ok = transfer(pio, false, i) && *first_word == i;
    }
    outb(MARKER_PORT, 4);
    puts_serial("bench: read end\n");
    ok = ok && pattern_check(area + 512, 1, SECTORS_PER_CMD - 1, 1) < 0;
    puts_serial(ok ? "ide-bench: PASS\n" : "ide-bench: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
