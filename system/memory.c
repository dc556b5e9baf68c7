/*
 * The memory-region tree: set-up, transactions, rendering into FlatViews,
 * listeners, and the device dispatch path.
 *
 * A FlatView is the tree seen from its root: sorted, non-overlapping
 * ranges of terminal regions (RAM or I/O).  Rendering walks subregions
 * highest priority first (newest first among equals); a range only fills
 * addresses nobody above it has claimed.  Listeners (KVM's slot table,
 * the interpreter's TLB) learn about changes as a diff of two views.
 *
 * Addresses inside the renderer are 128-bit because a region may span the
 * whole 2^64 space (size UINT64_MAX means 2^64) and an alias may start
 * "below zero".  A FlatView stops at 2^64 - 1: the very last byte of the
 * address space is never mapped, which no x86 machine notices.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "qemu/log.h"
#include "trace/trace.h"
#include "memory-internal.h"

typedef __int128 Int128;

static unsigned memory_region_transaction_depth;
static bool memory_region_update_pending;
static GPtrArray *address_spaces; /* of AddressSpace * */

GPtrArray *memory_address_spaces(void)
{
    if (!address_spaces) {
        address_spaces = g_ptr_array_new();
    }
    return address_spaces;
}

static Int128 memory_region_size128(const MemoryRegion *mr)
{
    return mr->size == UINT64_MAX ? (Int128)1 << 64 : (Int128)mr->size;
}

/* ---- Region set-up ---------------------------------------------------- */

static void memory_region_init_common(MemoryRegion *mr, MemoryRegionKind kind,
                                      const char *name, uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = g_strdup(name);
    mr->kind = kind;
    mr->size = size;
    mr->enabled = true;
    mr->subregions = g_ptr_array_new();
}

void memory_region_init(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_common(mr, MR_CONTAINER, name, size);
}

void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    memory_region_init_common(mr, MR_IO, name, size);
    mr->ops = ops;
    mr->opaque = opaque;
}

bool memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size,
                            Error **errp)
{
    /*
     * Anonymous and MAP_NORESERVE: a 4 GiB guest costs only the pages it
     * touches, and they read as zero like fresh DRAM after reset.
     */
    void *ptr = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ptr == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot allocate %" PRIu64 " bytes of RAM for '%s'",
                         size, name);
        return false;
    }
    memory_region_init_common(mr, MR_RAM, name, size);
    mr->ram_ptr = ptr;
    mr->ram_owned = true;
    mr->ram_alloc_size = size;
    return true;
}

void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size,
                                void *ptr)
{
    memory_region_init_common(mr, MR_RAM, name, size);
    mr->ram_ptr = ptr;
    mr->ram_alloc_size = size;
}

void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size)
{
    memory_region_init_common(mr, MR_ALIAS, name, size);
    mr->alias = orig;
    mr->alias_offset = offset;
}

void memory_region_finalize(MemoryRegion *mr)
{
    assert(!mr->container);
    if (mr->subregions && mr->subregions->len) {
        memory_region_transaction_begin();
        while (mr->subregions->len) {
            memory_region_del_subregion(mr, g_ptr_array_index(mr->subregions, 0));
        }
        memory_region_transaction_commit();
    }
    if (mr->ram_owned) {
        munmap(mr->ram_ptr, mr->ram_alloc_size);
    }
    if (mr->subregions) {
        g_ptr_array_free(mr->subregions, true);
    }
    if (mr->coalesced) {
        g_array_free(mr->coalesced, true);
    }
    g_free(mr->name);
    memset(mr, 0, sizeof(*mr));
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;
    while (mr->kind == MR_ALIAS) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    return mr->kind == MR_RAM ? (uint8_t *)mr->ram_ptr + offset : NULL;
}

/* ---- Transactions ----------------------------------------------------- */

static void address_space_update_topology(AddressSpace *as);

void memory_region_transaction_begin(void)
{
    memory_region_transaction_depth++;
}

