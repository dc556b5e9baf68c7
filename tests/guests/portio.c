/*
 * Port-level checks of the 16550A (scratch, divisor latch, FIFO control,
 * THR-empty interrupt identification, loopback through MCR, overrun), plus
 * port 0x80, the i8042 self-test, CMOS and an unassigned port.  Prints what
 * it reads so a differential run against QEMU compares register values.
 */
#include "runtime/guest.h"

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

/* Results are recorded and printed at the end: printing in loopback mode
 * would feed our own output back into the receiver. */
static struct {
    const char *what;
    unsigned got, want;
} results[64];
static int nr_results;

static uint8_t uart_in(int reg)
{
    return inb(COM1 + reg);
}

static void uart_out(int reg, uint8_t v)
{
    outb(COM1 + reg, v);
}

static void expect(const char *what, unsigned got, unsigned want)
{
    if (nr_results < 64) {
        results[nr_results].what = what;
        results[nr_results].got = got;
        results[nr_results].want = want;
        nr_results++;
    }
}

static bool report(void)
{
    bool ok = true;

    for (int i = 0; i < nr_results; i++) {
        bool right = results[i].got == results[i].want;

        printf_serial("%s = 0x%02x%s\n", results[i].what, results[i].got,
                      right ? "" : " (WRONG)");
        ok &= right;
    }
    return ok;
}

static void test_scratch_and_divisor(void)
{
    uart_out(SCR, 0x55);
    expect("scr after 0x55", uart_in(SCR), 0x55);
    uart_out(SCR, 0xaa);
    expect("scr after 0xaa", uart_in(SCR), 0xaa);

    uart_out(LCR, 0x83); /* DLAB, 8N1 */
    uart_out(DLL, 0x01);
    uart_out(DLM, 0x02);
    expect("dll", uart_in(DLL), 0x01);
    expect("dlm", uart_in(DLM), 0x02);
    uart_out(DLM, 0x00);
    uart_out(LCR, 0x03); /* 115200 8N1 */
    expect("lcr", uart_in(LCR), 0x03);
    uart_out(IER, 0x00);
    expect("ier", uart_in(IER), 0x00);
}

static void test_fifo_and_iir(void)
{
    uart_out(FCR, 0x07); /* enable and clear both FIFOs, trigger level 1 */
    expect("iir fifo bits (enabled)", uart_in(IIR) & 0xc0, 0xc0);
    uart_out(IER, 0x02); /* THR empty interrupt */
    expect("iir with thri", uart_in(IIR), 0xc2);
    expect("iir after reading it", uart_in(IIR), 0xc1);
    uart_out(IER, 0x00);
    uart_out(FCR, 0x00);
    expect("iir fifo bits (disabled)", uart_in(IIR) & 0xc0, 0x00);
    expect("lsr idle", uart_in(LSR), 0x60);
}

static void test_loopback(void)
{
    uart_out(MCR, 0x10);
    expect("msr loop, no outputs", uart_in(MSR) & 0xf0, 0x00);
    uart_out(MCR, 0x11);
    expect("msr loop, DTR -> DSR", uart_in(MSR) & 0xf0, 0x20);
    uart_out(MCR, 0x12);
    expect("msr loop, RTS -> CTS", uart_in(MSR) & 0xf0, 0x10);
    uart_out(MCR, 0x14);
    expect("msr loop, OUT1 -> RI", uart_in(MSR) & 0xf0, 0x40);
    uart_out(MCR, 0x18);
    expect("msr loop, OUT2 -> DCD", uart_in(MSR) & 0xf0, 0x80);
    uart_out(MCR, 0x1f);
    expect("mcr", uart_in(MCR), 0x1f);

    /* 16450 mode: one byte deep */
    uart_out(THR, 0x5a);
    expect("lsr after loopback byte", uart_in(LSR) & 0x61, 0x61);
    expect("rbr", uart_in(RBR), 0x5a);
    expect("lsr after read", uart_in(LSR) & 0x01, 0x00);
    uart_out(THR, 0x01);
    uart_out(THR, 0x02);
    expect("lsr overrun", uart_in(LSR) & 0x03, 0x03);
    expect("lsr overrun cleared by read", uart_in(LSR) & 0x02, 0x00);
    expect("rbr after overrun", uart_in(RBR), 0x02);

    /* FIFO mode: four bytes come back in order */
    uart_out(FCR, 0x07);
    for (int i = 0; i < 4; i++) {
        uart_out(THR, 0x30 + i);
    }
    for (int i = 0; i < 4; i++) {
        expect("rbr from fifo", uart_in(RBR), 0x30 + i);
    }
    expect("lsr fifo drained", uart_in(LSR) & 0x01, 0x00);
    uart_out(FCR, 0x00);
    uart_out(MCR, 0x0b); /* DTR, RTS, OUT2: back on the line */
}

static void test_other_ports(void)
{
    outb(0x80, 0x42);
    expect("port 0x80", inb(0x80), 0xff);
    expect("unassigned port 0x2f8", inb(0x2fd), 0xff);

    outb(0x64, 0xaa); /* i8042 self-test */
    for (int i = 0; i < 1000 && !(inb(0x64) & 1); i++) {
    }
    expect("i8042 self-test", inb(0x60), 0x55);

    outb(0x70, 0x0d);
    expect("cmos status D", inb(0x71), 0x80);
    outb(0x70, 0x15);
    unsigned base_kb = inb(0x71);
    outb(0x70, 0x16);
    base_kb |= inb(0x71) << 8;
    expect("cmos base memory KiB / 4", base_kb / 4, 160);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    test_scratch_and_divisor();
    test_fifo_and_iir();
    test_loopback();
    test_other_ports();
    bool ok = report();
    puts_serial(ok ? "portio: PASS\n" : "portio: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
