/*
 * Locked read-modify-writes (SDM vol.2 "LOCK"; vol.3 8.1.2): ADD, ADC,
 * SUB, SBB, AND, OR, XOR, NOT, NEG, INC, DEC, BTS, BTR, BTC, XADD,
 * CMPXCHG, CMPXCHG8B and CMPXCHG16B with a LOCK prefix, and XCHG with a
 * memory operand (locked without one).  The decoder sends only those here
 * (decode.c: OpEntry.hlock), always with a memory destination.
 *
 * When the operand is guest RAM within one page, the host does the
 * operation on the TLB's host pointer: a seq-cst compare-and-swap loop
 * (LOCK CMPXCHG16B for 16 bytes), which on an x86 host is a locked
 * instruction and so also the full barrier that x86-TSO gives locked
 * instructions (vol.3 8.2.2).  A naturally aligned operand is swapped as
 * itself, a misaligned one inside an aligned 8-byte word through that
 * word.  The rest (MMIO, an operand crossing a page or an 8-byte word)
 * runs in an exclusive section, every other vCPU stopped at a block
 * boundary (QEMU's cpu_exec_step_atomic idea), through the ordinary
 * ld/st paths.  Flags come from the old value, as the unlocked handlers
 * compute them.
 */
#include "ops.h"

enum {
    /* 0..6: the ALU ops in ModRM.reg order (add or adc sbb and sub xor) */
    LK_INC = 8, LK_DEC, LK_NOT, LK_NEG, LK_XCHG, LK_XADD, LK_CMPXCHG,
    LK_BTS, LK_BTR, LK_BTC,
};

typedef struct RMW {
    int op;
    uint64_t src;   /* register, immediate or bit mask */
    uint64_t src2;  /* carry in (ADC, SBB), CMPXCHG's accumulator */
} RMW;

static inline uint64_t rmw_apply(const RMW *r, int ot, uint64_t old)
{
    switch (r->op) {
    case 0: return old + r->src;
    case 1: return old | r->src;
    case 2: return old + r->src + r->src2;
    case 3: return old - r->src - r->src2;
    case 4: return old & r->src;
    case 5: return old - r->src;
    case 6: return old ^ r->src;
    case LK_INC: return old + 1;
    case LK_DEC: return old - 1;
    case LK_NOT: return ~old;
    case LK_NEG: return -old;
    case LK_XCHG: return r->src;
    case LK_XADD: return old + r->src;
    case LK_CMPXCHG: return ((old ^ r->src2) & size_mask(ot)) == 0 ? r->src : old;
    case LK_BTS: return old | r->src;
    case LK_BTR: return old & ~r->src;
    default: return old ^ r->src; /* LK_BTC */
    }
}

/* ---- the host side ---- */

/* A host CAS can do it: naturally aligned, or inside one aligned 8-byte word. */
static inline bool host_atomic_ok(const void *p, int size)
{
    uintptr_t a = (uintptr_t)p;
    return (a & (size - 1)) == 0 || (a & 7) + size <= 8;
}

