/*
 * IA-32e mode on the harness machine: entering long mode from protected
 * mode (and the #GP checks on the way in and out), 64-bit and
 * compatibility-mode code, 4-level paging with NX, 2 MiB and 1 GiB
 * pages, global pages across CR3 writes, canonical-address #GP/#SS,
 * SYSCALL/SYSRET, the 64-bit IDT with IST stacks, IRETQ, far transfers,
 * the 16-byte system descriptors (MSRs, SWAPGS, SYSENTER and the FS/GS
 * base instructions are in test-tcg-msr.c).
 */
#include "tcg-long.h"

/* ---- basics: 64-bit registers, immediates, RIP-relative addressing ---- */
SNIPPET(basic64, ".code64\n"
        " movabs $0x123456789abcdef0, %rax\n"
        " mov $-2, %ebx\n"                 /* zero-extends */
        " mov $0x7fffffff, %ecx\n add $1, %ecx\n movsxd %ecx, %rcx\n"
        " mov $0x89abcdef, %edx\n movslq %edx, %rdx\n"
        " lea basic64_data(%rip), %rsi\n mov (%rsi), %rdi\n"
        " mov $5, %r8d\n mov $7, %r15\n add %r15, %r8\n"
        " mov $0x80, %r9d\n mov %r9b, %r10b\n"
        " mov $0x1122334455667788, %r11\n mov %r11d, %r12d\n"
        " mov $0x4142434445464748, %r13\n mov %r13b, %sil\n"  /* SIL, not DH */
        " push %rax\n pop %r14\n"
        " call 1f\n jmp 2f\n 1: ret\n 2:\n"
        " movabs 0x10000 + (basic64_data - basic64_start), %al\n" /* moffs64 */
        " jmp 3f\n"
        "basic64_data: .quad 0xfedcba9876543210\n"
        "3: nop\n");

START_TEST(test_basic64)
{
    long_mode();
    ck_assert_int_eq(RUN(basic64), -1);
    ck_assert_uint_eq(env->regs[R_EBX], 0xfffffffe);
    ck_assert_uint_eq(env->regs[R_ECX], 0xffffffff80000000ull);
    ck_assert_uint_eq(env->regs[R_EDX], 0xffffffff89abcdefull);
    ck_assert_uint_eq(env->regs[R_EDI], 0xfedcba9876543210ull);
    ck_assert_uint_eq(env->regs[8], 12);
    ck_assert_uint_eq(env->regs[10] & 0xff, 0x80);
    ck_assert_uint_eq(env->regs[12], 0x55667788);
    ck_assert_uint_eq(env->regs[R_ESI] & 0xff, 0x48);
    ck_assert_uint_eq(env->regs[14], 0x123456789abcdef0ull);
    ck_assert_uint_eq(env->regs[R_EAX], 0x123456789abcde10ull);
    ck_assert_uint_eq(env->regs[R_ESP], STACK_TOP);
}
END_TEST


/* ---- entering and leaving IA-32e mode (SDM vol.3 9.8.5) ---- */
SNIPPET(enter_lm, ".code32\n"
        " mov %cr4, %eax\n or $0x20, %eax\n mov %eax, %cr4\n"      /* PAE */
        " mov $0x1f0000, %eax\n mov %eax, %cr3\n"
        " mov $0xc0000080, %ecx\n rdmsr\n or $0x100, %eax\n wrmsr\n" /* LME */
        " mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"  /* LMA */
        " mov $1, %ebx\n"                                            /* compatibility mode */
        " ljmp $0x28, $(0x10000 + 1f - enter_lm_start)\n"
        ".code64\n"
        "1: movabs $0x1122334455667788, %r9\n"
        /* back out: to compatibility mode, paging off, LME off */
        " pushq $0x08\n pushq $(0x10000 + 2f - enter_lm_start)\n lretq\n"
        ".code32\n"
        "2: mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, %cr0\n"
        " mov $0xc0000080, %ecx\n rdmsr\n and $~0x100, %eax\n wrmsr\n"
        " mov $2, %ebx\n");
SNIPPET(pg_without_pae, ".code32\n"
        " mov $0x1f0000, %eax\n mov %eax, %cr3\n"
        " mov $0xc0000080, %ecx\n rdmsr\n or $0x100, %eax\n wrmsr\n"
        " mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n");
SNIPPET(lme_with_pg, ".code64\n mov $0xc0000080, %ecx\n rdmsr\n and $~0x100, %eax\n wrmsr\n");
SNIPPET(pg_off_in_64, ".code64\n mov %cr0, %rax\n btr $31, %rax\n mov %rax, %cr0\n");
SNIPPET(pae_off_in_lm, ".code64\n mov %cr4, %rax\n and $~0x20, %eax\n mov %rax, %cr4\n");
SNIPPET(cr0_high, ".code64\n mov %cr0, %rax\n bts $32, %rax\n mov %rax, %cr0\n");
SNIPPET(pg_on, ".code32\n mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n");

