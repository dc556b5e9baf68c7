/*
 * Long mode, from the guest's side, compared line by line with QEMU:
 * 64-bit arithmetic, 4-level paging (NX, U/S, R/W, reserved bits, 1 GiB
 * pages as CPUID says, INVLPG), canonical-address faults, SYSCALL/SYSRET
 * from 64-bit and compatibility mode, SWAPGS, an IST interrupt stack,
 * IRETQ to ring 3, far transfers, CMPXCHG16B, CR8, MSRs and the opcodes
 * 64-bit mode does not have.
 */
#include "cpu64.h"

static uint8_t user_stack[8192] __attribute__((aligned(16)));
#define USER_TOP ((uint64_t)user_stack + sizeof(user_stack))

/* A page table for 8-10 MiB: identity 4 KiB pages with one oddity each. */
static uint64_t pt[512] __attribute__((aligned(4096)));
#define PG 0x800000ull
#define NX (1ull << 63)

static void setup_paging(void)
{
    boot_pml4[0] |= 4;
    for (int i = 0; i < 4; i++) {
        boot_pdpt[i] |= 4;
    }
    for (int i = 0; i < 2048; i++) {
        boot_pd[i] |= 4;
    }
    for (int i = 0; i < 512; i++) {
        pt[i] = (PG + i * 0x1000ull) | 7;
    }
    pt[1] |= NX;                          /* 0x801000: not executable */
    pt[2] &= ~4ull;                       /* 0x802000: supervisor only */
    pt[3] &= ~2ull;                       /* 0x803000: read-only */
    pt[4] = 0;                            /* 0x804000: not present */
    pt[5] |= 1ull << 45;                  /* 0x805000: above MAXPHYADDR */
    *(volatile uint8_t *)(PG + 0x1000) = 0xc3; /* ret */
    boot_pd[4] = (uint64_t)pt | 7;
    write_cr(3, read_cr(3));
    write_cr(0, read_cr(0) | (1u << 16)); /* WP */
}

static bool arith(void)
{
    uint64_t lo, hi, q, r;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(0xfedcba9876543210ull), "r"(0x123456789ull));
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi & 0xff), "r"(0x1000000007ull));
    int64_t sq;
    __asm__("imulq $-3, %1, %0" : "=r"(sq) : "r"(0x4000000000000001ll));
    uint64_t rot = 0x8000000000000001ull;
    __asm__("rolq $4, %0" : "+r"(rot));
    printf_serial("arith: mul=%llx:%llx div=%llx rem=%llx imul=%llx rol=%llx\n",
                  (unsigned long long)hi, (unsigned long long)lo, (unsigned long long)q,
                  (unsigned long long)r, (unsigned long long)sq, (unsigned long long)rot);
    return hi == 0x121fa00ac && lo == 0xcccccccce1833a90ull && q == 0xaccccccc8 &&
           r == 0x147e9a118 && sq == 0x3ffffffffffffffdll && rot == 0x18;
}

static void user_read_super(void)
{
    TRY_FAULT("movq 0x802000, %%rax", : : : "rax", "r11", "memory");
    __asm__ volatile("int $0x41");
}

static void user_write_ro(void)
{
    TRY_FAULT("movq $1, 0x803000", : : : "r11", "memory");
    __asm__ volatile("int $0x41");
}

/* A reserved-bit #PF: the RSVD bit (3) of the error code; bit 0 is not
 * printed (the SDM sets it, QEMU 7.2 does not). */
static bool expect_rsvd(const char *name)
{
    bool ok = last_fault.count == 1 && last_fault.vector == 14 && (last_fault.error & 8);

    printf_serial("%s: vector=%u rsvd=%u%s\n", name,
                  last_fault.count ? (unsigned)last_fault.vector : 99,
                  (unsigned)(last_fault.error >> 3) & 1, ok ? "" : " (WRONG)");
    last_fault.count = 0;
    return ok;
}

