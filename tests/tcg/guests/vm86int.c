/*
 * Virtual-8086 mode with paging, interrupts and the I/O bitmap (SDM
 * vol.3 20.2-20.3, 6.12.1): real-mode programs entered by IRET run at
 * linear 0xA000 (CS 0x0A00) and store through DS 0x0B00, both pages
 * mapped elsewhere, so the segment arithmetic goes through the page
 * tables.  At IOPL 3, INT n goes through the protected-mode IDT to a
 * ring-0 handler that sees null DS/ES/FS/GS and the V86 frame with the
 * old GS/FS/DS/ES, and IRETs back; a gate to non-ring-0 code faults
 * #GP(selector), a gate with DPL < 3 #GP(vector*8+2).  IN/OUT consult the
 * bitmap whatever the IOPL.  At IOPL 0, INT n and IRET fault #GP(0).  A
 * timer interrupt ends a V86 loop (exit through an interrupt).  A page
 * fault in V86 has a user-mode error code; a 16-bit interrupt gate taken
 * from V86 pushes a frame of nine words (GS, FS, DS, ES, SS, SP, FLAGS,
 * CS, IP).  Far CALL/RET/JMP use real-mode selectors; ARPL, LAR, STR and
 * LLDT are #UD in V86, SMSW works, MOV from CR0 is #GP(0).
 */
#include "cpu.h"

#define VM_FLAG (1u << 17)
#define SEL_V86_TSS 0x50
#define CODE_PHYS 0x30000 /* linear 0xA000 */
#define DATA_PHYS 0x31000 /* linear 0xB000 */

struct v86_frame {
    struct frame f;
    uint32_t es, ds, fs, gs;
};

/* Part C, IP 0 (IOPL 3): mov $0x1111,%ax; int $0x30 (ax becomes 0x2222);
 * mov %ax,(0); in $0x80 (open); in $0x81 (closed); sti; cli; pushf; popf;
 * int $0x31 (gate to ring-3 code); int $0x32 (gate DPL 0); int3;
 * mov %fs,%ax; mov %ax,(2); mov %gs,%ax; mov %ax,(4); hlt */
static const uint8_t part_c[] = {
    0xb8, 0x11, 0x11, 0xcd, 0x30, 0xa3, 0x00, 0x00, 0xe4, 0x80, 0xe4, 0x81,
    0xfb, 0xfa, 0x9c, 0x9d, 0xcd, 0x31, 0xcd, 0x32, 0xcc,
    0x8c, 0xe0, 0xa3, 0x02, 0x00, 0x8c, 0xe8, 0xa3, 0x04, 0x00, 0xf4,
};
/* Part D, IP 0x40 (IOPL 0): int $0x30; iret; in $0x80 (open); in $0x81; hlt */
static const uint8_t part_d[] = { 0xcd, 0x30, 0xcf, 0xe4, 0x80, 0xe4, 0x81, 0xf4 };
/* Part E, IP 0x60 (IOPL 0, IF 1): jmp . */
static const uint8_t part_e[] = { 0xeb, 0xfe };
/* Part F, IP 0x70 (IOPL 3): mov $0x0c00,%ax; mov %ax,%ds; mov %ax,(0) (page
 * 0xC000 not present); int $0x33 (16-bit interrupt gate) */
static const uint8_t part_f[] = { 0xb8, 0x00, 0x0c, 0x8e, 0xd8, 0xa3, 0x00, 0x00, 0xcd, 0x33 };
/* Part G, IP 0x90 (IOPL 3): lcall $0x0a00,$0xa0 (lret there); arpl %ax,%ax;
 * lar %ax,%ax; str %ax; smsw %ax; mov %ax,(6); mov %cr0,%eax; lldt %ax;
 * ljmp $0x0a00,$0xd0 (hlt there) */
static const uint8_t part_g[] = {
    0x9a, 0xc0, 0x00, 0x00, 0x0a, 0x63, 0xc0, 0x0f, 0x02, 0xc0, 0x0f, 0x00, 0xc8,
    0x0f, 0x01, 0xe0, 0xa3, 0x06, 0x00, 0x0f, 0x20, 0xc0, 0x0f, 0x00, 0xd0,
    0xea, 0xd0, 0x00, 0x00, 0x0a,
};
/* At 0x7100, the 16-bit gate's target (offsets are 16 bits):
 * movl %esp, %ss:0x7ff0; movl $v86_exit, %eax; jmp *%eax */
