/*
 * fw_cfg: QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.txt).
 * Firmware selects an item by a 16-bit key and reads its bytes one at a
 * time through the data register, or has the DMA interface copy them into
 * guest memory.  Items are either fixed keys (below FW_CFG_FILE_FIRST) or
 * named files listed, sorted by name, in the FW_CFG_FILE_DIR item.
 *
 * On the pc machine: selector at 0x510 (16-bit writes), data at 0x511
 * (byte reads), DMA address at 0x514 (big-endian, 64 bits: two 32-bit
 * writes, the low half starts the transfer).
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/memory.h"

/* Keys (fw_cfg.txt "Selector Register": the fixed items) */
#define FW_CFG_SIGNATURE      0x00
#define FW_CFG_ID             0x01
#define FW_CFG_UUID           0x02
#define FW_CFG_RAM_SIZE       0x03
#define FW_CFG_NOGRAPHIC      0x04
#define FW_CFG_NB_CPUS        0x05
#define FW_CFG_MACHINE_ID     0x06
#define FW_CFG_KERNEL_ADDR    0x07
#define FW_CFG_KERNEL_SIZE    0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR    0x0a
#define FW_CFG_INITRD_SIZE    0x0b
#define FW_CFG_BOOT_DEVICE    0x0c
#define FW_CFG_NUMA           0x0d
#define FW_CFG_BOOT_MENU      0x0e
#define FW_CFG_MAX_CPUS       0x0f
#define FW_CFG_KERNEL_ENTRY   0x10
#define FW_CFG_KERNEL_DATA    0x11
#define FW_CFG_INITRD_DATA    0x12
#define FW_CFG_CMDLINE_ADDR   0x13
#define FW_CFG_CMDLINE_SIZE   0x14
#define FW_CFG_CMDLINE_DATA   0x15
#define FW_CFG_SETUP_ADDR     0x16
#define FW_CFG_SETUP_SIZE     0x17
#define FW_CFG_SETUP_DATA     0x18
#define FW_CFG_FILE_DIR       0x19
#define FW_CFG_FILE_FIRST     0x20
#define FW_CFG_FILE_SLOTS     0x20     /* QEMU's default for current machine types */
#define FW_CFG_MAX_ENTRY      (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)

#define FW_CFG_WRITE_CHANNEL  0x4000   /* ignored by the selector (writes go by DMA) */
#define FW_CFG_ARCH_LOCAL     0x8000
#define FW_CFG_ENTRY_MASK     (~(FW_CFG_WRITE_CHANNEL | FW_CFG_ARCH_LOCAL) & 0xffff)
#define FW_CFG_INVALID        0xffff

/* x86's architecture-local keys (QEMU hw/i386) */
#define FW_CFG_ACPI_TABLES    (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE     (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET           (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID bits */
#define FW_CFG_VERSION        0x01     /* the selector/data interface */
#define FW_CFG_VERSION_DMA    0x02

#define FW_CFG_MAX_FILE_PATH  56
#define FW_CFG_DIR_ENTRY_SIZE 64       /* be32 size, be16 select, u16 reserved, name[56] */

/* FWCfgDmaAccess.control (fw_cfg.txt "FWCfgDmaAccess") */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10
#define FW_CFG_DMA_ACCESS_SIZE 16      /* be32 control, be32 length, be64 address */
#define FW_CFG_DMA_SIGNATURE  0x51454d5520434647ULL /* "QEMU CFG" */

/* The pc machine's ports */
#define FW_CFG_IO_BASE        0x510
#define FW_CFG_DMA_IO_BASE    0x514

typedef struct FWCfgState FWCfgState;

/*
 * A device with its selector/data pair at @iobase and, if @dma_iobase is
 * non-zero, its DMA address register there, copying to and from @dma_as.
 * The signature and ID items are already present.
 */
FWCfgState *fw_cfg_init_io_dma(MemoryRegion *io, uint32_t iobase, uint32_t dma_iobase,
                               AddressSpace *dma_as);
void fw_cfg_destroy(FWCfgState *s);
/* System reset: no item selected. */
void fw_cfg_reset(FWCfgState *s);

/* Fixed items; the data is copied.  A key given twice is replaced. */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value); /* with its NUL */
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value);       /* little-endian */
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value);

/*
 * A named file (at most 55 characters), put in the directory in name
 * order; with @writable the guest may overwrite it by DMA (in place, not
 * past its end).  Returns its key, or -1 with the reason in *errp (name
 * too long or taken, no free slot).  fw_cfg_modify_file replaces the
 * bytes of an existing file (or adds it).
 */
int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len,
                    bool writable, Error **errp);
int fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len,
                       Error **errp);
/* The bytes of a file or fixed key as the guest would read them (NULL: none). */
const uint8_t *fw_cfg_get_item(FWCfgState *s, uint16_t key, size_t *len);
int fw_cfg_find_file(FWCfgState *s, const char *name);

#endif
