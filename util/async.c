/*
 * AioContext core: bottom halves, aio_notify, the GSource glue, and waking
 * coroutines into their context.
 *
 * A BH may be scheduled from any thread; everything else about an
 * AioContext belongs to the thread that runs it (with the BQL, for the
 * main context).
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "aio-int.h"
#include "coroutine-int.h"
#include "qemu/main-loop.h"
#include "trace/trace.h"

struct QEMUBH {
    AioContext *ctx;
    QEMUBHFunc *cb;
    void *opaque;
    bool queued;     /* in ctx->bh_list or a batch being run */
    bool scheduled;  /* should run when dequeued */
    bool deleted;    /* free when dequeued */
    bool oneshot;    /* free after running */
};

static __thread AioContext *current_ctx;

AioContext *aio_context_push_current(AioContext *ctx)
{
    AioContext *prev = current_ctx;
    current_ctx = ctx;
    return prev;
}

void aio_context_pop_current(AioContext *prev)
{
    current_ctx = prev;
}

/* Out of line on purpose: callers may be coroutines that changed thread. */
__attribute__((noinline)) AioContext *aio_context_dispatching(void)
{
    __asm__ volatile("" ::: "memory");
    return current_ctx;
}

__attribute__((noinline)) AioContext *qemu_get_current_aio_context(void)
{
    AioContext *ctx = aio_context_dispatching();
    return ctx ? ctx : qemu_get_aio_context();
}

/* ---- bottom halves ---- */

static QEMUBH *bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque, bool oneshot)
{
    QEMUBH *bh = g_new0(QEMUBH, 1);
    bh->ctx = ctx;
    bh->cb = cb;
    bh->opaque = opaque;
    bh->oneshot = oneshot;
    return bh;
}

QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    return bh_new(ctx, cb, opaque, false);
}

void qemu_bh_schedule(QEMUBH *bh)
{
    AioContext *ctx = bh->ctx;
    bool was_scheduled;

    g_mutex_lock(&ctx->bh_lock);
    was_scheduled = bh->scheduled;
    bh->scheduled = true;
    if (!bh->queued) {
        bh->queued = true;
        g_queue_push_tail(&ctx->bh_list, bh);
    }
    g_mutex_unlock(&ctx->bh_lock);
    trace_event(qemu_bh_schedule, "bh=%p cb=%p", (void *)bh, (void *)bh->cb);
    if (!was_scheduled) {
        aio_notify(ctx);
    }
}

void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    qemu_bh_schedule(bh_new(ctx, cb, opaque, true));
}

void qemu_bh_cancel(QEMUBH *bh)
{
    g_mutex_lock(&bh->ctx->bh_lock);
    bh->scheduled = false;
    g_mutex_unlock(&bh->ctx->bh_lock);
}

void qemu_bh_delete(QEMUBH *bh)
{
    AioContext *ctx = bh->ctx;
    bool free_now;

    g_mutex_lock(&ctx->bh_lock);
    bh->scheduled = false;
    bh->deleted = true;
    free_now = !bh->queued;
    g_mutex_unlock(&ctx->bh_lock);
    if (free_now) {
        g_free(bh);
    }
}

bool aio_bh_pending(AioContext *ctx)
{
    bool pending;

    /* A batch left by an outer aio_bh_poll counts (nested aio_poll). */
    if (!g_queue_is_empty(&ctx->bh_slices)) {
        return true;
    }
    g_mutex_lock(&ctx->bh_lock);
    pending = !g_queue_is_empty(&ctx->bh_list);
    g_mutex_unlock(&ctx->bh_lock);
    return pending;
}

/*
 * Runs the BHs queued when called as one batch, the one scheduled last
 * first, as QEMU's event loop does: a batch of synchronously completed aio
 * requests reports back in QEMU's order (qemu-io's output shows it).  BHs
 * scheduled meanwhile wait for the next call; a BH rescheduling itself
 * runs again then, not in a loop here.  An aio_poll nested inside a
 * callback finishes the outer batches first, oldest first.
 */
bool aio_bh_poll(AioContext *ctx)
{
    GQueue slice;
    bool progress = false;

    g_mutex_lock(&ctx->bh_lock);
    slice = ctx->bh_list;
    g_queue_init(&ctx->bh_list);
    g_mutex_unlock(&ctx->bh_lock);
    g_queue_push_tail(&ctx->bh_slices, &slice);

    for (;;) {
        GQueue *batch = g_queue_peek_head(&ctx->bh_slices);
        QEMUBH *bh;
        bool run, deleted;

        if (!batch) {
            break;
        }
        g_mutex_lock(&ctx->bh_lock);
        bh = g_queue_pop_tail(batch);
        if (bh) {
            bh->queued = false;
            run = bh->scheduled;
            deleted = bh->deleted;
            bh->scheduled = false;
        }
        g_mutex_unlock(&ctx->bh_lock);
        if (!bh) {
            g_queue_pop_head(&ctx->bh_slices);
            continue;
        }
        if (deleted) {
            g_free(bh);
            continue;
        }
        if (run) {
            /* A non-oneshot BH may be deleted by its own callback. */
            bool oneshot = bh->oneshot;
            progress = true;
            trace_event(aio_bh_call, "bh=%p cb=%p", (void *)bh, (void *)bh->cb);
            bh->cb(bh->opaque);
            if (oneshot) {
                g_free(bh);
            }
        }
    }
    return progress;
}

/* ---- notification ---- */

