/*
 * CPU models and CPUID (SDM vol.2 "CPUID", APM vol.3 appendix E).
 *
 * x86_features is the one table of CPUID flags duet knows: each line says
 * where the flag lives and whether the interpreter (-accel tcg)
 * implements it.  Turning a feature on for the interpreter is setting its
 * tcg column once the instructions and state behind it exist; KVM decides
 * for itself (KVM_GET_SUPPORTED_CPUID).  A vCPU advertises its model's
 * flags that its accelerator implements, nothing more.
 *
 * qemu64 follows QEMU's model of that name as QEMU 7.2 shows it to a
 * guest under TCG: AuthenticAMD, family 15 model 107 stepping 1, leaves up
 * to 0DH and 8000000AH, the same cache and address-size leaves.  qemu32
 * is QEMU's 32-bit one: GenuineIntel, family 6 model 6 stepping 3, leaves
 * up to 4 and 80000004H, Pentium Pro flags and SSE/SSE2 (and SSE3, which
 * the interpreter lacks), no long mode.
 */
#include <string.h>

#include <glib.h>

#include "exec/cpuid.h"

typedef struct X86Feature {
    FeatureWord word;
    uint8_t bit;
    const char *name;
    bool tcg;           /* the interpreter implements it */
} X86Feature;

static const X86Feature x86_features[] = {
    { FEAT_1_EDX, 0, "fpu", true },      /* x87: accel/tcg/ops-x87.c */
    { FEAT_1_EDX, 1, "vme", false },
    { FEAT_1_EDX, 2, "de", true },       /* CR4.DE: DR4/DR5 raise #UD */
    { FEAT_1_EDX, 3, "pse", true },
    { FEAT_1_EDX, 4, "tsc", true },
    { FEAT_1_EDX, 5, "msr", true },
    { FEAT_1_EDX, 6, "pae", true },
    { FEAT_1_EDX, 7, "mce", true },      /* CR4.MCE; no machine check is ever raised */
    { FEAT_1_EDX, 8, "cx8", true },
    { FEAT_1_EDX, 9, "apic", true },     /* hw/intc/apic.c; cleared without one */
    { FEAT_1_EDX, 11, "sep", true },
    { FEAT_1_EDX, 12, "mtrr", true },
    { FEAT_1_EDX, 13, "pge", true },
    { FEAT_1_EDX, 14, "mca", true },
    { FEAT_1_EDX, 15, "cmov", true },
    { FEAT_1_EDX, 16, "pat", true },
    { FEAT_1_EDX, 17, "pse36", true },
    { FEAT_1_EDX, 19, "clflush", true },
    { FEAT_1_EDX, 23, "mmx", true },     /* accel/tcg/ops-simd.c, ops-sse.c */
    { FEAT_1_EDX, 24, "fxsr", true },
    { FEAT_1_EDX, 25, "sse", true },
    { FEAT_1_EDX, 26, "sse2", true },
    { FEAT_1_ECX, 0, "sse3", false },
    { FEAT_1_ECX, 13, "cx16", true },
    { FEAT_1_ECX, 17, "pcid", false },
    { FEAT_1_ECX, 21, "x2apic", true },  /* hw/intc/apic.c: MSRs 800H-8FFH */
    { FEAT_1_ECX, 23, "popcnt", true },
    { FEAT_1_ECX, 24, "tsc-deadline", true }, /* IA32_TSC_DEADLINE, hw/intc/apic.c */
    { FEAT_1_ECX, 26, "xsave", false },
    { FEAT_1_ECX, 31, "hypervisor", true },
    { FEAT_7_0_EBX, 0, "fsgsbase", true },
    { FEAT_7_0_EBX, 7, "smep", false },
    { FEAT_7_0_EBX, 20, "smap", false },
    { FEAT_7_0_ECX, 2, "umip", false },
    { FEAT_7_0_ECX, 22, "rdpid", true },
    { FEAT_7_0_EDX, 26, "spec-ctrl", false },
    { FEAT_7_0_EDX, 29, "arch-capabilities", false },
    { FEAT_8000_0001_EDX, 11, "syscall", true },
    { FEAT_8000_0001_EDX, 20, "nx", true },
    { FEAT_8000_0001_EDX, 26, "pdpe1gb", true },
    { FEAT_8000_0001_EDX, 27, "rdtscp", true },
    { FEAT_8000_0001_EDX, 29, "lm", true },
    { FEAT_8000_0001_ECX, 0, "lahf_lm", true },
    { FEAT_8000_0001_ECX, 2, "svm", false },
    { FEAT_8000_0001_ECX, 5, "abm", true },
};

