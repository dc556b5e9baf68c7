/*
 * Hardware task switches (SDM vol.3 chapter 7): JMP to a TSS and back,
 * CALL through a task gate with IRET (NT, the back link, busy bits),
 * INT n and an exception (error code on the new task's stack) through IDT
 * task gates, a 16-bit TSS, CR3 and LDT loaded from the TSS, CR0.TS, the
 * T bit, the I/O permission bitmap of a ring-3 task, and the faults:
 * busy TSS, short TSS, not-present TSS, a gate to a non-TSS, IRET to an
 * available TSS, a bad data segment in the new task (#TS in its context).
 */
#include "cpu.h"

#define SEL_TSS_B    0x50
#define SEL_TSS_C    0x58
#define SEL_GATE_C   0x60 /* task gate -> C */
#define SEL_TSS16    0x68
#define SEL_TSS_SHORT 0x70 /* limit 0x50 */
#define SEL_TSS_NP   0x78
#define SEL_LDT      0x80
#define SEL_TSS_X    0x88 /* CR3 B, an LDT */
#define SEL_TSS_BADDS 0x90
#define SEL_TSS_INT  0x98
#define SEL_TSS_GP   0xa0
#define SEL_TSS_T    0xa8
#define SEL_TSS_IO   0xb0
#define SEL_GATE_MAIN3 0xbb /* DPL-3 task gate -> the main TSS */
#define SEL_GATE_BAD 0xc0 /* task gate -> the LDT descriptor */

static struct tss32 tss_b, tss_c, tss_x, tss_bad, tss_int, tss_gp, tss_t, tss_np;
static struct {
    struct tss32 t;
    uint8_t map[0x20]; /* ports 0-0xff */
    uint8_t end;
} __attribute__((packed)) tss_io;
static uint8_t stacks[9][2048] __attribute__((aligned(16)));
static uint64_t ldt[2];
/* 16-bit TSS (figure 7-11), by word: link, sp0, ss0, sp1, ss1, sp2, ss2,
 * ip, flags, ax, cx, dx, bx, sp, bp, si, di, es, cs, ss, ds, ldt */
static uint16_t tss16[22];
/* at 0x7000 (IP is 16 bits): movl $0x1616, 0x7ff0; movw %ax, 0x7ff4; iret; jmp 0x7000 */
static const uint8_t task16_code[] = { 0xc7, 0x05, 0xf0, 0x7f, 0, 0, 0x16, 0x16, 0, 0,
                                       0x66, 0xa3, 0xf4, 0x7f, 0, 0, 0xcf, 0xeb, 0xed };
static uint32_t pd_a[1024] __attribute__((aligned(4096)));
static uint32_t pd_b[1024] __attribute__((aligned(4096)));

volatile uint32_t seen_gp_err;
static volatile uint32_t seen_c_link, seen_c_nt, seen_int, seen_x_val, seen_x_ldt;
static volatile uint32_t b_runs, c_runs, io_done;

static void init_task(struct tss32 *t, void (*entry)(void), int stack, uint32_t cs,
                      uint32_t ds)
{
    memset(t, 0, sizeof(*t));
    t->eip = (uint32_t)entry;
    t->eflags = 0x2;
    t->regs[4] = (uint32_t)stacks[stack] + sizeof(stacks[stack]);
    t->segs[0] = t->segs[2] = t->segs[3] = t->segs[4] = t->segs[5] = ds;
    t->segs[1] = cs;
    t->cr3 = read_cr3();
    t->ss0 = SEL_DATA32;
    t->esp0 = (uint32_t)stacks[8] + sizeof(stacks[8]);
    t->iomap = sizeof(*t);
}

static uint64_t tss_desc(void *t, uint32_t limit, int dpl)
{
    return make_desc((uint32_t)t, limit, 0x89 | (dpl << 5), 0);
}

static uint32_t desc_type(uint16_t sel)
{
    return (get_gdt(sel >> 3) >> 40) & 0xf;
}

#define JMP_TASK(sel) __asm__ volatile("ljmp $" #sel ", $0" ::: "memory")
#define CALL_TASK(sel) __asm__ volatile("lcall $" #sel ", $0" ::: "memory")

static void __attribute__((noreturn)) task_b(void)
{
    for (;;) {
        b_runs++;
        JMP_TASK(0x38);
    }
}

static void __attribute__((noreturn)) task_c(void)
{
    for (;;) {
        uint32_t fl;
        c_runs++;
        __asm__ volatile("pushfl\n popl %0" : "=r"(fl));
        seen_c_nt = (fl >> 14) & 1;
        seen_c_link = tss_c.link;
        __asm__ volatile("iret" ::: "memory");
    }
}

