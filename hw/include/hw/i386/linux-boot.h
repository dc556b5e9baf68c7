/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 32- and
 * 64-bit entry, for -kernel bzImage [-initrd FILE] [-append CMDLINE].
 *
 * linux_boot_prepare checks the setup header and plans the guest layout
 * once, at machine creation; linux_boot_load writes the plan into RAM and
 * sets the CPU's entry state, at every reset.
 *
 * Low memory while the kernel starts (the layout direct-boot VMMs use):
 *   0x0500  GDT: 0x10 __BOOT_CS (64-bit code for the 64-bit entry), 0x18 __BOOT_DS
 *   0x7000  boot_params ("zero page")
 *   0x9000  PML4, 0xa000 PDPT, 0xb000-0xefff four page directories:
 *           2 MiB pages identity-mapping the first 4 GiB (64-bit entry only)
 *   0x20000 the command line
 * The protected-mode kernel goes to its preferred address, the initrd as
 * high below initrd_addr_max and the end of low RAM as it fits.
 */
#ifndef HW_I386_LINUX_BOOT_H
#define HW_I386_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/cpu.h"
#include "hw/i386/e820.h"
#include "qapi/error.h"

#define LINUX_BOOT_GDT_ADDR     0x500
#define LINUX_BOOT_PARAMS_ADDR  0x7000
#define LINUX_BOOT_PML4_ADDR    0x9000
#define LINUX_BOOT_CMDLINE_ADDR 0x20000
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

typedef struct LinuxBootImage LinuxBootImage;

/* The setup header's "HdrS" and boot flag are there: a boot-protocol image. */
bool linux_boot_is_bzimage(const uint8_t *kernel, size_t len);

/*
 * @kernel (owned by the image afterwards), @initrd (NULL or owned),
 * @e820: the machine's memory map (copied into boot_params).  A kernel
 * with a 64-bit entry (xloadflags XLF_KERNEL_64) is entered there, in long
 * mode; others at code32_start in flat protected mode.
 */
LinuxBootImage *linux_boot_prepare(const char *kernel_filename, uint8_t *kernel, size_t len,
                                   const char *cmdline, const char *initrd_filename,
                                   uint8_t *initrd, size_t initrd_len, const E820Table *e820,
                                   Error **errp);
/*
 * Unpacks the compressed kernel on the host (hw/i386/linux-vmlinux.h) so
 * that linux_boot_load loads vmlinux itself and enters it where the
 * bzImage's decompressor would.  A kernel that cannot be done that way
 * (protocol before 2.10, not loaded at its preferred address, a compression
 * other than XZ and gzip) keeps the bzImage path and decompresses itself;
 * a corrupt payload or ELF file is an error.
 */
bool linux_boot_unpack_kernel(LinuxBootImage *lb, const char *name, const E820Table *e820,
                              Error **errp);
/* Copies the plan into @ram (guest-physical 0) and sets up @env. */
void linux_boot_load(LinuxBootImage *lb, uint8_t *ram, CPUX86State *env);
void linux_boot_image_free(LinuxBootImage *lb);

/* For tests and traces: where things went. */
uint64_t linux_boot_kernel_addr(const LinuxBootImage *lb);
uint64_t linux_boot_initrd_addr(const LinuxBootImage *lb);
uint64_t linux_boot_entry(const LinuxBootImage *lb);
bool linux_boot_is_64bit_entry(const LinuxBootImage *lb);
bool linux_boot_is_unpacked(const LinuxBootImage *lb);

#endif
