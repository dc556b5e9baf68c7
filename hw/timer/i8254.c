/*
 * Intel 8254 programmable interval timer (data sheet 231164).
 *
 * A channel does not tick: its state is the count and the virtual time at
 * which counting started, and the counter value and OUT level are computed
 * when asked.  Channel 0 also keeps a QEMUTimer armed for OUT's next
 * transition, which is when IRQ0 changes.
 */
#include "hw/timer/i8254.h"

#include <inttypes.h>
#include <assert.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3 };
/* Progress through a two-byte (RW_WORD) transfer. */
enum { RW_STATE_FIRST, RW_STATE_SECOND };

typedef struct PITChannelState {
    PITCommonState *pit;
    int index;
    uint32_t count;        /* 1..0x10000 (binary) or 1..10000 (BCD) */
    int64_t count_load_time; /* virtual ns when counting (re)started */
    uint8_t mode;          /* 0-5 */
    bool bcd;
    uint8_t rw_mode;       /* RW_LSB, RW_MSB, RW_WORD */
    uint8_t read_state;
    uint8_t write_state;
    uint8_t write_latch;   /* first byte of an RW_WORD write */
    bool count_latched;
    uint8_t latched_read_state;
    uint16_t latched_count;
    bool status_latched;
    uint8_t status;
    bool null_count;       /* status bit 6: count written, not yet loaded */
    bool waiting_count;    /* control word written, no count yet */
    bool armed;            /* modes 1 and 5: waiting for a gate trigger */
    bool frozen;           /* gate low in modes 0, 2, 3, 4: not counting */
    uint64_t frozen_ticks;
    int gate;
    /* channel 0 only */
    qemu_irq irq;
    QEMUTimer *irq_timer;
    int64_t next_transition_time;
} PITChannelState;

struct PITCommonState {
    PITChannelState channels[3];
    MemoryRegion ioports;
    MemoryRegion *io;
};

static int64_t pit_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/* Input clock pulses since counting started. */
static uint64_t pit_get_ticks(PITChannelState *s, int64_t now)
{
    if (s->frozen) {
        return s->frozen_ticks;
    }
    if (now <= s->count_load_time) {
        return 0;
    }
    return (uint64_t)((__int128)(now - s->count_load_time) * PIT_FREQ / NANOSECONDS_PER_SECOND);
}

static int64_t pit_ticks_to_time(PITChannelState *s, uint64_t ticks)
{
    /* Round up so that at the returned time the tick has happened. */
    __int128 ns = ((__int128)ticks * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) / PIT_FREQ;

    return s->count_load_time + (int64_t)ns;
}

static bool pit_idle(PITChannelState *s)
{
    return s->waiting_count || s->armed;
}

/* Data sheet "Mode definitions": OUT for ticks elapsed since the load. */
static int pit_get_channel_out(PITChannelState *s, int64_t now)
{
    uint64_t d;

    if (pit_idle(s)) {
        return s->mode != 0; /* mode 0 OUT goes low on the control word */
    }
    d = pit_get_ticks(s, now);
    switch (s->mode) {
    case 0: /* interrupt on terminal count */
    case 1: /* hardware retriggerable one-shot */
        return d >= s->count;
    case 2: /* rate generator: low for the one clock when the counter is 1 */
        return s->count == 1 ? 0 : (d % s->count) != s->count - 1;
    case 3: /* square wave: high for the first (larger) half */
        return (d % s->count) < (s->count + 1) / 2;
    default: /* 4, 5: strobe: low for one clock after terminal count */
        return d != s->count;
    }
}

/* Ticks at which OUT next changes, or 0 when it never will. */
static uint64_t pit_get_next_transition(PITChannelState *s, uint64_t d)
{
    uint64_t base = d - d % s->count;

    switch (s->mode) {
    case 0:
    case 1:
        return d < s->count ? s->count : 0;
    case 2:
        if (s->count == 1) {
            return 0;
        }
        return d % s->count < s->count - 1 ? base + s->count - 1 : base + s->count;
    case 3: {
        uint64_t high = (s->count + 1) / 2;

        return d % s->count < high ? base + high : base + s->count;
    }
    default:
        if (d < s->count) {
            return s->count;
        }
        return d == s->count ? s->count + 1 : 0;
    }
}

static uint16_t pit_get_count(PITChannelState *s, int64_t now)
{
    uint64_t d = pit_get_ticks(s, now);
    uint32_t counter;

    if (pit_idle(s)) {
        counter = s->count;
    } else {
        switch (s->mode) {
        case 2:
            counter = s->count - d % s->count;
            break;
        case 3: /* decrements by two, twice per period */
            counter = s->count - (2 * d) % s->count;
            break;
        default: /* 0, 1, 4, 5 wrap after terminal count */
            counter = (s->count - d) & 0xffff;
            break;
        }
    }
    if (s->bcd) {
        /* The BCD counter runs 9999 .. 0000 */
        uint32_t v = counter % 10000;

        return (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10);
    }
    return counter & 0xffff;
}

