/*
 * AioContext internals shared by util/async.c (bottom halves, GSource),
 * util/aio-posix.c (fd handlers, aio_poll), util/qemu-timer.c (timer lists)
 * and util/thread-pool.c.  Not for use outside util/.
 */
#ifndef UTIL_AIO_INT_H
#define UTIL_AIO_INT_H

#include "block/aio.h"

typedef struct QEMUTimerList QEMUTimerList;
typedef struct ThreadPool ThreadPool;

typedef struct AioHandler {
    GPollFD pfd;          /* also registered with the GSource */
    IOHandler *io_read;
    IOHandler *io_write;
    void *opaque;
    bool deleted;         /* removed while handlers were being walked */
} AioHandler;

#define QEMU_CLOCK_MAX (QEMU_CLOCK_HOST + 1)

struct AioContext {
    GSource source;       /* first: the AioContext is the GSource */

    /* Bottom halves: the only part other threads touch. */
    GMutex bh_lock;
    GQueue bh_list;       /* of QEMUBH, in scheduling order */
    /* Batches aio_bh_poll is running (of GQueue *, oldest first): polling
     * thread only, so that a nested aio_poll finishes the outer batch. */
    GQueue bh_slices;

    /* eventfd written by aio_notify; notify_me counts pollers that may
     * block, so a notify is only paid for when someone can sleep. */
    GPollFD notify_pfd;
    gint notify_me;
    gint notified;

    GPtrArray *handlers;  /* of AioHandler */
    int walking_handlers;

    QEMUTimerList *timers[QEMU_CLOCK_MAX];
    ThreadPool *thread_pool;
};

/* async.c */
bool aio_bh_poll(AioContext *ctx);
bool aio_bh_pending(AioContext *ctx);
void aio_notify_accept(AioContext *ctx);
/* Makes ctx the calling thread's current context; returns the previous one. */
AioContext *aio_context_push_current(AioContext *ctx);
void aio_context_pop_current(AioContext *prev);
/* The context the calling thread is dispatching, or NULL. */
AioContext *aio_context_dispatching(void);

/* aio-posix.c */
void aio_handlers_init(AioContext *ctx);
void aio_handlers_cleanup(AioContext *ctx);
bool aio_dispatch_handlers(AioContext *ctx);
bool aio_handlers_ready(AioContext *ctx);

/* qemu-timer.c */
QEMUTimerList *timerlist_new(AioContext *ctx, QEMUClockType type);
void timerlist_free(QEMUTimerList *list);
/* ns until the first timer of ctx expires: -1 none, 0 already expired. */
int64_t aio_timers_deadline_ns(AioContext *ctx);
bool aio_timers_run(AioContext *ctx);

/* thread-pool.c */
void thread_pool_free(ThreadPool *pool);

#endif
