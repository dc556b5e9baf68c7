/*
 * Intel 8259A programmable interrupt controller, as cascaded on the PC.
 *
 * Section numbers refer to the 8259A data sheet (Intel 231468).  Each chip
 * keeps IRR (requests), ISR (in service) and IMR (masked); priority is
 * rotating: priority_add names the IR level that currently ranks highest.
 */
#include "hw/intc/i8259.h"

#include <inttypes.h>
#include <assert.h>

#include "qemu/log.h"
#include "trace/trace.h"

typedef struct PICCommonState {
    PICState *pair;
    bool master;
    uint8_t irr;
    uint8_t imr;
    uint8_t isr;
    uint8_t last_irr;      /* input line levels, for edge detection */
    uint8_t priority_add;  /* IR level with the highest priority */
    uint8_t irq_base;      /* ICW2: vector of IR0 */
    uint8_t elcr;          /* 1 = level triggered (PIIX ELCR) */
    uint8_t elcr_mask;     /* bits the ELCR lets software set */
    bool read_reg_select;  /* OCW3 RIS: read ISR instead of IRR */
    bool poll;             /* OCW3 P: next read is a poll */
    bool special_mask;     /* OCW3 SMM */
    uint8_t init_state;    /* 0 ready, 1-3: expecting ICW2, ICW3, ICW4 */
    bool init4;            /* ICW1 IC4 */
    bool single_mode;      /* ICW1 SNGL */
    bool ltim;             /* ICW1 LTIM: all inputs level triggered */
    bool auto_eoi;         /* ICW4 AEOI */
    bool rotate_on_auto_eoi;
    bool special_fully_nested_mode; /* ICW4 SFNM */
    uint64_t irq_count[8]; /* requests seen per input, for info irq */
    qemu_irq int_out;      /* master: the CPU; slave: master IR2 */
    MemoryRegion base_io;
    MemoryRegion elcr_io;
} PICCommonState;

struct PICState {
    PICCommonState chip[2]; /* [0] master, [1] slave */
    qemu_irq in[16];
    qemu_irq cascade;       /* the slave's output pin */
    MemoryRegion *io;
};

static uint8_t pic_level_mask(PICCommonState *s)
{
    return s->ltim ? 0xff : s->elcr;
}

/* Priority rank (0 = highest) of the best bit in @mask; 8 when empty. */
static int get_priority(PICCommonState *s, uint8_t mask)
{
    int priority = 0;

    if (mask == 0) {
        return 8;
    }
    while (!(mask & (1 << ((priority + s->priority_add) & 7)))) {
        priority++;
    }
    return priority;
}

/* IR level the chip would signal now, or -1 (data sheet "priority resolver"). */
static int pic_get_irq(PICCommonState *s)
{
    int priority = get_priority(s, s->irr & ~s->imr);
    uint8_t in_service = s->isr;

    if (priority == 8) {
        return -1;
    }
    /* Special mask mode: masked levels do not block lower ones (OCW3). */
    if (s->special_mask) {
        in_service &= ~s->imr;
    }
    /* Special fully nested mode: the slave may interrupt its own service. */
    if (s->special_fully_nested_mode && s->master) {
        in_service &= ~(1 << 2);
    }
    if (priority < get_priority(s, in_service)) {
        return (priority + s->priority_add) & 7;
    }
    return -1;
}

static void pic_update_irq(PICCommonState *s)
{
    int irq = pic_get_irq(s);

    trace_event(pic_update_irq, "master=%d irr=0x%02x imr=0x%02x isr=0x%02x irq=%d",
                s->master, s->irr, s->imr, s->isr, irq);
    qemu_set_irq(s->int_out, irq >= 0);
}

static void pic_set_irq(void *opaque, int n, int level)
{
    PICCommonState *s = opaque;
    uint8_t mask = 1 << n;

    trace_event(pic_set_irq, "master=%d irq=%d level=%d", s->master, n, level);
    if (pic_level_mask(s) & mask) {
        /* Level triggered: the request follows the line. */
        if (level) {
            s->irr |= mask;
        } else {
            s->irr &= ~mask;
        }
    } else if (level && !(s->last_irr & mask)) {
        s->irr |= mask; /* rising edge */
    }
    if (level && !(s->last_irr & mask)) {
        s->irq_count[n]++;
    }
    if (level) {
        s->last_irr |= mask;
    } else {
        s->last_irr &= ~mask;
    }
    pic_update_irq(s);
}

/* The INTA (or poll) side effects on one chip for IR level @irq. */
static void pic_intack(PICCommonState *s, int irq)
{
    if (s->auto_eoi) {
        if (s->rotate_on_auto_eoi) {
            s->priority_add = (irq + 1) & 7;
        }
    } else {
        s->isr |= 1 << irq;
    }
    /* An edge request is consumed; a level request stays while the line is high. */
    if (!(pic_level_mask(s) & (1 << irq))) {
        s->irr &= ~(1 << irq);
    }
    pic_update_irq(s);
}

