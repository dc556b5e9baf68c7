/*
 * The demo guest that the README's first command boots.  It shows a
 * guest's I/O in the order it travels: find the disk controller on the
 * PCI bus, identify the disk, write a message with PIO, write and read
 * 64 KiB with bus-master DMA, flush, and check everything read back.
 *
 * It polls (nIEN set), so it runs the same under -accel tcg and under
 * this host's emulating KVM, which cannot return from a protected-mode
 * interrupt.
 */
#include "../ide/ata.h"

/* The message the demo script reads back out of the qcow2 image. */
static const char message[] = "Hello from the duet demo guest: this sector was written "
                              "with PIO through the PIIX IDE controller.\n";

static uint8_t sector[512] __attribute__((aligned(16)));
static uint8_t dma_out[65536] __attribute__((aligned(65536)));
static uint8_t dma_in[65536] __attribute__((aligned(65536)));
static struct ide_dev ide;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* Says which accelerator runs us: KVM advertises itself in leaf 0x40000000. */
static void print_cpu(void)
{
    uint32_t r[4];
    char vendor[13], hyper[13];

    cpuid(0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    cpuid(1, r);
    bool hypervisor = r[2] & (1u << 31);
    hyper[0] = 0;
    if (hypervisor) {
        cpuid(0x40000000, r);
        memcpy(hyper, &r[1], 4);
        memcpy(hyper + 4, &r[2], 4);
        memcpy(hyper + 8, &r[3], 4);
        hyper[12] = 0;
    }
    printf_serial("cpu: vendor %s, hypervisor %s\n", vendor,
                  hypervisor ? hyper : "none (interpreted by duet's tcg, or bare metal)");
}

static bool report(bool ok, const char *what)
{
    printf_serial("  %s %s\n", what, ok ? "ok" : "FAILED");
    return ok;
}

static bool step(struct ata_result r, const char *what)
{
    if (!r.ok) {
        printf_serial("  %s: status 0x%02x error 0x%02x\n", what, r.status, r.error);
    }
    return report(r.ok, what);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    struct ata_identity id;
    bool ok = true;

    puts_serial("duet demo guest: a Multiboot kernel in 32-bit protected mode\n");
    print_cpu();
    if (!ide_probe(&ide) || !ata_soft_reset() || !ata_identify(&id)) {
        puts_serial("no IDE disk found: start duet with -hda IMAGE\n");
        return GUEST_FAIL;
    }
    printf_serial("disk: \"%s\", %llu sectors (%llu MiB)%s\n", id.model,
                  (unsigned long long)id.sectors, (unsigned long long)(id.sectors >> 11),
                  id.lba48 ? ", LBA48" : "");

    memset(sector, 0, sizeof(sector));
    memcpy(sector, message, sizeof(message) - 1);
    ok &= step(ata_pio(&ide, CMD_WRITE_SECTORS, 0, 1, sector),
               "PIO  WRITE SECTORS  LBA 0, 1 sector     ");

    uint32_t addr = (uint32_t)(uintptr_t)dma_out, len = sizeof(dma_out);
    pattern_fill(dma_out, 2048, 128, 7);
    prd_build(&ide, &addr, &len, 1);
    ok &= step(ata_dma(&ide, CMD_WRITE_DMA, 2048, 128),
               "DMA  WRITE DMA      LBA 2048, 64 KiB    ");
    ok &= step(ata_nondata(CMD_FLUSH_CACHE, 0, 0), "     FLUSH CACHE                        ");

    addr = (uint32_t)(uintptr_t)dma_in;
    memset(dma_in, 0, sizeof(dma_in));
    prd_build(&ide, &addr, &len, 1);
    ok &= step(ata_dma(&ide, CMD_READ_DMA, 2048, 128), "DMA  READ DMA       LBA 2048, 64 KiB    ");
    ok &= report(pattern_check(dma_in, 2048, 128, 7) < 0,
                 "     compare the 64 KiB                 ");

    memset(sector, 0, sizeof(sector));
    ok &= step(ata_pio(&ide, CMD_READ_SECTORS, 0, 1, sector),
               "PIO  READ SECTORS   LBA 0, 1 sector     ");
    ok &= report(!strncmp((const char *)sector, message, sizeof(message) - 1),
                 "     compare the message                ");

    puts_serial(ok ? "demo: PASS\n" : "demo: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
