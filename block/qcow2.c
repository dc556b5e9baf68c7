/*
 * qcow2 image format driver: probe, close, guest I/O, the driver table
 * (the header and open live in qcow2-header.c).
 *
 * Layout reminders (qcow2 specification):
 *   cluster 0: header, header extensions, backing file name;
 *   L1 table -> L2 tables -> data clusters (guest -> host mapping);
 *   refcount table -> refcount blocks (how many references each cluster has).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2.h"
#include "block/aio.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "trace/trace.h"

/* ---- running coroutine work from open/close ---- */

typedef struct Qcow2RunCo {
    BlockDriverState *bs;
    int coroutine_fn (*fn)(BlockDriverState *, void *);
    void *opaque;
    int ret;
    bool done;
} Qcow2RunCo;

static void coroutine_fn qcow2_run_co_entry(void *opaque)
{
    Qcow2RunCo *r = opaque;

    r->ret = r->fn(r->bs, r->opaque);
    r->done = true;
    aio_notify(r->bs->aio_context ? r->bs->aio_context : qemu_get_aio_context());
}

int qcow2_run_co(BlockDriverState *bs, int coroutine_fn (*fn)(BlockDriverState *, void *),
                 void *opaque)
{
    Qcow2RunCo r = { .bs = bs, .fn = fn, .opaque = opaque };
    AioContext *ctx = bs->aio_context ? bs->aio_context : qemu_get_aio_context();

    if (qemu_in_coroutine()) {
        return fn(bs, opaque);
    }
    qemu_coroutine_enter(qemu_coroutine_create(qcow2_run_co_entry, &r));
    AIO_WAIT_WHILE(ctx, !r.done);
    return r.ret;
}

/* ---- probing ---- */

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && buf[0] == 'Q' && buf[1] == 'F' && buf[2] == 'I' && buf[3] == 0xfb) {
        uint32_t version = ((uint32_t)buf[4] << 24) | (buf[5] << 16) | (buf[6] << 8) | buf[7];
        return version >= 2 ? 100 : 0;
    }
    return 0;
}


/* QEMU's qcow2_inactivate: each cache written and made stable, with its
 * own message on failure; the image is marked clean only when both went. */
static int coroutine_fn qcow2_close_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    int ret, result = 0;

    qemu_co_mutex_lock(&s->lock);
    qcow2_process_discards(bs);
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret < 0) {
        error_report("Failed to flush the L2 table cache: %s", g_strerror(-ret));
        result = ret;
    }
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        error_report("Failed to flush the refcount block cache: %s", g_strerror(-ret));
        result = ret;
    }
    if (result == 0 && s->dirty_marked && !s->corrupt_signaled) {
        result = qcow2_mark_clean(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    return result;
}

static void qcow2_close(BlockDriverState *bs)
{
    if (!bs->read_only) {
        qcow2_run_co(bs, qcow2_close_co, NULL);
    }
    qcow2_free_state(bs);
}

/* ---- guest I/O ---- */

/* Reads guest [offset, offset+bytes) of the backing file, zeros beyond its end. */
int coroutine_fn qcow2_read_backing(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                    QEMUIOVector *qiov, size_t qiov_offset)
{
    int64_t len, n;
    int ret;

    if (!bs->backing) {
        qemu_iovec_memset(qiov, qiov_offset, 0, bytes);
        return 0;
    }
    len = bdrv_getlength(bs->backing->bs);
    if (len < 0) {
        return len;
    }
    n = offset < len ? MIN(bytes, len - offset) : 0;
    if (n > 0) {
        BLKDBG_EVENT(bs->file, BLKDBG_READ_BACKING_AIO);
        ret = bdrv_co_preadv_part(bs->backing, offset, n, qiov, qiov_offset, 0);
        if (ret < 0) {
            return ret;
        }
    }
    if (n < bytes) {
        qemu_iovec_memset(qiov, qiov_offset + n, 0, bytes - n);
    }
    return 0;
}

/* The read loop; 'locked' says whether the caller already holds s->lock. */
static int coroutine_fn qcow2_do_preadv(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                                        QEMUIOVector *qiov, size_t qiov_offset, bool locked)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    while (bytes > 0) {
        uint64_t cur = bytes, host, l2_entry;
        QCow2ClusterType type;

        if (!locked) {
            qemu_co_mutex_lock(&s->lock);
        }
        ret = qcow2_get_host_offset(bs, offset, &cur, &host, &type, &l2_entry);
        if (!locked) {
            qemu_co_mutex_unlock(&s->lock);
        }
        if (ret < 0) {
            return ret;
        }
        switch (type) {
        case QCOW2_CLUSTER_UNALLOCATED:
            ret = qcow2_read_backing(bs, offset, cur, qiov, qiov_offset);
            break;
        case QCOW2_CLUSTER_ZERO_PLAIN:
        case QCOW2_CLUSTER_ZERO_ALLOC:
            qemu_iovec_memset(qiov, qiov_offset, 0, cur);
            break;
        case QCOW2_CLUSTER_COMPRESSED:
            ret = qcow2_co_preadv_compressed(bs, l2_entry, offset, cur, qiov, qiov_offset);
            break;
        case QCOW2_CLUSTER_NORMAL:
            BLKDBG_EVENT(bs->file, BLKDBG_READ_AIO);
            ret = bdrv_co_preadv_part(bs->file, host, cur, qiov, qiov_offset, 0);
            break;
        }
        if (ret < 0) {
            return ret;
        }
        offset += cur;
        bytes -= cur;
        qiov_offset += cur;
    }
    return 0;
}