static uint8_t gate16_code[] = { 0x36, 0x89, 0x25, 0xf0, 0x7f, 0, 0, 0xb8, 0, 0, 0, 0, 0xff, 0xe0 };
void v86_exit(void);
__asm__(".text\nv86_exit:\n movl %ss:kernel_esp, %esp\n ret\n");
static volatile uint32_t pf_cr2;

static struct {
    struct tss32 t;
    uint8_t map[0x20];
    uint8_t end;
} __attribute__((packed)) v86_tss;
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
volatile uint32_t kernel_esp;

/* What the monitor saw: vector, error code and opcode of each exception */
static struct {
    uint32_t vector, error, op;
} seen[16];
static int nseen;

/* INT 0x30 from V86: segment registers on entry, the 9-dword frame */
volatile uint16_t i30_ds = 1, i30_es = 1, i30_fs = 1, i30_gs = 1, i30_cs;
volatile uint32_t i30_frame[9], i30_esp;
void v86_int30(void);
__asm__(".text\nv86_int30:\n"
        " movw %ds, %ss:i30_ds\n movw %es, %ss:i30_es\n"
        " movw %fs, %ss:i30_fs\n movw %gs, %ss:i30_gs\n movw %cs, %ss:i30_cs\n"
        " movl %esp, %ss:i30_esp\n"
        " pushl %esi\n pushl %edi\n pushl %ecx\n"
        " movw $0x10, %cx\n movw %cx, %ds\n movw %cx, %es\n"
        " leal 12(%esp), %esi\n movl $i30_frame, %edi\n movl $9, %ecx\n rep movsl\n"
        " popl %ecx\n popl %edi\n popl %esi\n"
        " movl $0x2222, %eax\n iret\n");

/* IRQ 0 during the V86 loop: its frame, then back to the kernel */
volatile uint32_t irq_eip, irq_cs, irq_eflags;
void v86_irq0(void);
__asm__(".text\nv86_irq0:\n"
        " movl (%esp), %eax\n movl %eax, %ss:irq_eip\n"
        " movl 4(%esp), %eax\n movl %eax, %ss:irq_cs\n"
        " movl 8(%esp), %eax\n movl %eax, %ss:irq_eflags\n"
        " movb $0xff, %al\n outb %al, $0x21\n movb $0x20, %al\n outb %al, $0x20\n"
        " movl %ss:kernel_esp, %esp\n ret\n");

static void monitor(struct frame *fr)
{
    struct frame *f = &((struct v86_frame *)fr)->f;

    if (!(f->eflags & VM_FLAG) || nseen == 16) {
        printf_serial("vm86int: unexpected exception %u err=0x%x at 0x%x\n", f->vector,
                      f->error, f->eip);
        debug_exit(GUEST_FAIL);
    }
    /* linear = CS * 16 + IP; paging maps it (the kernel shares the tables) */
    uint8_t *ip = (uint8_t *)((f->cs << 4) + (f->eip & 0xffff));
    seen[nseen].vector = f->vector;
    seen[nseen].error = f->error;
    seen[nseen].op = f->vector == 3 ? ip[-1] : ip[0];
    nseen++;
    if (f->vector == 3) {
        return; /* a trap: IP is past it */
    }
    if (f->vector == 14 && ip[0] == 0xa3) {
        pf_cr2 = read_cr2();
        f->eip += 3;
        return;
    }
    if (f->vector == 6 || (f->vector == 13 && ip[0] == 0x0f)) {
        f->eip += ip[0] == 0x63 ? 2 : 3;
        return;
    }
    if (f->vector != 13) {
        printf_serial("vm86int: vector %u in V86\n", f->vector);
        debug_exit(GUEST_FAIL);
    }
    switch (ip[0]) {
    case 0xcd: case 0xe4: f->eip += 2; break;
    case 0xcf: f->eip += 1; break;
    case 0xf4: /* HLT: the program is done */
        __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
        break;
    default:
        printf_serial("vm86int: #GP at %x:%x on 0x%x\n", f->cs, f->eip, ip[0]);
        debug_exit(GUEST_FAIL);
    }
}

