/*
 * duet-img rebase: point an image at another backing file.  Safe mode
 * first copies into the image every sector where the old and the new
 * backing file read differently (and the image does not allocate it), so
 * the image reads the same afterwards; -u only rewrites the header.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

typedef struct RebaseState {
    BdrvChild *top;
    BdrvChild *old_backing; /* NULL: reads as zeroes */
    BdrvChild *new_backing;
    int64_t size;
    ImgProgress progress;
} RebaseState;

/* [offset, offset+n) of child, zeroes where it is shorter or absent. */
static int read_or_zero(BdrvChild *child, int64_t offset, int64_t n, uint8_t *buf)
{
    int64_t len = child ? bdrv_getlength(child->bs) : 0;
    int64_t have = len > offset ? MIN(n, len - offset) : 0;

    if (len < 0) {
        return len;
    }
    memset(buf + have, 0, n - have);
    return have ? bdrv_pread(child, offset, have, buf, 0) : 0;
}

static int64_t bdrv_child_len(BdrvChild *child)
{
    return child ? bdrv_getlength(child->bs) : 0;
}

/* Copies the differing sectors of [offset, offset+n) into the image; n
 * does not cross the old backing file's end. */
static int rebase_range(RebaseState *s, int64_t offset, int64_t n, uint8_t *old_buf,
                        uint8_t *new_buf)
{
    int ret = read_or_zero(s->old_backing, offset, n, old_buf);

    if (ret < 0) {
        img_error("error while reading from old backing file");
        return ret;
    }
    ret = read_or_zero(s->new_backing, offset, n, new_buf);
    if (ret < 0) {
        img_error("error while reading from new backing file");
        return ret;
    }
    for (int64_t pos = 0; pos < n;) {
        int64_t run = MIN(BDRV_SECTOR_SIZE, n - pos);
        bool differ = memcmp(old_buf + pos, new_buf + pos, run) != 0;
        int64_t end = pos + run;

        /* extend to the run of sectors that compare the same way */
        while (end < n) {
            int64_t k = MIN(BDRV_SECTOR_SIZE, n - end);

            if ((memcmp(old_buf + end, new_buf + end, k) != 0) != differ) {
                break;
            }
            end += k;
        }
        if (differ) {
            /*
             * Past the old backing file's end qemu-img writes zeroes as a
             * zero write, while the image has its old backing still: a v2
             * image without one discards there (qcow2 v2 has no zero
             * clusters), so the new backing file shows through afterwards.
             */
            ret = offset >= bdrv_child_len(s->old_backing)
                  ? bdrv_pwrite_zeroes(s->top, offset + pos, end - pos, 0)
                  : bdrv_pwrite(s->top, offset + pos, end - pos, old_buf + pos, 0);
            if (ret < 0) {
                img_error("Error while writing to COW image: %s", g_strerror(-ret));
                return ret;
            }
        }
        pos = end;
    }
    return 0;
}

static int rebase_copy(RebaseState *s)
{
    uint8_t *old_buf = qemu_blockalign(s->top->bs, IMG_CHUNK);
    uint8_t *new_buf = qemu_blockalign(s->top->bs, IMG_CHUNK);
    int64_t old_len = bdrv_child_len(s->old_backing);
    int ret = 0;

    img_progress(&s->progress, 0, s->size);
    for (int64_t offset = 0; offset < s->size;) {
        int64_t n = MIN(IMG_CHUNK, s->size - offset), pnum = 0;
        int st = bdrv_block_status(s->top->bs, offset, n, &pnum, NULL, NULL);

        if (st < 0) {
            img_error("error while reading image metadata: %s", g_strerror(-st));
            ret = st;
            break;
        }
        if (pnum <= 0) {
            pnum = n;
            st = 0;
        }
        if (offset < old_len && offset + pnum > old_len) {
            pnum = old_len - offset;
        }
        /* what the image allocates itself does not change */
        if (!(st & BDRV_BLOCK_ALLOCATED)) {
            ret = rebase_range(s, offset, pnum, old_buf, new_buf);
            if (ret < 0) {
                break;
            }
        }
        offset += pnum;
        img_progress(&s->progress, offset, s->size);
    }
    qemu_vfree(old_buf);
    qemu_vfree(new_buf);
    return ret;
}

