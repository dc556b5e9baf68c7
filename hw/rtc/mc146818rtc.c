/*
 * Motorola MC146818A real-time clock and its CMOS RAM (data sheet
 * sections "Time, calendar and alarm locations", "Registers A-D",
 * "Update cycle", "Interrupts").
 *
 * The 32.768 kHz divider chain is a phase (div_base_ns on the virtual
 * clock): its 1 Hz taps are the ends of update cycles, where the time
 * advances and UF is set; its faster taps are the periodic interrupt.
 * Nothing ticks: the flags are brought up to date from the clock at every
 * access, and a QEMUTimer is armed only for the next event an enabled
 * interrupt needs.  IRQ8 is IRQF (register C bit 7), cleared by reading C.
 *
 * The time starts as the host's UTC time, to the nanosecond phase; a
 * guest setting it (normally with SET) moves an offset.
 */
#include "hw/rtc/mc146818rtc.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_CENTURY       0x32

#define REG_A_UIP   0x80
#define REG_A_DV    0x70
#define REG_A_DV_NORMAL 0x20 /* 32.768 kHz time base, divider running */
#define REG_A_RS    0x0f
#define REG_B_SET   0x80
#define REG_B_PIE   0x40
#define REG_B_AIE   0x20
#define REG_B_UIE   0x10
#define REG_B_DM    0x04 /* binary instead of BCD */
#define REG_B_24H   0x02
#define REG_C_IRQF  0x80
#define REG_C_PF    0x40
#define REG_C_AF    0x20
#define REG_C_UF    0x10
#define REG_D_VRT   0x80 /* RAM and time valid */

#define RTC_CMOS_SIZE 128
#define RTC_BASE_FREQ 32768
/* UIP rises t_BUC (244 us) before an update cycle of t_UC (1984 us). */
#define RTC_UIP_NS    (244000 + 1984000)
#define RTC_FIRST_UPDATE_NS (NANOSECONDS_PER_SECOND / 2) /* after divider reset */
#define RTC_SECONDS_PER_DAY 86400

struct RTCState {
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    int64_t div_base_ns;  /* virtual time of a 1 Hz tap of the divider */
    int64_t base_sec;     /* guest UTC seconds after tap number base_tick */
    int64_t base_tick;
    bool frozen;          /* SET or divider not running: time stands still */
    int64_t frozen_sec;
    int64_t last_sync_ns; /* flags are up to date until here */
    qemu_irq irq;
    QEMUTimer *timer;
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static int64_t rtc_clock(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static bool rtc_divider_running(RTCState *s)
{
    return (s->cmos[RTC_REG_A] & REG_A_DV) == REG_A_DV_NORMAL;
}

/* 1 Hz taps since div_base_ns (floor; time never goes before the base). */
static int64_t rtc_tick(RTCState *s, int64_t t)
{
    return t > s->div_base_ns ? (t - s->div_base_ns) / NANOSECONDS_PER_SECOND : 0;
}

/* 32.768 kHz cycles since div_base_ns. */
static int64_t rtc_cycles(RTCState *s, int64_t t)
{
    return t > s->div_base_ns
        ? (int64_t)((__int128)(t - s->div_base_ns) * RTC_BASE_FREQ / NANOSECONDS_PER_SECOND)
        : 0;
}

static int64_t rtc_cycles_to_time(RTCState *s, int64_t cycles)
{
    return s->div_base_ns +
           (int64_t)(((__int128)cycles * NANOSECONDS_PER_SECOND + RTC_BASE_FREQ - 1) /
                     RTC_BASE_FREQ);
}

static int64_t rtc_seconds(RTCState *s, int64_t now)
{
    return s->frozen ? s->frozen_sec : s->base_sec + (rtc_tick(s, now) - s->base_tick);
}

/* Periodic interrupt period in 32.768 kHz cycles (data sheet table 5), or 0. */
static int64_t rtc_periodic_cycles(RTCState *s)
{
    int rs = s->cmos[RTC_REG_A] & REG_A_RS;

    if (rs == 0) {
        return 0;
    }
    return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
}

static void rtc_freeze(RTCState *s, int64_t now)
{
    if (!s->frozen) {
        s->frozen_sec = rtc_seconds(s, now);
        s->frozen = true;
    }
}

static void rtc_unfreeze(RTCState *s, int64_t now)
{
    if (s->frozen && rtc_divider_running(s) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
        s->base_sec = s->frozen_sec;
        s->base_tick = rtc_tick(s, now);
        s->frozen = false;
    }
}

/* --- register formats --- */

/* A guest that set the clock from invalid BCD can make a field negative
 * or above 99; BCD shows it modulo 100, as a two-digit counter would. */
static uint8_t rtc_to_reg(RTCState *s, int v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    v = (v % 100 + 100) % 100;
    return (v / 10) << 4 | (v % 10);
}

static int rtc_from_reg(RTCState *s, uint8_t v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : ((v >> 4) * 10 + (v & 0xf));
}

static uint8_t rtc_hours_to_reg(RTCState *s, int hour)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_to_reg(s, hour);
    }
    /* 12-hour mode: 1-12, bit 7 = PM */
    return rtc_to_reg(s, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0);
}

