/*
 * SSE/SSE2 floating-point instructions run on the host (see
 * fpu_helper.h): each loads the guest's MXCSR modes with every exception
 * masked (sse_host_csr), puts the destination in XMM0 and the source in
 * XMM1, executes the one instruction, and returns the MXCSR it left, whose
 * flags the caller merges and checks against the guest's masks.
 */
#ifndef ACCEL_TCG_SSE_HOST_H
#define ACCEL_TCG_SSE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/cpu.h"

typedef uint32_t SseHostOp(X86XMMReg *d, const X86XMMReg *s, uint32_t csr);

#define SSE_ARITH4(X, op) \
    X(op##ps, #op "ps") X(op##ss, #op "ss") X(op##pd, #op "pd") X(op##sd, #op "sd")
#define SSE_CMP4(X, form) \
    X(cmp##form##0, "cmp" #form " $0,") X(cmp##form##1, "cmp" #form " $1,")    \
    X(cmp##form##2, "cmp" #form " $2,") X(cmp##form##3, "cmp" #form " $3,")    \
    X(cmp##form##4, "cmp" #form " $4,") X(cmp##form##5, "cmp" #form " $5,")    \
    X(cmp##form##6, "cmp" #form " $6,") X(cmp##form##7, "cmp" #form " $7,")

/* name, mnemonic (the operands "%xmm1, %xmm0" follow) */
#define SSE_HOST_OPS(X)                                                        \
    SSE_ARITH4(X, add) SSE_ARITH4(X, sub) SSE_ARITH4(X, mul) SSE_ARITH4(X, div) \
    SSE_ARITH4(X, min) SSE_ARITH4(X, max) SSE_ARITH4(X, sqrt)                   \
    X(rsqrtps, "rsqrtps") X(rsqrtss, "rsqrtss") X(rcpps, "rcpps") X(rcpss, "rcpss") \
    X(cvtps2pd, "cvtps2pd") X(cvtpd2ps, "cvtpd2ps") X(cvtss2sd, "cvtss2sd")     \
    X(cvtsd2ss, "cvtsd2ss") X(cvtdq2ps, "cvtdq2ps") X(cvtps2dq, "cvtps2dq")     \
    X(cvttps2dq, "cvttps2dq") X(cvtdq2pd, "cvtdq2pd") X(cvtpd2dq, "cvtpd2dq")   \
    X(cvttpd2dq, "cvttpd2dq")                                                   \
    SSE_CMP4(X, ps) SSE_CMP4(X, ss) SSE_CMP4(X, pd) SSE_CMP4(X, sd)

enum {
#define SSE_HOST_ENUM(name, insn) SSE_##name,
    SSE_HOST_OPS(SSE_HOST_ENUM)
#undef SSE_HOST_ENUM
    SSE_HOST_N
};
extern SseHostOp *const sse_host_ops[SSE_HOST_N];

/* (U)COMISS/(U)COMISD, which = 0..3: EFLAGS ZF, PF, CF out */
uint32_t sse_host_comi(int which, const X86XMMReg *a, const X86XMMReg *b, uint32_t csr,
                       bool *zf, bool *pf, bool *cf);
/* CVTSI2SS/SD (sd: double) from a 32- or 64-bit integer into d's low element */
uint32_t sse_host_cvt_i2f(X86XMMReg *d, uint64_t v, bool is64, bool sd, uint32_t csr);
/* CVT(T)SS2SI / CVT(T)SD2SI: which = 0 ss, 1 tss, 2 sd, 3 tsd */
uint32_t sse_host_cvt_f2i(const X86XMMReg *s, uint64_t *out, bool is64, int which,
                          uint32_t csr);

#endif