static int coroutine_fn qcow2_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, QEMUIOVector *qiov,
                                             size_t qiov_offset, BdrvRequestFlags flags)
{
    int ret;

    trace_event_begin(qcow2_co_preadv_part, "offset=0x%" PRIx64 " bytes=%" PRId64, offset,
                      bytes);
    ret = qcow2_do_preadv(bs, offset, bytes, qiov, qiov_offset, false);
    trace_event_end(qcow2_co_preadv_part_done, qcow2_co_preadv_part, "ret=%d", ret);
    return ret;
}

/* Whether guest [offset, offset+bytes) (within one cluster) reads as zeros
 * from the mapping it has now. */
static bool coroutine_fn qcow2_guest_range_is_zero(BlockDriverState *bs, uint64_t offset,
                                                   uint64_t bytes)
{
    uint64_t cur = bytes, host, l2_entry;
    QCow2ClusterType type;

    if (qcow2_get_host_offset(bs, offset, &cur, &host, &type, &l2_entry) < 0 || cur < bytes) {
        return false;
    }
    return type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC ||
           (type == QCOW2_CLUSTER_UNALLOCATED && !bs->backing);
}

/*
 * Whether host [offset, offset+bytes) of the image file reads as zeros: at
 * or past the end of the file (io.c keeps the cached length at least as
 * large as anything ever written), or a hole.
 */
static bool coroutine_fn qcow2_file_range_is_zero(BlockDriverState *bs, int64_t offset,
                                                  int64_t bytes)
{
    int64_t eof = bdrv_getlength(bs->file->bs), pnum, map;
    BlockDriverState *file;
    int ret;

    if (eof >= 0 && offset >= eof) {
        return true;
    }
    ret = bdrv_co_block_status(bs->file->bs, offset, bytes, &pnum, &map, &file);
    return ret >= 0 && (ret & BDRV_BLOCK_ZERO) && pnum >= bytes;
}

/* Guest clusters [start, end) are being allocated; the L2 entries still
 * show the old mapping until the data is written. */
typedef struct QCow2AllocInFlight {
    uint64_t start, end;
    CoQueue waiters;
} QCow2AllocInFlight;

/*
 * With s->lock held: if guest [offset, offset+bytes) overlaps a cluster
 * allocation in flight, waits for it to finish (dropping the lock while
 * waiting) and returns true: the caller must look at the mapping again.
 */
static bool coroutine_fn qcow2_wait_for_alloc(BlockDriverState *bs, uint64_t offset,
                                              uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = start_of_cluster(s, offset);
    uint64_t end = start_of_cluster(s, offset + bytes + s->cluster_size - 1);

    for (GList *l = s->allocs_in_flight.head; l; l = l->next) {
        QCow2AllocInFlight *a = l->data;
        if (a->start < end && start < a->end) {
            trace_event(qcow2_wait_for_alloc, "offset=0x%" PRIx64 " waits_for=0x%" PRIx64,
                        offset, a->start);
            qemu_co_queue_wait(&a->waiters, &s->lock);
            return true;
        }
    }
    return false;
}

