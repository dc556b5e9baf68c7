/*
 * i440FX host bridge (Intel 82441FX PMC datasheet, section 3.2).
 *
 * The configuration function, and the PAM registers' control of the
 * BIOS shadow at 0xc0000-0xfffff once the board has given the bridge its
 * memory (i440fx_init_pam; hw/pci/pam.c).  SMRAM (0x72) is stored so
 * firmware reads back what it wrote; duet has no SMM, so it maps nothing.
 */
#include <inttypes.h>

#include "hw/pci/i440fx.h"

#include "trace/trace.h"

#define I440FX_PAM0  0x59 /* PAM0..PAM6: 0x59..0x5f */
#define I440FX_PAM_COUNT 7
#define I440FX_SMRAM 0x72

static PCII440FXState *i440fx_of(PCIDevice *d)
{
    return (PCII440FXState *)d; /* dev is the first member */
}

/*
 * Datasheet 3.2.18: PAM0 bits 5:4 govern 0xf0000-0xfffff (its low nibble
 * is reserved); PAMn (n = 1..6), bits 1:0 the 16 KiB segment at
 * 0xc0000 + (n - 1) * 0x8000 and bits 5:4 the one above it.
 */
static void i440fx_update_pam(PCII440FXState *s)
{
    const uint8_t *pam = s->dev.config + I440FX_PAM0;

    if (!s->pam_mapped) {
        return;
    }
    memory_region_transaction_begin();
    pam_update(&s->pam_regions[0], pam[0] >> 4);
    for (int i = 1; i < PAM_REGIONS; i++) {
        pam_update(&s->pam_regions[i], pam[(i + 1) / 2] >> ((i - 1) & 1 ? 4 : 0));
    }
    memory_region_transaction_commit();
    trace_event(i440fx_update_pam, "pam=%02x %02x %02x %02x %02x %02x %02x", pam[0], pam[1],
                pam[2], pam[3], pam[4], pam[5], pam[6]);
}

static void i440fx_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    pci_default_write_config(d, addr, val, len);
    if (addr < I440FX_PAM0 + I440FX_PAM_COUNT && addr + len > I440FX_PAM0) {
        i440fx_update_pam(i440fx_of(d));
    }
}

static void i440fx_realize(PCIDevice *d)
{
    /* The bridge always decodes memory and masters; PCICMD is mostly fixed. */
    pci_set_word(d->config + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->wmask + PCI_COMMAND, 0);
    pci_set_word(d->config + PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    memset(d->wmask + I440FX_PAM0, 0x33, I440FX_PAM_COUNT); /* RE/WE; CE has no effect */
    d->wmask[I440FX_PAM0] = 0x30; /* PAM0's low nibble is reserved */
    d->wmask[I440FX_SMRAM] = 0x7f; /* bit 7 reserved */
}

/* Power-on: every shadow segment decodes to the PCI side, i.e. the ROM. */
static void i440fx_reset(PCIDevice *d)
{
    memset(d->config + I440FX_PAM0, 0, I440FX_PAM_COUNT);
    d->config[I440FX_SMRAM] = 0x02; /* datasheet default: C_BASE_SEG = 010b */
    i440fx_update_pam(i440fx_of(d));
}

/* Without firmware the shadow is plain RAM, as a BIOS would leave it. */
static void i440fx_firmware_init(PCIDevice *d)
{
    d->config[I440FX_PAM0] = 0x30;
    memset(d->config + I440FX_PAM0 + 1, 0x33, I440FX_PAM_COUNT - 1);
    i440fx_update_pam(i440fx_of(d));
}

static const PCIDeviceClass i440fx_class = {
    .name = "i440FX",
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82441,
    .revision = 0x02,
    .class_id = PCI_CLASS_BRIDGE_HOST,
    .realize = i440fx_realize,
    .config_write = i440fx_config_write,
    .reset = i440fx_reset,
    .firmware_init = i440fx_firmware_init,
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

void i440fx_init_pam(PCII440FXState *s, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window)
{
    s->system_memory = system_memory;
    address_space_init(&s->pam_pci_as, pci_window, "pam-pci");
    pam_init_memory(&s->pam_regions[0], system_memory, ram, pci_window, &s->pam_pci_as,
                    PAM_BIOS_BASE, PAM_BIOS_SIZE);
    for (int i = 1; i < PAM_REGIONS; i++) {
        pam_init_memory(&s->pam_regions[i], system_memory, ram, pci_window, &s->pam_pci_as,
                        PAM_EXPAN_BASE + (i - 1) * PAM_EXPAN_SIZE, PAM_EXPAN_SIZE);
    }
    s->pam_mapped = true;
    i440fx_update_pam(s);
}

void i440fx_free(PCII440FXState *s)
{
    if (!s) {
        return;
    }
    if (s->pam_mapped) {
        for (int i = 0; i < PAM_REGIONS; i++) {
            pam_destroy(&s->pam_regions[i], s->system_memory);
        }
        address_space_destroy(&s->pam_pci_as);
    }
    pci_host_destroy(&s->host);
    pci_device_unregister(&s->dev);
    g_free(s);
}
