/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96).
 *
 * multiboot_prepare reads and checks the kernel and modules once, at
 * machine creation, and plans where everything goes; multiboot_load copies
 * the plan into RAM and sets the CPU's entry state, at every reset.
 */
#ifndef HW_I386_MULTIBOOT_H
#define HW_I386_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "exec/cpu.h"
#include "hw/i386/e820.h"
#include "qapi/error.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MULTIBOOT_SEARCH           8192

typedef struct MultibootImage MultibootImage;

/*
 * @ram_below_4g: bytes of RAM from address 0 (the loadable range);
 * @ram_above_4g: bytes of RAM from 4 GiB (reported in the memory map).
 * @initrd: NULL or comma-separated "FILE ARGS" module specs (",," is a comma).
 */
MultibootImage *multiboot_prepare(const char *kernel_filename, const char *cmdline,
                                  const char *initrd, uint64_t ram_below_4g,
                                  uint64_t ram_above_4g, Error **errp);
/* The same for a kernel already read, with the machine's memory map: @buf is owned by the image (freed on error). */
MultibootImage *multiboot_prepare_image(const char *kernel_filename, uint8_t *buf, size_t len,
                                        const char *cmdline, const char *initrd,
                                        uint64_t ram_below_4g, const E820Table *e820,
                                        Error **errp);
/* Copies the image into @ram (guest-physical 0) and sets up @env. */
void multiboot_load(MultibootImage *mb, uint8_t *ram, CPUX86State *env);
void multiboot_image_free(MultibootImage *mb);
/* Offset of a valid header within @buf's first 8 KiB, or -1. */
long multiboot_find_header(const uint8_t *buf, size_t len);
/* Where the plan put the info block, and the entry point (for tests). */
uint32_t multiboot_info_addr(const MultibootImage *mb);
uint32_t multiboot_entry(const MultibootImage *mb);

#endif
