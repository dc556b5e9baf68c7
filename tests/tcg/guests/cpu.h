/*
 * What the interpreter's test guests share: our own GDT (flat ring-0 and
 * ring-3 segments, 16-bit segments for real-mode trips, a TSS), an IDT
 * whose 32 exception stubs hand a frame to exc_handler, and TRY_FAULT,
 * which runs one faulting instruction and resumes after it.
 */
#ifndef TCG_GUEST_CPU_H
#define TCG_GUEST_CPU_H

#include "../../guests/runtime/guest.h"

#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18
#define SEL_DATA16 0x20
#define SEL_UCODE  0x2b /* ring 3 */
#define SEL_UDATA  0x33
#define SEL_TSS    0x38
#define SEL_NP     0x40 /* data, not present */
#define SEL_RODATA 0x48 /* read-only data */

struct frame {
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t es, ds; /* restored on return: ring 3 keeps its own */
    uint32_t vector, error, eip, cs, eflags;
    uint32_t user_esp, user_ss; /* only from ring 3 */
};

struct fault_record {
    int count;
    uint32_t vector, error, eip, cr2;
};

extern volatile struct fault_record last_fault;
extern volatile uint32_t resume_eip;
/* Called for every exception and for vector 0x80; may edit the frame. */
extern void (*extra_handler)(struct frame *f);

void cpu_setup(void);
void set_idt_gate(int vector, void (*entry)(void), int dpl);
void set_tss_esp0(uint32_t esp0);
void enter_user(void (*fn)(void), uint32_t user_stack_top);
uint32_t read_cr0(void);
void write_cr0(uint32_t v);
uint32_t read_cr2(void);
void write_cr3(uint32_t v);
uint32_t read_cr4(void);
void write_cr4(uint32_t v);

/* Runs insn (AT&T assembly); a fault in it resumes right after it. */
#define TRY_FAULT(insn, ...)                                                   \
    __asm__ volatile("movl $1f, resume_eip\n\t" insn "\n1:\n\t" __VA_ARGS__)

bool expect_fault(const char *name, uint32_t vector, uint32_t error, bool check_error);

#endif
