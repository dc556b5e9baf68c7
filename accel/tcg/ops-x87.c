/*
 * x87 instructions (SDM vol.1 chapter 8, vol.2 F*).  Arithmetic goes
 * through op_x87: the interpreter checks the register stack (underflow,
 * overflow: SDM vol.1 8.5.1.1), the host executes the instruction on the
 * two operands (x87-host.c), and the host's stack movement, results,
 * condition codes and exception flags are mirrored onto the guest's
 * stack.  Moves between registers and the control instructions need no
 * host arithmetic and are done here.
 */
#include "fpu_helper.h"
#include "x87-host.h"

static void reg_to_host(uint8_t dst[16], const X86FPReg *r)
{
    memcpy(dst, &r->mant, 8);
    memcpy(dst + 8, &r->sign_exp, 2);
}

static X86FPReg host_to_reg(const uint8_t src[10])
{
    X86FPReg r = { 0 };
    memcpy(&r.mant, src, 8);
    memcpy(&r.sign_exp, src + 8, 2);
    return r;
}

/* IE + SF, C1 = 1 for overflow, 0 for underflow.  True if IE is masked,
 * i.e. the instruction goes on with the masked response. */
static bool stack_fault(X86FPUState *f, bool overflow)
{
    f->fsw = (f->fsw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0);
    fpu_update_es(f);
    return f->fcw & FSW_IE;
}

static inline void set_st(X86FPUState *f, int i, const X86FPReg *v)
{
    *fpu_st(f, i) = *v;
    fpu_set_valid(f, i);
}

void op_x87(TCGCPU *s, const DecodedInsn *d)
{
    const X87Desc *x = (const X87Desc *)(uintptr_t)d->imm;
    X86FPUState *f = fpu_state(s);
    HostX87 h = { .cw = f->fcw, .sw = f->fsw };
    int i1 = (x->f & X87_S1) ? 1 : (d->rm & 7);
    uint64_t ea = 0, lin = 0;
    X86FPReg out[3];
    unsigned exc;
    bool under, over;

    fpu_check_x87(s, true);
    if (x->msize) {
        ea = insn_ea(s, d);
        lin = insn_lin(s, d, x->msize, x->f & X87_SM);
        if (x->f & X87_LM) {
            fpu_ld_block(s, lin, h.mem, x->msize);
        }
    }
    if ((x->f & X87_XAM) && fpu_is_empty(f, 0)) {
        fpu_note_insn(s, d, ea);
        f->fsw = (f->fsw & ~FSW_CC) | FSW_C3 | FSW_C0 |
                 ((fpu_st(f, 0)->sign_exp & 0x8000) ? FSW_C1 : 0);
        return;
    }
    under = ((x->f & X87_N0) && fpu_is_empty(f, 0)) ||
            ((x->f & X87_N1) && fpu_is_empty(f, i1));
    over = (x->f & X87_PU) && !fpu_is_empty(f, 7);
    /* An empty operand enters as the indefinite, so the host computes the
     * masked response of a stack underflow (the indefinite propagates;
     * FIST stores the integer indefinite, compares say unordered). */
    reg_to_host(h.in0, fpu_is_empty(f, 0) ? &fpu_indefinite : fpu_st(f, 0));
    reg_to_host(h.in1, fpu_is_empty(f, i1) ? &fpu_indefinite : fpu_st(f, i1));
    if (under || over) {
        if (!stack_fault(f, over && !under)) {
            fpu_note_insn(s, d, ea);
            if (x->f & X87_EF) {
                /* FCOMI still says "unordered" (what the hardware does) */
                set_cc_flags(s, CC_Z | CC_P | CC_C);
            }
            return; /* unmasked: nothing changes but the flags (8.5.1.1) */
        }
        h.cw |= FSW_EXC;
    }
    if (over && !under) {
        fpu_note_insn(s, d, ea);
        if (x->f & X87_W0) {
            set_st(f, 0, &fpu_indefinite);
        }
        fpu_push(f, &fpu_indefinite);
        return;
    }
    x->host(&h);
    exc = under ? FSW_IE | FSW_SF : h.out_sw & FSW_EXC;
    /* An unmasked invalid, denormal, zero-divide, overflow or underflow
     * leaves a memory destination alone; a masked one or precision stores. */
    if ((x->f & X87_SM) && !(exc & ~f->fcw & (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE))) {
        fpu_st_block(s, lin, h.mem, x->msize); /* faults before anything changed */
    }
    fpu_note_insn(s, d, ea);
    f->fsw = (f->fsw & ~FSW_CC) | (h.out_sw & FSW_CC) | exc;
    if (under) {
        f->fsw &= ~FSW_C1;
    }
    if (x->f & X87_EF) {
        set_cc_flags(s, (h.zf ? CC_Z : 0) | (h.pf ? CC_P : 0) | (h.cf ? CC_C : 0));
    }
    for (int k = 0; k < 3; k++) {
        out[k] = under ? fpu_indefinite : host_to_reg(h.out[k]);
    }
    switch (h.depth - 2) {
    case 1:
        if (x->f & X87_W0) {
            set_st(f, 0, &out[1]);
        }
        fpu_push(f, &out[0]);
        break;
    case 0:
        if (x->f & X87_W0) {
            set_st(f, 0, &out[0]);
        }
        if (x->f & X87_W1) {
            set_st(f, i1, &out[1]);
        }
        break;
    case -1:
        if (x->f & X87_W1) {
            set_st(f, i1, &out[0]);
        }
        fpu_pop(f);
        break;
    case -2:
        fpu_pop(f);
        fpu_pop(f);
        break;
    }
    fpu_update_es(f);
}

