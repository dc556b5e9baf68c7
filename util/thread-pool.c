/*
 * Worker threads for blocking calls (preadv, fdatasync...).  A coroutine
 * hands its call to a worker and yields; the worker pushes the finished
 * request on a lock-free list and schedules the pool's BH, which wakes the
 * coroutine back in the AioContext it came from.
 *
 * Per-request cost is what limits 4K O_DIRECT reads at queue depth 64, so:
 * - a submit wakes a worker only if one is asleep, and the one that went to
 *   sleep last (its stack is still warm); each worker sleeps on its own
 *   semaphore, whose post costs no syscall if the worker has not blocked yet;
 * - a completion takes no lock, and only the one that finds the done list
 *   empty schedules the BH, so a batch costs one BH and at most one notify.
 */
#include <assert.h>
#include <semaphore.h>

#include "aio-int.h"
#include "coroutine-int.h"
#include "qemu/thread.h"
#include "trace/trace.h"

/* As many as a queue depth of 64 can keep busy. */
#define THREAD_POOL_MAX_WORKERS 64

typedef struct ThreadPoolElement ThreadPoolElement;
typedef struct ThreadPoolWorker ThreadPoolWorker;

struct ThreadPoolElement {
    ThreadPool *pool;
    ThreadPoolFunc *func;
    void *arg;
    int ret;
    Coroutine *co;
    uint64_t trace_req;       /* the request it works for (trace) */
    uint64_t seq;             /* submission order */
    ThreadPoolElement *next;  /* in the request queue, the done list, then ready */
};

struct ThreadPoolWorker {
    ThreadPool *pool;
    GThread *thread;
    sem_t wakeup;
    ThreadPoolWorker *next_idle;
};

struct ThreadPool {
    AioContext *ctx;
    QEMUBH *completion_bh;

    GMutex lock;                     /* protects the fields up to 'done' */
    ThreadPoolElement *requests;     /* FIFO of submitted, not yet taken */
    ThreadPoolElement **requests_tail;
    ThreadPoolWorker *idle;          /* LIFO of workers asleep or about to be */
    bool waking;                     /* a worker was posted, has not taken work yet */
    ThreadPoolWorker *workers[THREAD_POOL_MAX_WORKERS];
    int n_workers;
    bool stopping;

    uint64_t next_seq;               /* under lock */

    ThreadPoolElement *done;         /* LIFO, pushed by workers with a CAS */
    ThreadPoolElement *ready;        /* done, newest submission first (ctx thread) */
};

static void thread_pool_complete(ThreadPool *pool, ThreadPoolElement *elem)
{
    ThreadPoolElement *old = g_atomic_pointer_get(&pool->done);

    do {
        elem->next = old;
    } while (!g_atomic_pointer_compare_and_exchange_full(&pool->done, old, elem, &old));
    /* elem may be gone from here on: its coroutine can already have run.
     * A non-empty list means its first pusher has scheduled (or is about to
     * schedule) the BH, and that run will see elem too. */
    if (!old) {
        qemu_bh_schedule(pool->completion_bh);
    }
}

static void thread_pool_spawn_worker(ThreadPool *pool);

static gpointer thread_pool_worker(gpointer opaque)
{
    ThreadPoolWorker *self = opaque;
    ThreadPool *pool = self->pool;

    bool woken = false;

    for (;;) {
        ThreadPoolElement *elem;
        ThreadPoolWorker *wake = NULL;

        g_mutex_lock(&pool->lock);
        if (woken) {
            pool->waking = false;
            woken = false;
        }
        elem = pool->requests;
        if (elem) {
            pool->requests = elem->next;
            if (!pool->requests) {
                pool->requests_tail = &pool->requests;
            } else if (pool->idle && !pool->waking) {
                /* Pass the wake-up on, so that a batch of submissions costs
                 * the submitting thread one post rather than one each. */
                wake = pool->idle;
                pool->idle = wake->next_idle;
                pool->waking = true;
            } else if (!pool->idle && pool->n_workers < THREAD_POOL_MAX_WORKERS) {
                /* A submitter that saw 'waking' left the spawning to us. */
                thread_pool_spawn_worker(pool);
            }
        } else if (pool->stopping) {
            g_mutex_unlock(&pool->lock);
            return NULL;
        } else {
            self->next_idle = pool->idle;
            pool->idle = self;
        }
        g_mutex_unlock(&pool->lock);
        if (wake) {
            sem_post(&wake->wakeup);
        }

        if (!elem) {
            /* Whoever took us off the idle list posts exactly once. */
            while (sem_wait(&self->wakeup) < 0) {
                /* EINTR */
            }
            woken = true;
            continue;
        }
        uint64_t old_req = trace_req_set(elem->trace_req);
        trace_event_begin(thread_pool_worker, "pool=%p elem=%p", pool, elem);
        elem->ret = elem->func(elem->arg);
        trace_event_end(thread_pool_worker_done, thread_pool_worker, "ret=%d", elem->ret);
        trace_req_set(old_req);
        thread_pool_complete(pool, elem);
    }
}

