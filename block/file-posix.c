/*
 * The "file" protocol: a POSIX file (or block device).
 *
 * cache=none/directsync open with O_DIRECT (requests and buffers must then
 * be aligned: io.c aligns requests, we bounce misaligned buffers);
 * writethrough/directsync add O_DSYNC.  Reads and writes run on the thread
 * pool so a slow disk never stalls the AioContext.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "block_int.h"
#include "file-lock.h"
#include "linux-aio.h"
#include "trace/trace.h"

typedef struct BDRVRawState {
    int fd;
    unsigned mem_align;     /* O_DIRECT buffer alignment; 1 without O_DIRECT */
    bool has_discard;
    bool has_write_zeroes;
    bool use_inline;        /* page cache: try requests inline (file_try_inline) */
    bool write_nowait;      /* the file system takes RWF_NOWAIT for writes */
    int64_t inline_write_resume_ns; /* writes go to the pool until then */
    int inline_write_slow_run;      /* consecutive slow inline writes */
    LinuxAioState *aio;             /* O_DIRECT: native AIO, set up on first use */
    bool aio_unavailable;
    /* The aio= option (file_open); neither: native AIO for O_DIRECT I/O */
    bool aio_threads;       /* aio=threads: never native AIO */
    bool aio_native;        /* aio=native: asked for; needs O_DIRECT */
    /* Preallocation after EOF (file_prealloc_co); prealloc_size 0: off */
    int64_t prealloc_size;
    int64_t data_end;       /* what getlength reports: the end of written data */
    int64_t prealloc_end;   /* the file's real size, data_end plus the reserve */
    CoMutex prealloc_lock;
    FileLock lock;          /* the image's lock bytes (file-lock.c) */
} BDRVRawState;

typedef enum {
    FILE_AIO_READ,
    FILE_AIO_WRITE,
    FILE_AIO_FLUSH,
    FILE_AIO_DISCARD,
    FILE_AIO_WRITE_ZEROES,
    FILE_AIO_WRITE_ZEROES_UNMAP,
    FILE_AIO_PREALLOCATE,
} FileAIOType;

static const char *const file_aio_type_names[] = {
    "read", "write", "flush", "discard", "write_zeroes", "write_zeroes_unmap", "preallocate",
};

/* One request as a worker thread sees it. */
typedef struct RawPosixAIOData {
    int fd;
    FileAIOType type;
    int64_t offset;
    int64_t bytes;
    struct iovec *iov;
    int niov;
} RawPosixAIOData;

/* ---- worker-thread side ---- */

