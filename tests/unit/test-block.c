/* Block layer core on raw images: alignment/RMW under O_DIRECT,
 * serialisation, write-zeroes, discard, flush, EOF, bounds, async
 * completion. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/aio.h"
#include "block_int.h"
#include "host-probe.h"
#include "qemu/main-loop.h"
#include "sysemu/block-backend.h"
#include "trace/trace.h"

#define IMG_SIZE (4 * 1024 * 1024)

static char *tmpdir;
static char *img;

static void setup(void)
{
    BlockCreateOpts opts = { 0 };
    Error *err = NULL;

    tmpdir = g_dir_make_tmp("duet-block-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    img = g_build_filename(tmpdir, "disk.raw", NULL);
    opts.filename = img;
    opts.size = IMG_SIZE;
    ck_assert(bdrv_create(bdrv_find_format("raw"), &opts, &err));
}

static void teardown(void)
{
    unlink(img);
    rmdir(tmpdir);
    g_free(img);
    g_free(tmpdir);
}

static BlockBackend *open_img(const char *cache)
{
    Error *err = NULL;
    BlockBackend *blk = blk_new_open(img, NULL, cache, false, &err);
    if (!blk) {
        ck_abort_msg("open %s: %s", cache ? cache : "(default cache)", error_get_pretty(err));
    }
    return blk;
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 31 + i * 7);
    }
}

START_TEST(test_probe_and_size)
{
    BlockBackend *blk = open_img(NULL);
    ck_assert_str_eq(blk_bs(blk)->drv->format_name, "raw");
    ck_assert_int_eq(blk_getlength(blk), IMG_SIZE);
    blk_unref(blk);
}
END_TEST

/* Writes and reads at odd offsets must leave the neighbours intact even
 * with cache=none, where the file only takes 512/4096-aligned requests. */
START_TEST(test_unaligned_rmw_odirect)
{
    BlockBackend *blk = open_img("none");
    g_autofree uint8_t *expect = g_malloc(65536);
    g_autofree uint8_t *got = g_malloc(65536);
    uint8_t data[1000];

    ck_assert_uint_ge(blk_bs(blk)->file->bs->request_alignment, 512);
    fill_pattern(expect, 65536, 1);
    ck_assert_int_eq(blk_pwrite(blk, 0, 65536, expect, 0), 0);
    fill_pattern(data, sizeof(data), 2);
    /* spans a 4 KiB boundary, from an odd buffer address */
    ck_assert_int_eq(blk_pwrite(blk, 3900, 999, data + 1, 0), 0);
    memcpy(expect + 3900, data + 1, 999);
    ck_assert_int_eq(blk_pwrite(blk, 7, 1, data, 0), 0);
    expect[7] = data[0];
    ck_assert_int_eq(blk_pread(blk, 0, 65536, got, 0), 0);
    ck_assert_mem_eq(got, expect, 65536);
    /* unaligned read into an odd address */
    ck_assert_int_eq(blk_pread(blk, 3899, 1001, got + 3, 0), 0);
    ck_assert_mem_eq(got + 3, expect + 3899, 1001);
    blk_unref(blk);
}
END_TEST

typedef struct {
    int done;
    int errors;
} AioCount;

static void count_cb(void *opaque, int ret)
{
    AioCount *c = opaque;
    c->done++;
    c->errors += ret < 0;
}

/* Overlapping writes submitted together: an RMW must wait for the older
 * write under it, or it would write back what it read before. */
