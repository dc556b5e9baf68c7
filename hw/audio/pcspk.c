/*
 * Port 0x61.  There is no sound output: the speaker data bit is stored and
 * read back, the gate goes to PIT channel 2.
 */
#include <inttypes.h>

#include "hw/audio/pcspk.h"

#include "qemu/timer.h"

/* DRAM refresh request toggles every 15.085 us (PC/AT technical reference). */
#define PCSPK_REFRESH_PERIOD_NS 15085

struct PCSpkState {
    MemoryRegion ioport;
    MemoryRegion *io;
    PITCommonState *pit;
    bool data_on;
};

static uint64_t pcspk_io_read(void *opaque, hwaddr addr, unsigned size)
{
    PCSpkState *s = opaque;
    int refresh = (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) / PCSPK_REFRESH_PERIOD_NS) & 1;

    return pit_get_gate(s->pit, 2) | s->data_on << 1 | refresh << 4 |
           pit_get_out(s->pit, 2) << 5;
}

static void pcspk_io_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    PCSpkState *s = opaque;

    s->data_on = (data >> 1) & 1;
    pit_set_gate(s->pit, 2, data & 1);
}

static const MemoryRegionOps pcspk_io_ops = {
    .read = pcspk_io_read,
    .write = pcspk_io_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void pcspk_reset(PCSpkState *s)
{
    s->data_on = false;
}

PCSpkState *pcspk_init(MemoryRegion *io, PITCommonState *pit)
{
    PCSpkState *s = g_new0(PCSpkState, 1);

    s->pit = pit;
    s->io = io;
    memory_region_init_io(&s->ioport, &pcspk_io_ops, s, "pcspk", 1);
    memory_region_add_subregion(io, 0x61, &s->ioport);
    return s;
}

void pcspk_destroy(PCSpkState *s)
{
    memory_region_del_subregion(s->io, &s->ioport);
    memory_region_finalize(&s->ioport);
    g_free(s);
}
