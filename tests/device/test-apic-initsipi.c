/*
 * INIT and SIPI through the local APIC bus, no CPU running (SDM vol.3
 * 10.6.1 "Issuing Interprocessor Interrupts", 8.4.4.1): three APICs with
 * fake vCPUs, 1 and 2 in wait-for-SIPI as after RESET.  What arrives is
 * the target's interrupt_request bit (CPU_INTERRUPT_INIT / _SIPI, acted
 * on by the vCPU's own thread in accel/tcg/cpu-exec.c) and sipi_vector.
 * Checked: fixed and logical destinations, the shorthands, INIT level
 * de-assert (no effect), a SIPI to a CPU not waiting for one (dropped),
 * a SIPI behind a pending INIT (kept), a hardware-disabled APIC, and the
 * APIC's own INIT reset (ID and base kept, SDM 10.4.7.3).
 */
#include "device-test.h"
#include "hw/intc/apic.h"
#include "sysemu/cpus.h"

#define BASE APIC_DEFAULT_ADDRESS
#define REG(r) (BASE + (r))

#define DM_INIT 0x500
#define DM_SIPI 0x600
#define LOGICAL 0x800
#define ASSERT 0x4000
#define LEVEL 0x8000
#define SH_SELF 0x40000
#define SH_ALL 0x80000
#define SH_OTHERS 0xc0000

static APICBus *bus;
static APICState *apics[3];
static CPUState cpus[3];
static IRQProbe intr[3], nmi;

static void setup(void)
{
    irq_probe_init(&nmi);
    bus = apic_bus_new(get_system_memory());
    for (int i = 0; i < 3; i++) {
        memset(&cpus[i], 0, sizeof(cpus[i]));
        cpus[i].cpu_index = i;
        g_cond_init(&cpus[i].halt_cond_own);
        irq_probe_init(&intr[i]);
        apics[i] = apic_new(bus, i, &cpus[i], intr[i].irq, nmi.irq);
        /* the APs after RESET (x86_cpu_reset) */
        cpus[i].env.wait_for_sipi = i != 0;
        cpus[i].env.halted = i != 0;
    }
    current_cpu = &cpus[0];
}

static void teardown(void)
{
    current_cpu = NULL;
    apic_bus_free(bus);
    for (int i = 0; i < 3; i++) {
        qemu_free_irq(intr[i].irq);
        g_cond_clear(&cpus[i].halt_cond_own);
    }
    qemu_free_irq(nmi.irq);
}

/* The ICR of the APIC that @from's window answers for. */
static void ipi(int from, uint8_t dest, uint32_t lo)
{
    current_cpu = &cpus[from];
    writel(REG(0x310), (uint32_t)dest << 24);
    writel(REG(0x300), lo);
    current_cpu = &cpus[0];
}

static int req(int i)
{
    return __atomic_load_n(&cpus[i].interrupt_request, __ATOMIC_SEQ_CST);
}

static void clear_all(void)
{
    for (int i = 0; i < 3; i++) {
        cpus[i].interrupt_request = 0;
    }
}

START_TEST(test_init_sipi_fixed)
{
    ipi(0, 1, DM_INIT | ASSERT | LEVEL);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT);
    ck_assert_int_eq(req(0), 0);
    ck_assert_int_eq(req(2), 0);
    ipi(0, 1, DM_SIPI | 0x07);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(cpus[1].sipi_vector, 0x07);
    ck_assert_int_eq(req(2), 0);
}
END_TEST

/* 10.6.1: the de-assert only resynchronises arbitration IDs. */
START_TEST(test_init_level_deassert)
{
    ipi(0, 0, DM_INIT | LEVEL | SH_ALL);
    ipi(0, 1, DM_INIT | LEVEL);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(req(i), 0);
    }
    ck_assert_int_eq(cpus[0].env.halted, false);
}
END_TEST

/* 8.4.4.1: a SIPI reaches only a CPU in wait-for-SIPI; a running one
 * ignores it, and it is not kept for a later INIT. */
START_TEST(test_sipi_to_running_cpu_dropped)
{
    cpus[1].env.wait_for_sipi = false;
    cpus[1].env.halted = false;
    ipi(0, 1, DM_SIPI | 0x10);
    ck_assert_int_eq(req(1), 0);
    ipi(1, 0, DM_SIPI | 0x10); /* the BSP never waits for one */
    ck_assert_int_eq(req(0), 0);
    /* behind an INIT not yet taken, it counts: INIT then SIPI is the
     * start-up sequence, whichever thread gets there first */
    ipi(0, 1, DM_INIT | ASSERT);
    ipi(0, 1, DM_SIPI | 0x11);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(cpus[1].sipi_vector, 0x11);
}
END_TEST