static int rtc_hours_from_reg(RTCState *s, uint8_t v)
{
    int hour;

    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_from_reg(s, v);
    }
    hour = rtc_from_reg(s, v & 0x7f) % 12;
    return (v & 0x80) ? hour + 12 : hour;
}

static uint8_t rtc_time_reg(RTCState *s, int reg, int64_t secs)
{
    time_t t = secs;
    struct tm tm;

    gmtime_r(&t, &tm);
    switch (reg) {
    case RTC_SECONDS:
        return rtc_to_reg(s, tm.tm_sec);
    case RTC_MINUTES:
        return rtc_to_reg(s, tm.tm_min);
    case RTC_HOURS:
        return rtc_hours_to_reg(s, tm.tm_hour);
    case RTC_DAY_OF_WEEK:
        return rtc_to_reg(s, tm.tm_wday + 1);
    case RTC_DAY_OF_MONTH:
        return rtc_to_reg(s, tm.tm_mday);
    case RTC_MONTH:
        return rtc_to_reg(s, tm.tm_mon + 1);
    case RTC_YEAR:
        return rtc_to_reg(s, tm.tm_year % 100);
    default: /* RTC_CENTURY */
        return rtc_to_reg(s, (tm.tm_year + 1900) / 100);
    }
}

/* The alarm bytes against the time bytes; 0xc0-0xff matches anything. */
static bool rtc_alarm_matches(RTCState *s, int64_t secs)
{
    static const int pairs[3][2] = {
        { RTC_SECONDS_ALARM, RTC_SECONDS },
        { RTC_MINUTES_ALARM, RTC_MINUTES },
        { RTC_HOURS_ALARM, RTC_HOURS },
    };

    for (int i = 0; i < 3; i++) {
        uint8_t alarm = s->cmos[pairs[i][0]];
        if ((alarm & 0xc0) != 0xc0 && alarm != rtc_time_reg(s, pairs[i][1], secs)) {
            return false;
        }
    }
    return true;
}

/* --- flags, IRQ8 and the timer --- */

static void rtc_update_irq(RTCState *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & (REG_C_PF | REG_C_AF | REG_C_UF);
    uint8_t enabled = s->cmos[RTC_REG_B] & (REG_B_PIE | REG_B_AIE | REG_B_UIE);

    /* PIE/AIE/UIE sit at the same bit positions as PF/AF/UF. */
    if (c & enabled) {
        s->cmos[RTC_REG_C] |= REG_C_IRQF;
    } else {
        s->cmos[RTC_REG_C] &= ~REG_C_IRQF;
    }
    qemu_set_irq(s->irq, !!(s->cmos[RTC_REG_C] & REG_C_IRQF));
}

/* Sets the flags for what happened between last_sync_ns and @now. */
static void rtc_sync(RTCState *s, int64_t now)
{
    int64_t last = s->last_sync_ns, period = rtc_periodic_cycles(s);

    if (now <= last) {
        return;
    }
    s->last_sync_ns = now;
    if (!rtc_divider_running(s)) {
        return;
    }
    /* PF is set at the selected rate whether or not PIE is (data sheet). */
    if (period && rtc_cycles(s, now) / period != rtc_cycles(s, last) / period) {
        s->cmos[RTC_REG_C] |= REG_C_PF;
    }
    if (!s->frozen && rtc_tick(s, now) != rtc_tick(s, last)) {
        int64_t first = rtc_seconds(s, last) + 1, end = rtc_seconds(s, now);

        s->cmos[RTC_REG_C] |= REG_C_UF;
        /* Any alarm setting matches once a day: look at one day at most. */
        for (int64_t sec = MAX(first, end - RTC_SECONDS_PER_DAY); sec <= end; sec++) {
            if (rtc_alarm_matches(s, sec)) {
                s->cmos[RTC_REG_C] |= REG_C_AF;
                break;
            }
        }
    }
}