static int handle_aiocb_rw(RawPosixAIOData *aio)
{
    struct iovec stack_iov[16];
    struct iovec *iov_alloc = aio->niov <= 16 ? NULL : g_new(struct iovec, aio->niov);
    struct iovec *iov = iov_alloc ? iov_alloc : stack_iov;
    int niov = aio->niov;
    int64_t offset = aio->offset, done = 0;
    int ret = 0;

    /* Copied because a partial transfer advances the vector. */
    memcpy(iov, aio->iov, niov * sizeof(*iov));
    while (done < aio->bytes) {
        ssize_t n = aio->type == FILE_AIO_READ ? preadv(aio->fd, iov, niov, offset)
                                               : pwritev(aio->fd, iov, niov, offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (aio->type == FILE_AIO_WRITE) {
                ret = -EIO;
                break;
            }
            /* Past end of file: the rest reads as zeroes. */
            for (int i = 0; i < niov; i++) {
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            }
            break;
        }
        done += n;
        offset += n;
        while (niov && (size_t)n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            niov--;
        }
        if (niov) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
    g_free(iov_alloc);
    return ret;
}

static int do_fallocate(int fd, int mode, int64_t offset, int64_t bytes)
{
    while (fallocate(fd, mode, offset, bytes) < 0) {
        if (errno != EINTR) {
            return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
        }
    }
    return 0;
}

static int handle_aiocb_write_zeroes(RawPosixAIOData *aio, bool unmap)
{
    struct stat st;
    int ret;

    if (unmap) {
        /* Punching a hole keeps the size; extend first if needed. */
        if (fstat(aio->fd, &st) < 0) {
            return -errno;
        }
        if (aio->offset + aio->bytes > st.st_size &&
            ftruncate(aio->fd, aio->offset + aio->bytes) < 0) {
            return -errno;
        }
        ret = do_fallocate(aio->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, aio->offset,
                           aio->bytes);
        if (ret != -ENOTSUP) {
            return ret;
        }
    }
    return do_fallocate(aio->fd, FALLOC_FL_ZERO_RANGE, aio->offset, aio->bytes);
}

static int file_aio_worker(void *opaque)
{
    RawPosixAIOData *aio = opaque;

    switch (aio->type) {
    case FILE_AIO_READ:
    case FILE_AIO_WRITE:
        return handle_aiocb_rw(aio);
    case FILE_AIO_FLUSH:
        return fdatasync(aio->fd) < 0 ? -errno : 0;
    case FILE_AIO_DISCARD:
        return do_fallocate(aio->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, aio->offset,
                            aio->bytes);
    case FILE_AIO_WRITE_ZEROES:
    case FILE_AIO_WRITE_ZEROES_UNMAP:
        return handle_aiocb_write_zeroes(aio, aio->type == FILE_AIO_WRITE_ZEROES_UNMAP);
    case FILE_AIO_PREALLOCATE:
        return do_fallocate(aio->fd, 0, aio->offset, aio->bytes);
    }
    return -EINVAL;
}

/* ---- coroutine side ---- */

/*
 * O_DIRECT reads and writes go to Linux native AIO when it takes them (the
 * default, and aio=native); aio=threads sends nothing there.  Measured
 * with duet-img bench, 4 KiB strided reads, cache=none, depth 64: native
 * AIO 1.15-1.4x of qemu-img's default thread pool, our thread pool ~1.0x.
 * Returns -EAGAIN when AIO does not take the request, or when the transfer
 * came back short: the thread pool then redoes it whole.
 */
static int coroutine_fn file_try_native(BlockDriverState *bs, RawPosixAIOData *aio)
{
    BDRVRawState *s = bs->opaque;
    int64_t ret;

    if (s->mem_align <= 1 || s->aio_unavailable || s->aio_threads ||
        (aio->type != FILE_AIO_WRITE && aio->type != FILE_AIO_READ)) {
        return -EAGAIN;
    }
    if (!s->aio) {
        s->aio = laio_init(qemu_get_current_aio_context());
        if (!s->aio) {
            s->aio_unavailable = true;
            return -EAGAIN;
        }
    }
    ret = laio_co_submit(s->aio, aio->fd, aio->offset, aio->iov, aio->niov,
                         aio->type == FILE_AIO_WRITE);
    if (ret == -EINVAL || ret == -ENOSYS || ret == -EOPNOTSUPP) {
        return -EAGAIN; /* this request or file is not for native AIO */
    }
    if (ret >= 0 && ret != aio->bytes) {
        return -EAGAIN;
    }
    return ret < 0 ? ret : 0;
}

static int coroutine_fn file_submit(BlockDriverState *bs, RawPosixAIOData *aio)
{
    int ret;

    trace_event_begin(file_paio_submit, "bs=%p type=%s offset=%" PRId64 " bytes=%" PRId64, bs,
                      file_aio_type_names[aio->type], aio->offset, aio->bytes);
    ret = file_try_native(bs, aio);
    if (ret == -EAGAIN) {
        ret = thread_pool_submit_co(file_aio_worker, aio);
    }
    trace_event_end(file_paio_complete, file_paio_submit, "bs=%p type=%s offset=%" PRId64
                    " ret=%d", bs, file_aio_type_names[aio->type], aio->offset, ret);
    return ret;
}

/*
 * Page-cache hits and buffered writes complete in a few microseconds, far
 * less than a round trip through a worker thread: do them inline and only
 * hand the rest to the thread pool.  Reads use RWF_NOWAIT, which fails with
 * EAGAIN instead of blocking on the disk.  Buffered writes use it too where
 * the file system supports it; where it does not (ext4 answers EOPNOTSUPP)
 * a plain write is made inline; when several in a row take long (dirty-page
 * throttling, a journal commit) writes go to the thread pool for a while,
 * so a slow disk stalls the AioContext briefly rather than per request.
 * One slow write alone is not enough: on a loaded host the thread is
 * sometimes just preempted.
 * Never for O_DIRECT (it waits for the device) nor O_DSYNC (for the flush).
 */
#define FILE_INLINE_SLOW_NS     (5 * 1000 * 1000)
#define FILE_INLINE_SLOW_RUN    3
#define FILE_INLINE_BACKOFF_NS  (200 * 1000 * 1000)

static int64_t file_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool file_try_inline_write(BDRVRawState *s, RawPosixAIOData *aio)
{
    int64_t start, took;
    ssize_t n;

    if (s->write_nowait) {
        n = pwritev2(aio->fd, aio->iov, aio->niov, aio->offset, RWF_NOWAIT);
        if (n >= 0 || (errno != EOPNOTSUPP && errno != EINVAL)) {
            return n == aio->bytes;
        }
        s->write_nowait = false;
    }
    start = file_clock_ns();
    if (start < s->inline_write_resume_ns) {
        return false;
    }
    n = pwritev(aio->fd, aio->iov, aio->niov, aio->offset);
    took = file_clock_ns() - start;
    if (took <= FILE_INLINE_SLOW_NS) {
        s->inline_write_slow_run = 0;
    } else if (++s->inline_write_slow_run >= FILE_INLINE_SLOW_RUN) {
        trace_event(file_inline_write_slow, "took_ns=%" PRId64, took);
        s->inline_write_slow_run = 0;
        s->inline_write_resume_ns = start + took + FILE_INLINE_BACKOFF_NS;
    }
    return n == aio->bytes;
}

static bool file_try_inline(BDRVRawState *s, RawPosixAIOData *aio)
{
    ssize_t n;

    if (!s->use_inline || aio->niov > IOV_MAX) {
        return false;
    }
    if (aio->type == FILE_AIO_WRITE) {
        return file_try_inline_write(s, aio);
    }
    n = preadv2(aio->fd, aio->iov, aio->niov, aio->offset, RWF_NOWAIT);
    if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
        s->use_inline = false;
    }
    /* Anything short (EOF, partial, EAGAIN) is redone whole by a worker. */
    return n == aio->bytes;
}

