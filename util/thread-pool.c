/*
 * Worker threads for blocking calls (preadv, fdatasync...).  A coroutine
 * hands its call to a worker and yields; the worker queues the finished
 * request and schedules the pool's BH, which wakes the coroutine back in
 * the AioContext it came from.
 */
#include <assert.h>

#include "aio-int.h"
#include "coroutine-int.h"
#include "trace/trace.h"

/* As many as a queue depth of 64 can keep busy. */
#define THREAD_POOL_MAX_WORKERS 64

struct ThreadPool {
    AioContext *ctx;
    GThreadPool *workers;
    QEMUBH *completion_bh;
    GMutex lock;
    GQueue done;      /* of ThreadPoolElement, finished by workers */
};

typedef struct ThreadPoolElement {
    ThreadPool *pool;
    ThreadPoolFunc *func;
    void *arg;
    int ret;
    Coroutine *co;
} ThreadPoolElement;

static void thread_pool_worker(gpointer data, gpointer user_data)
{
    ThreadPoolElement *elem = data;
    ThreadPool *pool = elem->pool;

    elem->ret = elem->func(elem->arg);
    g_mutex_lock(&pool->lock);
    g_queue_push_tail(&pool->done, elem);
    g_mutex_unlock(&pool->lock);
    qemu_bh_schedule(pool->completion_bh);
}

static void thread_pool_completion_bh(void *opaque)
{
    ThreadPool *pool = opaque;
    GQueue done;

    g_mutex_lock(&pool->lock);
    done = pool->done;
    g_queue_init(&pool->done);
    g_mutex_unlock(&pool->lock);

    for (GList *l = done.head, *next; l; l = next) {
        ThreadPoolElement *elem = l->data;
        next = l->next;
        g_list_free_1(l);
        /* elem lives on the coroutine's stack: do not touch it after this. */
        aio_co_wake(elem->co);
    }
}

static ThreadPool *thread_pool_new(AioContext *ctx)
{
    ThreadPool *pool = g_new0(ThreadPool, 1);
    GError *err = NULL;

    pool->ctx = ctx;
    g_mutex_init(&pool->lock);
    g_queue_init(&pool->done);
    pool->completion_bh = aio_bh_new(ctx, thread_pool_completion_bh, pool);
    /* Exclusive: the workers are started once and stay, rather than GLib
     * stopping all but two idle threads and respawning them under load. */
    pool->workers = g_thread_pool_new(thread_pool_worker, pool, THREAD_POOL_MAX_WORKERS,
                                      TRUE, &err);
    if (!pool->workers) {
        g_error("thread pool: %s", err->message);
    }
    return pool;
}

void thread_pool_free(ThreadPool *pool)
{
    /* Wait for calls in progress: their elements point into the pool. */
    g_thread_pool_free(pool->workers, FALSE, TRUE);
    qemu_bh_delete(pool->completion_bh);
    g_mutex_clear(&pool->lock);
    g_queue_clear(&pool->done);
    g_free(pool);
}

int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg)
{
    AioContext *ctx = qemu_get_current_aio_context();
    ThreadPoolElement elem = {
        .func = func,
        .arg = arg,
        .co = qemu_coroutine_self(),
    };

    assert(qemu_in_coroutine());
    if (!ctx->thread_pool) {
        ctx->thread_pool = thread_pool_new(ctx);
    }
    elem.pool = ctx->thread_pool;
    /* The completion wakes us in ctx even if we were entered elsewhere. */
    elem.co->ctx = ctx;
    trace_event(thread_pool_submit, "pool=%p elem=%p func=%p", elem.pool, &elem, func);
    g_thread_pool_push(elem.pool->workers, &elem, NULL);
    qemu_coroutine_yield();
    trace_event(thread_pool_complete, "pool=%p elem=%p ret=%d", elem.pool, &elem, elem.ret);
    return elem.ret;
}
