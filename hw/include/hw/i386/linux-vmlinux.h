/*
 * The kernel inside a bzImage, unpacked on the host.
 *
 * A bzImage's protected-mode part is a small decompressor plus the real
 * kernel (vmlinux, an ELF file) compressed; boot.rst "payload_offset" /
 * "payload_length" (protocol 2.08+) say where.  Run in the guest, the
 * decompressor is pure compute: under an interpreter it is most of a boot
 * (the Debian amd64 kernel's 66 MB of XZ take ~12 s of a 30 s boot under
 * duet -accel tcg).  Unpacking the payload here and loading vmlinux's
 * PT_LOAD segments where the decompressor would put them skips that; the
 * kernel starts at its ELF entry point as the decompressor would jump
 * there, minus what only the decompressor does (KASLR's random placement:
 * the kernel runs at its preferred address, as with "nokaslr").
 */
#ifndef HW_I386_LINUX_VMLINUX_H
#define HW_I386_LINUX_VMLINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qapi/error.h"

typedef struct LinuxVmlinuxSegment {
    uint64_t paddr;        /* ELF p_paddr: relative to the preferred address */
    size_t offset, filesz; /* in the ELF file */
    uint64_t memsz;        /* memsz - filesz bytes of zeros follow */
} LinuxVmlinuxSegment;

typedef struct LinuxVmlinux {
    uint8_t *elf;
    size_t len;
    LinuxVmlinuxSegment *seg;
    unsigned nseg;
    uint64_t entry;        /* ELF e_entry: a physical address for x86 vmlinux */
    bool is64;             /* ELFCLASS64 (x86-64): entered in long mode */
} LinuxVmlinux;

typedef enum LinuxPayloadResult {
    LINUX_PAYLOAD_UNPACKED,
    LINUX_PAYLOAD_UNSUPPORTED, /* a compression duet does not unpack: the guest does */
    LINUX_PAYLOAD_ERROR,       /* corrupt payload or ELF: @errp says what */
} LinuxPayloadResult;

/*
 * Unpacks @payload (XZ or gzip, as the magic says) into @out, at most
 * @limit bytes, and checks the ELF: x86 machine, PT_LOAD segments inside
 * the file.  An ELF class other than @want64 says is left to the guest.
 */
LinuxPayloadResult linux_vmlinux_unpack(const char *name, const uint8_t *payload, size_t len,
                                        uint64_t limit, bool want64, LinuxVmlinux *out,
                                        Error **errp);
void linux_vmlinux_free(LinuxVmlinux *v);

#endif
