/*
 * The decoder: prefixes, opcode tables, ModRM/SIB, immediates (SDM vol.2
 * chapter 2 and appendix A).  Each opcode is one table entry naming its
 * handler and what follows the opcode byte; the decoder fills a
 * DecodedInsn once and the block cache keeps it.  Laid out for long mode
 * (REX, 64-bit operands, RIP-relative addressing).  The x87 map (D8..DF)
 * and the prefix-selected MMX/SSE part of the 0F map have their own
 * tables (decode-x87.c, decode-sse.c), reached through F_X87 and F_SSE.
 */
#include "fpu_helper.h"

/* OpEntry.f */
#define F_MODRM   (1u << 0)
#define F_BYTE    (1u << 1)  /* 8-bit operands (reg and rm are byte registers) */
#define F_EBYTE   (1u << 2)  /* only the rm operand is a byte (movzx/movsx) */
#define F_IMM8    (1u << 3)  /* imm8, zero-extended */
#define F_IMM8S   (1u << 4)  /* imm8, sign-extended */
#define F_IMMZ    (1u << 5)  /* imm16/imm32 by operand size (sign-extended in 64-bit) */
#define F_IMM16   (1u << 6)
#define F_IMMV    (1u << 7)  /* imm16/32/64 by operand size (mov r, imm) */
#define F_REL8    (1u << 8)
#define F_RELZ    (1u << 9)
#define F_MOFFS   (1u << 10)
#define F_FARPTR  (1u << 11)
#define F_ENTER   (1u << 12)
#define F_REGOP   (1u << 13) /* register in the opcode's low three bits */
#define F_BRANCH  (1u << 14)
#define F_END     (1u << 15)
#define F_DEF64   (1u << 16) /* 64-bit operand by default in long mode */
#define F_GRP     (1u << 17)
#define F_NO64    (1u << 18) /* #UD in 64-bit mode */
#define F_SEGREG  (1u << 19) /* ModRM.reg names a segment register */
#define F_CONT    (1u << 20) /* conditional branch: decoding goes on past it */
#define F_X87     (1u << 21) /* x87 escape: x87_decode picks the handler */
#define F_SSE     (1u << 22) /* 0F map by mandatory prefix: sse_decode picks it */
#define F_MODREG  (1u << 23) /* ModRM.mod is ignored: always a register (MOV CR/DR) */
#define F_XLOCK   (1u << 24) /* locked without LOCK when the operand is memory (XCHG) */

typedef struct OpEntry {
    InsnHandler h;
    InsnHandler h32r;  /* 32-bit operands, register form (optional) */
    InsnHandler h32m;  /* 32-bit operands, memory form (optional) */
    InsnHandler h64r;  /* the same for 64-bit operands */
    InsnHandler h64m;
    /* The locked form (ops-atomic.c) of an instruction the SDM lets LOCK
     * prefix (vol.2 "LOCK"), taken with a memory destination; NULL: LOCK
     * is #UD. */
    InsnHandler hlock;
    uint32_t f;
    uint8_t b;
    const struct OpEntry *grp;
    const struct OpEntry *grp_mod3; /* register forms, by reg * 8 + rm (optional) */
} OpEntry;

#define E(handler, flags, ...) { .h = handler, .f = flags, __VA_ARGS__ }
#define MR F_MODRM

void op_ud(TCGCPU *s, const DecodedInsn *d)
{
    raise_exception(s, EXCP06_ILLOP);
}

/* ---- groups (indexed by ModRM.reg) ---- */
#define ALU_EI(fl, op) E(op_alu_EI, MR | (fl), .b = op, .hlock = op_lock_alu_EI)
#define ALU_GRP(fl) {                                                 \
    ALU_EI(fl, 0), ALU_EI(fl, 1), ALU_EI(fl, 2), ALU_EI(fl, 3),       \
    ALU_EI(fl, 4), ALU_EI(fl, 5), ALU_EI(fl, 6),                      \
    E(op_alu_EI, MR | (fl), .b = 7) /* CMP: not lockable */ }
static const OpEntry grp1_80[8] = ALU_GRP(F_BYTE | F_IMM8);
static const OpEntry grp1_81[8] = ALU_GRP(F_IMMZ);
static const OpEntry grp1_83[8] = ALU_GRP(F_IMM8S);

#define SHIFT_GRP(h, fl) {                                    \
    E(h, MR | (fl), .b = 0), E(h, MR | (fl), .b = 1),         \
    E(h, MR | (fl), .b = 2), E(h, MR | (fl), .b = 3),         \
    E(h, MR | (fl), .b = 4), E(h, MR | (fl), .b = 5),         \
    E(h, MR | (fl), .b = 6), E(h, MR | (fl), .b = 7) }
static const OpEntry grp2_c0[8] = SHIFT_GRP(op_shift_EI, F_BYTE | F_IMM8);
static const OpEntry grp2_c1[8] = SHIFT_GRP(op_shift_EI, F_IMM8);
static const OpEntry grp2_d0[8] = SHIFT_GRP(op_shift_E1, F_BYTE);
static const OpEntry grp2_d1[8] = SHIFT_GRP(op_shift_E1, 0);
static const OpEntry grp2_d2[8] = SHIFT_GRP(op_shift_ECL, F_BYTE);
static const OpEntry grp2_d3[8] = SHIFT_GRP(op_shift_ECL, 0);

