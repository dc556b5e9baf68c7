/*
 * Guest-physical accesses: the machine's two address spaces, the FlatView
 * lookup, address_space_rw and the sized ld/st helpers, translation and
 * DMA mapping, and the hook that tells code caches about RAM writes.
 *
 * These run for every port I/O exit under KVM and every in/out in the
 * interpreter: no allocation, one binary search, then either a memcpy on
 * the host pointer (RAM) or memory_region_dispatch_* (I/O).
 *
 * Callers hold the BQL (or a reference from address_space_get_flatview)
 * so as->current_map cannot be freed under them.
 */
#include <assert.h>
#include <inttypes.h>

#include "qemu/log.h"
#include "trace/trace.h"
#include "memory-internal.h"

AddressSpace address_space_memory;
AddressSpace address_space_io;
static MemoryRegion system_memory;
static MemoryRegion system_io;

static RAMWriteHook ram_write_hook;
static void *ram_write_hook_opaque;

/* A bounce buffer covers at most a page, as a DMA engine's burst would. */
#define BOUNCE_BUFFER_MAX 4096

MemoryRegion *get_system_memory(void)
{
    return &system_memory;
}

MemoryRegion *get_system_io(void)
{
    return &system_io;
}

void memory_map_init(void)
{
    /* The 64 KiB x86 port space and the (2^64 byte) physical space. */
    memory_region_init(&system_memory, "system", UINT64_MAX);
    address_space_init(&address_space_memory, &system_memory, "memory");
    memory_region_init(&system_io, "io", 65536);
    address_space_init(&address_space_io, &system_io, "I/O");
}

void memory_set_ram_write_hook(RAMWriteHook hook, void *opaque)
{
    ram_write_hook = hook;
    ram_write_hook_opaque = opaque;
}

void memory_notify_ram_write(void *host, size_t len)
{
    if (ram_write_hook) {
        ram_write_hook(ram_write_hook_opaque, host, len);
    }
}

/* ---- Lookup ----------------------------------------------------------- */

