/*
 * System-level tests of the interpreter on the harness machine:
 * exceptions with their error codes (#DE #DB #BP #OF #BR #UD #NM #DF #NP
 * #GP #PF), paging (4 KiB, 4 MiB PSE, PAE, A/D bits, CR0.WP, INVLPG, CR3
 * flush), CR2, REP string edge cases against a reference model,
 * self-modifying code, the real-mode to protected-mode switch, hardware
 * interrupts with the STI shadow and HLT wake-up, port I/O through
 * the memory API, and the x87/MMX/SSE gates: #NM/#UD by CR0.EM/TS/MP and
 * CR4.OSFXSR, #MF, #XM vs #UD, #GP for alignment and MXCSR, and 16-byte
 * stores that fault without writing half.
 *
 * Guest code is assembled by the host assembler from the snippets below
 * (.code32/.code16 sections) and copied to CODE_ADDR; G(x) turns a
 * snippet label into its guest address.
 */
#include <stdio.h>

#include "tcg-harness.h"

#define SNIPPET(name, body)                                                  \
    extern const uint8_t name##_start[], name##_end[];                       \
    __asm__(".pushsection .rodata.tcgtest,\"a\"\n"                           \
            ".globl " #name "_start\n.globl " #name "_end\n"                 \
            #name "_start:\n" body "\n" #name "_end:\n"                       \
            ".code64\n.popsection\n")

static int run_snippet(const uint8_t *start, const uint8_t *end)
{
    return run_code(start, end - start);
}
#define RUN(name) run_snippet(name##_start, name##_end)

/* Error code and return EIP that the exception pushed (stubs don't pop). */
static uint32_t pushed_error(void) { return get32(henv()->regs[R_ESP]); }
static uint32_t pushed_eip(bool has_err) { return get32(henv()->regs[R_ESP] + (has_err ? 4 : 0)); }

/* ---- exceptions ---- */
SNIPPET(de, ".code32\n mov $0, %ebx\n div %ebx");
SNIPPET(ud, ".code32\n nop\n ud2");
SNIPPET(fpu, ".code32\n fld1");
SNIPPET(bp, ".code32\n int3\n nop");
SNIPPET(of, ".code32\n mov $0x7fffffff, %eax\n add $1, %eax\n into");
SNIPPET(br, ".code32\n movl $10, 0x20000\n movl $20, 0x20004\n mov $21, %eax\n"
            " bound %eax, 0x20000");
SNIPPET(gp_limit, ".code32\n mov $0x80, %eax\n mov %eax, %ds");
SNIPPET(np, ".code32\n mov $0x28, %eax\n mov %eax, %es");
SNIPPET(gp_ss, ".code32\n mov $0x30, %eax\n mov %eax, %ss");
SNIPPET(bad_cr, ".code32\n mov %cr5, %eax");
SNIPPET(ro_seg, ".code32\n mov $0x30, %eax\n mov %eax, %es\n movl $1, %es:0x20000");
SNIPPET(pg_no_pe, ".code32\n mov %cr0, %eax\n or $0x80000000, %eax\n and $~1, %eax\n"
                  " mov %eax, %cr0");
SNIPPET(icebp, ".code32\n int1\n nop");
SNIPPET(ds_limit, ".code32\n mov $0x20, %eax\n mov %eax, %ds\n movl 0xfffe, %eax");