/*
 * Channel 0: set IRQ0 to OUT as of time @t and arm the timer for OUT's next
 * change.  The timer callback passes the transition's own time, so a
 * one-clock pulse (mode 2) still makes both edges when the callback runs
 * late; only when more than a whole period behind does it skip ahead.
 */
static void pit_irq_timer_update(PITChannelState *s, int64_t t)
{
    int64_t now = pit_now();
    uint64_t next;
    int64_t expire;
    int out;

    if (!s->irq_timer) {
        return;
    }
    out = pit_get_channel_out(s, t);
    qemu_set_irq(s->irq, out);
    if (pit_idle(s) || s->frozen) {
        timer_del(s->irq_timer);
        return;
    }
    next = pit_get_next_transition(s, pit_get_ticks(s, t));
    if (next && pit_ticks_to_time(s, next + s->count) < now) {
        next = pit_get_next_transition(s, pit_get_ticks(s, now)); /* far behind */
    }
    if (next == 0) {
        timer_del(s->irq_timer);
        return;
    }
    expire = pit_ticks_to_time(s, next);
    if (expire <= t) {
        expire = t + 1;
    }
    trace_event(pit_irq_timer_update, "out=%d next=%" PRId64, out, expire);
    s->next_transition_time = expire;
    timer_mod(s->irq_timer, expire);
}

static void pit_irq_timer(void *opaque)
{
    PITChannelState *s = opaque;

    pit_irq_timer_update(s, s->next_transition_time);
}

static void pit_load_count(PITChannelState *s, uint32_t value, int64_t now)
{
    if (s->bcd) {
        value = ((value >> 12) & 0xf) * 1000 + ((value >> 8) & 0xf) * 100 +
                ((value >> 4) & 0xf) * 10 + (value & 0xf);
    }
    if (value == 0) {
        value = s->bcd ? 10000 : 0x10000; /* 0 is the maximum count */
    }
    s->count = value;
    s->count_load_time = now;
    s->null_count = false;
    s->waiting_count = false;
    s->frozen = false;
    /* Modes 1 and 5 start on a gate rising edge; others count if gated on. */
    s->armed = s->mode == 1 || s->mode == 5;
    if (!s->armed && !s->gate) {
        s->frozen = true;
        s->frozen_ticks = 0;
    }
    trace_event(pit_load_count, "channel=%d mode=%d count=%u", s->index, s->mode, value);
    pit_irq_timer_update(s, now);
}

static void pit_latch_count(PITChannelState *s, int64_t now)
{
    if (!s->count_latched) {
        s->latched_count = pit_get_count(s, now);
        s->count_latched = true;
        s->latched_read_state = RW_STATE_FIRST;
    }
}

static void pit_latch_status(PITChannelState *s, int64_t now)
{
    if (!s->status_latched) {
        s->status = pit_get_channel_out(s, now) << 7 | s->null_count << 6 |
                    s->rw_mode << 4 | s->mode << 1 | s->bcd;
        s->status_latched = true;
    }
}

static void pit_write_control(PITCommonState *pit, uint8_t val, int64_t now)
{
    int channel = val >> 6;
    PITChannelState *s;

    if (channel == 3) { /* read-back: bit 5 = !COUNT, bit 4 = !STATUS */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2 << i))) {
                continue;
            }
            s = &pit->channels[i];
            if (!(val & 0x20)) {
                pit_latch_count(s, now);
            }
            if (!(val & 0x10)) {
                pit_latch_status(s, now);
            }
        }
        return;
    }
    s = &pit->channels[channel];
    if (((val >> 4) & 3) == RW_LATCH) {
        pit_latch_count(s, now);
        return;
    }
    s->rw_mode = (val >> 4) & 3;
    s->mode = (val >> 1) & 7;
    if (s->mode > 5) {
        s->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
    }
    s->bcd = val & 1;
    s->read_state = RW_STATE_FIRST;
    s->write_state = RW_STATE_FIRST;
    s->null_count = true;
    s->waiting_count = true;
    s->armed = false;
    s->frozen = false;
    pit_irq_timer_update(s, now);
}

static void pit_write_count(PITChannelState *s, uint8_t val, int64_t now)
{
    switch (s->rw_mode) {
    case RW_LSB:
        pit_load_count(s, val, now);
        break;
    case RW_MSB:
        pit_load_count(s, val << 8, now);
        break;
    default:
        if (s->write_state == RW_STATE_FIRST) {
            s->write_latch = val;
            s->write_state = RW_STATE_SECOND;
        } else {
            pit_load_count(s, s->write_latch | val << 8, now);
            s->write_state = RW_STATE_FIRST;
        }
        break;
    }
}