/* IRET to V86 at 0x0A00:ip with the given EFLAGS; returns at HLT or IRQ 0. */
static void run_v86(uint32_t ip, uint32_t eflags)
{
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     " pushl $0x5678\n pushl $0x1234\n pushl $0x0b00\n pushl $0x0b00\n"
                     " pushl $0x0700\n pushl $0x1000\n"         /* SS:SP -> linear 0x8000 */
                     " pushl %1\n pushl $0x0a00\n pushl %0\n iret\n"
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " movw %%ax, %%fs\n movw %%ax, %%gs\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : "r"(ip), "r"(eflags) : "eax", "ecx", "edx", "memory");
}

static bool expect_seen(const char *part, const uint32_t (*want)[3], int n)
{
    bool ok = nseen == n;

    for (int i = 0; i < nseen; i++) {
        bool good = i < n && seen[i].vector == want[i][0] && seen[i].error == want[i][1] &&
                    seen[i].op == want[i][2];
        printf_serial("vm86int: %s: exception %u err=0x%x on opcode 0x%x%s\n", part,
                      seen[i].vector, seen[i].error, seen[i].op, good ? "" : " (WRONG)");
        ok &= good;
    }
    nseen = 0;
    return check(ok, part);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    volatile uint16_t *data = (volatile uint16_t *)DATA_PHYS;

    cpu_setup();
    /* 4 KiB pages below 4 MiB (user: V86 runs at CPL 3), 4 MiB pages above */
    for (int i = 0; i < 1024; i++) {
        pt0[i] = (i << 12) | 7;
        pd[i] = (i << 22) | 0x87;
    }
    pt0[0xa] = CODE_PHYS | 7;
    pt0[0xb] = DATA_PHYS | 7;
    pt0[0xc] = 0; /* not present */
    pd[0] = (uint32_t)pt0 | 7;
    memcpy((void *)CODE_PHYS, part_c, sizeof(part_c));
    memcpy((void *)(CODE_PHYS + 0x40), part_d, sizeof(part_d));
    memcpy((void *)(CODE_PHYS + 0x60), part_e, sizeof(part_e));
    memcpy((void *)(CODE_PHYS + 0x70), part_f, sizeof(part_f));
    memcpy((void *)(CODE_PHYS + 0x90), part_g, sizeof(part_g));
    *(volatile uint8_t *)(CODE_PHYS + 0xc0) = 0xcb;
    *(volatile uint8_t *)(CODE_PHYS + 0xd0) = 0xf4;
    uint32_t exit_addr = (uint32_t)v86_exit;
    memcpy(gate16_code + 8, &exit_addr, 4);
    memcpy((void *)0x7100, gate16_code, sizeof(gate16_code));
    memset((void *)DATA_PHYS, 0, 16);
    write_cr4(read_cr4() | 0x10);
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | 0x80000000);

    /* Our TSS: the ring-0 stack and a bitmap opening port 0x80 only */
    v86_tss.t.ss0 = SEL_DATA32;
    v86_tss.t.esp0 = (uint32_t)ring0_stack + sizeof(ring0_stack);
    v86_tss.t.iomap = sizeof(struct tss32);
    memset(v86_tss.map, 0xff, sizeof(v86_tss.map) + 1);
    v86_tss.map[0x80 >> 3] &= ~1u;
    set_gdt(SEL_V86_TSS >> 3, make_desc((uint32_t)&v86_tss, sizeof(v86_tss) - 1, 0x89, 0));
    __asm__ volatile("ltr %0" : : "r"((uint16_t)SEL_V86_TSS));

    extra_handler = monitor;
    set_idt_raw(3, get_idt_raw(3) | (3ull << 45));
    set_idt_gate(0x30, v86_int30, 3);
    set_idt_raw(0x31, make_gate(SEL_UCODE, 0x1000, 0xee, 0)); /* to ring-3 code */
    set_idt_raw(0x32, make_gate(SEL_CODE32, 0x1000, 0x8e, 0)); /* DPL 0 */

    /* PIC at 0x20/0x28, every line masked until the IRQ part */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);

    run_v86(0, 0x23002);
    uint32_t top0 = v86_tss.t.esp0;
    printf_serial("vm86int: int 0x30 in handler: ds=%x es=%x fs=%x gs=%x cs=%x frame=%d\n",
                  i30_ds, i30_es, i30_fs, i30_gs, i30_cs, (int)(top0 - i30_esp));
    printf_serial("vm86int: int 0x30 frame: ip=%x cs=%x vm=%u iopl=%u sp=%x ss=%x "
                  "es=%x ds=%x fs=%x gs=%x\n", i30_frame[0], i30_frame[1],
                  (i30_frame[2] >> 17) & 1, (i30_frame[2] >> 12) & 3, i30_frame[3],
                  i30_frame[4], i30_frame[5], i30_frame[6], i30_frame[7], i30_frame[8]);
    printf_serial("vm86int: paged store=0x%x fs=0x%x gs=0x%x\n", data[0], data[1], data[2]);
    ok &= check(i30_ds == 0 && i30_es == 0 && i30_fs == 0 && i30_gs == 0 &&
                i30_cs == SEL_CODE32 && top0 - i30_esp == 36 && i30_frame[0] == 5 &&
                i30_frame[1] == 0x0a00 && (i30_frame[2] & VM_FLAG) &&
                i30_frame[3] == 0x1000 && i30_frame[4] == 0x0700 &&
                i30_frame[5] == 0x0b00 && i30_frame[6] == 0x0b00 &&
                i30_frame[7] == 0x1234 && i30_frame[8] == 0x5678, "int n through the IDT");
    ok &= check(data[0] == 0x2222 && data[1] == 0x1234 &&
                data[2] == 0x5678, "paged V86 stores, segments back after IRET");
    static const uint32_t want_c[][3] = {
        { 13, 0, 0xe4 }, { 13, 0x28, 0xcd }, { 13, 0x32 * 8 + 2, 0xcd }, { 3, 0, 0xcc },
        { 13, 0, 0xf4 },
    };
    ok &= expect_seen("iopl 3", want_c, 5);

    run_v86(0x40, 0x20002);
    static const uint32_t want_d[][3] = {
        { 13, 0, 0xcd }, { 13, 0, 0xcf }, { 13, 0, 0xe4 }, { 13, 0, 0xf4 },
    };
    ok &= expect_seen("iopl 0", want_d, 4);

    /* Exit through a hardware interrupt: PIC at 0x20, PIT IRQ 0 at ~1 kHz */
    set_idt_gate(0x20, v86_irq0, 0);
    outb(0x21, 0xfe);
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    run_v86(0x60, 0x20202);
    printf_serial("vm86int: irq from v86: cs:ip=%x:%x vm=%u\n", irq_cs, irq_eip,
                  (irq_eflags >> 17) & 1);
    ok &= check(irq_cs == 0x0a00 && irq_eip == 0x60 && (irq_eflags & VM_FLAG) && nseen == 0,
                "exit through an interrupt");

    /* A page fault in V86, then a 16-bit interrupt gate (which ends it) */
    set_idt_raw(0x33, make_gate(SEL_CODE32, 0x7100, 0xe6, 0));
    run_v86(0x70, 0x23002);
    static const uint32_t want_f[][3] = { { 14, 6, 0xa3 } };
    printf_serial("vm86int: page fault cr2=0x%x\n", pf_cr2);
    ok &= expect_seen("page fault", want_f, 1) && check(pf_cr2 == 0xc000, "cr2");
    uint32_t esp16 = *(volatile uint32_t *)0x7ff0;
    volatile uint16_t *w = (volatile uint16_t *)esp16;
    printf_serial("vm86int: 16-bit gate frame=%d ip=%x cs=%x sp=%x ss=%x es=%x ds=%x fs=%x "
                  "gs=%x\n", (int)(top0 - esp16), w[0], w[1], w[3], w[4], w[5], w[6], w[7],
                  w[8]);
    ok &= check(top0 - esp16 == 18 && w[0] == 0x7a && w[1] == 0x0a00 && w[3] == 0x1000 &&
                w[4] == 0x0700 && w[5] == 0x0b00 && w[6] == 0x0c00 && w[7] == 0x1234 &&
                w[8] == 0x5678, "16-bit gate from V86");

    /* System instructions and far transfers in V86 */
    run_v86(0x90, 0x23002);
    static const uint32_t want_g[][3] = {
        { 6, 0, 0x63 }, { 6, 0, 0x0f }, { 6, 0, 0x0f }, { 13, 0, 0x0f }, { 6, 0, 0x0f },
        { 13, 0, 0xf4 },
    };
    printf_serial("vm86int: smsw=0x%x\n", data[3] & 0xffff);
    ok &= expect_seen("system instructions", want_g, 6) &&
          check((data[3] & 0x11) == 0x11, "smsw in V86 (PE, ET)");

    extra_handler = NULL;
    printf_serial("vm86int: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