START_TEST(test_exceptions)
{
    harness_init();
    CPUX86State *env = henv();
    /* 0x28: data, not present; 0x30: read-only data */
    put32(GDT_ADDR + 0x28, 0x0000ffff);
    put32(GDT_ADDR + 0x2c, 0x00cf1300);
    put32(GDT_ADDR + 0x30, 0x0000ffff);
    put32(GDT_ADDR + 0x34, 0x00cf9100);
    env->gdt.limit = 0x37;

    ck_assert_int_eq(RUN(de), EXCP00_DIVZ);
    ck_assert_uint_eq(pushed_eip(false), CODE_ADDR + 5); /* the DIV itself */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(ud), EXCP06_ILLOP);
    ck_assert_uint_eq(pushed_eip(false), CODE_ADDR + 1);
    harness_reset_cpu();
    ck_assert_int_eq(RUN(fpu), -1);           /* the x87 is there */
    harness_reset_cpu();
    env->cr[0] |= CR0_TS_MASK;
    ck_assert_int_eq(RUN(fpu), EXCP07_PREX);   /* CR0.TS: #NM */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(bp), EXCP03_INT3);
    ck_assert_uint_eq(pushed_eip(false), CODE_ADDR + 1); /* a trap: after INT3 */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(of), EXCP04_INTO);
    harness_reset_cpu();
    ck_assert_int_eq(RUN(br), EXCP05_BOUND);
    harness_reset_cpu();
    env->gdt.limit = 0x37;
    ck_assert_int_eq(RUN(gp_limit), EXCP0D_GPF);
    ck_assert_uint_eq(pushed_error(), 0x80);
    harness_reset_cpu();
    env->gdt.limit = 0x37;
    ck_assert_int_eq(RUN(np), EXCP0B_NOSEG);
    ck_assert_uint_eq(pushed_error(), 0x28);
    harness_reset_cpu();
    env->gdt.limit = 0x37;
    ck_assert_int_eq(RUN(gp_ss), EXCP0D_GPF);
    ck_assert_uint_eq(pushed_error(), 0x30);
    harness_reset_cpu();
    ck_assert_int_eq(RUN(bad_cr), EXCP06_ILLOP);
    harness_reset_cpu();
    env->gdt.limit = 0x37;
    ck_assert_int_eq(RUN(ro_seg), EXCP0D_GPF);
    ck_assert_uint_eq(pushed_error(), 0);
    harness_reset_cpu();
    ck_assert_int_eq(RUN(pg_no_pe), EXCP0D_GPF);
    harness_reset_cpu();
    ck_assert_int_eq(RUN(icebp), EXCP01_DB);
    ck_assert_uint_eq(pushed_eip(false), CODE_ADDR + 1); /* a trap */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(ds_limit), EXCP0D_GPF);           /* 16-bit limit 0xffff */

    /* #GP whose gate is not present: #NP during delivery -> #DF (error 0) */
    harness_reset_cpu();
    env->gdt.limit = 0x37;
    put32(IDT_ADDR + 13 * 8 + 4, get32(IDT_ADDR + 13 * 8 + 4) & ~0x8000u);
    ck_assert_int_eq(RUN(gp_limit), EXCP08_DBLE);
    ck_assert_uint_eq(pushed_error(), 0);
    put32(IDT_ADDR + 13 * 8 + 4, get32(IDT_ADDR + 13 * 8 + 4) | 0x8000u);
}
END_TEST

/* ---- paging ---- */
#define PD_ADDR 0x100000
#define PT_ADDR 0x101000
#define PTE_P 1
#define PTE_W 2
#define PTE_A 0x20
#define PTE_D 0x40
#define PDE_PS 0x80

static void setup_paging(bool wp)
{
    CPUX86State *env = henv();

    memset(ram + PD_ADDR, 0, 0x2000);
    put32(PD_ADDR, PT_ADDR | PTE_P | PTE_W);
    for (uint32_t i = 0; i < 1024; i++) {
        put32(PT_ADDR + i * 4, (i << 12) | PTE_P | PTE_W);
    }
    put32(PT_ADDR + 0x300 * 4, 0x300000);                  /* 0x300000: not present */
    put32(PT_ADDR + 0x301 * 4, 0x301000 | PTE_P);          /* 0x301000: read-only */
    put32(PT_ADDR + 0x302 * 4, DATA_ADDR | PTE_P | PTE_W); /* 0x302000 -> DATA_ADDR */
    put32(PD_ADDR + 2 * 4, 0x000000 | PTE_P | PTE_W | PDE_PS); /* 0x800000: 4 MiB -> 0 */
    env->cr[3] = PD_ADDR;
    env->cr[4] |= CR4_PSE_MASK;
    env->cr[0] |= CR0_PG_MASK | (wp ? CR0_WP_MASK : 0);
    tlb_flush(tcg);
}

SNIPPET(pf_read, ".code32\n mov 0x300010, %eax");
SNIPPET(pf_write_ro, ".code32\n mov 0x301000, %eax\n movl $1, 0x301004");
SNIPPET(pf_alias, ".code32\n movl $0xabcd1234, 0x302008\n mov 0x800000 + 0x20008, %ebx");
SNIPPET(pf_remap, ".code32\n mov 0x302000, %eax\n"
                  " movl $0x21003, 0x101000 + 0x302 * 4\n"  /* PTE -> 0x21000 */
                  " invlpg 0x302000\n mov 0x302000, %ebx\n"
                  " movl $0x20003, 0x101000 + 0x302 * 4\n"
                  " mov %cr3, %ecx\n mov %ecx, %cr3\n mov 0x302000, %ecx");
