/*
 * info registers, pci, qtree, irq, pic, lapic, roms: the vCPU's and the
 * devices' state, read under the BQL (the vCPU paused for its registers),
 * in QEMU 7.2's layouts.  The devices print themselves (the board's
 * pc_machine_print_* in hw/i386/pc-info.c); the monitor only asks.
 */
#include <inttypes.h>
#include <string.h>

#include "exec/cpu.h"
#include "hw/i386/pc.h"
#include "monitor-internal.h"
#include "sysemu/cpus.h"

static const char *const seg_names[6] = { "ES ", "CS ", "SS ", "DS ", "FS ", "GS " };

static const char *const sys_type_names[2][16] = {
    { "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16",
      "TrapGate16", "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32",
      "Reserved", "IntGate32", "TrapGate32" },
    { "Reserved", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved",
      "Reserved", "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64",
      "Reserved", "IntGate64", "TrapGate64" },
};

static void print_seg(Monitor *mon, const char *name, const SegmentCache *sc, bool lma,
                      bool prot)
{
    uint32_t f = sc->flags;

    if (lma) {
        monitor_printf(mon, "%s=%04x %016" PRIx64 " %08x %08x", name, sc->selector, sc->base,
                       sc->limit, f);
    } else {
        monitor_printf(mon, "%s=%04x %08x %08x %08x", name, sc->selector, (uint32_t)sc->base,
                       sc->limit, f);
    }
    if (!prot) {
        goto done;
    }
    monitor_printf(mon, " DPL=%u ", (f & DESC_DPL_MASK) >> DESC_DPL_SHIFT);
    if (f & DESC_S_MASK) {
        if (f & (1 << 11)) { /* code */
            monitor_printf(mon, (f & DESC_L_MASK) && lma ? "CS64" : (f & DESC_B_MASK) ? "CS32"
                                                                                      : "CS16");
            monitor_printf(mon, " [%c%c", f & (1 << 10) ? 'C' : '-', f & (1 << 9) ? 'R' : '-');
        } else {
            monitor_printf(mon, (f & DESC_B_MASK) || lma ? "DS  " : "DS16");
            monitor_printf(mon, " [%c%c", f & (1 << 10) ? 'E' : '-', f & (1 << 9) ? 'W' : '-');
        }
        monitor_printf(mon, "%c]", f & (1 << 8) ? 'A' : '-');
    } else {
        monitor_printf(mon, "%s", sys_type_names[lma][(f & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT]);
    }
done:
    monitor_puts(mon, "\n");
}

static void print_registers(Monitor *mon, CPUState *cpu)
{
    const CPUX86State *env = &cpu->env;
    bool lma = env->efer & MSR_EFER_LMA;
    bool prot = (env->cr[0] & CR0_PE_MASK) && !(env->eflags & VM_MASK);
    unsigned cpl = (env->segs[R_CS].flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
    uint64_t fl = env->eflags;
    static const int order[8] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP };
    static const char *const names64[8] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP",
                                            "RSP" };
    static const char *const names32[8] = { "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP",
                                            "ESP" };

    monitor_printf(mon, "\nCPU#%d\n", cpu->cpu_index);
    if (lma) {
        for (int i = 0; i < 16; i++) {
            if (i < 8) {
                monitor_printf(mon, "%s=%016" PRIx64, names64[i], env->regs[order[i]]);
            } else {
                monitor_printf(mon, "R%d%s=%016" PRIx64, i, i < 10 ? " " : "", env->regs[i]);
            }
            monitor_puts(mon, i % 4 == 3 ? "\n" : " ");
        }
        monitor_printf(mon, "RIP=%016" PRIx64 " RFL=%08x", env->eip, (uint32_t)fl);
    } else {
        for (int i = 0; i < 8; i++) {
            monitor_printf(mon, "%s=%08x", names32[i], (uint32_t)env->regs[order[i]]);
            monitor_puts(mon, i % 4 == 3 ? "\n" : " ");
        }
        monitor_printf(mon, "EIP=%08x EFL=%08x", (uint32_t)env->eip, (uint32_t)fl);
    }
    monitor_printf(mon, " [%c%c%c%c%c%c%c] CPL=%u II=0 A20=%d SMM=0 HLT=%d\n",
                   fl & DF_MASK ? 'D' : '-', fl & CC_O ? 'O' : '-', fl & CC_S ? 'S' : '-',
                   fl & CC_Z ? 'Z' : '-', fl & CC_A ? 'A' : '-', fl & CC_P ? 'P' : '-',
                   fl & CC_C ? 'C' : '-', cpl, (int)((env->a20_mask >> 20) & 1), env->halted);
    for (int i = 0; i < 6; i++) {
        print_seg(mon, seg_names[i], &env->segs[i], lma, prot);
    }
    print_seg(mon, "LDT", &env->ldt, lma, prot);
    print_seg(mon, "TR ", &env->tr, lma, prot);
    if (lma) {
        monitor_printf(mon, "GDT=     %016" PRIx64 " %08x\n", env->gdt.base, env->gdt.limit);
        monitor_printf(mon, "IDT=     %016" PRIx64 " %08x\n", env->idt.base, env->idt.limit);
        monitor_printf(mon, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
                       (uint32_t)env->cr[0], env->cr[2], env->cr[3], (uint32_t)env->cr[4]);
    } else {
        monitor_printf(mon, "GDT=     %08x %08x\n", (uint32_t)env->gdt.base, env->gdt.limit);
        monitor_printf(mon, "IDT=     %08x %08x\n", (uint32_t)env->idt.base, env->idt.limit);
        monitor_printf(mon, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)env->cr[0],
                       (uint32_t)env->cr[2], (uint32_t)env->cr[3], (uint32_t)env->cr[4]);
    }
    for (int i = 0; i < 4; i++) {
        monitor_printf(mon, "DR%d=%016" PRIx64 " ", i, env->dr[i]);
    }
    monitor_printf(mon, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", env->dr[6], env->dr[7]);
    monitor_printf(mon, "EFER=%016" PRIx64 "\n", env->efer);
    monitor_printf(mon, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n", env->fpu.fcw,
                   env->fpu.fsw, (env->fpu.fsw >> 11) & 7, env->fpu.ftw, env->fpu.mxcsr);
    for (int i = 0; i < 8; i++) {
        monitor_printf(mon, "FPR%d=%016" PRIx64 " %04x", i, env->fpu.st[i].mant,
                       env->fpu.st[i].sign_exp);
        monitor_puts(mon, i & 1 ? "\n" : " ");
    }
    for (int i = 0; i < (lma ? 16 : 8); i++) {
        monitor_printf(mon, "XMM%02d=%016" PRIx64 " %016" PRIx64, i, env->fpu.xmm[i].q[1],
                       env->fpu.xmm[i].q[0]);
        monitor_puts(mon, i & 1 ? "\n" : " ");
    }
}

