/*
 * Motorola MC146818A real-time clock, minimal: the time and date
 * registers (BCD or binary, 12- or 24-hour per register B), registers A-D
 * and the CMOS bytes.  Periodic, alarm and update-ended interrupts are
 * not modelled (logged when a guest enables them).
 *
 * The clock is the host's UTC time at creation advanced by the virtual
 * clock; a guest setting the time moves an offset.
 */
#include "hw/rtc/mc146818rtc.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

#define RTC_SECONDS      0x00
#define RTC_MINUTES      0x02
#define RTC_HOURS        0x04
#define RTC_DAY_OF_WEEK  0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH        0x08
#define RTC_YEAR         0x09
#define RTC_REG_A        0x0a
#define RTC_REG_B        0x0b
#define RTC_REG_C        0x0c
#define RTC_REG_D        0x0d
#define RTC_CENTURY      0x32

#define REG_A_UIP   0x80
#define REG_B_SET   0x80
#define REG_B_PIE   0x40
#define REG_B_AIE   0x20
#define REG_B_UIE   0x10
#define REG_B_DM    0x04 /* binary instead of BCD */
#define REG_B_24H   0x02
#define REG_D_VRT   0x80 /* RAM and time valid */

#define RTC_CMOS_SIZE 128

struct RTCState {
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    int64_t base_time;  /* guest UTC seconds at base_clock */
    int64_t base_clock; /* QEMU_CLOCK_VIRTUAL ns */
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static int64_t rtc_now(RTCState *s)
{
    return s->base_time +
           (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->base_clock) / NANOSECONDS_PER_SECOND;
}

static uint8_t rtc_to_reg(RTCState *s, int v)
{
    return (s->cmos[RTC_REG_B] & REG_B_DM) ? v : ((v / 10) << 4 | (v % 10));
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

static uint8_t rtc_read_time(RTCState *s, int reg)
{
    time_t t = rtc_now(s);
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

static void rtc_write_time(RTCState *s, int reg, uint8_t val)
{
    time_t t = rtc_now(s);
    struct tm tm;
    int v = rtc_from_reg(s, val);

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
        tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + v - 1900;
        break;
    default: /* RTC_CENTURY */
        tm.tm_year = v * 100 + tm.tm_year % 100 - 1900;
        break;
    }
    s->base_time = timegm(&tm);
    s->base_clock = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static bool rtc_is_time_reg(int reg)
{
    return reg <= RTC_YEAR ? !(reg & 1) || reg >= RTC_DAY_OF_WEEK : reg == RTC_CENTURY;
}

static uint64_t cmos_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    RTCState *s = opaque;
    int reg = s->index;
    uint8_t ret;

    if (addr == 0) {
        return 0xff; /* the index register is write-only */
    }
    if (rtc_is_time_reg(reg)) {
        ret = rtc_read_time(s, reg);
    } else if (reg == RTC_REG_C) {
        ret = s->cmos[reg];
        s->cmos[reg] = 0; /* interrupt flags clear on read */
    } else {
        ret = s->cmos[reg];
    }
    trace_event(cmos_ioport_read, "reg=0x%02x val=0x%02x", reg, ret);
    return ret;
}

static void cmos_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    RTCState *s = opaque;
    int reg = s->index;
    uint8_t val = data;

    if (addr == 0) {
        s->index = val & 0x7f; /* bit 7 masks NMI, which we never raise */
        return;
    }
    trace_event(cmos_ioport_write, "reg=0x%02x val=0x%02x", reg, val);
    if (rtc_is_time_reg(reg)) {
        rtc_write_time(s, reg, val);
        return;
    }
    switch (reg) {
    case RTC_REG_A:
        s->cmos[reg] = val & ~REG_A_UIP; /* UIP is read-only */
        break;
    case RTC_REG_B:
        if (val & (REG_B_PIE | REG_B_AIE | REG_B_UIE)) {
            qemu_log_mask(LOG_UNIMP, "mc146818rtc: interrupts (B=0x%02x) not modelled\n",
                          val);
        }
        s->cmos[reg] = val;
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        qemu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: write to read-only register 0x%x\n",
                      reg);
        break;
    default:
        s->cmos[reg] = val;
        break;
    }
}

static const MemoryRegionOps cmos_ops = {
    .read = cmos_ioport_read,
    .write = cmos_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void rtc_set_memory(RTCState *s, int addr, uint8_t val)
{
    if (addr >= 0 && addr < RTC_CMOS_SIZE && !rtc_is_time_reg(addr)) {
        s->cmos[addr] = val;
    }
}

void mc146818_rtc_reset(RTCState *s)
{
    /* Reset leaves the clock and CMOS RAM alone; it clears the enables. */
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE);
    s->cmos[RTC_REG_C] = 0;
}

RTCState *mc146818_rtc_init(MemoryRegion *io)
{
    RTCState *s = g_new0(RTCState, 1);

    s->base_time = time(NULL);
    s->base_clock = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    s->io_parent = io;
    memory_region_init_io(&s->io, &cmos_ops, s, "rtc", 2);
    memory_region_add_subregion(io, 0x70, &s->io);
    return s;
}

void mc146818_rtc_destroy(RTCState *s)
{
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
