/*
 * ATA drives on an IDE channel: the task-file registers (hw/ide/core.c),
 * the command table and PIO commands (hw/ide/atacmd.c) and the DMA
 * command flow (hw/ide/dma.c).  A channel (IDEBus) has a master and a
 * slave; both latch every task-file write, the selected one answers reads
 * (ATA/ATAPI-6 section 5).
 *
 * The drive reaches the channel's DMA engine only through an IDEDMA and
 * its IDEDMAOps: the PIIX bus master (hw/ide/bmdma.c) is one, a channel
 * without a bus master has ide_dma_nop, on which DMA commands abort.
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

/* ATA command opcodes (ATA8-ACS names, in QEMU's spelling). */
#define WIN_READ            0x20 /* READ SECTOR(S) */
#define WIN_READ_EXT        0x24 /* READ SECTOR(S) EXT */
#define WIN_READDMA_EXT     0x25 /* READ DMA EXT */
#define WIN_MULTREAD_EXT    0x29 /* READ MULTIPLE EXT */
#define WIN_WRITE           0x30 /* WRITE SECTOR(S) */
#define WIN_WRITE_EXT       0x34 /* WRITE SECTOR(S) EXT */
#define WIN_WRITEDMA_EXT    0x35 /* WRITE DMA EXT */
#define WIN_MULTWRITE_EXT   0x39 /* WRITE MULTIPLE EXT */
#define WIN_DEVICE_RESET    0x08 /* DEVICE RESET (packet devices) */
#define WIN_VERIFY          0x40 /* READ VERIFY SECTOR(S) */
#define WIN_VERIFY_EXT      0x42 /* READ VERIFY SECTOR(S) EXT */
#define WIN_DIAGNOSE        0x90 /* EXECUTE DEVICE DIAGNOSTIC */
#define WIN_SPECIFY         0x91 /* INITIALIZE DEVICE PARAMETERS */
#define WIN_PACKETCMD       0xa0 /* PACKET */
#define WIN_PIDENTIFY       0xa1 /* IDENTIFY PACKET DEVICE */
#define WIN_MULTREAD        0xc4 /* READ MULTIPLE */
#define WIN_MULTWRITE       0xc5 /* WRITE MULTIPLE */
#define WIN_SETMULT         0xc6 /* SET MULTIPLE MODE */
#define WIN_READDMA         0xc8 /* READ DMA */
#define WIN_WRITEDMA        0xca /* WRITE DMA */
#define WIN_STANDBYNOW1     0xe0 /* STANDBY IMMEDIATE */
#define WIN_IDLEIMMEDIATE   0xe1 /* IDLE IMMEDIATE */
#define WIN_READ_BUFFER     0xe4 /* READ BUFFER */
#define WIN_CHECKPOWERMODE1 0xe5 /* CHECK POWER MODE */
#define WIN_FLUSH_CACHE     0xe7 /* FLUSH CACHE */
#define WIN_WRITE_BUFFER    0xe8 /* WRITE BUFFER */
#define WIN_READ_BUFFER_DMA 0xe9 /* READ BUFFER DMA (ACS-2) */
#define WIN_FLUSH_CACHE_EXT 0xea /* FLUSH CACHE EXT */
#define WIN_WRITE_BUFFER_DMA 0xeb /* WRITE BUFFER DMA (ACS-2) */
#define WIN_IDENTIFY        0xec /* IDENTIFY DEVICE */
#define WIN_SETFEATURES     0xef /* SET FEATURES */

#define IDE_MAX_MULT_SECTORS 16
#define IDE_SECTOR_SIZE 512
#define IDE_IO_BUFFER_SIZE (IDE_MAX_MULT_SECTORS * IDE_SECTOR_SIZE)

