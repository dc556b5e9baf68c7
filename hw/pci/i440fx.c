/*
 * i440FX host bridge (Intel 82441FX PMC datasheet, section 3.2).
 *
 * Only the configuration function: PAM and SMRAM registers are stored so
 * firmware and guests read back what they wrote; the memory map does not
 * change (duet has no shadow BIOS to protect).
 */
#include <inttypes.h>

#include "hw/pci/i440fx.h"

#define I440FX_PAM0  0x59 /* PAM0..PAM6: 0x59..0x5f */
#define I440FX_PAM_COUNT 7
#define I440FX_SMRAM 0x72

static void i440fx_realize(PCIDevice *d)
{
    /* The bridge always decodes memory and masters; PCICMD is mostly fixed. */
    pci_set_word(d->config + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->wmask + PCI_COMMAND, 0);
    pci_set_word(d->config + PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    memset(d->wmask + I440FX_PAM0, 0xff, I440FX_PAM_COUNT);
    d->wmask[I440FX_SMRAM] = 0x7f; /* bit 7 reserved */
}

static void i440fx_reset(PCIDevice *d)
{
    memset(d->config + I440FX_PAM0, 0, I440FX_PAM_COUNT);
    d->config[I440FX_SMRAM] = 0x02; /* datasheet default: C_BASE_SEG = 010b */
}

static const PCIDeviceClass i440fx_class = {
    .name = "i440FX",
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82441,
    .revision = 0x02,
    .class_id = PCI_CLASS_BRIDGE_HOST,
    .realize = i440fx_realize,
    .reset = i440fx_reset,
};

PCII440FXState *i440fx_init(PCIBus *bus, MemoryRegion *address_space_io, Error **errp)
{
    PCII440FXState *s = g_new0(PCII440FXState, 1);

    if (!pci_device_register(bus, &s->dev, &i440fx_class, PCI_DEVFN(0, 0), errp)) {
        g_free(s);
        return NULL;
    }
    pci_device_reset(&s->dev);
    pci_host_init(&s->host, bus, address_space_io);
    return s;
}

void i440fx_free(PCII440FXState *s)
{
    if (!s) {
        return;
    }
    pci_host_destroy(&s->host);
    pci_device_unregister(&s->dev);
    g_free(s);
}
