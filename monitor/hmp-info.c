/*
 * The small info commands: version, status, name, cpus, mtree,
 * trace-events, chardev.  Layouts are QEMU 7.2's.
 */
#include <inttypes.h>
#include <string.h>

#include "exec/memory.h"
#include "monitor-internal.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

void hmp_info_version(Monitor *mon, const HMPArgs *args)
{
    /* QEMU: "7.2.22Debian 1:7.2+dfsg..." (version, then its package) */
    monitor_printf(mon, "%s duet\n", DUET_VERSION);
}

void hmp_info_status(Monitor *mon, const HMPArgs *args)
{
    RunState st = runstate_get();

    monitor_printf(mon, "VM status: %s", st == RUN_STATE_RUNNING ? "running" : "paused");
    if (st != RUN_STATE_RUNNING && st != RUN_STATE_PAUSED) {
        monitor_printf(mon, " (%s)", runstate_name(st));
    }
    monitor_puts(mon, "\n");
}

void hmp_info_name(Monitor *mon, const HMPArgs *args)
{
    if (monitor_vm_name) {
        monitor_printf(mon, "%s\n", monitor_vm_name);
    }
}

void hmp_info_cpus(Monitor *mon, const HMPArgs *args)
{
    MachineState *ms = monitor_machine;

    CPUState *current = mon_get_cpu(mon);

    if (!ms || !current) {
        return;
    }
    /* Each vCPU thread's kernel thread id, as QEMU shows it; '*' marks
     * the monitor's current CPU. */
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        CPUState *cpu = ms->cpus[i];
        monitor_printf(mon, "%c CPU #%d: thread_id=%d\n", cpu == current ? '*' : ' ',
                       cpu->cpu_index, cpu->tid);
    }
}

typedef struct MtreeArgs {
    bool flatview;
} MtreeArgs;

static void mtree_dump(FILE *f, void *opaque)
{
    MtreeArgs *a = opaque;

    mtree_info(f, a->flatview);
}

void hmp_info_mtree(Monitor *mon, const HMPArgs *args)
{
    MtreeArgs a = { .flatview = strchr(args->flags, 'f') != NULL };

    monitor_print_file(mon, mtree_dump, &a);
}

typedef struct TraceInfoArgs {
    Monitor *mon;
    const char *pattern;
} TraceInfoArgs;

static void trace_info_one(const char *name, bool enabled, void *opaque)
{
    TraceInfoArgs *a = opaque;

    if (!a->pattern || g_pattern_match_simple(a->pattern, name)) {
        monitor_printf(a->mon, "%s : state %u\n", name, enabled ? 1 : 0);
    }
}

void hmp_info_trace_events(Monitor *mon, const HMPArgs *args)
{
    TraceInfoArgs a = { mon, args->nwords ? args->words[0] : NULL };

    if (a.pattern && !g_utf8_validate(a.pattern, -1, NULL)) {
        return; /* GLib's matcher asserts on invalid UTF-8; nothing matches */
    }
    trace_foreach_event(trace_info_one, &a);
}

void hmp_info_chardev(Monitor *mon, const HMPArgs *args)
{
    GPtrArray *mons = monitor_list();

    (void)mons;
    /* label: filename, QEMU's layout; the registry lists them. */
    for (Chardev *chr = NULL; (chr = qemu_chr_next(chr));) {
        g_autofree char *desc = qemu_chr_describe(chr);

        monitor_printf(mon, "%s: filename=%s\n", qemu_chr_label(chr), desc);
    }
}
