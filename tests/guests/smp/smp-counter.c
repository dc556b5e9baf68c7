/*
 * The SMP guest, the counter case: every CPU increments shared counters
 * with locked instructions; the totals must be exact.
 */
#include "smp.h"

#define COUNT_N 20000
static volatile uint32_t lock, locked_count, inc_count, xadd_count, cas_count;
static volatile uint32_t xadd_sum_lo[MAX_CPUS];

static void spin_lock(volatile uint32_t *l)
{
    uint32_t expect;

    do {
        while (*l) {
            cpu_relax();
        }
        expect = 0;
        __asm__ volatile("lock cmpxchgl %2, %1"
                         : "+a"(expect), "+m"(*l) : "r"(1u) : "memory", "cc");
    } while (expect != 0);
}

static void spin_unlock(volatile uint32_t *l)
{
    uint32_t zero = 0;

    /* XCHG is implicitly locked: a full barrier before the release */
    __asm__ volatile("xchgl %0, %1" : "+r"(zero), "+m"(*l) : : "memory");
}

static void counter_case(int cpu)
{
    uint32_t sum = 0;

    gate_wait();
    for (int i = 0; i < COUNT_N; i++) {
        spin_lock(&lock);
        locked_count = locked_count + 1; /* a plain read-modify-write under the lock */
        spin_unlock(&lock);
        __asm__ volatile("lock incl %0" : "+m"(inc_count) : : "memory", "cc");
        uint32_t add = 3;
        __asm__ volatile("lock xaddl %0, %1" : "+r"(add), "+m"(xadd_count) : : "memory", "cc");
        sum += add; /* the old values: every one is distinct, a multiple of 3 */
        uint32_t old = cas_count, seen;
        for (;;) {
            seen = old;
            __asm__ volatile("lock cmpxchgl %2, %1"
                             : "+a"(seen), "+m"(cas_count) : "r"(old + 1) : "memory", "cc");
            if (seen == old) {
                break;
            }
            old = seen;
        }
    }
    xadd_sum_lo[cpu] = sum;
}

bool test_counter(void)
{
    uint32_t total = COUNT_N * ncpus, sum = 0, want = 0;
    bool ok = true;

    run_on_all(counter_case);
    for (int i = 0; i < ncpus; i++) {
        sum += xadd_sum_lo[i];
    }
    /* the old values seen by XADD are 0, 3, ..., 3(total-1), each once */
    for (uint32_t i = 0; i < total; i++) {
        want += 3 * i;
    }
    printf_serial("counter: %d CPUs x %d: locked %u, lock inc %u, lock xadd %u, cmpxchg %u\n",
                  ncpus, COUNT_N, locked_count, inc_count, xadd_count, cas_count);
    ok &= check(locked_count == total, "spinlock-protected counter lost updates");
    ok &= check(inc_count == total, "LOCK INC counter lost updates");
    ok &= check(xadd_count == 3 * total, "LOCK XADD counter lost updates");
    ok &= check(sum == want, "LOCK XADD returned a duplicated old value");
    ok &= check(cas_count == total, "CMPXCHG loop counter lost updates");
    return ok;
}