/*
 * Allocating write of guest [offset, offset+bytes) (one L2 table's worth):
 * new host clusters get the guest data plus the untouched head and tail of
 * the first and last cluster copied from the old mapping (copy-on-write),
 * in a single write; then the L2 entries are switched over.  When the old
 * mapping reads as zeros and so do the new clusters (fresh space at the end
 * of the file, usually), there is nothing to copy: only the data is written.
 * Called and returns with s->lock held, but drops it while the data goes
 * to the file; overlapping allocating writes wait (qcow2_wait_for_alloc).
 */
static int coroutine_fn qcow2_handle_alloc(BlockDriverState *bs, uint64_t offset,
                                           uint64_t bytes, QEMUIOVector *qiov,
                                           size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = start_of_cluster(s, offset);
    uint64_t end = offset + bytes;
    uint64_t aligned_end = start_of_cluster(s, end + s->cluster_size - 1);
    uint64_t head = offset - start, tail = aligned_end - end;
    g_autofree uint8_t *head_buf = NULL;
    g_autofree uint8_t *tail_buf = NULL;
    QCow2AllocInFlight alloc = { .start = start, .end = aligned_end };
    QEMUIOVector cow_qiov, all;
    int64_t host;
    int ret;

    /* QEMU's order: the L2 table (a new one, or a copy of a shared one)
     * is allocated before the data clusters, so the same writes give the
     * same image layout as qemu-io's. */
    {
        uint64_t *l2;
        int l2_index;

        ret = qcow2_get_l2_table(bs, offset, true, &l2, &l2_index);
        if (ret < 0) {
            return ret;
        }
        if (l2) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        }
    }
    host = qcow2_alloc_clusters(bs, aligned_end - start);
    if (host < 0) {
        return host;
    }
    trace_event(qcow2_alloc_cluster, "guest=0x%" PRIx64 " host=0x%" PRIx64 " bytes=%" PRIu64,
                start, (uint64_t)host, aligned_end - start);
    if ((head || tail) &&
        (!head || qcow2_guest_range_is_zero(bs, start, head)) &&
        (!tail || qcow2_guest_range_is_zero(bs, end, tail)) &&
        qcow2_file_range_is_zero(bs, host, aligned_end - start)) {
        trace_event(qcow2_skip_zero_cow, "host=0x%" PRIx64 " head=%" PRIu64 " tail=%" PRIu64,
                    (uint64_t)host, head, tail);
        head = tail = 0;
        /* The whole clusters are zeroed first (fallocate), as QEMU 7.2
         * does: the file then ends where qemu-io's would, and O_DIRECT
         * writes past the end of the file are not serialised by the file
         * system. */
        BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC_SPACE);
        ret = bdrv_co_pwrite_zeroes(bs->file, host, aligned_end - start,
                                    BDRV_REQ_NO_FALLBACK);
        if (ret < 0 && ret != -ENOTSUP) {
            goto fail;
        }
    }
    if (head || tail) {
        BLKDBG_EVENT(bs->file, BLKDBG_COW_READ);
    }
    if (head) {
        head_buf = g_malloc(head);
        qemu_iovec_init_buf(&cow_qiov, head_buf, head);
        ret = qcow2_do_preadv(bs, start, head, &cow_qiov, 0, true);
        if (ret < 0) {
            goto fail;
        }
    }
    if (tail) {
        tail_buf = g_malloc(tail);
        qemu_iovec_init_buf(&cow_qiov, tail_buf, tail);
        ret = qcow2_do_preadv(bs, end, tail, &cow_qiov, 0, true);
        if (ret < 0) {
            goto fail;
        }
    }
    /* The overlap check covers the whole new clusters either way. */
    ret = qcow2_pre_write_overlap_check(bs, 0, host, aligned_end - start);
    if (ret < 0) {
        goto fail;
    }
    qemu_iovec_init(&all, qiov->niov + 2);
    if (head) {
        qemu_iovec_add(&all, head_buf, head);
    }
    qemu_iovec_concat(&all, qiov, qiov_offset, bytes);
    if (tail) {
        qemu_iovec_add(&all, tail_buf, tail);
    }
    qemu_co_queue_init(&alloc.waiters);
    g_queue_push_tail(&s->allocs_in_flight, &alloc);
    qemu_co_mutex_unlock(&s->lock);
    /* the COW regions go in the same request as the data (QEMU's merged
     * COW write is a write_aio) */
    BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
    ret = bdrv_co_pwritev(bs->file, host + (offset - start) - head, head + bytes + tail, &all, 0);
    qemu_co_mutex_lock(&s->lock);
    g_queue_remove(&s->allocs_in_flight, &alloc);
    qemu_co_queue_restart_all(&alloc.waiters);
    qemu_iovec_destroy(&all);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_alloc_host_offset(bs, start, aligned_end - start, host);
    if (ret < 0) {
        goto fail;
    }
    return 0;

