/*
 * The I/O permission bitmap outside task switching (SDM vol.1 19.5.2,
 * vol.3 7.2.1): TR is loaded with LTR on a TSS whose I/O map base points
 * at a bitmap; ring 3 at IOPL 0 may use a port only when every bit of
 * the access is clear, the two bytes the processor reads must lie within
 * the TSS limit, and a map base beyond the limit denies everything.  At
 * CPL <= IOPL nothing is checked, and a 16-bit TSS has no bitmap.  Each
 * case is IN/OUT/INS/OUTS of byte, word or dword size; the faults (#GP(0)
 * or none) are printed case by case.
 */
#include "cpu.h"

#define SEL_IO_TSS 0x50 /* GDT entry 10 */
#define SEL_TSS16  0x58
#define MAP_BYTES  0x2000

static struct {
    struct tss32 t;
    uint8_t map[MAP_BYTES + 1]; /* + the all-ones byte SDM 19.5.2 asks for */
} __attribute__((packed)) io_tss;
static uint16_t tss16[22];
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t kernel_esp;
static volatile uint8_t ins_buf[16];
/* fault_log_n after each case (written from ring 3) */
static volatile int after[32];
static volatile int ncase;

#define CASE(insn, ...)                                                    \
    do {                                                                   \
        TRY_FAULT(insn, __VA_ARGS__);                                      \
        resume_eip = 0;                                                    \
        after[ncase++] = fault_log_n;                                      \
    } while (0)

static void allow(uint32_t port)
{
    io_tss.map[port >> 3] &= ~(1u << (port & 7));
}

/* LTR needs an available TSS: rewrite the descriptor (clearing busy). */
static void load_tr(uint16_t sel, uint64_t desc)
{
    set_gdt(sel >> 3, desc);
    __asm__ volatile("ltr %0" : : "r"(sel) : "memory");
}

static void load_io_tss(uint32_t limit, uint16_t iomap)
{
    io_tss.t.iomap = iomap;
    load_tr(SEL_IO_TSS, make_desc((uint32_t)&io_tss, limit, 0x89, 0));
}

/* Phase A: the full bitmap (ports 0x80, 0x84-0x87, 0x8e-0x90, 0xffff open) */
static const char *const names_a[] = {
    "outb 0x80 (open)", "inb 0x81 (closed)", "inl 0x84 (open)", "inl 0x85 (0x88 closed)",
    "inw 0x8f (open, across map bytes)", "inl 0x8e (0x91 closed)", "inb dx=0x80 (open)",
    "insb dx=0x80 (open)", "outsb dx=0x81 (closed)", "rep insw dx=0x84 x2 (open)",
    "inb dx=0xffff (open)", "inw dx=0xffff (bit 0x10000 in the end byte)", "outw 0x86 (open)",
};
/* Phase B: the limit ends the map after the byte of ports 0x88-0x8f */
static const char *const names_b[] = {
    "inb 0x8f (open, last byte in limit)", "inw 0x8f (open, reads the byte at the limit)",
    "inb 0x90 (open bit, beyond the limit)", "inb 0x81 (closed)",
};
/* Phase C: map base beyond the limit; D: IOPL 3; E: a 16-bit TSS */
static const char *const names_c[] = { "map base > limit: inb 0x80" };
static const char *const names_d[] = { "iopl 3: inb 0x81", "iopl 3: outsb dx=0x81" };
static const char *const names_e[] = { "16-bit tss: inb 0x80" };

static void user_a(void)
{
    CASE("outb %%al, $0x80", : : "a"(0));
    CASE("inb $0x81, %%al", : : : "eax");
    CASE("inl $0x84, %%eax", : : : "eax");
    CASE("inl $0x85, %%eax", : : : "eax");
    CASE("inw $0x8f, %%ax", : : : "eax");
    CASE("inl $0x8e, %%eax", : : : "eax");
    CASE("inb %%dx, %%al", : : "d"(0x80) : "eax");
    volatile uint8_t *di = ins_buf, *si = ins_buf;
    uint32_t cnt = 2;
    CASE("insb", : "+D"(di) : "d"(0x80) : "memory");
    CASE("outsb", : "+S"(si) : "d"(0x81) : "memory");
    di = ins_buf;
    CASE("rep insw", : "+D"(di), "+c"(cnt) : "d"(0x84) : "memory");
    CASE("inb %%dx, %%al", : : "d"(0xffff) : "eax");
    CASE("inw %%dx, %%ax", : : "d"(0xffff) : "eax");
    CASE("outw %%ax, $0x86", : : "a"(0));
    __asm__ volatile("int $0x80");
}

