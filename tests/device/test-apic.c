/*
 * Local APIC through its MMIO window, no CPU: reset state, LINT0 ExtINT
 * (the 8259 path), self IPIs and priority, TPR/PPR, EOI and its broadcast
 * for level-triggered vectors, logical destinations, ESR write-to-update,
 * the timer (one-shot, periodic, divide) against the host clock, and
 * IA32_APIC_BASE (relocation, global disable, reserved bits).
 */
#include "device-test.h"
#include "hw/intc/apic.h"

#define BASE APIC_DEFAULT_ADDRESS
#define REG(r) (BASE + (r))

static APICBus *bus;
static APICState *apic;
static IRQProbe intr, nmi;
static int pic_vector, pic_acks;
static int eoi_vector, eoi_count;

static int fake_pic_ack(void *opaque)
{
    pic_acks++;
    return pic_vector;
}

static void eoi_handler(void *opaque, int vector)
{
    eoi_vector = vector;
    eoi_count++;
}

static void setup(void)
{
    irq_probe_init(&intr);
    irq_probe_init(&nmi);
    bus = apic_bus_new(get_system_memory());
    apic = apic_new(bus, 0, NULL, intr.irq, nmi.irq);
    apic_set_extint_handler(apic, fake_pic_ack, NULL);
    apic_bus_set_eoi_handler(bus, eoi_handler, NULL);
    pic_acks = eoi_count = 0;
    eoi_vector = -1;
}

static void teardown(void)
{
    apic_bus_free(bus);
    qemu_free_irq(intr.irq);
    qemu_free_irq(nmi.irq);
}

static void sw_enable(void)
{
    writel(REG(0xf0), 0x1ff);
    writel(REG(0x350), 0x10000); /* LINT0 masked: no ExtINT */
}

static bool irr_bit(int v)
{
    return readl(REG(0x200 + (v / 32) * 0x10)) & (1u << (v % 32));
}

static bool isr_bit(int v)
{
    return readl(REG(0x100 + (v / 32) * 0x10)) & (1u << (v % 32));
}

static void self_ipi(int vector)
{
    writel(REG(0x300), 0x40000 | vector);
}

START_TEST(test_reset_state)
{
    ck_assert_uint_eq(readl(REG(0x30)), 0x50014);
    ck_assert_uint_eq(readl(REG(0x20)), 0);
    ck_assert_uint_eq(readl(REG(0xf0)), 0xff);
    ck_assert_uint_eq(readl(REG(0xe0)), 0xffffffff);
    ck_assert_uint_eq(readl(REG(0x80)), 0);
    ck_assert_uint_eq(readl(REG(0x320)), 0x10000);
    ck_assert_uint_eq(readl(REG(0x350)), 0x700); /* BSP: LINT0 ExtINT */
    ck_assert_uint_eq(readl(REG(0x360)), 0x10000);
    ck_assert_uint_eq(readl(REG(0x370)), 0x10000);
    ck_assert_uint_eq(apic_get_base(apic), BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP);
    /* byte reads see the dword's bytes */
    ck_assert_uint_eq(address_space_ldub(&address_space_memory, REG(0x32), MEMTXATTRS_UNSPECIFIED,
                                         NULL), 0x05);
}
END_TEST

/* Software disabled after reset, the 8259 still reaches the CPU. */
START_TEST(test_lint0_extint)
{
    pic_vector = 0x21;
    qemu_set_irq(apic_get_lint(apic, 0), 1);
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x21);
    ck_assert_int_eq(pic_acks, 1);
    writel(REG(0xf0), 0x1ff);
    writel(REG(0x350), 0x10700); /* masked */
    ck_assert_int_eq(intr.level, 0);
    ck_assert_int_eq(apic_get_interrupt(apic), -1);
    writel(REG(0x350), 0x700);
    ck_assert_int_eq(intr.level, 1);
    qemu_set_irq(apic_get_lint(apic, 0), 0);
    ck_assert_int_eq(intr.level, 0);
    /* Globally disabled: INTR is the pin, whatever the LVT says. */
    writel(REG(0x350), 0x10700);
    ck_assert(apic_set_base(apic, BASE | MSR_APICBASE_BSP));
    qemu_set_irq(apic_get_lint(apic, 0), 1);
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x21);
    /* and LINT1 is the NMI pin */
    qemu_irq_pulse(apic_get_lint(apic, 1));
    ck_assert_int_eq(nmi.raises, 1);
}
END_TEST

