/*
 * Generic request handling between a node's users and its driver:
 * bounds checks, request alignment (read-modify-write for unaligned
 * writes), serialisation of overlapping requests, write-zeroes fallback,
 * zero-fill past end of file, flush ordering, and the synchronous wrappers.
 *
 * Drivers only ever see requests aligned to bs->request_alignment.
 */
#include "qemu/compiler.h"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "block_int.h"
#include "trace/trace.h"

/* Larger offsets or lengths are certainly bogus (and would overflow). */
#define BDRV_MAX_LENGTH (INT64_C(1) << 62)
/* Chunk for emulated write-zeroes. */
#define BDRV_ZERO_CHUNK (1 << 20)
/* O_DIRECT wants buffers aligned to the logical block size; 4 KiB is
 * enough for every device. */
#define BDRV_MEM_ALIGN 4096

#define ROUND_DOWN(x, a) ((x) / (a) * (a))
#define ROUND_UP(x, a)   ROUND_DOWN((x) + (a) - 1, (a))

/* The frames of the request path stay visible in gdb, even at -O2. */
#define BLOCK_FRAME QEMU_VISIBLE_FRAME

void *qemu_blockalign(BlockDriverState *bs, size_t size)
{
    void *ptr;
    if (posix_memalign(&ptr, BDRV_MEM_ALIGN, MAX(size, 1)) != 0) {
        g_error("qemu_blockalign: out of memory (%zu bytes)", size);
    }
    return ptr;
}

void *qemu_blockalign0(BlockDriverState *bs, size_t size)
{
    return memset(qemu_blockalign(bs, size), 0, size);
}

void qemu_vfree(void *ptr)
{
    free(ptr);
}

static int bdrv_check_request(int64_t offset, int64_t bytes)
{
    if (offset < 0 || bytes < 0 || bytes > BDRV_MAX_LENGTH ||
        offset > BDRV_MAX_LENGTH - bytes) {
        return -EIO;
    }
    return 0;
}

static int bdrv_check_qiov(QEMUIOVector *qiov, size_t qiov_offset, int64_t bytes)
{
    if (qiov && (qiov_offset > qiov->size || qiov->size - qiov_offset < (uint64_t)bytes)) {
        return -EINVAL;
    }
    return 0;
}

/* ---- tracked requests ---- */

/*
 * Every write-like request in flight is on bs->tracked_requests (newest
 * first) with the aligned range it touches.  A serialising request (a
 * read-modify-write) waits for every older overlapping request, and every
 * request waits for older overlapping serialising ones, so an RMW never
 * writes back stale bytes around a concurrent write.
 */
typedef struct BdrvTrackedRequest {
    BlockDriverState *bs;
    int64_t offset;
    int64_t bytes;
    bool serialising;
    GList link;
} BdrvTrackedRequest;

static void tracked_request_begin(BdrvTrackedRequest *req, BlockDriverState *bs,
                                  int64_t offset, int64_t bytes, bool serialising)
{
    *req = (BdrvTrackedRequest){
        .bs = bs, .offset = offset, .bytes = bytes, .serialising = serialising,
    };
    req->link.data = req;
    req->link.next = bs->tracked_requests;
    if (bs->tracked_requests) {
        bs->tracked_requests->prev = &req->link;
    }
    bs->tracked_requests = &req->link;
    if (serialising) {
        bs->serialising_in_flight++;
    }
}

static void tracked_request_end(BdrvTrackedRequest *req)
{
    BlockDriverState *bs = req->bs;

    bs->tracked_requests = g_list_remove_link(bs->tracked_requests, &req->link);
    if (req->serialising) {
        bs->serialising_in_flight--;
    }
    if (!qemu_co_queue_empty(bs->tracked_requests_queue)) {
        qemu_co_queue_restart_all(bs->tracked_requests_queue);
    }
}

static bool tracked_request_overlaps(BdrvTrackedRequest *a, BdrvTrackedRequest *b)
{
    return a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
}

static void coroutine_fn bdrv_wait_serialising_requests(BdrvTrackedRequest *req)
{
    BlockDriverState *bs = req->bs;
    bool waited;

    if (!bs->serialising_in_flight) {
        return;
    }
    do {
        waited = false;
        /* Only older requests (later in the list): two requests never
         * wait for each other. */
        for (GList *l = req->link.next; l; l = l->next) {
            BdrvTrackedRequest *other = l->data;
            if ((req->serialising || other->serialising) &&
                tracked_request_overlaps(req, other)) {
                trace_event(bdrv_wait_serialising, "bs=%p offset=%" PRId64 " bytes=%" PRId64
                            " waits_for=%" PRId64, bs, req->offset, req->bytes, other->offset);
                qemu_co_queue_wait(bs->tracked_requests_queue, NULL);
                waited = true;
                break;
            }
        }
    } while (waited);
}

