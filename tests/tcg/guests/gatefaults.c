/*
 * The checks of a call gate's privilege change and of the far return
 * (SDM vol.3 5.8.5-5.8.6, vol.2 CALL and RET), and interrupt and trap
 * gates entered from ring 3 (6.12.1).  Ring 3 calls through a gate to
 * ring-1 code (so the faults of a bad SS1:ESP1 in the TSS are delivered
 * on the good ring-0 stack): a null SS1 (#TS(0)), an SS1 whose RPL is
 * not the new CPL, a code segment as SS1 (#TS(SS1)), a not-present SS1
 * (#SS(SS1); QEMU 7.2 raises #TS: strict only), an ESP1 without room for
 * the frame and the parameters (#SS(SS1); QEMU 7.2 does not check: strict
 * only), then a good call
 * copying two parameters whose far RET to ring 3 nulls ES (DPL 1) and
 * keeps FS (DPL 3).  A far RET to a more privileged CS is #GP(CS); from
 * ring 0, a RET to ring 3 whose SS RPL is 0 is #GP(SS).  INT n from ring
 * 3: a trap gate keeps IF, an interrupt gate clears it, both switch to
 * the TSS's ring-0 stack with SS:ESP on it; a gate DPL below 3 is
 * #GP(vector*8+2), a gate to a not-present segment #NP(CS).
 */
#include "cpu.h"

#define SEL_CODE_R1  0x50
#define SEL_DATA_R1  0x58
#define SEL_NP_R1    0x60
#define SEL_SMALL_R1 0x68 /* base 0x7000, limit 0x1ff */
#define SEL_CG_R1    0x73 /* DPL 3, 2 dwords -> SEL_CODE_R1:r1_target */
#define SEL_CODE_NP  0x78

static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint8_t ring1_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t kernel_esp;
static volatile int after[32];
static volatile int ncase;
volatile uint32_t r1_esp, r1_cs, r1_ss, r1_p0, r1_p1, es_after, fs_after, r1_calls;
volatile uint32_t ig_flags[2], ig_esp[2], ig_frame[2][5];

/* One case: ESP is put back after it, whether insns faulted or not
 * (the exception handler keeps EBX). */
#define CASE(insns)                                                        \
    do {                                                                   \
        __asm__ volatile("movl $1f, resume_eip\n movl %%esp, %%ebx\n"      \
                         insns "\n1: movl %%ebx, %%esp"                     \
                         : : : "eax", "ebx", "memory");                    \
        resume_eip = 0;                                                    \
        after[ncase++] = fault_log_n;                                      \
    } while (0)
#define CALL_R1(p0, p1) CASE("pushl $" p1 "\n pushl $" p0 "\n lcall $0x73, $0")

/* Ring 1, through SEL_CG_R1: [esp] EIP, CS, p0, p1, ESP, SS */
void r1_target(void);
__asm__(".text\nr1_target:\n"
        " incl r1_calls\n"
        " movw %ss, %ax\n cmpw $0x69, %ax\n je 1f\n" /* QEMU's unchecked small stack */
        " movl %esp, r1_esp\n movl 8(%esp), %eax\n movl %eax, r1_p0\n"
        " movl 12(%esp), %eax\n movl %eax, r1_p1\n"
        " movw %cs, %ax\n movzwl %ax, %eax\n movl %eax, r1_cs\n"
        " movw %ss, %ax\n movzwl %ax, %eax\n movl %eax, r1_ss\n"
        " movw $0x59, %ax\n movw %ax, %es\n movw $0x33, %ax\n movw %ax, %fs\n"
        "1: lret $8\n");

/* INT 0x40 (trap gate) and 0x41 (interrupt gate) from ring 3 */
#define IG_STUB(name, i)                                                     \
    void name(void);                                                         \
    __asm__(".text\n" #name ":\n pushl %eax\n pushfl\n popl %eax\n"          \
            " movl %eax, %ss:ig_flags+4*" #i "\n"                            \
            " leal 4(%esp), %eax\n movl %eax, %ss:ig_esp+4*" #i "\n"         \
            " movl 4(%esp), %eax\n movl %eax, %ss:ig_frame+20*" #i "\n"      \
            " movl 8(%esp), %eax\n movl %eax, %ss:ig_frame+20*" #i "+4\n"    \
            " movl 12(%esp), %eax\n movl %eax, %ss:ig_frame+20*" #i "+8\n"   \
            " movl 16(%esp), %eax\n movl %eax, %ss:ig_frame+20*" #i "+12\n"  \
            " movl 20(%esp), %eax\n movl %eax, %ss:ig_frame+20*" #i "+16\n"  \
            " popl %eax\n iret\n");
