/*
 * The monitors: the human monitor (HMP, "(qemu) " prompt) and the QEMU
 * Machine Protocol (QMP, JSON), each on a chardev (-monitor, -qmp, -mon,
 * -serial mon:stdio).  A program layer: it reads every other layer's state,
 * always on the main thread with the BQL held.
 *
 * For other front ends (a gdb stub's qRcmd, QMP's human-monitor-command):
 *
 *     g_autofree char *out = monitor_hmp_command(ms, "info registers");
 *
 * runs one HMP command line as typed at the prompt and returns what it
 * printed ("\n" line ends, no prompt).  Commands that act (stop, cont,
 * system_reset, quit) do so as from the prompt.  The caller holds the BQL
 * and is on the main thread.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <stdbool.h>
#include <stdio.h>

#include "chardev/char.h"
#include "qapi/error.h"
#include "sysemu/machine.h"

typedef struct Monitor Monitor;

/* The machine every monitor works on; before the first monitor. */
void monitor_init_globals(MachineState *ms, const char *vm_name);

/* An HMP or QMP monitor on @chr (takes one of its frontend slots). */
Monitor *monitor_new_hmp(Chardev *chr, Error **errp);
Monitor *monitor_new_qmp(Chardev *chr, bool pretty, Error **errp);
/* -mon [chardev=]ID[,mode=readline|control][,pretty=on|off] */
bool monitor_new_opts(const char *optstr, FILE *out, bool *help, Error **errp);
/* Checks a -mon argument at parse time, opening nothing. */
bool monitor_check_opts(const char *optstr, FILE *out, bool *help, Error **errp);
/* Detaches and frees every monitor (before the chardevs go). */
void monitor_cleanup(void);

/* One HMP command line, its output returned (g_free it); see above. */
char *monitor_hmp_command(MachineState *ms, const char *cmdline);

/*
 * A persistent capture monitor, for a front end that runs many commands
 * and wants HMP's memory of them (x's last format and size).
 */
Monitor *monitor_new_capture(void);
char *monitor_capture_run(Monitor *mon, const char *cmdline);
void monitor_free(Monitor *mon);

#endif
