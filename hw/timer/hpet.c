/*
 * HPET, IA-PC HPET specification 1.0a (hw/include/hw/timer/hpet.h).
 * Register offsets and bits are the specification's section 2.3.
 *
 * The main counter is not stored while it runs: it is counter_base plus
 * the virtual-clock nanoseconds since enable_ns, divided by the 10 ns
 * period.  Each comparator has a QEMUTimer armed for its next match
 * while the counter runs.  Registers are 64 bits; 32-bit accesses read or
 * write one half (QEMU 7.2 accepts 4- and 8-byte accesses only, and so do
 * we: narrower reads give 0, narrower writes are dropped).
 *
 * Where the specification and QEMU 7.2 differ: in level mode the status
 * bit is set on a match even with the timer's interrupt disabled, as
 * 2.3.9.2.3 says ("the timer will still operate and generate appropriate
 * status bits"); QEMU sets it only for an enabled timer.
 */
#include "hw/timer/hpet.h"

#include <inttypes.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

/* Register offsets (2.3.1) */
#define HPET_ID       0x000
#define HPET_CFG      0x010
#define HPET_STATUS   0x020
#define HPET_COUNTER  0x0f0
#define HPET_TN_BASE  0x100
#define HPET_TN_SIZE  0x20
#define HPET_TN_CFG   0x00
#define HPET_TN_CMP   0x08
#define HPET_TN_ROUTE 0x10 /* FSB route: no FSB delivery here, reads 0 */

/* General configuration (2.3.5) */
#define HPET_CFG_ENABLE 0x001
#define HPET_CFG_LEGACY 0x002

/* Timer n configuration and capabilities (2.3.8) */
#define HPET_TN_TYPE_LEVEL 0x002
#define HPET_TN_ENABLE     0x004
#define HPET_TN_PERIODIC   0x008
#define HPET_TN_PERIODIC_CAP 0x010
#define HPET_TN_SIZE_CAP   0x020
#define HPET_TN_SETVAL     0x040
#define HPET_TN_32BIT      0x100
#define HPET_TN_INT_ROUTE_SHIFT 9
#define HPET_TN_INT_ROUTE_MASK  (0x1f << HPET_TN_INT_ROUTE_SHIFT)
#define HPET_TN_CFG_WRITABLE (HPET_TN_TYPE_LEVEL | HPET_TN_ENABLE | HPET_TN_PERIODIC | \
                              HPET_TN_SETVAL | HPET_TN_32BIT | HPET_TN_INT_ROUTE_MASK)
/* QEMU 7.2's pc: IOAPIC input 2 only (besides the legacy route) */
#define HPET_TN_INT_ROUTE_CAP 0x4ull

#define HPET_TICK_NS (HPET_CLK_PERIOD / 1000000)
/* A comparator that matches more often than this is coalesced: missed
 * periods give one interrupt, so a 10 ns period cannot monopolise duet. */
#define HPET_MIN_REARM_NS 10000

typedef struct HPETTimer {
    HPETState *s;
    int tn;
    uint64_t config;
    uint64_t cmp;
    uint64_t period;   /* periodic mode: added to cmp at each match */
    bool wrap_pending; /* 32-bit one-shot: the next event is the counter's 32-bit wrap */
    QEMUTimer *timer;
} HPETTimer;

struct HPETState {
    uint64_t config;
    uint64_t isr;
    uint64_t counter_base; /* the counter at enable_ns (or while halted) */
    int64_t enable_ns;
    HPETTimer timers[HPET_NUM_TIMERS];
    qemu_irq irqs[HPET_NUM_IRQ_ROUTES];
    qemu_irq legacy_in[2]; /* the PIT's and the RTC's outputs */
    int legacy_level[2];
    bool line_level[HPET_NUM_IRQ_ROUTES]; /* what we last drove each line to */
    MemoryRegion mmio;
    MemoryRegion *parent;
};