START_TEST(test_overlapping_serialised)
{
    BlockBackend *blk = open_img("none");
    static uint8_t a[4096], b[100], c[50], d[10];
    uint8_t expect[4096], got[4096];
    QEMUIOVector qa, qb, qc, qd;
    AioCount count = { 0 };

    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    memset(c, 'c', sizeof(c));
    memset(d, 'd', sizeof(d));
    qemu_iovec_init_buf(&qa, a, sizeof(a));
    qemu_iovec_init_buf(&qb, b, sizeof(b));
    qemu_iovec_init_buf(&qc, c, sizeof(c));
    qemu_iovec_init_buf(&qd, d, sizeof(d));
    for (int round = 0; round < 20; round++) {
        blk_aio_pwritev(blk, 0, &qa, 0, count_cb, &count);
        blk_aio_pwritev(blk, 1000, &qb, 0, count_cb, &count);
        blk_aio_pwritev(blk, 3000, &qc, 0, count_cb, &count);
        blk_aio_pwritev(blk, 1050, &qd, 0, count_cb, &count);
        ck_assert_int_eq(count.done, round * 4); /* callbacks only from the loop */
        blk_drain(blk);
        ck_assert_int_eq(count.done, round * 4 + 4);
        memset(expect, 'a', sizeof(expect));
        memset(expect + 1000, 'b', 100);
        memset(expect + 3000, 'c', 50);
        memset(expect + 1050, 'd', 10);
        ck_assert_int_eq(blk_pread(blk, 0, sizeof(got), got, 0), 0);
        ck_assert_mem_eq(got, expect, sizeof(got));
        /* scramble before the next round */
        memset(got, 0x55, sizeof(got));
        ck_assert_int_eq(blk_pwrite(blk, 0, sizeof(got), got, 0), 0);
    }
    ck_assert_int_eq(count.errors, 0);
    blk_unref(blk);
}
END_TEST

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

START_TEST(test_write_zeroes_discard)
{
    const char *caches[] = { "writeback", "none" };
    for (int ci = 0; ci < 2; ci++) {
        BlockBackend *blk = open_img(caches[ci]);
        BdrvChild *root_child = bdrv_child_new(blk_bs(blk), "test");
        g_autofree uint8_t *buf = g_malloc(256 * 1024);
        int64_t pnum, map;
        BlockDriverState *file;
        int ret;

        memset(buf, 0xee, 256 * 1024);
        ck_assert_int_eq(blk_pwrite(blk, 0, 256 * 1024, buf, 0), 0);
        /* unaligned, spanning many blocks; then aligned with unmap */
        ck_assert_int_eq(bdrv_pwrite_zeroes(root_child, 10, 70000, 0), 0);
        ck_assert_int_eq(bdrv_pwrite_zeroes(root_child, 131072, 65536, BDRV_REQ_MAY_UNMAP),
                         0);
        ck_assert_int_eq(blk_pread(blk, 0, 256 * 1024, buf, 0), 0);
        ck_assert(all_bytes(buf, 10, 0xee));
        ck_assert(all_bytes(buf + 10, 70000, 0));
        ck_assert(all_bytes(buf + 70010, 131072 - 70010, 0xee));
        ck_assert(all_bytes(buf + 131072, 65536, 0));
        ck_assert(all_bytes(buf + 196608, 65536, 0xee));

        /* discard: reads as zero afterwards on a file that can punch holes */
        ck_assert_int_eq(bdrv_pdiscard(root_child, 196608, 65536), 0);
        ret = bdrv_block_status(blk_bs(blk), 196608, 65536, &pnum, &map, &file);
        ck_assert_int_ge(ret, 0);
        ck_assert(ret & BDRV_BLOCK_ALLOCATED);
        if (ret & BDRV_BLOCK_ZERO) {
            ck_assert_int_eq(blk_pread(blk, 196608, 65536, buf, 0), 0);
            ck_assert(all_bytes(buf, 65536, 0));
        }
        ret = bdrv_block_status(blk_bs(blk), 0, 4096, &pnum, &map, &file);
        ck_assert(ret & BDRV_BLOCK_DATA);
        ck_assert_int_eq(map, 0);
        ck_assert_int_eq(blk_flush(blk), 0);
        bdrv_child_free(root_child);
        blk_unref(blk);
    }
}
END_TEST

