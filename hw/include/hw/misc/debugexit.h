/*
 * isa-debug-exit: a write of V to its port makes duet exit with status
 * (V << 1) | 1, so a test guest can report pass/fail through the exit code.
 */
#ifndef HW_MISC_DEBUGEXIT_H
#define HW_MISC_DEBUGEXIT_H

#include "exec/memory.h"

typedef struct ISADebugExitState ISADebugExitState;

#define ISA_DEBUG_EXIT_DEFAULT_IOBASE 0x501
#define ISA_DEBUG_EXIT_DEFAULT_IOSIZE 0x02

ISADebugExitState *isa_debug_exit_init(MemoryRegion *io, uint32_t iobase, uint32_t iosize);
void isa_debug_exit_destroy(ISADebugExitState *s);

#endif
