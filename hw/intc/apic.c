/*
 * Local APIC, xAPIC and x2APIC modes (Intel SDM vol.3 chapter 10; section
 * numbers below are that chapter's).
 *
 * IRR, ISR and TMR are 256-bit sets.  A fixed interrupt sets its IRR bit
 * (and TMR when level-triggered); the highest IRR vector whose priority
 * class is above PPR is deliverable (10.8.3.1), which is the level of
 * the CPU's INTR line.  INTA moves it to ISR; EOI clears the highest ISR
 * bit and, for a level-triggered vector, tells the bus (the IOAPIC).
 * LINT0 in ExtINT mode, or an ExtINT message, makes INTR follow the 8259
 * instead, and INTA is passed to it.
 *
 * The timer counts at the 1 GHz bus clock (as QEMU's and KVM's APIC
 * timers do) divided by the divide configuration register; it is
 * computed from the virtual clock when read, and a QEMUTimer is armed for
 * the next expiry.  In TSC-deadline mode (10.5.4.1, when the vCPU's CPUID
 * has tsc-deadline) the same QEMUTimer waits for the virtual-clock time
 * at which the vCPU's TSC reaches IA32_TSC_DEADLINE.
 *
 * x2APIC mode (10.12, when CPUID has x2apic) is entered through
 * IA32_APIC_BASE.EXTD; the registers are then MSRs 800H-8FFH (the MMIO
 * window is off), the ID is the 32-bit initial APIC ID, the logical ID is
 * derived from it (cluster model only) and ICR is one 64-bit register.
 */
#include "hw/intc/apic.h"

#include <inttypes.h>
#include <string.h>

#include "qemu/log.h"
#include "qemu/timer.h"
#include "sysemu/cpus.h"
#include "trace/trace.h"

#define APIC_MAX 256 /* xAPIC IDs 0-254 and room for x2APIC */

/* Register offsets (table 10-1) */
#define APIC_ID     0x020
#define APIC_LVR    0x030
#define APIC_TPR    0x080
#define APIC_APR    0x090
#define APIC_PPR    0x0a0
#define APIC_EOI    0x0b0
#define APIC_RRD    0x0c0
#define APIC_LDR    0x0d0
#define APIC_DFR    0x0e0
#define APIC_SVR    0x0f0
#define APIC_ISR    0x100
#define APIC_TMR    0x180
#define APIC_IRR    0x200
#define APIC_ESR    0x280
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT0   0x320 /* timer; the six LVTs are 0x10 apart */
#define APIC_TMICT  0x380
#define APIC_TMCCT  0x390
#define APIC_TDCR   0x3e0
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST  0x8ff

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_NB };

#define LVT_MASKED       (1u << 16)
#define LVT_LEVEL        (1u << 15)
#define LVT_REMOTE_IRR   (1u << 14)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (1u << 18)
#define LVT_TIMER_MODE   (3u << 17)
#define LVT_DM(v)        (((v) >> 8) & 7)

#define SVR_ENABLE  (1u << 8)
#define SVR_WMASK   0x3ffu /* vector, APIC enable, focus checking */

/* ICR (10.6.1) */
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
#define ICR_LO_WMASK     0x000ccfffu

/* ESR bits (10.5.3) */
#define ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define ESR_ILLEGAL_REGISTER       (1u << 7)

/* Bits each LVT keeps (figure 10-8); the rest read as zero. */
static const uint32_t lvt_wmask[LVT_NB] = {
    [LVT_TIMER] = 0x000310ff,   /* vector, mask, periodic (+ TSC-deadline if offered) */
    [LVT_THERMAL] = 0x000107ff, /* vector, delivery mode, mask */
    [LVT_PERF] = 0x000107ff,
    [LVT_LINT0] = 0x0001a7ff,   /* + polarity, trigger mode */
    [LVT_LINT1] = 0x0001a7ff,
    [LVT_ERROR] = 0x000100ff,
};

struct APICState {
    APICBus *bus;
    CPUState *cpu;
    qemu_irq int_out;
    qemu_irq nmi_out;
    int (*extint_ack)(void *opaque);
    void *extint_opaque;
    qemu_irq lint_in[2];

    uint64_t apicbase;
    uint8_t initial_id;
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr;
    uint32_t dfr;
    uint32_t svr;
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t irr[8];
    uint32_t esr;         /* as last updated by a write (write-to-update) */
    uint32_t esr_pending; /* errors seen since */
    uint32_t icr[2];
    uint32_t lvt[LVT_NB];
    int lint_level[2];
    bool extint_pending; /* an ExtINT message waits for INTA */

    uint32_t initial_count;
    uint32_t dcr;
    int divide_shift;
    int64_t count_load_time;
    QEMUTimer *timer;
    int64_t next_expiry;
    uint64_t tsc_deadline;      /* IA32_TSC_DEADLINE as armed; 0: disarmed */
    int64_t tsc_deadline_ns;    /* when the TSC reaches it (virtual clock) */
};

struct APICBus {
    APICState *apics[APIC_MAX];
    int n;
    MemoryRegion mmio;
    MemoryRegion *sysmem;
    void (*eoi_handler)(void *opaque, int vector);
    void *eoi_opaque;
};

static bool apic_hw_enabled(APICState *s)
{
    return s->apicbase & MSR_APICBASE_ENABLE;
}

static bool apic_sw_enabled(APICState *s)
{
    return s->svr & SVR_ENABLE;
}

static bool apic_x2apic_mode(APICState *s)
{
    return s->apicbase & MSR_APICBASE_EXTD;
}

/* What the vCPU's CPUID offers (CPUID.01H:ECX); nothing without a vCPU. */
static bool apic_cpu_has(APICState *s, uint32_t ecx_feature)
{
    return s->cpu && x86_cpuid_has(&s->cpu->cpuid, FEAT_1_ECX, ecx_feature);
}