static bool qiov_is_aligned(BlockDriverState *bs, QEMUIOVector *qiov)
{
    BDRVRawState *s = bs->opaque;
    for (int i = 0; i < qiov->niov; i++) {
        if ((uintptr_t)qiov->iov[i].iov_base % s->mem_align ||
            qiov->iov[i].iov_len % bs->request_alignment) {
            return false;
        }
    }
    return true;
}

static int coroutine_fn file_co_prw(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                    QEMUIOVector *qiov, size_t qiov_offset, FileAIOType type)
{
    BDRVRawState *s = bs->opaque;
    RawPosixAIOData aio = { .fd = s->fd, .type = type, .offset = offset, .bytes = bytes };
    QEMUIOVector slice;
    QEMUIOVector *q = qiov;
    void *bounce = NULL;
    struct iovec bounce_iov;
    int ret;

    if (qiov_offset != 0 || qiov->size != (size_t)bytes) {
        qemu_iovec_init_slice(&slice, qiov, qiov_offset, bytes);
        q = &slice;
    }
    if (s->mem_align > 1 && !qiov_is_aligned(bs, q)) {
        /* O_DIRECT with a caller buffer it cannot take: bounce. */
        bounce = qemu_blockalign(bs, bytes);
        if (type == FILE_AIO_WRITE) {
            qemu_iovec_to_buf(q, 0, bounce, bytes);
        }
        bounce_iov = (struct iovec){ bounce, bytes };
        aio.iov = &bounce_iov;
        aio.niov = 1;
    } else {
        aio.iov = q->iov;
        aio.niov = q->niov;
    }
    trace_event_begin(file_co_prw, "bs=%p type=%s offset=%" PRId64 " bytes=%" PRId64, bs,
                      file_aio_type_names[type], offset, bytes);
    if (file_try_inline(s, &aio)) {
        trace_event(file_complete_nowait, "bs=%p type=%s offset=%" PRId64 " bytes=%" PRId64,
                    bs, file_aio_type_names[type], offset, bytes);
        ret = 0;
    } else {
        ret = file_submit(bs, &aio);
    }
    if (bounce) {
        if (type == FILE_AIO_READ && ret >= 0) {
            qemu_iovec_from_buf(q, 0, bounce, bytes);
        }
        qemu_vfree(bounce);
    }
    if (q == &slice) {
        qemu_iovec_destroy(&slice);
    }
    trace_event_end(file_co_prw_done, file_co_prw, "ret=%d", ret);
    return ret;
}

