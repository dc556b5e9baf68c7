/* The test guests' descriptor tables and exception plumbing (see cpu.h). */
#include "cpu.h"

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type_attr;
    uint16_t offset_high;
} __attribute__((packed));

static struct idt_gate idt[256];
static struct tss32 tss;
static uint64_t gdt[GDT_ENTRIES] = {
    0,
    0x00cf9a000000ffffull, /* 0x08 code32 */
    0x00cf92000000ffffull, /* 0x10 data32 */
    0x00009a000000ffffull, /* 0x18 code16 */
    0x000092000000ffffull, /* 0x20 data16 */
    0x00cffa000000ffffull, /* 0x28 user code32 (DPL 3) */
    0x00cff2000000ffffull, /* 0x30 user data32 (DPL 3) */
    0,                     /* 0x38 TSS, filled in */
    0x00cf12000000ffffull, /* 0x40 data, not present */
    0x00cf90000000ffffull, /* 0x48 read-only data */
};

volatile struct fault_record last_fault;
volatile struct fault_record fault_log[16];
volatile int fault_log_n;
volatile uint32_t resume_eip;
void (*extra_handler)(struct frame *f);

void exc_handler(struct frame *f);
void exc_handler(struct frame *f)
{
    if (f->vector == 0x80 || !resume_eip) {
        if (extra_handler) {
            extra_handler(f);
            return;
        }
        printf_serial("unexpected exception %u err=0x%x at 0x%x\n", f->vector, f->error,
                      f->eip);
        debug_exit(GUEST_FAIL);
    }
    last_fault.count++;
    last_fault.vector = f->vector;
    last_fault.error = f->error;
    last_fault.eip = f->eip;
    last_fault.cr2 = read_cr2();
    if (fault_log_n < 16) {
        fault_log[fault_log_n].vector = f->vector;
        fault_log[fault_log_n].error = f->error;
        fault_log[fault_log_n].eip = f->eip;
        fault_log_n++;
    }
    f->eip = resume_eip;
    resume_eip = 0;
}

/* Stubs: vectors with a CPU-pushed error code (8, 10-14, 17) skip the dummy. */
#define STUB_N(n)                                                   \
    void exc_stub_##n(void);                                        \
    __asm__(".text\nexc_stub_" #n ":\n pushl $0\n pushl $" #n "\n jmp exc_common\n");
#define STUB_E(n)                                                   \
    void exc_stub_##n(void);                                        \
    __asm__(".text\nexc_stub_" #n ":\n pushl $" #n "\n jmp exc_common\n");
STUB_N(0) STUB_N(1) STUB_N(2) STUB_N(3) STUB_N(4) STUB_N(5) STUB_N(6) STUB_N(7)
STUB_E(8) STUB_N(9) STUB_E(10) STUB_E(11) STUB_E(12) STUB_E(13) STUB_E(14) STUB_N(15)
STUB_N(16) STUB_E(17) STUB_N(18) STUB_N(19) STUB_N(128)

__asm__(".text\nexc_common:\n"
        " pushl %ds\n pushl %es\n pushal\n"
        " movw $0x10, %ax\n movw %ax, %ds\n movw %ax, %es\n"
        " pushl %esp\n call exc_handler\n addl $4, %esp\n"
        " popal\n popl %es\n popl %ds\n addl $8, %esp\n iret\n");

static void (*const stubs[20])(void) = {
    exc_stub_0, exc_stub_1, exc_stub_2, exc_stub_3, exc_stub_4, exc_stub_5, exc_stub_6,
    exc_stub_7, exc_stub_8, exc_stub_9, exc_stub_10, exc_stub_11, exc_stub_12, exc_stub_13,
    exc_stub_14, exc_stub_15, exc_stub_16, exc_stub_17, exc_stub_18, exc_stub_19,
};

void set_idt_gate(int vector, void (*entry)(void), int dpl)
{
    uint32_t h = (uint32_t)entry;
    idt[vector] = (struct idt_gate){ h & 0xffff, SEL_CODE32, 0, 0x8e | (dpl << 5), h >> 16 };
}

void reset_idt_gate(int vector)
{
    set_idt_gate(vector, stubs[vector], 0);
}

void set_tss_esp0(uint32_t esp0)
{
    tss.esp0 = esp0;
}

void *main_tss(void)
{
    return &tss;
}

void set_gdt(int index, uint64_t desc)
{
    gdt[index] = desc;
}

uint64_t get_gdt(int index)
{
    return gdt[index];
}

uint64_t get_idt_raw(int vector)
{
    uint64_t d;
    memcpy(&d, &idt[vector], 8);
    return d;
}

void set_idt_raw(int vector, uint64_t desc)
{
    memcpy(&idt[vector], &desc, 8);
}

uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

void cpu_setup(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)gdt },
      idtr = { sizeof(idt) - 1, (uint32_t)idt };
    uint32_t tb = (uint32_t)&tss, tl = sizeof(tss) - 1;

    gdt[7] = (tl & 0xffff) | ((uint64_t)(tb & 0xffffff) << 16) | (0x89ull << 40) |
             ((uint64_t)(tb >> 24) << 56);
    tss.ss0 = SEL_DATA32;
    tss.iomap = sizeof(tss); /* no I/O bitmap: ring 3 has no port access */
    __asm__ volatile("lgdt %0\n"
                     "ljmp $0x08, $1f\n"
                     "1: movw $0x10, %%ax\n"
                     "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
                     "movw %%ax, %%fs\n movw %%ax, %%gs\n"
                     "movw $0x38, %%ax\n ltr %%ax\n"
                     : : "m"(gdtr) : "eax", "memory");
    for (int i = 0; i < 20; i++) {
        set_idt_gate(i, stubs[i], 0);
    }
    set_idt_gate(0x80, exc_stub_128, 3);
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* IRET to ring 3 at fn with its own stack (SDM vol.3 6.12.1). */
void enter_user(void (*fn)(void), uint32_t user_stack_top)
{
    __asm__ volatile("pushl $0x33\n pushl %1\n pushfl\n pushl $0x2b\n pushl %0\n"
                     "movw $0x33, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n iret\n"
                     : : "r"(fn), "r"(user_stack_top) : "eax", "memory");
}

bool expect_fault(const char *name, uint32_t vector, uint32_t error, bool check_error)
{
    bool ok = last_fault.count == 1 && last_fault.vector == vector &&
              (!check_error || last_fault.error == error);

    printf_serial("%s: vector=%u err=0x%x%s\n", name, last_fault.count ? last_fault.vector : 99,
                  last_fault.error, ok ? "" : " (WRONG)");
    last_fault.count = 0;
    last_fault.error = 0;
    return ok;
}

bool guest_strict(struct multiboot_info *mbi)
{
    const char *s = (mbi->flags & 4) ? (const char *)mbi->cmdline : "";

    for (; *s; s++) {
        if (strncmp(s, "strict", 6) == 0) {
            return true;
        }
    }
    return false;
}
