/*
 * Bus-master DMA to memory that nothing decodes: one PRD at 1 GiB, past
 * the machine's RAM, for READ DMA (device to memory) and WRITE DMA.  The
 * guest prints what the drive (status, error), the bus master (BMDMA
 * status) and the PCI function (PCISTS received master abort) answer, then
 * checks that the sector the write addressed is unchanged and that the
 * drive works normally.
 *
 * duet answers as a PIIX on a PCI bus would: the cycle is master-aborted,
 * Error is set in the BMDMA status (Interrupt is not: this guest keeps
 * nIEN set, so INTRQ never reaches the bus master), and the drive ends
 * the command with ERR/ABRT.  QEMU 7.2 lets the transfer "succeed" (the data
 * is dropped or read as all-ones), so those lines start with '~'.
 */
#include "ata.h"

#define UNASSIGNED 0x40000000u
#define LBA 100

static uint8_t area[65536] __attribute__((aligned(65536)));
static struct ide_dev ide;

static uint16_t pci_status(void)
{
    return pci_config_readl(ide.pci_bus, ide.pci_dev, ide.pci_fn, 0x04) >> 16;
}

/* Write-1-to-clear PCISTS bits, PCICMD kept. */
static void pci_status_clear(uint16_t bits)
{
    uint32_t v = pci_config_readl(ide.pci_bus, ide.pci_dev, ide.pci_fn, 0x04);

    pci_config_writel(ide.pci_bus, ide.pci_dev, ide.pci_fn, 0x04,
                      (v & 0xffff) | ((uint32_t)bits << 16));
}

static bool probe(uint8_t cmd, const char *name)
{
    uint16_t bm = ide.bmdma_base;
    uint8_t dir = cmd == CMD_READ_DMA ? BM_CMD_TO_MEMORY : 0;
    uint32_t addr = UNASSIGNED, len = 512, i;
    uint8_t bm_status = 0, st = 0;

    prd_build(&ide, &addr, &len, 1);
    outb(bm + BM_CMD, 0);
    outl(bm + BM_PRDT, (uint32_t)ide.prdt);
    outb(bm + BM_STATUS, (inb(bm + BM_STATUS) & 0x60) | BM_STATUS_INT | BM_STATUS_ERROR);
    outb(bm + BM_CMD, dir);
    if (!ata_load_taskfile(cmd, LBA, 1)) {
        return false;
    }
    outb(ATA_COMMAND, cmd);
    outb(bm + BM_CMD, dir | BM_CMD_START);
    for (i = 0; i < ATA_POLL_LIMIT; i++) {
        /* Drive status first: the engine's status is final before the drive
         * leaves BSY, so reading it second never sees a stale Active. */
        st = inb(ATA_CTRL);
        bm_status = inb(bm + BM_STATUS);
        if (!(st & ATA_SR_BSY) && (!(bm_status & BM_STATUS_ACTIVE) ||
                                   (bm_status & BM_STATUS_ERROR) || (st & ATA_SR_ERR))) {
            break;
        }
    }
    outb(bm + BM_CMD, dir);
    if (i == ATA_POLL_LIMIT) {
        printf_serial("%s: FAIL: no end (bm status 0x%02x, status 0x%02x)\n", name, bm_status,
                      st);
        return false;
    }
    st = inb(ATA_STATUS);
    printf_serial("~%s: status 0x%02x error 0x%02x, bm status 0x%02x, pci master abort %d\n",
                  name, st & ATA_SR_COMPARABLE, (st & ATA_SR_ERR) ? inb(ATA_ERROR) : 0,
                  bm_status & 0x07, !!(pci_status() & 0x2000));
    outb(bm + BM_STATUS, (bm_status & 0x60) | BM_STATUS_INT | BM_STATUS_ERROR);
    pci_status_clear(0x3000);
    return true;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint32_t len = 512, addr = (uint32_t)area;
    bool ok;

    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-unassigned: FAIL\n");
        return GUEST_FAIL;
    }
    /* The sector the failed commands address, written first. */
    pattern_fill(area, LBA, 1, 5);
    prd_build(&ide, &addr, &len, 1);
    if (!check(ata_dma(&ide, CMD_WRITE_DMA, LBA, 1).ok, "dma write")) {
        puts_serial("ide-unassigned: FAIL\n");
        return GUEST_FAIL;
    }
    printf_serial("wrote lba=%u n=1 tag=5\n", LBA);
    ok = probe(CMD_READ_DMA, "read dma to 1 GiB");
    ok = probe(CMD_WRITE_DMA, "write dma from 1 GiB") && ok;
    /* The aborted write left the sector alone; the drive works normally. */
    memset(area, 0, 512);
    prd_build(&ide, &addr, &len, 1);
    ok = check(ata_dma(&ide, CMD_READ_DMA, LBA, 1).ok, "dma read afterwards") && ok;
    ok = check(pattern_check(area, LBA, 1, 5) < 0, "sector kept") && ok;
    puts_serial("after: dma read done\n");
    ok = check(ata_nondata(CMD_FLUSH_CACHE, 0, 0).ok, "flush") && ok;
    puts_serial(ok ? "ide-unassigned: PASS\n" : "ide-unassigned: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
