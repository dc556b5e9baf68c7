/*
 * -accel kvm: CPUX86State <-> KVM's register sets, and the CPUID the
 * guest sees (the -cpu model, filtered by what KVM supports on this host).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm-internal.h"
#include "trace/trace.h"

/* MSRs that CPUX86State models (SDM vol.4 table 2-2). */
#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_PAT            0x277
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_FMASK               0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

#define KVM_MAX_CPUID_ENTRIES   256

typedef struct {
    uint32_t index;
    size_t offset;
    size_t size;
} KVMMsrField;

#define MSR_FIELD(idx, field) \
    { idx, offsetof(CPUX86State, field), sizeof(((CPUX86State *)0)->field) }

static const KVMMsrField kvm_msr_fields[] = {
    MSR_FIELD(MSR_IA32_SYSENTER_CS, sysenter_cs),
    MSR_FIELD(MSR_IA32_SYSENTER_ESP, sysenter_esp),
    MSR_FIELD(MSR_IA32_SYSENTER_EIP, sysenter_eip),
    MSR_FIELD(MSR_IA32_PAT, pat),
    MSR_FIELD(MSR_STAR, star),
    MSR_FIELD(MSR_LSTAR, lstar),
    MSR_FIELD(MSR_CSTAR, cstar),
    MSR_FIELD(MSR_FMASK, fmask),
    MSR_FIELD(MSR_KERNEL_GS_BASE, kernelgsbase),
};

typedef struct {
    struct kvm_msrs head;
    struct kvm_msr_entry entries[G_N_ELEMENTS(kvm_msr_fields) + 1];
} KVMMsrBuffer;

static uint64_t msr_field_get(const CPUX86State *env, const KVMMsrField *f)
{
    const uint8_t *p = (const uint8_t *)env + f->offset;
    if (f->size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void msr_field_set(CPUX86State *env, const KVMMsrField *f, uint64_t value)
{
    uint8_t *p = (uint8_t *)env + f->offset;
    if (f->size == 4) {
        uint32_t v = value;
        memcpy(p, &v, 4);
    } else {
        memcpy(p, &value, 8);
    }
}

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c, uint32_t leaf,
                                                 uint32_t sub)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == leaf &&
            (e->index == sub || !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX))) {
            return e;
        }
    }
    return NULL;
}

/* The feature words KVM can give a guest on this host. */
static void kvm_supported_features(const struct kvm_cpuid2 *c, uint32_t out[FEATURE_WORDS])
{
    for (int w = 0; w < FEATURE_WORDS; w++) {
        uint32_t leaf, sub;
        int reg;
        x86_feature_word_location(w, &leaf, &sub, &reg);
        const struct kvm_cpuid_entry2 *e = cpuid_find(c, leaf, sub);
        uint32_t regs[4] = { e ? e->eax : 0, e ? e->ebx : 0, e ? e->ecx : 0, e ? e->edx : 0 };
        out[w] = regs[reg];
    }
    out[FEAT_1_ECX] |= CPUID_EXT_HYPERVISOR; /* what KVM is, whatever it reports */
}

static void cpuid_add(struct kvm_cpuid2 *c, const X86CPUID *id, uint32_t apic_id,
                      uint32_t leaf, uint32_t sub, bool indexed)
{
    struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
    uint32_t r[4];

    x86_cpuid_query(id, apic_id, leaf, sub, r);
    *e = (struct kvm_cpuid_entry2){ .function = leaf, .index = sub,
                                    .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
                                    .eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3] };
}

/*
 * The vCPU's CPUID: its model's leaves (system/x86-cpuid.c) with the
 * features KVM supports here, plus KVM's own paravirtual leaves; "max" is
 * everything KVM supports, as QEMU's "-cpu host".
 */