#define F(w, b) [w] = (b)
static const X86CPUModel x86_models[] = {
    {
        .name = "qemu64",
        .desc = "QEMU's default 64-bit model (AMD family 15)",
        .vendor = "AuthenticAMD",
        .family = 15, .model = 107, .stepping = 1,
        .level = 0xd, .xlevel = 0x8000000a,
        .features = {
            F(FEAT_1_EDX, CPUID_FP87 | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR |
                          CPUID_PAE | CPUID_MCE | CPUID_CX8 | CPUID_APIC | CPUID_SEP |
                          CPUID_MTRR | CPUID_PGE | CPUID_MCA | CPUID_CMOV | CPUID_PAT |
                          CPUID_PSE36 | CPUID_CLFLUSH | CPUID_MMX | CPUID_FXSR |
                          CPUID_SSE | CPUID_SSE2),
            F(FEAT_1_ECX, CPUID_EXT_SSE3 | CPUID_EXT_CX16 | CPUID_EXT_HYPERVISOR),
            F(FEAT_8000_0001_EDX, CPUID_EXT2_LM | CPUID_EXT2_SYSCALL | CPUID_EXT2_NX),
            F(FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM | CPUID_EXT3_SVM),
        },
        .model_id = "QEMU Virtual CPU version 2.5+",
        .cache_l1 = { 0x01ff01ff, 0x01ff01ff, 0x40020140, 0x40020140 },
        .cache_l2 = { 0, 0x42004200, 0x02008140, 0x00808140 },
        .phys_bits = 40, .virt_bits = 48,
    },
    {
        .name = "qemu32",
        .desc = "QEMU's 32-bit model (Intel family 6)",
        .vendor = "GenuineIntel",
        .family = 6, .model = 6, .stepping = 3,
        .level = 4, .xlevel = 0x80000004,
        .features = {
            F(FEAT_1_EDX, CPUID_FP87 | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR |
                          CPUID_PAE | CPUID_MCE | CPUID_CX8 | CPUID_APIC | CPUID_SEP |
                          CPUID_PGE | CPUID_CMOV | CPUID_PAT | CPUID_MMX | CPUID_FXSR |
                          CPUID_SSE | CPUID_SSE2),
            F(FEAT_1_ECX, CPUID_EXT_SSE3),
        },
        .model_id = "QEMU Virtual CPU version 2.5+",
        .phys_bits = 36, .virt_bits = 32,
    },
    {
        .name = "max",
        .desc = "every feature the accelerator provides (KVM: the host's CPU)",
        .vendor = "AuthenticAMD",
        .family = 15, .model = 107, .stepping = 1,
        .level = 0xd, .xlevel = 0x8000000a,
        .model_id = "duet max CPU",
        .cache_l1 = { 0x01ff01ff, 0x01ff01ff, 0x40020140, 0x40020140 },
        .cache_l2 = { 0, 0x42004200, 0x02008140, 0x00808140 },
        .phys_bits = 40, .virt_bits = 48,
        .max = true,
    },
    {
        .name = "host",
        .desc = "KVM only: every feature KVM_GET_SUPPORTED_CPUID offers (as max under KVM)",
        .vendor = "AuthenticAMD",
        .family = 15, .model = 107, .stepping = 1,
        .level = 0xd, .xlevel = 0x8000000a,
        .model_id = "duet host CPU",
        .phys_bits = 40, .virt_bits = 48,
        .max = true,
        .kvm_only = true,
    },
};
#undef F

