/*
 * What the SMP guest's files share (smp.c describes the guest): the local
 * APIC, the CPU table the start-up fills, IPIs, timeouts, running a
 * function on every CPU, and the interrupt counts smp_isr keeps.
 */
#ifndef SMP_H
#define SMP_H

#include "../runtime/guest.h"

#define MAX_CPUS 8
#define LAPIC 0xfee00000u
#define LAPIC_ID  0x020
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_PENDING (1u << 12)
#define ICR_ASSERT  (1u << 14)
#define ICR_FIXED 0x000
#define ICR_NMI   0x400
#define ICR_INIT  0x500
#define ICR_SIPI  0x600
#define ICR_SELF       (1u << 18)
#define ICR_ALL        (2u << 18)
#define ICR_ALL_BUT_ME (3u << 18)
#define TRAMP_ADDR 0x7000
#define VEC_PING  0x40
#define VEC_PONG  0x41
#define VEC_BCAST 0x42
#define VEC_ALL   0x43
#define VEC_TLB   0x44
#define VEC_SPURIOUS 0xff
/* guest addresses are below 4 GiB in both builds */
#define PTR(a) ((void *)(uintptr_t)(a))
#define ADDR(p) ((uint32_t)(uintptr_t)(p))

#define TEST_VA 0x40000000u /* the tlb case's mapping */

extern int ncpus;
extern uint8_t apic_ids[MAX_CPUS]; /* by CPU index: MADT order, BSP first */
/* the case the APs run next: the BSP bumps phase, APs run phase_fn */
extern volatile uint32_t phase, phase_done;
extern void (*volatile phase_fn)(int cpu);
/* per-CPU interrupt counts (smp_isr), by CPU index */
extern volatile uint32_t n_ping[MAX_CPUS], n_pong, n_bcast[MAX_CPUS], n_all[MAX_CPUS];
extern volatile uint32_t n_nmi[MAX_CPUS], n_tlb[MAX_CPUS], n_spurious;
extern uint32_t case_rounds;

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)PTR(LAPIC + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)PTR(LAPIC + reg) = v;
}

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline void invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"((uintptr_t)va) : "memory");
}

/*
 * A timeout for waits on other CPUs.  Each check executes PAUSE, which
 * lets a round-robin (thread=single) scheduler run the CPU waited for.
 * A descheduled wait may miss a PIT wrap (55 ms): the timeout only grows.
 */
struct timeout {
    uint32_t left;
    uint16_t last;
};

#define WAIT_MS 20000 /* generous: the interpreter under ASan is slow */

void timeout_start(struct timeout *t, uint32_t ms);
bool timeout_expired(struct timeout *t);
void delay_us(uint32_t us);
/* Waits (with a timeout) until *v == want. */
bool wait_for(volatile uint32_t *v, uint32_t want);
/* The index of the CPU running this, or -1. */
int this_cpu(void);
void send_ipi(uint8_t dest, uint32_t icr);
/* Runs fn on every AP and on the BSP; returns when all have finished. */
void run_on_all(void (*fn)(int cpu));
void gate_wait(void);
bool ap_sipi(int i);

bool test_counter(void);
bool test_ipi(void);
bool test_tlb(void);
bool test_litmus(void);
bool test_bench(void);
bool test_nmiwait(void);

#endif