/* x2APIC logical ID (10.12.10.2): cluster in 31:16, one bit of 15:0. */
static uint32_t apic_x2apic_ldr(APICState *s)
{
    return ((uint32_t)(s->initial_id >> 4) << 16) | (1u << (s->initial_id & 0xf));
}

/* --- 256-bit vector sets --- */

static void vset(uint32_t *set, int v)
{
    set[v >> 5] |= 1u << (v & 31);
}

static void vclear(uint32_t *set, int v)
{
    set[v >> 5] &= ~(1u << (v & 31));
}

static bool vtest(const uint32_t *set, int v)
{
    return set[v >> 5] & (1u << (v & 31));
}

/* Highest vector in the set, or -1. */
static int vhighest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--) {
        if (set[i]) {
            return i * 32 + 31 - __builtin_clz(set[i]);
        }
    }
    return -1;
}

/* --- priorities (10.8.3.1) --- */

static uint8_t apic_get_ppr(APICState *s)
{
    int isrv = vhighest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (isrv & 0xf0);

    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

static uint8_t apic_get_apr(APICState *s)
{
    int irrv = vhighest(s->irr), isrv = vhighest(s->isr);
    uint8_t irr_class = irrv < 0 ? 0 : irrv & 0xf0, isr_class = isrv < 0 ? 0 : isrv & 0xf0;
    uint8_t tpr_class = s->tpr & 0xf0;

    if (tpr_class >= irr_class && tpr_class > isr_class) {
        return s->tpr;
    }
    return MAX(tpr_class, MAX(isr_class, irr_class));
}

/* The fixed interrupt INTA would take, or -1. */
static int apic_deliverable_vector(APICState *s)
{
    int irrv = vhighest(s->irr);

    if (irrv < 0 || !apic_sw_enabled(s) || (irrv & 0xf0) <= (apic_get_ppr(s) & 0xf0)) {
        return -1;
    }
    return irrv;
}

/* LINT0 in ExtINT mode and asserted: INTR follows the 8259. */
static bool apic_extint_wanted(APICState *s)
{
    uint32_t lvt = s->lvt[LVT_LINT0];

    if (!apic_hw_enabled(s)) {
        return s->lint_level[0]; /* a disabled APIC passes INTR straight through */
    }
    return s->extint_pending ||
           (!(lvt & LVT_MASKED) && LVT_DM(lvt) == APIC_DM_EXTINT && s->lint_level[0]);
}

static void apic_update_irq(APICState *s)
{
    int level = apic_extint_wanted(s) || (apic_hw_enabled(s) && apic_deliverable_vector(s) >= 0);

    qemu_set_irq(s->int_out, level);
}

static void apic_sync_cpu(APICState *s)
{
    if (s->cpu) {
        s->cpu->env.apic_base = s->apicbase;
        s->cpu->env.cr8 = s->tpr >> 4;
    }
}

/* --- accepting interrupts --- */

static void apic_error(APICState *s, uint32_t bits);

/* A fixed interrupt arrives (from the bus, an IPI or a local source). */
static void apic_accept_fixed(APICState *s, int vector, bool level_triggered)
{
    if (!apic_hw_enabled(s) || !apic_sw_enabled(s)) {
        return; /* as KVM: a disabled APIC drops fixed interrupts */
    }
    if (vector < 16) {
        apic_error(s, ESR_RECEIVE_ILLEGAL_VECTOR);
        return;
    }
    trace_event(apic_accept_irq, "id=%d vector=%d level=%d", s->id, vector, level_triggered);
    vset(s->irr, vector);
    if (level_triggered) {
        vset(s->tmr, vector);
    } else {
        vclear(s->tmr, vector);
    }
    apic_update_irq(s);
}

static void apic_accept(APICState *s, int delivery_mode, int vector, bool level_triggered)
{
    switch (delivery_mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWPRI:
        apic_accept_fixed(s, vector, level_triggered);
        break;
    case APIC_DM_NMI:
        if (apic_hw_enabled(s)) {
            qemu_irq_pulse(s->nmi_out);
        }
        break;
    case APIC_DM_EXTINT:
        if (apic_hw_enabled(s)) {
            s->extint_pending = true;
            apic_update_irq(s);
        }
        break;
    case APIC_DM_INIT:
        /* 10.6.1: the CPU performs an INIT (its own thread does, at the
         * next instruction boundary: x86_cpu_init_reset), and so does
         * this APIC (apic_init_reset).  A software-disabled APIC still
         * takes it (10.4.7.2); a hardware-disabled one is off the bus. */
        if (apic_hw_enabled(s) && s->cpu) {
            trace_event(apic_init, "id=%d", s->id);
            cpu_interrupt(s->cpu, CPU_INTERRUPT_INIT);
        }
        break;
    case APIC_DM_SIPI:
        /* 8.4.4.1, 10.6.1 "Start-Up": only a CPU in wait-for-SIPI (or
         * with an INIT on its way there) starts; for any other the SIPI
         * is dropped here, so none is left pending for a later INIT.
         * The vCPU rechecks when it takes the SIPI. */
        if (apic_hw_enabled(s) && s->cpu &&
            (__atomic_load_n(&s->cpu->env.wait_for_sipi, __ATOMIC_SEQ_CST) ||
             (__atomic_load_n(&s->cpu->interrupt_request, __ATOMIC_SEQ_CST) &
              CPU_INTERRUPT_INIT))) {
            trace_event(apic_sipi, "id=%d vector=0x%02x", s->id, vector);
            __atomic_store_n(&s->cpu->sipi_vector, vector, __ATOMIC_SEQ_CST);
            cpu_interrupt(s->cpu, CPU_INTERRUPT_SIPI);
        }
        break;
    default:
        /* SMI: no SMM; accepted and dropped. */
        qemu_log_mask(LOG_UNIMP, "apic %d: delivery mode %d not modelled, dropped\n", s->id,
                      delivery_mode);
        break;
    }
}

/* An interrupt from an LVT entry (timer, error, LINTn in fixed mode). */
static void apic_local_deliver(APICState *s, int lvt_index)
{
    uint32_t lvt = s->lvt[lvt_index];

    if (lvt & LVT_MASKED) {
        return;
    }
    switch (LVT_DM(lvt)) {
    case APIC_DM_FIXED:
        if (lvt_index == LVT_LINT0 && (lvt & LVT_LEVEL)) {
            s->lvt[lvt_index] |= LVT_REMOTE_IRR;
            apic_accept_fixed(s, lvt & 0xff, true);
        } else {
            apic_accept_fixed(s, lvt & 0xff, false);
        }
        break;
    case APIC_DM_NMI:
        qemu_irq_pulse(s->nmi_out);
        break;
    case APIC_DM_EXTINT:
        apic_update_irq(s);
        break;
    default:
        break;
    }
}

static void apic_error(APICState *s, uint32_t bits)
{
    bool first = !(s->esr_pending & bits);

    s->esr_pending |= bits;
    if (first) {
        apic_local_deliver(s, LVT_ERROR);
    }
}

static void apic_lint_set(void *opaque, int pin, int level)
{
    APICState *s = opaque;
    uint32_t lvt = s->lvt[LVT_LINT0 + pin];
    bool rising = level && !s->lint_level[pin];

    s->lint_level[pin] = level;
    if (!apic_hw_enabled(s)) {
        if (pin == 1 && rising) {
            qemu_irq_pulse(s->nmi_out); /* LINT1 is the NMI pin */
        }
        apic_update_irq(s);
        return;
    }
    if (LVT_DM(lvt) == APIC_DM_EXTINT) {
        apic_update_irq(s);
        return;
    }
    if (lvt & LVT_MASKED) {
        return;
    }
    if (pin == 0 && LVT_DM(lvt) == APIC_DM_FIXED && (lvt & LVT_LEVEL)) {
        /* Level: one interrupt per assertion until its EOI (remote IRR). */
        if (level && !(lvt & LVT_REMOTE_IRR)) {
            apic_local_deliver(s, LVT_LINT0);
        }
    } else if (rising) {
        apic_local_deliver(s, LVT_LINT0 + pin);
    }
}

/* --- destinations (10.6.2) --- */

/* @wide: a 32-bit x2APIC destination (an x2APIC's ICR), else 8 bits. */
static bool apic_match_dest(APICState *s, uint32_t dest, bool logical, bool wide)
{
    if (dest == (wide ? 0xffffffffu : 0xffu)) {
        return true; /* broadcast */
    }
    if (apic_x2apic_mode(s)) {
        uint32_t ldr = apic_x2apic_ldr(s);

        if (!logical) {
            return dest == s->initial_id;
        }
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff) != 0;
    }
    if (!logical) {
        return dest == s->id;
    }
    uint8_t ldr = s->ldr >> 24;
    if ((s->dfr >> 28) == 0xf) { /* flat model */
        return (ldr & dest) != 0;
    }
    /* cluster model: bits 7:4 cluster, 3:0 one bit per member */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;
}

