/*
 * Introspection for -d: in_asm (capstone disassembly of each newly
 * decoded block) and cpu (registers at block boundaries).
 */
#include <capstone/capstone.h>

#include "tcg-cpu.h"
#include "qemu/log.h"

void tcg_log_in_asm(TCGCPU *s, TranslationBlock *tb, uint64_t lin_pc)
{
    FILE *f = qemu_log_file();
    uint8_t bytes[TB_MAX_INSNS * 15];
    size_t n = 0;
    cs_insn *insn;
    int mode;

    if (!s->csh_open) {
        if (cs_open(CS_ARCH_X86, CS_MODE_32, (csh *)&s->csh) != CS_ERR_OK) {
            return;
        }
        s->csh_open = true;
    }
    mode = (tb->flags & TB_FLAG_CODE64) ? CS_MODE_64
           : (tb->flags & TB_FLAG_CS32) ? CS_MODE_32 : CS_MODE_16;
    cs_option((csh)s->csh, CS_OPT_MODE, mode);

    /* The block's bytes through the code TLB (just filled by the decoder). */
    for (; n < tb->size && n < sizeof(bytes); n++) {
        uint64_t lin = (lin_pc + n) & ((tb->flags & TB_FLAG_CODE64) ? ~0ull : 0xffffffffull);
        TLBEntry *e = tlb_entry(s, lin);
        if (e->addr_code != (lin & ~0xfffull)) {
            break;
        }
        bytes[n] = *(uint8_t *)(e->addend + (uintptr_t)lin);
    }
    fprintf(f, "IN: %04x:%08" PRIx64 "\n", s->env->segs[R_CS].selector, tb->pc);
    size_t count = cs_disasm((csh)s->csh, bytes, n, tb->pc, 0, &insn);
    for (size_t i = 0; i < count; i++) {
        fprintf(f, "0x%08" PRIx64 ":  %-8s %s\n", insn[i].address, insn[i].mnemonic,
                insn[i].op_str);
    }
    if (count) {
        cs_free(insn, count);
    } else {
        fprintf(f, "(%zu bytes not disassembled)\n", n);
    }
    fprintf(f, "\n");
}

void tcg_dump_state(TCGCPU *s, FILE *f)
{
    CPUX86State *env = s->env;
    static const char *seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    uint32_t fl = env->eflags;

    fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", (uint32_t)env->regs[R_EAX],
            (uint32_t)env->regs[R_EBX], (uint32_t)env->regs[R_ECX], (uint32_t)env->regs[R_EDX]);
    fprintf(f, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", (uint32_t)env->regs[R_ESI],
            (uint32_t)env->regs[R_EDI], (uint32_t)env->regs[R_EBP], (uint32_t)env->regs[R_ESP]);
    fprintf(f, "EIP=%08x EFL=%08x [%c%c%c%c%c] CPL=%d HLT=%d\n", (uint32_t)env->eip, fl,
            fl & CC_O ? 'O' : '-', fl & CC_S ? 'S' : '-', fl & CC_Z ? 'Z' : '-',
            fl & CC_P ? 'P' : '-', fl & CC_C ? 'C' : '-', s->cpl, env->halted);
    for (int i = 0; i < 6; i++) {
        SegmentCache *sc = &env->segs[i];
        fprintf(f, "%s =%04x %08" PRIx64 " %08x %08x\n", seg_names[i], sc->selector, sc->base,
                sc->limit, sc->flags);
    }
    fprintf(f, "GDT=     %08" PRIx64 " %08x\nIDT=     %08" PRIx64 " %08x\n", env->gdt.base,
            env->gdt.limit, env->idt.base, env->idt.limit);
    fprintf(f, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)env->cr[0],
            (uint32_t)env->cr[2], (uint32_t)env->cr[3], (uint32_t)env->cr[4]);
}
