/*
 * The memory API: a tree of MemoryRegions rendered into a FlatView per
 * AddressSpace.  Every guest access, from either accelerator or from a
 * device doing DMA, is dispatched through here.
 *
 * Threading: the tree and the flat views are changed and walked with the
 * BQL held.  RAM contents are accessed without it.
 */
#ifndef EXEC_MEMORY_H
#define EXEC_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "qapi/error.h"

typedef uint64_t hwaddr;
#define HWADDR_PRIx PRIx64
#define HWADDR_MAX UINT64_MAX

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;
typedef struct MemoryListener MemoryListener;

typedef enum {
    MEMTX_OK = 0,
    MEMTX_ERROR = 1,        /* device signalled an error */
    MEMTX_DECODE_ERROR = 2, /* nothing at this address, or access refused */
} MemTxResult;

typedef struct MemTxAttrs {
    unsigned int unspecified : 1;
} MemTxAttrs;
#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){ .unspecified = 1 })

enum device_endian {
    DEVICE_NATIVE_ENDIAN, /* x86 guest: little */
    DEVICE_LITTLE_ENDIAN,
    DEVICE_BIG_ENDIAN,
};

typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t data, unsigned size);
    enum device_endian endianness;
    /* What the guest may do: other accesses read all-ones / are dropped. */
    struct {
        unsigned min_access_size; /* 0 means 1 */
        unsigned max_access_size; /* 0 means 4 */
        bool unaligned;
    } valid;
    /*
     * What the callbacks handle: the core splits or widens to fit.  A wider
     * access becomes several calls in address order; a narrower one becomes
     * one call at the aligned address, the read's wanted bytes extracted and
     * the write's value shifted into place with the other bytes zero.
     */
    struct {
        unsigned min_access_size; /* 0 means 1 */
        unsigned max_access_size; /* 0 means 4 */
        bool unaligned;
    } impl;
} MemoryRegionOps;

typedef enum {
    MR_CONTAINER,
    MR_RAM,
    MR_IO,
    MR_ALIAS,
} MemoryRegionKind;

typedef struct CoalescedRange {
    hwaddr addr; /* offset within the region */
    uint64_t size;
} CoalescedRange;

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size; /* UINT64_MAX stands for the whole 2^64 space */
    hwaddr addr;   /* offset within container */
    int priority;
    bool enabled;
    bool readonly; /* ROM: writes are dropped */
    MemoryRegion *container;
    GPtrArray *subregions; /* sorted: highest priority first, then newest */

    const MemoryRegionOps *ops; /* MR_IO */
    void *opaque;

    void *ram_ptr;  /* MR_RAM */
    bool ram_owned; /* allocated by memory_region_init_ram */
    uint64_t ram_alloc_size; /* bytes behind ram_ptr (set_size may not grow past it) */

    MemoryRegion *alias; /* MR_ALIAS */
    hwaddr alias_offset;

    GArray *coalesced; /* of CoalescedRange: writes KVM may batch */
};

/* A piece of a region as it appears in an address space. */
typedef struct MemoryRegionSection {
    MemoryRegion *mr; /* always a terminal region (RAM or I/O) */
    FlatView *fv;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    uint64_t size;
    bool readonly;
} MemoryRegionSection;

typedef struct FlatRange {
    MemoryRegion *mr;
    hwaddr offset_in_region;
    hwaddr addr;
    uint64_t size;
    bool readonly;
} FlatRange;

struct FlatView {
    unsigned ref;
    FlatRange *ranges; /* sorted by addr, non-overlapping */
    unsigned nr;
    unsigned nr_allocated;
    MemoryRegion *root;
};

struct MemoryListener {
    /* Called around each commit that changes the address space. */
    void (*begin)(MemoryListener *listener);
    void (*commit)(MemoryListener *listener);
    void (*region_add)(MemoryListener *listener, MemoryRegionSection *section);
    void (*region_del)(MemoryListener *listener, MemoryRegionSection *section);
    void (*coalesced_io_add)(MemoryListener *listener, MemoryRegionSection *section,
                             hwaddr addr, hwaddr len);
    void (*coalesced_io_del)(MemoryListener *listener, MemoryRegionSection *section,
                             hwaddr addr, hwaddr len);
    const char *name;
    AddressSpace *address_space; /* set by memory_listener_register */
};

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *current_map;
    GPtrArray *listeners;
    /* address_space_map's single bounce buffer for non-RAM targets. */
    struct {
        void *buffer; /* NULL when free */
        hwaddr addr;
        hwaddr len;
    } bounce;
};

