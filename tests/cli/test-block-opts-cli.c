/*
 * Block node options as a user types them: duet-img --image-opts (info,
 * check, map, compare, convert, bench) gives what the plain form gives,
 * bench's -n / -i reach the file node's aio option, and duet's -drive
 * takes node options and refuses bad ones with one line and exit 1.
 * argv: duet-img, duet, [exit-now guest of tests/guests/bench].
 */
#include <check.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *duet_img;
static const char *duet;
static const char *exit_now_kernel;
static char *tmpdir;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static RunResult run_argv(GPtrArray *argv)
{
    RunResult r = { 0 };
    g_autoptr(GError) gerr = NULL;
    int wait_status;

    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(tmpdir, (char **)argv->pdata, NULL, 0, NULL, NULL, &r.out, &r.err,
                      &wait_status, &gerr)) {
        ck_abort_msg("spawn %s: %s", (char *)argv->pdata[0], gerr->message);
    }
    ck_assert_msg(WIFEXITED(wait_status), "%s died by a signal: %s", (char *)argv->pdata[0],
                  r.err);
    r.status = WEXITSTATUS(wait_status);
    return r;
}

/* Runs bin with the NULL-terminated arguments in tmpdir. */
static RunResult run(const char *bin, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (char *)bin);
    va_start(ap, bin);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    return run_argv(argv);
}