static void apic_bus_deliver_msg(APICBus *bus, uint32_t dest, bool logical, bool wide,
                                 int delivery_mode, int vector, bool level_triggered)
{
    trace_event(apic_bus_deliver, "dest=0x%x logical=%d dm=%d vector=%d level=%d", dest,
                logical, delivery_mode, vector, level_triggered);
    if (delivery_mode == APIC_DM_LOWPRI) {
        /* The lowest-priority APIC among those named (10.6.2.4); no focus. */
        APICState *best = NULL;

        for (int i = 0; i < bus->n; i++) {
            APICState *s = bus->apics[i];
            if (apic_hw_enabled(s) && apic_match_dest(s, dest, logical, wide) &&
                (!best || apic_get_apr(s) < apic_get_apr(best))) {
                best = s;
            }
        }
        if (best) {
            apic_accept(best, delivery_mode, vector, level_triggered);
        }
        return;
    }
    for (int i = 0; i < bus->n; i++) {
        APICState *s = bus->apics[i];
        if (apic_match_dest(s, dest, logical, wide)) {
            apic_accept(s, delivery_mode, vector, level_triggered);
        }
    }
}

void apic_bus_deliver(APICBus *bus, uint8_t dest, bool logical, int delivery_mode, int vector,
                      bool level_triggered)
{
    apic_bus_deliver_msg(bus, dest, logical, false, delivery_mode, vector, level_triggered);
}