static int64_t hpet_clock(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static bool hpet_enabled(HPETState *s)
{
    return s->config & HPET_CFG_ENABLE;
}

static bool hpet_legacy(HPETState *s)
{
    return s->config & HPET_CFG_LEGACY;
}

static uint64_t hpet_counter(HPETState *s, int64_t now)
{
    if (!hpet_enabled(s) || now <= s->enable_ns) {
        return s->counter_base;
    }
    return s->counter_base + (uint64_t)(now - s->enable_ns) / HPET_TICK_NS;
}

static bool timer_is_32bit(HPETTimer *t)
{
    return t->config & HPET_TN_32BIT;
}

/* The line a timer drives: the legacy route for timers 0 and 1 (2.3.8
 * LEG_RT_CNF), else its route if it is one the capabilities offer; -1
 * for none. */
static int hpet_timer_route(HPETTimer *t)
{
    unsigned route = (t->config & HPET_TN_INT_ROUTE_MASK) >> HPET_TN_INT_ROUTE_SHIFT;

    if (t->tn <= 1 && hpet_legacy(t->s)) {
        return t->tn == 0 ? 0 : 8;
    }
    return HPET_TN_INT_ROUTE_CAP & (1ull << route) ? (int)route : -1;
}

/*
 * Every line's level, recomputed: level-mode timers hold theirs while
 * their status bit is set and interrupts are enabled; the PIT's and the
 * RTC's interrupts pass through on 0 and 8 unless legacy replacement is on.
 * Several timers may share a line (all of them route to pin 2).
 */
static void hpet_update_irqs(HPETState *s)
{
    bool level[HPET_NUM_IRQ_ROUTES] = { false };

    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HPETTimer *t = &s->timers[i];
        int route = hpet_timer_route(t);

        if (route >= 0 && (t->config & HPET_TN_TYPE_LEVEL) && (t->config & HPET_TN_ENABLE) &&
            (s->isr & (1ull << i))) {
            level[route] = true;
        }
    }
    if (!hpet_legacy(s)) {
        level[0] |= s->legacy_level[0];
        level[8] |= s->legacy_level[1];
    }
    for (int i = 0; i < HPET_NUM_IRQ_ROUTES; i++) {
        if (level[i] != s->line_level[i]) {
            s->line_level[i] = level[i];
            qemu_set_irq(s->irqs[i], level[i]);
        }
    }
}

static void hpet_fire(HPETTimer *t)
{
    HPETState *s = t->s;
    int route = hpet_timer_route(t);

    trace_event(hpet_timer_fire, "timer=%d cmp=0x%" PRIx64, t->tn, t->cmp);
    if (t->config & HPET_TN_TYPE_LEVEL) {
        s->isr |= 1ull << t->tn;
        hpet_update_irqs(s);
    } else if ((t->config & HPET_TN_ENABLE) && route >= 0 && !s->line_level[route]) {
        qemu_irq_pulse(s->irqs[route]); /* a line held high has no edge to give */
    }
}

/* Arms the QEMUTimer for the comparator's next match from @counter. */
static void hpet_arm(HPETTimer *t, uint64_t counter, int64_t now)
{
    uint64_t diff;

    if (!hpet_enabled(t->s)) {
        timer_del(t->timer);
        return;
    }
    if (timer_is_32bit(t)) {
        uint32_t c = counter, cmp = t->cmp;

        if (!(t->config & HPET_TN_PERIODIC) && cmp <= c && c != 0) {
            /* a 32-bit one-shot comparator behind the counter: the
             * counter's 32-bit wrap comes first (QEMU's wrap_flag) */
            t->wrap_pending = true;
            diff = (1ull << 32) - c;
        } else {
            t->wrap_pending = false;
            diff = (uint32_t)(cmp - c);
        }
    } else {
        diff = t->cmp - counter;
    }
    if (!diff) {
        diff = timer_is_32bit(t) ? 1ull << 32 : UINT64_MAX;
    }
    /* 2^64 ticks are 5800 years: cap so that the nanoseconds fit */
    diff = MIN(diff, (uint64_t)INT64_MAX / HPET_TICK_NS / 2);
    timer_mod(t->timer, now + (int64_t)(diff * HPET_TICK_NS));
}