/* FLD m80fp: an exact copy, no exception but stack overflow. */
void op_fld80(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    uint8_t buf[10];
    uint64_t lin;
    X86FPReg v;

    fpu_check_x87(s, true);
    lin = insn_lin(s, d, 10, false);
    fpu_ld_block(s, lin, buf, 10);
    fpu_note_insn(s, d, insn_ea(s, d));
    v = host_to_reg(buf);
    if (!fpu_is_empty(f, 7)) {
        if (!stack_fault(f, true)) {
            return;
        }
        v = fpu_indefinite;
    } else {
        f->fsw &= ~FSW_C1;
    }
    fpu_push(f, &v);
}

/* FSTP m80fp */
void op_fstp80(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    uint8_t buf[16];
    uint64_t lin;
    bool under;

    fpu_check_x87(s, true);
    lin = insn_lin(s, d, 10, true);
    under = fpu_is_empty(f, 0);
    if (under && !(f->fcw & FSW_IE)) {
        fpu_note_insn(s, d, insn_ea(s, d));
        stack_fault(f, false);
        return;
    }
    reg_to_host(buf, under ? &fpu_indefinite : fpu_st(f, 0));
    fpu_st_block(s, lin, buf, 10);
    fpu_note_insn(s, d, insn_ea(s, d));
    if (under) {
        stack_fault(f, false);
    } else {
        f->fsw &= ~FSW_C1;
    }
    fpu_pop(f);
}

/* FLD ST(i) */
void op_fld_sti(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    int i = d->rm & 7;
    X86FPReg v = *fpu_st(f, i);

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    if (fpu_is_empty(f, i) || !fpu_is_empty(f, 7)) {
        if (!stack_fault(f, !fpu_is_empty(f, 7) && !fpu_is_empty(f, i))) {
            return;
        }
        v = fpu_indefinite;
    } else {
        f->fsw &= ~FSW_C1;
    }
    fpu_push(f, &v);
}

/* FST / FSTP ST(i) (d->b: pop) */
void op_fst_sti(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    int i = d->rm & 7;
    X86FPReg v = *fpu_st(f, 0);

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    if (fpu_is_empty(f, 0)) {
        if (!stack_fault(f, false)) {
            return;
        }
        v = fpu_indefinite;
    } else {
        f->fsw &= ~FSW_C1;
    }
    set_st(f, i, &v);
    if (d->b) {
        fpu_pop(f);
    }
}

void op_fxch(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    int i = d->rm & 7;
    X86FPReg a = *fpu_st(f, 0), b = *fpu_st(f, i);

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    if (fpu_is_empty(f, 0) || fpu_is_empty(f, i)) {
        if (fpu_is_empty(f, 0)) {
            a = fpu_indefinite;
        }
        if (fpu_is_empty(f, i)) {
            b = fpu_indefinite;
        }
        if (!stack_fault(f, false)) {
            return;
        }
    } else {
        f->fsw &= ~FSW_C1;
    }
    set_st(f, 0, &b);
    set_st(f, i, &a);
}

