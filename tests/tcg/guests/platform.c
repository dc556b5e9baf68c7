/*
 * The platform Linux expects, from the guest's side: the ACPI tables
 * (RSDP in 0xe0000-0xfffff, RSDT, FADT, DSDT's \_S5, MADT), the local
 * APIC (version, self IPIs, TPR/priority order, EOI, timer one-shot and
 * periodic measured against the ACPI PM timer), the IOAPIC (the PIT on
 * the GSI the MADT override names, the RTC's periodic, update-ended and
 * alarm interrupts on pin 8, the SCI on pin 9 as a level interrupt with
 * remote IRR), and finally power-off through PM1a_CNT with \_S5's
 * SLP_TYP.  The 8259 is masked and LINT0 too: every interrupt comes
 * through the IOAPIC or the APIC itself.  With a CPU model that offers
 * x2APIC and the TSC-deadline timer (duet's -cpu max; QEMU 7.2's TCG has
 * neither) it also switches to x2APIC mode and runs the same checks
 * through the MSRs, then arms IA32_TSC_DEADLINE; with qemu64 it prints
 * nothing about them, so the output stays QEMU's.
 *
 * Lines that differ between machines (addresses, measured times) start
 * with '~'; the rest must match QEMU's output exactly.
 */
#include "cpu.h"

#define PIT_HZ 1193182u
#define PM_HZ  3579545u

#define LAPIC_ID    0x020
#define LAPIC_VER   0x030
#define LAPIC_TPR   0x080
#define LAPIC_PPR   0x0a0
#define LAPIC_EOI   0x0b0
#define LAPIC_SVR   0x0f0
#define LAPIC_ISR   0x100
#define LAPIC_IRR   0x200
#define LAPIC_ESR   0x280
#define LAPIC_ICR   0x300
#define LAPIC_LVTT  0x320
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360
#define LAPIC_LVTE  0x370
#define LAPIC_TMICT 0x380
#define LAPIC_TMCCT 0x390
#define LAPIC_TDCR  0x3e0

#define VEC_IPI_LOW  0x40
#define VEC_IPI_HIGH 0x60
#define VEC_TIMER    0x50
#define VEC_PIT      0x30
#define VEC_RTC      0x38
#define VEC_SCI      0x39
#define VEC_ERROR    0xfe
#define VEC_SPURIOUS 0xff

static bool ok = true;
static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static uint16_t pm_tmr_port, pm1a_evt_port, pm1a_cnt_port, smi_cmd;
static uint8_t acpi_enable_val;
static int slp_typ_s5 = -1;
static uint32_t pit_gsi = 0, sci_gsi = 9;

static volatile uint32_t count[256];
static volatile uint8_t order[8];
static volatile int norder;
static volatile uint32_t rtc_flags, sci_remote_irr;
static volatile int sci_eoi_without_clear;

static void expect(const char *what, uint32_t got, uint32_t want)
{
    printf_serial("%s = 0x%x%s\n", what, got, got == want ? "" : " (WRONG)");
    ok &= got == want;
}

static bool x2apic; /* in x2APIC mode: the registers are MSRs 800H + reg/16 */

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint32_t lapic_read(unsigned reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + reg / 16) : lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
    if (x2apic && reg == LAPIC_ICR + 0x10) {
        return; /* no ICR high half: the destination is ICR's bits 63:32 (0 here) */
    }
    if (x2apic) {
        wrmsr(0x800 + reg / 16, v);
    } else {
        lapic[reg / 4] = v;
    }
}

