/* AioContext: bottom halves, fd handlers, timers, cross-thread notify,
 * the thread pool, and the main loop glue. */
#include <check.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/aio.h"
#include "qemu/coroutine.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"

static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_bh_runs_once)
{
    AioContext *ctx = aio_context_new();
    int n = 0;
    QEMUBH *bh = aio_bh_new(ctx, count_cb, &n);

    ck_assert(!aio_poll(ctx, false));
    qemu_bh_schedule(bh);
    qemu_bh_schedule(bh);
    ck_assert(aio_poll(ctx, false));
    ck_assert_int_eq(n, 1);
    ck_assert(!aio_poll(ctx, false));
    qemu_bh_schedule(bh);
    qemu_bh_cancel(bh);
    aio_poll(ctx, false);
    ck_assert_int_eq(n, 1);
    qemu_bh_delete(bh);
    aio_bh_schedule_oneshot(ctx, count_cb, &n);
    aio_poll(ctx, true);
    ck_assert_int_eq(n, 2);
    aio_context_unref(ctx);
}
END_TEST

typedef struct {
    QEMUBH *bh;
    int runs;
} SelfState;

static void reschedule_cb(void *opaque)
{
    SelfState *s = opaque;
    if (++s->runs < 3) {
        qemu_bh_schedule(s->bh);
    } else {
        qemu_bh_delete(s->bh); /* deleting yourself from the callback */
    }
}

START_TEST(test_bh_reschedule_self)
{
    AioContext *ctx = aio_context_new();
    SelfState s = { 0 };
    s.bh = aio_bh_new(ctx, reschedule_cb, &s);
    qemu_bh_schedule(s.bh);
    aio_poll(ctx, false);
    ck_assert_int_eq(s.runs, 1); /* one run per poll, no livelock */
    AIO_WAIT_WHILE(ctx, s.runs < 3);
    ck_assert_int_eq(s.runs, 3);
    aio_context_unref(ctx);
}
END_TEST

typedef struct {
    AioContext *ctx;
    int fd;
    int reads;
} FdState;

static void fd_read_cb(void *opaque)
{
    FdState *s = opaque;
    uint64_t v;
    ck_assert_int_eq(read(s->fd, &v, sizeof(v)), sizeof(v));
    s->reads++;
    aio_set_fd_handler(s->ctx, s->fd, NULL, NULL, NULL); /* remove from the callback */
}

START_TEST(test_fd_handler)
{
    FdState s = { .ctx = aio_context_new(), .fd = eventfd(0, EFD_NONBLOCK) };
    uint64_t one = 1;

    aio_set_fd_handler(s.ctx, s.fd, fd_read_cb, NULL, &s);
    ck_assert(!aio_poll(s.ctx, false));
    ck_assert_int_eq(write(s.fd, &one, sizeof(one)), sizeof(one));
    ck_assert(aio_poll(s.ctx, true));
    ck_assert_int_eq(s.reads, 1);
    ck_assert_int_eq(write(s.fd, &one, sizeof(one)), sizeof(one));
    ck_assert(!aio_poll(s.ctx, false)); /* handler is gone */
    close(s.fd);
    aio_context_unref(s.ctx);
}
END_TEST

static void order_cb(void *opaque)
{
    GArray *order = opaque;
    int v = order->len;
    g_array_append_val(order, v);
}

typedef struct {
    GArray *order;
    int id;
} TimerArg;

static void timer_id_cb(void *opaque)
{
    TimerArg *a = opaque;
    g_array_append_val(a->order, a->id);
}

START_TEST(test_timers_ordering)
{
    AioContext *ctx = aio_context_new();
    GArray *order = g_array_new(FALSE, FALSE, sizeof(int));
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    TimerArg args[4];
    QEMUTimer *t[4];
    /* armed out of order: expect 2, 0, 3 (1 deleted) */
    int64_t delays_ms[4] = { 20, 5, 1, 30 };

    for (int i = 0; i < 4; i++) {
        args[i] = (TimerArg){ order, i };
        t[i] = aio_timer_new(ctx, QEMU_CLOCK_VIRTUAL, timer_id_cb, &args[i]);
        timer_mod(t[i], now + delays_ms[i] * 1000000);
    }
    ck_assert(timer_pending(t[1]));
    timer_del(t[1]);
    ck_assert(!timer_pending(t[1]));
    AIO_WAIT_WHILE(ctx, order->len < 3);
    ck_assert_int_eq(g_array_index(order, int, 0), 2);
    ck_assert_int_eq(g_array_index(order, int, 1), 0);
    ck_assert_int_eq(g_array_index(order, int, 2), 3);
    /* And not early. */
    ck_assert(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) >= now + 30 * 1000000);
    for (int i = 0; i < 4; i++) {
        timer_free(t[i]);
    }
    g_array_free(order, TRUE);
    (void)order_cb;
    aio_context_unref(ctx);
}
END_TEST

typedef struct {
    AioContext *ctx;
    QEMUBH *bh;
} NotifyArgs;

static gpointer notify_thread(gpointer opaque)
{
    NotifyArgs *a = opaque;
    g_usleep(50 * 1000);
    qemu_bh_schedule(a->bh);
    return NULL;
}

