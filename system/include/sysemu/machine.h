/*
 * The machine: what vl.c parsed, handed to the accelerator and the board.
 * It lives in system/ because both accel/ and hw/ read it and neither may
 * include the other; the board's own entry points are in hw/boards.h.
 */
#ifndef SYSEMU_MACHINE_H
#define SYSEMU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "exec/cpu.h"
#include "exec/memory.h"
#include "qapi/error.h"
#include "qemu/option.h"
#include "sysemu/accel-ops.h"

typedef struct MachineState MachineState;

/* -smp: QEMU's names; cpus = the vCPUs present at start, max_cpus =
 * sockets * dies * cores * threads. */
typedef struct CpuTopology {
    unsigned cpus, sockets, dies, cores, threads, max_cpus;
} CpuTopology;

/* -smp 1, what a machine has without -smp */
#define CPU_TOPOLOGY_ONE \
    ((CpuTopology){ .cpus = 1, .sockets = 1, .dies = 1, .cores = 1, .threads = 1, .max_cpus = 1 })

/* system/x86-topology.c: vCPU index -> initial APIC ID, and the
 * package layout CPUID reports. */
uint32_t x86_topo_apicid(const CpuTopology *t, unsigned index);
void x86_topo_cpuid_fields(const CpuTopology *t, X86CPUID *c);

struct MachineState {
    uint64_t ram_size;            /* -m, bytes */
    const char *kernel_filename;  /* -kernel */
    const char *kernel_cmdline;   /* -append ("" when absent) */
    const char *initrd_filename;  /* -initrd (multiboot: comma-separated modules) */
    const char *bios_filename;    /* -bios (NULL: the default firmware unless -kernel) */
    const char *firmware_dir;     /* -L: where the default firmware is (NULL: built in) */
    bool no_reboot;               /* -no-reboot */
    const char *serial_spec;      /* -serial: stdio, file:PATH, file,path=P, null, none */
    struct Chardev *serial_chr;   /* ... opened by the main program (NULL: none) */
    GPtrArray *device_opts;       /* -device strings, e.g. "isa-debug-exit,iobase=0xf4" */
    GPtrArray *drive_opts;        /* -drive strings (-hda..-hdd, -cdrom rewritten to -drive) */
    bool snapshot;                /* -snapshot: drives default to snapshot=on */
    char boot_order[16];          /* -boot order=: drive letters, for the BIOS ("": "cad") */
    bool boot_menu;               /* -boot menu=on: fw_cfg FW_CFG_BOOT_MENU */
    bool no_hpet;                 /* -no-hpet, -machine hpet=off */
    bool nographic;               /* -nographic: fw_cfg FW_CFG_NOGRAPHIC */
    bool kernel_decompress_host;  /* -machine kernel-decompress=host (default) or guest */

    X86CPUID cpu_config;          /* -cpu: model (NULL: qemu64), +/- flags, vendor */
    const AccelOps *accel;
    QemuOpts *accel_opts;         /* -accel NAME,KEY=VALUE (accel_opts_parse) or NULL */
    void *accel_state;            /* the accelerator's per-VM state */
    /* Set by the accelerator's init_machine (see sysemu/kvm.h). */
    bool kernel_irqchip;          /* interrupt controllers are in the kernel */
    bool kernel_pit;              /* ... and so is the 8254 */

    CpuTopology smp;              /* -smp */
    CPUState **cpus;              /* smp.cpus vCPUs; cpus[i]->cpu_index == i */
    CPUState *cpu;                /* cpus[0], the BSP */
    MemoryRegion *ram;            /* all guest RAM; mapped through aliases */
    void *board;                  /* the board's own state (PCMachineState) */
};

#endif
