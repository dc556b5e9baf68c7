/*
 * SMP test guests (one ELF, the case chosen by -append "test=NAME").
 *
 * Start-up, shared by every case: the BSP counts the CPUs in the ACPI MADT
 * (enabled Processor Local APIC entries, ACPI 6.x 5.2.12.2) and in fw_cfg
 * NB_CPUS (key 0x05) and fails unless both agree, copies the trampoline to
 * 0x7000 and wakes each AP in MADT order with INIT, SIPI and, if it has not
 * checked in, a second SIPI (SDM vol.3 8.4.4.1).  Each AP gets its own
 * stack, enables its local APIC and checks in with its APIC ID.
 *
 * Cases (each prints lines that qemu-system-x86_64 prints too):
 *   counter  every CPU: a counter under a LOCK CMPXCHG spinlock, LOCK INC,
 *            LOCK XADD and a CMPXCHG loop, N times; exact totals
 *   ipi      fixed IPIs BSP <-> each AP (K round trips), all-excluding-self
 *            and all-including-self broadcasts, an NMI to each AP
 *   tlb      TLB shootdown: APs read through a mapping, the BSP changes the
 *            PTE, INVLPG, IPI; APs INVLPG, acknowledge, see the new page
 *   litmus   x86-TSO: message passing, SB with MFENCE and with XCHG, LB
 *            (forbidden outcomes fail; SB's allowed 0/0 is only counted)
 *   bench    every CPU: the same private ALU/memory work (scripts/bench-smp)
 * "noiret" makes the interrupt handlers return without IRET (see smp-asm.S).
 *
 * The same source builds for long mode (smp64.elf: start64.S enters 64-bit
 * mode with 2 MiB pages; the trampoline, smp-asm64.S, takes each AP through
 * protected mode and PAE paging to 64-bit code; "noiret" is 32-bit only).
 */
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

extern const char smp_tramp_start[], smp_tramp_end[];
extern void smp_load_gdt(void);
extern void smp_isr_2(void), smp_isr_0x40(void), smp_isr_0x41(void), smp_isr_0x42(void),
    smp_isr_0x43(void), smp_isr_0x44(void), smp_isr_0xff(void);
/* vectors 0, 1, 3-19 */
extern void (*const smp_fault_stubs[19])(void);
void smp_ap_main(void);
void smp_isr(uint32_t vector);
void smp_fault(uint32_t vector, uintptr_t top, uintptr_t next);

volatile uintptr_t smp_ap_stack;
volatile uint8_t smp_no_iret;

static uint8_t ap_stacks[MAX_CPUS][8192] __attribute__((aligned(16)));
#ifdef __x86_64__
static uint64_t idt[512]; /* 16-byte gates */
#else
static uint64_t idt[256];
#endif
static struct {
    uint16_t limit;
    uintptr_t base;
} __attribute__((packed)) idtr;

static int ncpus;
static uint8_t apic_ids[MAX_CPUS];       /* MADT order, BSP first */
static volatile uint32_t checked_in[MAX_CPUS];
/* the case the APs run next: the BSP bumps phase, APs run phase_fn */
static volatile uint32_t phase, phase_done;
static void (*volatile phase_fn)(int cpu);

/* per-CPU interrupt counts, by CPU index */
static volatile uint32_t n_ping[MAX_CPUS], n_pong, n_bcast[MAX_CPUS], n_all[MAX_CPUS];
static volatile uint32_t n_nmi[MAX_CPUS], n_tlb[MAX_CPUS], n_spurious;

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

static int this_cpu(void)
{
    uint8_t id = lapic_read(LAPIC_ID) >> 24;

    for (int i = 0; i < ncpus; i++) {
        if (apic_ids[i] == id) {
            return i;
        }
    }
    return -1;
}

static void send_ipi(uint8_t dest, uint32_t icr)
{
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) {
        cpu_relax();
    }
    lapic_write(LAPIC_ICR_HI, (uint32_t)dest << 24);
    lapic_write(LAPIC_ICR_LO, icr);
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) {
        cpu_relax();
    }
}

/* --- time: the PIT's channel 0 counting down from 0x10000 (1.193182 MHz) --- */

static uint16_t pit_read(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    return lo | inb(0x40) << 8;
}

