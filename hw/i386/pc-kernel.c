/*
 * -kernel on the pc machine: the file is read once, bounded by guest RAM,
 * and handed to the loader whose format it has -- the Linux boot protocol
 * when the setup header says "HdrS" (as QEMU checks first), else
 * Multiboot; anything else is refused by the Multiboot loader's check.
 */
#include <inttypes.h>

#include "hw/i386/pc.h"

#include "qemu/file-read.h"
#include "trace/trace.h"

static char *pc_ram_desc(PCMachineState *pcms)
{
    g_autofree char *size = qemu_format_size(pcms->below_4g_mem_size);
    return g_strdup_printf(pcms->above_4g_mem_size ? "guest RAM below 4 GiB (%s)"
                                                   : "guest RAM (%s)", size);
}

static bool pc_linux_prepare(PCMachineState *pcms, uint8_t *kernel, size_t len,
                             const char *ram_desc, Error **errp)
{
    MachineState *ms = pcms->ms;
    uint8_t *initrd = NULL;
    size_t initrd_len = 0;

    if (ms->initrd_filename &&
        !qemu_read_file_bounded("-initrd", ms->initrd_filename, pcms->below_4g_mem_size,
                                ram_desc, &initrd, &initrd_len, errp)) {
        g_free(kernel);
        return false;
    }
    pcms->linux_boot = linux_boot_prepare(ms->kernel_filename, kernel, len, ms->kernel_cmdline,
                                          ms->initrd_filename, initrd, initrd_len, &pcms->e820,
                                          errp);
    if (!pcms->linux_boot) {
        return false;
    }
    return !ms->kernel_decompress_host ||
           linux_boot_unpack_kernel(pcms->linux_boot, ms->kernel_filename, &pcms->e820, errp);
}

bool pc_kernel_prepare(PCMachineState *pcms, Error **errp)
{
    MachineState *ms = pcms->ms;
    g_autofree char *ram_desc = pc_ram_desc(pcms);
    uint8_t *kernel;
    size_t len;

    if (!qemu_read_file_bounded("-kernel", ms->kernel_filename, pcms->below_4g_mem_size,
                                ram_desc, &kernel, &len, errp)) {
        return false;
    }
    if (linux_boot_is_bzimage(kernel, len)) {
        return pc_linux_prepare(pcms, kernel, len, ram_desc, errp);
    }
    pcms->multiboot = multiboot_prepare_image(ms->kernel_filename, kernel, len,
                                              ms->kernel_cmdline, ms->initrd_filename,
                                              pcms->below_4g_mem_size, &pcms->e820, errp);
    return pcms->multiboot != NULL;
}

void pc_kernel_load(PCMachineState *pcms, CPUX86State *env)
{
    uint8_t *ram = memory_region_get_ram_ptr(&pcms->ram);

    if (pcms->linux_boot) {
        linux_boot_load(pcms->linux_boot, ram, env);
        return;
    }
    multiboot_load(pcms->multiboot, ram, env);
    trace_event(pc_machine_reset, "entry=0x%x mbi=0x%x", multiboot_entry(pcms->multiboot),
                multiboot_info_addr(pcms->multiboot));
}