static bool kvm_init_cpuid(CPUState *cpu, Error **errp)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    g_autofree struct kvm_cpuid2 *sup = NULL, *cpuid = NULL;
    size_t size = sizeof(*sup) + KVM_MAX_CPUID_ENTRIES * sizeof(sup->entries[0]);
    uint32_t features[FEATURE_WORDS];
    uint32_t apic_id = cpu->apic_id;

    sup = g_malloc0(size);
    sup->nent = KVM_MAX_CPUID_ENTRIES;
    if (kvm_ioctl(kcpu->s->fd, KVM_GET_SUPPORTED_CPUID, sup) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_SUPPORTED_CPUID");
        return false;
    }
    kvm_supported_features(sup, features);
    /* x2APIC and the TSC-deadline timer live in KVM's in-kernel APIC
     * (KVM_GET_SUPPORTED_CPUID does not report the latter: it has its own
     * capability); duet's userspace APIC serves neither under KVM. */
    if (kcpu->s->kernel_irqchip && kvm_ioctl(kcpu->s->fd, KVM_CHECK_EXTENSION,
                                             (void *)(uintptr_t)KVM_CAP_TSC_DEADLINE_TIMER) > 0) {
        features[FEAT_1_ECX] |= CPUID_EXT_TSC_DEADLINE;
    }
    if (!kcpu->s->kernel_irqchip) {
        features[FEAT_1_ECX] &= ~(CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE);
    }
    x86_cpuid_realize(&cpu->cpuid, cpu->cpuid.model, features, "host");
    const X86CPUModel *m = cpu->cpuid.model;
    const struct kvm_cpuid_entry2 *addr = cpuid_find(sup, 0x80000008, 0);
    if (addr && (addr->eax & 0xff) && (addr->eax & 0xff) < cpu->cpuid.phys_bits) {
        cpu->cpuid.phys_bits = addr->eax & 0xff; /* never more than the host has */
    }

    if (m->max) {
        cpuid = g_steal_pointer(&sup);
        for (uint32_t i = 0; i < cpuid->nent; i++) {
            struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
            if (e->function == 1) {
                /* Initial APIC ID (bits 31:24) is the vCPU's index. */
                e->ebx = (e->ebx & 0x00ffffff) | (apic_id << 24);
                e->ecx = (e->ecx & ~(CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE)) |
                         (cpu->cpuid.features[FEAT_1_ECX] &
                          (CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE)) |
                         CPUID_EXT_HYPERVISOR;
            }
        }
    } else {
        cpuid = g_malloc0(size);
        for (uint32_t leaf = 0; leaf <= m->level; leaf++) {
            bool indexed = leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd;
            for (uint32_t sub = 0; sub < (leaf == 0xb ? 3u : 1u); sub++) {
                cpuid_add(cpuid, &cpu->cpuid, apic_id, leaf, sub, indexed);
            }
        }
        for (uint32_t leaf = 0x80000000; leaf <= m->xlevel; leaf++) {
            cpuid_add(cpuid, &cpu->cpuid, apic_id, leaf, 0, false);
        }
        for (uint32_t i = 0; i < sup->nent && cpuid->nent < KVM_MAX_CPUID_ENTRIES; i++) {
            if ((sup->entries[i].function & 0xffffff00u) == 0x40000000u) {
                cpuid->entries[cpuid->nent++] = sup->entries[i]; /* KVM's PV leaves */
            }
        }
    }
    if (kvm_ioctl(kcpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_CPUID2");
        return false;
    }
    trace_event(kvm_set_cpuid, "model=%s entries=%u", m->name, cpuid->nent);
    return true;
}

bool kvm_arch_init_vcpu(CPUState *cpu, Error **errp)
{
    return kvm_init_cpuid(cpu, errp);
}

/* SegmentCache.flags keeps the descriptor's high-dword layout
 * (SDM vol.3 3.4.5); KVM wants the attributes one by one. */
