/*
 * duet-img convert: copy an image (through its backing chain) into a new
 * image of any format, skipping what reads as zeroes, optionally writing
 * compressed clusters.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "block/aio.h"
#include "duet-img.h"

typedef struct ConvertState {
    int src_num;        /* the sources, concatenated in the target */
    BlockDriverState **srcs;
    BdrvChild *src_child; /* the one being copied ... */
    int64_t src_size;
    int64_t base;       /* ... to here in the target */
    BdrvChild *dst_child;
    int64_t size;       /* of the target: all sources */
    int64_t chunk;      /* a cluster when compressing */
    bool compress;
    bool target_is_new; /* fresh targets already read as zeroes */
    bool has_backing;   /* -B: what the target's backing file reads is kept */
    uint8_t *dst_buf;
    bool progress;
    bool salvage;       /* --salvage: unreadable sectors read as zeroes */
    int64_t rate;       /* -r: bytes per second of data copied, 0: no limit */
    int64_t slice_end;  /* the rate's current 100 ms slice (monotonic us) */
    int64_t slice_start;
    int64_t dispatched; /* bytes started in that slice */
} ConvertState;

#define CONVERT_SLICE_US 100000

/*
 * -r: data chunks are started at no more than s->rate bytes a second,
 * counted in 100 ms slices; a chunk may start while its slice's quota is
 * not used up, so a single chunk never waits.  Zero runs cost nothing.
 */
static void convert_rate_limit(ConvertState *s, int64_t n)
{
    double quota = (double)s->rate * CONVERT_SLICE_US / G_USEC_PER_SEC;
    int64_t now;

    if (!s->rate) {
        return;
    }
    for (;;) {
        now = g_get_monotonic_time();
        if (now > s->slice_end) {
            s->slice_start = now;
            s->slice_end = now + CONVERT_SLICE_US;
            s->dispatched = 0;
        }
        if (s->dispatched < quota) {
            s->dispatched += n;
            return;
        }
        /* wait until the slices the bytes already started have used up */
        int64_t until = s->slice_start + (int64_t)(s->dispatched / quota * CONVERT_SLICE_US);
        if (until > now) {
            g_usleep(until - now);
        }
        s->slice_start = g_get_monotonic_time();
        s->slice_end = s->slice_start + CONVERT_SLICE_US;
        s->dispatched = 0;
    }
}

/*
 * --salvage after a failed read: [src_offset, src_offset+n) again sector
 * by sector, each unreadable one zeroed with a warning naming its offset
 * in its own source (qemu-img's words).
 */
static void convert_salvage_read(ConvertState *s, int64_t src_offset, int64_t n, uint8_t *buf)
{
    for (int64_t done = 0; done < n; done += BDRV_SECTOR_SIZE) {
        int64_t len = MIN(BDRV_SECTOR_SIZE, n - done);
        int ret = bdrv_pread(s->src_child, src_offset + done, len, buf + done, 0);

        if (ret < 0) {
            if (!quiet) {
                img_error("warning: error while reading offset %" PRId64 ": %s",
                          src_offset + done, g_strerror(-ret));
            }
            memset(buf + done, 0, len);
        }
    }
}

/*
 * The status of the next run at offset, at most n bytes.  With --salvage
 * a failed query is retried on a quarter of the range, down to one
 * sector, which is then warned about and read as data.
 */
static int convert_status(ConvertState *s, int64_t offset, int64_t n, MapEntry *e)
{
    for (;;) {
        int ret = chain_status(s->src_child->bs, offset, n, e);

        if (ret >= 0) {
            return 0;
        }
        if (!s->salvage) {
            img_error("error while reading block status at offset %" PRId64 ": %s", offset,
                      g_strerror(-ret));
            return ret;
        }
        if (n > BDRV_SECTOR_SIZE) {
            int64_t sectors = (n + BDRV_SECTOR_SIZE - 1) / BDRV_SECTOR_SIZE;

            n = (sectors + 3) / 4 * BDRV_SECTOR_SIZE;
            continue;
        }
        if (!quiet) {
            img_error("warning: error while reading block status at offset %" PRId64 ": %s",
                      offset, g_strerror(-ret));
        }
        *e = (MapEntry) { .start = offset, .length = n, .data = true };
        return 0;
    }
}

static bool buffer_is_zero(const uint8_t *buf, size_t len)
{
    QEMUIOVector qiov;
    qemu_iovec_init_buf(&qiov, (void *)buf, len);
    return qemu_iovec_is_zero(&qiov, 0, len);
}

