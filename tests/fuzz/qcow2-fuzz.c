/*
 * qcow2 fuzz target: opens a mutated image, reads, writes, checks and
 * repairs it.  Whatever the bytes, duet must answer with errors, never a
 * crash, hang, sanitizer report or unbounded allocation.
 *
 * Built two ways:
 *   - as a libFuzzer target (clang -fsanitize=fuzzer, see build-libfuzzer.sh);
 *   - with gcc and QCOW2_FUZZ_STANDALONE: a replay driver with a small
 *     mutator, run by the fuzz-smoke suite:
 *       qcow2-fuzz [--seconds N] [--seed S] [--make-corpus DIR] [FILE...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"
#include "qemu/main-loop.h"

static char *fuzz_path;
/* Node options of every open (bdrv_open_opts). */
static GHashTable *fuzz_options;

static void fuzz_init(void)
{
    Error *err = NULL;
    static char tmpl[] = "/tmp/duet-qcow2-fuzz-XXXXXX";
    int fd;

    if (fuzz_path) {
        return;
    }
    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        abort();
    }
    fd = mkstemp(tmpl);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    close(fd);
    fuzz_path = tmpl;
    /* The strictest overlap check finds the most; small caches keep one
     * input from taking much memory. */
    fuzz_options = bdrv_options_new();
    if (!bdrv_options_parse(fuzz_options,
                            "overlap-check=all,l2-cache-size=256k,refcount-cache-size=256k",
                            &err)) {
        error_report_err(err);
        abort();
    }
}

static void exercise(BlockDriverState *bs, const uint8_t *data, size_t size)
{
    BdrvChild *c = bdrv_child_new(bs, "root");
    int64_t len = bdrv_getlength(bs);
    uint8_t buf[8192];
    uint64_t x = size;

    for (size_t i = 0; i < size && i < 64; i++) {
        x = x * 31 + data[i];
    }
    for (int i = 0; len > 0 && i < 12; i++) {
        int64_t n = MIN((int64_t)sizeof(buf), len);
        int64_t off;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        off = ((x >> 11) % (uint64_t)(len - n + 1)) & ~511LL;
        if (i & 1) {
            memset(buf, (int)i, sizeof(buf));
            bdrv_pwrite(c, off, n, buf, 0);
        } else {
            bdrv_pread(c, off, n, buf, 0);
        }
        if (i == 7) {
            bdrv_pwrite_zeroes(c, off, n, BDRV_REQ_MAY_UNMAP);
        }
    }
    bdrv_flush(bs);
    bdrv_child_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    BdrvCheckResult result;
    Error *err = NULL;
    BlockDriverState *bs;
    int fd;

    fuzz_init();
    fd = open(fuzz_path, O_WRONLY | O_TRUNC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    close(fd);

    bs = bdrv_open_opts(fuzz_path, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_NO_FLUSH,
                        fuzz_options, &err);
    if (bs) {
        exercise(bs, data, size);
        bdrv_unref(bs);
    } else {
        error_free(err);
        err = NULL;
    }
    bs = bdrv_open_opts(fuzz_path, "qcow2",
                        BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_CHECK | BDRV_O_NO_FLUSH,
                        fuzz_options, &err);
    if (bs) {
        bdrv_check(bs, &result, 0);
        bdrv_check(bs, &result, BDRV_FIX_LEAKS | BDRV_FIX_ERRORS);
        bdrv_unref(bs);
    } else {
        error_free(err);
    }
    return 0;
}

#ifdef QCOW2_FUZZ_STANDALONE
#include "fuzz-standalone.h"

/* Seeds: small valid images in every shape the driver knows. */
static GPtrArray *make_seeds(void)
{
    static const char *const shapes[][4] = {
        { "cluster_size=512", NULL },
        { "cluster_size=512", "refcount_bits=1", NULL },
        { "cluster_size=1024", "refcount_bits=64", NULL },
        { "cluster_size=512", "compat=0.10", NULL },
        { "cluster_size=2048", "lazy_refcounts=on", NULL },
        { "cluster_size=512", "backing_file=base.qcow2", "backing_fmt=qcow2", NULL },
        { "cluster_size=4096", "refcount_bits=8", NULL },
    };
    GPtrArray *seeds = fuzz_seeds_new();

    fuzz_init();
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        g_autofree char *optstr = g_strjoinv(",", (char **)shapes[i]);
        g_autoptr(QemuOpts) opts = qemu_opts_parse(&bdrv_create_opts_list, optstr, NULL);
        BlockCreateOpts co = { .filename = fuzz_path, .size = 256 * 1024, .opts = opts };
        Error *err = NULL;
        BlockDriverState *bs;
        char *contents;
        gsize len;

        if (!bdrv_create(bdrv_find_format("qcow2"), &co, &err)) {
            error_report_err(err);
            abort();
        }
        bs = bdrv_open(fuzz_path, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING, &err);
        if (!bs) {
            error_report_err(err);
            abort();
        }
        BdrvChild *c = bdrv_child_new(bs, "root");
        uint8_t buf[4096];
        for (int k = 0; k < 6; k++) {
            memset(buf, 0x41 + k, sizeof(buf));
            bdrv_pwrite(c, k * 37 * 1024 + 512, 1536 + k * 512, buf, 0);
        }
        memset(buf, 0, sizeof(buf));
        memcpy(buf, "compress me, compress me, compress me", 37);
        bdrv_pwrite_compressed(c, 200 * 1024, 4096, buf);
        bdrv_child_free(c);
        bdrv_unref(bs);
        if (!g_file_get_contents(fuzz_path, &contents, &len, NULL)) {
            abort();
        }
        g_autofree char *name = g_strdup_printf("seed-%zu.qcow2", i);
        fuzz_seed_add(seeds, name, g_bytes_new_take(contents, len));
    }
    return seeds;
}

