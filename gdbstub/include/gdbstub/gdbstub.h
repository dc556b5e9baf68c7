/*
 * The gdb stub: GDB's Remote Serial Protocol (GDB manual, appendix E
 * "Remote Protocol") on a chardev, for the machine's vCPU.
 *
 *   -gdb tcp:[HOST]:PORT | unix:PATH | chardev:ID     -s = -gdb tcp:127.0.0.1:1234
 *
 * An empty HOST listens on 127.0.0.1 (QEMU's tcp::PORT listens on every
 * interface); tcp:0.0.0.0:PORT asks for that explicitly.  One client at
 * a time (the socket chardev refuses a second).  Runs on the main loop
 * with the BQL held.
 */
#ifndef GDBSTUB_GDBSTUB_H
#define GDBSTUB_GDBSTUB_H

#include <stdbool.h>

#include "qapi/error.h"
#include "sysemu/machine.h"

/* The chardev spec that -gdb SPEC means (server=on,wait=off added for
 * tcp: and unix:, an empty host made 127.0.0.1); g_free it. */
char *gdbserver_chardev_spec(const char *spec);
/* Starts the stub on @spec (-gdb's argument) for @ms; "none": nothing. */
bool gdbserver_start(MachineState *ms, const char *spec, Error **errp);
/* qRcmd ("monitor CMD" in gdb): runs one human-monitor line and returns
 * its output (g_free'd by the stub).  Set by the main program. */
typedef char *GdbMonitorCommandFn(MachineState *ms, const char *cmdline);
void gdbserver_set_monitor_handler(GdbMonitorCommandFn *fn);
void gdbserver_cleanup(void);

#endif
