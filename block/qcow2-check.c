/*
 * qcow2 consistency check and repair (what "duet-img check [-r leaks|all]"
 * runs).  The true reference count of every cluster is recomputed from the
 * header, the active and snapshot L1/L2 tables, the refcount table and its
 * blocks, and the snapshot table, then compared with the stored refcounts:
 *   stored > true: a leak (harmless; -r leaks fixes it)
 *   stored < true: a corruption (data may be overwritten; -r all fixes it)
 * Also checked: OFLAG_COPIED must be set exactly when the refcount is 1,
 * and every offset must be aligned and inside the file.
 * Message wording and counting follow qemu-img so results can be compared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qcow2.h"
#include "trace/trace.h"

typedef struct Qcow2CheckState {
    BdrvCheckResult *res;
    BdrvCheckMode fix;
    uint32_t *refs;      /* true reference counts (saturating) */
    int64_t nb_clusters;
    int64_t file_len;
    bool drop_refblocks;
    /* a referenced cluster is free in the refcounts: qemu-img rebuilds
     * the refcount structure rather than fix it in place */
    bool rebuild;
    /* -r all: a refcount block referenced more than once is a reason to
     * rebuild (qemu-img's way), not one to move */
    bool rebuild_refblocks;
} Qcow2CheckState;

/* Counts one reference to every cluster of [offset, offset+size). */
static void inc_refcounts(BlockDriverState *bs, Qcow2CheckState *cs, uint64_t offset,
                          uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;

    if (size == 0) {
        return;
    }
    /* The last cluster may be partly past the end of the file (qemu-img's
     * rule); a region that ends a whole cluster or more past it is an
     * error.  offset may be any 64-bit value read from the image. */
    if (offset > INT64_MAX - size || (int64_t)(offset + size) - cs->file_len >= s->cluster_size) {
        fprintf(stderr, "ERROR: counting reference for region exceeding the end of the "
                "file by one cluster or more: offset 0x%" PRIx64 " size 0x%" PRIx64 "\n",
                offset, size);
        cs->res->corruptions++;
        return;
    }
    for (uint64_t c = offset >> s->cluster_bits; c <= (offset + size - 1) >> s->cluster_bits;
         c++) {
        if ((int64_t)c >= cs->nb_clusters) {
            /* within the partial last cluster's slack: count it too */
            cs->refs = g_renew(uint32_t, cs->refs, c + 1);
            memset(cs->refs + cs->nb_clusters, 0,
                   (c + 1 - cs->nb_clusters) * sizeof(uint32_t));
            cs->nb_clusters = c + 1;
        }
        if (cs->refs[c] < UINT32_MAX) {
            cs->refs[c]++;
        }
    }
}

