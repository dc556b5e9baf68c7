/*
 * MC146818 RTC through ports 0x70/0x71 with IRQ8 on a probe: the host's
 * time in BCD and binary, 12-hour mode, SET, the update cycle (UIP, then
 * the seconds change, update-ended interrupt), periodic interrupts at the
 * register A rate, the alarm with "don't care" bytes, register C
 * read-to-clear, and divider reset.
 */
#include <time.h>

#include "device-test.h"
#include "hw/rtc/mc146818rtc.h"

static RTCState *rtc;
static IRQProbe irq8;

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_set(uint8_t reg, uint8_t val)
{
    outb(0x70, reg);
    outb(0x71, val);
}

static int bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static void setup(void)
{
    irq_probe_init(&irq8);
    rtc = mc146818_rtc_init(get_system_io(), irq8.irq);
}

static void teardown(void)
{
    mc146818_rtc_destroy(rtc);
    qemu_free_irq(irq8.irq);
}

/* Runs timers for @ms, or until IRQ8 rises @raises times. */
static void run_until_raises(int raises, int ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;

    while (irq8.raises < raises && g_get_monotonic_time() < end) {
        aio_poll(qemu_get_aio_context(), false);
        g_usleep(50);
    }
}

static void wait_not_uip(void)
{
    while (cmos(0x0a) & 0x80) {
    }
}

START_TEST(test_host_time)
{
    time_t now = time(NULL);
    struct tm tm;
    int64_t secs_of_day, got;

    gmtime_r(&now, &tm);
    wait_not_uip();
    got = bcd(cmos(0x04)) * 3600 + bcd(cmos(0x02)) * 60 + bcd(cmos(0x00));
    secs_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    ck_assert_int_le(llabs(got - secs_of_day) % (86400 - 2), 2);
    ck_assert_int_eq(bcd(cmos(0x09)), tm.tm_year % 100);
    ck_assert_int_eq(bcd(cmos(0x32)), (tm.tm_year + 1900) / 100);
    ck_assert_int_eq(bcd(cmos(0x08)), tm.tm_mon + 1);
    ck_assert_int_eq(cmos(0x0d), 0x80); /* VRT */
    ck_assert_int_eq(cmos(0x0b), 0x02); /* 24h, BCD */
    /* binary */
    cmos_set(0x0b, 0x06);
    ck_assert_int_eq(cmos(0x09), tm.tm_year % 100);
}
END_TEST

START_TEST(test_set_and_12h)
{
    cmos_set(0x0b, 0x82); /* SET, 24h BCD */
    cmos_set(0x04, 0x23);
    cmos_set(0x02, 0x59);
    cmos_set(0x00, 0x58);
    cmos_set(0x07, 0x31);
    cmos_set(0x08, 0x12);
    cmos_set(0x09, 0x99);
    cmos_set(0x32, 0x19);
    /* frozen while SET */
    g_usleep(1100000);
    ck_assert_int_eq(cmos(0x00), 0x58);
    cmos(0x0c);
    cmos_set(0x0b, 0x02);
    ck_assert_int_eq(cmos(0x06), 0x06); /* 1999-12-31 was a Friday */
    /* two update cycles later (UF in C) the century has rolled over */
    for (int updates = 0, i = 0; updates < 2 && i < 2500; i++) {
        g_usleep(1000);
        updates += !!(cmos(0x0c) & 0x10);
    }
    ck_assert_int_eq(cmos(0x00), 0x00);
    ck_assert_int_eq(cmos(0x04), 0x00);
    ck_assert_int_eq(cmos(0x07), 0x01);
    ck_assert_int_eq(cmos(0x08), 0x01);
    ck_assert_int_eq(cmos(0x09), 0x00);
    ck_assert_int_eq(cmos(0x32), 0x20);
    /* 12-hour mode: 00:xx reads 12 AM; 13:00 reads 1 PM */
    cmos_set(0x0b, 0x80);
    ck_assert_int_eq(cmos(0x04), 0x12);
    cmos_set(0x04, 0x81); /* 1 PM */
    cmos_set(0x0b, 0x82);
    ck_assert_int_eq(cmos(0x04), 0x13);
    /* SET clears UIE */
    cmos_set(0x0b, 0x12);
    cmos_set(0x0b, 0x92);
    ck_assert_int_eq(cmos(0x0b), 0x82);
}
END_TEST