IG_STUB(trap40, 0)
IG_STUB(int41, 1)

struct gf_case {
    const char *name;
    uint32_t vector, error; /* vector 0: no fault */
    bool sdm_only;          /* QEMU 7.2 differs: a '~' line, checked with strict */
};

static const struct gf_case user_cases[] = {
    { "call gate, SS1 null", 10, 0, false },
    { "call gate, SS1 RPL 0", 10, SEL_DATA_R1, false },
    { "call gate, SS1 code", 10, SEL_CODE_R1, false },
    { "call gate, SS1 not present (SDM; QEMU 7.2 #TS)", 12, SEL_NP_R1, true },
    { "call gate, ESP1 without room (SDM; QEMU 7.2 no fault)", 12, SEL_SMALL_R1, true },
    { "call gate, good SS1", 0, 0, false },
    { "lret to CS RPL 0 from ring 3", 13, SEL_CODE32, false },
    { "int 0x40 trap gate", 0, 0, false },
    { "int 0x41 interrupt gate", 0, 0, false },
    { "int 0x42 gate DPL 0", 13, 0x42 * 8 + 2, false },
    { "int 0x43 gate to a not-present segment", 11, SEL_CODE_NP, false },
};
#define N_USER (int)(sizeof(user_cases) / sizeof(user_cases[0]))

static void user_code(void)
{
    struct tss32 *t = main_tss();

    t->esp1 = (uint32_t)ring1_stack + sizeof(ring1_stack);
    t->ss1 = 0;
    CALL_R1("1", "2");
    t->ss1 = SEL_DATA_R1;
    CALL_R1("1", "2");
    t->ss1 = SEL_CODE_R1 | 1;
    CALL_R1("1", "2");
    t->ss1 = SEL_NP_R1 | 1;
    CALL_R1("1", "2");
    t->ss1 = SEL_SMALL_R1 | 1;
    t->esp1 = 0x10; /* the frame is 16 bytes plus 8 of parameters */
    CALL_R1("1", "2");
    t->ss1 = SEL_DATA_R1 | 1;
    t->esp1 = (uint32_t)ring1_stack + sizeof(ring1_stack);
    __asm__ volatile("movw $0x33, %%ax\n movw %%ax, %%es\n xorl %%eax, %%eax\n movw %%ax, %%fs"
                     : : : "eax");
    CALL_R1("0x11111111", "0x22222222");
    __asm__ volatile("movw %%es, %%ax\n movzwl %%ax, %%eax\n movl %%eax, es_after\n"
                     "movw %%fs, %%ax\n movzwl %%ax, %%eax\n movl %%eax, fs_after\n"
                     "movw $0x33, %%ax\n movw %%ax, %%es"
                     : : : "eax", "memory");
    CASE("pushl $0x08\n pushl $1f\n lret");
    CASE("int $0x40");
    CASE("int $0x41");
    CASE("int $0x42");
    CASE("int $0x43");
    __asm__ volatile("int $0x80");
}

static void back_to_kernel(struct frame *f)
{
    __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
}

static void run_user(void)
{
    fault_log_n = 0;
    ncase = 0;
    extra_handler = back_to_kernel;
    __asm__ volatile("sti"); /* ring 3 runs with IF set (every PIC line masked) */
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
}

