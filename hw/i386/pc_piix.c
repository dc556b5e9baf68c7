/*
 * The pc machine's PCI devices: i440FX host bridge, PIIX3 ISA bridge and
 * PIIX3 IDE, at QEMU's pc addresses, configured as a BIOS would leave them.
 */
#include "hw/i386/pc_piix.h"
#include "hw/i386/pc.h"

#include "hw/ide/pci.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/piix3.h"
#include "sysemu/runstate.h"

#define PC_IDE_IRQ_PRIMARY   14
#define PC_IDE_IRQ_SECONDARY 15

struct PCPIIXState {
    PCIBus *bus;
    PCII440FXState *i440fx;
    PIIX3State *piix3;
    PCIIDEState *ide;
};

/* A system reset puts the functions back to power-on, then re-does what
 * the (absent) firmware would have done. */
static void pc_pci_reset(void *opaque)
{
    PCPIIXState *s = opaque;

    pci_bus_reset(s->bus);
    pci_assign_bars_as_firmware(s->bus);
}

static void pc_piix_free(PCPIIXState *s)
{
    if (s->i440fx) {
        pci_host_set_cf9_handler(&s->i440fx->host, NULL, NULL, NULL);
    }
    piix3_ide_free(s->ide);
    piix3_free(s->piix3);
    i440fx_free(s->i440fx);
    pci_bus_free(s->bus);
    g_free(s);
}

bool pc_pci_ide_init(MachineState *ms, qemu_irq *isa_irqs, PCIIDEState **ide,
                     PCPIIXState **piix, Error **errp)
{
    PCPIIXState *s = g_new0(PCPIIXState, 1);

    s->bus = pci_bus_new(get_system_memory(), get_system_io(), &address_space_memory);
    s->i440fx = i440fx_init(s->bus, get_system_io(), errp);
    if (!s->i440fx) {
        goto fail;
    }
    s->piix3 = piix3_init(s->bus, PCI_DEVFN(1, 0), errp);
    if (!s->piix3) {
        goto fail;
    }
    pci_host_set_cf9_handler(&s->i440fx->host, piix3_rcr_read, piix3_rcr_write, s->piix3);
    piix3_set_isa_irqs(s->piix3, isa_irqs);
    s->ide = piix3_ide_init(s->bus, PCI_DEVFN(1, 1), isa_irqs[PC_IDE_IRQ_PRIMARY],
                            isa_irqs[PC_IDE_IRQ_SECONDARY], errp);
    if (!s->ide || !pc_ide_init_drives_snapshot(s->ide, ms->drive_opts, ms->snapshot, errp)) {
        goto fail;
    }
    if (ms->board) { /* tests build the PCI side alone */
        ((PCMachineState *)ms->board)->pci_bus = s->bus;
    }
    *ide = s->ide;
    *piix = s;
    return true;

fail:
    pc_piix_free(s);
    return false;
}

void pc_pci_firmware_init(PCPIIXState *s)
{
    pci_assign_bars_as_firmware(s->bus);
    qemu_register_reset(pc_pci_reset, s);
}

/* With firmware in the machine, a reset leaves the functions at power-on:
 * the BIOS assigns BARs and routes interrupts itself. */
static void pc_pci_power_on_reset(void *opaque)
{
    PCPIIXState *s = opaque;

    pci_bus_reset(s->bus);
}

void pc_pci_power_on_init(PCPIIXState *s)
{
    qemu_register_reset(pc_pci_power_on_reset, s);
}

void pc_pci_pam_init(PCPIIXState *s, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window)
{
    i440fx_init_pam(s->i440fx, system_memory, ram, pci_window);
}
