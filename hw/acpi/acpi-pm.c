/*
 * ACPI PM1a event/control blocks and the PM timer (ACPI 6.x sections
 * 4.8.3.1 PM1 event grouping, 4.8.3.2 PM1 control grouping, 4.8.3.3 power
 * management timer).
 *
 * The timer is a 24-bit count at 3.579545 MHz, computed from the virtual
 * clock.  TMR_STS is set each time its bit 23 changes; it is brought up
 * to date at every access, and a QEMUTimer is armed for the next change
 * only while TMR_EN asks for an SCI.  SLP_EN with the \_S5 SLP_TYP powers
 * the machine off (exit status 0).  Other sleep types are ignored, as a
 * PIIX4 with only S5 wired does: the DSDT offers \_S5 alone, so an OS
 * never asks for S1-S4; a guest that writes one anyway keeps running
 * (logged under -d unimp).  The monitor's system_powerdown presses the
 * fixed-feature power button (PWRBTN_STS).
 */
#include "hw/acpi/acpi-pm.h"

#include <inttypes.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

/* PM1 status and enable bits (tables 4-16, 4-17) */
#define PM1_TMR     (1u << 0)
#define PM1_BM      (1u << 4)
#define PM1_GBL     (1u << 5)
#define PM1_PWRBTN  (1u << 8)
#define PM1_SLPBTN  (1u << 9)
#define PM1_RTC     (1u << 10)
#define PM1_WAK     (1u << 15)
#define PM1_EN_MASK (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
/* PM1 control (table 4-18) */
#define PM1_CNT_SCI_EN  (1u << 0)
#define PM1_CNT_BM_RLD  (1u << 1)
#define PM1_CNT_GBL_RLS (1u << 2)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN  (1u << 13)

#define PM_TMR_BITS 24