START_TEST(test_enter_long_mode)
{
    harness_init();
    env = henv();
    harness_long_tables();
    ck_assert_int_eq(RUN(enter_lm), -1);
    ck_assert_uint_eq(env->regs[9], 0x1122334455667788ull);
    ck_assert_uint_eq(env->regs[R_EBX], 2);
    ck_assert(!(env->efer & (MSR_EFER_LMA | MSR_EFER_LME)));
    ck_assert(!(env->cr[0] & CR0_PG_MASK));
    ck_assert_uint_eq(env->segs[R_CS].selector, 0x08);

    harness_reset_cpu();
    harness_long_tables();
    ck_assert_int_eq(RUN(pg_without_pae), EXCP0D_GPF);
    ck_assert(!(env->efer & MSR_EFER_LMA));

    /* activation while CS.L is set (only reachable with a doctored CS) */
    harness_reset_cpu();
    harness_long_tables();
    env->cr[3] = PML4_ADDR;
    env->cr[4] |= CR4_PAE_MASK;
    env->efer |= MSR_EFER_LME;
    env->segs[R_CS].flags |= DESC_L_MASK;
    ck_assert_int_eq(RUN(pg_on), EXCP0D_GPF);

    long_mode();
    ck_assert_int_eq(RUN(lme_with_pg), EXCP0D_GPF);
    ck_assert_uint_eq(frame(1), CODE_ADDR + 12);    /* at the WRMSR */
    long_mode();
    ck_assert_int_eq(RUN(pg_off_in_64), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(RUN(pae_off_in_lm), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(RUN(cr0_high), EXCP0D_GPF);
    ck_assert(env->efer & MSR_EFER_LMA);
}
END_TEST

/* ---- compatibility mode: 32-bit code under a 64-bit kernel ---- */
SNIPPET(compat, ".code64\n"
        " movabs $0xaaaaaaaa00000000, %rdx\n"
        " pushq $0x08\n pushq $(0x10000 + 1f - compat_start)\n lretq\n"
        ".code32\n"
        "1: mov $0x40, %eax\n"       /* INC EAX in 32-bit code, a REX prefix in 64-bit */
        " .byte 0x40\n"
        " mov %eax, %ebx\n"
        " mov $5, %edx\n"             /* clears RDX's top half */
        " ljmp $0x28, $(0x10000 + 2f - compat_start)\n"
        ".code64\n"
        "2: mov %rdx, %rcx\n");

START_TEST(test_compat_mode)
{
    long_mode();
    ck_assert_int_eq(RUN(compat), -1);
    ck_assert_uint_eq(env->regs[R_EBX], 0x41);
    ck_assert_uint_eq(env->regs[R_ECX], 5);
}
END_TEST

/* ---- canonical addresses (SDM vol.1 3.3.7.1): #GP, #SS for the stack ---- */
SNIPPET(nc_load, ".code64\n movabs $0x0000800000000000, %rax\n mov (%rax), %rbx\n");
SNIPPET(nc_store, ".code64\n movabs $0xffff7ffffffffff8, %rax\n movq $1, (%rax)\n");
SNIPPET(nc_cross, ".code64\n movabs $0x00007ffffffffffc, %rax\n mov (%rax), %rbx\n");
SNIPPET(nc_rbp, ".code64\n movabs $0x0000900000000000, %rbp\n mov 8(%rbp), %rbx\n");
SNIPPET(nc_push, ".code64\n movabs $0x0000800000000008, %rsp\n push %rax\n");
SNIPPET(nc_jmp, ".code64\n movabs $0x0000800000000000, %rax\n jmp *%rax\n");
SNIPPET(nc_ret, ".code64\n movabs $0x0000800000000000, %rax\n push %rax\n ret\n");
SNIPPET(nc_fs, ".code64\n mov $0xc0000100, %ecx\n movabs $0x00007ffffffff000, %rax\n"
               " mov %rax, %rdx\n shr $32, %rdx\n wrmsr\n"
               " mov %fs:0x2000, %rbx\n");
SNIPPET(nc_fault_at_end, ".code64\n movabs $0x00007ffffffffff0, %rax\n mov (%rax), %rbx\n");

START_TEST(test_canonical)
{
    long_mode();
    ck_assert_int_eq(RUN(nc_load), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0);                 /* error code 0 */
    ck_assert_uint_eq(frame(1), CODE_ADDR + 10);    /* the faulting MOV */
    long_mode();
    ck_assert_int_eq(RUN(nc_store), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(RUN(nc_cross), EXCP0D_GPF);    /* last byte is past the hole */
    long_mode();
    ck_assert_int_eq(RUN(nc_rbp), EXCP0C_STACK);
    ck_assert_uint_eq(frame(0), 0);
    /* same ring, no IST: the #SS frame cannot be pushed either: #DF, then a
     * triple fault (nothing recorded) */
    long_mode();
    ck_assert_int_eq(RUN(nc_push), -1);
    ck_assert(env->halted);
    long_mode();
    set_idt64_gate(EXCP0C_STACK, STUB64_ADDR + EXCP0C_STACK * 16, 1, 0, false);
    ck_assert_int_eq(RUN(nc_push), EXCP0C_STACK);
    ck_assert_uint_eq(env->regs[R_ESP], IST1_TOP - 6 * 8);
    ck_assert_uint_eq(frame(4), 0x0000800000000008ull); /* the old RSP */
    long_mode();
    ck_assert_int_eq(RUN(nc_jmp), EXCP0D_GPF);
    ck_assert_uint_eq(frame(1), CODE_ADDR + 10);    /* the JMP, not the target */
    long_mode();
    ck_assert_int_eq(RUN(nc_ret), EXCP0D_GPF);
    ck_assert_uint_eq(frame(1), CODE_ADDR + 11);    /* the RET */
    long_mode();
    ck_assert_int_eq(RUN(nc_fs), EXCP0D_GPF);       /* FS base + offset leaves the range */
    long_mode();
    put64(0x7ff0, 0);
    ck_assert_int_eq(RUN(nc_fault_at_end), EXCP0E_PAGE); /* canonical but unmapped */
}
END_TEST

/* ---- 4-level paging: 4 KiB pages under a PD, NX, U/S, R/W, RSVD, 1 GiB ---- */
#define PT_ADDR64 0x1f3000
#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_U 4ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_NX (1ull << 63)

static void setup_pt64(void)
{
    put64(PD_ADDR64 + 8, PT_ADDR64 | 7);      /* 2-4 MiB: 4 KiB pages */
    for (uint64_t i = 0; i < 512; i++) {
        put64(PT_ADDR64 + i * 8, (0x200000 + (i << 12)) | PTE_P | PTE_W | PTE_U);
    }
    put64(PT_ADDR64 + 1 * 8, 0x201000 | PTE_P | PTE_W | PTE_U | PTE_NX);
    put64(PT_ADDR64 + 2 * 8, 0x202000 | PTE_P | PTE_W);           /* supervisor */
    put64(PT_ADDR64 + 3 * 8, 0x203000 | PTE_P | PTE_U);           /* read-only */
    put64(PT_ADDR64 + 4 * 8, 0);                                  /* not present */
    put64(PT_ADDR64 + 5 * 8, (1ull << 45) | 0x205000 | PTE_P | PTE_W); /* above MAXPHYADDR */
    put64(PT_ADDR64 + 6 * 8, DATA_ADDR | PTE_P | PTE_W | PTE_G);  /* global */
    put64(PT_ADDR64 + 7 * 8, DATA_ADDR | PTE_P | PTE_W);          /* not global */
    ram[0x201000] = 0xc3;                                         /* ret */
    memory_notify_ram_write(ram + PD_ADDR64, 0x2000);
}

SNIPPET(pf_nx, ".code64\n mov $0x201000, %eax\n call *%rax\n");
SNIPPET(pf_np_read, ".code64\n mov 0x204010, %rax\n");
SNIPPET(pf_np_write, ".code64\n movq $1, 0x204010\n");
SNIPPET(pf_ro_write, ".code64\n movq $1, 0x203010\n");
SNIPPET(pf_rsvd, ".code64\n mov 0x205000, %rax\n");
SNIPPET(pf_1g, ".code64\n mov 0x40000000 + 0x20008, %rax\n");
SNIPPET(pf_pml4_ps, ".code64\n movabs $0x8000000000, %rax\n mov (%rax), %rbx\n");
SNIPPET(nx_data_ok, ".code64\n mov 0x201000, %al\n");

START_TEST(test_paging64)
{
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(pf_nx), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 0x11);            /* present, instruction fetch */
    ck_assert_uint_eq(frame(1), 0x201000);        /* the target: the CALL completed */
    ck_assert_uint_eq(env->cr[2], 0x201000);
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(nx_data_ok), -1);        /* NX pages are readable */
    ck_assert_uint_eq(env->regs[R_EAX] & 0xff, 0xc3);
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(pf_np_read), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 0);
    ck_assert_uint_eq(env->cr[2], 0x204010);
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(pf_np_write), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 2);
    long_mode();
    setup_pt64();
    env->cr[0] |= CR0_WP_MASK;
    ck_assert_int_eq(RUN(pf_ro_write), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 3);
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(pf_rsvd), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 9);               /* present, reserved bit */
    /* NX set without EFER.NXE is a reserved bit too */
    long_mode();
    setup_pt64();
    env->efer &= ~(uint64_t)MSR_EFER_NXE;
    ck_assert_int_eq(RUN(nx_data_ok), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 9);
    /* PS in a PML4E is reserved */
    long_mode();
    put64(PML4_ADDR + 8, PDPT_ADDR | 7 | PTE_PS);
    ck_assert_int_eq(RUN(pf_pml4_ps), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 9);

    /* 1 GiB pages: reserved under qemu64 (no pdpe1gb), a mapping under max */
    put32(DATA_ADDR + 8, 0x600dcafe);
    long_mode();
    put64(PDPT_ADDR + 8, 0 | PTE_P | PTE_W | PTE_PS);
    ck_assert_int_eq(RUN(pf_1g), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 9);
    harness_cpu_model("max");
    long_mode();
    put64(PDPT_ADDR + 8, 0 | PTE_P | PTE_W | PTE_PS);
    ck_assert_int_eq(RUN(pf_1g), -1);
    ck_assert_uint_eq(env->regs[R_EAX], 0x600dcafe);
    ck_assert_uint_eq(get64(PDPT_ADDR + 8) & 0x20, 0x20); /* accessed */
    /* bits 29:13 of a 1 GiB entry are reserved */
    long_mode();
    put64(PDPT_ADDR + 8, 0x200000 | PTE_P | PTE_W | PTE_PS);
    ck_assert_int_eq(RUN(pf_1g), EXCP0E_PAGE);
    harness_cpu_model("qemu64");
}
END_TEST