static void hpet_timer_cb(void *opaque)
{
    HPETTimer *t = opaque;
    int64_t now = hpet_clock();
    uint64_t counter = hpet_counter(t->s, now);

    if (t->wrap_pending) {
        /* The 32-bit wrap of a one-shot comparator: an interrupt, then
         * the comparator proper. */
        t->wrap_pending = false;
        hpet_fire(t);
        hpet_arm(t, counter, now);
        return;
    }
    hpet_fire(t);
    if ((t->config & HPET_TN_PERIODIC) && t->period) {
        uint64_t period = timer_is_32bit(t) ? (uint32_t)t->period : t->period;
        uint64_t behind = timer_is_32bit(t) ? (uint32_t)((uint32_t)counter - (uint32_t)t->cmp)
                                            : counter - t->cmp;
        uint64_t n = behind / period + 1;  /* periods missed: coalesced */
        uint64_t min_ticks = HPET_MIN_REARM_NS / HPET_TICK_NS;

        t->cmp += n * period;
        if (n * period < min_ticks) {
            t->cmp += ((min_ticks - n * period + period - 1) / period) * period;
        }
        if (timer_is_32bit(t)) {
            t->cmp = (uint32_t)t->cmp;
        }
        hpet_arm(t, counter, now);
    }
    /* one-shot: nothing more until the comparator or the configuration
     * is written again (as QEMU 7.2) */
}

static void hpet_rearm_all(HPETState *s, int64_t now)
{
    uint64_t counter = hpet_counter(s, now);

    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        hpet_arm(&s->timers[i], counter, now);
    }
}

static uint64_t hpet_timer_read(HPETTimer *t, unsigned reg)
{
    switch (reg) {
    case HPET_TN_CFG:
        return t->config;
    case HPET_TN_CMP:
        return timer_is_32bit(t) ? (uint32_t)t->cmp : t->cmp;
    default:
        return 0; /* FSB route */
    }
}

static uint64_t hpet_reg_read(HPETState *s, hwaddr reg, int64_t now)
{
    if (reg >= HPET_TN_BASE && reg < HPET_TN_BASE + HPET_NUM_TIMERS * HPET_TN_SIZE) {
        return hpet_timer_read(&s->timers[(reg - HPET_TN_BASE) / HPET_TN_SIZE],
                               (reg - HPET_TN_BASE) % HPET_TN_SIZE);
    }
    switch (reg) {
    case HPET_ID:
        return HPET_CLK_PERIOD << 32 | HPET_FW_BLOCK_ID;
    case HPET_CFG:
        return s->config;
    case HPET_STATUS:
        return s->isr;
    case HPET_COUNTER:
        return hpet_counter(s, now);
    default:
        return 0;
    }
}

static void hpet_write_config(HPETState *s, uint64_t val, int64_t now)
{
    uint64_t old = s->config;

    val &= HPET_CFG_ENABLE | HPET_CFG_LEGACY;
    if ((old ^ val) & HPET_CFG_ENABLE) {
        if (val & HPET_CFG_ENABLE) {
            s->enable_ns = now;                       /* counting from counter_base */
        } else {
            s->counter_base = hpet_counter(s, now);   /* frozen here */
        }
    }
    s->config = val;
    /* Legacy replacement moves timers 0 and 1 to IRQ0/IRQ8 and cuts the
     * PIT and the RTC off them (2.3.8 LEG_RT_CNF). */
    hpet_update_irqs(s);
    if ((old ^ val) & HPET_CFG_ENABLE) {
        hpet_rearm_all(s, now);
    }
}

static void hpet_write_timer(HPETTimer *t, unsigned reg, uint64_t val, uint64_t mask,
                             int64_t now)
{
    HPETState *s = t->s;

    switch (reg) {
    case HPET_TN_CFG: {
        uint64_t writable = HPET_TN_CFG_WRITABLE & mask;

        t->config = (t->config & ~writable) | (val & writable);
        if (timer_is_32bit(t)) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period;
        }
        hpet_update_irqs(s);
        break;
    }
    case HPET_TN_CMP: {
        uint64_t v = (t->cmp & ~mask) | (val & mask);

        if (timer_is_32bit(t)) {
            v = (uint32_t)v;
        }
        /* 2.3.9.2.2: in periodic mode a write sets the period, and with
         * Tn_VAL_SET_CNF also the comparator (the next match); VAL_SET
         * clears itself after the write. */
        if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_SETVAL)) {
            t->cmp = v;
        }
        if (t->config & HPET_TN_PERIODIC) {
            uint64_t p = (t->period & ~mask) | (val & mask);
            t->period = timer_is_32bit(t) ? (uint32_t)p : p;
        }
        t->config &= ~HPET_TN_SETVAL;
        break;
    }
    default:
        return;
    }
    hpet_arm(t, hpet_counter(s, now), now);
}