static void __attribute__((noreturn)) task_int(void)
{
    for (;;) {
        seen_int++;
        __asm__ volatile("iret" ::: "memory");
    }
}

/* #GP through a task gate: the error code is on this task's stack; the
 * faulting task is resumed past the fault by editing its saved EIP. */
void task_gp_body(void);
void task_gp_body(void)
{
    ((struct tss32 *)main_tss())->eip = resume_eip;
    resume_eip = 0;
}
void task_gp(void);
__asm__(".text\ntask_gp:\n popl seen_gp_err\n call task_gp_body\n iret\n jmp task_gp\n");

/* CR3 B maps 1 GiB -> 12 MiB, and DS = 0x0c is the LDT's data segment */
static void __attribute__((noreturn)) task_x(void)
{
    for (;;) {
        uint16_t l;
        __asm__ volatile("sldt %0" : "=r"(l));
        seen_x_ldt = l;
        __asm__ volatile("movl %%ds:0x40000000, %0" : "=r"(seen_x_val));
        __asm__ volatile("movw $0x10, %%ax\n movw %%ax, %%ds" ::: "eax");
        JMP_TASK(0x38);
    }
}

static void __attribute__((noreturn)) task_t(void)
{
    for (;;) {
        JMP_TASK(0x38);
    }
}

extern char bad_recover[];
static void __attribute__((noreturn)) task_bad(void)
{
    for (;;) {
        __asm__ volatile("bad_recover: ljmp $0x38, $0" ::: "memory");
    }
}

/* Ring 3, IOPL 0: only the bitmap lets it at ports */
static void __attribute__((noreturn)) task_io(void)
{
    TRY_FAULT("outb %al, $0x80");
    TRY_FAULT("movw $0x81, %dx\n outb %al, %dx");
    TRY_FAULT("movw $0x87, %dx\n outw %ax, %dx");
    TRY_FAULT("movw $0x300, %dx\n inb %dx, %al");
    TRY_FAULT("cli");
    io_done = 1;
    for (;;) {
        __asm__ volatile("ljmp $0xbb, $0" ::: "memory");
    }
}

static uint32_t db_dr6, db_eip;
static void db_handler(struct frame *f)
{
    if (f->vector != 1) {
        printf_serial("unexpected exception %u err=0x%x at 0x%x\n", f->vector, f->error, f->eip);
        debug_exit(GUEST_FAIL);
    }
    __asm__ volatile("mov %%dr6, %0" : "=r"(db_dr6));
    __asm__ volatile("mov %0, %%dr6" : : "r"(0u));
    db_eip = f->eip;
}

static void bad_handler(struct frame *f)
{
    last_fault.count++;
    last_fault.vector = f->vector;
    last_fault.error = f->error;
    last_fault.eip = f->eip;
    f->eip = (uint32_t)bad_recover;
    __asm__ volatile("movw %0, %%gs" : : "r"((uint16_t)SEL_DATA32));
}