static uint32_t ioapic_read(unsigned reg)
{
    ioapic[0] = reg;
    return ioapic[4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    ioapic[0] = reg;
    ioapic[4] = v;
}

static void ioapic_route(unsigned pin, uint32_t low)
{
    ioapic_write(0x11 + 2 * pin, 0);  /* destination APIC ID 0 */
    ioapic_write(0x10 + 2 * pin, low);
}

static uint32_t pm_timer(void)
{
    return inl(pm_tmr_port) & 0xffffff;
}

/* PM timer ticks since @start (24-bit wrap). */
static uint32_t pm_since(uint32_t start)
{
    return (pm_timer() - start) & 0xffffff;
}

/* Microseconds in @ticks (at most ~1 s: 32-bit arithmetic, no libgcc). */
static uint32_t pm_us(uint32_t ticks)
{
    return ticks * 1000u / (PM_HZ / 1000u);
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
    outb(0x70, reg);
    outb(0x71, v);
}

/* --- interrupt entry --- */

void irq_c(uint32_t vector);
void irq_c(uint32_t vector)
{
    count[vector]++;
    if (norder < 8) {
        order[norder++] = vector;
    }
    switch (vector) {
    case VEC_RTC:
        rtc_flags |= cmos_read(0x0c); /* reading C acknowledges the RTC */
        break;
    case VEC_SCI:
        sci_remote_irr = (ioapic_read(0x10 + 2 * sci_gsi) >> 14) & 1;
        if (sci_eoi_without_clear) {
            sci_eoi_without_clear--; /* still asserted: the IOAPIC sends it again */
        } else {
            outw(pm1a_evt_port, 0x0001); /* TMR_STS, write 1 to clear */
            outw(pm1a_evt_port + 2, 0);  /* and TMR_EN off */
        }
        break;
    }
    if (vector != VEC_SPURIOUS && vector != 2) { /* no EOI for spurious and NMI */
        lapic_write(LAPIC_EOI, 0);
    }
}

#define IRQ_STUB(v)                                                                  \
    void irq_stub_##v(void);                                                         \
    __asm__(".text\nirq_stub_" #v ":\n pushal\n pushl $" #v "\n call irq_c\n"        \
            " addl $4, %esp\n popal\n iret\n");
IRQ_STUB(0x02)
IRQ_STUB(0x30)
IRQ_STUB(0x38)
IRQ_STUB(0x39)
IRQ_STUB(0x40)
IRQ_STUB(0x50)
IRQ_STUB(0x60)
IRQ_STUB(0xfe)
IRQ_STUB(0xff)

/* Sleeps (STI; HLT) until @vector was taken @n times; gives up after
 * @timeout_pm PM timer ticks if other interrupts keep waking it, else the
 * run's timeout catches a missing one.  HLT rather than polling leaves
 * the host CPU to the timers being measured. */
static void wait_irq(uint32_t vector, uint32_t n, uint32_t timeout_pm)
{
    uint32_t start = pm_timer();

    while (count[vector] < n && pm_since(start) < timeout_pm) {
        __asm__ volatile("sti\n hlt\n cli" : : : "memory");
    }
}

/* Pending interrupts (already in IRR) are taken right after STI. */
static void take_pending(void)
{
    __asm__ volatile("sti\n nop\n nop\n cli" : : : "memory");
}

/* --- ACPI tables --- */

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;

    for (uint32_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return sum == 0;
}

static const uint8_t *find_rsdp(void)
{
    for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
        const uint8_t *p = (const uint8_t *)a;
        if (!strncmp((const char *)p, "RSD PTR ", 8) && checksum_ok(p, 20)) {
            return p;
        }
    }
    return 0;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }

/* \_S5's first package element: ZeroOp, OneOp or BytePrefix n. */
static int parse_s5(const uint8_t *dsdt, uint32_t len)
{
    for (uint32_t i = 36; i + 8 < len; i++) {
        if (!strncmp((const char *)dsdt + i, "_S5_", 4) && dsdt[i + 4] == 0x12) {
            const uint8_t *el = dsdt + i + 7; /* PackageOp, PkgLength, NumElements */
            return el[0] == 0x0a ? el[1] : el[0] == 0x01 ? 1 : 0;
        }
    }
    return -1;
}

