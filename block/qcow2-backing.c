/*
 * qcow2: a new backing file name and format in the header (spec "Header":
 * backing_file_offset/size, and the "Backing file format name" extension),
 * and emptying the active L1 table's clusters.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

typedef struct Qcow2BackingChange {
    const char *file;
    const char *fmt;
} Qcow2BackingChange;

static int coroutine_fn change_backing_co(BlockDriverState *bs, void *opaque)
{
    Qcow2BackingChange *c = opaque;
    BDRVQcow2State *s = bs->opaque;
    char *old_file = s->image_backing_file, *old_fmt = s->image_backing_format;
    int ret;

    if (c->file && strlen(c->file) > QCOW_MAX_BACKING_NAME) {
        return -EINVAL;
    }
    if (c->fmt && strlen(c->fmt) >= 16) {
        return -EINVAL;
    }
    qemu_co_mutex_lock(&s->lock);
    s->image_backing_file = c->file ? g_strdup(c->file) : NULL;
    s->image_backing_format = c->fmt ? g_strdup(c->fmt) : NULL;
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        /* the header on disk is the old one (or unwritable): keep it */
        g_free(s->image_backing_file);
        g_free(s->image_backing_format);
        s->image_backing_file = old_file;
        s->image_backing_format = old_fmt;
    } else {
        g_free(old_file);
        g_free(old_fmt);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt)
{
    Qcow2BackingChange c = { backing_file, backing_fmt };

    return qcow2_run_co(bs, change_backing_co, &c);
}

/*
 * The whole image again as a fresh one: header, refcount table (cluster 1),
 * one refcount block (cluster 2), a zeroed L1 table of the same size from
 * cluster 3, the file cut after it.  Only where nothing else needs
 * clusters: version 3 (the dirty bit covers a crash half way), no
 * snapshots or bitmaps, and all of it counted by that one block; qemu-img
 * commit leaves such an image the same way.
 */
static bool can_make_completely_empty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int64_t l1_clusters = size_to_clusters(s, (uint64_t)s->l1_size * 8);

    if (s->qcow_version < 3 || s->nb_snapshots || qcow2_bitmaps_extension(s) ||
        3 + l1_clusters > s->refcount_block_size) {
        return false;
    }
    /* the zeroed old L1 must stay intact until the header points away
     * from it, so it may not lie where the new tables go */
    return s->l1_size == 0 || s->l1_table_offset == 3 * cs ||
           s->l1_table_offset >= (uint64_t)(3 + l1_clusters) * cs;
}

static int coroutine_fn make_completely_empty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size;
    int64_t l1_clusters = size_to_clusters(s, (uint64_t)s->l1_size * 8);
    int64_t total = 3 + l1_clusters;
    g_autofree uint8_t *buf = NULL;
    g_autofree uint64_t *reftable = NULL;
    uint8_t fields[20];
    int ret;

    ret = qcow2_co_flush_caches(bs);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_mark_dirty(bs);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }
    /* 1. No guest data is reachable once the L1 table is zero; everything
     * after this point only drops clusters nobody references. */
    if (s->l1_size) {
        ret = bdrv_co_pwrite_zeroes(bs->file, s->l1_table_offset, l1_clusters * cs, 0);
        if (ret == 0) {
            ret = bdrv_co_flush(bs->file->bs);
        }
        if (ret < 0) {
            return ret;
        }
    }
    /* 2. The new tables, then the header fields that point at them
     * (l1_table_offset, refcount_table_offset, refcount_table_clusters:
     * bytes 40-59, spec "Header"). */
    buf = g_malloc0(cs);
    for (int64_t c = 0; c < total; c++) {
        s->set_refcount(buf, c, 1);
    }
    ret = bdrv_co_pwrite(bs->file, 2 * cs, cs, buf, 0);
    if (ret == 0) {
        memset(buf, 0, cs);
        stbe64(buf, 2 * cs);
        ret = bdrv_co_pwrite(bs->file, cs, cs, buf, 0);
    }
    if (ret == 0 && s->l1_size && s->l1_table_offset != 3 * cs) {
        ret = bdrv_co_pwrite_zeroes(bs->file, 3 * cs, l1_clusters * cs, 0);
    }
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        return ret;
    }
    stbe64(fields, 3 * cs); /* also for an empty L1 table, as qemu-img */
    stbe64(fields + 8, cs);
    stbe32(fields + 16, 1);
    ret = bdrv_co_pwrite(bs->file, 40, sizeof(fields), fields, 0);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        return ret;
    }

    /* 3. The driver's view follows the file. */
    qcow2_cache_empty(s->l2_table_cache);
    qcow2_cache_empty(s->refcount_block_cache);
    memset(s->l1_table, 0, (size_t)s->l1_size * 8);
    s->l1_table_offset = 3 * cs;
    reftable = g_new0(uint64_t, cs / 8);
    reftable[0] = 2 * cs;
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&reftable);
    s->refcount_table_offset = cs;
    s->refcount_table_size = cs / 8;
    qcow2_reftable_recount_used(s);
    s->free_cluster_index = 0;
    s->free_byte_offset = 0;

    ret = bdrv_co_truncate(bs->file, total * cs, false, PREALLOC_MODE_OFF, NULL);
    if (ret < 0) {
        return ret;
    }
    return qcow2_mark_clean(bs); /* the counts are exact again */
}

static int coroutine_fn make_empty_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = start_of_cluster(s, s->size + s->cluster_size - 1);
    int ret = 0;

    (void)opaque;
    qemu_co_mutex_lock(&s->lock);
    if (can_make_completely_empty(bs)) {
        ret = make_completely_empty(bs);
    } else if (end) {
        /* otherwise cluster by cluster: unallocated, not zero clusters, so
         * the backing file shows; the freed clusters count as a snapshot's
         * (pass-discard-snapshot: on by default) */
        s->discard_type = QCOW2_DISCARD_SNAPSHOT;
        ret = qcow2_cluster_discard(bs, 0, end, true);
        if (ret == 0) {
            ret = qcow2_process_discards(bs);
        }
        s->discard_type = QCOW2_DISCARD_OTHER;
    }
    if (ret == 0) {
        ret = qcow2_co_flush_caches(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_make_empty(BlockDriverState *bs)
{
    return qcow2_run_co(bs, make_empty_co, NULL);
}