static void convert_progress(ConvertState *s, int64_t done, bool final)
{
    if (s->progress && !quiet) {
        printf("    (%3.2f/100%%)%s", s->size ? 100.0 * done / s->size : 100.0,
               final ? "\n" : "\r");
        fflush(stdout);
    }
}

/* Copies [offset, offset+n) of the source unless it reads as zeroes. */
static int convert_chunk(ConvertState *s, int64_t src_offset, int64_t n, uint8_t *buf)
{
    int64_t offset = s->base + src_offset;
    int ret;

    convert_rate_limit(s, n);
    ret = bdrv_pread(s->src_child, src_offset, n, buf, 0);
    if (ret < 0 && s->salvage) {
        convert_salvage_read(s, src_offset, n, buf);
        ret = 0;
    }
    if (ret < 0) {
        img_error("error while reading at byte %" PRId64 ": %s", offset, g_strerror(-ret));
        return ret;
    }
    if (s->has_backing) {
        /* only what differs from the backing file goes into the target */
        ret = bdrv_pread(s->dst_child, offset, n, s->dst_buf, 0);
        if (ret < 0) {
            img_error("error while reading at byte %" PRId64 ": %s", offset, g_strerror(-ret));
            return ret;
        }
        if (!memcmp(buf, s->dst_buf, n)) {
            return 0;
        }
        ret = bdrv_pwrite(s->dst_child, offset, n, buf, 0);
        if (ret < 0) {
            img_error("error while writing at byte %" PRId64 ": %s", offset, g_strerror(-ret));
        }
        return ret;
    }
    if (buffer_is_zero(buf, n)) {
        if (s->target_is_new) {
            return 0;
        }
        ret = bdrv_pwrite_zeroes(s->dst_child, offset, n, 0);
    } else if (s->compress && n == s->chunk) {
        ret = bdrv_pwrite_compressed(s->dst_child, offset, n, buf);
    } else {
        ret = bdrv_pwrite(s->dst_child, offset, n, buf, 0);
    }
    if (ret < 0) {
        img_error("error while writing at byte %" PRId64 ": %s", offset, g_strerror(-ret));
    }
    return ret;
}

/* One source into the target at s->base. */
static int convert_copy_one(ConvertState *s, uint8_t *buf)
{
    int64_t offset = 0;
    int ret = 0;

    while (offset < s->src_size && ret >= 0) {
        int64_t n = MIN(s->chunk, s->src_size - offset);
        MapEntry e;

        ret = convert_status(s, offset, n, &e);
        if (ret < 0) {
            break;
        }
        /* Compression works on whole clusters: keep chunks aligned. */
        if (!s->compress) {
            n = e.length;
        }
        if (e.zero && !e.data && e.length >= n && !s->has_backing) {
            if (!s->target_is_new) {
                ret = bdrv_pwrite_zeroes(s->dst_child, s->base + offset, n,
                                         BDRV_REQ_MAY_UNMAP);
            }
        } else {
            ret = convert_chunk(s, offset, n, buf);
        }
        offset += n;
        if (s->base + offset < s->size) {
            convert_progress(s, s->base + offset, false);
        }
    }
    return ret;
}

/*
 * qemu-img walks the sources' block status once before copying (to weigh
 * its progress); errors show there first, and one-shot injected errors
 * are used up there.
 */
static int convert_status_pass(ConvertState *s)
{
    int ret = 0;

    for (int i = 0; i < s->src_num && ret >= 0; i++) {
        int64_t size = bdrv_getlength(s->srcs[i]);

        s->src_child = bdrv_child_new(s->srcs[i], "convert-src");
        for (int64_t offset = 0; offset < size && ret >= 0;) {
            MapEntry e;

            ret = convert_status(s, offset, MIN(s->chunk, size - offset), &e);
            offset += e.length;
        }
        bdrv_child_free(s->src_child);
        s->src_child = NULL;
    }
    return ret;
}

static int convert_copy(ConvertState *s)
{
    uint8_t *buf;
    int ret = convert_status_pass(s);

    if (ret < 0) {
        return ret;
    }
    buf = qemu_blockalign(s->srcs[0], s->chunk);

    convert_progress(s, 0, false);
    s->base = 0;
    for (int i = 0; i < s->src_num && ret >= 0; i++) {
        s->src_child = bdrv_child_new(s->srcs[i], "convert-src");
        s->src_size = bdrv_getlength(s->srcs[i]);
        ret = convert_copy_one(s, buf);
        bdrv_child_free(s->src_child);
        s->src_child = NULL;
        s->base += s->src_size;
    }
    if (ret >= 0) {
        convert_progress(s, s->size, true);
    }
    qemu_vfree(buf);
    return ret;
}