void memory_region_transaction_commit(void)
{
    assert(memory_region_transaction_depth > 0);
    if (--memory_region_transaction_depth || !memory_region_update_pending) {
        return;
    }
    memory_region_update_pending = false;
    trace_event(memory_region_transaction_commit, "address_spaces=%u",
                address_spaces ? address_spaces->len : 0);
    GPtrArray *list = memory_address_spaces();
    for (unsigned i = 0; i < list->len; i++) {
        address_space_update_topology(g_ptr_array_index(list, i));
    }
}

/* Every mutator is its own transaction unless one is already open. */
#define MEMORY_REGION_CHANGE(stmt)            \
    do {                                      \
        memory_region_transaction_begin();    \
        stmt;                                 \
        memory_region_update_pending = true;  \
        memory_region_transaction_commit();   \
    } while (0)

/* ---- Tree edits ------------------------------------------------------- */

static void memory_region_insert_subregion(MemoryRegion *mr, MemoryRegion *subregion)
{
    GPtrArray *subs = mr->subregions;
    unsigned i;

    /* Highest priority first; a newcomer goes before its equals so it wins. */
    for (i = 0; i < subs->len; i++) {
        MemoryRegion *other = g_ptr_array_index(subs, i);
        if (subregion->priority >= other->priority) {
            break;
        }
    }
    g_ptr_array_insert(subs, i, subregion);
    subregion->container = mr;
}

static void memory_region_add_subregion_common(MemoryRegion *mr, hwaddr offset,
                                               MemoryRegion *subregion)
{
    assert(!subregion->container);
    subregion->addr = offset;
    MEMORY_REGION_CHANGE(memory_region_insert_subregion(mr, subregion));
}

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset, MemoryRegion *subregion)
{
    subregion->priority = 0;
    memory_region_add_subregion_common(mr, offset, subregion);
}

void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion, int priority)
{
    subregion->priority = priority;
    memory_region_add_subregion_common(mr, offset, subregion);
}

void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion)
{
    assert(subregion->container == mr);
    MEMORY_REGION_CHANGE({
        g_ptr_array_remove(mr->subregions, subregion);
        subregion->container = NULL;
    });
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled == enabled) {
        return;
    }
    MEMORY_REGION_CHANGE(mr->enabled = enabled);
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    MemoryRegion *container = mr->container;

    if (mr->addr == addr) {
        return;
    }
    if (!container) {
        mr->addr = addr;
        return;
    }
    /* Re-adding makes it the newest among its equals, as a fresh add would. */
    MEMORY_REGION_CHANGE({
        g_ptr_array_remove(container->subregions, mr);
        mr->addr = addr;
        memory_region_insert_subregion(container, mr);
    });
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    if (mr->size == size) {
        return;
    }
    assert(mr->kind != MR_RAM || size <= mr->ram_alloc_size);
    MEMORY_REGION_CHANGE(mr->size = size);
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    assert(mr->kind == MR_ALIAS);
    if (mr->alias_offset == offset) {
        return;
    }
    MEMORY_REGION_CHANGE(mr->alias_offset = offset);
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly == readonly) {
        return;
    }
    MEMORY_REGION_CHANGE(mr->readonly = readonly);
}

/* ---- Rendering -------------------------------------------------------- */

static FlatView *flatview_new(MemoryRegion *root)
{
    FlatView *fv = g_new0(FlatView, 1);
    fv->ref = 1;
    fv->root = root;
    return fv;
}

static void flatview_insert(FlatView *fv, unsigned pos, const FlatRange *fr)
{
    if (fv->nr == fv->nr_allocated) {
        fv->nr_allocated = MAX(16u, fv->nr_allocated * 2);
        fv->ranges = g_renew(FlatRange, fv->ranges, fv->nr_allocated);
    }
    memmove(&fv->ranges[pos + 1], &fv->ranges[pos], (fv->nr - pos) * sizeof(FlatRange));
    fv->ranges[pos] = *fr;
    fv->nr++;
}