static bool paging(void)
{
    bool ok = true;
    uint32_t r[4];

    setup_paging();
    /* (the CALL has pushed its return address when the fetch faults) */
    TRY_FAULT("movq %%rsp, %%r10\n\t movq $0x801000, %%rax\n\t call *%%rax",
              "movq %%r10, %%rsp" : : : "rax", "r10", "r11", "memory");
    ok &= expect_fault("pf nx fetch", 14, 0x11, true);
    ok &= check(last_fault.count == 0, "fault record reset");
    uint8_t v = *(volatile uint8_t *)(PG + 0x1000);
    printf_serial("pf nx read: 0x%x\n", v);
    TRY_FAULT("movq 0x804008, %%rax", : : : "rax", "r11", "memory");
    uint64_t cr2 = last_fault.cr2;
    ok &= expect_fault("pf not present", 14, 0, true);
    printf_serial("pf cr2=0x%llx\n", (unsigned long long)cr2);
    TRY_FAULT("movq $1, 0x804008", : : : "r11", "memory");
    ok &= expect_fault("pf not present write", 14, 2, true);
    TRY_FAULT("movq $1, 0x803000", : : : "r11", "memory");
    ok &= expect_fault("pf read-only (WP)", 14, 3, true);
    TRY_FAULT("movq 0x805000, %%rax", : : : "rax", "r11", "memory");
    ok &= expect_rsvd("pf reserved bit");
    run_user(user_read_super, USER_TOP, SEL_UCODE64);
    ok &= expect_fault("pf user on supervisor page", 14, 5, true);
    run_user(user_write_ro, USER_TOP, SEL_UCODE64);
    ok &= expect_fault("pf user write read-only", 14, 7, true);

    /* INVLPG: a changed PTE becomes visible */
    *(volatile uint64_t *)(PG + 0x7000) = 0x1111;
    *(volatile uint64_t *)(PG + 0x8000) = 0x2222;
    uint64_t a = *(volatile uint64_t *)(PG + 0x7000);
    pt[7] = (PG + 0x8000) | 7;
    __asm__ volatile("invlpg (%0)" : : "r"(PG + 0x7000) : "memory");
    uint64_t b = *(volatile uint64_t *)(PG + 0x7000);
    printf_serial("invlpg: 0x%llx then 0x%llx\n", (unsigned long long)a, (unsigned long long)b);
    ok &= check(a == 0x1111 && b == 0x2222, "invlpg");

    /* 1 GiB pages: a mapping with CPUID pdpe1gb, a reserved-bit fault without */
    cpuid(0x80000001, r);
    bool gb = r[3] & (1u << 26);
    static uint64_t pdpt2[512] __attribute__((aligned(4096)));
    pdpt2[0] = 0x83 | 4;                  /* 512 GiB -> 0, 1 GiB page */
    boot_pml4[1] = (uint64_t)pdpt2 | 7;
    if (gb) TRY_FAULT("movabsq $0x8000000000 + 0x800000 + 0x7000, %%rax\n\t movq (%%rax), %%rax",
              : : : "rax", "r11", "memory");
    /* Without pdpe1gb the PS bit is reserved (test-tcg-long checks that);
     * QEMU maps the page anyway, so only the advertised case is compared. */
    if (gb) {
        printf_serial("1g page: %s\n", last_fault.count ? "FAIL" : "mapped");
        ok &= last_fault.count == 0;
    } else {
        printf_serial("1g page: not in CPUID\n");
    }
    last_fault.count = 0;
    boot_pml4[1] = (uint64_t)pdpt2 | 7 | 0x80; /* PS in a PML4E: reserved */
    write_cr(3, read_cr(3));
    TRY_FAULT("movabsq $0x8000000000, %%rax\n\t movq (%%rax), %%rax", : : : "rax", "r11", "memory");
    ok &= expect_rsvd("pml4e ps");
    boot_pml4[1] = 0;
    write_cr(3, read_cr(3));
    return ok;
}

static bool canonical(void)
{
    bool ok = true;

    TRY_FAULT("movabsq $0x0000800000000000, %%rax\n\t movq (%%rax), %%rax", : : : "rax", "r11",
              "memory");
    ok &= expect_fault("non-canonical load", 13, 0, true);
    TRY_FAULT("movabsq $0xffff7ffffffffff0, %%rax\n\t movq $1, (%%rax)", : : : "rax", "r11",
              "memory");
    ok &= expect_fault("non-canonical store", 13, 0, true);
    TRY_FAULT("movabsq $0x0000800000000000, %%rax\n\t jmp *%%rax", : : : "rax", "r11", "memory");
    ok &= expect_fault("non-canonical jump", 13, 0, true);
    return ok;
}

/* SYSCALL from ring 3: the kernel multiplies RAX by 10 and SYSRETs. */
static volatile uint64_t sys_count, sys_rcx, sys_cs;
static void sys_handler(struct frame64 *f)
{
    sys_count++;
    sys_rcx = f->rcx;
    f->rax *= 10;
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    sys_cs = cs;
}