/* ---- reads ---- */

static BLOCK_FRAME int coroutine_fn bdrv_driver_preadv(BlockDriverState *bs, int64_t offset,
                                                       int64_t bytes, QEMUIOVector *qiov,
                                                       size_t qiov_offset,
                                                       BdrvRequestFlags flags)
{
    if (!bs->drv->bdrv_co_preadv_part) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_co_preadv_part(bs, offset, bytes, qiov, qiov_offset, flags);
}

/* An aligned read; what lies past the end of the node reads as zeroes. */
static BLOCK_FRAME int coroutine_fn bdrv_aligned_preadv(BdrvChild *child, int64_t offset,
                                                        int64_t bytes, unsigned align,
                                                        QEMUIOVector *qiov,
                                                        size_t qiov_offset,
                                                        BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int64_t total = bdrv_getlength(bs);
    int64_t readable;
    int ret = 0;

    if (total < 0) {
        return total;
    }
    readable = ROUND_UP(MAX(total - offset, 0), (int64_t)align);
    if (bytes <= readable) {
        return bdrv_driver_preadv(bs, offset, bytes, qiov, qiov_offset, flags);
    }
    if (readable > 0) {
        ret = bdrv_driver_preadv(bs, offset, readable, qiov, qiov_offset, flags);
    }
    if (ret >= 0) {
        qemu_iovec_memset(qiov, qiov_offset + readable, 0, bytes - readable);
    }
    return ret;
}

int coroutine_fn bdrv_co_preadv_part(BdrvChild *child, int64_t offset, int64_t bytes,
                                     QEMUIOVector *qiov, size_t qiov_offset,
                                     BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    unsigned align;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_check_qiov(qiov, qiov_offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (bytes == 0) {
        return 0;
    }
    trace_event_begin(bdrv_co_preadv_part, "bs=%p offset=%" PRId64 " bytes=%" PRId64
                      " flags=0x%x", bs, offset, bytes, flags);
    align = MAX(bs->request_alignment, 1);
    bs->in_flight++;
    if (offset % align == 0 && bytes % align == 0) {
        ret = bdrv_aligned_preadv(child, offset, bytes, align, qiov, qiov_offset, flags);
    } else {
        /* Read the covering aligned range into a bounce buffer. */
        int64_t start = ROUND_DOWN(offset, (int64_t)align);
        int64_t end = ROUND_UP(offset + bytes, (int64_t)align);
        uint8_t *buf = qemu_blockalign(bs, end - start);
        QEMUIOVector local;

        qemu_iovec_init_buf(&local, buf, end - start);
        ret = bdrv_aligned_preadv(child, start, end - start, align, &local, 0, flags);
        if (ret >= 0) {
            qemu_iovec_from_buf(qiov, qiov_offset, buf + (offset - start), bytes);
        }
        qemu_vfree(buf);
    }
    bs->in_flight--;
    trace_event_end(bdrv_co_preadv_part_done, bdrv_co_preadv_part, "ret=%d", ret);
    return ret < 0 ? ret : 0;
}

int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return bdrv_co_preadv_part(child, offset, bytes, qiov, 0, flags);
}

int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
                               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return bdrv_co_preadv_part(child, offset, bytes, &qiov, 0, flags);
}

/* ---- writes ---- */

static BLOCK_FRAME int coroutine_fn bdrv_driver_pwritev(BlockDriverState *bs, int64_t offset,
                                                        int64_t bytes, QEMUIOVector *qiov,
                                                        size_t qiov_offset,
                                                        BdrvRequestFlags flags)
{
    int ret;

    if (!bs->drv->bdrv_co_pwritev_part) {
        return -ENOTSUP;
    }
    ret = bs->drv->bdrv_co_pwritev_part(bs, offset, bytes, qiov, qiov_offset,
                                        flags & ~BDRV_REQ_FUA);
    /* FUA is emulated: no driver here writes through by itself. */
    if (ret >= 0 && (flags & BDRV_REQ_FUA)) {
        ret = bdrv_co_flush(bs);
    }
    return ret;
}