static int coroutine_fn check_l2(BlockDriverState *bs, Qcow2CheckState *cs,
                                 uint64_t l2_offset, bool active)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);
    /* qemu-img counts a cluster as fragmented when it does not follow the
     * previous one of the same L2 table: each table starts afresh */
    uint64_t next_contiguous = 0;
    bool l2_dirty = false;
    int ret;

    ret = bdrv_co_pread(bs->file, l2_offset, s->cluster_size, l2, 0);
    if (ret < 0) {
        fprintf(stderr, "ERROR: I/O error in check_refcounts_l2\n");
        cs->res->check_errors++;
        return ret;
    }
    for (int i = 0; i < s->l2_size; i++) {
        uint64_t entry = GUINT64_FROM_BE(l2[i]);
        uint64_t offset = entry & L2E_OFFSET_MASK;
        QCow2ClusterType type = qcow2_get_cluster_type(bs, entry);

        if (type != QCOW2_CLUSTER_COMPRESSED && (entry & L2E_STD_RESERVED_MASK)) {
            fprintf(stderr, "ERROR found l2 entry with reserved bits set: %" PRIx64 "\n",
                    entry);
            cs->res->corruptions++;
        }
        switch (type) {
        case QCOW2_CLUSTER_COMPRESSED: {
            uint64_t coffset;
            int csize;
            if (entry & QCOW_OFLAG_COPIED) {
                fprintf(stderr, "ERROR: coffset=0x%" PRIx64 ": copied flag must never be "
                        "set for compressed clusters\n", entry & s->cluster_offset_mask);
                cs->res->corruptions++;
                entry &= ~QCOW_OFLAG_COPIED;
            }
            qcow2_parse_compressed_l2_entry(bs, entry, &coffset, &csize);
            if (active) {
                /* Compressed clusters count as fragmented, as qemu-img has it. */
                cs->res->bfi.allocated_clusters++;
                cs->res->bfi.compressed_clusters++;
                cs->res->bfi.fragmented_clusters++;
            }
            inc_refcounts(bs, cs, coffset, csize);
            break;
        }
        case QCOW2_CLUSTER_ZERO_ALLOC:
        case QCOW2_CLUSTER_NORMAL:
            if (offset_into_cluster(s, offset)) {
                bool zero = type == QCOW2_CLUSTER_ZERO_ALLOC;
                if ((cs->fix & BDRV_FIX_ERRORS) && active) {
                    /* A zero cluster stays zero; misaligned data cannot be
                     * trusted and is dropped (reads as zeros from now on). */
                    fprintf(stderr, "Repairing offset=%" PRIx64 ": %s cluster is not "
                            "properly aligned; L2 entry corrupted.\n", offset,
                            zero ? "Preallocated" : "Data");
                    l2[i] = GUINT64_TO_BE(s->qcow_version >= 3 ? QCOW_OFLAG_ZERO : 0);
                    l2_dirty = true;
                    cs->res->corruptions_fixed++;
                    break;
                }
                fprintf(stderr, "ERROR offset=%" PRIx64 ": %s cluster is not properly "
                        "aligned; L2 entry corrupted.\n", offset,
                        zero ? "Preallocated" : "Data");
                cs->res->corruptions++;
            }
            if (active) {
                cs->res->bfi.allocated_clusters++;
                if (next_contiguous && offset != next_contiguous) {
                    cs->res->bfi.fragmented_clusters++;
                }
                next_contiguous = offset + s->cluster_size;
            }
            inc_refcounts(bs, cs, offset, s->cluster_size);
            break;
        default:
            break;
        }
    }
    if (l2_dirty) {
        ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L2, l2_offset,
                                            s->cluster_size);
        if (ret == 0) {
            ret = bdrv_co_pwrite(bs->file, l2_offset, s->cluster_size, l2, 0);
        }
        qcow2_cache_discard(s->l2_table_cache, l2_offset);
        if (ret < 0) {
            fprintf(stderr, "ERROR: Could not write L2 table: %s\n", g_strerror(-ret));
            cs->res->check_errors++;
        }
    }
    return 0;
}

static int coroutine_fn check_l1(BlockDriverState *bs, Qcow2CheckState *cs,
                                 uint64_t l1_offset, uint32_t l1_size, bool active)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l1 = NULL;
    int ret;

    inc_refcounts(bs, cs, l1_offset, (uint64_t)l1_size * 8);
    if (l1_size == 0) {
        return 0;
    }
    if (active) {
        l1 = g_memdup2(s->l1_table, (size_t)l1_size * 8);
    } else {
        l1 = g_try_new(uint64_t, l1_size);
        if (!l1) {
            cs->res->check_errors++;
            return -ENOMEM;
        }
        ret = bdrv_co_pread(bs->file, l1_offset, (int64_t)l1_size * 8, l1, 0);
        if (ret < 0) {
            fprintf(stderr, "ERROR: I/O error in check_refcounts_l1\n");
            cs->res->check_errors++;
            return ret;
        }
        for (uint32_t i = 0; i < l1_size; i++) {
            l1[i] = GUINT64_FROM_BE(l1[i]);
        }
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_offset = l1[i] & L1E_OFFSET_MASK;
        if (l1[i] & L1E_RESERVED_MASK) {
            fprintf(stderr, "ERROR found L1 entry with reserved bits set: %" PRIx64 "\n", l1[i]);
            cs->res->corruptions++;
        }
        if (!l2_offset) {
            continue;
        }
        if (offset_into_cluster(s, l2_offset) && (cs->fix & BDRV_FIX_ERRORS) && active) {
            /* Nothing trustworthy to map through: drop the entry; what it
             * pointed to becomes leaked and is reclaimed below. */
            fprintf(stderr, "Repairing l2_offset=%" PRIx64 ": Table is not cluster aligned; "
                    "L1 entry dropped\n", l2_offset);
            s->l1_table[i] = 0;
            ret = qcow2_write_l1_entry(bs, i);
            if (ret < 0) {
                cs->res->check_errors++;
            } else {
                cs->res->corruptions_fixed++;
            }
            continue;
        }
        inc_refcounts(bs, cs, l2_offset, s->cluster_size);
        if (offset_into_cluster(s, l2_offset)) {
            fprintf(stderr, "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; "
                    "L1 entry corrupted\n", l2_offset);
            cs->res->corruptions++;
        }
        if ((int64_t)(l2_offset >> s->cluster_bits) >= cs->nb_clusters) {
            continue; /* already reported as beyond the end */
        }
        ret = check_l2(bs, cs, l2_offset, active);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static void check_refcount_blocks(BlockDriverState *bs, Qcow2CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t offset = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (!offset) {
            continue;
        }
        if (offset_into_cluster(s, offset) || (s->refcount_table[i] & REFT_RESERVED_MASK)) {
            if (cs->fix & BDRV_FIX_ERRORS) {
                /* Forget the block; the refcounts it should hold are
                 * rebuilt in a new block by compare_refcounts(). */
                fprintf(stderr, "Repairing refcount block %u is not cluster aligned; "
                        "refcount table entry dropped\n", i);
                s->refcount_table[i] = 0;
                cs->res->corruptions_fixed++;
                cs->drop_refblocks = true;
                continue;
            }
            fprintf(stderr, "ERROR refcount block %u is not cluster aligned; refcount table "
                    "entry corrupted\n", i);
            cs->res->corruptions++;
            continue;
        }
        if ((int64_t)(offset >> s->cluster_bits) >= cs->nb_clusters) {
            fprintf(stderr, "ERROR refcount block %u is outside image\n", i);
            cs->res->corruptions++;
            continue;
        }
        inc_refcounts(bs, cs, offset, s->cluster_size);
    }
}

