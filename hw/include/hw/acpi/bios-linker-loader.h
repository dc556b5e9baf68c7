/*
 * The BIOS linker/loader script (QEMU's "etc/table-loader" fw_cfg file):
 * 128-byte commands that tell firmware to allocate memory for fw_cfg
 * files, patch pointers between them once it knows where they went, and
 * fix up checksums after the patching.  SeaBIOS (romfile_loader) and
 * OVMF run it to place the ACPI tables QEMU -- or duet -- built.
 *
 * Command layout (little-endian, zero-padded to 128 bytes):
 *   u32 command, then
 *   ALLOCATE     (1): char file[56], u32 align, u8 zone (1 high memory, 2 F segment)
 *   ADD_POINTER  (2): char dest_file[56], char src_file[56], u32 offset, u8 size:
 *                     dest[offset..+size] += address of src_file
 *   ADD_CHECKSUM (3): char file[56], u32 offset, u32 start, u32 length:
 *                     file[offset] -= sum of file[start..+length]
 */
#ifndef HW_ACPI_BIOS_LINKER_LOADER_H
#define HW_ACPI_BIOS_LINKER_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define BIOS_LINKER_LOADER_ENTRY_SIZE 128
#define BIOS_LINKER_LOADER_FILESZ     56

#define BIOS_LINKER_LOADER_COMMAND_ALLOCATE     0x1
#define BIOS_LINKER_LOADER_COMMAND_ADD_POINTER  0x2
#define BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM 0x3

#define BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH 0x1
#define BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG 0x2

typedef struct BIOSLinker {
    GByteArray *cmd_blob; /* the script: etc/table-loader */
} BIOSLinker;

BIOSLinker *bios_linker_loader_init(void);
void bios_linker_loader_cleanup(BIOSLinker *linker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIOSLinker, bios_linker_loader_cleanup)

void bios_linker_loader_alloc(BIOSLinker *linker, const char *file, uint32_t align,
                              bool fseg);
void bios_linker_loader_add_pointer(BIOSLinker *linker, const char *dest_file,
                                    uint32_t dest_offset, uint8_t size, const char *src_file);
void bios_linker_loader_add_checksum(BIOSLinker *linker, const char *file, uint32_t start,
                                     uint32_t size, uint32_t checksum_offset);

#endif