static void clts(void) { __asm__ volatile("clts"); }

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    struct tss32 *m = main_tss();
    bool ok = true, strict = guest_strict(mbi);

    cpu_setup();
    /* paging with 4 MiB pages: CR3 A identity, CR3 B maps 1 GiB -> 12 MiB */
    for (int i = 0; i < 1024; i++) {
        pd_a[i] = pd_b[i] = (i << 22) | 0x87;
    }
    pd_a[256] = (8u << 20) | 0x87;
    pd_b[256] = (12u << 20) | 0x87;
    *(volatile uint32_t *)(8u << 20) = 0xaaaa0008;
    *(volatile uint32_t *)(12u << 20) = 0xbbbb000c;
    write_cr4(read_cr4() | 0x10);
    write_cr3((uint32_t)pd_a);
    write_cr0(read_cr0() | 0x80000000);
    m->cr3 = (uint32_t)pd_a;

    init_task(&tss_b, task_b, 0, SEL_CODE32, SEL_DATA32);
    init_task(&tss_c, task_c, 1, SEL_CODE32, SEL_DATA32);
    init_task(&tss_int, task_int, 2, SEL_CODE32, SEL_DATA32);
    init_task(&tss_gp, task_gp, 3, SEL_CODE32, SEL_DATA32);
    init_task(&tss_x, task_x, 4, SEL_CODE32, SEL_DATA32);
    tss_x.cr3 = (uint32_t)pd_b;
    tss_x.ldt = SEL_LDT;
    tss_x.segs[3] = 0x0c; /* DS: LDT entry 1 */
    init_task(&tss_bad, task_bad, 5, SEL_CODE32, SEL_DATA32);
    tss_bad.segs[3] = SEL_CODE32;   /* fine (readable code) */
    tss_bad.segs[5] = 0x1f8;        /* GS beyond the GDT: #TS, the last check */
    init_task(&tss_t, task_t, 6, SEL_CODE32, SEL_DATA32);
    tss_t.trap = 1;
    init_task(&tss_io.t, task_io, 7, SEL_UCODE, SEL_UDATA);
    tss_io.t.iomap = sizeof(struct tss32);
    memset(tss_io.map, 0, sizeof(tss_io.map));
    tss_io.map[0x81 / 8] |= 1 << (0x81 & 7);
    tss_io.map[0x88 / 8] |= 1 << (0x88 & 7);
    tss_io.end = 0xff;
    tss_np = tss_b;

    memcpy((void *)0x7000, task16_code, sizeof(task16_code));
    tss16[7] = 0x7000;
    tss16[8] = 0x2;
    tss16[9] = 0x1234;
    tss16[13] = 0x7f00;
    tss16[17] = tss16[20] = SEL_DATA32;
    tss16[18] = SEL_CODE32;
    tss16[19] = SEL_DATA16;
    set_gdt(SEL_TSS16 >> 3, make_desc((uint32_t)tss16, 0x2b, 0x81, 0));
    ldt[1] = make_desc(0, 0xfffff, 0x92, 0xc);
    set_gdt(SEL_TSS_B >> 3, tss_desc(&tss_b, 0x67, 0));
    set_gdt(SEL_TSS_C >> 3, tss_desc(&tss_c, 0x67, 0));
    set_gdt(SEL_GATE_C >> 3, make_gate(SEL_TSS_C, 0, 0x85, 0));
    set_gdt(SEL_TSS_SHORT >> 3, tss_desc(&tss_b, 0x50, 0));
    set_gdt(SEL_TSS_NP >> 3, tss_desc(&tss_np, 0x67, 0) & ~(1ull << 47));
    set_gdt(SEL_LDT >> 3, make_desc((uint32_t)ldt, sizeof(ldt) - 1, 0x82, 0));
    set_gdt(SEL_TSS_X >> 3, tss_desc(&tss_x, 0x67, 0));
    set_gdt(SEL_TSS_BADDS >> 3, tss_desc(&tss_bad, 0x67, 0));
    set_gdt(SEL_TSS_INT >> 3, tss_desc(&tss_int, 0x67, 0));
    set_gdt(SEL_TSS_GP >> 3, tss_desc(&tss_gp, 0x67, 0));
    set_gdt(SEL_TSS_T >> 3, tss_desc(&tss_t, 0x67, 0));
    set_gdt(SEL_TSS_IO >> 3, tss_desc(&tss_io, sizeof(tss_io) - 2, 0)); /* without .end */
    set_gdt(SEL_GATE_MAIN3 >> 3, make_gate(0x38, 0, 0xe5, 0));
    set_gdt(SEL_GATE_BAD >> 3, make_gate(SEL_LDT, 0, 0x85, 0));
    set_idt_raw(0x41, make_gate(SEL_TSS_INT, 0, 0x85, 0));

    /* JMP there and back: busy bits move, the old EIP is saved */
    printf_serial("tasks: main busy=%u\n", desc_type(0x38) == 0xb);
    JMP_TASK(0x50);
    JMP_TASK(0x50);
    printf_serial("tasks: jmp b_runs=%u main=%x b=%x ts=%u\n", b_runs, desc_type(0x38),
                  desc_type(SEL_TSS_B), (read_cr0() >> 3) & 1);
    ok &= check(b_runs == 2 && desc_type(SEL_TSS_B) == 9 && desc_type(0x38) == 0xb, "jmp");
    clts();

    /* CALL via a task gate, IRET back: NT and the link in the new task */
    CALL_TASK(0x60);
    CALL_TASK(0x58);
    uint32_t fl;
    __asm__ volatile("pushfl\n popl %0" : "=r"(fl));
    printf_serial("tasks: call c_runs=%u link=%x nt=%u main_nt=%u c=%x\n", c_runs, seen_c_link,
                  seen_c_nt, (fl >> 14) & 1, desc_type(SEL_TSS_C));
    ok &= check(c_runs == 2 && seen_c_link == 0x38 && seen_c_nt == 1 && !((fl >> 14) & 1),
                "call/iret");
    clts();

    /* A 16-bit TSS: 16-bit registers, no CR3 */
    CALL_TASK(0x68);
    printf_serial("tasks: tss16 ran=0x%x ax=0x%x link=0x%x type=%u\n",
                  *(volatile uint16_t *)0x7ff0, *(volatile uint16_t *)0x7ff4, tss16[0],
                  desc_type(SEL_TSS16));
    ok &= check(*(volatile uint16_t *)0x7ff0 == 0x1616 && *(volatile uint16_t *)0x7ff4 == 0x1234 &&
                tss16[0] == 0x38 && desc_type(SEL_TSS16) == 1, "16-bit tss");
    clts();

    /* INT n through a task gate; an exception with its error code */
    __asm__ volatile("int $0x41" ::: "memory");
    set_idt_raw(13, make_gate(SEL_TSS_GP, 0, 0x85, 0));
    TRY_FAULT("movw $0x1230, %ax\n movw %ax, %fs");
    reset_idt_gate(13);
    printf_serial("tasks: int=%u gp_err=0x%x\n", seen_int, seen_gp_err);
    ok &= check(seen_int == 1 && seen_gp_err == 0x1230, "task gates");
    clts();

    /* CR3 and the LDT come from the TSS */
    JMP_TASK(0x88);
    uint16_t l;
    __asm__ volatile("sldt %0" : "=r"(l));
    printf_serial("tasks: x val=0x%x ldt=0x%x main ldt=0x%x val=0x%x cr3=%s\n", seen_x_val,
                  seen_x_ldt, l, *(volatile uint32_t *)0x40000000u,
                  read_cr3() == (uint32_t)pd_a ? "a" : "?");
    ok &= check(seen_x_val == 0xbbbb000c && seen_x_ldt == SEL_LDT && l == 0, "cr3/ldt");
    clts();

    /* The T bit: #DB (DR6.BT) before the new task's first instruction */
    extra_handler = db_handler;
    JMP_TASK(0xa8);
    extra_handler = NULL;
    /* QEMU 7.2 ignores the T bit: SDM 17.3.1.5 only (strict) */
    printf_serial("~tasks: t-bit dr6.bt=%u at_entry=%u\n", (db_dr6 >> 15) & 1,
                  db_eip == (uint32_t)task_t);
    if (strict) {
        ok &= check(((db_dr6 >> 15) & 1) && db_eip == (uint32_t)task_t, "T bit");
    }
    clts();

    /* Faults before the switch (in this task) */
    TRY_FAULT("ljmp $0x38, $0");
    ok &= expect_fault("tasks: jmp busy", 13, 0x38, true);
    TRY_FAULT("lcall $0x70, $0");
    ok &= expect_fault("tasks: short tss", 10, 0x70, true);
    TRY_FAULT("ljmp $0x78, $0");
    ok &= expect_fault("tasks: tss not present", 11, 0x78, true);
    TRY_FAULT("ljmp $0xc0, $0");
    ok &= expect_fault("tasks: gate to non-tss", 13, 0x80, true);
    m->link = SEL_TSS_B;
    TRY_FAULT("pushfl\n orl $0x4000, (%esp)\n popfl\n iret");
    __asm__ volatile("pushfl\n andl $~0x4000, (%%esp)\n popfl" ::: "memory");
    ok &= expect_fault("tasks: iret to available tss", 10, 0x50, true);

    /* A bad GS in the new task: #TS in its context (its EIP), then back */
    extra_handler = bad_handler;
    JMP_TASK(0x90);
    extra_handler = NULL;
    printf_serial("tasks: bad gs in new task: vector=%u err=0x%x tr=%s\n",
                  last_fault.vector, last_fault.error, desc_type(0x38) == 0xb ? "main" : "?");
    ok &= check(last_fault.count == 1 && last_fault.vector == 10 && last_fault.error == 0x1f8,
                "#TS in the new task");
    /* SDM 7.3 step 13: the fault belongs to the new task, at its first
     * instruction; QEMU 7.2 reports the JMP's EIP (strict only) */
    printf_serial("~tasks: bad gs fault at the new task's entry=%u\n",
                  last_fault.eip == (uint32_t)task_bad);
    if (strict) {
        ok &= check(last_fault.eip == (uint32_t)task_bad, "#TS at the new task's EIP");
    }
    last_fault.count = 0;
    clts();

    /* Ring 3 task with an I/O bitmap */
    JMP_TASK(0xb0);
    printf_serial("tasks: io done=%u faults=%u\n", io_done, last_fault.count);
    ok &= check(io_done && last_fault.count == 4 && last_fault.vector == 13, "io bitmap");

    printf_serial("tasks: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