/*
 * Preallocation after EOF (the job of QEMU's "preallocate" filter).  On
 * ext4 an O_DIRECT write that extends the file takes the inode lock
 * exclusively and waits for the device, so a growing image (qcow2 putting
 * new clusters at the end) writes one request at a time, and io_submit
 * blocks.  Growing the file by a large chunk with fallocate() first makes
 * those writes land inside the file, where they run in parallel and
 * through native AIO.  Measured here, 1 GiB of 64 KiB allocating qcow2
 * writes at depth 64 with cache=none: 1.7-1.9 s plain, 0.5 s preallocated.
 * getlength reports data_end, the end of what was written; close and
 * truncate give the file that length back.  After a crash the reserve
 * stays: zeroes past the image's last cluster, which qcow2 never reads.
 */
#define FILE_PREALLOC_SIZE  (128 * 1024 * 1024)
#define FILE_PREALLOC_ALIGN (1024 * 1024)

/* The prealloc-size option (QEMU's preallocate filter has the same name);
 * 0 turns preallocation off. */
static bool file_prealloc_take_option(BlockDriverState *bs, uint64_t *size, Error **errp)
{
    *size = FILE_PREALLOC_SIZE;
    if (!bdrv_opt_take_size(bs->options, "prealloc-size", size, errp)) {
        return false;
    }
    if (*size > (1ULL << 40)) {
        error_setg(errp, "prealloc-size must be at most 1T");
        return false;
    }
    return true;
}

static void file_prealloc_init(BlockDriverState *bs, int flags, uint64_t size)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;

    s->prealloc_size = 0;
    qemu_co_mutex_init(&s->prealloc_lock);
    if (!size || !(flags & BDRV_O_NOCACHE) || !(flags & BDRV_O_RDWR) ||
        fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return;
    }
    s->prealloc_size = size;
    s->data_end = s->prealloc_end = st.st_size;
}

/* Makes sure [.., end) lies inside the file before a write to it. */
static void coroutine_fn file_prealloc_co(BlockDriverState *bs, int64_t end)
{
    BDRVRawState *s = bs->opaque;

    if (!s->prealloc_size || end <= s->prealloc_end) {
        return;
    }
    qemu_co_mutex_lock(&s->prealloc_lock);
    if (s->prealloc_size && end > s->prealloc_end) {
        int64_t aligned_end = (end + FILE_PREALLOC_ALIGN - 1) & ~(int64_t)(FILE_PREALLOC_ALIGN - 1);
        int64_t new_end = aligned_end + s->prealloc_size;
        RawPosixAIOData aio = { .fd = s->fd, .type = FILE_AIO_PREALLOCATE,
                                .offset = s->prealloc_end,
                                .bytes = new_end - s->prealloc_end };
        int ret = thread_pool_submit_co(file_aio_worker, &aio);
        struct stat st;

        trace_event(file_prealloc, "bs=%p from=%" PRId64 " to=%" PRId64 " ret=%d", bs,
                    aio.offset, new_end, ret);
        if (ret == 0) {
            s->prealloc_end = new_end;
        } else {
            /* No space or no fallocate: plain extending writes from now on
             * (they still work; they report ENOSPC themselves). */
            s->prealloc_size = 0;
            if (fstat(s->fd, &st) == 0) {
                s->prealloc_end = MAX(s->data_end, (int64_t)st.st_size);
            }
        }
    }
    qemu_co_mutex_unlock(&s->prealloc_lock);
}

static void file_prealloc_written(BDRVRawState *s, int64_t end)
{
    if (end > s->data_end) {
        s->data_end = end;
    }
}

/* Gives the file back its data length (close). */
static void file_prealloc_trim(BDRVRawState *s)
{
    if (s->prealloc_end > s->data_end && ftruncate(s->fd, s->data_end) == 0) {
        s->prealloc_end = s->data_end;
    }
}

static int coroutine_fn file_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                            int64_t bytes, QEMUIOVector *qiov,
                                            size_t qiov_offset, BdrvRequestFlags flags)
{
    return file_co_prw(bs, offset, bytes, qiov, qiov_offset, FILE_AIO_READ);
}

