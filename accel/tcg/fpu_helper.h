/*
 * The interpreter's x87/MMX/SSE units: state accessors, the CR0/CR4
 * checks that come before any of their instructions, and the memory
 * helpers for operands wider than 8 bytes.
 *
 * Arithmetic runs on the host's own units (an x86-64 host: GCC's long
 * double is the 80-bit x87 format and SSE is always there).  Each guest
 * x87 instruction is carried out by the same host instruction with the
 * guest's control word loaded and its exception flags read back, and each
 * SSE floating-point instruction by the same host instruction under the
 * guest's MXCSR (exceptions masked on the host; the guest's masks are
 * applied afterwards).  Precision and rounding control, denormals, NaN
 * propagation, FTZ/DAZ and the transcendental results are therefore the
 * hardware's own.  What the host cannot know, the register stack's tags,
 * stack faults, #MF/#XM delivery, FIP/FDP/FOP, stays in the interpreter.
 */
#ifndef ACCEL_TCG_FPU_HELPER_H
#define ACCEL_TCG_FPU_HELPER_H

#include "ops.h"

#if !defined(__x86_64__)
#error "duet's x87/SSE interpreter executes guest FP instructions on an x86-64 host"
#endif

/* x87 status word (SDM vol.1 8.1.3) */
#define FSW_IE  0x0001
#define FSW_DE  0x0002
#define FSW_ZE  0x0004
#define FSW_OE  0x0008
#define FSW_UE  0x0010
#define FSW_PE  0x0020
#define FSW_SF  0x0040
#define FSW_ES  0x0080
#define FSW_C0  0x0100
#define FSW_C1  0x0200
#define FSW_C2  0x0400
#define FSW_TOP 0x3800
#define FSW_C3  0x4000
#define FSW_B   0x8000
#define FSW_EXC 0x003f
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* MXCSR (SDM vol.1 10.2.3) */
#define MXCSR_IE  0x0001
#define MXCSR_DE  0x0002
#define MXCSR_ZE  0x0004
#define MXCSR_OE  0x0008
#define MXCSR_UE  0x0010
#define MXCSR_PE  0x0020
#define MXCSR_UM  0x0800
#define MXCSR_FTZ 0x8000
#define MXCSR_EXC 0x003f
#define MXCSR_DAZ 0x0040
#define MXCSR_MASKS 0x1f80
#define MXCSR_RC_SHIFT 13

static inline X86FPUState *fpu_state(TCGCPU *s) { return &s->env->fpu; }
static inline unsigned fpu_top(const X86FPUState *f) { return (f->fsw >> 11) & 7; }
static inline void fpu_set_top(X86FPUState *f, unsigned top)
{
    f->fsw = (f->fsw & ~FSW_TOP) | ((top & 7) << 11);
}
static inline unsigned fpu_phys(const X86FPUState *f, int i) { return (fpu_top(f) + i) & 7; }
static inline X86FPReg *fpu_st(X86FPUState *f, int i) { return &f->st[fpu_phys(f, i)]; }
static inline bool fpu_is_empty(const X86FPUState *f, int i)
{
    return !(f->ftw & (1u << fpu_phys(f, i)));
}
static inline void fpu_set_valid(X86FPUState *f, int i) { f->ftw |= 1u << fpu_phys(f, i); }
static inline void fpu_set_empty(X86FPUState *f, int i) { f->ftw &= ~(1u << fpu_phys(f, i)); }
static inline void fpu_pop(X86FPUState *f)
{
    fpu_set_empty(f, 0);
    fpu_set_top(f, fpu_top(f) + 1);
}
static inline void fpu_push(X86FPUState *f, const X86FPReg *v)
{
    fpu_set_top(f, fpu_top(f) - 1);
    *fpu_st(f, 0) = *v;
    fpu_set_valid(f, 0);
}
/* The QNaN "real indefinite" (SDM vol.1 4.8.3.7) */
static const X86FPReg fpu_indefinite = { 0xc000000000000000ull, 0xffff };

/* ES and B follow the exception flags and the masks (SDM vol.1 8.1.3.x). */
static inline void fpu_update_es(X86FPUState *f)
{
    if (f->fsw & ~f->fcw & FSW_EXC) {
        f->fsw |= FSW_ES | FSW_B;
    } else {
        f->fsw &= ~(FSW_ES | FSW_B);
    }
}

