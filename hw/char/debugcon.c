/* isa-debugcon (hw/char/debugcon.h). */
#include "hw/char/debugcon.h"

#include "trace/trace.h"

struct ISADebugconState {
    MemoryRegion io;
    MemoryRegion *io_parent;
    CharFrontend *fe;
    uint8_t readback;
};

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    ISADebugconState *s = opaque;

    return s->readback;
}

static void debugcon_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    ISADebugconState *s = opaque;
    uint8_t ch = val;

    trace_event(debugcon_write, "val=0x%02x", ch);
    qemu_chr_fe_write_all(s->fe, &ch, 1);
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

ISADebugconState *isa_debugcon_init(MemoryRegion *io, uint32_t iobase, uint8_t readback,
                                    CharFrontend *fe)
{
    ISADebugconState *s = g_new0(ISADebugconState, 1);

    s->io_parent = io;
    s->fe = fe;
    s->readback = readback;
    memory_region_init_io(&s->io, &debugcon_ops, s, "isa-debugcon", 1);
    memory_region_add_subregion(io, iobase, &s->io);
    return s;
}

void isa_debugcon_destroy(ISADebugconState *s)
{
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    qemu_chr_fe_detach(s->fe);
    g_free(s);
}