static int coroutine_fn bdrv_co_do_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                                 int64_t bytes, BdrvRequestFlags flags)
{
    int64_t chunk = MIN(bytes, BDRV_ZERO_CHUNK);
    uint8_t *buf;
    int ret = -ENOTSUP;

    if (bs->drv->bdrv_co_pwrite_zeroes) {
        ret = bs->drv->bdrv_co_pwrite_zeroes(bs, offset, bytes,
                                             flags & (BDRV_REQ_MAY_UNMAP |
                                                      BDRV_REQ_NO_FALLBACK));
        if (ret >= 0 && (flags & BDRV_REQ_FUA)) {
            ret = bdrv_co_flush(bs);
        }
    }
    if (ret != -ENOTSUP || (flags & BDRV_REQ_NO_FALLBACK)) {
        return ret;
    }
    /* No efficient way: write a buffer of zeroes. */
    buf = qemu_blockalign0(bs, chunk);
    for (ret = 0; bytes > 0 && ret >= 0;) {
        int64_t n = MIN(bytes, chunk);
        QEMUIOVector qiov;
        qemu_iovec_init_buf(&qiov, buf, n);
        ret = bdrv_driver_pwritev(bs, offset, n, &qiov, 0, flags & BDRV_REQ_FUA);
        offset += n;
        bytes -= n;
    }
    qemu_vfree(buf);
    return ret;
}

static BLOCK_FRAME int coroutine_fn bdrv_aligned_pwritev(BdrvChild *child,
                                                         BdrvTrackedRequest *req,
                                                         int64_t offset, int64_t bytes,
                                                         unsigned align, QEMUIOVector *qiov,
                                                         size_t qiov_offset,
                                                         BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    int ret;

    g_assert(offset % align == 0 && bytes % align == 0);
    g_assert(req->offset <= offset && offset + bytes <= req->offset + req->bytes);
    if (flags & BDRV_REQ_ZERO_WRITE) {
        ret = bdrv_co_do_pwrite_zeroes(bs, offset, bytes, flags);
    } else {
        ret = bdrv_driver_pwritev(bs, offset, bytes, qiov, qiov_offset, flags);
    }
    /* A write past the end grows a protocol node.  Even a failed one may
     * have extended the file, and formats trust that nothing lies beyond
     * the cached length (qcow2 skips copying zeros there). */
    if (offset + bytes > bdrv_getlength(bs)) {
        bs->total_sectors = (offset + bytes + BDRV_SECTOR_SIZE - 1) >> BDRV_SECTOR_BITS;
    }
    return ret;
}

/* Unaligned write: read the partial head and tail blocks, merge, write the
 * whole aligned range.  Serialising, so no overlapping write interleaves
 * between our read and our write.  qiov NULL writes zeroes. */
static int coroutine_fn bdrv_co_rmw_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    unsigned align = bs->request_alignment;
    int64_t start = ROUND_DOWN(offset, (int64_t)align);
    int64_t end = ROUND_UP(offset + bytes, (int64_t)align);
    bool head_partial = offset != start;
    bool tail_partial = offset + bytes != end;
    uint8_t *buf = qemu_blockalign(bs, end - start);
    BdrvTrackedRequest req;
    QEMUIOVector local;
    int ret = 0;

    trace_event(bdrv_co_rmw_pwritev, "bs=%p offset=%" PRId64 " bytes=%" PRId64
                " start=%" PRId64 " end=%" PRId64, bs, offset, bytes, start, end);
    tracked_request_begin(&req, bs, start, end - start, true);
    bdrv_wait_serialising_requests(&req);

    if (head_partial) {
        qemu_iovec_init_buf(&local, buf, align);
        ret = bdrv_aligned_preadv(child, start, align, align, &local, 0, 0);
    }
    /* The tail block is the head block when the request is inside one. */
    if (ret >= 0 && tail_partial && !(head_partial && end - start == align)) {
        qemu_iovec_init_buf(&local, buf + (end - start - align), align);
        ret = bdrv_aligned_preadv(child, end - align, align, align, &local, 0, 0);
    }
    if (ret >= 0) {
        if (qiov) {
            qemu_iovec_to_buf(qiov, qiov_offset, buf + (offset - start), bytes);
        } else {
            memset(buf + (offset - start), 0, bytes);
        }
        qemu_iovec_init_buf(&local, buf, end - start);
        ret = bdrv_aligned_pwritev(child, &req, start, end - start, align, &local, 0,
                                   flags & ~BDRV_REQ_ZERO_WRITE);
    }
    tracked_request_end(&req);
    qemu_vfree(buf);
    return ret;
}