static void run_free(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Exit status, one "prefix..." line on stderr containing needle. */
static void assert_one_line_error(RunResult *r, int status, const char *prefix,
                                  const char *needle)
{
    ck_assert_msg(r->status == status, "status %d (want %d), stderr: %s", r->status, status,
                  r->err);
    ck_assert_msg(g_str_has_prefix(r->err, prefix), "stderr: %s", r->err);
    ck_assert_msg(strchr(r->err, '\n') == r->err + strlen(r->err) - 1, "not one line: %s",
                  r->err);
    ck_assert_msg(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
}

static void assert_ok(RunResult *r)
{
    ck_assert_msg(r->status == 0, "status %d, stderr: %s", r->status, r->err);
}

static void setup(void)
{
    RunResult r;

    tmpdir = g_dir_make_tmp("duet-opts-cli-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    r = run(duet_img, "create", "-q", "-f", "qcow2", "d.qcow2", "64M", NULL);
    assert_ok(&r);
    run_free(&r);
    /* Some data, so map and compare have something to say. */
    r = run(duet_img, "bench", "-q", "-w", "-c", "64", "-s", "64k", "-S", "1M", "d.qcow2",
            NULL);
    assert_ok(&r);
    run_free(&r);
}

static void teardown(void)
{
    g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(tmpdir, name, NULL);
        unlink(p);
    }
    rmdir(tmpdir);
    g_free(tmpdir);
}

/* The plain and the --image-opts form print the same and exit the same. */
static void assert_same(const char *cmd, const char *opt_arg, const char *output)
{
    RunResult a = run(duet_img, cmd, output, "d.qcow2", NULL);
    RunResult b = run(duet_img, cmd, output, "--image-opts", opt_arg, NULL);

    assert_ok(&a);
    ck_assert_msg(b.status == a.status, "%s: %d vs %d: %s", cmd, a.status, b.status, b.err);
    ck_assert_msg(!strcmp(a.out, b.out), "%s %s:\n%s---\n%s", cmd, output, a.out, b.out);
    ck_assert_str_eq(b.err, "");
    run_free(&a);
    run_free(&b);
}

START_TEST(test_image_opts_same_as_plain)
{
    static const char *const cmds[] = { "info", "check", "map" };
    static const char *const opt_args[] = {
        "driver=qcow2,file.filename=d.qcow2",
        "file.filename=d.qcow2,l2-cache-size=64k,overlap-check=all",
        "filename=d.qcow2,cache-size=1M,file.aio=threads",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        for (size_t j = 0; j < G_N_ELEMENTS(opt_args); j++) {
            assert_same(cmds[i], opt_args[j], "--output=human");
            assert_same(cmds[i], opt_args[j], "--output=json");
        }
    }
}
END_TEST

START_TEST(test_image_opts_compare_convert)
{
    RunResult r = run(duet_img, "convert", "-O", "raw", "--image-opts",
                      "driver=qcow2,file.filename=d.qcow2,l2-cache-size=8k", "out.raw", NULL);

    assert_ok(&r);
    run_free(&r);
    r = run(duet_img, "compare", "-f", "qcow2", "-F", "raw", "d.qcow2", "out.raw", NULL);
    assert_ok(&r);
    ck_assert_str_eq(r.out, "Images are identical.\n");
    run_free(&r);
    r = run(duet_img, "compare", "--image-opts", "driver=qcow2,file.filename=d.qcow2",
            "driver=raw,file.filename=out.raw", NULL);
    assert_ok(&r);
    ck_assert_str_eq(r.out, "Images are identical.\n");
    run_free(&r);
    /* compare's errors exit 2, as qemu-img's do. */
    r = run(duet_img, "compare", "--image-opts", "-f", "qcow2", "a", "b", NULL);
    assert_one_line_error(&r, 2, "duet-img: ",
                          "--image-opts and --format are mutually exclusive");
    run_free(&r);
}
END_TEST

START_TEST(test_image_opts_errors)
{
    static const struct {
        const char *cmd;
        const char *arg;
        const char *error;
    } cases[] = {
        { "info", "driver=qcow2,file.filename=d.qcow2,foo=1",
          "Could not open 'driver=qcow2,file.filename=d.qcow2,foo=1': "
          "Block format 'qcow2' does not support the option 'foo'" },
        { "check", "driver=qcow2,file.filename=d.qcow2,file.bar=1",
          "Block protocol 'file' does not support the option 'file.bar'" },
        { "map", "driver=qcow2,file.filename=d.qcow2,overlap-check=some",
          "Unsupported value 'some' for qcow2 option 'overlap-check'. Allowed are any of "
          "the following: none, constant, cached, all" },
        { "info", "d.qcow2", "Could not open 'd.qcow2': Expected '=' after parameter 'd.qcow2'" },
        { "info", "driver=qcow2", "No file name given (filename= or file.filename=)" },
        { "info", "driver=vmdk,file.filename=d.qcow2", "Unknown driver 'vmdk'" },
        { "info", "driver=raw,file.filename=d.qcow2,l2-cache-size=1M",
          "Block format 'raw' does not support the option 'l2-cache-size'" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        RunResult r = run(duet_img, cases[i].cmd, "--image-opts", cases[i].arg, NULL);
        assert_one_line_error(&r, 1, "duet-img: ", cases[i].error);
        run_free(&r);
    }
    for (const char *const *cmd = (const char *const[]){ "info", "check", "map", "bench",
                                                         "convert", NULL };
         *cmd; cmd++) {
        RunResult r = run(duet_img, *cmd, "--image-opts", "-f", "qcow2", "x", "y", NULL);
        assert_one_line_error(&r, 1, "duet-img: ",
                              "--image-opts and --format are mutually exclusive");
        run_free(&r);
    }
}
END_TEST

START_TEST(test_bench_aio)
{
    static const char *const ok[][4] = {
        { "-n", "-t", "none", NULL },
        { "-i", "native", "-t", "none" },
        { "-i", "native", "-t", "directsync" },
        { "-i", "threads", NULL },
        { "-i", "threads", "-t", "none" },
    };
    RunResult r;

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *)duet_img);
        g_ptr_array_add(argv, "bench");
        g_ptr_array_add(argv, "-c");
        g_ptr_array_add(argv, "2000");
        for (int j = 0; j < 4 && ok[i][j]; j++) {
            g_ptr_array_add(argv, (char *)ok[i][j]);
        }
        g_ptr_array_add(argv, "d.qcow2");
        r = run_argv(argv);
        assert_ok(&r);
        ck_assert_msg(strstr(r.out, "Run completed in"), "%s", r.out);
        run_free(&r);
    }
    /* Native AIO is for O_DIRECT only, as in qemu-img. */
    r = run(duet_img, "bench", "-c", "10", "-n", "d.qcow2", NULL);
    assert_one_line_error(&r, 1, "duet-img: ",
                          "Could not open 'd.qcow2': aio=native was specified, but it "
                          "requires cache.direct=on, which was not specified.");
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    r = run(duet_img, "bench", "-c", "10", "-i", "native", "-t", "writeback", "d.qcow2", NULL);
    assert_one_line_error(&r, 1, "duet-img: ", "aio=native was specified, but it requires");
    run_free(&r);
    r = run(duet_img, "bench", "-c", "10", "-i", "io_uring", "-t", "none", "d.qcow2", NULL);
    assert_one_line_error(&r, 1, "duet-img: ",
                          "aio=io_uring is not supported by this build of duet");
    run_free(&r);
    r = run(duet_img, "bench", "-c", "10", "-i", "fast", "d.qcow2", NULL);
    assert_one_line_error(&r, 1, "duet-img: ", "Invalid aio option: fast");
    run_free(&r);
    /* --image-opts and -i together: -i sets file.aio. */
    r = run(duet_img, "bench", "-c", "100", "-w", "-i", "native", "-t", "none", "--image-opts",
            "driver=qcow2,file.filename=d.qcow2,l2-cache-size=8k", NULL);
    assert_ok(&r);
    run_free(&r);
}
END_TEST