/* Before an x87 instruction: #NM for CR0.EM or CR0.TS; then, for the
 * waiting ones, #MF for a pending unmasked exception (CR0.NE=1). */
void fpu_check_x87(TCGCPU *s, bool waiting);
/* Before an MMX instruction: #UD for EM, #NM for TS, #MF if pending. */
void fpu_check_mmx(TCGCPU *s);
/* Before an SSE/SSE2 instruction: #UD for EM or !OSFXSR, #NM for TS. */
void fpu_check_sse(TCGCPU *s);
/* The #MF check alone (FWAIT, after its own #NM test). */
void fpu_check_pending(TCGCPU *s);
/* Records FIP/FCS/FOP (and FDP/FDS for a memory operand) of a
 * non-control x87 instruction. */
void fpu_note_insn(TCGCPU *s, const DecodedInsn *d, uint64_t ea);
/* MMX instructions make the stack "all valid, TOP 0"; EMMS all empty. */
void fpu_enter_mmx(TCGCPU *s);

/* SSE: merge host exception flags into MXCSR; #XM (CR4.OSXMMEXCPT) or
 * #UD when one is unmasked, in which case the caller must not have
 * written its destination.  Returns only if every flag is masked. */
void sse_merge_flags(TCGCPU *s, uint32_t host_flags);

/* MXCSR for a host SSE instruction: the guest's modes, all masked, no flags. */
static inline uint32_t sse_host_csr(TCGCPU *s)
{
    return (fpu_state(s)->mxcsr | MXCSR_MASKS) & ~MXCSR_EXC;
}
/* The bits of MXCSR this CPU implements (FXSAVE's MXCSR_MASK). */
uint32_t sse_mxcsr_mask(void);

/* Linear address of d's memory operand (size bytes); #GP(0) unless it is
 * align-aligned (align 0: no check). */
uint64_t fpu_mem_lin(TCGCPU *s, const DecodedInsn *d, int size, bool write, int align);
/* Guest memory in 8-byte pieces; a store probes the whole range first,
 * so a fault leaves nothing half written. */
void fpu_ld_block(TCGCPU *s, uint64_t lin, void *buf, int n);
void fpu_st_block(TCGCPU *s, uint64_t lin, const void *buf, int n);

/* FXSAVE/FXRSTOR images (SDM vol.1 10.5.1, table 10-2); rex_w: 64-bit FIP/FDP. */
void fpu_fxsave(TCGCPU *s, uint8_t img[512], bool rex_w, bool xmm8_15);
bool fpu_fxrstor(TCGCPU *s, const uint8_t img[512], bool rex_w, bool xmm8_15);
/* The x87 full tag word of the current registers (SDM vol.1 8.1.7). */
uint16_t fpu_full_tags(const X86FPUState *f);

/* An x87 instruction carried out by a host instruction (ops-x87.c
 * op_x87): which stack registers it reads and writes, whether it pushes,
 * its memory operand.  The host instruction itself decides pops. */
struct HostX87;
typedef struct X87Desc {
    void (*host)(struct HostX87 *h);
    uint16_t f;
    uint8_t msize;
} X87Desc;
#define X87_N0  0x001 /* reads ST0 (stack underflow if empty) */
#define X87_N1  0x002 /* reads the second register */
#define X87_S1  0x004 /* ... which is ST1, not ST(rm) */
#define X87_W0  0x008 /* writes ST0 */
#define X87_W1  0x010 /* writes the second register */
#define X87_PU  0x020 /* pushes (stack overflow if ST7 is not empty) */
#define X87_LM  0x040 /* reads its memory operand */
#define X87_SM  0x080 /* writes its memory operand */
#define X87_EF  0x100 /* sets ZF, PF, CF (FCOMI) */
#define X87_XAM 0x200 /* FXAM: an empty ST0 is a class, not a fault */

/* ---- MMX/SSE handlers (ops-sse*.c, ops-simd.c) and their sub-ops (d->b) ---- */
/* d->imm2: memory operand bytes (0: register form only), SSE_ALIGN for the
 * 16-byte aligned forms, SSE_MMX for MMX registers */
