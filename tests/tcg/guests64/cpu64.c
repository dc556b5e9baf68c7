/* The 64-bit test guests' descriptor tables and exception plumbing (cpu64.h). */
#include "cpu64.h"

struct gate64 {
    uint16_t offset_low, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_high, zero;
} __attribute__((packed));

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap;
} __attribute__((packed));

static struct gate64 idt[256] __attribute__((aligned(16)));
static struct tss64 tss;
static uint64_t gdt[10] = {
    0,
    0x00af9a000000ffffull, /* 0x08 kernel code, 64-bit */
    0x00cf92000000ffffull, /* 0x10 kernel data */
    0x00cffa000000ffffull, /* 0x18 user code, 32-bit */
    0x00cff2000000ffffull, /* 0x20 user data */
    0x00affa000000ffffull, /* 0x28 user code, 64-bit */
    0, 0,                  /* 0x30 TSS, 16 bytes, filled in */
    0x00cf9a000000ffffull, /* 0x40 kernel code, 32-bit */
    0x00ef9a000000ffffull, /* 0x48 L and D: reserved */
};
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t iststack[8192] __attribute__((aligned(16)));
uint64_t tss_rsp0_top, tss_ist1_top;

uint64_t user_return_rsp;
extern char user_exit[];

volatile struct fault_record last_fault;
volatile uint64_t resume_rip;
void (*extra_handler)(struct frame64 *f);
void (*syscall_handler)(struct frame64 *f);

void exc_handler(struct frame64 *f);
void exc_handler(struct frame64 *f)
{
    if (f->vector == 65) {
        /* INT 0x41: back to run_user's caller, in ring 0 */
        f->rip = (uint64_t)user_exit;
        f->cs = SEL_KCODE;
        f->ss = SEL_KDATA;
        f->rsp = user_return_rsp;
        f->rflags &= ~0x200ull;
        return;
    }
    if (!resume_rip) {
        if (extra_handler) {
            extra_handler(f);
            return;
        }
        printf_serial("unexpected exception %u err=0x%x at 0x%llx\n", (unsigned)f->vector,
                      (unsigned)f->error, (unsigned long long)f->rip);
        debug_exit(GUEST_FAIL);
    }
    last_fault.count++;
    last_fault.vector = f->vector;
    last_fault.error = f->error;
    last_fault.rip = f->rip;
    last_fault.cr2 = read_cr(2);
    f->rip = resume_rip;
    resume_rip = 0;
}

/* Stubs: vectors with a CPU-pushed error code (8, 10-14, 17) skip the dummy. */
#define STUB_N(n) __asm__(".text\nexc_stub_" #n ":\n pushq $0\n pushq $" #n "\n jmp exc_common\n");
#define STUB_E(n) __asm__(".text\nexc_stub_" #n ":\n pushq $" #n "\n jmp exc_common\n");
STUB_N(0) STUB_N(1) STUB_N(2) STUB_N(3) STUB_N(4) STUB_N(5) STUB_N(6) STUB_N(7)
STUB_E(8) STUB_N(9) STUB_E(10) STUB_E(11) STUB_E(12) STUB_E(13) STUB_E(14) STUB_N(15)
STUB_N(16) STUB_E(17) STUB_N(18) STUB_N(19) STUB_N(64) STUB_N(65)

__asm__(".text\nexc_common:\n"
        " pushq %rax\n pushq %rbx\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n"
        " pushq %rbp\n pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %r12\n"
        " pushq %r13\n pushq %r14\n pushq %r15\n"
        " movq %rsp, %rdi\n call exc_handler\n"
        " popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %r11\n popq %r10\n"
        " popq %r9\n popq %r8\n popq %rbp\n popq %rdi\n popq %rsi\n popq %rdx\n"
        " popq %rcx\n popq %rbx\n popq %rax\n addq $16, %rsp\n iretq\n");

/* SYSCALL: CPL 0 on the user's stack; build a frame64 on the kernel stack. */
void syscall_entry(void);
void syscall_c(struct frame64 *f);
void syscall_c(struct frame64 *f)
{
    if (syscall_handler) {
        syscall_handler(f);
    }
}
__asm__(".text\n.globl syscall_entry\nsyscall_entry:\n"
        " movq %rsp, %r12\n movq tss_rsp0_top, %rsp\n"
        " pushq $0x23\n pushq %r12\n pushq %r11\n pushq $0x2b\n pushq %rcx\n"
        " pushq $0\n pushq $0x100\n"
        " pushq %rax\n pushq %rbx\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n"
        " pushq %rbp\n pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %r12\n"
        " pushq %r13\n pushq %r14\n pushq %r15\n"
        " movq %rsp, %rdi\n call syscall_c\n"
        " popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %r11\n popq %r10\n"
        " popq %r9\n popq %r8\n popq %rbp\n popq %rdi\n popq %rsi\n popq %rdx\n"
        " popq %rcx\n popq %rbx\n popq %rax\n"
        " movq 32(%rsp), %r11\n movq 16(%rsp), %rcx\n movq 40(%rsp), %rsp\n"
        " sysretq\n");