const X86CPUModel *x86_cpu_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof(x86_models) / sizeof(x86_models[0]); i++) {
        if (!strcmp(x86_models[i].name, name)) {
            return &x86_models[i];
        }
    }
    return NULL;
}

const X86CPUModel *x86_cpu_model_default(void)
{
    return &x86_models[0];
}

void x86_cpu_models_print(FILE *f)
{
    uint32_t tcg[FEATURE_WORDS];

    x86_cpuid_tcg_supported(tcg);
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < sizeof(x86_models) / sizeof(x86_models[0]); i++) {
        const X86CPUModel *m = &x86_models[i];
        fprintf(f, "  %-10s %s\n", m->name, m->desc);
        if (m->max) {
            continue;
        }
        fprintf(f, "             flags:");
        for (size_t j = 0; j < sizeof(x86_features) / sizeof(x86_features[0]); j++) {
            const X86Feature *x = &x86_features[j];
            if (m->features[x->word] & (1u << x->bit)) {
                fprintf(f, " %s", x->name);
            }
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\nRecognized CPUID flags (* = implemented by -accel tcg):\n ");
    for (size_t j = 0; j < sizeof(x86_features) / sizeof(x86_features[0]); j++) {
        const X86Feature *x = &x86_features[j];
        fprintf(f, " %s%s", x->name, (tcg[x->word] & (1u << x->bit)) ? "*" : "");
    }
    fprintf(f, "\n");
}

void x86_cpuid_tcg_supported(uint32_t out[FEATURE_WORDS])
{
    memset(out, 0, FEATURE_WORDS * sizeof(out[0]));
    for (size_t j = 0; j < sizeof(x86_features) / sizeof(x86_features[0]); j++) {
        if (x86_features[j].tcg) {
            out[x86_features[j].word] |= 1u << x86_features[j].bit;
        }
    }
}

/* "x2apic", "lahf_lm" = "lahf-lm" (QEMU accepts both spellings). */
static const X86Feature *x86_feature_find(const char *name)
{
    for (size_t j = 0; j < G_N_ELEMENTS(x86_features); j++) {
        const char *a = x86_features[j].name, *b = name;
        while (*a && (*a == *b || ((*a == '_' || *a == '-') && (*b == '_' || *b == '-')))) {
            a++;
            b++;
        }
        if (!*a && !*b) {
            return &x86_features[j];
        }
    }
    return NULL;
}

static bool x86_cpuid_parse_bool(const char *v, bool *on)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *on = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *on = false;
    } else {
        return false;
    }
    return true;
}

bool x86_cpuid_parse(X86CPUID *c, const char *spec, Error **errp)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

    memset(c, 0, sizeof(*c));
    c->model = x86_cpu_model_find(parts[0]);
    if (!c->model) {
        error_setg(errp, "unknown CPU model '%s' (try -cpu help)", parts[0]);
        return false;
    }
    for (int i = 1; parts[i]; i++) {
        const char *p = parts[i], *eq = strchr(p, '=');
        g_autofree char *name = NULL;
        const X86Feature *x;
        bool on;

        if (eq && !strncmp(p, "vendor=", 7)) {
            if (strlen(eq + 1) != 12) {
                error_setg(errp, "vendor=%s: the vendor string is 12 characters", eq + 1);
                return false;
            }
            memcpy(c->vendor, eq + 1, 13);
            continue;
        }
        if (p[0] == '+' || p[0] == '-') {
            on = p[0] == '+';
            name = g_strdup(p + 1);
        } else if (eq) {
            name = g_strndup(p, eq - p);
            if (!x86_cpuid_parse_bool(eq + 1, &on)) {
                error_setg(errp, "%s: '%s' is not on or off", name, eq + 1);
                return false;
            }
        } else {
            name = g_strdup(p);
            on = true; /* "flag" alone is "flag=on", as in QEMU */
        }
        x = x86_feature_find(name);
        if (!x) {
            error_setg(errp, "CPU feature '%s' not found (-cpu help lists them)", name);
            return false;
        }
        if (on) {
            c->plus[x->word] |= 1u << x->bit;
            c->minus[x->word] &= ~(1u << x->bit);
        } else {
            c->minus[x->word] |= 1u << x->bit;
            c->plus[x->word] &= ~(1u << x->bit);
        }
    }
    return true;
}