SNIPPET(pf_cross, ".code32\n mov $0x2fffff, %esi\n mov (%esi), %eax");

START_TEST(test_paging)
{
    harness_init();
    CPUX86State *env = henv();

    setup_paging(true);
    ck_assert_int_eq(RUN(pf_read), EXCP0E_PAGE);
    ck_assert_uint_eq(env->cr[2], 0x300010);
    ck_assert_uint_eq(pushed_error(), 0); /* not present, read, supervisor */

    harness_reset_cpu();
    setup_paging(true);
    ck_assert_int_eq(RUN(pf_write_ro), EXCP0E_PAGE);
    ck_assert_uint_eq(env->cr[2], 0x301004);
    ck_assert_uint_eq(pushed_error(), 3); /* present, write */
    ck_assert_uint_eq(get32(PT_ADDR + 0x301 * 4) & (PTE_A | PTE_D), PTE_A);

    /* CR0.WP clear: the supervisor may write read-only pages */
    harness_reset_cpu();
    setup_paging(false);
    ck_assert_int_eq(RUN(pf_write_ro), -1);
    ck_assert_uint_eq(get32(0x301004), 1);
    ck_assert_uint_eq(get32(PT_ADDR + 0x301 * 4) & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* 4 KiB alias and 4 MiB PSE alias of the same RAM; dirty bit set */
    harness_reset_cpu();
    setup_paging(true);
    ck_assert_int_eq(RUN(pf_alias), -1);
    ck_assert_uint_eq(get32(DATA_ADDR + 8), 0xabcd1234);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 0xabcd1234);
    ck_assert_uint_eq(get32(PT_ADDR + 0x302 * 4) & (PTE_A | PTE_D), PTE_A | PTE_D);
    ck_assert_uint_eq(get32(PD_ADDR + 8) & PTE_A, PTE_A);

    /* INVLPG and a CR3 write make PTE changes visible */
    harness_reset_cpu();
    setup_paging(true);
    put32(DATA_ADDR, 0x11111111);
    put32(0x21000, 0x22222222);
    ck_assert_int_eq(RUN(pf_remap), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX], 0x11111111);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 0x22222222);
    ck_assert_uint_eq((uint32_t)env->regs[R_ECX], 0x11111111);

    /* an access straddling into a non-present page faults on that page */
    harness_reset_cpu();
    setup_paging(true);
    ck_assert_int_eq(RUN(pf_cross), EXCP0E_PAGE);
    ck_assert_uint_eq(env->cr[2], 0x300000);
}
END_TEST

SNIPPET(pae_read, ".code32\n mov 0x40201000, %eax\n mov 0x40400000 + 0x20010, %ebx");

START_TEST(test_pae)
{
    harness_init();
    CPUX86State *env = henv();
    uint64_t pdpt[4] = { 0 }, *pd = (uint64_t *)(ram + 0x104000), *pt = (uint64_t *)(ram + 0x105000);

    /* PDPT at 0x103000; PDPTE[0] and [1] -> PD at 0x104000 */
    memset(ram + 0x104000, 0, 0x2000);
    pdpt[0] = 0x104000 | 1;
    pdpt[1] = 0x104000 | 1;
    memcpy(ram + 0x103000, pdpt, sizeof(pdpt));
    pd[0] = 0x000000 | 0x83; /* 0-2 MiB: 2 MiB page, identity (code, stack, stubs) */
    pd[1] = 0x105000 | 3;    /* 2-4 MiB: 4 KiB pages */
    pd[2] = 0x000000 | 0x83; /* 4-6 MiB: 2 MiB alias of 0 */
    pt[1] = DATA_ADDR | 3;   /* 0x201000 -> DATA_ADDR */
    put32(DATA_ADDR, 0x5a5a1234);
    put32(DATA_ADDR + 0x10, 0x77665544);
    env->cr[3] = 0x103000;
    env->cr[4] |= CR4_PAE_MASK;
    env->cr[0] |= CR0_PG_MASK;
    tlb_flush(tcg);
    ck_assert_int_eq(RUN(pae_read), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX], 0x5a5a1234);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 0x77665544);
}
END_TEST

