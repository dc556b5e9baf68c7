/*
 * A machine with no CPU for device tests (the qtest idea): RAM and a
 * scratch MMIO region in address_space_memory, the PCI bus with the
 * i440FX, PIIX3 and PIIX3 IDE functions, images in a temporary
 * directory.  Tests poke ports through address_space_io and run the main
 * AioContext until the drive is done.
 */
#ifndef TESTS_DEVICE_IDE_HARNESS_H
#define TESTS_DEVICE_IDE_HARNESS_H

#include <check.h>
#include <stdint.h>

#include "block/aio.h"
#include "block_int.h"
#include "exec/memory.h"
#include "hw/ide/pci.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/piix3.h"
#include "qemu/main-loop.h"

#define IT_RAM_SIZE   (4 * 1024 * 1024)
#define IT_MMIO_BASE  0xe0000000u
#define IT_MMIO_SIZE  0x10000u
#define IT_UNMAPPED   0x40000000u /* nothing decodes here */
#define IT_IDE_DEVFN  PCI_DEVFN(1, 1)

/* Legacy task-file ports of channel 0 */
#define IDE_DATA    0x1f0
#define IDE_ERROR   0x1f1
#define IDE_FEATURE 0x1f1
#define IDE_NSECTOR 0x1f2
#define IDE_SECTOR  0x1f3
#define IDE_LCYL    0x1f4
#define IDE_HCYL    0x1f5
#define IDE_SELECT  0x1f6
#define IDE_STATUS  0x1f7
#define IDE_CMD     0x1f7
#define IDE_CTRL    0x3f6
#define IDE_ALTSTATUS 0x3f6

typedef struct IDETest {
    char *tmpdir;
    GPtrArray *images;  /* paths, unlinked at the end */
    MemoryRegion ram;
    uint8_t *ram_ptr;
    MemoryRegion mmio;
    uint8_t mmio_buf[IT_MMIO_SIZE];
    unsigned mmio_reads, mmio_writes;
    PCIBus *bus;
    PCII440FXState *i440fx;
    PIIX3State *piix3;
    PCIIDEState *ide;
    qemu_irq irq[2];
    int irq_level[2];
    unsigned irq_raises[2];
    uint16_t bmdma; /* BAR4 after it_firmware */
} IDETest;

/* Creates the address spaces once per process. */
void it_memory_init(void);
IDETest *it_new(void);
/* Creates an image (raw or qcow2) of size bytes; returns its path (owned by t). */
const char *it_image(IDETest *t, const char *name, const char *fmt, int64_t size);
/* Attaches drives from -drive strings; returns false and sets *errp on error. */
bool it_drives(IDETest *t, Error **errp, ...) G_GNUC_NULL_TERMINATED;
/* Assigns BARs and enables decoding as the board does at start. */
void it_firmware(IDETest *t);
void it_free(IDETest *t);

uint8_t inb(uint16_t port);
uint16_t inw(uint16_t port);
uint32_t inl(uint16_t port);
void outb(uint16_t port, uint8_t val);
void outw(uint16_t port, uint16_t val);
void outl(uint16_t port, uint32_t val);

uint32_t pci_cfg_read(int devfn, int reg, int len);
void pci_cfg_write(int devfn, int reg, uint32_t val, int len);

/* Runs the main AioContext until BSY clears (alternate status); fails the
 * test after 10 s.  Returns the alternate status. */
uint8_t ide_wait_not_busy(uint16_t altstatus_port);
/* Fills sectors of an image file through a fresh BlockBackend. */
void it_image_write(const char *path, const char *fmt, int64_t offset, const void *buf,
                    size_t len);
void it_image_read(const char *path, const char *fmt, int64_t offset, void *buf, size_t len);
/* A recognisable byte pattern per sector. */
void it_pattern(uint8_t *buf, size_t len, unsigned seed);

/* Task-file helpers for channel 0 */
void ide_lba28(uint8_t dev, uint32_t lba, uint8_t count);
void ide_lba48(uint8_t dev, uint64_t lba, uint16_t count);
/* Reads one DRQ block of n bytes from the data port. */
void ide_pio_in(void *buf, size_t n);
void ide_pio_out(const void *buf, size_t n);

#endif