int coroutine_fn bdrv_co_pwritev_part(BdrvChild *child, int64_t offset, int64_t bytes,
                                      QEMUIOVector *qiov, size_t qiov_offset,
                                      BdrvRequestFlags flags)
{
    BlockDriverState *bs = child->bs;
    unsigned align;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!(flags & BDRV_REQ_ZERO_WRITE)) {
        ret = bdrv_check_qiov(qiov, qiov_offset, bytes);
        if (ret < 0 || !qiov) {
            return ret < 0 ? ret : -EINVAL;
        }
    }
    if (bytes == 0) {
        return 0;
    }
    if (bs->detect_zeroes != BLOCKDEV_DETECT_ZEROES_OFF && !(flags & BDRV_REQ_ZERO_WRITE) &&
        qemu_iovec_is_zero(qiov, qiov_offset, bytes)) {
        flags |= BDRV_REQ_ZERO_WRITE;
        if (bs->detect_zeroes == BLOCKDEV_DETECT_ZEROES_UNMAP &&
            (bs->open_flags & BDRV_O_UNMAP)) {
            flags |= BDRV_REQ_MAY_UNMAP;
        }
    }
    trace_event_begin(bdrv_co_pwritev_part, "bs=%p offset=%" PRId64 " bytes=%" PRId64
                      " flags=0x%x", bs, offset, bytes, flags);
    align = MAX(bs->request_alignment, 1);
    bs->in_flight++;
    if (offset % align == 0 && bytes % align == 0) {
        BdrvTrackedRequest req;
        tracked_request_begin(&req, bs, offset, bytes, false);
        bdrv_wait_serialising_requests(&req);
        ret = bdrv_aligned_pwritev(child, &req, offset, bytes, align, qiov, qiov_offset, flags);
        tracked_request_end(&req);
    } else if ((flags & BDRV_REQ_ZERO_WRITE) &&
               ROUND_UP(offset, (int64_t)align) < ROUND_DOWN(offset + bytes, (int64_t)align)) {
        /* Large unaligned zero write: RMW only the partial blocks. */
        int64_t mid = ROUND_UP(offset, (int64_t)align);
        int64_t mid_end = ROUND_DOWN(offset + bytes, (int64_t)align);
        ret = bdrv_co_pwritev_part(child, offset, mid - offset, NULL, 0, flags);
        if (ret >= 0) {
            ret = bdrv_co_pwritev_part(child, mid, mid_end - mid, NULL, 0, flags);
        }
        if (ret >= 0) {
            ret = bdrv_co_pwritev_part(child, mid_end, offset + bytes - mid_end, NULL, 0,
                                       flags);
        }
    } else {
        ret = bdrv_co_rmw_pwritev(child, offset, bytes,
                                  (flags & BDRV_REQ_ZERO_WRITE) ? NULL : qiov, qiov_offset,
                                  flags);
    }
    bs->write_gen++;
    bs->in_flight--;
    trace_event_end(bdrv_co_pwritev_part_done, bdrv_co_pwritev_part, "ret=%d", ret);
    return ret < 0 ? ret : 0;
}

int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return bdrv_co_pwritev_part(child, offset, bytes, qiov, 0, flags);
}

int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                                const void *buf, BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_co_pwritev_part(child, offset, bytes, &qiov, 0, flags);
}

int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                                       BdrvRequestFlags flags)
{
    return bdrv_co_pwritev_part(child, offset, bytes, NULL, 0, flags | BDRV_REQ_ZERO_WRITE);
}

int coroutine_fn bdrv_co_pwritev_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov)
{
    BlockDriverState *bs = child->bs;
    BdrvTrackedRequest req;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (!bs->drv->bdrv_co_pwritev_compressed_part) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0 || (ret = bdrv_check_qiov(qiov, 0, bytes)) < 0) {
        return ret;
    }
    bs->in_flight++;
    tracked_request_begin(&req, bs, offset, bytes, false);
    bdrv_wait_serialising_requests(&req);
    ret = bs->drv->bdrv_co_pwritev_compressed_part(bs, offset, bytes, qiov, 0);
    tracked_request_end(&req);
    bs->write_gen++;
    bs->in_flight--;
    return ret;
}