#define SSE_ALIGN 0x100
#define SSE_MMX   0x200
#define SSE_MEMSZ(d) ((d)->imm2 & 0xff)

enum { /* op_sse_mov */
    MV_LD, MV_ST, MV_SS_LD, MV_SS_ST, MV_SD_LD, MV_SD_ST, MV_LO_LD, MV_LO_ST, MV_HI_LD,
    MV_HI_ST, MV_Q_LD, MV_Q_ST, MV_Q2DQ, MV_DQ2Q,
};
enum { /* op_sse_shuf */
    U_UNPCKLPS, U_UNPCKHPS, U_UNPCKLPD, U_UNPCKHPD, U_SHUFPS, U_SHUFPD,
};
enum { /* op_simd_int, in 0F 60..6D order first */
    L_PUNPCKLBW, L_PUNPCKLWD, L_PUNPCKLDQ, L_PACKSSWB, L_PCMPGTB, L_PCMPGTW, L_PCMPGTD,
    L_PACKUSWB, L_PUNPCKHBW, L_PUNPCKHWD, L_PUNPCKHDQ, L_PACKSSDW, L_PUNPCKLQDQ,
    L_PUNPCKHQDQ, L_PCMPEQB, L_PCMPEQW, L_PCMPEQD, L_PADDQ, L_PMULLW, L_PSUBUSB, L_PSUBUSW,
    L_PMINUB, L_PAND, L_PADDUSB, L_PADDUSW, L_PMAXUB, L_PANDN, L_PAVGB, L_PAVGW, L_PMULHUW,
    L_PMULHW, L_PSUBSB, L_PSUBSW, L_PMINSW, L_POR, L_PADDSB, L_PADDSW, L_PMAXSW, L_PXOR,
    L_PMULUDQ, L_PMADDWD, L_PSADBW, L_PSUBB, L_PSUBW, L_PSUBD, L_PSUBQ, L_PADDB, L_PADDW,
    L_PADDD, L_N
};
enum { /* op_simd_shift, op_simd_shift_imm */
    S_PSRLW, S_PSRLD, S_PSRLQ, S_PSRAW, S_PSRAD, S_PSLLW, S_PSLLD, S_PSLLQ, S_PSRLDQ, S_PSLLDQ,
};

#define H(name) void name(TCGCPU *s, const DecodedInsn *d)
H(op_sse_host); H(op_sse_cmp); H(op_sse_logic); H(op_sse_comi); H(op_sse_cvt_i2f);
H(op_sse_cvt_f2i); H(op_sse_cvt_mmx); H(op_sse_mov); H(op_sse_movd); H(op_movnti);
H(op_sse_movmsk); H(op_sse_shuf); H(op_sse_grp15); H(op_emms);
H(op_simd_int); H(op_simd_shift); H(op_simd_shift_imm); H(op_simd_pshuf); H(op_simd_pinsrw);
H(op_simd_pextrw); H(op_simd_pmovmskb); H(op_simd_maskmov); H(op_simd_movq);
#undef H

/* Operands of an SSE instruction: XMM register reg, and the source (an XMM
 * register or memory of SSE_MEMSZ bytes, zero-extended). */
static inline X86XMMReg *xmm_reg(TCGCPU *s, int r) { return &s->env->fpu.xmm[r & 15]; }
void sse_load_src(TCGCPU *s, const DecodedInsn *d, X86XMMReg *out);
/* MMX register r (ModRM fields: REX does not extend them) */
static inline uint64_t mmx_get(TCGCPU *s, int r) { return s->env->fpu.st[r & 7].mant; }
static inline void mmx_set(TCGCPU *s, int r, uint64_t v)
{
    s->env->fpu.st[r & 7].mant = v;
    s->env->fpu.st[r & 7].sign_exp = 0xffff; /* SDM vol.1 9.5.1 */
}

/* decode-x87.c / decode-sse.c: the decoder's hooks */
InsnHandler x87_decode(DecodedInsn *d, uint8_t opcode, uint8_t modrm);
InsnHandler sse_decode(TCGCPU *s, DecodedInsn *d, uint8_t opcode);

#endif
