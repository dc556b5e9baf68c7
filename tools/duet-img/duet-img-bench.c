/*
 * duet-img bench: qemu-img bench's sequential benchmark.  Keeps `depth`
 * requests in flight through blk_aio_*; each completion submits the next
 * request at the following offset (wrapping before the end of the image).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "duet-img.h"

typedef struct BenchData {
    BlockBackend *blk;
    uint64_t image_size;
    bool write;
    int bufsize;
    int64_t step;
    int depth;
    int count;
    int submitted;
    int completed;
    int in_flight;        /* data requests and flushes */
    int flush_interval;
    bool drain_on_flush;
    int last_flush_at;
    bool draining;        /* waiting for in_flight == 0 before a flush */
    QEMUIOVector *qiov;   /* one per queue slot, over one buffer each */
    uint64_t offset;
    int error;
} BenchData;

static void bench_fill(BenchData *b);

static void bench_cb(void *opaque, int ret)
{
    BenchData *b = opaque;
    if (ret < 0 && !b->error) {
        b->error = ret;
    }
    b->completed++;
    b->in_flight--;
    bench_fill(b);
}

static void bench_flush_cb(void *opaque, int ret)
{
    BenchData *b = opaque;
    if (ret < 0 && !b->error) {
        b->error = ret;
    }
    b->in_flight--;
    b->draining = false;
    bench_fill(b);
}

static bool bench_flush_due(BenchData *b)
{
    return b->flush_interval && b->submitted > 0 && b->submitted % b->flush_interval == 0 &&
           b->last_flush_at != b->submitted;
}

/* Tops the queue up to `depth` requests, inserting flushes as asked. */
static void bench_fill(BenchData *b)
{
    while (!b->error && b->submitted < b->count && b->in_flight < b->depth && !b->draining) {
        QEMUIOVector *qiov = &b->qiov[b->submitted % b->depth];

        if (bench_flush_due(b)) {
            if (b->drain_on_flush && b->in_flight > 0) {
                return; /* the last completion comes back with in_flight == 0 */
            }
            b->last_flush_at = b->submitted;
            b->in_flight++;
            b->draining = b->drain_on_flush;
            blk_aio_flush(b->blk, bench_flush_cb, b);
            continue;
        }
        b->in_flight++;
        b->submitted++;
        if (b->write) {
            blk_aio_pwritev(b->blk, b->offset, qiov, 0, bench_cb, b);
        } else {
            blk_aio_preadv(b->blk, b->offset, qiov, 0, bench_cb, b);
        }
        b->offset += b->step;
        if (b->offset + b->bufsize > b->image_size) {
            b->offset = 0;
        }
    }
}

static bool parse_int_opt(const char *arg, const char *what, int64_t min, int64_t max,
                          int64_t *out, bool allow_suffix)
{
    uint64_t v;
    int err = allow_suffix ? qemu_strtosz(arg, 1, &v) : qemu_strtou64(arg, &v);

    if (err < 0 || v > (uint64_t)max || (int64_t)v < min) {
        img_error("Invalid %s specified: '%s'", what, arg);
        return false;
    }
    *out = v;
    return true;
}