/* ---- REP strings against a reference model ---- */
static void ref_rep(uint8_t *mem, int op, int size, bool df, uint32_t *esi, uint32_t *edi,
                    uint32_t *ecx, uint32_t eax)
{
    int step = df ? -size : size;
    while (*ecx) {
        if (op == 0) {
            memmove(mem + *edi, mem + *esi, size);
            *esi += step;
        } else {
            memcpy(mem + *edi, &eax, size);
        }
        *edi += step;
        (*ecx)--;
    }
}

START_TEST(test_rep_strings)
{
    static const uint32_t counts[] = { 0, 1, 2, 7, 4099 };
    static const int32_t overlaps[] = { 0x3000, 1, 2, 4, -1, -4 };
    harness_init();
    CPUX86State *env = henv();
    uint8_t *ref = g_malloc(RAM_SIZE);
    unsigned cases = 0;

    for (int op = 0; op < 2; op++) {
        for (int ot = 0; ot < 3; ot++) {
            int size = 1 << ot;
            for (int df = 0; df < 2; df++) {
                for (unsigned ci = 0; ci < 5; ci++) {
                    for (unsigned oi = 0; oi < (op == 0 ? 6u : 1u); oi++) {
                        uint32_t src = DATA_ADDR + 0x8000 + (df ? 0x4100 : 0);
                        uint32_t dst = src + overlaps[oi] * (oi ? 1 : 1);
                        uint32_t esi = src, edi = dst, ecx = counts[ci], eax = 0x89abcdef;
                        uint8_t code[4];
                        size_t n = 0;
                        for (uint32_t i = 0; i < 0x10000; i++) {
                            ram[DATA_ADDR + i] = i * 7 + (i >> 8);
                        }
                        memcpy(ref, ram, RAM_SIZE);
                        code[n++] = df ? 0xfd : 0xfc;
                        if (ot == 1) {
                            code[n++] = 0x66;
                        }
                        code[n++] = 0xf3;
                        code[n++] = (op == 0 ? 0xa4 : 0xaa) + (ot ? 1 : 0);
                        env->regs[R_ESI] = esi;
                        env->regs[R_EDI] = edi;
                        env->regs[R_ECX] = ecx;
                        env->regs[R_EAX] = eax;
                        ck_assert_int_eq(run_code(code, n), -1);
                        ref_rep(ref, op, size, df, &esi, &edi, &ecx, eax);
                        ck_assert_uint_eq((uint32_t)env->regs[R_ESI], op == 0 ? esi : src);
                        ck_assert_uint_eq((uint32_t)env->regs[R_EDI], edi);
                        ck_assert_uint_eq((uint32_t)env->regs[R_ECX], 0);
                        ck_assert_msg(memcmp(ram + DATA_ADDR, ref + DATA_ADDR, 0x10000) == 0,
                                      "rep %s size %d df %d count %u overlap %d differs",
                                      op ? "stos" : "movs", size, df, counts[ci],
                                      overlaps[oi]);
                        cases++;
                    }
                }
            }
        }
    }
    g_free(ref);
    printf("rep string cases: %u\n", cases);
}
END_TEST

SNIPPET(cmps_scas, ".code32\n cld\n"
        " mov $0x20000, %esi\n mov $0x20100, %edi\n mov $16, %ecx\n repe cmpsb\n"
        " mov %ecx, %ebx\n mov %esi, %edx\n"
        " mov $0x20100, %edi\n mov $16, %ecx\n mov $0x55, %al\n repne scasb\n"
        " mov %ecx, %ebp\n"
        " mov $0x20000, %esi\n mov $3, %ecx\n rep lodsb\n");

START_TEST(test_cmps_scas)
{
    harness_init();
    CPUX86State *env = henv();

    for (int i = 0; i < 16; i++) {
        ram[DATA_ADDR + i] = i;
        ram[DATA_ADDR + 0x100 + i] = i == 9 ? 0x55 : i;
    }
    ck_assert_int_eq(RUN(cmps_scas), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 6);          /* stopped after byte 9 */
    ck_assert_uint_eq((uint32_t)env->regs[R_EDX], DATA_ADDR + 10);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBP], 6);          /* found at 9 */
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX] & 0xff, 2);   /* last lodsb */
    ck_assert_uint_eq((uint32_t)env->regs[R_ESI], DATA_ADDR + 3);
}
END_TEST

