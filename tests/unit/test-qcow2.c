/*
 * qcow2 driver unit tests: allocation, refcounts at every width (including
 * overflow at the maximum), cache eviction and write-back order,
 * copy-on-write from a backing file.  Images live in a g_dir_make_tmp dir.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"
#include "qcow2.h"
#include "qemu/main-loop.h"

static char *tmpdir;

static void setup(void)
{
    Error *err = NULL;
    static bool loop_ready;

    if (!loop_ready) {
        ck_assert(qemu_init_main_loop(&err));
        loop_ready = true;
    }
    tmpdir = g_dir_make_tmp("duet-test-qcow2-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
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

static char *create_image(const char *name, int64_t size, ...)
{
    g_autoptr(QemuOpts) opts = qemu_opts_new(&bdrv_create_opts_list);
    char *path = g_build_filename(tmpdir, name, NULL);
    BlockCreateOpts co = { .filename = path, .size = size, .opts = opts };
    Error *err = NULL;
    const char *kv;
    va_list ap;

    va_start(ap, size);
    while ((kv = va_arg(ap, const char *))) {
        g_autofree char *k = g_strndup(kv, strcspn(kv, "="));
        ck_assert(qemu_opt_set(opts, k, kv + strlen(k) + 1, &err));
    }
    va_end(ap);
    if (!bdrv_create(bdrv_find_format("qcow2"), &co, &err)) {
        ck_abort_msg("create: %s", error_get_pretty(err));
    }
    return path;
}

static BlockDriverState *open_image(const char *path, int flags)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2", flags, &err);

    if (!bs) {
        ck_abort_msg("open: %s", error_get_pretty(err));
    }
    return bs;
}

static void assert_clean(const char *path)
{
    BlockDriverState *bs = open_image(path, BDRV_O_CHECK);
    BdrvCheckResult r;

    ck_assert_int_eq(bdrv_check(bs, &r, 0), 0);
    ck_assert_int_eq(r.corruptions, 0);
    ck_assert_int_eq(r.leaks, 0);
    ck_assert_int_eq(r.check_errors, 0);
    bdrv_unref(bs);
}

START_TEST(test_alloc_and_read_back)
{
    g_autofree char *path = create_image("a.qcow2", 8 << 20, "cluster_size=4096", NULL);
    BlockDriverState *bs = open_image(path, BDRV_O_RDWR);
    BdrvChild *c = bdrv_child_new(bs, "root");
    g_autofree uint8_t *buf = g_malloc(100000), *got = g_malloc(100000);
    BDRVQcow2State *s = bs->opaque;

    for (int i = 0; i < 100000; i++) {
        buf[i] = i * 7;
    }
    ck_assert_int_ge(bdrv_pwrite(c, 1234, 100000, buf, 0), 0);
    ck_assert_int_ge(bdrv_pread(c, 1234, 100000, got, 0), 0);
    ck_assert_mem_eq(buf, got, 100000);
    /* Unwritten space reads as zeros. */
    ck_assert_int_ge(bdrv_pread(c, 4 << 20, 4096, got, 0), 0);
    for (int i = 0; i < 4096; i++) {
        ck_assert_int_eq(got[i], 0);
    }
    /* 100000 bytes at 1234 touch 25 clusters, plus one L2 table. */
    ck_assert_int_eq(s->free_cluster_index, 4 + 1 + 25);
    bdrv_child_free(c);
    bdrv_unref(bs);
    assert_clean(path);
}
END_TEST

typedef struct RefcountCo {
    int64_t cluster;
    int last_ret;
    uint64_t value;
    int steps;
} RefcountCo;

/* Raises a refcount to the width's maximum, then asks for one more. */
static int coroutine_fn bump_until_overflow(BlockDriverState *bs, void *opaque)
{
    RefcountCo *r = opaque;
    BDRVQcow2State *s = bs->opaque;
    uint64_t v;

    qemu_co_mutex_lock(&s->lock);
    qcow2_get_refcount(bs, r->cluster, &v);
    while (v < s->refcount_max) {
        int64_t step = MIN(s->refcount_max - v, (uint64_t)INT64_MAX);
        ck_assert_int_eq(qcow2_update_cluster_refcount(bs, r->cluster, step), 0);
        v += step;
        r->steps++;
    }
    r->last_ret = qcow2_update_cluster_refcount(bs, r->cluster, 1);
    qcow2_get_refcount(bs, r->cluster, &r->value);
    /* Back to 1, so the image is consistent again. */
    while (v > 1) {
        int64_t step = MIN(v - 1, (uint64_t)INT64_MAX);
        qcow2_update_cluster_refcount(bs, r->cluster, -step);
        v -= step;
    }
    qemu_co_mutex_unlock(&s->lock);
    return 0;
}