/* ---- #PF error codes from ring 3, delivered on RSP0 ---- */
SNIPPET(to_user, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - to_user_start)\n iretq\n"
        "1: mov 0x202000, %rax\n");
SNIPPET(user_ro, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - user_ro_start)\n iretq\n"
        "1: movq $1, 0x203000\n");

START_TEST(test_pf_user)
{
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(to_user), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 5);               /* present, user, read */
    ck_assert_uint_eq(frame(2), SEL_UCODE64);
    ck_assert_uint_eq(frame(4), 0x60000);         /* user RSP */
    ck_assert_uint_eq(frame(5), SEL_UDATA);
    ck_assert_uint_eq(env->regs[R_ESP], RSP0_TOP - 6 * 8);
    ck_assert_uint_eq(env->segs[R_SS].selector, 0); /* null SS, RPL 0 */
    long_mode();
    setup_pt64();
    ck_assert_int_eq(RUN(user_ro), EXCP0E_PAGE);
    ck_assert_uint_eq(frame(0), 7);               /* present, write, user */
}
END_TEST

/* ---- global pages: kept by MOV CR3, dropped by INVLPG and CR4.PGE ---- */
SNIPPET(global, ".code64\n"
        " mov 0x206000, %eax\n mov 0x207000, %ebx\n"
        " movq $0x21000 | 0x103, 0x1f3000 + 6 * 8\n"  /* both now -> 0x21000 */
        " movq $0x21000 | 0x3, 0x1f3000 + 7 * 8\n"
        " mov %cr3, %rcx\n mov %rcx, %cr3\n"
        " mov 0x206000, %ecx\n mov 0x207000, %edx\n"   /* stale global, fresh other */
        " invlpg 0x206000\n mov 0x206000, %esi\n"
        " movq $0x20000 | 0x103, 0x1f3000 + 6 * 8\n"
        " mov 0x206000, %r8d\n"                         /* still 0x21000's */
        " mov %cr4, %rdi\n btr $7, %rdi\n mov %rdi, %cr4\n bts $7, %rdi\n mov %rdi, %cr4\n"
        " mov 0x206000, %edi\n");

