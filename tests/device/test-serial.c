/*
 * 16550A through its ports: loopback, output to a ringbuf backend, input
 * from the backend with FIFO trigger levels, character timeout, THR-empty
 * interrupt, overrun, modem status deltas.
 */
#include "device-test.h"
#include "hw/char/serial.h"

#define COM1 0x3f8

static SerialState *serial;
static Chardev *chr;
static CharFrontend *fe;
static IRQProbe irq4;

static void setup(void)
{
    Error *err = NULL;

    irq_probe_init(&irq4);
    chr = qemu_chr_new("test", "ringbuf", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    fe = qemu_chr_fe_attach(chr, &err);
    ck_assert_ptr_nonnull(fe);
    serial = serial_isa_init(get_system_io(), COM1, irq4.irq, fe);
    outb(COM1 + 3, 0x80); /* 115200 8N1 */
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
}

static void teardown(void)
{
    serial_destroy(serial);
    qemu_chr_fe_detach(fe);
    qemu_chr_delete(chr);
    qemu_free_irq(irq4.irq);
}

static void receive(const char *s)
{
    qemu_chr_be_write(chr, (const uint8_t *)s, strlen(s));
}

START_TEST(test_transmit)
{
    size_t len;
    const char *out;

    ck_assert_int_eq(inb(COM1 + 5), 0x60); /* THRE | TEMT */
    outb(COM1, 'h');
    outb(COM1, 'i');
    out = qemu_chr_ringbuf_contents(chr, &len);
    ck_assert_int_eq(len, 2);
    ck_assert(memcmp(out, "hi", 2) == 0);
    ck_assert_int_eq(inb(COM1 + 5), 0x60);
}
END_TEST

START_TEST(test_loopback)
{
    size_t len;

    outb(COM1 + 4, 0x10);
    outb(COM1, 0x41);
    ck_assert_int_eq(inb(COM1 + 5) & 0x01, 0x01);
    ck_assert_int_eq(inb(COM1), 0x41);
    ck_assert_int_eq(inb(COM1 + 5) & 0x01, 0x00);
    qemu_chr_ringbuf_contents(chr, &len);
    ck_assert_int_eq(len, 0); /* nothing reached the line */
    receive("x");             /* the line is disconnected in loopback */
    ck_assert_int_eq(inb(COM1 + 5) & 0x01, 0x00);
}
END_TEST

START_TEST(test_scratch_divisor)
{
    outb(COM1 + 7, 0xa5);
    ck_assert_int_eq(inb(COM1 + 7), 0xa5);
    outb(COM1 + 3, 0x83);
    outb(COM1 + 0, 0x34);
    outb(COM1 + 1, 0x12);
    ck_assert_int_eq(inb(COM1 + 0), 0x34);
    ck_assert_int_eq(inb(COM1 + 1), 0x12);
    outb(COM1 + 3, 0x03);
    ck_assert_int_eq(inb(COM1 + 1), 0x00); /* IER again */
}
END_TEST

START_TEST(test_fifo_trigger)
{
    outb(COM1 + 2, 0x41); /* FIFO on, trigger 4 */
    outb(COM1 + 1, 0x01); /* received data interrupt */
    receive("abc");
    ck_assert_int_eq(inb(COM1 + 2) & 0x0f, 0x01); /* below the trigger level */
    ck_assert_int_eq(irq4.level, 0);
    receive("d");
    ck_assert_int_eq(inb(COM1 + 2), 0xc4);
    ck_assert_int_eq(irq4.level, 1);
    ck_assert_int_eq(inb(COM1), 'a');
    ck_assert_int_eq(irq4.level, 0);
    ck_assert_int_eq(inb(COM1), 'b');
    ck_assert_int_eq(inb(COM1), 'c');
    ck_assert_int_eq(inb(COM1), 'd');
    ck_assert_int_eq(inb(COM1 + 5) & 0x01, 0x00);
}
END_TEST

START_TEST(test_char_timeout)
{
    outb(COM1 + 2, 0xc1); /* FIFO on, trigger 14 */
    outb(COM1 + 1, 0x01);
    receive("z");
    ck_assert_int_eq(irq4.level, 0);
    /* 4 characters at 115200 baud: ~350 us */
    ck_assert(device_test_wait(&irq4.level, 1000));
    ck_assert_int_eq(inb(COM1 + 2), 0xcc);
    ck_assert_int_eq(inb(COM1), 'z');
    ck_assert_int_eq(irq4.level, 0);
    ck_assert_int_eq(inb(COM1 + 2) & 0x0f, 0x01);
}
END_TEST

START_TEST(test_thr_empty_interrupt)
{
    outb(COM1 + 1, 0x02);
    ck_assert_int_eq(irq4.level, 1);
    ck_assert_int_eq(inb(COM1 + 2), 0x02);
    ck_assert_int_eq(irq4.level, 0); /* reading IIR acknowledged it */
    outb(COM1, 'x');
    ck_assert_int_eq(irq4.level, 1); /* empty again at once */
    outb(COM1 + 1, 0x00);
    ck_assert_int_eq(irq4.level, 0);
}
END_TEST

START_TEST(test_overrun)
{
    outb(COM1 + 2, 0x01);
    outb(COM1 + 1, 0x04); /* line status interrupt */
    receive("0123456789abcdefX"); /* 17 bytes into a 16-byte FIFO */
    ck_assert_int_eq(irq4.level, 1);
    ck_assert_int_eq(inb(COM1 + 2), 0xc6);
    ck_assert_int_eq(inb(COM1 + 5) & 0x03, 0x03);
    ck_assert_int_eq(irq4.level, 0);             /* OE cleared by the read */
    ck_assert_int_eq(inb(COM1 + 5) & 0x02, 0x00);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(inb(COM1), "0123456789abcdef"[i]);
    }
}
END_TEST

