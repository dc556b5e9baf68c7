/*
 * The SMP guest, the nmiwait case: an NMI sent to an AP in wait-for-SIPI.
 * After INIT an AP executes nothing until a SIPI (SDM vol.3 8.4.1, 8.4.4.1),
 * so it cannot take the NMI there; the NMI stays pending and is taken at
 * the first instruction boundary once the SIPI has started the AP in real
 * mode, through the real-mode IVT (SDM vol.3 20.1.4).  The handler below
 * 1 MiB counts, then IRET returns to the trampoline, which starts the AP
 * as usual.
 */
#include "smp.h"

extern const char smp_nmi16_start[], smp_nmi16_count[], smp_nmi16_end[];

#define NMI16_ADDR 0x7800 /* TRAMP_ADDR's page, past the trampoline */
#define IVT_NMI 0x8       /* vector 2: offset word, then segment word */

/* An address the compiler cannot see as a constant (GCC warns about
 * accesses to constant addresses in the first page). */
static void *low_ptr(uintptr_t a)
{
    __asm__("" : "+r"(a));
    return PTR(a);
}

bool test_nmiwait(void)
{
    volatile uint16_t *count = low_ptr(NMI16_ADDR + (smp_nmi16_count - smp_nmi16_start));
    volatile uint16_t *ivt = low_ptr(IVT_NMI);
    bool ok = true;

    memcpy(low_ptr(NMI16_ADDR), smp_nmi16_start, smp_nmi16_end - smp_nmi16_start);
    ivt[0] = 0;
    ivt[1] = NMI16_ADDR >> 4;
    for (int i = 1; i < ncpus; i++) {
        struct timeout t;

        *count = 0;
        send_ipi(apic_ids[i], ICR_ASSERT | ICR_INIT);
        /* PAUSE on the way lets a round-robin scheduler run the AP */
        for (timeout_start(&t, 20); !timeout_expired(&t);) {
        }
        send_ipi(apic_ids[i], ICR_ASSERT | ICR_NMI);
        for (timeout_start(&t, 50); !timeout_expired(&t);) {
        }
        uint16_t held = *count;
        bool up = ap_sipi(i);
        uint16_t after = *count;

        printf_serial("nmiwait: cpu %d: NMIs taken in wait-for-SIPI %u, after the SIPI %u\n", i,
                      held, after - held);
        ok &= check(up, "the AP started again after the SIPI");
        ok &= check(held == 0, "no NMI taken in wait-for-SIPI");
        ok &= check(after == 1, "the held NMI taken once, after the SIPI");
    }
    return ok;
}
