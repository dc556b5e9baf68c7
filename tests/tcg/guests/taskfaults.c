/*
 * Faults of a task switch (SDM vol.3 7.3, table 7-1, and vol.2 JMP/INT
 * TASK-SWITCH): a JMP to a TSS whose LDT, CS, SS, DS or ES is bad, or
 * whose EIP is beyond CS's limit, faults after the commit point, in the
 * new task, so #TS/#NP/#SS/#GP are handled here by task gates (a task
 * gate is what SDM 7.3 advises: the faulting task's segments cannot be
 * trusted).  Each handler task records the vector, the error code from
 * its own stack and its back link (the faulting task, left busy), then
 * jumps back to the main task.  An exception whose task gate leads to
 * such a TSS reports the error with EXT set.  A hardware interrupt
 * through a task gate runs a task that IRETs back.  Before the commit
 * point, in the old task: CALL to a busy TSS and INT n through a task
 * gate to a busy TSS (#GP(TSS)), a 16-bit TSS with a limit below 0x2B
 * (#TS(TSS)).  From ring 3: a JMP to a DPL-0 TSS or through a DPL-0 task
 * gate is #GP(selector), INT n through a DPL-0 task gate #GP(vector*8+2);
 * DPL-3 task gates reach a ring-0 task (the TSS's DPL is not checked),
 * which returns by JMP or, nested, by IRET.
 */
#include "cpu.h"

#define SEL_VICTIM  0x50
#define SEL_H_FIRST 0x58 /* handler TSSs for vectors 10-13: 0x58..0x70 */
#define SEL_IRQ_TSS 0x78
#define SEL_TSS16   0x80 /* limit 0x2a */
#define SEL_R0_TSS  0x88 /* DPL 0, a ring-0 task */
#define SEL_GATE0   0x90 /* task gate DPL 0 -> SEL_R0_TSS */
#define SEL_GATE3   0x9b /* task gate DPL 3 -> SEL_R0_TSS */

static struct tss32 victim, handlers[4], irq_task;
static uint16_t tss16[22];
static uint8_t stacks[7][2048] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static struct tss32 r0_task;
static volatile uint32_t kernel_esp;
volatile uint32_t r0_runs, r0_link, r0_nt;
static volatile int after[16];
static volatile int ncase;
volatile uint32_t h_vec, h_err, h_link, h_victim_eip, h_count;
volatile uint32_t irq_runs, irq_link;

static uint32_t desc_type(uint16_t sel)
{
    return (get_gdt(sel >> 3) >> 40) & 0xf;
}

static void init_task(struct tss32 *t, uint32_t eip, int stack)
{
    memset(t, 0, sizeof(*t));
    t->eip = eip;
    t->eflags = 0x2;
    t->regs[4] = (uint32_t)stacks[stack] + sizeof(stacks[stack]);
    t->segs[0] = t->segs[2] = t->segs[3] = t->segs[4] = t->segs[5] = SEL_DATA32;
    t->segs[1] = SEL_CODE32;
    t->ss0 = SEL_DATA32;
    t->esp0 = t->regs[4];
    t->iomap = sizeof(*t);
}

static void set_tss(uint16_t sel, struct tss32 *t)
{
    set_gdt(sel >> 3, make_desc((uint32_t)t, sizeof(*t) - 1, 0x89, 0));
}

/* A handler task (its TSS is reinitialised for every case) */
void h_body(uint32_t vec, uint32_t err);
void h_body(uint32_t vec, uint32_t err)
{
    struct tss32 *m = main_tss();
    struct tss32 *self = &handlers[vec - 10];

    h_vec = vec;
    h_err = err;
    h_link = self->link;
    h_victim_eip = victim.eip;
    h_count++;
    /* an exception in the main task left it busy at the faulting EIP */
    if (desc_type(SEL_TSS) == 0xb) {
        set_gdt(SEL_TSS >> 3, get_gdt(SEL_TSS >> 3) & ~(2ull << 40));
        m->eip = resume_eip;
    }
    resume_eip = 0;
    __asm__ volatile("ljmp $0x38, $0" ::: "memory");
}
#define H_STUB(n)                                                              \
    void h_entry_##n(void);                                                    \
    __asm__(".text\nh_entry_" #n ":\n popl %eax\n pushl %eax\n pushl $" #n "\n" \
            " call h_body\n");
