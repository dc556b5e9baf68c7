/*
 * The BIOS linker/loader script builder (hw/include/hw/acpi/bios-linker-loader.h).
 */
#include "hw/acpi/bios-linker-loader.h"

#include <string.h>

static uint8_t *linker_new_entry(BIOSLinker *linker, uint32_t command)
{
    guint pos = linker->cmd_blob->len;
    uint8_t *e;

    g_byte_array_set_size(linker->cmd_blob, pos + BIOS_LINKER_LOADER_ENTRY_SIZE);
    e = linker->cmd_blob->data + pos;
    memset(e, 0, BIOS_LINKER_LOADER_ENTRY_SIZE);
    for (int i = 0; i < 4; i++) {
        e[i] = command >> (8 * i);
    }
    return e;
}

static void put_name(uint8_t *p, const char *name)
{
    g_assert(strlen(name) < BIOS_LINKER_LOADER_FILESZ);
    memcpy(p, name, strlen(name));
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

BIOSLinker *bios_linker_loader_init(void)
{
    BIOSLinker *linker = g_new0(BIOSLinker, 1);

    linker->cmd_blob = g_byte_array_new();
    return linker;
}

void bios_linker_loader_cleanup(BIOSLinker *linker)
{
    g_byte_array_unref(linker->cmd_blob);
    g_free(linker);
}

void bios_linker_loader_alloc(BIOSLinker *linker, const char *file, uint32_t align, bool fseg)
{
    uint8_t *e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ALLOCATE);

    g_assert(align && !(align & (align - 1)));
    put_name(e + 4, file);
    put32(e + 4 + BIOS_LINKER_LOADER_FILESZ, align);
    e[8 + BIOS_LINKER_LOADER_FILESZ] = fseg ? BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG
                                            : BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH;
}

void bios_linker_loader_add_pointer(BIOSLinker *linker, const char *dest_file,
                                    uint32_t dest_offset, uint8_t size, const char *src_file)
{
    uint8_t *e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ADD_POINTER);

    g_assert(size == 1 || size == 2 || size == 4 || size == 8);
    put_name(e + 4, dest_file);
    put_name(e + 4 + BIOS_LINKER_LOADER_FILESZ, src_file);
    put32(e + 4 + 2 * BIOS_LINKER_LOADER_FILESZ, dest_offset);
    e[8 + 2 * BIOS_LINKER_LOADER_FILESZ] = size;
}

void bios_linker_loader_add_checksum(BIOSLinker *linker, const char *file, uint32_t start,
                                     uint32_t size, uint32_t checksum_offset)
{
    uint8_t *e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM);

    put_name(e + 4, file);
    put32(e + 4 + BIOS_LINKER_LOADER_FILESZ, checksum_offset);
    put32(e + 8 + BIOS_LINKER_LOADER_FILESZ, start);
    put32(e + 12 + BIOS_LINKER_LOADER_FILESZ, size);
}