/* A refcount block must be referenced exactly once (by the table). */
static int coroutine_fn relocate_refcount_block(BlockDriverState *bs, Qcow2CheckState *cs,
                                                uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->refcount_table[index] & REFT_OFFSET_MASK;
    g_autofree uint8_t *block = g_malloc(s->cluster_size);
    int64_t new;
    int ret;

    new = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new < 0) {
        return new;
    }
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret == 0) {
        ret = bdrv_co_pread(bs->file, old, s->cluster_size, block, 0);
    }
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, new, s->cluster_size, block, 0);
    }
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        return ret;
    }
    qcow2_cache_discard(s->refcount_block_cache, old);
    s->refcount_table[index] = new;
    qcow2_reftable_note_used(s, index);
    ret = qcow2_write_reftable_entry(bs, index);
    if (ret < 0) {
        return ret;
    }
    cs->refs[old >> s->cluster_bits]--;
    return bdrv_co_flush(bs->file->bs);
}

static void coroutine_fn check_refcount_block_refs(BlockDriverState *bs, Qcow2CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t offset = s->refcount_table[i] & REFT_OFFSET_MASK;
        int64_t c = offset >> s->cluster_bits;
        if (!offset || offset_into_cluster(s, offset) || c >= cs->nb_clusters ||
            cs->refs[c] == 1) {
            continue;
        }
        if ((cs->fix & BDRV_FIX_ERRORS) && !cs->rebuild_refblocks) {
            fprintf(stderr, "Repairing refcount block %u refcount=%u (moving it)\n", i,
                    cs->refs[c]);
            if (relocate_refcount_block(bs, cs, i) < 0) {
                cs->res->check_errors++;
            } else {
                cs->res->corruptions_fixed++;
            }
            continue;
        }
        fprintf(stderr, "ERROR refcount block %u refcount=%u\n", i, cs->refs[c]);
        cs->res->corruptions++;
        cs->rebuild = true;
    }
}

