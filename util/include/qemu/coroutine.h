/*
 * Coroutines (util/qemu-coroutine*.c, util/coroutine-ucontext.c).
 *
 * A coroutine runs on the thread that enters it, in the AioContext it was
 * entered from; it yields back to whoever entered it.  coroutine_fn marks
 * functions that may yield and must only be called from a coroutine.
 */
#ifndef QEMU_COROUTINE_H
#define QEMU_COROUTINE_H

#include <stdbool.h>
#include <glib.h>

#define coroutine_fn

typedef struct Coroutine Coroutine;
typedef struct AioContext AioContext;
typedef void coroutine_fn CoroutineEntry(void *opaque);

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque);
/* Runs co until it yields or terminates (then it returns to the pool). */
void qemu_coroutine_enter(Coroutine *co);
/* Enters co unless it is already running or queued to run. */
void qemu_coroutine_enter_if_inactive(Coroutine *co);
void coroutine_fn qemu_coroutine_yield(void);
Coroutine *qemu_coroutine_self(void);
bool qemu_in_coroutine(void);
/* Wakes co from a callback: enters it now if in its AioContext's thread
 * and not inside another coroutine, otherwise schedules a bottom half. */
void aio_co_wake(Coroutine *co);
/* Schedules co to be entered from ctx's loop. */
void aio_co_schedule(AioContext *ctx, Coroutine *co);

/* CoQueue: coroutines waiting for a condition, woken in FIFO order. */
typedef struct CoQueue {
    GQueue entries; /* of Coroutine * */
} CoQueue;

/* CoMutex: a mutex held across yields; FIFO hand-over. */
typedef struct CoMutex {
    bool locked;
    Coroutine *holder;
    CoQueue waiters;
} CoMutex;

void qemu_co_mutex_init(CoMutex *mutex);
void coroutine_fn qemu_co_mutex_lock(CoMutex *mutex);
void coroutine_fn qemu_co_mutex_unlock(CoMutex *mutex);

void qemu_co_queue_init(CoQueue *queue);
/* Waits on queue; if mutex is non-NULL it is dropped while waiting. */
void coroutine_fn qemu_co_queue_wait(CoQueue *queue, CoMutex *mutex);
bool coroutine_fn qemu_co_queue_next(CoQueue *queue);
void coroutine_fn qemu_co_queue_restart_all(CoQueue *queue);
bool qemu_co_queue_empty(CoQueue *queue);

/* Runs a blocking function on the thread pool, yielding until it ends;
 * returns its result (util/thread-pool.c). */
typedef int ThreadPoolFunc(void *opaque);
int coroutine_fn thread_pool_submit_co(ThreadPoolFunc *func, void *arg);

#endif