/*
 * Maps terminal @mr, whose offset 0 sits at @origin, into the gaps of
 * [start, end) that earlier (higher-priority) regions left free.
 */
static void flatview_fill_gaps(FlatView *fv, MemoryRegion *mr, Int128 origin,
                               Int128 start, Int128 end, bool readonly)
{
    unsigned i = 0;
    Int128 pos = start;

    while (i < fv->nr && (Int128)flat_range_end(&fv->ranges[i]) <= pos) {
        i++;
    }
    while (pos < end) {
        if (i < fv->nr && (Int128)fv->ranges[i].addr <= pos) {
            pos = MAX(pos, (Int128)flat_range_end(&fv->ranges[i]));
            i++;
            continue;
        }
        Int128 gap_end = i < fv->nr ? MIN(end, (Int128)fv->ranges[i].addr) : end;
        FlatRange fr = {
            .mr = mr,
            .offset_in_region = (hwaddr)(pos - origin),
            .addr = (hwaddr)pos,
            .size = (uint64_t)(gap_end - pos),
            .readonly = readonly,
        };
        flatview_insert(fv, i++, &fr);
        pos = gap_end;
    }
}

static void render_memory_region(FlatView *fv, MemoryRegion *mr, Int128 origin,
                                 Int128 clip_start, Int128 clip_end, bool readonly)
{
    if (!mr->enabled) {
        return;
    }
    Int128 start = MAX(clip_start, origin);
    Int128 end = MIN(clip_end, origin + memory_region_size128(mr));
    if (start >= end) {
        return;
    }
    readonly |= mr->readonly;

    if (mr->kind == MR_ALIAS) {
        /* The target's own address within its container plays no part. */
        render_memory_region(fv, mr->alias, origin - (Int128)mr->alias_offset, start, end,
                             readonly);
        return;
    }
    for (unsigned i = 0; i < mr->subregions->len; i++) {
        MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
        render_memory_region(fv, sub, origin + sub->addr, start, end, readonly);
    }
    if (mr->kind != MR_CONTAINER) {
        flatview_fill_gaps(fv, mr, origin, start, end, readonly);
    }
}

static bool flat_range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->offset_in_region == b->offset_in_region &&
           a->addr == b->addr && a->size == b->size && a->readonly == b->readonly;
}

/* Joins neighbours that are one contiguous piece of the same region. */
static void flatview_simplify(FlatView *fv)
{
    unsigned out = 0;

    for (unsigned i = 0; i < fv->nr; i++) {
        FlatRange *prev = out ? &fv->ranges[out - 1] : NULL;
        FlatRange *fr = &fv->ranges[i];
        if (prev && prev->mr == fr->mr && prev->readonly == fr->readonly &&
            flat_range_end(prev) == fr->addr &&
            prev->offset_in_region + prev->size == fr->offset_in_region) {
            prev->size += fr->size;
            continue;
        }
        fv->ranges[out++] = *fr;
    }
    fv->nr = out;
}

static FlatView *generate_memory_topology(MemoryRegion *root)
{
    FlatView *fv = flatview_new(root);
    /* The root sits at 0 whatever its own addr says. */
    render_memory_region(fv, root, 0, 0, (Int128)UINT64_MAX, false);
    flatview_simplify(fv);
    return fv;
}

static bool flatview_equal(const FlatView *a, const FlatView *b)
{
    if (a->nr != b->nr || a->root != b->root) {
        return false;
    }
    for (unsigned i = 0; i < a->nr; i++) {
        if (!flat_range_equal(&a->ranges[i], &b->ranges[i])) {
            return false;
        }
    }
    return true;
}

FlatView *address_space_get_flatview(AddressSpace *as)
{
    FlatView *fv = as->current_map;
    g_atomic_int_inc(&fv->ref);
    return fv;
}

void flatview_unref(FlatView *fv)
{
    if (g_atomic_int_dec_and_test(&fv->ref)) {
        g_free(fv->ranges);
        g_free(fv);
    }
}