static void set_seg(struct kvm_segment *lhs, const SegmentCache *rhs)
{
    uint32_t flags = rhs->flags;

    lhs->selector = rhs->selector;
    lhs->base = rhs->base;
    lhs->limit = rhs->limit;
    lhs->type = (flags & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT;
    lhs->present = (flags & DESC_P_MASK) != 0;
    lhs->dpl = (flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    lhs->db = (flags & DESC_B_MASK) != 0;
    lhs->s = (flags & DESC_S_MASK) != 0;
    lhs->l = (flags & DESC_L_MASK) != 0;
    lhs->g = (flags & DESC_G_MASK) != 0;
    lhs->avl = (flags & DESC_AVL_MASK) != 0;
    lhs->unusable = !lhs->present;
    lhs->padding = 0;
}

static void get_seg(SegmentCache *lhs, const struct kvm_segment *rhs)
{
    lhs->selector = rhs->selector;
    lhs->base = rhs->base;
    lhs->limit = rhs->limit;
    lhs->flags = ((uint32_t)rhs->type << DESC_TYPE_SHIFT) |
                 (rhs->present && !rhs->unusable ? DESC_P_MASK : 0) |
                 ((uint32_t)rhs->dpl << DESC_DPL_SHIFT) |
                 (rhs->db ? DESC_B_MASK : 0) |
                 (rhs->s ? DESC_S_MASK : 0) |
                 (rhs->l ? DESC_L_MASK : 0) |
                 (rhs->g ? DESC_G_MASK : 0) |
                 (rhs->avl ? DESC_AVL_MASK : 0);
}

static int kvm_put_sregs(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    CPUX86State *env = &cpu->env;
    struct kvm_sregs sregs;

    /* Read first: interrupt_bitmap (an injection in flight) is not ours. */
    if (kvm_ioctl(kcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
        return -1;
    }
    set_seg(&sregs.es, &env->segs[R_ES]);
    set_seg(&sregs.cs, &env->segs[R_CS]);
    set_seg(&sregs.ss, &env->segs[R_SS]);
    set_seg(&sregs.ds, &env->segs[R_DS]);
    set_seg(&sregs.fs, &env->segs[R_FS]);
    set_seg(&sregs.gs, &env->segs[R_GS]);
    set_seg(&sregs.tr, &env->tr);
    set_seg(&sregs.ldt, &env->ldt);
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = env->idt.limit;
    memset(sregs.gdt.padding, 0, sizeof(sregs.gdt.padding));
    memset(sregs.idt.padding, 0, sizeof(sregs.idt.padding));
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.cr8 = env->cr8;
    sregs.efer = env->efer;
    sregs.apic_base = env->apic_base;
    return kvm_ioctl(kcpu->fd, KVM_SET_SREGS, &sregs);
}

static int kvm_get_sregs(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    CPUX86State *env = &cpu->env;
    struct kvm_sregs sregs;

    if (kvm_ioctl(kcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
        return -1;
    }
    get_seg(&env->segs[R_ES], &sregs.es);
    get_seg(&env->segs[R_CS], &sregs.cs);
    get_seg(&env->segs[R_SS], &sregs.ss);
    get_seg(&env->segs[R_DS], &sregs.ds);
    get_seg(&env->segs[R_FS], &sregs.fs);
    get_seg(&env->segs[R_GS], &sregs.gs);
    get_seg(&env->tr, &sregs.tr);
    get_seg(&env->ldt, &sregs.ldt);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->cr8 = sregs.cr8;
    env->efer = sregs.efer;
    env->apic_base = sregs.apic_base;
    return 0;
}

static int kvm_put_regs(CPUState *cpu)
{
    const CPUX86State *env = &cpu->env;
    struct kvm_regs regs = {
        .rax = env->regs[R_EAX], .rbx = env->regs[R_EBX],
        .rcx = env->regs[R_ECX], .rdx = env->regs[R_EDX],
        .rsi = env->regs[R_ESI], .rdi = env->regs[R_EDI],
        .rsp = env->regs[R_ESP], .rbp = env->regs[R_EBP],
        .r8 = env->regs[8],   .r9 = env->regs[9],
        .r10 = env->regs[10], .r11 = env->regs[11],
        .r12 = env->regs[12], .r13 = env->regs[13],
        .r14 = env->regs[14], .r15 = env->regs[15],
        .rip = env->eip,
        .rflags = env->eflags,
    };
    return kvm_ioctl(kvm_cpu(cpu)->fd, KVM_SET_REGS, &regs);
}

static int kvm_get_regs(CPUState *cpu)
{
    CPUX86State *env = &cpu->env;
    struct kvm_regs regs;

    if (kvm_ioctl(kvm_cpu(cpu)->fd, KVM_GET_REGS, &regs) < 0) {
        return -1;
    }
    env->regs[R_EAX] = regs.rax;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[8] = regs.r8;
    env->regs[9] = regs.r9;
    env->regs[10] = regs.r10;
    env->regs[11] = regs.r11;
    env->regs[12] = regs.r12;
    env->regs[13] = regs.r13;
    env->regs[14] = regs.r14;
    env->regs[15] = regs.r15;
    env->eip = regs.rip;
    env->eflags = regs.rflags;
    return 0;
}

static int kvm_put_msrs(CPUState *cpu)
{
    KVMMsrBuffer buf = { .head.nmsrs = G_N_ELEMENTS(kvm_msr_fields) };

    for (size_t i = 0; i < G_N_ELEMENTS(kvm_msr_fields); i++) {
        buf.entries[i].index = kvm_msr_fields[i].index;
        buf.entries[i].data = msr_field_get(&cpu->env, &kvm_msr_fields[i]);
    }
    int ret = kvm_ioctl(kvm_cpu(cpu)->fd, KVM_SET_MSRS, &buf);
    if (ret >= 0 && ret < (int)buf.head.nmsrs) {
        /* KVM stops at the first MSR it refuses; the rest are optional
         * for the guests duet runs, so note it and go on. */
        trace_event(kvm_msr_refused, "msr=0x%x", buf.entries[ret].index);
    }
    return ret < 0 ? -1 : 0;
}

static int kvm_get_msrs(CPUState *cpu)
{
    KVMMsrBuffer buf = { .head.nmsrs = G_N_ELEMENTS(kvm_msr_fields) };

    for (size_t i = 0; i < G_N_ELEMENTS(kvm_msr_fields); i++) {
        buf.entries[i].index = kvm_msr_fields[i].index;
    }
    int ret = kvm_ioctl(kvm_cpu(cpu)->fd, KVM_GET_MSRS, &buf);
    if (ret < 0) {
        return -1;
    }
    for (int i = 0; i < ret; i++) {
        msr_field_set(&cpu->env, &kvm_msr_fields[i], buf.entries[i].data);
    }
    return 0;
}

/*
 * x87/SSE state through the legacy area of KVM's XSAVE image
 * (KVM_GET_XSAVE / KVM_SET_XSAVE), which is the FXSAVE layout (SDM vol.1
 * table 10-2): FCW, FSW, abridged FTW, FOP, 64-bit FIP/FDP, MXCSR, ST(i)
 * in stack order (TOP from FSW), XMM0-15.  The rest of the image (AVX and
 * later components) is read first and left as KVM had it.  KVM_SET_FPU
 * would do for most of it, but this kernel ignores its mxcsr field.
 */
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int kvm_put_fpu(CPUState *cpu)
{
    const X86FPUState *f = &cpu->env.fpu;
    g_autofree struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
    uint8_t *img = (uint8_t *)xs->region;
    unsigned top = (f->fsw >> 11) & 7;
    uint64_t bv;

    if (kvm_ioctl(kvm_cpu(cpu)->fd, KVM_GET_XSAVE, xs) < 0) {
        return -1;
    }
    put16(img + 0, f->fcw);
    put16(img + 2, f->fsw);
    img[4] = f->ftw;
    img[5] = 0;
    put16(img + 6, f->fop);
    put64(img + 8, f->fip);
    put64(img + 16, f->fdp);
    put32(img + 24, f->mxcsr);
    for (int i = 0; i < 8; i++) {
        const X86FPReg *r = &f->st[(top + i) & 7];
        memset(img + 32 + 16 * i, 0, 16);
        put64(img + 32 + 16 * i, r->mant);
        put16(img + 40 + 16 * i, r->sign_exp);
    }
    memcpy(img + 160, f->xmm, sizeof(f->xmm));
    bv = get64(img + 512) | 3; /* XSTATE_BV: the x87 and SSE components are here */
    put64(img + 512, bv);
    return kvm_ioctl(kvm_cpu(cpu)->fd, KVM_SET_XSAVE, xs);
}

static int kvm_get_fpu(CPUState *cpu)
{
    X86FPUState *f = &cpu->env.fpu;
    g_autofree struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
    const uint8_t *img = (const uint8_t *)xs->region;
    unsigned top;

    if (kvm_ioctl(kvm_cpu(cpu)->fd, KVM_GET_XSAVE, xs) < 0) {
        return -1;
    }
    f->fcw = get16(img + 0);
    f->fsw = get16(img + 2);
    f->ftw = img[4];
    f->fop = get16(img + 6) & 0x7ff;
    f->fip = get64(img + 8);
    f->fdp = get64(img + 16);
    f->mxcsr = get32(img + 24);
    top = (f->fsw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &f->st[(top + i) & 7];
        r->mant = get64(img + 32 + 16 * i);
        r->sign_exp = get16(img + 40 + 16 * i);
    }
    memcpy(f->xmm, img + 160, sizeof(f->xmm));
    return 0;
}

int kvm_arch_put_registers(CPUState *cpu)
{
    if (kvm_put_regs(cpu) < 0 || kvm_put_sregs(cpu) < 0 || kvm_put_msrs(cpu) < 0 ||
        kvm_put_fpu(cpu) < 0) {
        return -1;
    }
    return 0;
}

int kvm_arch_get_registers(CPUState *cpu)
{
    if (kvm_get_regs(cpu) < 0 || kvm_get_sregs(cpu) < 0 || kvm_get_msrs(cpu) < 0 ||
        kvm_get_fpu(cpu) < 0) {
        return -1;
    }
    return 0;
}

static void lapic_set_reg(struct kvm_lapic_state *lapic, unsigned offset, uint32_t value)
{
    memcpy(&lapic->regs[offset], &value, 4);
}

/*
 * SDM vol.3 10.4.7.1: the local APIC after RESET.  IRR/ISR/TMR, ICR, LDR,
 * TPR, timer counts and divide are zero, DFR all ones, SVR 0xFF, every
 * LVT entry masked; ID and version stay.  LINT0 of the BSP is ExtINT, as
 * the MP specification's virtual-wire mode expects, so the 8259 reaches it.
 */
static int kvm_lapic_reset(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    struct kvm_lapic_state lapic;
    uint32_t id, version;

    if (kvm_ioctl(kcpu->fd, KVM_GET_LAPIC, &lapic) < 0) {
        return -1;
    }
    memcpy(&id, &lapic.regs[0x20], 4);
    memcpy(&version, &lapic.regs[0x30], 4);
    memset(&lapic, 0, sizeof(lapic));
    lapic_set_reg(&lapic, 0x20, id);
    lapic_set_reg(&lapic, 0x30, version);
    lapic_set_reg(&lapic, 0xe0, 0xffffffff); /* DFR */
    lapic_set_reg(&lapic, 0xf0, 0xff);       /* SVR: software-disabled */
    for (unsigned lvt = 0x320; lvt <= 0x370; lvt += 0x10) {
        lapic_set_reg(&lapic, lvt, 0x10000);
    }
    lapic_set_reg(&lapic, 0x2f0, 0x10000);   /* LVT CMCI */
    if (cpu->cpu_index == 0) {
        lapic_set_reg(&lapic, 0x350, 0x700); /* LINT0: ExtINT */
    }
    return kvm_ioctl(kcpu->fd, KVM_SET_LAPIC, &lapic);
}

/* SDM vol.3 9.1.1: x87 FCW 037FH, MXCSR 1F80H after RESET; TSC restarts. */
int kvm_arch_reset_vcpu(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
    struct kvm_vcpu_events events = { 0 };
    struct {
        struct kvm_msrs head;
        struct kvm_msr_entry entry;
    } tsc = { .head.nmsrs = 1, .entry.index = MSR_IA32_TSC };

    if (kcpu->fd < 0) {
        return 0;
    }
    if (kvm_ioctl(kcpu->fd, KVM_SET_FPU, &fpu) < 0) {
        return -1;
    }
    /* Drop any exception or interrupt KVM was about to inject. */
    kvm_ioctl(kcpu->fd, KVM_SET_VCPU_EVENTS, &events);
    kvm_ioctl(kcpu->fd, KVM_SET_MSRS, &tsc);
    if (kcpu->s->kernel_irqchip) {
        /* A HLT inside the kernel left the vCPU halted there.  An AP
         * waits for INIT and SIPI inside KVM (its in-kernel APIC takes
         * them), so the vCPU thread enters KVM_RUN and blocks there. */
        if (cpu->env.wait_for_sipi) {
            mp.mp_state = KVM_MP_STATE_UNINITIALIZED;
            cpu->env.wait_for_sipi = false;
            cpu->env.halted = false;
        }
        kvm_ioctl(kcpu->fd, KVM_SET_MP_STATE, &mp);
        if (kvm_lapic_reset(cpu) < 0) {
            return -1;
        }
    }
    return 0;
}
