/*
 * Private to system/memory*.c and system/physmem.c: the list of address
 * spaces, the flat-view lookup and little-endian buffer helpers.  Devices
 * and accelerators use exec/memory.h (system/include) only.
 */
#ifndef SYSTEM_MEMORY_INTERNAL_H
#define SYSTEM_MEMORY_INTERNAL_H

#include <string.h>

#include "exec/memory.h"

/* Every initialised AddressSpace, in init order (mtree_info walks it). */
GPtrArray *memory_address_spaces(void);

/* The range containing @addr, or NULL (binary search; physmem.c). */
const FlatRange *flatview_lookup(const FlatView *fv, hwaddr addr);

static inline hwaddr flat_range_end(const FlatRange *fr)
{
    return fr->addr + fr->size;
}

/* Guest data in buffers is little-endian (x86). */
static inline uint64_t ldn_le_p(const void *ptr, unsigned size)
{
    uint64_t val = 0;
    memcpy(&val, ptr, size);
    return GUINT64_FROM_LE(val);
}

static inline void stn_le_p(void *ptr, unsigned size, uint64_t val)
{
    val = GUINT64_TO_LE(val);
    memcpy(ptr, &val, size);
}

#endif