/* ---- Listeners -------------------------------------------------------- */

static MemoryRegionSection section_from_flat_range(FlatView *fv, const FlatRange *fr)
{
    return (MemoryRegionSection){
        .mr = fr->mr,
        .fv = fv,
        .offset_within_region = fr->offset_in_region,
        .offset_within_address_space = fr->addr,
        .size = fr->size,
        .readonly = fr->readonly,
    };
}

/* Calls coalesced_io_add/del for each coalesced piece of an I/O section. */
static void listener_coalesced(MemoryListener *listener, MemoryRegionSection *section,
                               bool add)
{
    MemoryRegion *mr = section->mr;
    void (*fn)(MemoryListener *, MemoryRegionSection *, hwaddr, hwaddr) =
        add ? listener->coalesced_io_add : listener->coalesced_io_del;

    if (!fn || mr->kind != MR_IO || !mr->coalesced) {
        return;
    }
    hwaddr sec_start = section->offset_within_region;
    hwaddr sec_end = sec_start + section->size;
    for (unsigned i = 0; i < mr->coalesced->len; i++) {
        CoalescedRange *cr = &g_array_index(mr->coalesced, CoalescedRange, i);
        hwaddr start = MAX(sec_start, cr->addr);
        hwaddr end = MIN(sec_end, cr->addr + cr->size);
        if (start < end) {
            fn(listener, section,
               section->offset_within_address_space + (start - sec_start), end - start);
        }
    }
}

static void listener_region_add(MemoryListener *listener, FlatView *fv, const FlatRange *fr)
{
    MemoryRegionSection section = section_from_flat_range(fv, fr);
    if (listener->region_add) {
        listener->region_add(listener, &section);
    }
    listener_coalesced(listener, &section, true);
}

static void listener_region_del(MemoryListener *listener, FlatView *fv, const FlatRange *fr)
{
    MemoryRegionSection section = section_from_flat_range(fv, fr);
    listener_coalesced(listener, &section, false);
    if (listener->region_del) {
        listener->region_del(listener, &section);
    }
}

/* Deletions run in reverse registration order, additions forward. */
static void address_space_notify_range(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                                       bool add)
{
    GPtrArray *ls = as->listeners;
    if (add) {
        for (unsigned i = 0; i < ls->len; i++) {
            listener_region_add(g_ptr_array_index(ls, i), fv, fr);
        }
    } else {
        for (unsigned i = ls->len; i-- > 0;) {
            listener_region_del(g_ptr_array_index(ls, i), fv, fr);
        }
    }
}

/*
 * Walks both sorted views together.  Pass one reports ranges that went
 * away or changed (region_del), pass two the new ones (region_add), so a
 * listener never sees two sections overlap.
 */
static void address_space_update_topology_pass(AddressSpace *as, FlatView *old_view,
                                               FlatView *new_view, bool adding)
{
    unsigned iold = 0, inew = 0;

    while (iold < old_view->nr || inew < new_view->nr) {
        const FlatRange *frold = iold < old_view->nr ? &old_view->ranges[iold] : NULL;
        const FlatRange *frnew = inew < new_view->nr ? &new_view->ranges[inew] : NULL;

        if (frold && (!frnew || frold->addr < frnew->addr ||
                      (frold->addr == frnew->addr && !flat_range_equal(frold, frnew)))) {
            if (!adding) {
                address_space_notify_range(as, old_view, frold, false);
            }
            iold++;
        } else if (frold && frnew && flat_range_equal(frold, frnew)) {
            iold++;
            inew++;
        } else {
            if (adding) {
                address_space_notify_range(as, new_view, frnew, true);
            }
            inew++;
        }
    }
}

static void address_space_listeners_call(AddressSpace *as, bool begin)
{
    for (unsigned i = 0; i < as->listeners->len; i++) {
        MemoryListener *l = g_ptr_array_index(as->listeners, i);
        void (*fn)(MemoryListener *) = begin ? l->begin : l->commit;
        if (fn) {
            fn(l);
        }
    }
}

