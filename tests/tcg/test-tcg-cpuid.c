/*
 * CPUID says exactly what the interpreter does: for each flag of
 * system/x86-cpuid.c, under -cpu qemu64 and -cpu max, a probe that must
 * fault exactly when the flag is clear (an instruction's #UD, a CR4 or
 * EFER bit's #GP, an MSR's #GP), plus the leaves themselves.  Switching a
 * flag on without the behaviour behind it (or the reverse) fails here.
 */
#include <stdio.h>

#include "tcg-harness.h"

enum { P_INSN, P_CR4, P_EFER, P_MSR, P_LZCNT };

typedef struct Probe {
    const char *name;
    FeatureWord word;
    uint32_t bit;
    int kind;
    uint64_t arg;          /* CR4/EFER bit, MSR index */
    uint8_t code[6];       /* P_INSN: run in 64-bit mode, RSI -> 16 aligned bytes */
    size_t len;
} Probe;

static const Probe probes[] = {
    { "fpu", FEAT_1_EDX, CPUID_FP87, P_INSN, 0, { 0xdb, 0xe3 }, 2 },              /* fninit */
    { "mmx", FEAT_1_EDX, CPUID_MMX, P_INSN, 0, { 0x0f, 0x77 }, 2 },               /* emms */
    { "sse", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0x0f, 0x57, 0xc0 }, 3 },         /* xorps */
    { "sse2", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0x66, 0x0f, 0xef, 0xc0 }, 4 }, /* pxor */
    { "sse3", FEAT_1_ECX, CPUID_EXT_SSE3, P_INSN, 0, { 0xf2, 0x0f, 0x12, 0xc0 }, 4 },
    /* which flag each kind of SIMD form needs (SDM vol.2 "CPUID Feature Flag") */
    { "addps", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0x0f, 0x58, 0xc1 }, 3 },
    { "addss", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0xf3, 0x0f, 0x58, 0xc1 }, 4 },
    { "addsd", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0xf2, 0x0f, 0x58, 0xc1 }, 4 },
    { "addpd", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0x66, 0x0f, 0x58, 0xc1 }, 4 },
    { "movq xmm", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0xf3, 0x0f, 0x7e, 0xc1 }, 4 },
    { "cvtps2pd", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0x0f, 0x5a, 0xc1 }, 3 },
    { "cvtpi2ps", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0x0f, 0x2a, 0xc1 }, 3 },
    { "cvtsi2ss", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0xf3, 0x0f, 0x2a, 0xc0 }, 4 },
    { "pavgb mm", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0x0f, 0xe0, 0xc1 }, 3 },
    { "pshufw", FEAT_1_EDX, CPUID_SSE, P_INSN, 0, { 0x0f, 0x70, 0xc1, 0x1b }, 4 },
    { "paddq mm", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0x0f, 0xd4, 0xc1 }, 3 },
    { "movnti", FEAT_1_EDX, CPUID_SSE2, P_INSN, 0, { 0x0f, 0xc3, 0x06 }, 3 },
    { "paddb mm", FEAT_1_EDX, CPUID_MMX, P_INSN, 0, { 0x0f, 0xfc, 0xc1 }, 3 },
    { "fxsr", FEAT_1_EDX, CPUID_FXSR, P_CR4, CR4_OSFXSR_MASK },
    { "cx8", FEAT_1_EDX, CPUID_CX8, P_INSN, 0, { 0x0f, 0xc7, 0x0e }, 3 },
    { "cx16", FEAT_1_ECX, CPUID_EXT_CX16, P_INSN, 0, { 0x48, 0x0f, 0xc7, 0x0e }, 4 },
    { "cmov", FEAT_1_EDX, CPUID_CMOV, P_INSN, 0, { 0x0f, 0x44, 0xc0 }, 3 },
    { "tsc", FEAT_1_EDX, CPUID_TSC, P_INSN, 0, { 0x0f, 0x31 }, 2 },
    { "clflush", FEAT_1_EDX, CPUID_CLFLUSH, P_INSN, 0, { 0x0f, 0xae, 0x3e }, 3 },
    { "popcnt", FEAT_1_ECX, CPUID_EXT_POPCNT, P_INSN, 0, { 0xf3, 0x0f, 0xb8, 0xc0 }, 4 },
    { "rdtscp", FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP, P_INSN, 0, { 0x0f, 0x01, 0xf9 }, 3 },
    { "rdpid", FEAT_7_0_ECX, CPUID_7_0_ECX_RDPID, P_INSN, 0, { 0xf3, 0x0f, 0xc7, 0xf8 }, 4 },
    { "lahf_lm", FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM, P_INSN, 0, { 0x9f }, 1 },
    { "abm", FEAT_8000_0001_ECX, CPUID_EXT3_ABM, P_LZCNT },
    { "vme", FEAT_1_EDX, 1u << 1, P_CR4, CR4_VME_MASK },
    { "de", FEAT_1_EDX, CPUID_DE, P_CR4, CR4_DE_MASK },
    { "pse", FEAT_1_EDX, CPUID_PSE, P_CR4, CR4_PSE_MASK },
    { "mce", FEAT_1_EDX, CPUID_MCE, P_CR4, CR4_MCE_MASK },
    { "pge", FEAT_1_EDX, CPUID_PGE, P_CR4, CR4_PGE_MASK },
    { "tsc (CR4.TSD)", FEAT_1_EDX, CPUID_TSC, P_CR4, CR4_TSD_MASK },
    { "fsgsbase", FEAT_7_0_EBX, CPUID_7_0_EBX_FSGSBASE, P_CR4, CR4_FSGSBASE_MASK },
    { "pcid", FEAT_1_ECX, CPUID_EXT_PCID, P_CR4, CR4_PCIDE_MASK },
    { "xsave", FEAT_1_ECX, CPUID_EXT_XSAVE, P_CR4, CR4_OSXSAVE_MASK },
    { "smep", FEAT_7_0_EBX, CPUID_7_0_EBX_SMEP, P_CR4, CR4_SMEP_MASK },
    { "smap", FEAT_7_0_EBX, CPUID_7_0_EBX_SMAP, P_CR4, CR4_SMAP_MASK },
    { "umip", FEAT_7_0_ECX, CPUID_7_0_ECX_UMIP, P_CR4, CR4_UMIP_MASK },
    { "syscall", FEAT_8000_0001_EDX, CPUID_EXT2_SYSCALL, P_EFER, MSR_EFER_SCE },
    { "nx", FEAT_8000_0001_EDX, CPUID_EXT2_NX, P_EFER, MSR_EFER_NXE },
    { "svm", FEAT_8000_0001_ECX, CPUID_EXT3_SVM, P_EFER, 1u << 12 },
    { "sep", FEAT_1_EDX, CPUID_SEP, P_MSR, 0x174 },
    { "mtrr", FEAT_1_EDX, CPUID_MTRR, P_MSR, 0xfe },
    { "mca", FEAT_1_EDX, CPUID_MCA, P_MSR, 0x179 },
    { "pat", FEAT_1_EDX, CPUID_PAT, P_MSR, 0x277 },
    { "rdtscp (TSC_AUX)", FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP, P_MSR, 0xc0000103 },
    { "spec-ctrl", FEAT_7_0_EDX, CPUID_7_0_EDX_SPEC_CTRL, P_MSR, 0x48 },
    { "arch-capabilities", FEAT_7_0_EDX, CPUID_7_0_EDX_ARCH_CAPABILITIES, P_MSR, 0x10a },
};