/* Moves what the workers finished to pool->ready, which stays sorted
 * newest submission first. */
static void thread_pool_collect_done(ThreadPool *pool)
{
    ThreadPoolElement *elem = g_atomic_pointer_exchange(&pool->done, NULL);

    while (elem) {
        ThreadPoolElement *next = elem->next, **pp = &pool->ready;
        while (*pp && (*pp)->seq > elem->seq) {
            pp = &(*pp)->next;
        }
        elem->next = *pp;
        *pp = elem;
        elem = next;
    }
}

/*
 * Wakes finished requests newest submission first, one at a time, looking
 * for new completions after each, as QEMU's pool does: the order in which
 * a batch of aio requests reports back (qemu-io's output) is QEMU's.
 */
static void thread_pool_completion_bh(void *opaque)
{
    ThreadPool *pool = opaque;

    for (;;) {
        ThreadPoolElement *elem;
        bool resched;

        thread_pool_collect_done(pool);
        elem = pool->ready;
        if (!elem) {
            return;
        }
        pool->ready = elem->next;
        /* A coroutine that polls nested, waiting for a request that is
         * still in ready, finds it through the BH.  (One still with a
         * worker schedules the BH itself when it finishes.) */
        resched = pool->ready != NULL;
        if (resched) {
            qemu_bh_schedule(pool->completion_bh);
        }
        /* elem lives on the coroutine's stack: do not touch it after this. */
        aio_co_wake(elem->co);
        if (resched) {
            /* Safe even over a worker's schedule: the loop collects
             * pool->done again before it returns. */
            qemu_bh_cancel(pool->completion_bh);
        }
    }
}

static ThreadPool *thread_pool_new(AioContext *ctx)
{
    ThreadPool *pool = g_new0(ThreadPool, 1);

    pool->ctx = ctx;
    g_mutex_init(&pool->lock);
    pool->requests_tail = &pool->requests;
    pool->completion_bh = aio_bh_new(ctx, thread_pool_completion_bh, pool);
    return pool;
}

/* Called with pool->lock held. */
static void thread_pool_spawn_worker(ThreadPool *pool)
{
    ThreadPoolWorker *worker = g_new0(ThreadPoolWorker, 1);
    Error *err = NULL;

    worker->pool = pool;
    sem_init(&worker->wakeup, 0, 0);
    worker->thread = qemu_thread_create("worker", thread_pool_worker, worker, &err);
    if (!worker->thread) {
        g_error("thread pool: %s", error_get_pretty(err));
    }
    pool->workers[pool->n_workers++] = worker;
}

void thread_pool_free(ThreadPool *pool)
{
    ThreadPoolWorker *idle;

    /* Workers finish the queued calls first: their elements point into
     * the pool. */
    g_mutex_lock(&pool->lock);
    pool->stopping = true;
    idle = pool->idle;
    pool->idle = NULL;
    g_mutex_unlock(&pool->lock);
    for (; idle; idle = idle->next_idle) {
        sem_post(&idle->wakeup);
    }
    for (int i = 0; i < pool->n_workers; i++) {
        g_thread_join(pool->workers[i]->thread);
        sem_destroy(&pool->workers[i]->wakeup);
        g_free(pool->workers[i]);
    }
    qemu_bh_delete(pool->completion_bh);
    g_mutex_clear(&pool->lock);
    g_free(pool);
}

int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg)
{
    AioContext *ctx = qemu_get_current_aio_context();
    ThreadPoolElement elem = {
        .func = func,
        .arg = arg,
        .co = qemu_coroutine_self(),
        .trace_req = trace_req_current(),
    };
    ThreadPool *pool;
    ThreadPoolWorker *wake;

    assert(qemu_in_coroutine());
    if (!ctx->thread_pool) {
        ctx->thread_pool = thread_pool_new(ctx);
    }
    pool = elem.pool = ctx->thread_pool;
    /* The completion wakes us in ctx even if we were entered elsewhere. */
    elem.co->ctx = ctx;
    trace_event(thread_pool_submit, "pool=%p elem=%p func=%p", pool, &elem, func);

    g_mutex_lock(&pool->lock);
    elem.seq = pool->next_seq++;
    *pool->requests_tail = &elem;
    pool->requests_tail = &elem.next;
    wake = NULL;
    if (pool->waking) {
        /* The worker being woken passes the wake-up on if it finds more. */
    } else if (pool->idle) {
        wake = pool->idle;
        pool->idle = wake->next_idle;
        pool->waking = true;
    } else if (pool->n_workers < THREAD_POOL_MAX_WORKERS) {
        /* Workers stay once started; a busy one takes queued work itself. */
        thread_pool_spawn_worker(pool);
    }
    g_mutex_unlock(&pool->lock);
    /* Outside the lock, so the woken worker does not block on it at once. */
    if (wake) {
        sem_post(&wake->wakeup);
    }

    qemu_coroutine_yield();
    trace_event(thread_pool_complete, "pool=%p elem=%p ret=%d", pool, &elem, elem.ret);
    return elem.ret;
}
