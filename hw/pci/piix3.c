/*
 * PIIX3 PCI-to-ISA bridge, function 0 (Intel 82371SB datasheet, 2.2).
 *
 * Configuration registers: PIRQ route control (0x60-0x63) steers PCI
 * INTx lines PIRQA-D onto ISA IRQs (datasheet 2.2.12); top of memory,
 * the motherboard IRQ/DMA routes and the rest are stored and read back.
 * The PCI IDE function uses legacy IRQ 14/15, not a PIRQ.
 */
#include <inttypes.h>

#include "hw/pci/piix3.h"

#include "sysemu/runstate.h"
#include "trace/trace.h"

#define PIIX_PIRQRC   0x60 /* four route registers, bit 7 = disabled */
#define PIIX_PIRQ_DISABLED 0x80
#define PIIX_PIRQ_IRQ_MASK 0x0f
#define PIIX_TOM      0x69
#define PIIX_MBIRQ0   0x70
#define PIIX_MBDMA0   0x76

static void piix3_realize(PCIDevice *d)
{
    /* Datasheet: PCICMD I/O, memory and bus master enables are hardwired on. */
    pci_set_word(d->config + PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->wmask + PCI_COMMAND, 0);
    pci_set_word(d->config + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    d->wmask[PCI_LATENCY_TIMER] = 0;
    d->wmask[PCI_INTERRUPT_LINE] = 0;
    /* Function-specific space: store-only. */
    memset(d->wmask + 0x40, 0xff, PCI_CONFIG_SPACE_SIZE - 0x40);
}

/* ISA IRQ @irq is the OR of the PIRQ lines routed to it (PCI INTx is a
 * shared, level-triggered line; IRQs 0-2, 8 and 13 are reserved). */
static void piix3_update_isa_irq(PIIX3State *s, int irq)
{
    int level = 0;

    if (!s->isa_irqs || irq < 3 || irq == 8 || irq == 13) {
        return;
    }
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        uint8_t route = s->dev.config[PIIX_PIRQRC + p];
        if (!(route & PIIX_PIRQ_DISABLED) && (route & PIIX_PIRQ_IRQ_MASK) == irq) {
            level |= s->pirq_level[p];
        }
    }
    qemu_set_irq(s->isa_irqs[irq], level);
}

static void piix3_pirq_set(void *opaque, int pirq, int level)
{
    PIIX3State *s = opaque;
    uint8_t route = s->dev.config[PIIX_PIRQRC + pirq];

    s->pirq_level[pirq] = !!level;
    trace_event(piix3_set_pirq, "pirq=%d level=%d route=0x%02x", pirq, level, route);
    if (!(route & PIIX_PIRQ_DISABLED)) {
        piix3_update_isa_irq(s, route & PIIX_PIRQ_IRQ_MASK);
    }
}

static void piix3_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    PIIX3State *s = (PIIX3State *)d;
    uint8_t old[PIIX_NUM_PIRQS];

    memcpy(old, d->config + PIIX_PIRQRC, PIIX_NUM_PIRQS);
    pci_default_write_config(d, addr, val, len);
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        if (old[p] != d->config[PIIX_PIRQRC + p]) {
            /* the line leaves its old IRQ and drives the new one */
            piix3_update_isa_irq(s, old[p] & PIIX_PIRQ_IRQ_MASK);
            piix3_update_isa_irq(s, d->config[PIIX_PIRQRC + p] & PIIX_PIRQ_IRQ_MASK);
        }
    }
}

/* As SeaBIOS leaves QEMU's pc: PIRQA-D on IRQ 10, 10, 11, 11 (the MADT
 * declares those level, active high). */
static void piix3_firmware_init(PCIDevice *d)
{
    static const uint8_t routes[PIIX_NUM_PIRQS] = { 10, 10, 11, 11 };

    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        piix3_config_write(d, PIIX_PIRQRC + p, routes[p], 1);
    }
}

qemu_irq piix3_get_pirq(PIIX3State *s, int pirq)
{
    return s->pirq_in[pirq & 3];
}

void piix3_set_isa_irqs(PIIX3State *s, qemu_irq *isa_irqs)
{
    s->isa_irqs = isa_irqs;
}

/* Reset control register, I/O 0xcf9 (datasheet 2.2.1): a write with RCPU
 * (bit 2) resets the system; SRST (bit 1, hard or soft) is kept. */
#define PIIX_RCR_SRST 0x02
#define PIIX_RCR_RCPU 0x04

uint8_t piix3_rcr_read(void *opaque)
{
    PIIX3State *s = opaque;

    return s->rcr;
}

void piix3_rcr_write(void *opaque, uint8_t val)
{
    PIIX3State *s = opaque;

    trace_event(piix3_rcr_write, "val=0x%02x", val);
    if (val & PIIX_RCR_RCPU) {
        qemu_system_reset_request();
        return;
    }
    s->rcr = val & PIIX_RCR_SRST;
}

static void piix3_reset(PCIDevice *d)
{
    PIIX3State *s = (PIIX3State *)d;

    s->rcr = 0;
    memset(s->pirq_level, 0, sizeof(s->pirq_level));
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        piix3_update_isa_irq(s, d->config[PIIX_PIRQRC + p] & PIIX_PIRQ_IRQ_MASK);
    }
    memset(d->config + 0x40, 0, PCI_CONFIG_SPACE_SIZE - 0x40);
    d->config[0x4c] = 0x4d; /* IORT: ISA recovery timer */
    d->config[0x4e] = 0x03; /* XBCS: RTC, keyboard controller */
    memset(d->config + PIIX_PIRQRC, 0x80, 4);
    d->config[PIIX_TOM] = 0x02;
    d->config[PIIX_MBIRQ0] = 0x80;
    d->config[PIIX_MBIRQ0 + 1] = 0x80;
    d->config[PIIX_MBDMA0] = 0x0c;
    d->config[PIIX_MBDMA0 + 1] = 0x0c;
    d->config[0x78] = 0x02; /* PCSC */
    d->config[0xa0] = 0x08; /* SMI control */
    d->config[0xa8] = 0x0f; /* fast-off timer */
}

static const PCIDeviceClass piix3_class = {
    .name = "PIIX3",
    .vendor_id = PCI_VENDOR_ID_INTEL,
    .device_id = PCI_DEVICE_ID_INTEL_82371SB_0,
    .class_id = PCI_CLASS_BRIDGE_ISA,
    .multifunction = true, /* so probes go on to the IDE function 1 */
    .realize = piix3_realize,
    .config_write = piix3_config_write,
    .reset = piix3_reset,
    .firmware_init = piix3_firmware_init,
};

PIIX3State *piix3_init(PCIBus *bus, int devfn, Error **errp)
{
    PIIX3State *s = g_new0(PIIX3State, 1);

    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        s->pirq_in[p] = qemu_allocate_irq(piix3_pirq_set, s, p);
    }

    if (!pci_device_register(bus, &s->dev, &piix3_class, devfn, errp)) {
        g_free(s);
        return NULL;
    }
    pci_device_reset(&s->dev);
    return s;
}

void piix3_free(PIIX3State *s)
{
    if (!s) {
        return;
    }
    pci_device_unregister(&s->dev);
    for (int p = 0; p < PIIX_NUM_PIRQS; p++) {
        qemu_free_irq(s->pirq_in[p]);
    }
    g_free(s);
}