START_TEST(test_bounds_and_eof)
{
    BlockBackend *blk = open_img("writeback");
    uint8_t buf[4096];
    BdrvChild *file_child;

    ck_assert_int_eq(blk_pread(blk, IMG_SIZE - 512, 1024, buf, 0), -EIO);
    ck_assert_int_eq(blk_pwrite(blk, IMG_SIZE, 1, buf, 0), -EIO);
    ck_assert_int_eq(blk_pread(blk, -1, 1, buf, 0), -EIO);
    ck_assert_int_eq(blk_pread(blk, IMG_SIZE, 0, buf, 0), 0);

    /* The protocol node reads zeroes past its end. */
    file_child = bdrv_child_new(blk_bs(blk)->file->bs, "test");
    memset(buf, 0x11, sizeof(buf));
    ck_assert_int_eq(bdrv_pread(file_child, IMG_SIZE - 100, 4096, buf, 0), 0);
    ck_assert(all_bytes(buf + 100, 3996, 0));
    bdrv_child_free(file_child);
    blk_unref(blk);

    /* read-only backends refuse writes */
    Error *err = NULL;
    blk = blk_new_open(img, "raw", "writeback", true, &err);
    ck_assert_ptr_nonnull(blk);
    ck_assert_int_eq(blk_pwrite(blk, 0, 512, buf, 0), -EPERM);
    blk_unref(blk);
}
END_TEST

START_TEST(test_open_errors)
{
    Error *err = NULL;
    g_autofree char *missing = g_build_filename(tmpdir, "nope.raw", NULL);

    ck_assert_ptr_null(blk_new_open(missing, NULL, NULL, false, &err));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "No such file"));
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(blk_new_open(img, NULL, "sometimes", false, &err));
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "cache"));
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(blk_new_open(img, "vmdk", NULL, false, &err));
    error_free(err);
}
END_TEST

/* Writethrough: the write cache is off, so every write is followed by a
 * flush; the data must be there either way. */
START_TEST(test_cache_modes)
{
    const char *caches[] = { "writeback", "none", "directsync", "writethrough", "unsafe" };
    for (int i = 0; i < 5; i++) {
        BlockBackend *blk = open_img(caches[i]);
        uint8_t in[8192], out[8192];
        fill_pattern(in, sizeof(in), i + 10);
        ck_assert_int_eq(blk_enable_write_cache(blk),
                         strcmp(caches[i], "directsync") && strcmp(caches[i], "writethrough"));
        ck_assert_int_eq(blk_pwrite(blk, 512 * i, sizeof(in), in, 0), 0);
        ck_assert_int_eq(blk_flush(blk), 0);
        ck_assert_int_eq(blk_pread(blk, 512 * i, sizeof(out), out, 0), 0);
        ck_assert_mem_eq(in, out, sizeof(in));
        blk_unref(blk);
    }
}
END_TEST

START_TEST(test_aio_many)
{
    BlockBackend *blk = open_img("writeback");
    enum { N = 256, SZ = 4096 };
    g_autofree uint8_t *bufs = g_malloc(N * SZ);
    g_autofree uint8_t *check = g_malloc(SZ);
    QEMUIOVector qiov[N];
    AioCount count = { 0 };

    for (int i = 0; i < N; i++) {
        fill_pattern(bufs + i * SZ, SZ, i);
        qemu_iovec_init_buf(&qiov[i], bufs + i * SZ, SZ);
        blk_aio_pwritev(blk, (int64_t)i * SZ, &qiov[i], 0, count_cb, &count);
    }
    AIO_WAIT_WHILE(blk_get_aio_context(blk), count.done < N);
    blk_aio_flush(blk, count_cb, &count);
    AIO_WAIT_WHILE(blk_get_aio_context(blk), count.done < N + 1);
    ck_assert_int_eq(count.errors, 0);
    for (int i = 0; i < N; i += 37) {
        ck_assert_int_eq(blk_pread(blk, (int64_t)i * SZ, SZ, check, 0), 0);
        ck_assert_mem_eq(check, bufs + i * SZ, SZ);
    }
    blk_unref(blk);
}
END_TEST

