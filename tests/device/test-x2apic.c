/*
 * Local APIC in x2APIC mode and the TSC-deadline timer, no CPU running:
 * two APICs whose vCPUs' CPUID offers x2apic and tsc-deadline (SDM vol.3
 * 10.12 and 10.5.4.1): the IA32_APIC_BASE mode transitions of figure
 * 10-27, the MSR interface of table 10-6 (IDs, read-only, write-only and
 * xAPIC-only registers, 32-bit widths), the 64-bit ICR with physical,
 * logical-cluster and broadcast destinations, SELF IPI, and TSC-deadline
 * mode against the host clock.
 */
#include "device-test.h"
#include "hw/intc/apic.h"

#define BASE APIC_DEFAULT_ADDRESS
#define EN MSR_APICBASE_ENABLE
#define BSP MSR_APICBASE_BSP
#define EXTD MSR_APICBASE_EXTD

/* x2APIC MSRs (table 10-6) */
#define X_ID 0x802
#define X_VER 0x803
#define X_TPR 0x808
#define X_APR 0x809
#define X_PPR 0x80a
#define X_EOI 0x80b
#define X_LDR 0x80d
#define X_DFR 0x80e
#define X_SVR 0x80f
#define X_ISR0 0x810
#define X_IRR0 0x820
#define X_ESR 0x828
#define X_ICR 0x830
#define X_ICR2 0x831
#define X_LVTT 0x832
#define X_LINT0 0x835
#define X_TMICT 0x838
#define X_TMCCT 0x839
#define X_TDCR 0x83e
#define X_SELF_IPI 0x83f

static APICBus *bus;
static APICState *apic, *other;
static CPUState cpu0, cpu1;
static IRQProbe intr, intr1, nmi;

static void setup(void)
{
    irq_probe_init(&intr);
    irq_probe_init(&intr1);
    irq_probe_init(&nmi);
    memset(&cpu0, 0, sizeof(cpu0));
    memset(&cpu1, 0, sizeof(cpu1));
    cpu0.cpuid.features[FEAT_1_ECX] = CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE;
    cpu1.cpuid.features[FEAT_1_ECX] = CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE;
    cpu1.cpu_index = 1;
    bus = apic_bus_new(get_system_memory());
    /* ID 0x25: cluster 2, bit 5 in the logical ID */
    apic = apic_new(bus, 0x25, &cpu0, intr.irq, nmi.irq);
    other = apic_new(bus, 0x03, &cpu1, intr1.irq, nmi.irq);
}

static void teardown(void)
{
    apic_bus_free(bus);
    qemu_free_irq(intr.irq);
    qemu_free_irq(intr1.irq);
    qemu_free_irq(nmi.irq);
}

static uint64_t rd(APICState *s, uint32_t msr)
{
    uint64_t v = 0xdead;

    ck_assert_msg(apic_msr_read(s, msr, &v), "rdmsr 0x%x", msr);
    return v;
}

static void wr(APICState *s, uint32_t msr, uint64_t v)
{
    ck_assert_msg(apic_msr_write(s, msr, v), "wrmsr 0x%x", msr);
}

static void to_x2apic(APICState *s, uint64_t bsp)
{
    ck_assert(apic_set_base(s, BASE | EN | bsp | EXTD));
    wr(s, X_SVR, 0x1ff);
    wr(s, X_LINT0, 0x10000);
}

static bool irr_bit(APICState *s, int v)
{
    return rd(s, X_IRR0 + v / 32) & (1u << (v % 32));
}

START_TEST(test_mode_transitions)
{
    uint64_t v;

    /* xAPIC at reset: the MSRs #GP, the window answers */
    ck_assert(!apic_msr_read(apic, X_ID, &v));
    ck_assert_uint_eq(readl(BASE + 0x30), APIC_VERSION_REG);
    /* EXTD without EN is invalid; disabled -> x2APIC directly too */
    ck_assert(!apic_set_base(apic, BASE | BSP | EXTD));
    ck_assert(apic_set_base(apic, BASE | BSP));
    ck_assert(!apic_set_base(apic, BASE | BSP | EN | EXTD));
    ck_assert(apic_set_base(apic, BASE | BSP | EN));
    ck_assert(apic_set_base(apic, BASE | BSP | EN | EXTD));
    ck_assert_uint_eq(apic_get_base(apic), BASE | BSP | EN | EXTD);
    /* the MMIO interface is gone */
    ck_assert_uint_ne(readl(BASE + 0x30), APIC_VERSION_REG);
    ck_assert_uint_eq(rd(apic, X_VER), APIC_VERSION_REG);
    ck_assert_uint_eq(rd(apic, X_ID), 0x25);
    ck_assert_uint_eq(rd(apic, X_LDR), (2u << 16) | (1u << 5));
    /* x2APIC -> xAPIC is invalid; leaving is by disabling */
    ck_assert(!apic_set_base(apic, BASE | BSP | EN));
    ck_assert(apic_set_base(apic, BASE | BSP));
    ck_assert(!apic_msr_read(apic, X_ID, &v));
    ck_assert(apic_set_base(apic, BASE | BSP | EN));
    ck_assert_uint_eq(readl(BASE + 0x30), APIC_VERSION_REG);
}
END_TEST

