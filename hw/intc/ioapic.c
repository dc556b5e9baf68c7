/*
 * Intel 82093AA I/O APIC (data sheet 290566, section 3).
 *
 * Registers are reached indirectly: IOREGSEL (offset 0x00) selects, IOWIN
 * (0x10) reads and writes; version 0x20 parts also have an EOI register at
 * 0x40.  Each pin has a 64-bit redirection entry.  An edge-triggered pin
 * sends one message per rising edge while unmasked; a level-triggered pin
 * sends one while asserted, unmasked and remote IRR is clear, sets remote
 * IRR, and sends again after the local APIC's EOI if still asserted.
 */
#include "hw/intc/ioapic.h"

#include <inttypes.h>

#include "qemu/log.h"
#include "trace/trace.h"

#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

#define IOAPIC_REG_ID    0x00
#define IOAPIC_REG_VER   0x01
#define IOAPIC_REG_ARB   0x02
#define IOAPIC_REG_REDTBL 0x10

#define RTE_DEST_LOGICAL (1ull << 11)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_POLARITY_LOW (1ull << 13)
#define RTE_REMOTE_IRR   (1ull << 14)
#define RTE_LEVEL        (1ull << 15)
#define RTE_MASKED       (1ull << 16)
/* vector, delivery mode, destination mode, polarity, trigger, mask, dest */
#define RTE_WMASK        (0xff00000000000000ull | 0x1afffull)

struct IOAPICState {
    uint8_t id;
    uint8_t ioregsel;
    uint32_t irr;   /* pins requesting: level pins asserted, edges not yet sent */
    uint32_t level; /* input line levels */
    uint64_t redtbl[IOAPIC_NUM_PINS];
    uint64_t irq_count[IOAPIC_NUM_PINS]; /* rising inputs, for info irq */
    qemu_irq in[IOAPIC_NUM_PINS];
    APICBus *bus;
    MemoryRegion mmio;
    MemoryRegion *sysmem;
};

static void ioapic_service(IOAPICState *s)
{
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = s->redtbl[n];
        bool level = e & RTE_LEVEL;
        int dm = (e >> 8) & 7;

        if (!(s->irr & (1u << n)) || (e & RTE_MASKED)) {
            continue;
        }
        if (level && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWPRI)) {
            if (e & RTE_REMOTE_IRR) {
                continue; /* the last one has not been EOIed */
            }
            s->redtbl[n] |= RTE_REMOTE_IRR;
        } else {
            s->irr &= ~(1u << n); /* edge (and NMI/INIT/ExtINT): one message */
        }
        trace_event(ioapic_deliver, "pin=%d entry=0x%016" PRIx64, n, e);
        apic_bus_deliver(s->bus, e >> 56, e & RTE_DEST_LOGICAL, dm, e & 0xff,
                         level && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWPRI));
    }
}

static void ioapic_set_irq(void *opaque, int n, int level)
{
    IOAPICState *s = opaque;
    uint32_t mask = 1u << n;
    uint64_t e = s->redtbl[n];

    trace_event(ioapic_set_irq, "pin=%d level=%d", n, level);
    if (e & RTE_LEVEL) {
        if (level) {
            s->irr |= mask;
        } else {
            s->irr &= ~mask;
        }
    } else if (level && !(s->level & mask) && !(e & RTE_MASKED)) {
        s->irr |= mask; /* rising edge; edges while masked are lost */
    }
    if (level && !(s->level & mask)) {
        s->irq_count[n]++;
    }
    if (level) {
        s->level |= mask;
    } else {
        s->level &= ~mask;
    }
    ioapic_service(s);
}

void ioapic_eoi_broadcast(IOAPICState *s, int vector)
{
    trace_event(ioapic_eoi, "vector=%d", vector);
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = s->redtbl[n];

        if ((e & 0xff) == (uint64_t)vector && (e & RTE_REMOTE_IRR)) {
            s->redtbl[n] &= ~RTE_REMOTE_IRR;
        }
    }
    ioapic_service(s); /* a level pin still asserted interrupts again */
}

static void ioapic_eoi_handler(void *opaque, int vector)
{
    ioapic_eoi_broadcast(opaque, vector);
}

static uint32_t ioapic_reg_read(IOAPICState *s, uint8_t reg)
{
    switch (reg) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return (uint32_t)s->id << 24;
    case IOAPIC_REG_VER:
        return IOAPIC_VERSION | (IOAPIC_NUM_PINS - 1) << 16;
    }
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        uint64_t e = s->redtbl[(reg - IOAPIC_REG_REDTBL) >> 1];
        return (reg & 1) ? e >> 32 : (uint32_t)e;
    }
    return 0xffffffffu; /* no register there */
}