START_TEST(test_global_pages)
{
    long_mode();
    setup_pt64();
    env->cr[4] |= CR4_PGE_MASK;
    put32(DATA_ADDR, 0xaaaa0001);
    put32(0x21000, 0xbbbb0002);
    ck_assert_int_eq(RUN(global), -1);
    ck_assert_uint_eq(env->regs[R_EAX], 0xaaaa0001);
    ck_assert_uint_eq(env->regs[R_EBX], 0xaaaa0001);
    ck_assert_uint_eq(env->regs[R_ECX], 0xaaaa0001); /* global: survived CR3 */
    ck_assert_uint_eq(env->regs[R_EDX], 0xbbbb0002); /* not global: re-walked */
    ck_assert_uint_eq(env->regs[R_ESI], 0xbbbb0002); /* INVLPG dropped it */
    ck_assert_uint_eq(env->regs[8], 0xbbbb0002);
    ck_assert_uint_eq(env->regs[R_EDI], 0xaaaa0001); /* CR4.PGE toggle flushed all */
}
END_TEST

/* ---- SYSCALL / SYSRET ---- */
extern const uint8_t sc_ret64[], sc_ret32[], sc_handler[], sc_handler32[];
SNIPPET(syscall64, ".code64\n"
        " lea sc_handler(%rip), %rax\n mov %rax, %rdx\n shr $32, %rdx\n"
        " mov $0xc0000082, %ecx\n wrmsr\n"                /* LSTAR */
        " lea sc_handler32(%rip), %rax\n mov $0xc0000083, %ecx\n wrmsr\n" /* CSTAR */
        " mov $0x700, %eax\n xor %edx, %edx\n mov $0xc0000084, %ecx\n wrmsr\n" /* FMASK */
        " test %rbp, %rbp\n jnz 3f\n"
        " lea 1f(%rip), %rcx\n mov $0x602, %r11d\n mov $0x60000, %esp\n"
        " sysretq\n"
        "1: mov %cs, %r8d\n mov %ss, %r9d\n mov $42, %eax\n syscall\n"
        ".globl sc_ret64\nsc_ret64: hlt\n"
        "3: lea 2f(%rip), %rcx\n mov $0x202, %r11d\n mov $0x60000, %esp\n"
        " sysretl\n"
        ".code32\n"
        "2: mov %cs, %ebx\n mov %ss, %esi\n syscall\n"
        ".globl sc_ret32\nsc_ret32: hlt\n"
        ".code64\n"
        ".globl sc_handler\nsc_handler: mov %rcx, %r12\n mov %r11, %r13\n"
        " pushfq\n pop %r14\n mov %cs, %r15d\n mov %ss, %r10d\n hlt\n"
        ".globl sc_handler32\nsc_handler32: mov %rcx, %r12\n mov %cs, %r15d\n hlt\n");
SNIPPET(sysret_nc, ".code64\n movabs $0x0000800000000000, %rcx\n sysretq\n");
SNIPPET(sysret_user, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - sysret_user_start)\n iretq\n"
        "1: sysretq\n");
SNIPPET(syscall_ud, ".code64\n syscall\n");

