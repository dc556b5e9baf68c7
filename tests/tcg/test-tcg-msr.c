/*
 * MSRs and the instructions that work through them, in IA-32e mode on the
 * harness machine: the MSR table (read back, #GP on reserved values, on
 * unknown indices and from ring 3), RDTSCP and TSC_AUX, SWAPGS with
 * FS/GS_BASE and KERNEL_GS_BASE, SYSENTER/SYSEXIT, and (-cpu max) the
 * FS/GS base instructions and RDPID.
 */
#include "tcg-long.h"

/* ---- SWAPGS, FS/GS bases ---- */
SNIPPET(swapgs, ".code64\n"
        " mov $0xc0000101, %ecx\n mov $0x1000, %eax\n xor %edx, %edx\n wrmsr\n"
        " mov $0xc0000102, %ecx\n mov $0x20000, %eax\n wrmsr\n"
        " mov %gs:8, %rbx\n"            /* 0x1008 */
        " swapgs\n mov %gs:8, %rsi\n"   /* 0x20008 */
        " mov $0xc0000101, %ecx\n rdmsr\n mov %eax, %edi\n"
        " mov $0xc0000102, %ecx\n rdmsr\n mov %eax, %ebp\n"
        " swapgs\n"
        " mov $0xc0000100, %ecx\n mov $0x20000, %eax\n wrmsr\n mov %fs:16, %r8\n");
SNIPPET(swapgs_user, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - swapgs_user_start)\n iretq\n"
        "1: swapgs\n");
SNIPPET(swapgs_compat, ".code64\n"
        " pushq $0x08\n pushq $(0x10000 + 1f - swapgs_compat_start)\n lretq\n"
        ".code32\n1: .byte 0x0f, 0x01, 0xf8\n");

START_TEST(test_swapgs)
{
    long_mode();
    put64(0x1008, 0x1111);
    put64(DATA_ADDR + 8, 0x2222);
    put64(DATA_ADDR + 16, 0x3333);
    ck_assert_int_eq(RUN(swapgs), -1);
    ck_assert_uint_eq(env->regs[R_EBX], 0x1111);
    ck_assert_uint_eq(env->regs[R_ESI], 0x2222);
    ck_assert_uint_eq(env->regs[R_EDI], 0x20000);  /* GS_BASE after the swap */
    ck_assert_uint_eq(env->regs[R_EBP], 0x1000);   /* KERNEL_GS_BASE */
    ck_assert_uint_eq(env->segs[R_GS].base, 0x1000);
    ck_assert_uint_eq(env->regs[8], 0x3333);
    long_mode();
    ck_assert_int_eq(RUN(swapgs_user), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(RUN(swapgs_compat), EXCP06_ILLOP);
}
END_TEST

/* ---- MSRs: read back, #GP on reserved values, unknown MSRs, ring 3 ---- */
SNIPPET(rdmsr1, ".code64\n rdmsr\n");
SNIPPET(wrmsr1, ".code64\n wrmsr\n");

static int msr_read(uint32_t idx, uint64_t *v)
{
    env->regs[R_ECX] = idx;
    int exc = RUN(rdmsr1);
    *v = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);
    return exc;
}

static int msr_write(uint32_t idx, uint64_t v)
{
    env->regs[R_ECX] = idx;
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
    return RUN(wrmsr1);
}

