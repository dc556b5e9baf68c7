/* Block node options (block/options.c, bdrv_open_opts): parsing, the take
 * helpers' accepted and refused values, and the open-time rule that every
 * key must be taken by some driver. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"
#include "host-probe.h"
#include "qemu/main-loop.h"
#include "sysemu/block-backend.h"
#include "trace/trace.h"

static char *tmpdir;
static char *img;

static void setup(void)
{
    BlockCreateOpts opts = { 0 };
    Error *err = NULL;

    tmpdir = g_dir_make_tmp("duet-opts-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    img = g_build_filename(tmpdir, "disk.raw", NULL);
    opts.filename = img;
    opts.size = 1 << 20;
    ck_assert(bdrv_create(bdrv_find_format("raw"), &opts, &err));
}

static void teardown(void)
{
    unlink(img);
    rmdir(tmpdir);
    g_free(img);
    g_free(tmpdir);
}

static GHashTable *parse_ok(const char *str)
{
    GHashTable *t = bdrv_options_new();
    Error *err = NULL;

    if (!bdrv_options_parse(t, str, &err)) {
        ck_abort_msg("parse '%s': %s", str, error_get_pretty(err));
    }
    return t;
}

/* The message of a failed open with options str, or NULL if it opened. */
static char *open_error(const char *filename, const char *fmt, const char *str)
{
    g_autoptr(GHashTable) t = parse_ok(str);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open_opts(filename, fmt, 0, t, &err);
    char *msg;

    if (bs) {
        bdrv_unref(bs);
        return NULL;
    }
    msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

START_TEST(test_parse)
{
    g_autoptr(GHashTable) t = parse_ok("a=1,b=x,,y,c=,a=2");
    g_autoptr(GHashTable) bad = bdrv_options_new();
    Error *err = NULL;

    ck_assert_uint_eq(g_hash_table_size(t), 3);
    ck_assert_str_eq(g_hash_table_lookup(t, "a"), "2"); /* later keys win */
    ck_assert_str_eq(g_hash_table_lookup(t, "b"), "x,y");
    ck_assert_str_eq(g_hash_table_lookup(t, "c"), "");
    ck_assert(!bdrv_options_parse(bad, "a=1,novalue,c=3", &err));
    ck_assert_str_eq(error_get_pretty(err), "Expected key=value, not 'novalue'");
    error_free(err);
    err = NULL;
    ck_assert(!bdrv_options_parse(bad, "=3", &err));
    error_free(err);
}
END_TEST

START_TEST(test_extract_prefix)
{
    g_autoptr(GHashTable) t = parse_ok("file.aio=native,l2-cache-size=1M,file.x.y=2");
    g_autoptr(GHashTable) sub = bdrv_options_extract_prefix(t, "file.");

    ck_assert_uint_eq(g_hash_table_size(t), 1);
    ck_assert_str_eq(g_hash_table_lookup(t, "l2-cache-size"), "1M");
    ck_assert_uint_eq(g_hash_table_size(sub), 2);
    ck_assert_str_eq(g_hash_table_lookup(sub, "aio"), "native");
    ck_assert_str_eq(g_hash_table_lookup(sub, "x.y"), "2");
}
END_TEST

START_TEST(test_sizes)
{
    static const struct {
        const char *str;
        uint64_t bytes;
    } good[] = {
        { "0", 0 },
        { "4096", 4096 },
        { "64k", 65536 },
        { "64K", 65536 },
        { "1M", 1 << 20 },
        { "1.5M", 3 << 19 },
        { "2g", 2ULL << 30 },
        { "1T", 1ULL << 40 },
        { "512B", 512 },
        { "15E", 15ULL << 60 },
        { "18446744073709551615", UINT64_MAX },
    };
    static const char *const bad[] = {
        "", "-1", "+1", "abc", "1x", "1MB", " 1", "1 ", "0x10", "1.5", "1.M", ".5M",
        "16E", "18446744073709551616", "inf",
    };
    uint64_t v;

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        ck_assert_msg(bdrv_parse_size(good[i].str, &v), "%s", good[i].str);
        ck_assert_msg(v == good[i].bytes, "%s -> %" G_GUINT64_FORMAT, good[i].str, v);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!bdrv_parse_size(bad[i], &v), "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(test_take)
{
    g_autoptr(GHashTable) t = parse_ok("s=str,b1=on,b2=off,b3=yes,b4=maybe,z=2M,zz=2Q");
    g_autofree char *s = bdrv_opt_take_str(t, "s");
    bool b = false;
    uint64_t size = 7;
    Error *err = NULL;

    ck_assert_str_eq(s, "str");
    ck_assert_ptr_null(bdrv_opt_take_str(t, "s")); /* taken */
    ck_assert(bdrv_opt_take_bool(t, "b1", &b, &err) && b);
    ck_assert(bdrv_opt_take_bool(t, "b2", &b, &err) && !b);
    ck_assert(bdrv_opt_take_bool(t, "b3", &b, &err) && b);
    ck_assert(!bdrv_opt_take_bool(t, "b4", &b, &err));
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'b4' expects 'on' or 'off', not 'maybe'");
    error_free(err);
    err = NULL;
    /* Absent: the default stays. */
    ck_assert(bdrv_opt_take_bool(t, "absent", &b, &err) && b);
    ck_assert(bdrv_opt_take_size(t, "absent", &size, &err) && size == 7);
    ck_assert(bdrv_opt_take_size(t, "z", &size, &err) && size == 2 << 20);
    ck_assert(!bdrv_opt_take_size(t, "zz", &size, &err));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "Parameter 'zz' expects a size"));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "not '2Q'"));
    error_free(err);
    ck_assert_uint_eq(g_hash_table_size(t), 0);
    /* A NULL table has no keys. */
    ck_assert_ptr_null(bdrv_opt_take_str(NULL, "x"));
}
END_TEST

