/*
 * fw_cfg items of the pc machine, as QEMU 7.2's pc has them (keys and file
 * names from QEMU docs/specs/fw_cfg.txt and hw/i386; values compared with
 * qemu-system-x86_64 -machine pc through its qtest port).
 */
#include "hw/i386/fw_cfg.h"

#include <string.h>

#include "hw/i386/acpi-build.h"
#include "hw/i386/pc.h"
#include "hw/i386/linux-boot.h"
#include "qemu/file-read.h"
#include "hw/timer/hpet.h"

/* The legacy FW_CFG_E820_TABLE: u32 count + 16 entries, the reserved
 * ranges only; QEMU's pc has none outside KVM's. */
#define PC_LEGACY_E820_ENTRIES 16

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = v >> (8 * i);
    }
}

/* etc/e820: 20-byte entries, u64 address, u64 length, u32 type. */
static void pc_fw_cfg_add_e820(PCMachineState *pcms, FWCfgState *fw, Error **errp)
{
    const E820Table *t = &pcms->e820;
    g_autofree uint8_t *buf = g_malloc0(t->count * 20 + 1);
    uint8_t legacy[4 + PC_LEGACY_E820_ENTRIES * 20] = { 0 };

    for (unsigned i = 0; i < t->count; i++) {
        put_le(buf + 20 * i, t->entry[i].addr, 8);
        put_le(buf + 20 * i + 8, t->entry[i].size, 8);
        put_le(buf + 20 * i + 16, t->entry[i].type, 4);
    }
    fw_cfg_add_bytes(fw, FW_CFG_E820_TABLE, legacy, sizeof(legacy));
    fw_cfg_add_file(fw, "etc/e820", buf, t->count * 20, false, errp);
}

/* FW_CFG_HPET: one block, QEMU's event timer block ID (PCI vendor 8086,
 * 3 comparators, 64-bit counter, legacy route capable) at 0xfed00000. */
static void pc_fw_cfg_add_hpet(PCMachineState *pcms, FWCfgState *fw)
{
    uint8_t cfg[PC_FW_CFG_HPET_SIZE] = { 0 };

    if (pcms->hpet_enabled) {
        cfg[0] = 1;
        put_le(cfg + 1, HPET_FW_BLOCK_ID, 4);
        put_le(cfg + 5, HPET_BASE, 8);
    }
    fw_cfg_add_bytes(fw, FW_CFG_HPET, cfg, sizeof(cfg));
}

/* etc/acpi/tables, etc/acpi/rsdp and the etc/table-loader script that
 * places them: SeaBIOS and OVMF take the tables from here. */
static void pc_fw_cfg_add_acpi(PCMachineState *pcms, FWCfgState *fw, Error **errp)
{
    AcpiBuildConfig cfg;
    g_autoptr(GByteArray) tables = g_byte_array_new();
    g_autoptr(GByteArray) rsdp = g_byte_array_new();
    g_autoptr(BIOSLinker) linker = bios_linker_loader_init();

    pc_acpi_config(pcms, &cfg);
    if (!acpi_build_loader(&cfg, tables, rsdp, linker)) {
        error_setg(errp, "the ACPI tables do not fit %d bytes", ACPI_BUILD_SIZE);
        return;
    }
    if (fw_cfg_add_file(fw, ACPI_BUILD_TABLE_FILE, tables->data, tables->len, false, errp) < 0 ||
        fw_cfg_add_file(fw, ACPI_BUILD_RSDP_FILE, rsdp->data, rsdp->len, false, errp) < 0) {
        return;
    }
    fw_cfg_add_file(fw, ACPI_BUILD_LOADER_FILE, linker->cmd_blob->data, linker->cmd_blob->len,
                    false, errp);
}

/*
 * -kernel bzImage: the items a BIOS's Linux loader (QEMU's linuxboot
 * option ROM) copies into place, split and placed as QEMU 7.2 does
 * (Documentation/arch/x86/boot.rst): the real-mode setup at 0x10000 with
 * its header filled in for a loader (type_of_loader 0xb0, CAN_USE_HEAP,
 * heap_end_ptr, cmd_line_ptr, the initrd), the command line at 0x20000,
 * the protected-mode kernel at 1 MiB and the initrd page-aligned as high
 * as the header allows below the end of low RAM, less the 160 KiB QEMU
 * keeps for the BIOS's ACPI data.  duet boots -kernel itself; these
 * describe the same kernel to a guest that asks.  Multiboot kernels get
 * no items.
 */
#define PC_FW_CFG_REAL_ADDR    0x10000
#define PC_FW_CFG_CMDLINE_ADDR 0x20000
#define PC_FW_CFG_PROT_ADDR    0x100000
#define PC_FW_CFG_ACPI_DATA    0x28000

