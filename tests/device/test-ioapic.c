/*
 * IOAPIC and local APIC together through MMIO, no CPU: registers, edge
 * and level pins, remote IRR and its clearing by the local APIC's EOI
 * broadcast or the EOI register, masking, and the NMI/ExtINT modes.
 */
#include "device-test.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"

#define LAPIC(r) (APIC_DEFAULT_ADDRESS + (r))
#define IOREGSEL IOAPIC_DEFAULT_ADDRESS
#define IOWIN    (IOAPIC_DEFAULT_ADDRESS + 0x10)
#define IOEOI    (IOAPIC_DEFAULT_ADDRESS + 0x40)

static APICBus *bus;
static APICState *apic;
static IOAPICState *ioapic;
static IRQProbe intr, nmi;
static int pic_acks;

static int fake_pic_ack(void *opaque)
{
    pic_acks++;
    return 0x2f;
}

static void setup(void)
{
    irq_probe_init(&intr);
    irq_probe_init(&nmi);
    bus = apic_bus_new(get_system_memory());
    apic = apic_new(bus, 0, NULL, intr.irq, nmi.irq);
    apic_set_extint_handler(apic, fake_pic_ack, NULL);
    ioapic = ioapic_init(get_system_memory(), IOAPIC_DEFAULT_ADDRESS, bus);
    writel(LAPIC(0xf0), 0x1ff);
    writel(LAPIC(0x350), 0x10000);
    pic_acks = 0;
}

static void teardown(void)
{
    ioapic_destroy(ioapic);
    apic_bus_free(bus);
    qemu_free_irq(intr.irq);
    qemu_free_irq(nmi.irq);
}

static uint32_t io_read(uint8_t reg)
{
    writel(IOREGSEL, reg);
    return readl(IOWIN);
}

static void io_write(uint8_t reg, uint32_t val)
{
    writel(IOREGSEL, reg);
    writel(IOWIN, val);
}

static void route(int pin, uint32_t low, uint8_t dest)
{
    io_write(0x11 + 2 * pin, (uint32_t)dest << 24);
    io_write(0x10 + 2 * pin, low);
}

static void pin(int n, int level)
{
    qemu_set_irq(ioapic_get_irq(ioapic, n), level);
}

static bool remote_irr(int n)
{
    return io_read(0x10 + 2 * n) & (1u << 14);
}

/* Takes the interrupt INTR announces and EOIs it; returns its vector. */
static int take(void)
{
    int v = apic_get_interrupt(apic);

    if (v >= 0) {
        writel(LAPIC(0xb0), 0);
    }
    return v;
}

START_TEST(test_registers)
{
    ck_assert_uint_eq(io_read(0x01), 0x00170020);
    ck_assert_uint_eq(io_read(0x00), 0);
    io_write(0x00, 0x0a000000);
    ck_assert_uint_eq(io_read(0x00), 0x0a000000);
    ck_assert_uint_eq(readl(IOREGSEL), 0x00);
    for (int n = 0; n < 24; n++) {
        ck_assert_uint_eq(io_read(0x10 + 2 * n), 0x10000); /* masked */
        ck_assert_uint_eq(io_read(0x11 + 2 * n), 0);
    }
    route(3, 0x0001ffff, 0xff);
    ck_assert_uint_eq(io_read(0x10 + 6), 0x0001afff); /* status, remote IRR read-only */
    ck_assert_uint_eq(io_read(0x11 + 6), 0xff000000);
    ck_assert_uint_eq(io_read(0x10 + 2 * 24), 0xffffffff); /* past the table */
}
END_TEST

START_TEST(test_edge)
{
    route(4, 0x34, 0);
    pin(4, 1);
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(take(), 0x34);
    pin(4, 1); /* no new edge */
    ck_assert_int_eq(take(), -1);
    pin(4, 0);
    pin(4, 1);
    ck_assert_int_eq(take(), 0x34);
    /* masked: the edge is lost */
    pin(4, 0);
    route(4, 0x10034, 0);
    pin(4, 1);
    route(4, 0x34, 0);
    ck_assert_int_eq(take(), -1);
    ck_assert(!remote_irr(4));
    /* to another APIC ID: nobody takes it */
    pin(4, 0);
    route(4, 0x34, 5);
    pin(4, 1);
    ck_assert_int_eq(take(), -1);
}
END_TEST

START_TEST(test_level_remote_irr)
{
    route(9, 0x8039, 0); /* level, active high */
    pin(9, 1);
    ck_assert(remote_irr(9));
    ck_assert_int_eq(apic_get_interrupt(apic), 0x39);
    ck_assert(readl(LAPIC(0x180 + 0x10)) & (1u << (0x39 - 32))); /* TMR */
    /* while remote IRR is set nothing more is sent */
    pin(9, 0);
    pin(9, 1);
    ck_assert_int_eq(intr.level, 0);
    /* EOI while still asserted: remote IRR clears and it comes again */
    writel(LAPIC(0xb0), 0);
    ck_assert(remote_irr(9));
    ck_assert_int_eq(apic_get_interrupt(apic), 0x39);
    pin(9, 0);
    writel(LAPIC(0xb0), 0);
    ck_assert(!remote_irr(9));
    ck_assert_int_eq(take(), -1);
    /* the IOAPIC's own EOI register (version 0x20) */
    pin(9, 1);
    ck_assert(remote_irr(9));
    ck_assert_int_eq(apic_get_interrupt(apic), 0x39);
    pin(9, 0);
    writel(IOEOI, 0x39);
    ck_assert(!remote_irr(9));
    writel(LAPIC(0xb0), 0);
    /* asserted while masked: sent when unmasked */
    route(9, 0x18039, 0);
    pin(9, 1);
    ck_assert_int_eq(intr.level, 0);
    route(9, 0x8039, 0);
    ck_assert_int_eq(take(), 0x39);
    pin(9, 0);
    /* switching to edge clears remote IRR */
    pin(9, 1);
    ck_assert(remote_irr(9));
    route(9, 0x39, 0);
    ck_assert(!remote_irr(9));
}
END_TEST

START_TEST(test_isa_style_routing)
{
    /* Two pins, one vector each, as an OS sets up the PIT (pin 2) and RTC (pin 8). */
    route(2, 0x30, 0);
    route(8, 0x38, 0);
    pin(8, 1);
    pin(2, 1);
    ck_assert_int_eq(take(), 0x38);
    ck_assert_int_eq(take(), 0x30);
    ck_assert_int_eq(take(), -1);
}
END_TEST

START_TEST(test_nmi_extint_modes)
{
    route(5, 0x400, 0); /* NMI */
    pin(5, 1);
    ck_assert_int_eq(nmi.raises, 1);
    route(6, 0x700, 0); /* ExtINT: the CPU asks the 8259 */
    pin(6, 1);
    ck_assert_int_eq(intr.level, 1);
    ck_assert_int_eq(apic_get_interrupt(apic), 0x2f);
    ck_assert_int_eq(pic_acks, 1);
    ck_assert_int_eq(intr.level, 0);
    route(7, 0x100 | 0x47, 0); /* lowest priority */
    pin(7, 1);
    ck_assert_int_eq(take(), 0x47);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("ioapic");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_registers);
    tcase_add_test(tc, test_edge);
    tcase_add_test(tc, test_level_remote_irr);
    tcase_add_test(tc, test_isa_style_routing);
    tcase_add_test(tc, test_nmi_extint_modes);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
