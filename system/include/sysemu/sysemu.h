/*
 * The main program (system/vl.c), called from main() in system/main.c.
 */
#ifndef SYSEMU_SYSEMU_H
#define SYSEMU_SYSEMU_H

#include <stdbool.h>

#include "sysemu/machine.h"

/* The machine being run (QEMU's name); NULL before qemu_init builds it. */
extern MachineState *current_machine;

/*
 * Parses the command line and builds the machine.  Returns true when the
 * machine should now run; false when duet should exit with *status
 * (0 after -help/-version/-mtree, 1 after an error, already reported).
 */
bool qemu_init(int argc, char **argv, int *status);
/* Runs until a shutdown request; returns the exit status. */
int qemu_main_loop(void);
/* Stops the vCPU and closes every drive; call it whatever qemu_init said. */
void qemu_cleanup(void);

#endif
