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
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

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
    GPtrArray *seeds = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

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
        g_ptr_array_add(seeds, g_bytes_new_take(contents, len));
    }
    return seeds;
}

/* Mutations aimed at what qcow2 parsing gets wrong: header fields, table
 * entries, lengths, truncation. */
static uint8_t *mutate(GBytes *seed, size_t *size)
{
    gsize len;
    const uint8_t *src = g_bytes_get_data(seed, &len);
    uint8_t *d = g_memdup2(src, len);
    int n = 1 + rnd() % 8;

    for (int i = 0; i < n && len > 8; i++) {
        size_t pos = rnd() % 3 ? rnd() % MIN(len, 512) : rnd() % len;
        switch (rnd() % 6) {
        case 0:
            d[pos] ^= 1 << (rnd() % 8);
            break;
        case 1:
            d[pos] = rnd();
            break;
        case 2: {
            static const uint32_t interesting[] = { 0, 1, 0x7fffffff, 0x80000000,
                                                    0xffffffff, 0x200, 0x10000, 9, 21 };
            uint32_t v = GUINT32_TO_BE(interesting[rnd() % G_N_ELEMENTS(interesting)]);
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
                uint64_t v = GUINT64_TO_BE((rnd() % (len + 1024)) & ~511ULL);
                memcpy(d + pos, &v, 8);
            }
            break;
        case 4:
            len = MAX(8, len - rnd() % MIN(len, 4096));
            break;
        default:
            d[pos] = 0xff;
            break;
        }
    }
    *size = len;
    return d;
}

int main(int argc, char **argv)
{
    double seconds = 20;
    int64_t runs = 0;
    g_autoptr(GPtrArray) seeds = NULL;
    struct timespec t0, t;

    rng_state = 0x2545f4914f6cdd1dULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            rng_state = g_ascii_strtoull(argv[++i], NULL, 0) | 1;
        } else if (!strcmp(argv[i], "--make-corpus") && i + 1 < argc) {
            const char *dir = argv[++i];
            seeds = make_seeds();
            g_mkdir_with_parents(dir, 0755);
            for (guint k = 0; k < seeds->len; k++) {
                g_autofree char *p = g_strdup_printf("%s/seed-%u.qcow2", dir, k);
                gsize len;
                const void *b = g_bytes_get_data(seeds->pdata[k], &len);
                g_file_set_contents(p, b, len, NULL);
            }
            unlink(fuzz_path);
            return 0;
        } else {
            /* Replay a saved input (a crash reproducer, say). */
            char *contents;
            gsize len;
            if (!g_file_get_contents(argv[i], &contents, &len, NULL)) {
                fprintf(stderr, "cannot read %s\n", argv[i]);
                return 1;
            }
            LLVMFuzzerTestOneInput((uint8_t *)contents, len);
            g_free(contents);
            runs++;
        }
    }
    if (runs) {
        unlink(fuzz_path);
        printf("replayed %" PRId64 " inputs\n", runs);
        return 0;
    }
    seeds = make_seeds();
    if (!getenv("QCOW2_FUZZ_VERBOSE")) {
        /* check's findings on garbage are expected and many; a crash still
         * fails the run, and the last input is kept to reproduce it. */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (guint k = 0; k < seeds->len; k++) {
        gsize len;
        const uint8_t *b = g_bytes_get_data(seeds->pdata[k], &len);
        LLVMFuzzerTestOneInput(b, len);
        runs++;
    }
    for (;;) {
        size_t size;
        uint8_t *d;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > seconds) {
            break;
        }
        d = mutate(seeds->pdata[rnd() % seeds->len], &size);
        /* Keep the input we are about to run, to reproduce a crash. */
        g_file_set_contents("qcow2-fuzz-last-input.qcow2", (char *)d, size, NULL);
        LLVMFuzzerTestOneInput(d, size);
        g_free(d);
        runs++;
    }
    unlink("qcow2-fuzz-last-input.qcow2");
    unlink(fuzz_path);
    printf("qcow2-fuzz: %" PRId64 " inputs in %.0f s, no crash\n", runs, seconds);
    return 0;
}

#endif
