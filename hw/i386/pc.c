/*
 * The pc machine: RAM, the ISA interrupt lines, the legacy devices at
 * their usual ports, -device, and the Multiboot kernel.  See
 * hw/include/hw/i386/pc.h for the RAM layout.
 *
 * The ISA IRQ lines go to the accelerator's in-kernel irqchip when it has
 * one (kvm_irqchip_in_kernel: ms->accel->set_irq), else to the userspace
 * 8259 pair and IOAPIC, with a local APIC in front of the CPU; ACPI PM
 * and tables too (hw/i386/pc-platform.c).
 */
#include "hw/i386/pc_piix.h"
#include "hw/i386/pc.h"

#include <inttypes.h>
#include <string.h>

#include "hw/i386/fw_cfg.h"
#include "hw/ide/pci.h"
#include "hw/misc/pc-testdev.h"
#include "hw/misc/pci-testdev.h"
#include "hw/pci/pci.h"
#include "hw/qdev-opts.h"
#include "qemu/log.h"
#include "sysemu/kvm.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

#define PC_COM1_IOBASE 0x3f8
#define PC_COM1_IRQ    4
#define PC_KBD_IRQ     1
#define PC_PIT_IRQ     0
#define PC_RTC_IRQ     8

/* A20 gate (i8042 output port / port 0x92).  The interpreter applies
 * a20_mask; KVM cannot mask A20 and always runs with it enabled. */
static void pc_a20_set(void *opaque, int n, int level)
{
    PCMachineState *pcms = opaque;
    MachineState *ms = pcms->ms;

    trace_event(pc_a20_set, "level=%d", level);
    for (unsigned i = 0; ms->cpus && i < ms->smp.cpus; i++) {
        ms->cpus[i]->env.a20_mask = level ? ~0ull : ~(1ull << 20);
    }
}

static bool pc_memory_init(PCMachineState *pcms, Error **errp)
{
    MachineState *ms = pcms->ms;
    MemoryRegion *sysmem = get_system_memory();

    if (!ms->ram_size) {
        ms->ram_size = PC_DEFAULT_RAM_SIZE;
    }
    pcms->below_4g_mem_size = MIN(ms->ram_size, PC_MAX_RAM_BELOW_4G);
    pcms->above_4g_mem_size = ms->ram_size - pcms->below_4g_mem_size;
    if (!memory_region_init_ram(&pcms->ram, "pc.ram", ms->ram_size, errp)) {
        error_prepend(errp, "-m %" PRIu64 "M: ", ms->ram_size >> 20);
        return false;
    }
    ms->ram = &pcms->ram;
    memory_region_init_alias(&pcms->ram_below_4g, "ram-below-4g", &pcms->ram, 0,
                             pcms->below_4g_mem_size);
    memory_region_add_subregion(sysmem, 0, &pcms->ram_below_4g);
    if (pcms->above_4g_mem_size) {
        memory_region_init_alias(&pcms->ram_above_4g, "ram-above-4g", &pcms->ram,
                                 pcms->below_4g_mem_size, pcms->above_4g_mem_size);
        memory_region_add_subregion(sysmem, 1ull << 32, &pcms->ram_above_4g);
    }
    return true;
}

/* The boot order for the BIOS (SeaBIOS reads these; QEMU's encoding):
 * 0x3d holds the first two devices, 0x38's high nibble the third, and
 * bit 0 of 0x38 set skips the floppy boot-sector signature check. */
static void pc_cmos_set_boot_order(RTCState *rtc, const char *order)
{
    uint8_t code[3] = { 0 };

    for (int i = 0; i < 3 && order[i]; i++) {
        switch (order[i]) {
        case 'a':
        case 'b':
            code[i] = 1;
            break;
        case 'c':
            code[i] = 2;
            break;
        case 'd':
            code[i] = 3;
            break;
        default: /* n-p: network */
            code[i] = 4;
            break;
        }
    }
    rtc_set_memory(rtc, 0x3d, code[1] << 4 | code[0]);
    rtc_set_memory(rtc, 0x38, code[2] << 4 | 1);
}

