/* qcow2 node options (block/qcow2-options.c): cache sizes give the table
 * counts asked for, a tiny cache still reads and writes correctly, and
 * overlap-check really decides which metadata a write may not hit. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"
#include "qcow2.h"
#include "qemu/main-loop.h"

#define DISK_SIZE (16 << 20)

static char *tmpdir;
static char *path;

static void setup(void)
{
    g_autoptr(QemuOpts) co_opts = qemu_opts_new(&bdrv_create_opts_list);
    BlockCreateOpts co = { .size = DISK_SIZE, .opts = co_opts };
    static bool loop_ready;
    Error *err = NULL;

    if (!loop_ready) {
        ck_assert(qemu_init_main_loop(&err));
        loop_ready = true;
    }
    tmpdir = g_dir_make_tmp("duet-qcow2-opts-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    path = g_build_filename(tmpdir, "d.qcow2", NULL);
    /* 4 KiB clusters: one L2 table covers 2 MiB, the disk needs 8. */
    ck_assert(qemu_opt_set(co_opts, "cluster_size", "4096", &err));
    co.filename = path;
    if (!bdrv_create(bdrv_find_format("qcow2"), &co, &err)) {
        ck_abort_msg("create: %s", error_get_pretty(err));
    }
}

static void teardown(void)
{
    unlink(path);
    rmdir(tmpdir);
    g_free(path);
    g_free(tmpdir);
}

/* Opens with options str; NULL and *msg set when the open fails. */
static BlockDriverState *open_opts(int flags, const char *str, char **msg)
{
    g_autoptr(GHashTable) t = bdrv_options_new();
    Error *err = NULL;
    BlockDriverState *bs;

    ck_assert(bdrv_options_parse(t, str, &err));
    bs = bdrv_open_opts(path, "qcow2", flags, t, &err);
    if (!bs) {
        ck_assert_msg(msg, "open '%s': %s", str, error_get_pretty(err));
        *msg = g_strdup(error_get_pretty(err));
        error_free(err);
    }
    return bs;
}

static void assert_tables(const char *str, int l2, int rc)
{
    BlockDriverState *bs = open_opts(0, str, NULL);
    BDRVQcow2State *s = bs->opaque;

    ck_assert_msg(qcow2_cache_num_tables(s->l2_table_cache) == l2, "%s: %d L2 tables", str,
                  qcow2_cache_num_tables(s->l2_table_cache));
    ck_assert_msg(qcow2_cache_num_tables(s->refcount_block_cache) == rc,
                  "%s: %d refcount tables", str,
                  qcow2_cache_num_tables(s->refcount_block_cache));
    bdrv_unref(bs);
}

static void assert_open_fails(const char *str, const char *expect)
{
    g_autofree char *msg = NULL;

    ck_assert_ptr_null(open_opts(0, str, &msg));
    ck_assert_msg(strstr(msg, expect), "'%s' gave '%s'", str, msg);
}

START_TEST(test_cache_sizes)
{
    /* Defaults as before the options existed: 1 MiB of L2, a quarter of
     * that for refcount blocks. */
    assert_tables("", 256, 64);
    assert_tables("l2-cache-size=12k", 3, 64);
    assert_tables("l2-cache-size=1k", 2, 64);         /* at least two tables */
    assert_tables("l2-cache-size=1G", 8, 64);         /* what covers the disk */
    assert_tables("refcount-cache-size=40k", 256, 10);
    assert_tables("l2-cache-size=8k,refcount-cache-size=8k", 2, 2);
    /* cache-size alone: L2 covers the disk, refcount blocks get the rest. */
    assert_tables("cache-size=1M", 8, 248);
    /* Too small for both: 4 clusters of refcount blocks first. */
    assert_tables("cache-size=24k", 2, 4);
    assert_tables("cache-size=64k,l2-cache-size=16k", 4, 12);
    assert_tables("cache-size=64k,refcount-cache-size=16k", 8, 4);
}
END_TEST

START_TEST(test_bad_options)
{
    assert_open_fails("l2-cache-size=abc",
                      "Parameter 'l2-cache-size' expects a non-negative number below 2^64");
    assert_open_fails("cache-size=-1",
                      "Parameter 'cache-size' expects a non-negative number below 2^64");
    assert_open_fails("cache-size=16E", "Value '16E' is out of range for parameter 'cache-size'");
    assert_open_fails("overlap-check=some",
                      "Unsupported value 'some' for qcow2 option 'overlap-check'. Allowed "
                      "are any of the following: none, constant, cached, all");
    assert_open_fails("cache-size=1M,l2-cache-size=64k,refcount-cache-size=64k",
                      "cache-size, l2-cache-size and refcount-cache-size may not be set "
                      "at the same time");
    assert_open_fails("cache-size=64k,l2-cache-size=128k",
                      "l2-cache-size (131072) is larger than cache-size (65536)");
    assert_open_fails("refcount-cache-size=64T", "is more than this host's memory");
    assert_open_fails("l2-cache-size=1M,foo=bar",
                      "Block format 'qcow2' does not support the option 'foo'");
    assert_open_fails("file.aoi=threads",
                      "Block protocol 'file' does not support the option 'file.aoi'");
}
END_TEST