static void ioapic_reg_write(IOAPICState *s, uint8_t reg, uint32_t val)
{
    int n;
    uint64_t e;

    if (reg == IOAPIC_REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (reg < IOAPIC_REG_REDTBL || reg >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        qemu_log_mask(LOG_GUEST_ERROR, "ioapic: write to read-only register 0x%x\n", reg);
        return;
    }
    n = (reg - IOAPIC_REG_REDTBL) >> 1;
    e = s->redtbl[n];
    if (reg & 1) {
        e = (e & 0xffffffffull) | ((uint64_t)val << 32);
    } else {
        e = (e & ~0xffffffffull) | val;
    }
    /* Delivery status and remote IRR are read-only. */
    e = (e & RTE_WMASK) | (s->redtbl[n] & (RTE_REMOTE_IRR | RTE_DELIVERY_STATUS));
    if (!(e & RTE_LEVEL)) {
        e &= ~RTE_REMOTE_IRR;
    }
    s->redtbl[n] = e;
    trace_event(ioapic_write_redtbl, "pin=%d entry=0x%016" PRIx64, n, e);
    if ((e & RTE_LEVEL) && (s->level & (1u << n))) {
        s->irr |= 1u << n; /* a level pin requests while it is asserted */
    } else if (e & RTE_LEVEL) {
        s->irr &= ~(1u << n);
    }
    ioapic_service(s);
}

static uint64_t ioapic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr) {
    case IOAPIC_IOREGSEL:
        return s->ioregsel;
    case IOAPIC_IOWIN:
        return ioapic_reg_read(s, s->ioregsel);
    default:
        return 0;
    }
}

static void ioapic_mmio_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    IOAPICState *s = opaque;

    switch (addr) {
    case IOAPIC_IOREGSEL:
        s->ioregsel = data;
        break;
    case IOAPIC_IOWIN:
        ioapic_reg_write(s, s->ioregsel, data);
        break;
    case IOAPIC_EOI:
        ioapic_eoi_broadcast(s, data & 0xff);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ioapic: write at unknown offset 0x%x\n",
                      (unsigned)addr);
        break;
    }
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

void ioapic_reset(IOAPICState *s)
{
    s->id = 0;
    s->ioregsel = 0;
    s->irr = 0;
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        s->redtbl[n] = RTE_MASKED;
    }
}

qemu_irq ioapic_get_irq(IOAPICState *s, int n)
{
    return s->in[n];
}

IOAPICState *ioapic_init(MemoryRegion *sysmem, hwaddr base, APICBus *bus)
{
    IOAPICState *s = g_new0(IOAPICState, 1);

    s->bus = bus;
    s->sysmem = sysmem;
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        s->in[n] = qemu_allocate_irq(ioapic_set_irq, s, n);
    }
    apic_bus_set_eoi_handler(bus, ioapic_eoi_handler, s);
    memory_region_init_io(&s->mmio, &ioapic_mmio_ops, s, "ioapic", 0x1000);
    memory_region_add_subregion_overlap(sysmem, base, &s->mmio, 1);
    ioapic_reset(s);
    return s;
}

void ioapic_destroy(IOAPICState *s)
{
    apic_bus_set_eoi_handler(s->bus, NULL, NULL);
    memory_region_del_subregion(s->sysmem, &s->mmio);
    memory_region_finalize(&s->mmio);
    for (int n = 0; n < IOAPIC_NUM_PINS; n++) {
        qemu_free_irq(s->in[n]);
    }
    g_free(s);
}

static void ioapic_print_pins(GString *out, const char *title, uint32_t pins)
{
    g_string_append_printf(out, "  %s", title);
    if (!pins) {
        g_string_append(out, "(none)");
    }
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        if (pins & (1u << i)) {
            g_string_append_printf(out, "%u ", i);
        }
    }
    g_string_append(out, "\n");
}

void ioapic_print_info(IOAPICState *s, GString *out)
{
    static const char *const dm_names[8] = { "fixed", "lowprio", "smi", "...", "nmi", "init",
                                             "...", "extint" };
    uint32_t remote_irr = 0;

    g_string_append_printf(out, "ioapic0: ver=0x%x id=0x%02x sel=0x%02x\n", 0x20, s->id,
                           s->ioregsel);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        uint64_t e = s->redtbl[i];

        if (e & RTE_REMOTE_IRR) {
            remote_irr |= 1u << i;
        }
        g_string_append_printf(out, "  pin %-2u 0x%016" PRIx64 " dest=%" PRIx64 " vec=%-3u %s %-5s "
                               "%-6s %-6s %s\n", i, e, e >> 56, (unsigned)(e & 0xff),
                               e & RTE_POLARITY_LOW ? "active-lo" : "active-hi",
                               e & RTE_LEVEL ? "level" : "edge", e & RTE_MASKED ? "masked" : "",
                               dm_names[(e >> 8) & 7],
                               e & RTE_DEST_LOGICAL ? "logical" : "physical");
    }
    ioapic_print_pins(out, "IRR      ", s->irr);
    ioapic_print_pins(out, "Remote IRR ", remote_irr);
}

void ioapic_print_irq_stats(IOAPICState *s, GString *out)
{
    g_string_append(out, "IRQ statistics for ioapic:\n");
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        if (s->irq_count[i]) {
            g_string_append_printf(out, "%2d: %" PRIu64 "\n", i, s->irq_count[i]);
        }
    }
}
