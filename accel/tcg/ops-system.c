/*
 * System instructions: HLT, CLI/STI, IN/OUT, CPUID, RDTSC, RDMSR/WRMSR,
 * moves to and from control/debug registers, descriptor-table
 * instructions, INVLPG, CLFLUSH, the fences, LAR/LSL/VERR/VERW, and the
 * x87/SSE stand-ins.  SYSCALL and friends are in syscall_helper.c.
 */
#include "ops.h"
#include "qemu/log.h"

static inline bool protected_mode(TCGCPU *s)
{
    return (s->env->cr[0] & CR0_PE_MASK) && !(s->env->eflags & VM_MASK);
}

static inline void require_cpl0(TCGCPU *s)
{
    if (s->cpl != 0) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
}

static inline void require_pm(TCGCPU *s)
{
    if (!protected_mode(s)) {
        raise_exception(s, EXCP06_ILLOP);
    }
}

void op_gp0(TCGCPU *s, const DecodedInsn *d)
{
    raise_exception_err(s, EXCP0D_GPF, 0);
}

void op_hlt(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    s->env->eip = d->next_eip;
    s->env->halted = true; /* cpu_exec returns EXCP_HLT: the vCPU thread sleeps */
}

static bool iopl_allows(TCGCPU *s)
{
    int iopl = (s->env->eflags & IOPL_MASK) >> 12;

    if (!(s->env->cr[0] & CR0_PE_MASK)) {
        return true;
    }
    return (s->env->eflags & VM_MASK) ? iopl == 3 : s->cpl <= iopl;
}