/* mov %cr4, %rax; or %rdi, %rax; mov %rax, %cr4 */
static const uint8_t set_cr4[] = { 0x0f, 0x20, 0xe0, 0x48, 0x09, 0xf8, 0x0f, 0x22, 0xe0 };
/* mov $0xc0000080, %ecx; rdmsr; or %edi, %eax; wrmsr */
static const uint8_t set_efer[] = { 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x09, 0xf8,
                                    0x0f, 0x30 };
static const uint8_t rdmsr[] = { 0x0f, 0x32 };
/* lzcnt %ebx, %eax: BSR where ABM is absent */
static const uint8_t lzcnt[] = { 0xf3, 0x0f, 0xbd, 0xc3 };

static bool probe_works(const Probe *p)
{
    CPUX86State *env = henv();
    int exc;

    harness_long_mode();
    /* what SSE code needs before it can run (SDM vol.3 13.1.3) */
    if (cpu_has(tcg, FEAT_1_EDX, CPUID_FXSR)) {
        env->cr[4] |= CR4_OSFXSR_MASK | (cpu_has(tcg, FEAT_1_EDX, CPUID_SSE) ?
                                         CR4_OSXMMEXCPT_MASK : 0);
    }
    env->regs[R_ESI] = DATA_ADDR;
    switch (p->kind) {
    case P_INSN:
        exc = run_code(p->code, p->len);
        ck_assert_msg(exc == -1 || exc == EXCP06_ILLOP, "%s: exception %d", p->name, exc);
        return exc == -1;
    case P_CR4:
        env->regs[R_EDI] = p->arg;
        exc = run_code(set_cr4, sizeof(set_cr4));
        ck_assert_msg(exc == -1 || exc == EXCP0D_GPF, "%s: exception %d", p->name, exc);
        return exc == -1 && (env->cr[4] & p->arg);
    case P_EFER:
        env->efer &= ~p->arg;
        env->regs[R_EDI] = p->arg;
        exc = run_code(set_efer, sizeof(set_efer));
        return exc == -1 && (env->efer & p->arg);
    case P_MSR:
        env->regs[R_ECX] = p->arg;
        exc = run_code(rdmsr, sizeof(rdmsr));
        return exc == -1;
    default: /* P_LZCNT */
        env->regs[R_EBX] = 1;
        ck_assert_int_eq(run_code(lzcnt, sizeof(lzcnt)), -1);
        return (uint32_t)env->regs[R_EAX] == 31; /* BSR would give 0 */
    }
}