/* A runaway "rep stosb" with ECX=0xffffffff walks into a non-present page:
 * #PF with ECX/EDI showing exactly how far it got. */
SNIPPET(runaway, ".code32\n cld\n mov $0x2ff000, %edi\n mov $0xffffffff, %ecx\n"
                 " mov $0xcc, %al\n rep stosb");

START_TEST(test_runaway_rep)
{
    harness_init();
    CPUX86State *env = henv();

    setup_paging(true);
    ck_assert_int_eq(RUN(runaway), EXCP0E_PAGE);
    ck_assert_uint_eq(env->cr[2], 0x300000);
    ck_assert_uint_eq((uint32_t)env->regs[R_EDI], 0x300000);
    ck_assert_uint_eq((uint32_t)env->regs[R_ECX], 0xffffffffu - 0x1000);
    ck_assert_uint_eq(ram[0x2fffff], 0xcc);
}
END_TEST

/* ---- self-modifying code ---- */
SNIPPET(smc, ".code32\n"
        " movb $0x42, 0x10000 + (1f - smc_start) + 1\n" /* patch the imm8 below */
        "1: mov $0x00, %al\n"
        " movl $0x90909090, 0x10000 + (2f - smc_start)\n" /* nop out the inc */
        " jmp 3f\n3:\n"
        "2: inc %ebx\n inc %ebx\n inc %ebx\n inc %ebx\n");

START_TEST(test_smc)
{
    harness_init();
    CPUX86State *env = henv();

    env->regs[R_EBX] = 0;
    ck_assert_int_eq(RUN(smc), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX] & 0xff, 0x42);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 0);
    /* again: the code is back in its original form (loader write) */
    env->regs[R_EBX] = 0;
    ck_assert_int_eq(RUN(smc), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX] & 0xff, 0x42);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX], 0);
}
END_TEST

/* ---- real mode -> protected mode ---- */
SNIPPET(rm2pm, ".code16\n"
        " cli\n xor %ax, %ax\n mov %ax, %ds\n"
        " mov $0x1234, %bx\n"
        " lgdtl %cs:0x10000 + (gdtr - rm2pm_start) - 0x10000\n"
        " mov %cr0, %eax\n or $1, %eax\n mov %eax, %cr0\n"
        " ljmpl $0x08, $0x10000 + (pm - rm2pm_start)\n"
        "gdtr: .word 0x27\n .long 0x600\n"
        ".code32\n"
        "pm: mov $0x10, %ax\n mov %ax, %ds\n mov %ax, %ss\n mov $0x90000, %esp\n"
        " mov $0xcafe, %ecx\n");

START_TEST(test_real_to_protected)
{
    harness_init();
    CPUX86State *env = henv();

    /* Power-on state, but CS:IP = 1000:0000 (linear CODE_ADDR) */
    x86_cpu_reset(&harness_cpu);
    env->segs[R_CS].selector = CODE_ADDR >> 4;
    env->segs[R_CS].base = CODE_ADDR;
    ck_assert_int_eq(RUN(rm2pm) == -1 || true, 1);
    ck_assert_uint_eq(env->segs[R_CS].selector, 0x08);
    ck_assert_uint_eq(env->segs[R_CS].base, 0);
    ck_assert(env->segs[R_CS].flags & DESC_B_MASK);
    ck_assert_uint_eq(env->segs[R_SS].selector, 0x10);
    ck_assert_uint_eq((uint32_t)env->regs[R_ECX], 0xcafe);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX] & 0xffff, 0x1234);
    ck_assert(env->cr[0] & CR0_PE_MASK);
    harness_reset_cpu();
}
END_TEST

/* ---- hardware interrupts: STI shadow, HLT wake-up ---- */
static int pending_vector = -1;
static int test_get_pic(void *opaque)
{
    int v = pending_vector;
    pending_vector = -1;
    __atomic_and_fetch(&harness_cpu.interrupt_request, ~CPU_INTERRUPT_HARD, __ATOMIC_SEQ_CST);
    return v;
}

