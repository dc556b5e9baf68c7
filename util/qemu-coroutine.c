/*
 * Coroutines: creation from a per-thread pool, enter, yield.
 *
 * Invariant: co->caller is non-NULL exactly while co runs (or is suspended
 * inside a coroutine it entered).  Entering a running coroutine is a bug.
 */
#include <assert.h>

#include "block/aio.h"
#include "coroutine-int.h"
#include "trace/trace.h"

/* Terminated coroutines keep their stack for reuse: creating one then costs
 * no mmap and no makecontext. */
#define COROUTINE_POOL_MAX 256

typedef struct CoroutinePool {
    Coroutine *head;
    unsigned size;
} CoroutinePool;

static void coroutine_pool_free(gpointer opaque)
{
    CoroutinePool *pool = opaque;
    while (pool->head) {
        Coroutine *co = pool->head;
        pool->head = co->pool_next;
        qemu_coroutine_delete(co);
    }
    g_free(pool);
}

/* GPrivate frees the pool when its thread exits. */
static GPrivate coroutine_pool_key = G_PRIVATE_INIT(coroutine_pool_free);

static CoroutinePool *coroutine_pool(void)
{
    CoroutinePool *pool = g_private_get(&coroutine_pool_key);
    if (!pool) {
        pool = g_new0(CoroutinePool, 1);
        g_private_set(&coroutine_pool_key, pool);
    }
    return pool;
}

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque)
{
    CoroutinePool *pool = coroutine_pool();
    Coroutine *co = pool->head;

    if (co) {
        pool->head = co->pool_next;
        pool->size--;
    } else {
        co = qemu_coroutine_new();
    }
    co->entry = entry;
    co->entry_arg = opaque;
    co->caller = NULL;
    co->ctx = NULL;
    co->scheduled = false;
    co->pool_next = NULL;
    g_queue_init(&co->co_queue_wakeup);
    co->trace = (TraceFrames){ .req = trace_req_current() };
    trace_event(qemu_coroutine_create, "co=%p entry=%p opaque=%p", co, entry, opaque);
    return co;
}

static void coroutine_release(Coroutine *co)
{
    CoroutinePool *pool = coroutine_pool();
    if (pool->size < COROUTINE_POOL_MAX) {
        co->pool_next = pool->head;
        pool->head = co;
        pool->size++;
        return;
    }
    qemu_coroutine_delete(co);
}

void qemu_coroutine_enter(Coroutine *co)
{
    GQueue pending = G_QUEUE_INIT;

    g_queue_push_tail(&pending, co);
    while ((co = g_queue_pop_head(&pending))) {
        Coroutine *self = qemu_coroutine_self();
        CoroutineAction ret;

        if (co->caller) {
            g_error("coroutine %p entered while already running", (void *)co);
        }
        trace_event(qemu_coroutine_enter, "from=%p to=%p", self, co);
        co->caller = self;
        co->scheduled = false;
        co->ctx = qemu_get_current_aio_context();
        TraceFrames *trace_prev = trace_frames_enter(&co->trace);
        ret = qemu_coroutine_switch(self, co, COROUTINE_ENTER);
        trace_frames_leave(&co->trace, trace_prev);

        /* co yielded or finished: run whatever it woke, in order. */
        while (!g_queue_is_empty(&co->co_queue_wakeup)) {
            g_queue_push_tail(&pending, g_queue_pop_head(&co->co_queue_wakeup));
        }
        if (ret == COROUTINE_TERMINATE) {
            trace_event(qemu_coroutine_terminate, "co=%p", co);
            coroutine_release(co);
        }
    }
}

void qemu_coroutine_enter_if_inactive(Coroutine *co)
{
    if (!co->caller && !co->scheduled) {
        qemu_coroutine_enter(co);
    }
}

void coroutine_fn qemu_coroutine_yield(void)
{
    Coroutine *self = qemu_coroutine_self();
    Coroutine *to = self->caller;

    assert(qemu_in_coroutine());
    trace_event(qemu_coroutine_yield, "from=%p to=%p", self, to);
    self->caller = NULL;
    qemu_coroutine_switch(self, to, COROUTINE_YIELD);
}

void qemu_co_wake_deferred(Coroutine *co)
{
    if (qemu_in_coroutine()) {
        g_queue_push_tail(&qemu_coroutine_self()->co_queue_wakeup, co);
    } else {
        qemu_coroutine_enter(co);
    }
}