static void user_b(void)
{
    CASE("inb $0x8f, %%al", : : : "eax");
    CASE("inw $0x8f, %%ax", : : : "eax");
    CASE("inb $0x90, %%al", : : : "eax");
    CASE("inb $0x81, %%al", : : : "eax");
    __asm__ volatile("int $0x80");
}

static void user_c(void)
{
    CASE("inb $0x80, %%al", : : : "eax");
    __asm__ volatile("int $0x80");
}

static void user_d(void)
{
    volatile uint8_t *si = ins_buf;
    CASE("inb $0x81, %%al", : : : "eax");
    CASE("outsb", : "+S"(si) : "d"(0x81) : "memory");
    __asm__ volatile("int $0x80");
}

static void back_to_kernel(struct frame *f)
{
    __asm__ volatile("movl %0, %%esp\n ret" : : "r"(kernel_esp));
}

/* Ring 3 at fn, with the given IOPL; back through INT 0x80. */
static void run_user(void (*fn)(void), int iopl)
{
    fault_log_n = 0;
    ncase = 0;
    extra_handler = back_to_kernel;
    __asm__ volatile("pushfl\n andl $~0x3000, (%%esp)\n orl %0, (%%esp)\n popfl"
                     : : "r"(iopl << 12) : "memory");
    __asm__ volatile("pushl %%ebp\n pushl %%ebx\n pushl %%esi\n pushl %%edi\n"
                     "call 1f\n jmp 2f\n"
                     "1: movl %%esp, kernel_esp\n"
                     "   pushl %1\n pushl %0\n call enter_user\n"
                     "2: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " popl %%edi\n popl %%esi\n popl %%ebx\n popl %%ebp\n"
                     : : "r"(fn), "r"((uint32_t)user_stack + sizeof(user_stack))
                     : "eax", "ecx", "edx", "memory");
    __asm__ volatile("pushfl\n andl $~0x3000, (%%esp)\n popfl" ::: "memory");
    extra_handler = NULL;
}

/* Prints each case's outcome; want is a bit mask of the cases that fault. */
static bool report(const char *phase, const char *const *names, int n, uint32_t want)
{
    bool ok = ncase == n;
    int prev = 0;

    for (int i = 0; i < ncase && i < n; i++) {
        bool faulted = after[i] != prev;
        const char *what = "no fault";
        if (faulted) {
            volatile struct fault_record *r = &fault_log[after[i] - 1];
            what = r->vector == 13 && r->error == 0 ? "#GP(0)" : "other fault";
        }
        bool good = faulted == ((want >> i) & 1) && (!faulted || what[1] == 'G');
        printf_serial("iobitmap: %s: %s: %s%s\n", phase, names[i], what, good ? "" : " (WRONG)");
        ok &= good;
        prev = after[i];
    }
    return check(ok, phase);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    uint32_t top0 = (uint32_t)ring0_stack + sizeof(ring0_stack);
    uint32_t full = sizeof(io_tss) - 1;

    cpu_setup();
    io_tss.t.ss0 = SEL_DATA32;
    io_tss.t.esp0 = top0;
    memset(io_tss.map, 0xff, sizeof(io_tss.map));
    allow(0x80);
    for (uint32_t p = 0x84; p <= 0x87; p++) {
        allow(p);
    }
    for (uint32_t p = 0x8e; p <= 0x90; p++) {
        allow(p);
    }
    allow(0xffff);

    /* Ring 0 at IOPL 0 is never checked, even with every bit set */
    load_io_tss(full, sizeof(struct tss32));
    inb(0x81);
    printf_serial("iobitmap: ring 0 iopl 0 inb 0x81: no fault\n");

    run_user(user_a, 0);
    ok &= report("full map", names_a, 13, 1u << 1 | 1u << 3 | 1u << 5 | 1u << 8 | 1u << 11);

    load_io_tss(sizeof(struct tss32) + 0x12, sizeof(struct tss32));
    run_user(user_b, 0);
    ok &= report("short limit", names_b, 4, 1u << 2 | 1u << 3);

    load_io_tss(full, full + 1);
    run_user(user_c, 0);
    ok &= report("map base", names_c, 1, 1);

    load_io_tss(full, sizeof(struct tss32));
    run_user(user_d, 3);
    ok &= report("iopl 3", names_d, 2, 0);

    /* A 16-bit TSS (SP0 is 16 bits: a ring-0 stack below 64 KiB) */
    tss16[1] = 0x7ff0;
    tss16[2] = SEL_DATA32;
    load_tr(SEL_TSS16, make_desc((uint32_t)tss16, sizeof(tss16) - 1, 0x81, 0));
    run_user(user_c, 0);
    ok &= report("16-bit tss", names_e, 1, 1);

    printf_serial("iobitmap: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