START_TEST(test_unconsumed)
{
    g_autofree char *e1 = open_error(img, "raw", "foo=1");
    g_autofree char *e2 = open_error(img, "raw", "file.bar=1,zzz=2");
    g_autofree char *e3 = open_error(img, "file", "baz=1");
    g_autofree char *e4 = open_error(img, NULL, "file.aio=threads,l2-cache-size=1M");

    ck_assert_str_eq(e1, "Block format 'raw' has no option 'foo'");
    /* The protocol node opens first. */
    ck_assert_str_eq(e2, "Block protocol 'file' has no option 'file.bar'");
    ck_assert_str_eq(e3, "Block protocol 'file' has no option 'baz'");
    /* Probed as raw, which has no cache options. */
    ck_assert_str_eq(e4, "Block format 'raw' has no option 'l2-cache-size'");
}
END_TEST

START_TEST(test_driver_and_filename_keys)
{
    g_autofree char *s1 = g_strdup_printf("driver=raw,file.filename=%s", img);
    g_autofree char *s2 = g_strdup_printf("filename=%s,file.driver=file", img);
    g_autofree char *s3 = g_strdup_printf("filename=%s,file.filename=%s", img, img);
    g_autofree char *s4 = g_strdup_printf("file.filename=%s,file.driver=nbd", img);
    g_autofree char *e5 = NULL, *e6 = NULL, *e7 = NULL, *e8 = NULL;

    ck_assert_ptr_null(open_error(NULL, NULL, s1));
    ck_assert_ptr_null(open_error(NULL, NULL, s2));
    e5 = open_error(NULL, NULL, s3);
    ck_assert_str_eq(e5, "Option 'file.filename' and the file name cannot both be given");
    e6 = open_error(img, "raw", "driver=qcow2");
    ck_assert_str_eq(e6, "Option 'driver' and the format cannot both be given");
    e7 = open_error(NULL, NULL, "driver=raw");
    ck_assert_str_eq(e7, "No file name given (filename= or file.filename=)");
    e8 = open_error(NULL, NULL, s4);
    ck_assert_str_eq(e8, "Unknown protocol driver 'nbd' (only 'file')");
}
END_TEST

START_TEST(test_caller_table_untouched)
{
    g_autoptr(GHashTable) t = parse_ok("driver=raw");
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open_opts(img, NULL, 0, t, &err);

    ck_assert_ptr_nonnull(bs);
    ck_assert_str_eq(bs->drv->format_name, "raw");
    ck_assert_ptr_null(bs->options); /* only there while opening */
    ck_assert_uint_eq(g_hash_table_size(t), 1);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_file_aio_errors)
{
    g_autofree char *e1 = open_error(img, "raw", "file.aio=native");
    g_autofree char *e2 = open_error(img, "raw", "file.aio=io_uring");
    g_autofree char *e3 = open_error(img, "file", "aio=fast");

    ck_assert_str_eq(e1, "aio=native needs the host page cache bypassed "
                         "(cache=none or cache=directsync)");
    ck_assert_str_eq(e2, "aio=io_uring is not supported by this build of duet "
                         "(use aio=threads or aio=native)");
    ck_assert_str_eq(e3, "Parameter 'aio' expects threads, native or io_uring, not 'fast'");
    /* threads needs no O_DIRECT. */
    ck_assert_ptr_null(open_error(img, "raw", "file.aio=threads"));
}
END_TEST

