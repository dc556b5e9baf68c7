/*
 * qcow2 cluster mapping (spec "Cluster mapping"): guest offset -> L1 entry
 * -> L2 table -> L2 entry -> host cluster.  Allocation of L2 tables and of
 * data clusters, and zeroing/discarding clusters.
 *
 * Crash-safety order (the image must stay consistent at every step):
 *   allocate: refcount +1 -> data written -> L2 entry (L2 cache depends on
 *             the refcount cache) -> for a new L2 table, table flushed
 *             before the L1 entry;
 *   free:     L2 entry cleared -> refcount -1 (refcount cache depends on
 *             the L2 cache).
 * All functions run with s->lock held.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"
#include "qemu/log.h"
#include "trace/trace.h"

QCow2ClusterType qcow2_get_cluster_type(BlockDriverState *bs, uint64_t l2_entry)
{
    if (l2_entry & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if (l2_entry & QCOW_OFLAG_ZERO) {
        return (l2_entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                            : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    return (l2_entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_NORMAL : QCOW2_CLUSTER_UNALLOCATED;
}

/* Writes the 512-byte slice of the L1 table that holds l1_index. */
int coroutine_fn qcow2_write_l1_entry(BlockDriverState *bs, int l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t start = l1_index & ~63;
    uint32_t n = MIN(64, s->l1_size - start);
    uint64_t buf[64];
    int ret;

    for (uint32_t i = 0; i < n; i++) {
        buf[i] = GUINT64_TO_BE(s->l1_table[start + i]);
    }
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L1,
                                        s->l1_table_offset + start * 8, n * 8);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_L1_UPDATE);
    ret = bdrv_co_pwrite(bs->file, s->l1_table_offset + start * 8, n * 8, buf, 0);
    /* stable before anything relies on it, as QEMU's write_l1_entry */
    return ret < 0 ? ret : bdrv_co_flush(bs->file->bs);
}

static int l2_offset_valid(BlockDriverState *bs, uint64_t l1_entry, uint32_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_offset = l1_entry & L1E_OFFSET_MASK;

    if (offset_into_cluster(s, l2_offset) || (l1_entry & L1E_RESERVED_MASK)) {
        qcow2_signal_corruption(bs, true, -1, -1,
                                "L2 table offset %#" PRIx64 " unaligned (L1 index: %#"
                                PRIx32 ")", l2_offset, l1_index);
        return -EIO;
    }
    return 0;
}

/*
 * Allocates a new L2 table for l1_index (copying the old one when it is
 * shared with a snapshot), then points the L1 entry at it.
 */
static int coroutine_fn l2_allocate(BlockDriverState *bs, uint32_t l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_l2 = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    void *old_table = NULL, *table;
    int64_t l2_offset;
    int ret;

    l2_offset = qcow2_alloc_clusters(bs, s->cluster_size);
    if (l2_offset < 0) {
        return l2_offset;
    }
    trace_event(qcow2_l2_allocate, "l1_index=%u l2_offset=0x%" PRIx64, l1_index, l2_offset);
    if (!s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache, s->refcount_block_cache);
        if (ret < 0) {
            goto fail;
        }
    }
    ret = qcow2_cache_get_empty(bs, s->l2_table_cache, l2_offset, &table);
    if (ret < 0) {
        goto fail;
    }
    if (old_l2) {
        BLKDBG_EVENT(bs->file, BLKDBG_L2_ALLOC_COW_READ);
        ret = qcow2_cache_get(bs, s->l2_table_cache, old_l2, &old_table);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, &table);
            goto fail;
        }
        memcpy(table, old_table, s->cluster_size);
        qcow2_cache_put(s->l2_table_cache, &old_table);
    } else {
        memset(table, 0, s->cluster_size);
    }
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, table);
    qcow2_cache_put(s->l2_table_cache, &table);

    /* The table (and its refcount) must be on disk before the L1 entry. */
    BLKDBG_EVENT(bs->file, BLKDBG_L2_ALLOC_WRITE);
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret < 0) {
        goto fail;
    }
    s->l1_table[l1_index] = l2_offset | QCOW_OFLAG_COPIED;
    ret = qcow2_write_l1_entry(bs, l1_index);
    if (ret < 0) {
        s->l1_table[l1_index] = old_l2;
        goto fail;
    }
    if (old_l2) {
        qcow2_free_clusters(bs, old_l2, s->cluster_size);
    }
    return 0;

