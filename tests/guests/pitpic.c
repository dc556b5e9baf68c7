/*
 * 8254 and 8259 by polling (no interrupts are taken: under KVM on this
 * host a protected-mode guest cannot return from one).  PIT channel 0 in
 * mode 0 must raise IRQ0, seen in the PIC's IRR through OCW3; OCW3 poll
 * acknowledges it; channel 2 is gated through port 0x61 and its OUT read
 * back there; counter latch and read-back commands report sane values.
 */
#include "runtime/guest.h"

#define PIT_CH0  0x40
#define PIT_CH2  0x42
#define PIT_CMD  0x43
#define PORT_B   0x61
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define POLL_LIMIT 400000

static bool ok = true;

static void expect(const char *what, unsigned got, unsigned want)
{
    printf_serial("%s = 0x%02x%s\n", what, got, got == want ? "" : " (WRONG)");
    ok &= got == want;
}

static void pic_init(void)
{
    outb(PIC1_CMD, 0x11);  /* ICW1: edge, cascade, ICW4 needed */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, 0x20); /* ICW2: vectors 0x20-0x27 */
    outb(PIC2_DATA, 0x28);
    outb(PIC1_DATA, 0x04); /* ICW3: slave on IR2 */
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xff); /* everything masked */
    outb(PIC2_DATA, 0xff);
}

static uint8_t pic_read_irr(void)
{
    outb(PIC1_CMD, 0x0a);
    return inb(PIC1_CMD);
}

static uint8_t pic_read_isr(void)
{
    outb(PIC1_CMD, 0x0b);
    return inb(PIC1_CMD);
}

static uint16_t pit_latch_ch0(void)
{
    outb(PIT_CMD, 0x00); /* counter latch, channel 0 */
    uint16_t v = inb(PIT_CH0);
    return v | inb(PIT_CH0) << 8;
}

/*
 * Firmware (SeaBIOS under QEMU) leaves channel 0 ticking and may leave an
 * unacknowledged IRQ0 behind; KVM's PIT then holds back new interrupts
 * until the old one is acknowledged.  So: stop the periodic timer, then
 * acknowledge (OCW3 poll) and EOI whatever is pending before measuring.
 */
static void pic_drain_irq0(void)
{
    outb(PIC1_DATA, 0xfe);
    for (int i = 0; i < 100; i++) {
        outb(PIC1_CMD, 0x0c);
        if (!(inb(PIC1_CMD) & 0x80)) {
            break;
        }
        outb(PIC1_CMD, 0x20);
    }
    outb(PIC1_CMD, 0x20);
    outb(PIC1_DATA, 0xff);
}

static void test_irq0_via_irr(void)
{
    int i;

    outb(PIT_CMD, 0x30);   /* channel 0, lo/hi, mode 0 */
    outb(PIT_CH0, 0xff);   /* a 55 ms one-shot replaces any periodic timer */
    outb(PIT_CH0, 0xff);
    pic_init();
    expect("imr", inb(PIC1_DATA), 0xff);
    pic_drain_irq0();
    outb(PIT_CMD, 0x30);   /* mode 0 again: OUT goes low until the count ends */
    expect("irr bit 0 before the count", pic_read_irr() & 1, 0);
    outb(PIT_CH0, 1000 & 0xff);
    outb(PIT_CH0, 1000 >> 8);
    for (i = 0; i < POLL_LIMIT && !(pic_read_irr() & 1); i++) {
    }
    expect("irr bit 0 after terminal count", pic_read_irr() & 1, 1);
    expect("isr before acknowledge", pic_read_isr(), 0);

    outb(PIC1_DATA, 0xfe); /* unmask IRQ0 so that poll reports it (IF stays 0) */
    outb(PIC1_CMD, 0x0c);  /* OCW3 poll */
    expect("poll result", inb(PIC1_CMD), 0x80);
    /* The 8259A data sheet says poll sets the IS bit; KVM's and QEMU's
     * PICs clear it.  Either way the EOI below leaves ISR empty. */
    printf_serial("~isr after poll = 0x%02x\n", pic_read_isr());
    expect("irr after poll", pic_read_irr() & 1, 0);
    outb(PIC1_CMD, 0x20);  /* non-specific EOI */
    expect("isr after eoi", pic_read_isr(), 0x00);
    outb(PIC1_DATA, 0xff);

    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    expect("elcr master (IRQ0-2 always edge)", inb(0x4d0), 0xf8);
    expect("elcr slave (IRQ8, IRQ13 always edge)", inb(0x4d1), 0xde);
    outb(0x4d0, 0x00);
    outb(0x4d1, 0x00);
}

static void test_latch_and_readback(void)
{
    uint16_t a, b;

    outb(PIT_CMD, 0x34);   /* channel 0, lo/hi, mode 2 */
    outb(PIT_CH0, 0xff);
    outb(PIT_CH0, 0xff);
    a = pit_latch_ch0();
    for (volatile int i = 0; i < 200; i++) {
    }
    b = pit_latch_ch0();
    printf_serial("channel 0 counter moves down: %s\n", (b < a || (unsigned)(a - b) > 0x8000u) ? "yes" : "no");
    ok &= b != a;

    outb(PIT_CMD, 0xe2);   /* read-back: status only, channel 0 */
    expect("channel 0 status (mode 2, lo/hi)", inb(PIT_CH0) & 0x3f, 0x34);
    outb(PIT_CMD, 0xc2);   /* read-back: status and count, channel 0 */
    expect("channel 0 status before count", inb(PIT_CH0) & 0x3f, 0x34);
    a = inb(PIT_CH0);
    a |= inb(PIT_CH0) << 8;
    printf_serial("read-back count nonzero: %s\n", a ? "yes" : "no");
}

static int wait_out2(int level)
{
    int i;

    for (i = 0; i < POLL_LIMIT; i++) {
        if (!!(inb(PORT_B) & 0x20) == level) {
            return 1;
        }
    }
    return 0;
}

static void test_channel2(void)
{
    uint8_t portb = inb(PORT_B) & ~0x03;

    outb(PORT_B, portb);           /* gate low, speaker off */
    outb(PIT_CMD, 0xb0);           /* channel 2, lo/hi, mode 0 */
    outb(PIT_CH2, 11932 & 0xff);   /* 10 ms */
    outb(PIT_CH2, 11932 >> 8);
    expect("out2 low after mode 0 set-up", !!(inb(PORT_B) & 0x20), 0);
    outb(PORT_B, portb | 0x01);    /* gate high: count */
    expect("out2 reaches terminal count", wait_out2(1), 1);
    outb(PIT_CMD, 0xe8);           /* read-back status, channel 2 */
    expect("channel 2 status (mode 0, lo/hi)", inb(PIT_CH2) & 0x3f, 0x30);

    outb(PIT_CMD, 0xb6);           /* channel 2, lo/hi, mode 3 */
    outb(PIT_CH2, 1193 & 0xff);    /* 1 ms square wave */
    outb(PIT_CH2, 1193 >> 8);
    expect("out2 square wave falls", wait_out2(0), 1);
    expect("out2 square wave rises", wait_out2(1), 1);
    expect("out2 square wave falls again", wait_out2(0), 1);
    outb(PORT_B, portb);
    expect("port 0x61 gate bit reads back", inb(PORT_B) & 0x03, 0);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    test_irq0_via_irr();
    test_latch_and_readback();
    test_channel2();
    puts_serial(ok ? "pitpic: PASS\n" : "pitpic: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