START_TEST(test_msr_interface)
{
    uint64_t v;

    to_x2apic(apic, BSP);
    wr(apic, X_TPR, 0x40);
    ck_assert_uint_eq(rd(apic, X_TPR), 0x40);
    ck_assert_uint_eq(rd(apic, X_PPR), 0x40);
    wr(apic, X_TPR, 0);
    ck_assert_uint_eq(rd(apic, X_SVR), 0x1ff);
    wr(apic, X_TDCR, 0xb);
    ck_assert_uint_eq(rd(apic, X_TDCR), 0xb);
    /* write-only, xAPIC-only and reserved registers #GP on read */
    ck_assert(!apic_msr_read(apic, X_EOI, &v));
    ck_assert(!apic_msr_read(apic, X_SELF_IPI, &v));
    ck_assert(!apic_msr_read(apic, X_APR, &v));
    ck_assert(!apic_msr_read(apic, X_DFR, &v));
    ck_assert(!apic_msr_read(apic, X_ICR2, &v));
    ck_assert(!apic_msr_read(apic, 0x8ff, &v));
    /* read-only registers and reserved values #GP on write */
    ck_assert(!apic_msr_write(apic, X_ID, 1));
    ck_assert(!apic_msr_write(apic, X_LDR, 1));
    ck_assert(!apic_msr_write(apic, X_PPR, 0));
    ck_assert(!apic_msr_write(apic, X_TMCCT, 0));
    ck_assert(!apic_msr_write(apic, X_DFR, 0));
    ck_assert(!apic_msr_write(apic, X_EOI, 1));     /* EOI and ESR take 0 only */
    ck_assert(!apic_msr_write(apic, X_ESR, 1));
    ck_assert(!apic_msr_write(apic, X_TPR, 1ull << 32));
    ck_assert(!apic_msr_write(apic, X_SELF_IPI, 0x100));
    ck_assert(!apic_msr_write(apic, 0x7ff, 0));
    /* SELF IPI: fixed, edge, to this APIC only */
    wr(apic, X_SELF_IPI, 0x61);
    ck_assert(irr_bit(apic, 0x61));
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x61);
    ck_assert(rd(apic, X_ISR0 + 3) & (1u << 1));
    wr(apic, X_EOI, 0);
    ck_assert_int_eq(intr.level, 0);
    /* a vector below 16: send-illegal-vector in ESR after the write-to-update */
    wr(apic, X_SELF_IPI, 0x05);
    wr(apic, X_ESR, 0);
    ck_assert_uint_eq(rd(apic, X_ESR), 1u << 5);
}
END_TEST

START_TEST(test_icr_destinations)
{
    to_x2apic(apic, BSP);
    to_x2apic(other, 0);
    /* physical: the 32-bit destination is the x2APIC ID */
    wr(apic, X_ICR, (3ull << 32) | 0x70);
    ck_assert(irr_bit(other, 0x70));
    ck_assert(!irr_bit(apic, 0x70));
    ck_assert_uint_eq(rd(apic, X_ICR), (3ull << 32) | 0x70);
    /* 0x25 in xAPIC's 8-bit field would be 0x25 << 24: not a match */
    wr(apic, X_ICR, (0x03ull << 56) | 0x71);
    ck_assert(!irr_bit(other, 0x71));
    /* logical: cluster 0 bit 3 is ID 3; cluster 2 bit 5 is ID 0x25 */
    wr(other, X_ICR, (((2ull << 16) | (1u << 5)) << 32) | (1u << 11) | 0x72);
    ck_assert(irr_bit(apic, 0x72));
    ck_assert(!irr_bit(other, 0x72));
    wr(apic, X_ICR, (((0ull << 16) | (1u << 3)) << 32) | (1u << 11) | 0x73);
    ck_assert(irr_bit(other, 0x73));
    /* broadcast 0xffffffff, and the all-excluding-self shorthand */
    wr(apic, X_ICR, (0xffffffffull << 32) | 0x74);
    ck_assert(irr_bit(apic, 0x74) && irr_bit(other, 0x74));
    wr(other, X_ICR, (3u << 18) | 0x75);
    ck_assert(irr_bit(apic, 0x75) && !irr_bit(other, 0x75));
    /* the IOAPIC's 8-bit messages: 0xff is still every APIC */
    apic_bus_deliver(bus, 0xff, false, APIC_DM_FIXED, 0x76, false);
    ck_assert(irr_bit(apic, 0x76) && irr_bit(other, 0x76));
    apic_bus_deliver(bus, 0x25, false, APIC_DM_FIXED, 0x77, false);
    ck_assert(irr_bit(apic, 0x77) && !irr_bit(other, 0x77));
}
END_TEST