/* The models, and a model with flags added and removed by -cpu. */
static const char *const models[] = { "qemu64", "qemu32", "max",
                                      "qemu64,-cx16,+popcnt,lahf-lm=off,+rdtscp",
                                      "qemu64,-sse2,-cmov", "qemu32,-sse,-sse2,-mmx",
                                      "qemu64,-mmx" };

START_TEST(test_flags_match_behaviour)
{
    harness_init();
    for (unsigned m = 0; m < G_N_ELEMENTS(models); m++) {
        harness_cpu_spec(models[m]);
        for (unsigned i = 0; i < G_N_ELEMENTS(probes); i++) {
            const Probe *p = &probes[i];
            bool advertised = cpu_has(tcg, p->word, p->bit);
            bool works = probe_works(p);
            ck_assert_msg(advertised == works, "-cpu %s: %s is %sadvertised but %s",
                          models[m], p->name, advertised ? "" : "not ",
                          works ? "works" : "faults");
        }
        /* EFER.LME can only be set with paging off, in legacy mode */
        harness_reset_cpu();
        static const uint8_t lme[] = { 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d,
                                       0x00, 0x01, 0x00, 0x00, 0x0f, 0x30 };
        int exc = run_code(lme, sizeof(lme));
        ck_assert_int_eq(exc == -1, cpu_has(tcg, FEAT_8000_0001_EDX, CPUID_EXT2_LM));
    }
    harness_cpu_spec("qemu64");
}
END_TEST

