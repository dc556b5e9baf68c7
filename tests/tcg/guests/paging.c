/*
 * Paging: 4 KiB and 4 MiB (PSE) pages, page faults with CR2 and error
 * codes (not present, write protect with CR0.WP, user access to a
 * supervisor page from ring 3), accessed/dirty bits, INVLPG and the TLB
 * flush on a CR3 write.
 */
#include "cpu.h"

#define P 1u
#define W 2u
#define U 4u
#define A 0x20u
#define D 0x40u
#define PS 0x80u

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t kernel_esp, user_result;
static volatile int user_step;

/* 0x800000-0x800fff: test window; its PTE is pt[0]-mapped via pd[2] -> pt */
#define WIN 0x800000u
#define WIN_PTE (&pt[0])

static void user_code(void)
{
    /* ring 3: touch the supervisor-only window, then a user page, then back */
    TRY_FAULT("movl 0x800000, %%eax", : : : "eax");
    user_step = 1;
    user_result = *(volatile uint32_t *)(WIN + 0x1000);
    __asm__ volatile("int $0x80");
    for (;;) {
    }
}

/* int $0x80 from ring 3: return to the kernel's saved stack. */
static void back_to_kernel(struct frame *f)
{
    __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
}

static void run_user(void)
{
    extra_handler = back_to_kernel;
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     "   movl %%esp, %%eax\n subl $512, %%eax\n pushl %%eax\n"
                     "   call set_tss_esp0\n addl $4, %%esp\n"
                     "   pushl %1\n pushl %0\n call enter_user\n"
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : "r"(user_code), "r"((uint32_t)user_stack + sizeof(user_stack))
                     : "eax", "ecx", "edx", "memory");
    extra_handler = 0;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    volatile uint32_t *win = (volatile uint32_t *)WIN;

    cpu_setup();
    /* identity 0-8 MiB with 4 MiB pages (supervisor+user), window at 8 MiB */
    pd[0] = 0x000000 | P | W | U | PS;
    pd[1] = 0x400000 | P | W | U | PS;
    pd[2] = (uint32_t)pt | P | W | U;
    pd[3] = 0x000000 | P | W | PS; /* 12 MiB: alias of 0 */
    static uint32_t frame_a[1024] __attribute__((aligned(4096)));
    static uint32_t frame_b[1024] __attribute__((aligned(4096)));
    frame_a[0] = 0xaaaa0000;
    frame_b[0] = 0xbbbb0000;
    pt[0] = (uint32_t)frame_a | P | W;        /* WIN: supervisor RW */
    pt[1] = (uint32_t)frame_b | P | W | U;    /* WIN+0x1000: user RW */
    pt[2] = (uint32_t)frame_b | P | U;        /* WIN+0x2000: read-only alias */
    pt[3] = 0;                                /* WIN+0x3000: not present */
    write_cr4(read_cr4() | 0x10);             /* PSE */
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | 0x80010000);       /* PG | WP */
    puts_serial("paging: on\n");

    ok &= check(win[0] == 0xaaaa0000, "read through a 4 KiB page");
    ok &= check((*WIN_PTE & (A | D)) == A, "accessed, not dirty");
    win[1] = 5;
    ok &= check((*WIN_PTE & (A | D)) == (A | D), "dirty after a write");
    ok &= check(*(volatile uint32_t *)(0xc00000 + (uint32_t)frame_a + 4) == 5, "4 MiB alias");
    ok &= check((pd[3] & A) == A, "PDE accessed");

    TRY_FAULT("movl 0x803004, %%eax", : : : "eax");
    ok &= expect_fault("#PF read not present", 14, 0, true);
    ok &= check(last_fault.cr2 == WIN + 0x3004, "cr2 not present");
    printf_serial("cr2=0x%x\n", last_fault.cr2);
    TRY_FAULT("movl $1, 0x802010");
    ok &= expect_fault("#PF write read-only (WP)", 14, 3, true);
    printf_serial("cr2=0x%x\n", last_fault.cr2);
    TRY_FAULT("movl $0x802ffe, %%esi\n\t movl $7, (%%esi)", : : : "esi");
    ok &= expect_fault("#PF straddling write", 14, 3, true);
    printf_serial("cr2=0x%x\n", last_fault.cr2);

    /* WP off: the supervisor may write read-only pages */
    write_cr0(read_cr0() & ~0x10000u);
    *(volatile uint32_t *)(WIN + 0x2010) = 0x1234;
    ok &= check(frame_b[4] == 0x1234, "write with WP clear");
    write_cr0(read_cr0() | 0x10000u);

    /* remap: stale until INVLPG / CR3 write */
    pt[0] = (uint32_t)frame_b | P | W;
    __asm__ volatile("invlpg 0x800000" : : : "memory");
    ok &= check(win[0] == 0xbbbb0000, "INVLPG picks up the new PTE");
    pt[0] = (uint32_t)frame_a | P | W;
    write_cr3((uint32_t)pd);
    ok &= check(win[0] == 0xaaaa0000, "CR3 write flushes");

    /* INVLPG of any address in a large page drops the whole page (SDM vol.3
     * 4.10.4.1), also the 4 KiB pieces of it that an emulator caches */
    volatile uint32_t *big = (volatile uint32_t *)0xc00000;
    uint32_t off = (uint32_t)frame_a;
    *(volatile uint32_t *)(0x400000 + off) = 0xcccc0000; /* through pd[1] */
    (void)big[0x3ff000 / 4];                     /* another piece of the page */
    ok &= check(big[off / 4] == 0xaaaa0000, "12 MiB aliases 0");
    pd[3] = 0x400000 | P | W | PS;
    __asm__ volatile("invlpg 0xfff000" : : : "memory");
    ok &= check(big[off / 4] == 0xcccc0000, "INVLPG elsewhere in a 4 MiB page drops it all");
    pd[3] = 0x000000 | P | W | PS;
    write_cr3((uint32_t)pd);

    /* code on a remapped page: the new page's instructions run */
    static uint8_t code_a[4096] __attribute__((aligned(4096))) = { 0xb8, 1, 0, 0, 0, 0xc3 };
    static uint8_t code_b[4096] __attribute__((aligned(4096))) = { 0xb8, 2, 0, 0, 0, 0xc3 };
    uint32_t (*fn)(void) = (uint32_t (*)(void))(WIN + 0x4000);
    uint32_t r1, r2, r3;
    pt[4] = (uint32_t)code_a | P | W;
    __asm__ volatile("invlpg 0x804000" : : : "memory");
    r1 = fn();
    r2 = fn();
    pt[4] = (uint32_t)code_b | P | W;
    __asm__ volatile("invlpg 0x804000" : : : "memory");
    r3 = fn();
    printf_serial("remapped code: %u %u %u\n", r1, r2, r3);
    ok &= check(r1 == 1 && r2 == 1 && r3 == 2, "INVLPG of a code page runs the new code");

    /* ring 3: the supervisor page faults with U set, the user page reads */
    run_user();
    ok &= expect_fault("#PF user reads supervisor page", 14, 5, true);
    printf_serial("cr2=0x%x user_step=%d user_result=0x%x\n", last_fault.cr2, user_step,
                  user_result);
    ok &= check(user_step == 1 && user_result == 0xbbbb0000, "user code ran");

    write_cr0(read_cr0() & ~0x80000000u);
    printf_serial("paging: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