int pic_read_irq(PICState *pair)
{
    PICCommonState *master = &pair->chip[0];
    PICCommonState *slave = &pair->chip[1];
    int irq = pic_get_irq(master);
    int intno;

    if (irq < 0) {
        /* The request went away before INTA: spurious IR7, ISR untouched. */
        intno = master->irq_base + 7;
    } else if (irq == 2 && !master->single_mode) {
        int irq2 = pic_get_irq(slave);

        if (irq2 >= 0) {
            pic_intack(slave, irq2);
        } else {
            irq2 = 7; /* spurious on the slave */
        }
        intno = slave->irq_base + irq2;
        pic_intack(master, irq);
    } else {
        intno = master->irq_base + irq;
        pic_intack(master, irq);
    }
    trace_event(pic_interrupt, "irq=%d intno=0x%x", irq, intno);
    return intno;
}

/* ICW1 (data sheet "Initialization Command Words"): IMR cleared, IR7 lowest,
 * special mask off, status read selects IRR, edge sense reset. */
static void pic_init_reset(PICCommonState *s)
{
    s->imr = 0;
    s->isr = 0;
    s->priority_add = 0;
    s->irq_base = 0;
    s->read_reg_select = false;
    s->poll = false;
    s->special_mask = false;
    s->init_state = 0;
    s->auto_eoi = false;
    s->rotate_on_auto_eoi = false;
    s->special_fully_nested_mode = false;
    s->init4 = false;
    s->single_mode = false;
    s->ltim = false;
    /* After ICW1 an edge input must rise again before it requests. */
    s->irr = s->last_irr & pic_level_mask(s);
}

static void pic_write_command(PICCommonState *s, uint8_t val)
{
    int priority, irq;

    if (val & 0x10) {
        pic_init_reset(s);
        s->init_state = 1;
        s->init4 = val & 1;
        s->single_mode = val & 2;
        s->ltim = val & 8;
        s->irr = s->last_irr & pic_level_mask(s);
        if (val & 0x04) {
            qemu_log_mask(LOG_UNIMP, "i8259: ICW1 call address interval 4 ignored\n");
        }
        pic_update_irq(s);
        return;
    }
    if (val & 0x08) { /* OCW3 */
        if (val & 0x04) {
            s->poll = true;
        }
        if (val & 0x02) {
            s->read_reg_select = val & 1;
        }
        if (val & 0x40) {
            s->special_mask = (val >> 5) & 1;
        }
        pic_update_irq(s);
        return;
    }
    /* OCW2: R, SL, EOI in bits 7-5, level in bits 2-0 */
    switch (val >> 5) {
    case 0: /* rotate in automatic EOI mode (clear) */
    case 4: /* rotate in automatic EOI mode (set) */
        s->rotate_on_auto_eoi = val >> 7;
        break;
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI */
        priority = get_priority(s, s->isr);
        if (priority != 8) {
            irq = (priority + s->priority_add) & 7;
            s->isr &= ~(1 << irq);
            if (val & 0x80) {
                s->priority_add = (irq + 1) & 7;
            }
        }
        break;
    case 3: /* specific EOI */
        s->isr &= ~(1 << (val & 7));
        break;
    case 7: /* rotate on specific EOI */
        irq = val & 7;
        s->isr &= ~(1 << irq);
        s->priority_add = (irq + 1) & 7;
        break;
    case 6: /* set priority: the named level becomes the lowest */
        s->priority_add = (val + 1) & 7;
        break;
    default: /* 2: no operation */
        break;
    }
    pic_update_irq(s);
}

static void pic_write_data(PICCommonState *s, uint8_t val)
{
    switch (s->init_state) {
    case 0: /* OCW1 */
        s->imr = val;
        pic_update_irq(s);
        break;
    case 1: /* ICW2: T7-T3 of the vector (8086 mode) */
        s->irq_base = val & 0xf8;
        if (!s->single_mode) {
            s->init_state = 2;
        } else {
            s->init_state = s->init4 ? 3 : 0;
        }
        break;
    case 2: /* ICW3: the PC's cascade wiring is fixed (slave on IR2) */
        s->init_state = s->init4 ? 3 : 0;
        break;
    case 3: /* ICW4 */
        if (!(val & 1)) {
            qemu_log_mask(LOG_UNIMP, "i8259: MCS-80/85 mode not supported\n");
        }
        s->special_fully_nested_mode = (val >> 4) & 1;
        s->auto_eoi = (val >> 1) & 1;
        s->init_state = 0;
        break;
    }
}

static void pic_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PICCommonState *s = opaque;

    trace_event(pic_ioport_write, "master=%d addr=%" HWADDR_PRIx " val=0x%02x",
                s->master, addr, (unsigned)(data & 0xff));
    if (addr == 0) {
        pic_write_command(s, data);
    } else {
        pic_write_data(s, data);
    }
}