START_TEST(test_modem_status)
{
    ck_assert_int_eq(inb(COM1 + 6), 0xb0); /* DCD, DSR, CTS */
    outb(COM1 + 1, 0x08);
    outb(COM1 + 4, 0x10 | 0x02);           /* loop, RTS -> CTS only */
    ck_assert_int_eq(irq4.level, 1);       /* DCD and DSR dropped */
    ck_assert_int_eq(inb(COM1 + 2), 0x00);
    ck_assert_int_eq(inb(COM1 + 6), 0x1a); /* CTS, DDCD, DDSR */
    ck_assert_int_eq(irq4.level, 0);
    ck_assert_int_eq(inb(COM1 + 6), 0x10);
    outb(COM1 + 4, 0x10 | 0x04);           /* OUT1 -> RI */
    ck_assert_int_eq(inb(COM1 + 6), 0x41); /* RI, DCTS */
    outb(COM1 + 4, 0x10);                  /* RI falls: TERI */
    ck_assert_int_eq(inb(COM1 + 6), 0x04);
}
END_TEST

/* What Linux's 8250 driver does at probe and startup (autoconfig, the
 * loopback test, the UART_BUG_THRE and UART_BUG_TXEN checks). */
START_TEST(test_linux_8250_probe)
{
    uint8_t iir1, iir2;

    /* autoconfig: IER can hold 0x0f and be cleared */
    outb(COM1 + 1, 0x00);
    ck_assert_int_eq(inb(COM1 + 1) & 0x0f, 0x00);
    outb(COM1 + 1, 0x0f);
    ck_assert_int_eq(inb(COM1 + 1) & 0x0f, 0x0f);
    outb(COM1 + 1, 0x00);
    /* scratch register */
    outb(COM1 + 7, 0xa5);
    ck_assert_int_eq(inb(COM1 + 7), 0xa5);
    outb(COM1 + 7, 0x5a);
    ck_assert_int_eq(inb(COM1 + 7), 0x5a);
    /* loopback: RTS|OUT2 read back as CTS|DCD */
    outb(COM1 + 4, 0x10 | 0x0a);
    ck_assert_int_eq(inb(COM1 + 6) & 0xf0, 0x90);
    outb(COM1 + 4, 0x00);
    /* FIFO enable: IIR bits 7:6 = 11, a 16550A */
    outb(COM1 + 2, 0x01);
    ck_assert_int_eq(inb(COM1 + 2) >> 6, 3);
    outb(COM1 + 2, 0x07); /* enable, clear both FIFOs */
    /* TXEN: enabling THRI with THR empty reports THRI at once */
    outb(COM1 + 1, 0x02);
    ck_assert_int_eq(inb(COM1 + 5) & 0x40, 0x40);
    ck_assert_int_eq(inb(COM1 + 2) & 0x01, 0x00);
    outb(COM1 + 1, 0x00);
    /* THRE: after IIR acknowledged it, re-enabling THRI re-asserts it */
    outb(COM1 + 1, 0x02);
    iir1 = inb(COM1 + 2);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 1, 0x02);
    iir2 = inb(COM1 + 2);
    outb(COM1 + 1, 0x00);
    ck_assert_int_eq(iir1 & 0x0f, 0x02);
    ck_assert_int_eq(iir2 & 0x0f, 0x02);
    /* the interrupt line follows: RX data with OUT2 set, as Linux runs it */
    outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 */
    outb(COM1 + 1, 0x01);
    ck_assert_int_eq(irq4.level, 0);
    receive("k");
    ck_assert_int_eq(irq4.level, 1);
    ck_assert_int_eq(inb(COM1 + 2) & 0x0f, 0x04);
    ck_assert_int_eq(inb(COM1), 'k');
    ck_assert_int_eq(irq4.level, 0);
}
END_TEST

static Suite *serial_suite(void)
{
    Suite *s = suite_create("serial");
    TCase *tc = tcase_create("ports");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_transmit);
    tcase_add_test(tc, test_loopback);
    tcase_add_test(tc, test_scratch_divisor);
    tcase_add_test(tc, test_fifo_trigger);
    tcase_add_test(tc, test_char_timeout);
    tcase_add_test(tc, test_thr_empty_interrupt);
    tcase_add_test(tc, test_overrun);
    tcase_add_test(tc, test_modem_status);
    tcase_add_test(tc, test_linux_8250_probe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(serial_suite());
}