/* ATAPI (hw/ide/atapi.c): 12-byte packets, 2048-byte blocks. */
#define ATAPI_PACKET_SIZE 12
#define ATAPI_SECTOR_SIZE 2048
/* A PIO DRQ block is at most FFFEh bytes (the byte count limit). */
#define ATAPI_IO_BUFFER_SIZE 0x10000

/* Sector count register during a packet command: the interrupt reason. */
#define ATAPI_INT_REASON_CD  0x01 /* CoD: command packet (1) or data (0) */
#define ATAPI_INT_REASON_IO  0x02 /* IO: to the host (1) */

/* What kind of device a slot holds: its signature, reset state and
 * which of the command table's commands it takes (hw/ide/core.c). */
typedef struct IDEDriveClass IDEDriveClass;
extern const IDEDriveClass ide_hd_class; /* ATA hard disk */
extern const IDEDriveClass ide_cd_class; /* ATAPI CD/DVD-ROM (MMC) */

typedef struct IDEBus IDEBus;
typedef struct IDEState IDEState;
typedef struct IDEDMA IDEDMA;
typedef struct IDEDMAOps IDEDMAOps;
typedef void EndTransferFunc(IDEState *s);
/* The drive's half of a DMA transfer, which the engine runs when started. */
typedef void IDEDMAFunc(IDEState *s);

typedef enum {
    IDE_XFER_NONE,
    IDE_XFER_PIO_IN,  /* drive -> host through the data port */
    IDE_XFER_PIO_OUT, /* host -> drive */
} IDEXferDir;

struct IDEState {
    IDEBus *bus;
    int unit;
    bool present;       /* a drive is attached (possibly with no medium) */
    const IDEDriveClass *drive_class; /* &ide_hd_class or &ide_cd_class */
    BlockBackend *blk;  /* NULL: no medium */
    uint64_t nb_sectors;
    uint64_t trace_req; /* the current command's request id (trace) */
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
    bool dma_read;          /* its direction: drive -> memory */
    bool dma_buffer;        /* it moves buffer[], not the medium */
    unsigned cmd_flags;     /* the command table's flags for cmd */

    /* PIO */
    IDEXferDir xfer_dir;
    uint8_t *io_buffer;
    uint32_t data_ptr, data_end;
    EndTransferFunc *end_transfer_func;
    QEMUIOVector qiov;

    /* DMA */
    QEMUSGList sg;

    /* The drive's sector buffer: WRITE BUFFER (DMA) fills it, READ BUFFER (DMA) reads it. */
    uint8_t buffer[IDE_SECTOR_SIZE];

    /* ATAPI (hw/ide/atapi.c, atapi-cmd.c) */
    uint8_t packet[ATAPI_PACKET_SIZE];
    uint8_t sense_key, asc;      /* REQUEST SENSE data (SPC-3 4.5) */
    bool tray_open, tray_locked;
    bool media_changed;          /* UNIT ATTENTION, then a NEW MEDIA event */
    uint8_t media_event;         /* GET EVENT STATUS NOTIFICATION: pending event code */
    bool atapi_dma;              /* data phase by DMA (PACKET features bit 0) */
    uint32_t byte_count_limit;   /* PIO: at most this much per DRQ block */
    int64_t atapi_lba;           /* a READ's first block; -1: reply data in io_buffer */
    uint32_t atapi_left;         /* bytes of the data phase still to move */
    uint32_t atapi_pos;          /* bytes moved: of io_buffer, or past atapi_lba */
    uint64_t cd_blocks;          /* medium size in 2048-byte blocks */
};

/*
 * What the drive asks of its channel's DMA engine.  Every hook is called
 * with the BQL held; none may be NULL.
 */
