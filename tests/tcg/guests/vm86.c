/*
 * Virtual-8086 mode (SDM vol.3 chapter 20) under a small monitor: a
 * real-mode program entered by IRET (EFLAGS.VM in the popped image, IOPL
 * 0) prints through INT 10h-style calls, which fault (#GP) to the monitor
 * that emulates them, as it emulates CLI, STI, PUSHF and POPF; INT3 goes
 * straight to the protected-mode handler; HLT ends it.  A second program
 * is entered by a task switch to a TSS with VM and IOPL 3 set, where
 * those instructions run without faulting.  Segment arithmetic is real
 * mode's (the program's stores land at segment * 16 + offset).
 */
#include "cpu.h"

#define VM_FLAG (1u << 17)
#define SEL_TSS_V86 0x50

struct v86_frame {
    struct frame f;
    uint32_t es, ds, fs, gs;
};

/* At 0x8000 (CS 0x0800).  Part A, IP 0:
 *   mov $0x0900,%ax; mov %ax,%ds; mov $'H',%al; mov $0x0e,%ah; int $0x10;
 *   mov $'i',%al; int $0x10; cli; pushf; pop %bx; mov %bx,(0); sti;
 *   pushf; pop %bx; mov %bx,(2); push $0x0202 (via ax); popf; int3;
 *   movw $0x1234,(4); hlt
 * Part B, IP 0x80: sti; cli (no interrupt window); pushf; popf; mov $0x0900,%ax; mov %ax,%ds;
 *   movw $0x5678,(6); hlt */
static const uint8_t part_a[] = {
    0xb8, 0x00, 0x09, 0x8e, 0xd8, 0xb0, 'H', 0xb4, 0x0e, 0xcd, 0x10,
    0xb0, 'i', 0xcd, 0x10, 0xfa, 0x9c, 0x5b, 0x89, 0x1e, 0x00, 0x00, 0xfb,
    0x9c, 0x5b, 0x89, 0x1e, 0x02, 0x00, 0xb8, 0x02, 0x02, 0x50, 0x9d, 0xcc,
    0xc7, 0x06, 0x04, 0x00, 0x34, 0x12, 0xf4,
};
static const uint8_t part_b[] = {
    0xfb, 0xfa, 0x9c, 0x9d, 0xb8, 0x00, 0x09, 0x8e, 0xd8,
    0xc7, 0x06, 0x06, 0x00, 0x78, 0x56, 0xf4,
};

static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint8_t task_stack[4096] __attribute__((aligned(16)));
static struct tss32 tss_v86;
static volatile uint32_t kernel_esp;
static char out[16];
static int nout, n_gp, n_bp, vif = 1, in_task;
static uint32_t hlt_cs, hlt_ip, frame_ds;

static void monitor(struct frame *fr)
{
    struct v86_frame *v = (struct v86_frame *)fr;
    struct frame *f = &v->f;

    if (!(f->eflags & VM_FLAG)) {
        printf_serial("vm86: unexpected exception %u err=0x%x at 0x%x\n", f->vector, f->error,
                      f->eip);
        debug_exit(GUEST_FAIL);
    }
    if (f->vector == 3) {
        n_bp++; /* INT3 is not IOPL-sensitive: a trap, IP already past it */
        return;
    }
    if (f->vector != 13) {
        printf_serial("vm86: vector %u in V86\n", f->vector);
        debug_exit(GUEST_FAIL);
    }
    n_gp++;
    uint8_t *ip = (uint8_t *)((f->cs << 4) + (f->eip & 0xffff));
    uint16_t *stack = (uint16_t *)((f->user_ss << 4) + (f->user_esp & 0xffff));
    switch (ip[0]) {
    case 0xcd: /* INT n: only 10h/AH=0Eh (teletype output) */
        if (ip[1] == 0x10 && ((f->eax >> 8) & 0xff) == 0x0e && nout < 15) {
            out[nout++] = f->eax & 0xff;
        }
        f->eip += 2;
        break;
    case 0xfa: vif = 0; f->eip += 1; break;
    case 0xfb: vif = 1; f->eip += 1; break;
    case 0x9c: /* PUSHF: the virtual IF */
        stack[-1] = (f->eflags & 0xfdff) | (vif << 9);
        f->user_esp -= 2;
        f->eip += 1;
        break;
    case 0x9d:
        vif = (stack[0] >> 9) & 1;
        f->eflags = (f->eflags & ~0x0dd5u) | (stack[0] & 0x0dd5);
        f->user_esp += 2;
        f->eip += 1;
        break;
    case 0xf4: /* HLT: the program is done */
        hlt_cs = f->cs;
        hlt_ip = f->eip;
        frame_ds = v->ds;
        if (in_task) {
            __asm__ volatile("ljmp $0x38, $0");
        }
        __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
        break;
    default:
        printf_serial("vm86: #GP at %x:%x on 0x%x\n", f->cs, f->eip, ip[0]);
        debug_exit(GUEST_FAIL);
    }
}

