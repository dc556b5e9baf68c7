/*
 * The SMP guest, the tlb case: a TLB shootdown by IPI.
 */
#include "smp.h"

#ifdef __x86_64__
/* start64.S's tables map 4 GiB with 2 MiB pages; TEST_VA's 2 MiB entry
 * becomes a page table that maps page A or B */
typedef uint64_t pte_t;
extern uint64_t boot_pd[4 * 512];
static pte_t page_table[512] __attribute__((aligned(4096)));
#else
/* 4 KiB pages: 0-8 MiB and the APIC's page identity-mapped, TEST_VA to
 * page A or B */
typedef uint32_t pte_t;
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t pt_low[2][1024] __attribute__((aligned(4096)));
static uint32_t pt_apic[1024] __attribute__((aligned(4096)));
static uint32_t page_table[1024] __attribute__((aligned(4096)));
#endif
static uint32_t page_a[1024] __attribute__((aligned(4096)));
static uint32_t page_b[1024] __attribute__((aligned(4096)));
static volatile uint32_t tlb_stage, tlb_seen_a[MAX_CPUS], tlb_seen_b[MAX_CPUS];

static void map_test_page(const uint32_t *page)
{
    page_table[0] = (pte_t)ADDR(page) | 0x03;
}

#ifdef __x86_64__
static void build_page_tables(void)
{
    uintptr_t cr3;

    boot_pd[TEST_VA >> 21] = ADDR(page_table) | 0x03;
    /* the 2 MiB page there may be cached: flush everything */
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static void paging_on(void)
{
    uintptr_t cr3;

    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static void paging_off(void)
{
}
#else
static void build_page_tables(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        pt_low[0][i] = i << 12 | 0x03;
        pt_low[1][i] = (1024 + i) << 12 | 0x03;
    }
    page_dir[0] = ADDR(pt_low[0]) | 0x03;
    page_dir[1] = ADDR(pt_low[1]) | 0x03;
    page_dir[LAPIC >> 22] = ADDR(pt_apic) | 0x03;
    pt_apic[(LAPIC >> 12) & 1023] = LAPIC | 0x13; /* PCD */
    page_dir[TEST_VA >> 22] = ADDR(page_table) | 0x03;
}

static void paging_on(void)
{
    uint32_t cr;

    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr | 0x80000000u) : "memory");
}

static void paging_off(void)
{
    uint32_t cr;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr & ~0x80000000u) : "memory");
}
#endif

static void tlb_case(int cpu)
{
    volatile uint32_t *p = (volatile uint32_t *)PTR(TEST_VA);

    paging_on();
    if (cpu == 0) {
        return;
    }
    __asm__ volatile("sti");
    /* read through the mapping so that it is cached, until the BSP moves on */
    while (tlb_stage == 0) {
        if (p[0] == 0xaaaa0000u) {
            tlb_seen_a[cpu]++;
        }
        cpu_relax();
    }
    while (n_tlb[cpu] == 0) {
        cpu_relax();
    }
    __asm__ volatile("cli");
    tlb_seen_b[cpu] = p[0];
    while (tlb_stage != 2) {
        cpu_relax();
    }
    paging_off();
}

bool test_tlb(void)
{
    bool ok = true;

    for (uint32_t i = 0; i < 1024; i++) {
        page_a[i] = 0xaaaa0000u + i;
        page_b[i] = 0xbbbb0000u + i;
    }
    map_test_page(page_a);
    build_page_tables();
    tlb_stage = 0;
    phase_done = 0;
    phase_fn = tlb_case;
    __atomic_fetch_add(&phase, 1, __ATOMIC_SEQ_CST);
    tlb_case(0);
    /* every AP has read page A through the mapping */
    for (int i = 1; i < ncpus; i++) {
        struct timeout t;
        for (timeout_start(&t, WAIT_MS); tlb_seen_a[i] < 100 && !timeout_expired(&t);) {
        }
        ok &= check(tlb_seen_a[i] >= 100, "AP read the old page through the mapping");
    }
    ok &= check(*(volatile uint32_t *)PTR(TEST_VA) == 0xaaaa0000u, "BSP sees page A");
    map_test_page(page_b);
    invlpg(TEST_VA);
    tlb_stage = 1;
    __asm__ volatile("sti");
    if (ncpus > 1) {
        send_ipi(0, ICR_ASSERT | ICR_ALL_BUT_ME | ICR_FIXED | VEC_TLB);
    }
    for (int i = 1; i < ncpus; i++) {
        ok &= check(wait_for(&n_tlb[i], 1), "AP acknowledged the shootdown");
    }
    __asm__ volatile("cli");
    uint32_t bsp = *(volatile uint32_t *)PTR(TEST_VA);
    printf_serial("tlb: cpu 0 sees %x after the change\n", bsp);
    ok &= check(bsp == 0xbbbb0000u, "BSP sees page B after INVLPG");
    for (int i = 1; i < ncpus; i++) {
        struct timeout t;
        for (timeout_start(&t, WAIT_MS); !tlb_seen_b[i] && !timeout_expired(&t);) {
        }
        printf_serial("tlb: cpu %d: read page A %u, acked %u, sees %x after the shootdown\n", i,
                      tlb_seen_a[i] >= 100 ? 1u : 0u, n_tlb[i], tlb_seen_b[i]);
        ok &= check(tlb_seen_b[i] == 0xbbbb0000u, "AP sees page B after the shootdown");
    }
    tlb_stage = 2;
    paging_off();
    while (phase_done != (uint32_t)ncpus - 1) {
        cpu_relax();
    }
    return ok;
}