struct IDEDMAOps {
    /*
     * A DMA command on s is ready to move data.  The engine keeps cb and
     * calls cb(s) each time it is started, at once if it already runs.
     * False: the channel has no DMA engine (the command is aborted).
     */
    bool (*start_dma)(IDEDMA *dma, IDEState *s, IDEDMAFunc *cb);
    /*
     * Describes in s->sg (which it initialises) up to limit bytes of the
     * guest memory the engine points at next, whole sectors only, and
     * stores the count in *bytes.  0 bytes: not started, or its table has
     * ended (the drive then waits).  Not MEMTX_OK: the engine could not
     * reach memory (s->sg is then empty).
     */
    MemTxResult (*prepare_buf)(IDEDMA *dma, IDEState *s, uint32_t limit, uint32_t *bytes);
    /*
     * Copies up to len bytes between buf and the guest memory the engine
     * points at next (to_memory: buf -> memory), less where its table
     * ends; *done is the count.  For data that is not on the medium
     * (buffer[], ATAPI reply data, whose length is any byte count).
     */
    MemTxResult (*rw_buf)(IDEDMA *dma, uint8_t *buf, uint32_t len, bool to_memory,
                          uint32_t *done);
    /*
     * The drive's data phase ended (more false: all data moved) or stalls
     * (more true: the engine gave no buffer, the drive keeps DRQ).
     */
    void (*set_inactive)(IDEDMA *dma, bool more);
    /* A guest memory access of the transfer failed: res says why. */
    void (*set_error)(IDEDMA *dma, MemTxResult res);
    /* The drive asserted INTRQ (nIEN clear): the engine may latch it. */
    void (*set_irq)(IDEDMA *dma);
    /* Hard reset of the channel. */
    void (*reset)(IDEDMA *dma);
};

struct IDEDMA {
    const IDEDMAOps *ops;
};

/* A channel without a DMA engine: DMA commands abort (hw/ide/dma.c). */
extern const IDEDMAOps ide_dma_nop_ops;

struct IDEBus {
    IDEState ifs[2];
    int bus_id;
    int unit;            /* selected drive (device register bit 4) */
    uint8_t cmd;         /* device control register */
    bool irq_pending;    /* INTRQ asserted by the drive (before nIEN) */
    qemu_irq irq;
    IDEDMA *dma;         /* never NULL: &no_dma without a bus master */
    IDEDMA no_dma;       /* ops = ide_dma_nop_ops */
    PortioList portio_list;  /* command block */
    PortioList portio2_list; /* control block */
};

void ide_bus_init(IDEBus *bus, int bus_id, qemu_irq irq);
/* Hangs a DMA engine on the channel (NULL: none, DMA commands abort). */
void ide_bus_set_dma(IDEBus *bus, IDEDMA *dma);
/* Stops the channel's requests (waits for those in flight) and frees it. */
void ide_bus_destroy(IDEBus *bus);
/* blk may be NULL: a drive with no medium.  Takes the reference. */
bool ide_drive_attach(IDEBus *bus, int unit, BlockBackend *blk, Error **errp);
/* The same for a hard disk (&ide_hd_class) or a CD-ROM (&ide_cd_class). */
bool ide_drive_attach_class(IDEBus *bus, int unit, const IDEDriveClass *cls,
                            BlockBackend *blk, Error **errp);
/*
 * Puts a new medium (blk, whose reference it takes; NULL: none) into a
 * CD-ROM, dropping the old one: the next command gets UNIT ATTENTION /
 * MEDIUM MAY HAVE CHANGED and GET EVENT STATUS NOTIFICATION a NewMedia
 * event, as a monitor's `change` causes in QEMU.
 */
bool ide_cd_change_medium(IDEState *s, BlockBackend *blk, Error **errp);
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
void ide_set_irq(IDEBus *bus);
/* A status register of the bus is being read: help a starved completion. */
void ide_bus_poll_in_flight(IDEBus *bus);

/* hw/ide/identify.c */
void ide_identify(IDEState *s, uint16_t *words);
/* IDENTIFY PACKET DEVICE data (ATA/ATAPI-6 8.16). */
void ide_atapi_identify(IDEState *s, uint16_t *words);

#endif