static int coroutine_fn file_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, QEMUIOVector *qiov,
                                             size_t qiov_offset, BdrvRequestFlags flags)
{
    int ret;

    file_prealloc_co(bs, offset + bytes);
    ret = file_co_prw(bs, offset, bytes, qiov, qiov_offset, FILE_AIO_WRITE);
    if (ret == 0) {
        file_prealloc_written(bs->opaque, offset + bytes);
    }
    return ret;
}

static int coroutine_fn file_co_flush_to_disk(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    RawPosixAIOData aio = { .fd = s->fd, .type = FILE_AIO_FLUSH };
    return file_submit(bs, &aio);
}

static int coroutine_fn file_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    BDRVRawState *s = bs->opaque;
    RawPosixAIOData aio = { .fd = s->fd, .type = FILE_AIO_DISCARD, .offset = offset,
                            .bytes = bytes };
    int ret;

    if (!s->has_discard) {
        return -ENOTSUP;
    }
    ret = file_submit(bs, &aio);
    if (ret == -ENOTSUP) {
        s->has_discard = false;
    }
    return ret;
}

static int coroutine_fn file_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                              int64_t bytes, BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    RawPosixAIOData aio = {
        .fd = s->fd,
        .type = (flags & BDRV_REQ_MAY_UNMAP) ? FILE_AIO_WRITE_ZEROES_UNMAP
                                             : FILE_AIO_WRITE_ZEROES,
        .offset = offset,
        .bytes = bytes,
    };
    int ret;

    if (!s->has_write_zeroes) {
        return -ENOTSUP;
    }
    file_prealloc_co(bs, offset + bytes);
    ret = file_submit(bs, &aio);
    if (ret == -ENOTSUP) {
        s->has_write_zeroes = false;
    } else if (ret == 0) {
        file_prealloc_written(s, offset + bytes);
    }
    return ret;
}

static int coroutine_fn file_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                         PreallocMode prealloc, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        error_setg_errno(errp, errno, "Failed to stat '%s'", bs->filename);
        return -errno;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "Cannot resize '%s': not a regular file", bs->filename);
        return -ENOTSUP;
    }
    if (ftruncate(s->fd, offset) < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Failed to resize '%s'", bs->filename);
        return -err;
    }
    s->data_end = s->prealloc_end = offset;
    if (prealloc == PREALLOC_MODE_FALLOC && offset > st.st_size) {
        int ret = do_fallocate(s->fd, 0, st.st_size, offset - st.st_size);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not preallocate '%s'", bs->filename);
            return ret;
        }
    }
    if (prealloc == PREALLOC_MODE_FULL && offset > st.st_size) {
        /* full: the new range written with zeroes, so that it is allocated */
        g_autofree uint8_t *zeroes = g_malloc0(1 << 20);

        for (int64_t off = st.st_size; off < offset; off += 1 << 20) {
            size_t n = MIN(offset - off, 1 << 20);

            if (pwrite(s->fd, zeroes, n, off) != (ssize_t)n) {
                int err = errno ? errno : EIO;
                error_setg_errno(errp, err, "Could not write zeroes for preallocation");
                return -err;
            }
        }
    }
    return 0;
}