/* ICR low written: send the IPI (10.6.1). */
static void apic_send_ipi(APICState *s)
{
    uint32_t lo = s->icr[0];
    int dm = LVT_DM(lo), vector = lo & 0xff;
    bool level = lo & ICR_TRIGGER_LEVEL;
    APICBus *bus = s->bus;

    if (dm == APIC_DM_INIT && level && !(lo & ICR_LEVEL_ASSERT)) {
        return; /* INIT level de-assert: only synchronises arbitration IDs */
    }
    if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWPRI) && vector < 16) {
        apic_error(s, ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    trace_event(apic_send_ipi, "id=%d icr=0x%08x:%08x", s->id, s->icr[1], lo);
    switch (ICR_SHORTHAND(lo)) {
    case 0:
        if (apic_x2apic_mode(s)) {
            apic_bus_deliver_msg(bus, s->icr[1], lo & ICR_DEST_LOGICAL, true, dm, vector, level);
        } else {
            apic_bus_deliver_msg(bus, s->icr[1] >> 24, lo & ICR_DEST_LOGICAL, false, dm, vector,
                                 level);
        }
        break;
    case 1: /* self */
        apic_accept(s, dm, vector, level);
        break;
    case 2: /* all including self */
    case 3: /* all excluding self */
        for (int i = 0; i < bus->n; i++) {
            if (bus->apics[i] != s || ICR_SHORTHAND(lo) == 2) {
                apic_accept(bus->apics[i], dm, vector, level);
            }
        }
        break;
    }
}

static void apic_eoi(APICState *s)
{
    int isrv = vhighest(s->isr);

    if (isrv < 0) {
        return;
    }
    vclear(s->isr, isrv);
    trace_event(apic_eoi, "id=%d vector=%d level=%d", s->id, isrv, vtest(s->tmr, isrv));
    if ((s->lvt[LVT_LINT0] & LVT_REMOTE_IRR) && (s->lvt[LVT_LINT0] & 0xff) == isrv) {
        s->lvt[LVT_LINT0] &= ~LVT_REMOTE_IRR;
        if (s->lint_level[0]) {
            apic_local_deliver(s, LVT_LINT0); /* still asserted */
        }
    }
    if (vtest(s->tmr, isrv) && s->bus->eoi_handler) {
        s->bus->eoi_handler(s->bus->eoi_opaque, isrv);
    }
    apic_update_irq(s);
}

int apic_get_interrupt(APICState *s)
{
    int vector;

    if (apic_extint_wanted(s)) {
        s->extint_pending = false;
        vector = s->extint_ack ? s->extint_ack(s->extint_opaque) : -1;
        apic_update_irq(s);
        return vector;
    }
    if (!apic_hw_enabled(s) || !apic_sw_enabled(s) || vhighest(s->irr) < 0) {
        return -1;
    }
    vector = apic_deliverable_vector(s);
    if (vector < 0) {
        /* Masked by TPR after INTR rose: the spurious vector (10.9). */
        apic_update_irq(s);
        return s->svr & 0xff;
    }
    vclear(s->irr, vector);
    vset(s->isr, vector);
    apic_update_irq(s);
    trace_event(apic_get_interrupt, "id=%d vector=%d", s->id, vector);
    return vector;
}

/* --- timer (10.5.4) --- */

static int64_t apic_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static bool apic_timer_periodic(APICState *s)
{
    return (s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC;
}

static bool apic_timer_tsc_deadline(APICState *s)
{
    return (s->lvt[LVT_TIMER] & LVT_TIMER_MODE) == LVT_TIMER_TSC_DEADLINE;
}

/* Bus clocks (1 ns each) since the count was loaded, divided. */
static uint64_t apic_timer_ticks(APICState *s, int64_t now)
{
    return now > s->count_load_time ? (uint64_t)(now - s->count_load_time) >> s->divide_shift
                                    : 0;
}

static uint32_t apic_get_current_count(APICState *s)
{
    uint64_t ticks;

    if (!s->initial_count || apic_timer_tsc_deadline(s)) {
        return 0; /* the count registers are not used in TSC-deadline mode */
    }
    ticks = apic_timer_ticks(s, apic_now());
    if (apic_timer_periodic(s)) {
        return s->initial_count - ticks % s->initial_count;
    }
    return ticks >= s->initial_count ? 0 : s->initial_count - ticks;
}

static int64_t apic_ticks_to_time(APICState *s, uint64_t ticks)
{
    return s->count_load_time + (int64_t)(ticks << s->divide_shift);
}

/* Arm the QEMUTimer for the next time the count reaches zero. */
static void apic_timer_update(APICState *s, int64_t now)
{
    uint64_t ticks, next;

    if (apic_timer_tsc_deadline(s)) {
        if (s->tsc_deadline) {
            timer_mod(s->timer, s->tsc_deadline_ns);
        } else {
            timer_del(s->timer);
        }
        return;
    }
    if (!s->initial_count) {
        timer_del(s->timer);
        return;
    }
    ticks = apic_timer_ticks(s, now);
    if (apic_timer_periodic(s)) {
        next = (ticks / s->initial_count + 1) * s->initial_count;
    } else if (ticks < s->initial_count) {
        next = s->initial_count;
    } else {
        timer_del(s->timer); /* one-shot already expired */
        return;
    }
    s->next_expiry = apic_ticks_to_time(s, next);
    timer_mod(s->timer, s->next_expiry);
}

static void apic_timer_cb(void *opaque)
{
    APICState *s = opaque;

    trace_event(apic_timer_expired, "id=%d periodic=%d", s->id, apic_timer_periodic(s));
    if (apic_timer_tsc_deadline(s)) {
        s->tsc_deadline = 0; /* fires once; the MSR reads 0 after (10.5.4.1) */
        apic_local_deliver(s, LVT_TIMER);
        return;
    }
    apic_local_deliver(s, LVT_TIMER);
    apic_timer_update(s, MAX(apic_now(), s->next_expiry));
}

static void apic_set_dcr(APICState *s, uint32_t val)
{
    int64_t now = apic_now();
    uint32_t current = apic_get_current_count(s);
    int v = (val & 3) | ((val >> 1) & 4);

    s->dcr = val & 0xb;
    s->divide_shift = (v + 1) & 7; /* 0..6 divide by 2..128, 7 by 1 */
    if (s->initial_count && current) {
        /* Keep counting from the current value at the new rate. */
        s->count_load_time = now - ((int64_t)(s->initial_count - current) << s->divide_shift);
    }
    apic_timer_update(s, now);
}

/* --- registers --- */

static uint32_t apic_reg_read(APICState *s, unsigned reg)
{
    switch (reg) {
    case APIC_ID:
        return (uint32_t)s->id << 24;
    case APIC_LVR:
        return APIC_VERSION_REG;
    case APIC_TPR:
        return s->tpr;
    case APIC_APR:
        return apic_get_apr(s);
    case APIC_PPR:
        return apic_get_ppr(s);
    case APIC_EOI:
    case APIC_RRD:
        return 0;
    case APIC_LDR:
        return s->ldr;
    case APIC_DFR:
        return s->dfr;
    case APIC_SVR:
        return s->svr;
    case APIC_ESR:
        return s->esr;
    case APIC_ICR_LO:
        return s->icr[0]; /* delivery status (bit 12) always idle */
    case APIC_ICR_HI:
        return s->icr[1];
    case APIC_TMICT:
        return s->initial_count;
    case APIC_TMCCT:
        return apic_get_current_count(s);
    case APIC_TDCR:
        return s->dcr;
    }
    if (reg >= APIC_ISR && reg < APIC_ISR + 0x80) {
        return s->isr[(reg - APIC_ISR) >> 4];
    }
    if (reg >= APIC_TMR && reg < APIC_TMR + 0x80) {
        return s->tmr[(reg - APIC_TMR) >> 4];
    }
    if (reg >= APIC_IRR && reg < APIC_IRR + 0x80) {
        return s->irr[(reg - APIC_IRR) >> 4];
    }
    if (reg >= APIC_LVT0 && reg < APIC_LVT0 + 0x10 * LVT_NB) {
        return s->lvt[(reg - APIC_LVT0) >> 4];
    }
    qemu_log_mask(LOG_GUEST_ERROR, "apic %d: read of unimplemented register 0x%x\n", s->id, reg);
    return 0;
}

static void apic_set_svr(APICState *s, uint32_t val)
{
    s->svr = val & SVR_WMASK;
    if (!(val & SVR_ENABLE)) {
        /* Software disabled: every LVT masked (10.4.7.2). */
        for (int i = 0; i < LVT_NB; i++) {
            s->lvt[i] |= LVT_MASKED;
        }
    }
    apic_update_irq(s);
}

static void apic_set_lvt(APICState *s, int i, uint32_t val)
{
    uint32_t old = s->lvt[i];
    uint32_t wmask = lvt_wmask[i];

    if (i == LVT_TIMER && apic_cpu_has(s, CPUID_EXT_TSC_DEADLINE)) {
        wmask |= LVT_TIMER_TSC_DEADLINE;
    }
    val &= wmask;
    if (!apic_sw_enabled(s)) {
        val |= LVT_MASKED; /* cannot be unmasked while software disabled */
    }
    if (i == LVT_TIMER && ((old ^ val) & LVT_TIMER_TSC_DEADLINE)) {
        /* Into or out of TSC-deadline mode disarms the timer (10.5.4.1). */
        s->initial_count = 0;
        s->tsc_deadline = 0;
    }
    s->lvt[i] = val | (old & LVT_REMOTE_IRR);
    if (i == LVT_TIMER && ((old ^ val) & LVT_TIMER_MODE)) {
        apic_timer_update(s, apic_now());
    }
    if (i == LVT_LINT0 || i == LVT_LINT1) {
        /* A pin held high while its entry was masked counts as an edge now. */
        int level = s->lint_level[i - LVT_LINT0];
        if (level && (old & LVT_MASKED) && !(val & LVT_MASKED)) {
            s->lint_level[i - LVT_LINT0] = 0;
            apic_lint_set(s, i - LVT_LINT0, level);
        }
    }
    apic_update_irq(s);
}

static void apic_reg_write(APICState *s, unsigned reg, uint32_t val)
{
    trace_event(apic_reg_write, "id=%d reg=0x%03x val=0x%08x", s->id, reg, val);
    switch (reg) {
    case APIC_ID:
        s->id = val >> 24;
        return;
    case APIC_TPR:
        s->tpr = val & 0xff;
        apic_sync_cpu(s);
        apic_update_irq(s);
        return;
    case APIC_EOI:
        apic_eoi(s);
        return;
    case APIC_LDR:
        s->ldr = val & 0xff000000u;
        return;
    case APIC_DFR:
        s->dfr = val | 0x0fffffffu;
        return;
    case APIC_SVR:
        apic_set_svr(s, val);
        return;
    case APIC_ESR:
        /* Write-to-update: the errors since the last write become visible. */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case APIC_ICR_LO:
        s->icr[0] = val & ICR_LO_WMASK;
        apic_send_ipi(s);
        return;
    case APIC_ICR_HI:
        s->icr[1] = val & 0xff000000u;
        return;
    case APIC_TMICT:
        if (apic_timer_tsc_deadline(s)) {
            return; /* ignored in TSC-deadline mode */
        }
        s->initial_count = val;
        s->count_load_time = apic_now();
        apic_timer_update(s, s->count_load_time);
        return;
    case APIC_TDCR:
        apic_set_dcr(s, val);
        return;
    }
    if (reg >= APIC_LVT0 && reg < APIC_LVT0 + 0x10 * LVT_NB) {
        apic_set_lvt(s, (reg - APIC_LVT0) >> 4, val);
        return;
    }
    /* Version, APR, PPR, RRD, ISR, TMR, IRR, current count: read-only. */
    qemu_log_mask(LOG_GUEST_ERROR, "apic %d: write 0x%x to read-only or unimplemented "
                  "register 0x%x\n", s->id, val, reg);
}

static APICState *apic_for_access(APICBus *bus)
{
    CPUState *cpu = current_cpu;

    for (int i = 0; cpu && i < bus->n; i++) {
        if (bus->apics[i]->cpu == cpu) {
            return bus->apics[i];
        }
    }
    return bus->n ? bus->apics[0] : NULL;
}

static uint64_t apic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    APICState *s = apic_for_access(opaque);
    uint32_t val;

    /* In x2APIC mode the MMIO interface is gone (10.12.1.2). */
    if (!s || !apic_hw_enabled(s) || apic_x2apic_mode(s) || (addr & 0xf)) {
        return 0;
    }
    val = apic_reg_read(s, addr & 0xff0);
    trace_event(apic_reg_read, "id=%d reg=0x%03x val=0x%08x", s->id, (unsigned)addr, val);
    return val;
}

static void apic_mmio_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    APICState *s = apic_for_access(opaque);

    if (!s || !apic_hw_enabled(s) || apic_x2apic_mode(s)) {
        return;
    }
    if (addr & 0xf) {
        qemu_log_mask(LOG_GUEST_ERROR, "apic: misaligned write at 0x%x\n", (unsigned)addr);
        return;
    }
    apic_reg_write(s, addr & 0xff0, data);
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* --- base MSR, CR8, reset --- */

/* The window follows the first APIC (the BSP): one vCPU. */
static void apic_bus_update_window(APICBus *bus)
{
    APICState *bsp = bus->n ? bus->apics[0] : NULL;

    if (!bsp) {
        return;
    }
    memory_region_transaction_begin();
    memory_region_set_address(&bus->mmio, bsp->apicbase & MSR_APICBASE_BASE);
    memory_region_set_enabled(&bus->mmio, apic_hw_enabled(bsp) && !apic_x2apic_mode(bsp));
    memory_region_transaction_commit();
}

uint64_t apic_get_base(APICState *s)
{
    return s->apicbase;
}

/* The mode, from EN and EXTD (10.12.5, figure 10-27): 0 disabled, 1
 * invalid (EXTD without EN), 2 xAPIC, 3 x2APIC. */
static int apic_base_mode(uint64_t base)
{
    return (base & MSR_APICBASE_ENABLE ? 2 : 0) | (base & MSR_APICBASE_EXTD ? 1 : 0);
}

bool apic_set_base(APICState *s, uint64_t val)
{
    uint64_t legal = MSR_APICBASE_BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP;
    int from = apic_base_mode(s->apicbase), to = apic_base_mode(val);

    if (apic_cpu_has(s, CPUID_EXT_X2APIC)) {
        legal |= MSR_APICBASE_EXTD;
    }
    if ((val & ~legal) || ((val ^ s->apicbase) & MSR_APICBASE_BSP)) {
        return false; /* reserved bits, x2APIC not offered, or the read-only BSP flag */
    }
    /* Figure 10-27: x2APIC is entered from xAPIC only and left by
     * disabling the APIC; EXTD without EN is invalid. */
    if (to == 1 || (to == 3 && from == 0) || (to == 2 && from == 3)) {
        return false;
    }
    trace_event(apic_set_base, "id=%d base=0x%" PRIx64, s->id, val);
    if (apic_hw_enabled(s) && !(val & MSR_APICBASE_ENABLE)) {
        /* Globally disabled (10.4.3): back to the software-disabled state. */
        apic_set_svr(s, s->svr & ~SVR_ENABLE);
        memset(s->irr, 0, sizeof(s->irr));
        memset(s->isr, 0, sizeof(s->isr));
        s->extint_pending = false;
    }
    s->apicbase = val;
    apic_sync_cpu(s);
    apic_bus_update_window(s->bus);
    apic_update_irq(s);
    return true;
}

/* --- x2APIC MSRs (10.12.1.2, table 10-6) --- */

static bool apic_x2apic_readable(unsigned reg)
{
    switch (reg) {
    case APIC_ID: case APIC_LVR: case APIC_TPR: case APIC_PPR: case APIC_LDR: case APIC_SVR:
    case APIC_ESR: case APIC_ICR_LO: case APIC_TMICT: case APIC_TMCCT: case APIC_TDCR:
        return true;
    }
    return (reg >= APIC_ISR && reg < APIC_IRR + 0x80) ||
           (reg >= APIC_LVT0 && reg < APIC_LVT0 + 0x10 * LVT_NB);
}

bool apic_msr_read(APICState *s, uint32_t index, uint64_t *val)
{
    unsigned reg = (index - MSR_X2APIC_FIRST) << 4;

    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || !apic_x2apic_mode(s) ||
        !apic_x2apic_readable(reg)) {
        return false; /* write-only (EOI, SELF IPI), xAPIC-only or reserved: #GP */
    }
    switch (reg) {
    case APIC_ID:
        *val = s->initial_id;
        break;
    case APIC_LDR:
        *val = apic_x2apic_ldr(s);
        break;
    case APIC_ICR_LO:
        *val = ((uint64_t)s->icr[1] << 32) | s->icr[0];
        break;
    default:
        *val = apic_reg_read(s, reg);
        break;
    }
    return true;
}