/* Stored vs true refcount for every cluster; repairs what fix allows. */
static int coroutine_fn compare_refcounts(BlockDriverState *bs, Qcow2CheckState *cs,
                                          int64_t *highest)
{
    BDRVQcow2State *s = bs->opaque;

    for (int64_t c = 0; c < cs->nb_clusters; c++) {
        uint64_t stored, truth = cs->refs[c];
        int ret = qcow2_get_refcount(bs, c, &stored);
        if (ret < 0) {
            fprintf(stderr, "Can't get refcount for cluster %" PRId64 ": %s\n", c,
                    g_strerror(-ret));
            cs->res->check_errors++;
            continue;
        }
        if (stored > 0 || truth > 0) {
            *highest = c;
        }
        if (stored == truth) {
            continue;
        }
        if (stored == 0) {
            cs->rebuild = true;
        }
        if (truth > s->refcount_max) {
            fprintf(stderr, "ERROR cluster %" PRId64 " refcount=%" PRIu64 " reference=%"
                    PRIu64 " (more references than the refcount width can count)\n",
                    c, stored, truth);
            cs->res->corruptions++;
            continue;
        }
        if ((stored > truth && (cs->fix & BDRV_FIX_LEAKS)) ||
            (stored < truth && (cs->fix & BDRV_FIX_ERRORS))) {
            fprintf(stderr, "Repairing cluster %" PRId64 " refcount=%" PRIu64 " reference=%"
                    PRIu64 "\n", c, stored, truth);
            ret = qcow2_update_cluster_refcount(bs, c, (int64_t)(truth - stored));
            if (ret < 0) {
                fprintf(stderr, "ERROR: could not repair cluster %" PRId64 ": %s\n", c,
                        g_strerror(-ret));
                cs->res->check_errors++;
            } else if (stored > truth) {
                cs->res->leaks_fixed++;
            } else {
                cs->res->corruptions_fixed++;
            }
            continue;
        }
        fprintf(stderr, "%s cluster %" PRId64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
                stored < truth ? "ERROR" : "Leaked", c, stored, truth);
        if (stored < truth) {
            cs->res->corruptions++;
        } else {
            cs->res->leaks++;
        }
    }
    return 0;
}

/* OFLAG_COPIED must be set exactly when a cluster's refcount is 1. */
static int coroutine_fn check_oflag_copied(BlockDriverState *bs, Qcow2CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *l2 = g_malloc(s->cluster_size);

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1_table[i], l2_offset = l1e & L1E_OFFSET_MASK, refcount;
        bool l2_dirty = false;
        int ret;

        if (!l2_offset || offset_into_cluster(s, l2_offset) ||
            (int64_t)(l2_offset >> s->cluster_bits) >= cs->nb_clusters) {
            continue;
        }
        ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &refcount);
        if (ret < 0) {
            continue;
        }
        if ((refcount == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            bool repair = cs->fix & BDRV_FIX_ERRORS;
            fprintf(stderr, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64
                    " refcount=%" PRIu64 "\n", repair ? "Repairing" : "ERROR", i, l1e,
                    refcount);
            if (repair) {
                s->l1_table[i] = refcount == 1 ? l1e | QCOW_OFLAG_COPIED
                                               : l1e & ~QCOW_OFLAG_COPIED;
                ret = qcow2_write_l1_entry(bs, i);
                if (ret < 0) {
                    cs->res->check_errors++;
                } else {
                    cs->res->corruptions_fixed++;
                }
            } else {
                cs->res->corruptions++;
            }
        }
        ret = bdrv_co_pread(bs->file, l2_offset, s->cluster_size, l2, 0);
        if (ret < 0) {
            cs->res->check_errors++;
            continue;
        }
        for (int j = 0; j < s->l2_size; j++) {
            uint64_t e = GUINT64_FROM_BE(l2[j]);
            QCow2ClusterType t = qcow2_get_cluster_type(bs, e);
            uint64_t data = e & L2E_OFFSET_MASK;
            if ((t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) ||
                offset_into_cluster(s, data) ||
                (int64_t)(data >> s->cluster_bits) >= cs->nb_clusters) {
                continue;
            }
            ret = qcow2_get_refcount(bs, data >> s->cluster_bits, &refcount);
            if (ret < 0) {
                continue;
            }
            if ((refcount == 1) != !!(e & QCOW_OFLAG_COPIED)) {
                bool repair = cs->fix & BDRV_FIX_ERRORS;
                fprintf(stderr, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                        " refcount=%" PRIu64 "\n", repair ? "Repairing" : "ERROR", e,
                        refcount);
                if (repair) {
                    e = refcount == 1 ? e | QCOW_OFLAG_COPIED : e & ~QCOW_OFLAG_COPIED;
                    l2[j] = GUINT64_TO_BE(e);
                    l2_dirty = true;
                    cs->res->corruptions_fixed++;
                } else {
                    cs->res->corruptions++;
                }
            }
        }
        if (l2_dirty) {
            ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L2, l2_offset,
                                                s->cluster_size);
            if (ret == 0) {
                ret = bdrv_co_pwrite(bs->file, l2_offset, s->cluster_size, l2, 0);
            }
            qcow2_cache_discard(s->l2_table_cache, l2_offset);
            if (ret < 0) {
                cs->res->check_errors++;
            }
        }
    }
    return 0;
}