H_STUB(10) H_STUB(11) H_STUB(12) H_STUB(13)
static void (*const h_entries[4])(void) = { h_entry_10, h_entry_11, h_entry_12, h_entry_13 };

/* IRQ 0 through a task gate: EOI, mask, IRET to the interrupted task */
void irq_entry(void);
__asm__(".text\nirq_entry:\n incl irq_runs\n movl irq_task, %eax\n movl %eax, irq_link\n"
        " movb $0x20, %al\n outb %al, $0x20\n movb $0xff, %al\n outb %al, $0x21\n"
        " iret\n jmp irq_entry\n");

static void arm_handlers(void)
{
    for (int i = 0; i < 4; i++) {
        init_task(&handlers[i], (uint32_t)h_entries[i], 1 + i);
        set_tss(SEL_H_FIRST + 8 * i, &handlers[i]);
    }
    h_count = 0;
    h_vec = h_err = h_link = 0;
}

struct tf_case {
    const char *name;
    int field;    /* 0-5: segs[] (ES CS SS DS FS GS), 6: LDT, 7: EIP */
    uint32_t value;
    uint32_t vector, error;
    bool sdm_only; /* QEMU 7.2 differs: a '~' line, checked with strict */
};

static const struct tf_case cases[] = {
    { "LDT selector names a data segment", 6, SEL_DATA32, 10, SEL_DATA32, false },
    { "LDT selector with TI set", 6, 0x14, 10, 0x14, false },
    { "CS null", 1, 0, 10, 0, false },
    { "CS a data segment", 1, SEL_DATA32, 10, SEL_DATA32, false },
    { "SS RPL 3 at CPL 0", 2, SEL_UDATA, 10, SEL_UDATA & ~3u, false },
    { "SS read-only", 2, SEL_RODATA, 10, SEL_RODATA, false },
    { "SS not present (SDM #SS; QEMU 7.2 #NP)", 2, SEL_NP, 12, SEL_NP, true },
    { "DS not present", 3, SEL_NP, 11, SEL_NP, false },
    { "ES a TSS descriptor", 0, SEL_TSS, 10, SEL_TSS, false },
    { "GS beyond the GDT limit", 5, GDT_ENTRIES * 8, 10, GDT_ENTRIES * 8, false },
    { "EIP beyond CS limit", 7, 0x20000, 13, 0, false },
};
#define N_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static void victim_entry(void)
{
    for (;;) {
        __asm__ volatile("ljmp $0x38, $0" ::: "memory");
    }
}

static void prepare_victim(const struct tf_case *c)
{
    init_task(&victim, (uint32_t)victim_entry, 0);
    if (c->field < 6) {
        victim.segs[c->field] = c->value;
    } else if (c->field == 6) {
        victim.ldt = c->value;
    } else {
        victim.segs[1] = SEL_CODE16; /* limit 0xffff */
        victim.eip = c->value;
    }
    set_tss(SEL_VICTIM, &victim);
    arm_handlers();
}

static bool expect_handler(const struct tf_case *c, bool strict)
{
    bool good = h_count == 1 && h_vec == c->vector && h_err == c->error &&
                h_link == SEL_VICTIM && desc_type(SEL_VICTIM) == 0xb;
    printf_serial("%staskfaults: %s: vector %u err=0x%x link=0x%x victim busy=%u%s\n",
                  c->sdm_only ? "~" : "", c->name, h_vec, h_err, h_link,
                  desc_type(SEL_VICTIM) == 0xb, good ? "" : " (WRONG)");
    return c->sdm_only && !strict ? true : check(good, c->name);
}

/* The ring-0 task that ring 3 reaches through DPL-3 task gates: JMP
 * (no link) returns by JMP, INT (nested) by IRET. */