/* FCMOVcc ST(0), ST(i): d->b is the Jcc condition */
void op_fcmov(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    int i = d->rm & 7;

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    if (fpu_is_empty(f, 0) || fpu_is_empty(f, i)) {
        if (stack_fault(f, false)) {
            set_st(f, 0, &fpu_indefinite);
        }
        return;
    }
    f->fsw &= ~FSW_C1;
    if (cc_test(s, d->b)) {
        set_st(f, 0, fpu_st(f, i));
    }
}

/* FFREE ST(i), and FFREEP (DF C0+i, d->b = 1) */
void op_ffree(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    fpu_set_empty(f, d->rm & 7);
    if (d->b) {
        fpu_pop(f);
    }
}

/* FINCSTP (d->b = 1) / FDECSTP (d->b = 7): TOP moves, tags do not */
void op_fincdecstp(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);

    fpu_check_x87(s, true);
    fpu_note_insn(s, d, 0);
    fpu_set_top(f, fpu_top(f) + d->b);
    f->fsw &= ~FSW_C1;
}

/* FNOP (waiting; d->b = 0) and FENI/FDISI/FSETPM, no-ops since the 387 (d->b = 1) */
void op_fnop(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, !d->b);
    if (!d->b) {
        fpu_note_insn(s, d, 0);
    }
}

/* ---- control instructions (no #MF check, no FIP update) ---- */

void op_fnclex(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, false);
    fpu_state(s)->fsw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

static void x87_init(X86FPUState *f)
{
    f->fcw = 0x37f;
    f->fsw = 0;
    f->ftw = 0;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

void op_fninit(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, false);
    x87_init(fpu_state(s));
}

/* Bit 6 reads as 1, bits 13-15 as 0 (SDM vol.1 8.1.5, figure 8-6). */
static void set_fcw(X86FPUState *f, uint16_t v)
{
    f->fcw = (v & 0x1f3f) | 0x40;
    fpu_update_es(f);
}

void op_fldcw(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, false);
    set_fcw(fpu_state(s), lin_lduw(s, insn_lin(s, d, 2, false)));
}

void op_fnstcw(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, false);
    lin_stw(s, insn_lin(s, d, 2, true), fpu_state(s)->fcw);
}

/* FNSTSW m16 (d->mod3 = 0) or AX */
void op_fnstsw(TCGCPU *s, const DecodedInsn *d)
{
    fpu_check_x87(s, false);
    if (d->mod3) {
        set_reg(s, MO_16, R_EAX, fpu_state(s)->fsw);
    } else {
        lin_stw(s, insn_lin(s, d, 2, true), fpu_state(s)->fsw);
    }
}

/* ---- FNSTENV / FLDENV / FNSAVE / FRSTOR (SDM vol.1 8.1.10, figures 8-9 .. 8-12) ---- */

static bool env_real_mode(TCGCPU *s)
{
    return !(s->env->cr[0] & CR0_PE_MASK) || (s->env->eflags & VM_MASK);
}

static int env_size(const DecodedInsn *d)
{
    return d->ot == MO_16 ? 14 : 28;
}

static void env_store(TCGCPU *s, const DecodedInsn *d, uint8_t *b)
{
    X86FPUState *f = fpu_state(s);
    uint16_t w[14];
    int n = 0;

    if (env_real_mode(s)) {
        uint32_t ip = f->fip + ((uint32_t)f->fcs << 4), dp = f->fdp + ((uint32_t)f->fds << 4);
        if (d->ot == MO_16) {
            uint16_t v[7] = { f->fcw, f->fsw, fpu_full_tags(f), ip, ((ip >> 4) & 0xf000) | f->fop,
                              dp, (dp >> 4) & 0xf000 };
            memcpy(b, v, 14);
            return;
        }
        uint32_t v[7] = { 0xffff0000u | f->fcw, 0xffff0000u | f->fsw,
                          0xffff0000u | fpu_full_tags(f), 0xffff0000u | (ip & 0xffff),
                          ((ip >> 4) & 0x0ffff000) | f->fop, 0xffff0000u | (dp & 0xffff),
                          (dp >> 4) & 0x0ffff000 };
        memcpy(b, v, 28);
        return;
    }
    if (d->ot == MO_16) {
        uint16_t v[7] = { f->fcw, f->fsw, fpu_full_tags(f), f->fip, f->fcs, f->fdp, f->fds };
        memcpy(b, v, 14);
        return;
    }
    w[n++] = f->fcw; w[n++] = 0xffff;
    w[n++] = f->fsw; w[n++] = 0xffff;
    w[n++] = fpu_full_tags(f); w[n++] = 0xffff;
    w[n++] = f->fip; w[n++] = f->fip >> 16;
    w[n++] = f->fcs; w[n++] = f->fop;
    w[n++] = f->fdp; w[n++] = f->fdp >> 16;
    w[n++] = f->fds; w[n++] = 0xffff;
    memcpy(b, w, 28);
}