START_TEST(test_self_ipi_priority)
{
    sw_enable();
    self_ipi(0x40);
    self_ipi(0x60);
    ck_assert(irr_bit(0x40) && irr_bit(0x60));
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x60);
    ck_assert(isr_bit(0x60) && !irr_bit(0x60));
    ck_assert_uint_eq(readl(REG(0xa0)), 0x60); /* PPR = ISRV class */
    ck_assert_int_eq(intr.level, 0);           /* 0x40 is below PPR */
    writel(REG(0xb0), 0);                      /* EOI */
    ck_assert(!isr_bit(0x60));
    ck_assert_int_eq(eoi_count, 0);            /* edge: no broadcast */
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x40);
    writel(REG(0xb0), 0);
    ck_assert_int_eq(intr.level, 0);
    ck_assert_int_eq(apic_get_interrupt(apic), -1);

    /* A higher class nests inside a lower one in service. */
    self_ipi(0x41);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x41);
    self_ipi(0x42); /* same class: waits */
    ck_assert_int_eq(intr.level, 0);
    self_ipi(0x51);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x51);
    writel(REG(0xb0), 0); /* EOIs 0x51, the highest in service */
    ck_assert(isr_bit(0x41) && !isr_bit(0x51));
    writel(REG(0xb0), 0);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x42);
    writel(REG(0xb0), 0);
}
END_TEST

START_TEST(test_tpr)
{
    sw_enable();
    writel(REG(0x80), 0x50);
    self_ipi(0x45);
    ck_assert_int_eq(intr.level, 0);
    ck_assert_uint_eq(readl(REG(0xa0)), 0x50);
    writel(REG(0x80), 0x40); /* same class: still held */
    ck_assert_int_eq(intr.level, 0);
    apic_set_tpr(apic, 3); /* CR8 = 3: TPR 0x30 */
    ck_assert_uint_eq(readl(REG(0x80)), 0x30);
    ck_assert_int_eq(apic_get_tpr(apic), 3);
    ck_assert_int_eq(intr.level, 1);
    /* TPR raised between INTR and INTA: the spurious vector */
    writel(REG(0x80), 0xf0);
    ck_assert_int_eq(apic_get_interrupt(apic), 0xff);
    ck_assert(irr_bit(0x45) && !isr_bit(0x45));
}
END_TEST

START_TEST(test_level_eoi_broadcast)
{
    sw_enable();
    apic_bus_deliver(bus, 0, false, APIC_DM_FIXED, 0x70, true);
    ck_assert(readl(REG(0x180 + 3 * 0x10)) & (1u << 16)); /* TMR bit 0x70 */
    ck_assert_int_eq(apic_get_interrupt(apic), 0x70);
    writel(REG(0xb0), 0);
    ck_assert_int_eq(eoi_count, 1);
    ck_assert_int_eq(eoi_vector, 0x70);
    /* not for us: physical destination 3 */
    apic_bus_deliver(bus, 3, false, APIC_DM_FIXED, 0x71, false);
    ck_assert(!irr_bit(0x71));
    /* broadcast */
    apic_bus_deliver(bus, 0xff, false, APIC_DM_FIXED, 0x72, false);
    ck_assert(irr_bit(0x72));
    /* NMI message */
    apic_bus_deliver(bus, 0, false, APIC_DM_NMI, 0, false);
    ck_assert_int_eq(nmi.raises, 1);
}
END_TEST

START_TEST(test_logical_destination)
{
    sw_enable();
    writel(REG(0xd0), 0x02000000); /* logical ID bit 1 */
    writel(REG(0xe0), 0xffffffff); /* flat */
    apic_bus_deliver(bus, 0x01, true, APIC_DM_FIXED, 0x50, false);
    ck_assert(!irr_bit(0x50));
    apic_bus_deliver(bus, 0x03, true, APIC_DM_FIXED, 0x50, false);
    ck_assert(irr_bit(0x50));
    writel(REG(0xe0), 0x0fffffff); /* cluster: cluster 0, member bit 1 */
    ck_assert_uint_eq(readl(REG(0xe0)), 0x0fffffff);
    apic_bus_deliver(bus, 0x12, true, APIC_DM_FIXED, 0x51, false);
    ck_assert(!irr_bit(0x51));
    apic_bus_deliver(bus, 0x02, true, APIC_DM_LOWPRI, 0x51, false);
    ck_assert(irr_bit(0x51));
    /* an IPI through the destination field, logical */
    writel(REG(0x310), 0x02000000);
    writel(REG(0x300), 0x800 | 0x52);
    ck_assert(irr_bit(0x52));
}
END_TEST

START_TEST(test_esr_and_illegal_vectors)
{
    sw_enable();
    writel(REG(0x370), 0xfe); /* LVT error, unmasked */
    self_ipi(0x05);
    ck_assert_uint_eq(readl(REG(0x280)), 0); /* not visible before the write */
    writel(REG(0x280), 0);
    ck_assert_uint_eq(readl(REG(0x280)), 0x20); /* send illegal vector */
    ck_assert(irr_bit(0xfe));                   /* the error interrupt */
    writel(REG(0x280), 0);
    ck_assert_uint_eq(readl(REG(0x280)), 0);
    /* an LVT with a vector below 16: receive illegal vector */
    writel(REG(0x360), 0x0008); /* LINT1 fixed, vector 8 */
    qemu_irq_pulse(apic_get_lint(apic, 1));
    writel(REG(0x280), 0);
    ck_assert_uint_eq(readl(REG(0x280)), 0x40);
    ck_assert(!irr_bit(8));
}
END_TEST

