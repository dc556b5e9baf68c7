/*
 * Helpers with a QEMU name: port I/O (helper_outb -> address_space_stb on
 * the I/O address space, under the BQL), CPUID, RDTSC, and
 * control-register writes (RDMSR/WRMSR are in msr_helper.c).
 */
#include <sched.h>
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "trace/trace.h"

static inline AddressSpace *io_as(CPUX86State *env)
{
    CPUState *cpu = container_of(env, CPUState, env);
    return cpu->as_io ? cpu->as_io : &address_space_io;
}

/* The port helpers stay real functions: gdb users break on them. */
__attribute__((noinline)) void helper_outb(CPUX86State *env, uint32_t port, uint32_t val)
{
    trace_event_begin(tcg_helper_out, "port=0x%x val=0x%x size=1", port, val);
    bql_lock();
    address_space_stb(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_out_done, tcg_helper_out, NULL);
}

__attribute__((noinline)) void helper_outw(CPUX86State *env, uint32_t port, uint32_t val)
{
    trace_event_begin(tcg_helper_out, "port=0x%x val=0x%x size=2", port, val);
    bql_lock();
    address_space_stw(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_out_done, tcg_helper_out, NULL);
}

__attribute__((noinline)) void helper_outl(CPUX86State *env, uint32_t port, uint32_t val)
{
    trace_event_begin(tcg_helper_out, "port=0x%x val=0x%x size=4", port, val);
    bql_lock();
    address_space_stl(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_out_done, tcg_helper_out, NULL);
}

__attribute__((noinline)) uint32_t helper_inb(CPUX86State *env, uint32_t port)
{
    trace_event_begin(tcg_helper_in, "port=0x%x size=1", port);
    bql_lock();
    uint32_t v = address_space_ldub(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_in_done, tcg_helper_in, "val=0x%x", v);
    return v;
}

__attribute__((noinline)) uint32_t helper_inw(CPUX86State *env, uint32_t port)
{
    trace_event_begin(tcg_helper_in, "port=0x%x size=2", port);
    bql_lock();
    uint32_t v = address_space_lduw(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_in_done, tcg_helper_in, "val=0x%x", v);
    return v;
}

