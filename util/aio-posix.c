/*
 * AioContext fd handlers and aio_poll (POSIX ppoll).
 *
 * Handlers may be removed from inside a callback: while the array is being
 * walked a removed handler is only marked deleted, and freed afterwards.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "aio-int.h"

#define AIO_READ_EVENTS  (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define AIO_WRITE_EVENTS (G_IO_OUT | G_IO_ERR)

static void aio_handler_free(gpointer opaque)
{
    g_free(opaque);
}

void aio_handlers_init(AioContext *ctx)
{
    ctx->handlers = g_ptr_array_new_with_free_func(aio_handler_free);
}

void aio_handlers_cleanup(AioContext *ctx)
{
    g_ptr_array_free(ctx->handlers, TRUE);
    ctx->handlers = NULL;
}

static AioHandler *find_handler(AioContext *ctx, int fd)
{
    for (guint i = 0; i < ctx->handlers->len; i++) {
        AioHandler *h = g_ptr_array_index(ctx->handlers, i);
        if (h->pfd.fd == fd && !h->deleted) {
            return h;
        }
    }
    return NULL;
}

static void purge_deleted_handlers(AioContext *ctx)
{
    if (ctx->walking_handlers) {
        return;
    }
    for (guint i = 0; i < ctx->handlers->len;) {
        AioHandler *h = g_ptr_array_index(ctx->handlers, i);
        if (h->deleted) {
            g_ptr_array_remove_index(ctx->handlers, i);
        } else {
            i++;
        }
    }
}

void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read, IOHandler *io_write,
                        void *opaque)
{
    AioHandler *h = find_handler(ctx, fd);

    if (!io_read && !io_write) {
        if (h) {
            g_source_remove_poll(&ctx->source, &h->pfd);
            h->deleted = true;
            purge_deleted_handlers(ctx);
        }
        aio_notify(ctx);
        return;
    }
    if (!h) {
        h = g_new0(AioHandler, 1);
        h->pfd.fd = fd;
        g_ptr_array_add(ctx->handlers, h);
        g_source_add_poll(&ctx->source, &h->pfd);
    }
    h->io_read = io_read;
    h->io_write = io_write;
    h->opaque = opaque;
    h->pfd.events = (io_read ? AIO_READ_EVENTS : 0) | (io_write ? AIO_WRITE_EVENTS : 0);
    aio_notify(ctx);
}

bool aio_handlers_ready(AioContext *ctx)
{
    for (guint i = 0; i < ctx->handlers->len; i++) {
        AioHandler *h = g_ptr_array_index(ctx->handlers, i);
        if (!h->deleted && (h->pfd.revents & h->pfd.events)) {
            return true;
        }
    }
    return false;
}

/* Calls the handlers whose pfd.revents are set (by ppoll or by GLib). */
bool aio_dispatch_handlers(AioContext *ctx)
{
    bool progress = false;

    ctx->walking_handlers++;
    /* The array may grow during the walk; new handlers have no revents. */
    for (guint i = 0; i < ctx->handlers->len; i++) {
        AioHandler *h = g_ptr_array_index(ctx->handlers, i);
        gushort revents = h->pfd.revents & h->pfd.events;

        h->pfd.revents = 0;
        if (h->deleted || !revents) {
            continue;
        }
        if ((revents & AIO_READ_EVENTS) && h->io_read) {
            h->io_read(h->opaque);
            progress = true;
        }
        if ((revents & AIO_WRITE_EVENTS) && h->io_write && !h->deleted) {
            h->io_write(h->opaque);
            progress = true;
        }
    }
    ctx->walking_handlers--;
    purge_deleted_handlers(ctx);
    return progress;
}

bool aio_poll(AioContext *ctx, bool blocking)
{
    AioContext *prev = aio_context_push_current(ctx);
    struct pollfd stack_fds[64];
    struct pollfd *fds = stack_fds;
    AioHandler **owners;
    AioHandler *stack_owners[64];
    guint nfds = 0, max = ctx->handlers->len + 1;
    struct timespec ts, *tsp = NULL;
    bool progress = false;
    int64_t deadline = -1;
    int ret;

    owners = stack_owners;
    if (max > G_N_ELEMENTS(stack_fds)) {
        fds = g_new(struct pollfd, max);
        owners = g_new(AioHandler *, max);
    }
    fds[nfds++] = (struct pollfd){ .fd = ctx->notify_pfd.fd, .events = POLLIN };
    for (guint i = 0; i < ctx->handlers->len; i++) {
        AioHandler *h = g_ptr_array_index(ctx->handlers, i);
        if (h->deleted) {
            continue;
        }
        owners[nfds] = h;
        fds[nfds++] = (struct pollfd){ .fd = h->pfd.fd, .events = h->pfd.events };
    }

    if (blocking) {
        g_atomic_int_inc(&ctx->notify_me);
        deadline = aio_bh_pending(ctx) ? 0 : aio_timers_deadline_ns(ctx);
    } else {
        deadline = 0;
    }
    if (deadline >= 0) {
        ts.tv_sec = deadline / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = deadline % NANOSECONDS_PER_SECOND;
        tsp = &ts;
    }
    ret = ppoll(fds, nfds, tsp, NULL);
    if (blocking) {
        g_atomic_int_add(&ctx->notify_me, -1);
    }

    if (ret > 0) {
        if (fds[0].revents) {
            aio_notify_accept(ctx);
        }
        for (guint i = 1; i < nfds; i++) {
            owners[i]->pfd.revents = fds[i].revents;
        }
        progress |= aio_dispatch_handlers(ctx);
    }
    progress |= aio_bh_poll(ctx);
    progress |= aio_timers_run(ctx);

    if (fds != stack_fds) {
        g_free(fds);
        g_free(owners);
    }
    aio_context_pop_current(prev);
    return progress;
}
