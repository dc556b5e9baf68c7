/*
 * 8254 through its ports: counter latch, read-back of status and count,
 * RW modes, BCD, the channel 2 gate and OUT through port 0x61, and IRQ0
 * from channel 0 driven by a QEMU_CLOCK_VIRTUAL timer.
 */
#include "device-test.h"
#include "hw/audio/pcspk.h"
#include "hw/timer/i8254.h"

static PITCommonState *pit;
static PCSpkState *pcspk;
static IRQProbe irq0;

static void setup(void)
{
    irq_probe_init(&irq0);
    pit = i8254_pit_init(get_system_io(), 0x40, irq0.irq);
    pcspk = pcspk_init(get_system_io(), pit);
}

static void teardown(void)
{
    pcspk_destroy(pcspk);
    i8254_pit_destroy(pit);
    qemu_free_irq(irq0.irq);
}

static uint16_t latch_ch(int ch)
{
    uint16_t v;

    outb(0x43, ch << 6); /* counter latch */
    v = inb(0x40 + ch);
    return v | inb(0x40 + ch) << 8;
}

START_TEST(test_latch_counts_down)
{
    uint16_t a, b;

    outb(0x43, 0x34);    /* ch0 lo/hi mode 2 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    a = latch_ch(0);
    g_usleep(2000);      /* ~2386 input clocks */
    b = latch_ch(0);
    ck_assert_uint_ne(a, b);
    ck_assert_uint_ge((uint16_t)(a - b), 1000);
    ck_assert_uint_le((uint16_t)(a - b), 40000);
}
END_TEST

START_TEST(test_latch_holds)
{
    uint16_t lo, hi;

    outb(0x43, 0x34);
    outb(0x40, 0x00);
    outb(0x40, 0x80);
    outb(0x43, 0x00);
    lo = inb(0x40);
    g_usleep(3000);
    outb(0x43, 0x00);    /* a second latch while latched is ignored */
    hi = inb(0x40);
    ck_assert_uint_le(lo | hi << 8, 0x8000);
    ck_assert_uint_ge(lo | hi << 8, 0x8000 - 1500);
}
END_TEST

START_TEST(test_read_back)
{
    uint16_t count;

    outb(0x43, 0x30);    /* ch0 lo/hi mode 0: null count until loaded */
    outb(0x43, 0xe2);    /* read-back status, ch0 */
    ck_assert_int_eq(inb(0x40), 0x70); /* OUT low, null count, lo/hi, mode 0 */
    outb(0x40, 0x10);
    outb(0x40, 0x00);
    outb(0x43, 0xc2);    /* status and count */
    ck_assert_int_eq(inb(0x40) & 0x7f, 0x30);
    count = inb(0x40);
    count |= inb(0x40) << 8;
    ck_assert_uint_le(count, 0x10);
    /* mode 0 with a count of 16 reaches terminal count within microseconds */
    g_usleep(1000);
    outb(0x43, 0xe2);
    ck_assert_int_eq(inb(0x40), 0xb0);
}
END_TEST

START_TEST(test_lsb_only_and_bcd)
{
    uint8_t v;

    outb(0x43, 0x50);    /* ch1 LSB only, mode 0 */
    outb(0x41, 0x50);
    ck_assert_uint_le(inb(0x41), 0x50);
    outb(0x43, 0x71);    /* ch1 lo/hi, mode 0, BCD */
    outb(0x41, 0x00);
    outb(0x41, 0x99);    /* 9900 */
    outb(0x43, 0x40);
    v = inb(0x41);
    ck_assert_uint_le(v & 0xf, 9);
    ck_assert_uint_le(v >> 4, 9);
    v = inb(0x41);
    ck_assert_uint_le(v & 0xf, 9);
    ck_assert_uint_le(v >> 4, 9);
}
END_TEST

