/*
 * Clocks and timers.  Each AioContext has one timer list per clock, kept
 * sorted by expiry; the context's loop sleeps until the earliest one.
 *
 * Timers may be armed from any thread (a vCPU thread with the BQL while the
 * main loop sleeps without it), so each list has a lock, and arming a timer
 * that becomes the earliest wakes the loop to shorten its sleep.
 */
#include <time.h>

#include "aio-int.h"
#include "qemu/main-loop.h"

struct QEMUTimerList {
    AioContext *ctx;
    QEMUClockType type;
    GMutex lock;
    GQueue active;    /* of QEMUTimer, ascending expire_time */
};

struct QEMUTimer {
    QEMUTimerList *list;
    QEMUTimerCB *cb;
    void *opaque;
    int64_t expire_time;  /* -1 when not pending */
    GList link;           /* in list->active, data = this timer */
};

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    struct timespec ts;
    /* No icount: the virtual clock is host monotonic time. */
    clock_gettime(type == QEMU_CLOCK_HOST ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

QEMUTimerList *timerlist_new(AioContext *ctx, QEMUClockType type)
{
    QEMUTimerList *list = g_new0(QEMUTimerList, 1);
    list->ctx = ctx;
    list->type = type;
    g_mutex_init(&list->lock);
    g_queue_init(&list->active);
    return list;
}

void timerlist_free(QEMUTimerList *list)
{
    /* Timers still armed belong to their owners; just unlink them. */
    while (!g_queue_is_empty(&list->active)) {
        QEMUTimer *ts = g_queue_peek_head(&list->active);
        g_queue_unlink(&list->active, &ts->link);
        ts->expire_time = -1;
    }
    g_mutex_clear(&list->lock);
    g_free(list);
}

QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *ts = g_new0(QEMUTimer, 1);
    ts->list = ctx->timers[type];
    ts->cb = cb;
    ts->opaque = opaque;
    ts->expire_time = -1;
    ts->link.data = ts;
    return ts;
}

QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb, void *opaque)
{
    return aio_timer_new(qemu_get_aio_context(), type, cb, opaque);
}

static void timer_del_locked(QEMUTimer *ts)
{
    if (ts->expire_time >= 0) {
        g_queue_unlink(&ts->list->active, &ts->link);
        ts->expire_time = -1;
    }
}

void timer_mod(QEMUTimer *ts, int64_t expire_time)
{
    QEMUTimerList *list = ts->list;
    GList *pos;
    bool first;

    if (expire_time < 0) {
        expire_time = 0;
    }
    g_mutex_lock(&list->lock);
    timer_del_locked(ts);
    ts->expire_time = expire_time;
    /* Equal expiry: after the ones already there, so timers fire in the
     * order they were armed. */
    for (pos = list->active.head; pos; pos = pos->next) {
        QEMUTimer *t = pos->data;
        if (t->expire_time > expire_time) {
            break;
        }
    }
    if (pos) {
        g_queue_insert_before_link(&list->active, pos, &ts->link);
    } else {
        g_queue_push_tail_link(&list->active, &ts->link);
    }
    first = list->active.head == &ts->link;
    g_mutex_unlock(&list->lock);
    if (first) {
        aio_notify(list->ctx);
    }
}

void timer_del(QEMUTimer *ts)
{
    g_mutex_lock(&ts->list->lock);
    timer_del_locked(ts);
    g_mutex_unlock(&ts->list->lock);
}

void timer_free(QEMUTimer *ts)
{
    if (!ts) {
        return;
    }
    timer_del(ts);
    g_free(ts);
}

bool timer_pending(QEMUTimer *ts)
{
    return ts->expire_time >= 0;
}

int64_t timer_expire_time_ns(QEMUTimer *ts)
{
    return ts->expire_time;
}

static int64_t timerlist_deadline_ns(QEMUTimerList *list)
{
    int64_t deadline = -1;

    g_mutex_lock(&list->lock);
    if (list->active.head) {
        QEMUTimer *ts = list->active.head->data;
        deadline = MAX(ts->expire_time - qemu_clock_get_ns(list->type), 0);
    }
    g_mutex_unlock(&list->lock);
    return deadline;
}

int64_t aio_timers_deadline_ns(AioContext *ctx)
{
    int64_t deadline = -1;

    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        int64_t d = timerlist_deadline_ns(ctx->timers[i]);
        if (d >= 0 && (deadline < 0 || d < deadline)) {
            deadline = d;
        }
    }
    return deadline;
}

/* Runs expired timers one at a time; a callback may re-arm or free any
 * timer, including its own. */
static bool timerlist_run_timers(QEMUTimerList *list)
{
    bool progress = false;
    int64_t now = -1;

    for (;;) {
        QEMUTimer *ts;
        QEMUTimerCB *cb;
        void *opaque;

        g_mutex_lock(&list->lock);
        ts = list->active.head ? list->active.head->data : NULL;
        if (ts && now < 0) {
            now = qemu_clock_get_ns(list->type);
        }
        if (!ts || ts->expire_time > now) {
            g_mutex_unlock(&list->lock);
            return progress;
        }
        timer_del_locked(ts);
        cb = ts->cb;
        opaque = ts->opaque;
        g_mutex_unlock(&list->lock);
        cb(opaque);
        progress = true;
    }
}

bool aio_timers_run(AioContext *ctx)
{
    bool progress = false;
    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        progress |= timerlist_run_timers(ctx->timers[i]);
    }
    return progress;
}