static void __attribute__((noreturn)) r0_entry(void)
{
    for (;;) {
        uint32_t fl;
        r0_runs++;
        r0_link = r0_task.link;
        __asm__ volatile("pushfl\n popl %0" : "=r"(fl));
        r0_nt = (fl >> 14) & 1;
        if (r0_nt) {
            __asm__ volatile("iret" ::: "memory");
        } else {
            __asm__ volatile("ljmp $0x38, $0" ::: "memory");
        }
    }
}

/* One ring-3 case; ESP is put back whether it faulted or not */
#define CASE(insns)                                                        \
    do {                                                                   \
        __asm__ volatile("movl $1f, resume_eip\n movl %%esp, %%ebx\n"      \
                         insns "\n1: movl %%ebx, %%esp"                     \
                         : : : "eax", "ebx", "memory");                    \
        resume_eip = 0;                                                    \
        after[ncase++] = fault_log_n;                                      \
    } while (0)

static const struct tf_case user_cases[] = {
    { "ring 3: jmp to a DPL-0 TSS", 0, 0, 13, SEL_R0_TSS, false },
    { "ring 3: jmp through a DPL-0 task gate", 0, 0, 13, SEL_GATE0, false },
    { "ring 3: jmp through a DPL-3 task gate to a DPL-0 TSS", 0, 0, 0, 0, false },
    { "ring 3: int through a DPL-0 task gate", 0, 0, 13, 0x45 * 8 + 2, false },
    { "ring 3: int through a DPL-3 task gate, iret back", 0, 0, 0, 0, false },
};

static void user_code(void)
{
    CASE("ljmp $0x8b, $0");
    CASE("ljmp $0x93, $0");
    CASE("ljmp $0x9b, $0");
    CASE("int $0x45");
    CASE("int $0x46");
    __asm__ volatile("int $0x80");
}

static void back_to_kernel(struct frame *f)
{
    __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
}