/* CMOS bytes a BIOS would have set: memory sizes (in KiB or 64 KiB units). */
static void pc_cmos_init(PCMachineState *pcms)
{
    RTCState *rtc = pcms->rtc;
    uint64_t ext_kb = MIN((pcms->below_4g_mem_size - 0x100000) / 1024, 0xffff);
    uint64_t above_16m = pcms->below_4g_mem_size > 16 << 20
                             ? MIN((pcms->below_4g_mem_size - (16 << 20)) >> 16, 0xffff) : 0;
    uint64_t above_4g = pcms->above_4g_mem_size >> 16;

    rtc_set_memory(rtc, 0x14, 0x02); /* equipment: math coprocessor */
    rtc_set_memory(rtc, 0x15, 640 & 0xff);
    rtc_set_memory(rtc, 0x16, 640 >> 8);
    rtc_set_memory(rtc, 0x17, ext_kb & 0xff);
    rtc_set_memory(rtc, 0x18, ext_kb >> 8);
    rtc_set_memory(rtc, 0x30, ext_kb & 0xff);
    rtc_set_memory(rtc, 0x31, ext_kb >> 8);
    rtc_set_memory(rtc, 0x34, above_16m & 0xff);
    rtc_set_memory(rtc, 0x35, above_16m >> 8);
    rtc_set_memory(rtc, 0x5b, above_4g & 0xff);
    rtc_set_memory(rtc, 0x5c, (above_4g >> 8) & 0xff);
    rtc_set_memory(rtc, 0x5d, (above_4g >> 16) & 0xff);
    pc_cmos_set_boot_order(rtc, pcms->ms->boot_order[0] ? pcms->ms->boot_order : "cad");
}

/* COM1 on the chardev the main program made of -serial (none: no UART). */
static bool pc_serial_init(PCMachineState *pcms, Error **errp)
{
    Chardev *chr = pcms->ms->serial_chr;

    if (!chr) {
        return true;
    }
    pcms->serial_fe = qemu_chr_fe_attach(chr, errp);
    if (!pcms->serial_fe) {
        error_prepend(errp, "-serial: ");
        return false;
    }
    pcms->serial = serial_isa_init(get_system_io(), PC_COM1_IOBASE, pcms->gsi[PC_COM1_IRQ],
                                   pcms->serial_fe);
    return true;
}

static bool pc_create_isa_debug_exit(MachineState *ms, QemuOpts *opts, Error **errp)
{
    PCMachineState *pcms = ms->board;
    uint64_t iobase = qemu_opt_get_number(opts, "iobase", ISA_DEBUG_EXIT_DEFAULT_IOBASE);
    uint64_t iosize = qemu_opt_get_number(opts, "iosize", ISA_DEBUG_EXIT_DEFAULT_IOSIZE);

    if (iobase + iosize > 0x10000) {
        error_setg(errp, "ports 0x%" PRIx64 "+%" PRIu64 " do not fit the I/O space", iobase,
                   iosize);
        return false;
    }
    g_ptr_array_add(pcms->debug_exits, isa_debug_exit_init(get_system_io(), iobase, iosize));
    return true;
}

static const QemuOptDesc isa_debug_exit_props[] = {
    { .name = "iobase", .type = QEMU_OPT_NUMBER, .help = "I/O port of the exit register",
      .max = 0xffff, .def_value_str = "0x501" },
    { .name = "iosize", .type = QEMU_OPT_NUMBER, .help = "Bytes of ports it answers",
      .min = 1, .max = 4, .def_value_str = "2" },
    { NULL },
};

