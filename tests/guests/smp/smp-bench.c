/*
 * The SMP guest, the bench case: the same private work on every CPU (scripts/bench-smp).
 */
#include "smp.h"

uint32_t case_rounds; /* rounds= on the command line; 0: the case's default */
static uint32_t bench_buf[MAX_CPUS][4096];
static volatile uint32_t bench_sum[MAX_CPUS];

static uint32_t bench_nrounds(void)
{
    return case_rounds ? case_rounds : 100;
}

static void bench_case(int cpu)
{
    uint32_t *b = bench_buf[cpu], x = 12345, h = 2166136261u;

    uint32_t rounds = bench_nrounds();

    gate_wait();
    for (uint32_t r = 0; r < rounds; r++) {
        for (int i = 0; i < 4096; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = x ^ (x >> 16);
        }
        for (int i = 0; i < 4096; i++) {
            h = (h ^ b[(i * 7) & 4095]) * 16777619u;
        }
    }
    bench_sum[cpu] = h;
}

bool test_bench(void)
{
    bool ok = true;

    run_on_all(bench_case);
    for (int i = 0; i < ncpus; i++) {
        ok &= check(bench_sum[i] == bench_sum[0], "every CPU computed the same checksum");
    }
    printf_serial("bench: %d CPUs x %u rounds, checksum=0x%x\n", ncpus, bench_nrounds(),
                  bench_sum[0]);
    return ok;
}