static void hpet_reg_write(HPETState *s, hwaddr reg, uint64_t val, uint64_t mask, int64_t now)
{
    if (reg >= HPET_TN_BASE && reg < HPET_TN_BASE + HPET_NUM_TIMERS * HPET_TN_SIZE) {
        hpet_write_timer(&s->timers[(reg - HPET_TN_BASE) / HPET_TN_SIZE],
                         (reg - HPET_TN_BASE) % HPET_TN_SIZE, val, mask, now);
        return;
    }
    switch (reg) {
    case HPET_CFG:
        hpet_write_config(s, (s->config & ~mask) | (val & mask), now);
        break;
    case HPET_STATUS:
        /* level-triggered status: write 1 to clear (2.3.6) */
        s->isr &= ~(val & mask);
        hpet_update_irqs(s);
        break;
    case HPET_COUNTER:
        /* 2.3.7: software writes it only while halted */
        if (hpet_enabled(s)) {
            qemu_log_mask(LOG_GUEST_ERROR, "hpet: main counter written while running\n");
            break;
        }
        s->counter_base = (s->counter_base & ~mask) | (val & mask);
        break;
    default:
        break; /* ID and reserved: read-only */
    }
}

static uint64_t hpet_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    HPETState *s = opaque;
    uint64_t v;

    if (size < 4 || addr & (size - 1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "hpet: %u-byte read at 0x%x\n", size, (unsigned)addr);
        return 0;
    }
    v = hpet_reg_read(s, addr & ~7ull, hpet_clock());
    if (size == 4) {
        v = (uint32_t)(v >> ((addr & 4) * 8));
    }
    trace_event(hpet_read, "addr=0x%x size=%u val=0x%" PRIx64, (unsigned)addr, size, v);
    return v;
}

static void hpet_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    HPETState *s = opaque;
    uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << ((addr & 4) * 8);

    trace_event(hpet_write, "addr=0x%x size=%u val=0x%" PRIx64, (unsigned)addr, size, val);
    if (size < 4 || addr & (size - 1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "hpet: %u-byte write at 0x%x\n", size, (unsigned)addr);
        return;
    }
    if (size == 4) {
        val <<= (addr & 4) * 8;
    }
    hpet_reg_write(s, addr & ~7ull, val, mask, hpet_clock());
}

static const MemoryRegionOps hpet_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* The PIT's (n = 0) and RTC's (n = 1) outputs pass through unless the
 * legacy replacement route has taken IRQ0 and IRQ8. */
static void hpet_legacy_in(void *opaque, int n, int level)
{
    HPETState *s = opaque;

    s->legacy_level[n] = level;
    hpet_update_irqs(s);
}

qemu_irq hpet_get_legacy_in(HPETState *s, int n)
{
    return s->legacy_in[n];
}

void hpet_reset(HPETState *s)
{
    int64_t now = hpet_clock();

    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HPETTimer *t = &s->timers[i];

        timer_del(t->timer);
        t->config = HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP | HPET_TN_INT_ROUTE_CAP << 32;
        t->cmp = UINT64_MAX;
        t->period = 0;
        t->wrap_pending = false;
    }
    s->config = 0;
    s->isr = 0;
    s->counter_base = 0;
    s->enable_ns = now;
    hpet_update_irqs(s);
}

HPETState *hpet_init(MemoryRegion *sysmem, hwaddr base, const qemu_irq *irqs)
{
    HPETState *s = g_new0(HPETState, 1);

    for (int i = 0; i < HPET_NUM_IRQ_ROUTES; i++) {
        s->irqs[i] = irqs[i];
    }
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        s->timers[i].s = s;
        s->timers[i].tn = i;
        s->timers[i].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, hpet_timer_cb, &s->timers[i]);
    }
    for (int n = 0; n < 2; n++) {
        s->legacy_in[n] = qemu_allocate_irq(hpet_legacy_in, s, n);
    }
    s->parent = sysmem;
    memory_region_init_io(&s->mmio, &hpet_ops, s, "hpet", HPET_LEN);
    memory_region_add_subregion(sysmem, base, &s->mmio);
    hpet_reset(s);
    return s;
}

void hpet_destroy(HPETState *s)
{
    memory_region_del_subregion(s->parent, &s->mmio);
    memory_region_finalize(&s->mmio);
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        timer_del(s->timers[i].timer);
        timer_free(s->timers[i].timer);
    }
    for (int n = 0; n < 2; n++) {
        qemu_free_irq(s->legacy_in[n]);
    }
    g_free(s);
}