/* ---- discard, flush, truncate, status ---- */

int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BlockDriverState *bs = child->bs;
    unsigned align;
    int64_t start, end;
    BdrvTrackedRequest req;
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->read_only) {
        return -EPERM;
    }
    ret = bdrv_check_request(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->bdrv_co_pdiscard || !(bs->open_flags & BDRV_O_UNMAP)) {
        return 0; /* discard is advisory; discard=ignore drops it */
    }
    /* Only whole blocks can be dropped; partial ones just stay. */
    align = MAX(bs->request_alignment, 1);
    start = ROUND_UP(offset, (int64_t)align);
    end = ROUND_DOWN(offset + bytes, (int64_t)align);
    if (start >= end) {
        return 0;
    }
    trace_event(bdrv_co_pdiscard, "bs=%p offset=%" PRId64 " bytes=%" PRId64, bs, start,
                end - start);
    bs->in_flight++;
    tracked_request_begin(&req, bs, start, end - start, false);
    bdrv_wait_serialising_requests(&req);
    ret = bs->drv->bdrv_co_pdiscard(bs, start, end - start);
    tracked_request_end(&req);
    bs->write_gen++;
    bs->in_flight--;
    return ret == -ENOTSUP ? 0 : ret;
}

/*
 * Flush order: the format's caches go to its child (flush_to_os), then the
 * protocol makes the data stable (flush_to_disk), then the children do the
 * same.  cache=unsafe (BDRV_O_NO_FLUSH) keeps the first step only, so the
 * image stays consistent without paying for fdatasync.
 */
int coroutine_fn bdrv_co_flush(BlockDriverState *bs)
{
    uint64_t current_gen;
    int ret = 0;

    if (!bs || !bs->drv) {
        return 0;
    }
    trace_event_begin(bdrv_co_flush, "bs=%p", bs);
    bs->in_flight++;
    current_gen = bs->write_gen;
    BLKDBG_EVENT(bs->file, BLKDBG_FLUSH_TO_OS);
    if (bs->drv->bdrv_co_flush_to_os) {
        ret = bs->drv->bdrv_co_flush_to_os(bs);
    }
    if (ret >= 0 && !(bs->open_flags & BDRV_O_NO_FLUSH) && !bs->read_only &&
        bs->flushed_gen != current_gen) {
        BLKDBG_EVENT(bs->file, BLKDBG_FLUSH_TO_DISK);
        if (bs->drv->bdrv_co_flush_to_disk) {
            ret = bs->drv->bdrv_co_flush_to_disk(bs);
        }
        if (ret >= 0) {
            bs->flushed_gen = current_gen;
        }
    }
    if (ret >= 0 && bs->file) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    bs->in_flight--;
    trace_event_end(bdrv_co_flush_done, bdrv_co_flush, "ret=%d", ret);
    return ret;
}

int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset, bool exact,
                                  PreallocMode prealloc, Error **errp)
{
    BlockDriverState *bs = child->bs;
    int ret;

    if (!bs->drv) {
        error_setg(errp, "No medium");
        return -ENOMEDIUM;
    }
    if (offset < 0 || offset > BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid image size %" PRId64, offset);
        return -EINVAL;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!bs->drv->bdrv_co_truncate) {
        error_setg(errp, "Image format '%s' does not support resizing", bs->drv->format_name);
        return -ENOTSUP;
    }
    bs->in_flight++;
    bs->write_gen++;
    ret = bs->drv->bdrv_co_truncate(bs, offset, exact, prealloc, errp);
    if (ret >= 0) {
        int64_t len = bs->drv->bdrv_getlength ? bs->drv->bdrv_getlength(bs) : offset;
        if (len >= 0) {
            bs->total_sectors = (len + BDRV_SECTOR_SIZE - 1) >> BDRV_SECTOR_BITS;
        }
    }
    bs->in_flight--;
    return ret;
}

