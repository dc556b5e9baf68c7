/*
 * Polling ATA/BMDMA driver for the IDE test guests (see ata.h).
 * References: ATA/ATAPI-6 (task file, protocols), SFF-8038i (bus master),
 * PCI Local Bus 3.0 3.2.2.3.2 (configuration mechanism #1).
 */
#include "ata.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PIIX3_IDE_ID 0x70108086u /* device << 16 | vendor */
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MASTER 0x4

uint32_t pci_config_readl(int bus, int dev, int fn, int reg)
{
    outl(PCI_CONFIG_ADDRESS,
         0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
    return inl(PCI_CONFIG_DATA);
}

void pci_config_writel(int bus, int dev, int fn, int reg, uint32_t val)
{
    outl(PCI_CONFIG_ADDRESS,
         0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
    outl(PCI_CONFIG_DATA, val);
}

bool ide_probe(struct ide_dev *ide)
{
    for (int dev = 0; dev < 32; dev++) {
        for (int fn = 0; fn < 8; fn++) {
            uint32_t id = pci_config_readl(0, dev, fn, 0);

            if (id == 0xffffffffu) {
                if (fn == 0) {
                    break; /* no device: its other functions do not exist */
                }
                continue;
            }
            if (id != PIIX3_IDE_ID) {
                continue;
            }
            uint32_t class = pci_config_readl(0, dev, fn, 8) >> 8;
            uint32_t bar4 = pci_config_readl(0, dev, fn, 0x20);
            uint32_t cmd = pci_config_readl(0, dev, fn, 4) & 0xffff;

            printf_serial("pci: 8086:7010 at 00:%02x.%d class %06x\n", dev, fn, class);
            if (!(bar4 & 1) || (bar4 & 0xfffc) == 0) {
                printf_serial("FAIL: BAR4 0x%08x is not a programmed I/O BAR\n", bar4);
                return false;
            }
            ide->pci_bus = 0;
            ide->pci_dev = dev;
            ide->pci_fn = fn;
            ide->bmdma_base = bar4 & 0xfffc;
            /* Firmware may leave bus mastering off; the status half is RW1C. */
            pci_config_writel(0, dev, fn, 4, cmd | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
            printf_serial("~pci: BAR4 (bus master) at 0x%04x\n", ide->bmdma_base);
            return true;
        }
    }
    puts_serial("FAIL: no PIIX IDE function (8086:7010) on PCI bus 0\n");
    return false;
}

bool ata_wait_not_busy(uint8_t *status)
{
    for (uint32_t i = 0; i < ATA_POLL_LIMIT; i++) {
        uint8_t st = inb(ATA_CTRL); /* alternate status: no side effects */

        if (!(st & ATA_SR_BSY)) {
            if (status) {
                *status = st;
            }
            return true;
        }
    }
    puts_serial("FAIL: drive stayed busy\n");
    return false;
}

bool ata_soft_reset(void)
{
    uint8_t st;

    outb(ATA_CTRL, ATA_CTRL_SRST | ATA_CTRL_NIEN);
    for (int i = 0; i < 4; i++) {
        inb(ATA_CTRL); /* ATA-6 9.2: SRST asserted at least 5 us */
    }
    outb(ATA_CTRL, ATA_CTRL_NIEN);
    if (!ata_wait_not_busy(&st)) {
        return false;
    }
    /*
     * Select drive 0 until it shows DRDY.  QEMU finishes a soft reset later,
     * in a bottom half: a select written before that is ignored (BSY) and
     * the reset may leave drive 1 (absent: status 00h) selected.
     */
    for (uint32_t i = 0; i < ATA_POLL_LIMIT; i++) {
        st = inb(ATA_CTRL);
        if ((st & (ATA_SR_BSY | ATA_SR_DRDY)) == ATA_SR_DRDY) {
            return true;
        }
        if (!(st & ATA_SR_BSY)) {
            outb(ATA_DEVICE, 0xa0 | ATA_DEV_LBA);
        }
    }
    printf_serial("FAIL: drive 0 not ready after soft reset (status 0x%02x)\n", st);
    return false;
}

bool ata_cmd_is_lba48(uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_SECTORS_EXT:
    case CMD_READ_DMA_EXT:
    case CMD_READ_MULTIPLE_EXT:
    case CMD_WRITE_SECTORS_EXT:
    case CMD_WRITE_DMA_EXT:
    case CMD_WRITE_MULTIPLE_EXT:
    case CMD_FLUSH_CACHE_EXT:
        return true;
    default:
        return false;
    }
}

static bool ata_cmd_is_write(uint8_t cmd)
{
    return cmd == CMD_WRITE_SECTORS || cmd == CMD_WRITE_SECTORS_EXT ||
           cmd == CMD_WRITE_MULTIPLE || cmd == CMD_WRITE_MULTIPLE_EXT;
}

static bool ata_cmd_is_multiple(uint8_t cmd)
{
    return cmd == CMD_READ_MULTIPLE || cmd == CMD_WRITE_MULTIPLE ||
           cmd == CMD_READ_MULTIPLE_EXT || cmd == CMD_WRITE_MULTIPLE_EXT;
}

bool ata_load_taskfile(uint8_t cmd, uint64_t lba, uint32_t n)
{
    bool lba48 = ata_cmd_is_lba48(cmd);

    outb(ATA_DEVICE, lba48 ? 0xa0 | ATA_DEV_LBA : 0xa0 | ATA_DEV_LBA | ((lba >> 24) & 0x0f));
    if (!ata_wait_not_busy(NULL)) {
        return false;
    }
    if (lba48) {
        outb(ATA_NSECTOR, n >> 8);
        outb(ATA_LBA_LOW, lba >> 24);
        outb(ATA_LBA_MID, lba >> 32);
        outb(ATA_LBA_HIGH, lba >> 40);
    }
    outb(ATA_NSECTOR, n);
    outb(ATA_LBA_LOW, lba);
    outb(ATA_LBA_MID, lba >> 8);
    outb(ATA_LBA_HIGH, lba >> 16);
    return true;
}

/* Reads the final status (clearing a pending INTRQ) and the error register. */
static struct ata_result ata_finish(void)
{
    struct ata_result r;

    r.status = inb(ATA_STATUS);
    r.error = (r.status & ATA_SR_ERR) ? inb(ATA_ERROR) : 0;
    r.ok = !(r.status & (ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR));
    return r;
}

static struct ata_result ata_timeout(void)
{
    return (struct ata_result){ .ok = false, .status = 0xff, .error = 0xff };
}

bool ata_identify(struct ata_identity *id)
{
    uint16_t w[256];
    uint8_t st;
    int len;

    outb(ATA_DEVICE, 0xa0);
    if (!ata_wait_not_busy(NULL)) {
        return false;
    }
    outb(ATA_COMMAND, CMD_IDENTIFY);
    if (!ata_wait_not_busy(&st) || !check(st & ATA_SR_DRQ, "IDENTIFY data ready")) {
        return false;
    }
    uint16_t *p = w;
    uint32_t count = 256;
    __asm__ volatile("rep insw" : "+D"(p), "+c"(count) : "d"(ATA_DATA) : "memory");

    /* ATA strings: two characters per word, the first in the high byte. */
    for (int i = 0; i < 20; i++) {
        id->model[2 * i] = w[27 + i] >> 8;
        id->model[2 * i + 1] = w[27 + i] & 0xff;
    }
    for (len = 40; len > 0 && id->model[len - 1] == ' '; len--) {
    }
    id->model[len] = 0;
    id->sectors = (uint64_t)w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32 |
                  (uint64_t)w[103] << 48;
    id->lba28_sectors = w[60] | (uint32_t)w[61] << 16;
    id->lba48 = w[83] & (1 << 10);
    id->max_multiple = w[47] & 0xff;
    return ata_finish().ok;
}

struct ata_result ata_nondata(uint8_t cmd, uint8_t feature, uint8_t nsector)
{
    outb(ATA_DEVICE, 0xa0 | ATA_DEV_LBA);
    if (!ata_wait_not_busy(NULL)) {
        return ata_timeout();
    }
    outb(ATA_FEATURE, feature);
    outb(ATA_NSECTOR, nsector);
    outb(ATA_COMMAND, cmd);
    if (!ata_wait_not_busy(NULL)) {
        return ata_timeout();
    }
    return ata_finish();
}

struct ata_result ata_pio(struct ide_dev *ide, uint8_t cmd, uint64_t lba, uint32_t n,
                          void *buf)
{
    uint32_t block = ata_cmd_is_multiple(cmd) ? ide->multiple : 1;
    bool is_write = ata_cmd_is_write(cmd);
    uint16_t *p = buf;
    uint8_t st;

    if (!ata_load_taskfile(cmd, lba, n)) {
        return ata_timeout();
    }
    outb(ATA_COMMAND, cmd);
    while (n) {
        uint32_t sectors = n < block ? n : block;
        uint32_t words = sectors * 256;

        /* PIO protocols: each DRQ block is preceded by BSY, then DRQ. */
        if (!ata_wait_not_busy(&st)) {
            return ata_timeout();
        }
        if ((st & ATA_SR_ERR) || !(st & ATA_SR_DRQ)) {
            return ata_finish();
        }
        if (is_write) {
            __asm__ volatile("rep outsw" : "+S"(p), "+c"(words) : "d"(ATA_DATA) : "memory");
        } else {
            __asm__ volatile("rep insw" : "+D"(p), "+c"(words) : "d"(ATA_DATA) : "memory");
        }
        n -= sectors;
    }
    if (!ata_wait_not_busy(NULL)) {
        return ata_timeout();
    }
    return ata_finish();
}

struct ata_result ata_dma(struct ide_dev *ide, uint8_t cmd, uint64_t lba, uint32_t n)
{
    uint16_t bm = ide->bmdma_base;
    bool to_memory = cmd == CMD_READ_DMA || cmd == CMD_READ_DMA_EXT;
    uint8_t dir = to_memory ? BM_CMD_TO_MEMORY : 0;
    uint8_t bm_status = 0, st = 0;
    uint32_t i;

    /* SFF-8038i: engine stopped, table address, Error/Interrupt cleared. */
    outb(bm + BM_CMD, 0);
    outl(bm + BM_PRDT, (uint32_t)ide->prdt);
    outb(bm + BM_STATUS, (inb(bm + BM_STATUS) & 0x60) | BM_STATUS_INT | BM_STATUS_ERROR);
    outb(bm + BM_CMD, dir);
    if (!ata_load_taskfile(cmd, lba, n)) {
        return ata_timeout();
    }
    outb(ATA_COMMAND, cmd);
    outb(bm + BM_CMD, dir | BM_CMD_START);
    for (i = 0; i < ATA_POLL_LIMIT; i++) {
        /* Drive status first: the engine's status is final before the drive
         * leaves BSY, so reading it second never sees a stale Active. */
        st = inb(ATA_CTRL);
        bm_status = inb(bm + BM_STATUS);
        if (st & ATA_SR_BSY) {
            continue;
        }
        if (!(bm_status & BM_STATUS_ACTIVE) || (bm_status & BM_STATUS_ERROR) ||
            (st & ATA_SR_ERR)) {
            break;
        }
    }
    outb(bm + BM_CMD, dir); /* stop the engine */
    if (i == ATA_POLL_LIMIT) {
        printf_serial("FAIL: DMA did not finish (bm status 0x%02x, status 0x%02x)\n",
                      bm_status, st);
        return ata_timeout();
    }
    outb(bm + BM_STATUS, (bm_status & 0x60) | BM_STATUS_INT | BM_STATUS_ERROR);
    struct ata_result r = ata_finish();
    if (bm_status & BM_STATUS_ERROR) {
        r.ok = false;
    }
    return r;
}

int prd_build(struct ide_dev *ide, const uint32_t *addrs, const uint32_t *lens, int n)
{
    for (int i = 0; i < n; i++) {
        if ((addrs[i] & 0xffff) + lens[i] > 0x10000 || lens[i] == 0 || (lens[i] & 1)) {
            printf_serial("FAIL: PRD %d (0x%x+0x%x) is not a valid region\n", i, addrs[i],
                          lens[i]);
        }
        ide->prdt[i].addr = addrs[i];
        ide->prdt[i].count = (lens[i] & 0xffff) | (i == n - 1 ? PRD_EOT : 0);
    }
    return n;
}

static uint32_t prd_len(const struct prd *p)
{
    return (p->count & 0xffff) ? (p->count & 0xffff) : 0x10000;
}

void prd_scatter(const struct ide_dev *ide, const uint8_t *linear)
{
    for (int i = 0; i < PRD_MAX; i++) {
        memcpy((void *)ide->prdt[i].addr, linear, prd_len(&ide->prdt[i]));
        linear += prd_len(&ide->prdt[i]);
        if (ide->prdt[i].count & PRD_EOT) {
            break;
        }
    }
}

void prd_gather(const struct ide_dev *ide, uint8_t *linear)
{
    for (int i = 0; i < PRD_MAX; i++) {
        memcpy(linear, (void *)ide->prdt[i].addr, prd_len(&ide->prdt[i]));
        linear += prd_len(&ide->prdt[i]);
        if (ide->prdt[i].count & PRD_EOT) {
            break;
        }
    }
}

static uint32_t pattern_word(uint64_t lba, uint32_t k, uint32_t tag)
{
    return (uint32_t)lba * 0x01000193u + k * 0x9e3779b9u + tag * 0x7f4a7c15u;
}

void pattern_fill(void *buf, uint64_t lba, uint32_t n, uint32_t tag)
{
    uint32_t *w = buf;

    for (uint32_t s = 0; s < n; s++) {
        for (uint32_t k = 0; k < 128; k++) {
            *w++ = pattern_word(lba + s, k, tag);
        }
    }
}

int pattern_check(const void *buf, uint64_t lba, uint32_t n, uint32_t tag)
{
    const uint32_t *w = buf;

    for (uint32_t s = 0; s < n; s++) {
        for (uint32_t k = 0; k < 128; k++) {
            if (*w++ != pattern_word(lba + s, k, tag)) {
                return s;
            }
        }
    }
    return -1;
}