static inline uint64_t host_peek(const void *p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

#define CAS_N(type)                                                                    \
    do {                                                                               \
        type e = *old;                                                                 \
        bool ok = __atomic_compare_exchange_n((type *)p, &e, (type)val, false,         \
                                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);     \
        *old = e;                                                                      \
        return ok;                                                                     \
    } while (0)

/* *p from *old to val if it still holds *old; otherwise *old = what it holds. */
static bool host_cas(void *p, int size, uint64_t *old, uint64_t val)
{
    uintptr_t a = (uintptr_t)p;

    if (G_LIKELY((a & (size - 1)) == 0)) {
        switch (size) {
        case 1: CAS_N(uint8_t);
        case 2: CAS_N(uint16_t);
        case 4: CAS_N(uint32_t);
        default: CAS_N(uint64_t);
        }
    }
    /* misaligned inside an aligned 8-byte word: swap the word */
    uint64_t *w = (uint64_t *)(a & ~(uintptr_t)7);
    unsigned sh = (a & 7) * 8;
    uint64_t m = size_mask(__builtin_ctz(size)) << sh;
    uint64_t cur = __atomic_load_n(w, __ATOMIC_RELAXED);

    for (;;) {
        if (((cur & m) >> sh) != *old) {
            *old = (cur & m) >> sh;
            return false;
        }
        if (__atomic_compare_exchange_n(w, &cur, (cur & ~m) | ((val << sh) & m), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            return true;
        }
    }
}

/*
 * The exclusive section: the operand is read and written through the
 * ordinary paths (MMIO dispatch, byte-wise page crossing) while no other
 * vCPU runs.  Write faults are taken before it starts; one that comes
 * anyway (the page tables changed meanwhile) ends the section first.
 */
typedef void (*ExclusiveFn)(TCGCPU *s, void *opaque);

static void run_exclusive(TCGCPU *s, ExclusiveFn fn, void *opaque)
{
    sigjmp_buf saved;

    memcpy(saved, s->jmp_env, sizeof(saved));
    start_exclusive(s);
    if (sigsetjmp(s->jmp_env, 0)) {
        end_exclusive(s);
        memcpy(s->jmp_env, saved, sizeof(saved));
        siglongjmp(s->jmp_env, 1);
    }
    fn(s, opaque);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    end_exclusive(s);
    memcpy(s->jmp_env, saved, sizeof(saved));
}

typedef struct ExclRMW {
    const RMW *r;
    uint64_t lin, old;
    int ot;
} ExclRMW;

static void excl_rmw(TCGCPU *s, void *opaque)
{
    ExclRMW *x = opaque;

    x->old = lin_ld(s, x->ot, x->lin);
    lin_st(s, x->ot, x->lin, rmw_apply(x->r, x->ot, x->old));
}

static uint64_t __attribute__((noinline)) locked_rmw_slow(TCGCPU *s, uint64_t lin, int ot,
                                                          const RMW *r)
{
    int size = 1 << ot;
    bool code;
    void *p = tlb_rmw_host(s, lin, size, &code);

    if (p && host_atomic_ok(p, size)) {
        uint64_t old = host_peek(p, size);
        while (!host_cas(p, size, &old, rmw_apply(r, ot, old) & size_mask(ot))) {
        }
        if (code) {
            tb_invalidate_phys_write(s, p, size);
        }
        return old;
    }
    ExclRMW x = { r, lin, 0, ot };
    probe_write(s, lin, size);
    run_exclusive(s, excl_rmw, &x);
    return x.old;
}

/* Atomically replaces the ot-sized operand at lin by rmw_apply(old); returns old. */
static inline uint64_t locked_rmw(TCGCPU *s, uint64_t lin, int ot, const RMW *r)
{
    int size = 1 << ot;
    void *p = lin_rmw_ptr(s, lin, size);

    if (G_LIKELY(p && host_atomic_ok(p, size))) {
        uint64_t old = host_peek(p, size);
        while (!host_cas(p, size, &old, rmw_apply(r, ot, old) & size_mask(ot))) {
        }
        return old;
    }
    return locked_rmw_slow(s, lin, ot, r);
}

/* ---- handlers ---- */

static uint64_t lock_lin(TCGCPU *s, const DecodedInsn *d)
{
    return insn_lin(s, d, 1 << d->ot, true);
}

static void lock_alu(TCGCPU *s, const DecodedInsn *d, uint64_t src)
{
    int ot = d->ot;
    uint64_t lin = lock_lin(s, d);
    RMW r = { d->b, src & size_mask(ot), 0 };

    if (d->b == 2 || d->b == 3) {
        r.src2 = cc_compute_c(s);
    }
    uint64_t old = locked_rmw(s, lin, ot, &r);
    alu_compute(s, d->b, ot, old, r.src); /* the flags, from the same inputs */
}

void op_lock_alu_EG(TCGCPU *s, const DecodedInsn *d)
{
    lock_alu(s, d, get_reg(s, d->ot, d->reg));
}

void op_lock_alu_EI(TCGCPU *s, const DecodedInsn *d)
{
    lock_alu(s, d, d->imm);
}

static void lock_incdec(TCGCPU *s, const DecodedInsn *d, int op)
{
    int ot = d->ot;
    uint64_t lin = lock_lin(s, d);
    RMW r = { op, 0, 0 };
    uint64_t old = locked_rmw(s, lin, ot, &r);
    uint32_t cf = cc_compute_c(s) ? CC_C : 0; /* INC/DEC keep CF */

    set_cc(s, (op == LK_INC ? CC_OP_INC : CC_OP_DEC) + ot, rmw_apply(&r, ot, old), cf);
}

void op_lock_inc(TCGCPU *s, const DecodedInsn *d) { lock_incdec(s, d, LK_INC); }
void op_lock_dec(TCGCPU *s, const DecodedInsn *d) { lock_incdec(s, d, LK_DEC); }

void op_lock_not(TCGCPU *s, const DecodedInsn *d)
{
    RMW r = { LK_NOT, 0, 0 };
    locked_rmw(s, lock_lin(s, d), d->ot, &r);
}

void op_lock_neg(TCGCPU *s, const DecodedInsn *d)
{
    RMW r = { LK_NEG, 0, 0 };
    uint64_t old = locked_rmw(s, lock_lin(s, d), d->ot, &r);
    set_cc(s, CC_OP_SUB + d->ot, -old, old);
}

void op_lock_xchg(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    RMW r = { LK_XCHG, get_reg(s, ot, d->reg), 0 };
    uint64_t old = locked_rmw(s, lock_lin(s, d), ot, &r);
    set_reg(s, ot, d->reg, old);
}

void op_lock_xadd(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    RMW r = { LK_XADD, get_reg(s, ot, d->reg), 0 };
    uint64_t old = locked_rmw(s, lock_lin(s, d), ot, &r);
    set_reg(s, ot, d->reg, old);
    set_cc(s, CC_OP_ADD + ot, old + r.src, r.src);
}

void op_lock_cmpxchg(TCGCPU *s, const DecodedInsn *d)
{
    int ot = d->ot;
    uint64_t lin = lock_lin(s, d);
    uint64_t acc = get_reg(s, ot, 0);
    RMW r = { LK_CMPXCHG, get_reg(s, ot, d->reg), acc };
    uint64_t old = locked_rmw(s, lin, ot, &r);

    if (((acc ^ old) & size_mask(ot)) != 0) {
        set_reg(s, ot, 0, old);
    }
    set_cc(s, CC_OP_SUB + ot, acc - old, old);
}

/* BTS/BTR/BTC m, r (the signed bit offset may leave the operand) and m, imm8 */
static void lock_bt(TCGCPU *s, const DecodedInsn *d, int64_t bitoff, bool from_reg)
{
    int ot = d->ot, bits = 8 << ot;
    uint64_t ea = insn_ea(s, d);

    if (from_reg) {
        ea = ea_mask(d->aflag, ea + ((uint64_t)(bitoff >> (3 + ot)) << ot));
    }
    unsigned bit = bitoff & (bits - 1);
    uint64_t lin = seg_lin(s, d->seg, ea, 1 << ot, true);
    RMW r = { LK_BTS + d->b - 1, 1ull << bit, 0 };
    uint64_t old = locked_rmw(s, lin, ot, &r);
    uint32_t f = cc_compute_all(s) & ~CC_C;

    set_cc_flags(s, f | (((old >> bit) & 1) ? CC_C : 0));
}

void op_lock_bt_EG(TCGCPU *s, const DecodedInsn *d)
{
    lock_bt(s, d, sext(d->ot, get_reg(s, d->ot, d->reg)), true);
}

void op_lock_bt_EI(TCGCPU *s, const DecodedInsn *d)
{
    lock_bt(s, d, d->imm & 0xff, false);
}

/* ---- CMPXCHG8B / CMPXCHG16B ---- */

typedef struct Excl16 {
    uint64_t lin;
    uint64_t *regs;
    bool eq;
} Excl16;

static void excl_cmpxchg16b(TCGCPU *s, void *opaque)
{
    Excl16 *x = opaque;
    uint64_t lo = lin_ldq(s, x->lin), hi = lin_ldq(s, x->lin + 8);

    x->eq = lo == x->regs[R_EAX] && hi == x->regs[R_EDX];
    if (x->eq) {
        lin_stq(s, x->lin, x->regs[R_EBX]);
        lin_stq(s, x->lin + 8, x->regs[R_ECX]);
    } else {
        lin_stq(s, x->lin, lo);
        lin_stq(s, x->lin + 8, hi);
        x->regs[R_EAX] = lo;
        x->regs[R_EDX] = hi;
    }
}

#if defined(__x86_64__)
/* The host's own LOCK CMPXCHG16B (on other hosts the exclusive section
 * does it). */
static bool host_cas16(void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
    bool ok;

    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(ok), "+m"(*(unsigned __int128 *)p), "+a"(*lo), "+d"(*hi)
                     : "b"(nlo), "c"(nhi)
                     : "memory");
    return ok;
}
#endif

static bool lock_cmpxchg16b(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;

    if (!cpu_has(s, FEAT_1_ECX, CPUID_EXT_CX16)) {
        raise_exception(s, EXCP06_ILLOP);
    }
    uint64_t lin = insn_lin(s, d, 16, true);
    if (lin & 15) {
        raise_exception_err(s, EXCP0D_GPF, 0);
    }
#if defined(__x86_64__)
    bool code = false;
    void *p = lin_rmw_ptr(s, lin, 16);
    if (!p) {
        p = tlb_rmw_host(s, lin, 16, &code);
    }
    if (p) {
        uint64_t lo = regs[R_EAX], hi = regs[R_EDX];
        bool eq = host_cas16(p, &lo, &hi, regs[R_EBX], regs[R_ECX]);
        if (code) {
            tb_invalidate_phys_write(s, p, 16);
        }
        regs[R_EAX] = lo; /* unchanged when equal */
        regs[R_EDX] = hi;
        return eq;
    }
#endif
    Excl16 x = { lin, regs, false };
    probe_write(s, lin, 16);
    run_exclusive(s, excl_cmpxchg16b, &x);
    return x.eq;
}

void op_lock_cmpxchg8b(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t *regs = s->env->regs;
    uint32_t f = cc_compute_all(s) & ~CC_Z;
    bool eq;

    if (d->ot == MO_64) {
        eq = lock_cmpxchg16b(s, d);
    } else {
        uint64_t lin = insn_lin(s, d, 8, true);
        uint64_t cmp = (uint32_t)regs[R_EAX] | (regs[R_EDX] << 32);
        RMW r = { LK_CMPXCHG, (uint32_t)regs[R_EBX] | (regs[R_ECX] << 32), cmp };
        uint64_t old = locked_rmw(s, lin, MO_64, &r);
        eq = old == cmp;
        if (!eq) {
            regs[R_EAX] = (uint32_t)old;
            regs[R_EDX] = old >> 32;
        }
    }
    set_cc_flags(s, f | (eq ? CC_Z : 0));
}
