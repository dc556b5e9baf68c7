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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(i8254_suite());
}