/* SEEK_DATA/SEEK_HOLE tell data from holes without reading. */
static int coroutine_fn file_co_block_status(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, int64_t *pnum, int64_t *map,
                                             BlockDriverState **file)
{
    BDRVRawState *s = bs->opaque;
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    int ret;

    *map = offset;
    *file = bs;
    if (data < 0 && errno == ENXIO) {
        /* No data at or after offset: a hole up to the end. */
        *pnum = bytes;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    if (data < 0) {
        /* Not supported here: say data, which is always correct. */
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    if (data > offset) {
        *pnum = MIN(bytes, data - offset);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    ret = BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    *pnum = hole < 0 || hole <= offset ? bytes : MIN(bytes, hole - offset);
    return ret;
}

static int64_t file_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;
    off_t end;

    if (s->prealloc_size) {
        return s->data_end;
    }
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    if (S_ISREG(st.st_mode)) {
        return st.st_size;
    }
    end = lseek(s->fd, 0, SEEK_END);
    return end < 0 ? -errno : end;
}

static int64_t file_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;
    return fstat(s->fd, &st) < 0 ? -errno : (int64_t)st.st_blocks * 512;
}

/* The O_DIRECT alignment the kernel reports (Linux 6.1+), else the
 * conservative 4 KiB. */
static void file_probe_alignment(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct statx stx;

    bs->request_alignment = 4096;
    s->mem_align = 4096;
    if (statx(s->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
        bs->request_alignment = MAX(stx.stx_dio_offset_align, 512);
        s->mem_align = MAX(stx.stx_dio_mem_align, 1);
    }
}

static int file_open(BlockDriverState *bs, const char *filename, int flags, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    int open_flags = O_CLOEXEC | ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY);
    g_autofree char *aio_mode = bdrv_opt_take_str(bs->options, "aio");
    g_autofree char *locking = bdrv_opt_take_str(bs->options, "locking");
    uint64_t prealloc_size;

    if (!filename || !filename[0]) {
        error_setg(errp, "The 'file' block driver requires a file name");
        return -EINVAL;
    }
    if (!file_prealloc_take_option(bs, &prealloc_size, errp)) {
        return -EINVAL;
    }
    /* QEMU's aio= values; without the option file_try_native decides. */
    if (aio_mode) {
        s->aio_threads = !strcmp(aio_mode, "threads");
        s->aio_native = !strcmp(aio_mode, "native");
        if (!strcmp(aio_mode, "io_uring")) {
            error_setg(errp, "aio=io_uring is not supported by this build of duet "
                       "(use aio=threads or aio=native)");
            return -ENOTSUP;
        }
        if (!s->aio_threads && !s->aio_native) {
            error_setg(errp, "Parameter 'aio' expects threads, native or io_uring, not '%s'",
                       aio_mode);
            return -EINVAL;
        }
        /* Linux AIO is only asynchronous for O_DIRECT. */
        if (s->aio_native && !(flags & BDRV_O_NOCACHE)) {
            error_setg(errp, "aio=native was specified, but it requires cache.direct=on, "
                       "which was not specified.");
            return -EINVAL;
        }
    }
    if (flags & BDRV_O_NOCACHE) {
        open_flags |= O_DIRECT;
    }
    if (flags & BDRV_O_DSYNC) {
        open_flags |= O_DSYNC;
    }
    s->fd = open(filename, open_flags);
    if (s->fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not open '%s'", filename);
        return -err;
    }
    /* Takes no lock yet: the node's users give it its permissions
     * (file_check_perm) before anything reads or writes the image. */
    if (!file_lock_init(&s->lock, s->fd, locking, errp)) {
        close(s->fd);
        s->fd = -1;
        return -EINVAL;
    }
    s->mem_align = 1;
    s->has_discard = true;
    s->has_write_zeroes = true;
    s->use_inline = !(flags & (BDRV_O_NOCACHE | BDRV_O_DSYNC));
    s->write_nowait = true;
    if (flags & BDRV_O_NOCACHE) {
        file_probe_alignment(bs);
    }
    if (s->aio_native) {
        /* Asked for by name: no silent fallback to the thread pool. */
        s->aio = laio_init(qemu_get_current_aio_context());
        if (!s->aio) {
            error_setg(errp, "aio=native: Linux AIO is not available on this host");
            close(s->fd);
            s->fd = -1;
            return -ENOTSUP;
        }
    }
    file_prealloc_init(bs, flags, prealloc_size);
    return 0;
}

static void file_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    laio_cleanup(s->aio);
    s->aio = NULL;
    if (s->fd >= 0) {
        file_prealloc_trim(s);
        file_lock_release(&s->lock, s->fd);
        close(s->fd);
        s->fd = -1;
    }
}

static const char *const file_prealloc_modes[] = { "off", "falloc", "full", NULL };

/* raw's too: raw_create hands its options on. */
static const QemuOptDesc file_create_opts[] = {
    { .name = "size", .type = QEMU_OPT_SIZE, .help = "Virtual disk size" },
    /* Hints QEMU applies on btrfs (nocow) and XFS (extent size) only and
     * ignores elsewhere; duet takes them and ignores them everywhere. */
    { .name = "nocow", .type = QEMU_OPT_BOOL,
      .help = "Turn off copy-on-write (valid only on btrfs)" },
    { .name = "preallocation", .type = QEMU_OPT_STRING, .help = "Preallocation mode",
      .values = file_prealloc_modes },
    { .name = "extent_size_hint", .type = QEMU_OPT_SIZE,
      .help = "Extent size hint for the image file, 0 to disable" },
    { NULL },
};

