/*
 * Port 0x61 (PC/AT "system control port B"): PIT channel 2's gate and
 * speaker enable, and read-back of OUT2 and the refresh toggle.
 */
#ifndef HW_AUDIO_PCSPK_H
#define HW_AUDIO_PCSPK_H

#include "exec/memory.h"
#include "hw/timer/i8254.h"

typedef struct PCSpkState PCSpkState;

PCSpkState *pcspk_init(MemoryRegion *io, PITCommonState *pit);
void pcspk_destroy(PCSpkState *s);
void pcspk_reset(PCSpkState *s);

#endif