const char *x86_cpuid_vendor(const X86CPUID *c)
{
    return c->vendor[0] ? c->vendor : c->model->vendor;
}

void x86_cpuid_realize(X86CPUID *c, const X86CPUModel *m, const uint32_t supported[FEATURE_WORDS],
                       const char *who)
{
    if (!m) {
        m = x86_cpu_model_default();
    }
    c->model = m;
    for (int w = 0; w < FEATURE_WORDS; w++) {
        uint32_t want = ((m->max ? ~0u : m->features[w]) | c->plus[w]) & ~c->minus[w];
        uint32_t missing = c->plus[w] & ~supported[w];

        c->features[w] = want & supported[w];
        for (size_t j = 0; missing && j < G_N_ELEMENTS(x86_features); j++) {
            const X86Feature *x = &x86_features[j];
            uint32_t leaf, sub;
            int reg;

            if (x->word == (FeatureWord)w && (missing & (1u << x->bit))) {
                x86_feature_word_location(w, &leaf, &sub, &reg);
                warn_report("%s doesn't support requested feature: CPUID.%02XH:%s.%s [bit %d]",
                            who, leaf, (const char *[]){ "EAX", "EBX", "ECX", "EDX" }[reg],
                            x->name, x->bit);
            }
        }
        c->plus[w] &= ~missing; /* warned once */
    }
    c->phys_bits = m->phys_bits;
}

uint32_t x86_cpuid_signature(const X86CPUModel *m)
{
    /* SDM vol.2 figure 3-6: family above 15 and model above 15 spill over */
    uint32_t fam = m->family, mod = m->model;
    uint32_t ext_fam = fam > 15 ? fam - 15 : 0, base_fam = fam > 15 ? 15 : fam;

    return ((uint32_t)ext_fam << 20) | ((mod >> 4) << 16) | (base_fam << 8) |
           ((mod & 15) << 4) | (m->stepping & 15);
}

void x86_feature_word_location(FeatureWord w, uint32_t *leaf, uint32_t *sub, int *reg)
{
    static const struct { uint32_t leaf; uint8_t sub, reg; } loc[FEATURE_WORDS] = {
        [FEAT_1_EDX] = { 1, 0, 3 }, [FEAT_1_ECX] = { 1, 0, 2 },
        [FEAT_7_0_EBX] = { 7, 0, 1 }, [FEAT_7_0_ECX] = { 7, 0, 2 },
        [FEAT_7_0_EDX] = { 7, 0, 3 },
        [FEAT_8000_0001_EDX] = { 0x80000001, 0, 3 }, [FEAT_8000_0001_ECX] = { 0x80000001, 0, 2 },
    };
    *leaf = loc[w].leaf;
    *sub = loc[w].sub;
    *reg = loc[w].reg;
}

static void put_string(uint32_t *out, const char *s, size_t len)
{
    char buf[48] = { 0 };
    size_t n = strlen(s);

    memcpy(buf, s, n < sizeof(buf) ? n : sizeof(buf));
    memcpy(out, buf, len);
}

/* The leaf-1 EDX flags that AMD repeats in 80000001H:EDX (APM vol.3 E.4.2). */
#define AMD_EDX_ALIASES 0x0183f3ffu

