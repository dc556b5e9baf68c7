/*
 * RDMSR/WRMSR (SDM vol.4 chapter 2, table 2-2 "architectural MSRs";
 * APM vol.2 appendix A).  Each MSR the interpreter models is one table
 * row: which CPUID feature makes it exist, and how it is read and
 * written.  Writes that set reserved bits, break canonical form or name a
 * reserved memory type raise #GP(0), as does any MSR not in the table
 * (logged under -d unimp).
 */
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"

#define MSR_IA32_TSC          0x10
#define MSR_IA32_APICBASE     0x1b
#define MSR_MTRRCAP           0xfe
#define MSR_SYSENTER_CS       0x174
#define MSR_SYSENTER_ESP      0x175
#define MSR_SYSENTER_EIP      0x176
#define MSR_MCG_CAP           0x179
#define MSR_MCG_STATUS        0x17a
#define MSR_MISC_ENABLE       0x1a0
#define MSR_MTRR_PHYSBASE0    0x200
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX4K_C0000  0x268
#define MSR_PAT               0x277
#define MSR_TSC_DEADLINE      0x6e0
#define MSR_X2APIC_FIRST      0x800
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_EFER              0xc0000080
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_FMASK             0xc0000084
#define MSR_FSBASE            0xc0000100
#define MSR_GSBASE            0xc0000101
#define MSR_KERNELGSBASE      0xc0000102
#define MSR_TSC_AUX           0xc0000103
#define MSR_UCODE_REV         0x8b        /* Intel BIOS_SIGN_ID, AMD PATCH_LEVEL */
#define MSR_K8_SYSCFG         0xc0010010
#define MSR_K7_HWCR           0xc0010015
#define MSR_K8_TOP_MEM        0xc001001a
#define MSR_K8_TOP_MEM2       0xc001001d
#define MSR_K8_INT_PENDING    0xc0010055

typedef struct MSRDesc MSRDesc;
struct MSRDesc {
    uint32_t index;
    uint32_t count;                 /* consecutive MSRs sharing the row */
    FeatureWord word;               /* the MSR exists when CPUID has this flag */
    uint32_t feature;               /* (0: always) */
    size_t field;                   /* CPUX86State field (plain storage), or ... */
    uint64_t (*read)(TCGCPU *s, const MSRDesc *m, uint32_t idx);
    /* false: #GP(0) */
    bool (*write)(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v);
    uint64_t reserved;              /* bits a plain write must leave clear */
    const char *vendor;             /* only on this CPUID vendor (NULL: any) */
};

static uint64_t *msr_field(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return (uint64_t *)((char *)s->env + m->field) + (idx - m->index);
}

static uint64_t plain_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return *msr_field(s, m, idx);
}

static bool plain_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    if (v & m->reserved) {
        return false;
    }
    *msr_field(s, m, idx) = v;
    return true;
}

static bool canonical_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    return is_canonical(v) && plain_write(s, m, idx, v);
}

static bool read_only(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    return false;
}

static uint64_t phys_reserved(TCGCPU *s)
{
    return ~0ull << s->cpu->cpuid.phys_bits;
}

/* ---- time ---- */
static uint64_t tsc_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return cpu_get_tsc(s);
}

static bool tsc_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    s->tsc_offset = v - (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    return true;
}

/* ---- memory types (SDM vol.3 11.11, 11.12) ---- */
static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool pat_type_ok(uint64_t t)
{
    return mtrr_type_ok(t) || t == 7;
}

static uint64_t mtrrcap_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return 8 | (1u << 8) | (1u << 10); /* 8 variable ranges, fixed ranges, WC */
}

