/*
 * LLDT, LTR, LAR, LSL, VERR, VERW (SDM vol.2; vol.3 3.5 and 7.2.3).  In
 * IA-32e mode LDT and TSS descriptors are 16 bytes (base bits 63:32 in
 * the third dword, a zero type field in the fourth), only the 64-bit TSS
 * type exists, and LAR/LSL accept only the system types long mode has.
 */
#include "seg_helper.h"

bool load_system_descriptor(TCGCPU *s, uint32_t sel, uint32_t *e1, uint32_t *e2,
                            uint64_t *base)
{
    SegmentCache *dt = (sel & 4) ? &s->env->ldt : &s->env->gdt;
    uint32_t index = sel & ~7u;

    if (!(s->env->efer & MSR_EFER_LMA)) {
        if (!load_descriptor(s, sel, e1, e2)) {
            return false;
        }
        *base = desc_base(*e1, *e2);
        return true;
    }
    if ((sel & 4) && dt->selector == 0) {
        return false;
    }
    if (index + 15 > dt->limit) {
        return false;
    }
    *e1 = sys_ldl(s, dt->base + index);
    *e2 = sys_ldl(s, dt->base + index + 4);
    uint32_t e3 = sys_ldl(s, dt->base + index + 8);
    uint32_t e4 = sys_ldl(s, dt->base + index + 12);
    if ((e4 >> DESC_TYPE_SHIFT) & 0x1f) {
        return false; /* the upper half's type must be zero */
    }
    *base = desc_base(*e1, *e2) | ((uint64_t)e3 << 32);
    return true;
}

void helper_lldt(TCGCPU *s, uint32_t sel)
{
    uint32_t e1, e2;
    uint64_t base;

    if ((sel & 0xfffc) == 0) {
        s->env->ldt = (SegmentCache){ .selector = 0 };
        return;
    }
    if ((sel & 4) || !load_system_descriptor(s, sel, &e1, &e2, &base)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if ((e2 & DESC_S_MASK) || ((e2 >> DESC_TYPE_SHIFT) & 15) != 2) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
    if (!is_canonical(base)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    s->env->ldt = (SegmentCache){ sel, base, desc_limit(e1, e2), e2 & 0x00f0ff00 };
}

void helper_ltr(TCGCPU *s, uint32_t sel)
{
    bool lma = s->env->efer & MSR_EFER_LMA;
    uint32_t e1, e2;
    uint64_t base;

    if ((sel & 0xfffc) == 0 || (sel & 4) || !load_system_descriptor(s, sel, &e1, &e2, &base)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    if ((e2 & DESC_S_MASK) || (type != 9 && (lma || type != 1))) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    if (!(e2 & DESC_P_MASK)) {
        raise_exception_err(s, EXCP0B_NOSEG, sel & 0xfffc);
    }
    if (!is_canonical(base)) {
        raise_exception_err(s, EXCP0D_GPF, sel & 0xfffc);
    }
    /* Mark the TSS busy (type 1->3, 9->11). */
    sys_stl(s, s->env->gdt.base + (sel & ~7u) + 4, e2 | (2 << DESC_TYPE_SHIFT));
    s->env->tr = (SegmentCache){ sel, base, desc_limit(e1, e2),
                                 (e2 | (2 << DESC_TYPE_SHIFT)) & 0x00f0ff00 };
}

static bool desc_visible(TCGCPU *s, uint32_t sel, uint32_t e2)
{
    int dpl = (e2 >> DESC_DPL_SHIFT) & 3;
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    bool conforming_code = (e2 & DESC_S_MASK) && (type & 12) == 12;

    return conforming_code || (dpl >= s->cpl && dpl >= (int)(sel & 3));
}

bool helper_lar_lsl(TCGCPU *s, uint32_t sel, bool lsl, uint32_t *out)
{
    uint32_t e1, e2;

    if ((sel & 0xfffc) == 0 || !load_descriptor(s, sel, &e1, &e2) || !desc_visible(s, sel, e2)) {
        return false;
    }
    if (!(e2 & DESC_S_MASK)) {
        uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
        /* 1: LAR and LSL, 2: LAR only (gates) -- SDM LAR/LSL tables */
        static const uint8_t legacy_types[16] = { 0, 1, 1, 1, 2, 2, 0, 0,
                                                  0, 1, 0, 1, 2, 0, 0, 0 };
        static const uint8_t long_types[16] = { 0, 0, 1, 0, 0, 0, 0, 0,
                                                0, 1, 0, 1, 2, 0, 0, 0 };
        uint8_t ok = ((s->env->efer & MSR_EFER_LMA) ? long_types : legacy_types)[type];
        if (!ok || (lsl && ok == 2)) {
            return false;
        }
    }
    *out = lsl ? desc_limit(e1, e2) : (e2 & 0x00f0ff00);
    return true;
}

bool helper_verrw(TCGCPU *s, uint32_t sel, bool write)
{
    uint32_t e1, e2;

    if ((sel & 0xfffc) == 0 || !load_descriptor(s, sel, &e1, &e2) || !(e2 & DESC_S_MASK) ||
        !desc_visible(s, sel, e2)) {
        return false;
    }
    uint32_t type = (e2 >> DESC_TYPE_SHIFT) & 15;
    if (write) {
        return !(type & 8) && (type & 2);
    }
    return !(type & 8) || (type & 2);
}