static void parse_acpi(void)
{
    const uint8_t *rsdp = find_rsdp(), *rsdt, *fadt = 0, *madt = 0;

    ok &= check(rsdp != 0, "RSDP in 0xe0000-0xfffff");
    if (!rsdp) {
        return;
    }
    printf_serial("~rsdp at 0x%x revision %u\n", (uint32_t)rsdp, rsdp[15]);
    rsdt = (const uint8_t *)rd32(rsdp + 16);
    ok &= check(!strncmp((const char *)rsdt, "RSDT", 4) && checksum_ok(rsdt, rd32(rsdt + 4)),
                "RSDT signature and checksum");
    for (uint32_t i = 36; i < rd32(rsdt + 4); i += 4) {
        const uint8_t *t = (const uint8_t *)rd32(rsdt + i);
        ok &= check(checksum_ok(t, rd32(t + 4)), "table checksum");
        if (!strncmp((const char *)t, "FACP", 4)) {
            fadt = t;
        } else if (!strncmp((const char *)t, "APIC", 4)) {
            madt = t;
        }
    }
    ok &= check(fadt && madt, "RSDT lists FACP and APIC");
    if (!fadt || !madt) {
        return;
    }
    pm1a_evt_port = rd32(fadt + 56);
    pm1a_cnt_port = rd32(fadt + 64);
    pm_tmr_port = rd32(fadt + 76);
    smi_cmd = rd32(fadt + 48);
    acpi_enable_val = fadt[52];
    printf_serial("fadt: sci %u pm1a_evt 0x%x pm1a_cnt 0x%x pm_tmr 0x%x\n", rd16(fadt + 46),
                  pm1a_evt_port, pm1a_cnt_port, pm_tmr_port);
    const uint8_t *dsdt = (const uint8_t *)rd32(fadt + 40);
    ok &= check(!strncmp((const char *)dsdt, "DSDT", 4) && checksum_ok(dsdt, rd32(dsdt + 4)),
                "DSDT signature and checksum");
    slp_typ_s5 = parse_s5(dsdt, rd32(dsdt + 4));
    printf_serial("dsdt: \\_S5 SLP_TYP %d\n", slp_typ_s5);

    lapic = (volatile uint32_t *)rd32(madt + 36);
    printf_serial("madt: local apic 0x%x flags %u\n", rd32(madt + 36), rd32(madt + 40));
    for (uint32_t i = 44; i < rd32(madt + 4); i += madt[i + 1]) {
        const uint8_t *e = madt + i;
        switch (e[0]) {
        case 0:
            printf_serial("madt: cpu uid %u apic id %u flags %u\n", e[2], e[3], rd32(e + 4));
            break;
        case 1:
            ioapic = (volatile uint32_t *)rd32(e + 4);
            printf_serial("madt: ioapic id %u at 0x%x gsi base %u\n", e[2], rd32(e + 4),
                          rd32(e + 8));
            break;
        case 2:
            printf_serial("madt: irq %u -> gsi %u flags 0x%x\n", e[3], rd32(e + 4), rd16(e + 8));
            if (e[3] == 0) {
                pit_gsi = rd32(e + 4);
            } else if (e[3] == rd16(fadt + 46)) {
                sci_gsi = rd32(e + 4);
            }
            break;
        case 4:
            printf_serial("madt: nmi uid 0x%x lint%u\n", e[2], e[5]);
            break;
        default:
            break;
        }
        if (e[1] == 0) {
            break;
        }
    }
}

/* As an OS does: enter ACPI mode when the firmware has a way out of it. */
static void acpi_enable(void)
{
    if (smi_cmd && !(inw(pm1a_cnt_port) & 1)) {
        outb(smi_cmd, acpi_enable_val);
        for (int i = 0; i < 100000 && !(inw(pm1a_cnt_port) & 1); i++) {
        }
    }
    expect("pm1a_cnt SCI_EN", inw(pm1a_cnt_port) & 1, 1);
}

/* --- tests --- */