static void delay_us(uint32_t us)
{
    uint32_t ticks = us + us / 5, elapsed = 0; /* 1.19 ticks per us */
    uint16_t last = pit_read();

    while (elapsed < ticks) {
        uint16_t now = pit_read();

        elapsed += (uint16_t)(last - now);
        last = now;
    }
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

static void timeout_start(struct timeout *t, uint32_t ms)
{
    t->left = ms * 1193;
    t->last = pit_read();
}

static bool timeout_expired(struct timeout *t)
{
    cpu_relax();
    uint16_t now = pit_read();
    uint32_t d = (uint16_t)(t->last - now);

    t->last = now;
    if (d >= t->left) {
        return true;
    }
    t->left -= d;
    return false;
}

#define WAIT_MS 20000 /* generous: the interpreter under ASan is slow */

/* --- counting the CPUs --- */

static bool sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;

    while (len--) {
        s += *p++;
    }
    return s == 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int madt_cpus(uint8_t *ids)
{
    const uint8_t *rsdp = NULL, *rsdt, *madt = NULL;
    int n = 0;

    for (uint32_t a = 0xe0000; a < 0x100000; a += 16) {
        if (!strncmp(PTR(a), "RSD PTR ", 8) && sum_ok(PTR(a), 20)) {
            rsdp = PTR(a);
            break;
        }
    }
    if (!check(rsdp != NULL, "RSDP in 0xe0000-0xfffff")) {
        return -1;
    }
    rsdt = PTR(rd32(rsdp + 16));
    if (!check(!strncmp((const char *)rsdt, "RSDT", 4) && sum_ok(rsdt, rd32(rsdt + 4)),
               "RSDT signature and checksum")) {
        return -1;
    }
    for (uint32_t off = 36; off + 4 <= rd32(rsdt + 4); off += 4) {
        const uint8_t *t = PTR(rd32(rsdt + off));

        if (!strncmp((const char *)t, "APIC", 4)) {
            madt = t;
        }
    }
    if (!check(madt && sum_ok(madt, rd32(madt + 4)), "MADT present, checksum")) {
        return -1;
    }
    for (uint32_t off = 44; off + 2 <= rd32(madt + 4) && madt[off + 1] >= 2;
         off += madt[off + 1]) {
        /* type 0: Processor Local APIC; flags bit 0 = enabled */
        if (madt[off] == 0 && (rd32(madt + off + 4) & 1)) {
            if (n < MAX_CPUS) {
                ids[n] = madt[off + 3];
            }
            n++;
        }
    }
    return n;
}

static int fw_cfg_cpus(void)
{
    outw(0x510, 0x05); /* FW_CFG_NB_CPUS, 16-bit little endian */
    uint8_t lo = inb(0x511);
    return lo | inb(0x511) << 8;
}

/* --- interrupts --- */

static void set_gate(int vec, void (*fn)(void))
{
    uint64_t off = (uintptr_t)fn;
    /* interrupt gate (32-bit, or 64-bit in long mode), DPL 0, present */
    uint64_t gate = (off & 0xffff) | (uint64_t)0x08 << 16 | (uint64_t)0x8e00 << 32 |
                    (off >> 16 & 0xffff) << 48;

#ifdef __x86_64__
    idt[2 * vec] = gate;
    idt[2 * vec + 1] = off >> 32;
#else
    idt[vec] = gate;
#endif
}

static void load_idt(void)
{
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static void setup_idt(void)
{
    for (int v = 0, i = 0; v < 20; v++) {
        if (v != 2) {
            set_gate(v, smp_fault_stubs[i++]);
        }
    }
    set_gate(2, smp_isr_2);
    set_gate(VEC_PING, smp_isr_0x40);
    set_gate(VEC_PONG, smp_isr_0x41);
    set_gate(VEC_BCAST, smp_isr_0x42);
    set_gate(VEC_ALL, smp_isr_0x43);
    set_gate(VEC_TLB, smp_isr_0x44);
    set_gate(VEC_SPURIOUS, smp_isr_0xff);
    load_idt();
}

#define TEST_VA 0x40000000u
static inline void invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"((uintptr_t)va) : "memory");
}

void smp_isr(uint32_t vector)
{
    int cpu = this_cpu();

    if (cpu < 0) {
        return;
    }
    switch (vector) {
    case 2:
        n_nmi[cpu]++;
        return; /* no EOI for an NMI */
    case VEC_PING:
        n_ping[cpu]++;
        send_ipi(apic_ids[0], ICR_ASSERT | ICR_FIXED | VEC_PONG);
        break;
    case VEC_PONG:
        n_pong++;
        break;
    case VEC_BCAST:
        n_bcast[cpu]++;
        break;
    case VEC_ALL:
        n_all[cpu]++;
        break;
    case VEC_TLB:
        invlpg(TEST_VA);
        n_tlb[cpu]++;
        break;
    case VEC_SPURIOUS:
        n_spurious++;
        return; /* no EOI for the spurious vector (SDM 10.9) */
    }
    lapic_write(LAPIC_EOI, 0);
}

void smp_fault(uint32_t vector, uintptr_t top, uintptr_t next)
{
    uintptr_t cr2;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    printf_serial("FAIL: exception %u on cpu %d (stack %llx %llx, CR2 %llx)\n", vector,
                  this_cpu(), (unsigned long long)top, (unsigned long long)next,
                  (unsigned long long)cr2);
    debug_exit(GUEST_FAIL);
}

/* --- start-up --- */

static void lapic_enable(void)
{
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

void smp_ap_main(void)
{
    load_idt();
    lapic_enable();
    uint8_t id = lapic_read(LAPIC_ID) >> 24;
    int cpu = this_cpu();

    if (cpu > 0) {
        checked_in[cpu] = 0x100 | id;
    }
    for (uint32_t seen = 0;;) {
        while (phase == seen) {
            cpu_relax();
        }
        seen = phase;
        phase_fn(cpu);
        __atomic_fetch_add(&phase_done, 1, __ATOMIC_SEQ_CST);
    }
}

static bool start_aps(void)
{
    bool ok = true;

    memcpy((void *)TRAMP_ADDR, smp_tramp_start, smp_tramp_end - smp_tramp_start);
    for (int i = 1; i < ncpus; i++) {
        smp_ap_stack = (uintptr_t)&ap_stacks[i][sizeof(ap_stacks[i])];
        send_ipi(apic_ids[i], ICR_ASSERT | ICR_INIT);
        delay_us(10000);
        for (int sipi = 0; sipi < 2 && !checked_in[i]; sipi++) {
            send_ipi(apic_ids[i], ICR_ASSERT | ICR_SIPI | (TRAMP_ADDR >> 12));
            struct timeout t;
            for (timeout_start(&t, 200); !checked_in[i] && !timeout_expired(&t);) {
            }
        }
        /* wait longer for a slow emulator before giving up on this AP */
        struct timeout t;
        for (timeout_start(&t, WAIT_MS); !checked_in[i] && !timeout_expired(&t);) {
        }
        if (checked_in[i] == (0x100u | apic_ids[i])) {
            printf_serial("smp: cpu %d (APIC ID %d) checked in\n", i, apic_ids[i]);
        } else {
            printf_serial("FAIL: cpu %d (APIC ID %d) did not check in\n", i, apic_ids[i]);
            ok = false;
        }
    }
    return ok;
}

/* Runs fn on every AP and on the BSP; returns when all have finished. */
static void run_on_all(void (*fn)(int cpu))
{
    phase_done = 0;
    phase_fn = fn;
    __atomic_fetch_add(&phase, 1, __ATOMIC_SEQ_CST);
    fn(0);
    while (phase_done != (uint32_t)ncpus - 1) {
        cpu_relax();
    }
}

/* --- counter --- */

#define COUNT_N 20000
static volatile uint32_t lock, locked_count, inc_count, xadd_count, cas_count;
static volatile uint32_t xadd_sum_lo[MAX_CPUS];
static volatile uint32_t start_gate;

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

static void gate_wait(void)
{
    __atomic_fetch_add(&start_gate, 1, __ATOMIC_SEQ_CST);
    while (start_gate < (uint32_t)ncpus) {
        cpu_relax();
    }
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

static bool test_counter(void)
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

/* --- IPIs --- */

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

static bool wait_for(volatile uint32_t *v, uint32_t want)
{
    struct timeout t;

    for (timeout_start(&t, WAIT_MS); *v != want && !timeout_expired(&t);) {
    }
    return *v == want;
}

static bool test_ipi(void)
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

/* --- TLB shootdown --- */

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

static bool test_tlb(void)
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

/* --- litmus tests (BSP against cpu 1) --- */

#define LITMUS_N 20000
static volatile uint32_t lx, ly, lr[2];
static volatile uint32_t bar_count, bar_sense;
static uint32_t mp_stale, sbf_both_zero, sbx_both_zero, lb_both_one, sb_both_zero;

/* a two-party sense-reversing barrier */
static void barrier2(uint32_t *local_sense)
{
    *local_sense ^= 1;
    if (__atomic_add_fetch(&bar_count, 1, __ATOMIC_SEQ_CST) == 2) {
        bar_count = 0;
        bar_sense = *local_sense;
    } else {
        while (bar_sense != *local_sense) {
            cpu_relax();
        }
    }
}

static void litmus_side(int who)
{
    uint32_t sense = 0;

    for (uint32_t i = 1; i <= LITMUS_N; i++) {
        uint32_t r;

        /* message passing: data then flag; flag seen => data seen */
        barrier2(&sense);
        if (who == 0) {
            lx = i;
            ly = i;
        } else {
            r = ly;
            __asm__ volatile("" ::: "memory");
            if (r == i && lx < i) {
                mp_stale++;
            }
        }
        /* SB, plain: both loads may see 0 (the store buffer) */
        barrier2(&sense);
        if (who == 0) {
            lx = 0;
            ly = 0;
        }
        barrier2(&sense);
        if (who == 0) {
            lx = 1;
            lr[0] = ly;
        } else {
            ly = 1;
            lr[1] = lx;
        }
        barrier2(&sense);
        if (who == 0 && lr[0] == 0 && lr[1] == 0) {
            sb_both_zero++;
        }
        /* SB with MFENCE: 0/0 forbidden */
        if (who == 0) {
            lx = 0;
            ly = 0;
        }
        barrier2(&sense);
        if (who == 0) {
            lx = 1;
            __asm__ volatile("mfence" ::: "memory");
            lr[0] = ly;
        } else {
            ly = 1;
            __asm__ volatile("mfence" ::: "memory");
            lr[1] = lx;
        }
        barrier2(&sense);
        if (who == 0 && lr[0] == 0 && lr[1] == 0) {
            sbf_both_zero++;
        }
        /* SB with XCHG as the store: locked, 0/0 forbidden */
        if (who == 0) {
            lx = 0;
            ly = 0;
        }
        barrier2(&sense);
        r = 1;
        if (who == 0) {
            __asm__ volatile("xchgl %0, %1" : "+r"(r), "+m"(lx) : : "memory");
            lr[0] = ly;
        } else {
            __asm__ volatile("xchgl %0, %1" : "+r"(r), "+m"(ly) : : "memory");
            lr[1] = lx;
        }
        barrier2(&sense);
        if (who == 0 && lr[0] == 0 && lr[1] == 0) {
            sbx_both_zero++;
        }
        /* LB: loads are not reordered with later stores: 1/1 forbidden */
        if (who == 0) {
            lx = 0;
            ly = 0;
        }
        barrier2(&sense);
        if (who == 0) {
            lr[0] = lx;
            ly = 1;
        } else {
            lr[1] = ly;
            lx = 1;
        }
        barrier2(&sense);
        if (who == 0 && lr[0] == 1 && lr[1] == 1) {
            lb_both_one++;
        }
    }
}

static void litmus_case(int cpu)
{
    if (cpu <= 1) {
        litmus_side(cpu);
    }
}

static bool test_litmus(void)
{
    bool ok = true;

    if (ncpus < 2) {
        puts_serial("litmus: one CPU, nothing to race\n");
        return true;
    }
    run_on_all(litmus_case);
    printf_serial("litmus: %d rounds: MP stale %u, SB+MFENCE 0/0 %u, SB+XCHG 0/0 %u, LB 1/1 %u\n",
                  LITMUS_N, mp_stale, sbf_both_zero, sbx_both_zero, lb_both_one);
    /* allowed by x86-TSO; how often depends on the host: not compared */
    printf_serial("~ litmus: SB (plain) 0/0 seen %u times\n", sb_both_zero);
    ok &= check(mp_stale == 0, "message passing saw the flag before the data");
    ok &= check(sbf_both_zero == 0, "SB with MFENCE: both loads saw 0");
    ok &= check(sbx_both_zero == 0, "SB with XCHG: both loads saw 0");
    ok &= check(lb_both_one == 0, "LB: a load saw a later store");
    return ok;
}

/* --- bench: the same private work on every CPU --- */

static uint32_t bench_rounds = 100;
static uint32_t bench_buf[MAX_CPUS][4096];
static volatile uint32_t bench_sum[MAX_CPUS];

static void bench_case(int cpu)
{
    uint32_t *b = bench_buf[cpu], x = 12345, h = 2166136261u;

    gate_wait();
    for (uint32_t r = 0; r < bench_rounds; r++) {
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

static bool test_bench(void)
{
    bool ok = true;

    run_on_all(bench_case);
    for (int i = 0; i < ncpus; i++) {
        ok &= check(bench_sum[i] == bench_sum[0], "every CPU computed the same checksum");
    }
    printf_serial("bench: %d CPUs x %u rounds, checksum=0x%x\n", ncpus, bench_rounds,
                  bench_sum[0]);
    return ok;
}

/* --- main --- */

static const char *arg(const char *cmdline, const char *key)
{
    size_t n = strlen(key);

    for (const char *p = cmdline; p && *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && !strncmp(p, key, n)) {
            return p + n;
        }
    }
    return NULL;
}

static uint32_t atou(const char *p)
{
    uint32_t v = 0;

    while (p && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p++ - '0');
    }
    return v;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    static const struct {
        const char *name;
        bool (*fn)(void);
    } cases[] = {
        { "counter", test_counter }, { "ipi", test_ipi }, { "tlb", test_tlb },
        { "litmus", test_litmus }, { "bench", test_bench },
    };
    const char *cmdline = (mbi->flags & 4) ? (const char *)PTR(mbi->cmdline) : "";
    const char *name = arg(cmdline, "test=");
    int which = -1, madt, fwcfg;
    uint8_t bsp_id;

    /* the command line first: the trampoline's page may hold it */
    smp_no_iret = arg(cmdline, "noiret") != NULL;
    if (arg(cmdline, "rounds=")) {
        bench_rounds = atou(arg(cmdline, "rounds="));
    }
    for (int i = 0; name && i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        size_t n = strlen(cases[i].name);

        if (!strncmp(name, cases[i].name, n) && (name[n] == ' ' || !name[n])) {
            which = i;
        }
    }
    if (!check(which >= 0, "no test=counter|ipi|tlb|litmus|bench on the command line")) {
        return GUEST_FAIL;
    }
    smp_load_gdt();
    setup_idt();
    outb(0x43, 0x34); /* PIT channel 0, mode 2, reload 0x10000: delay_us */
    outb(0x40, 0);
    outb(0x40, 0);
    outb(0x21, 0xff); /* the 8259s masked: only the APIC delivers */
    outb(0xa1, 0xff);

    uint8_t ids[MAX_CPUS];
    madt = madt_cpus(ids);
    fwcfg = fw_cfg_cpus();
    printf_serial("smp: MADT lists %d CPUs, fw_cfg NB_CPUS %d\n", madt, fwcfg);
    if (!check(madt == fwcfg && madt >= 1, "MADT and fw_cfg agree on the CPU count") ||
        !check(madt <= MAX_CPUS, "at most 8 CPUs")) {
        return GUEST_FAIL;
    }
    ncpus = madt;
    lapic_enable();
    bsp_id = lapic_read(LAPIC_ID) >> 24;
    apic_ids[0] = bsp_id;
    for (int i = 0, j = 1; i < madt; i++) {
        if (ids[i] != bsp_id) {
            if (!check(j < madt, "the BSP's APIC ID is in the MADT")) {
                return GUEST_FAIL;
            }
            apic_ids[j++] = ids[i];
        }
    }
    printf_serial("smp: BSP APIC ID %d\n", bsp_id);
    if (!start_aps()) {
        return GUEST_FAIL;
    }
    bool ok = cases[which].fn();
    printf_serial("%s: %s\n", cases[which].name, ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