/* The CPUID instruction reports the features the vCPU has, word by word. */
START_TEST(test_leaves_report_features)
{
    CPUX86State *env = henv();

    harness_init();
    for (unsigned m = 0; m < G_N_ELEMENTS(models); m++) {
        harness_cpu_spec(models[m]);
        for (int w = 0; w < FEATURE_WORDS; w++) {
            uint32_t leaf, sub;
            int reg;
            x86_feature_word_location(w, &leaf, &sub, &reg);
            /* mov $leaf, %eax; mov $sub, %ecx; cpuid */
            uint8_t code[] = { 0xb8, leaf, leaf >> 8, leaf >> 16, leaf >> 24,
                               0xb9, sub, 0, 0, 0, 0x0f, 0xa2 };
            static const int regs[4] = { R_EAX, R_EBX, R_ECX, R_EDX };
            ck_assert_int_eq(run_code(code, sizeof(code)), -1);
            uint32_t got = env->regs[regs[reg]];
            uint32_t want = harness_cpu.cpuid.features[w];
            if (w == FEAT_1_EDX) {
                /* EDX.APIC only with a local APIC device (the harness has none) */
                ck_assert_uint_eq(got & CPUID_APIC, 0);
                want &= ~CPUID_APIC;
            }
            if (w == FEAT_1_ECX) {
                /* so are x2APIC and the TSC-deadline timer */
                ck_assert_uint_eq(got & (CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE), 0);
                want &= ~(CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE);
            }
            if (w == FEAT_8000_0001_EDX) {
                got &= ~0x0183f3ffu; /* AMD's copies of leaf-1 flags */
                want &= ~0x0183f3ffu;
            }
            ck_assert_msg(got == want, "-cpu %s: leaf %x reg %d: %08x, features %08x",
                          models[m], leaf, reg, got, want);
        }
    }
    harness_cpu_spec("qemu64");
}
END_TEST

static void cpuid_regs(uint32_t leaf, uint32_t r[4])
{
    CPUX86State *env = henv();
    uint8_t code[] = { 0xb8, leaf, leaf >> 8, leaf >> 16, leaf >> 24, 0x31, 0xc9, 0x0f, 0xa2 };

    ck_assert_int_eq(run_code(code, sizeof(code)), -1);
    r[0] = env->regs[R_EAX];
    r[1] = env->regs[R_EBX];
    r[2] = env->regs[R_ECX];
    r[3] = env->regs[R_EDX];
}

/* -cpu MODEL,+flag,-flag,flag=on|off,vendor=: parsing and its effect. */
START_TEST(test_cpu_options)
{
    static const char *const bad[] = { "bogus", "qemu64,+nope", "qemu64,vendor=Short",
                                       "qemu64,sse2=maybe", "qemu64,-" };
    X86CPUID c;
    uint32_t r[4];
    char vendor[13] = { 0 };

    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        Error *err = NULL;
        ck_assert_msg(!x86_cpuid_parse(&c, bad[i], &err), "%s accepted", bad[i]);
        ck_assert(err);
        error_free(err);
    }
    harness_init();
    /* sse3 is not the interpreter's: dropped (with QEMU's warning) */
    harness_cpu_spec("qemu64,vendor=GenuineIntel,+sse3,-nx,x2apic=on,lahf_lm=off");
    ck_assert(!cpu_has(tcg, FEAT_1_ECX, CPUID_EXT_SSE3));
    ck_assert(cpu_has(tcg, FEAT_1_ECX, CPUID_EXT_X2APIC));
    ck_assert(!cpu_has(tcg, FEAT_8000_0001_EDX, CPUID_EXT2_NX));
    ck_assert(!cpu_has(tcg, FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM));
    ck_assert(cpu_has(tcg, FEAT_1_EDX, CPUID_SSE2));
    cpuid_regs(0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    ck_assert_str_eq(vendor, "GenuineIntel");
    /* qemu32: Intel family 6 model 6 stepping 3, leaves to 4 and 80000004H, no LM */
    harness_cpu_spec("qemu32");
    cpuid_regs(0, r);
    ck_assert_uint_eq(r[0], 4);
    cpuid_regs(1, r);
    ck_assert_uint_eq(r[0], 0x663);
    cpuid_regs(0x80000000, r);
    ck_assert_uint_eq(r[0], 0x80000004);
    ck_assert(!cpu_has(tcg, FEAT_8000_0001_EDX, CPUID_EXT2_LM));
    harness_cpu_spec("qemu64");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-cpuid");
    TCase *tc = tcase_create("cpuid");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_flags_match_behaviour);
    tcase_add_test(tc, test_leaves_report_features);
    tcase_add_test(tc, test_cpu_options);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