fail:
    qcow2_cache_discard(s->l2_table_cache, l2_offset);
    qcow2_free_clusters(bs, l2_offset, s->cluster_size);
    return ret;
}

/*
 * Returns in *l2_table the (cached, referenced) L2 table for offset, or
 * NULL when it is not allocated and allocate is false.  With allocate, the
 * table is made private to the active L1 (COPIED).
 */
int coroutine_fn qcow2_get_l2_table(BlockDriverState *bs, uint64_t offset, bool allocate,
                                    uint64_t **l2_table, int *l2_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset_to_l1_index(s, offset);
    uint64_t l1_entry;
    int ret;

    *l2_table = NULL;
    *l2_index = offset_to_l2_index(s, offset);
    if (l1_index >= s->l1_size) {
        if (!allocate) {
            return 0;
        }
        ret = qcow2_grow_l1_table(bs, l1_index + 1, false);
        if (ret < 0) {
            return ret;
        }
    }
    l1_entry = s->l1_table[l1_index];
    ret = l2_offset_valid(bs, l1_entry, l1_index);
    if (ret < 0) {
        return ret;
    }
    if (allocate && (!(l1_entry & QCOW_OFLAG_COPIED) || !(l1_entry & L1E_OFFSET_MASK))) {
        ret = l2_allocate(bs, l1_index);
        if (ret < 0) {
            return ret;
        }
        l1_entry = s->l1_table[l1_index];
    }
    if (!(l1_entry & L1E_OFFSET_MASK)) {
        return 0;
    }
    return qcow2_cache_get(bs, s->l2_table_cache, l1_entry & L1E_OFFSET_MASK,
                           (void **)l2_table);
}

/*
 * Maps [offset, offset + *bytes): on return *bytes is the length of the
 * leading run that has one cluster type (and, for data, contiguous host
 * offsets), limited to one L2 table.
 */
int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                                       uint64_t *bytes, uint64_t *host_offset,
                                       QCow2ClusterType *type, uint64_t *l2_entry_out)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in_cluster = offset_into_cluster(s, offset);
    uint64_t *l2 = NULL;
    uint64_t entry, avail;
    int l2_index, nb, max_nb, ret;

    max_nb = s->l2_size - offset_to_l2_index(s, offset);
    avail = ((uint64_t)max_nb << s->cluster_bits) - in_cluster;
    *bytes = MIN(*bytes, avail);
    *host_offset = 0;
    *l2_entry_out = 0;

    ret = qcow2_get_l2_table(bs, offset, false, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    if (!l2) {
        *type = QCOW2_CLUSTER_UNALLOCATED;
        return 0;
    }
    entry = GUINT64_FROM_BE(l2[l2_index]);
    *l2_entry_out = entry;
    *type = qcow2_get_cluster_type(bs, entry);
    max_nb = MIN((uint64_t)max_nb, size_to_clusters(s, in_cluster + *bytes));

    switch (*type) {
    case QCOW2_CLUSTER_COMPRESSED:
        nb = 1;
        break;
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC: {
        uint64_t host = entry & L2E_OFFSET_MASK;
        if (offset_into_cluster(s, host)) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
            qcow2_signal_corruption(bs, true, -1, -1,
                                    "Cluster allocation offset %#" PRIx64
                                    " unaligned (L2 offset: %#" PRIx64 ", L2 index: %#x)",
                                    host, s->l1_table[offset_to_l1_index(s, offset)]
                                    & L1E_OFFSET_MASK, l2_index);
            return -EIO;
        }
        *host_offset = host + in_cluster;
        for (nb = 1; nb < max_nb; nb++) {
            uint64_t e = GUINT64_FROM_BE(l2[l2_index + nb]);
            if (qcow2_get_cluster_type(bs, e) != *type ||
                (e & L2E_OFFSET_MASK) != host + ((uint64_t)nb << s->cluster_bits)) {
                break;
            }
        }
        break;
    }
    default:
        for (nb = 1; nb < max_nb; nb++) {
            uint64_t e = GUINT64_FROM_BE(l2[l2_index + nb]);
            if (qcow2_get_cluster_type(bs, e) != *type) {
                break;
            }
        }
        break;
    }
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    *bytes = MIN(*bytes, ((uint64_t)nb << s->cluster_bits) - in_cluster);
    return 0;
}

/* Whether a write may go straight to the cluster an L2 entry names. */
static bool l2_entry_writable_in_place(BlockDriverState *bs, uint64_t entry)
{
    return qcow2_get_cluster_type(bs, entry) == QCOW2_CLUSTER_NORMAL &&
           (entry & QCOW_OFLAG_COPIED);
}

