/*
 * The duet command line: every malformed invocation is one line on
 * stderr and exit status 1 with nothing started; -help, -version and the
 * "help" arguments exit 0.  argv[1] is the duet binary; argv[2] and
 * argv[3] (optional) the exit-now and reset guests of tests/guests/bench.
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *duet_binary;
static const char *kernel;
static const char *reset_kernel;

typedef struct DuetRun {
    int status;
    char *out;
    char *err;
} DuetRun;

static DuetRun run_duet(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    DuetRun r = { 0 };
    g_autoptr(GError) gerr = NULL;
    int wait_status;
    va_list ap;

    g_ptr_array_add(argv, (char *)duet_binary);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wait_status, &gerr),
                  "spawn %s: %s", duet_binary, gerr ? gerr->message : "?");
    ck_assert_msg(WIFEXITED(wait_status), "duet died by a signal");
    r.status = WEXITSTATUS(wait_status);
    return r;
}

static void run_free(DuetRun *r)
{
    g_free(r->out);
    g_free(r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* One line on stderr naming @needle, nothing on stdout, exit 1. */
#define ASSERT_ONE_LINE_ERROR(needle, ...)                                       \
    do {                                                                         \
        DuetRun r_ = run_duet(__VA_ARGS__, NULL);                                \
        ck_assert_msg(r_.status == 1, "status %d, stderr: %s", r_.status, r_.err); \
        ck_assert_msg(count_lines(r_.err) == 1, "stderr not one line: '%s'", r_.err); \
        ck_assert_msg(strstr(r_.err, needle), "'%s' not in '%s'", needle, r_.err); \
        ck_assert_msg(g_str_has_prefix(r_.err, "duet: "), "no prefix: %s", r_.err); \
        ck_assert_str_eq(r_.out, "");                                            \
        run_free(&r_);                                                           \
    } while (0)

START_TEST(test_unknown_option)
{
    ASSERT_ONE_LINE_ERROR("-foo: invalid option", "-foo");
    ASSERT_ONE_LINE_ERROR("--foo: invalid option", "--foo");
    /* Nothing after the bad option is looked at. */
    ASSERT_ONE_LINE_ERROR("-bogus: invalid option", "-m", "64", "-bogus", "-version");
}
END_TEST

START_TEST(test_missing_argument)
{
    ASSERT_ONE_LINE_ERROR("-m: requires an argument", "-m");
    ASSERT_ONE_LINE_ERROR("-kernel: requires an argument", "-kernel");
    ASSERT_ONE_LINE_ERROR("--accel: requires an argument", "--accel");
}
END_TEST

START_TEST(test_bad_memory_size)
{
    ASSERT_ONE_LINE_ERROR("-m 12X", "-m", "12X");
    ASSERT_ONE_LINE_ERROR("-m abc", "-m", "abc");
    ASSERT_ONE_LINE_ERROR("-m 0", "-m", "0");
    ASSERT_ONE_LINE_ERROR("-m 100T", "-m", "100T");
    ASSERT_ONE_LINE_ERROR("-m 1K", "-m", "1K");
}
END_TEST

START_TEST(test_bad_accel)
{
    ASSERT_ONE_LINE_ERROR("invalid accelerator bogus", "-accel", "bogus");
    ASSERT_ONE_LINE_ERROR("invalid accelerator xen", "-machine", "accel=xen");
    ASSERT_ONE_LINE_ERROR("unsupported machine type", "-machine", "q35");
}
END_TEST

START_TEST(test_missing_kernel)
{
    ASSERT_ONE_LINE_ERROR("/nonexistent/kernel.elf", "-kernel", "/nonexistent/kernel.elf");
}
END_TEST

START_TEST(test_bad_log_item)
{
    ASSERT_ONE_LINE_ERROR("bogus", "-d", "bogus");
    ASSERT_ONE_LINE_ERROR("-display gtk", "-display", "gtk");
    ASSERT_ONE_LINE_ERROR("-smp 300", "-smp", "300");
}
END_TEST

START_TEST(test_cpu_option)
{
    ASSERT_ONE_LINE_ERROR("-cpu pentium9: unknown CPU model", "-cpu", "pentium9");
    DuetRun r = run_duet("-cpu", "help", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "qemu64") && strstr(r.out, "max"), "models: %s", r.out);
    /* the flags qemu64 asks for, and which of them the interpreter has */
    ck_assert_msg(strstr(r.out, " lm") && strstr(r.out, " nx*"), "flags: %s", r.out);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

START_TEST(test_version_and_help)
{
    DuetRun r = run_duet("-version", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "duet emulator version"));
    run_free(&r);

    const char *spellings[] = { "-help", "--help", "-h" };
    for (size_t i = 0; i < G_N_ELEMENTS(spellings); i++) {
        r = run_duet(spellings[i], NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert_ptr_nonnull(strstr(r.out, "-accel"));
        ck_assert_ptr_nonnull(strstr(r.out, "-kernel"));
        ck_assert_str_eq(r.err, "");
        run_free(&r);
    }
    r = run_duet("-d", "help", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "guest_errors"));
    run_free(&r);
}
END_TEST

