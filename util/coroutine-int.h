/*
 * Coroutine internals shared by the generic layer (qemu-coroutine.c,
 * qemu-coroutine-lock.c, async.c) and the stack-switching back end
 * (coroutine-ucontext.c).  Not for use outside util/.
 */
#ifndef UTIL_COROUTINE_INT_H
#define UTIL_COROUTINE_INT_H

#include "qemu/coroutine.h"
#include "trace/trace.h"

typedef enum {
    COROUTINE_YIELD = 1,
    COROUTINE_TERMINATE = 2,
    COROUTINE_ENTER = 3,
} CoroutineAction;

struct Coroutine {
    CoroutineEntry *entry;
    void *entry_arg;
    Coroutine *caller;     /* who entered us; NULL while not running */
    AioContext *ctx;       /* where we were last entered */
    bool scheduled;        /* aio_co_schedule'd and not yet entered */
    /* Coroutines woken (CoQueue, CoMutex) while we ran: the enterer runs
     * them after we yield, so a hand-over costs no bottom half. */
    GQueue co_queue_wakeup;
    Coroutine *pool_next;
    TraceFrames trace;     /* its open trace frames and request id */
};

/* Back end: a coroutine with its own stack, ready to run any entry. */
Coroutine *qemu_coroutine_new(void);
void qemu_coroutine_delete(Coroutine *co);
/* Saves from's state and resumes to; returns the action that resumed from. */
CoroutineAction qemu_coroutine_switch(Coroutine *from, Coroutine *to,
                                      CoroutineAction action);
/* The running coroutine, or the thread's leader when not in one. */
Coroutine *qemu_coroutine_self(void);
bool qemu_in_coroutine(void);

/* Queues co to be entered once the current coroutine yields (or now, when
 * not in a coroutine). */
void qemu_co_wake_deferred(Coroutine *co);

#endif