START_TEST(test_drive_bad_options)
{
    static const struct {
        const char *drive;
        const char *error;
    } cases[] = {
        { "file=d.qcow2,format=qcow2,foo=1",
          "Block format 'qcow2' does not support the option 'foo'" },
        { "file=d.qcow2,format=qcow2,l2-cache-size=4X",
          "Parameter 'l2-cache-size' expects a non-negative number below 2^64" },
        { "file=d.qcow2,format=qcow2,overlap-check=some",
          "Unsupported value 'some' for qcow2 option 'overlap-check'" },
        { "file=d.qcow2,aio=native", "aio=native was specified, but it requires cache.direct=on" },
        { "file=d.qcow2,cache=none,aio=io_uring", "aio=io_uring is not supported" },
        { "file=d.qcow2,file.aoi=native",
          "Block protocol 'file' does not support the option 'file.aoi'" },
        { "if=ide,aio=native", "A block device must be specified for \"file\"" },
    };

    if (!exit_now_kernel) {
        printf("SKIP test_drive_bad_options: no exit-now guest (not built here)\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        RunResult r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-nographic",
                          "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                          "-drive", cases[i].drive, NULL);
        assert_one_line_error(&r, 1, "duet: -drive ", cases[i].error);
        run_free(&r);
    }
}
END_TEST

/* The exit-now guest exits through isa-debug-exit with status 5. */
START_TEST(test_drive_good_options)
{
    static const char *const drives[] = {
        "file=d.qcow2,format=qcow2,l2-cache-size=4M,overlap-check=all",
        "file=d.qcow2,format=qcow2,cache-size=64k,refcount-cache-size=16k",
        "file=d.qcow2,format=qcow2,cache=none,aio=native",
        "file=d.qcow2,cache=none,file.aio=threads",
    };

    if (!exit_now_kernel) {
        printf("SKIP test_drive_good_options: no exit-now guest (not built here)\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(drives); i++) {
        RunResult r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-nographic",
                          "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                          "-drive", drives[i], NULL);
        ck_assert_msg(r.status == 5, "%s: status %d, stderr: %s", drives[i], r.status, r.err);
        run_free(&r);
    }
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s = suite_create("block-opts-cli");
    TCase *tc = tcase_create("cli");
    SRunner *sr;
    int failed;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DUET-IMG DUET [EXIT-NOW-GUEST]\n", argv[0]);
        return 1;
    }
    /* Absolute: the commands run in a temporary directory. */
    duet_img = g_canonicalize_filename(argv[1], NULL);
    duet = g_canonicalize_filename(argv[2], NULL);
    if (argc > 3 && access(argv[3], R_OK) == 0) {
        exit_now_kernel = g_canonicalize_filename(argv[3], NULL);
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_image_opts_same_as_plain);
    tcase_add_test(tc, test_image_opts_compare_convert);
    tcase_add_test(tc, test_image_opts_errors);
    tcase_add_test(tc, test_bench_aio);
    tcase_add_test(tc, test_drive_bad_options);
    tcase_add_test(tc, test_drive_good_options);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