/* The new backing file, named relative to the image as the header will
 * name it; NULL after printing qemu-img's message. */
static BlockDriverState *open_new_backing(BlockDriverState *bs, const char *name,
                                          const char *fmt)
{
    g_autofree char *dir = g_path_get_dirname(bs->filename);
    /* an image named without a directory: the name as it is */
    g_autofree char *path = g_path_is_absolute(name) || !strchr(bs->filename, '/')
                                ? g_strdup(name) : g_build_filename(dir, name, NULL);
    Error *err = NULL;
    BlockDriverState *nb = bdrv_open(path, fmt, 0, &err);

    if (!nb) {
        error_prepend(&err, "Could not open new backing file '%s': ", name);
        img_error_err(err);
    }
    return nb;
}

int img_rebase(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *out_base = NULL, *out_fmt = NULL, *cache = "writeback";
    const char *src_cache = "writeback", *filename;
    RebaseState s = { 0 };
    BlockDriverState *bs = NULL, *new_bs = NULL;
    bool unsafe = false, image_opts = false, force_share = false;
    int c, flags, src_flags, ret = 1, r;

    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            out_fmt = optarg;
            break;
        case 'b':
            out_base = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            s.progress.on = true;
            break;
        case 't':
            cache = optarg;
            break;
        case 'T':
            src_cache = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "rebase", argv);
            return 1;
        }
    }
    if (quiet) {
        s.progress.on = false;
    }
    if (!unsafe && !out_base) {
        img_error_exit("Must specify backing file (-b) or use unsafe mode (-u)");
        return 1;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return 1;
    }
    filename = argv[optind];
    if (!img_check_image_opts(image_opts, fmt) || !img_cache_flags(cache, "", &flags) ||
        !img_cache_flags(src_cache, "source ", &src_flags)) {
        return 1;
    }
    if (out_fmt && !bdrv_find_format(out_fmt)) {
        img_error("Invalid format name: '%s'", out_fmt);
        return 1;
    }
    (void)src_flags; /* the backing files are read through the image's chain */
    /* -U shares nothing of an image opened for writing: qemu-img ignores it */
    (void)force_share;
    bs = img_open_bs_opts(filename, fmt, image_opts, false,
                          BDRV_O_RDWR | flags | (unsafe ? BDRV_O_NO_BACKING : 0));
    if (!bs) {
        return 1;
    }
    if (!fmt && !image_opts) {
        img_warn_probed_raw(bs, filename);
    }
    if (!unsafe) {
        if (out_base && out_base[0]) {
            new_bs = open_new_backing(bs, out_base, out_fmt);
            if (!new_bs) {
                goto out;
            }
            s.new_backing = bdrv_child_new(new_bs, "rebase-new");
        }
        s.top = bdrv_child_new(bs, "rebase-top");
        s.old_backing = bs->backing;
        s.size = bdrv_getlength(bs);
        if (rebase_copy(&s) < 0) {
            goto out;
        }
    }
    if (out_base && out_base[0] && !out_fmt) {
        img_error("Could not change the backing file to '%s': backing format must be "
                  "specified", out_base);
        goto out;
    }
    r = bdrv_change_backing_file(bs, out_base, out_fmt);
    if (r < 0) {
        img_error("Could not change the backing file to '%s': %s", out_base ? out_base : "",
                  g_strerror(-r));
        goto out;
    }
    img_progress_end(&s.progress);
    ret = 0;
out:
    bdrv_child_free(s.top);
    bdrv_child_free(s.new_backing);
    bdrv_unref(new_bs);
    bdrv_unref(bs);
    return ret;
}