START_TEST(test_cross_thread_bh)
{
    AioContext *ctx = aio_context_new();
    int n = 0;
    NotifyArgs a = { ctx, aio_bh_new(ctx, count_cb, &n) };
    GThread *th = g_thread_new("notifier", notify_thread, &a);
    /* Blocks with no timers: only the other thread's notify can wake us. */
    AIO_WAIT_WHILE(ctx, n == 0);
    ck_assert_int_eq(n, 1);
    g_thread_join(th);
    qemu_bh_delete(a.bh);
    aio_context_unref(ctx);
}
END_TEST

typedef struct {
    AioContext *ctx;
    gint ran;
    int per_thread;
} StressState;

static void stress_bh(void *opaque)
{
    g_atomic_int_inc(&((StressState *)opaque)->ran);
}

static gpointer stress_thread(gpointer opaque)
{
    StressState *s = opaque;
    for (int i = 0; i < s->per_thread; i++) {
        aio_bh_schedule_oneshot(s->ctx, stress_bh, s);
        if (i % 64 == 0) {
            g_usleep(10); /* let the poller go to sleep now and then */
        }
    }
    return NULL;
}

/* Many cross-thread wake-ups while the poller blocks: a lost wake-up (the
 * notify flag left set with the eventfd drained) hangs here. */
START_TEST(test_cross_thread_stress)
{
    StressState s = { .ctx = aio_context_new(), .per_thread = 20000 };
    GThread *th[4];
    for (int i = 0; i < 4; i++) {
        th[i] = g_thread_new("stress", stress_thread, &s);
    }
    AIO_WAIT_WHILE(s.ctx, g_atomic_int_get(&s.ran) < 4 * s.per_thread);
    for (int i = 0; i < 4; i++) {
        g_thread_join(th[i]);
    }
    ck_assert_int_eq(g_atomic_int_get(&s.ran), 4 * s.per_thread);
    aio_context_unref(s.ctx);
}
END_TEST

static int slow_square(void *opaque)
{
    int *v = opaque;
    g_usleep(1000);
    return *v * *v;
}

typedef struct {
    int in;
    int out;
    bool done;
} PoolJob;

static void coroutine_fn pool_entry(void *opaque)
{
    PoolJob *job = opaque;
    job->out = thread_pool_submit_co(slow_square, &job->in);
    job->done = true;
}

START_TEST(test_thread_pool)
{
    AioContext *ctx = qemu_get_aio_context();
    PoolJob jobs[100];
    int pending;

    for (int i = 0; i < 100; i++) {
        jobs[i] = (PoolJob){ .in = i };
        qemu_coroutine_enter(qemu_coroutine_create(pool_entry, &jobs[i]));
    }
    do {
        pending = 0;
        for (int i = 0; i < 100; i++) {
            pending += !jobs[i].done;
        }
        if (pending) {
            aio_poll(ctx, true);
        }
    } while (pending);
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(jobs[i].out, i * i);
    }
}
END_TEST

static bool fake_locked;
static int lock_calls, unlock_calls;
static void fake_lock(void) { fake_locked = true; lock_calls++; }
static void fake_unlock(void) { fake_locked = false; unlock_calls++; }
static bool fake_is_locked(void) { return fake_locked; }

static void timer_flag_cb(void *opaque)
{
    *(bool *)opaque = fake_locked; /* callbacks run with the lock held */
}

START_TEST(test_main_loop)
{
    bool fired = false;
    ck_assert(qemu_init_main_loop(NULL));
    qemu_main_loop_set_lock_hooks(fake_lock, fake_unlock, fake_is_locked);
    fake_locked = true;
    QEMUTimer *t = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_flag_cb, &fired);
    timer_mod(t, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 10 * 1000000);
    for (int i = 0; i < 100 && !fired; i++) {
        main_loop_wait(false);
    }
    ck_assert(fired);
    ck_assert(fake_locked);
    ck_assert_int_ge(unlock_calls, 1); /* dropped while blocked */
    ck_assert_int_eq(lock_calls, unlock_calls);
    timer_free(t);
    qemu_main_loop_set_lock_hooks(NULL, NULL, NULL);
}
END_TEST

static gpointer wake_main_thread(gpointer opaque)
{
    g_usleep(30 * 1000);
    qemu_notify_event();
    return NULL;
}

START_TEST(test_notify_event)
{
    ck_assert(qemu_init_main_loop(NULL));
    GThread *th = g_thread_new("waker", wake_main_thread, NULL);
    gint64 start = g_get_monotonic_time();
    main_loop_wait(false); /* nothing armed: only the notify ends this */
    ck_assert(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
    g_thread_join(th);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("aio");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_bh_runs_once);
    tcase_add_test(tc, test_bh_reschedule_self);
    tcase_add_test(tc, test_fd_handler);
    tcase_add_test(tc, test_timers_ordering);
    tcase_add_test(tc, test_cross_thread_bh);
    tcase_add_test(tc, test_cross_thread_stress);
    tcase_add_test(tc, test_thread_pool);
    tcase_add_test(tc, test_main_loop);
    tcase_add_test(tc, test_notify_event);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