static volatile uint64_t user_result, user_r11, user_cs;
static void user_syscalls(void)
{
    uint64_t a = 1, b, c, fl;
    uint16_t cs;
    __asm__ volatile("syscall" : "+a"(a) : : "rcx", "r11", "r12", "memory");
    b = a + 2;
    __asm__ volatile("syscall\n\t mov %%r11, %1" : "+a"(b), "=r"(fl) : : "rcx", "r11", "r12",
                     "memory");
    c = b;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    user_result = c;
    user_r11 = fl;
    user_cs = cs;
    __asm__ volatile("int $0x41");
}

/* Compatibility mode: 32-bit code, SYSCALL to CSTAR, SYSRETL back. */
extern char user32[], cstar_entry[];
static volatile uint64_t compat_eax;
/* (IRET to ring 3 nulled DS and ES, DPL 0 segments: 32-bit code needs its own) */
__asm__(".text\n.code32\n.globl user32\nuser32:\n"
        " movl $0x23, %eax\n movl %eax, %ds\n movl %eax, %es\n"
        " movl $7, %eax\n syscall\n"
        " movl %eax, compat_eax\n"
        " int $0x41\n"
        ".code64\n.globl cstar_entry\ncstar_entry:\n"
        " imull $3, %eax\n sysretl\n");

static bool syscalls(void)
{
    bool ok = true;

    syscall_handler = sys_handler;
    run_user(user_syscalls, USER_TOP, SEL_UCODE64);
    printf_serial("syscall: count=%u result=%u cs=0x%x kernel cs=0x%x r11.if=%u\n",
                  (unsigned)sys_count, (unsigned)user_result, (unsigned)user_cs,
                  (unsigned)sys_cs, (unsigned)((user_r11 >> 9) & 1));
    ok &= check(sys_count == 2 && user_result == 120 && user_cs == SEL_UCODE64, "syscall");
    wrmsr(0xc0000083, (uint64_t)cstar_entry);
    run_user(user32, USER_TOP, SEL_UCODE32);
    printf_serial("compat syscall: eax=%u\n", (unsigned)compat_eax);
    ok &= check(compat_eax == 21, "compat syscall");
    return ok;
}

static bool swapgs(void)
{
    static uint64_t a[2] = { 0xaaaa, 0x1a1a }, b[2] = { 0xbbbb, 0x2b2b };
    uint64_t x, y, base;

    wrmsr(0xc0000101, (uint64_t)a);
    wrmsr(0xc0000102, (uint64_t)b);
    __asm__ volatile("movq %%gs:8, %0\n swapgs\n movq %%gs:8, %1\n" : "=r"(x), "=r"(y));
    base = rdmsr(0xc0000101);
    __asm__ volatile("swapgs");
    printf_serial("swapgs: 0x%llx 0x%llx base=%s\n", (unsigned long long)x,
                  (unsigned long long)y, base == (uint64_t)b ? "kernel" : "WRONG");
    return x == 0x1a1a && y == 0x2b2b && base == (uint64_t)b;
}

/* INT 0x40 from ring 3 through IST1: the handler notes RSP and returns. */
static volatile uint64_t ist_rsp, ist_ss;
extern char ist_probe[];
__asm__(".text\n.globl ist_probe\nist_probe:\n movq %rsp, ist_rsp\n"
        " movq 32(%rsp), %r11\n movq %r11, ist_ss\n iretq\n");
static void user_int40(void)
{
    __asm__ volatile("int $0x40\n int $0x41" : : : "r11", "memory");
}

static bool interrupts(void)
{
    set_gate64(0x40, ist_probe, 3, 1);
    run_user(user_int40, USER_TOP, SEL_UCODE64);
    uint64_t d1 = tss_ist1_top - ist_rsp, ss1 = ist_ss;
    set_tss_ist1(tss_ist1_top - 8);        /* misaligned: aligned down to 16 */
    run_user(user_int40, USER_TOP, SEL_UCODE64);
    uint64_t d2 = tss_ist1_top - ist_rsp;
    set_tss_ist1(tss_ist1_top);
    set_gate64(0x40, ist_probe, 3, 0);     /* no IST: RSP0 */
    run_user(user_int40, USER_TOP, SEL_UCODE64);
    uint64_t d3 = tss_rsp0_top - ist_rsp;
    printf_serial("ist: frame %u, misaligned %u, rsp0 %u, user ss 0x%x\n", (unsigned)d1,
                  (unsigned)d2, (unsigned)d3, (unsigned)ss1);
    return d1 == 40 && d2 == 56 && d3 == 40 && ss1 == SEL_UDATA;
}