/* The number of ranges starting at or below @addr. */
static inline unsigned flatview_search(const FlatView *fv, hwaddr addr)
{
    unsigned lo = 0, hi = fv->nr;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (fv->ranges[mid].addr <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

const FlatRange *flatview_lookup(const FlatView *fv, hwaddr addr)
{
    unsigned n = flatview_search(fv, addr);
    if (n == 0) {
        return NULL;
    }
    const FlatRange *fr = &fv->ranges[n - 1];
    return addr - fr->addr < fr->size ? fr : NULL;
}

/* Bytes from an unmapped @addr to the next range, at most @len. */
static hwaddr flatview_unassigned_len(const FlatView *fv, hwaddr addr, hwaddr len)
{
    unsigned n = flatview_search(fv, addr);
    return n < fv->nr ? MIN(len, fv->ranges[n].addr - addr) : len;
}

/*
 * The widest naturally aligned access, at most 8 bytes and what the
 * region lets the guest do, that fits in @len bytes at region offset @addr.
 */
static unsigned memory_access_size(MemoryRegion *mr, hwaddr len, hwaddr addr)
{
    unsigned max = 4;

    if (mr->ops && mr->ops->valid.max_access_size) {
        max = MIN(mr->ops->valid.max_access_size, 8u);
    }
    if (!(mr->ops && mr->ops->valid.unaligned)) {
        hwaddr align = addr & -addr;
        if (align && align < max) {
            max = align;
        }
    }
    unsigned size = 8;
    while (size > max || size > len) {
        size >>= 1;
    }
    return size;
}

static inline bool flat_range_contains(const FlatRange *fr, hwaddr addr, hwaddr len)
{
    return fr && len <= fr->size && addr - fr->addr <= fr->size - len;
}

/* ---- Byte-buffer accesses --------------------------------------------- */

/* From the range @fr holding @addr (NULL: unassigned) on, range by range. */
static __attribute__((noinline)) MemTxResult
flatview_write_continue(FlatView *fv, hwaddr addr, MemTxAttrs attrs, const uint8_t *buf,
                        hwaddr len, const FlatRange *fr)
{
    MemTxResult result = MEMTX_OK;

    for (bool first = true; len > 0; first = false) {
        hwaddr l;

        if (!first) {
            fr = flatview_lookup(fv, addr);
        }
        if (!fr) {
            l = flatview_unassigned_len(fv, addr, len);
            qemu_log_mask(LOG_GUEST_ERROR, "unassigned write at 0x%" HWADDR_PRIx
                          ", %" PRIu64 " bytes\n", addr, l);
            result |= MEMTX_DECODE_ERROR;
        } else {
            MemoryRegion *mr = fr->mr;
            hwaddr xlat = fr->offset_in_region + (addr - fr->addr);
            l = MIN(len, flat_range_end(fr) - addr);
            if (mr->kind == MR_RAM) {
                /* A ROM ignores writes, silently, as the chip would. */
                if (!fr->readonly) {
                    void *host = (uint8_t *)mr->ram_ptr + xlat;
                    memcpy(host, buf, l);
                    memory_notify_ram_write(host, l);
                }
            } else {
                l = memory_access_size(mr, l, xlat);
                result |= memory_region_dispatch_write(mr, xlat, ldn_le_p(buf, l), l, attrs);
            }
        }
        addr += l;
        buf += l;
        len -= l;
    }
    return result;
}

static __attribute__((noinline)) MemTxResult
flatview_read_continue(FlatView *fv, hwaddr addr, MemTxAttrs attrs, uint8_t *buf, hwaddr len,
                       const FlatRange *fr)
{
    MemTxResult result = MEMTX_OK;

    for (bool first = true; len > 0; first = false) {
        hwaddr l;

        if (!first) {
            fr = flatview_lookup(fv, addr);
        }
        if (!fr) {
            /* An undriven bus floats high. */
            l = flatview_unassigned_len(fv, addr, len);
            memset(buf, 0xff, l);
            qemu_log_mask(LOG_GUEST_ERROR, "unassigned read at 0x%" HWADDR_PRIx
                          ", %" PRIu64 " bytes\n", addr, l);
            result |= MEMTX_DECODE_ERROR;
        } else {
            MemoryRegion *mr = fr->mr;
            hwaddr xlat = fr->offset_in_region + (addr - fr->addr);
            l = MIN(len, flat_range_end(fr) - addr);
            if (mr->kind == MR_RAM) {
                memcpy(buf, (uint8_t *)mr->ram_ptr + xlat, l);
            } else {
                uint64_t val;
                l = memory_access_size(mr, l, xlat);
                result |= memory_region_dispatch_read(mr, xlat, &val, l, attrs);
                stn_le_p(buf, l, val);
            }
        }
        addr += l;
        buf += l;
        len -= l;
    }
    return result;
}

/* QEMU's split: flatview_write finds the first range, the _continue loop
 * walks the rest; both stay frames (gdb shows the same chain as QEMU's). */
static __attribute__((noinline)) MemTxResult
flatview_write(FlatView *fv, hwaddr addr, MemTxAttrs attrs, const void *buf, hwaddr len)
{
    return flatview_write_continue(fv, addr, attrs, buf, len, flatview_lookup(fv, addr));
}

static __attribute__((noinline)) MemTxResult
flatview_read(FlatView *fv, hwaddr addr, MemTxAttrs attrs, void *buf, hwaddr len)
{
    return flatview_read_continue(fv, addr, attrs, buf, len, flatview_lookup(fv, addr));
}

/*
 * The view is held for the whole access: a write that crosses from one
 * region into the next may, in the first one, remap the second (a PCI BAR
 * or command write does), which replaces and frees the current view.  The
 * rest of the access then still goes where the guest's access went, as on
 * a bus that decoded it once.  (Found by tests/fuzz/device-fuzz.)
 */
MemTxResult address_space_write(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                                const void *buf, hwaddr len)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult result = flatview_write(fv, addr, attrs, buf, len);

    flatview_unref(fv);
    return result;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, void *buf,
                               hwaddr len)
{
    FlatView *fv = address_space_get_flatview(as);
    MemTxResult result = flatview_read(fv, addr, attrs, buf, len);

    flatview_unref(fv);
    return result;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, void *buf,
                             hwaddr len, bool is_write)
{
    if (is_write) {
        return address_space_write(as, addr, attrs, buf, len);
    }
    return address_space_read(as, addr, attrs, buf, len);
}

/* ---- Sized accessors -------------------------------------------------- */

/*
 * One lookup, then the host pointer or a single dispatch.  Anything the
 * region cannot take as one access (crossing a range, wider than .valid
 * allows) goes the byte-buffer way, which splits it.
 *
 * The helpers below do everything except the single I/O dispatch, which
 * they hand back (as the region and offset) so that the call to
 * memory_region_dispatch_* sits in address_space_stb and friends
 * themselves: the TCG stack reads helper_outb -> address_space_stb ->
 * memory_region_dispatch_write with no frame in between.
 */
static inline void memtx_set(MemTxResult *result, MemTxResult r)
{
    if (result) {
        *result = r;
    }
}

static inline __attribute__((always_inline)) MemoryRegion *
address_space_ld_prepare(AddressSpace *as, hwaddr addr, unsigned size, MemTxAttrs attrs,
                         MemTxResult *result, hwaddr *xlat, uint64_t *val)
{
    const FlatRange *fr = flatview_lookup(as->current_map, addr);
    uint8_t buf[8];

    if (G_LIKELY(flat_range_contains(fr, addr, size))) {
        MemoryRegion *mr = fr->mr;
        *xlat = fr->offset_in_region + (addr - fr->addr);
        if (mr->kind == MR_RAM) {
            *val = ldn_le_p((uint8_t *)mr->ram_ptr + *xlat, size);
            memtx_set(result, MEMTX_OK);
            return NULL;
        }
        if (memory_access_size(mr, size, *xlat) == size) {
            return mr;
        }
    }
    memtx_set(result, address_space_read(as, addr, attrs, buf, size));
    *val = ldn_le_p(buf, size);
    return NULL;
}

static inline __attribute__((always_inline)) MemoryRegion *
address_space_st_prepare(AddressSpace *as, hwaddr addr, uint64_t val, unsigned size,
                         MemTxAttrs attrs, MemTxResult *result, hwaddr *xlat)
{
    const FlatRange *fr = flatview_lookup(as->current_map, addr);
    uint8_t buf[8];

    if (G_LIKELY(flat_range_contains(fr, addr, size))) {
        MemoryRegion *mr = fr->mr;
        *xlat = fr->offset_in_region + (addr - fr->addr);
        if (mr->kind == MR_RAM) {
            if (!fr->readonly) {
                void *host = (uint8_t *)mr->ram_ptr + *xlat;
                stn_le_p(host, size, val);
                memory_notify_ram_write(host, size);
            }
            memtx_set(result, MEMTX_OK);
            return NULL;
        }
        if (memory_access_size(mr, size, *xlat) == size) {
            return mr;
        }
    }
    stn_le_p(buf, size, val);
    memtx_set(result, address_space_write(as, addr, attrs, buf, size));
    return NULL;
}

uint32_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result)
{
    hwaddr xlat;
    uint64_t val;
    MemoryRegion *mr = address_space_ld_prepare(as, addr, 1, attrs, result, &xlat, &val);
    if (mr) {
        memtx_set(result, memory_region_dispatch_read(mr, xlat, &val, 1, attrs));
    }
    return val;
}