START_TEST(test_refcount_widths)
{
    for (int order = 0; order <= 6; order++) {
        g_autofree char *bits = g_strdup_printf("refcount_bits=%d", 1 << order);
        g_autofree char *name = g_strdup_printf("r%d.qcow2", order);
        g_autofree char *path = create_image(name, 1 << 20, "cluster_size=512", bits, NULL);
        BlockDriverState *bs = open_image(path, BDRV_O_RDWR);
        BDRVQcow2State *s = bs->opaque;
        BdrvChild *c = bdrv_child_new(bs, "root");
        uint8_t data[512] = { 1 };
        RefcountCo r = { 0 };
        uint8_t block[64] = { 0 };

        ck_assert_int_eq(s->refcount_bits, 1 << order);
        /* Accessors: every entry keeps its own value, maximum included. */
        for (int i = 0; i < 8; i++) {
            s->set_refcount(block, i, (i * 3) & s->refcount_max);
        }
        s->set_refcount(block, 3, s->refcount_max);
        for (int i = 0; i < 8; i++) {
            ck_assert_uint_eq(s->get_refcount(block, i),
                              i == 3 ? s->refcount_max : ((i * 3) & s->refcount_max));
        }
        /* A data cluster: refcount 1; bumping stops at the maximum with -ERANGE. */
        ck_assert_int_ge(bdrv_pwrite(c, 0, 512, data, 0), 0);
        r.cluster = s->free_cluster_index - 1;
        qcow2_run_co(bs, bump_until_overflow, &r);
        ck_assert_int_eq(r.last_ret, -ERANGE);
        ck_assert_uint_eq(r.value, s->refcount_max); /* no wrap-around */
        bdrv_child_free(c);
        bdrv_unref(bs);
        assert_clean(path);
    }
}
END_TEST

typedef struct CacheCo {
    bool refcount_dirty_after_l2_write;
    bool evicted_written;
} CacheCo;

static int coroutine_fn cache_order(BlockDriverState *bs, void *opaque)
{
    CacheCo *r = opaque;
    BDRVQcow2State *s = bs->opaque;
    Qcow2Cache *small = qcow2_cache_create(bs, 2, s->cluster_size);
    uint64_t base = 64 * s->cluster_size;
    uint8_t disk[16];
    void *t;

    qemu_co_mutex_lock(&s->lock);
    /* Dependency: writing the L2 cache first writes the refcount cache. */
    qcow2_cache_get(bs, s->refcount_block_cache, s->refcount_table[0], &t);
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, t);
    qcow2_cache_put(s->refcount_block_cache, &t);
    qcow2_cache_get(bs, s->l2_table_cache, s->l1_table[0] & L1E_OFFSET_MASK, &t);
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, t);
    qcow2_cache_put(s->l2_table_cache, &t);
    qcow2_cache_set_dependency(bs, s->l2_table_cache, s->refcount_block_cache);
    qcow2_cache_write(bs, s->l2_table_cache);
    r->refcount_dirty_after_l2_write = qcow2_cache_is_dirty(s->refcount_block_cache);

    /* LRU eviction writes a dirty table back before reusing its slot.
     * (Overlap checks off: these scratch offsets are not real metadata.) */
    int saved = s->overlap_check;
    s->overlap_check = 0;
    qcow2_cache_get_empty(bs, small, base, &t);
    memset(t, 0xab, s->cluster_size);
    qcow2_cache_entry_mark_dirty(small, t);
    qcow2_cache_put(small, &t);
    qcow2_cache_get_empty(bs, small, base + s->cluster_size, &t);
    qcow2_cache_put(small, &t);
    qcow2_cache_get_empty(bs, small, base + 2 * s->cluster_size, &t); /* evicts base */
    qcow2_cache_put(small, &t);
    r->evicted_written = !qcow2_cache_contains(small, base) &&
                         bdrv_co_pread(bs->file, base, sizeof(disk), disk, 0) >= 0 &&
                         disk[0] == 0xab && disk[15] == 0xab;
    s->overlap_check = saved;
    qcow2_cache_destroy(small);
    qemu_co_mutex_unlock(&s->lock);
    return 0;
}