START_TEST(test_msrs)
{
    static const struct { uint32_t idx; uint64_t v; } roundtrip[] = {
        { 0xc0000081, 0x0023001000000000ull },  /* STAR */
        { 0xc0000082, 0xffffffff81000000ull },  /* LSTAR */
        { 0xc0000083, 0xffffffff81000100ull },  /* CSTAR */
        { 0xc0000084, 0x47700 },                /* FMASK */
        { 0xc0000100, 0x00007fffdeadb000ull },  /* FS_BASE */
        { 0xc0000101, 0xffff888012340000ull },  /* GS_BASE */
        { 0xc0000102, 0xffff888056780000ull },  /* KERNEL_GS_BASE */
        { 0x174, 0x10 }, { 0x175, 0xffff800000001000ull }, { 0x176, 0xffffffff81001000ull },
        { 0x277, 0x0007010600070106ull },       /* PAT */
        { 0x2ff, 0xc06 },                       /* MTRRdefType: E, FE, WB */
        { 0x200, 0x80000006 }, { 0x201, 0xff80000800ull }, /* PHYSBASE0/MASK0 */
        { 0x20f, 0x800 },
        { 0x250, 0x0606060606060606ull }, { 0x259, 0x0101010101010101ull },
        { 0x26f, 0x0505050505050505ull },
        { 0x1a0, 0x1 },                         /* MISC_ENABLE */
        { 0x17a, 0 },                           /* MCG_STATUS */
        { 0x1b, 0xfee00900 },                   /* APIC_BASE */
    };
    static const struct { uint32_t idx; uint64_t v; } bad[] = {
        { 0xc0000082, 0x0000800000000000ull },  /* non-canonical */
        { 0xc0000100, 0xffff000000000000ull },
        { 0xc0000084, 1ull << 32 },             /* FMASK high half is reserved */
        { 0x277, 0x0000000000000002ull },       /* PAT type 2 is reserved */
        { 0x2ff, 0x1006 },                      /* reserved bit 12 */
        { 0x2ff, 0x2 },                         /* reserved memory type */
        { 0x200, 0x7 },                         /* type 7 is not an MTRR type */
        { 0x201, 1ull << 45 },                  /* above MAXPHYADDR */
        { 0x250, 0x0303030303030303ull },
        { 0xfe, 0 },                            /* MTRRcap is read-only */
        { 0x179, 0 },                           /* so is MCG_CAP */
        { 0x17a, 8 },
        { 0x1b, 0xfee00400 },                   /* x2APIC enable: not offered */
        { 0xc0000080, 1ull << 14 },             /* EFER.FFXSR: not offered */
        { 0x12345, 0 }, { 0x48, 0 }, { 0x10a, 0 }, /* unknown; SPEC_CTRL, ARCH_CAP absent */
    };
    uint64_t v;

    for (unsigned i = 0; i < G_N_ELEMENTS(roundtrip); i++) {
        long_mode();
        ck_assert_msg(msr_write(roundtrip[i].idx, roundtrip[i].v) == -1, "wrmsr %x",
                      roundtrip[i].idx);
        ck_assert_int_eq(msr_read(roundtrip[i].idx, &v), -1);
        ck_assert_msg(v == roundtrip[i].v, "msr %x: %" PRIx64, roundtrip[i].idx, v);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        long_mode();
        ck_assert_msg(msr_write(bad[i].idx, bad[i].v) == EXCP0D_GPF, "wrmsr %x %" PRIx64,
                      bad[i].idx, bad[i].v);
    }
    long_mode();
    ck_assert_int_eq(msr_read(0xfe, &v), -1);
    ck_assert_uint_eq(v, 0x508);                  /* 8 variable, fixed, WC */
    long_mode();
    ck_assert_int_eq(msr_read(0x179, &v), -1);
    ck_assert_uint_eq(v, 0);                      /* no banks */
    long_mode();
    ck_assert_int_eq(msr_read(0x1a0, &v), -1);
    ck_assert_uint_eq(v, 0x1801);
    long_mode();
    ck_assert_int_eq(msr_read(0xc0000080, &v), -1);
    ck_assert_uint_eq(v, MSR_EFER_SCE | MSR_EFER_LME | MSR_EFER_LMA | MSR_EFER_NXE);
    long_mode();
    ck_assert_int_eq(msr_read(0x12345, &v), EXCP0D_GPF);
    /* TSC: written value comes back advanced by a little */
    long_mode();
    ck_assert_int_eq(msr_write(0x10, 1000000000000ull), -1);
    ck_assert_int_eq(msr_read(0x10, &v), -1);
    ck_assert(v >= 1000000000000ull && v < 1000000000000ull + 10000000000ull);
}
END_TEST

SNIPPET(rdtscp, ".code64\n mov $0xc0000103, %ecx\n mov $77, %eax\n xor %edx, %edx\n wrmsr\n"
        " rdtscp\n");
SNIPPET(rdtscp_only, ".code64\n rdtscp\n");
SNIPPET(msr_user, ".code64\n"
        " pushq $0x43\n pushq $0x60000\n pushq $0x202\n pushq $0x4b\n"
        " pushq $(0x10000 + 1f - msr_user_start)\n iretq\n"
        "1: mov $0xc0000080, %ecx\n rdmsr\n");

