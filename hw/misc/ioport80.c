/*
 * Port 0x80.  Its writes have no effect anyone can read back, so the port
 * is marked coalesced: KVM queues them in the ring instead of exiting.
 */
#include <inttypes.h>

#include "hw/misc/ioport80.h"

struct IOPort80State {
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static uint64_t ioport80_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xff; /* nothing drives the bus */
}

static void ioport80_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
}

static const MemoryRegionOps ioport80_io_ops = {
    .read = ioport80_read,
    .write = ioport80_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

IOPort80State *ioport80_init(MemoryRegion *io)
{
    IOPort80State *s = g_new0(IOPort80State, 1);

    s->io_parent = io;
    memory_region_init_io(&s->io, &ioport80_io_ops, s, "ioport80", 1);
    memory_region_add_coalescing(&s->io, 0, 1);
    memory_region_add_subregion(io, 0x80, &s->io);
    return s;
}

void ioport80_destroy(IOPort80State *s)
{
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