/* Every key qcow2 lists for help (bdrv_node_options_help) is one it
 * takes: a bad value is its own error, not an unknown option. */
START_TEST(test_runtime_opts_taken)
{
    for (const QemuOptDesc *d = bdrv_find_format("qcow2")->runtime_opts; d->name; d++) {
        g_autofree char *str = g_strdup_printf("%s=zz-bad", d->name);
        g_autofree char *msg = NULL;

        ck_assert_ptr_null(open_opts(0, str, &msg));
        ck_assert_msg(!strstr(msg, "does not support"), "%s: %s", str, msg);
        /* QEMU names overlap-check.template's bad value as overlap-check's */
        ck_assert_msg(strstr(msg, d->name) ||
                      (!strcmp(d->name, "overlap-check.template") &&
                       strstr(msg, "option 'overlap-check'")), "%s: %s", str, msg);
    }
}
END_TEST

/* "backing.X" keys reach the backing file's node (QEMU's syntax), and a
 * key nobody takes is named with its whole prefix. */
START_TEST(test_backing_options)
{
    g_autofree char *top = g_build_filename(tmpdir, "top.qcow2", NULL);
    g_autoptr(QemuOpts) co_opts = qemu_opts_new(&bdrv_create_opts_list);
    BlockCreateOpts co = { .filename = top, .size = DISK_SIZE, .opts = co_opts };
    g_autoptr(GHashTable) t = bdrv_options_new();
    BlockDriverState *bs;
    BDRVQcow2State *s;
    Error *err = NULL;

    ck_assert(qemu_opt_set(co_opts, "backing_file", path, &err));
    ck_assert(qemu_opt_set(co_opts, "backing_fmt", "qcow2", &err));
    ck_assert(bdrv_create(bdrv_find_format("qcow2"), &co, &err));

    ck_assert(bdrv_options_parse(t, "backing.l2-cache-size=12k", &err));
    bs = bdrv_open_opts(top, "qcow2", 0, t, &err);
    ck_assert_msg(bs, "%s", err ? error_get_pretty(err) : "");
    ck_assert_ptr_nonnull(bs->backing);
    s = bs->backing->bs->opaque;
    ck_assert_int_eq(qcow2_cache_num_tables(s->l2_table_cache), 3);
    s = bs->opaque;
    /* the top (64 KiB clusters) keeps its default: 1 MiB of L2 tables */
    ck_assert_int_eq(qcow2_cache_num_tables(s->l2_table_cache), 16);
    bdrv_unref(bs);

    const struct { const char *opts, *expect; } bad[] = {
        { "backing.foo=1", "Block format 'qcow2' does not support the option 'backing.foo'" },
        { "backing.file.aoi=x", "Block protocol 'file' does not support the option 'backing.file.aoi'" },
        { "backing.backing.l2-cache-size=4k", "'backing.backing.l2-cache-size' given, but" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GHashTable) b = bdrv_options_new();
        ck_assert(bdrv_options_parse(b, bad[i].opts, &err));
        ck_assert_ptr_null(bdrv_open_opts(top, "qcow2", 0, b, &err));
        ck_assert_msg(strstr(error_get_pretty(err), bad[i].expect), "%s gave '%s'",
                      bad[i].opts, error_get_pretty(err));
        error_free(err);
        err = NULL;
    }
    /* d.qcow2 has no backing file */
    assert_open_fails("backing.l2-cache-size=4k", "opens no backing file");
    unlink(top);
}
END_TEST

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 13 + i / 512);
    }
}

/* Two L2 tables for a disk that needs eight, two refcount blocks: every
 * other request evicts a table, and the data must still come back. */
START_TEST(test_tiny_cache_io)
{
    BlockDriverState *bs = open_opts(BDRV_O_RDWR, "l2-cache-size=8k,refcount-cache-size=8k",
                                     NULL);
    BdrvChild *c = bdrv_child_new(bs, "root");
    uint8_t buf[8192], got[8192];
    BdrvCheckResult r;

    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 64; i++) {
            int64_t off = (int64_t)((i * 37) % 64) * (DISK_SIZE / 64) + pass * 4096;
            fill(buf, sizeof(buf), i + pass * 100);
            ck_assert_int_ge(bdrv_pwrite(c, off, sizeof(buf), buf, 0), 0);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 64; i++) {
            int64_t off = (int64_t)((i * 37) % 64) * (DISK_SIZE / 64) + pass * 4096;
            uint8_t expect[8192];
            fill(expect, sizeof(expect), i + pass * 100);
            ck_assert_int_ge(bdrv_pread(c, off, sizeof(got), got, 0), 0);
            /* The second pass overwrote the first's second half. */
            size_t n = pass ? sizeof(got) : 4096;
            ck_assert_msg(!memcmp(got, expect, n), "pass %d request %d", pass, i);
        }
    }
    bdrv_child_free(c);
    bdrv_unref(bs);

    bs = open_opts(BDRV_O_CHECK, "l2-cache-size=8k", NULL);
    ck_assert_int_eq(bdrv_check(bs, &r, 0), 0);
    ck_assert_int_eq(r.corruptions + r.leaks + r.check_errors, 0);
    bdrv_unref(bs);
}
END_TEST