void hmp_info_registers(Monitor *mon, const HMPArgs *args)
{
    MachineState *ms = monitor_machine;
    bool paused;

    CPUState *cpu = mon_get_cpu(mon);
    bool all = strchr(args->flags, 'a') != NULL;

    if (!ms || !cpu) {
        monitor_puts(mon, "No CPU available\n");
        return;
    }
    if (args->nwords) {
        char *end;
        long index = strtol(args->words[0], &end, 0);

        if (*end || index < 0 || index >= (long)ms->smp.cpus) {
            monitor_printf(mon, "CPU#%s not available\n", args->words[0]);
            return;
        }
        cpu = ms->cpus[index];
    }
    paused = vm_peek_begin(ms);
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (all ? true : ms->cpus[i] == cpu) {
            print_registers(mon, ms->cpus[i]);
        }
    }
    vm_peek_end(ms, paused);
}

/* The board's printers write into a GString; this hands them ours. */
typedef void BoardPrinter(MachineState *ms, GString *out);

static void board_print(Monitor *mon, BoardPrinter *fn)
{
    if (!monitor_machine || !monitor_machine->board) {
        return;
    }
    fn(monitor_machine, mon->out);
}

void hmp_info_pci(Monitor *mon, const HMPArgs *args)
{
    board_print(mon, pc_machine_print_pci);
}

void hmp_info_qtree(Monitor *mon, const HMPArgs *args)
{
    board_print(mon, pc_machine_print_qtree);
}

void hmp_info_irq(Monitor *mon, const HMPArgs *args)
{
    board_print(mon, pc_machine_print_irq);
}

void hmp_info_pic(Monitor *mon, const HMPArgs *args)
{
    board_print(mon, pc_machine_print_pic);
}

void hmp_info_lapic(Monitor *mon, const HMPArgs *args)
{
    CPUState *cpu = mon_get_cpu(mon);
    long apic_id = cpu ? (long)cpu->apic_id : 0;
    g_autoptr(GString) out = g_string_new(NULL);

    if (args->nwords) {
        char *end;

        apic_id = strtol(args->words[0], &end, 0);
        if (*end || apic_id < 0) {
            monitor_printf(mon, "Invalid APIC ID\n");
            return;
        }
    }
    if (!monitor_machine || !monitor_machine->board) {
        return;
    }
    if (!pc_machine_print_lapic(monitor_machine, apic_id, out)) {
        monitor_puts(mon, "No CPU available\n");
        return;
    }
    monitor_puts(mon, out->str);
}

void hmp_info_roms(Monitor *mon, const HMPArgs *args)
{
    board_print(mon, pc_machine_print_roms);
}
