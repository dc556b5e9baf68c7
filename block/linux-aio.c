/*
 * Linux native AIO (io_submit) for O_DIRECT files: the request goes to the
 * device without a worker thread, and the completion arrives on an eventfd
 * the AioContext polls.  Two thread hand-offs fewer per request than the
 * thread pool, which is most of the latency at queue depth 1.
 *
 * Requests that continue each other (same file, same direction, each
 * starting where the previous one ends) are gathered into one io_submit,
 * made from a bottom half at the end of the loop turn: the kernel merges
 * them into large device requests (4 KiB sequential writes at depth 64
 * into an empty raw file: 0.46 s for 75,000 against 6.4 s one by one).
 * With nothing in flight a request goes at once (queue depth 1).  A request that does not
 * continue the run sends the run on its way at once and starts a new one,
 * so scattered requests are not held back: batching those delayed the
 * first of a batch by the kernel's work on the rest, and 4 KiB strided
 * reads at depth 64 ran at 0.8x of one-by-one submission.
 *
 * io_submit itself blocks when the kernel must first write back dirty page
 * cache over the range (a file just written without O_DIRECT) or extend
 * the file: when a submission took long, the thread pool, which waits in
 * parallel, serves for a while.  Buffered I/O would block in io_submit, so
 * file-posix only uses this with O_DIRECT; anything this cannot take (no
 * kernel support, a full queue, another AioContext) answers -EAGAIN and
 * goes to the thread pool instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <linux/aio_abi.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-aio.h"
#include "qemu/coroutine.h"
#include "trace/trace.h"

/* Requests in flight per file; a deeper queue falls back to the pool. */
#define LAIO_MAX_EVENTS 128
/* A submission slower than this per request blocked in the kernel. */
#define LAIO_SLOW_SUBMIT_NS     (100 * 1000)
/* Submissions in a row that must be slow before the pool takes over: one
 * alone is often a first touch (an extent to map) or a preemption, and at
 * queue depth 1 the pool's thread hand-offs cost ~10% (64 KiB qcow2 writes
 * with cache=none went to the pool ~60% of the time on one slow call). */
#define LAIO_SLOW_RUN           3
#define LAIO_BACKOFF_NS         (100 * 1000 * 1000)

struct LinuxAioState {
    AioContext *ctx;
    aio_context_t kctx;
    int efd;
    int in_flight;              /* submitted or waiting to be */
    QEMUBH *submit_bh;
    int nr_pending;
    struct iocb *pending[LAIO_MAX_EVENTS];
    int64_t pending_end;        /* where the pending run ends */
    int64_t resume_ns;          /* the thread pool serves until then */
    int slow_run;               /* consecutive slow submissions */
};

static int64_t laio_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct LinuxAioRequest {
    struct iocb iocb;
    Coroutine *co;
    int64_t ret;
} LinuxAioRequest;