static bool pc_create_isa_debugcon(MachineState *ms, QemuOpts *opts, Error **errp)
{
    PCMachineState *pcms = ms->board;
    uint64_t iobase = qemu_opt_get_number(opts, "iobase", ISA_DEBUGCON_DEFAULT_IOBASE);
    uint64_t readback = qemu_opt_get_number(opts, "readback", ISA_DEBUGCON_DEFAULT_READBACK);
    const char *id = qemu_opt_get(opts, "chardev");
    Chardev *chr;
    CharFrontend *fe;

    if (!id) {
        error_setg(errp, "Property 'isa-debugcon.chardev' is required (chardev=ID)");
        return false;
    }
    chr = qemu_chr_find(id);
    if (!chr) {
        error_setg(errp, "Property 'isa-debugcon.chardev' can't find value '%s'", id);
        return false;
    }
    fe = qemu_chr_fe_attach(chr, errp);
    if (!fe) {
        return false;
    }
    g_ptr_array_add(pcms->debugcons, isa_debugcon_init(get_system_io(), iobase, readback, fe));
    return true;
}

static const QemuOptDesc isa_debugcon_props[] = {
    { .name = "iobase", .type = QEMU_OPT_NUMBER, .help = "I/O port of the console",
      .max = 0xffff, .def_value_str = "0xe9" },
    { .name = "chardev", .type = QEMU_OPT_STRING, .help = "ID of a -chardev for the output" },
    { .name = "readback", .type = QEMU_OPT_NUMBER, .help = "What reading the port returns",
      .max = 0xff, .def_value_str = "0xe9" },
    { NULL },
};

/* Lines 0-15 are the ISA IRQs; 16-23 IOAPIC pins, when duet has the IOAPIC. */
static bool pc_create_pc_testdev(MachineState *ms, QemuOpts *opts, Error **errp)
{
    PCMachineState *pcms = ms->board;
    qemu_irq irqs[PC_TESTDEV_NUM_IRQS] = { 0 };

    if (pcms->pc_testdev) {
        error_setg(errp, "there is one already (its ports are fixed)");
        return false;
    }
    for (int i = 0; i < PC_TESTDEV_NUM_IRQS; i++) {
        irqs[i] = i < PC_ISA_NUM_IRQS ? pcms->gsi[i]
                  : pcms->ioapic ? ioapic_get_irq(pcms->ioapic, i) : NULL;
    }
    pcms->pc_testdev = pc_testdev_init(get_system_io(), get_system_memory(), irqs);
    return true;
}

/* addr=SLOT[.FN] as QEMU's (hex); without it the first free slot. */
static bool pc_pci_addr(PCMachineState *pcms, const char *addr, int *devfn, Error **errp)
{
    unsigned slot, fn = 0;
    char *end;

    if (!addr) {
        for (slot = 1; slot < 32; slot++) {
            if (!pci_find_device(pcms->pci_bus, 0, PCI_DEVFN(slot, 0))) {
                *devfn = PCI_DEVFN(slot, 0);
                return true;
            }
        }
        error_setg(errp, "PCI: no slot/function available, all 32 slots are taken");
        return false;
    }
    slot = strtoul(addr, &end, 16);
    if (*end == '.') {
        fn = strtoul(end + 1, &end, 16);
    }
    if (end == addr || *end || slot > 31 || fn > 7) {
        error_setg(errp, "Property 'addr' doesn't take value '%s'", addr);
        return false;
    }
    *devfn = PCI_DEVFN(slot, fn);
    return true;
}

static bool pc_create_pci_testdev(MachineState *ms, QemuOpts *opts, Error **errp)
{
    PCMachineState *pcms = ms->board;
    PCITestDevState *d;
    int devfn;

    if (!pc_pci_addr(pcms, qemu_opt_get(opts, "addr"), &devfn, errp)) {
        return false;
    }
    d = pci_testdev_init(pcms->pci_bus, devfn, errp);
    if (!d) {
        return false;
    }
    g_ptr_array_add(pcms->pci_testdevs, d);
    return true;
}

