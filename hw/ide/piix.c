/*
 * PIIX3 IDE function (82371SB datasheet 2.7): PCI 8086:7010, class 0101h
 * with programming interface 80h, i.e. both channels fixed in legacy
 * mode (0x1f0/0x3f6 IRQ 14, 0x170/0x376 IRQ 15) plus bus mastering
 * through BAR4 (16 bytes).
 *
 * PCICMD bit 0 gates every I/O decode of the function, legacy ports
 * included; the legacy ports of a channel also need its IDETIM "IDE
 * decode enable" bit (bit 15 of 0x40/0x42), which firmware sets.
 */
#include "hw/ide/pci.h"
#include "trace/trace.h"

#define PIIX_IDETIM_PRIMARY   0x40
#define PIIX_IDETIM_SECONDARY 0x42
#define PIIX_SIDETIM          0x44
#define PIIX_IDETIM_IDE_DECODE 0x8000
#define PIIX_BMIBA_BAR 4

static const uint32_t piix_iobase[2] = { 0x1f0, 0x170 };
static const uint32_t piix_iobase2[2] = { 0x3f6, 0x376 };

static void piix_ide_update_legacy_decode(PCIIDEState *d)
{
    bool io = pci_get_word(d->dev.config + PCI_COMMAND) & PCI_COMMAND_IO;
    uint16_t idetim[2] = {
        pci_get_word(d->dev.config + PIIX_IDETIM_PRIMARY),
        pci_get_word(d->dev.config + PIIX_IDETIM_SECONDARY),
    };

    for (int i = 0; i < 2; i++) {
        ide_bus_set_ports_enabled(&d->bus[i], io && (idetim[i] & PIIX_IDETIM_IDE_DECODE));
    }
}

static void piix_ide_realize(PCIDevice *dev)
{
    PCIIDEState *d = (PCIIDEState *)dev;

    /* PCICMD: only I/O space enable and bus master enable are implemented. */
    pci_set_word(dev->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    pci_set_word(dev->config + PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    dev->wmask[PCI_LATENCY_TIMER] = 0xf0;
    dev->wmask[PCI_INTERRUPT_LINE] = 0; /* legacy IRQs only */
    pci_set_word(dev->wmask + PIIX_IDETIM_PRIMARY, 0xffff);
    pci_set_word(dev->wmask + PIIX_IDETIM_SECONDARY, 0xffff);
    dev->wmask[PIIX_SIDETIM] = 0xff;
    memory_region_init_io(&d->bmdma_bar, &bmdma_ops, d, "piix-bmdma", 16);
    pci_register_bar(dev, PIIX_BMIBA_BAR, PCI_BASE_ADDRESS_SPACE_IO, &d->bmdma_bar);
}

static void piix_ide_config_write(PCIDevice *dev, uint32_t addr, uint32_t val, int len)
{
    pci_default_write_config(dev, addr, val, len);
    piix_ide_update_legacy_decode((PCIIDEState *)dev);
}

static void piix_ide_reset(PCIDevice *dev)
{
    PCIIDEState *d = (PCIIDEState *)dev;

    pci_set_word(dev->config + PIIX_IDETIM_PRIMARY, 0);
    pci_set_word(dev->config + PIIX_IDETIM_SECONDARY, 0);
    dev->config[PIIX_SIDETIM] = 0;
    for (int i = 0; i < 2; i++) {
        ide_bus_reset(&d->bus[i]);
    }
    piix_ide_update_legacy_decode(d);
}

/* What SeaBIOS does for this function: decode both channels, allow DMA. */
static void piix_ide_firmware_init(PCIDevice *dev)
{
    PCIIDEState *d = (PCIIDEState *)dev;

    pci_set_word(dev->config + PIIX_IDETIM_PRIMARY, PIIX_IDETIM_IDE_DECODE);
    pci_set_word(dev->config + PIIX_IDETIM_SECONDARY, PIIX_IDETIM_IDE_DECODE);
    pci_set_word(dev->config + PCI_COMMAND,
                 pci_get_word(dev->config + PCI_COMMAND) | PCI_COMMAND_MASTER);
    for (int i = 0; i < 2; i++) {
        for (int unit = 0; unit < 2; unit++) {
            if (d->bus[i].ifs[unit].present) {
                d->bmdma[i].status |= 0x20 << unit; /* drive DMA capable */
            }
        }
    }
    piix_ide_update_legacy_decode(d);
}

static const PCIDeviceClass piix3_ide_class = {
    .name = "PIIX3 IDE",
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82371SB_1,
    .class_id = PCI_CLASS_STORAGE_IDE,
    .prog_if = 0x80,
    .realize = piix_ide_realize,
    .config_write = piix_ide_config_write,
    .reset = piix_ide_reset,
    .firmware_init = piix_ide_firmware_init,
};

PCIIDEState *piix3_ide_init(PCIBus *bus, int devfn, qemu_irq irq14, qemu_irq irq15,
                            Error **errp)
{
    PCIIDEState *d = g_new0(PCIIDEState, 1);
    qemu_irq irqs[2] = { irq14, irq15 };

    for (int i = 0; i < 2; i++) {
        ide_bus_init(&d->bus[i], i, irqs[i]);
        bmdma_init(&d->bmdma[i], &d->bus[i], &d->dev);
    }
    if (!pci_device_register(bus, &d->dev, &piix3_ide_class, devfn, errp)) {
        for (int i = 0; i < 2; i++) {
            ide_bus_destroy(&d->bus[i]);
        }
        g_free(d);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        ide_bus_register_ports(&d->bus[i], bus->address_space_io, piix_iobase[i],
                               piix_iobase2[i]);
    }
    pci_device_reset(&d->dev);
    return d;
}

void piix3_ide_free(PCIIDEState *d)
{
    if (!d) {
        return;
    }
    pci_device_unregister(&d->dev);
    for (int i = 0; i < 2; i++) {
        ide_bus_destroy(&d->bus[i]);
    }
    pc_ide_drives_free(d);
    memory_region_finalize(&d->bmdma_bar);
    g_free(d);
}