static const OpEntry grp3_f6[8] = {
    E(op_test_EI, MR | F_BYTE | F_IMM8), E(op_test_EI, MR | F_BYTE | F_IMM8),
    E(op_not_E, MR | F_BYTE, .hlock = op_lock_not), E(op_neg_E, MR | F_BYTE, .hlock = op_lock_neg),
    E(op_mul_E, MR | F_BYTE), E(op_imul1_E, MR | F_BYTE),
    E(op_div_E, MR | F_BYTE), E(op_idiv_E, MR | F_BYTE),
};
static const OpEntry grp3_f7[8] = {
    E(op_test_EI, MR | F_IMMZ, .h32r = op_test_EI_32r, .h32m = op_test_EI_32m,
      .h64r = op_test_EI_64r),
    E(op_test_EI, MR | F_IMMZ, .h32r = op_test_EI_32r, .h32m = op_test_EI_32m,
      .h64r = op_test_EI_64r),
    E(op_not_E, MR, .hlock = op_lock_not), E(op_neg_E, MR, .hlock = op_lock_neg),
    E(op_mul_E, MR), E(op_imul1_E, MR),
    E(op_div_E, MR), E(op_idiv_E, MR),
};
static const OpEntry grp4_fe[8] = {
    E(op_inc_E, MR | F_BYTE, .hlock = op_lock_inc), E(op_dec_E, MR | F_BYTE, .hlock = op_lock_dec),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    E(op_ud, F_END),
};
static const OpEntry grp5_ff[8] = {
    E(op_inc_E, MR, .hlock = op_lock_inc), E(op_dec_E, MR, .hlock = op_lock_dec),
    E(op_call_E, MR | F_BRANCH | F_DEF64), E(op_lcall_E, MR | F_BRANCH),
    E(op_jmp_E, MR | F_BRANCH | F_DEF64), E(op_ljmp_E, MR | F_BRANCH),
    E(op_push_E, MR | F_DEF64), E(op_ud, F_END),
};
static const OpEntry grp_8f[8] = {
    E(op_pop_E, MR | F_DEF64), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
};
static const OpEntry grp11_c6[8] = {
    E(op_mov_EI, MR | F_BYTE | F_IMM8), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
};
static const OpEntry grp11_c7[8] = {
    E(op_mov_EI, MR | F_IMMZ), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
};
static const OpEntry grp6_0f00[8] = {
    E(op_sldt, MR), E(op_str, MR), E(op_lldt, MR | F_END), E(op_ltr, MR | F_END),
    E(op_verr, MR), E(op_verw, MR), E(op_ud, F_END), E(op_ud, F_END),
};
static const OpEntry grp7_0f01[8] = {
    E(op_sgdt, MR), E(op_sidt, MR), E(op_lgdt, MR | F_END), E(op_lidt, MR | F_END),
    E(op_smsw, MR), E(op_ud, F_END), E(op_lmsw, MR | F_END), E(op_invlpg, MR | F_END),
};
static const OpEntry grp8_0fba[8] = {
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    E(op_bt_EI, MR | F_IMM8, .b = 0), E(op_bt_EI, MR | F_IMM8, .b = 1, .hlock = op_lock_bt_EI),
    E(op_bt_EI, MR | F_IMM8, .b = 2, .hlock = op_lock_bt_EI),
    E(op_bt_EI, MR | F_IMM8, .b = 3, .hlock = op_lock_bt_EI),
};
/* 0F 01 with mod = 3: SMSW/LMSW r, SWAPGS, RDTSCP; the rest (VMX, SVM,
 * MONITOR, XGETBV...) belongs to features this CPU does not have. */
static const OpEntry grp7_mod3[64] = {
    [0 ... 31] = E(op_ud, F_END),
    [32 ... 39] = E(op_smsw, MR),
    [40 ... 47] = E(op_ud, F_END),
    [48 ... 55] = E(op_lmsw, MR | F_END),
    [56] = E(op_swapgs, 0), [57] = E(op_rdtscp, 0),
    [58 ... 63] = E(op_ud, F_END),
};
static const OpEntry grp9_0fc7[8] = {
    E(op_ud, F_END), E(op_cmpxchg8b, MR, .hlock = op_lock_cmpxchg8b), E(op_ud, F_END), E(op_ud, F_END),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
};
/* RDRAND and RDSEED are not offered; F3 with /7 is RDPID */
static const OpEntry grp9_mod3[64] = {
    [0 ... 55] = E(op_ud, F_END),
    [56 ... 63] = E(op_rdpid, MR),
};
/* 0F AE: memory forms (/0-/3 FXSAVE, FXRSTOR, LDMXCSR, STMXCSR belong to
 * the SSE unit; /4-/6 XSAVE* need XSAVE), /7 CLFLUSH; with mod = 3 the
 * fences (/5 LFENCE, /6 MFENCE, /7 SFENCE). */
static const OpEntry grp15_0fae[8] = {
    E(op_ud, MR | F_SSE), E(op_ud, MR | F_SSE), E(op_ud, MR | F_SSE), E(op_ud, MR | F_SSE),
    E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_clflush, MR),
};
static const OpEntry grp15_mod3[64] = {
    [0 ... 31] = E(op_fsgsbase, MR),  /* with F3 */
    [32 ... 39] = E(op_ud, F_END),
    [40 ... 47] = E(op_fence, MR, .b = 5),
    [48 ... 55] = E(op_fence, MR, .b = 6),
    [56 ... 63] = E(op_fence, MR, .b = 7),
};
/* Opcodes whose meaning long mode changes */
static const OpEntry op_movsxd_entry = E(op_movsxd, MR, .h64r = op_movsxd_64r,
                                         .h64m = op_movsxd_64m);
