/*
 * -bios on the pc machine: the firmware ROM and where it shows.
 *
 * As on QEMU's pc (and a real i440FX board, whose flash decodes at the top
 * of the 4 GiB space): the whole image is a ROM ending at 4 GiB, so the
 * reset vector 0xfffffff0 (SDM vol.3 9.1.4) is its last 16 bytes.  Its
 * last 128 KiB (all of it when smaller) also sit in the PCI window below
 * 1 MiB, ending at 0x100000, where the PAM registers choose between them
 * and the shadow RAM (hw/pci/pam.h); with them, 0xc0000-0xdffff is QEMU's
 * "pc.rom", an empty option-ROM area.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "hw/i386/pc.h"

#include "qemu/file-read.h"
#include "trace/trace.h"

#define PC_BIOS_BLOCK     0x10000           /* images are whole 64 KiB blocks */
#define PC_BIOS_MAX_SIZE  (16 * 1024 * 1024) /* the flash window below 4 GiB */
#define PC_ISA_BIOS_MAX   0x20000           /* what shows below 1 MiB */
#define PC_OPTION_ROM_SIZE 0x20000          /* 0xc0000-0xdffff */

static bool pc_bios_load(PCMachineState *pcms, const char *path, Error **errp)
{
    g_autofree uint8_t *data = NULL;
    size_t len;

    if (!qemu_read_file_bounded("-bios", path, PC_BIOS_MAX_SIZE,
                                "the 16 MiB firmware window below 4 GiB", &data, &len,
                                errp)) {
        return false;
    }
    if (len == 0) {
        error_setg(errp, "-bios %s: the file is empty", path);
        return false;
    }
    if (len % PC_BIOS_BLOCK) {
        g_autofree char *size = qemu_format_size(len);
        error_setg(errp, "-bios %s: the file is %s (%zu bytes); a BIOS image is a "
                   "whole number of 64 KiB blocks", path, size, len);
        return false;
    }
    if (!memory_region_init_ram(&pcms->bios, "pc.bios", len, errp)) {
        error_prepend(errp, "-bios %s: ", path);
        return false;
    }
    memcpy(memory_region_get_ram_ptr(&pcms->bios), data, len);
    memory_region_set_readonly(&pcms->bios, true);
    pcms->bios_size = len;
    return true;
}

bool pc_bios_init(PCMachineState *pcms, Error **errp)
{
    MemoryRegion *sysmem = get_system_memory();
    const char *dir = pcms->ms->firmware_dir ? pcms->ms->firmware_dir : PC_DEFAULT_BIOS_DIR;
    g_autofree char *default_path = g_build_filename(dir, PC_DEFAULT_BIOS, NULL);
    const char *path = pcms->ms->bios_filename;
    uint64_t isa_size;

    if (!path) {
        path = default_path;
        if (access(path, R_OK) < 0) {
            error_setg(errp, "no -kernel and no -bios given, and the default firmware %s "
                       "cannot be read: %s (install Debian's seabios package: apt-get "
                       "install seabios; or give -bios FILE or -kernel FILE)",
                       path, g_strerror(errno));
            return false;
        }
    }
    if (!pc_bios_load(pcms, path, errp)) {
        return false;
    }
    pcms->firmware = true;
    memory_region_add_subregion(sysmem, (1ull << 32) - pcms->bios_size, &pcms->bios);

    isa_size = MIN(pcms->bios_size, PC_ISA_BIOS_MAX);
    memory_region_init_alias(&pcms->isa_bios, "isa-bios", &pcms->bios,
                             pcms->bios_size - isa_size, isa_size);
    memory_region_set_readonly(&pcms->isa_bios, true);
    memory_region_add_subregion(&pcms->pci_window, PAM_WINDOW_SIZE - isa_size,
                                &pcms->isa_bios);
    if (!memory_region_init_ram(&pcms->option_rom, "pc.rom", PC_OPTION_ROM_SIZE, errp)) {
        return false;
    }
    memory_region_set_readonly(&pcms->option_rom, true);
    memory_region_add_subregion(&pcms->pci_window, 0, &pcms->option_rom);
    trace_event(pc_bios_init, "path=%s size=0x%" PRIx64 " isa=0x%" PRIx64, path,
                pcms->bios_size, isa_size);
    return true;
}