static bool run_ring3_cases(void)
{
    bool ok = true;
    int prev = 0;

    init_task(&r0_task, (uint32_t)r0_entry, 6);
    set_tss(SEL_R0_TSS, &r0_task);
    set_gdt(SEL_GATE0 >> 3, make_gate(SEL_R0_TSS, 0, 0x85, 0));
    set_gdt(SEL_GATE3 >> 3, make_gate(SEL_R0_TSS, 0, 0xe5, 0));
    set_idt_raw(0x45, make_gate(SEL_R0_TSS, 0, 0x85, 0));
    set_idt_raw(0x46, make_gate(SEL_R0_TSS, 0, 0xe5, 0));
    set_tss_esp0((uint32_t)ring0_stack + sizeof(ring0_stack));
    fault_log_n = 0;
    extra_handler = back_to_kernel;
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     "   pushl %1\n pushl %0\n call enter_user\n"
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " movw %%ax, %%fs\n movw %%ax, %%gs\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : "r"(user_code), "r"((uint32_t)user_stack + sizeof(user_stack))
                     : "eax", "ecx", "edx", "memory");
    extra_handler = NULL;
    __asm__ volatile("clts");
    ok &= check(ncase == 5, "every ring-3 case ran");
    for (int i = 0; i < ncase && i < 5; i++) {
        const struct tf_case *c = &user_cases[i];
        bool faulted = after[i] != prev;
        uint32_t v = faulted ? fault_log[after[i] - 1].vector : 0;
        uint32_t e = faulted ? fault_log[after[i] - 1].error : 0;
        bool good = after[i] - prev <= 1 && v == c->vector && e == c->error;
        if (faulted) {
            printf_serial("taskfaults: %s: vector %u err=0x%x%s\n", c->name, v, e,
                          good ? "" : " (WRONG)");
        } else {
            printf_serial("taskfaults: %s: no fault%s\n", c->name, good ? "" : " (WRONG)");
        }
        ok &= check(good, c->name);
        prev = after[i];
    }
    printf_serial("taskfaults: ring-0 task runs=%u last link=0x%x nt=%u r0 tss=%u\n", r0_runs,
                  r0_link, r0_nt, desc_type(SEL_R0_TSS));
    ok &= check(r0_runs == 2 && r0_link == SEL_TSS && r0_nt == 1 &&
                desc_type(SEL_R0_TSS) == 9, "ring-0 task through DPL-3 gates");
    return ok;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true, strict = guest_strict(mbi);

    cpu_setup();
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
    for (int v = 10; v <= 13; v++) {
        set_idt_raw(v, make_gate(SEL_H_FIRST + 8 * (v - 10), 0, 0x85, 0));
    }

    /* Faults in the new task's context, JMP (EXT clear) */
    for (int i = 0; i < N_CASES; i++) {
        prepare_victim(&cases[i]);
        __asm__ volatile("ljmp $0x50, $0" ::: "memory");
        __asm__ volatile("clts");
        ok &= expect_handler(&cases[i], strict);
        /* SDM 7.3 step 13: the new task's state, its first EIP, is saved;
         * QEMU 7.2 keeps the EIP of the JMP (strict only) */
        printf_serial("~taskfaults: %s: saved EIP is the new task's=%u\n", cases[i].name,
                      h_victim_eip == (cases[i].field == 7 ? 0x20000 : (uint32_t)victim_entry));
        if (strict) {
            ok &= check(h_victim_eip == (cases[i].field == 7 ? 0x20000 : (uint32_t)victim_entry),
                        "saved EIP");
        }
    }

    /* An exception (#UD) through a task gate to a TSS with DS not present:
     * #NP with EXT set (SDM 6.13: an event external to the program) */
    static const struct tf_case np = { "ud2 via task gate, DS not present", 3, SEL_NP, 11, 0,
                                       true };
    prepare_victim(&np);
    set_idt_raw(6, make_gate(SEL_VICTIM, 0, 0x85, 0));
    TRY_FAULT("ud2");
    __asm__ volatile("clts");
    reset_idt_gate(6);
    printf_serial("~taskfaults: %s: vector %u err=0x%x (EXT set=%u)\n", np.name, h_vec, h_err,
                  h_err & 1);
    ok &= check(h_count == 1 && h_vec == 11 && (h_err & ~1u) == SEL_NP, np.name);
    if (strict) {
        ok &= check(h_err == (SEL_NP | 1), "EXT in the error code");
    }

    /* IRQ 0 through a task gate, IRET back */
    init_task(&irq_task, (uint32_t)irq_entry, 5);
    set_tss(SEL_IRQ_TSS, &irq_task);
    set_idt_raw(0x20, make_gate(SEL_IRQ_TSS, 0, 0x85, 0));
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    outb(0x21, 0xfe);
    __asm__ volatile("sti");
    for (uint32_t spin = 0; !irq_runs && spin < 100000000u; spin++) {
        __asm__ volatile("pause");
    }
    __asm__ volatile("cli");
    __asm__ volatile("clts");
    printf_serial("taskfaults: irq via task gate: runs=%u link=0x%x irq tss=%u main=%u\n",
                  irq_runs, irq_link, desc_type(SEL_IRQ_TSS), desc_type(SEL_TSS));
    ok &= check(irq_runs == 1 && irq_link == SEL_TSS && desc_type(SEL_IRQ_TSS) == 9 &&
                desc_type(SEL_TSS) == 0xb, "irq through a task gate");

    /* Before the commit point: faults in this task */
    for (int v = 10; v <= 13; v++) {
        reset_idt_gate(v);
    }
    last_fault.count = 0;
    TRY_FAULT("lcall $0x38, $0");
    ok &= expect_fault("taskfaults: call to the busy current TSS", 13, SEL_TSS, true);
    set_idt_raw(0x44, make_gate(SEL_TSS, 0, 0x85, 0));
    TRY_FAULT("int $0x44");
    ok &= expect_fault("taskfaults: int via task gate to a busy TSS", 13, SEL_TSS, true);
    set_gdt(SEL_TSS16 >> 3, make_desc((uint32_t)tss16, 0x2a, 0x81, 0));
    TRY_FAULT("ljmp $0x80, $0");
    ok &= expect_fault("taskfaults: 16-bit TSS limit 0x2a", 10, SEL_TSS16, true);

    ok &= run_ring3_cases();

    printf_serial("taskfaults: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