static const OpEntry op_xchg_r8_entry = E(op_xchg_rA, F_REGOP);
static const OpEntry op_pause_entry = E(op_pause, 0);

#define GRP(table, fl) { .h = NULL, .f = F_GRP | MR | (fl), .grp = table }
#define GRP2(table, mod3, fl) { .h = NULL, .f = F_GRP | MR | (fl), .grp = table, \
                                .grp_mod3 = mod3 }
#define ALU_LOCK(op) .hlock = (op) == 7 ? NULL : op_lock_alu_EG /* CMP: not lockable */
#define ALU_ROW(op)                                                                    \
    E(op_alu_EG, MR | F_BYTE, .b = op, ALU_LOCK(op)), E(op_alu_EG, MR, .b = op, ALU_LOCK(op)), \
    E(op_alu_GE, MR | F_BYTE, .b = op), E(op_alu_GE, MR, .b = op),                     \
    E(op_alu_AI, F_BYTE | F_IMM8, .b = op), E(op_alu_AI, F_IMMZ, .b = op)
#define X8(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, \
                __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define X16(...) X8(__VA_ARGS__), X8(__VA_ARGS__)

static const OpEntry optable1[256] = {
    /* 00 */ ALU_ROW(0), E(op_push_seg, F_NO64, .b = R_ES), E(op_pop_seg, F_NO64 | F_END, .b = R_ES),
    /* 08 */ ALU_ROW(1), E(op_push_seg, F_NO64, .b = R_CS), E(op_ud, F_END) /* 0f */,
    /* 10 */ ALU_ROW(2), E(op_push_seg, F_NO64, .b = R_SS), E(op_pop_seg, F_NO64 | F_END, .b = R_SS),
    /* 18 */ ALU_ROW(3), E(op_push_seg, F_NO64, .b = R_DS), E(op_pop_seg, F_NO64 | F_END, .b = R_DS),
    /* 20 */ ALU_ROW(4), E(op_ud, F_END) /* es: */, E(op_daa, F_NO64),
    /* 28 */ ALU_ROW(5), E(op_ud, F_END) /* cs: */, E(op_das, F_NO64),
    /* 30 */ ALU_ROW(6), E(op_ud, F_END) /* ss: */, E(op_aaa, F_NO64),
    /* 38 */ ALU_ROW(7), E(op_ud, F_END) /* ds: */, E(op_aas, F_NO64),
    /* 40 */ X8(E(op_inc_r, F_REGOP)),
    /* 48 */ X8(E(op_dec_r, F_REGOP)),
    /* 50 */ X8(E(op_push_r, F_REGOP | F_DEF64, .h32r = op_push_r32, .h64r = op_push_r64)),
    /* 58 */ X8(E(op_pop_r, F_REGOP | F_DEF64, .h32r = op_pop_r32, .h64r = op_pop_r64)),
    /* 60 */ E(op_pusha, F_NO64), E(op_popa, F_NO64), E(op_bound, MR | F_NO64),
             E(op_arpl, MR), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END), E(op_ud, F_END),
    /* 68 */ E(op_push_I, F_IMMZ | F_DEF64),
             E(op_imul_GEI, MR | F_IMMZ, .h32r = op_imul_GEI_32r, .h64r = op_imul_GEI_64r),
             E(op_push_I, F_IMM8S | F_DEF64),
             E(op_imul_GEI, MR | F_IMM8S, .h32r = op_imul_GEI_32r, .h64r = op_imul_GEI_64r),
             E(op_ins, F_BYTE), E(op_ins, 0), E(op_outs, F_BYTE), E(op_outs, 0),
    /* 70 */ X16(E(op_jcc, F_REL8 | F_BRANCH | F_DEF64)),
    /* 80 */ GRP(grp1_80, 0), GRP(grp1_81, 0), GRP(grp1_80, F_NO64), GRP(grp1_83, 0),
             E(op_test_EG, MR | F_BYTE), E(op_test_EG, MR, .h32r = op_test_EG_32r,
                  .h32m = op_test_EG_32m, .h64r = op_test_EG_64r, .h64m = op_test_EG_64m),
             E(op_xchg_EG, MR | F_BYTE | F_XLOCK, .hlock = op_lock_xchg),
             E(op_xchg_EG, MR | F_XLOCK, .hlock = op_lock_xchg),
    /* 88 */ E(op_mov_EG, MR | F_BYTE), E(op_mov_EG, MR, .h32r = op_mov_EG_32r, .h32m = op_mov_EG_32m,
                                              .h64r = op_mov_EG_64r, .h64m = op_mov_EG_64m),
             E(op_mov_GE, MR | F_BYTE), E(op_mov_GE, MR, .h32r = op_mov_GE_32r, .h32m = op_mov_GE_32m,
                                          .h64r = op_mov_GE_64r, .h64m = op_mov_GE_64m),
             E(op_mov_E_seg, MR | F_SEGREG), E(op_lea, MR, .h32m = op_lea_32, .h64m = op_lea_64),
             E(op_mov_seg_E, MR | F_SEGREG | F_END), GRP(grp_8f, 0),
    /* 90 */ E(op_nop, 0), E(op_xchg_rA, F_REGOP), E(op_xchg_rA, F_REGOP), E(op_xchg_rA, F_REGOP),
             E(op_xchg_rA, F_REGOP), E(op_xchg_rA, F_REGOP), E(op_xchg_rA, F_REGOP),
             E(op_xchg_rA, F_REGOP),
    /* 98 */ E(op_cbw, 0), E(op_cwd, 0), E(op_lcall_A, F_FARPTR | F_BRANCH | F_NO64),
             E(op_fwait, 0), E(op_pushf, F_DEF64), E(op_popf, F_DEF64 | F_END),
             E(op_sahf, 0), E(op_lahf, 0),
    /* a0 */ E(op_mov_AO, F_MOFFS | F_BYTE), E(op_mov_AO, F_MOFFS),
             E(op_mov_OA, F_MOFFS | F_BYTE), E(op_mov_OA, F_MOFFS),
             E(op_movs, F_BYTE), E(op_movs, 0), E(op_cmps, F_BYTE), E(op_cmps, 0),
    /* a8 */ E(op_test_AI, F_BYTE | F_IMM8), E(op_test_AI, F_IMMZ),
             E(op_stos, F_BYTE), E(op_stos, 0), E(op_lods, F_BYTE), E(op_lods, 0),
             E(op_scas, F_BYTE), E(op_scas, 0),
    /* b0 */ X8(E(op_mov_rI, F_REGOP | F_BYTE | F_IMM8)),
    /* b8 */ X8(E(op_mov_rI, F_REGOP | F_IMMV)),
    /* c0 */ GRP(grp2_c0, 0), GRP(grp2_c1, 0),
             E(op_ret_imm, F_IMM16 | F_BRANCH | F_DEF64), E(op_ret, F_BRANCH | F_DEF64),
             E(op_lxs, MR | F_NO64, .b = R_ES), E(op_lxs, MR | F_NO64, .b = R_DS),
             GRP(grp11_c6, 0), GRP(grp11_c7, 0),
    /* c8 */ E(op_enter, F_ENTER | F_DEF64), E(op_leave, F_DEF64),
             E(op_lret, F_IMM16 | F_BRANCH), E(op_lret, F_BRANCH),
             E(op_int3, F_BRANCH), E(op_int, F_IMM8 | F_BRANCH), E(op_into, F_BRANCH | F_NO64),
             E(op_iret, F_BRANCH),
    /* d0 */ GRP(grp2_d0, 0), GRP(grp2_d1, 0), GRP(grp2_d2, 0), GRP(grp2_d3, 0),
             E(op_aam, F_IMM8 | F_NO64), E(op_aad, F_IMM8 | F_NO64), E(op_salc, F_NO64),
             E(op_xlat, 0),
    /* d8 */ X8(E(op_ud, MR | F_X87)),
    /* e0 */ E(op_loop, F_REL8 | F_BRANCH | F_DEF64, .b = 0),
             E(op_loop, F_REL8 | F_BRANCH | F_DEF64, .b = 1),
             E(op_loop, F_REL8 | F_BRANCH | F_DEF64, .b = 2),
             E(op_jcxz, F_REL8 | F_BRANCH | F_DEF64),
             E(op_in_I, F_BYTE | F_IMM8), E(op_in_I, F_IMM8),
             E(op_out_I, F_BYTE | F_IMM8), E(op_out_I, F_IMM8),
    /* e8 */ E(op_call, F_RELZ | F_BRANCH | F_DEF64), E(op_jmp, F_RELZ | F_BRANCH | F_DEF64),
             E(op_ljmp_A, F_FARPTR | F_BRANCH | F_NO64), E(op_jmp, F_REL8 | F_BRANCH | F_DEF64),
             E(op_in_DX, F_BYTE), E(op_in_DX, 0), E(op_out_DX, F_BYTE), E(op_out_DX, 0),
    /* f0 */ E(op_ud, F_END), E(op_int1, F_BRANCH), E(op_ud, F_END), E(op_ud, F_END),
             E(op_hlt, F_BRANCH), E(op_cmc, 0), GRP(grp3_f6, 0), GRP(grp3_f7, 0),
    /* f8 */ E(op_clc, 0), E(op_stc, 0), E(op_cli, 0), E(op_sti, F_END),
             E(op_cld, 0), E(op_std, 0), GRP(grp4_fe, 0), GRP(grp5_ff, 0),
};