static void pic_mask_all(void)
{
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

static void test_lapic_basics(void)
{
    uint64_t base;
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1b));
    base = (uint64_t)hi << 32 | lo;
    expect("IA32_APIC_BASE enable|bsp", lo & 0x900, 0x900);
    expect("IA32_APIC_BASE address is the MADT's", (uint32_t)(base & ~0xfffull),
           (uint32_t)lapic);
    expect("lapic version", lapic_read(LAPIC_VER), 0x50014);
    expect("lapic id", lapic_read(LAPIC_ID) >> 24, 0);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_LINT0, 0x10000 | 0x700); /* ExtINT, masked: no 8259 */
    lapic_write(LAPIC_LINT1, 0x400);           /* NMI */
    lapic_write(LAPIC_LVTE, VEC_ERROR);
    lapic_write(LAPIC_TPR, 0);
    expect("svr", lapic_read(LAPIC_SVR) & 0x1ff, 0x1ff);
    expect("lint0", lapic_read(LAPIC_LINT0), 0x10700);
    /* (ESR and illegal vectors: tests/device/test-apic.c; QEMU's APIC
     * delivers vectors below 16 instead of reporting them.) */
}

static void test_ipi_priority(void)
{
    /* Two self IPIs with interrupts off: the higher class is taken first. */
    norder = 0;
    lapic_write(LAPIC_ICR, 0x40000 | VEC_IPI_LOW);
    lapic_write(LAPIC_ICR, 0x40000 | VEC_IPI_HIGH);
    expect("irr has both", ((lapic_read(LAPIC_IRR + 0x20) & 1) << 1) |
                               (lapic_read(LAPIC_IRR + 0x30) & 1), 3);
    take_pending();
    expect("self IPIs taken", count[VEC_IPI_LOW] + count[VEC_IPI_HIGH], 2);
    expect("higher vector first", order[0], VEC_IPI_HIGH);
    expect("then the lower", order[1], VEC_IPI_LOW);
    expect("isr empty after EOIs", lapic_read(LAPIC_ISR + 0x20) | lapic_read(LAPIC_ISR + 0x30), 0);

    /* TPR above the vector's class holds it in IRR. */
    lapic_write(LAPIC_TPR, 0x50);
    lapic_write(LAPIC_ICR, 0x40000 | VEC_IPI_LOW);
    take_pending();
    expect("held by TPR 0x50", count[VEC_IPI_LOW], 1);
    expect("ppr", lapic_read(LAPIC_PPR), 0x50);
    lapic_write(LAPIC_TPR, 0x30);
    take_pending();
    expect("taken once TPR is lower", count[VEC_IPI_LOW], 2);
    lapic_write(LAPIC_TPR, 0);
    /* A fixed IPI to our own APIC ID through the destination field. */
    lapic_write(LAPIC_ICR + 0x10, 0);
    lapic_write(LAPIC_ICR, VEC_IPI_HIGH);
    take_pending();
    expect("IPI to APIC ID 0", count[VEC_IPI_HIGH], 2);
    /* An NMI to ourselves: taken even with IF clear, no EOI. */
    lapic_write(LAPIC_ICR, 0x40000 | 0x400);
    for (volatile int i = 0; i < 1000 && !count[2]; i++) {
    }
    expect("self NMI taken with IF clear", count[2], 1);
}

/* Measured length of @n timer interrupts in microseconds, or 0. */
static uint32_t lapic_timer_run(bool periodic, uint32_t initial, uint32_t n)
{
    uint32_t start, ticks;

    count[VEC_TIMER] = 0;
    lapic_write(LAPIC_TDCR, 0x3); /* divide by 16 */
    lapic_write(LAPIC_LVTT, (periodic ? 0x20000 : 0) | VEC_TIMER);
    start = pm_timer();
    lapic_write(LAPIC_TMICT, initial);
    wait_irq(VEC_TIMER, n, PM_HZ / 2);
    ticks = pm_since(start);
    lapic_write(LAPIC_TMICT, 0);
    lapic_write(LAPIC_LVTT, 0x10000);
    if (count[VEC_TIMER] < n) {
        return 0;
    }
    return pm_us(ticks);
}