static void pit_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PITCommonState *pit = opaque;
    int64_t now = pit_now();

    trace_event(pit_ioport_write, "addr=%" HWADDR_PRIx " val=0x%02x", addr,
                (unsigned)(data & 0xff));
    if (addr == 3) {
        pit_write_control(pit, data, now);
    } else {
        pit_write_count(&pit->channels[addr], data, now);
    }
}

/* One byte of a 16-bit value, as the channel's RW mode and progress say. */
static uint8_t pit_read_byte(uint8_t rw_mode, uint8_t *state, uint16_t value)
{
    switch (rw_mode) {
    case RW_LSB:
        return value & 0xff;
    case RW_MSB:
        return value >> 8;
    default:
        if (*state == RW_STATE_FIRST) {
            *state = RW_STATE_SECOND;
            return value & 0xff;
        }
        *state = RW_STATE_FIRST;
        return value >> 8;
    }
}

static uint64_t pit_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PITCommonState *pit = opaque;
    PITChannelState *s;
    uint8_t ret;

    if (addr == 3) {
        qemu_log_mask(LOG_GUEST_ERROR, "i8254: read of the write-only control port\n");
        return 0;
    }
    s = &pit->channels[addr];
    if (s->status_latched) {
        s->status_latched = false;
        ret = s->status;
    } else if (s->count_latched) {
        ret = pit_read_byte(s->rw_mode, &s->latched_read_state, s->latched_count);
        if (s->rw_mode != RW_WORD || s->latched_read_state == RW_STATE_FIRST) {
            s->count_latched = false;
        }
    } else {
        ret = pit_read_byte(s->rw_mode, &s->read_state, pit_get_count(s, pit_now()));
    }
    trace_event(pit_ioport_read, "addr=%" HWADDR_PRIx " val=0x%02x", addr, ret);
    return ret;
}

static const MemoryRegionOps pit_ioport_ops = {
    .read = pit_ioport_read,
    .write = pit_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void pit_set_gate(PITCommonState *pit, int channel, int level)
{
    PITChannelState *s = &pit->channels[channel];
    int64_t now = pit_now();

    level = !!level;
    if (level == s->gate) {
        return;
    }
    if (!s->waiting_count) {
        switch (s->mode) {
        case 1:
        case 5: /* a rising edge (re)starts the count */
            if (level) {
                s->armed = false;
                s->count_load_time = now;
            }
            break;
        case 2:
        case 3: /* low: stop (OUT high); rising edge: reload and restart */
            if (level) {
                s->frozen = false;
                s->count_load_time = now;
            } else {
                s->frozen = true;
                s->frozen_ticks = 0; /* OUT reads high while stopped */
            }
            break;
        default: /* 0, 4: low suspends counting, high resumes it */
            if (level) {
                if (s->frozen) {
                    s->count_load_time =
                        now - (pit_ticks_to_time(s, s->frozen_ticks) - s->count_load_time);
                    s->frozen = false;
                }
            } else if (!s->frozen) {
                s->frozen_ticks = pit_get_ticks(s, now);
                s->frozen = true;
            }
            break;
        }
    }
    s->gate = level;
    pit_irq_timer_update(s, now);
}

int pit_get_gate(PITCommonState *pit, int channel)
{
    return pit->channels[channel].gate;
}

int pit_get_out(PITCommonState *pit, int channel)
{
    return pit_get_channel_out(&pit->channels[channel], pit_now());
}

void i8254_pit_reset(PITCommonState *pit)
{
    int64_t now = pit_now();

    for (int i = 0; i < 3; i++) {
        PITChannelState *s = &pit->channels[i];

        s->mode = 3;
        s->bcd = false;
        s->rw_mode = RW_WORD;
        s->read_state = s->write_state = RW_STATE_FIRST;
        s->count_latched = s->status_latched = false;
        s->gate = i != 2; /* channel 2's gate is port 0x61 bit 0 */
        pit_load_count(s, 0, now);
    }
}

PITCommonState *i8254_pit_init(MemoryRegion *io, hwaddr base, qemu_irq irq0)
{
    PITCommonState *pit = g_new0(PITCommonState, 1);

    for (int i = 0; i < 3; i++) {
        pit->channels[i].pit = pit;
        pit->channels[i].index = i;
    }
    pit->channels[0].irq = irq0;
    pit->channels[0].irq_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, pit_irq_timer,
                                              &pit->channels[0]);
    pit->io = io;
    memory_region_init_io(&pit->ioports, &pit_ioport_ops, pit, "pit", 4);
    memory_region_add_subregion(io, base, &pit->ioports);
    i8254_pit_reset(pit);
    return pit;
}

void i8254_pit_destroy(PITCommonState *pit)
{
    timer_del(pit->channels[0].irq_timer);
    timer_free(pit->channels[0].irq_timer);
    memory_region_del_subregion(pit->io, &pit->ioports);
    memory_region_finalize(&pit->ioports);
    g_free(pit);
}
