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

extern const BlockDriver bdrv_qcow2;

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
    ck_assert_str_eq(error_get_pretty(err), "Expected '=' after parameter 'novalue'");
    error_free(err);
    err = NULL;
    ck_assert(!bdrv_options_parse(bad, "=3", &err));
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter ''");
    error_free(err);
    err = NULL;
    /* Help is for bdrv_node_options_help; here it is no option. */
    ck_assert(!bdrv_options_parse(bad, "a=1,help", &err));
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter 'help'");
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

/* The take helpers type values as the option parser does (qemu_strtosz,
 * on/off): the rules are util's, tested in test-option. */
START_TEST(test_take_rules)
{
    g_autoptr(GHashTable) t = parse_ok("a=0x10,b=1.5,c=1.5k,d=16E,e=true,f=ON");
    uint64_t v = 0;
    bool b = false;
    Error *err = NULL;

    ck_assert(bdrv_opt_take_size(t, "a", &v, &err) && v == 16);
    ck_assert(!bdrv_opt_take_size(t, "b", &v, &err)); /* a fraction needs a suffix */
    error_free(err);
    err = NULL;
    ck_assert(bdrv_opt_take_size(t, "c", &v, &err) && v == 1536);
    ck_assert(!bdrv_opt_take_size(t, "d", &v, &err));
    ck_assert_str_eq(error_get_pretty(err), "Value '16E' is out of range for parameter 'd'");
    error_free(err);
    err = NULL;
    ck_assert(bdrv_opt_take_bool(t, "e", &b, &err) && b);
    ck_assert(!bdrv_opt_take_bool(t, "f", &b, &err));
    error_free(err);
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
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'b4' expects 'on' or 'off'");
    error_free(err);
    err = NULL;
    /* Absent: the default stays. */
    ck_assert(bdrv_opt_take_bool(t, "absent", &b, &err) && b);
    ck_assert(bdrv_opt_take_size(t, "absent", &size, &err) && size == 7);
    ck_assert(bdrv_opt_take_size(t, "z", &size, &err) && size == 2 << 20);
    ck_assert(!bdrv_opt_take_size(t, "zz", &size, &err));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err),
                                 "Parameter 'zz' expects a non-negative number below 2^64"));
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

    ck_assert_str_eq(e1, "Block format 'raw' does not support the option 'foo'");
    /* The protocol node opens first. */
    ck_assert_str_eq(e2, "Block protocol 'file' does not support the option 'file.bar'");
    ck_assert_str_eq(e3, "Block protocol 'file' does not support the option 'baz'");
    /* Probed as raw, which has no cache options. */
    ck_assert_str_eq(e4, "Block format 'raw' does not support the option 'l2-cache-size'");
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
    ck_assert_str_eq(e8, "Unknown protocol driver 'nbd'");
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

    ck_assert_str_eq(e1, "aio=native was specified, but it requires cache.direct=on, "
                         "which was not specified.");
    ck_assert_str_eq(e2, "aio=io_uring is not supported by this build of duet "
                         "(use aio=threads or aio=native)");
    ck_assert_str_eq(e3, "Parameter 'aio' expects threads, native or io_uring, not 'fast'");
    /* threads needs no O_DIRECT. */
    ck_assert_ptr_null(open_error(img, "raw", "file.aio=threads"));
}
END_TEST

/* What bdrv_node_options_help_str prints for str, or NULL if it printed
 * nothing (no help asked for). */
static char *node_help(const char *str)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bool printed = bdrv_node_options_help_str(f, str);

    fclose(f);
    ck_assert_msg(printed == (len > 0), "%s: printed %d, %zu bytes", str, printed, len);
    if (!printed) {
        free(buf);
        return NULL;
    }
    return buf;
}

