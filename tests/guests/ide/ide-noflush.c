/*
 * Writes without a flush, then leaves the machine one way or another: the
 * shutdown test (test-shutdown.py) requires that every write the drive
 * completed is on the image afterwards, with qemu-img check clean, whatever
 * the way out.  The writes are spread over the disk so that each allocates
 * clusters, L2 tables and refcount entries that a writeback qcow2 keeps in
 * its caches until the image is closed.
 *
 * -append "<kernel> exit=MODE":
 *   debug   isa-debug-exit (port 0xf4) with the pass value
 *   reset   the i8042 reset line (0xfe to port 0x64), -no-reboot: shutdown
 *   triple  a triple fault (empty IDT, then INT3), -no-reboot: shutdown
 *   halt    cli; hlt forever, for the runner to send a signal
 * Every write is announced as "wrote lba=L n=N tag=T" (run-ide.py's format).
 */
#include "ata.h"

#define WRITES 24
#define SECTORS 16

static struct ide_dev ide;
static uint8_t dma_area[SECTORS * 512] __attribute__((aligned(65536)));

static const char *exit_mode(struct multiboot_info *mbi)
{
    const char *p = (mbi->flags & (1 << 2)) ? (const char *)mbi->cmdline : "";

    for (; *p; p++) {
        if (!strncmp(p, "exit=", 5)) {
            return p + 5;
        }
    }
    return "debug";
}

static bool mode_is(const char *mode, const char *name)
{
    size_t len = strlen(name);
    return !strncmp(mode, name, len) && (mode[len] == 0 || mode[len] == ' ');
}

static void __attribute__((noreturn)) triple_fault(void)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };

    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    for (;;) {
    }
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    const char *mode = exit_mode(mbi);
    uint32_t len = SECTORS * 512;

    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-noflush: FAIL (no disk)\n");
        return GUEST_FAIL;
    }
    prd_build(&ide, (uint32_t[]){ (uint32_t)dma_area }, &len, 1);
    for (uint32_t i = 0; i < WRITES; i++) {
        /* 40 MiB apart (a 64 KiB-cluster L2 table maps 512 MiB): new data
         * clusters every time, a new L2 table every 13th write. */
        uint64_t lba = (uint64_t)i * 81920 + 8;
        uint8_t cmd = lba >= (1u << 28) ? CMD_WRITE_DMA_EXT : CMD_WRITE_DMA;

        pattern_fill(dma_area, lba, SECTORS, i + 1);
        if (!ata_dma(&ide, cmd, lba, SECTORS).ok) {
            printf_serial("ide-noflush: FAIL (write %u)\n", i);
            return GUEST_FAIL;
        }
        printf_serial("wrote lba=%llu n=%u tag=%u\n", (unsigned long long)lba, SECTORS, i + 1);
    }
    printf_serial("ide-noflush: writes done, exit=%s\n", mode);
    if (mode_is(mode, "reset")) {
        outb(0x64, 0xfe);
    } else if (mode_is(mode, "triple")) {
        triple_fault();
    } else if (mode_is(mode, "halt")) {
        for (;;) {
            __asm__ volatile("cli; hlt");
        }
    }
    return GUEST_PASS;
}
