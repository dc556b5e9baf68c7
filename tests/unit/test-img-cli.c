/* duet-img on raw images, as a user runs it: output, exit codes, and
 * one-line errors for bad input.  argv[1] is the duet-img binary. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static const char *duet_img;
static char *tmpdir;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static void run_result_clear(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Runs duet-img with the given arguments (NULL-terminated) in tmpdir. */
static RunResult run(const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    RunResult r = { 0 };
    GError *gerr = NULL;
    va_list ap;
    int wait_status;

    g_ptr_array_add(argv, (char *)duet_img);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(tmpdir, (char **)argv->pdata, NULL, 0, NULL, NULL, &r.out, &r.err,
                      &wait_status, &gerr)) {
        ck_abort_msg("spawn %s: %s", duet_img, gerr->message);
    }
    r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    g_ptr_array_free(argv, TRUE);
    return r;
}

/*
 * A failure is "duet-img: ..." lines (one; two where qemu-img breaks its
 * message in two) and a non-zero status; a usage error adds qemu-img's
 * "Try 'duet-img --help' ..." line.
 */
static void assert_one_line_error(RunResult *r, int status)
{
    g_auto(GStrv) lines = g_strsplit(r->err, "\n", -1);
    guint n = g_strv_length(lines);

    ck_assert_int_eq(r->status, status);
    ck_assert_msg(n >= 2 && n <= 3 && !*lines[n - 1], "stderr: %s", r->err);
    for (guint i = 0; i + 1 < n; i++) {
        ck_assert_msg(g_str_has_prefix(lines[i], "duet-img: ") ||
                          (i && !strcmp(lines[i], "Try 'duet-img --help' for more information")),
                      "stderr: %s", r->err);
    }
}

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-img-cli-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

static void write_bytes(const char *name, off_t offset, const void *buf, size_t len)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, buf, len, offset), (ssize_t)len);
    close(fd);
}

START_TEST(test_create_info)
{
    RunResult r = run("create", "-f", "raw", "a.raw", "1M", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "Formatting 'a.raw', fmt=raw size=1048576\n");
    run_result_clear(&r);

    r = run("info", "a.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "image: a.raw\nfile format: raw\n"
                                        "virtual size: 1 MiB (1048576 bytes)\n"));
    run_result_clear(&r);

    r = run("info", "--output=json", "a.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"virtual-size\": 1048576,"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"format\": \"raw\","));
    ck_assert_ptr_nonnull(strstr(r.out, "\"dirty-flag\": false"));
    run_result_clear(&r);

    r = run("check", "a.raw", NULL);
    assert_one_line_error(&r, 63);
    run_result_clear(&r);
}
END_TEST

START_TEST(test_convert_compare_map)
{
    uint8_t data[100];
    memset(data, 0x5a, sizeof(data));

    RunResult r = run("create", "-q", "-f", "raw", "a.raw", "1M", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "");
    run_result_clear(&r);
    write_bytes("a.raw", 3000, data, sizeof(data));

    r = run("convert", "-O", "raw", "a.raw", "b.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    run_result_clear(&r);
    r = run("compare", "a.raw", "b.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "Images are identical.\n");
    run_result_clear(&r);

    write_bytes("b.raw", 5000, data, 1);
    r = run("compare", "a.raw", "b.raw", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "Content mismatch at offset 4608!\n");
    run_result_clear(&r);

    r = run("map", "--output=json", "a.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(g_str_has_prefix(r.out, "[{ \"start\": 0, \"length\": 4096, \"depth\": 0, "
                                          "\"present\": true, \"zero\": false, "
                                          "\"data\": true, \"offset\": 0},\n"),
                  "map: %s", r.out);
    run_result_clear(&r);

    r = run("compare", "a.raw", "missing.raw", NULL);
    assert_one_line_error(&r, 2);
    run_result_clear(&r);
}
END_TEST

START_TEST(test_resize)
{
    RunResult r = run("create", "-q", "-f", "raw", "a.raw", "1M", NULL);
    run_result_clear(&r);
    r = run("resize", "-f", "raw", "a.raw", "+1M", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "Image resized.\n");
    run_result_clear(&r);
    /* Needs --shrink: qemu-img's error, then its warning (two lines). */
    r = run("resize", "-f", "raw", "a.raw", "-512k", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "duet-img: Use the --shrink option to perform a shrink operation.\n"
                            "duet-img: warning: Shrinking an image will delete all data beyond "
                            "the shrunken image's end. Before performing such an operation, "
                            "make sure there is no important data there.\n");
    run_result_clear(&r);
    /* With --shrink: no warning. */
    r = run("resize", "-f", "raw", "--shrink", "a.raw", "-512k", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    run_result_clear(&r);
    r = run("info", "--output=json", "a.raw", NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "\"virtual-size\": 1572864,"));
    run_result_clear(&r);
}
END_TEST

/* Shrinking to nothing is refused as qemu-img refuses it (exit 1), with
 * --shrink or without, and leaves the image alone. */
START_TEST(test_resize_to_zero)
{
    const char *const cases[][4] = {
        { "--shrink", "a.raw", "0", NULL },
        { "--shrink", "a.raw", "-1536k", NULL },
        { "--shrink", "a.qcow2", "0", NULL },
        { "a.qcow2", "0", NULL },
        { "--shrink", "a.qcow2", "-1M", NULL },
    };
    RunResult r = run("create", "-q", "-f", "raw", "a.raw", "1536k", NULL);
    run_result_clear(&r);
    r = run("create", "-q", "-f", "qcow2", "a.qcow2", "1M", NULL);
    run_result_clear(&r);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *const *a = cases[i];
        r = run("resize", a[0], a[1], a[2], NULL);
        ck_assert_msg(r.status == 1, "case %zu: status %d", i, r.status);
        /* after QEMU's probed-raw warning, for a.raw */
        ck_assert_msg(g_str_has_suffix(r.err, "\nduet-img: New image size must be positive\n") ||
                          !strcmp(r.err, "duet-img: New image size must be positive\n"),
                      "case %zu: %s", i, r.err);
        run_result_clear(&r);
    }
    r = run("info", "--output=json", "a.raw", NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "\"virtual-size\": 1572864,"));
    run_result_clear(&r);
    r = run("info", "--output=json", "a.qcow2", NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "\"virtual-size\": 1048576,"));
    run_result_clear(&r);
}
END_TEST

