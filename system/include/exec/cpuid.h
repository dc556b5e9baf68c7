/*
 * The CPU models duet offers (-cpu) and the CPUID a vCPU answers with.
 *
 * A model names the features it wants (QEMU's qemu64 is the default);
 * the accelerator says which features it can provide (the interpreter's
 * column of the feature table in system/x86-cpuid.c, or what
 * KVM_GET_SUPPORTED_CPUID reports); the vCPU gets the intersection, and
 * every CPUID leaf is computed from that.  "max" takes everything the
 * accelerator provides.
 */
#ifndef EXEC_CPUID_H
#define EXEC_CPUID_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qapi/error.h"

/* The CPUID registers that hold feature flags. */
typedef enum FeatureWord {
    FEAT_1_EDX,         /* CPUID.01H:EDX */
    FEAT_1_ECX,         /* CPUID.01H:ECX */
    FEAT_7_0_EBX,       /* CPUID.(EAX=07H,ECX=0):EBX */
    FEAT_7_0_ECX,       /* CPUID.(EAX=07H,ECX=0):ECX */
    FEAT_7_0_EDX,       /* CPUID.(EAX=07H,ECX=0):EDX */
    FEAT_8000_0001_EDX, /* CPUID.80000001H:EDX */
    FEAT_8000_0001_ECX, /* CPUID.80000001H:ECX */
    FEATURE_WORDS,
} FeatureWord;

/* The flags other code tests (SDM vol.2 CPUID, tables 3-10/3-11; APM vol.3 E.4.2) */
#define CPUID_FP87    (1u << 0)
#define CPUID_DE      (1u << 2)
#define CPUID_PSE     (1u << 3)
#define CPUID_TSC     (1u << 4)
#define CPUID_MSR     (1u << 5)
#define CPUID_PAE     (1u << 6)
#define CPUID_MCE     (1u << 7)
#define CPUID_CX8     (1u << 8)
#define CPUID_APIC    (1u << 9)
#define CPUID_HTT     (1u << 28) /* CPUID.01H:EBX[23:16] is valid */
#define CPUID_SEP     (1u << 11)
#define CPUID_MTRR    (1u << 12)
#define CPUID_PGE     (1u << 13)
#define CPUID_MCA     (1u << 14)
#define CPUID_CMOV    (1u << 15)
#define CPUID_PAT     (1u << 16)
#define CPUID_PSE36   (1u << 17)
#define CPUID_CLFLUSH (1u << 19)
#define CPUID_MMX     (1u << 23)
#define CPUID_FXSR    (1u << 24)
#define CPUID_SSE     (1u << 25)
#define CPUID_SSE2    (1u << 26)

#define CPUID_EXT_SSE3       (1u << 0)
#define CPUID_EXT_PCID       (1u << 17)
#define CPUID_EXT_CX16       (1u << 13)
#define CPUID_EXT_X2APIC     (1u << 21)
#define CPUID_EXT_POPCNT     (1u << 23)
#define CPUID_EXT_TSC_DEADLINE (1u << 24)
#define CPUID_EXT_XSAVE      (1u << 26)
#define CPUID_EXT_HYPERVISOR (1u << 31)

#define CPUID_7_0_EBX_FSGSBASE (1u << 0)
#define CPUID_7_0_EBX_SMEP     (1u << 7)
#define CPUID_7_0_EBX_SMAP     (1u << 20)
#define CPUID_7_0_ECX_UMIP     (1u << 2)
#define CPUID_7_0_ECX_RDPID    (1u << 22)
#define CPUID_7_0_EDX_SPEC_CTRL (1u << 26)
#define CPUID_7_0_EDX_ARCH_CAPABILITIES (1u << 29)

#define CPUID_EXT2_SYSCALL (1u << 11)
#define CPUID_EXT2_NX      (1u << 20)
#define CPUID_EXT2_PDPE1GB (1u << 26)
#define CPUID_EXT2_RDTSCP  (1u << 27)
#define CPUID_EXT2_LM      (1u << 29)

#define CPUID_EXT3_LAHF_LM (1u << 0)
#define CPUID_EXT3_SVM     (1u << 2)
#define CPUID_EXT3_ABM     (1u << 5)

typedef struct X86CPUModel {
    const char *name;
    const char *desc;
    const char *vendor;       /* 12 characters */
    uint8_t family, model, stepping;
    uint32_t level;           /* highest basic leaf */
    uint32_t xlevel;          /* highest extended leaf */
    uint32_t features[FEATURE_WORDS];
    const char *model_id;     /* brand string, CPUID.80000002H-80000004H */
    uint32_t cache_l1[4];     /* CPUID.80000005H (AMD L1 caches and TLBs) */
    uint32_t cache_l2[4];     /* CPUID.80000006H */
    uint8_t phys_bits, virt_bits; /* CPUID.80000008H:EAX */
    bool max;                 /* all the accelerator provides */
    bool kvm_only;            /* "host": KVM's CPUID, no interpreter model */
} X86CPUModel;

/* A vCPU's CPUID: its model, what -cpu added to and took from it, and
 * the features it really has. */
typedef struct X86CPUID {
    const X86CPUModel *model;
    uint32_t plus[FEATURE_WORDS];   /* -cpu MODEL,+flag (or flag=on) */
    uint32_t minus[FEATURE_WORDS];  /* -cpu MODEL,-flag (or flag=off) */
    char vendor[13];                /* -cpu MODEL,vendor=... ("": the model's) */
    uint32_t features[FEATURE_WORDS];
    uint8_t phys_bits;
    /* The package the vCPU is in (-smp): threads per core, cores per
     * package, and the APIC ID bits each level takes (0 values: one). */
    uint16_t nr_threads, nr_cores;
    uint8_t thread_bits, core_bits;
} X86CPUID;

const X86CPUModel *x86_cpu_model_find(const char *name);
const X86CPUModel *x86_cpu_model_default(void);
/* -cpu help: the models and the flags duet knows (* = the interpreter has it). */
void x86_cpu_models_print(FILE *f);

/* "-cpu MODEL[,+flag|-flag|flag=on|off|vendor=STRING]...": c's model,
 * plus, minus and vendor (the rest of c cleared). */
bool x86_cpuid_parse(X86CPUID *c, const char *spec, Error **errp);
/* The CPUID vendor string: vendor= or the model's. */
const char *x86_cpuid_vendor(const X86CPUID *c);

/* What the interpreter implements, word by word. */
void x86_cpuid_tcg_supported(uint32_t out[FEATURE_WORDS]);
/* The vCPU's features: (model (default qemu64) + plus - minus) ∩
 * supported; a +flag the accelerator lacks is dropped with a warning
 * naming @who ("TCG", "host"), as QEMU does. */
void x86_cpuid_realize(X86CPUID *c, const X86CPUModel *m, const uint32_t supported[FEATURE_WORDS],
                       const char *who);
/* Registers eax, ebx, ecx, edx of CPUID leaf (sub-leaf sub) into r. */
void x86_cpuid_query(const X86CPUID *c, uint32_t apic_id, uint32_t leaf, uint32_t sub,
                     uint32_t r[4]);
/* CPUID.01H:EAX, the processor signature (also EDX after RESET). */
uint32_t x86_cpuid_signature(const X86CPUModel *m);
/* Which register of which leaf holds word w (for KVM's filtering). */
void x86_feature_word_location(FeatureWord w, uint32_t *leaf, uint32_t *sub, int *reg);

static inline bool x86_cpuid_has(const X86CPUID *c, FeatureWord w, uint32_t mask)
{
    return (c->features[w] & mask) == mask;
}

#endif