START_TEST(test_software_disable)
{
    sw_enable();
    writel(REG(0x320), 0x40);
    writel(REG(0xf0), 0xff); /* disabled: every LVT masked */
    ck_assert_uint_eq(readl(REG(0x320)), 0x10040);
    writel(REG(0x320), 0x40); /* and stays masked */
    ck_assert_uint_eq(readl(REG(0x320)), 0x10040);
    self_ipi(0x40); /* fixed interrupts are dropped */
    ck_assert(!irr_bit(0x40));
}
END_TEST

/* Waits for INTR to rise and takes the interrupt; the host time in us. */
static int64_t wait_timer_irq(int vector)
{
    int64_t start = g_get_monotonic_time();
    int raises = intr.raises;

    while (intr.raises == raises && g_get_monotonic_time() - start < 2000000) {
        aio_poll(qemu_get_aio_context(), false);
        g_usleep(50);
    }
    ck_assert_int_gt(intr.raises, raises);
    ck_assert_int_eq(apic_get_interrupt(apic), vector);
    writel(REG(0xb0), 0);
    return g_get_monotonic_time() - start;
}

START_TEST(test_timer_one_shot)
{
    int64_t us;

    sw_enable();
    writel(REG(0x3e0), 0xb);             /* divide by 1 */
    writel(REG(0x320), 0x50);            /* one-shot, vector 0x50 */
    writel(REG(0x380), 20 * 1000 * 1000); /* 20 ms at 1 GHz */
    ck_assert_uint_le(readl(REG(0x390)), 20 * 1000 * 1000);
    ck_assert_uint_gt(readl(REG(0x390)), 0);
    us = wait_timer_irq(0x50);
    ck_assert_int_ge(us, 19000);
    ck_assert_int_lt(us, 200000);
    ck_assert_uint_eq(readl(REG(0x390)), 0);
    /* no second expiry */
    g_usleep(30000);
    aio_poll(qemu_get_aio_context(), false);
    ck_assert(!irr_bit(0x50));
}
END_TEST

START_TEST(test_timer_periodic_divide)
{
    int64_t start, us;

    sw_enable();
    writel(REG(0x3e0), 0x3);             /* divide by 16 */
    ck_assert_uint_eq(readl(REG(0x3e0)), 0x3);
    writel(REG(0x320), 0x20000 | 0x51);  /* periodic */
    start = g_get_monotonic_time();
    writel(REG(0x380), 312500);          /* 5 ms */
    for (int i = 0; i < 10; i++) {
        wait_timer_irq(0x51);
    }
    us = g_get_monotonic_time() - start;
    ck_assert_int_ge(us, 47500);
    ck_assert_int_lt(us, 500000);
    /* the count reloads: still running, below the initial count */
    ck_assert_uint_gt(readl(REG(0x390)), 0);
    ck_assert_uint_le(readl(REG(0x390)), 312500);
    /* masked: counts on, no interrupts */
    writel(REG(0x320), 0x30000 | 0x51);
    g_usleep(12000);
    aio_poll(qemu_get_aio_context(), false);
    ck_assert(!irr_bit(0x51));
    writel(REG(0x380), 0); /* stopped */
    ck_assert_uint_eq(readl(REG(0x390)), 0);
}
END_TEST

START_TEST(test_apic_base_msr)
{
    ck_assert(!apic_set_base(apic, BASE | MSR_APICBASE_ENABLE));        /* BSP is read-only */
    ck_assert(!apic_set_base(apic, BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP |
                                   MSR_APICBASE_EXTD));                  /* no x2APIC */
    ck_assert(!apic_set_base(apic, (1ull << 40) | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP));
    ck_assert(apic_set_base(apic, 0xfed00000 | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP));
    ck_assert_uint_eq(readl(0xfed00030), 0x50014);
    ck_assert_uint_ne(readl(REG(0x30)), 0x50014); /* nothing there now */
    ck_assert(apic_set_base(apic, BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP));
    ck_assert_uint_eq(readl(REG(0x30)), 0x50014);
    /* globally disabled: the window is gone, re-enabling finds it software disabled */
    writel(REG(0xf0), 0x1ff);
    ck_assert(apic_set_base(apic, BASE | MSR_APICBASE_BSP));
    ck_assert_uint_ne(readl(REG(0x30)), 0x50014);
    ck_assert(apic_set_base(apic, BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP));
    ck_assert_uint_eq(readl(REG(0xf0)) & 0x100, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("apic");
    TCase *tc = tcase_create("apic");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_lint0_extint);
    tcase_add_test(tc, test_self_ipi_priority);
    tcase_add_test(tc, test_tpr);
    tcase_add_test(tc, test_level_eoi_broadcast);
    tcase_add_test(tc, test_logical_destination);
    tcase_add_test(tc, test_esr_and_illegal_vectors);
    tcase_add_test(tc, test_software_disable);
    tcase_add_test(tc, test_timer_one_shot);
    tcase_add_test(tc, test_timer_periodic_divide);
    tcase_add_test(tc, test_apic_base_msr);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