static bool pat_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        if (!pat_type_ok((v >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    s->env->pat = v;
    return true;
}

static bool mtrr_fixed_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        if (!mtrr_type_ok((v >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    return plain_write(s, m, idx, v);
}

static bool mtrr_def_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    return mtrr_type_ok(v & 0xff) && plain_write(s, m, idx, v);
}

/* PHYSBASEn: type in 7:0, base from bit 12; PHYSMASKn: valid bit 11, mask from 12. */
static bool mtrr_var_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    bool is_mask = (idx - m->index) & 1;
    uint64_t reserved = phys_reserved(s) | (is_mask ? 0x7ff : 0xf00);

    if ((v & reserved) || (!is_mask && !mtrr_type_ok(v & 0xff))) {
        return false;
    }
    *msr_field(s, m, idx) = v;
    return true;
}

/* The fixed-range MSRs are not consecutive: 250H, 258H, 259H, 268H-26FH. */
static int mtrr_fixed_slot(uint32_t idx)
{
    switch (idx) {
    case MSR_MTRR_FIX64K_00000: return 0;
    case MSR_MTRR_FIX16K_80000: return 1;
    case MSR_MTRR_FIX16K_80000 + 1: return 2;
    default: return idx - MSR_MTRR_FIX4K_C0000 + 3;
    }
}

static uint64_t mtrr_fixed_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return s->env->mtrr_fixed[mtrr_fixed_slot(idx)];
}

static bool mtrr_fixed_store(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    MSRDesc one = *m;

    one.field = offsetof(CPUX86State, mtrr_fixed) + mtrr_fixed_slot(idx) * 8;
    one.index = idx;
    return mtrr_fixed_write(s, &one, idx, v);
}

/* ---- machine check (no banks: MCG_CAP.Count = 0, no MCG_CTL) ---- */
static uint64_t zero_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return 0;
}

/* ---- APIC base: the value only (SDM vol.3 10.4.4) ---- */
static bool apicbase_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    /* BSP (8), x2APIC (10, if offered), global enable (11), base (12 up) */
    uint64_t reserved = phys_reserved(s) | 0x2ff;

    if (!cpu_has(s, FEAT_1_ECX, CPUID_EXT_X2APIC)) {
        reserved |= 1u << 10;
    }
    if (v & reserved) {
        return false;
    }
    /* The local APIC (when the board has one) owns the register and keeps
     * env->apic_base current; it may refuse a value (#GP). */
    if (s->cpu->apic_ops) {
        bool ok;
        bql_lock();
        ok = s->cpu->apic_ops->set_base(s->cpu->apic_opaque, v);
        bql_unlock();
        return ok;
    }
    s->env->apic_base = v;
    return true;
}

/* ---- x2APIC registers and IA32_TSC_DEADLINE: the local APIC's ---- */
static uint64_t x2apic_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    const CPUAPICOps *ops = s->cpu->apic_ops;
    uint64_t v = 0;
    bool ok = false;

    if (ops) {
        bql_lock();
        ok = ops->msr_read(s->cpu->apic_opaque, idx, &v);
        bql_unlock();
    }
    if (!ok) {
        qemu_log_mask(LOG_GUEST_ERROR, "tcg: rdmsr 0x%x: not an x2APIC register now: #GP\n", idx);
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    return v;
}

static bool x2apic_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    const CPUAPICOps *ops = s->cpu->apic_ops;
    bool ok;

    if (!ops) {
        return false;
    }
    bql_lock();
    ok = ops->msr_write(s->cpu->apic_opaque, idx, v);
    bql_unlock();
    return ok;
}

static uint64_t tsc_deadline_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    const CPUAPICOps *ops = s->cpu->apic_ops;
    uint64_t v = 0;

    if (ops) {
        bql_lock();
        v = ops->get_tsc_deadline(s->cpu->apic_opaque);
        bql_unlock();
    }
    return v;
}

/* The TSC is the virtual clock in ns plus tsc_offset (cpu_get_tsc). */
static bool tsc_deadline_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    const CPUAPICOps *ops = s->cpu->apic_ops;
    uint64_t now_tsc = cpu_get_tsc(s);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    /* A deadline already passed fires at once; a far one waits "forever". */
    int64_t delta = v <= now_tsc ? 0 : (int64_t)MIN(v - now_tsc, (uint64_t)INT64_MAX / 2);

    if (ops) {
        bql_lock();
        ops->set_tsc_deadline(s->cpu->apic_opaque, v, now + delta);
        bql_unlock();
    }
    return true;
}

/* ---- long mode ---- */
static bool efer_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    CPUX86State *env = s->env;
    uint64_t allowed = MSR_EFER_LMA;

    if (cpu_has(s, FEAT_8000_0001_EDX, CPUID_EXT2_SYSCALL)) {
        allowed |= MSR_EFER_SCE;
    }
    if (cpu_has(s, FEAT_8000_0001_EDX, CPUID_EXT2_LM)) {
        allowed |= MSR_EFER_LME;
    }
    if (cpu_has(s, FEAT_8000_0001_EDX, CPUID_EXT2_NX)) {
        allowed |= MSR_EFER_NXE;
    }
    if (v & ~allowed) {
        return false;
    }
    /* LME may not change while paging is on (SDM vol.3 9.8.5); LMA is
     * read-only, set and cleared by CR0.PG. */
    if ((env->cr[0] & CR0_PG_MASK) && ((v ^ env->efer) & MSR_EFER_LME)) {
        return false;
    }
    if ((v ^ env->efer) & MSR_EFER_NXE) {
        tlb_flush(s);
    }
    env->efer = (env->efer & MSR_EFER_LMA) | (v & ~(uint64_t)MSR_EFER_LMA);
    return true;
}