START_TEST(test_shorthands)
{
    ipi(0, 0, DM_INIT | ASSERT | SH_OTHERS);
    ck_assert_int_eq(req(0), 0);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_INIT);
    clear_all();
    /* all including self: the BSP is not waiting, its copy is dropped */
    ipi(0, 0, DM_SIPI | SH_ALL | 0x20);
    ck_assert_int_eq(req(0), 0);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(cpus[2].sipi_vector, 0x20);
    clear_all();
    /* an AP sending to all others reaches the BSP and the other AP */
    ipi(2, 0, DM_INIT | ASSERT | SH_OTHERS);
    ck_assert_int_eq(req(0), CPU_INTERRUPT_INIT);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT);
    ck_assert_int_eq(req(2), 0);
    clear_all();
    /* self: the sender's own vCPU, as qemu-system-x86_64 delivers it */
    ipi(1, 0, DM_INIT | ASSERT | SH_SELF);
    ck_assert_int_eq(req(0), 0);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_INIT);
    ck_assert_int_eq(req(2), 0);
    /* physical broadcast 0xff */
    clear_all();
    ipi(0, 0xff, DM_SIPI | 0x30);
    ck_assert_int_eq(req(0), 0);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_SIPI);
}
END_TEST

START_TEST(test_logical_destination)
{
    current_cpu = &cpus[2];
    writel(REG(0xd0), 0x04000000); /* logical ID bit 2, flat model */
    current_cpu = &cpus[1];
    writel(REG(0xd0), 0x02000000);
    current_cpu = &cpus[0];
    ipi(0, 0x04, DM_INIT | ASSERT | LOGICAL);
    ck_assert_int_eq(req(1), 0);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_INIT);
    ipi(0, 0x06, DM_SIPI | LOGICAL | 0x08);
    ck_assert_int_eq(req(1), CPU_INTERRUPT_SIPI);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI);
}
END_TEST

/* 10.4.3: a hardware-disabled APIC takes no IPIs; a software-disabled
 * one (SVR bit 8 clear, the state after INIT) still takes INIT/SIPI. */
START_TEST(test_disabled_apic)
{
    ck_assert_uint_eq(readl(REG(0xf0)) & 0x100, 0);
    ipi(0, 2, DM_INIT | ASSERT);
    ck_assert_int_eq(req(2), CPU_INTERRUPT_INIT);
    ck_assert(apic_set_base(apics[1], BASE));
    ipi(0, 1, DM_INIT | ASSERT);
    ipi(0, 1, DM_SIPI | 0x07);
    ck_assert_int_eq(req(1), 0);
}
END_TEST

/* 10.4.7.3: after INIT the APIC is as after RESET but for its ID and
 * IA32_APIC_BASE (an MSR: INIT keeps MSRs). */
START_TEST(test_apic_init_reset)
{
    current_cpu = &cpus[1];
    writel(REG(0xf0), 0x1ff);
    writel(REG(0xd0), 0x02000000);
    writel(REG(0x20), 0x09000000); /* a new APIC ID */
    writel(REG(0x80), 0x40);
    ck_assert(apic_set_base(apics[1], 0xfee00000 | MSR_APICBASE_ENABLE));
    cpus[1].apic_ops->init_reset(cpus[1].apic_opaque);
    ck_assert_uint_eq(readl(REG(0x20)), 0x09000000);
    ck_assert_uint_eq(readl(REG(0xf0)), 0xff);
    ck_assert_uint_eq(readl(REG(0xd0)), 0);
    ck_assert_uint_eq(readl(REG(0x80)), 0);
    ck_assert_uint_eq(readl(REG(0x350)), 0x10000); /* an AP: LINT0 masked */
    ck_assert_uint_eq(apic_get_base(apics[1]), BASE | MSR_APICBASE_ENABLE);
    current_cpu = &cpus[0];
}
END_TEST

/* With one CPU, a broadcast INIT/SIPI to the others reaches nobody. */
START_TEST(test_one_cpu_broadcast)
{
    APICBus *b1 = apic_bus_new(get_system_memory());
    CPUState c = { 0 };
    IRQProbe i1;

    apic_bus_free(bus);
    bus = NULL;
    irq_probe_init(&i1);
    g_cond_init(&c.halt_cond_own);
    apic_new(b1, 0, &c, i1.irq, nmi.irq);
    current_cpu = &c;
    writel(REG(0x300), DM_INIT | ASSERT | SH_OTHERS);
    writel(REG(0x300), DM_SIPI | SH_OTHERS | 0x07);
    writel(REG(0x300), DM_SIPI | SH_ALL | 0x07);
    ck_assert_int_eq(c.interrupt_request, 0);
    apic_bus_free(b1);
    qemu_free_irq(i1.irq);
    g_cond_clear(&c.halt_cond_own);
    bus = apic_bus_new(get_system_memory()); /* for teardown */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("apic-initsipi");
    TCase *tc = tcase_create("apic-initsipi");

    device_test_init();
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_init_sipi_fixed);
    tcase_add_test(tc, test_init_level_deassert);
    tcase_add_test(tc, test_sipi_to_running_cpu_dropped);
    tcase_add_test(tc, test_shorthands);
    tcase_add_test(tc, test_logical_destination);
    tcase_add_test(tc, test_disabled_apic);
    tcase_add_test(tc, test_apic_init_reset);
    tcase_add_test(tc, test_one_cpu_broadcast);
    suite_add_tcase(s, tc);
    return device_test_run(s);
}