START_TEST(test_node_help)
{
    g_autofree char *qcow2 = node_help("driver=qcow2,help");
    g_autofree char *all = node_help("?");
    g_autofree char *key = node_help("driver=qcow2,file.filename=x,l2-cache-size=help");
    g_autofree char *file_key = node_help("file.aio=?");
    g_autofree char *deep = node_help("backing.file.prealloc-size=help");
    g_autofree char *drv = node_help("driver=help");

    ck_assert_msg(g_str_has_prefix(qcow2, "qcow2 options:\n"), "%s", qcow2);
    ck_assert_ptr_nonnull(strstr(qcow2, "\n  cache-size=<size> "));
    ck_assert_ptr_nonnull(strstr(qcow2, "\n  driver=<str> "));
    ck_assert_ptr_nonnull(strstr(qcow2, "\n  file.aio=<str> "));
    ck_assert_ptr_nonnull(strstr(qcow2, "\n  file.filename=<str> "));
    ck_assert_ptr_nonnull(strstr(qcow2, "\n  overlap-check=<str> "));
    ck_assert_ptr_nonnull(strstr(qcow2, "(allowed values: none, constant, cached, all)"));
    ck_assert_ptr_nonnull(strstr(qcow2, "backing.KEY"));
    ck_assert_ptr_null(strstr(qcow2, "raw options:"));
    /* Sorted: cache-size before driver before file.* before l2-cache-size. */
    ck_assert(strstr(qcow2, "cache-size=") < strstr(qcow2, "driver="));
    ck_assert(strstr(qcow2, "file.prealloc-size=") < strstr(qcow2, "l2-cache-size="));
    /* Without a driver: every driver's. */
    ck_assert_ptr_nonnull(strstr(all, "file options:\n"));
    ck_assert_ptr_nonnull(strstr(all, "raw options:\n"));
    ck_assert_ptr_nonnull(strstr(all, "qcow2 options:\n"));
    /* KEY=help: that key's line, spelled as the user wrote it. */
    ck_assert_msg(g_str_has_prefix(key, "  l2-cache-size=<size> ") && !strchr(key, '\n')[1],
                  "%s", key);
    ck_assert_msg(g_str_has_prefix(file_key, "  file.aio=<str> "), "%s", file_key);
    ck_assert_ptr_nonnull(strstr(file_key, "(allowed values: threads, native, io_uring)"));
    ck_assert_msg(g_str_has_prefix(deep, "  backing.file.prealloc-size=<size> "), "%s", deep);
    ck_assert_ptr_nonnull(strstr(drv, "(allowed values: file, raw, qcow2, blkdebug, null-co, null-aio)"));
    /* Not help: free text takes "help" literally, an unknown key is the
     * open's to refuse, and no help item at all. */
    ck_assert_ptr_null(node_help("file.filename=help"));
    ck_assert_ptr_null(node_help("bogus=help"));
    ck_assert_ptr_null(node_help("driver=qcow2,file.filename=x"));
    ck_assert_ptr_null(node_help("driver=qcow2,,help"));
}
END_TEST

/* Every key a driver lists for help is one it takes: a bad value is its
 * error, not "does not support the option". */
START_TEST(test_runtime_opts_taken)
{
    for (const BlockDriver *const *p = bdrv_drivers(); *p; p++) {
        const BlockDriver *drv = *p;

        /* qcow2's: test-qcow2-options, which has qcow2 images. */
        for (const QemuOptDesc *d = drv->runtime_opts; d && d->name && drv != &bdrv_qcow2; d++) {
            g_autofree char *str = g_strdup_printf("%s=zz-bad", d->name);
            g_autofree char *e = open_error(img, drv->format_name, str);

            ck_assert_msg(e && !strstr(e, "does not support"), "%s: %s", str, e ? e : "opened");
        }
    }
}
END_TEST

START_TEST(test_format_names)
{
    const BlockDriver *const *drivers = bdrv_drivers();
    size_t i = 0;

    for (; drivers[i]; i++) {
        ck_assert_ptr_nonnull(bdrv_format_names[i]);
        ck_assert_str_eq(bdrv_format_names[i], drivers[i]->format_name);
    }
    ck_assert_ptr_null(bdrv_format_names[i]);
}
END_TEST