static uint64_t seg_base_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return s->env->segs[idx == MSR_FSBASE ? R_FS : R_GS].base;
}

static bool seg_base_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    int seg = idx == MSR_FSBASE ? R_FS : R_GS;

    if (!is_canonical(v)) {
        return false;
    }
    s->env->segs[seg].base = v;
    tcg_update_seg_flat(s, seg);
    return true;
}

/* Microcode revision: none was loaded (writes, Intel's way of asking for
 * the revision, are accepted and change nothing). */
static uint64_t ucode_rev_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return 0;
}

static bool ignore_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    return true;
}

/* SYSENTER_CS is a 32-bit field of CPUX86State. */
static uint64_t sysenter_cs_read(TCGCPU *s, const MSRDesc *m, uint32_t idx)
{
    return s->env->sysenter_cs;
}

static bool sysenter_cs_write(TCGCPU *s, const MSRDesc *m, uint32_t idx, uint64_t v)
{
    s->env->sysenter_cs = v;
    return true;
}

#define FIELD(f) .field = offsetof(CPUX86State, f), .read = plain_read
static const MSRDesc msr_table[] = {
    { MSR_IA32_TSC, 1, FEAT_1_EDX, CPUID_TSC, .read = tsc_read, .write = tsc_write },
    { MSR_IA32_APICBASE, 1, FEAT_1_EDX, 0, FIELD(apic_base), .write = apicbase_write },
    { MSR_MTRRCAP, 1, FEAT_1_EDX, CPUID_MTRR, .read = mtrrcap_read, .write = read_only },
    { MSR_SYSENTER_CS, 1, FEAT_1_EDX, CPUID_SEP, .read = sysenter_cs_read,
      .write = sysenter_cs_write },
    { MSR_SYSENTER_ESP, 1, FEAT_1_EDX, CPUID_SEP, FIELD(sysenter_esp),
      .write = canonical_write },
    { MSR_SYSENTER_EIP, 1, FEAT_1_EDX, CPUID_SEP, FIELD(sysenter_eip),
      .write = canonical_write },
    { MSR_MCG_CAP, 1, FEAT_1_EDX, CPUID_MCA, .read = zero_read, .write = read_only },
    { MSR_MCG_STATUS, 1, FEAT_1_EDX, CPUID_MCA, FIELD(mcg_status), .write = plain_write,
      .reserved = ~7ull }, /* RIPV, EIPV, MCIP */
    { MSR_MISC_ENABLE, 1, FEAT_1_EDX, 0, FIELD(misc_enable), .write = plain_write },
    { MSR_MTRR_PHYSBASE0, 16, FEAT_1_EDX, CPUID_MTRR, FIELD(mtrr_var),
      .write = mtrr_var_write },
    { MSR_MTRR_FIX64K_00000, 1, FEAT_1_EDX, CPUID_MTRR, .read = mtrr_fixed_read,
      .write = mtrr_fixed_store },
    { MSR_MTRR_FIX16K_80000, 2, FEAT_1_EDX, CPUID_MTRR, .read = mtrr_fixed_read,
      .write = mtrr_fixed_store },
    { MSR_MTRR_FIX4K_C0000, 8, FEAT_1_EDX, CPUID_MTRR, .read = mtrr_fixed_read,
      .write = mtrr_fixed_store },
    { MSR_PAT, 1, FEAT_1_EDX, CPUID_PAT, FIELD(pat), .write = pat_write },
    { MSR_TSC_DEADLINE, 1, FEAT_1_ECX, CPUID_EXT_TSC_DEADLINE, .read = tsc_deadline_read,
      .write = tsc_deadline_write },
    { MSR_X2APIC_FIRST, 0x100, FEAT_1_ECX, CPUID_EXT_X2APIC, .read = x2apic_read,
      .write = x2apic_write },
    { MSR_MTRR_DEF_TYPE, 1, FEAT_1_EDX, CPUID_MTRR, FIELD(mtrr_deftype),
      .write = mtrr_def_write, .reserved = ~0xcffull },
    { MSR_EFER, 1, FEAT_1_EDX, 0, FIELD(efer), .write = efer_write },
    { MSR_STAR, 1, FEAT_8000_0001_EDX, CPUID_EXT2_SYSCALL, FIELD(star),
      .write = plain_write },
    { MSR_LSTAR, 1, FEAT_8000_0001_EDX, CPUID_EXT2_LM, FIELD(lstar), .write = canonical_write },
    { MSR_CSTAR, 1, FEAT_8000_0001_EDX, CPUID_EXT2_LM, FIELD(cstar), .write = canonical_write },
    { MSR_FMASK, 1, FEAT_8000_0001_EDX, CPUID_EXT2_LM, FIELD(fmask), .write = plain_write,
      .reserved = ~0xffffffffull },
    { MSR_FSBASE, 2, FEAT_8000_0001_EDX, CPUID_EXT2_LM, .read = seg_base_read,
      .write = seg_base_write },
    { MSR_KERNELGSBASE, 1, FEAT_8000_0001_EDX, CPUID_EXT2_LM, FIELD(kernelgsbase),
      .write = canonical_write },
    { MSR_TSC_AUX, 1, FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP, FIELD(tsc_aux),
      .write = plain_write, .reserved = ~0xffffffffull },
    { MSR_UCODE_REV, 1, FEAT_1_EDX, 0, .read = ucode_rev_read, .write = ignore_write },
    /* What Linux reads on an AMD family 0Fh CPU (the qemu64 model is one):
     * the memory controller's view of RAM and the MTRR extensions, as a
     * firmware that set none of them leaves them. */
    { MSR_K8_SYSCFG, 1, FEAT_1_EDX, 0, FIELD(amd_syscfg), .write = plain_write,
      .reserved = ~0x7f0000ull, .vendor = "AuthenticAMD" },
    { MSR_K7_HWCR, 1, FEAT_1_EDX, 0, FIELD(amd_hwcr), .write = plain_write,
      .reserved = ~0xffffffffull, .vendor = "AuthenticAMD" },
    { MSR_K8_TOP_MEM, 1, FEAT_1_EDX, 0, FIELD(amd_top_mem), .write = plain_write,
      .reserved = ~0xffffff800000ull, .vendor = "AuthenticAMD" },
    { MSR_K8_TOP_MEM2, 1, FEAT_1_EDX, 0, FIELD(amd_top_mem2), .write = plain_write,
      .reserved = ~0xffffff800000ull, .vendor = "AuthenticAMD" },
    /* Interrupt Pending Message: no C1E, so nothing is ever enabled here */
    { MSR_K8_INT_PENDING, 1, FEAT_1_EDX, 0, .read = zero_read, .write = ignore_write,
      .vendor = "AuthenticAMD" },
};
#undef FIELD