/* OCW3 poll: the read acts as an INTA; bit 7 says whether one was pending. */
static uint8_t pic_poll_read(PICCommonState *s)
{
    int irq = pic_get_irq(s);

    if (irq < 0) {
        return 0;
    }
    pic_intack(s, irq);
    return 0x80 | irq;
}

static uint64_t pic_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICCommonState *s = opaque;
    uint8_t ret;

    if (s->poll) {
        s->poll = false;
        ret = pic_poll_read(s);
    } else if (addr == 0) {
        ret = s->read_reg_select ? s->isr : s->irr;
    } else {
        ret = s->imr;
    }
    trace_event(pic_ioport_read, "master=%d addr=%" HWADDR_PRIx " val=0x%02x",
                s->master, addr, ret);
    return ret;
}

static const MemoryRegionOps pic_base_ioport_ops = {
    .read = pic_ioport_read,
    .write = pic_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t elcr_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICCommonState *s = opaque;

    return s->elcr;
}

static void elcr_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PICCommonState *s = opaque;

    s->elcr = data & s->elcr_mask;
    /* A line switched to level mode requests as long as it is high. */
    s->irr = (s->irr & ~s->elcr) | (s->last_irr & s->elcr);
    pic_update_irq(s);
}

static const MemoryRegionOps pic_elcr_ioport_ops = {
    .read = elcr_ioport_read,
    .write = elcr_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void i8259_reset(PICState *pair)
{
    for (int i = 0; i < 2; i++) {
        PICCommonState *s = &pair->chip[i];

        s->elcr = 0;
        s->last_irr = 0;
        pic_init_reset(s);
        s->irr = 0;
        qemu_set_irq(s->int_out, 0);
    }
}

static void pic_cascade_set_irq(void *opaque, int n, int level)
{
    PICState *pair = opaque;

    pic_set_irq(&pair->chip[0], 2, level);
}

PICState *i8259_init(MemoryRegion *io, qemu_irq parent_irq)
{
    static const struct {
        hwaddr base, elcr;
        uint8_t elcr_mask; /* PIIX: IRQ0-2, 8 and 13 are always edge */
        const char *name, *elcr_name;
    } layout[2] = {
        { 0x20, 0x4d0, 0xf8, "pic-master", "elcr-master" },
        { 0xa0, 0x4d1, 0xde, "pic-slave", "elcr-slave" },
    };
    PICState *pair = g_new0(PICState, 1);

    pair->io = io;
    pair->cascade = qemu_allocate_irq(pic_cascade_set_irq, pair, 0);
    for (int i = 0; i < 2; i++) {
        PICCommonState *s = &pair->chip[i];

        s->pair = pair;
        s->master = i == 0;
        s->elcr_mask = layout[i].elcr_mask;
        s->int_out = i == 0 ? parent_irq : pair->cascade;
        memory_region_init_io(&s->base_io, &pic_base_ioport_ops, s, layout[i].name, 2);
        memory_region_add_subregion(io, layout[i].base, &s->base_io);
        memory_region_init_io(&s->elcr_io, &pic_elcr_ioport_ops, s, layout[i].elcr_name, 1);
        memory_region_add_subregion(io, layout[i].elcr, &s->elcr_io);
    }
    for (int n = 0; n < 16; n++) {
        pair->in[n] = qemu_allocate_irq(pic_set_irq, &pair->chip[n >> 3], n & 7);
    }
    i8259_reset(pair);
    return pair;
}

qemu_irq i8259_get_irq(PICState *pair, int n)
{
    assert(n >= 0 && n < 16);
    return pair->in[n];
}

void i8259_destroy(PICState *pair)
{
    for (int i = 0; i < 2; i++) {
        PICCommonState *s = &pair->chip[i];

        memory_region_del_subregion(pair->io, &s->base_io);
        memory_region_finalize(&s->base_io);
        memory_region_del_subregion(pair->io, &s->elcr_io);
        memory_region_finalize(&s->elcr_io);
    }
    for (int n = 0; n < 16; n++) {
        qemu_free_irq(pair->in[n]);
    }
    qemu_free_irq(pair->cascade);
    g_free(pair);
}

void i8259_print_info(PICState *s, GString *out)
{
    /* QEMU's order and layout: the slave, then the master. */
    for (int i = 1; i >= 0; i--) {
        PICCommonState *c = &s->chip[i];

        g_string_append_printf(out, "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d irq_base=%02x "
                               "rr_sel=%d elcr=%02x fnm=%d\n", i, c->irr, c->imr, c->isr,
                               c->priority_add, c->irq_base, c->read_reg_select, c->elcr,
                               c->special_fully_nested_mode);
    }
}

void i8259_print_irq_stats(PICState *s, GString *out)
{
    g_string_append(out, "IRQ statistics for isa-i8259:\n");
    for (int i = 0; i < 16; i++) {
        uint64_t n = s->chip[i / 8].irq_count[i % 8];

        if (n) {
            g_string_append_printf(out, "%2d: %" PRIu64 "\n", i, n);
        }
    }
}