START_TEST(test_syscall)
{
    long_mode();
    env->regs[R_EBP] = 0;
    ck_assert_int_eq(RUN(syscall64), -1);
    ck_assert_uint_eq(env->regs[8], SEL_UCODE64);         /* SYSRET: STAR[63:48] + 16 */
    ck_assert_uint_eq(env->regs[9], SEL_UDATA);           /* ... + 8 */
    ck_assert_uint_eq(env->regs[12], GUEST(syscall64, sc_ret64)); /* RCX: return RIP */
    ck_assert_uint_eq(env->regs[13] & 0x702, 0x602);      /* R11: user RFLAGS */
    ck_assert_uint_eq(env->regs[14] & 0x700, 0);          /* FMASK cleared IF, DF, TF */
    ck_assert_uint_eq(env->regs[15], SEL_KCODE64);        /* STAR[47:32] */
    ck_assert_uint_eq(env->regs[10], SEL_KDATA);
    ck_assert_uint_eq(env->regs[R_ESP], 0x60000);         /* no stack switch */
    ck_assert_uint_eq(env->regs[R_EAX], 42);
    ck_assert_int_eq(tcg->cpl, 0);

    /* SYSRET to compatibility mode; SYSCALL from there goes to CSTAR */
    long_mode();
    env->regs[R_EBP] = 1;
    ck_assert_int_eq(RUN(syscall64), -1);
    ck_assert_uint_eq(env->regs[R_EBX], SEL_UCODE32);     /* STAR[63:48] */
    ck_assert_uint_eq(env->regs[R_ESI], SEL_UDATA);
    ck_assert_uint_eq(env->regs[15], SEL_KCODE64);
    ck_assert_uint_eq(env->regs[12], GUEST(syscall64, sc_ret32));

    long_mode();
    ck_assert_int_eq(RUN(sysret_nc), EXCP0D_GPF);         /* still at CPL 0 */
    ck_assert_uint_eq(frame(2), SEL_KCODE64);
    long_mode();
    ck_assert_int_eq(RUN(sysret_user), EXCP0D_GPF);
    ck_assert_uint_eq(frame(2), SEL_UCODE64);
    long_mode();
    env->efer &= ~(uint64_t)MSR_EFER_SCE;
    ck_assert_int_eq(RUN(syscall_ud), EXCP06_ILLOP);
}
END_TEST

/* ---- the 64-bit IDT: IST, RSP0, alignment, DPL, IRETQ ---- */
extern const uint8_t iret_handler[], iret_back[];
SNIPPET(idt64, ".code64\n"
        " pushq $0x43\n pushq $0x60008\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - idt64_start)\n iretq\n"
        "1: mov $7, %ebx\n int $0x22\n"          /* custom handler: IRETQ back */
        ".globl iret_back\niret_back: mov %cs, %esi\n mov %ss, %edi\n mov %rsp, %rbp\n"
        " int $0x21\n"                           /* the recording stub, IST1 */
        ".globl iret_handler\niret_handler: add $1, %ebx\n mov %rsp, %r9\n iretq\n");

START_TEST(test_idt64)
{
    long_mode();
    set_idt64_gate(0x21, STUB64_ADDR + 0x21 * 16, 1, 3, false);
    set_idt64_gate(0x22, GUEST(idt64, iret_handler), 0, 3, true);
    put64(TSS64_ADDR + 4, RSP0_TOP - 8);                 /* misaligned RSP0 */
    ck_assert_int_eq(RUN(idt64), 0x21);
    ck_assert_uint_eq(env->regs[R_EBX], 8);              /* the handler ran */
    ck_assert_uint_eq(env->regs[9], RSP0_TOP - 16 - 5 * 8); /* aligned down, 5 slots */
    ck_assert_uint_eq(env->regs[R_ESI], SEL_UCODE64);    /* IRETQ went back to ring 3 */
    ck_assert_uint_eq(env->regs[R_EDI], SEL_UDATA);
    ck_assert_uint_eq(env->regs[R_EBP], 0x60008);
    /* vector 0x21 through IST1 */
    ck_assert_uint_eq(env->regs[R_ESP], IST1_TOP - 5 * 8);
    ck_assert_uint_eq(frame(0), GUEST(idt64, iret_handler)); /* after INT 0x21 */
    ck_assert_uint_eq(frame(1), SEL_UCODE64);
    ck_assert_uint_eq(frame(2) & 0x202, 0x202);
    ck_assert_uint_eq(frame(3), 0x60008);
    ck_assert_uint_eq(frame(4), SEL_UDATA);
    ck_assert_uint_eq(env->eflags & IF_MASK, 0);         /* interrupt gate */

    /* DPL 0 gate from ring 3: #GP(vector * 8 + 2) */
    long_mode();
    set_idt64_gate(0x22, GUEST(idt64, iret_handler), 0, 0, true);
    ck_assert_int_eq(RUN(idt64), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0x22 * 8 + 2);
    /* a 32-bit-style gate type in the 64-bit IDT: #GP(vector * 8 + 2 + EXT) ... */
    long_mode();
    put32(IDT64_ADDR + 0x22 * 16 + 4, (get32(IDT64_ADDR + 0x22 * 16 + 4) & ~0x1f00u) | 0x600);
    memory_notify_ram_write(ram + IDT64_ADDR, 0x400);
    ck_assert_int_eq(RUN(idt64), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0x22 * 8 + 2);
}
END_TEST