static const char *const file_aio_modes[] = { "threads", "native", "io_uring", NULL };

/* For help; file_open takes them. */
static const QemuOptDesc file_runtime_opts[] = {
    { .name = "aio", .type = QEMU_OPT_STRING,
      .help = "Host AIO (native needs cache=none or directsync; io_uring is not built)",
      .values = file_aio_modes },
    { .name = "prealloc-size", .type = QEMU_OPT_SIZE,
      .help = "Bytes an O_DIRECT file grows by when a write passes its end (0: off)",
      .def_value_str = "128M" },
    { NULL },
};

static int file_check_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared,
                           Error **errp)
{
    BDRVRawState *s = bs->opaque;
    return file_lock_check(&s->lock, s->fd, perm, shared, bs->filename, errp);
}

static void file_set_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    BDRVRawState *s = bs->opaque;
    file_lock_commit(&s->lock, s->fd);
}

static void file_abort_perm(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    file_lock_abort(&s->lock, s->fd);
}

/*
 * Like qemu-img: an existing file is only cut to the new size after the
 * locks say nobody uses it (write and resize held, resize not shared), so
 * creating over an image a running VM has open fails without harming it.
 */
static bool file_perm_enforced(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    return s->lock.enabled;
}

/* bdrv_create has checked the value against file_prealloc_modes. */
static int file_create(BlockCreateOpts *opts, Error **errp)
{
    FileLock lock;
    const char *prealloc = opts->opts ? qemu_opt_get(opts->opts, "preallocation") : NULL;
    int fd, ret = 0;

    fd = open(opts->filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not create '%s'", opts->filename);
        return -err;
    }
    if (!file_lock_init(&lock, fd, NULL, errp)) {
        close(fd);
        return -EINVAL;
    }
    ret = file_lock_check(&lock, fd, BLK_PERM_WRITE | BLK_PERM_RESIZE,
                          BLK_PERM_ALL & ~BLK_PERM_RESIZE, opts->filename, errp);
    if (ret < 0) {
        close(fd);
        return ret;
    }
    file_lock_commit(&lock, fd);
    if (ftruncate(fd, 0) < 0 || ftruncate(fd, opts->size) < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not resize file");
    } else if (prealloc && !strcmp(prealloc, "falloc") && opts->size > 0) {
        ret = do_fallocate(fd, 0, 0, opts->size);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not preallocate data for the new file");
        }
    } else if (prealloc && !strcmp(prealloc, "full")) {
        g_autofree uint8_t *zeroes = g_malloc0(1 << 20);
        for (int64_t off = 0; off < opts->size && ret == 0; off += 1 << 20) {
            size_t n = MIN(opts->size - off, 1 << 20);
            if (pwrite(fd, zeroes, n, off) != (ssize_t)n) {
                ret = -EIO;
                error_setg(errp, "Could not write zeroes for preallocation");
            }
        }
    }
    file_lock_release(&lock, fd);
    if (close(fd) < 0 && ret == 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not close the new file");
    }
    return ret;
}

const BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(BDRVRawState),
    .bdrv_file_open = file_open,
    .bdrv_close = file_close,
    .bdrv_create = file_create,
    .create_opts = file_create_opts,
    .runtime_opts = file_runtime_opts,
    .bdrv_co_preadv_part = file_co_preadv_part,
    .bdrv_co_pwritev_part = file_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = file_co_pwrite_zeroes,
    .bdrv_co_pdiscard = file_co_pdiscard,
    .bdrv_co_flush_to_disk = file_co_flush_to_disk,
    .bdrv_co_truncate = file_co_truncate,
    .bdrv_co_block_status = file_co_block_status,
    .bdrv_getlength = file_getlength,
    .bdrv_get_allocated_file_size = file_get_allocated_file_size,
    .bdrv_check_perm = file_check_perm,
    .bdrv_set_perm = file_set_perm,
    .bdrv_abort_perm = file_abort_perm,
    .bdrv_perm_enforced = file_perm_enforced,
};