/* Never early (a timer's rate or programming would be wrong); late only
 * within reason: the host may be busy, and every expiry waits for it. */
static void in_range(const char *what, uint32_t got, uint32_t want)
{
    bool good = got >= want - want / 20 && got <= want * 10;

    printf_serial("~%s: %u us (nominal %u)\n", what, got, want);
    printf_serial("%s: %s\n", what, good ? "not early, not 10x late" : "out of range (WRONG)");
    ok &= good;
}

static void test_lapic_timer(void)
{
    /* 1 GHz bus clock / 16: 625000 counts are 10 ms. */
    in_range("apic timer one-shot", lapic_timer_run(false, 625000, 1), 10000);
    expect("one-shot fired once", count[VEC_TIMER], 1);
    lapic_write(LAPIC_TDCR, 0x3);
    lapic_write(LAPIC_LVTT, 0x10000 | VEC_TIMER);
    lapic_write(LAPIC_TMICT, 0x7fffffff);
    uint32_t a = lapic_read(LAPIC_TMCCT);
    for (volatile int i = 0; i < 1000; i++) {
    }
    uint32_t b = lapic_read(LAPIC_TMCCT);
    expect("current count moves down", b < a, 1);
    lapic_write(LAPIC_TMICT, 0);
    expect("stopped: current count 0", lapic_read(LAPIC_TMCCT), 0);
    /* Periodic: five periods of 2 ms. */
    in_range("apic timer periodic x5", lapic_timer_run(true, 125000, 5), 10000);
}

static void test_ioapic_pit(void)
{
    expect("ioapic version", ioapic_read(1), 0x170020);
    expect("ioapic id", ioapic_read(0) >> 24, 0);
    expect("pit gsi", pit_gsi, 2);
    outb(0x43, 0x34);               /* channel 0, mode 2, 1 ms */
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    uint32_t start = pm_timer();
    ioapic_route(pit_gsi, VEC_PIT); /* edge, active high, fixed, physical */
    wait_irq(VEC_PIT, 20, PM_HZ / 2);
    uint32_t us = pm_us(pm_since(start));
    ioapic_route(pit_gsi, 0x10000 | VEC_PIT);
    outb(0x43, 0x30); /* mode 0: stop ticking */
    expect("pit ticks through the ioapic", count[VEC_PIT] >= 20, 1);
    in_range("20 pit ticks", us, 20000);
}

static void test_ioapic_rtc(void)
{
    uint32_t start, us;

    ioapic_route(8, VEC_RTC);
    cmos_read(0x0c);
    cmos_write(0x0a, 0x26);               /* 1024 Hz */
    cmos_write(0x0b, 0x02 | 0x40);        /* 24h, BCD, PIE */
    start = pm_timer();
    wait_irq(VEC_RTC, 32, PM_HZ / 2);
    us = pm_us(pm_since(start));
    cmos_write(0x0b, 0x02);
    expect("rtc periodic interrupts", count[VEC_RTC] >= 32, 1);
    expect("rtc periodic flag", rtc_flags & 0xc0, 0xc0);
    in_range("32 rtc periodic interrupts", us, 31250);

    /* Update-ended: one per second. */
    rtc_flags = 0;
    count[VEC_RTC] = 0;
    cmos_read(0x0c);
    cmos_write(0x0b, 0x02 | 0x10);
    wait_irq(VEC_RTC, 1, PM_HZ + PM_HZ / 4);
    cmos_write(0x0b, 0x02);
    expect("update-ended interrupt", rtc_flags & 0x90, 0x90);

    /* Alarm two seconds ahead; hours and minutes "don't care". */
    while (cmos_read(0x0a) & 0x80) {
    }
    uint8_t sec = cmos_read(0x00);
    uint8_t bin = (sec >> 4) * 10 + (sec & 0xf);
    bin = (bin + 2) % 60;
    rtc_flags = 0;
    count[VEC_RTC] = 0;
    cmos_write(0x01, (bin / 10) << 4 | (bin % 10));
    cmos_write(0x03, 0xff);
    cmos_write(0x05, 0xff);
    cmos_read(0x0c);
    cmos_write(0x0b, 0x02 | 0x20);
    wait_irq(VEC_RTC, 1, 3 * PM_HZ);
    cmos_write(0x0b, 0x02);
    expect("alarm interrupt", rtc_flags & 0xa0, 0xa0);
    ioapic_route(8, 0x10000 | VEC_RTC);
}