static const MSRDesc *msr_lookup(TCGCPU *s, uint32_t idx)
{
    for (size_t i = 0; i < G_N_ELEMENTS(msr_table); i++) {
        const MSRDesc *m = &msr_table[i];
        if (idx - m->index < m->count) {
            const X86CPUID *id = &s->cpu->cpuid;
            if (m->vendor && (!id->model || strcmp(x86_cpuid_vendor(id), m->vendor))) {
                return NULL;
            }
            return (!m->feature || cpu_has(s, m->word, m->feature)) ? m : NULL;
        }
    }
    return NULL;
}

static void msr_access(TCGCPU *s, bool write)
{
    CPUX86State *env = s->env;
    uint32_t idx = env->regs[R_ECX];
    const MSRDesc *m;

    if (s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    m = msr_lookup(s, idx);
    if (!m) {
        qemu_log_mask(LOG_UNIMP, "tcg: %s 0x%x not modelled: #GP\n", write ? "wrmsr" : "rdmsr",
                      idx);
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (write) {
        uint64_t v = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);
        if (!m->write(s, m, idx, v)) {
            qemu_log_mask(LOG_GUEST_ERROR, "tcg: wrmsr 0x%x value 0x%" PRIx64
                          " not allowed: #GP\n", idx, v);
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        return;
    }
    uint64_t v = m->read(s, m, idx);
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

void helper_rdmsr(TCGCPU *s)
{
    msr_access(s, false);
}

void helper_wrmsr(TCGCPU *s)
{
    msr_access(s, true);
}