typedef struct {
    BlockDriverState *bs;
    Qcow2CheckState *cs;
} BitmapRefs;

static void inc_bitmap_refcounts(void *opaque, uint64_t offset, uint64_t size)
{
    BitmapRefs *b = opaque;

    inc_refcounts(b->bs, b->cs, offset, size);
}

/* Every reference the image's metadata makes, counted into cs->refs (with
 * the walk's messages); qemu-img's calculate_refcounts. */
static int coroutine_fn calculate_refcounts(BlockDriverState *bs, Qcow2CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    inc_refcounts(bs, cs, 0, s->cluster_size);
    ret = check_l1(bs, cs, s->l1_table_offset, s->l1_size, true);
    for (uint32_t i = 0; ret == 0 && i < s->nb_snapshots; i++) {
        ret = check_l1(bs, cs, s->snapshots[i].l1_table_offset, s->snapshots[i].l1_size,
                       false);
    }
    if (ret < 0) {
        return ret;
    }
    inc_refcounts(bs, cs, s->snapshots_offset, s->snapshots_size);
    qcow2_bitmaps_for_each_cluster(bs, inc_bitmap_refcounts, &(BitmapRefs){ bs, cs });
    inc_refcounts(bs, cs, s->refcount_table_offset, (uint64_t)s->refcount_table_size * 8);
    check_refcount_blocks(bs, cs);
    return 0;
}

/* ---- refcount rebuild (qemu-img check -r all when refcounts are lost) ---- */

/* Grows the count array to n clusters (new ones unreferenced). */
static void refs_grow(Qcow2CheckState *cs, int64_t n)
{
    if (n > cs->nb_clusters) {
        cs->refs = g_renew(uint32_t, cs->refs, n);
        memset(cs->refs + cs->nb_clusters, 0, (n - cs->nb_clusters) * sizeof(uint32_t));
        cs->nb_clusters = n;
    }
}

/*
 * count contiguous clusters unreferenced in cs->refs, from *first_free on
 * (which moves to the first free cluster seen); past the end of the array
 * it grows.  They are marked used; returns the first one's offset.
 */
static int64_t rebuild_alloc(BlockDriverState *bs, Qcow2CheckState *cs, int64_t count,
                             int64_t *first_free)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t c = *first_free, run = 0;
    bool first_gap = true;

    for (; c < cs->nb_clusters && run < count; c++) {
        if (!cs->refs[c]) {
            run++;
            if (first_gap) {
                *first_free = c;
                first_gap = false;
            }
        } else {
            run = 0;
        }
    }
    if (run < count) {
        refs_grow(cs, c + count - run);
    }
    c -= run;
    for (int64_t i = 0; i < count; i++) {
        cs->refs[c + i] = 1;
    }
    return c << s->cluster_bits;
}

/*
 * Writes a refcount block for every block's worth of clusters in
 * [first, end) that has a referenced one, allocating it (in cs->refs) if
 * the new table has none yet; the block is that slice of cs->refs.
 * Returns 1 when the new table had to grow, 0, or -errno.
 */
static int coroutine_fn rebuild_write_refblocks(BlockDriverState *bs, Qcow2CheckState *cs,
                                                int64_t first, int64_t end,
                                                uint64_t **table, uint64_t *entries)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *block = g_malloc(s->cluster_size);
    int64_t first_free = 0;
    bool grown = false;

    for (int64_t c = first; c < end; c++) {
        int64_t index, start, offset;
        int ret;

        if (c >= cs->nb_clusters || !cs->refs[c]) {
            continue;
        }
        index = c >> s->refcount_block_bits;
        start = index << s->refcount_block_bits;
        if ((uint64_t)index < *entries && (*table)[index]) {
            offset = (*table)[index];
        } else {
            /* not in a block already written */
            first_free = MAX(first_free, start);
            offset = rebuild_alloc(bs, cs, 1, &first_free);
            if ((offset >> s->cluster_bits) >= end) {
                end = (offset >> s->cluster_bits) + 1; /* its own count */
            }
            if ((uint64_t)index >= *entries) {
                uint64_t per_cluster = s->cluster_size / 8;
                uint64_t n = ((uint64_t)index / per_cluster + 1) * per_cluster;
                *table = g_renew(uint64_t, *table, n);
                memset(*table + *entries, 0, (n - *entries) * 8);
                *entries = n;
                grown = true;
            }
            (*table)[index] = offset;
        }
        memset(block, 0, s->cluster_size);
        for (int64_t i = 0; i < (int64_t)s->refcount_block_size; i++) {
            if (start + i < cs->nb_clusters) {
                s->set_refcount(block, i, MIN((uint64_t)cs->refs[start + i], s->refcount_max));
            }
        }
        ret = bdrv_co_pwrite(bs->file, offset, s->cluster_size, block, 0);
        if (ret < 0) {
            fprintf(stderr, "ERROR writing refblock: %s\n", g_strerror(-ret));
            return ret;
        }
        c = start + s->refcount_block_size - 1;
    }
    return grown;
}