/*
 * For a write at offset: *bytes becomes the leading run (within one L2
 * table) that is either all writable in place, with *host_offset set and
 * *need_alloc false, or all in need of new clusters (*need_alloc true).
 */
int coroutine_fn qcow2_alloc_data_clusters(BlockDriverState *bs, uint64_t offset,
                                           uint64_t *bytes, uint64_t *host_offset,
                                           bool *need_alloc)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t in_cluster = offset_into_cluster(s, offset);
    uint64_t *l2 = NULL;
    int l2_index, nb, max_nb, ret;
    uint64_t entry;

    max_nb = MIN((uint64_t)(s->l2_size - offset_to_l2_index(s, offset)),
                 size_to_clusters(s, in_cluster + *bytes));
    ret = qcow2_get_l2_table(bs, offset, false, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    *host_offset = 0;
    if (!l2 || !(s->l1_table[offset_to_l1_index(s, offset)] & QCOW_OFLAG_COPIED)) {
        *need_alloc = true;
        nb = max_nb;
        goto out;
    }
    entry = GUINT64_FROM_BE(l2[l2_index]);
    *need_alloc = !l2_entry_writable_in_place(bs, entry);
    if (!*need_alloc) {
        uint64_t host = entry & L2E_OFFSET_MASK;
        if (offset_into_cluster(s, host)) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
            qcow2_signal_corruption(bs, true, -1, -1,
                                    "Cluster allocation offset %#" PRIx64
                                    " unaligned (L2 index: %#x)", host, l2_index);
            return -EIO;
        }
        *host_offset = host + in_cluster;
        for (nb = 1; nb < max_nb; nb++) {
            uint64_t e = GUINT64_FROM_BE(l2[l2_index + nb]);
            if (!l2_entry_writable_in_place(bs, e) ||
                (e & L2E_OFFSET_MASK) != host + ((uint64_t)nb << s->cluster_bits)) {
                break;
            }
        }
    } else {
        for (nb = 1; nb < max_nb; nb++) {
            if (l2_entry_writable_in_place(bs, GUINT64_FROM_BE(l2[l2_index + nb]))) {
                break;
            }
        }
    }
out:
    if (l2) {
        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    }
    *bytes = MIN(*bytes, ((uint64_t)nb << s->cluster_bits) - in_cluster);
    return 0;
}

/* What an overwrite frees never reaches the file as a discard (QEMU's
 * QCOW2_DISCARD_NEVER), whatever pass-discard-other says. */
static void coroutine_fn free_overwritten_cluster(BlockDriverState *bs, uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;
    int type = s->discard_type;

    s->discard_type = QCOW2_DISCARD_NEVER;
    qcow2_free_any_cluster(bs, l2_entry);
    s->discard_type = type;
}

/*
 * Points the L2 entries for the clusters of [offset, offset+bytes) at the
 * freshly written host clusters starting at host_offset, releasing what
 * they pointed to before.  The data is already on its way to the disk.
 */
int coroutine_fn qcow2_alloc_host_offset(BlockDriverState *bs, uint64_t offset,
                                         uint64_t bytes, uint64_t host_offset)
{
    BDRVQcow2State *s = bs->opaque;
    int nb = size_to_clusters(s, offset_into_cluster(s, offset) + bytes);
    g_autofree uint64_t *old = g_new(uint64_t, nb);
    uint64_t *l2;
    int l2_index, ret;

    ret = qcow2_get_l2_table(bs, offset, true, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    if (!l2) {
        return -EIO; /* only a damaged L1 entry gets here */
    }
    assert(l2_index + nb <= s->l2_size);
    if (!s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache, s->refcount_block_cache);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
            return ret;
        }
    }
    for (int i = 0; i < nb; i++) {
        old[i] = GUINT64_FROM_BE(l2[l2_index + i]);
        l2[l2_index + i] = GUINT64_TO_BE((host_offset + ((uint64_t)i << s->cluster_bits))
                                         | QCOW_OFLAG_COPIED);
    }
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    for (int i = 0; i < nb; i++) {
        free_overwritten_cluster(bs, old[i]);
    }
    return 0;
}