fail:
    qcow2_free_clusters(bs, host, aligned_end - start);
    return ret;
}

static int coroutine_fn qcow2_prepare_write(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->corrupt_signaled || (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT &&
                                !(bs->open_flags & BDRV_O_CHECK))) {
        return -EIO;
    }
    if ((s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS) && !s->bitmaps_held) {
        int ret = qcow2_bitmaps_note_write(bs);
        if (ret < 0) {
            return ret;
        }
    }
    if (s->use_lazy_refcounts && !(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return qcow2_mark_dirty(bs);
    }
    return 0;
}

int coroutine_fn qcow2_co_pwritev_part(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, size_t qiov_offset,
                                       BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;

    /* QEMU's names for this request's frame */
    trace_event_begin(qcow2_writev_start_req, "co=%p offset=0x%" PRIx64 " bytes=%" PRId64,
                      (void *)qemu_coroutine_self(), offset, bytes);
    while (bytes > 0) {
        uint64_t cur = bytes, host;
        bool need_alloc;

        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_prepare_write(bs);
        if (ret == 0) {
            ret = qcow2_alloc_data_clusters(bs, offset, &cur, &host, &need_alloc);
        }
        if (ret == 0 && need_alloc && qcow2_wait_for_alloc(bs, offset, cur)) {
            qemu_co_mutex_unlock(&s->lock);
            continue; /* the mapping may have changed meanwhile */
        }
        if (ret == 0 && need_alloc) {
            ret = qcow2_handle_alloc(bs, offset, cur, qiov, qiov_offset);
            qemu_co_mutex_unlock(&s->lock);
        } else {
            qemu_co_mutex_unlock(&s->lock);
            if (ret == 0) {
                ret = qcow2_pre_write_overlap_check(bs, 0, host, cur);
            }
            if (ret == 0) {
                trace_event(qcow2_writev_data, "co=%p offset=0x%" PRIx64,
                            (void *)qemu_coroutine_self(), host);
                BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
                ret = bdrv_co_pwritev_part(bs->file, host, cur, qiov, qiov_offset, 0);
            }
        }
        if (ret < 0) {
            break;
        }
        offset += cur;
        bytes -= cur;
        qiov_offset += cur;
    }
    if (ret >= 0 && (flags & BDRV_REQ_FUA)) {
        ret = bdrv_co_flush(bs);
    }
    trace_event_end(qcow2_writev_done_req, qcow2_writev_start_req, "co=%p ret=%d",
                    (void *)qemu_coroutine_self(), ret);
    return ret;
}

/* Writes explicit zeros (unaligned edges, v2 images with a backing file). */
static int coroutine_fn qcow2_write_zero_buffer(BlockDriverState *bs, int64_t offset,
                                                int64_t bytes)
{
    int64_t chunk = MIN(bytes, 1 << 20);
    g_autofree void *zeros = g_malloc0(chunk);

    while (bytes > 0) {
        QEMUIOVector qiov;
        int64_t n = MIN(bytes, chunk);
        int ret;
        qemu_iovec_init_buf(&qiov, zeros, n);
        ret = qcow2_co_pwritev_part(bs, offset, n, &qiov, 0, 0);
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
    }
    return 0;
}

/* Whole-cluster part of [offset, offset+bytes); the image's last partial
 * cluster counts as whole when the request reaches the end of the disk. */
static void whole_clusters(BDRVQcow2State *s, int64_t offset, int64_t bytes,
                           int64_t *start, int64_t *end)
{
    int64_t e = offset + bytes;

    *start = start_of_cluster(s, offset + s->cluster_size - 1);
    *end = (uint64_t)e >= s->size ? start_of_cluster(s, e + s->cluster_size - 1)
                                  : start_of_cluster(s, e);
    if (*end < *start) {
        *end = *start;
    }
}

/*
 * With s->lock held: widens [*start, *end) (the whole clusters of the
 * request) by a partly covered cluster at either edge that reads as zeros
 * from its mapping: QEMU makes such a cluster a zero cluster whole instead
 * of allocating it for a buffer of zeros.
 */
