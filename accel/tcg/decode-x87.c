/*
 * The x87 opcode map, D8..DF (SDM vol.2 appendix A.4, tables A-7..A-22).
 * decode.c hands over the opcode and ModRM byte; the answer is the
 * handler, and in d->imm the X87Desc of a host-executed instruction,
 * in d->imm2 the FOP value (opcode bits 2:0 and ModRM, SDM vol.1 8.1.9).
 */
#include "fpu_helper.h"
#include "x87-host.h"

#define H(name) void name(TCGCPU *s, const DecodedInsn *d)
H(op_x87); H(op_fld80); H(op_fstp80); H(op_fld_sti); H(op_fst_sti); H(op_fxch);
H(op_fcmov); H(op_ffree); H(op_fincdecstp); H(op_fnop); H(op_fnclex); H(op_fninit);
H(op_fldcw); H(op_fnstcw); H(op_fnstsw); H(op_fnstenv); H(op_fldenv); H(op_fnsave);
H(op_frstor);
#undef H

enum {
    N0 = X87_N0, N1 = X87_N1, S1 = X87_S1, W0 = X87_W0, W1 = X87_W1, PU = X87_PU,
    LM = X87_LM, SM = X87_SM, EF = X87_EF, XAM = X87_XAM,
};
#define D(op, fl, size) { x87h_##op, (fl), (size) }

/* Memory forms: [opcode & 7][ModRM.reg]; host == NULL: a handler below. */
static const X87Desc x87_mem[8][8] = {
    { D(fadds, N0 | W0 | LM, 4), D(fmuls, N0 | W0 | LM, 4), D(fcoms, N0 | LM, 4),
      D(fcomps, N0 | LM, 4), D(fsubs, N0 | W0 | LM, 4), D(fsubrs, N0 | W0 | LM, 4),
      D(fdivs, N0 | W0 | LM, 4), D(fdivrs, N0 | W0 | LM, 4) },
    { [0] = D(flds, PU | LM, 4), [2] = D(fsts, N0 | SM, 4), [3] = D(fstps, N0 | SM, 4) },
    { D(fiaddl, N0 | W0 | LM, 4), D(fimull, N0 | W0 | LM, 4), D(ficoml, N0 | LM, 4),
      D(ficompl, N0 | LM, 4), D(fisubl, N0 | W0 | LM, 4), D(fisubrl, N0 | W0 | LM, 4),
      D(fidivl, N0 | W0 | LM, 4), D(fidivrl, N0 | W0 | LM, 4) },
    { [0] = D(fildl, PU | LM, 4), [1] = D(fisttpl, N0 | SM, 4), [2] = D(fistl, N0 | SM, 4),
      [3] = D(fistpl, N0 | SM, 4) },
    { D(faddl, N0 | W0 | LM, 8), D(fmull, N0 | W0 | LM, 8), D(fcoml, N0 | LM, 8),
      D(fcompl, N0 | LM, 8), D(fsubl, N0 | W0 | LM, 8), D(fsubrl, N0 | W0 | LM, 8),
      D(fdivl, N0 | W0 | LM, 8), D(fdivrl, N0 | W0 | LM, 8) },
    { [0] = D(fldl, PU | LM, 8), [1] = D(fisttpll, N0 | SM, 8), [2] = D(fstl, N0 | SM, 8),
      [3] = D(fstpl, N0 | SM, 8) },
    { D(fiadds, N0 | W0 | LM, 2), D(fimuls, N0 | W0 | LM, 2), D(ficoms, N0 | LM, 2),
      D(ficomps, N0 | LM, 2), D(fisubs, N0 | W0 | LM, 2), D(fisubrs, N0 | W0 | LM, 2),
      D(fidivs, N0 | W0 | LM, 2), D(fidivrs, N0 | W0 | LM, 2) },
    { D(filds, PU | LM, 2), D(fisttps, N0 | SM, 2), D(fists, N0 | SM, 2),
      D(fistps, N0 | SM, 2), D(fbld, PU | LM, 10), D(fildll, PU | LM, 8),
      D(fbstp, N0 | SM, 10), D(fistpll, N0 | SM, 8) },
};