static const OpEntry optable2[256] = {
    [0x00] = GRP(grp6_0f00, 0),
    [0x01] = GRP2(grp7_0f01, grp7_mod3, 0),
    [0x02] = E(op_lar, MR), [0x03] = E(op_lsl, MR),
    [0x05] = E(op_syscall, F_BRANCH), [0x06] = E(op_clts, F_END),
    [0x07] = E(op_sysret, F_BRANCH),
    [0x34] = E(op_sysenter, F_BRANCH), [0x35] = E(op_sysexit, F_BRANCH),
    [0x08] = E(op_invd, 0), [0x09] = E(op_invd, 0),
    [0x0d] = E(op_nop, MR), /* prefetch hints */
    [0x18 ... 0x1f] = E(op_nop, MR), /* hint NOPs (nopl, endbr32) */
    [0x20] = E(op_mov_r_cr, MR | F_MODREG), [0x21] = E(op_mov_r_dr, MR | F_MODREG),
    [0x22] = E(op_mov_cr_r, MR | F_MODREG | F_END), [0x23] = E(op_mov_dr_r, MR | F_MODREG | F_END),
    [0x30] = E(op_wrmsr, F_END), [0x31] = E(op_rdtsc, 0), [0x32] = E(op_rdmsr, 0),
    [0x33] = E(op_rdpmc, 0),
    [0x40 ... 0x4f] = E(op_cmovcc, MR),
    [0x80 ... 0x8f] = E(op_jcc, F_RELZ | F_BRANCH | F_DEF64),
    [0x90 ... 0x9f] = E(op_setcc, MR | F_BYTE),
    [0xa0] = E(op_push_seg, F_DEF64, .b = R_FS), [0xa1] = E(op_pop_seg, F_DEF64 | F_END, .b = R_FS),
    [0xa2] = E(op_cpuid, 0), [0xa3] = E(op_bt_EG, MR, .b = 0),
    [0xa4] = E(op_shld_I, MR | F_IMM8), [0xa5] = E(op_shld_CL, MR),
    [0xa8] = E(op_push_seg, F_DEF64, .b = R_GS), [0xa9] = E(op_pop_seg, F_DEF64 | F_END, .b = R_GS),
    [0xab] = E(op_bt_EG, MR, .b = 1, .hlock = op_lock_bt_EG),
    [0xac] = E(op_shrd_I, MR | F_IMM8), [0xad] = E(op_shrd_CL, MR),
    [0xae] = GRP2(grp15_0fae, grp15_mod3, 0),
    [0xaf] = E(op_imul_GE, MR, .h32r = op_imul_GE_32r, .h32m = op_imul_GE_32m,
               .h64r = op_imul_GE_64r, .h64m = op_imul_GE_64m),
    [0xb0] = E(op_cmpxchg, MR | F_BYTE, .hlock = op_lock_cmpxchg),
    [0xb1] = E(op_cmpxchg, MR, .hlock = op_lock_cmpxchg),
    [0xb2] = E(op_lxs, MR, .b = R_SS), [0xb3] = E(op_bt_EG, MR, .b = 2, .hlock = op_lock_bt_EG),
    [0xb4] = E(op_lxs, MR, .b = R_FS), [0xb5] = E(op_lxs, MR, .b = R_GS),
    [0xb8] = E(op_popcnt, MR),
    [0xb6] = E(op_movzx_b, MR | F_EBYTE, .h32r = op_movzx_b_32r, .h32m = op_movzx_b_32m),
    [0xb7] = E(op_movzx_w, MR, .h32m = op_movzx_w_32m),
    [0xba] = GRP(grp8_0fba, 0), [0xbb] = E(op_bt_EG, MR, .b = 3, .hlock = op_lock_bt_EG),
    [0xbc] = E(op_bsf, MR), [0xbd] = E(op_bsr, MR),
    [0xbe] = E(op_movsx_b, MR | F_EBYTE, .h32m = op_movsx_b_32m), [0xbf] = E(op_movsx_w, MR),
    [0xc0] = E(op_xadd, MR | F_BYTE, .hlock = op_lock_xadd),
    [0xc1] = E(op_xadd, MR, .hlock = op_lock_xadd),
    [0xc7] = GRP2(grp9_0fc7, grp9_mod3, 0),
    [0xc8 ... 0xcf] = E(op_bswap, F_REGOP),
    /* MMX, SSE, SSE2 */
    [0x10 ... 0x17] = E(op_ud, MR | F_SSE), [0x28 ... 0x2f] = E(op_ud, MR | F_SSE),
    [0x50 ... 0x6f] = E(op_ud, MR | F_SSE), [0x70 ... 0x73] = E(op_ud, MR | F_SSE | F_IMM8),
    [0x74 ... 0x76] = E(op_ud, MR | F_SSE), [0x77] = E(op_ud, F_SSE),
    [0x7e ... 0x7f] = E(op_ud, MR | F_SSE), /* 0xae: grp15_0fae above */
    [0xc2] = E(op_ud, MR | F_SSE | F_IMM8), [0xc3] = E(op_ud, MR | F_SSE),
    [0xc4 ... 0xc6] = E(op_ud, MR | F_SSE | F_IMM8), [0xd0 ... 0xff] = E(op_ud, MR | F_SSE),
};