static void laio_completion_cb(void *opaque)
{
    LinuxAioState *s = opaque;
    struct io_event events[LAIO_MAX_EVENTS];
    struct timespec zero = { 0, 0 };
    uint64_t count;
    long n;

    if (read(s->efd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
        return;
    }
    do {
        n = syscall(SYS_io_getevents, s->kctx, 0, LAIO_MAX_EVENTS, events, &zero);
        for (long i = 0; i < n; i++) {
            LinuxAioRequest *req = (LinuxAioRequest *)(uintptr_t)events[i].data;
            req->ret = events[i].res;
            s->in_flight--;
            aio_co_wake(req->co);
        }
    } while (n == LAIO_MAX_EVENTS);
}

/* io_submit for nr requests; how many the kernel took.  Times the call
 * to notice a kernel that blocks in it. */
static int laio_io_submit(LinuxAioState *s, struct iocb **iocbs, int nr)
{
    int64_t start = laio_clock_ns(), took;
    int done = 0;

    while (done < nr) {
        long n = syscall(SYS_io_submit, s->kctx, nr - done, iocbs + done);
        if (n <= 0) {
            break;
        }
        done += n;
    }
    took = laio_clock_ns() - start;
    trace_event(laio_submit, "batch=%d submitted=%d took_ns=%" PRId64, nr, done, took);
    if (took <= LAIO_SLOW_SUBMIT_NS * nr) {
        s->slow_run = 0;
    } else if (++s->slow_run >= LAIO_SLOW_RUN) {
        s->slow_run = 0;
        s->resume_ns = start + took + LAIO_BACKOFF_NS;
    }
    return done;
}

/* Submits the pending run; requests the kernel refused complete with
 * -EAGAIN (their coroutines then go to the thread pool). */
static void laio_submit_pending(LinuxAioState *s)
{
    int done = laio_io_submit(s, s->pending, s->nr_pending);

    for (int i = done; i < s->nr_pending; i++) {
        LinuxAioRequest *req = (LinuxAioRequest *)(uintptr_t)s->pending[i]->aio_data;
        req->ret = -EAGAIN;
        s->in_flight--;
        aio_co_wake(req->co);
    }
    s->nr_pending = 0;
}

static void laio_submit_bh(void *opaque)
{
    laio_submit_pending(opaque);
}

/* Does the request continue the pending run? */
static bool laio_continues_run(LinuxAioState *s, const struct iocb *iocb)
{
    const struct iocb *last;

    if (!s->nr_pending) {
        return true;
    }
    last = s->pending[s->nr_pending - 1];
    return last->aio_fildes == iocb->aio_fildes &&
           last->aio_lio_opcode == iocb->aio_lio_opcode &&
           (int64_t)iocb->aio_offset == s->pending_end;
}

LinuxAioState *laio_init(AioContext *ctx)
{
    LinuxAioState *s = g_new0(LinuxAioState, 1);

    s->ctx = ctx;
    s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->efd < 0) {
        g_free(s);
        return NULL;
    }
    if (syscall(SYS_io_setup, LAIO_MAX_EVENTS, &s->kctx) < 0) {
        close(s->efd);
        g_free(s);
        return NULL;
    }
    aio_set_fd_handler(ctx, s->efd, laio_completion_cb, NULL, s);
    s->submit_bh = aio_bh_new(ctx, laio_submit_bh, s);
    return s;
}

void laio_cleanup(LinuxAioState *s)
{
    if (!s) {
        return;
    }
    aio_set_fd_handler(s->ctx, s->efd, NULL, NULL, NULL);
    qemu_bh_delete(s->submit_bh);
    syscall(SYS_io_destroy, s->kctx);
    close(s->efd);
    g_free(s);
}

int64_t coroutine_fn laio_co_submit(LinuxAioState *s, int fd, int64_t offset,
                                    struct iovec *iov, int niov, bool is_write)
{
    LinuxAioRequest req = { .co = qemu_coroutine_self() };

    if (qemu_get_current_aio_context() != s->ctx || s->in_flight >= LAIO_MAX_EVENTS ||
        (s->resume_ns && laio_clock_ns() < s->resume_ns)) {
        return -EAGAIN;
    }
    req.iocb.aio_data = (uintptr_t)&req;
    req.iocb.aio_lio_opcode = is_write ? IOCB_CMD_PWRITEV : IOCB_CMD_PREADV;
    req.iocb.aio_fildes = fd;
    req.iocb.aio_buf = (uintptr_t)iov;
    req.iocb.aio_nbytes = niov;
    req.iocb.aio_offset = offset;
    req.iocb.aio_flags = IOCB_FLAG_RESFD;
    req.iocb.aio_resfd = s->efd;
    if (s->in_flight == 0) {
        /* Nothing in flight, nothing to merge with: go now, which saves
         * the bottom half's loop turn (queue depth 1). */
        struct iocb *iocb = &req.iocb;
        if (laio_io_submit(s, &iocb, 1) != 1) {
            return -EAGAIN; /* refused: the thread pool does it */
        }
        s->in_flight++;
        qemu_coroutine_yield();
        return req.ret;
    }
    if (!laio_continues_run(s, &req.iocb)) {
        laio_submit_pending(s);
    }
    s->pending[s->nr_pending++] = &req.iocb;
    s->pending_end = offset;
    for (int i = 0; i < niov; i++) {
        s->pending_end += iov[i].iov_len;
    }
    s->in_flight++;
    qemu_bh_schedule(s->submit_bh);
    /* We run in s->ctx, where the completion handler (or the BH, for a
     * request the kernel refused) wakes us. */
    qemu_coroutine_yield();
    return req.ret;
}
