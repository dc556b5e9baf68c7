/*
 * The small ISA devices: isa-debug-exit, the i8042 reset and A20 lines
 * (and port 0x92), port 0x80 and the RTC/CMOS registers.
 */
#include "device-test.h"
#include "hw/input/i8042.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/ioport80.h"
#include "hw/rtc/mc146818rtc.h"
#include "sysemu/runstate.h"

START_TEST(test_debug_exit)
{
    ISADebugExitState *s = isa_debug_exit_init(get_system_io(), 0xf4, 4);
    int status = -1;

    ck_assert(!qemu_system_shutdown_pending(NULL));
    ck_assert_int_eq(inb(0xf4), 0);
    ck_assert(!qemu_system_shutdown_pending(NULL));
    outb(0xf7, 0x10); /* any port of the range */
    ck_assert(qemu_system_shutdown_pending(&status));
    ck_assert_int_eq(status, 0x21);
    isa_debug_exit_destroy(s);
}
END_TEST

static IRQProbe kbd_irq, a20;
static KBDState *kbd;

static void kbd_setup(void)
{
    irq_probe_init(&kbd_irq);
    irq_probe_init(&a20);
    kbd = i8042_init(get_system_io(), kbd_irq.irq, a20.irq);
    (void)qemu_reset_requested(); /* start from no pending request */
}

static void kbd_teardown(void)
{
    i8042_destroy(kbd);
    qemu_free_irq(kbd_irq.irq);
    qemu_free_irq(a20.irq);
}

START_TEST(test_kbd_self_test)
{
    ck_assert_int_eq(inb(0x64) & 0x01, 0);
    outb(0x64, 0xaa);
    ck_assert_int_eq(inb(0x64) & 0x05, 0x05); /* OBF, system flag */
    ck_assert_int_eq(kbd_irq.level, 1);
    ck_assert_int_eq(inb(0x60), 0x55);
    ck_assert_int_eq(inb(0x64) & 0x01, 0);
    ck_assert_int_eq(kbd_irq.level, 0);
    outb(0x60, 0xf2);                          /* keyboard identify */
    ck_assert_int_eq(inb(0x60), 0xfa);
    ck_assert_int_eq(inb(0x60), 0xab);
    ck_assert_int_eq(inb(0x60), 0x83);
}
END_TEST

START_TEST(test_kbd_reset_line)
{
    ck_assert(!qemu_reset_requested());
    outb(0x64, 0xfe);
    ck_assert(qemu_reset_requested());
    outb(0x64, 0xff); /* pulses nothing */
    ck_assert(!qemu_reset_requested());
}
END_TEST

START_TEST(test_a20)
{
    ck_assert_int_eq(a20.level, 1);
    outb(0x64, 0xd1);
    outb(0x60, 0x01);  /* output port: A20 off, reset line inactive */
    ck_assert_int_eq(a20.level, 0);
    ck_assert(!qemu_reset_requested());
    outb(0x64, 0xd0);
    ck_assert_int_eq(inb(0x60), 0x01);
    outb(0x92, 0x02);  /* fast A20 */
    ck_assert_int_eq(a20.level, 1);
    ck_assert_int_eq(inb(0x92), 0x02);
    ck_assert(!qemu_reset_requested());
    outb(0x92, 0x03);  /* bit 0 rising: reset */
    ck_assert(qemu_reset_requested());
}
END_TEST

START_TEST(test_port80)
{
    IOPort80State *s = ioport80_init(get_system_io());

    outb(0x80, 0x12);
    ck_assert_int_eq(inb(0x80), 0xff);
    ioport80_destroy(s);
}
END_TEST

START_TEST(test_rtc)
{
    RTCState *s = mc146818_rtc_init(get_system_io(), NULL);
    uint8_t sec, min, hour;

    rtc_set_memory(s, 0x34, 0x12);
    outb(0x70, 0x34);
    ck_assert_int_eq(inb(0x71), 0x12);
    outb(0x70, 0x0d);
    ck_assert_int_eq(inb(0x71), 0x80);
    outb(0x70, 0x0a);
    ck_assert_int_eq(inb(0x71) & 0x7f, 0x26);
    outb(0x70, 0x00);
    sec = inb(0x71);
    ck_assert_uint_le(sec, 0x59);
    ck_assert_uint_le(sec & 0xf, 9);
    /* set the time to 12:34:56 (BCD) and read it back */
    outb(0x70, 0x04);
    outb(0x71, 0x12);
    outb(0x70, 0x02);
    outb(0x71, 0x34);
    outb(0x70, 0x00);
    outb(0x71, 0x56);
    outb(0x70, 0x04);
    hour = inb(0x71);
    outb(0x70, 0x02);
    min = inb(0x71);
    ck_assert_int_eq(hour, 0x12);
    ck_assert_int_eq(min, 0x34);
    /* binary mode */
    outb(0x70, 0x0b);
    outb(0x71, 0x06);
    outb(0x70, 0x02);
    ck_assert_int_eq(inb(0x71), 34);
    outb(0x70, 0x80 | 0x3f); /* NMI mask bit is not part of the index */
    outb(0x71, 0x77);
    outb(0x70, 0x3f);
    ck_assert_int_eq(inb(0x71), 0x77);
    mc146818_rtc_destroy(s);
}
END_TEST

static Suite *isa_misc_suite(void)
{
    Suite *s = suite_create("isa-misc");
    TCase *tc = tcase_create("debugexit");
    TCase *tk = tcase_create("i8042");
    TCase *to = tcase_create("other");

    tcase_add_test(tc, test_debug_exit);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(tk, kbd_setup, kbd_teardown);
    tcase_add_test(tk, test_kbd_self_test);
    tcase_add_test(tk, test_kbd_reset_line);
    tcase_add_test(tk, test_a20);
    suite_add_tcase(s, tk);
    tcase_add_test(to, test_port80);
    tcase_add_test(to, test_rtc);
    suite_add_tcase(s, to);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(isa_misc_suite());
}
