/*
 * The MMX/SSE/SSE2 part of the 0F opcode map (SDM vol.2 appendix A.3,
 * table A-3), selected by the mandatory prefix: none, 66, F3, F2 (F3/F2
 * win over 66; a 66 that selects a form is not an operand-size prefix).
 * Each entry names the handler, its sub-op (d->b) and the memory operand
 * (d->imm2: bytes, alignment, MMX or XMM registers).
 */
#include "fpu_helper.h"
#include "sse-host.h"

typedef struct SseEntry {
    InsnHandler h;
    uint16_t mem;    /* SSE_MEMSZ | SSE_ALIGN | SSE_MMX; bytes 0: register form only */
    uint8_t b;
    uint8_t memonly; /* the register form is #UD */
} SseEntry;

#define A16 (16 | SSE_ALIGN)
#define MM  SSE_MMX
#define S(handler, sub, m) { .h = handler, .b = (sub), .mem = (m) }
#define MO(handler, sub, m) { .h = handler, .b = (sub), .mem = (m), .memonly = 1 }
#define RO(handler, sub, fl) { .h = handler, .b = (sub), .mem = (fl) }
#define HOST4(op) { S(op_sse_host, SSE_##op##ps, A16), S(op_sse_host, SSE_##op##pd, A16), \
                    S(op_sse_host, SSE_##op##ss, 4), S(op_sse_host, SSE_##op##sd, 8) }
/* integer op on MMX (no prefix) or XMM (66) */
#define INT2(l) { S(op_simd_int, l, 8 | MM), S(op_simd_int, l, A16) }
#define SHIFT2(k) { S(op_simd_shift, k, 8 | MM), S(op_simd_shift, k, A16) }

/* [opcode][prefix: none, 66, F3, F2] */
static const SseEntry sse_map[256][4] = {
    [0x10] = { S(op_sse_mov, MV_LD, 16), S(op_sse_mov, MV_LD, 16), S(op_sse_mov, MV_SS_LD, 4),
               S(op_sse_mov, MV_SD_LD, 8) },
    [0x11] = { S(op_sse_mov, MV_ST, 16), S(op_sse_mov, MV_ST, 16), S(op_sse_mov, MV_SS_ST, 4),
               S(op_sse_mov, MV_SD_ST, 8) },
    [0x12] = { S(op_sse_mov, MV_LO_LD, 8), MO(op_sse_mov, MV_LO_LD, 8) }, /* reg: MOVHLPS */
    [0x13] = { MO(op_sse_mov, MV_LO_ST, 8), MO(op_sse_mov, MV_LO_ST, 8) },
    [0x14] = { S(op_sse_shuf, U_UNPCKLPS, A16), S(op_sse_shuf, U_UNPCKLPD, A16) },
    [0x15] = { S(op_sse_shuf, U_UNPCKHPS, A16), S(op_sse_shuf, U_UNPCKHPD, A16) },
    [0x16] = { S(op_sse_mov, MV_HI_LD, 8), MO(op_sse_mov, MV_HI_LD, 8) }, /* reg: MOVLHPS */
    [0x17] = { MO(op_sse_mov, MV_HI_ST, 8), MO(op_sse_mov, MV_HI_ST, 8) },
    [0x28] = { S(op_sse_mov, MV_LD, A16), S(op_sse_mov, MV_LD, A16) },
    [0x29] = { S(op_sse_mov, MV_ST, A16), S(op_sse_mov, MV_ST, A16) },
    [0x2a] = { S(op_sse_cvt_mmx, 0, 8 | MM), S(op_sse_cvt_mmx, 1, 8 | MM),
               S(op_sse_cvt_i2f, 0, 4), S(op_sse_cvt_i2f, 1, 4) },
    [0x2b] = { MO(op_sse_mov, MV_ST, A16), MO(op_sse_mov, MV_ST, A16) },
    [0x2c] = { S(op_sse_cvt_mmx, 3, 8), S(op_sse_cvt_mmx, 5, A16),
               S(op_sse_cvt_f2i, 1, 4), S(op_sse_cvt_f2i, 3, 8) },
    [0x2d] = { S(op_sse_cvt_mmx, 2, 8), S(op_sse_cvt_mmx, 4, A16),
               S(op_sse_cvt_f2i, 0, 4), S(op_sse_cvt_f2i, 2, 8) },
    [0x2e] = { S(op_sse_comi, 1, 4), S(op_sse_comi, 3, 8) },
    [0x2f] = { S(op_sse_comi, 0, 4), S(op_sse_comi, 2, 8) },
    [0x50] = { RO(op_sse_movmsk, 0, 0), RO(op_sse_movmsk, 1, 0) },
    [0x51] = HOST4(sqrt),
    [0x52] = { S(op_sse_host, SSE_rsqrtps, A16), { 0 }, S(op_sse_host, SSE_rsqrtss, 4) },
    [0x53] = { S(op_sse_host, SSE_rcpps, A16), { 0 }, S(op_sse_host, SSE_rcpss, 4) },
    [0x54] = { S(op_sse_logic, 0, A16), S(op_sse_logic, 0, A16) },
    [0x55] = { S(op_sse_logic, 1, A16), S(op_sse_logic, 1, A16) },
    [0x56] = { S(op_sse_logic, 2, A16), S(op_sse_logic, 2, A16) },
    [0x57] = { S(op_sse_logic, 3, A16), S(op_sse_logic, 3, A16) },
    [0x58] = HOST4(add), [0x59] = HOST4(mul),
    [0x5a] = { S(op_sse_host, SSE_cvtps2pd, 8), S(op_sse_host, SSE_cvtpd2ps, A16),
               S(op_sse_host, SSE_cvtss2sd, 4), S(op_sse_host, SSE_cvtsd2ss, 8) },
    [0x5b] = { S(op_sse_host, SSE_cvtdq2ps, A16), S(op_sse_host, SSE_cvtps2dq, A16),
               S(op_sse_host, SSE_cvttps2dq, A16) },
    [0x5c] = HOST4(sub), [0x5d] = HOST4(min), [0x5e] = HOST4(div), [0x5f] = HOST4(max),
    /* MMX punpckl* read 32 bits of memory, the XMM forms 128 */
    [0x60] = { S(op_simd_int, L_PUNPCKLBW, 4 | MM), S(op_simd_int, L_PUNPCKLBW, A16) },
    [0x61] = { S(op_simd_int, L_PUNPCKLWD, 4 | MM), S(op_simd_int, L_PUNPCKLWD, A16) },
    [0x62] = { S(op_simd_int, L_PUNPCKLDQ, 4 | MM), S(op_simd_int, L_PUNPCKLDQ, A16) },
    [0x63] = INT2(L_PACKSSWB), [0x64] = INT2(L_PCMPGTB), [0x65] = INT2(L_PCMPGTW),
    [0x66] = INT2(L_PCMPGTD), [0x67] = INT2(L_PACKUSWB), [0x68] = INT2(L_PUNPCKHBW),
    [0x69] = INT2(L_PUNPCKHWD), [0x6a] = INT2(L_PUNPCKHDQ), [0x6b] = INT2(L_PACKSSDW),
    [0x6c] = { { 0 }, S(op_simd_int, L_PUNPCKLQDQ, A16) },
    [0x6d] = { { 0 }, S(op_simd_int, L_PUNPCKHQDQ, A16) },
    [0x6e] = { S(op_sse_movd, 0, 4 | MM), S(op_sse_movd, 0, 4) },
    [0x6f] = { S(op_simd_movq, 0, 8 | MM), S(op_sse_mov, MV_LD, A16), S(op_sse_mov, MV_LD, 16) },
    [0x70] = { S(op_simd_pshuf, 0, 8 | MM), S(op_simd_pshuf, 1, A16), S(op_simd_pshuf, 2, A16),
               S(op_simd_pshuf, 3, A16) },
    [0x71] = { RO(op_simd_shift_imm, 0, MM), RO(op_simd_shift_imm, 0, 0) },
    [0x72] = { RO(op_simd_shift_imm, 1, MM), RO(op_simd_shift_imm, 1, 0) },
    [0x73] = { RO(op_simd_shift_imm, 2, MM), RO(op_simd_shift_imm, 2, 0) },
    [0x74] = INT2(L_PCMPEQB), [0x75] = INT2(L_PCMPEQW), [0x76] = INT2(L_PCMPEQD),
    [0x7e] = { S(op_sse_movd, 1, 4 | MM), S(op_sse_movd, 1, 4), S(op_sse_mov, MV_Q_LD, 8) },
    [0x7f] = { S(op_simd_movq, 1, 8 | MM), S(op_sse_mov, MV_ST, A16), S(op_sse_mov, MV_ST, 16) },
    [0xae] = { S(op_sse_grp15, 0, 1) },
    [0xc2] = { S(op_sse_cmp, SSE_cmpps0, A16), S(op_sse_cmp, SSE_cmppd0, A16),
               S(op_sse_cmp, SSE_cmpss0, 4), S(op_sse_cmp, SSE_cmpsd0, 8) },
    [0xc3] = { MO(op_movnti, 0, 4) },
    [0xc4] = { S(op_simd_pinsrw, 0, 2 | MM), S(op_simd_pinsrw, 0, 2) },
    [0xc5] = { RO(op_simd_pextrw, 0, MM), RO(op_simd_pextrw, 0, 0) },
    [0xc6] = { S(op_sse_shuf, U_SHUFPS, A16), S(op_sse_shuf, U_SHUFPD, A16) },
    [0xd1] = SHIFT2(S_PSRLW), [0xd2] = SHIFT2(S_PSRLD), [0xd3] = SHIFT2(S_PSRLQ),
    [0xd4] = INT2(L_PADDQ), [0xd5] = INT2(L_PMULLW),
    [0xd6] = { { 0 }, S(op_sse_mov, MV_Q_ST, 8), RO(op_sse_mov, MV_Q2DQ, 0),
               RO(op_sse_mov, MV_DQ2Q, 0) },
    [0xd7] = { RO(op_simd_pmovmskb, 0, MM), RO(op_simd_pmovmskb, 0, 0) },
    [0xd8] = INT2(L_PSUBUSB), [0xd9] = INT2(L_PSUBUSW), [0xda] = INT2(L_PMINUB),
    [0xdb] = INT2(L_PAND), [0xdc] = INT2(L_PADDUSB), [0xdd] = INT2(L_PADDUSW),
    [0xde] = INT2(L_PMAXUB), [0xdf] = INT2(L_PANDN),
    [0xe0] = INT2(L_PAVGB), [0xe1] = SHIFT2(S_PSRAW), [0xe2] = SHIFT2(S_PSRAD),
    [0xe3] = INT2(L_PAVGW), [0xe4] = INT2(L_PMULHUW), [0xe5] = INT2(L_PMULHW),
    [0xe6] = { { 0 }, S(op_sse_host, SSE_cvttpd2dq, A16), S(op_sse_host, SSE_cvtdq2pd, 8),
               S(op_sse_host, SSE_cvtpd2dq, A16) },
    [0xe7] = { MO(op_simd_movq, 2, 8 | MM), MO(op_sse_mov, MV_ST, A16) },
    [0xe8] = INT2(L_PSUBSB), [0xe9] = INT2(L_PSUBSW), [0xea] = INT2(L_PMINSW),
    [0xeb] = INT2(L_POR), [0xec] = INT2(L_PADDSB), [0xed] = INT2(L_PADDSW),
    [0xee] = INT2(L_PMAXSW), [0xef] = INT2(L_PXOR),
    [0xf1] = SHIFT2(S_PSLLW), [0xf2] = SHIFT2(S_PSLLD), [0xf3] = SHIFT2(S_PSLLQ),
    [0xf4] = INT2(L_PMULUDQ), [0xf5] = INT2(L_PMADDWD), [0xf6] = INT2(L_PSADBW),
    [0xf7] = { RO(op_simd_maskmov, 0, MM), RO(op_simd_maskmov, 0, 0) },
    [0xf8] = INT2(L_PSUBB), [0xf9] = INT2(L_PSUBW), [0xfa] = INT2(L_PSUBD),
    [0xfb] = INT2(L_PSUBQ), [0xfc] = INT2(L_PADDB), [0xfd] = INT2(L_PADDW),
    [0xfe] = INT2(L_PADDD),
};

/* Shift groups 0F 71/72/73 by ModRM.reg: sub-op, or -1 (#UD); the
 * byte shifts of 0F 73 /3 and /7 exist only on XMM. */
static const int8_t shift_grp[3][8] = {
    { -1, -1, S_PSRLW, -1, S_PSRAW, -1, S_PSLLW, -1 },
    { -1, -1, S_PSRLD, -1, S_PSRAD, -1, S_PSLLD, -1 },
    { -1, -1, S_PSRLQ, S_PSRLDQ, -1, -1, S_PSLLQ, S_PSLLDQ },
};

InsnHandler sse_decode(DecodedInsn *d, uint8_t opcode)
{
    int pfx = (d->prefix & PREFIX_REPZ) ? 2 : (d->prefix & PREFIX_REPNZ) ? 3 :
              (d->prefix & PREFIX_DATA) ? 1 : 0;
    const SseEntry *e;

    /* LOCK: #UD in decode.c (no SSE or x87 instruction is lockable) */
    if (opcode == 0x77) {
        return pfx == 0 ? op_emms : op_ud;
    }
    e = &sse_map[opcode][pfx];
    if (!e->h) {
        return op_ud;
    }
    d->b = e->b;
    d->imm2 = e->mem;
    if (d->mod3 ? e->memonly : !SSE_MEMSZ(d)) {
        return op_ud;
    }
    if (e->h == op_simd_shift_imm) {
        int k = shift_grp[e->b][d->reg & 7];
        if (k < 0 || ((k == S_PSRLDQ || k == S_PSLLDQ) && (e->mem & SSE_MMX))) {
            return op_ud;
        }
        d->b = k;
    }
    return e->h;
}