START_TEST(test_cache_eviction_and_order)
{
    g_autofree char *path = create_image("c.qcow2", 1 << 20, "cluster_size=4096", NULL);
    BlockDriverState *bs = open_image(path, BDRV_O_RDWR);
    BdrvChild *c = bdrv_child_new(bs, "root");
    uint8_t data[512] = { 9 };
    CacheCo r = { 0 };

    ck_assert_int_ge(bdrv_pwrite(c, 0, 512, data, 0), 0);
    qcow2_run_co(bs, cache_order, &r);
    ck_assert(!r.refcount_dirty_after_l2_write);
    ck_assert(r.evicted_written);
    bdrv_child_free(c);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_cow_from_backing)
{
    g_autofree char *base = create_image("base.qcow2", 1 << 20, "cluster_size=65536", NULL);
    g_autofree char *top = create_image("top.qcow2", 1 << 20, "cluster_size=4096",
                                        "backing_file=base.qcow2", "backing_fmt=qcow2", NULL);
    g_autofree uint8_t *pattern = g_malloc(1 << 20), *got = g_malloc(1 << 20);
    BlockDriverState *bs = open_image(base, BDRV_O_RDWR);
    BdrvChild *c = bdrv_child_new(bs, "root");

    for (int i = 0; i < 1 << 20; i++) {
        pattern[i] = i / 511;
    }
    ck_assert_int_ge(bdrv_pwrite(c, 0, 1 << 20, pattern, 0), 0);
    bdrv_child_free(c);
    bdrv_unref(bs);

    bs = open_image(top, BDRV_O_RDWR);
    ck_assert_ptr_nonnull(bs->backing);
    c = bdrv_child_new(bs, "root");
    /* 100 bytes in the middle of a cluster: the rest is copied from base. */
    memset(pattern + 4096 * 3 + 1000, 0xee, 100);
    ck_assert_int_ge(bdrv_pwrite(c, 4096 * 3 + 1000, 100, pattern + 4096 * 3 + 1000, 0), 0);
    bdrv_child_free(c);
    bdrv_unref(bs);

    /* Read the top layer alone: the COW copied base's data into it. */
    bs = open_image(top, BDRV_O_NO_BACKING);
    c = bdrv_child_new(bs, "root");
    ck_assert_int_ge(bdrv_pread(c, 4096 * 3, 4096, got, 0), 0);
    ck_assert_mem_eq(got, pattern + 4096 * 3, 4096);
    bdrv_child_free(c);
    bdrv_unref(bs);

    bs = open_image(top, 0);
    c = bdrv_child_new(bs, "root");
    ck_assert_int_ge(bdrv_pread(c, 0, 1 << 20, got, 0), 0);
    ck_assert_mem_eq(got, pattern, 1 << 20);
    bdrv_child_free(c);
    bdrv_unref(bs);
    assert_clean(top);
}
END_TEST

START_TEST(test_overlap_check_marks_corrupt)
{
    g_autofree char *path = create_image("o.qcow2", 1 << 20, "cluster_size=4096", NULL);
    BlockDriverState *bs = open_image(path, BDRV_O_RDWR);
    BDRVQcow2State *s = bs->opaque;
    BdrvChild *c = bdrv_child_new(bs, "root");
    uint8_t data[4096] = { 1 };
    uint64_t *l2;

    ck_assert_int_ge(bdrv_pwrite(c, 0, 4096, data, 0), 0);
    ck_assert_int_ge(bdrv_flush(bs), 0);
    bdrv_child_free(c);
    bdrv_unref(bs);

    /* Point the data cluster's L2 entry at the L1 table. */
    bs = open_image(path, 0);
    s = bs->opaque;
    uint64_t l2_off = s->l1_table[0] & L1E_OFFSET_MASK, l1_off = s->l1_table_offset;
    bdrv_unref(bs);
    l2 = g_malloc(8);
    *l2 = GUINT64_TO_BE(l1_off | QCOW_OFLAG_COPIED);
    {
        FILE *f = fopen(path, "r+b");
        fseek(f, l2_off, SEEK_SET);
        fwrite(l2, 8, 1, f);
        fclose(f);
    }
    g_free(l2);

    bs = open_image(path, BDRV_O_RDWR);
    s = bs->opaque;
    c = bdrv_child_new(bs, "root");
    ck_assert_int_eq(bdrv_pwrite(c, 0, 512, data, 0), -EIO);
    ck_assert(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);
    bdrv_child_free(c);
    bdrv_unref(bs);
    /* The corrupt bit is on disk: read-write opens are refused. */
    Error *err = NULL;
    ck_assert_ptr_null(bdrv_open(path, "qcow2", BDRV_O_RDWR, &err));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "corrupt"));
    error_free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qcow2");
    TCase *tc = tcase_create("driver");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_alloc_and_read_back);
    tcase_add_test(tc, test_refcount_widths);
    tcase_add_test(tc, test_cache_eviction_and_order);
    tcase_add_test(tc, test_cow_from_backing);
    tcase_add_test(tc, test_overlap_check_marks_corrupt);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