static void address_space_update_topology(AddressSpace *as)
{
    FlatView *old_view = as->current_map;
    FlatView *new_view = generate_memory_topology(as->root);

    if (flatview_equal(old_view, new_view)) {
        flatview_unref(new_view);
        return;
    }
    trace_event(memory_address_space_update, "as=%s ranges=%u->%u", as->name,
                old_view->nr, new_view->nr);
    as->current_map = new_view;
    address_space_listeners_call(as, true);
    address_space_update_topology_pass(as, old_view, new_view, false);
    address_space_update_topology_pass(as, old_view, new_view, true);
    address_space_listeners_call(as, false);
    /* Readers holding a reference (address_space_get_flatview) keep the old one. */
    flatview_unref(old_view);
}

void memory_listener_register(MemoryListener *listener, AddressSpace *as)
{
    FlatView *fv = as->current_map;

    listener->address_space = as;
    g_ptr_array_add(as->listeners, listener);
    /* A late listener catches up on what is already mapped. */
    if (listener->begin) {
        listener->begin(listener);
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        listener_region_add(listener, fv, &fv->ranges[i]);
    }
    if (listener->commit) {
        listener->commit(listener);
    }
}

void memory_listener_unregister(MemoryListener *listener)
{
    AddressSpace *as = listener->address_space;
    if (!as) {
        return;
    }
    FlatView *fv = as->current_map;
    if (listener->begin) {
        listener->begin(listener);
    }
    for (unsigned i = fv->nr; i-- > 0;) {
        listener_region_del(listener, fv, &fv->ranges[i]);
    }
    if (listener->commit) {
        listener->commit(listener);
    }
    g_ptr_array_remove(as->listeners, listener);
    listener->address_space = NULL;
}

void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset, uint64_t size)
{
    CoalescedRange cr = { .addr = offset, .size = size };
    MemoryRegionSection section;

    if (!mr->coalesced) {
        mr->coalesced = g_array_new(false, false, sizeof(CoalescedRange));
    }
    g_array_append_val(mr->coalesced, cr);

    /* Tell listeners about the new piece wherever the region is mapped. */
    GPtrArray *list = memory_address_spaces();
    for (unsigned a = 0; a < list->len; a++) {
        AddressSpace *as = g_ptr_array_index(list, a);
        FlatView *fv = as->current_map;
        for (unsigned i = 0; i < fv->nr; i++) {
            const FlatRange *fr = &fv->ranges[i];
            hwaddr start = MAX(fr->offset_in_region, offset);
            hwaddr end = MIN(fr->offset_in_region + fr->size, offset + size);
            if (fr->mr != mr || mr->kind != MR_IO || start >= end) {
                continue;
            }
            section = section_from_flat_range(fv, fr);
            for (unsigned j = 0; j < as->listeners->len; j++) {
                MemoryListener *l = g_ptr_array_index(as->listeners, j);
                if (l->coalesced_io_add) {
                    l->coalesced_io_add(l, &section, fr->addr + (start - fr->offset_in_region),
                                        end - start);
                }
            }
        }
    }
}

/* ---- Address spaces --------------------------------------------------- */

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = g_strdup(name);
    as->root = root;
    as->listeners = g_ptr_array_new();
    as->current_map = generate_memory_topology(root);
    g_ptr_array_add(memory_address_spaces(), as);
}

void address_space_destroy(AddressSpace *as)
{
    assert(!as->bounce.buffer);
    g_ptr_array_remove(memory_address_spaces(), as);
    if (address_spaces->len == 0) {
        g_ptr_array_free(address_spaces, true);
        address_spaces = NULL;
    }
    flatview_unref(as->current_map);
    g_ptr_array_free(as->listeners, true);
    g_free(as->name);
    memset(as, 0, sizeof(*as));
}

/* ---- Dispatch --------------------------------------------------------- */

