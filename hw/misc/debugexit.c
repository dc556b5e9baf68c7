/*
 * isa-debug-exit.  The exit happens through the run-state machinery, so
 * the main loop shuts the machine down in order instead of exit()ing here.
 */
#include <inttypes.h>

#include "hw/misc/debugexit.h"

#include "sysemu/runstate.h"
#include "trace/trace.h"

struct ISADebugExitState {
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static uint64_t debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    trace_event(debug_exit_write, "val=0x%" PRIx64 " size=%u", val, size);
    qemu_system_shutdown_request((int)((val << 1) | 1));
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

ISADebugExitState *isa_debug_exit_init(MemoryRegion *io, uint32_t iobase, uint32_t iosize)
{
    ISADebugExitState *s = g_new0(ISADebugExitState, 1);

    s->io_parent = io;
    memory_region_init_io(&s->io, &debug_exit_ops, s, "isa-debug-exit", iosize);
    memory_region_add_subregion(io, iobase, &s->io);
    return s;
}

void isa_debug_exit_destroy(ISADebugExitState *s)
{
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
