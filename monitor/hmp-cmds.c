/*
 * The HMP command table (names, arguments and help as QEMU 7.2 has them)
 * and the commands that act on the machine.
 */
#include <string.h>

#include "monitor-internal.h"
#include "sysemu/block-backend.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

static void hmp_stop(Monitor *mon, const HMPArgs *args)
{
    vm_stop(monitor_machine, RUN_STATE_PAUSED);
}

static void hmp_cont(Monitor *mon, const HMPArgs *args)
{
    if (runstate_get() == RUN_STATE_SHUTDOWN || runstate_get() == RUN_STATE_INTERNAL_ERROR) {
        monitor_printf(mon, "Resetting the Virtual Machine is required\n");
        return;
    }
    vm_start(monitor_machine);
}

static void hmp_system_reset(Monitor *mon, const HMPArgs *args)
{
    qemu_system_reset_request_cause(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
}

static void hmp_system_powerdown(Monitor *mon, const HMPArgs *args)
{
    qemu_system_powerdown_request();
}

static void hmp_quit(Monitor *mon, const HMPArgs *args)
{
    /* The main loop shuts down in order: vCPU stopped, drives closed. */
    qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

static void hmp_trace_event(Monitor *mon, const HMPArgs *args)
{
    if (trace_enable_events(args->words[0], args->on) == 0) {
        monitor_printf(mon, "unknown event \"%s\"\n", args->words[0]);
    }
}

static void hmp_x(Monitor *mon, const HMPArgs *args)
{
    hmp_memory_dump(mon, args, false);
}

static void hmp_xp(Monitor *mon, const HMPArgs *args)
{
    hmp_memory_dump(mon, args, true);
}

void hmp_commit(Monitor *mon, const HMPArgs *args);

/* cpu N: the monitor's current CPU, by cpu index */
static void hmp_cpu(Monitor *mon, const HMPArgs *args)
{
    MachineState *ms = monitor_machine;
    char *end;
    long index = strtol(args->words[0], &end, 0);

    if (!ms || *end || end == args->words[0] || index < 0 || index >= (long)ms->smp.cpus) {
        monitor_puts(mon, "invalid CPU index\n");
        return;
    }
    mon->cpu_index = index;
}

static void hmp_info_help(Monitor *mon, const HMPArgs *args)
{
    HMPArgs help = { .rest = "info" };
    hmp_help(mon, &help);
}

const HMPCommand hmp_cmds[] = {
    { "help|?", "R", "[cmd]", "show the help", hmp_help },
    { "commit", "s", "device|all", "commit changes to the disk images (if -snapshot is used) "
      "or backing files", hmp_commit },
    { "cont|c", "", "", "resume emulation", hmp_cont },
    { "cpu", "s", "index", "set the default CPU", hmp_cpu },
    { "info", "", "[subcommand]", "show various information about the system state",
      hmp_info_help, hmp_info_cmds },
    { "quit|q", "", "", "quit the emulator", hmp_quit },
    { "stop|s", "", "", "stop emulation", hmp_stop },
    { "system_reset", "", "", "reset the system", hmp_system_reset },
    { "system_powerdown", "", "", "send system power down event", hmp_system_powerdown },
    { "trace-event", "sb", "name on|off", "changes status of a specific trace event "
      "(vcpu: vCPU to set, default is all)", hmp_trace_event },
    { "x", "/e", "/fmt addr", "virtual memory dump starting at 'addr'", hmp_x },
    { "xp", "/e", "/fmt addr", "physical memory dump starting at 'addr'", hmp_xp },
    { NULL },
};

const HMPCommand hmp_info_cmds[] = {
    { "block", "FS", "[-n] [-v] [device]", "show info of one block device or all block devices "
      "(-n: show named nodes; -v: show details)", hmp_info_block },
    { "blockstats", "", "", "show block device statistics", hmp_info_blockstats },
    { "chardev", "", "", "show the character devices", hmp_info_chardev },
    { "cpus", "", "", "show infos for each CPU", hmp_info_cpus },
    { "irq", "", "", "show the interrupts statistics (if available)", hmp_info_irq },
    { "lapic", "S", "[apic-id]", "show local apic state (apic-id: local apic to read, default "
      "is which of current CPU)", hmp_info_lapic },
    { "mtree", "F", "[-f][-d][-o][-D]", "show memory tree (-f: dump flat view for address "
      "spaces;-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;-D: "
      "dump disabled regions", hmp_info_mtree },
    { "name", "", "", "show the current VM name", hmp_info_name },
    { "pci", "", "", "show PCI info", hmp_info_pci },
    { "pic", "", "", "show PIC state", hmp_info_pic },
    { "qtree", "", "", "show device tree", hmp_info_qtree },
    { "registers", "FS", "[-a|vcpu]", "show the cpu registers (-a: show register info for all "
      "cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is "
      "specified)", hmp_info_registers },
    { "roms", "", "", "show roms", hmp_info_roms },
    { "status", "", "", "show the current VM status (running|paused)", hmp_info_status },
    { "trace-events", "SS", "[name] [vcpu]", "show available trace-events & their state "
      "(name: event name pattern; vcpu: vCPU to query, default is any)",
      hmp_info_trace_events },
    { "version", "", "", "show the version of QEMU", hmp_info_version },
    { NULL },
};
