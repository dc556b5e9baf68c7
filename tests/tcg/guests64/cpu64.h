/*
 * What the 64-bit test guests share: a GDT in Linux's SYSCALL/SYSRET
 * layout, a 64-bit TSS (RSP0, IST1), a 64-bit IDT whose exception stubs
 * hand a frame to exc_handler, ring-3 entry through IRETQ, a SYSCALL
 * entry, and TRY_FAULT, which runs one faulting instruction and resumes
 * after it.
 */
#ifndef TCG_GUEST_CPU64_H
#define TCG_GUEST_CPU64_H

#include "../../guests/runtime/guest.h"

#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UCODE32 0x1b /* ring 3, compatibility mode */
#define SEL_UDATA   0x23
#define SEL_UCODE64 0x2b
#define SEL_TSS     0x30 /* 16 bytes */
#define SEL_KCODE32 0x40 /* ring 0, compatibility mode */
#define SEL_BAD_LD  0x48 /* code with L and D both set */

struct frame64 {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct fault_record {
    int count;
    uint64_t vector, error, rip, cr2;
};

extern volatile struct fault_record last_fault;
extern volatile uint64_t resume_rip;
/* Called for vectors nobody expected (resume_rip = 0); may edit the frame. */
extern void (*extra_handler)(struct frame64 *f);
/* Called from the SYSCALL entry at CPL 0 with the user's registers. */
extern void (*syscall_handler)(struct frame64 *f);

void cpu64_setup(void);
void set_gate64(int vector, void *entry, int dpl, int ist);
void *exc_stub(int vector);
extern uint64_t tss_rsp0_top, tss_ist1_top;
void set_tss_ist1(uint64_t top);
/* The boot page tables (start64.S): 4 GiB identity-mapped, 2 MiB pages. */
extern uint64_t boot_pml4[512], boot_pdpt[512], boot_pd[2048];
/* Runs fn in ring 3 (cs: SEL_UCODE64 or SEL_UCODE32) on its own stack
 * until it executes INT 0x41. */
void run_user(void *fn, uint64_t user_stack_top, uint64_t cs);

static inline uint64_t rdmsr(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
    return lo | ((uint64_t)hi << 32);
}

static inline void wrmsr(uint32_t idx, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t read_cr(int n)
{
    uint64_t v = 0;
    switch (n) {
    case 0: __asm__ volatile("mov %%cr0, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%cr2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%cr3, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(v)); break;
    case 8: __asm__ volatile("mov %%cr8, %0" : "=r"(v)); break;
    }
    return v;
}

static inline void write_cr(int n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); break;
    case 3: __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); break;
    case 4: __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); break;
    case 8: __asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory"); break;
    }
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* Runs insn (AT&T assembly); a fault in it resumes right after it. */
#define TRY_FAULT(insn, ...)                                                   \
    __asm__ volatile("movabsq $1f, %%r11\n\t movq %%r11, resume_rip\n\t" insn "\n1:\n\t" \
                     "movq $0, resume_rip\n\t" \
                     __VA_ARGS__)

/* Prints "name: vector=V err=E" and whether that is what was expected. */
bool expect_fault(const char *name, uint64_t vector, uint64_t error, bool check_error);

#endif