/* The SCI is level-triggered: remote IRR holds it until the EOI, and a
 * still-asserted line interrupts again after the EOI. */
static void test_ioapic_sci_level(void)
{
    expect("sci gsi", sci_gsi, 9);
    ioapic_route(sci_gsi, 0x8000 | VEC_SCI); /* level, active high */
    outw(pm1a_evt_port, 0x0001);
    sci_eoi_without_clear = 1;
    outw(pm1a_evt_port + 2, 0x0001);         /* TMR_EN: SCI when PM timer bit 23 flips */
    wait_irq(VEC_SCI, 2, 3 * PM_HZ);
    expect("sci delivered twice (level, EOI while asserted)", count[VEC_SCI], 2);
    expect("remote irr seen in the handler", sci_remote_irr, 1);
    expect("remote irr clear after EOI", (ioapic_read(0x10 + 2 * sci_gsi) >> 14) & 1, 0);
    ioapic_route(sci_gsi, 0x10000 | 0x8000 | VEC_SCI);
}

/* As Linux's pit_calibrate_tsc(): PIT channel 2, mode 0, gated by port
 * 0x61 bit 0, polled on bit 5 for 10 ms; the TSC must move at a sane,
 * fixed rate (duet's ticks at 1 GHz; QEMU's is the host's). */
static void test_tsc_against_pit(void)
{
    const uint32_t latch = PIT_HZ / 100;
    uint32_t lo0, hi0, lo1, hi1;
    uint64_t delta;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    __asm__ volatile("rdtsc" : "=a"(lo0), "=d"(hi0));
    while (!(inb(0x61) & 0x20)) {
    }
    __asm__ volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
    delta = ((uint64_t)hi1 << 32 | lo1) - ((uint64_t)hi0 << 32 | lo0);
    printf_serial("~tsc: %llu ticks in 10 ms of PIT\n", (unsigned long long)delta);
    expect("tsc rate between 100 MHz and 20 GHz", delta > 1000000ull && delta < 200000000ull, 1);
}

/* x2APIC mode (SDM vol.3 10.12) and TSC-deadline mode (10.5.4.1), when
 * CPUID.01H:ECX offers them (bits 21 and 24). */