SNIPPET(iret_same, ".code64\n"
        " mov %rsp, %rbx\n mov %ss, %eax\n"
        " pushq %rax\n pushq $0x70000\n pushfq\n pushq $0x28\n"
        " pushq $(0x10000 + 1f - iret_same_start)\n iretq\n"
        "1: mov %rsp, %rcx\n mov %rbx, %rsp\n");
SNIPPET(iret_compat, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x3b\n"
        " pushq $(0x10000 + 1f - iret_compat_start)\n iretq\n"
        ".code32\n1: mov %cs, %ebx\n int $0x21\n");
SNIPPET(iret_nc, ".code64\n"
        " pushq $0x30\n pushq $0x70000\n pushfq\n pushq $0x28\n"
        " movabs $0x0000800000000000, %rax\n pushq %rax\n iretq\n");
SNIPPET(iret_nt, ".code64\n pushfq\n orl $0x4000, (%rsp)\n popfq\n iretq\n");

START_TEST(test_iretq)
{
    /* 64-bit mode pops SS:RSP even at the same privilege */
    long_mode();
    ck_assert_int_eq(RUN(iret_same), -1);
    ck_assert_uint_eq(env->regs[R_ECX], 0x70000);
    /* to compatibility mode in ring 3; INT from there uses the 64-bit IDT */
    long_mode();
    set_idt64_gate(0x21, STUB64_ADDR + 0x21 * 16, 0, 3, false);
    ck_assert_int_eq(RUN(iret_compat), 0x21);
    ck_assert_uint_eq(env->regs[R_EBX], SEL_UCODE32);
    ck_assert_uint_eq(frame(1), SEL_UCODE32);
    ck_assert_uint_eq(env->regs[R_ESP], RSP0_TOP - 5 * 8);
    long_mode();
    ck_assert_int_eq(RUN(iret_nc), EXCP0D_GPF);         /* non-canonical RIP */
    long_mode();
    ck_assert_int_eq(RUN(iret_nt), EXCP0D_GPF);         /* no task return in IA-32e */
}
END_TEST

/* ---- far transfers between 64-bit and compatibility mode ---- */
SNIPPET(far64, ".code64\n"
        " mov %rsp, %rbp\n"
        " movl $(0x10000 + 2f - far64_start), 0x20000\n movw $0x08, 0x20004\n"
        " lcalll *0x20000\n"                /* m16:32 -> compatibility mode */
        " mov %rsp, %rdx\n"
        " movq $(0x10000 + 3f - far64_start), 0x20010\n movw $0x28, 0x20018\n"
        " rex.w lcall *0x20010\n"           /* m16:64 -> 64-bit */
        " jmp 4f\n"
        ".code32\n2: mov %cs, %ebx\n lret\n"
        ".code64\n3: mov %cs, %ecx\n mov %rsp, %rsi\n lretq\n"
        "4: nop\n");
SNIPPET(lret_outer, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x4b\n pushq $(0x10000 + 1f - lret_outer_start)\n"
        " lretq\n1: mov %cs, %ebx\n int $0x21\n");
SNIPPET(ljmp_ld, ".code64\n movl $0, 0x20000\n movw $0x60, 0x20004\n ljmpl *0x20000\n");

/* a 64-bit code segment's base is ignored; a compatibility-mode one's is not */
SNIPPET(cs_base, ".code64\n"
        " movl $(0x10000 + 1f - cs_base_start), 0x20000\n movw $0x68, 0x20004\n"
        " ljmpl *0x20000\n"
        "1: lea 0(%rip), %rbx\n"
        " movl $(2f - cs_base_start), 0x20000\n movw $0x70, 0x20004\n"
        " ljmpl *0x20000\n"
        ".code32\n2: call 3f\n3: pop %ecx\n");

START_TEST(test_far64)
{
    long_mode();
    put64(GDT_ADDR + 0x68, 0x00af9b000000ffffull | (0x5000ull << 16)); /* 64-bit, base 0x5000 */
    put64(GDT_ADDR + 0x70, 0x00cf9b000000ffffull | (0x10000ull << 16)); /* 32-bit, base 0x10000 */
    env->gdt.limit = 0x77;
    ck_assert_int_eq(RUN(cs_base), -1);
    ck_assert_uint_eq(env->regs[R_EBX], CODE_ADDR + 28 + 7);  /* RIP after the LEA: no base */
    ck_assert_uint_eq(env->segs[R_CS].selector, 0x70);
    /* EIP in the 32-bit segment counts from its base */
    ck_assert_uint_eq((uint32_t)env->regs[R_ECX], (uint32_t)(cs_base_end - cs_base_start) - 1);

    long_mode();
    ck_assert_int_eq(RUN(far64), -1);
    ck_assert_uint_eq(env->regs[R_EBX], 0x08);
    ck_assert_uint_eq(env->regs[R_EDX], env->regs[R_EBP]); /* LRET (32-bit) popped 8 bytes */
    ck_assert_uint_eq(env->regs[R_ECX], SEL_KCODE64);
    ck_assert_uint_eq(env->regs[R_ESI], env->regs[R_EBP] - 16);
    ck_assert_uint_eq(env->segs[R_CS].selector, SEL_KCODE64);
    long_mode();
    set_idt64_gate(0x21, STUB64_ADDR + 0x21 * 16, 0, 3, false);
    ck_assert_int_eq(RUN(lret_outer), 0x21);
    ck_assert_uint_eq(env->regs[R_EBX], SEL_UCODE64);
    ck_assert_uint_eq(frame(3), 0x60000);
    /* a code segment with both L and D: #GP(selector) */
    long_mode();
    put64(GDT_ADDR + 0x60, 0x00ef9b000000ffffull);
    env->gdt.limit = 0x67;
    ck_assert_int_eq(RUN(ljmp_ld), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0x60);
}
END_TEST

