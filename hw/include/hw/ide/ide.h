/*
 * ATA drives on an IDE channel (hw/ide/core.c): the task-file registers,
 * the command state machine and PIO data transfer.  A channel (IDEBus)
 * has a master and a slave; both latch every task-file write, the
 * selected one answers reads (ATA/ATAPI-6 section 5).
 */
#ifndef HW_IDE_IDE_H
#define HW_IDE_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/ioport.h"
#include "hw/irq.h"
#include "sysemu/block-backend.h"
#include "sysemu/dma.h"

/* Status register */
#define BUSY_STAT   0x80
#define READY_STAT  0x40 /* DRDY */
#define WRERR_STAT  0x20 /* DF */
#define SEEK_STAT   0x10 /* DSC */
#define DRQ_STAT    0x08
#define ERR_STAT    0x01

/* Error register */
#define UNC_ERR     0x40
#define IDNF_ERR    0x10
#define ABRT_ERR    0x04
#define NM_ERR      0x02

/* Device control register */
#define IDE_CTRL_HOB     0x80
#define IDE_CTRL_RESET   0x04 /* SRST */
#define IDE_CTRL_DISABLE_IRQ 0x02 /* nIEN */

/* Device register */
#define ATA_DEV_LBA  0x40
#define ATA_DEV_DEV  0x10

#define IDE_MAX_MULT_SECTORS 16
#define IDE_SECTOR_SIZE 512
#define IDE_IO_BUFFER_SIZE (IDE_MAX_MULT_SECTORS * IDE_SECTOR_SIZE)

typedef struct IDEBus IDEBus;
typedef struct IDEState IDEState;
typedef struct BMDMAState BMDMAState;
typedef void EndTransferFunc(IDEState *s);

typedef enum {
    IDE_XFER_NONE,
    IDE_XFER_PIO_IN,  /* drive -> host through the data port */
    IDE_XFER_PIO_OUT, /* host -> drive */
} IDEXferDir;

struct IDEState {
    IDEBus *bus;
    int unit;
    bool present;       /* a drive is attached (possibly with no medium) */
    BlockBackend *blk;  /* NULL: no medium */
    uint64_t nb_sectors;
    char drive_serial[21];
    char version[9];
    char model[41];

    /* Default (IDENTIFY words 1/3/6) and current (INITIALIZE DEVICE
     * PARAMETERS) CHS translation. */
    int cylinders, heads, sectors;
    int cur_heads, cur_sectors;

    /* Task-file latches; hob_* are the previous contents (LBA48). */
    uint8_t feature, nsector, sector, lcyl, hcyl, select;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t status;
    uint8_t error;
    uint8_t power_mode;  /* CHECK POWER MODE answer: 0xff active, 0x00 standby */
    uint8_t xfer_mode;   /* last SET FEATURES 03h value */
    int mult_sectors;    /* 0: READ/WRITE MULTIPLE disabled */

    /* The command in progress. */
    uint8_t cmd;
    bool lba48;
    int64_t sector_num;
    uint32_t nsector_left;  /* sectors the command still has to move */
    int req_nb_sectors;     /* sectors per DRQ block (1 or mult_sectors) */
    int io_nb_sectors;      /* sectors in the host request in flight */
    bool io_in_flight;      /* a block request is outstanding (status BSY) */
    int64_t io_start_ns;    /* when it was issued (QEMU_CLOCK_REALTIME) */
    bool reset_pending;     /* a reset arrived while io_in_flight */
    bool dma_pending;       /* a DMA command waits for the bus master */
    bool dma_read;          /* its direction: disk -> memory */

    /* PIO */
    IDEXferDir xfer_dir;
    uint8_t *io_buffer;
    uint32_t data_ptr, data_end;
    EndTransferFunc *end_transfer_func;
    QEMUIOVector qiov;

    /* DMA */
    QEMUSGList sg;
};

struct IDEBus {
    IDEState ifs[2];
    int bus_id;
    int unit;            /* selected drive (device register bit 4) */
    uint8_t cmd;         /* device control register */
    bool irq_pending;    /* INTRQ asserted by the drive (before nIEN) */
    qemu_irq irq;
    BMDMAState *bmdma;   /* NULL without a bus master */
    PortioList portio_list;  /* command block */
    PortioList portio2_list; /* control block */
};

void ide_bus_init(IDEBus *bus, int bus_id, qemu_irq irq);
/* Stops the channel's requests (waits for those in flight) and frees it. */
void ide_bus_destroy(IDEBus *bus);
/* blk may be NULL: a drive with no medium.  Takes the reference. */
bool ide_drive_attach(IDEBus *bus, int unit, BlockBackend *blk, Error **errp);
/* Hard reset of both drives (power-on state; in-flight I/O is discarded). */
void ide_bus_reset(IDEBus *bus);
/* Maps (or unmaps) the legacy ports: 0x1f0-0x1f7 + 0x3f6 style. */
void ide_bus_register_ports(IDEBus *bus, MemoryRegion *io, uint32_t iobase,
                            uint32_t iobase2);
void ide_bus_set_ports_enabled(IDEBus *bus, bool enabled);

/* PortioList callbacks (absolute port numbers). */
uint32_t ide_ioport_read(void *opaque, uint32_t addr);
void ide_ioport_write(void *opaque, uint32_t addr, uint32_t val);
uint32_t ide_status_read(void *opaque, uint32_t addr);
void ide_ctrl_write(void *opaque, uint32_t addr, uint32_t val);
uint32_t ide_data_readw(void *opaque, uint32_t addr);
void ide_data_writew(void *opaque, uint32_t addr, uint32_t val);
uint32_t ide_data_readl(void *opaque, uint32_t addr);
void ide_data_writel(void *opaque, uint32_t addr, uint32_t val);

void ide_exec_cmd(IDEBus *bus, uint32_t val);
/* The DMA state machine: the bus master calls it to start or continue,
 * dma_blk_* calls it when a request lands. */
void ide_dma_cb(void *opaque, int ret);
void ide_set_irq(IDEBus *bus);
/* A status register of the bus is being read: help a starved completion. */
void ide_bus_poll_in_flight(IDEBus *bus);

/* hw/ide/identify.c */
void ide_identify(IDEState *s, uint16_t *words);

#endif