static bool report(const struct gf_case *cases, int n, bool strict)
{
    bool ok = check(ncase == n, "every case ran");
    int prev = 0;

    for (int i = 0; i < ncase && i < n; i++) {
        bool faulted = after[i] != prev;
        uint32_t v = faulted ? fault_log[after[i] - 1].vector : 0;
        uint32_t e = faulted ? fault_log[after[i] - 1].error : 0;
        bool good = after[i] - prev <= 1 && v == cases[i].vector && e == cases[i].error;
        bool sdm_only = cases[i].sdm_only;
        printf_serial("%sgatefaults: %s: ", sdm_only ? "~" : "", cases[i].name);
        if (faulted) {
            printf_serial("vector %u err=0x%x%s\n", v, e, good ? "" : " (WRONG)");
        } else {
            printf_serial("no fault%s\n", good ? "" : " (WRONG)");
        }
        if (!sdm_only || strict) {
            ok &= check(good, cases[i].name);
        }
        prev = after[i];
    }
    return ok;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true, strict = guest_strict(mbi);
    uint32_t top0 = (uint32_t)ring0_stack + sizeof(ring0_stack);
    uint32_t top1 = (uint32_t)ring1_stack + sizeof(ring1_stack);

    cpu_setup();
    /* PIC at 0x20/0x28 with every line masked: IF may be set in ring 3 */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
    set_tss_esp0(top0);
    set_gdt(SEL_CODE_R1 >> 3, make_desc(0, 0xfffff, 0xba, 0xc));
    set_gdt(SEL_DATA_R1 >> 3, make_desc(0, 0xfffff, 0xb2, 0xc));
    set_gdt(SEL_NP_R1 >> 3, make_desc(0, 0xfffff, 0x32, 0xc));
    set_gdt(SEL_SMALL_R1 >> 3, make_desc(0x7000, 0x1ff, 0xb2, 0x4));
    set_gdt(SEL_CG_R1 >> 3, make_gate(SEL_CODE_R1, (uint32_t)r1_target, 0xec, 2));
    set_gdt(SEL_CODE_NP >> 3, make_desc(0, 0xfffff, 0x1a, 0xc));
    set_idt_raw(0x40, make_gate(SEL_CODE32, (uint32_t)trap40, 0xef, 0));
    set_idt_raw(0x41, make_gate(SEL_CODE32, (uint32_t)int41, 0xee, 0));
    set_idt_raw(0x42, make_gate(SEL_CODE32, (uint32_t)int41, 0x8e, 0));
    set_idt_raw(0x43, make_gate(SEL_CODE_NP, (uint32_t)int41, 0xee, 0));

    run_user();
    __asm__ volatile("cli");
    ok &= report(user_cases, N_USER, strict);
    printf_serial("gatefaults: ring 1 target: cs=0x%x ss=0x%x frame=%d p0=0x%x p1=0x%x "
                  "es_after=0x%x fs_after=0x%x\n", r1_cs, r1_ss, (int)(top1 - r1_esp), r1_p0,
                  r1_p1, es_after, fs_after);
    ok &= check(r1_cs == (SEL_CODE_R1 | 1) && r1_ss == (SEL_DATA_R1 | 1) && top1 - r1_esp == 24 &&
                r1_p0 == 0x11111111 && r1_p1 == 0x22222222 && es_after == 0 &&
                fs_after == SEL_UDATA, "ring-1 call and return");
    for (int i = 0; i < 2; i++) {
        volatile uint32_t *f = ig_frame[i];
        printf_serial("gatefaults: int 0x%x: if=%u frame=%d cs=0x%x if_before=%u ss=0x%x\n",
                      0x40 + i, (ig_flags[i] >> 9) & 1, (int)(top0 - ig_esp[i]), f[1],
                      (f[2] >> 9) & 1, f[4]);
        ok &= check(((ig_flags[i] >> 9) & 1) == (i == 0) && top0 - ig_esp[i] == 20 &&
                    f[1] == SEL_UCODE && ((f[2] >> 9) & 1) && f[4] == SEL_UDATA,
                    "gate from ring 3");
    }

    /* From ring 0: RET to ring 3 with an SS whose RPL is 0 */
    last_fault.count = 0;
    __asm__ volatile("movl $1f, resume_eip\n movl %%esp, %%ebx\n pushl $0x10\n pushl %%ebx\n"
                     " pushl $0x2b\n pushl $1f\n lret\n1: movl %%ebx, %%esp" : : : "ebx", "memory");
    ok &= expect_fault("gatefaults: lret to ring 3 with SS RPL 0", 13, SEL_DATA32, true);

    printf_serial("gatefaults: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