static void zero_widen_edges(BlockDriverState *bs, int64_t offset, int64_t bytes,
                             int64_t *start, int64_t *end)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t head = start_of_cluster(s, offset), tail = start_of_cluster(s, offset + bytes - 1);

    if (head < *start &&
        qcow2_guest_range_is_zero(bs, head, MIN(s->cluster_size, s->size - head))) {
        *end = *start >= *end ? head + s->cluster_size : *end;
        *start = head;
    }
    if (tail >= *end && offset + bytes > *end &&
        qcow2_guest_range_is_zero(bs, tail, MIN(s->cluster_size, s->size - tail))) {
        *start = *start >= *end ? tail : *start;
        *end = tail + s->cluster_size;
    }
}

static int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                               int64_t bytes, BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start, end;
    int ret;

    whole_clusters(s, offset, bytes, &start, &end);
    if (s->qcow_version < 3 && bs->backing) {
        return qcow2_write_zero_buffer(bs, offset, bytes);
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_prepare_write(bs);
    if (ret == 0) {
        zero_widen_edges(bs, offset, bytes, &start, &end);
    }
    if (ret == 0 && start < end) {
        /* what an unmapping zero write frees, the guest asked to free */
        s->discard_type = QCOW2_DISCARD_REQUEST;
        ret = s->qcow_version >= 3
              ? qcow2_cluster_zeroize(bs, start, end - start, flags & BDRV_REQ_MAY_UNMAP)
              : qcow2_cluster_discard(bs, start, end - start, true);
        s->discard_type = QCOW2_DISCARD_OTHER;
        if (ret == 0) {
            ret = qcow2_process_discards(bs);
        }
    }
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    if (start >= end) {
        return qcow2_write_zero_buffer(bs, offset, bytes);
    }
    if (start > offset) {
        ret = qcow2_write_zero_buffer(bs, offset, MIN(start, offset + bytes) - offset);
    }
    if (ret == 0 && offset + bytes > end) {
        ret = qcow2_write_zero_buffer(bs, end, offset + bytes - end);
    }
    return ret;
}