typedef MemTxResult (*MemoryRegionAccessFn)(MemoryRegion *mr, hwaddr addr, uint64_t *value,
                                            unsigned size, unsigned shift, uint64_t mask,
                                            MemTxAttrs attrs);

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static uint64_t bswap_sized(uint64_t val, unsigned size)
{
    switch (size) {
    case 2:
        return GUINT16_SWAP_LE_BE((uint16_t)val);
    case 4:
        return GUINT32_SWAP_LE_BE((uint32_t)val);
    case 8:
        return GUINT64_SWAP_LE_BE(val);
    default:
        return val;
    }
}

static bool memory_region_access_valid(MemoryRegion *mr, hwaddr addr, unsigned size,
                                       bool is_write)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
    unsigned max = ops->valid.max_access_size ? ops->valid.max_access_size : 4;

    if (size == 0 || size > 8 || (size & (size - 1))) {
        return false;
    }
    if (size < min || size > max) {
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        return false;
    }
    return is_write ? ops->write != NULL : ops->read != NULL;
}

static __attribute__((noinline)) MemTxResult
memory_region_read_accessor(MemoryRegion *mr, hwaddr addr, uint64_t *value, unsigned size,
                            unsigned shift, uint64_t mask, MemTxAttrs attrs)
{
    /* QEMU's event carries the value: here the frame's end does */
    trace_event_begin(memory_region_ops_read, "mr=%s addr=0x%" HWADDR_PRIx " size=%u",
                      mr->name, addr, size);
    uint64_t tmp = mr->ops->read(mr->opaque, addr, size);
    trace_event_end(memory_region_ops_read_done, memory_region_ops_read, "value=0x%" PRIx64,
                    tmp);
    *value |= (tmp & mask) << shift;
    return MEMTX_OK;
}

static __attribute__((noinline)) MemTxResult
memory_region_write_accessor(MemoryRegion *mr, hwaddr addr, uint64_t *value, unsigned size,
                             unsigned shift, uint64_t mask, MemTxAttrs attrs)
{
    uint64_t tmp = (*value >> shift) & mask;
    trace_event_begin(memory_region_ops_write, "mr=%s addr=0x%" HWADDR_PRIx " value=0x%"
                      PRIx64 " size=%u", mr->name, addr, tmp, size);
    mr->ops->write(mr->opaque, addr, tmp, size);
    trace_event_end(memory_region_ops_write_done, memory_region_ops_write, NULL);
    return MEMTX_OK;
}

/*
 * Fits a guest access of @size bytes to what the callbacks implement.
 *
 * Wider than impl.max: several callbacks, in address order; in a
 * little-endian region the piece at the lowest address is the least
 * significant (byte-address invariance: a big-endian region gets the same
 * bytes at the same offsets, only its values are read big-end first).
 *
 * Narrower than impl.min: one callback of impl.min bytes at the aligned
 * address containing the access.  A read extracts the wanted bytes; a
 * write passes the value shifted into place with the other bytes zero
 * (not read-modify-write: a read may have side effects), which is what a
 * device on a wider bus sees from a narrow cycle.  An access that
 * straddles two such units is done a byte at a time.
 */
