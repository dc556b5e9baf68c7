/*
 * The x86 CPU's power-on state and its register dump: shared by both
 * accelerators, which only differ in how they run the state.
 */
#include <inttypes.h>
#include <string.h>

#include "exec/cpu.h"
#include "qemu/log.h"

#define DESC_TYPE_DATA_RW_ACCESSED 0x3
#define DESC_TYPE_CODE_RX_ACCESSED 0xb
#define DESC_TYPE_LDT              0x2
#define DESC_TYPE_TSS_BUSY         0xb

static void set_seg(SegmentCache *seg, uint32_t selector, uint64_t base, uint32_t limit,
                    uint32_t flags)
{
    seg->selector = selector;
    seg->base = base;
    seg->limit = limit;
    seg->flags = flags;
}

/* FCW 037FH, everything else clear, all registers empty; MXCSR 1F80H.
 * Table 9-1 gives FCW 0040H for power-up, but QEMU and KVM start from
 * FNINIT's state, and guests FNINIT before use anyway. */
void x86_fpu_reset(X86FPUState *fpu)
{
    memset(fpu, 0, sizeof(*fpu));
    fpu->fcw = 0x37f;
    fpu->mxcsr = 0x1f80;
}

/* SDM vol.3 9.1.1, table 9-1: the state after power-up or RESET. */
static void x86_cpu_reset_env(CPUState *cpu)
{
    CPUX86State *env = &cpu->env;
    const uint32_t data = DESC_P_MASK | DESC_S_MASK |
                          (DESC_TYPE_DATA_RW_ACCESSED << DESC_TYPE_SHIFT);
    const uint32_t code = DESC_P_MASK | DESC_S_MASK |
                          (DESC_TYPE_CODE_RX_ACCESSED << DESC_TYPE_SHIFT);

    memset(env, 0, sizeof(*env));
    env->eflags = 0x2; /* bit 1 is reserved, always set */
    env->eip = 0xfff0;
    /* EDX holds the processor signature, CPUID.01H:EAX (SDM vol.3 9.1.4). */
    env->regs[R_EDX] = x86_cpuid_signature(cpu->cpuid.model ? cpu->cpuid.model
                                                             : x86_cpu_model_default());

    set_seg(&env->segs[R_CS], 0xf000, 0xffff0000, 0xffff, code);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            set_seg(&env->segs[i], 0, 0, 0xffff, data);
        }
    }
    set_seg(&env->ldt, 0, 0, 0xffff, DESC_P_MASK | (DESC_TYPE_LDT << DESC_TYPE_SHIFT));
    set_seg(&env->tr, 0, 0, 0xffff, DESC_P_MASK | (DESC_TYPE_TSS_BUSY << DESC_TYPE_SHIFT));
    env->gdt.limit = 0xffff;
    env->idt.limit = 0xffff;

    env->cr[0] = CR0_CD_MASK | CR0_NW_MASK | CR0_ET_MASK;
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x400;
    /* Local APIC enabled at its default base; BSP flag on CPU 0 only
     * (SDM vol.3 8.4.1: the others are APs). */
    env->apic_base = 0xfee00000 | (1 << 11) | (cpu->cpu_index == 0 ? (1 << 8) : 0);
    env->pat = 0x0007040600070406ULL; /* SDM vol.3 11.12.4: power-up PAT */
    /* fast strings; no branch trace store, no PEBS (SDM vol.4 table 2-2) */
    env->misc_enable = (1u << 0) | (1u << 11) | (1u << 12);
    env->a20_mask = ~0ull;
    env->halted = cpu->cpu_index != 0;
    /* atomic: other vCPUs' APICs read it to drop a SIPI (apic_accept) */
    __atomic_store_n(&env->wait_for_sipi, cpu->cpu_index != 0, __ATOMIC_SEQ_CST);
    x86_fpu_reset(&env->fpu);
}

void x86_cpu_reset(CPUState *cpu)
{
    x86_cpu_reset_env(cpu);
    __atomic_store_n(&cpu->interrupt_request, 0, __ATOMIC_SEQ_CST);
    cpu->vcpu_dirty = true;

    if (qemu_loglevel_mask(CPU_LOG_RESET)) {
        qemu_log("CPU Reset (CPU %d)\n", cpu->cpu_index);
        x86_cpu_dump_state(cpu, qemu_log_file());
    }
}