static int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t start, end;
    int ret;

    whole_clusters(s, offset, bytes, &start, &end);
    if (start >= end) {
        return 0; /* discard is advisory */
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_prepare_write(bs);
    if (ret == 0) {
        s->discard_type = QCOW2_DISCARD_REQUEST;
        ret = qcow2_cluster_discard(bs, start, end - start, false);
        s->discard_type = QCOW2_DISCARD_OTHER;
    }
    if (ret == 0) {
        ret = qcow2_process_discards(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/* Writes back the metadata caches; each honours its dependency. */
int coroutine_fn qcow2_co_flush_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    ret = qcow2_cache_write(bs, s->l2_table_cache);
    if (ret == 0) {
        ret = qcow2_cache_write(bs, s->refcount_block_cache);
    }
    return ret;
}

static int coroutine_fn qcow2_co_flush_to_os(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_co_flush_caches(bs);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int coroutine_fn qcow2_co_block_status(BlockDriverState *bs, int64_t offset,
                                              int64_t bytes, int64_t *pnum, int64_t *map,
                                              BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cur = bytes, host, l2_entry;
    QCow2ClusterType type;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_get_host_offset(bs, offset, &cur, &host, &type, &l2_entry);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = cur;
    *map = 0;
    *file = NULL;
    switch (type) {
    case QCOW2_CLUSTER_NORMAL:
        *map = host;
        *file = bs->file->bs;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_ALLOCATED;
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
    case QCOW2_CLUSTER_COMPRESSED:
        return BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED | BDRV_BLOCK_ALLOCATED;
    default:
        return bs->backing ? 0 : BDRV_BLOCK_ZERO;
    }
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->size;
}

/* The first L1 entry past the disk: the VM state follows the guest data in
 * the image's virtual address space (docs/interop/qcow2.txt, snapshots). */
static int64_t qcow2_vm_state_offset(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int shift = s->l2_bits + s->cluster_bits;
    uint64_t size = bs->total_sectors * BDRV_SECTOR_SIZE;

    return (int64_t)(((size + (UINT64_C(1) << shift) - 1) >> shift) << shift);
}

/* The VM state is written and read as guest data past the disk: the
 * clusters are allocated, COW'd and refcounted like any others. */
static int coroutine_fn qcow2_vmstate_rw(BlockDriverState *bs, QEMUIOVector *qiov,
                                         int64_t pos, bool is_write)
{
    int64_t offset = qcow2_vm_state_offset(bs);

    if (pos > INT64_MAX - offset - (int64_t)qiov->size) {
        return -EINVAL;
    }
    BLKDBG_EVENT(bs->file, is_write ? BLKDBG_VMSTATE_SAVE : BLKDBG_VMSTATE_LOAD);
    return is_write ? qcow2_co_pwritev_part(bs, offset + pos, qiov->size, qiov, 0, 0)
                    : qcow2_do_preadv(bs, offset + pos, qiov->size, qiov, 0, false);
}

static int coroutine_fn qcow2_save_vmstate(BlockDriverState *bs, QEMUIOVector *qiov,
                                           int64_t pos)
{
    return qcow2_vmstate_rw(bs, qiov, pos, true);
}

static int coroutine_fn qcow2_load_vmstate(BlockDriverState *bs, QEMUIOVector *qiov,
                                           int64_t pos)
{
    return qcow2_vmstate_rw(bs, qiov, pos, false);
}

static int qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    bdi->cluster_size = s->cluster_size;
    bdi->is_dirty = !!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY);
    bdi->vm_state_offset = qcow2_vm_state_offset(bs);
    return 0;
}

/* ImageInfoSpecificQCow2 of QEMU 7.2, in its member order. */
static void qcow2_dump_info(BlockDriverState *bs, GString *text, JSONWriter *json)
{
    BDRVQcow2State *s = bs->opaque;
    bool corrupt = !!(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);

    if (s->qcow_version < 3) {
        g_string_append(text, "    compat: 0.10\n    compression type: zlib\n"
                              "    refcount bits: 16\n");
        json_writer_str(json, "compat", "0.10");
        json_writer_str(json, "compression-type", "zlib");
        json_writer_int64(json, "refcount-bits", 16);
        return;
    }
    g_string_append_printf(text, "    compat: 1.1\n    compression type: zlib\n"
                           "    lazy refcounts: %s\n",
                           s->use_lazy_refcounts ? "true" : "false");
    json_writer_str(json, "compat", "1.1");
    json_writer_str(json, "compression-type", "zlib");
    json_writer_bool(json, "lazy-refcounts", s->use_lazy_refcounts);
    qcow2_dump_bitmaps(bs, text, json);
    g_string_append_printf(text, "    refcount bits: %d\n    corrupt: %s\n"
                           "    extended l2: false\n",
                           s->refcount_bits, corrupt ? "true" : "false");
    json_writer_int64(json, "refcount-bits", s->refcount_bits);
    json_writer_bool(json, "corrupt", corrupt);
    json_writer_bool(json, "extended-l2", false);
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .is_format = true,
    .supports_backing = true,
    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_close = qcow2_close,
    .bdrv_create = qcow2_co_create_opts,
    .create_opts = qcow2_create_opts,
    .bdrv_measure = qcow2_measure,
    .bdrv_change_backing_file = qcow2_change_backing_file,
    .bdrv_make_empty = qcow2_make_empty,
    .bdrv_amend_options = qcow2_amend_options,
    .bdrv_load_bitmaps = qcow2_load_bitmaps,
    .bdrv_store_bitmaps = qcow2_store_bitmaps,
    .amend_opts = qcow2_amend_opts,
    .runtime_opts = qcow2_runtime_opts,
    .bdrv_co_preadv_part = qcow2_co_preadv_part,
    .bdrv_co_pwritev_part = qcow2_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = qcow2_co_pwrite_zeroes,
    .bdrv_co_pdiscard = qcow2_co_pdiscard,
    .bdrv_co_flush_to_os = qcow2_co_flush_to_os,
    .bdrv_save_vmstate = qcow2_save_vmstate,
    .bdrv_load_vmstate = qcow2_load_vmstate,
    .bdrv_co_truncate = qcow2_co_truncate,
    .bdrv_co_block_status = qcow2_co_block_status,
    .bdrv_co_check = qcow2_co_check,
    .bdrv_getlength = qcow2_getlength,
    .bdrv_get_info = qcow2_get_info,
    .bdrv_dump_info = qcow2_dump_info,
    .bdrv_co_pwritev_compressed_part = qcow2_co_pwritev_compressed_part,
    .bdrv_snapshot_create = qcow2_snapshot_create,
    .bdrv_snapshot_goto = qcow2_snapshot_goto,
    .bdrv_snapshot_delete = qcow2_snapshot_delete,
    .bdrv_snapshot_list = qcow2_snapshot_list,
    .bdrv_snapshot_load_tmp = qcow2_snapshot_load_tmp,
};