int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    int64_t total = bdrv_getlength(bs);
    int64_t local_map = 0;
    BlockDriverState *local_file = NULL;
    int ret;

    *pnum = 0;
    if (total < 0) {
        return total;
    }
    if (offset < 0 || bytes < 0) {
        return -EINVAL;
    }
    if (offset >= total || bytes == 0) {
        return 0;
    }
    bytes = MIN(bytes, total - offset);
    if (!bs->drv->bdrv_co_block_status) {
        /* Everything is data, stored where it is addressed. */
        *pnum = bytes;
        local_map = offset;
        local_file = bs;
        ret = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    } else {
        bs->in_flight++;
        ret = bs->drv->bdrv_co_block_status(bs, offset, bytes, pnum, &local_map, &local_file);
        bs->in_flight--;
        if (ret < 0) {
            *pnum = 0;
            return ret;
        }
        *pnum = MIN(MAX(*pnum, 0), bytes);
    }
    /* A protocol node has no backing: what it stores is allocated here
     * (null-co stores nothing: neither data nor zeroes). */
    if (!bs->drv->is_format && (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO))) {
        ret |= BDRV_BLOCK_ALLOCATED;
    }
    if (map) {
        *map = local_map;
    }
    if (file) {
        *file = local_file;
    }
    return ret;
}

/* ---- synchronous wrappers ---- */

#define NOT_DONE INT_MAX

typedef struct BdrvSyncCo {
    BdrvChild *child;
    BlockDriverState *bs;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    bool is_write;
    bool exact;
    PreallocMode prealloc;
    Error **errp;
    int64_t *pnum;
    int64_t *map;
    BlockDriverState **file;
    BdrvCheckResult *check;
    BdrvCheckMode fix;
    int ret;
} BdrvSyncCo;

/* Runs entry in a coroutine (or directly when already in one) and polls
 * the node's AioContext until it has finished. */
static int bdrv_run_co(BlockDriverState *bs, CoroutineEntry *entry, BdrvSyncCo *s)
{
    s->ret = NOT_DONE;
    if (qemu_in_coroutine()) {
        entry(s);
    } else {
        qemu_coroutine_enter(qemu_coroutine_create(entry, s));
        AIO_WAIT_WHILE(bdrv_get_aio_context(bs), s->ret == NOT_DONE);
    }
    return s->ret;
}

static void coroutine_fn bdrv_rw_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    if (s->flags & BDRV_REQ_ZERO_WRITE) {
        s->ret = bdrv_co_pwrite_zeroes(s->child, s->offset, s->bytes, s->flags);
    } else if (s->is_write) {
        s->ret = bdrv_co_pwritev_part(s->child, s->offset, s->bytes, s->qiov, 0, s->flags);
    } else {
        s->ret = bdrv_co_preadv_part(s->child, s->offset, s->bytes, s->qiov, 0, s->flags);
    }
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = { .child = child, .offset = offset, .bytes = bytes, .qiov = &qiov,
                     .flags = flags };
    if (bytes < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return bdrv_run_co(child->bs, bdrv_rw_co_entry, &s);
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = { .child = child, .offset = offset, .bytes = bytes, .qiov = &qiov,
                     .flags = flags & ~BDRV_REQ_ZERO_WRITE, .is_write = true };
    if (bytes < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_run_co(child->bs, bdrv_rw_co_entry, &s);
}

int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags)
{
    BdrvSyncCo s = { .child = child, .offset = offset, .bytes = bytes,
                     .flags = flags | BDRV_REQ_ZERO_WRITE };
    return bdrv_run_co(child->bs, bdrv_rw_co_entry, &s);
}

static void coroutine_fn bdrv_flush_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_flush(s->bs);
}

int bdrv_flush(BlockDriverState *bs)
{
    BdrvSyncCo s = { .bs = bs };
    return bdrv_run_co(bs, bdrv_flush_co_entry, &s);
}

int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                     BdrvRequestFlags flags)
{
    int ret = bdrv_pwrite(child, offset, bytes, buf, flags);
    return ret < 0 ? ret : bdrv_flush(child->bs);
}

/* ---- the VM state area ---- */

static int coroutine_fn bdrv_co_vmstate(BlockDriverState *bs, QEMUIOVector *qiov, int64_t pos,
                                        bool is_write)
{
    const BlockDriver *drv = bs->drv;
    int ret;

    if (!drv) {
        return -ENOMEDIUM;
    }
    if (pos < 0) {
        return -EINVAL;
    }
    if (is_write && bs->read_only) {
        return -EPERM;
    }
    if (is_write ? drv->bdrv_save_vmstate : drv->bdrv_load_vmstate) {
        bs->in_flight++;
        ret = is_write ? drv->bdrv_save_vmstate(bs, qiov, pos)
                       : drv->bdrv_load_vmstate(bs, qiov, pos);
        bs->write_gen += is_write;
        bs->in_flight--;
        return ret;
    }
    /* a filter or raw format keeps the state where its file does */
    if (bs->file) {
        return bdrv_co_vmstate(bs->file->bs, qiov, pos, is_write);
    }
    return -ENOTSUP;
}

