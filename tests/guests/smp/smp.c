/*
 * SMP test guests (one ELF, the case chosen by -append "test=NAME").
 * This file: the start-up and the dispatch; smp-CASE.c: the cases.
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
 *   nmiwait  an NMI sent to an AP in wait-for-SIPI (after an INIT) is held,
 *            and taken in real mode once a SIPI starts the AP
 * "noiret" makes the interrupt handlers return without IRET (see smp-asm.S).
 *
 * The same source builds for long mode (smp64.elf: start64.S enters 64-bit
 * mode with 2 MiB pages; the trampoline, smp-asm64.S, takes each AP through
 * protected mode and PAE paging to 64-bit code; "noiret" is 32-bit only).
 */
#include "smp.h"

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

int ncpus;
uint8_t apic_ids[MAX_CPUS];       /* MADT order, BSP first */
static volatile uint32_t checked_in[MAX_CPUS];
/* the case the APs run next: the BSP bumps phase, APs run phase_fn */
volatile uint32_t phase, phase_done;
void (*volatile phase_fn)(int cpu);

/* per-CPU interrupt counts, by CPU index */
volatile uint32_t n_ping[MAX_CPUS], n_pong, n_bcast[MAX_CPUS], n_all[MAX_CPUS];
volatile uint32_t n_nmi[MAX_CPUS], n_tlb[MAX_CPUS], n_spurious;

int this_cpu(void)
{
    uint8_t id = lapic_read(LAPIC_ID) >> 24;

    for (int i = 0; i < ncpus; i++) {
        if (apic_ids[i] == id) {
            return i;
        }
    }
    return -1;
}

void send_ipi(uint8_t dest, uint32_t icr)
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

void delay_us(uint32_t us)
{
    uint32_t ticks = us + us / 5, elapsed = 0; /* 1.19 ticks per us */
    uint16_t last = pit_read();

    while (elapsed < ticks) {
        uint16_t now = pit_read();

        elapsed += (uint16_t)(last - now);
        last = now;
    }
}

void timeout_start(struct timeout *t, uint32_t ms)
{
    t->left = ms * 1193;
    t->last = pit_read();
}

bool timeout_expired(struct timeout *t)
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

bool wait_for(volatile uint32_t *v, uint32_t want)
{
    struct timeout t;

    for (timeout_start(&t, WAIT_MS); *v != want && !timeout_expired(&t);) {
    }
    return *v == want;
}

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

/* Starts AP i, which is in wait-for-SIPI: a SIPI and, if it has not
 * checked in, a second (SDM vol.3 8.4.4.1); true once it has. */
bool ap_sipi(int i)
{
    checked_in[i] = 0;
    smp_ap_stack = (uintptr_t)&ap_stacks[i][sizeof(ap_stacks[i])];
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
    return checked_in[i] == (0x100u | apic_ids[i]);
}

static bool start_aps(void)
{
    bool ok = true;

    memcpy((void *)TRAMP_ADDR, smp_tramp_start, smp_tramp_end - smp_tramp_start);
    for (int i = 1; i < ncpus; i++) {
        send_ipi(apic_ids[i], ICR_ASSERT | ICR_INIT);
        delay_us(10000);
        if (ap_sipi(i)) {
            printf_serial("smp: cpu %d (APIC ID %d) checked in\n", i, apic_ids[i]);
        } else {
            printf_serial("FAIL: cpu %d (APIC ID %d) did not check in\n", i, apic_ids[i]);
            ok = false;
        }
    }
    return ok;
}

void run_on_all(void (*fn)(int cpu))
{
    phase_done = 0;
    phase_fn = fn;
    __atomic_fetch_add(&phase, 1, __ATOMIC_SEQ_CST);
    fn(0);
    while (phase_done != (uint32_t)ncpus - 1) {
        cpu_relax();
    }
}

static volatile uint32_t start_gate;

/* Every CPU waits here until all have arrived (once per boot). */
void gate_wait(void)
{
    __atomic_fetch_add(&start_gate, 1, __ATOMIC_SEQ_CST);
    while (start_gate < (uint32_t)ncpus) {
        cpu_relax();
    }
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
        { "litmus", test_litmus }, { "bench", test_bench }, { "nmiwait", test_nmiwait },
    };
    const char *cmdline = (mbi->flags & 4) ? (const char *)PTR(mbi->cmdline) : "";
    const char *name = arg(cmdline, "test=");
    int which = -1, madt, fwcfg;
    uint8_t bsp_id;

    /* the command line first: the trampoline's page may hold it */
    smp_no_iret = arg(cmdline, "noiret") != NULL;
    if (arg(cmdline, "rounds=")) {
        case_rounds = atou(arg(cmdline, "rounds="));
    }
    for (int i = 0; name && i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        size_t n = strlen(cases[i].name);

        if (!strncmp(name, cases[i].name, n) && (name[n] == ' ' || !name[n])) {
            which = i;
        }
    }
    if (!check(which >= 0, "no test=counter|ipi|tlb|litmus|bench|nmiwait on the command line")) {
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
