/*
 * HPET through the memory API with no CPU: the registers as QEMU 7.2's pc
 * shows them (read over its qtest port), the main counter's rate against
 * the host clock, one-shot and periodic interrupts, level-triggered status,
 * 32-bit mode, legacy replacement (timer 0 on IRQ0, timer 1 on IRQ8, the
 * PIT and RTC cut off) and accesses the device refuses.
 */
#include "device-test.h"
#include "hw/timer/hpet.h"

#define B HPET_BASE

static HPETState *hpet;
static IRQProbe line[HPET_NUM_IRQ_ROUTES];

static void writeq(hwaddr addr, uint64_t val)
{
    address_space_stq(&address_space_memory, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

static uint64_t readq(hwaddr addr)
{
    return address_space_ldq(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

static void setup(void)
{
    qemu_irq irqs[HPET_NUM_IRQ_ROUTES];

    for (int i = 0; i < HPET_NUM_IRQ_ROUTES; i++) {
        irq_probe_init(&line[i]);
        irqs[i] = line[i].irq;
    }
    hpet = hpet_init(get_system_memory(), B, irqs);
}

static void teardown(void)
{
    hpet_destroy(hpet);
    for (int i = 0; i < HPET_NUM_IRQ_ROUTES; i++) {
        qemu_free_irq(line[i].irq);
    }
}

START_TEST(test_registers_at_reset)
{
    ck_assert_uint_eq(readq(B), 0x009896808086a201ull); /* 10 ns, 3 timers, legacy, 64-bit */
    ck_assert_uint_eq(readl(B + 4), 0x00989680);
    ck_assert_uint_eq(readq(B + 0x10), 0);
    ck_assert_uint_eq(readq(B + 0x20), 0);
    ck_assert_uint_eq(readq(B + 0xf0), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(readq(B + 0x100 + 0x20 * i), 0x0000000400000030ull);
        ck_assert_uint_eq(readq(B + 0x108 + 0x20 * i), ~0ull);
    }
    ck_assert_uint_eq(readq(B + 0x160), 0); /* no fourth timer */
    /* QEMU accepts 4- and 8-byte accesses only */
    ck_assert_uint_eq(address_space_ldub(&address_space_memory, B, MEMTXATTRS_UNSPECIFIED,
                                         NULL), 0);
    ck_assert_uint_eq(address_space_lduw(&address_space_memory, B + 2, MEMTXATTRS_UNSPECIFIED,
                                         NULL), 0);
    address_space_stb(&address_space_memory, B + 0x10, 1, MEMTXATTRS_UNSPECIFIED, NULL);
    ck_assert_uint_eq(readq(B + 0x10), 0);
    /* read-only: the ID */
    writeq(B, 0);
    ck_assert_uint_eq(readq(B), 0x009896808086a201ull);
    /* configuration: ENABLE and LEG_RT only */
    writeq(B + 0x10, 0xffffffff);
    ck_assert_uint_eq(readq(B + 0x10), 3);
    writeq(B + 0x10, 0);
    /* timer configuration: the writable bits (no FSB: bit 14 stays 0) */
    writeq(B + 0x100, ~0ull);
    ck_assert_uint_eq(readq(B + 0x100), 0x0000000400003f7eull);
    /* 32-bit mode: the comparator reads as 32 bits */
    ck_assert_uint_eq(readq(B + 0x108), 0xffffffffull);
}
END_TEST

START_TEST(test_counter)
{
    uint64_t c0, c1;
    double rate;

    writeq(B + 0xf0, 0x123456789ull);  /* halted: writable */
    ck_assert_uint_eq(readq(B + 0xf0), 0x123456789ull);
    g_usleep(10000);
    ck_assert_uint_eq(readq(B + 0xf0), 0x123456789ull); /* does not run while halted */
    writel(B + 0xf4, 0);                   /* the high half alone */
    ck_assert_uint_eq(readq(B + 0xf0), 0x23456789ull);
    writeq(B + 0xf0, 0);
    writeq(B + 0x10, 1);
    /* Each read bracketed by host times: the rate lies between the two
     * bounds however long the host kept us off the CPU. */
    {
        int64_t a0 = g_get_monotonic_time(), b0, a1, b1;
        double lo, hi;

        c0 = readq(B + 0xf0);
        b0 = g_get_monotonic_time();
        g_usleep(200000);
        a1 = g_get_monotonic_time();
        c1 = readq(B + 0xf0);
        b1 = g_get_monotonic_time();
        lo = (double)(c1 - c0) * 1e6 / (double)(b1 - a0);
        hi = (double)(c1 - c0) * 1e6 / (double)(a1 - b0);
        rate = (double)(c1 - c0) * 1e6 / ((double)(a1 + b1 - a0 - b0) / 2);
        ck_assert_msg(lo < 100e6 * 1.01 && hi > 100e6 * 0.99,
                      "HPET counter between %.0f and %.0f Hz", lo, hi);
    }
    printf("HPET main counter: %.0f Hz (period 10 ns)\n", rate);
    /* writes while running are ignored */
    writeq(B + 0xf0, 5);
    ck_assert_uint_gt(readq(B + 0xf0), c1);
    /* halting freezes it where it was */
    writeq(B + 0x10, 0);
    c0 = readq(B + 0xf0);
    g_usleep(5000);
    ck_assert_uint_eq(readq(B + 0xf0), c0);
    /* a 32-bit read of the low half */
    ck_assert_uint_eq(readl(B + 0xf0), (uint32_t)c0);
}
END_TEST

/* Timer 2, one-shot, level-triggered on IOAPIC pin 2 (the route QEMU offers). */
START_TEST(test_oneshot_level)
{
    writeq(B + 0x140, 0x2 | 0x4 | 2 << 9);
    writeq(B + 0x148, 100000);             /* 1 ms */
    writeq(B + 0x10, 1);
    ck_assert(device_test_wait(&line[2].level, 2000));
    ck_assert_uint_eq(readq(B + 0x20), 1u << 2);
    ck_assert_uint_ge(readq(B + 0xf0), 100000);
    g_usleep(5000);
    ck_assert_int_eq(line[2].raises, 1);   /* one-shot: once */
    ck_assert_int_eq(line[2].level, 1);    /* level: held until cleared */
    writeq(B + 0x20, 1u << 2);             /* write 1 to clear */
    ck_assert_int_eq(line[2].level, 0);
    ck_assert_uint_eq(readq(B + 0x20), 0);
    /* an unsupported route (pin 5) gives no interrupt; status is still set */
    writeq(B + 0x140, 0x2 | 0x4 | 5 << 9);
    writeq(B + 0x148, readq(B + 0xf0) + 100000);
    for (int i = 0; i < 200 && !readq(B + 0x20); i++) {
        device_test_wait(&line[5].level, 10);
    }
    ck_assert_uint_eq(readq(B + 0x20), 1u << 2);
    ck_assert_int_eq(line[5].raises, 0);
    ck_assert_int_eq(line[2].raises, 1);
    writeq(B + 0x20, 1u << 2);
    /* status without the interrupt enabled (2.3.9.2.3) */
    writeq(B + 0x140, 0x2 | 2 << 9);
    writeq(B + 0x148, readq(B + 0xf0) + 100000);
    for (int i = 0; i < 200 && !readq(B + 0x20); i++) {
        device_test_wait(&line[5].level, 10);
    }
    ck_assert_uint_eq(readq(B + 0x20), 1u << 2);
    ck_assert_int_eq(line[2].level, 0);
    writeq(B + 0x140, 0x2 | 0x4 | 2 << 9);  /* enabling raises the pending level */
    ck_assert_int_eq(line[2].level, 1);
}
END_TEST

/* Timer 0, periodic, edge, legacy route (IRQ0), 32-bit as Linux sets it. */
START_TEST(test_periodic_legacy)
{
    IRQProbe *irq0 = &line[0];
    int raises;

    writeq(B + 0x10, 2);                                 /* legacy route, halted */
    writeq(B + 0x100, 0x4 | 0x8 | 0x40 | 0x100);         /* enable, periodic, VAL_SET, 32-bit */
    writel(B + 0x108, 100000);                           /* first match at 1 ms */
    writel(B + 0x108, 100000);                           /* then every 1 ms */
    ck_assert_uint_eq(readq(B + 0x100) & 0x40, 0);       /* VAL_SET clears itself */
    ck_assert_uint_eq(readq(B + 0x108), 100000);
    writeq(B + 0x10, 3);
    g_usleep(1000);
    {
        int64_t end = g_get_monotonic_time() + 200000;
        while (g_get_monotonic_time() < end) {
            aio_poll(qemu_get_aio_context(), false);
            g_usleep(50);
        }
    }
    raises = irq0->raises;
    printf("HPET periodic 1 ms: %d interrupts in 200 ms\n", raises);
    /* Periods missed while the host was busy coalesce, so a loaded host
     * sees fewer: more than a few, never more than the periods elapsed. */
    ck_assert_int_ge(raises, 20);
    ck_assert_int_le(raises, 205);
    /* the comparator moves in whole periods and stays at most one ahead */
    ck_assert_uint_eq(readl(B + 0x108) % 100000, 0);
    ck_assert_uint_le(readl(B + 0x108), readl(B + 0xf0) + 100000);
    ck_assert_int_eq(irq0->level, 0);              /* edge: pulses */
    ck_assert_uint_eq(readq(B + 0x20), 0);         /* no status for edge timers */
    ck_assert_int_eq(line[2].raises, 0);           /* not on pin 2 in legacy mode */
    ck_assert_uint_gt(readq(B + 0x108), 100000);   /* the comparator moved on */
}
END_TEST

/* Legacy replacement takes IRQ0 and IRQ8 from the PIT and the RTC. */
START_TEST(test_legacy_gating)
{
    qemu_irq pit = hpet_get_legacy_in(hpet, 0), rtc = hpet_get_legacy_in(hpet, 1);

    qemu_irq_raise(pit);
    ck_assert_int_eq(line[0].level, 1);
    qemu_irq_raise(rtc);
    ck_assert_int_eq(line[8].level, 1);
    writeq(B + 0x10, 2);
    ck_assert_int_eq(line[0].level, 0);
    ck_assert_int_eq(line[8].level, 0);
    qemu_irq_lower(pit);
    qemu_irq_raise(pit);
    ck_assert_int_eq(line[0].raises, 1);
    writeq(B + 0x10, 0);
    ck_assert_int_eq(line[0].level, 1);            /* back to the PIT's level */
    ck_assert_int_eq(line[8].level, 1);
    qemu_irq_lower(pit);
    qemu_irq_lower(rtc);
    ck_assert_int_eq(line[0].level, 0);
}
END_TEST

/* Timer 1 in legacy mode is IRQ8; a level timer holds it. */
START_TEST(test_timer1_irq8_level)
{
    writeq(B + 0x10, 2);
    writeq(B + 0x120, 0x2 | 0x4);
    writeq(B + 0x128, 50000);
    writeq(B + 0x10, 3);
    ck_assert(device_test_wait(&line[8].level, 2000));
    ck_assert_uint_eq(readq(B + 0x20), 1u << 1);
    ck_assert_int_eq(line[0].raises, 0);
    hpet_reset(hpet);
    ck_assert_int_eq(line[8].level, 0);
    ck_assert_uint_eq(readq(B + 0x20), 0);
    ck_assert_uint_eq(readq(B + 0x120), 0x0000000400000030ull);
}
END_TEST

/* A 10 ns period must not hang the main loop: missed periods coalesce. */
START_TEST(test_tiny_period)
{
    int64_t end;
    int polls = 0;

    writeq(B + 0x140, 0x4 | 0x8 | 0x40 | 2 << 9);
    writeq(B + 0x148, 1);
    writeq(B + 0x148, 1);
    writeq(B + 0x10, 1);
    end = g_get_monotonic_time() + 100000;
    while (g_get_monotonic_time() < end) {
        aio_poll(qemu_get_aio_context(), false);
        polls++;
    }
    ck_assert_int_gt(line[2].raises, 0);
    ck_assert_int_le(line[2].raises, 100000 / 10 + 10); /* at most one per 10 us */
    /* each match moved the comparator on by at least 10 us of periods */
    ck_assert_uint_ge(readq(B + 0x148), (uint64_t)line[2].raises * 1000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hpet");
    TCase *tc = tcase_create("hpet");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_registers_at_reset);
    tcase_add_test(tc, test_counter);
    tcase_add_test(tc, test_oneshot_level);
    tcase_add_test(tc, test_periodic_legacy);
    tcase_add_test(tc, test_legacy_gating);
    tcase_add_test(tc, test_timer1_irq8_level);
    tcase_add_test(tc, test_tiny_period);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
