/*
 * The debugger's breakpoint list (system/cpu-breakpoint.c) without an
 * accelerator behind it: a fake AccelOps records each update and can
 * refuse one, so the list's own rules are checked: validation, duplicates,
 * removal, the rollback when the accelerator refuses, watchpoint ranges,
 * and which stop reason wins.
 */
#include <check.h>
#include <stdlib.h>

#include "exec/breakpoint.h"
#include "sysemu/accel-ops.h"

static int updates;
static bool refuse;

static bool fake_update(CPUState *cpu, Error **errp)
{
    updates++;
    if (refuse) {
        error_setg(errp, "refused");
        return false;
    }
    return true;
}

static const AccelOps fake_ops = { .name = "fake", .update_guest_debug = fake_update };

static CPUState *new_cpu(void)
{
    CPUState *cpu = g_new0(CPUState, 1);

    cpu->accel_ops = &fake_ops;
    updates = 0;
    refuse = false;
    return cpu;
}

static void free_cpu(CPUState *cpu)
{
    cpu_breakpoint_remove_all(cpu);
    g_free(cpu);
}

static int count(const CPUState *cpu)
{
    return cpu->breakpoints ? (int)cpu->breakpoints->len : 0;
}

START_TEST(test_insert_remove)
{
    CPUState *cpu = new_cpu();
    Error *err = NULL;

    ck_assert(cpu_breakpoint_insert(cpu, GDB_BREAKPOINT_SW, 0x1000, 1, NULL));
    ck_assert(cpu_breakpoint_insert(cpu, GDB_BREAKPOINT_SW, 0x1000, 1, NULL));
    ck_assert_int_eq(count(cpu), 1); /* the second adds nothing */
    ck_assert(cpu_breakpoint_insert(cpu, GDB_BREAKPOINT_HW, 0x1000, 1, NULL));
    ck_assert_int_eq(count(cpu), 2);
    ck_assert_ptr_nonnull(cpu_breakpoint_find_pc(cpu, 0x1000));
    ck_assert_ptr_null(cpu_breakpoint_find_pc(cpu, 0x1001));
    ck_assert(cpu_breakpoint_remove(cpu, GDB_BREAKPOINT_SW, 0x1000, 1, NULL));
    ck_assert(!cpu_breakpoint_remove(cpu, GDB_BREAKPOINT_SW, 0x1000, 1, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
    ck_assert_int_eq(count(cpu), 1);
    ck_assert_int_eq(updates, 3); /* a duplicate and a failed removal do not update */
    free_cpu(cpu);
}
END_TEST

START_TEST(test_validation)
{
    CPUState *cpu = new_cpu();
    Error *err = NULL;

    ck_assert(!cpu_breakpoint_insert(cpu, 5, 0x1000, 1, &err));
    error_free(err), err = NULL;
    ck_assert(!cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_WRITE, 0x1000, 0, &err));
    error_free(err), err = NULL;
    ck_assert(!cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_WRITE, 0x1000,
                                     CPU_WATCH_MAX_LEN + 1, &err));
    error_free(err), err = NULL;
    /* a range that wraps past the top of the address space */
    ck_assert(!cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_ACCESS, ~0ull - 2, 8, &err));
    error_free(err), err = NULL;
    ck_assert(cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_ACCESS, ~0ull - 7, 8, NULL));
    ck_assert_int_eq(count(cpu), 1);
    ck_assert_int_eq(updates, 1);
    free_cpu(cpu);
}
END_TEST

START_TEST(test_refused_rolls_back)
{
    CPUState *cpu = new_cpu();
    Error *err = NULL;

    ck_assert(cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_WRITE, 0x2000, 4, NULL));
    refuse = true;
    ck_assert(!cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_READ, 0x3000, 4, &err));
    ck_assert_str_eq(error_get_pretty(err), "refused");
    error_free(err), err = NULL;
    ck_assert_int_eq(count(cpu), 1);
    ck_assert(!cpu_single_step(cpu, true, &err));
    error_free(err);
    ck_assert(!cpu->singlestep_enabled);
    refuse = false;
    ck_assert(cpu_single_step(cpu, true, NULL));
    ck_assert(cpu->singlestep_enabled);
    cpu_breakpoint_remove_all(cpu);
    ck_assert(!cpu->singlestep_enabled);
    ck_assert_ptr_null(cpu->breakpoints);
    free_cpu(cpu);
}
END_TEST

START_TEST(test_watch_ranges)
{
    CPUState *cpu = new_cpu();

    cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_WRITE, 0x1000, 4, NULL);
    cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_READ, 0x2000, 2, NULL);
    cpu_breakpoint_insert(cpu, GDB_WATCHPOINT_ACCESS, 0x3000, 1, NULL);
    cpu_breakpoint_insert(cpu, GDB_BREAKPOINT_SW, 0x4000, 1, NULL);

    ck_assert_ptr_nonnull(cpu_watchpoint_hit(cpu, 0x1003, 1, true));
    ck_assert_ptr_nonnull(cpu_watchpoint_hit(cpu, 0xffe, 4, true)); /* overlaps the start */
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0x1004, 4, true));
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0xffc, 4, true));
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0x1000, 4, false)); /* a write watch, read */
    ck_assert_ptr_nonnull(cpu_watchpoint_hit(cpu, 0x2001, 1, false));
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0x2000, 2, true));
    ck_assert_ptr_nonnull(cpu_watchpoint_hit(cpu, 0x3000, 1, true));
    ck_assert_ptr_nonnull(cpu_watchpoint_hit(cpu, 0x2ffc, 8, false));
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0x2ff8, 8, false));   /* ends at 0x2fff */
    ck_assert_ptr_null(cpu_watchpoint_hit(cpu, 0x4000, 1, true)); /* a breakpoint */
    ck_assert_ptr_null(cpu_breakpoint_find_pc(cpu, 0x1000));       /* a watchpoint */
    free_cpu(cpu);
}
END_TEST

START_TEST(test_stop_reason)
{
    CPUState *cpu = new_cpu();
    const CPUBreakpoint w = { .type = GDB_WATCHPOINT_WRITE, .addr = 0x1000, .len = 4 };

    cpu_debug_stop_set(cpu, DEBUG_STOP_WATCH, &w, 0x1002);
    cpu_debug_stop_set(cpu, DEBUG_STOP_STEP, NULL, 0); /* the same instruction's step */
    ck_assert_int_eq(cpu->debug_stop.reason, DEBUG_STOP_WATCH);
    ck_assert_int_eq(cpu->debug_stop.type, GDB_WATCHPOINT_WRITE);
    ck_assert_uint_eq(cpu->debug_stop.addr, 0x1000); /* the watchpoint's, as gdb wants */
    cpu->debug_stop.reason = DEBUG_STOP_NONE;
    cpu_debug_stop_set(cpu, DEBUG_STOP_STEP, NULL, 0x5000);
    ck_assert_int_eq(cpu->debug_stop.reason, DEBUG_STOP_STEP);
    free_cpu(cpu);
}
END_TEST

static Suite *breakpoint_suite(void)
{
    Suite *s = suite_create("breakpoint");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_insert_remove);
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_refused_rolls_back);
    tcase_add_test(tc, test_watch_ranges);
    tcase_add_test(tc, test_stop_reason);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(breakpoint_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
