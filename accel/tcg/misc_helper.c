/*
 * Helpers with a QEMU name: port I/O (helper_outb -> address_space_stb on
 * the I/O address space, under the BQL), CPUID, RDTSC, RDMSR/WRMSR, and
 * control-register writes.
 */
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
    trace_event(tcg_helper_out, "port=0x%x val=0x%x size=1", port, val);
    bql_lock();
    address_space_stb(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
}

__attribute__((noinline)) void helper_outw(CPUX86State *env, uint32_t port, uint32_t val)
{
    trace_event(tcg_helper_out, "port=0x%x val=0x%x size=2", port, val);
    bql_lock();
    address_space_stw(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
}

__attribute__((noinline)) void helper_outl(CPUX86State *env, uint32_t port, uint32_t val)
{
    trace_event(tcg_helper_out, "port=0x%x val=0x%x size=4", port, val);
    bql_lock();
    address_space_stl(io_as(env), port, val, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
}

__attribute__((noinline)) uint32_t helper_inb(CPUX86State *env, uint32_t port)
{
    trace_event(tcg_helper_in, "port=0x%x size=1", port);
    bql_lock();
    uint32_t v = address_space_ldub(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    return v;
}

__attribute__((noinline)) uint32_t helper_inw(CPUX86State *env, uint32_t port)
{
    trace_event(tcg_helper_in, "port=0x%x size=2", port);
    bql_lock();
    uint32_t v = address_space_lduw(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    return v;
}

__attribute__((noinline)) uint32_t helper_inl(CPUX86State *env, uint32_t port)
{
    trace_event(tcg_helper_in, "port=0x%x size=4", port);
    bql_lock();
    uint32_t v = address_space_ldl(io_as(env), port, MEMTXATTRS_UNSPECIFIED, NULL);
    bql_unlock();
    return v;
}

/* SDM vol.1 19.5: the I/O permission bitmap, consulted when CPL > IOPL. */
void check_io_perm(TCGCPU *s, uint32_t port, int size)
{
    CPUX86State *env = s->env;
    int iopl = (env->eflags & IOPL_MASK) >> 12;

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

    x86_cpuid_query(&s->cpu->cpuid, s->cpu->cpu_index, regs[R_EAX], regs[R_ECX], r);
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

    if ((s->env->cr[4] & (1u << 2)) && s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0); /* CR4.TSD */
    }
    s->env->regs[R_EAX] = (uint32_t)t;
    s->env->regs[R_EDX] = t >> 32;
}

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FMASK 0xc0000084
#define MSR_FSBASE 0xc0000100
#define MSR_GSBASE 0xc0000101
#define MSR_KERNELGSBASE 0xc0000102

void helper_rdmsr(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint32_t msr = env->regs[R_ECX];
    uint64_t v;

    if (s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    switch (msr) {
    case MSR_IA32_TSC: v = cpu_get_tsc(s); break;
    case MSR_IA32_APICBASE: v = env->apic_base; break;
    case MSR_IA32_SYSENTER_CS: v = env->sysenter_cs; break;
    case MSR_IA32_SYSENTER_ESP: v = env->sysenter_esp; break;
    case MSR_IA32_SYSENTER_EIP: v = env->sysenter_eip; break;
    case MSR_PAT: v = env->pat; break;
    case MSR_EFER: v = env->efer; break;
    case MSR_STAR: v = env->star; break;
    case MSR_LSTAR: v = env->lstar; break;
    case MSR_CSTAR: v = env->cstar; break;
    case MSR_FMASK: v = env->fmask; break;
    case MSR_FSBASE: v = env->segs[R_FS].base; break;
    case MSR_GSBASE: v = env->segs[R_GS].base; break;
    case MSR_KERNELGSBASE: v = env->kernelgsbase; break;
    default:
        qemu_log_mask(LOG_UNIMP, "tcg: rdmsr 0x%x not modelled: #GP\n", msr);
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

void helper_wrmsr(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint32_t msr = env->regs[R_ECX];
    uint64_t v = (uint32_t)env->regs[R_EAX] | (env->regs[R_EDX] << 32);

    if (s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    switch (msr) {
    case MSR_IA32_TSC: s->tsc_offset = v - (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL); break;
    case MSR_IA32_APICBASE: env->apic_base = v; break;
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = v; break;
    case MSR_IA32_SYSENTER_ESP: env->sysenter_esp = v; break;
    case MSR_IA32_SYSENTER_EIP: env->sysenter_eip = v; break;
    case MSR_PAT: env->pat = v; break;
    case MSR_EFER:
        if (v & ~(uint64_t)(MSR_EFER_SCE | MSR_EFER_LME | MSR_EFER_NXE | MSR_EFER_LMA)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        env->efer = (env->efer & MSR_EFER_LMA) | (v & ~(uint64_t)MSR_EFER_LMA);
        tlb_flush(s);
        break;
    case MSR_STAR: env->star = v; break;
    case MSR_LSTAR: env->lstar = v; break;
    case MSR_CSTAR: env->cstar = v; break;
    case MSR_FMASK: env->fmask = v; break;
    case MSR_FSBASE: env->segs[R_FS].base = v; tcg_update_seg_flat(s, R_FS); break;
    case MSR_GSBASE: env->segs[R_GS].base = v; tcg_update_seg_flat(s, R_GS); break;
    case MSR_KERNELGSBASE: env->kernelgsbase = v; break;
    default:
        qemu_log_mask(LOG_UNIMP, "tcg: wrmsr 0x%x not modelled: #GP\n", msr);
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

#define CR4_ALLOWED ((1u << 2) | (1u << 3) | CR4_PSE_MASK | CR4_PAE_MASK | (1u << 6) | \
                     CR4_PGE_MASK | (1u << 8))

void helper_write_crN(TCGCPU *s, int reg, uint64_t val)
{
    CPUX86State *env = s->env;

    switch (reg) {
    case 0:
        val = (uint32_t)val | CR0_ET_MASK;
        if ((val & CR0_PG_MASK) && !(val & CR0_PE_MASK)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        if ((val & CR0_NW_MASK) && !(val & CR0_CD_MASK)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        /* Long mode activates with paging when LME is set (SDM vol.3 9.8.5). */
        if ((val & CR0_PG_MASK) && !(env->cr[0] & CR0_PG_MASK) && (env->efer & MSR_EFER_LME)) {
            if (!(env->cr[4] & CR4_PAE_MASK)) {
                raise_exception_err(s, EXCP0D_GPF, 0);
            }
            env->efer |= MSR_EFER_LMA;
        } else if (!(val & CR0_PG_MASK)) {
            env->efer &= ~(uint64_t)MSR_EFER_LMA;
        }
        if ((val ^ env->cr[0]) & (CR0_PG_MASK | CR0_WP_MASK | CR0_PE_MASK)) {
            tlb_flush(s);
        }
        env->cr[0] = val;
        tcg_update_hflags(s);
        break;
    case 2:
        env->cr[2] = val;
        break;
    case 3:
        env->cr[3] = (env->efer & MSR_EFER_LMA) ? val : (uint32_t)val;
        tlb_flush(s);
        break;
    case 4:
        if (val & ~(uint64_t)CR4_ALLOWED) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        if ((val ^ env->cr[4]) & (CR4_PSE_MASK | CR4_PAE_MASK | CR4_PGE_MASK)) {
            tlb_flush(s);
        }
        env->cr[4] = val;
        break;
    case 8:
        env->cr8 = val & 0xf;
        break;
    default:
        raise_exception(s, EXCP06_ILLOP);
    }
}
