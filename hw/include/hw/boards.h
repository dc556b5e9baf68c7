/*
 * The board's entry points; the MachineState itself is in sysemu/machine.h.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sysemu/machine.h"

/* hw/i386/pc.c: builds the pc machine into get_system_memory()/io. */
bool pc_machine_init(MachineState *ms, Error **errp);
/* Resets devices, then loads the kernel and sets the CPU's entry state. */
void pc_machine_reset(MachineState *ms);

#endif