static void test_x2apic_tsc_deadline(void)
{
    uint32_t eax = 1, ebx, ecx, edx;
    uint64_t t0, t1;

    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (!(ecx & (1u << 21)) || !(ecx & (1u << 24))) {
        return;
    }
    wrmsr(0x1b, rdmsr(0x1b) | 0x400);
    x2apic = true;
    expect("x2apic: IA32_APIC_BASE enable|extd|bsp", rdmsr(0x1b) & 0xd00, 0xd00);
    expect("x2apic: the MMIO window is gone", lapic[LAPIC_VER / 4] == 0x50014, 0);
    expect("x2apic: id", lapic_read(LAPIC_ID), 0);
    expect("x2apic: version", lapic_read(LAPIC_VER), 0x50014);
    expect("x2apic: logical id (cluster 0, bit 0)", (uint32_t)rdmsr(0x80d), 1);
    count[VEC_IPI_LOW] = count[VEC_IPI_HIGH] = count[2] = 0;
    test_ipi_priority();
    /* SELF IPI (83FH) and a broadcast through the 64-bit ICR */
    count[VEC_IPI_LOW] = count[VEC_IPI_HIGH] = 0;
    wrmsr(0x83f, VEC_IPI_LOW);
    wrmsr(0x830, 0xffffffffull << 32 | VEC_IPI_HIGH);
    take_pending();
    expect("x2apic: self IPI and broadcast taken",
           count[VEC_IPI_LOW] * 16 + count[VEC_IPI_HIGH], 0x11);
    test_lapic_timer();
    /* TSC-deadline mode: 10 ms of TSC ahead, measured on the PM timer. */
    count[VEC_TIMER] = 0;
    lapic_write(LAPIC_LVTT, 0x40000 | VEC_TIMER);
    expect("tsc-deadline: LVT timer mode", lapic_read(LAPIC_LVTT), 0x40000 | VEC_TIMER);
    __asm__ volatile("rdtsc" : "=A"(t0));
    uint32_t start = pm_timer();
    __asm__ volatile("rdtsc" : "=A"(t1));
    wrmsr(0x6e0, t1 + 10000000ull); /* duet's TSC is 1 GHz */
    expect("tsc-deadline: armed", rdmsr(0x6e0) == t1 + 10000000ull, 1);
    wait_irq(VEC_TIMER, 1, PM_HZ / 2);
    in_range("tsc-deadline 10 ms", pm_us(pm_since(start)), 10000);
    expect("tsc-deadline: fired once", count[VEC_TIMER], 1);
    expect("tsc-deadline: MSR reads 0 after", rdmsr(0x6e0) == 0, 1);
    wrmsr(0x6e0, t0); /* in the past: at once */
    take_pending();
    expect("tsc-deadline: a past deadline fires at once", count[VEC_TIMER], 2);
    lapic_write(LAPIC_LVTT, 0x10000);
    /* back to xAPIC for the rest: through the disabled state */
    wrmsr(0x1b, rdmsr(0x1b) & ~0xc00ull);
    wrmsr(0x1b, rdmsr(0x1b) | 0x800);
    x2apic = false;
    expect("x2apic: xAPIC again", lapic_read(LAPIC_VER), 0x50014);
    test_lapic_basics();
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    cpu_setup();
    set_idt_gate(2, irq_stub_0x02, 0);
    set_idt_gate(VEC_PIT, irq_stub_0x30, 0);
    set_idt_gate(VEC_RTC, irq_stub_0x38, 0);
    set_idt_gate(VEC_SCI, irq_stub_0x39, 0);
    set_idt_gate(VEC_IPI_LOW, irq_stub_0x40, 0);
    set_idt_gate(VEC_TIMER, irq_stub_0x50, 0);
    set_idt_gate(VEC_IPI_HIGH, irq_stub_0x60, 0);
    set_idt_gate(VEC_ERROR, irq_stub_0xfe, 0);
    set_idt_gate(VEC_SPURIOUS, irq_stub_0xff, 0);
    pic_mask_all();
    parse_acpi();
    if (!ok || !lapic || !ioapic || !pm_tmr_port || slp_typ_s5 < 0) {
        puts_serial("platform: FAIL (tables)\n");
        return GUEST_FAIL;
    }
    acpi_enable();
    test_lapic_basics();
    test_ipi_priority();
    test_lapic_timer();
    test_x2apic_tsc_deadline();
    test_tsc_against_pit();
    test_ioapic_pit();
    test_ioapic_rtc();
    test_ioapic_sci_level();
    expect("no spurious interrupts", count[VEC_SPURIOUS], 0);
    if (!ok) {
        puts_serial("platform: FAIL\n");
        return GUEST_FAIL;
    }
    puts_serial("platform: PASS, powering off through ACPI S5\n");
    outw(pm1a_cnt_port, (uint16_t)(slp_typ_s5 << 10 | 0x2000));
    for (volatile int i = 0; i < 10000000; i++) {
    }
    puts_serial("platform: still running after S5 (WRONG)\n");
    return GUEST_FAIL;
}