/* ---- LTR, LLDT with 16-byte descriptors; LGDT/SGDT 10-byte forms ---- */
SNIPPET(ltr64, ".code64\n mov $0x50, %eax\n ltr %ax\n mov $0x60, %eax\n lldt %ax\n"
        " sgdt 0x20000\n sidt 0x20010\n");
SNIPPET(lgdt_nc, ".code64\n movw $0xff, 0x20000\n movabs $0x0000800000000000, %rax\n"
        " mov %rax, 0x20002\n lgdt 0x20000\n");

START_TEST(test_system_descriptors)
{
    long_mode();
    /* LDT at 0xffff800000004000 (canonical, upper half) */
    put64(GDT_ADDR + 0x60, 0x00008200400000ffull);
    put64(GDT_ADDR + 0x68, 0xffff8000ull);
    env->gdt.limit = 0x6f;
    ck_assert_int_eq(RUN(ltr64), -1);
    ck_assert_uint_eq(env->tr.base, TSS64_ADDR);
    ck_assert_uint_eq((get64(GDT_ADDR + 0x50) >> 40) & 0xf, 0xb); /* busy */
    ck_assert_uint_eq(env->ldt.base, 0xffff800000004000ull);
    ck_assert_uint_eq(get32(DATA_ADDR) & 0xffff, env->gdt.limit);
    ck_assert_uint_eq(get64(DATA_ADDR + 2), GDT_ADDR);               /* 8-byte base */
    ck_assert_uint_eq(get64(DATA_ADDR + 0x12), IDT64_ADDR);
    /* the upper half's type field must be zero */
    long_mode();
    put64(GDT_ADDR + 0x60, 0x00008200400000ffull);
    put64(GDT_ADDR + 0x68, 0x00000100ffff8000ull);
    env->gdt.limit = 0x6f;
    ck_assert_int_eq(RUN(ltr64), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0x60);
    /* a 16-byte descriptor must fit in the GDT */
    long_mode();
    env->gdt.limit = 0x57;
    ck_assert_int_eq(RUN(ltr64), EXCP0D_GPF);
    ck_assert_uint_eq(frame(0), 0x50);
    long_mode();
    ck_assert_int_eq(RUN(lgdt_nc), EXCP0D_GPF);
}
END_TEST

/* ---- opcodes that 64-bit mode does not have: #UD ---- */
START_TEST(test_invalid64)
{
    static const uint8_t ops[][3] = {
        { 0x06 }, { 0x07 }, { 0x0e }, { 0x16 }, { 0x17 }, { 0x1e }, { 0x1f }, { 0x27 },
        { 0x2f }, { 0x37 }, { 0x3f }, { 0x60 }, { 0x61 }, { 0x62, 0x00 }, { 0x82, 0xc0, 1 },
        { 0x9a }, { 0xce }, { 0xd4, 0x0a }, { 0xd5, 0x0a }, { 0xd6 }, { 0xea },
        { 0xc4, 0x00 }, { 0xc5, 0x00 },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(ops); i++) {
        long_mode();
        ck_assert_msg(run_code(ops[i], 3) == EXCP06_ILLOP, "opcode %02x", ops[i][0]);
        ck_assert_uint_eq(frame(0), CODE_ADDR);
    }
    /* and the ones it changes: 63 is MOVSXD, 41 90 is XCHG R8D, EAX */
    static const uint8_t movsxd[] = { 0x48, 0x63, 0xc3 }, xchg[] = { 0x41, 0x90 };
    long_mode();
    env->regs[R_EBX] = 0x80000000;
    ck_assert_int_eq(run_code(movsxd, 3), -1);
    ck_assert_uint_eq(env->regs[R_EAX], 0xffffffff80000000ull);
    long_mode();
    env->regs[R_EAX] = 1;
    env->regs[8] = 2;
    ck_assert_int_eq(run_code(xchg, 2), -1);
    ck_assert_uint_eq(env->regs[R_EAX], 2);
    ck_assert_uint_eq(env->regs[8], 1);
}
END_TEST

/* ---- CMPXCHG16B, CR8, #DF ---- */
SNIPPET(cx16, ".code64\n mov $0x20000, %esi\n"
        " mov $1, %eax\n mov $2, %edx\n mov $3, %ebx\n mov $4, %ecx\n"
        " cmpxchg16b (%rsi)\n setz %r8b\n"      /* equal: stores RCX:RBX */
        " cmpxchg16b (%rsi)\n setz %r9b\n"      /* differs: loads RDX:RAX */
        " cmpxchg16b 8(%rsi)\n");               /* misaligned: #GP */
SNIPPET(cr8, ".code64\n mov $5, %eax\n mov %rax, %cr8\n mov %cr8, %rbx\n"
        " mov $16, %eax\n mov %rax, %cr8\n");
SNIPPET(df64, ".code64\n mov 0x204000, %rax\n");