static const QemuOptDesc pci_testdev_props[] = {
    { .name = "addr", .type = QEMU_OPT_STRING,
      .help = "Slot and optional function number, example: 06.0 or 06" },
    { NULL },
};

static bool pc_create_ide_hd(MachineState *ms, QemuOpts *opts, Error **errp)
{
    return ide_dev_create(((PCMachineState *)ms->board)->ide, opts, &ide_hd_class, errp);
}

static bool pc_create_ide_cd(MachineState *ms, QemuOpts *opts, Error **errp)
{
    return ide_dev_create(((PCMachineState *)ms->board)->ide, opts, &ide_cd_class, errp);
}

/* The devices -device can add; a new one is a create function and a line here. */
static const DeviceTypeInfo pc_device_types[] = {
    {
        .name = "isa-debug-exit",
        .bus = "ISA",
        .category = DEVICE_CATEGORY_MISC,
        .props = isa_debug_exit_props,
        .create = pc_create_isa_debug_exit,
    },
    {
        .name = "isa-debugcon",
        .bus = "ISA",
        .category = DEVICE_CATEGORY_MISC,
        .props = isa_debugcon_props,
        .create = pc_create_isa_debugcon,
    },
    {
        .name = "pc-testdev",
        .bus = "ISA",
        .category = DEVICE_CATEGORY_MISC,
        .create = pc_create_pc_testdev,
    },
    {
        .name = "pci-testdev",
        .bus = "PCI",
        .desc = "PCI Test Device",
        .category = DEVICE_CATEGORY_MISC,
        .props = pci_testdev_props,
        .create = pc_create_pci_testdev,
    },
    {
        .name = "ide-cd",
        .bus = "IDE",
        .desc = "virtual IDE CD-ROM",
        .category = DEVICE_CATEGORY_STORAGE,
        .props = ide_dev_props,
        .create = pc_create_ide_cd,
    },
    {
        .name = "ide-hd",
        .bus = "IDE",
        .desc = "virtual IDE disk",
        .category = DEVICE_CATEGORY_STORAGE,
        .props = ide_dev_props,
        .create = pc_create_ide_hd,
    },
};

bool pc_machine_device_check(const char *optstr, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = qdev_device_opts(pc_device_types,
                                                G_N_ELEMENTS(pc_device_types), optstr, out,
                                                help, errp);

    return opts || *help;
}

static bool pc_devices_add(MachineState *ms, Error **errp)
{
    for (guint i = 0; ms->device_opts && i < ms->device_opts->len; i++) {
        const char *opt = g_ptr_array_index(ms->device_opts, i);

        if (!qdev_device_add(ms, pc_device_types, G_N_ELEMENTS(pc_device_types), opt, errp)) {
            return false;
        }
    }
    return true;
}

/* Registered with qemu_register_reset: the board's devices to power-on state. */
static void pc_devices_reset(void *opaque)
{
    PCMachineState *pcms = opaque;

    pc_irq_reset(pcms);
    if (pcms->pit) {
        i8254_pit_reset(pcms->pit);
    }
    if (pcms->pcspk) {
        pcspk_reset(pcms->pcspk);
    }
    if (pcms->serial) {
        serial_reset(pcms->serial);
    }
    i8042_reset(pcms->kbd);
    mc146818_rtc_reset(pcms->rtc);
    fw_cfg_reset(pcms->fw_cfg);
    if (pcms->hpet) {
        hpet_reset(pcms->hpet);
    }
}

/* The HPET's interrupt lines are the ISA ones (GSI 0-15; it routes to
 * pin 2 and, in legacy mode, IRQ0 and IRQ8), and the PIT's and the RTC's
 * interrupts pass through it.  With KVM's in-kernel PIT the PIT is not
 * cut off in legacy mode (KVM's HPET-legacy flag is not used). */
