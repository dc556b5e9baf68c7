/*
 * A polling ATA driver for the IDE test guests: finds the PIIX IDE
 * function on the PCI bus, and moves sectors with PIO (rep insw/outsw) or
 * bus-master DMA on the primary channel's master drive.
 *
 * Interrupts stay masked at the drive (nIEN set): under this host's KVM a
 * protected-mode guest cannot return from an interrupt, so every wait is a
 * status poll.  Each wait is bounded; a timeout is a failure, not a hang.
 */
#ifndef IDE_ATA_H
#define IDE_ATA_H

#include "../runtime/guest.h"

/* Primary channel, legacy ports (the PIIX decodes them whatever BAR0-3 say). */
#define ATA_BASE 0x1f0
#define ATA_DATA (ATA_BASE + 0)
#define ATA_ERROR (ATA_BASE + 1)
#define ATA_FEATURE (ATA_BASE + 1)
#define ATA_NSECTOR (ATA_BASE + 2)
#define ATA_LBA_LOW (ATA_BASE + 3)
#define ATA_LBA_MID (ATA_BASE + 4)
#define ATA_LBA_HIGH (ATA_BASE + 5)
#define ATA_DEVICE (ATA_BASE + 6)
#define ATA_STATUS (ATA_BASE + 7)
#define ATA_COMMAND (ATA_BASE + 7)
#define ATA_CTRL 0x3f6 /* write: device control; read: alternate status */

#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01
/* The status bits every ATA device defines the same way (DF/DSC vary). */
#define ATA_SR_COMPARABLE (ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DRQ | ATA_SR_ERR)

#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04

#define ATA_CTRL_NIEN 0x02
#define ATA_CTRL_SRST 0x04

#define ATA_DEV_LBA 0x40

enum {
    CMD_READ_SECTORS = 0x20,
    CMD_READ_SECTORS_EXT = 0x24,
    CMD_READ_DMA_EXT = 0x25,
    CMD_READ_MULTIPLE_EXT = 0x29,
    CMD_WRITE_SECTORS = 0x30,
    CMD_WRITE_SECTORS_EXT = 0x34,
    CMD_WRITE_DMA_EXT = 0x35,
    CMD_WRITE_MULTIPLE_EXT = 0x39,
    CMD_READ_MULTIPLE = 0xc4,
    CMD_WRITE_MULTIPLE = 0xc5,
    CMD_SET_MULTIPLE = 0xc6,
    CMD_READ_DMA = 0xc8,
    CMD_WRITE_DMA = 0xca,
    CMD_FLUSH_CACHE = 0xe7,
    CMD_FLUSH_CACHE_EXT = 0xea,
    CMD_IDENTIFY = 0xec,
};

/* SFF-8038i bus-master registers, offsets from BAR4 (primary channel). */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08
#define BM_STATUS_ACTIVE 0x01
#define BM_STATUS_ERROR 0x02
#define BM_STATUS_INT 0x04

/* One Physical Region Descriptor; a region never crosses 64 KiB. */
struct prd {
    uint32_t addr;
    uint32_t count; /* bits 15:0 byte count (0 = 64 KiB), bit 31 end of table */
};
#define PRD_EOT 0x80000000u
#define PRD_MAX 16

struct ata_identity {
    char model[41];
    uint64_t sectors;      /* words 100-103 */
    uint32_t lba28_sectors; /* words 60-61 */
    bool lba48;            /* word 83 bit 10 */
    unsigned max_multiple; /* word 47 bits 7:0 */
};

/* What a finished command left in the task file. */
struct ata_result {
    bool ok;
    uint8_t status, error;
};

struct ide_dev {
    uint8_t pci_bus, pci_dev, pci_fn;
    uint16_t bmdma_base;
    unsigned multiple; /* sectors per DRQ block for READ/WRITE MULTIPLE */
    /* 128-byte aligned: the table itself must not cross 64 KiB */
    struct prd prdt[PRD_MAX] __attribute__((aligned(128)));
};

/* PCI configuration mechanism #1 (0xcf8/0xcfc). */
uint32_t pci_config_readl(int bus, int dev, int fn, int reg);
void pci_config_writel(int bus, int dev, int fn, int reg, uint32_t val);

/* Finds 8086:7010, reads BAR4, enables I/O decoding and bus mastering. */
bool ide_probe(struct ide_dev *ide);
/* Soft reset of the primary channel, leaving nIEN set and drive 0 selected. */
bool ata_soft_reset(void);
/* Waits until BSY clears; false (and a message) on timeout. */
bool ata_wait_not_busy(uint8_t *status);

/* Selects drive 0 and loads address and count; 48-bit: high bytes first. */
bool ata_load_taskfile(uint8_t cmd, uint64_t lba, uint32_t n);
bool ata_cmd_is_lba48(uint8_t cmd);

bool ata_identify(struct ata_identity *id);
/* Issues a command with no data phase and waits for its end. */
struct ata_result ata_nondata(uint8_t cmd, uint8_t feature, uint8_t nsector);

/* PIO data-in/data-out of n sectors; cmd decides 28/48-bit and block size. */
struct ata_result ata_pio(struct ide_dev *ide, uint8_t cmd, uint64_t lba, uint32_t n,
                          void *buf);

/*
 * DMA of n sectors through the PRD table already in ide->prdt (built with
 * prd_build).  Issues the ATA command first and then starts the engine, as
 * drivers do; polls until the engine is idle and BSY is clear.
 */
struct ata_result ata_dma(struct ide_dev *ide, uint8_t cmd, uint64_t lba, uint32_t n);

/* Fills ide->prdt with regions (addr, len) and returns the entry count. */
int prd_build(struct ide_dev *ide, const uint32_t *addrs, const uint32_t *lens, int n);
/* Copies between a linear buffer and the regions of ide->prdt. */
void prd_scatter(const struct ide_dev *ide, const uint8_t *linear);
void prd_gather(const struct ide_dev *ide, uint8_t *linear);

/*
 * The sector pattern the test runners know too: word k (0..127) of sector
 * lba written with tag t is lba*0x01000193 + k*0x9e3779b9 + t*0x7f4a7c15
 * (mod 2^32), little-endian.
 */
void pattern_fill(void *buf, uint64_t lba, uint32_t n, uint32_t tag);
/* Index of the first wrong sector, or -1. */
int pattern_check(const void *buf, uint64_t lba, uint32_t n, uint32_t tag);

/* Bounded polls per wait: long enough for a slow host, short of a hang. */
#define ATA_POLL_LIMIT 10000000u

#endif
