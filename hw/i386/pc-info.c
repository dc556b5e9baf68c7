/*
 * What the monitor's info pci, qtree, irq, pic, lapic and roms show of
 * the pc machine (hw/i386/pc.h), in QEMU 7.2's layouts.  Called with the
 * BQL held; read-only.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "hw/i386/acpi-build.h"
#include "hw/i386/pc.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_regs.h"

static const char *pci_class_name(uint16_t class_id)
{
    switch (class_id) {
    case 0x0100: return "SCSI controller";
    case PCI_CLASS_STORAGE_IDE: return "IDE controller";
    case 0x0200: return "Ethernet controller";
    case 0x0300: return "VGA controller";
    case PCI_CLASS_BRIDGE_HOST: return "Host bridge";
    case PCI_CLASS_BRIDGE_ISA: return "ISA bridge";
    case 0x0680: return "Bridge";
    default: return NULL;
    }
}

void pc_machine_print_pci(MachineState *ms, GString *out)
{
    PCMachineState *pcms = ms->board;

    for (int devfn = 0; pcms->pci_bus && devfn < 256; devfn++) {
        PCIDevice *d = pcms->pci_bus->devices[devfn];
        const char *cls;
        uint16_t class_id;

        if (!d) {
            continue;
        }
        class_id = pci_get_word(d->config + PCI_CLASS_DEVICE);
        cls = pci_class_name(class_id);
        g_string_append_printf(out, "  Bus %2d, device %3d, function %d:\n", 0, PCI_SLOT(devfn),
                               PCI_FUNC(devfn));
        if (cls) {
            g_string_append_printf(out, "    %s: ", cls);
        } else {
            g_string_append_printf(out, "    Class %04x: ", class_id);
        }
        g_string_append_printf(out, "PCI device %04x:%04x\n",
                               pci_get_word(d->config + PCI_VENDOR_ID),
                               pci_get_word(d->config + PCI_DEVICE_ID));
        g_string_append_printf(out, "      PCI subsystem %04x:%04x\n",
                               pci_get_word(d->config + PCI_SUBSYSTEM_VENDOR_ID),
                               pci_get_word(d->config + PCI_SUBSYSTEM_ID));
        if (d->config[PCI_INTERRUPT_PIN]) {
            g_string_append_printf(out, "      IRQ %d, pin %c\n", d->config[PCI_INTERRUPT_LINE],
                                   'A' + d->config[PCI_INTERRUPT_PIN] - 1);
        }
        for (int i = 0; i < PCI_NUM_REGIONS; i++) {
            const PCIIORegion *r = &d->io_regions[i];

            if (!r->size) {
                continue;
            }
            if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
                g_string_append_printf(out, "      BAR%d: I/O at 0x%04" PRIx64 " [0x%04" PRIx64
                                       "].\n", i, r->addr, r->addr + r->size - 1);
            } else {
                g_string_append_printf(out, "      BAR%d: 32 bit memory at 0x%08" PRIx64
                                       " [0x%08" PRIx64 "].\n", i, r->addr,
                                       r->addr + r->size - 1);
            }
        }
        g_string_append(out, "      id \"\"\n");
    }
}

static void qtree_dev(GString *out, int indent, const char *name)
{
    g_string_append_printf(out, "%*sdev: %s, id \"\"\n", indent, "", name);
}

void pc_machine_print_qtree(MachineState *ms, GString *out)
{
    PCMachineState *pcms = ms->board;

    g_string_append(out, "bus: main-system-bus\n  type System\n");
    if (pcms->ioapic) {
        qtree_dev(out, 2, "ioapic");
        g_string_append(out, "    mmio 00000000fec00000/0000000000001000\n");
    }
    qtree_dev(out, 2, "i440FX-pcihost");
    g_string_append(out, "    bus: pci.0\n      type PCI\n");
    for (int devfn = 0; pcms->pci_bus && devfn < 256; devfn++) {
        PCIDevice *d = pcms->pci_bus->devices[devfn];
        const char *cls;

        if (!d) {
            continue;
        }
        cls = pci_class_name(pci_get_word(d->config + PCI_CLASS_DEVICE));
        qtree_dev(out, 6, d->klass->name);
        g_string_append_printf(out, "        addr = %02x.%x\n", PCI_SLOT(devfn), PCI_FUNC(devfn));
        g_string_append_printf(out, "        class %s, addr 00:%02x.%x, pci id %04x:%04x "
                               "(sub %04x:%04x)\n", cls ? cls : "Class", PCI_SLOT(devfn),
                               PCI_FUNC(devfn), pci_get_word(d->config + PCI_VENDOR_ID),
                               pci_get_word(d->config + PCI_DEVICE_ID),
                               pci_get_word(d->config + PCI_SUBSYSTEM_VENDOR_ID),
                               pci_get_word(d->config + PCI_SUBSYSTEM_ID));
        if (pci_get_word(d->config + PCI_CLASS_DEVICE) == PCI_CLASS_BRIDGE_ISA) {
            g_string_append(out, "        bus: isa.0\n          type ISA\n");
            if (pcms->pic) {
                qtree_dev(out, 10, "isa-i8259");
            }
            if (pcms->pit) {
                qtree_dev(out, 10, "isa-pit");
                qtree_dev(out, 10, "isa-pcspk");
            }
            qtree_dev(out, 10, "mc146818rtc");
            qtree_dev(out, 10, "i8042");
            if (pcms->serial) {
                qtree_dev(out, 10, "isa-serial");
                g_string_append(out, "            index = 0 (0x0)\n"
                                     "            iobase = 1016 (0x3f8)\n"
                                     "            irq = 4 (0x4)\n");
            }
            for (guint i = 0; i < pcms->debugcons->len; i++) {
                qtree_dev(out, 10, "isa-debugcon");
            }
            for (guint i = 0; i < pcms->debug_exits->len; i++) {
                qtree_dev(out, 10, "isa-debug-exit");
            }
        }
    }
}

void pc_machine_print_irq(MachineState *ms, GString *out)
{
    PCMachineState *pcms = ms->board;

    if (!pcms->pic && !pcms->ioapic) {
        g_string_append(out, "IRQ statistics not available (the irqchip is in the kernel).\n");
        return;
    }
    if (pcms->ioapic) {
        ioapic_print_irq_stats(pcms->ioapic, out);
    }
    if (pcms->pic) {
        i8259_print_irq_stats(pcms->pic, out);
    }
}

void pc_machine_print_pic(MachineState *ms, GString *out)
{
    PCMachineState *pcms = ms->board;

    if (!pcms->pic && !pcms->ioapic) {
        g_string_append(out, "The interrupt controllers are in the kernel (KVM): "
                             "no state to show.\n");
        return;
    }
    if (pcms->ioapic) {
        ioapic_print_info(pcms->ioapic, out);
    }
    if (pcms->pic) {
        i8259_print_info(pcms->pic, out);
    }
}

bool pc_machine_print_lapic(MachineState *ms, uint32_t apic_id, GString *out)
{
    PCMachineState *pcms = ms->board;

    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (ms->cpus[i]->apic_id != apic_id) {
            continue;
        }
        if (!pcms->apics) {
            g_string_append(out, "The local APIC is in the kernel (KVM): no state to show.\n");
        } else {
            apic_print_info(pcms->apics[i], out);
        }
        return true;
    }
    return false;
}

static void rom_line(GString *out, const char *path, const char *what)
{
    struct stat st;

    if (path && stat(path, &st) == 0) {
        g_string_append_printf(out, "/rom@%s size=0x%06" PRIx64 " name=\"%s\"\n", what,
                               (uint64_t)st.st_size, path);
    }
}

void pc_machine_print_roms(MachineState *ms, GString *out)
{
    PCMachineState *pcms = ms->board;

    if (pcms && pcms->firmware) {
        g_autofree char *name = g_path_get_basename(ms->bios_filename ? ms->bios_filename
                                                                      : PC_DEFAULT_BIOS);
        g_string_append_printf(out, "addr=%016" PRIx64 " size=0x%06" PRIx64
                               " mem=rom name=\"%s\"\n", (uint64_t)((1ull << 32) - pcms->bios_size),
                               pcms->bios_size, name);
        return;
    }
    /* -kernel: what duet loads instead of firmware, QEMU's fw_cfg lines. */
    g_string_append_printf(out, "addr=%016x size=0x%06x mem=ram name=\"etc/acpi/tables\"\n",
                           ACPI_BUILD_BASE, ACPI_BUILD_SIZE);
    rom_line(out, ms->kernel_filename, "kernel");
    if (ms->initrd_filename && !strchr(ms->initrd_filename, ',')) {
        rom_line(out, ms->initrd_filename, "initrd");
    }
}