void aio_notify(AioContext *ctx)
{
    /* Pairs with the increment of notify_me before a poller blocks: either
     * it sees our BH/timer, or we see it may sleep and wake it. */
    if (!g_atomic_int_get(&ctx->notify_me)) {
        return;
    }
    if (g_atomic_int_compare_and_exchange(&ctx->notified, 0, 1)) {
        uint64_t one = 1;
        ssize_t r;

        /* the doorbell: wakes the thread polling this context */
        trace_event(aio_notify, "ctx=%p", (void *)ctx);
        do {
            r = write(ctx->notify_pfd.fd, &one, sizeof(one));
        } while (r < 0 && errno == EINTR);
    }
}

void aio_notify_accept(AioContext *ctx)
{
    uint64_t count;
    ssize_t r;

    /*
     * Drain the eventfd, then clear the flag.  In the other order a notify
     * landing in between would be drained with the flag left set, and every
     * later notify would skip its write: a lost wake-up.  A notify that
     * sees the flag still set is covered because the caller looks at the
     * BHs and timers after this.
     */
    do {
        r = read(ctx->notify_pfd.fd, &count, sizeof(count));
    } while (r < 0 && errno == EINTR);
    g_atomic_int_set(&ctx->notified, 0);
}

/* ---- GSource ---- */

static gboolean aio_ctx_prepare(GSource *source, gint *timeout)
{
    AioContext *ctx = (AioContext *)source;
    int64_t deadline;

    g_atomic_int_inc(&ctx->notify_me);
    if (aio_bh_pending(ctx)) {
        g_atomic_int_add(&ctx->notify_me, -1);
        *timeout = 0;
        return TRUE;
    }
    deadline = aio_timers_deadline_ns(ctx);
    if (deadline == 0) {
        g_atomic_int_add(&ctx->notify_me, -1);
        *timeout = 0;
        return TRUE;
    }
    /* Round up so we never wake just before a timer is due. */
    *timeout = deadline < 0 ? -1 : (int)MIN((deadline + 999999) / 1000000, G_MAXINT);
    return FALSE;
}

static gboolean aio_ctx_check(GSource *source)
{
    AioContext *ctx = (AioContext *)source;

    g_atomic_int_add(&ctx->notify_me, -1);
    return ctx->notify_pfd.revents || aio_bh_pending(ctx) || aio_handlers_ready(ctx) ||
           aio_timers_deadline_ns(ctx) == 0;
}

static gboolean aio_ctx_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    AioContext *ctx = (AioContext *)source;
    AioContext *prev = aio_context_push_current(ctx);

    if (ctx->notify_pfd.revents) {
        ctx->notify_pfd.revents = 0;
        aio_notify_accept(ctx);
    }
    aio_dispatch_handlers(ctx);
    aio_bh_poll(ctx);
    aio_timers_run(ctx);
    aio_context_pop_current(prev);
    return G_SOURCE_CONTINUE;
}

static void aio_ctx_finalize(GSource *source)
{
    AioContext *ctx = (AioContext *)source;
    QEMUBH *bh;

    if (ctx->thread_pool) {
        thread_pool_free(ctx->thread_pool);
    }
    /* Oneshot BHs still queued are the owners' leak to report, but their
     * memory is ours. */
    while ((bh = g_queue_pop_head(&ctx->bh_list))) {
        if (bh->oneshot || bh->deleted) {
            g_free(bh);
        } else {
            bh->queued = false;
        }
    }
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        timerlist_free(ctx->timers[i]);
    }
    aio_handlers_cleanup(ctx);
    close(ctx->notify_pfd.fd);
    g_mutex_clear(&ctx->bh_lock);
}

static GSourceFuncs aio_source_funcs = {
    .prepare = aio_ctx_prepare,
    .check = aio_ctx_check,
    .dispatch = aio_ctx_dispatch,
    .finalize = aio_ctx_finalize,
};

AioContext *aio_context_new(void)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    AioContext *ctx;

    if (fd < 0) {
        return NULL;
    }
    ctx = (AioContext *)g_source_new(&aio_source_funcs, sizeof(AioContext));
    g_source_set_name(&ctx->source, "aio-context");
    g_mutex_init(&ctx->bh_lock);
    g_queue_init(&ctx->bh_list);
    g_queue_init(&ctx->bh_slices);
    ctx->notify_pfd.fd = fd;
    ctx->notify_pfd.events = G_IO_IN;
    g_source_add_poll(&ctx->source, &ctx->notify_pfd);
    aio_handlers_init(ctx);
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        ctx->timers[i] = timerlist_new(ctx, i);
    }
    return ctx;
}

void aio_context_unref(AioContext *ctx)
{
    g_source_unref(&ctx->source);
}

GSource *aio_get_g_source(AioContext *ctx)
{
    g_source_ref(&ctx->source);
    return &ctx->source;
}

/* ---- coroutine wake-ups ---- */

static void co_schedule_bh_cb(void *opaque)
{
    Coroutine *co = opaque;
    qemu_coroutine_enter(co);
}

void aio_co_schedule(AioContext *ctx, Coroutine *co)
{
    trace_event(aio_co_schedule, "ctx=%p co=%p", ctx, co);
    if (co->scheduled) {
        g_error("coroutine %p scheduled twice", (void *)co);
    }
    co->scheduled = true;
    aio_bh_schedule_oneshot(ctx, co_schedule_bh_cb, co);
}

void aio_co_wake(Coroutine *co)
{
    AioContext *ctx = co->ctx ? co->ctx : qemu_get_current_aio_context();

    if (aio_context_dispatching() == ctx) {
        if (qemu_in_coroutine()) {
            qemu_co_wake_deferred(co);
        } else {
            qemu_coroutine_enter(co);
        }
        return;
    }
    aio_co_schedule(ctx, co);
}