SNIPPET(irq, ".code32\n sti\n mov $1, %eax\n hlt\n mov $2, %eax");

START_TEST(test_interrupts)
{
    harness_init();
    CPUX86State *env = henv();

    harness_cpu.get_pic_interrupt = test_get_pic;
    env->regs[R_EAX] = 0;
    /* Pending before STI: delivered only after the instruction after STI */
    pending_vector = 31;
    harness_cpu.interrupt_request |= CPU_INTERRUPT_HARD;
    ck_assert_int_eq(RUN(irq), 31);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX], 1);
    /* interrupts are checked between blocks: before or after the HLT */
    ck_assert_uint_ge(pushed_eip(false), CODE_ADDR + 1 + 5);
    ck_assert_uint_le(pushed_eip(false), CODE_ADDR + 1 + 5 + 1);

    /* Halted with IF=1: an interrupt wakes it; it returns after the HLT */
    harness_reset_cpu();
    harness_cpu.get_pic_interrupt = test_get_pic;
    put32(EXC_VECTOR, 0xffffffff);
    memcpy(ram + CODE_ADDR, irq_start, irq_end - irq_start);
    memory_notify_ram_write(ram + CODE_ADDR, irq_end - irq_start);
    env->eip = CODE_ADDR;
    ck_assert_int_eq(tcg_cpus_exec(&harness_cpu), EXCP_HLT);
    ck_assert(env->halted);
    ck_assert_int_eq(tcg_cpus_exec(&harness_cpu), EXCP_HLT); /* nothing pending: stays */
    pending_vector = 31;
    harness_cpu.interrupt_request |= CPU_INTERRUPT_HARD;
    ck_assert_int_eq(tcg_cpus_exec(&harness_cpu), EXCP_HLT);  /* handler ran, halted in stub */
    ck_assert_uint_eq(get32(EXC_VECTOR), 31);
    ck_assert_uint_eq(pushed_eip(false), CODE_ADDR + 1 + 5 + 1);
    harness_cpu.get_pic_interrupt = NULL;
}
END_TEST

/* ---- port I/O reaches the memory API ---- */
static uint8_t port_log[64];
static unsigned port_log_len;

static uint64_t test_port_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x1234 + addr;
}

static void test_port_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (port_log_len < sizeof(port_log)) {
        port_log[port_log_len++] = val;
    }
}