static void pc_hpet_init(PCMachineState *pcms)
{
    qemu_irq irqs[HPET_NUM_IRQ_ROUTES] = { 0 };

    pcms->hpet_enabled = !pcms->ms->no_hpet;
    if (!pcms->hpet_enabled) {
        return;
    }
    for (int i = 0; i < PC_ISA_NUM_IRQS; i++) {
        irqs[i] = pcms->gsi[i];
    }
    pcms->hpet = hpet_init(get_system_memory(), HPET_BASE, irqs);
}

bool pc_machine_init(MachineState *ms, Error **errp)
{
    PCMachineState *pcms = g_new0(PCMachineState, 1);
    MemoryRegion *io = get_system_io();

    pcms->ms = ms;
    pcms->debug_exits = g_ptr_array_new();
    pcms->debugcons = g_ptr_array_new();
    pcms->pci_testdevs = g_ptr_array_new();
    ms->board = pcms;

    if (ms->kernel_filename && ms->bios_filename) {
        error_setg(errp, "-kernel with -bios: duet loads -kernel itself, without firmware "
                   "(a BIOS would need fw_cfg's kernel loading); give one of the two");
        return false;
    }
    if (!pc_memory_init(pcms, errp)) {
        return false;
    }
    memory_region_init(&pcms->pci_window, "pci-bios-window", PAM_WINDOW_SIZE);
    e820_build_pc(&pcms->e820, pcms->below_4g_mem_size, pcms->above_4g_mem_size);
    if (ms->kernel_filename ? !pc_kernel_prepare(pcms, errp) : !pc_bios_init(pcms, errp)) {
        return false;
    }

    pc_irq_init(pcms);
    pc_hpet_init(pcms);
    if (!kvm_pit_in_kernel(ms)) {
        /* With an in-kernel PIT, KVM also answers port 0x61. */
        pcms->pit = i8254_pit_init(io, 0x40, pcms->hpet ? hpet_get_legacy_in(pcms->hpet, 0)
                                                         : pcms->gsi[PC_PIT_IRQ]);
        pcms->pcspk = pcspk_init(io, pcms->pit);
    }
    pcms->a20_line = qemu_allocate_irq(pc_a20_set, pcms, 0);
    pcms->kbd = i8042_init(io, pcms->gsi[PC_KBD_IRQ], pcms->a20_line);
    pcms->rtc = mc146818_rtc_init(io, pcms->hpet ? hpet_get_legacy_in(pcms->hpet, 1)
                                                 : pcms->gsi[PC_RTC_IRQ]);
    pc_acpi_init(pcms);
    pc_cmos_init(pcms);
    pcms->ioport80 = ioport80_init(io);
    if (!pc_serial_init(pcms, errp)) {
        return false;
    }
    /* PCI host, PIIX3 and its IDE function with the -drive drives, then
     * -device (ide-hd/ide-cd attach drives there), then firmware's setup. */
    if (!pc_pci_ide_init(ms, pcms->gsi, &pcms->ide, &pcms->piix, errp) ||
        !pc_devices_add(ms, errp)) {
        return false;
    }
    pc_pci_pam_init(pcms->piix, get_system_memory(), &pcms->ram, &pcms->pci_window);
    if (pcms->firmware) {
        pc_pci_power_on_init(pcms->piix);
    } else {
        pc_pci_firmware_init(pcms->piix);
    }
    if (!pc_fw_cfg_init(pcms, errp)) {
        return false;
    }
    qemu_register_reset(pc_devices_reset, pcms);
    return true;
}

void pc_machine_reset(MachineState *ms)
{
    PCMachineState *pcms = ms->board;
    /* SDM vol.3 9.1.1: the reset state; with firmware, the BSP starts
     * at its reset vector (CS.base 0xffff0000 + EIP 0xfff0), the APs
     * wait for a SIPI (8.4.1). */
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        x86_cpu_reset(ms->cpus[i]);
    }
    pc_platform_cpu_reset(pcms);
    if (!pcms->firmware) {
        pc_kernel_load(pcms, &ms->cpu->env);
    }
}
