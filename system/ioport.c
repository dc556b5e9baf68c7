/*
 * Port lists: one I/O MemoryRegion per run of contiguous ports, whose ops
 * (portio_read/portio_write) find the table entry for the accessed port
 * and width.  A width the table lacks is done a byte at a time when the
 * ports have byte entries (what the ISA bus does with a 16-bit cycle to
 * an 8-bit device); otherwise reads float high and writes go nowhere.
 */
#include <string.h>

#include "exec/ioport.h"
#include "qemu/log.h"
#include "trace/trace.h"

typedef struct MemoryRegionPortioList {
    MemoryRegion mr; /* first: piolist->regions holds &mrpio->mr */
    PortioList *piolist;
    uint32_t offset; /* of the run, relative to the list's base port */
    uint32_t base;   /* absolute port of offset 0 of the list */
} MemoryRegionPortioList;

static const MemoryRegionPortio *portio_find(const MemoryRegionPortioList *mrpio,
                                             uint32_t offset, unsigned size, bool is_write)
{
    for (const MemoryRegionPortio *p = mrpio->piolist->ports; p->size; p++) {
        if (p->size == size && offset >= p->offset && offset - p->offset < p->len &&
            (is_write ? p->write != NULL : p->read != NULL)) {
            return p;
        }
    }
    return NULL;
}

static bool portio_has_byte_entry(const MemoryRegionPortioList *mrpio, uint32_t offset)
{
    for (const MemoryRegionPortio *p = mrpio->piolist->ports; p->size; p++) {
        if (p->size == 1 && offset >= p->offset && offset - p->offset < p->len) {
            return true;
        }
    }
    return false;
}

static uint64_t portio_read(void *opaque, hwaddr addr, unsigned size)
{
    MemoryRegionPortioList *mrpio = opaque;
    uint32_t offset = mrpio->offset + addr;
    uint32_t port = mrpio->base + offset;
    const MemoryRegionPortio *p = portio_find(mrpio, offset, size, false);

    if (p) {
        return p->read(mrpio->piolist->opaque, port);
    }
    if (size > 1 && portio_has_byte_entry(mrpio, offset)) {
        uint64_t val = 0;
        for (unsigned i = 0; i < size; i++) {
            p = portio_find(mrpio, offset + i, 1, false);
            uint64_t byte = p ? p->read(mrpio->piolist->opaque, port + i) & 0xff : 0xff;
            val |= byte << (i * 8);
        }
        return val;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: no %u-byte read at port 0x%x\n",
                  mrpio->piolist->name, size, port);
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static void portio_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    MemoryRegionPortioList *mrpio = opaque;
    uint32_t offset = mrpio->offset + addr;
    uint32_t port = mrpio->base + offset;
    const MemoryRegionPortio *p = portio_find(mrpio, offset, size, true);

    if (p) {
        p->write(mrpio->piolist->opaque, port, data);
        return;
    }
    if (size > 1 && portio_has_byte_entry(mrpio, offset)) {
        for (unsigned i = 0; i < size; i++) {
            p = portio_find(mrpio, offset + i, 1, true);
            if (p) {
                p->write(mrpio->piolist->opaque, port + i, (data >> (i * 8)) & 0xff);
            }
        }
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: no %u-byte write at port 0x%x\n",
                  mrpio->piolist->name, size, port);
}

/* The table decides widths itself, so the core neither splits nor widens. */
static const MemoryRegionOps portio_ops = {
    .read = portio_read,
    .write = portio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
};

void portio_list_init(PortioList *piolist, const MemoryRegionPortio *callbacks, void *opaque,
                      const char *name)
{
    memset(piolist, 0, sizeof(*piolist));
    piolist->ports = callbacks;
    piolist->opaque = opaque;
    piolist->name = g_strdup(name);
    piolist->regions = g_ptr_array_new();
}

typedef struct PortRun {
    uint32_t start, end;
} PortRun;

static gint port_run_compare(gconstpointer a, gconstpointer b)
{
    const PortRun *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void portio_list_add_run(PortioList *piolist, uint32_t base, const PortRun *run)
{
    MemoryRegionPortioList *mrpio = g_new0(MemoryRegionPortioList, 1);

    mrpio->piolist = piolist;
    mrpio->offset = run->start;
    mrpio->base = base;
    memory_region_init_io(&mrpio->mr, &portio_ops, mrpio, piolist->name,
                          run->end - run->start);
    g_ptr_array_add(piolist->regions, &mrpio->mr);
    memory_region_add_subregion(piolist->address_space, base + run->start, &mrpio->mr);
}

static void portio_list_free_regions(PortioList *piolist)
{
    for (unsigned i = 0; i < piolist->regions->len; i++) {
        MemoryRegionPortioList *mrpio = g_ptr_array_index(piolist->regions, i);
        memory_region_finalize(&mrpio->mr);
        g_free(mrpio);
    }
    g_ptr_array_set_size(piolist->regions, 0);
}

void portio_list_add(PortioList *piolist, MemoryRegion *address_space, uint32_t start)
{
    g_autoptr(GArray) runs = g_array_new(false, false, sizeof(PortRun));

    /* Moving a list (a device re-programmed to other ports) is del + add. */
    portio_list_del(piolist);
    portio_list_free_regions(piolist);
    piolist->address_space = address_space;

    /* Entries may overlap (one port at several widths); merge their spans. */
    for (const MemoryRegionPortio *p = piolist->ports; p->size; p++) {
        PortRun run = { p->offset, p->offset + p->len };
        if (p->len) {
            g_array_append_val(runs, run);
        }
    }
    g_array_sort(runs, port_run_compare);

    memory_region_transaction_begin();
    PortRun cur = { 0, 0 };
    for (unsigned i = 0; i < runs->len; i++) {
        PortRun *r = &g_array_index(runs, PortRun, i);
        if (cur.end > cur.start && r->start <= cur.end) {
            cur.end = MAX(cur.end, r->end);
            continue;
        }
        if (cur.end > cur.start) {
            portio_list_add_run(piolist, start, &cur);
        }
        cur = *r;
    }
    if (cur.end > cur.start) {
        portio_list_add_run(piolist, start, &cur);
    }
    memory_region_transaction_commit();
}

void portio_list_del(PortioList *piolist)
{
    if (!piolist->address_space) {
        return;
    }
    memory_region_transaction_begin();
    for (unsigned i = 0; i < piolist->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(piolist->regions, i);
        memory_region_del_subregion(piolist->address_space, mr);
    }
    memory_region_transaction_commit();
    piolist->address_space = NULL;
}

void portio_list_destroy(PortioList *piolist)
{
    portio_list_del(piolist);
    portio_list_free_regions(piolist);
    g_ptr_array_free(piolist->regions, true);
    g_free(piolist->name);
    memset(piolist, 0, sizeof(*piolist));
}