START_TEST(test_accel_help)
{
    DuetRun r = run_duet("-accel", "help", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "\nkvm "), "kvm not listed: %s", r.out);
    ck_assert_msg(strstr(r.out, "\ntcg "), "tcg not listed: %s", r.out);
    /* Each accelerator says whether it is usable here. */
    ck_assert_ptr_nonnull(strstr(r.out, "usable"));
    run_free(&r);
}
END_TEST

START_TEST(test_mtree)
{
    if (!kernel) {
        printf("test_mtree: no guest kernel built (gcc -m32 missing?), not run\n");
        return;
    }
    DuetRun r = run_duet("-mtree", "-m", "64M", "-kernel", kernel, NULL);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    const char *tree = strstr(r.out, "address-space: memory");
    const char *io = strstr(r.out, "address-space: I/O");
    const char *flat = strstr(r.out, "FlatView");
    ck_assert_msg(tree && io && flat, "missing parts: %s", r.out);
    /* The region tree first, then the flat views. */
    ck_assert(tree < flat);
    ck_assert(io < flat);
    /* -m 64M: the RAM region ends at 0x3ffffff. */
    ck_assert_msg(strstr(r.out, "0000000003ffffff"), "64M of RAM not in: %s", r.out);
    run_free(&r);
}
END_TEST

/* Errors found while building the machine are one line and exit 1 too. */
START_TEST(test_machine_errors)
{
    if (!kernel) {
        return;
    }
    ASSERT_ONE_LINE_ERROR("-serial", "-kernel", kernel, "-serial", "bogus::4444");
    ASSERT_ONE_LINE_ERROR("bogus-device", "-kernel", kernel, "-device", "bogus-device");
    ASSERT_ONE_LINE_ERROR("kernel-irqchip=maybe", "-kernel", kernel, "-accel",
                          "kvm,kernel-irqchip=maybe");
}
END_TEST

/* The guest runs: its first instruction writes isa-debug-exit (status 5). */
START_TEST(test_guest_exit_status)
{
    if (!kernel) {
        return;
    }
    /* Under kvm for now; tcg joins once the interpreter runs guests. */
    DuetRun r = run_duet("-accel", "kvm", "-kernel", kernel, "-device",
                         "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "none", NULL);
    if (r.status == 1 && strstr(r.err, "-accel kvm")) {
        printf("test_guest_exit_status: kvm not usable here: %s", r.err);
    } else {
        ck_assert_msg(r.status == 5, "status %d, stderr: %s", r.status, r.err);
    }
    run_free(&r);
}
END_TEST

/* i8042 reset twice, then exit with the boot count: status 7; with
 * -no-reboot the first reset is a clean shutdown. */
START_TEST(test_reset)
{
    if (!reset_kernel) {
        return;
    }
    const char *irqchips[] = { "kvm", "kvm,kernel-irqchip=off" };
    for (size_t i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        DuetRun r = run_duet("-accel", irqchips[i], "-kernel", reset_kernel, "-device",
                             "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "none", NULL);
        if (r.status == 1 && strstr(r.err, "-accel kvm")) {
            printf("test_reset: kvm not usable here: %s", r.err);
            run_free(&r);
            return;
        }
        ck_assert_msg(r.status == 7, "%s: status %d, stderr: %s", irqchips[i], r.status, r.err);
        run_free(&r);

        r = run_duet("-accel", irqchips[i], "-kernel", reset_kernel, "-device",
                     "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "none", "-no-reboot",
                     NULL);
        ck_assert_msg(r.status == 0, "%s -no-reboot: status %d, stderr: %s", irqchips[i],
                      r.status, r.err);
        run_free(&r);
    }
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-DUET\n", argv[0]);
        return 2;
    }
    duet_binary = argv[1];
    kernel = argc > 2 ? argv[2] : NULL;
    reset_kernel = argc > 3 ? argv[3] : NULL;

    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_unknown_option);
    tcase_add_test(tc, test_cpu_option);
    tcase_add_test(tc, test_missing_argument);
    tcase_add_test(tc, test_bad_memory_size);
    tcase_add_test(tc, test_bad_accel);
    tcase_add_test(tc, test_missing_kernel);
    tcase_add_test(tc, test_bad_log_item);
    tcase_add_test(tc, test_version_and_help);
    tcase_add_test(tc, test_accel_help);
    tcase_add_test(tc, test_mtree);
    tcase_add_test(tc, test_machine_errors);
    tcase_add_test(tc, test_guest_exit_status);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