/* Points one L2 entry at a compressed cluster (descriptor already built). */
int coroutine_fn qcow2_alloc_compressed_cluster_offset(BlockDriverState *bs,
                                                       uint64_t offset,
                                                       uint64_t descriptor)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l2, old;
    int l2_index, ret;

    ret = qcow2_get_l2_table(bs, offset, true, &l2, &l2_index);
    if (ret < 0) {
        return ret;
    }
    if (!l2) {
        return -EIO;
    }
    if (!s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache, s->refcount_block_cache);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
            return ret;
        }
    }
    old = GUINT64_FROM_BE(l2[l2_index]);
    l2[l2_index] = GUINT64_TO_BE(descriptor);
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    free_overwritten_cluster(bs, old);
    return 0;
}

/*
 * Sets the L2 entries of the whole clusters in [offset, offset+bytes) to
 * new_entry_fn's answer, freeing clusters no longer referenced.
 *   zeroize: v3 zero flag (keeping a private allocation unless may_unmap)
 *   discard: unallocated (or zero flag when a backing file would show)
 */
typedef uint64_t NewEntryFunc(BlockDriverState *bs, uint64_t old, bool flag);

static int coroutine_fn update_cluster_entries(BlockDriverState *bs, uint64_t offset,
                                               uint64_t bytes, NewEntryFunc *fn, bool flag)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;

    assert(offset_into_cluster(s, offset) == 0);
    while (offset < end) {
        uint64_t *l2;
        int l2_index, ret;
        uint64_t n;
        /* QEMU 7.2 allocates the L2 table even where nothing is mapped
         * (and so must duet, for the same image layout). */
        ret = qcow2_get_l2_table(bs, offset, true, &l2, &l2_index);
        if (ret < 0) {
            return ret;
        }
        if (!l2) {
            return -EIO;
        }
        n = MIN((uint64_t)(s->l2_size - l2_index), (end - offset) >> s->cluster_bits);
        g_autofree uint64_t *freed = g_new0(uint64_t, n);
        bool dirty = false;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t old = GUINT64_FROM_BE(l2[l2_index + i]);
            uint64_t new = fn(bs, old, flag);
            if (new == old) {
                continue;
            }
            l2[l2_index + i] = GUINT64_TO_BE(new);
            dirty = true;
            if ((old & L2E_OFFSET_MASK) != (new & L2E_OFFSET_MASK) ||
                qcow2_get_cluster_type(bs, old) == QCOW2_CLUSTER_COMPRESSED) {
                freed[i] = old;
            }
        }
        if (dirty) {
            qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        }
        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        for (uint64_t i = 0; i < n; i++) {
            if (freed[i]) {
                qcow2_free_any_cluster(bs, freed[i]);
            }
        }
        offset += n << s->cluster_bits;
    }
    return 0;
}

/* QEMU 7.2's rules: the zero flag, over the old mapping unless unmapping
 * an allocated cluster (or a compressed one, which cannot be kept). */
static uint64_t zeroize_entry(BlockDriverState *bs, uint64_t old, bool may_unmap)
{
    QCow2ClusterType t = qcow2_get_cluster_type(bs, old);
    bool allocated = t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC ||
                     t == QCOW2_CLUSTER_COMPRESSED;
    bool unmap = t == QCOW2_CLUSTER_COMPRESSED || (may_unmap && allocated);

    return (unmap ? 0 : old) | QCOW_OFLAG_ZERO;
}

/* A discarded cluster reads as zeros (v3 zero flag) where it would show
 * the backing file or held data; full discards leave it unallocated. */
static uint64_t discard_entry(BlockDriverState *bs, uint64_t old, bool full)
{
    BDRVQcow2State *s = bs->opaque;
    QCow2ClusterType t = qcow2_get_cluster_type(bs, old);
    bool allocated = t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC ||
                     t == QCOW2_CLUSTER_COMPRESSED;

    if (full) {
        return 0;
    }
    if (bs->backing || allocated) {
        return s->qcow_version >= 3 ? QCOW_OFLAG_ZERO : 0;
    }
    return old;
}

int coroutine_fn qcow2_cluster_zeroize(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                       bool may_unmap)
{
    trace_event(qcow2_cluster_zeroize, "offset=0x%" PRIx64 " bytes=%" PRIu64, offset, bytes);
    return update_cluster_entries(bs, offset, bytes, zeroize_entry, may_unmap);
}

int coroutine_fn qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, bool full)
{
    trace_event(qcow2_cluster_discard, "offset=0x%" PRIx64 " bytes=%" PRIu64, offset, bytes);
    return update_cluster_entries(bs, offset, bytes, discard_entry, full);
}
