/* Coroutines: enter/yield, nesting, pool reuse, CoMutex, CoQueue. */
#include <check.h>
#include <stdlib.h>

#include "block/aio.h"
#include "qemu/coroutine.h"
#include "qemu/main-loop.h"

static void coroutine_fn pingpong_entry(void *opaque)
{
    int *counter = opaque;
    for (int i = 0; i < 5; i++) {
        (*counter)++;
        qemu_coroutine_yield();
    }
}

START_TEST(test_enter_yield)
{
    int counter = 0;
    Coroutine *co = qemu_coroutine_create(pingpong_entry, &counter);

    ck_assert(!qemu_in_coroutine());
    for (int i = 1; i <= 5; i++) {
        qemu_coroutine_enter(co);
        ck_assert_int_eq(counter, i);
    }
    qemu_coroutine_enter(co); /* returns from entry: terminates */
    ck_assert_int_eq(counter, 5);
}
END_TEST

typedef struct {
    int depth;
    int max;
    Coroutine *self_seen[8];
} NestState;

static void coroutine_fn nest_entry(void *opaque)
{
    NestState *s = opaque;
    int my_depth = s->depth++;
    s->self_seen[my_depth] = qemu_coroutine_self();
    ck_assert(qemu_in_coroutine());
    if (s->depth < s->max) {
        Coroutine *child = qemu_coroutine_create(nest_entry, s);
        qemu_coroutine_enter(child);
    }
    /* Back in our own coroutine after the child finished. */
    ck_assert_ptr_eq(qemu_coroutine_self(), s->self_seen[my_depth]);
}

START_TEST(test_nesting)
{
    NestState s = { .max = 6 };
    Coroutine *co = qemu_coroutine_create(nest_entry, &s);
    qemu_coroutine_enter(co);
    ck_assert_int_eq(s.depth, 6);
    ck_assert(!qemu_in_coroutine());
}
END_TEST

static void coroutine_fn noop_entry(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_pool_reuse)
{
    int runs = 0;
    Coroutine *first = qemu_coroutine_create(noop_entry, &runs);
    qemu_coroutine_enter(first);
    Coroutine *second = qemu_coroutine_create(noop_entry, &runs);
    /* The terminated coroutine (and its stack) is handed out again. */
    ck_assert_ptr_eq(first, second);
    qemu_coroutine_enter(second);
    for (int i = 0; i < 10000; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(noop_entry, &runs));
    }
    ck_assert_int_eq(runs, 10002);
}
END_TEST

typedef struct {
    CoMutex mutex;
    GArray *order;
    int holders;
} MutexState;

typedef struct {
    MutexState *s;
    int id;
} MutexArg;

static void coroutine_fn mutex_entry(void *opaque)
{
    MutexArg *a = opaque;
    qemu_co_mutex_lock(&a->s->mutex);
    ck_assert_int_eq(a->s->holders, 0);
    a->s->holders++;
    g_array_append_val(a->s->order, a->id);
    qemu_coroutine_yield(); /* hold the lock across a yield */
    a->s->holders--;
    qemu_co_mutex_unlock(&a->s->mutex);
}

START_TEST(test_comutex_fifo)
{
    MutexState s = { .order = g_array_new(FALSE, FALSE, sizeof(int)) };
    MutexArg args[4];
    Coroutine *co[4];

    qemu_co_mutex_init(&s.mutex);
    for (int i = 0; i < 4; i++) {
        args[i] = (MutexArg){ &s, i };
        co[i] = qemu_coroutine_create(mutex_entry, &args[i]);
        qemu_coroutine_enter(co[i]);
    }
    /* 0 holds the lock; 1, 2, 3 wait.  Resuming the holder hands over in
     * arrival order, each new holder yielding once inside. */
    ck_assert_int_eq(s.order->len, 1);
    for (int i = 0; i < 4; i++) {
        qemu_coroutine_enter(co[i]);
        ck_assert_int_eq(s.order->len, i < 3 ? i + 2 : 4);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(g_array_index(s.order, int, i), i);
    }
    ck_assert(!s.mutex.locked);
    g_array_free(s.order, TRUE);
}
END_TEST

typedef struct {
    CoQueue queue;
    int woken;
} QueueState;

static void coroutine_fn queue_waiter(void *opaque)
{
    QueueState *s = opaque;
    qemu_co_queue_wait(&s->queue, NULL);
    s->woken++;
}

START_TEST(test_coqueue)
{
    QueueState s = { 0 };
    qemu_co_queue_init(&s.queue);
    for (int i = 0; i < 3; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(queue_waiter, &s));
    }
    ck_assert(!qemu_co_queue_empty(&s.queue));
    ck_assert(qemu_co_queue_next(&s.queue));
    ck_assert_int_eq(s.woken, 1);
    qemu_co_queue_restart_all(&s.queue);
    ck_assert_int_eq(s.woken, 3);
    ck_assert(qemu_co_queue_empty(&s.queue));
    ck_assert(!qemu_co_queue_next(&s.queue));
}
END_TEST

static void coroutine_fn sleeper_entry(void *opaque)
{
    int *state = opaque;
    *state = 1;
    qemu_coroutine_yield();
    *state = 2;
}

START_TEST(test_aio_co_schedule)
{
    AioContext *ctx = qemu_get_aio_context();
    int state = 0;
    Coroutine *co = qemu_coroutine_create(sleeper_entry, &state);

    qemu_coroutine_enter(co);
    ck_assert_int_eq(state, 1);
    aio_co_wake(co); /* not in ctx's loop: scheduled, not run yet */
    ck_assert_int_eq(state, 1);
    qemu_coroutine_enter_if_inactive(co); /* scheduled: must not enter */
    ck_assert_int_eq(state, 1);
    AIO_WAIT_WHILE(ctx, state != 2);
    ck_assert_int_eq(state, 2);
}
END_TEST

static void coroutine_fn deep_stack_entry(void *opaque)
{
    /* Uses most of a 1 MiB stack; must not fault. */
    volatile char buf[768 * 1024];
    buf[0] = 1;
    buf[sizeof(buf) - 1] = 2;
    *(int *)opaque = buf[0] + buf[sizeof(buf) - 1];
}

START_TEST(test_big_stack)
{
    int r = 0;
    qemu_coroutine_enter(qemu_coroutine_create(deep_stack_entry, &r));
    ck_assert_int_eq(r, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("coroutine");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_enter_yield);
    tcase_add_test(tc, test_nesting);
    tcase_add_test(tc, test_pool_reuse);
    tcase_add_test(tc, test_comutex_fifo);
    tcase_add_test(tc, test_coqueue);
    tcase_add_test(tc, test_aio_co_schedule);
    tcase_add_test(tc, test_big_stack);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