struct ACPIPMState {
    uint16_t sts;
    uint16_t en;
    uint16_t cnt;
    int64_t tmr_base_ns;
    uint64_t tmr_msb_epoch; /* bit-23 half-periods seen by the last sync */
    qemu_irq sci;
    QEMUTimer *timer;
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static int64_t pm_clock(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static uint64_t pm_ticks(ACPIPMState *s, int64_t now)
{
    return now > s->tmr_base_ns
        ? (uint64_t)((__int128)(now - s->tmr_base_ns) * ACPI_PM_TIMER_FREQ / NANOSECONDS_PER_SECOND)
        : 0;
}

static void pm_sync(ACPIPMState *s, int64_t now)
{
    uint64_t epoch = pm_ticks(s, now) >> (PM_TMR_BITS - 1);

    if (epoch != s->tmr_msb_epoch) {
        s->tmr_msb_epoch = epoch;
        s->sts |= PM1_TMR;
    }
}

static void pm_update_sci(ACPIPMState *s, int64_t now)
{
    bool level = (s->sts & s->en & PM1_EN_MASK) && (s->cnt & PM1_CNT_SCI_EN);

    qemu_set_irq(s->sci, level);
    if ((s->en & PM1_TMR) && !(s->sts & PM1_TMR)) {
        uint64_t next = (s->tmr_msb_epoch + 1) << (PM_TMR_BITS - 1);
        int64_t t = s->tmr_base_ns +
                    (int64_t)(((__int128)next * NANOSECONDS_PER_SECOND + ACPI_PM_TIMER_FREQ - 1) /
                              ACPI_PM_TIMER_FREQ);
        timer_mod(s->timer, MAX(t, now + 1));
    } else {
        timer_del(s->timer);
    }
}

static void pm_timer_cb(void *opaque)
{
    ACPIPMState *s = opaque;
    int64_t now = pm_clock();

    pm_sync(s, now);
    pm_update_sci(s, now);
}

static void pm_write_cnt(ACPIPMState *s, uint16_t val)
{
    int slp_typ = (val >> PM1_CNT_SLP_TYP_SHIFT) & 7;

    /* SCI_EN is read-only here; SLP_EN and GBL_RLS are write-only. */
    s->cnt = (s->cnt & PM1_CNT_SCI_EN) | (val & (PM1_CNT_BM_RLD | (7u << PM1_CNT_SLP_TYP_SHIFT)));
    if (!(val & PM1_CNT_SLP_EN)) {
        return;
    }
    trace_event(acpi_pm_sleep, "slp_typ=%d", slp_typ);
    if (slp_typ == ACPI_SLP_TYP_S5) {
        qemu_system_shutdown_request(0);
    } else {
        qemu_log_mask(LOG_UNIMP, "acpi-pm: sleep type %d not supported (only S5)\n", slp_typ);
    }
}

/* The block as bytes: 0 PM1_STS, 2 PM1_EN, 4 PM1_CNT, 8 PM_TMR. */
static uint64_t pm_io_read(void *opaque, hwaddr addr, unsigned size)
{
    ACPIPMState *s = opaque;
    int64_t now = pm_clock();
    uint8_t regs[ACPI_PM_SIZE] = { 0 };
    uint32_t tmr;
    uint64_t val = 0;

    pm_sync(s, now);
    tmr = pm_ticks(s, now) & ((1u << PM_TMR_BITS) - 1);
    regs[0] = s->sts;
    regs[1] = s->sts >> 8;
    regs[2] = s->en;
    regs[3] = s->en >> 8;
    regs[4] = s->cnt;
    regs[5] = s->cnt >> 8;
    regs[8] = tmr;
    regs[9] = tmr >> 8;
    regs[10] = tmr >> 16;
    for (unsigned i = 0; i < size && addr + i < ACPI_PM_SIZE; i++) {
        val |= (uint64_t)regs[addr + i] << (8 * i);
    }
    pm_update_sci(s, now);
    trace_event(acpi_pm_read, "addr=0x%x size=%u val=0x%" PRIx64, (unsigned)addr, size, val);
    return val;
}

static void pm_io_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    ACPIPMState *s = opaque;
    int64_t now = pm_clock();
    uint16_t cnt = s->cnt;
    bool cnt_written = false;

    trace_event(acpi_pm_write, "addr=0x%x size=%u val=0x%" PRIx64, (unsigned)addr, size, data);
    pm_sync(s, now);
    for (unsigned i = 0; i < size; i++) {
        hwaddr a = addr + i;
        uint8_t b = data >> (8 * i);
        unsigned shift = (a & 1) * 8;

        switch (a) {
        case 0:
        case 1: /* PM1_STS: write 1 to clear */
            s->sts &= ~((uint16_t)b << shift);
            break;
        case 2:
        case 3:
            s->en = (s->en & ~(0xff << shift)) | (((uint16_t)b << shift) & PM1_EN_MASK);
            break;
        case 4:
        case 5:
            cnt = (cnt & ~(0xff << shift)) | ((uint16_t)b << shift);
            cnt_written = true;
            break;
        default:
            break; /* the timer is read-only; the rest is reserved */
        }
    }
    if (cnt_written) {
        pm_write_cnt(s, cnt);
    }
    pm_update_sci(s, now);
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
};

void acpi_pm_reset(ACPIPMState *s)
{
    int64_t now = pm_clock();

    s->sts = 0;
    s->en = 0;
    s->cnt = PM1_CNT_SCI_EN;
    pm_sync(s, now);
    s->sts = 0;
    pm_update_sci(s, now);
}

/* 4.8.3.1.1: the fixed power button sets PWRBTN_STS; with PWRBTN_EN the
 * SCI tells the OS, which shuts down (system_powerdown). */
static void pm_power_button(void *opaque)
{
    ACPIPMState *s = opaque;
    int64_t now = pm_clock();

    trace_event(acpi_pm_power_button, "en=%d", !!(s->en & PM1_PWRBTN));
    pm_sync(s, now);
    s->sts |= PM1_PWRBTN;
    pm_update_sci(s, now);
}

ACPIPMState *acpi_pm_init(MemoryRegion *io, hwaddr base, qemu_irq sci)
{
    ACPIPMState *s = g_new0(ACPIPMState, 1);

    qemu_register_powerdown_notifier(pm_power_button, s);
    s->sci = sci;
    s->tmr_base_ns = pm_clock();
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, pm_timer_cb, s);
    s->io_parent = io;
    memory_region_init_io(&s->io, &pm_io_ops, s, "acpi-pm", ACPI_PM_SIZE);
    memory_region_add_subregion(io, base, &s->io);
    acpi_pm_reset(s);
    return s;
}

void acpi_pm_destroy(ACPIPMState *s)
{
    qemu_unregister_powerdown_notifier(pm_power_button, s);
    timer_del(s->timer);
    timer_free(s->timer);
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