/* Waits for INTR to rise; the host time in us. */
static int64_t wait_irq(APICState *s, IRQProbe *p, int vector)
{
    int64_t start = g_get_monotonic_time();
    int raises = p->raises;

    while (p->raises == raises && g_get_monotonic_time() - start < 2000000) {
        aio_poll(qemu_get_aio_context(), false);
        g_usleep(50);
    }
    ck_assert_int_gt(p->raises, raises);
    ck_assert_int_eq(apic_get_interrupt(s), vector);
    wr(s, X_EOI, 0);
    return g_get_monotonic_time() - start;
}

START_TEST(test_tsc_deadline)
{
    int64_t now, us;

    to_x2apic(apic, BSP);
    /* not in TSC-deadline mode: the MSR reads 0 and a write is ignored */
    apic_set_tsc_deadline(apic, 1234, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    ck_assert_uint_eq(apic_get_tsc_deadline(apic), 0);
    wr(apic, X_LVTT, 0x40000 | 0x58);
    ck_assert_uint_eq(rd(apic, X_LVTT), 0x40058);
    /* the count registers are unused */
    wr(apic, X_TMICT, 1000);
    ck_assert_uint_eq(rd(apic, X_TMICT), 0);
    ck_assert_uint_eq(rd(apic, X_TMCCT), 0);
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    apic_set_tsc_deadline(apic, 0x123456789ull, now + 20 * 1000 * 1000);
    ck_assert_uint_eq(apic_get_tsc_deadline(apic), 0x123456789ull);
    us = wait_irq(apic, &intr, 0x58);
    ck_assert_int_ge(us, 19000);
    ck_assert_int_lt(us, 200000);
    ck_assert_uint_eq(apic_get_tsc_deadline(apic), 0);  /* fired: reads 0 */
    /* re-armed, then disarmed by writing 0 */
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    apic_set_tsc_deadline(apic, 99, now + 5 * 1000 * 1000);
    apic_set_tsc_deadline(apic, 0, now);
    g_usleep(10000);
    aio_poll(qemu_get_aio_context(), false);
    ck_assert(!irr_bit(apic, 0x58));
    /* a change of mode disarms it */
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    apic_set_tsc_deadline(apic, 99, now + 5 * 1000 * 1000);
    wr(apic, X_LVTT, 0x58);
    ck_assert_uint_eq(apic_get_tsc_deadline(apic), 0);
    g_usleep(10000);
    aio_poll(qemu_get_aio_context(), false);
    ck_assert(!irr_bit(apic, 0x58));
    /* a deadline already passed is pending at once */
    wr(apic, X_LVTT, 0x40000 | 0x59);
    apic_set_tsc_deadline(apic, 1, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - 1);
    ck_assert(irr_bit(apic, 0x59));
    ck_assert_uint_eq(apic_get_tsc_deadline(apic), 0);
}
END_TEST

/* A vCPU whose CPUID lacks both: EXTD is reserved, the mode bit stays 0. */
START_TEST(test_not_offered)
{
    uint64_t v;

    cpu1.cpuid.features[FEAT_1_ECX] = 0;
    ck_assert(!apic_set_base(other, BASE | EN | EXTD));
    ck_assert(!apic_msr_read(other, X_ID, &v));
    /* the window is the BSP's (apic), in xAPIC mode since reset */
    cpu0.cpuid.features[FEAT_1_ECX] = 0;
    writel(BASE + 0xf0, 0x1ff);
    writel(BASE + 0x320, 0x40000 | 0x58);
    ck_assert_uint_eq(readl(BASE + 0x320), 0x58);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("x2apic");
    TCase *tc = tcase_create("x2apic");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_mode_transitions);
    tcase_add_test(tc, test_msr_interface);
    tcase_add_test(tc, test_icr_destinations);
    tcase_add_test(tc, test_tsc_deadline);
    tcase_add_test(tc, test_not_offered);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
