/*
 * Port 0x80, the POST diagnostic port: firmware and kernels write to it as
 * an I/O delay.  Writes are ignored and reads return 0xff.
 */
#ifndef HW_MISC_IOPORT80_H
#define HW_MISC_IOPORT80_H

#include "exec/memory.h"

typedef struct IOPort80State IOPort80State;

IOPort80State *ioport80_init(MemoryRegion *io);
void ioport80_destroy(IOPort80State *s);

#endif