/* Arms the timer for the next flag an enabled interrupt waits for. */
static void rtc_arm_timer(RTCState *s, int64_t now)
{
    uint8_t b = s->cmos[RTC_REG_B];
    int64_t next = INT64_MAX, period = rtc_periodic_cycles(s);

    if (!(s->cmos[RTC_REG_C] & REG_C_IRQF) && rtc_divider_running(s)) {
        if ((b & REG_B_PIE) && period) {
            next = rtc_cycles_to_time(s, (rtc_cycles(s, now) / period + 1) * period);
        }
        if ((b & (REG_B_UIE | REG_B_AIE)) && !s->frozen) {
            next = MIN(next, s->div_base_ns + (rtc_tick(s, now) + 1) * NANOSECONDS_PER_SECOND);
        }
    }
    if (next == INT64_MAX) {
        timer_del(s->timer);
    } else {
        timer_mod(s->timer, next);
    }
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = rtc_clock();

    rtc_sync(s, now);
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
}

static bool rtc_uip(RTCState *s, int64_t now)
{
    int64_t to_tick;

    if (s->frozen || !rtc_divider_running(s)) {
        return false;
    }
    to_tick = s->div_base_ns + (rtc_tick(s, now) + 1) * NANOSECONDS_PER_SECOND - now;
    return to_tick <= RTC_UIP_NS;
}

/* --- registers --- */

/* The century of @year, rounded down also before year 0 (a guest can set
 * century 00 and then a month 00: December of year -1). */
static int year_century(int year)
{
    return year >= 0 ? year / 100 : -((-year + 99) / 100);
}

static void rtc_write_time(RTCState *s, int reg, uint8_t val, int64_t now)
{
    time_t t = rtc_seconds(s, now);
    struct tm tm;
    int v = rtc_from_reg(s, val);
    int64_t secs;

    gmtime_r(&t, &tm);
    switch (reg) {
    case RTC_SECONDS:
        tm.tm_sec = v;
        break;
    case RTC_MINUTES:
        tm.tm_min = v;
        break;
    case RTC_HOURS:
        tm.tm_hour = rtc_hours_from_reg(s, val);
        break;
    case RTC_DAY_OF_WEEK:
        return; /* derived from the date */
    case RTC_DAY_OF_MONTH:
        tm.tm_mday = v;
        break;
    case RTC_MONTH:
        tm.tm_mon = v - 1;
        break;
    case RTC_YEAR:
        tm.tm_year = year_century(tm.tm_year + 1900) * 100 + v - 1900;
        break;
    default: /* RTC_CENTURY */
        tm.tm_year = v * 100 + (tm.tm_year + 1900 - year_century(tm.tm_year + 1900) * 100)
                     - 1900;
        break;
    }
    secs = timegm(&tm);
    if (s->frozen) {
        s->frozen_sec = secs;
    } else {
        /* The divider's phase stays: the next update comes on time. */
        s->base_sec = secs;
        s->base_tick = rtc_tick(s, now);
    }
}

static bool rtc_is_time_reg(int reg)
{
    return reg <= RTC_YEAR ? !(reg & 1) || reg >= RTC_DAY_OF_WEEK : reg == RTC_CENTURY;
}

static void rtc_write_reg_a(RTCState *s, uint8_t val, int64_t now)
{
    bool was_running = rtc_divider_running(s);

    s->cmos[RTC_REG_A] = val & ~REG_A_UIP; /* UIP is read-only */
    if (was_running && !rtc_divider_running(s)) {
        rtc_freeze(s, now); /* divider reset or another time base: stop */
    } else if (!was_running && rtc_divider_running(s)) {
        /* Out of divider reset: the first update 500 ms later. */
        s->div_base_ns = now - (NANOSECONDS_PER_SECOND - RTC_FIRST_UPDATE_NS);
        rtc_unfreeze(s, now);
    }
}