int img_bench(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "pattern", required_argument, NULL, IMG_OPT_PATTERN },
        { "flush-interval", required_argument, NULL, IMG_OPT_FLUSH_INTERVAL },
        { "no-drain", no_argument, NULL, IMG_OPT_NO_DRAIN },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    BenchData b = { .count = 75000, .depth = 64, .bufsize = 4096, .drain_on_flush = true,
                    .last_flush_at = -1 };
    const char *fmt = NULL, *cache = "writeback";
    int64_t v, offset = 0, step = 0, pattern = 0;
    bool step_given = false, image_opts = false, force_share = false;
    const char *aio = NULL; /* the file node's aio option; NULL: its default */
    uint8_t *buf;
    int c;

    while ((c = getopt_long(argc, argv, ":c:d:f:ni:o:qs:S:t:wU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!parse_int_opt(optarg, "request count", 1, INT32_MAX, &v, false)) {
                return 1;
            }
            b.count = v;
            break;
        case 'd':
            if (!parse_int_opt(optarg, "queue depth", 1, 65536, &v, false)) {
                return 1;
            }
            b.depth = v;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'n':
            aio = "native";
            break;
        case 'U':
            force_share = true;
            break;
        case 'i':
            if (strcmp(optarg, "threads") && strcmp(optarg, "native") &&
                strcmp(optarg, "io_uring")) {
                img_error("Invalid aio option: %s", optarg);
                return 1;
            }
            aio = optarg;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        case 'o':
            if (!parse_int_opt(optarg, "offset", 0, INT64_MAX, &offset, true)) {
                return 1;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            if (!parse_int_opt(optarg, "buffer size", 1, INT32_MAX, &v, true)) {
                return 1;
            }
            b.bufsize = v;
            break;
        case 'S':
            if (!parse_int_opt(optarg, "step size", 0, INT32_MAX, &step, true)) {
                return 1;
            }
            step_given = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'w':
            b.write = true;
            break;
        case IMG_OPT_PATTERN:
            if (!parse_int_opt(optarg, "pattern byte", 0, 0xff, &pattern, false)) {
                return 1;
            }
            break;
        case IMG_OPT_FLUSH_INTERVAL:
            if (!parse_int_opt(optarg, "flush interval", 0, INT32_MAX, &v, false)) {
                return 1;
            }
            b.flush_interval = v;
            break;
        case IMG_OPT_NO_DRAIN:
            b.drain_on_flush = false;
            break;
        default:
            bad_option(c, "bench", argv);
            return 1;
        }
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return 1;
    }
    if (b.flush_interval && !b.write) {
        img_error("--flush-interval is only available in write tests");
        return 1;
    }
    if (b.flush_interval && b.flush_interval < b.depth) {
        img_error("Flush interval can't be smaller than depth");
        return 1;
    }
    if (img_image_opts_help(image_opts, argv[optind])) {
        return 0;
    }
    b.step = step_given ? step : b.bufsize;
    b.offset = offset;
    if (aio) {
        /* -n / -i: the file node's aio option (aio=native needs -t none). */
        g_autoptr(GHashTable) extra = bdrv_options_new();
        g_hash_table_insert(extra, g_strdup("file.aio"), g_strdup(aio));
        b.blk = img_open_opts(argv[optind], fmt, image_opts, force_share, cache, !b.write,
                              extra);
    } else {
        b.blk = img_open_opts(argv[optind], fmt, image_opts, force_share, cache, !b.write,
                              NULL);
    }
    if (!b.blk) {
        return 1;
    }
    b.image_size = blk_getlength(b.blk);
    if (b.image_size < (uint64_t)b.bufsize || (uint64_t)offset > b.image_size - b.bufsize) {
        img_error("Image is too small for the requested buffer size and offset");
        blk_unref(b.blk);
        return 1;
    }

    if (!quiet) {
        printf("Sending %d %s requests, %d bytes each, %d in parallel "
               "(starting at offset %" PRId64 ", step size %" PRId64 ")\n",
               b.count, b.write ? "write" : "read", b.bufsize, b.depth, offset, b.step);
        if (b.flush_interval) {
            printf("Sending flush every %d requests\n", b.flush_interval);
        }
        fflush(stdout);
    }

    buf = qemu_blockalign(blk_bs(b.blk), (size_t)b.depth * b.bufsize);
    memset(buf, (int)pattern, (size_t)b.depth * b.bufsize);
    b.qiov = g_new(QEMUIOVector, b.depth);
    for (int i = 0; i < b.depth; i++) {
        qemu_iovec_init_buf(&b.qiov[i], buf + (size_t)i * b.bufsize, b.bufsize);
    }

    gint64 start = g_get_monotonic_time();
    AioContext *ctx = blk_get_aio_context(b.blk);
    bench_fill(&b);
    while (b.in_flight > 0 || (!b.error && b.completed < b.count)) {
        aio_poll(ctx, true);
    }
    gint64 end = g_get_monotonic_time();

    if (b.error) {
        img_error("Failed request: %s", g_strerror(-b.error));
    } else if (!quiet) {
        printf("Run completed in %3.3f seconds.\n", (end - start) / 1e6);
    }
    blk_unref(b.blk);
    qemu_vfree(buf);
    g_free(b.qiov);
    return b.error ? 1 : 0;
}
