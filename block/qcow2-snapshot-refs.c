/*
 * qcow2 snapshot bookkeeping: the references an L1 table holds, and the
 * QCOW_OFLAG_COPIED flags of the active tables that follow from them
 * (spec "Cluster mapping", "Snapshots").  Used by qcow2-snapshot.c; all
 * functions run with s->lock held.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"
#include "qemu/log.h"

/*
 * Adds addend to the refcount of every cluster the L1 table l1 (host
 * order) references: the data (and compressed) clusters of each L2 table,
 * then the L2 table itself.  Stops after limit updates when limit >= 0;
 * *done counts the updates made, so a failed increment can be undone by
 * walking again with -addend and limit = *done.
 */
static int coroutine_fn update_l1_refcounts(BlockDriverState *bs, const uint64_t *l1,
                                            uint32_t l1_size, int addend, int64_t limit,
                                            int64_t *done)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    *done = 0;
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_offset = l1[i] & L1E_OFFSET_MASK;
        uint64_t *l2;

        if (!l2_offset) {
            continue;
        }
        if (offset_into_cluster(s, l2_offset)) {
            qcow2_signal_corruption(bs, true, -1, -1, "L2 table offset %#" PRIx64
                                    " unaligned (L1 index: %#" PRIx32 ")", l2_offset, i);
            return -EIO;
        }
        ret = qcow2_cache_get(bs, s->l2_table_cache, l2_offset, (void **)&l2);
        if (ret < 0) {
            return ret;
        }
        for (int j = 0; j < s->l2_size && ret == 0; j++) {
            uint64_t e = GUINT64_FROM_BE(l2[j]);
            uint64_t coffset;
            int csize;

            if (limit >= 0 && *done >= limit) {
                break;
            }
            switch (qcow2_get_cluster_type(bs, e)) {
            case QCOW2_CLUSTER_NORMAL:
            case QCOW2_CLUSTER_ZERO_ALLOC:
                if (offset_into_cluster(s, e & L2E_OFFSET_MASK)) {
                    qcow2_signal_corruption(bs, true, -1, -1, "Cluster offset %#" PRIx64
                                            " unaligned (L2 index: %#x)",
                                            e & L2E_OFFSET_MASK, j);
                    ret = -EIO;
                    break;
                }
                ret = qcow2_update_refcount(bs, e & L2E_OFFSET_MASK, s->cluster_size, addend);
                break;
            case QCOW2_CLUSTER_COMPRESSED:
                qcow2_parse_compressed_l2_entry(bs, e, &coffset, &csize);
                ret = qcow2_update_refcount(bs, coffset, csize, addend);
                break;
            default:
                continue;
            }
            if (ret == 0) {
                (*done)++;
            }
        }
        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        if (ret < 0 || (limit >= 0 && *done >= limit)) {
            return ret;
        }
        /* Last: at refcount 0 the table leaves the cache. */
        ret = qcow2_update_refcount(bs, l2_offset, s->cluster_size, addend);
        if (ret < 0) {
            return ret;
        }
        (*done)++;
    }
    return 0;
}

/* Adds one reference to everything l1 references; all or nothing. */
int coroutine_fn qcow2_ref_l1_clusters(BlockDriverState *bs, const uint64_t *l1,
                                       uint32_t l1_size)
{
    int64_t done, undone;
    int ret = update_l1_refcounts(bs, l1, l1_size, 1, -1, &done);

    if (ret < 0 && done > 0) {
        update_l1_refcounts(bs, l1, l1_size, -1, done, &undone);
    }
    /* One bit of refcount cannot count two references (qemu-img: EINVAL). */
    return ret == -ERANGE ? -EINVAL : ret;
}

/* Drops one reference from everything l1 references.  A failure midway
 * leaks what was not released; it never frees too much. */
int coroutine_fn qcow2_unref_l1_clusters(BlockDriverState *bs, const uint64_t *l1,
                                         uint32_t l1_size)
{
    int64_t done;

    return update_l1_refcounts(bs, l1, l1_size, -1, -1, &done);
}