/* IRET to virtual-8086 mode: the 32-bit frame with GS, FS, DS, ES. */
static void run_part_a(void)
{
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     " pushl $0\n pushl $0\n pushl $0x0900\n pushl $0x0900\n" /* GS FS DS ES */
                     " pushl $0x0700\n pushl $0x1000\n"                         /* SS ESP */
                     " pushl $0x20002\n pushl $0x0800\n pushl $0\n iret\n"      /* VM */
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " movw %%ax, %%fs\n movw %%ax, %%gs\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : : "eax", "ecx", "edx", "memory");
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;

    cpu_setup();
    memcpy((void *)0x8000, part_a, sizeof(part_a));
    memcpy((void *)0x8080, part_b, sizeof(part_b));
    memset((void *)0x9000, 0, 16);
    set_tss_esp0((uint32_t)ring0_stack + sizeof(ring0_stack));
    extra_handler = monitor;
    set_idt_raw(3, (get_idt_raw(3) | (3ull << 45))); /* INT3 from CPL 3 */

    run_part_a();
    volatile uint16_t *data = (volatile uint16_t *)0x9000;
    out[nout] = 0;
    printf_serial("vm86: printed \"%s\" gp=%d bp=%d vif=%d flags_cli=0x%x flags_sti=0x%x "
                  "store=0x%x hlt=%x:%x ds=0x%x\n", out, n_gp, n_bp, vif, data[0] & 0x200,
                  data[1] & 0x200, data[2], hlt_cs, hlt_ip, frame_ds);
    ok &= check(nout == 2 && out[0] == 'H' && out[1] == 'i' && n_gp == 8 && n_bp == 1 &&
                !(data[0] & 0x200) && (data[1] & 0x200) && data[2] == 0x1234 &&
                hlt_cs == 0x0800 && hlt_ip == sizeof(part_a) - 1 && frame_ds == 0x0900,
                "V86 under IRET, IOPL 0");

    /* Entry by task switch: VM and IOPL 3 from the TSS */
    memset(&tss_v86, 0, sizeof(tss_v86));
    tss_v86.eip = 0x80;
    tss_v86.eflags = 0x23002;
    tss_v86.regs[4] = 0x1000;
    tss_v86.segs[0] = tss_v86.segs[3] = 0x0900;
    tss_v86.segs[1] = 0x0800;
    tss_v86.segs[2] = 0x0700;
    tss_v86.ss0 = SEL_DATA32;
    tss_v86.esp0 = (uint32_t)task_stack + sizeof(task_stack);
    tss_v86.iomap = sizeof(tss_v86);
    set_gdt(SEL_TSS_V86 >> 3, make_desc((uint32_t)&tss_v86, 0x67, 0x89, 0));
    n_gp = 0;
    in_task = 1;
    __asm__ volatile("ljmp $0x50, $0" ::: "memory");
    in_task = 0;
    __asm__ volatile("clts");
    printf_serial("vm86: task entry gp=%d store=0x%x hlt=%x:%x\n", n_gp, data[3], hlt_cs, hlt_ip);
    ok &= check(n_gp == 1 && data[3] == 0x5678 && hlt_ip == 0x80 + sizeof(part_b) - 1,
                "V86 by task switch, IOPL 3");
    extra_handler = NULL;
    printf_serial("vm86: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