static bool pc_fw_cfg_add_kernel(PCMachineState *pcms, FWCfgState *fw, Error **errp)
{
    MachineState *ms = pcms->ms;
    g_autofree uint8_t *kernel = NULL, *initrd = NULL;
    size_t len, initrd_len = 0, setup_size;
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";
    uint32_t initrd_max, initrd_addr = 0;
    uint16_t protocol;

    if (!ms->kernel_filename || !pcms->linux_boot) {
        return true;
    }
    if (!qemu_read_file_bounded("-kernel", ms->kernel_filename, pcms->below_4g_mem_size,
                                "guest RAM", &kernel, &len, errp) ||
        (ms->initrd_filename &&
         !qemu_read_file_bounded("-initrd", ms->initrd_filename, pcms->below_4g_mem_size,
                                 "guest RAM", &initrd, &initrd_len, errp))) {
        return false;
    }
    setup_size = ((kernel[0x1f1] ? kernel[0x1f1] : 4) + 1) * 512;
    if (setup_size > len) {
        return true; /* the loader refused it already */
    }
    protocol = kernel[0x206] | kernel[0x207] << 8;
    kernel[0x210] = 0xb0;                        /* type_of_loader: QEMU */
    kernel[0x211] |= 0x80;                       /* CAN_USE_HEAP */
    put_le(kernel + 0x224, PC_FW_CFG_CMDLINE_ADDR - PC_FW_CFG_REAL_ADDR - 0x200, 2);
    put_le(kernel + 0x228, PC_FW_CFG_CMDLINE_ADDR, 4);
    if (initrd) {
        initrd_max = protocol >= 0x203 ? kernel[0x22c] | kernel[0x22d] << 8 |
                                         kernel[0x22e] << 16 | (uint32_t)kernel[0x22f] << 24
                                       : 0x37ffffff;
        initrd_max = MIN(initrd_max, pcms->below_4g_mem_size - PC_FW_CFG_ACPI_DATA - 1);
        if (initrd_len > initrd_max) {
            error_setg(errp, "-initrd %s: too large for the kernel's initrd_addr_max",
                       ms->initrd_filename);
            return false;
        }
        initrd_addr = (initrd_max - initrd_len) & ~4095u;
        put_le(kernel + 0x218, initrd_addr, 4);
        put_le(kernel + 0x21c, initrd_len, 4);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, initrd_addr);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, initrd_len);
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, initrd_len);
    }
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, PC_FW_CFG_PROT_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, len - setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, kernel + setup_size, len - setup_size);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, PC_FW_CFG_REAL_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, kernel, setup_size);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, PC_FW_CFG_CMDLINE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, strlen(cmdline) + 1);
    fw_cfg_add_string(fw, FW_CFG_CMDLINE_DATA, cmdline);
    return true;
}

bool pc_fw_cfg_init(PCMachineState *pcms, Error **errp)
{
    MachineState *ms = pcms->ms;
    FWCfgState *fw = fw_cfg_init_io_dma(get_system_io(), FW_CFG_IO_BASE, FW_CFG_DMA_IO_BASE,
                                        &address_space_memory);
    uint16_t ncpus = ms->smp.cpus;
    /* MAX_CPUS is QEMU's "APIC ID limit": one past the highest APIC ID
     * (SeaBIOS sizes its CPU bitmaps by it). */
    uint16_t max_cpus = x86_topo_apicid(&ms->smp, ms->smp.max_cpus - 1) + 1;
    static const uint8_t uuid[16];
    /* FW_CFG_NUMA: node count, each APIC ID's node, each node's memory: no nodes */
    g_autofree uint64_t *numa = g_new0(uint64_t, 1 + max_cpus);
    uint8_t boot_fail_wait[4];
    Error *err = NULL;

    pcms->fw_cfg = fw;
    fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid));
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, ms->nographic);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, ms->boot_menu);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, ncpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, max_cpus);
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_bytes(fw, FW_CFG_NUMA, numa, (1 + max_cpus) * sizeof(*numa));
    fw_cfg_add_i16(fw, FW_CFG_ACPI_TABLES, 0); /* no -acpitable: a zero count */
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    pc_fw_cfg_add_hpet(pcms, fw);
    pc_fw_cfg_add_e820(pcms, fw, &err);
    /* SeaBIOS's reboot timeout after a failed boot: -1, never (-boot reboot-timeout) */
    put_le(boot_fail_wait, (uint32_t)-1, 4);
    if (!err) {
        fw_cfg_add_file(fw, "etc/boot-fail-wait", boot_fail_wait, 4, false, &err);
    }
    if (!err) {
        /* OpenFirmware paths of devices with a bootindex: duet has none */
        fw_cfg_add_file(fw, "bootorder", NULL, 0, false, &err);
    }
    if (!err) {
        fw_cfg_add_file(fw, "bios-geometry", NULL, 0, false, &err);
    }
    if (!err) {
        pc_fw_cfg_add_acpi(pcms, fw, &err);
    }
    if (!err) {
        pc_fw_cfg_add_kernel(pcms, fw, &err);
    }
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}
