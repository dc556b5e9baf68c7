/*
 * Call gates and interrupt gates across privilege levels (SDM vol.3 5.8,
 * 6.12): a 32-bit call gate from ring 3 to ring 0 copying two parameters
 * onto the TSS's ring-0 stack, far RET imm back with the stack switch and
 * DS (DPL 0) nulled; a 16-bit call gate and a 16-bit interrupt gate,
 * whose frames are 16-bit; a gate to conforming code (no privilege
 * change); and the faults: gate DPL < CPL, gate not present, a gate to a
 * data segment, JMP through a gate to more privileged code, a direct
 * far CALL to ring 0.
 */
#include "cpu.h"

#define SEL_CG32    0x53 /* DPL 3, 2 dwords -> SEL_CODE32:cg32_target */
#define SEL_CG16    0x5b /* DPL 3, 1 word -> SEL_CODE32:0x7000 */
#define SEL_CGCONF  0x63 /* DPL 3 -> SEL_CONF:conf_target */
#define SEL_CONF    0x68 /* conforming code, DPL 0 */
#define SEL_CG_NP   0x73
#define SEL_CG_DPL0 0x7b
#define SEL_CG_DATA 0x83

static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t kernel_esp;
volatile uint32_t cg32_esp, cg32_p0, cg32_p1, cg32_cs, cg32_oldss, ds_after, esp_before,
    esp_after, conf_cs;

/* ring 0, through SEL_CG32: [esp] EIP, CS, p0, p1, ESP, SS */
void cg32_target(void);
void conf_target(void);
__asm__(".text\ncg32_target:\n"
        " movl %esp, cg32_esp\n movl 8(%esp), %eax\n movl %eax, cg32_p0\n"
        " movl 12(%esp), %eax\n movl %eax, cg32_p1\n movl 20(%esp), %eax\n movl %eax, cg32_oldss\n"
        " movw %cs, %ax\n movzwl %ax, %eax\n movl %eax, cg32_cs\n"
        " movw $0x10, %ax\n movw %ax, %ds\n lret $8\n"
        "conf_target:\n movw %cs, %ax\n movzwl %ax, %eax\n movl %eax, conf_cs\n lret\n");

/* at 0x7000 (16-bit gate offsets): copy the 12-byte frame to 0x7fe0,
 * movl %esp, 0x7ff8; lretw $2.  At 0x7100 (16-bit interrupt gate): the
 * frame to 0x7fc0, movl %esp, 0x7ff4; iretw */
#define FRAME_COPY(a) 0x8b, 0x04, 0x24, 0xa3, a, 0x7f, 0, 0, 0x8b, 0x44, 0x24, 0x04, \
    0xa3, a + 4, 0x7f, 0, 0, 0x8b, 0x44, 0x24, 0x08, 0xa3, a + 8, 0x7f, 0, 0
static const uint8_t cg16_code[] = { FRAME_COPY(0xe0), 0x89, 0x25, 0xf8, 0x7f, 0, 0,
                                     0x66, 0xca, 0x02, 0x00 };
static const uint8_t ig16_code[] = { FRAME_COPY(0xc0), 0x89, 0x25, 0xf4, 0x7f, 0, 0, 0x66, 0xcf };

/* at 0x6000, ring 3: pushw $0x1616; lcall $0x5b, $0; int $0x42; ret */
static const uint8_t low_user_code[] = { 0x66, 0x68, 0x16, 0x16, 0x9a, 0, 0, 0, 0, 0x5b, 0,
                                         0xcd, 0x42, 0xc3 };

static void user_code(void)
{
    __asm__ volatile("movl %%esp, %%ss:esp_before\n"
                     "pushl $0x22222222\n pushl $0x11111111\n lcall $0x53, $0\n"
                     "movl %%esp, %%ss:esp_after\n"
                     "movw %%ds, %%ax\n movzwl %%ax, %%eax\n movl %%eax, %%ss:ds_after\n"
                     "movw $0x33, %%ax\n movw %%ax, %%ds\n" ::: "eax", "memory");
    /* 16-bit frames keep IP and SP only: code and stack below 64 KiB */
    __asm__ volatile("movl %%esp, %%ebx\n movl $0x6f00, %%esp\n"
                     "movl $0x6000, %%eax\n call *%%eax\n movl %%ebx, %%esp"
                     ::: "eax", "ebx", "memory");
    __asm__ volatile("lcall $0x63, $0" ::: "memory");
    TRY_FAULT("lcall $0x7b, $0");
    TRY_FAULT("lcall $0x73, $0");
    TRY_FAULT("lcall $0x83, $0");
    TRY_FAULT("ljmp $0x53, $0");
    TRY_FAULT("lcall $0x08, $0");
    __asm__ volatile("int $0x80");
    for (;;) {
    }
}