__attribute__((noinline)) uint32_t helper_inl(CPUX86State *env, uint32_t port)
{
    trace_event_begin(tcg_helper_in, "port=0x%x size=4", port);
    bql_lock();
    uint32_t v = address_space_ldl(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    trace_event_end(tcg_helper_in_done, tcg_helper_in, "val=0x%x", v);
    return v;
}

/* SDM vol.1 19.5: the I/O permission bitmap, consulted when CPL > IOPL. */
void check_io_perm(TCGCPU *s, uint32_t port, int size)
{
    CPUX86State *env = s->env;
    int iopl = (env->eflags & IOPL_MASK) >> 12;

    if (G_UNLIKELY(s->bp_io)) {
        debug_check_io(s, port, size); /* a trap: the access still happens */
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (!(env->eflags & VM_MASK) && s->cpl <= iopl)) {
        return;
    }
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 15;
    if (!(env->tr.flags & DESC_P_MASK) || (type & 7) != 3 || !(type & 8) ||
        env->tr.limit < 103) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    int saved = s->mmu_idx;
    tcg_set_mmu_idx(s, MMU_KERNEL);
    uint32_t base = lin_lduw(s, env->tr.base + 0x66);
    uint32_t off = base + (port >> 3);
    if (off + 1 > env->tr.limit) {
        tcg_set_mmu_idx(s, saved);
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    uint32_t bits = lin_lduw(s, env->tr.base + off);
    tcg_set_mmu_idx(s, saved);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

/* CPUID: the vCPU's model, with the features the interpreter implements
 * (system/x86-cpuid.c). */
void helper_cpuid(TCGCPU *s)
{
    uint64_t *regs = s->env->regs;
    uint32_t r[4];

    x86_cpuid_query(&s->cpu->cpuid, s->cpu->apic_id, regs[R_EAX], regs[R_ECX], r);
    /* EDX.APIC: there is a local APIC device and IA32_APIC_BASE.EN is set */
    if (regs[R_EAX] == 1 && !(s->cpu->apic_ops && (s->env->apic_base & (1u << 11)))) {
        r[3] &= ~CPUID_APIC;
    }
    /* x2APIC and the TSC-deadline timer are the APIC device's. */
    if (regs[R_EAX] == 1 && !s->cpu->apic_ops) {
        r[2] &= ~(CPUID_EXT_X2APIC | CPUID_EXT_TSC_DEADLINE);
    }
    regs[R_EAX] = r[0];
    regs[R_EBX] = r[1];
    regs[R_ECX] = r[2];
    regs[R_EDX] = r[3];
}

/* A 1 GHz TSC on the virtual clock. */
uint64_t cpu_get_tsc(TCGCPU *s)
{
    return (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + s->tsc_offset;
}

void helper_rdtsc(TCGCPU *s)
{
    uint64_t t = cpu_get_tsc(s);

    if ((s->env->cr[4] & CR4_TSD_MASK) && s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0); /* CR4.TSD */
    }
    s->env->regs[R_EAX] = (uint32_t)t;
    s->env->regs[R_EDX] = t >> 32;
}

/* The CR4 bits the vCPU's features make writable (SDM vol.3 2.5). */
static uint64_t cr4_allowed(TCGCPU *s)
{
    static const struct { uint32_t bit; FeatureWord w; uint32_t feature; } cr4_bits[] = {
        { CR4_TSD_MASK, FEAT_1_EDX, CPUID_TSC },
        { CR4_DE_MASK, FEAT_1_EDX, CPUID_DE },
        { CR4_PSE_MASK, FEAT_1_EDX, CPUID_PSE },
        { CR4_PAE_MASK, FEAT_1_EDX, CPUID_PAE },
        { CR4_MCE_MASK, FEAT_1_EDX, CPUID_MCE },
        { CR4_PGE_MASK, FEAT_1_EDX, CPUID_PGE },
        { CR4_PCE_MASK, FEAT_1_EDX, 0 },
        { CR4_OSFXSR_MASK, FEAT_1_EDX, CPUID_FXSR },
        { CR4_OSXMMEXCPT_MASK, FEAT_1_EDX, CPUID_SSE },
        { CR4_UMIP_MASK, FEAT_7_0_ECX, CPUID_7_0_ECX_UMIP },
        { CR4_FSGSBASE_MASK, FEAT_7_0_EBX, CPUID_7_0_EBX_FSGSBASE },
        { CR4_PCIDE_MASK, FEAT_1_ECX, CPUID_EXT_PCID },
        { CR4_OSXSAVE_MASK, FEAT_1_ECX, CPUID_EXT_XSAVE },
        { CR4_SMEP_MASK, FEAT_7_0_EBX, CPUID_7_0_EBX_SMEP },
        { CR4_SMAP_MASK, FEAT_7_0_EBX, CPUID_7_0_EBX_SMAP },
    };
    uint64_t allowed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(cr4_bits); i++) {
        if (!cr4_bits[i].feature || cpu_has(s, cr4_bits[i].w, cr4_bits[i].feature)) {
            allowed |= cr4_bits[i].bit;
        }
    }
    return allowed;
}

/*
 * MOV to CRn (SDM vol.2 MOV CR; vol.3 2.5, 9.8.5 for IA-32e mode entry
 * and exit).  val is what the instruction supplies: 64 bits in 64-bit
 * mode, 32 bits elsewhere.
 */
void helper_write_crN(TCGCPU *s, int reg, uint64_t val)
{
    CPUX86State *env = s->env;
    bool lma = env->efer & MSR_EFER_LMA;

    switch (reg) {
    case 0: {
        uint64_t old = env->cr[0];
        if (val >> 32) {
            raise_exception_err(s, EXCP0D_GPF, 0); /* bits 63:32 are reserved */
        }
        val |= CR0_ET_MASK;
        if ((val & CR0_PG_MASK) && !(val & CR0_PE_MASK)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        if ((val & CR0_NW_MASK) && !(val & CR0_CD_MASK)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        if ((val & CR0_PG_MASK) && !(old & CR0_PG_MASK) && (env->efer & MSR_EFER_LME)) {
            /* Entering IA-32e mode: PAE must be on, and the code running
             * cannot already claim to be 64-bit. */
            if (!(env->cr[4] & CR4_PAE_MASK) || (env->segs[R_CS].flags & DESC_L_MASK)) {
                raise_exception_err(s, EXCP0D_GPF, 0);
            }
            env->efer |= MSR_EFER_LMA;
        } else if (!(val & CR0_PG_MASK) && (old & CR0_PG_MASK) && lma) {
            if (s->code64) {
                raise_exception_err(s, EXCP0D_GPF, 0); /* leave from compatibility mode */
            }
            env->efer &= ~(uint64_t)MSR_EFER_LMA;
        }
        if ((val ^ old) & (CR0_PG_MASK | CR0_WP_MASK | CR0_PE_MASK)) {
            tlb_flush(s);
        }
        env->cr[0] = val;
        tcg_update_hflags(s);
        break;
    }
    case 2:
        env->cr[2] = val;
        break;
    case 3:
        if (lma && (val & ~(uint64_t)0xfff & (~0ull << s->cpu->cpuid.phys_bits))) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        env->cr[3] = val;
        tlb_flush_nonglobal(s);
        break;
    case 4:
        if (val & ~cr4_allowed(s)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        if (lma && !(val & CR4_PAE_MASK)) {
            raise_exception_err(s, EXCP0D_GPF, 0); /* PAE stays on in IA-32e mode */
        }
        /* These change translations; a PGE change also drops global ones. */
        if ((val ^ env->cr[4]) & (CR4_PSE_MASK | CR4_PAE_MASK | CR4_PGE_MASK | CR4_SMEP_MASK)) {
            tlb_flush(s);
        }
        uint64_t old4 = env->cr[4];
        env->cr[4] = val;
        if ((val ^ old4) & CR4_DE_MASK) {
            tcg_debug_regs_changed(s); /* I/O breakpoints come and go */
        }
        break;
    case 8:
        if (val & ~0xfull) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        /* the TPR's priority class (SDM vol.3 10.8.6.1); the local APIC,
         * when the board has one, owns it and updates env->cr8 */
        if (s->cpu->apic_ops) {
            bql_lock();
            s->cpu->apic_ops->set_tpr(s->cpu->apic_opaque, val);
            bql_unlock();
        } else {
            env->cr8 = val;
        }
        break;
    default:
        raise_exception(s, EXCP06_ILLOP);
    }
}

/*
 * PAUSE (F3 90): to the CPU a hint that this is a spin-wait loop.  Under
 * thread=single the vCPU waited for may be on this very thread, so give
 * the thread to the next vCPU once this block ends (cpu_exec sees the
 * exit request).  With a thread per vCPU and more vCPUs than host CPUs,
 * let the host run another thread (perhaps the lock holder's); with
 * enough host CPUs it is a NOP.
 */
void op_pause(TCGCPU *s, const DecodedInsn *d)
{
    if (s->pause_action == TCG_PAUSE_EXIT) {
        __atomic_store_n(&s->cpu->exit_request, 1, __ATOMIC_RELAXED);
    } else if (s->pause_action == TCG_PAUSE_YIELD) {
        sched_yield();
    }
}