int coroutine_fn bdrv_co_writev_vmstate(BlockDriverState *bs, QEMUIOVector *qiov, int64_t pos)
{
    return bdrv_co_vmstate(bs, qiov, pos, true);
}

int coroutine_fn bdrv_co_readv_vmstate(BlockDriverState *bs, QEMUIOVector *qiov, int64_t pos)
{
    return bdrv_co_vmstate(bs, qiov, pos, false);
}

static void coroutine_fn bdrv_vmstate_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_vmstate(s->bs, s->qiov, s->offset, s->is_write);
}

int bdrv_save_vmstate(BlockDriverState *bs, const uint8_t *buf, int64_t pos, int size)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = { .bs = bs, .offset = pos, .qiov = &qiov, .is_write = true };
    int ret;

    if (size < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, size);
    ret = bdrv_run_co(bs, bdrv_vmstate_co_entry, &s);
    return ret < 0 ? ret : size;
}

int bdrv_load_vmstate(BlockDriverState *bs, uint8_t *buf, int64_t pos, int size)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = { .bs = bs, .offset = pos, .qiov = &qiov };
    int ret;

    if (size < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, buf, size);
    ret = bdrv_run_co(bs, bdrv_vmstate_co_entry, &s);
    return ret < 0 ? ret : size;
}

static void coroutine_fn bdrv_discard_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_pdiscard(s->child, s->offset, s->bytes);
}

int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BdrvSyncCo s = { .child = child, .offset = offset, .bytes = bytes };
    return bdrv_run_co(child->bs, bdrv_discard_co_entry, &s);
}

static void coroutine_fn bdrv_truncate_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_truncate(s->child, s->offset, s->exact, s->prealloc, s->errp);
}

int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact, PreallocMode prealloc,
                  Error **errp)
{
    BdrvSyncCo s = { .child = child, .offset = offset, .exact = exact, .prealloc = prealloc,
                     .errp = errp };
    return bdrv_run_co(child->bs, bdrv_truncate_co_entry, &s);
}

static void coroutine_fn bdrv_block_status_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_block_status(s->bs, s->offset, s->bytes, s->pnum, s->map, s->file);
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                      int64_t *map, BlockDriverState **file)
{
    BdrvSyncCo s = { .bs = bs, .offset = offset, .bytes = bytes, .pnum = pnum, .map = map,
                     .file = file };
    return bdrv_run_co(bs, bdrv_block_status_co_entry, &s);
}

static void coroutine_fn bdrv_check_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->bs->in_flight++;
    s->ret = s->bs->drv->bdrv_co_check(s->bs, s->check, s->fix);
    s->bs->in_flight--;
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *result, BdrvCheckMode fix)
{
    BdrvSyncCo s = { .bs = bs, .check = result, .fix = fix };
    memset(result, 0, sizeof(*result));
    if (!bs->drv->bdrv_co_check) {
        return -ENOTSUP;
    }
    return bdrv_run_co(bs, bdrv_check_co_entry, &s);
}

static void coroutine_fn bdrv_compressed_co_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;
    s->ret = bdrv_co_pwritev_compressed(s->child, s->offset, s->bytes, s->qiov);
}

int bdrv_pwrite_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                           const void *buf)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = { .child = child, .offset = offset, .bytes = bytes, .qiov = &qiov };
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_run_co(child->bs, bdrv_compressed_co_entry, &s);
}

/* Down the whole graph first: a request of bs may wait in a node below. */
void bdrv_drain_begin(BlockDriverState *bs)
{
    if (bs->drv && bs->drv->bdrv_drain_begin) {
        bs->drv->bdrv_drain_begin(bs);
    }
    if (bs->file) {
        bdrv_drain_begin(bs->file->bs);
    }
    if (bs->backing) {
        bdrv_drain_begin(bs->backing->bs);
    }
}

void bdrv_drain(BlockDriverState *bs)
{
    bdrv_drain_begin(bs);
    AIO_WAIT_WHILE(bdrv_get_aio_context(bs), bs->in_flight > 0);
    if (bs->file) {
        bdrv_drain(bs->file->bs);
    }
    if (bs->backing) {
        bdrv_drain(bs->backing->bs);
    }
}
