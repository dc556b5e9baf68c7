/*
 * 8259A pair through its ports: initialization words, IRR/ISR via OCW3,
 * interrupt acknowledge, priorities, cascade, ELCR level mode, auto-EOI,
 * poll and spurious interrupts.
 */
#include "device-test.h"
#include "hw/intc/i8259.h"

static PICState *pic;
static IRQProbe cpu_int;

static void setup(void)
{
    irq_probe_init(&cpu_int);
    pic = i8259_init(get_system_io(), cpu_int.irq);
}

static void teardown(void)
{
    i8259_destroy(pic);
    qemu_free_irq(cpu_int.irq);
}

/* ICW1-4 as a PC BIOS does it: vectors 0x20 / 0x70, slave on IR2. */
static void pic_init_pc(uint8_t icw4)
{
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, icw4);
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);
    outb(0xa1, 0x02);
    outb(0xa1, icw4);
}

static uint8_t read_irr(uint16_t base)
{
    outb(base, 0x0a);
    return inb(base);
}

static uint8_t read_isr(uint16_t base)
{
    outb(base, 0x0b);
    return inb(base);
}

static void set_line(int n, int level)
{
    qemu_set_irq(i8259_get_irq(pic, n), level);
}

START_TEST(test_irr_isr_inta)
{
    pic_init_pc(0x01);
    outb(0x21, 0xff);
    set_line(3, 1);
    ck_assert_int_eq(read_irr(0x20), 0x08);
    ck_assert_int_eq(cpu_int.level, 0); /* masked */
    outb(0x21, 0xf7);
    ck_assert_int_eq(inb(0x21), 0xf7);
    ck_assert_int_eq(cpu_int.level, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x23);
    ck_assert_int_eq(read_isr(0x20), 0x08);
    ck_assert_int_eq(read_irr(0x20), 0x00); /* edge request consumed */
    ck_assert_int_eq(cpu_int.level, 0);
    outb(0x20, 0x20); /* non-specific EOI */
    ck_assert_int_eq(read_isr(0x20), 0x00);
    /* an edge input must go low and high again */
    set_line(3, 1);
    ck_assert_int_eq(read_irr(0x20), 0x00);
    set_line(3, 0);
    set_line(3, 1);
    ck_assert_int_eq(read_irr(0x20), 0x08);
}
END_TEST

START_TEST(test_priority_and_nesting)
{
    pic_init_pc(0x01);
    outb(0x21, 0x00);
    set_line(5, 1);
    set_line(3, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x23); /* IR3 outranks IR5 */
    ck_assert_int_eq(cpu_int.level, 0);        /* IR5 waits for IR3's EOI */
    set_line(1, 1);
    ck_assert_int_eq(cpu_int.level, 1);        /* IR1 may nest */
    ck_assert_int_eq(pic_read_irq(pic), 0x21);
    ck_assert_int_eq(read_isr(0x20), 0x0a);
    outb(0x20, 0x20);                          /* ends IR1 (highest in service) */
    ck_assert_int_eq(read_isr(0x20), 0x08);
    outb(0x20, 0x63);                          /* specific EOI for IR3 */
    ck_assert_int_eq(cpu_int.level, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x25);
}
END_TEST

START_TEST(test_rotation)
{
    pic_init_pc(0x01);
    outb(0x21, 0x00);
    outb(0x20, 0xc4); /* set priority: IR4 lowest, so IR5 highest */
    set_line(3, 1);
    set_line(6, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x26);
    outb(0x20, 0xa0); /* rotate on non-specific EOI: IR6 becomes lowest */
    ck_assert_int_eq(pic_read_irq(pic), 0x23);
}
END_TEST

START_TEST(test_cascade)
{
    pic_init_pc(0x01);
    outb(0x21, 0xfb); /* only the cascade input */
    outb(0xa1, 0x00);
    set_line(10, 1);  /* slave IR2 */
    ck_assert_int_eq(read_irr(0xa0), 0x04);
    ck_assert_int_eq(read_irr(0x20), 0x04);
    ck_assert_int_eq(cpu_int.level, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x72);
    ck_assert_int_eq(read_isr(0xa0), 0x04);
    ck_assert_int_eq(read_isr(0x20), 0x04);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert_int_eq(read_isr(0xa0), 0x00);
    ck_assert_int_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_elcr_level)
{
    pic_init_pc(0x01);
    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    ck_assert_int_eq(inb(0x4d0), 0xf8); /* IRQ0-2 cannot be level */
    ck_assert_int_eq(inb(0x4d1), 0xde); /* nor IRQ8 and IRQ13 */
    outb(0x21, 0xfb);
    outb(0xa1, 0x00);
    set_line(11, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x73);
    ck_assert_int_eq(read_irr(0xa0), 0x08); /* still requested while high */
    set_line(11, 0);
    ck_assert_int_eq(read_irr(0xa0), 0x00);
}
END_TEST

START_TEST(test_auto_eoi)
{
    pic_init_pc(0x03);
    outb(0x21, 0x00);
    set_line(4, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x24);
    ck_assert_int_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_poll_and_spurious)
{
    pic_init_pc(0x01);
    outb(0x21, 0x00);
    ck_assert_int_eq(pic_read_irq(pic), 0x27); /* nothing pending: spurious IR7 */
    ck_assert_int_eq(read_isr(0x20), 0x00);
    outb(0x20, 0x0c);
    ck_assert_int_eq(inb(0x20), 0x00);         /* poll: nothing */
    set_line(6, 1);
    outb(0x20, 0x0c);
    ck_assert_int_eq(inb(0x20), 0x86);
    ck_assert_int_eq(read_isr(0x20), 0x40);    /* data sheet: poll sets IS */
    ck_assert_int_eq(cpu_int.level, 0);
}
END_TEST

START_TEST(test_special_mask)
{
    pic_init_pc(0x01);
    outb(0x21, 0x00);
    set_line(2 + 3, 1);
    ck_assert_int_eq(pic_read_irq(pic), 0x25); /* IR5 in service */
    set_line(6, 1);
    ck_assert_int_eq(cpu_int.level, 0);        /* blocked by IR5 */
    outb(0x21, 0x20);                          /* mask IR5 ... */
    outb(0x20, 0x68);                          /* ... and enter special mask mode */
    ck_assert_int_eq(cpu_int.level, 1);        /* IR6 now gets through */
}
END_TEST

static Suite *i8259_suite(void)
{
    Suite *s = suite_create("i8259");
    TCase *tc = tcase_create("ports");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_irr_isr_inta);
    tcase_add_test(tc, test_priority_and_nesting);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_cascade);
    tcase_add_test(tc, test_elcr_level);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_poll_and_spurious);
    tcase_add_test(tc, test_special_mask);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(i8259_suite());
}
