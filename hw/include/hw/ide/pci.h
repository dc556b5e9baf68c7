/*
 * PCI IDE with SFF-8038i bus-master DMA: the PIIX3 IDE function
 * (hw/ide/piix.c) and its BMDMA registers (hw/ide/bmdma.c).  The bus
 * master is each channel's IDEDMA; the status bits, the PCI status
 * register and bus-master enable are known here and nowhere in the drive.
 */
#ifndef HW_IDE_PCI_H
#define HW_IDE_PCI_H

#include "qemu/compiler.h"
#include "hw/ide/ide.h"
#include "hw/pci/pci.h"

/* BMDMA command register */
#define BM_CMD_START 0x01
#define BM_CMD_READ  0x08 /* device -> memory */

/* BMDMA status register */
#define BM_STATUS_DMAING  0x01 /* active, read-only */
#define BM_STATUS_ERROR   0x02 /* write 1 to clear */
#define BM_STATUS_INT     0x04 /* write 1 to clear */
#define BM_STATUS_DMA_CAP 0x60 /* drive 0/1 DMA capable: plain storage */
#define BM_STATUS_SIMPLEX 0x80

#define BMDMA_PRD_EOT 0x80000000u

/* Keep the layers of a guest I/O as separate frames for gdb. */
#define IDE_BMDMA_FRAME QEMU_VISIBLE_FRAME

typedef struct BMDMAState {
    IDEDMA dma;        /* first: the drive's view, ops = bmdma_dma_ops */
    uint8_t cmd;
    uint8_t status;
    uint32_t addr;     /* PRD table base */
    IDEBus *bus;
    PCIDevice *pci_dev;
    /* Walk position within the table, restarted at each start. */
    uint32_t cur_addr;      /* next descriptor to fetch */
    uint32_t cur_prd_addr;  /* memory address inside the current descriptor */
    uint32_t cur_prd_len;   /* bytes left in it */
    bool cur_prd_last;      /* the current descriptor has EOT */
    /* The DMA command waiting for the engine (IDEDMAOps.start_dma). */
    IDEState *dma_if;
    IDEDMAFunc *dma_cb;
} BMDMAState;

/* One -drive: its image (or none) until a device takes it. */
typedef struct DriveInfo {
    char *id;            /* id=, or NULL */
    char *str;           /* the -drive string, for messages */
    bool iface_none;     /* if=none: for a -device ide-hd/ide-cd */
    bool cdrom;          /* media=cdrom */
    bool readonly;
    int slot;            /* if=ide: bus * 2 + unit; -1 for if=none */
    BlockBackend *blk;   /* NULL: empty, or handed to its device */
    bool attached;       /* a device has it */
    bool auto_attached;  /* ... the one if=ide created */
} DriveInfo;

typedef struct PCIIDEState {
    PCIDevice dev; /* first */
    IDEBus bus[2];
    BMDMAState bmdma[2];
    MemoryRegion bmdma_bar;
    GPtrArray *drives;   /* of DriveInfo *, in -drive order (hw/ide/drive.c) */
} PCIIDEState;

/* hw/ide/bmdma.c */
extern const MemoryRegionOps bmdma_ops;
void bmdma_init(BMDMAState *bm, IDEBus *bus, PCIDevice *pci_dev);
void bmdma_cmd_writeb(BMDMAState *bm, uint32_t val);

/* hw/ide/piix.c */
PCIIDEState *piix3_ide_init(PCIBus *bus, int devfn, qemu_irq irq14, qemu_irq irq15,
                            Error **errp);
void piix3_ide_free(PCIIDEState *d);

/*
 * hw/ide/drive.c: opens every -drive string (-hda..-hdd and -cdrom are
 * rewritten to -drive) and puts the if=ide ones onto the four slots (a
 * disk, or a CD-ROM with media=cdrom); if=none drives wait for a -device.
 * snapshot: -snapshot, the default of every drive's snapshot= key.
 */
bool pc_ide_init_drives(PCIIDEState *d, GPtrArray *drive_opts, Error **errp);
bool pc_ide_init_drives_snapshot(PCIIDEState *d, GPtrArray *drive_opts, bool snapshot,
                                 Error **errp);
void pc_ide_drives_free(PCIIDEState *d);
DriveInfo *pc_ide_find_drive(PCIIDEState *d, const char *id);
/* Gives di (NULL: none) to a new device of class cls at bus/unit. */
bool ide_dev_attach_drive(PCIIDEState *d, DriveInfo *di, int bus, int unit,
                          const IDEDriveClass *cls, Error **errp);

/* hw/ide/ide-dev.c: -device ide-hd / ide-cd (drive=, bus=ide.N, unit=). */
extern const QemuOptDesc ide_dev_props[];
bool ide_dev_create(PCIIDEState *d, QemuOpts *opts, const IDEDriveClass *cls, Error **errp);
/*
 * A -drive string's syntax and -drive's own keys checked at start-up (the
 * node options are checked when the image opens).  "help" (or KEY=help)
 * prints the keys (or KEY's line) and the block node options to @out and
 * sets *help.
 */
bool ide_drive_check(const char *optstr, FILE *out, bool *help, Error **errp);

#endif