/*
 * run_user: IRETQ to fn in ring 3 (64-bit or compatibility mode); the
 * user code comes back with INT 0x41, whose handler returns to user_exit
 * in ring 0, which restores the caller's stack.  SYSCALL clobbers the
 * user's R12.
 */
__asm__(".text\n.globl run_user\nrun_user:\n"
        " pushq %rbx\n pushq %rbp\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
        " movq %rsp, user_return_rsp\n"
        " pushq $0x23\n pushq %rsi\n pushq $0x2\n pushq %rdx\n pushq %rdi\n iretq\n"
        ".globl user_exit\nuser_exit:\n movq user_return_rsp, %rsp\n"
        " movl $0x10, %eax\n movl %eax, %ds\n movl %eax, %es\n"
        " popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbp\n popq %rbx\n ret\n");

extern char exc_stub_0[], exc_stub_1[], exc_stub_2[], exc_stub_3[], exc_stub_4[],
    exc_stub_5[], exc_stub_6[], exc_stub_7[], exc_stub_8[], exc_stub_9[], exc_stub_10[],
    exc_stub_11[], exc_stub_12[], exc_stub_13[], exc_stub_14[], exc_stub_15[], exc_stub_16[],
    exc_stub_17[], exc_stub_18[], exc_stub_19[], exc_stub_64[], exc_stub_65[];
static void *const stubs[20] = {
    exc_stub_0, exc_stub_1, exc_stub_2, exc_stub_3, exc_stub_4, exc_stub_5, exc_stub_6,
    exc_stub_7, exc_stub_8, exc_stub_9, exc_stub_10, exc_stub_11, exc_stub_12, exc_stub_13,
    exc_stub_14, exc_stub_15, exc_stub_16, exc_stub_17, exc_stub_18, exc_stub_19,
};

void *exc_stub(int vector)
{
    return vector < 20 ? stubs[vector] : vector == 64 ? exc_stub_64 : exc_stub_65;
}

void set_gate64(int vector, void *entry, int dpl, int ist)
{
    uint64_t h = (uint64_t)entry;
    idt[vector] = (struct gate64){ h & 0xffff, SEL_KCODE, ist, 0x8e | (dpl << 5),
                                   (h >> 16) & 0xffff, h >> 32, 0 };
}

void set_tss_ist1(uint64_t top)
{
    tss.ist[0] = top;
}

void cpu64_setup(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint64_t)gdt },
      idtr = { sizeof(idt) - 1, (uint64_t)idt };
    uint64_t tb = (uint64_t)&tss, tl = sizeof(tss) - 1;

    gdt[6] = (tl & 0xffff) | ((tb & 0xffffff) << 16) | (0x89ull << 40) |
             (((tb >> 24) & 0xff) << 56);
    gdt[7] = tb >> 32;
    tss_rsp0_top = (uint64_t)kstack + sizeof(kstack);
    tss_ist1_top = (uint64_t)iststack + sizeof(iststack);
    tss.rsp[0] = tss_rsp0_top;
    tss.ist[0] = tss_ist1_top;
    tss.iomap = sizeof(tss); /* no I/O bitmap */
    __asm__ volatile("lgdt %0\n"
                     "pushq $0x08\n leaq 1f(%%rip), %%rax\n pushq %%rax\n lretq\n"
                     "1: movl $0x10, %%eax\n movl %%eax, %%ds\n movl %%eax, %%es\n"
                     "movl %%eax, %%ss\n movl $0x30, %%eax\n ltr %%ax\n"
                     : : "m"(gdtr) : "rax", "memory");
    for (int i = 0; i < 20; i++) {
        set_gate64(i, stubs[i], 0, 0);
    }
    set_gate64(65, exc_stub_65, 3, 0);
    __asm__ volatile("lidt %0" : : "m"(idtr));
    /* SYSCALL: kernel CS 0x08 (SS 0x10), SYSRET base 0x18 (CS 0x1b/0x2b, SS 0x23) */
    wrmsr(0xc0000081, (0x18ull << 48) | (0x08ull << 32));
    wrmsr(0xc0000082, (uint64_t)syscall_entry);
    wrmsr(0xc0000084, 0x700);  /* FMASK: TF, IF, DF */
    wrmsr(0xc0000080, rdmsr(0xc0000080) | 1 | (1u << 11)); /* SCE, NXE */
}

bool expect_fault(const char *name, uint64_t vector, uint64_t error, bool check_error)
{
    bool ok = last_fault.count == 1 && last_fault.vector == vector &&
              (!check_error || last_fault.error == error);

    printf_serial("%s: vector=%u err=0x%x%s\n", name,
                  last_fault.count ? (unsigned)last_fault.vector : 99,
                  (unsigned)last_fault.error, ok ? "" : " (WRONG)");
    last_fault.count = 0;
    last_fault.error = 0;
    return ok;
}