static __attribute__((noinline)) MemTxResult
access_with_adjusted_size(hwaddr addr, uint64_t *value, unsigned size,
                          unsigned access_size_min, unsigned access_size_max,
                          MemoryRegionAccessFn access_fn, MemoryRegion *mr, MemTxAttrs attrs)
{
    bool big_endian = mr->ops->endianness == DEVICE_BIG_ENDIAN;
    bool is_read = access_fn == memory_region_read_accessor;
    MemTxResult r = MEMTX_OK;

    access_size_min = access_size_min ? access_size_min : 1;
    access_size_max = access_size_max ? access_size_max : 4;

    if (size >= access_size_min) {
        unsigned access_size = MIN(size, access_size_max);
        for (unsigned i = 0; i < size; i += access_size) {
            unsigned shift = (big_endian ? size - access_size - i : i) * 8;
            r |= access_fn(mr, addr + i, value, access_size, shift,
                           size_mask(access_size), attrs);
        }
        return r;
    }

    unsigned access_size = access_size_min;
    hwaddr aligned = addr & ~(hwaddr)(access_size - 1);
    unsigned lane = addr - aligned;
    if (lane + size > access_size) {
        for (unsigned i = 0; i < size; i++) {
            uint64_t byte = big_endian ? *value >> ((size - 1 - i) * 8) : *value >> (i * 8);
            byte &= 0xff;
            r |= access_with_adjusted_size(addr + i, &byte, 1, access_size_min,
                                           access_size_max, access_fn, mr, attrs);
            if (is_read) {
                *value |= byte << ((big_endian ? size - 1 - i : i) * 8);
            }
        }
        return r;
    }
    unsigned shift = (big_endian ? access_size - size - lane : lane) * 8;
    uint64_t wide = is_read ? 0 : (*value & size_mask(size)) << shift;
    r = access_fn(mr, aligned, &wide, access_size, 0, size_mask(access_size), attrs);
    if (is_read) {
        *value |= (wide >> shift) & size_mask(size);
    }
    return r;
}

static MemoryRegion *memory_region_resolve_alias(MemoryRegion *mr, hwaddr *addr)
{
    while (mr->kind == MR_ALIAS) {
        *addr += mr->alias_offset;
        mr = mr->alias;
    }
    return mr;
}

static bool memory_region_ram_access(MemoryRegion *mr, hwaddr addr, unsigned size)
{
    return mr->kind == MR_RAM && size <= 8 && addr < mr->size && size <= mr->size - addr;
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr, uint64_t *pval,
                                        unsigned size, MemTxAttrs attrs)
{
    mr = memory_region_resolve_alias(mr, &addr);
    if (memory_region_ram_access(mr, addr, size)) {
        *pval = ldn_le_p((uint8_t *)mr->ram_ptr + addr, size);
        return MEMTX_OK;
    }
    if (mr->kind != MR_IO || !mr->ops || !memory_region_access_valid(mr, addr, size, false)) {
        qemu_log_mask(LOG_GUEST_ERROR, "invalid read at addr 0x%" HWADDR_PRIx
                      ", size %u, region '%s'\n", addr, size, mr->name);
        *pval = size_mask(size);
        return MEMTX_DECODE_ERROR;
    }
    uint64_t val = 0;
    MemTxResult r = access_with_adjusted_size(addr, &val, size, mr->ops->impl.min_access_size,
                                              mr->ops->impl.max_access_size,
                                              memory_region_read_accessor, mr, attrs);
    *pval = mr->ops->endianness == DEVICE_BIG_ENDIAN ? bswap_sized(val, size) : val;
    return r;
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t data,
                                         unsigned size, MemTxAttrs attrs)
{
    mr = memory_region_resolve_alias(mr, &addr);
    if (memory_region_ram_access(mr, addr, size)) {
        if (!mr->readonly) {
            void *host = (uint8_t *)mr->ram_ptr + addr;
            stn_le_p(host, size, data);
            memory_notify_ram_write(host, size);
        }
        return MEMTX_OK;
    }
    if (mr->kind != MR_IO || !mr->ops || !memory_region_access_valid(mr, addr, size, true)) {
        qemu_log_mask(LOG_GUEST_ERROR, "invalid write at addr 0x%" HWADDR_PRIx
                      ", size %u, value 0x%" PRIx64 ", region '%s'\n", addr, size, data,
                      mr->name);
        return MEMTX_DECODE_ERROR;
    }
    data &= size_mask(size);
    if (mr->ops->endianness == DEVICE_BIG_ENDIAN) {
        data = bswap_sized(data, size);
    }
    return access_with_adjusted_size(addr, &data, size, mr->ops->impl.min_access_size,
                                     mr->ops->impl.max_access_size,
                                     memory_region_write_accessor, mr, attrs);
}