static void env_load(TCGCPU *s, const DecodedInsn *d, const uint8_t *b)
{
    X86FPUState *f = fpu_state(s);
    uint16_t tags;

    if (d->ot == MO_16) {
        uint16_t v[7];
        memcpy(v, b, 14);
        f->fcw = v[0];
        f->fsw = v[1];
        tags = v[2];
        if (env_real_mode(s)) {
            f->fip = v[3] | ((uint32_t)(v[4] & 0xf000) << 4);
            f->fop = v[4] & 0x7ff;
            f->fdp = v[5] | ((uint32_t)(v[6] & 0xf000) << 4);
            f->fcs = f->fds = 0;
        } else {
            f->fip = v[3];
            f->fcs = v[4];
            f->fdp = v[5];
            f->fds = v[6];
        }
    } else {
        uint32_t v[7];
        memcpy(v, b, 28);
        f->fcw = v[0];
        f->fsw = v[1];
        tags = v[2];
        if (env_real_mode(s)) {
            f->fip = (v[3] & 0xffff) | ((v[4] & 0x0ffff000) << 4);
            f->fop = v[4] & 0x7ff;
            f->fdp = (v[5] & 0xffff) | ((v[6] & 0x0ffff000) << 4);
            f->fcs = f->fds = 0;
        } else {
            f->fip = v[3];
            f->fcs = v[4] & 0xffff;
            f->fop = (v[4] >> 16) & 0x7ff;
            f->fdp = v[5];
            f->fds = v[6] & 0xffff;
        }
    }
    f->ftw = 0;
    for (int r = 0; r < 8; r++) {
        if (((tags >> (2 * r)) & 3) != 3) {
            f->ftw |= 1u << r;
        }
    }
    set_fcw(f, f->fcw);
}

void op_fnstenv(TCGCPU *s, const DecodedInsn *d)
{
    uint8_t b[28];
    int n = env_size(d);

    fpu_check_x87(s, false);
    env_store(s, d, b);
    fpu_st_block(s, insn_lin(s, d, n, true), b, n);
    fpu_state(s)->fcw |= FSW_EXC; /* FNSTENV masks every exception */
    fpu_update_es(fpu_state(s));
}

void op_fldenv(TCGCPU *s, const DecodedInsn *d)
{
    uint8_t b[28];
    int n = env_size(d);

    fpu_check_x87(s, false);
    fpu_ld_block(s, insn_lin(s, d, n, false), b, n);
    env_load(s, d, b);
}

void op_fnsave(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    uint8_t b[28 + 80];
    int n = env_size(d);

    fpu_check_x87(s, false);
    env_store(s, d, b);
    for (int i = 0; i < 8; i++) {
        uint8_t r[16];
        reg_to_host(r, fpu_st(f, i));
        memcpy(b + n + 10 * i, r, 10);
    }
    fpu_st_block(s, insn_lin(s, d, n + 80, true), b, n + 80);
    x87_init(f);
}

void op_frstor(TCGCPU *s, const DecodedInsn *d)
{
    X86FPUState *f = fpu_state(s);
    uint8_t b[28 + 80];
    int n = env_size(d);

    fpu_check_x87(s, false);
    fpu_ld_block(s, insn_lin(s, d, n + 80, false), b, n + 80);
    env_load(s, d, b);
    for (int i = 0; i < 8; i++) {
        *fpu_st(f, i) = host_to_reg(b + n + 10 * i);
    }
}

/* FWAIT: #NM only when both MP and TS are set (SDM vol.3 table 2-2) */
void op_fwait(TCGCPU *s, const DecodedInsn *d)
{
    if ((s->env->cr[0] & (CR0_TS_MASK | CR0_MP_MASK)) == (CR0_TS_MASK | CR0_MP_MASK)) {
        raise_exception(s, EXCP07_PREX);
    }
    fpu_check_pending(s);
}