/* Mutations aimed at what qcow2 parsing gets wrong: header fields, table
 * entries, lengths, truncation. */
static uint8_t *mutate(FuzzRng *rng, GBytes *seed, GBytes *other, size_t *size)
{
    gsize len;
    const uint8_t *src = g_bytes_get_data(seed, &len);

    (void)other;
    uint8_t *d = g_memdup2(src, len);
    int n = 1 + fuzz_rnd(rng) % 8;

    for (int i = 0; i < n && len > 8; i++) {
        size_t pos = fuzz_rnd(rng) % 3 ? fuzz_rnd(rng) % MIN(len, 512) : fuzz_rnd(rng) % len;
        switch (fuzz_rnd(rng) % 6) {
        case 0:
            d[pos] ^= 1 << (fuzz_rnd(rng) % 8);
            break;
        case 1:
            d[pos] = fuzz_rnd(rng);
            break;
        case 2: {
            static const uint32_t interesting[] = { 0, 1, 0x7fffffff, 0x80000000,
                                                    0xffffffff, 0x200, 0x10000, 9, 21 };
            uint32_t v = GUINT32_TO_BE(interesting[fuzz_rnd(rng) % G_N_ELEMENTS(interesting)]);
            pos &= ~3;
            if (pos + 4 <= len) {
                memcpy(d + pos, &v, 4);
            }
            break;
        }
        case 3:
            /* Point a 64-bit field at another structure. */
            pos &= ~7;
            if (pos + 8 <= len) {
                uint64_t v = GUINT64_TO_BE((fuzz_rnd(rng) % (len + 1024)) & ~511ULL);
                memcpy(d + pos, &v, 8);
            }
            break;
        case 4:
            len = MAX(8, len - fuzz_rnd(rng) % MIN(len, 4096));
            break;
        default:
            d[pos] = 0xff;
            break;
        }
    }
    *size = len;
    return d;
}

static void cleanup(void)
{
    if (fuzz_path) {
        unlink(fuzz_path);
    }
}

int main(int argc, char **argv)
{
    static const FuzzStandalone target = {
        .name = "qcow2-fuzz",
        .seed = 0x2545f4914f6cdd1dULL,
        .seconds = 20,
        /* check's findings on garbage go to stderr. */
        .quiet = true,
        .seeds = make_seeds,
        .mutate = mutate,
        .cleanup = cleanup,
    };

    return fuzz_standalone_main(&target, argc, argv);
}
#endif