/*
 * A new refcount structure from cs->refs: blocks for every referenced
 * range, then a table somewhere free (which may need blocks of its own:
 * repeated until the table stops growing), then the header points at it.
 */
static int coroutine_fn rebuild_refcount_structure(BlockDriverState *bs, Qcow2CheckState *cs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *table = NULL;
    uint64_t entries = 0, table_bytes = 0;
    int64_t table_offset = -1, table_clusters = 0;
    uint8_t hdr[12];
    int grown, ret;

    qcow2_cache_empty(s->refcount_block_cache);
    grown = rebuild_write_refblocks(bs, cs, 0, cs->nb_clusters, &table, &entries);
    if (grown < 0) {
        return grown;
    }
    while (grown) {
        int64_t first_free = 0, start;

        table_bytes = entries * 8;
        table_clusters = size_to_clusters(s, table_bytes);
        table_offset = rebuild_alloc(bs, cs, table_clusters, &first_free);
        start = table_offset >> s->cluster_bits;
        grown = rebuild_write_refblocks(bs, cs, start, start + table_clusters, &table,
                                        &entries);
        if (grown < 0) {
            return grown;
        }
        if (grown) {
            for (int64_t c = start; c < start + table_clusters; c++) {
                cs->refs[c] = 0;
            }
        }
    }
    for (uint64_t i = 0; i < entries; i++) {
        table[i] = GUINT64_TO_BE(table[i]);
    }
    ret = bdrv_co_pwrite(bs->file, table_offset, table_bytes, table, 0);
    if (ret < 0) {
        fprintf(stderr, "ERROR writing reftable: %s\n", g_strerror(-ret));
        return ret;
    }
    for (uint64_t i = 0; i < entries; i++) {
        table[i] = GUINT64_FROM_BE(table[i]);
    }
    /* refcount_table_offset and refcount_table_clusters are adjacent */
    stbe64(hdr, table_offset);
    stbe32(hdr + 8, table_clusters);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_REFCOUNT_TABLE_OFFSET, sizeof(hdr), hdr, 0);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        fprintf(stderr, "ERROR setting reftable: %s\n", g_strerror(-ret));
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_offset = table_offset;
    s->refcount_table_size = entries;
    qcow2_reftable_recount_used(s);
    return 0;
}

/*
 * After a rebuild the old structure's clusters are leaked: count again,
 * reclaim what the rebuild left (its leaks count as the rebuild's own),
 * and credit the repairs against the counts before it (qemu-img's
 * bookkeeping).
 */
static int coroutine_fn rebuild_and_recount(BlockDriverState *bs, Qcow2CheckState *cs,
                                            int64_t *highest)
{
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult old = *cs->res;
    int fresh_leaks = 0;
    int ret;

    fprintf(stderr, "Rebuilding refcount structure\n");
    ret = rebuild_refcount_structure(bs, cs);
    if (ret < 0) {
        cs->res->check_errors++;
        return ret;
    }
    cs->res->corruptions = 0;
    cs->res->leaks = 0;
    cs->rebuild = false;
    memset(cs->refs, 0, cs->nb_clusters * sizeof(uint32_t));
    cs->file_len = qcow2_file_length(bs);
    cs->fix = 0;
    ret = calculate_refcounts(bs, cs);
    cs->fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
    if (ret < 0) {
        return ret;
    }
    s->check_refs = cs->refs;
    s->check_nb_clusters = cs->nb_clusters;
    {
        BdrvCheckResult saved = *cs->res;

        memset(cs->res, 0, sizeof(*cs->res));
        cs->fix = BDRV_FIX_LEAKS;
        compare_refcounts(bs, cs, highest);
        cs->fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
        if (cs->rebuild) {
            fprintf(stderr, "ERROR rebuilt refcount structure is still broken\n");
        }
        fresh_leaks = cs->res->leaks;
        *cs->res = saved;
    }
    if (cs->res->corruptions < old.corruptions) {
        cs->res->corruptions_fixed += old.corruptions - cs->res->corruptions;
    }
    if (cs->res->leaks < old.leaks) {
        cs->res->leaks_fixed += old.leaks - cs->res->leaks;
    }
    cs->res->leaks += fresh_leaks;
    return 0;
}

