/*
 * The host side of the SSE/SSE2 floating-point instructions (sse-host.h).
 * The whole sequence is one asm statement, so the compiler can neither
 * move arithmetic across the LDMXCSR nor keep values in XMM0/XMM1.
 */
#include "sse-host.h"

#define SSE_HOST_DEF(name, insn)                                               \
static uint32_t sseh_##name(X86XMMReg *d, const X86XMMReg *s, uint32_t csr)    \
{                                                                              \
    uint32_t save, out;                                                        \
    __asm__ volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t"                   \
                     "movdqu %[d], %%xmm0\n\tmovdqu %[s], %%xmm1\n\t"          \
                     insn " %%xmm1, %%xmm0\n\t"                                \
                     "movdqu %%xmm0, %[d]\n\tstmxcsr %[out]\n\tldmxcsr %[save]" \
                     : [d] "+m"(*d), [save] "=m"(save), [out] "=m"(out)        \
                     : [s] "m"(*s), [csr] "m"(csr)                             \
                     : "xmm0", "xmm1");                                        \
    return out;                                                                \
}
SSE_HOST_OPS(SSE_HOST_DEF)

SseHostOp *const sse_host_ops[SSE_HOST_N] = {
#define SSE_HOST_PTR(name, insn) sseh_##name,
    SSE_HOST_OPS(SSE_HOST_PTR)
};

#define COMI(insn)                                                             \
    __asm__ volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t"                   \
                     "movdqu %[a], %%xmm0\n\tmovdqu %[b], %%xmm1\n\t"          \
                     insn " %%xmm1, %%xmm0\n\t"                                \
                     "stmxcsr %[out]\n\tldmxcsr %[save]"                       \
                     : [save] "=m"(save), [out] "=m"(out), "=@ccz"(z), "=@ccp"(p), \
                       "=@ccc"(c)                                              \
                     : [a] "m"(*a), [b] "m"(*b), [csr] "m"(csr)                \
                     : "xmm0", "xmm1")

uint32_t sse_host_comi(int which, const X86XMMReg *a, const X86XMMReg *b, uint32_t csr,
                       bool *zf, bool *pf, bool *cf)
{
    uint32_t save, out;
    bool z, p, c;

    switch (which) {
    case 0: COMI("comiss"); break;
    case 1: COMI("ucomiss"); break;
    case 2: COMI("comisd"); break;
    default: COMI("ucomisd"); break;
    }
    *zf = z;
    *pf = p;
    *cf = c;
    return out;
}

#define CVT_I2F(insn, src)                                                     \
    __asm__ volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t"                   \
                     "movdqu %[d], %%xmm0\n\t" insn " %[v], %%xmm0\n\t"        \
                     "movdqu %%xmm0, %[d]\n\tstmxcsr %[out]\n\tldmxcsr %[save]" \
                     : [d] "+m"(*d), [save] "=m"(save), [out] "=m"(out)        \
                     : [v] "r"(src), [csr] "m"(csr)                            \
                     : "xmm0")

uint32_t sse_host_cvt_i2f(X86XMMReg *d, uint64_t v, bool is64, bool sd, uint32_t csr)
{
    uint32_t save, out, v32 = v;

    if (is64) {
        if (sd) {
            CVT_I2F("cvtsi2sdq", v);
        } else {
            CVT_I2F("cvtsi2ssq", v);
        }
    } else if (sd) {
        CVT_I2F("cvtsi2sdl", v32);
    } else {
        CVT_I2F("cvtsi2ssl", v32);
    }
    return out;
}

#define CVT_F2I(insn, dst)                                                     \
    __asm__ volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t"                   \
                     "movdqu %[s], %%xmm0\n\t" insn " %%xmm0, %[r]\n\t"        \
                     "stmxcsr %[out]\n\tldmxcsr %[save]"                       \
                     : [r] "=r"(dst), [save] "=m"(save), [out] "=m"(out)       \
                     : [s] "m"(*s), [csr] "m"(csr)                             \
                     : "xmm0")

uint32_t sse_host_cvt_f2i(const X86XMMReg *s, uint64_t *res, bool is64, int which,
                          uint32_t csr)
{
    uint32_t save, out, r32 = 0;
    uint64_t r64 = 0;

    switch (which * 2 + is64) {
    case 0: CVT_F2I("cvtss2si", r32); break;
    case 1: CVT_F2I("cvtss2si", r64); break;
    case 2: CVT_F2I("cvttss2si", r32); break;
    case 3: CVT_F2I("cvttss2si", r64); break;
    case 4: CVT_F2I("cvtsd2si", r32); break;
    case 5: CVT_F2I("cvtsd2si", r64); break;
    case 6: CVT_F2I("cvttsd2si", r32); break;
    default: CVT_F2I("cvttsd2si", r64); break;
    }
    *res = is64 ? r64 : r32;
    return out;
}
