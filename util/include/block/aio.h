/*
 * AioContext: an event loop for the block layer (util/async.c,
 * util/aio-posix.c).  It is also a GSource, so the main loop's GLib
 * context dispatches it; aio_poll drives it directly (tools, drains).
 */
#ifndef BLOCK_AIO_H
#define BLOCK_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qemu/timer.h"

typedef struct AioContext AioContext;
typedef struct QEMUBH QEMUBH;
typedef void QEMUBHFunc(void *opaque);
typedef void IOHandler(void *opaque);

AioContext *aio_context_new(void);
void aio_context_unref(AioContext *ctx);
GSource *aio_get_g_source(AioContext *ctx);

/* Bottom halves: run once per qemu_bh_schedule, from ctx's loop. */
QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque);
void qemu_bh_schedule(QEMUBH *bh); /* thread-safe */
void qemu_bh_cancel(QEMUBH *bh);
void qemu_bh_delete(QEMUBH *bh);
/* One-shot BH, freed after running (thread-safe). */
void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque);

/* NULL handlers remove the fd. */
void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read, IOHandler *io_write,
                        void *opaque);

QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type, QEMUTimerCB *cb, void *opaque);

/* The AioContext the calling thread is running (inside aio_poll or the
 * GSource dispatch), else the main one.  Coroutines are entered in it. */
AioContext *qemu_get_current_aio_context(void);

/* Makes a blocked aio_poll return (thread-safe). */
void aio_notify(AioContext *ctx);
/* Runs ready handlers, BHs and timers; with blocking, waits for one.
 * Returns true if progress was made. */
bool aio_poll(AioContext *ctx, bool blocking);

/* Loops aio_poll(ctx, true) until cond becomes true. */
#define AIO_WAIT_WHILE(ctx, cond)          \
    do {                                   \
        while ((cond)) {                   \
            aio_poll((ctx), true);         \
        }                                  \
    } while (0)

#endif