/* Register forms with ST(i): [opcode & 7][ModRM.reg] */
static const X87Desc x87_reg[8][8] = {
    { D(fadd_r, N0 | N1 | W0, 0), D(fmul_r, N0 | N1 | W0, 0), D(fcom_r, N0 | N1, 0),
      D(fcomp_r, N0 | N1, 0), D(fsub_r, N0 | N1 | W0, 0), D(fsubr_r, N0 | N1 | W0, 0),
      D(fdiv_r, N0 | N1 | W0, 0), D(fdivr_r, N0 | N1 | W0, 0) },
    { { 0 } },
    { { 0 } },
    { [5] = D(fucomi, N0 | N1 | EF, 0), [6] = D(fcomi, N0 | N1 | EF, 0) },
    { D(fadd_ri, N0 | N1 | W1, 0), D(fmul_ri, N0 | N1 | W1, 0), D(fcom_r, N0 | N1, 0),
      D(fcomp_r, N0 | N1, 0), D(fsubr_ri, N0 | N1 | W1, 0), D(fsub_ri, N0 | N1 | W1, 0),
      D(fdivr_ri, N0 | N1 | W1, 0), D(fdiv_ri, N0 | N1 | W1, 0) },
    { [4] = D(fucom, N0 | N1, 0), [5] = D(fucomp, N0 | N1, 0) },
    { D(faddp, N0 | N1 | W1, 0), D(fmulp, N0 | N1 | W1, 0), D(fcomp_r, N0 | N1, 0), { 0 },
      D(fsubrp, N0 | N1 | W1, 0), D(fsubp, N0 | N1 | W1, 0), D(fdivrp, N0 | N1 | W1, 0),
      D(fdivp, N0 | N1 | W1, 0) },
    { [5] = D(fucomip, N0 | N1 | EF, 0), [6] = D(fcomip, N0 | N1 | EF, 0) },
};

/* D9 E0..FF: [ModRM - 0xe0] */
static const X87Desc x87_d9[32] = {
    [0x00] = D(fchs, N0 | W0, 0), [0x01] = D(fabs, N0 | W0, 0),
    [0x04] = D(ftst, N0, 0), [0x05] = D(fxam, XAM, 0),
    [0x08] = D(fld1, PU, 0), [0x09] = D(fldl2t, PU, 0), [0x0a] = D(fldl2e, PU, 0),
    [0x0b] = D(fldpi, PU, 0), [0x0c] = D(fldlg2, PU, 0), [0x0d] = D(fldln2, PU, 0),
    [0x0e] = D(fldz, PU, 0),
    [0x10] = D(f2xm1, N0 | W0, 0), [0x11] = D(fyl2x, N0 | N1 | S1 | W1, 0),
    [0x12] = D(fptan, N0 | W0 | PU, 0), [0x13] = D(fpatan, N0 | N1 | S1 | W1, 0),
    [0x14] = D(fxtract, N0 | W0 | PU, 0), [0x15] = D(fprem1, N0 | N1 | S1 | W0, 0),
    [0x18] = D(fprem, N0 | N1 | S1 | W0, 0), [0x19] = D(fyl2xp1, N0 | N1 | S1 | W1, 0),
    [0x1a] = D(fsqrt, N0 | W0, 0), [0x1b] = D(fsincos, N0 | W0 | PU, 0),
    [0x1c] = D(frndint, N0 | W0, 0), [0x1d] = D(fscale, N0 | N1 | S1 | W0, 0),
    [0x1e] = D(fsin, N0 | W0, 0), [0x1f] = D(fcos, N0 | W0, 0),
};
static const X87Desc x87_fcompp = D(fcompp, N0 | N1 | S1, 0);
static const X87Desc x87_fucompp = D(fucompp, N0 | N1 | S1, 0);

static InsnHandler host_form(DecodedInsn *d, const X87Desc *x)
{
    if (!x->host) {
        return op_ud;
    }
    d->imm = (uintptr_t)x;
    return op_x87;
}