bool apic_msr_write(APICState *s, uint32_t index, uint64_t val)
{
    unsigned reg = (index - MSR_X2APIC_FIRST) << 4;

    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || !apic_x2apic_mode(s)) {
        return false;
    }
    if (reg != APIC_ICR_LO && (val >> 32)) {
        return false; /* every other register is 32 bits wide */
    }
    trace_event(apic_reg_write, "id=%d reg=0x%03x val=0x%08x", s->id, reg, (uint32_t)val);
    switch (reg) {
    case APIC_TPR:
    case APIC_SVR:
    case APIC_TMICT:
    case APIC_TDCR:
        apic_reg_write(s, reg, val);
        return true;
    case APIC_EOI:
    case APIC_ESR:
        if (val) {
            return false; /* only 0 may be written (table 10-6) */
        }
        apic_reg_write(s, reg, 0);
        return true;
    case APIC_ICR_LO:
        s->icr[1] = val >> 32;
        s->icr[0] = val & ICR_LO_WMASK;
        apic_send_ipi(s);
        return true;
    case APIC_SELF_IPI:
        if (val & ~0xffull) {
            return false;
        }
        /* A fixed, edge-triggered IPI to itself (10.12.11); ICR unchanged. */
        if (val < 16) {
            apic_error(s, ESR_SEND_ILLEGAL_VECTOR);
        } else {
            apic_accept_fixed(s, val, false);
        }
        return true;
    }
    if (reg >= APIC_LVT0 && reg < APIC_LVT0 + 0x10 * LVT_NB) {
        apic_set_lvt(s, (reg - APIC_LVT0) >> 4, val);
        return true;
    }
    return false; /* read-only, xAPIC-only or reserved: #GP */
}