static bool misc(void)
{
    bool ok = true;
    static uint64_t dw[4] __attribute__((aligned(16))) = { 1, 2, 3, 4 };
    uint64_t lo = 1, hi = 2;
    uint8_t z1, z2;

    __asm__ volatile("cmpxchg16b %0\n setz %1" : "+m"(dw[0]), "=r"(z1), "+a"(lo), "+d"(hi)
                     : "b"(5ull), "c"(6ull) : "memory");
    __asm__ volatile("cmpxchg16b %0\n setz %1" : "+m"(dw[0]), "=r"(z2), "+a"(lo), "+d"(hi)
                     : "b"(7ull), "c"(8ull) : "memory");
    printf_serial("cmpxchg16b: %u %u mem=%u,%u rdx:rax=%u:%u\n", z1, z2, (unsigned)dw[0],
                  (unsigned)dw[1], (unsigned)hi, (unsigned)lo);
    ok &= check(z1 && !z2 && dw[0] == 5 && lo == 5 && hi == 6, "cmpxchg16b");
    TRY_FAULT("cmpxchg16b 8(%0)", : : "r"(dw), "a"(0), "d"(0), "b"(0), "c"(0) : "r11", "memory");
    ok &= expect_fault("cmpxchg16b misaligned", 13, 0, true);

    write_cr(8, 9);
    printf_serial("cr8: %u\n", (unsigned)read_cr(8));
    write_cr(8, 0);

    uint64_t ax;
    __asm__ volatile("xor %%eax, %%eax\n stc\n lahf" : "=a"(ax));
    printf_serial("lahf: 0x%x\n", (unsigned)(ax >> 8) & 0xff);

    wrmsr(0xc0000102, 0xffff888012345000ull);
    printf_serial("kernel_gs_base: 0x%llx star: 0x%llx mtrrcap: 0x%llx\n",
                  (unsigned long long)rdmsr(0xc0000102), (unsigned long long)rdmsr(0xc0000081),
                  (unsigned long long)rdmsr(0xfe));

    static const uint8_t bad_ops[] = { 0x06, 0x27, 0x60, 0xce, 0xd6 };
    for (unsigned i = 0; i < sizeof(bad_ops); i++) {
        static uint8_t buf[4] __attribute__((aligned(16)));
        buf[0] = bad_ops[i];
        buf[1] = 0xc3;
        TRY_FAULT("movq %%rsp, %%r10\n\t call *%0", "movq %%r10, %%rsp" : : "r"(buf)
                  : "r10", "r11", "memory");
        char name[24] = "opcode 0x..";
        name[9] = "0123456789abcdef"[bad_ops[i] >> 4];
        name[10] = "0123456789abcdef"[bad_ops[i] & 15];
        ok &= expect_fault(name, 6, 0, false);
    }
    uint32_t r[4];
    cpuid(0x80000001, r);
    TRY_FAULT("rdtscp", : : : "rax", "rcx", "rdx", "r11", "memory");
    if (r[3] & (1u << 27)) {
        printf_serial("rdtscp: %s\n", last_fault.count ? "FAIL" : "ok");
        ok &= last_fault.count == 0;
        last_fault.count = 0;
    } else {
        ok &= expect_fault("rdtscp (not in CPUID)", 6, 0, false);
    }

    /* far call into 32-bit ring-0 code and back */
    static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp32;
    extern char kcode32[];
    fp32.off = (uint32_t)(uint64_t)kcode32;
    fp32.sel = SEL_KCODE32;
    uint32_t got;
    __asm__ volatile("lcalll *%1" : "=a"(got) : "m"(fp32) : "memory");
    printf_serial("far call to 32-bit code: 0x%x\n", got);
    ok &= check(got == 0x32323232, "far call");
    return ok;
}
__asm__(".text\n.code32\n.globl kcode32\nkcode32:\n movl $0x32323232, %eax\n lret\n.code64\n");

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint32_t r[4];
    bool ok = true;

    cpu64_setup();
    cpuid(0x80000001, r);
    printf_serial("long: cpuid lm=%u nx=%u syscall=%u lahf_lm=%u\n", (r[3] >> 29) & 1,
                  (r[3] >> 20) & 1, (r[3] >> 11) & 1, r[2] & 1);
    ok &= arith();
    ok &= paging();
    ok &= canonical();
    ok &= syscalls();
    ok &= swapgs();
    ok &= interrupts();
    ok &= misc();
    printf_serial("long: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