/* Region set-up.  @name is copied.  Regions are embedded in their owner. */
void memory_region_init(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
bool memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size,
                            Error **errp);
void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size,
                                void *ptr);
void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size);
/* Frees what init allocated; the region must not be in a container. */
void memory_region_finalize(MemoryRegion *mr);

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset, MemoryRegion *subregion);
void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion, int priority);
void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_size(MemoryRegion *mr, uint64_t size);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
/* Marks [offset, offset+size) as write-only-with-no-read-side-effect. */
void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset, uint64_t size);

static inline uint64_t memory_region_size(MemoryRegion *mr) { return mr->size; }
static inline const char *memory_region_name(MemoryRegion *mr) { return mr->name; }
static inline bool memory_region_is_ram(MemoryRegion *mr) { return mr->kind == MR_RAM; }
void *memory_region_get_ram_ptr(MemoryRegion *mr);

/* Nested; the flat views are re-rendered once, at the outermost commit. */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

/* The device dispatch path (QEMU's names, kept for gdb breakpoints). */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr, uint64_t *pval,
                                        unsigned size, MemTxAttrs attrs);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t data,
                                         unsigned size, MemTxAttrs attrs);

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
void address_space_destroy(AddressSpace *as);
/* Takes a reference to the current view; drop it with flatview_unref. */
FlatView *address_space_get_flatview(AddressSpace *as);
void flatview_unref(FlatView *fv);

void memory_listener_register(MemoryListener *listener, AddressSpace *as);
void memory_listener_unregister(MemoryListener *listener);

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, void *buf,
                             hwaddr len, bool is_write);
MemTxResult address_space_read(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, void *buf,
                               hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                                const void *buf, hwaddr len);

/* Sized little-endian accessors (x86); *result may be NULL. */
uint32_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result);
uint32_t address_space_lduw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result);
uint32_t address_space_ldl(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
uint64_t address_space_ldq(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
void address_space_stb(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result);
void address_space_stw(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result);
void address_space_stl(AddressSpace *as, hwaddr addr, uint32_t val, MemTxAttrs attrs,
                       MemTxResult *result);
void address_space_stq(AddressSpace *as, hwaddr addr, uint64_t val, MemTxAttrs attrs,
                       MemTxResult *result);

/*
 * Finds the terminal region at @addr.  *xlat gets the offset within it,
 * *plen is clamped to the bytes left in that region.  Returns NULL (and
 * *plen = bytes until the next region, or the rest) where nothing is mapped.
 * Used by the interpreter's TLB fill and by DMA mapping.
 */
MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                      hwaddr *plen, bool is_write, MemTxAttrs attrs);
/*
 * The same, and *readonly says whether writes there are dropped: a ROM, or
 * RAM seen through a read-only alias (a write-protected BIOS shadow).
 */
MemoryRegion *address_space_translate_ro(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                                         hwaddr *plen, bool *readonly);

/*
 * DMA mapping: a host pointer to guest memory if [addr, addr+*plen) starts
 * in RAM (with *plen clamped), otherwise a bounce buffer (one at a time per
 * address space; NULL when it is busy or nothing is mapped).  Unmap writes
 * the bounce buffer back for is_write and tells code caches about the write.
 */
void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen, bool is_write,
                        MemTxAttrs attrs);
void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len, bool is_write,
                         hwaddr access_len);

/*
 * Non-CPU writes into RAM (DMA, loaders) are reported to one hook so an
 * accelerator that caches decoded guest code can drop stale translations.
 */
typedef void (*RAMWriteHook)(void *opaque, void *host, size_t len);
void memory_set_ram_write_hook(RAMWriteHook hook, void *opaque);
void memory_notify_ram_write(void *host, size_t len);

/* "info mtree": the region tree of every address space, or (flatview)
 * the rendered flat view of each. */
void mtree_info(FILE *out, bool flatview);

/* The machine's two address spaces (QEMU's globals). */
extern AddressSpace address_space_memory;
extern AddressSpace address_space_io;
MemoryRegion *get_system_memory(void);
MemoryRegion *get_system_io(void);
/* Creates the "system" and "io" roots and their address spaces. */
void memory_map_init(void);

#endif