/* ---- the decoder proper ---- */

typedef struct Fetcher {
    TCGCPU *s;
    uint64_t pc;
    uint64_t start;
    uint8_t (*fetch)(TCGCPU *s, uint64_t pc, void *opaque);
    void *opaque;
    uint64_t ip_mask;
} Fetcher;

static uint8_t next8(Fetcher *f)
{
    uint8_t b = f->fetch(f->s, f->pc & f->ip_mask, f->opaque);
    f->pc++;
    return b;
}

static uint16_t next16(Fetcher *f)
{
    uint16_t lo = next8(f);
    return lo | (next8(f) << 8);
}

static uint32_t next32(Fetcher *f)
{
    uint32_t lo = next16(f);
    return lo | ((uint32_t)next16(f) << 16);
}

static uint64_t next_imm(Fetcher *f, int ot)
{
    switch (ot) {
    case MO_8: return next8(f);
    case MO_16: return next16(f);
    default: return next32(f);
    }
}

/* ModRM (and SIB, displacement): SDM vol.2 tables 2-1..2-3. */
static void decode_modrm(Fetcher *f, DecodedInsn *d, uint8_t modrm, int rex, bool code64,
                         int seg_override)
{
    int mod = modrm >> 6, rm = modrm & 7;
    bool ss_default = false;

    d->base = d->index = REG_NONE;
    d->scale = 0;
    d->disp = 0;
    if (mod == 3) {
        d->mod3 = 1;
        d->rm = rm | ((rex & 1) << 3);
        return;
    }
    if (d->aflag == MO_16) {
        static const uint8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, REG_NONE, REG_NONE,
                                           R_EBP, R_EBX };
        static const uint8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_ESI, R_EDI,
                                            REG_NONE, REG_NONE };
        if (mod == 0 && rm == 6) {
            d->disp = (int16_t)next16(f);
        } else {
            d->base = base16[rm];
            d->index = index16[rm];
            ss_default = rm == 2 || rm == 3 || rm == 6;
            if (d->base == REG_NONE) {
                d->base = d->index;
                d->index = REG_NONE;
            }
            if (mod == 1) {
                d->disp = (int8_t)next8(f);
            } else if (mod == 2) {
                d->disp = (int16_t)next16(f);
            }
        }
    } else {
        int base = rm;
        if (rm == 4) {
            uint8_t sib = next8(f);
            int index = ((sib >> 3) & 7) | ((rex & 2) << 2);
            d->scale = sib >> 6;
            if (index != 4) {
                d->index = index;
            }
            base = sib & 7;
            if (base == 5 && mod == 0) {
                d->disp = (int32_t)next32(f);
                base = -1;
            }
        } else if (rm == 5 && mod == 0) {
            d->disp = (int32_t)next32(f);
            base = code64 ? -2 : -1;
        }
        if (base >= 0) {
            d->base = base | ((rex & 1) << 3);
            ss_default = (base & 7) == R_ESP || (base & 7) == R_EBP;
        } else if (base == -2) {
            d->base = REG_RIPREL;
        }
        if (mod == 1) {
            d->disp = (int8_t)next8(f);
        } else if (mod == 2) {
            d->disp = (int32_t)next32(f);
        }
    }
    d->seg = seg_override >= 0 ? seg_override : ss_default ? R_SS : R_DS;
}