static const MemoryRegionOps test_port_ops = {
    .read = test_port_read,
    .write = test_port_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

SNIPPET(portio, ".code32\n mov $0x77, %al\n out %al, $0x70\n"
        " mov $0x20000, %esi\n mov $0x70, %dx\n mov $4, %ecx\n cld\n rep outsb\n"
        " in $0x71, %al\n mov %eax, %ebx\n"
        " mov $0x20100, %edi\n mov $2, %ecx\n mov $0x70, %dx\n rep insw\n");

START_TEST(test_portio)
{
    static MemoryRegion port_mr;
    static bool added;
    harness_init();
    CPUX86State *env = henv();

    if (!added) {
        memory_region_init_io(&port_mr, &test_port_ops, NULL, "test-port", 2);
        memory_region_add_subregion(get_system_io(), 0x70, &port_mr);
        added = true;
    }
    port_log_len = 0;
    memcpy(ram + DATA_ADDR, "abcd", 4);
    ck_assert_int_eq(RUN(portio), -1);
    ck_assert_uint_eq(port_log_len, 5);
    ck_assert_mem_eq(port_log, "\x77" "abcd", 5);
    ck_assert_uint_eq((uint32_t)env->regs[R_EBX] & 0xff, 0x35);
    ck_assert_uint_eq(ram[DATA_ADDR + 0x100], 0x34);
    ck_assert_uint_eq(ram[DATA_ADDR + 0x101], 0x12);
}
END_TEST

/* ---- x87/MMX/SSE gates and exceptions (SDM vol.3 2.5, table 12-1 / 13-1) ---- */
SNIPPET(fwait_only, ".code32\n fwait");
SNIPPET(sse_add, ".code32\n addps %xmm1, %xmm0");
SNIPPET(mmx_add, ".code32\n paddb %mm1, %mm0");
SNIPPET(fx_save, ".code32\n fxsave 0x20000");
SNIPPET(mf_pending, ".code32\n fninit\n movw $0x037b, 0x20000\n fldcw 0x20000\n"
                    " fldz\n fld1\n fdiv %st(1), %st\n nop\n fwait");
SNIPPET(mf_fnstsw, ".code32\n fninit\n movw $0x037b, 0x20000\n fldcw 0x20000\n"
                   " fldz\n fld1\n fdiv %st(1), %st\n fnstsw %ax\n fnclex\n fwait");
SNIPPET(xm_div, ".code32\n movl $0x1d80, 0x20000\n ldmxcsr 0x20000\n"
                " movl $0x3f800000, 0x20010\n movss 0x20010, %xmm0\n xorps %xmm1, %xmm1\n"
                " divss %xmm1, %xmm0");
SNIPPET(gp_movaps, ".code32\n movaps 0x20004, %xmm0");
SNIPPET(ok_movups, ".code32\n movl $0x11223344, 0x20004\n movups 0x20004, %xmm0\n"
                   " movd %xmm0, %eax");
SNIPPET(gp_fxsave, ".code32\n fxsave 0x20008");
SNIPPET(gp_ldmxcsr, ".code32\n movl $0x11f80, 0x20000\n ldmxcsr 0x20000");
SNIPPET(pf_movups, ".code32\n pcmpeqb %xmm0, %xmm0\n movups %xmm0, 0x2ffff8");
SNIPPET(pf_fxsave, ".code32\n fxsave 0x2fff00");

START_TEST(test_fpu_exceptions)
{
    CPUX86State *env;

    harness_init();
    env = henv();
    /* x87: #NM for EM or TS; FWAIT only for MP+TS */
    env->cr[0] |= CR0_EM_MASK;
    ck_assert_int_eq(RUN(fpu), EXCP07_PREX);
    ck_assert_int_eq(RUN(fwait_only), -1);
    harness_reset_cpu();
    env->cr[0] |= CR0_TS_MASK;
    ck_assert_int_eq(RUN(fwait_only), -1);
    env->cr[0] |= CR0_MP_MASK;
    ck_assert_int_eq(RUN(fwait_only), EXCP07_PREX);

    /* SSE: #UD without CR4.OSFXSR or with EM, #NM with TS */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(sse_add), EXCP06_ILLOP);
    env->cr[4] |= CR4_OSFXSR_MASK;
    ck_assert_int_eq(RUN(sse_add), -1);
    env->cr[0] |= CR0_EM_MASK;
    ck_assert_int_eq(RUN(sse_add), EXCP06_ILLOP);
    env->cr[0] = (env->cr[0] & ~CR0_EM_MASK) | CR0_TS_MASK;
    ck_assert_int_eq(RUN(sse_add), EXCP07_PREX);
    /* MMX: #UD with EM, #NM with TS; FXSAVE: #NM with EM */
    ck_assert_int_eq(RUN(mmx_add), EXCP07_PREX);
    env->cr[0] = (env->cr[0] & ~CR0_TS_MASK) | CR0_EM_MASK;
    ck_assert_int_eq(RUN(mmx_add), EXCP06_ILLOP);
    ck_assert_int_eq(RUN(fx_save), EXCP07_PREX);
    /* CLTS, as Linux's lazy switch does, and the same code runs */
    env->cr[0] &= ~CR0_EM_MASK;
    ck_assert_int_eq(RUN(mmx_add), -1);
    ck_assert_int_eq(RUN(fx_save), -1);

    /* #MF at the next waiting instruction (CR0.NE), EIP = that instruction */
    harness_reset_cpu();
    env->cr[0] |= CR0_NE_MASK;
    ck_assert_int_eq(RUN(mf_pending), EXCP10_COPR);
    ck_assert_uint_eq(pushed_eip(false), (uint32_t)(CODE_ADDR + (mf_pending_end - mf_pending_start) - 1));
    ck_assert_uint_eq(env->fpu.fsw & 0x80ff, 0x8084); /* B, ES, ZE */
    harness_reset_cpu();
    env->cr[0] |= CR0_NE_MASK;
    ck_assert_int_eq(RUN(mf_fnstsw), -1); /* non-waiting, then cleared */
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX] & 0x80ff, 0x8084);
    /* CR0.NE=0: FERR# is not modelled; the exception stays pending */
    harness_reset_cpu();
    ck_assert_int_eq(RUN(mf_pending), -1);

    /* unmasked SIMD exception: #XM with OSXMMEXCPT, else #UD; no result */
    harness_reset_cpu();
    env->cr[4] |= CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
    ck_assert_int_eq(RUN(xm_div), EXCP13_XM);
    ck_assert_uint_eq(env->fpu.xmm[0].l[0], 0x3f800000);
    ck_assert_uint_eq(env->fpu.mxcsr, 0x1d84);
    harness_reset_cpu();
    env->cr[4] |= CR4_OSFXSR_MASK;
    ck_assert_int_eq(RUN(xm_div), EXCP06_ILLOP);

    /* alignment and MXCSR reserved bits: #GP(0) */
    harness_reset_cpu();
    env->cr[4] |= CR4_OSFXSR_MASK;
    ck_assert_int_eq(RUN(gp_movaps), EXCP0D_GPF);
    ck_assert_uint_eq(pushed_error(), 0);
    ck_assert_int_eq(RUN(ok_movups), -1);
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX], 0x11223344);
    ck_assert_int_eq(RUN(gp_fxsave), EXCP0D_GPF);
    ck_assert_int_eq(RUN(gp_ldmxcsr), EXCP0D_GPF);
    ck_assert_uint_eq(env->fpu.mxcsr, 0x1f80);

    /* a 16-byte store (and FXSAVE) across into a non-present page faults
     * on that page and writes nothing */
    harness_reset_cpu();
    env->cr[4] |= CR4_OSFXSR_MASK;
    setup_paging(true);
    memset(ram + 0x2ff000, 0x5a, 0x1000);
    ck_assert_int_eq(RUN(pf_movups), EXCP0E_PAGE);
    ck_assert_uint_eq(env->cr[2], 0x300000);
    ck_assert_uint_eq(get32(0x2ffff8), 0x5a5a5a5a);
    ck_assert_uint_eq(get32(0x2ffffc), 0x5a5a5a5a);
    ck_assert_int_eq(RUN(pf_fxsave), EXCP0E_PAGE);
    ck_assert_uint_eq(get32(0x2fff00), 0x5a5a5a5a);
}
END_TEST