static void back_to_kernel(struct frame *f)
{
    __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
}

static void run_user(void)
{
    extra_handler = back_to_kernel;
    set_tss_esp0((uint32_t)ring0_stack + sizeof(ring0_stack));
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     "   pushl %1\n pushl %0\n call enter_user\n"
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : "r"(user_code), "r"((uint32_t)user_stack + sizeof(user_stack))
                     : "eax", "ecx", "edx", "memory");
    extra_handler = NULL;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    uint32_t top0 = (uint32_t)ring0_stack + sizeof(ring0_stack);

    cpu_setup();
    memcpy((void *)0x6000, low_user_code, sizeof(low_user_code));
    memcpy((void *)0x7000, cg16_code, sizeof(cg16_code));
    memcpy((void *)0x7100, ig16_code, sizeof(ig16_code));
    set_gdt(SEL_CG32 >> 3, make_gate(SEL_CODE32, (uint32_t)cg32_target, 0xec, 2));
    set_gdt(SEL_CG16 >> 3, make_gate(SEL_CODE32, 0x7000, 0xe4, 1));
    set_gdt(SEL_CGCONF >> 3, make_gate(SEL_CONF, (uint32_t)conf_target, 0xec, 0));
    set_gdt(SEL_CONF >> 3, make_desc(0, 0xfffff, 0x9e, 0xc));
    set_gdt(SEL_CG_NP >> 3, make_gate(SEL_CODE32, (uint32_t)cg32_target, 0x6c, 0));
    set_gdt(SEL_CG_DPL0 >> 3, make_gate(SEL_CODE32, (uint32_t)cg32_target, 0x8c, 0));
    set_gdt(SEL_CG_DATA >> 3, make_gate(SEL_DATA32, 0, 0xec, 0));
    set_idt_raw(0x42, make_gate(SEL_CODE32, 0x7100, 0xe6, 0)); /* 16-bit interrupt gate */

    run_user();
    printf_serial("gates: cg32 p0=0x%x p1=0x%x cs=0x%x oldss=0x%x frame=%d ds_after=0x%x "
                  "esp_kept=%u\n", cg32_p0, cg32_p1, cg32_cs, cg32_oldss,
                  (int)(top0 - cg32_esp), ds_after, esp_after == esp_before);
    ok &= check(cg32_p0 == 0x11111111 && cg32_p1 == 0x22222222 && cg32_cs == SEL_CODE32 &&
                cg32_oldss == SEL_UDATA && top0 - cg32_esp == 24 && ds_after == 0 &&
                esp_after == esp_before, "32-bit call gate");
    uint32_t e16 = *(volatile uint32_t *)0x7ff8, i16 = *(volatile uint32_t *)0x7ff4;
    volatile uint16_t *w = (volatile uint16_t *)0x7fe0;
    printf_serial("gates: cg16 frame=%d cs=0x%x param=0x%x sp=0x%x ss=0x%x\n",
                  (int)(top0 - e16), w[1], w[2], w[3], w[4]);
    ok &= check(top0 - e16 == 10 && w[4] == SEL_UDATA && w[3] == 0x6f00 - 6 &&
                w[2] == 0x1616 && w[1] == SEL_UCODE, "16-bit call gate");
    w = (volatile uint16_t *)0x7fc0;
    printf_serial("gates: ig16 frame=%d cs=0x%x flags=0x%x sp=0x%x ss=0x%x\n",
                  (int)(top0 - i16), w[1], w[2] & ~0x8d5, w[3], w[4]);
    ok &= check(top0 - i16 == 10 && w[4] == SEL_UDATA && w[3] == 0x6f00 - 4 && w[1] == SEL_UCODE,
                "16-bit interrupt gate");
    /* SDM CALL, SAME-PRIVILEGE: CS.RPL <- CPL for a conforming target;
     * QEMU 7.2 loads the segment's DPL (ring 0): strict only */
    printf_serial("~gates: conforming cs=0x%x\n", conf_cs);
    if (guest_strict(mbi)) {
        ok &= check(conf_cs == (SEL_CONF | 3), "conforming target keeps CPL 3");
    }
    /* gate DPL 0, gate not present, gate to data, JMP to ring 0, CALL to ring 0 */
    static const uint32_t want[5][2] = { { 13, 0x78 }, { 11, 0x70 }, { 13, 0x10 },
                                         { 13, 0x08 }, { 13, 0x08 } };
    for (int i = 0; i < fault_log_n; i++) {
        printf_serial("gates: fault %d: vector=%u err=0x%x\n", i, fault_log[i].vector,
                      fault_log[i].error);
        ok &= check(i < 5 && fault_log[i].vector == want[i][0] &&
                    fault_log[i].error == want[i][1], "gate fault");
    }
    ok &= check(fault_log_n == 5, "five gate faults");
    printf_serial("gates: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