START_TEST(test_bad_input)
{
    const char *const cases[][7] = {
        { "frobnicate", NULL },
        { "info", "missing.raw", NULL },
        { "info", "--bogus", "a.raw", NULL },
        { "info", "--output=xml", "a.raw", NULL },
        { "create", "-f", "raw", "x.raw", "12Q", NULL },
        { "create", "-f", "vmdk", "x.raw", "1M", NULL },
        { "create", "-f", "raw", "-o", "cluster_size=4k", "x.raw", NULL },
        { "create", "-f", "raw", "x.raw", NULL },
        { "bench", "-c", "zero", "a.raw", NULL },
        { "bench", "-s", "4M", "a.raw", NULL },
        { "convert", "-c", "-O", "raw", "a.raw", "y.raw", NULL },
        { "check", "-r", "everything", "a.raw", NULL },
    };
    RunResult r = run("create", "-q", "-f", "raw", "a.raw", "1M", NULL);
    run_result_clear(&r);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *const *a = cases[i];
        r = run(a[0], a[1], a[2], a[3], a[4], a[5], NULL);
        ck_assert_msg(r.status == 1, "case %zu (%s %s): status %d", i, a[0],
                      a[1] ? a[1] : "", r.status);
        assert_one_line_error(&r, 1);
        run_result_clear(&r);
    }
}
END_TEST

/* CMD -h / --help: the tool's help on stdout, exit 0, whatever else came */
START_TEST(test_command_help)
{
    static const char *const cmds[] = { "info", "measure", "amend", "rebase", "commit",
                                        "dd", "bitmap", "convert" };

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        RunResult r = run(cmds[i], "--help", NULL);

        ck_assert_int_eq(r.status, 0);
        ck_assert_msg(strstr(r.out, "usage: ") && strstr(r.out, "  rebase "),
                      "%s --help: %s", cmds[i], r.out);
        ck_assert_str_eq(r.err, "");
        run_result_clear(&r);
        r = run(cmds[i], "-q", "-h", "x", NULL);
        ck_assert_int_eq(r.status, 0);
        ck_assert(strstr(r.out, "usage: ") != NULL);
        run_result_clear(&r);
    }
}
END_TEST

START_TEST(test_bench)
{
    RunResult r = run("create", "-q", "-f", "raw", "a.raw", "16M", NULL);
    run_result_clear(&r);
    r = run("bench", "-w", "-c", "2000", "-d", "8", "-t", "none", "a.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(g_str_has_prefix(r.out, "Sending 2000 write requests, 4096 bytes each, 8 in "
                                          "parallel (starting at offset 0, step size 4096)\n"
                                          "Run completed in "),
                  "%s", r.out);
    run_result_clear(&r);
    r = run("bench", "-c", "2000", "-S", "8192", "--pattern=1", "a.raw", NULL);
    ck_assert_int_eq(r.status, 0);
    run_result_clear(&r);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-DUET-IMG\n", argv[0]);
        return 1;
    }
    duet_img = g_canonicalize_filename(argv[1], NULL); /* we chdir to tmpdir */
    Suite *s = suite_create("duet-img");
    TCase *tc = tcase_create("raw");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create_info);
    tcase_add_test(tc, test_convert_compare_map);
    tcase_add_test(tc, test_resize);
    tcase_add_test(tc, test_resize_to_zero);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_bench);
    tcase_add_test(tc, test_command_help);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
