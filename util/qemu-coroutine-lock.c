/*
 * CoQueue and CoMutex: waiting between coroutines of one AioContext.
 *
 * Wake-ups are deferred until the waking coroutine yields (see
 * qemu_co_wake_deferred), so a waiter never runs nested inside the
 * coroutine that woke it.
 */
#include <assert.h>

#include "coroutine-int.h"

void qemu_co_queue_init(CoQueue *queue)
{
    g_queue_init(&queue->entries);
}

void coroutine_fn qemu_co_queue_wait(CoQueue *queue, CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();

    g_queue_push_tail(&queue->entries, self);
    if (mutex) {
        qemu_co_mutex_unlock(mutex);
    }
    qemu_coroutine_yield();
    if (mutex) {
        qemu_co_mutex_lock(mutex);
    }
}

bool coroutine_fn qemu_co_queue_next(CoQueue *queue)
{
    Coroutine *next = g_queue_pop_head(&queue->entries);
    if (!next) {
        return false;
    }
    qemu_co_wake_deferred(next);
    return true;
}

void coroutine_fn qemu_co_queue_restart_all(CoQueue *queue)
{
    while (qemu_co_queue_next(queue)) {
    }
}

bool qemu_co_queue_empty(CoQueue *queue)
{
    return g_queue_is_empty(&queue->entries);
}

void qemu_co_mutex_init(CoMutex *mutex)
{
    mutex->locked = false;
    mutex->holder = NULL;
    qemu_co_queue_init(&mutex->waiters);
}

void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex)
{
    Coroutine *self = qemu_coroutine_self();

    if (!mutex->locked) {
        mutex->locked = true;
        mutex->holder = self;
        return;
    }
    assert(mutex->holder != self);
    g_queue_push_tail(&mutex->waiters.entries, self);
    qemu_coroutine_yield();
    /* Unlock handed the mutex over to us (FIFO, no barging). */
    assert(mutex->locked && mutex->holder == self);
}

void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex)
{
    Coroutine *next;

    assert(mutex->locked && mutex->holder == qemu_coroutine_self());
    next = g_queue_pop_head(&mutex->waiters.entries);
    if (!next) {
        mutex->locked = false;
        mutex->holder = NULL;
        return;
    }
    mutex->holder = next;
    qemu_co_wake_deferred(next);
}