/* Writes the whole active L1 table (host order in memory) and syncs it. */
int coroutine_fn qcow2_write_active_l1(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *be = g_new(uint64_t, MAX(s->l1_size, 1));
    int ret;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        be[i] = GUINT64_TO_BE(s->l1_table[i]);
    }
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L1, s->l1_table_offset,
                                        (int64_t)s->l1_size * 8);
    if (ret == 0 && s->l1_size) {
        ret = bdrv_co_pwrite(bs->file, s->l1_table_offset, (int64_t)s->l1_size * 8, be, 0);
    }
    return ret < 0 ? ret : bdrv_co_flush(bs->file->bs);
}

/* A snapshot's L1 table in host order (NULL and -errno in *ret on failure). */
uint64_t *coroutine_fn qcow2_read_snapshot_l1(BlockDriverState *bs, const QCowSnapshot *sn,
                                              int *ret)
{
    uint64_t *l1 = g_try_new0(uint64_t, MAX(sn->l1_size, 1));

    if (!l1) {
        *ret = -ENOMEM;
        return NULL;
    }
    *ret = 0;
    if (sn->l1_size) {
        *ret = bdrv_co_pread(bs->file, sn->l1_table_offset, (int64_t)sn->l1_size * 8, l1, 0);
    }
    if (*ret < 0) {
        g_free(l1);
        return NULL;
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        l1[i] = GUINT64_FROM_BE(l1[i]);
    }
    return l1;
}

/* OFLAG_COPIED for an entry whose cluster has this refcount. */
static uint64_t with_copied_flag(uint64_t entry, uint64_t refcount)
{
    return refcount == 1 ? entry | QCOW_OFLAG_COPIED : entry & ~QCOW_OFLAG_COPIED;
}

/*
 * Spec "Cluster mapping": in the active tables, QCOW_OFLAG_COPIED is set
 * exactly on entries whose cluster has refcount 1.  Recomputes it after
 * refcounts changed; writes the L1 table when it changed.  An L2 table
 * shared with a snapshot is patched in place: the flags describe the
 * data, which is the same for every table that references it.
 *
 * The refcounts reach the disk before any flag does: a crash in between
 * leaves a flag clear on a cluster whose refcount is already 1 (one
 * needless copy on write; check -r all tidies it), never set on a cluster
 * that a snapshot shares.
 */
int coroutine_fn qcow2_fix_copied_flags(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    bool l1_changed = false;
    uint64_t refcount;
    int ret;

    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_offset = s->l1_table[i] & L1E_OFFSET_MASK, new_l1e;
        bool l2_changed = false;
        uint64_t *l2;

        if (!l2_offset) {
            continue;
        }
        ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &refcount);
        if (ret < 0) {
            return ret;
        }
        new_l1e = with_copied_flag(s->l1_table[i], refcount);
        if (new_l1e != s->l1_table[i]) {
            s->l1_table[i] = new_l1e;
            l1_changed = true;
        }
        ret = qcow2_cache_get(bs, s->l2_table_cache, l2_offset, (void **)&l2);
        if (ret < 0) {
            return ret;
        }
        for (int j = 0; j < s->l2_size; j++) {
            uint64_t e = GUINT64_FROM_BE(l2[j]), new_e;
            QCow2ClusterType type = qcow2_get_cluster_type(bs, e);

            if (type != QCOW2_CLUSTER_NORMAL && type != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            ret = qcow2_get_refcount(bs, (e & L2E_OFFSET_MASK) >> s->cluster_bits,
                                     &refcount);
            if (ret < 0) {
                qcow2_cache_put(s->l2_table_cache, (void **)&l2);
                return ret;
            }
            new_e = with_copied_flag(e, refcount);
            if (new_e != e) {
                l2[j] = GUINT64_TO_BE(new_e);
                l2_changed = true;
            }
        }
        if (l2_changed) {
            qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        }
        qcow2_cache_put(s->l2_table_cache, (void **)&l2);
    }
    return l1_changed ? qcow2_write_active_l1(bs) : 0;
}

