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
#define GDT_ENTRIES 48   /* entries 10 and up are the tests' own */

/* A segment or system descriptor: access is byte 5 (P, DPL, S, type),
 * flags the G/D/L/AVL nibble; limit in the descriptor's units. */
static inline uint64_t make_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}
/* A gate (call, task, interrupt, trap): access as above, count in bits 4:0. */
static inline uint64_t make_gate(uint16_t sel, uint32_t offset, uint32_t access, int count)
{
    return (offset & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(count & 0x1f) << 32) |
           ((uint64_t)access << 40) | ((uint64_t)(offset >> 16) << 48);
}

struct frame {
    uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t es, ds; /* restored on return: ring 3 keeps its own */
    uint32_t vector, error, eip, cs, eflags;
    uint32_t user_esp, user_ss; /* only from ring 3 */
};

/* The 32-bit TSS (SDM vol.3 figure 7-2); regs in EAX..EDI, segs in ES..GS order */
struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t regs[8], segs[6], ldt;
    uint16_t trap, iomap;
} __attribute__((packed));

struct fault_record {
    int count;
    uint32_t vector, error, eip, cr2;
};

extern volatile struct fault_record last_fault;
/* every TRY_FAULT fault, in order (for code that cannot print: ring 3) */
extern volatile struct fault_record fault_log[16];
extern volatile int fault_log_n;
extern volatile uint32_t resume_eip;
/* Called for every exception and for vector 0x80; may edit the frame. */
extern void (*extra_handler)(struct frame *f);

void cpu_setup(void);
void set_idt_gate(int vector, void (*entry)(void), int dpl);
void set_tss_esp0(uint32_t esp0);
void *main_tss(void); /* the 32-bit TSS at SEL_TSS (struct tss32 layout) */
void set_gdt(int index, uint64_t desc);
uint64_t get_gdt(int index);
void set_idt_raw(int vector, uint64_t desc);
uint64_t get_idt_raw(int vector);
void reset_idt_gate(int vector); /* back to the exception stub (vectors 0-19) */
void enter_user(void (*fn)(void), uint32_t user_stack_top);
uint32_t read_cr0(void);
void write_cr0(uint32_t v);
uint32_t read_cr2(void);
uint32_t read_cr3(void);
void write_cr3(uint32_t v);
uint32_t read_cr4(void);
void write_cr4(uint32_t v);

/* Runs insn (AT&T assembly); a fault in it resumes right after it. */
#define TRY_FAULT(insn, ...)                                                   \
    __asm__ volatile("movl $1f, resume_eip\n\t" insn "\n1:\n\t" __VA_ARGS__)

/* "strict" on the command line: also check what the SDM says and QEMU
 * 7.2 does differently (those results print as '~' lines, which the
 * differential runs ignore). */
bool guest_strict(struct multiboot_info *mbi);
bool expect_fault(const char *name, uint32_t vector, uint32_t error, bool check_error);

#endif