/*
 * Makes the L2 entry of guest cluster 0 point at host metadata: the L1
 * table (constant metadata) or the first refcount block (cached
 * metadata, which "constant" does not check).
 */
static void point_cluster0_at(bool refcount_block)
{
    BlockDriverState *bs = open_opts(BDRV_O_RDWR, "", NULL);
    BDRVQcow2State *s = bs->opaque;
    BdrvChild *c = bdrv_child_new(bs, "root");
    uint8_t data[4096] = { 1 };
    uint64_t l2_off, target, entry;
    FILE *f;

    ck_assert_int_ge(bdrv_pwrite(c, 0, 4096, data, 0), 0);
    ck_assert_int_ge(bdrv_flush(bs), 0);
    l2_off = s->l1_table[0] & L1E_OFFSET_MASK;
    target = refcount_block ? s->refcount_table[0] & REFT_OFFSET_MASK : s->l1_table_offset;
    ck_assert_uint_ne(target, 0);
    bdrv_child_free(c);
    bdrv_unref(bs);

    entry = GUINT64_TO_BE(target | QCOW_OFLAG_COPIED);
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, l2_off, SEEK_SET);
    ck_assert_int_eq(fwrite(&entry, 8, 1, f), 1);
    fclose(f);
}

/* A write to guest cluster 0 under mode: refused (and the image marked
 * corrupt) or let through. */
static bool write_refused(const char *mode)
{
    g_autofree char *opt = g_strdup_printf("overlap-check=%s", mode);
    BlockDriverState *bs = open_opts(BDRV_O_RDWR, opt, NULL);
    BDRVQcow2State *s = bs->opaque;
    BdrvChild *c = bdrv_child_new(bs, "root");
    uint8_t data[512] = { 0 };
    int ret = bdrv_pwrite(c, 0, sizeof(data), data, 0);
    bool corrupt = s->incompatible_features & QCOW2_INCOMPAT_CORRUPT;

    ck_assert_msg(ret == -EIO || ret >= 0, "%s: %d", mode, ret);
    ck_assert_msg(corrupt == (ret == -EIO), "%s: ret %d corrupt %d", mode, ret, corrupt);
    bdrv_child_free(c);
    bdrv_unref(bs);
    return ret == -EIO;
}

/* Each case on a fresh image: a write let through changes the metadata
 * it lands on, which would change what the next case sees. */
START_TEST(test_overlap_none_l1)
{
    point_cluster0_at(false);
    ck_assert(!write_refused("none")); /* lands on the L1 table on disk */
}
END_TEST

START_TEST(test_overlap_constant_l1)
{
    point_cluster0_at(false);
    ck_assert(write_refused("constant"));
}
END_TEST

/* Only the cached modes know where refcount blocks are. */
START_TEST(test_overlap_constant_refcount_block)
{
    point_cluster0_at(true);
    ck_assert(!write_refused("constant"));
}
END_TEST

START_TEST(test_overlap_cached_refcount_block)
{
    point_cluster0_at(true);
    ck_assert(write_refused("cached"));
}
END_TEST

START_TEST(test_overlap_all_refcount_block)
{
    point_cluster0_at(true);
    ck_assert(write_refused("all"));
}
END_TEST

START_TEST(test_overlap_check_default_is_cached)
{
    BlockDriverState *bs = open_opts(0, "", NULL);
    ck_assert_int_eq(((BDRVQcow2State *)bs->opaque)->overlap_check, QCOW2_OL_CACHED);
    bdrv_unref(bs);
    bs = open_opts(0, "overlap-check=all", NULL);
    ck_assert_int_eq(((BDRVQcow2State *)bs->opaque)->overlap_check, QCOW2_OL_ALL);
    bdrv_unref(bs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qcow2-options");
    TCase *tc = tcase_create("options");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cache_sizes);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_runtime_opts_taken);
    tcase_add_test(tc, test_backing_options);
    tcase_add_test(tc, test_tiny_cache_io);
    tcase_add_test(tc, test_overlap_none_l1);
    tcase_add_test(tc, test_overlap_constant_l1);
    tcase_add_test(tc, test_overlap_constant_refcount_block);
    tcase_add_test(tc, test_overlap_cached_refcount_block);
    tcase_add_test(tc, test_overlap_all_refcount_block);
    tcase_add_test(tc, test_overlap_check_default_is_cached);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
