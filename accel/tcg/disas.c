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
    bool lma = env->efer & MSR_EFER_LMA;

    if (lma) {
        static const char *names[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                         "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15" };
        static const uint8_t order[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP,
                                           R_ESP, 8, 9, 10, 11, 12, 13, 14, 15 };
        for (int i = 0; i < 16; i++) {
            fprintf(f, "%s=%016" PRIx64 "%s", names[order[i]], env->regs[order[i]],
                    (i & 3) == 3 ? "\n" : " ");
        }
        fprintf(f, "RIP=%016" PRIx64 " RFL=%08x", env->eip, fl);
    } else {
        fprintf(f, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", (uint32_t)env->regs[R_EAX],
                (uint32_t)env->regs[R_EBX], (uint32_t)env->regs[R_ECX],
                (uint32_t)env->regs[R_EDX]);
        fprintf(f, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", (uint32_t)env->regs[R_ESI],
                (uint32_t)env->regs[R_EDI], (uint32_t)env->regs[R_EBP],
                (uint32_t)env->regs[R_ESP]);
        fprintf(f, "EIP=%08x EFL=%08x", (uint32_t)env->eip, fl);
    }
    fprintf(f, " [%c%c%c%c%c] CPL=%d HLT=%d%s\n",
            fl & CC_O ? 'O' : '-', fl & CC_S ? 'S' : '-', fl & CC_Z ? 'Z' : '-',
            fl & CC_P ? 'P' : '-', fl & CC_C ? 'C' : '-', s->cpl, env->halted,
            lma ? (s->code64 ? " 64-bit" : " compat") : "");
    for (int i = 0; i < 6; i++) {
        SegmentCache *sc = &env->segs[i];
        fprintf(f, "%s =%04x %0*" PRIx64 " %08x %08x\n", seg_names[i], sc->selector,
                lma ? 16 : 8, sc->base, sc->limit, sc->flags);
    }
    fprintf(f, "TR =%04x %0*" PRIx64 " %08x %08x\n", env->tr.selector, lma ? 16 : 8,
            env->tr.base, env->tr.limit, env->tr.flags);
    fprintf(f, "GDT=     %0*" PRIx64 " %08x\nIDT=     %0*" PRIx64 " %08x\n", lma ? 16 : 8,
            env->gdt.base, env->gdt.limit, lma ? 16 : 8, env->idt.base, env->idt.limit);
    fprintf(f, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
            (uint32_t)env->cr[0], env->cr[2], env->cr[3], (uint32_t)env->cr[4]);
    fprintf(f, "EFER=%016" PRIx64 "\n", env->efer);
}