/* cache=none: a write past the end grows the file by a preallocated
 * reserve (file-posix), which the node's length hides and closing gives
 * back; the data and the zeroes before it read back as written. */
START_TEST(test_prealloc_after_eof)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(img, "file", BDRV_O_RDWR | BDRV_O_NOCACHE, &err);
    const int64_t off = IMG_SIZE + 3 * 65536;
    uint8_t *buf, *got;
    BdrvChild *c;
    struct stat st;

    ck_assert_msg(bs != NULL, "%s", err ? error_get_pretty(err) : "");
    buf = qemu_blockalign(bs, 65536);
    got = qemu_blockalign(bs, 65536);
    c = bdrv_child_new(bs, "root");
    fill_pattern(buf, 65536, 9);
    ck_assert_int_eq(bdrv_pwrite(c, off, 65536, buf, 0), 0);
    ck_assert_int_eq(bdrv_getlength(bs), off + 65536);
    ck_assert_int_eq(stat(img, &st), 0);
    ck_assert_int_gt(st.st_size, off + 65536); /* the reserve */
    ck_assert_int_eq(bdrv_pread(c, off, 65536, got, 0), 0);
    ck_assert_mem_eq(got, buf, 65536);
    ck_assert_int_eq(bdrv_pread(c, IMG_SIZE, 65536, got, 0), 0);
    for (int i = 0; i < 65536; i++) {
        ck_assert_int_eq(got[i], 0);
    }
    /* a write inside the reserve needs no new one */
    ck_assert_int_eq(bdrv_pwrite(c, off + 65536, 65536, buf, 0), 0);
    ck_assert_int_eq(bdrv_getlength(bs), off + 2 * 65536);
    bdrv_child_free(c);
    bdrv_unref(bs);
    ck_assert_int_eq(stat(img, &st), 0);
    ck_assert_int_eq(st.st_size, off + 2 * 65536);

    /* writeback: no reserve, the file is exactly as long as written */
    bs = bdrv_open(img, "file", BDRV_O_RDWR, &err);
    ck_assert_ptr_nonnull(bs);
    c = bdrv_child_new(bs, "root");
    ck_assert_int_eq(bdrv_pwrite(c, off + 2 * 65536, 4096, buf, 0), 0);
    ck_assert_int_eq(stat(img, &st), 0);
    ck_assert_int_eq(st.st_size, off + 2 * 65536 + 4096);
    bdrv_child_free(c);
    bdrv_unref(bs);

    /* prealloc-size=0: no reserve even with cache=none; a bad size fails */
    GHashTable *opts = bdrv_options_new();
    ck_assert(bdrv_options_parse(opts, "prealloc-size=0", &err));
    bs = bdrv_open_opts(img, "file", BDRV_O_RDWR | BDRV_O_NOCACHE, opts, &err);
    g_hash_table_unref(opts);
    ck_assert_ptr_nonnull(bs);
    c = bdrv_child_new(bs, "root");
    ck_assert_int_eq(bdrv_pwrite(c, off + 4 * 65536, 65536, buf, 0), 0);
    ck_assert_int_eq(stat(img, &st), 0);
    ck_assert_int_eq(st.st_size, off + 5 * 65536);
    bdrv_child_free(c);
    bdrv_unref(bs);
    opts = bdrv_options_new();
    ck_assert(bdrv_options_parse(opts, "prealloc-size=lots", &err));
    ck_assert_ptr_null(bdrv_open_opts(img, "file", BDRV_O_RDWR | BDRV_O_NOCACHE, opts, &err));
    g_hash_table_unref(opts);
    ck_assert_ptr_nonnull(strstr(error_get_pretty(err), "prealloc-size"));
    error_free(err);
    qemu_vfree(buf);
    qemu_vfree(got);
}
END_TEST