/* Native AIO submissions (laio_submit trace events) for one 64 KiB read or
 * write of the image with cache=none and options str.  One request per
 * open: a slow io_submit would send the next ones to the pool for a while. */
static int native_submissions(const char *str, bool write)
{
    g_autofree char *trace_path = g_build_filename(tmpdir, "trace", NULL);
    g_autofree char *trace_arg = g_strdup_printf("file=%s,enable=laio_submit", trace_path);
    g_autofree char *contents = NULL;
    g_autoptr(GHashTable) t = parse_ok(str);
    g_autofree uint8_t *buf = g_malloc(65536);
    Error *err = NULL;
    BlockBackend *blk;
    int n = 0;

    ck_assert(trace_opt_parse(trace_arg, &err));
    blk = blk_new_open_opts(img, "raw", "none", false, t, &err);
    ck_assert_msg(blk, "%s: %s", str, err ? error_get_pretty(err) : "");
    memset(buf, 0x5a, 65536);
    if (write) {
        ck_assert_int_eq(blk_pwrite(blk, 0, 65536, buf, 0), 0);
    } else {
        ck_assert_int_eq(blk_pread(blk, 0, 65536, buf, 0), 0);
    }
    blk_unref(blk);
    trace_enable_events("laio_submit", false);
    trace_close();
    ck_assert(g_file_get_contents(trace_path, &contents, NULL, NULL));
    for (char *p = contents; (p = strstr(p, "laio_submit")); p++) {
        n++;
    }
    unlink(trace_path);
    return n;
}

/* Which requests go to Linux AIO: reads and writes with aio=native, none
 * with aio=threads.  Without the option file_try_native chooses (at least
 * writes go native). */
START_TEST(test_file_aio_modes)
{
    int write_default = native_submissions("", true);
    int read_default = native_submissions("", false);
    int write_native = native_submissions("file.aio=native", true);
    int read_native = native_submissions("file.aio=native", false);
    int write_threads = native_submissions("file.aio=threads", true);
    int read_threads = native_submissions("file.aio=threads", false);

    if (getenv("TEST_VERBOSE")) {
        printf("laio_submit events (write/read): default %d/%d, native %d/%d, "
               "threads %d/%d\n", write_default, read_default, write_native, read_native,
               write_threads, read_threads);
    }
    /* the default is native AIO for O_DIRECT reads too (file_try_native) */
    ck_assert_int_gt(read_default, 0);
    ck_assert_int_gt(write_native, 0);
    ck_assert_int_gt(read_native, 0);
    ck_assert_int_eq(write_threads + read_threads, 0);
}
END_TEST

/* Test cases by what they need of the host (meson runs each on its own). */
static const char *options_needs(const char *tcase)
{
    if (strcmp(tcase, "laio")) {
        return NULL;
    }
    if (!host_has_odirect(NULL)) {
        return "the temporary directory does not support O_DIRECT";
    }
    return host_has_linux_aio() ? NULL : "io_setup fails: no Linux AIO for this process";
}

int main(int argc, char **argv)
{
    Error *err = NULL;
    const char *only;
    int skip = host_probe_tcase(argc, argv, options_needs, &only);

    if (skip) {
        return skip;
    }

    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        return 1;
    }
    Suite *s = suite_create("block-options");
    TCase *tc = tcase_create("options");

    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_extract_prefix);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_take);
    tcase_add_test(tc, test_unconsumed);
    tcase_add_test(tc, test_driver_and_filename_keys);
    tcase_add_test(tc, test_caller_table_untouched);
    tcase_add_test(tc, test_file_aio_errors);
    suite_add_tcase(s, tc);
    TCase *laio = tcase_create("laio");
    tcase_set_timeout(laio, 30);
    tcase_add_checked_fixture(laio, setup, teardown);
    tcase_add_test(laio, test_file_aio_modes);
    suite_add_tcase(s, laio);
    SRunner *sr = srunner_create(s);
    srunner_run(sr, NULL, only, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