static int coroutine_fn qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                                              BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = qcow2_file_length(bs);
    Qcow2CheckState cs = { .res = res, .fix = fix };
    int64_t highest = 0;
    int ret;

    if (file_len < 0) {
        res->check_errors++;
        return file_len;
    }
    cs.nb_clusters = size_to_clusters(s, file_len);
    cs.file_len = file_len;
    cs.refs = g_try_new0(uint32_t, MAX(cs.nb_clusters, 1));
    if (!cs.refs) {
        res->check_errors++;
        return -ENOMEM;
    }
    res->bfi.total_clusters = size_to_clusters(s, s->size);

    ret = calculate_refcounts(bs, &cs);
    if (ret < 0) {
        g_free(cs.refs);
        return ret;
    }

    /* While repairing, the allocator must skip clusters in use. */
    s->check_refs = cs.refs;
    s->check_nb_clusters = cs.nb_clusters;
    s->free_cluster_index = 0;
    if (cs.drop_refblocks) {
        for (uint32_t i = 0; i < s->refcount_table_size; i++) {
            if (qcow2_write_reftable_entry(bs, i) < 0) {
                res->check_errors++;
            }
        }
        qcow2_cache_empty(s->refcount_block_cache);
    }
    cs.rebuild_refblocks = fix & BDRV_FIX_ERRORS;
    check_refcount_block_refs(bs, &cs);
    if (fix) {
        /* qemu-img's order: the differences are listed first, then, if
         * there is anything at all to repair, compared again repairing
         * (the counts of the first pass are dropped). */
        BdrvCheckResult pre = *res;

        cs.fix = 0;
        compare_refcounts(bs, &cs, &highest);
        cs.fix = fix;
        if (cs.rebuild && !(fix & BDRV_FIX_ERRORS)) {
            fprintf(stderr, "ERROR need to rebuild refcount structures\n");
            res->check_errors++;
            s->check_refs = NULL;
            s->check_nb_clusters = 0;
            s->free_cluster_index = 0;
            g_free(cs.refs);
            return -EIO;
        }
        if (cs.rebuild) {
            ret = rebuild_and_recount(bs, &cs, &highest);
            if (ret < 0) {
                s->check_refs = NULL;
                s->check_nb_clusters = 0;
                s->free_cluster_index = 0;
                g_free(cs.refs);
                return ret;
            }
        } else if (res->leaks || res->corruptions) {
            *res = pre;
            compare_refcounts(bs, &cs, &highest);
        }
    } else {
        compare_refcounts(bs, &cs, &highest);
    }
    check_oflag_copied(bs, &cs);
    s->check_refs = NULL;
    s->check_nb_clusters = 0;
    s->free_cluster_index = 0;

    res->image_end_offset = (highest + 1) << s->cluster_bits;
    g_free(cs.refs);
    return 0;
}

int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *result,
                                BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    trace_event(qcow2_co_check, "fix=%d", fix);
    ret = qcow2_co_flush_caches(bs);
    if (ret < 0) {
        result->check_errors++;
        goto out;
    }
    ret = qcow2_check_refcounts(bs, result, fix);
    if (ret < 0) {
        goto out;
    }
    ret = qcow2_co_flush_caches(bs);
    if (ret == 0 && fix) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        result->check_errors++;
        goto out;
    }
    if (fix && !bs->read_only && result->corruptions == 0 && result->check_errors == 0 &&
        s->qcow_version >= 3 && (s->incompatible_features &
                                 (QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY))) {
        /* Consistent again: the corrupt and dirty bits no longer apply. */
        s->incompatible_features &= ~(QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY);
        s->corrupt_signaled = false;
        uint64_t be = GUINT64_TO_BE(s->incompatible_features);
        ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_INCOMPAT_FEATURES, 8, &be, 0);
        if (ret == 0) {
            ret = bdrv_co_flush(bs->file->bs);
        }
    }
out:
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