void x86_cpu_init_reset(CPUState *cpu)
{
    CPUX86State *env = &cpu->env;
    CPUX86State *old = g_new(CPUX86State, 1);

    *old = *env;

    x86_cpu_reset_env(cpu);
    /* Table 9-1, INIT column: x87, MMX, XMM and MXCSR unchanged; the
     * MTRRs, machine-check state, TSC and "all other MSRs" unchanged.
     * EFER and the debug registers take their reset values. */
    env->fpu = old->fpu;
    env->star = old->star;
    env->lstar = old->lstar;
    env->cstar = old->cstar;
    env->fmask = old->fmask;
    env->kernelgsbase = old->kernelgsbase;
    env->sysenter_cs = old->sysenter_cs;
    env->sysenter_esp = old->sysenter_esp;
    env->sysenter_eip = old->sysenter_eip;
    env->tsc = old->tsc;
    env->tsc_aux = old->tsc_aux;
    env->apic_base = old->apic_base;
    env->pat = old->pat;
    env->misc_enable = old->misc_enable;
    env->mcg_status = old->mcg_status;
    env->mtrr_deftype = old->mtrr_deftype;
    memcpy(env->mtrr_var, old->mtrr_var, sizeof(env->mtrr_var));
    memcpy(env->mtrr_fixed, old->mtrr_fixed, sizeof(env->mtrr_fixed));
    env->amd_syscfg = old->amd_syscfg;
    env->amd_hwcr = old->amd_hwcr;
    env->amd_top_mem = old->amd_top_mem;
    env->amd_top_mem2 = old->amd_top_mem2;
    /* A20M# is the chipset's, not the CPU's. */
    env->a20_mask = old->a20_mask;
    /* Table 9-1 note 2: after INIT, CR0.CD and NW are unchanged. */
    env->cr[0] = (env->cr[0] & ~(uint64_t)(CR0_CD_MASK | CR0_NW_MASK)) |
                 (old->cr[0] & (CR0_CD_MASK | CR0_NW_MASK));
    g_free(old);

    /* Pending NMIs and interrupts are gone with the INIT; a SIPI that
     * came after it (before this thread got here) still starts the AP. */
    __atomic_fetch_and(&cpu->interrupt_request, CPU_INTERRUPT_SIPI, __ATOMIC_SEQ_CST);
    if (cpu->apic_ops && cpu->apic_ops->init_reset) {
        cpu->apic_ops->init_reset(cpu->apic_opaque);
    }
    cpu->vcpu_dirty = true;

    if (qemu_loglevel_mask(CPU_LOG_RESET)) {
        qemu_log("CPU INIT (CPU %d)\n", cpu->cpu_index);
        x86_cpu_dump_state(cpu, qemu_log_file());
    }
}

void x86_cpu_sipi_start(CPUState *cpu, uint8_t vector)
{
    CPUX86State *env = &cpu->env;

    /* SDM vol.3 8.4.4.1 / 10.6.1 "Start-Up": the vector is the 4 KiB page
     * the AP starts at, in real mode, CS = VV00H, IP = 0; the rest of CS
     * (limit, attributes) stays as INIT left it. */
    env->segs[R_CS].selector = (uint32_t)vector << 8;
    env->segs[R_CS].base = (uint64_t)vector << 12;
    env->eip = 0;
    __atomic_store_n(&env->wait_for_sipi, false, __ATOMIC_SEQ_CST);
    env->halted = false;
    cpu->vcpu_dirty = true;
}

static bool cpu_in_long_mode(const CPUX86State *env)
{
    return (env->efer & MSR_EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK);
}

static void dump_seg(FILE *f, const char *name, const SegmentCache *seg, bool wide)
{
    if (wide) {
        fprintf(f, "%-3s=%04x %016" PRIx64 " %08x %08x\n", name, seg->selector, seg->base,
                seg->limit, seg->flags);
    } else {
        fprintf(f, "%-3s=%04x %08" PRIx64 " %08x %08x\n", name, seg->selector, seg->base,
                seg->limit, seg->flags);
    }
}

static void dump_eflags(FILE *f, uint64_t eflags)
{
    static const struct { uint32_t mask; char name; } bits[] = {
        { DF_MASK, 'D' }, { CC_O, 'O' }, { CC_S, 'S' }, { CC_Z, 'Z' },
        { CC_A, 'A' },    { CC_P, 'P' }, { CC_C, 'C' },
    };
    fputc('[', f);
    for (size_t i = 0; i < G_N_ELEMENTS(bits); i++) {
        fputc(eflags & bits[i].mask ? bits[i].name : '-', f);
    }
    fputc(']', f);
}

void x86_cpu_dump_state(CPUState *cpu, FILE *f)
{
    static const char *const seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    static const char *const reg_names[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    };
    const CPUX86State *env = &cpu->env;
    bool wide = cpu_in_long_mode(env);
    unsigned cpl = (env->segs[R_CS].flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;

    if (wide) {
        for (int i = 0; i < 16; i++) {
            fprintf(f, "%-3s=%016" PRIx64 "%s", reg_names[i], env->regs[i],
                    i % 4 == 3 ? "\n" : " ");
        }
        fprintf(f, "RIP=%016" PRIx64 " RFL=%08" PRIx64 " ", env->eip, env->eflags);
    } else {
        fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n",
                (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_EBX],
                (uint32_t)env->regs[R_ECX], (uint32_t)env->regs[R_EDX]);
        fprintf(f, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n",
                (uint32_t)env->regs[R_ESI], (uint32_t)env->regs[R_EDI],
                (uint32_t)env->regs[R_EBP], (uint32_t)env->regs[R_ESP]);
        fprintf(f, "EIP=%08x EFL=%08x ", (uint32_t)env->eip, (uint32_t)env->eflags);
    }
    dump_eflags(f, env->eflags);
    fprintf(f, " CPL=%u A20=%d HLT=%d\n", cpl, (int)((env->a20_mask >> 20) & 1), env->halted);

    for (int i = 0; i < 6; i++) {
        dump_seg(f, seg_names[i], &env->segs[i], wide);
    }
    dump_seg(f, "LDT", &env->ldt, wide);
    dump_seg(f, "TR", &env->tr, wide);
    fprintf(f, "GDT=     %08" PRIx64 " %08x\n", env->gdt.base, env->gdt.limit);
    fprintf(f, "IDT=     %08" PRIx64 " %08x\n", env->idt.base, env->idt.limit);
    fprintf(f, "CR0=%08x CR2=%08" PRIx64 " CR3=%08" PRIx64 " CR4=%08x\n",
            (uint32_t)env->cr[0], env->cr[2], env->cr[3], (uint32_t)env->cr[4]);
    fprintf(f, "DR6=%08" PRIx64 " DR7=%08" PRIx64 "\n", env->dr[6], env->dr[7]);
    fprintf(f, "EFER=%016" PRIx64 "\n", env->efer);
}