/* --- TSC-deadline mode (10.5.4.1) --- */

uint64_t apic_get_tsc_deadline(APICState *s)
{
    return apic_timer_tsc_deadline(s) ? s->tsc_deadline : 0;
}

void apic_set_tsc_deadline(APICState *s, uint64_t tsc, int64_t expiry_ns)
{
    if (!apic_timer_tsc_deadline(s)) {
        return; /* writes are ignored in the other modes */
    }
    trace_event(apic_tsc_deadline, "id=%d tsc=0x%" PRIx64 " in_ns=%" PRId64, s->id, tsc,
                expiry_ns - apic_now());
    s->tsc_deadline = tsc;
    s->tsc_deadline_ns = expiry_ns;
    if (tsc && expiry_ns <= apic_now()) {
        /* Already passed: pending before the next instruction, as on
         * hardware, not whenever the main loop next runs timers. */
        apic_timer_cb(s);
        timer_del(s->timer);
        return;
    }
    apic_timer_update(s, apic_now());
}

uint8_t apic_get_tpr(APICState *s)
{
    return s->tpr >> 4;
}

void apic_set_tpr(APICState *s, uint8_t cr8)
{
    s->tpr = (cr8 & 0xf) << 4;
    apic_sync_cpu(s);
    apic_update_irq(s);
}