START_TEST(test_rdtscp_msr_user)
{
    uint64_t v;

    /* qemu64 has no RDTSCP, so no TSC_AUX either */
    long_mode();
    ck_assert_int_eq(RUN(rdtscp), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(RUN(rdtscp_only), EXCP06_ILLOP);
    long_mode();
    ck_assert_int_eq(msr_read(0xc0000103, &v), EXCP0D_GPF);
    harness_cpu_model("max");
    long_mode();
    ck_assert_int_eq(RUN(rdtscp), -1);
    ck_assert_uint_eq(env->regs[R_ECX], 77);
    long_mode();
    ck_assert_int_eq(msr_write(0xc0000103, 1ull << 32), EXCP0D_GPF);
    long_mode();
    ck_assert_int_eq(msr_write(0xc0000103, 0x12345678), -1);
    ck_assert_int_eq(msr_read(0xc0000103, &v), -1);
    ck_assert_uint_eq(v, 0x12345678);
    harness_cpu_model("qemu64");
    long_mode();
    ck_assert_int_eq(RUN(msr_user), EXCP0D_GPF);
}
END_TEST

/* ---- RDFSBASE/WRFSBASE/RDGSBASE/WRGSBASE and RDPID (-cpu max) ---- */
SNIPPET(fsgsbase, ".code64\n"
        " mov $0x20000, %eax\n wrfsbase %rax\n mov %fs:8, %rbx\n rdfsbase %rcx\n"
        " movabs $0xffff800012345678, %rdx\n wrgsbase %rdx\n rdgsbase %esi\n"
        " mov $0xc0000103, %ecx\n mov $99, %eax\n xor %edx, %edx\n wrmsr\n rdpid %rdi\n"
        " movabs $0x0000800000000000, %rax\n wrfsbase %rax\n");

START_TEST(test_fsgsbase)
{
    harness_cpu_model("max");
    long_mode();
    put64(DATA_ADDR + 8, 0x8888);
    ck_assert_int_eq(RUN(fsgsbase), EXCP06_ILLOP);  /* CR4.FSGSBASE clear */
    long_mode();
    env->cr[4] |= CR4_FSGSBASE_MASK;
    ck_assert_int_eq(RUN(fsgsbase), EXCP0D_GPF);    /* the non-canonical base at the end */
    ck_assert_uint_eq(env->regs[R_EBX], 0x8888);
    ck_assert_uint_eq(env->segs[R_FS].base, DATA_ADDR);
    ck_assert_uint_eq(env->segs[R_GS].base, 0xffff800012345678ull);
    ck_assert_uint_eq(env->regs[R_ESI], 0x12345678);  /* 32-bit form, zero-extended */
    ck_assert_uint_eq(env->regs[R_EDI], 99);
    harness_cpu_model("qemu64");
    long_mode();
    env->cr[4] |= CR4_FSGSBASE_MASK;                  /* (not a qemu64 bit: as if forced) */
    ck_assert_int_eq(RUN(fsgsbase), EXCP06_ILLOP);
}
END_TEST

/* ---- SYSENTER/SYSEXIT in IA-32e mode ---- */
extern const uint8_t se_entry[];
SNIPPET(sysenter64, ".code64\n"
        " mov $0x174, %ecx\n mov $0x28, %eax\n xor %edx, %edx\n wrmsr\n"
        " mov $0x175, %ecx\n mov $0x78000, %eax\n wrmsr\n"
        " mov $0x176, %ecx\n lea se_entry(%rip), %rax\n wrmsr\n"
        " lea 1f(%rip), %rdx\n mov $0x60000, %ecx\n rex.w sysexit\n"
        "1: mov %cs, %ebx\n mov %ss, %esi\n mov %rsp, %rdi\n sysenter\n"
        ".globl se_entry\nse_entry: mov %cs, %r8d\n mov %ss, %r9d\n mov %rsp, %r10\n"
        " pushfq\n pop %r11\n");

START_TEST(test_sysenter64)
{
    long_mode();
    env->eflags |= IF_MASK;
    ck_assert_int_eq(RUN(sysenter64), -1);
    ck_assert_uint_eq(env->regs[R_EBX], SEL_UCODE64);   /* SYSENTER_CS + 32, RPL 3 */
    ck_assert_uint_eq(env->regs[R_ESI], 0x53);          /* SYSENTER_CS + 40 */
    ck_assert_uint_eq(env->regs[R_EDI], 0x60000);
    ck_assert_uint_eq(env->regs[8], SEL_KCODE64);
    ck_assert_uint_eq(env->regs[9], SEL_KDATA);
    ck_assert_uint_eq(env->regs[10], 0x78000);
    ck_assert_uint_eq(env->regs[11] & IF_MASK, 0);
    ck_assert(env->segs[R_CS].flags & DESC_L_MASK);     /* 64-bit, from SYSENTER in LMA */
}
END_TEST


int main(void)
{
    Suite *s = suite_create("tcg-msr");
    TCase *tc = tcase_create("msr");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_swapgs);
    tcase_add_test(tc, test_msrs);
    tcase_add_test(tc, test_rdtscp_msr_user);
    tcase_add_test(tc, test_sysenter64);
    tcase_add_test(tc, test_fsgsbase);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