int img_convert(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { "target-image-opts", no_argument, NULL, IMG_OPT_TARGET_IMAGE_OPTS },
        { "salvage", no_argument, NULL, IMG_OPT_SALVAGE },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GString) optstr = g_string_new(NULL);
    g_autoptr(QemuOpts) opts = NULL;
    g_auto(ImgSnapshotArg) sn = { NULL };
    /* -C (copy offloading): checked as qemu-img checks it; the copy is the
     * same either way (what the target reads does not depend on it) */
    bool copy_range = false, explicit_sparse = false, tgt_image_opts = false;
    bool explicit_out_fmt = false;
    const char *fmt = NULL, *out_fmt = "raw", *dst_name;
    const char *backing = NULL, *backing_fmt = NULL;
    const char *cache = "unsafe", *src_cache = "writeback";
    const BlockDriver *drv;
    ConvertState s = { .target_is_new = true };
    BlockDriverState *dst = NULL;
    BlockDriverInfo bdi;
    Error *err = NULL;
    bool image_opts = false; /* for the source, as in qemu-img */
    bool help;
    bool force_share = false;
    int ret = 1, c, flags;

    while ((c = getopt_long(argc, argv, ":f:O:o:cpqnt:T:m:WS:UB:F:l:Cr:", long_opts, NULL))
           != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            explicit_out_fmt = true;
            break;
        case 'C':
            copy_range = true;
            break;
        case 'r':
            if (!img_parse_sized("rate limit", optarg, &s.rate)) {
                return 1;
            }
            break;
        case IMG_OPT_SALVAGE:
            s.salvage = true;
            break;
        case IMG_OPT_TARGET_IMAGE_OPTS:
            tgt_image_opts = true;
            break;
        case 'B':
            backing = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'o':
            if (!img_accumulate_options(optstr, optarg)) {
                return 1;
            }
            break;
        case 'c':
            s.compress = true;
            break;
        case 'p':
            s.progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'n':
            s.target_is_new = false;
            break;
        case 'l':
            if (!img_snapshot_arg(&sn, optarg)) {
                return 1;
            }
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'W':
            break; /* ordering hint: the copy here is sequential */
        case 'm': {
            /* parallel requests: checked as qemu-img checks them; the copy
             * here is sequential */
            char *end;
            long n = strtol(optarg, &end, 10);

            if (*end || end == optarg || n < 1 || n > 16) {
                img_error("Invalid number of coroutines. Allowed number of coroutines is "
                          "between 1 and 16");
                return 1;
            }
            break;
        }
        case 'S': {
            int64_t sval;

            if (!parse_size(optarg, &sval) || optarg[0] == '-') {
                img_error("Invalid buffer size for sparse output specified. You may use k, "
                          "M, G, T, P or E suffixes for");
                img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and "
                          "exabytes.");
                return 1;
            }
            if (sval % BDRV_SECTOR_SIZE || sval > 16 * 1024 * 1024) {
                img_error("Invalid buffer size for sparse output specified. Valid sizes are "
                          "multiples of 512 up to 16777216. Select 0 to disable sparse "
                          "detection (fully allocates output).");
                return 1;
            }
            explicit_sparse = true;
            break;
        }
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "convert", argv);
            return 1;
        }
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    if (copy_range && s.compress) {
        img_error("Cannot enable copy offloading when -c is used");
        return 1;
    }
    if (copy_range && explicit_sparse) {
        img_error("Cannot enable copy offloading when -S is used");
        return 1;
    }
    if (copy_range && s.salvage) {
        img_error("Cannot use copy offloading in salvaging mode");
        return 1;
    }
    if (tgt_image_opts && s.target_is_new) {
        img_error("--target-image-opts requires use of -n flag");
        return 1;
    }
    if (!s.target_is_new && optstr->len) {
        img_error("-o has no effect when skipping image creation");
        return 1;
    }
    if (tgt_image_opts && explicit_out_fmt) {
        img_error("--image-opts and --format are mutually exclusive");
        return 1;
    }
    drv = find_format(out_fmt);
    if (!drv) {
        return 1;
    }
    /* -o help first, as qemu-img: the target (last argument) if any. */
    opts = img_create_opts(drv, optstr->str, optind < argc ? argv[argc - 1] : NULL, false,
                           &help);
    if (!opts) {
        return help ? 0 : 1;
    }
    if (argc - optind < 2) {
        img_error("Must specify image file name");
        return 1;
    }
    if (!img_cache_flags(src_cache, "source ", &flags)) {
        return 1;
    }
    s.src_num = argc - optind - 1;
    dst_name = argv[argc - 1];
    s.has_backing = backing != NULL;
    for (int i = 0; i < s.src_num; i++) {
        if (img_image_opts_help(image_opts, argv[optind + i])) {
            return 0;
        }
    }
    /* The sources let nobody else write while they are copied (qemu-img's
     * convert does the same), unless -U. */
    s.srcs = g_new0(BlockDriverState *, (unsigned)s.src_num);
    for (int i = 0; i < s.src_num; i++) {
        int64_t len;

        s.srcs[i] = img_open_bs_opts(argv[optind + i], fmt, image_opts, force_share,
                                     BDRV_O_NO_SHARE);
        if (!s.srcs[i]) {
            goto out;
        }
        len = bdrv_getlength(s.srcs[i]);
        if (len < 0) {
            img_error("Could not get size of %s: %s", argv[optind + i], g_strerror(-len));
            goto out;
        }
        s.size += len;
    }
    if (sn.name && !sn.opts && s.src_num > 1) {
        img_error("No support for concatenating multiple snapshot");
        goto out;
    }
    if (!img_load_snapshot(&sn, s.srcs[0])) {
        goto out;
    }
    /* qemu-img looks at -B once the sources are open */
    if (backing && s.target_is_new && !drv->supports_backing) {
        img_error("Backing file not supported for file format '%s'", out_fmt);
        goto out;
    }
    if (backing && !backing_fmt) {
        img_error("Use of backing file requires explicit backing format");
        goto out;
    }
    if (backing && (!qemu_opt_set(opts, "backing_file", backing, &err) ||
                    !qemu_opt_set(opts, "backing_fmt", backing_fmt, &err))) {
        img_error_err(err);
        goto out;
    }
    if (s.compress && !tgt_image_opts && !drv->bdrv_co_pwritev_compressed_part) {
        img_error("Compression not supported for this file format");
        goto out;
    }
    /*
     * The target must not be a file a source reads: creating it would
     * empty the source first.  While the source's locks keep writers out,
     * creating or opening the target fails on them with qemu-img's words;
     * where nothing would stop it (-U, locking=off) qemu-img goes ahead and
     * destroys the image, so refuse before anything is written.
     */
    for (int i = 0; i < s.src_num; i++) {
        BlockDriverState *same = bdrv_find_file(s.srcs[i], dst_name);

        if (same && !bdrv_blocks_writers(same)) {
            img_error("%s: cannot convert onto the source: it is the same file as '%s', "
                      "which the conversion reads", dst_name, same->filename);
            goto out;
        }
    }
    if (s.target_is_new) {
        BlockCreateOpts create = { .filename = dst_name, .size = s.size, .opts = opts };
        if (!bdrv_create(drv, &create, &err)) {
            error_prepend(&err, "%s: error while converting %s: ", dst_name, out_fmt);
            img_error_err(err);
            goto out;
        }
    }
    /* qemu-img checks the target's cache mode only once the target exists */
    if (!img_cache_flags(cache, "", &flags)) {
        goto out;
    }
    /* Like qemu-img's default -t unsafe: one flush at the end is enough. */
    dst = img_open_bs_opts(dst_name, tgt_image_opts ? NULL : out_fmt, tgt_image_opts, false,
                           BDRV_O_RDWR | BDRV_O_NO_FLUSH |
                           (s.has_backing ? 0 : BDRV_O_NO_BACKING));
    if (!dst) {
        goto out;
    }
    if (s.compress && !dst->drv->bdrv_co_pwritev_compressed_part) {
        img_error("Compression not supported for this file format");
        goto out;
    }
    if (!s.target_is_new && bdrv_getlength(dst) < s.size) {
        img_error("output file is smaller than input file");
        goto out;
    }
    s.chunk = IMG_CHUNK;
    if (s.compress) {
        if (bdrv_get_info(dst, &bdi) < 0 || bdi.cluster_size <= 0) {
            img_error("could not get block driver info");
            goto out;
        }
        s.chunk = bdi.cluster_size;
    }
    s.dst_buf = s.has_backing ? qemu_blockalign(dst, s.chunk) : NULL;
    s.dst_child = bdrv_child_new(dst, "convert-dst");
    ret = convert_copy(&s) < 0 ? 1 : 0;
    if (ret == 0 && bdrv_flush(dst) < 0) {
        img_error("Could not flush the target");
        ret = 1;
    }
out:
    qemu_vfree(s.dst_buf);
    bdrv_child_free(s.dst_child);
    bdrv_unref(dst);
    for (int i = 0; s.srcs && i < s.src_num; i++) {
        bdrv_unref(s.srcs[i]);
    }
    g_free(s.srcs);
    return ret;
}
