/*
 * The main loop: the default GLib main context with the main AioContext
 * attached.  main_loop_wait runs one prepare/poll/dispatch iteration by
 * hand so that the BQL can be dropped exactly around the blocking poll.
 *
 * util must not depend on system/, where the BQL lives, so the main
 * program hands us its lock functions (qemu_main_loop_set_lock_hooks).
 */
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "aio-int.h"
#include "block/aio.h"
#include "qemu/main-loop.h"

static AioContext *main_ctx;
static GMutex main_ctx_lock;
static void (*lock_hook)(void);
static void (*unlock_hook)(void);
static bool (*locked_hook)(void);

void qemu_main_loop_set_lock_hooks(void (*lock)(void), void (*unlock)(void),
                                   bool (*locked)(void))
{
    lock_hook = lock;
    unlock_hook = unlock;
    locked_hook = locked;
}

AioContext *qemu_get_aio_context(void)
{
    AioContext *ctx = g_atomic_pointer_get(&main_ctx);
    if (G_LIKELY(ctx)) {
        return ctx;
    }
    /* Tools and tests may use the block layer without a main loop. */
    g_mutex_lock(&main_ctx_lock);
    if (!main_ctx) {
        ctx = aio_context_new();
        if (!ctx) {
            g_error("cannot create the main AioContext (eventfd)");
        }
        g_atomic_pointer_set(&main_ctx, ctx);
    }
    g_mutex_unlock(&main_ctx_lock);
    return main_ctx;
}

bool qemu_init_main_loop(Error **errp)
{
    static bool attached;
    GSource *src;

    if (attached) {
        return true;
    }
    src = aio_get_g_source(qemu_get_aio_context());
    g_source_attach(src, g_main_context_default());
    g_source_unref(src);
    attached = true;
    return true;
}

/*
 * g_poll with the main AioContext's next timer to the nanosecond: GLib's
 * timeout is in whole milliseconds, rounded up, which made every device
 * timer (PIT, APIC timer, RTC) fire up to 1 ms late.  GPollFD has struct
 * pollfd's layout on Unix (GLib documents it).
 */
static void main_loop_poll(GPollFD *fds, gint nfds, gint timeout_ms)
{
    int64_t timeout_ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
    int64_t timer_ns = aio_timers_deadline_ns(qemu_get_aio_context());
    struct timespec ts;

    if (timer_ns >= 0 && (timeout_ns < 0 || timer_ns < timeout_ns)) {
        timeout_ns = timer_ns;
    }
    if (timeout_ns < 0) {
        ppoll((struct pollfd *)fds, nfds, NULL, NULL);
        return;
    }
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    ppoll((struct pollfd *)fds, nfds, &ts, NULL);
}

void main_loop_wait(bool nonblocking)
{
    GMainContext *context = g_main_context_default();
    static GPollFD *fds;
    static gint fds_alloc;
    gint max_priority, timeout, nfds;
    bool relock = false;

    g_main_context_acquire(context);
    g_main_context_prepare(context, &max_priority);
    while ((nfds = g_main_context_query(context, max_priority, &timeout, fds, fds_alloc)) >
           fds_alloc) {
        fds_alloc = nfds;
        fds = g_renew(GPollFD, fds, fds_alloc);
    }
    if (nonblocking) {
        timeout = 0;
    }
    if (timeout != 0 && locked_hook && locked_hook()) {
        unlock_hook();
        relock = true;
    }
    main_loop_poll(fds, nfds, timeout);
    if (relock) {
        lock_hook();
    }
    if (g_main_context_check(context, max_priority, fds, nfds)) {
        g_main_context_dispatch(context);
    }
    g_main_context_release(context);
}

void qemu_notify_event(void)
{
    aio_notify(qemu_get_aio_context());
}