static bool apic_cpu_set_base(void *opaque, uint64_t val)
{
    return apic_set_base(opaque, val);
}

static void apic_cpu_set_tpr(void *opaque, uint8_t cr8)
{
    apic_set_tpr(opaque, cr8);
}

static bool apic_cpu_msr_read(void *opaque, uint32_t index, uint64_t *val)
{
    return apic_msr_read(opaque, index, val);
}

static bool apic_cpu_msr_write(void *opaque, uint32_t index, uint64_t val)
{
    return apic_msr_write(opaque, index, val);
}

static uint64_t apic_cpu_get_tsc_deadline(void *opaque)
{
    return apic_get_tsc_deadline(opaque);
}

static void apic_cpu_set_tsc_deadline(void *opaque, uint64_t tsc, int64_t expiry_ns)
{
    apic_set_tsc_deadline(opaque, tsc, expiry_ns);
}

static void apic_cpu_init_reset(void *opaque)
{
    apic_init_reset(opaque);
}

static const CPUAPICOps apic_cpu_ops = {
    .set_base = apic_cpu_set_base,
    .set_tpr = apic_cpu_set_tpr,
    .msr_read = apic_cpu_msr_read,
    .msr_write = apic_cpu_msr_write,
    .get_tsc_deadline = apic_cpu_get_tsc_deadline,
    .set_tsc_deadline = apic_cpu_set_tsc_deadline,
    .init_reset = apic_cpu_init_reset,
};

/* Everything RESET and INIT have in common: all but the base MSR and
 * the ID (10.4.7.3). */
static void apic_reset_regs(APICState *s, bool bsp)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->esr = s->esr_pending = 0;
    s->icr[0] = s->icr[1] = 0;
    for (int i = 0; i < LVT_NB; i++) {
        s->lvt[i] = LVT_MASKED;
    }
    if (bsp) {
        s->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
    }
    s->extint_pending = false;
    s->initial_count = 0;
    s->tsc_deadline = 0;
    s->dcr = 0;
    s->divide_shift = 1;
    s->count_load_time = apic_now();
    timer_del(s->timer);
}

void apic_reset(APICState *s, bool bsp)
{
    s->apicbase = APIC_DEFAULT_ADDRESS | MSR_APICBASE_ENABLE | (bsp ? MSR_APICBASE_BSP : 0);
    s->id = s->initial_id;
    apic_reset_regs(s, bsp);
    apic_sync_cpu(s);
    apic_bus_update_window(s->bus);
    apic_update_irq(s);
}

void apic_init_reset(APICState *s)
{
    /* 10.4.7.3: as after RESET, except the APIC ID (and arbitration ID);
     * IA32_APIC_BASE, an MSR, is kept as INIT keeps MSRs (table 9-1),
     * so an APIC in x2APIC mode stays in it (10.12.5.1). */
    apic_reset_regs(s, s->apicbase & MSR_APICBASE_BSP);
    apic_sync_cpu(s);
    apic_update_irq(s);
}

qemu_irq apic_get_lint(APICState *s, int pin)
{
    return s->lint_in[pin & 1];
}

void apic_set_extint_handler(APICState *s, int (*ack)(void *opaque), void *opaque)
{
    s->extint_ack = ack;
    s->extint_opaque = opaque;
}

APICState *apic_new(APICBus *bus, uint8_t id, CPUState *cpu, qemu_irq int_out, qemu_irq nmi_out)
{
    APICState *s;

    if (bus->n == APIC_MAX) {
        return NULL;
    }
    s = g_new0(APICState, 1);
    s->bus = bus;
    s->cpu = cpu;
    s->initial_id = id;
    s->int_out = int_out;
    s->nmi_out = nmi_out;
    s->lint_in[0] = qemu_allocate_irq(apic_lint_set, s, 0);
    s->lint_in[1] = qemu_allocate_irq(apic_lint_set, s, 1);
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, apic_timer_cb, s);
    bus->apics[bus->n++] = s;
    if (cpu) {
        cpu->apic_ops = &apic_cpu_ops;
        cpu->apic_opaque = s;
    }
    apic_reset(s, bus->n == 1);
    return s;
}

