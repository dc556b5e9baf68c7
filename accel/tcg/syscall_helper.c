/*
 * Fast system calls and the other long-mode system instructions:
 * SYSCALL/SYSRET (SDM vol.2; APM vol.3, also from legacy and
 * compatibility mode as AMD defines them), SYSENTER/SYSEXIT (SDM vol.2,
 * including their IA-32e forms), SWAPGS, RDTSCP, RDPID and the FS/GS base
 * instructions.  The segments these
 * load are fixed flat descriptors, not read from the GDT.
 */
#include "ops.h"
#include "qemu/log.h"

#define CODE_TYPE (0xb << DESC_TYPE_SHIFT) /* execute/read, accessed */
#define DATA_TYPE (0x3 << DESC_TYPE_SHIFT) /* read/write, accessed */

/* A flat 4 GiB code segment: 64-bit (L) or 32-bit (D). */
static void load_flat_cs(TCGCPU *s, uint32_t sel, int dpl, bool l)
{
    uint32_t flags = DESC_P_MASK | DESC_S_MASK | DESC_G_MASK | CODE_TYPE |
                     (dpl << DESC_DPL_SHIFT) | (l ? DESC_L_MASK : DESC_B_MASK);

    cpu_x86_load_seg_cache(s, R_CS, sel, 0, 0xffffffff, flags);
}

static void load_flat_ss(TCGCPU *s, uint32_t sel, int dpl)
{
    uint32_t flags = DESC_P_MASK | DESC_S_MASK | DESC_G_MASK | DESC_B_MASK | DATA_TYPE |
                     (dpl << DESC_DPL_SHIFT);

    cpu_x86_load_seg_cache(s, R_SS, sel, 0, 0xffffffff, flags);
}

void op_syscall(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    uint32_t sel = (env->star >> 32) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (env->efer & MSR_EFER_LMA) {
        bool from64 = s->code64;
        uint32_t rflags = cpu_compute_eflags(s);
        env->regs[R_ECX] = d->next_eip;
        env->regs[11] = rflags;
        load_flat_cs(s, sel & 0xfffc, 0, true);
        load_flat_ss(s, (sel + 8) & 0xfffc, 0);
        cpu_load_eflags(s, 0, (uint32_t)env->fmask | RF_MASK);
        env->eip = from64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)d->next_eip;
        load_flat_cs(s, sel & 0xfffc, 0, false);
        load_flat_ss(s, (sel + 8) & 0xfffc, 0);
        env->eflags &= ~(uint64_t)(IF_MASK | RF_MASK | VM_MASK);
        env->eip = (uint32_t)env->star;
    }
}

void op_sysret(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    uint32_t sel = (env->star >> 48) & 0xffff;

    if (!(env->efer & MSR_EFER_SCE)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK) || s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (env->efer & MSR_EFER_LMA) {
        uint64_t rip = env->regs[R_ECX];
        if (d->ot == MO_64) {
            if (!is_canonical(rip)) {
                raise_exception_err(s, EXCP0D_GPF, 0); /* checked while still at CPL 0 */
            }
            load_flat_cs(s, (sel + 16) | 3, 3, true);
        } else {
            rip = (uint32_t)rip;
            load_flat_cs(s, sel | 3, 3, false);
        }
        load_flat_ss(s, (sel + 8) | 3, 3);
        cpu_load_eflags(s, (env->regs[11] & 0x3c7fd7) | 2, ~0u);
        env->eip = rip;
    } else {
        load_flat_cs(s, sel | 3, 3, false);
        load_flat_ss(s, (sel + 8) | 3, 3);
        env->eflags |= IF_MASK;
        env->eip = (uint32_t)env->regs[R_ECX];
    }
    tcg_update_hflags(s);
}

void op_sysenter(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    bool lma = env->efer & MSR_EFER_LMA;

    if (!cpu_has(s, FEAT_1_EDX, CPUID_SEP)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->sysenter_cs & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    env->eflags &= ~(uint64_t)(VM_MASK | IF_MASK | RF_MASK);
    load_flat_cs(s, env->sysenter_cs & 0xfffc, 0, lma);
    load_flat_ss(s, (env->sysenter_cs + 8) & 0xfffc, 0);
    env->regs[R_ESP] = lma ? env->sysenter_esp : (uint32_t)env->sysenter_esp;
    env->eip = lma ? env->sysenter_eip : (uint32_t)env->sysenter_eip;
}

void op_sysexit(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    uint32_t cs = env->sysenter_cs;

    if (!cpu_has(s, FEAT_1_EDX, CPUID_SEP)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK) || s->cpl != 0 ||
        (cs & 0xfffc) == 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (d->ot == MO_64) {
        if (!is_canonical(env->regs[R_EDX]) || !is_canonical(env->regs[R_ECX])) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
        load_flat_cs(s, ((cs + 32) & 0xfffc) | 3, 3, true);
        load_flat_ss(s, ((cs + 40) & 0xfffc) | 3, 3);
        env->regs[R_ESP] = env->regs[R_ECX];
        env->eip = env->regs[R_EDX];
    } else {
        load_flat_cs(s, ((cs + 16) & 0xfffc) | 3, 3, false);
        load_flat_ss(s, ((cs + 24) & 0xfffc) | 3, 3);
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->eip = (uint32_t)env->regs[R_EDX];
    }
}

void op_swapgs(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    uint64_t t;

    if (!s->code64) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernelgsbase;
    env->kernelgsbase = t;
    tcg_update_seg_flat(s, R_GS);
}

void op_rdtscp(TCGCPU *s, const DecodedInsn *d)
{
    if (!cpu_has(s, FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    helper_rdtsc(s);
    s->env->regs[R_ECX] = (uint32_t)s->env->tsc_aux;
}

/* RDPID (F3 0F C7 /7, mod = 3): TSC_AUX into a 64-bit (or, outside 64-bit
 * mode, 32-bit) register. */
void op_rdpid(TCGCPU *s, const DecodedInsn *d)
{
    if (!(d->prefix & PREFIX_REPZ) || !cpu_has(s, FEAT_7_0_ECX, CPUID_7_0_ECX_RDPID)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    set_reg(s, s->code64 ? MO_64 : MO_32, d->rm, (uint32_t)s->env->tsc_aux);
}

/* RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (F3 0F AE /0-/3, mod = 3): 64-bit
 * mode with CR4.FSGSBASE; a non-canonical base is #GP(0). */
void op_fsgsbase(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    int seg = (d->reg & 1) ? R_GS : R_FS;
    int ot = d->ot == MO_64 ? MO_64 : MO_32;

    if (!(d->prefix & PREFIX_REPZ) || !s->code64 || !(env->cr[4] & CR4_FSGSBASE_MASK) ||
        !cpu_has(s, FEAT_7_0_EBX, CPUID_7_0_EBX_FSGSBASE)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if ((d->reg & 7) < 2) {
        set_reg(s, ot, d->rm, env->segs[seg].base);
        return;
    }
    uint64_t v = get_reg(s, ot, d->rm);
    if (!is_canonical(v)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    env->segs[seg].base = v;
    tcg_update_seg_flat(s, seg);
}