uint32_t address_space_lduw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result)
{
    hwaddr xlat;
    uint64_t val;
    MemoryRegion *mr = address_space_ld_prepare(as, addr, 2, attrs, result, &xlat, &val);
    if (mr) {
        memtx_set(result, memory_region_dispatch_read(mr, xlat, &val, 2, attrs));
    }
    return val;
}

uint32_t address_space_ldl(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result)
{
    hwaddr xlat;
    uint64_t val;
    MemoryRegion *mr = address_space_ld_prepare(as, addr, 4, attrs, result, &xlat, &val);
    if (mr) {
        memtx_set(result, memory_region_dispatch_read(mr, xlat, &val, 4, attrs));
    }
    return val;
}

uint64_t address_space_ldq(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result)
{
    hwaddr xlat;
    uint64_t val;
    MemoryRegion *mr = address_space_ld_prepare(as, addr, 8, attrs, result, &xlat, &val);
    if (mr) {
        memtx_set(result, memory_region_dispatch_read(mr, xlat, &val, 8, attrs));
    }
    return val;
}

void address_space_stb(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result)
{
    hwaddr xlat;
    MemoryRegion *mr = address_space_st_prepare(as, addr, val, 1, attrs, result, &xlat);
    if (mr) {
        memtx_set(result, memory_region_dispatch_write(mr, xlat, val, 1, attrs));
    }
}