START_TEST(test_channel2_gate)
{
    uint16_t a, b;

    outb(0x61, 0x00);    /* gate low */
    outb(0x43, 0xb0);    /* ch2 lo/hi mode 0 */
    outb(0x42, 0x00);
    outb(0x42, 0x10);    /* 0x1000 clocks, ~3.4 ms */
    a = latch_ch(2);
    g_usleep(2000);
    b = latch_ch(2);
    ck_assert_uint_eq(a, b); /* not counting while the gate is low */
    ck_assert_int_eq(inb(0x61) & 0x21, 0x00);
    outb(0x61, 0x01);
    g_usleep(10000);
    ck_assert_int_eq(inb(0x61) & 0x21, 0x21); /* OUT2 high at terminal count */
}
END_TEST

START_TEST(test_irq0_mode0)
{
    outb(0x43, 0x30);
    ck_assert_int_eq(irq0.level, 0);
    irq0.raises = 0;
    outb(0x40, 100);
    outb(0x40, 0);
    ck_assert(device_test_wait(&irq0.level, 1000));
    ck_assert_int_eq(irq0.raises, 1);
}
END_TEST

START_TEST(test_irq0_periodic)
{
    outb(0x43, 0x34);    /* mode 2, 1193 clocks: 1 kHz */
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    irq0.raises = 0;
    {
        int64_t end = g_get_monotonic_time() + 50000;

        while (g_get_monotonic_time() < end) {
            aio_poll(qemu_get_aio_context(), false);
            g_usleep(100);
        }
    }
    /* ~50 periods, each with its one-clock low pulse, even when polled late */
    ck_assert_int_ge(irq0.raises, 25); /* a loaded host may skip a few */
    ck_assert_int_le(irq0.raises, 60);
}
END_TEST

/*
 * Linux's pit_calibrate_tsc(): channel 2 in mode 0, gated by port 0x61
 * bit 0, polled on bit 5 (OUT2) until the terminal count; the time it
 * takes is the TSC's reference.  And quick_pit_calibrate()'s MSB reads.
 */
START_TEST(test_linux_tsc_calibration)
{
    const unsigned latch = PIT_FREQ / 20; /* 50 ms */
    int64_t start, us;
    unsigned msb, first = 0, last, last_good = 0;
    int64_t now, after, t_first = 0, t_last = 0;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, latch & 0xff);
    outb(0x42, latch >> 8);
    start = g_get_monotonic_time();
    ck_assert_int_eq(inb(0x61) & 0x20, 0);
    while (!(inb(0x61) & 0x20) && g_get_monotonic_time() - start < 1000000) {
    }
    us = g_get_monotonic_time() - start;
    ck_assert_int_ge(us, 49000);   /* never early */
    ck_assert_int_lt(us, 500000);  /* late only by host scheduling */

    /* quick calibration: the MSB of a 0xffff count falls every 256
     * clocks (214.5 us), never rises, and tracks the host clock.  Only
     * reads that took no time count, so host preemption cannot skew it. */
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    start = g_get_monotonic_time();
    last = 0xff;
    while ((now = g_get_monotonic_time()) - start < 30000) {
        inb(0x42);           /* LSB */
        msb = inb(0x42);     /* MSB */
        after = g_get_monotonic_time();
        if (after - start > 50000) {
            break; /* preempted for long: the count may have wrapped */
        }
        ck_assert_uint_le(msb, last);
        last = msb;
        if (after - now < 20) {
            if (!t_first) {
                t_first = (now + after) / 2;
                first = msb;
            }
            t_last = (now + after) / 2;
            last_good = msb;
        }
    }
    ck_assert_int_gt(t_last - t_first, 2000);
    ck_assert_msg(llabs((int64_t)(first - last_good) - (t_last - t_first) * 10 / 2145) <= 2,
                  "MSB %u -> %u in %lld us", first, last_good, (long long)(t_last - t_first));
}
END_TEST

static Suite *i8254_suite(void)
{
    Suite *s = suite_create("i8254");
    TCase *tc = tcase_create("ports");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_latch_counts_down);
    tcase_add_test(tc, test_latch_holds);
    tcase_add_test(tc, test_read_back);
    tcase_add_test(tc, test_lsb_only_and_bcd);
    tcase_add_test(tc, test_channel2_gate);
    tcase_add_test(tc, test_irq0_mode0);
    tcase_add_test(tc, test_irq0_periodic);
    tcase_add_test(tc, test_linux_tsc_calibration);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(i8254_suite());
}