START_TEST(test_update_cycle)
{
    int64_t start = g_get_monotonic_time();
    bool saw_uip = false;
    uint8_t sec0, sec1;

    wait_not_uip();
    sec0 = cmos(0x00);
    /* UIP is high 2.2 ms a second: a loaded host may hide one or two */
    while (g_get_monotonic_time() - start < 3500000 && !(saw_uip = cmos(0x0a) & 0x80)) {
        if (!saw_uip && cmos(0x00) != sec0) {
            wait_not_uip();
            sec0 = cmos(0x00); /* that update was missed: wait for the next */
        }
    }
    ck_assert(saw_uip);
    wait_not_uip();
    sec1 = cmos(0x00);
    ck_assert_int_eq((bcd(sec0) + 1) % 60, bcd(sec1));
    /* update-ended interrupt */
    cmos(0x0c);
    cmos_set(0x0b, 0x12);
    run_until_raises(1, 1200);
    ck_assert_int_eq(irq8.raises, 1);
    ck_assert_int_eq(irq8.level, 1);
    ck_assert_int_eq(cmos(0x0c) & 0x90, 0x90);
    ck_assert_int_eq(irq8.level, 0);
    ck_assert_int_eq(cmos(0x0c), 0); /* read-to-clear */
}
END_TEST

START_TEST(test_periodic)
{
    int64_t start, us;
    int n;

    /* PF sets at the rate even with PIE clear, without an interrupt. */
    cmos_set(0x0a, 0x23); /* 8192 Hz */
    cmos(0x0c);
    g_usleep(2000);
    ck_assert_int_eq(cmos(0x0c) & 0xc0, 0x40);
    ck_assert_int_eq(irq8.raises, 0);
    /* 1024 Hz with PIE: acknowledge each one by reading C */
    cmos_set(0x0a, 0x26);
    cmos(0x0c);
    cmos_set(0x0b, 0x42);
    start = g_get_monotonic_time();
    for (n = 0; n < 64; n++) {
        run_until_raises(n + 1, 500);
        ck_assert_int_eq(cmos(0x0c) & 0xc0, 0xc0);
    }
    us = g_get_monotonic_time() - start;
    ck_assert_int_ge(us, 63 * 976);        /* never early */
    ck_assert_int_lt(us, 64 * 976 * 10);
    /* rate 0: none */
    cmos_set(0x0a, 0x20);
    cmos(0x0c);
    n = irq8.raises;
    g_usleep(5000);
    run_until_raises(n + 1, 5);
    ck_assert_int_eq(irq8.raises, n);
    ck_assert_int_eq(cmos(0x0c), 0);
    /* rate 15: 2 Hz, so one interrupt in at most 500 ms and not two */
    cmos_set(0x0a, 0x2f);
    cmos(0x0c);
    start = g_get_monotonic_time();
    run_until_raises(n + 1, 1500);
    us = g_get_monotonic_time() - start;
    ck_assert_int_eq(irq8.raises, n + 1);
    ck_assert_int_le(us, 600000);
}
END_TEST

START_TEST(test_alarm)
{
    uint8_t sec;
    int target;

    wait_not_uip();
    sec = cmos(0x00);
    target = (bcd(sec) + 2) % 60;
    cmos_set(0x01, (target / 10) << 4 | target % 10);
    cmos_set(0x03, 0xc0); /* don't care */
    cmos_set(0x05, 0xff);
    cmos(0x0c);
    cmos_set(0x0b, 0x22);
    run_until_raises(1, 800);
    ck_assert_int_eq(irq8.raises, 0); /* not yet: at least one second too early */
    run_until_raises(1, 2500);
    ck_assert_int_eq(irq8.raises, 1);
    ck_assert_int_eq(cmos(0x0c) & 0xa0, 0xa0);
    ck_assert_int_eq(bcd(cmos(0x00)), target);
    /* an alarm that names another hour does not fire */
    cmos_set(0x05, 0x25); /* 25:xx never comes */
    cmos_set(0x03, 0xc0);
    cmos_set(0x01, 0xc0);
    cmos(0x0c);
    run_until_raises(2, 1500);
    ck_assert_int_eq(irq8.raises, 1);
}
END_TEST

START_TEST(test_divider_reset)
{
    uint8_t sec;

    cmos_set(0x0a, 0x66); /* divider reset */
    sec = cmos(0x00);
    ck_assert_int_eq(cmos(0x0a) & 0x80, 0);
    g_usleep(1200000);
    ck_assert_int_eq(cmos(0x00), sec);
    cmos_set(0x0a, 0x26);
    g_usleep(300000);
    ck_assert_int_eq(cmos(0x00), sec); /* first update 500 ms after */
    g_usleep(300000);
    ck_assert_int_eq(bcd(cmos(0x00)), (bcd(sec) + 1) % 60);
}
END_TEST

START_TEST(test_reset_clears_enables)
{
    cmos_set(0x0b, 0x72);
    mc146818_rtc_reset(rtc);
    ck_assert_int_eq(cmos(0x0b), 0x02);
    ck_assert_int_eq(cmos(0x0c), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rtc");
    TCase *tc = tcase_create("rtc");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_host_time);
    tcase_add_test(tc, test_set_and_12h);
    tcase_add_test(tc, test_update_cycle);
    tcase_add_test(tc, test_periodic);
    tcase_add_test(tc, test_alarm);
    tcase_add_test(tc, test_divider_reset);
    tcase_add_test(tc, test_reset_clears_enables);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