static InsnHandler x87_decode_mem(DecodedInsn *d, int op, int reg)
{
    switch (op * 8 + reg) {
    case 1 * 8 + 4: return op_fldenv;
    case 1 * 8 + 5: return op_fldcw;
    case 1 * 8 + 6: return op_fnstenv;
    case 1 * 8 + 7: return op_fnstcw;
    case 3 * 8 + 5: return op_fld80;
    case 3 * 8 + 7: return op_fstp80;
    case 5 * 8 + 4: return op_frstor;
    case 5 * 8 + 6: return op_fnsave;
    case 5 * 8 + 7: return op_fnstsw;
    default: return host_form(d, &x87_mem[op][reg]);
    }
}

/* FCMOVcc: DA = B, E, BE, U; DB = NB, NE, NBE, NU (as Jcc conditions) */
static const uint8_t fcmov_cond[2][4] = { { 0x2, 0x4, 0x6, 0xa }, { 0x3, 0x5, 0x7, 0xb } };

static InsnHandler x87_decode_reg(DecodedInsn *d, int op, int reg, int rm)
{
    switch (op) {
    case 1:
        switch (reg) {
        case 0: return op_fld_sti;
        case 1: return op_fxch;
        case 2: return rm == 0 ? op_fnop : op_ud;
        case 3: return op_fst_sti; /* FSTP1, an alias (d->b = 1 below) */
        default:
            if (reg == 6 && (rm == 6 || rm == 7)) {
                d->b = rm == 7 ? 1 : 7;
                return op_fincdecstp;
            }
            return host_form(d, &x87_d9[(reg - 4) * 8 + rm]);
        }
    case 2:
        if (reg < 4) {
            d->b = fcmov_cond[0][reg];
            return op_fcmov;
        }
        return reg == 5 && rm == 1 ? host_form(d, &x87_fucompp) : op_ud;
    case 3:
        if (reg < 4) {
            d->b = fcmov_cond[1][reg];
            return op_fcmov;
        }
        if (reg == 4) {
            switch (rm) {
            case 0: case 1: case 4: d->b = 1; return op_fnop; /* FENI, FDISI, FSETPM */
            case 2: return op_fnclex;
            case 3: return op_fninit;
            default: return op_ud;
            }
        }
        return host_form(d, &x87_reg[op][reg]);
    case 5:
        switch (reg) {
        case 0: return op_ffree;
        case 1: return op_fxch; /* FXCH4 alias */
        case 2: return op_fst_sti;
        case 3: return op_fst_sti;
        default: return host_form(d, &x87_reg[op][reg]);
        }
    case 6:
        if (reg == 3) {
            return rm == 1 ? host_form(d, &x87_fcompp) : op_ud;
        }
        return host_form(d, &x87_reg[op][reg]);
    case 7:
        switch (reg) {
        case 0: d->b = 1; return op_ffree; /* FFREEP */
        case 1: return op_fxch;            /* FXCH7 alias */
        case 2: case 3: return op_fst_sti; /* FSTP8, FSTP9 aliases */
        case 4: return rm == 0 ? op_fnstsw : op_ud;
        default: return host_form(d, &x87_reg[op][reg]);
        }
    default:
        return host_form(d, &x87_reg[op][reg]);
    }
}

InsnHandler x87_decode(DecodedInsn *d, uint8_t opcode, uint8_t modrm)
{
    int op = opcode & 7, reg = (modrm >> 3) & 7, rm = modrm & 7;
    InsnHandler h;

    /* LOCK: #UD in decode.c (no SSE or x87 instruction is lockable) */
    d->imm2 = (op << 8) | modrm;
    d->b = 0;
    if (!d->mod3) {
        return x87_decode_mem(d, op, reg);
    }
    h = x87_decode_reg(d, op, reg, rm);
    /* FSTP ST(i) and its aliases pop; FST ST(i) (DD D0+i) does not */
    if (h == op_fst_sti) {
        d->b = !(op == 5 && reg == 2);
    }
    return h;
}
