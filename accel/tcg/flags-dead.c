/*
 * Dead flags: most ALU instructions' flags are overwritten by a later
 * instruction before anything reads them (add; shr; xor; cmp; jcc).  A
 * block is walked backwards, keeping whether the arithmetic flags are
 * live; an instruction that writes all of them while they are dead gets
 * the handler that skips set_cc.
 *
 * The flags must be exact wherever the block can be left or interrupted:
 * at its end, at a fault, at an exit from inside it (a taken Jcc, a
 * helper that ends the block).  So the walk only looks through two kinds
 * of instruction and treats every other one as reading all the flags:
 *   - register-only writers of all six flags that read none and cannot
 *     fault (ADD/OR/AND/SUB/XOR/CMP/TEST, IMUL, shifts by a nonzero
 *     immediate; their flags replace the lazy state as a whole: cc_op,
 *     cc_dst, cc_src), and the register forms of the fused CMP/SUB/TEST +
 *     Jcc pairs, which write them before the Jcc reads;
 *   - instructions that neither touch the flags nor can fault or leave
 *     the block (register MOVs, MOV r, imm, LEA, NOP).
 * The first instruction keeps its flags: after STI or MOV SS a block is
 * left after one instruction (the interrupt shadow, cpu_tb_exec).
 */
#include "ops.h"

/* The flag-less handler of a full flag writer, NULL if d is none. */
static InsnHandler flags_dead_handler(const DecodedInsn *d)
{
    static const struct { const InsnHandler *full, *nf; } alu[] = {
        { alu32_rr, alu32_rr_nf }, { alu32_ri, alu32_ri_nf },
        { alu64_rr, alu64_rr_nf }, { alu64_ri, alu64_ri_nf },
    };
    static const struct { InsnHandler full, nf; } single[] = {
        { op_imul_GE_32r, op_imul_GE_32r_nf }, { op_imul_GE_64r, op_imul_GE_64r_nf },
        { op_imul_GEI_32r, op_imul_GEI_32r_nf }, { op_imul_GEI_64r, op_imul_GEI_64r_nf },
        { op_test_EG_32r, op_flags_only_nf }, { op_test_EI_32r, op_flags_only_nf },
        { op_test_EG_64r, op_flags_only_nf }, { op_test_EI_64r, op_flags_only_nf },
    };
    /* a shift by 0 leaves the flags alone: only nonzero counts */
    static const struct { InsnHandler full, nf; unsigned mask; } shifts[] = {
        { op_shl_32ri, op_shl_32ri_nf, 0x1f }, { op_shr_32ri, op_shr_32ri_nf, 0x1f },
        { op_sar_32ri, op_sar_32ri_nf, 0x1f }, { op_shl_64ri, op_shl_64ri_nf, 0x3f },
        { op_shr_64ri, op_shr_64ri_nf, 0x3f }, { op_sar_64ri, op_sar_64ri_nf, 0x3f },
    };

    for (size_t t = 0; t < G_N_ELEMENTS(alu); t++) {
        for (int op = 0; op < 8; op++) {
            if (d->handler == alu[t].full[op]) {
                return alu[t].nf[op];
            }
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(single); i++) {
        if (d->handler == single[i].full) {
            return single[i].nf;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(shifts); i++) {
        if (d->handler == shifts[i].full) {
            return (d->imm & shifts[i].mask) ? shifts[i].nf : NULL;
        }
    }
    return NULL;
}

static bool flags_untouched(InsnHandler h)
{
    static const InsnHandler list[] = {
        op_mov_GE_32r, op_mov_EG_32r, op_mov_GE_64r, op_mov_EG_64r, op_mov_rI,
        op_lea_32, op_lea_64, op_movzx_b_32r, op_movsxd_64r, op_nop,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(list); i++) {
        if (h == list[i]) {
            return true;
        }
    }
    return false;
}

void tb_drop_dead_flags(DecodedInsn *insns, int n)
{
    bool live = true; /* at the end of the block */

    for (int i = n - 1; i >= 0; i--) {
        DecodedInsn *d = &insns[i];
        InsnHandler nf = flags_dead_handler(d);

        if (nf) {
            if (!live && i > 0) {
                d->handler = nf;
            }
            live = false;
        } else if (fused_pair_is_register_form(d->handler)) {
            live = false;
        } else if (!flags_untouched(d->handler)) {
            live = true;
        }
    }
}