void x86_cpuid_query(const X86CPUID *c, uint32_t apic_id, uint32_t leaf, uint32_t sub,
                     uint32_t r[4])
{
    const X86CPUModel *m = c->model;
    const uint32_t *f = c->features;
    uint32_t v[3];
    /* logical processors in the package (-smp cores * threads) */
    uint32_t threads = c->nr_threads ? c->nr_threads : 1;
    uint32_t per_pkg = (c->nr_cores ? c->nr_cores : 1) * threads;

    r[0] = r[1] = r[2] = r[3] = 0;
    /* Beyond the highest leaf of its range: the highest basic leaf (as the
     * SDM documents for Intel CPUs, and QEMU does for every model). */
    if (leaf >= 0x80000000u ? leaf > m->xlevel : leaf > m->level && leaf < 0x40000000u) {
        leaf = m->level;
    } else if (leaf >= 0x40000000u && leaf < 0x80000000u) {
        return; /* no hypervisor leaves */
    }
    switch (leaf) {
    case 0:
    case 0x80000000:
        put_string(v, x86_cpuid_vendor(c), 12);
        r[0] = leaf ? m->xlevel : m->level;
        r[1] = v[0];
        r[3] = v[1];
        r[2] = v[2];
        break;
    case 1:
        r[0] = x86_cpuid_signature(m);
        r[1] = (apic_id << 24) | ((f[FEAT_1_EDX] & CPUID_CLFLUSH) ? 8u << 8 : 0);
        r[2] = f[FEAT_1_ECX];
        r[3] = f[FEAT_1_EDX];
        if (per_pkg > 1) { /* EBX[23:16] is valid with HTT (SDM vol.2 CPUID, table 3-8) */
            r[1] |= MIN(per_pkg, 255u) << 16;
            r[3] |= CPUID_HTT;
        }
        break;
    case 5:
        r[2] = 3; /* MONITOR/MWAIT extensions, as qemu64 reports (no MONITOR flag) */
        break;
    case 7:
        if (sub == 0) {
            r[1] = f[FEAT_7_0_EBX];
            r[2] = f[FEAT_7_0_ECX];
            r[3] = f[FEAT_7_0_EDX];
        }
        break;
    case 0xb:
        /* level 0: SMT, level 1: core (SDM vol.3 8.9.1, 8.9.2): the APIC
         * ID shift to the next level and the logical processors in it */
        if (sub == 0) {
            r[0] = c->thread_bits;
            r[1] = threads;
        } else if (sub == 1) {
            r[0] = c->thread_bits + c->core_bits;
            r[1] = per_pkg;
        }
        r[2] = (sub & 0xff) | (sub == 0 ? 0x100 : sub == 1 ? 0x200 : 0);
        r[3] = apic_id;
        break;
    case 0x80000001:
        r[0] = x86_cpuid_signature(m);
        r[2] = f[FEAT_8000_0001_ECX];
        r[3] = f[FEAT_8000_0001_EDX];
        if (!strcmp(x86_cpuid_vendor(c), "AuthenticAMD")) {
            r[3] |= f[FEAT_1_EDX] & AMD_EDX_ALIASES;
        }
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        uint32_t id[12];
        put_string(id, m->model_id, 48);
        memcpy(r, &id[(leaf - 0x80000002) * 4], 16);
        break;
    }
    case 0x80000005:
        memcpy(r, m->cache_l1, 16);
        break;
    case 0x80000006:
        memcpy(r, m->cache_l2, 16);
        break;
    case 0x80000008:
        r[0] = ((uint32_t)m->virt_bits << 8) | c->phys_bits;
        if (!strcmp(x86_cpuid_vendor(c), "AuthenticAMD") && per_pkg > 1) {
            /* NC and ApicIdCoreIdSize (APM vol.3 E.4.7) */
            r[2] = (MIN(per_pkg, 256u) - 1) | (uint32_t)(c->thread_bits + c->core_bits) << 12;
        }
        break;
    default:
        break; /* 2, 3, 4, 6, 0DH (no XSAVE), 8000000AH (no SVM): reserved or empty */
    }
}
