/*
 * The SMP guest, the ipi case: fixed IPIs both ways, broadcasts, NMI IPIs.
 */
#include "smp.h"

#define PING_K 200
static volatile uint32_t ipi_stage;

static void ipi_case(int cpu)
{
    if (cpu == 0) {
        return;
    }
    __asm__ volatile("sti");
    while (ipi_stage == 0) {
        cpu_relax();
    }
    __asm__ volatile("cli");
}

bool test_ipi(void)
{
    bool ok = true;

    ipi_stage = 0;
    phase_done = 0;
    phase_fn = ipi_case;
    __atomic_fetch_add(&phase, 1, __ATOMIC_SEQ_CST);
    __asm__ volatile("sti");
    for (int i = 1; i < ncpus; i++) {
        uint32_t before = n_pong;

        for (int k = 0; k < PING_K; k++) {
            send_ipi(apic_ids[i], ICR_ASSERT | ICR_FIXED | VEC_PING);
            if (!wait_for(&n_pong, before + k + 1)) {
                break;
            }
        }
        printf_serial("ipi: cpu %d: %u pings taken, %u pongs back\n", i, n_ping[i],
                      n_pong - before);
        ok &= check(n_ping[i] == PING_K && n_pong - before == PING_K, "ping-pong round trips");
    }
    /* all excluding self: every AP once, the BSP never */
    send_ipi(0, ICR_ASSERT | ICR_ALL_BUT_ME | ICR_FIXED | VEC_BCAST);
    for (int i = 1; i < ncpus; i++) {
        ok &= check(wait_for(&n_bcast[i], 1), "all-excluding-self reached an AP");
    }
    /* all including self */
    send_ipi(0, ICR_ASSERT | ICR_ALL | ICR_FIXED | VEC_ALL);
    for (int i = 0; i < ncpus; i++) {
        ok &= check(wait_for(&n_all[i], 1), "all-including-self reached a CPU");
    }
    /* an NMI to each AP (one each: NMIs stay blocked without IRET) */
    for (int i = 1; i < ncpus; i++) {
        send_ipi(apic_ids[i], ICR_ASSERT | ICR_NMI);
        ok &= check(wait_for(&n_nmi[i], 1), "NMI IPI taken");
    }
    delay_us(2000); /* a duplicate would have arrived by now */
    __asm__ volatile("cli");
    for (int i = 0; i < ncpus; i++) {
        printf_serial("ipi: cpu %d: broadcast %u, all %u, nmi %u\n", i, n_bcast[i], n_all[i],
                      n_nmi[i]);
    }
    ok &= check(n_bcast[0] == 0 && n_nmi[0] == 0, "the BSP excluded itself");
    for (int i = 1; i < ncpus; i++) {
        ok &= check(n_bcast[i] == 1 && n_all[i] == 1 && n_nmi[i] == 1,
                    "each broadcast and NMI taken exactly once");
    }
    ipi_stage = 1;
    while (phase_done != (uint32_t)ncpus - 1) {
        cpu_relax();
    }
    ok &= check(n_spurious == 0, "no spurious interrupts");
    return ok;
}