/* The message of a refused bdrv_create, after checking no file was left. */
static char *create_error(const char *fmt, const char *optstr)
{
    g_autofree char *path = g_build_filename(tmpdir, "new.img", NULL);
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&bdrv_create_opts_list, optstr, NULL);
    BlockCreateOpts co = { .filename = path, .size = 1 << 20, .opts = opts };
    Error *err = NULL;
    char *msg;

    ck_assert_ptr_nonnull(opts);
    if (bdrv_create(bdrv_find_format(fmt), &co, &err)) {
        unlink(path);
        return NULL;
    }
    ck_assert_msg(!g_file_test(path, G_FILE_TEST_EXISTS), "%s %s left a file", fmt, optstr);
    msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

START_TEST(test_create_opts)
{
    static const struct {
        const char *fmt, *opts, *msg;
    } bad[] = {
        { "raw", "bogus=1", "Invalid parameter 'bogus'" },
        { "raw", "cluster_size=4k", "Invalid parameter 'cluster_size'" },
        { "raw", "preallocation=bogus", "Parameter 'preallocation' does not accept value 'bogus'" },
        { "raw", "preallocation=metadata",
          "Parameter 'preallocation' does not accept value 'metadata'" },
        { "qcow2", "bogus=1", "Invalid parameter 'bogus'" },
        { "qcow2", "cluster_size=abc", "Parameter 'cluster_size' expects a non-negative number "
          "below 2^64 (optional suffix k, M, G, T, P or E for powers of 1024)" },
        { "qcow2", "cluster_size=1000", "Cluster size must be a power of two between 512 and "
          "2048k" },
        { "qcow2", "lazy_refcounts=maybe", "Parameter 'lazy_refcounts' expects 'on' or 'off'" },
        { "qcow2", "refcount_bits=x", "Parameter 'refcount_bits' expects a number" },
        { "qcow2", "refcount_bits=3", "Refcount width must be a power of two and may not "
          "exceed 64 bits" },
        { "qcow2", "compat=9", "Parameter 'compat' does not accept value '9'" },
        { "qcow2", "preallocation=bogus", "Parameter 'preallocation' does not accept value 'bogus'" },
    };
    g_autofree QemuOptDesc *raw = bdrv_create_opts_merged(bdrv_find_format("raw"));
    g_autofree QemuOptDesc *qcow2 = bdrv_create_opts_merged(bdrv_find_format("qcow2"));
    size_t n = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *e = create_error(bad[i].fmt, bad[i].opts);
        ck_assert_msg(e && !strcmp(e, bad[i].msg), "%s %s: %s", bad[i].fmt, bad[i].opts,
                      e ? e : "created");
    }
    ck_assert_ptr_null(create_error("raw", "preallocation=falloc,size=2M"));
    ck_assert_ptr_null(create_error("qcow2", "cluster_size=4k,lazy_refcounts=on"));
    /* raw's size plus file's options (preallocation among them, once);
     * qcow2's own preallocation wins. */
    ck_assert_str_eq(raw[0].name, "size");
    for (const QemuOptDesc *d = raw; d->name; d++) {
        n += !strcmp(d->name, "preallocation");
    }
    ck_assert_uint_eq(n, 1);
    n = 0;
    for (const QemuOptDesc *d = qcow2; d->name; d++) {
        n += !strcmp(d->name, "preallocation");
    }
    ck_assert_uint_eq(n, 1);
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
    tcase_add_test(tc, test_take_rules);
    tcase_add_test(tc, test_take);
    tcase_add_test(tc, test_unconsumed);
    tcase_add_test(tc, test_driver_and_filename_keys);
    tcase_add_test(tc, test_caller_table_untouched);
    tcase_add_test(tc, test_file_aio_errors);
    tcase_add_test(tc, test_node_help);
    tcase_add_test(tc, test_runtime_opts_taken);
    tcase_add_test(tc, test_format_names);
    tcase_add_test(tc, test_create_opts);
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