static void rtc_write_reg_b(RTCState *s, uint8_t val, int64_t now)
{
    if (val & REG_B_SET) {
        val &= ~REG_B_UIE; /* SET clears UIE (data sheet, register B) */
        rtc_freeze(s, now);
        s->cmos[RTC_REG_B] = val;
    } else {
        s->cmos[RTC_REG_B] = val;
        rtc_unfreeze(s, now);
    }
}

static uint64_t cmos_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    RTCState *s = opaque;
    int reg = s->index;
    int64_t now = rtc_clock();
    uint8_t ret;

    if (addr == 0) {
        return 0xff; /* the index register is write-only */
    }
    rtc_sync(s, now);
    if (rtc_is_time_reg(reg)) {
        ret = rtc_time_reg(s, reg, rtc_seconds(s, now));
    } else if (reg == RTC_REG_A) {
        ret = s->cmos[reg] | (rtc_uip(s, now) ? REG_A_UIP : 0);
    } else if (reg == RTC_REG_C) {
        rtc_update_irq(s);
        ret = s->cmos[reg];
        s->cmos[reg] = 0; /* all flags clear on read, and IRQ8 goes low */
        rtc_update_irq(s);
    } else {
        ret = s->cmos[reg];
    }
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
    trace_event(cmos_ioport_read, "reg=0x%02x val=0x%02x", reg, ret);
    return ret;
}

static void cmos_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    RTCState *s = opaque;
    int reg = s->index;
    uint8_t val = data;
    int64_t now = rtc_clock();

    if (addr == 0) {
        s->index = val & 0x7f; /* bit 7 masks NMI, which nothing raises */
        return;
    }
    trace_event(cmos_ioport_write, "reg=0x%02x val=0x%02x", reg, val);
    rtc_sync(s, now); /* events before this write count under the old settings */
    if (rtc_is_time_reg(reg)) {
        rtc_write_time(s, reg, val, now);
    } else if (reg == RTC_REG_A) {
        rtc_write_reg_a(s, val, now);
    } else if (reg == RTC_REG_B) {
        rtc_write_reg_b(s, val, now);
    } else if (reg == RTC_REG_C || reg == RTC_REG_D) {
        qemu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: write to read-only register 0x%x\n",
                      reg);
    } else {
        s->cmos[reg] = val;
    }
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
}

static const MemoryRegionOps cmos_ops = {
    .read = cmos_ioport_read,
    .write = cmos_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void rtc_set_memory(RTCState *s, int addr, uint8_t val)
{
    if (addr >= 0 && addr < RTC_CMOS_SIZE && !rtc_is_time_reg(addr) && addr != RTC_REG_A &&
        addr != RTC_REG_B && addr != RTC_REG_C && addr != RTC_REG_D) {
        s->cmos[addr] = val;
    }
}

void mc146818_rtc_reset(RTCState *s)
{
    int64_t now = rtc_clock();

    /* RESET leaves the clock and CMOS RAM alone; it clears the interrupt
     * enables and flags (data sheet, RESET pin). */
    rtc_sync(s, now);
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE);
    s->cmos[RTC_REG_C] = 0;
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
}

RTCState *mc146818_rtc_init(MemoryRegion *io, qemu_irq irq)
{
    RTCState *s = g_new0(RTCState, 1);
    int64_t now = rtc_clock();
    int64_t host_ns = qemu_clock_get_ns(QEMU_CLOCK_HOST);

    s->irq = irq;
    /* Align the 1 Hz taps with the host's second boundaries. */
    s->div_base_ns = now - host_ns % NANOSECONDS_PER_SECOND;
    s->base_sec = host_ns / NANOSECONDS_PER_SECOND;
    s->base_tick = rtc_tick(s, now);
    s->last_sync_ns = now;
    s->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rtc_timer_cb, s);
    s->io_parent = io;
    memory_region_init_io(&s->io, &cmos_ops, s, "rtc", 2);
    memory_region_add_subregion(io, 0x70, &s->io);
    return s;
}

void mc146818_rtc_destroy(RTCState *s)
{
    timer_del(s->timer);
    timer_free(s->timer);
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