START_TEST(test_misc64)
{
    long_mode();
    put64(DATA_ADDR, 1);
    put64(DATA_ADDR + 8, 2);
    ck_assert_int_eq(RUN(cx16), EXCP0D_GPF);
    ck_assert_uint_eq(env->regs[8] & 0xff, 1);
    ck_assert_uint_eq(env->regs[9] & 0xff, 0);
    ck_assert_uint_eq(get64(DATA_ADDR), 3);
    ck_assert_uint_eq(get64(DATA_ADDR + 8), 4);
    ck_assert_uint_eq(env->regs[R_EAX], 3);
    ck_assert_uint_eq(env->regs[R_EDX], 4);
    long_mode();
    ck_assert_int_eq(RUN(cr8), EXCP0D_GPF);
    ck_assert_uint_eq(env->regs[R_EBX], 5);
    ck_assert_uint_eq(env->cr8, 5);
    /* #PF whose gate is not present: #NP during delivery, then #DF (error 0) */
    long_mode();
    setup_pt64();
    put32(IDT64_ADDR + 14 * 16 + 4, get32(IDT64_ADDR + 14 * 16 + 4) & ~0x8000u);
    memory_notify_ram_write(ram + IDT64_ADDR, 0x400);
    ck_assert_int_eq(RUN(df64), EXCP08_DBLE);
    ck_assert_uint_eq(frame(0), 0);
}
END_TEST


/* Runs code placed at physical phys from linear va (mapped by the test). */
static int run_va(uint32_t phys, uint64_t va, const uint8_t *code, size_t len)
{
    memcpy(ram + phys, code, len);
    if (phys + len < RAM_SIZE) {
        ram[phys + len] = 0xf4;
    }
    memory_notify_ram_write(ram + phys, len);
    put32(EXC_VECTOR, 0xffffffff);
    env->eip = va;
    env->halted = false;
    for (int i = 0; i < 1000 && !env->halted; i++) {
        tcg_cpus_exec(&harness_cpu);
    }
    ck_assert(env->halted);
    uint32_t v = get32(EXC_VECTOR);
    return v == 0xffffffff ? -1 : (int)v;
}

/* The top 2 MiB of the lower canonical half -> physical 2 MiB. */
#define TOP_VA 0x00007ffffffff000ull
static void map_top(void)
{
    put64(PML4_ADDR + 255 * 8, 0x1f4000 | 7);
    memset(ram + 0x1f4000, 0, 0x2000);
    put64(0x1f4000 + 511 * 8, 0x1f5000 | 7);
    put64(0x1f5000 + 511 * 8, 0x200000 | 0x87);
    memory_notify_ram_write(ram + PML4_ADDR, 0x6000);
}

START_TEST(test_canonical_relative)
{
    /* jmp rel32 from the last page of the lower half into the hole */
    static const uint8_t jmp[] = { 0xe9, 0x00, 0x20, 0x00, 0x00 };
    /* cmp eax, eax; jne +0x2000 (not taken); je +0x2000 (taken: #GP) */
    static const uint8_t jcc[] = { 0x39, 0xc0, 0x0f, 0x85, 0x00, 0x20, 0x00, 0x00,
                                   0xbb, 0x01, 0x00, 0x00, 0x00,
                                   0x0f, 0x84, 0x00, 0x20, 0x00, 0x00 };
    static const uint8_t call[] = { 0xe8, 0x00, 0x20, 0x00, 0x00 };

    long_mode();
    map_top();
    ck_assert_int_eq(run_va(0x3ff000, TOP_VA, jmp, sizeof(jmp)), EXCP0D_GPF);
    ck_assert_uint_eq(frame(1), TOP_VA);
    long_mode();
    map_top();
    env->regs[R_EBX] = 0;
    ck_assert_int_eq(run_va(0x3ff000, TOP_VA, jcc, sizeof(jcc)), EXCP0D_GPF);
    ck_assert_uint_eq(env->regs[R_EBX], 1);
    ck_assert_uint_eq(frame(1), TOP_VA + 13);
    long_mode();
    map_top();
    ck_assert_int_eq(run_va(0x3ff000, TOP_VA, call, sizeof(call)), EXCP0D_GPF);
    ck_assert_uint_eq(env->regs[R_ESP], STACK_TOP - 5 * 8 - 8); /* nothing pushed */
    /* running off the end of the lower half: the fetch faults */
    static const uint8_t nops[] = { 0x90, 0x90 };
    long_mode();
    map_top();
    ck_assert_int_eq(run_va(0x3ffffe, TOP_VA + 0xffe, nops, 2), EXCP0D_GPF);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-long");
    TCase *tc = tcase_create("long");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_basic64);
    tcase_add_test(tc, test_enter_long_mode);
    tcase_add_test(tc, test_compat_mode);
    tcase_add_test(tc, test_canonical);
    tcase_add_test(tc, test_canonical_relative);
    tcase_add_test(tc, test_paging64);
    tcase_add_test(tc, test_pf_user);
    tcase_add_test(tc, test_global_pages);
    tcase_add_test(tc, test_syscall);
    tcase_add_test(tc, test_idt64);
    tcase_add_test(tc, test_iretq);
    tcase_add_test(tc, test_far64);
    tcase_add_test(tc, test_system_descriptors);
    tcase_add_test(tc, test_invalid64);
    tcase_add_test(tc, test_misc64);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