void op_cli(TCGCPU *s, const DecodedInsn *d)
{
    if (!iopl_allows(s)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    s->env->eflags &= ~IF_MASK;
}

void op_sti(TCGCPU *s, const DecodedInsn *d)
{
    if (!iopl_allows(s)) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
    if (!(s->env->eflags & IF_MASK)) {
        s->inhibit_irq = true; /* SDM STI: one instruction of shadow */
    }
    s->env->eflags |= IF_MASK;
}

/* The device asked this vCPU to stop (a reset or shutdown request, a
 * kick): no further instruction of the block runs. */
static inline void io_end_block_if_exit(TCGCPU *s)
{
    if (__atomic_load_n(&s->cpu->exit_request, __ATOMIC_RELAXED)) {
        end_block(s);
    }
}

/* (decode.c folds REX.W's 64-bit size to 32 for port I/O) */
static void do_in(TCGCPU *s, const DecodedInsn *d, uint32_t port)
{
    check_io_perm(s, port, 1 << d->ot);
    switch (d->ot) {
    case MO_8: *reg8p(s, 0) = helper_inb(s->env, port); break;
    case MO_16: *reg16p(s, R_EAX) = helper_inw(s->env, port); break;
    default: s->env->regs[R_EAX] = helper_inl(s->env, port); break;
    }
    io_end_block_if_exit(s);
}

static void do_out(TCGCPU *s, const DecodedInsn *d, uint32_t port)
{
    uint32_t v = s->env->regs[R_EAX];

    check_io_perm(s, port, 1 << d->ot);
    switch (d->ot) {
    case MO_8: helper_outb(s->env, port, v & 0xff); break;
    case MO_16: helper_outw(s->env, port, v & 0xffff); break;
    default: helper_outl(s->env, port, v); break;
    }
    io_end_block_if_exit(s);
}

void op_in_I(TCGCPU *s, const DecodedInsn *d) { do_in(s, d, d->imm & 0xff); }
void op_out_I(TCGCPU *s, const DecodedInsn *d) { do_out(s, d, d->imm & 0xff); }
void op_in_DX(TCGCPU *s, const DecodedInsn *d) { do_in(s, d, s->env->regs[R_EDX] & 0xffff); }
void op_out_DX(TCGCPU *s, const DecodedInsn *d) { do_out(s, d, s->env->regs[R_EDX] & 0xffff); }

/* CPUID serializes (SDM vol.3 8.3): code another vCPU or DMA rewrote
 * before it is seen after it, even by the rest of this block (8.1.3). */
void op_cpuid(TCGCPU *s, const DecodedInsn *d)
{
    helper_cpuid(s);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    tb_process_ram_writes(s);
}
void op_rdtsc(TCGCPU *s, const DecodedInsn *d) { helper_rdtsc(s); }
void op_rdmsr(TCGCPU *s, const DecodedInsn *d) { helper_rdmsr(s); }
void op_wrmsr(TCGCPU *s, const DecodedInsn *d) { helper_wrmsr(s); }
void op_rdpmc(TCGCPU *s, const DecodedInsn *d) { raise_exception_err(s, EXCP0D_GPF, 0); }

void op_mov_r_cr(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;
    int cr = d->reg;
    uint64_t v;

    require_cpl0(s);
    switch (cr) {
    case 0: case 2: case 3: case 4: v = env->cr[cr]; break;
    case 8: v = env->cr8; break;
    default: raise_exception(s, EXCP06_ILLOP);
    }
    /* the operand is 64-bit in 64-bit mode, 32-bit elsewhere (SDM MOV CR) */
    set_reg(s, s->code64 ? MO_64 : MO_32, d->rm, v);
}

void op_mov_cr_r(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t v = s->env->regs[d->rm];

    require_cpl0(s);
    helper_write_crN(s, d->reg, s->code64 ? v : (uint32_t)v);
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD (SDM vol.3 17.2.2);
 * DR7.GD makes any MOV DR a #DB fault with DR6.BD, and clears itself so
 * that the handler may use the registers (17.2.4). */
static int debug_reg(TCGCPU *s, const DecodedInsn *d)
{
    CPUX86State *env = s->env;

    if (d->reg > 7 || ((d->reg == 4 || d->reg == 5) && (env->cr[4] & CR4_DE_MASK))) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (env->dr[7] & DR7_GD) {
        env->dr[6] |= DR6_BD;
        env->dr[7] &= ~(uint64_t)DR7_GD;
        raise_exception(s, EXCP01_DB);
    }
    return (d->reg == 4 || d->reg == 5) ? d->reg + 2 : d->reg;
}

void op_mov_r_dr(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    int dr = debug_reg(s, d);
    set_reg(s, s->code64 ? MO_64 : MO_32, d->rm, s->env->dr[dr]);
}

void op_mov_dr_r(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    int dr = debug_reg(s, d);
    uint64_t v = s->code64 ? s->env->regs[d->rm] : (uint32_t)s->env->regs[d->rm];
    if (dr >= 6 && (v >> 32)) {
        raise_exception_err(s, EXCP0D_GPF, 0); /* DR6/DR7 bits 63:32 are reserved */
    }
    if (dr == 6) {
        v = (v | DR6_FIXED) & ~0x1000ull;   /* reserved bits (figure 17-1) */
    } else if (dr == 7) {
        v = (v | 0x400) & ~0xd800ull;
    } else if (!s->code64) {
        v = (uint32_t)v;
    }
    s->env->dr[dr] = v;
    if (dr != 6) {
        tcg_debug_regs_changed(s);
    }
}

void op_clts(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    s->env->cr[0] &= ~(uint64_t)CR0_TS_MASK;
}

void op_invd(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
}

static void store_sel(TCGCPU *s, const DecodedInsn *d, uint32_t sel)
{
    if (d->mod3) {
        set_reg(s, d->ot, d->rm, sel);
    } else {
        lin_stw(s, insn_lin(s, d, 2, true), sel);
    }
}

void op_sldt(TCGCPU *s, const DecodedInsn *d) { require_pm(s); store_sel(s, d, s->env->ldt.selector); }
void op_str(TCGCPU *s, const DecodedInsn *d) { require_pm(s); store_sel(s, d, s->env->tr.selector); }

void op_lldt(TCGCPU *s, const DecodedInsn *d)
{
    require_pm(s);
    require_cpl0(s);
    helper_lldt(s, ld_E(s, d, MO_16));
}

void op_ltr(TCGCPU *s, const DecodedInsn *d)
{
    require_pm(s);
    require_cpl0(s);
    helper_ltr(s, ld_E(s, d, MO_16));
}

static void set_zf(TCGCPU *s, bool z)
{
    uint32_t f = cc_compute_all(s) & ~CC_Z;
    set_cc_flags(s, f | (z ? CC_Z : 0));
}

void op_verr(TCGCPU *s, const DecodedInsn *d)
{
    require_pm(s);
    set_zf(s, helper_verrw(s, ld_E(s, d, MO_16), false));
}

void op_verw(TCGCPU *s, const DecodedInsn *d)
{
    require_pm(s);
    set_zf(s, helper_verrw(s, ld_E(s, d, MO_16), true));
}

static void lar_lsl(TCGCPU *s, const DecodedInsn *d, bool lsl)
{
    uint32_t v;

    require_pm(s);
    bool ok = helper_lar_lsl(s, ld_E(s, d, MO_16), lsl, &v);
    if (ok) {
        set_reg(s, d->ot, d->reg, v);
    }
    set_zf(s, ok);
}

void op_lar(TCGCPU *s, const DecodedInsn *d) { lar_lsl(s, d, false); }
void op_lsl(TCGCPU *s, const DecodedInsn *d) { lar_lsl(s, d, true); }

/* SGDT/SIDT: limit and base, 6 bytes, or 10 in 64-bit mode. */
static void store_dtr(TCGCPU *s, const DecodedInsn *d, SegmentCache *dt)
{
    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t ea = insn_ea(s, d);
    uint64_t base_lin = seg_lin(s, d->seg, ea_mask(d->aflag, ea + 2), s->code64 ? 8 : 4, true);
    uint64_t limit_lin = seg_lin(s, d->seg, ea, 2, true);
    probe_write(s, limit_lin, 2);
    if (s->code64) {
        lin_stq(s, base_lin, dt->base);
    } else {
        lin_stl(s, base_lin, dt->base);
    }
    lin_stw(s, limit_lin, dt->limit);
}

static void load_dtr(TCGCPU *s, const DecodedInsn *d, SegmentCache *dt)
{
    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    require_cpl0(s);
    uint64_t ea = insn_ea(s, d);
    uint32_t limit = lin_lduw(s, seg_lin(s, d->seg, ea, 2, false));
    uint64_t base_lin = seg_lin(s, d->seg, ea_mask(d->aflag, ea + 2), s->code64 ? 8 : 4, false);
    uint64_t base;
    if (s->code64) {
        base = lin_ldq(s, base_lin);
        if (!is_canonical(base)) {
            raise_exception_err(s, EXCP0D_GPF, 0);
        }
    } else {
        base = lin_ldl(s, base_lin);
        if (d->ot == MO_16) {
            base &= 0xffffff;
        }
    }
    dt->limit = limit;
    dt->base = base;
}

void op_sgdt(TCGCPU *s, const DecodedInsn *d) { store_dtr(s, d, &s->env->gdt); }
void op_sidt(TCGCPU *s, const DecodedInsn *d) { store_dtr(s, d, &s->env->idt); }
void op_lgdt(TCGCPU *s, const DecodedInsn *d) { load_dtr(s, d, &s->env->gdt); }
void op_lidt(TCGCPU *s, const DecodedInsn *d) { load_dtr(s, d, &s->env->idt); }

void op_smsw(TCGCPU *s, const DecodedInsn *d)
{
    if (d->mod3) {
        set_reg(s, d->ot, d->rm, s->env->cr[0]);
    } else {
        lin_stw(s, insn_lin(s, d, 2, true), s->env->cr[0]);
    }
}

void op_lmsw(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    uint64_t v = ld_E(s, d, MO_16) & 0xf;
    uint64_t cr0 = s->env->cr[0];
    /* LMSW sets PE but never clears it */
    helper_write_crN(s, 0, (cr0 & ~0xeull) | v | (cr0 & CR0_PE_MASK));
}

void op_invlpg(TCGCPU *s, const DecodedInsn *d)
{
    require_cpl0(s);
    if (d->mod3) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t ea = insn_ea(s, d);
    if (s->code64) {
        /* no fault, not even for a non-canonical address */
        tlb_flush_page(s, (d->seg >= R_FS ? s->env->segs[d->seg].base : 0) + ea);
    } else {
        tlb_flush_page(s, (uint32_t)(s->env->segs[d->seg].base + ea));
    }
}

/* CLFLUSH: nothing is cached, but the address is checked as a byte read. */
void op_clflush(TCGCPU *s, const DecodedInsn *d)
{
    if (!cpu_has(s, FEAT_1_EDX, CPUID_CLFLUSH)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    lin_ldub(s, insn_lin(s, d, 1, false));
}

/* LFENCE, MFENCE (SSE2), SFENCE (SSE), which exist when their unit does.
 * Under x86-TSO only MFENCE orders anything the host could reorder (a
 * store before a later load, vol.3 8.2.2): a host full fence.  LFENCE and
 * SFENCE order nothing the interpreter's single host accesses on a TSO
 * host do not already keep in order. */
void op_fence(TCGCPU *s, const DecodedInsn *d)
{
    if (!cpu_has(s, FEAT_1_EDX, d->b == 7 ? CPUID_SSE : CPUID_SSE2)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    if (d->b == 6) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
}
