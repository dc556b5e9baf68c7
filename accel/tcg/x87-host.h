/*
 * x87 instructions run on the host (see fpu_helper.h).  Each X87HostOp
 * loads the guest's control word and condition codes (FLDENV, empty
 * stack), pushes in1 then in0 (so ST0 = in0, ST1 = in1), executes one
 * instruction, and takes the whole result with FNSAVE, which also leaves
 * the host unit initialised: no unmasked exception can reach host code.
 */
#ifndef ACCEL_TCG_X87_HOST_H
#define ACCEL_TCG_X87_HOST_H

#include <stdbool.h>
#include <stdint.h>

typedef struct HostX87 {
    /* in */
    uint16_t cw, sw;        /* sw: only C0..C3 are loaded */
    uint8_t in0[16], in1[16];
    uint8_t mem[16];        /* the memory operand, in and out */
    /* out */
    uint16_t out_sw;
    int depth;              /* registers on the host stack afterwards (2 before) */
    uint8_t out[3][10];     /* host ST0..ST2 afterwards */
    bool zf, pf, cf;        /* EFLAGS afterwards (FCOMI) */
} HostX87;

typedef void X87HostOp(HostX87 *h);

/* name, instruction (register forms with ST(i) = ST(1), as bytes) */
#define X87_HOST_OPS(X)                                                         \
    X(fadd_r, ".byte 0xd8,0xc1") X(fmul_r, ".byte 0xd8,0xc9")                   \
    X(fcom_r, ".byte 0xd8,0xd1") X(fcomp_r, ".byte 0xd8,0xd9")                  \
    X(fsub_r, ".byte 0xd8,0xe1") X(fsubr_r, ".byte 0xd8,0xe9")                  \
    X(fdiv_r, ".byte 0xd8,0xf1") X(fdivr_r, ".byte 0xd8,0xf9")                  \
    X(fadd_ri, ".byte 0xdc,0xc1") X(fmul_ri, ".byte 0xdc,0xc9")                 \
    X(fsubr_ri, ".byte 0xdc,0xe1") X(fsub_ri, ".byte 0xdc,0xe9")                \
    X(fdivr_ri, ".byte 0xdc,0xf1") X(fdiv_ri, ".byte 0xdc,0xf9")                \
    X(faddp, ".byte 0xde,0xc1") X(fmulp, ".byte 0xde,0xc9")                     \
    X(fcompp, ".byte 0xde,0xd9") X(fsubrp, ".byte 0xde,0xe1")                   \
    X(fsubp, ".byte 0xde,0xe9") X(fdivrp, ".byte 0xde,0xf1")                    \
    X(fdivp, ".byte 0xde,0xf9") X(fucompp, ".byte 0xda,0xe9")                   \
    X(fucomi, ".byte 0xdb,0xe9") X(fcomi, ".byte 0xdb,0xf1")                    \
    X(fucom, ".byte 0xdd,0xe1") X(fucomp, ".byte 0xdd,0xe9")                    \
    X(fucomip, ".byte 0xdf,0xe9") X(fcomip, ".byte 0xdf,0xf1")                  \
    X(fchs, "fchs") X(fabs, "fabs") X(ftst, "ftst") X(fxam, "fxam")             \
    X(fld1, "fld1") X(fldl2t, "fldl2t") X(fldl2e, "fldl2e") X(fldpi, "fldpi")   \
    X(fldlg2, "fldlg2") X(fldln2, "fldln2") X(fldz, "fldz")                     \
    X(f2xm1, "f2xm1") X(fyl2x, "fyl2x") X(fptan, "fptan") X(fpatan, "fpatan")   \
    X(fxtract, "fxtract") X(fprem1, "fprem1") X(fprem, "fprem")                 \
    X(fyl2xp1, "fyl2xp1") X(fsqrt, "fsqrt") X(fsincos, "fsincos")               \
    X(frndint, "frndint") X(fscale, "fscale") X(fsin, "fsin") X(fcos, "fcos")   \
    X(fadds, "fadds %[mem]") X(fmuls, "fmuls %[mem]") X(fcoms, "fcoms %[mem]")   \
    X(fcomps, "fcomps %[mem]") X(fsubs, "fsubs %[mem]") X(fsubrs, "fsubrs %[mem]") \
    X(fdivs, "fdivs %[mem]") X(fdivrs, "fdivrs %[mem]")                         \
    X(faddl, "faddl %[mem]") X(fmull, "fmull %[mem]") X(fcoml, "fcoml %[mem]")   \
    X(fcompl, "fcompl %[mem]") X(fsubl, "fsubl %[mem]") X(fsubrl, "fsubrl %[mem]") \
    X(fdivl, "fdivl %[mem]") X(fdivrl, "fdivrl %[mem]")                         \
    X(fiaddl, "fiaddl %[mem]") X(fimull, "fimull %[mem]") X(ficoml, "ficoml %[mem]") \
    X(ficompl, "ficompl %[mem]") X(fisubl, "fisubl %[mem]")                     \
    X(fisubrl, "fisubrl %[mem]") X(fidivl, "fidivl %[mem]")                     \
    X(fidivrl, "fidivrl %[mem]")                                                \
    X(fiadds, "fiadds %[mem]") X(fimuls, "fimuls %[mem]") X(ficoms, "ficoms %[mem]") \
    X(ficomps, "ficomps %[mem]") X(fisubs, "fisubs %[mem]")                     \
    X(fisubrs, "fisubrs %[mem]") X(fidivs, "fidivs %[mem]")                     \
    X(fidivrs, "fidivrs %[mem]")                                                \
    X(flds, "flds %[mem]") X(fsts, "fsts %[mem]") X(fstps, "fstps %[mem]")       \
    X(fldl, "fldl %[mem]") X(fstl, "fstl %[mem]") X(fstpl, "fstpl %[mem]")       \
    X(fildl, "fildl %[mem]") X(fisttpl, "fisttpl %[mem]") X(fistl, "fistl %[mem]") \
    X(fistpl, "fistpl %[mem]") X(fisttpll, "fisttpll %[mem]")                   \
    X(filds, "filds %[mem]") X(fisttps, "fisttps %[mem]") X(fists, "fists %[mem]") \
    X(fistps, "fistps %[mem]") X(fbld, "fbld %[mem]") X(fildll, "fildll %[mem]") \
    X(fbstp, "fbstp %[mem]") X(fistpll, "fistpll %[mem]")

#define X87_HOST_DECL(name, insn) X87HostOp x87h_##name;
X87_HOST_OPS(X87_HOST_DECL)
#undef X87_HOST_DECL

#endif