void address_space_stw(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result)
{
    hwaddr xlat;
    MemoryRegion *mr = address_space_st_prepare(as, addr, val, 2, attrs, result, &xlat);
    if (mr) {
        memtx_set(result, memory_region_dispatch_write(mr, xlat, val, 2, attrs));
    }
}

void address_space_stl(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result)
{
    hwaddr xlat;
    MemoryRegion *mr = address_space_st_prepare(as, addr, val, 4, attrs, result, &xlat);
    if (mr) {
        memtx_set(result, memory_region_dispatch_write(mr, xlat, val, 4, attrs));
    }
}

void address_space_stq(AddressSpace *as, hwaddr addr, uint64_t val, MemTxAttrs attrs,
                       MemTxResult *result)
{
    hwaddr xlat;
    MemoryRegion *mr = address_space_st_prepare(as, addr, val, 8, attrs, result, &xlat);
    if (mr) {
        memtx_set(result, memory_region_dispatch_write(mr, xlat, val, 8, attrs));
    }
}

/* ---- Translation and DMA mapping -------------------------------------- */

MemoryRegion *address_space_translate_ro(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                         hwaddr *plen, bool *readonly)
{
    FlatView *fv = as->current_map;
    const FlatRange *fr = flatview_lookup(fv, addr);

    if (!fr) {
        *plen = flatview_unassigned_len(fv, addr, *plen);
        *readonly = false;
        return NULL;
    }
    *xlat = fr->offset_in_region + (addr - fr->addr);
    *plen = MIN(*plen, flat_range_end(fr) - addr);
    *readonly = fr->readonly;
    return fr->mr;
}

MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                      hwaddr *plen, bool is_write, MemTxAttrs attrs)
{
    bool readonly;

    return address_space_translate_ro(as, addr, xlat, plen, &readonly);
}

void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen, bool is_write,
                        MemTxAttrs attrs)
{
    const FlatRange *fr = flatview_lookup(as->current_map, addr);
    hwaddr len = *plen;

    if (len == 0 || !fr) {
        *plen = 0;
        return NULL;
    }
    MemoryRegion *mr = fr->mr;
    hwaddr xlat = fr->offset_in_region + (addr - fr->addr);
    len = MIN(len, flat_range_end(fr) - addr);

    /* Writable RAM maps directly; a ROM target is bounced so writes drop. */
    if (mr->kind == MR_RAM && !(is_write && fr->readonly)) {
        *plen = len;
        return (uint8_t *)mr->ram_ptr + xlat;
    }
    if (as->bounce.buffer) {
        trace_event(address_space_map_busy, "as=%s addr=0x%" HWADDR_PRIx, as->name, addr);
        *plen = 0;
        return NULL;
    }
    len = MIN(len, BOUNCE_BUFFER_MAX);
    as->bounce.buffer = g_malloc(len);
    as->bounce.addr = addr;
    as->bounce.len = len;
    if (!is_write) {
        address_space_read(as, addr, attrs, as->bounce.buffer, len);
    }
    *plen = len;
    return as->bounce.buffer;
}

void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len, bool is_write,
                         hwaddr access_len)
{
    if (buffer && buffer == as->bounce.buffer) {
        if (is_write) {
            address_space_write(as, as->bounce.addr, MEMTXATTRS_UNSPECIFIED, buffer,
                                MIN(access_len, as->bounce.len));
        }
        g_free(as->bounce.buffer);
        as->bounce.buffer = NULL;
        return;
    }
    if (is_write && access_len) {
        memory_notify_ram_write(buffer, access_len);
    }
}