void apic_free(APICState *s)
{
    APICBus *bus = s->bus;

    for (int i = 0; i < bus->n; i++) {
        if (bus->apics[i] == s) {
            memmove(&bus->apics[i], &bus->apics[i + 1], (bus->n - i - 1) * sizeof(s));
            bus->n--;
            break;
        }
    }
    if (s->cpu && s->cpu->apic_opaque == s) {
        s->cpu->apic_ops = NULL;
        s->cpu->apic_opaque = NULL;
    }
    timer_del(s->timer);
    timer_free(s->timer);
    qemu_free_irq(s->lint_in[0]);
    qemu_free_irq(s->lint_in[1]);
    g_free(s);
}

APICBus *apic_bus_new(MemoryRegion *sysmem)
{
    APICBus *bus = g_new0(APICBus, 1);

    bus->sysmem = sysmem;
    memory_region_init_io(&bus->mmio, &apic_mmio_ops, bus, "apic", APIC_SPACE_SIZE);
    /* Above RAM (RAM never reaches 0xfee00000 below 4G; relocation might). */
    memory_region_add_subregion_overlap(sysmem, APIC_DEFAULT_ADDRESS, &bus->mmio, 1);
    return bus;
}

void apic_bus_free(APICBus *bus)
{
    while (bus->n) {
        apic_free(bus->apics[0]);
    }
    memory_region_del_subregion(bus->sysmem, &bus->mmio);
    memory_region_finalize(&bus->mmio);
    g_free(bus);
}

void apic_bus_set_eoi_handler(APICBus *bus, void (*handler)(void *opaque, int vector),
                              void *opaque)
{
    bus->eoi_handler = handler;
    bus->eoi_opaque = opaque;
}

static const char *apic_dm_name(int dm)
{
    static const char *const names[8] = { "Fixed", "LowPri", "SMI", "...", "NMI", "INIT",
                                          "SIPI", "ExtINT" };
    return names[dm & 7];
}

static void apic_print_lvt(GString *out, const char *name, uint32_t lvt, bool is_timer)
{
    g_string_append_printf(out, "%s\t 0x%08x %s %-5s %-6s %-7s %-12s %-6s", name, lvt,
                           lvt & (1u << 13) ? "active-lo" : "active-hi",
                           lvt & LVT_LEVEL ? "level" : "edge", lvt & LVT_MASKED ? "masked" : "",
                           lvt & (1u << 12) ? "pending" : "",
                           !is_timer ? "" : lvt & LVT_TIMER_PERIODIC ? "periodic" : "one-shot",
                           apic_dm_name(LVT_DM(lvt)));
    if (LVT_DM(lvt) != APIC_DM_NMI) {
        g_string_append_printf(out, " (vec %u)", lvt & 0xff);
    }
    g_string_append(out, "\n");
}

static void apic_print_vectors(GString *out, const char *name, const uint32_t *bits)
{
    bool any = false;

    g_string_append_printf(out, "%s\t ", name);
    for (int v = 0; v < 256; v++) {
        if (bits[v / 32] & (1u << (v % 32))) {
            g_string_append_printf(out, "%u ", v);
            any = true;
        }
    }
    g_string_append(out, any ? "\n" : "(none)\n");
}

void apic_print_info(APICState *s, GString *out)
{
    static const char *const shorthand[4] = { "no-shorthand", "self", "all-self", "all" };
    uint32_t icr = s->icr[0];

    g_string_append_printf(out, "dumping local APIC state for CPU %d \n\n",
                           s->cpu ? s->cpu->cpu_index : 0);
    apic_print_lvt(out, "LVT0", s->lvt[LVT_LINT0], false);
    apic_print_lvt(out, "LVT1", s->lvt[LVT_LINT1], false);
    apic_print_lvt(out, "LVTPC", s->lvt[LVT_PERF], false);
    apic_print_lvt(out, "LVTERR", s->lvt[LVT_ERROR], false);
    apic_print_lvt(out, "LVTTHMR", s->lvt[LVT_THERMAL], false);
    apic_print_lvt(out, "LVTT", s->lvt[LVT_TIMER], true);
    g_string_append_printf(out, "Timer\t DCR=0x%x (divide by %u) initial_count = %u "
                           "current_count = %u\n", s->dcr & 0xf,
                           s->divide_shift == 0 ? 1u : 1u << s->divide_shift,
                           s->initial_count, apic_get_current_count(s));
    g_string_append_printf(out, "SPIV\t 0x%08x APIC %s, focus=%s, spurious vec %u\n", s->svr,
                           s->svr & (1u << 8) ? "enabled" : "disabled",
                           s->svr & (1u << 9) ? "on" : "off", s->svr & 0xff);
    g_string_append_printf(out, "ICR\t 0x%08x %s %s %s %s\n", icr,
                           icr & (1u << 11) ? "logical" : "physical",
                           icr & (1u << 15) ? "level" : "edge",
                           icr & (1u << 14) ? "assert" : "de-assert",
                           shorthand[(icr >> 18) & 3]);
    g_string_append_printf(out, "ICR2\t 0x%08x cpu %u (%s)\n", s->icr[1], s->icr[1] >> 24,
                           icr & (1u << 11) ? "logical" : "APIC ID");
    g_string_append_printf(out, "ESR\t 0x%08x\n", s->esr);
    apic_print_vectors(out, "ISR", s->isr);
    apic_print_vectors(out, "IRR", s->irr);
    g_string_append_printf(out, "\nAPR 0x%02x TPR 0x%02x DFR 0x%02x LDR 0x%02x PPR 0x%02x\n", 0,
                           s->tpr, s->dfr >> 28, s->ldr >> 24, apic_get_ppr(s));
}
