/*
 * isa-debugcon: Bochs/QEMU's debug console port (0xe9 by default): each
 * byte the guest writes goes to a chardev; a read returns the readback
 * value (0xe9), which is how a guest finds the port.
 */
#ifndef HW_CHAR_DEBUGCON_H
#define HW_CHAR_DEBUGCON_H

#include "chardev/char.h"
#include "exec/memory.h"

#define ISA_DEBUGCON_DEFAULT_IOBASE 0xe9
#define ISA_DEBUGCON_DEFAULT_READBACK 0xe9

typedef struct ISADebugconState ISADebugconState;

/* @fe: a frontend of the chardev, owned by the device from now on. */
ISADebugconState *isa_debugcon_init(MemoryRegion *io, uint32_t iobase, uint8_t readback,
                                    CharFrontend *fe);
void isa_debugcon_destroy(ISADebugconState *s);

#endif