void decode_insn(TCGCPU *s, DecodedInsn *d, uint64_t pc, uint32_t tb_flags,
                 uint8_t (*fetch)(TCGCPU *s, uint64_t pc, void *opaque), void *opaque)
{
    bool code64 = tb_flags & TB_FLAG_CODE64;
    bool cs32 = code64 || (tb_flags & TB_FLAG_CS32);
    Fetcher f = { s, pc, pc, fetch, opaque, code64 ? ~0ull : cs32 ? 0xffffffffull : 0xffff };
    int seg_override = -1, rex = 0;
    bool data16 = false, addr_prefix = false;
    const OpEntry *e;
    uint8_t b, modrm = 0;
    uint32_t fl;

    memset(d, 0, sizeof(*d));
    d->base = d->index = REG_NONE;
    for (;;) {
        b = next8(&f);
        switch (b) {
        case 0x26: seg_override = R_ES; continue;
        case 0x2e: seg_override = R_CS; continue;
        case 0x36: seg_override = R_SS; continue;
        case 0x3e: seg_override = R_DS; continue;
        case 0x64: seg_override = R_FS; continue;
        case 0x65: seg_override = R_GS; continue;
        case 0x66: data16 = true; d->prefix |= PREFIX_DATA; continue;
        case 0x67: addr_prefix = true; d->prefix |= PREFIX_ADR; continue;
        case 0xf0: d->prefix |= PREFIX_LOCK; continue;
        case 0xf2: d->prefix = (d->prefix & ~PREFIX_REPZ) | PREFIX_REPNZ; continue;
        case 0xf3: d->prefix = (d->prefix & ~PREFIX_REPNZ) | PREFIX_REPZ; continue;
        default: break;
        }
        if (code64 && (b & 0xf0) == 0x40) {
            rex = b; /* only counts if it is the last prefix */
            b = next8(&f);
            if ((b & 0xf0) == 0x40 || b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 ||
                b == 0xf3 || b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
                b == 0x64 || b == 0x65) {
                f.pc--;
                rex = 0;
                continue;
            }
            d->prefix |= PREFIX_REX;
        }
        break;
    }
    if (b == 0x0f) {
        b = next8(&f);
        e = &optable2[b];
    } else {
        e = &optable1[b];
        if (code64 && b == 0x63) {
            e = &op_movsxd_entry; /* ARPL's opcode */
        } else if (b == 0x90 && (rex & 1)) {
            e = &op_xchg_r8_entry; /* not NOP: XCHG R8, RAX */
        } else if (b == 0x90 && (d->prefix & PREFIX_REPZ)) {
            e = &op_pause_entry; /* F3 90: PAUSE */
        }
    }
    fl = e->f;
    d->b = e->b;
    if (!e->h && !(fl & F_GRP)) {
        d->handler = op_ud;
        d->flags = INSN_END_TB;
        goto finish;
    }
    if (code64 && (fl & F_NO64)) {
        d->handler = op_ud;
        d->flags = INSN_END_TB;
        goto finish;
    }

    /* Sizes (SDM vol.1 3.6) */
    if (code64) {
        d->aflag = addr_prefix ? MO_32 : MO_64;
    } else {
        d->aflag = (cs32 ^ addr_prefix) ? MO_32 : MO_16;
    }
    if (rex & 8) {
        d->ot = MO_64;
    } else if (code64 && (fl & F_DEF64)) {
        d->ot = data16 ? MO_16 : MO_64;
    } else {
        d->ot = (cs32 ^ data16) ? MO_32 : MO_16;
    }
    d->seg = seg_override >= 0 ? seg_override : R_DS;

    if (fl & F_MODRM) {
        modrm = next8(&f);
        if (fl & F_MODREG) {
            modrm |= 0xc0;
        }
        decode_modrm(&f, d, modrm, rex, code64, seg_override);
        d->reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
        if (fl & F_GRP) {
            const OpEntry *g = (d->mod3 && e->grp_mod3) ? &e->grp_mod3[modrm & 0x3f]
                                                        : &e->grp[(modrm >> 3) & 7];
            fl = (fl & ~F_GRP) | g->f;
            e = g;
            d->b = g->b;
            if (code64 && (fl & F_DEF64) && !(rex & 8)) {
                d->ot = data16 ? MO_16 : MO_64;
            }
        }
    }
    if (fl & F_REGOP) {
        d->reg = (b & 7) | ((rex & 1) << 3);
    }
    if (fl & F_BYTE) {
        d->ot = MO_8;
        d->reg = reg8_offset(d->reg, rex);
        if (d->mod3) {
            d->rm = reg8_offset(d->rm, rex);
        }
    }
    if ((fl & F_EBYTE) && d->mod3) {
        d->rm = reg8_offset(d->rm, rex);
    }
    /* SDM vol.2 "LOCK": #UD unless the instruction is one of those listed
     * there (hlock) and its destination is memory. */
    if ((d->prefix & PREFIX_LOCK) && (!e->hlock || d->mod3)) {
        d->handler = op_ud;
        d->flags = INSN_END_TB;
        goto finish;
    }
    if ((fl & F_SEGREG) && (d->reg & 7) > R_GS) {
        d->handler = op_ud;
        d->flags = INSN_END_TB;
        goto finish;
    }

    /* Immediates */
    if (fl & F_MOFFS) {
        d->disp = 0;
        d->base = d->index = REG_NONE;
        if (d->aflag == MO_64) {
            uint64_t lo = next32(&f);
            d->imm = lo | ((uint64_t)next32(&f) << 32);
        } else {
            d->imm = d->aflag == MO_16 ? next16(&f) : next32(&f);
        }
    }
    if (fl & F_IMM8) {
        d->imm = next8(&f);
    } else if (fl & F_IMM8S) {
        d->imm = (int64_t)(int8_t)next8(&f);
    } else if (fl & F_IMMZ) {
        d->imm = d->ot == MO_16 ? next16(&f) : (uint64_t)(int64_t)(int32_t)next32(&f);
        if (d->ot == MO_8) { /* not reached: byte forms use F_IMM8 */
            d->imm &= 0xff;
        }
    } else if (fl & F_IMM16) {
        d->imm = next16(&f);
    } else if (fl & F_IMMV) {
        if (d->ot == MO_64) {
            uint64_t lo = next32(&f);
            d->imm = lo | ((uint64_t)next32(&f) << 32);
        } else {
            d->imm = next_imm(&f, d->ot);
        }
    } else if (fl & F_ENTER) {
        d->imm = next16(&f);
        d->imm2 = next8(&f);
    } else if (fl & F_FARPTR) {
        d->imm = d->ot == MO_16 ? next16(&f) : next32(&f);
        d->imm2 = next16(&f);
    }
    if (fl & (F_REL8 | F_RELZ)) {
        int64_t rel = (fl & F_REL8) ? (int8_t)next8(&f)
                      : d->ot == MO_16 ? (int16_t)next16(&f) : (int32_t)next32(&f);
        uint64_t target = f.pc + rel;
        d->imm = d->ot == MO_16 ? (target & 0xffff)
                 : d->ot == MO_32 ? (uint32_t)target : target;
    }

    d->handler = e->h;
    if (fl & F_X87) {
        d->handler = x87_decode(d, b, modrm);
    } else if (fl & F_SSE) {
        d->handler = sse_decode(s, d, b);
    }
    if (d->ot == MO_64 && (e->h == op_in_I || e->h == op_out_I || e->h == op_in_DX ||
                           e->h == op_out_DX || e->h == op_ins || e->h == op_outs)) {
        d->ot = MO_32; /* port I/O has no 64-bit form: REX.W is ignored */
    }
    if (e->h == op_jcc || e->h == op_setcc || e->h == op_cmovcc) {
        d->b = b & 15; /* the condition (SDM vol.1 B.1) */
    }
    if (e->h == op_cmovcc && !cpu_has(s, FEAT_1_EDX, CPUID_CMOV)) {
        d->handler = op_ud; /* SDM vol.2 CMOVcc: #UD without CPUID.01H:EDX.CMOV */
    }
    if (e->h == op_jcc) {
        d->handler = op_jcc_cond[d->b];
        fl |= F_CONT;
    }
    if (code64 && (fl & (F_REL8 | F_RELZ)) && !is_canonical(d->imm)) {
        /* a non-canonical relative target faults at the branch when taken */
        if (e->h == op_jmp || e->h == op_call) {
            d->handler = op_gp0;
        } else if (e->h == op_jcc) {
            d->handler = op_jcc_nc;
        }
    }
    if (d->ot == MO_32 && !(fl & F_BYTE)) {
        if (!d->mod3 && (fl & F_MODRM) && e->h32m) {
            d->handler = e->h32m;
        } else if ((d->mod3 || !(fl & F_MODRM)) && e->h32r) {
            d->handler = e->h32r;
        }
    } else if (d->ot == MO_64) {
        if (!d->mod3 && (fl & F_MODRM) && e->h64m) {
            d->handler = e->h64m;
        } else if ((d->mod3 || !(fl & F_MODRM)) && e->h64r) {
            d->handler = e->h64r;
        }
    }
    /* Specialised 32-bit and 64-bit ALU forms */
    if (d->ot == MO_64 && !(d->prefix & PREFIX_LOCK)) {
        if (e->h == op_alu_EG) {
            d->handler = d->mod3 ? alu64_rr[d->b] : alu64_mr[d->b];
        } else if (e->h == op_alu_GE) {
            d->handler = d->mod3 ? alu64_rr[d->b] : alu64_rm[d->b];
            if (d->mod3) {
                uint8_t t = d->reg; /* G op= E: swap so that rm is the destination */
                d->reg = d->rm;
                d->rm = t;
            }
        } else if (e->h == op_alu_EI) {
            d->handler = d->mod3 ? alu64_ri[d->b] : alu64_mi[d->b];
        } else if (e->h == op_alu_AI) {
            d->rm = R_EAX; /* op rAX, imm is op r/m=rAX, imm: the threaded form */
            d->handler = alu64_ri[d->b];
        } else if (e->h == op_test_AI) {
            d->rm = R_EAX;
            d->handler = op_test_EI_64r;
        }
    }
    if (d->ot == MO_32 && !(d->prefix & PREFIX_LOCK)) {
        if (e->h == op_alu_EG) {
            d->handler = d->mod3 ? alu32_rr[d->b] : alu32_mr[d->b];
        } else if (e->h == op_alu_GE) {
            d->handler = d->mod3 ? alu32_rr[d->b] : alu32_rm[d->b];
            if (d->mod3) {
                /* G op= E: swap so that rm is the destination */
                uint8_t t = d->reg;
                d->reg = d->rm;
                d->rm = t;
            }
        } else if (e->h == op_alu_EI) {
            d->handler = d->mod3 ? alu32_ri[d->b] : alu32_mi[d->b];
        } else if (e->h == op_alu_AI) {
            d->rm = R_EAX;
            d->handler = alu32_ri[d->b];
        } else if (e->h == op_test_AI) {
            d->rm = R_EAX;
            d->handler = op_test_EI_32r;
        }
    }
    /* SHL/SHR/SAR of a 32- or 64-bit register by 1, imm8 or CL (the
     * by-1 form D1 is the imm8 one with imm 1); the rest of group 2
     * (rotates) and memory operands take the generic shift_E */
    if ((d->ot == MO_32 || d->ot == MO_64) && d->mod3 && !(d->prefix & PREFIX_LOCK) &&
        (e->h == op_shift_EI || e->h == op_shift_ECL || e->h == op_shift_E1)) {
        static const InsnHandler shift_r[2][2][8] = {
            { { [4] = op_shl_32ri, [5] = op_shr_32ri, [6] = op_shl_32ri, [7] = op_sar_32ri },
              { [4] = op_shl_32rc, [5] = op_shr_32rc, [6] = op_shl_32rc, [7] = op_sar_32rc } },
            { { [4] = op_shl_64ri, [5] = op_shr_64ri, [6] = op_shl_64ri, [7] = op_sar_64ri },
              { [4] = op_shl_64rc, [5] = op_shr_64rc, [6] = op_shl_64rc, [7] = op_sar_64rc } },
        };
        InsnHandler h = shift_r[d->ot == MO_64][e->h == op_shift_ECL][d->b];

        if (h) {
            d->handler = h;
            if (e->h == op_shift_E1) {
                d->imm = 1;
            }
        }
    }
    if (!d->mod3 && ((d->prefix & PREFIX_LOCK) || (fl & F_XLOCK)) && e->hlock) {
        d->handler = e->hlock; /* atomic on the host (ops-atomic.c) */
    }
    d->flags = (fl & F_BRANCH) ? INSN_BRANCH : (fl & F_END) ? INSN_END_TB : 0;
    bool string_op = e->h == op_movs || e->h == op_stos || e->h == op_lods ||
                     e->h == op_cmps || e->h == op_scas || e->h == op_ins || e->h == op_outs;
    if ((d->prefix & (PREFIX_REPZ | PREFIX_REPNZ)) && string_op) {
        /* REP string ops run in chunks and set EIP themselves (restartable). */
        d->flags = INSN_BRANCH;
    }
    /* Near control flow keeps CS and the mode: the next block may chain. */
    if (!(d->flags & (INSN_BRANCH | INSN_END_TB)) || e->h == op_jmp || e->h == op_jcc ||
        e->h == op_call || e->h == op_ret || e->h == op_ret_imm || e->h == op_jmp_E ||
        e->h == op_call_E || e->h == op_loop || e->h == op_jcxz ||
        string_op) {
        d->flags |= INSN_CHAIN;
    }
    if (fl & F_CONT) {
        d->flags |= INSN_CONT;
    }

finish:
    {
        static const uint64_t zero;
        d->basep = d->indexp = &zero;
        d->amask = d->aflag == MO_16 ? 0xffff : d->aflag == MO_32 ? 0xffffffffull : ~0ull;
        d->seg_bit = 1u << d->seg;
        if (d->base == REG_RIPREL) {
            d->disp += (int64_t)(f.pc & f.ip_mask); /* relative to the next instruction */
        } else if (d->base != REG_NONE) {
            d->basep = &s->env->regs[d->base];
        }
        if (d->index != REG_NONE) {
            d->indexp = &s->env->regs[d->index];
        }
    }
    if (f.pc - f.start > 15) {
        d->handler = op_gp0; /* SDM vol.2 2.3.11: more than 15 bytes */
        d->flags = INSN_END_TB;
    }
    if (d->handler == op_ud) {
        d->flags = INSN_END_TB;
    }
    d->len = f.pc - f.start;
    d->next_eip = f.pc & f.ip_mask;
}