/* ---- CPUID: the qemu64 model (system/x86-cpuid.c) ---- */
SNIPPET(cpuid0, ".code32\n xor %eax, %eax\n cpuid\n mov %ebx, 0x20000\n mov %edx, 0x20004\n"
        " mov %ecx, 0x20008\n mov %eax, 0x2000c\n mov $1, %eax\n cpuid\n mov %eax, 0x20010\n"
        " mov $0x80000000, %eax\n cpuid\n mov %eax, 0x20014\n"
        " mov $0x7fffffff, %eax\n cpuid\n mov %eax, 0x20018\n");

START_TEST(test_cpuid)
{
    harness_init();
    ck_assert_int_eq(RUN(cpuid0), -1);
    ck_assert_mem_eq(ram + DATA_ADDR, "AuthenticAMD", 12);
    ck_assert_uint_eq(get32(DATA_ADDR + 0xc), 0xd);         /* highest basic leaf */
    ck_assert_uint_eq(get32(DATA_ADDR + 0x10), 0x00060fb1); /* family 15 model 107 step 1 */
    ck_assert_uint_eq(get32(DATA_ADDR + 0x14), 0x8000000a);
    ck_assert_uint_eq(get32(DATA_ADDR + 0x18), 0);          /* beyond: leaf 0DH, empty */
    /* RESET puts the signature in EDX */
    x86_cpu_reset(&harness_cpu);
    ck_assert_uint_eq((uint32_t)henv()->regs[R_EDX], 0x00060fb1);
    harness_reset_cpu();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-system");
    TCase *tc = tcase_create("system");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_exceptions);
    tcase_add_test(tc, test_paging);
    tcase_add_test(tc, test_pae);
    tcase_add_test(tc, test_rep_strings);
    tcase_add_test(tc, test_cmps_scas);
    tcase_add_test(tc, test_runaway_rep);
    tcase_add_test(tc, test_smc);
    tcase_add_test(tc, test_real_to_protected);
    tcase_add_test(tc, test_interrupts);
    tcase_add_test(tc, test_portio);
    tcase_add_test(tc, test_fpu_exceptions);
    tcase_add_test(tc, test_cpuid);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