/* Submits n 4 KiB writes at once (offsets i * stride) with cache=none and
 * returns the batch sizes Linux AIO's io_submit calls carried, from the
 * laio_submit trace events. */
static GArray *laio_batches(int n, int64_t stride)
{
    g_autofree char *trace_path = g_build_filename(tmpdir, "trace", NULL);
    g_autofree char *trace_arg = g_strdup_printf("file=%s,enable=laio_submit", trace_path);
    g_autofree char *contents = NULL;
    BlockBackend *blk = open_img("none");
    uint8_t *buf = qemu_blockalign(blk_bs(blk), 4096);
    QEMUIOVector *qiov = g_new(QEMUIOVector, n);
    GArray *batches = g_array_new(false, false, sizeof(int));
    AioCount count = { 0 };
    Error *err = NULL;

    memset(buf, 0x3c, 4096);
    ck_assert(trace_opt_parse(trace_arg, &err));
    for (int i = 0; i < n; i++) {
        qemu_iovec_init_buf(&qiov[i], buf, 4096);
        blk_aio_pwritev(blk, i * stride, &qiov[i], 0, count_cb, &count);
    }
    AIO_WAIT_WHILE(blk_get_aio_context(blk), count.done < n);
    ck_assert_int_eq(count.errors, 0);
    trace_enable_events("laio_submit", false);
    trace_close();
    blk_unref(blk);
    ck_assert(g_file_get_contents(trace_path, &contents, NULL, NULL));
    for (char *p = contents; (p = strstr(p, "batch=")); p++) {
        int b = atoi(p + 6);
        g_array_append_val(batches, b);
    }
    unlink(trace_path);
    qemu_vfree(buf);
    g_free(qiov);
    return batches;
}

/* Linux AIO gathers requests that continue each other into one io_submit
 * (the kernel merges them) and sends scattered ones at once, alone. */
START_TEST(test_laio_runs)
{
    g_autoptr(GArray) seq = laio_batches(16, 4096);
    g_autoptr(GArray) scattered = laio_batches(16, 3 * 65536);
    int largest = 0;

    for (guint i = 0; i < seq->len; i++) {
        largest = MAX(largest, g_array_index(seq, int, i));
    }
    ck_assert_int_ge(largest, 8);
    ck_assert_int_eq(scattered->len, 16);
    for (guint i = 0; i < scattered->len; i++) {
        ck_assert_int_eq(g_array_index(scattered, int, i), 1);
    }
}
END_TEST

/* Test cases by what they need of the host (meson runs each on its own). */
static const char *block_needs(const char *tcase)
{
    if (!strcmp(tcase, "core")) {
        return NULL;
    }
    if (!host_has_odirect(NULL)) {
        return "the temporary directory does not support O_DIRECT";
    }
    if (!strcmp(tcase, "laio") && !host_has_linux_aio()) {
        return "io_setup fails: no Linux AIO for this process";
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *only;
    int skip = host_probe_tcase(argc, argv, block_needs, &only);

    if (skip) {
        return skip;
    }
    Suite *s = suite_create("block");
    TCase *core = tcase_create("core"), *odirect = tcase_create("odirect");
    TCase *laio = tcase_create("laio");
    TCase *all[] = { core, odirect, laio };

    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        tcase_set_timeout(all[i], 30);
        tcase_add_checked_fixture(all[i], setup, teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(core, test_probe_and_size);
    tcase_add_test(core, test_bounds_and_eof);
    tcase_add_test(core, test_open_errors);
    tcase_add_test(core, test_aio_many);
    tcase_add_test(odirect, test_unaligned_rmw_odirect);
    tcase_add_test(odirect, test_overlapping_serialised);
    tcase_add_test(odirect, test_write_zeroes_discard);
    tcase_add_test(odirect, test_cache_modes);
    tcase_add_test(odirect, test_prealloc_after_eof);
    tcase_add_test(laio, test_laio_runs);
    SRunner *sr = srunner_create(s);
    srunner_run(sr, NULL, only, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
