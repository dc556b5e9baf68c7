/*
 * duet-img bitmap: add, remove, clear, enable, disable and merge the
 * persistent dirty bitmaps of an image, in the order the options come, as
 * qemu-img bitmap does.  What the operations before a failing one did is
 * kept (qemu-img's changes live in the open image and are stored at close).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

typedef struct BitmapOp {
    int kind;
    const char *source; /* --merge */
} BitmapOp;

static const char *op_name(int kind)
{
    switch (kind) {
    case IMG_OPT_BITMAP_ADD:
        return "add";
    case IMG_OPT_BITMAP_REMOVE:
        return "remove";
    case IMG_OPT_BITMAP_CLEAR:
        return "clear";
    case IMG_OPT_BITMAP_ENABLE:
        return "enable";
    case IMG_OPT_BITMAP_DISABLE:
        return "disable";
    default:
        return "merge";
    }
}

/* --merge: dst |= the source bitmap, of this image or of -b's. */
static bool bitmap_merge(BlockDriverState *bs, GPtrArray *list, const char *name,
                         const char *source, const char *src_file, const char *src_fmt,
                         Error **errp)
{
    BdrvBitmap *dst = bdrv_bitmap_find(list, name, errp), *src;
    g_autoptr(GPtrArray) src_list = NULL;
    BlockDriverState *src_bs = NULL;
    bool ok = false;

    if (!dst) {
        return false;
    }
    if (src_file) {
        src_bs = bdrv_open(src_file, src_fmt, BDRV_O_NO_IO, errp);
        if (!src_bs) {
            return false;
        }
        src_list = bdrv_bitmaps_load(src_bs, errp);
        if (!src_list) {
            goto out;
        }
    }
    src = bdrv_bitmap_find(src_list ? src_list : list, source, errp);
    if (src) {
        int64_t dsize = bdrv_getlength(bs), ssize = bdrv_getlength(src_bs ? src_bs : bs);

        if (dsize != ssize) {
            error_setg(errp, "Bitmaps are of different sizes (destination size is %" PRId64
                       ", source size is %" PRId64 ") and can't be merged", dsize, ssize);
            goto out;
        }
        bdrv_bitmap_merge(dst, src, dsize);
        ok = true;
    }
out:
    bdrv_unref(src_bs);
    return ok;
}

int img_bitmap(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "add", no_argument, NULL, IMG_OPT_BITMAP_ADD },
        { "remove", no_argument, NULL, IMG_OPT_BITMAP_REMOVE },
        { "clear", no_argument, NULL, IMG_OPT_BITMAP_CLEAR },
        { "enable", no_argument, NULL, IMG_OPT_BITMAP_ENABLE },
        { "disable", no_argument, NULL, IMG_OPT_BITMAP_DISABLE },
        { "merge", required_argument, NULL, IMG_OPT_BITMAP_MERGE },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GArray) ops = g_array_new(false, false, sizeof(BitmapOp));
    g_autoptr(GPtrArray) list = NULL;
    const char *fmt = NULL, *src_file = NULL, *src_fmt = NULL, *filename, *name;
    BlockDriverState *bs;
    Error *err = NULL;
    bool image_opts = false;
    int64_t granularity = 0;
    int c, ret = 1;

    while ((c = getopt_long(argc, argv, ":b:f:F:g:", long_opts, NULL)) != -1) {
        BitmapOp op = { c, NULL };

        switch (c) {
        case 'b':
            src_file = optarg;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'F':
            src_fmt = optarg;
            break;
        case 'g':
            if (!img_parse_sized("granularity", optarg, &granularity)) {
                return 1;
            }
            break;
        case IMG_OPT_BITMAP_MERGE:
            op.source = optarg;
            /* fall through */
        case IMG_OPT_BITMAP_ADD:
        case IMG_OPT_BITMAP_REMOVE:
        case IMG_OPT_BITMAP_CLEAR:
        case IMG_OPT_BITMAP_ENABLE:
        case IMG_OPT_BITMAP_DISABLE:
            g_array_append_val(ops, op);
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "bitmap", argv);
            return 1;
        }
    }
    if (!ops->len) {
        img_error("Need at least one of --add, --remove, --clear, --enable, --disable, or "
                  "--merge");
        return 1;
    }
    if (optind != argc - 2) {
        img_error("Expecting filename and bitmap name");
        return 1;
    }
    filename = argv[optind];
    name = argv[optind + 1];
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    bs = img_open_bs_opts(filename, fmt, image_opts, false, BDRV_O_RDWR);
    if (!bs) {
        return 1;
    }
    if (!fmt && !image_opts) {
        img_warn_probed_raw(bs, filename);
    }
    list = bdrv_bitmaps_load(bs, &err);
    if (!list) {
        img_error_err(err);
        goto out;
    }
    ret = 0;
    for (guint i = 0; i < ops->len && !ret; i++) {
        BitmapOp *op = &g_array_index(ops, BitmapOp, i);
        BdrvBitmap *bm = NULL;
        bool ok;

        switch (op->kind) {
        case IMG_OPT_BITMAP_ADD:
            ok = bdrv_bitmap_add(bs, list, name, granularity, true, &err);
            break;
        case IMG_OPT_BITMAP_REMOVE:
            ok = bdrv_bitmap_remove(list, name, &err);
            break;
        case IMG_OPT_BITMAP_MERGE:
            ok = bitmap_merge(bs, list, name, op->source, src_file, src_fmt, &err);
            break;
        default:
            bm = bdrv_bitmap_find(list, name, &err);
            ok = bm != NULL;
            if (bm && op->kind == IMG_OPT_BITMAP_CLEAR) {
                memset(bm->bits, 0, (bm->nbits + 7) / 8);
            } else if (bm) {
                bm->enabled = op->kind == IMG_OPT_BITMAP_ENABLE;
            }
            break;
        }
        if (!ok) {
            error_prepend(&err, "Operation %s on bitmap %s failed: ", op_name(op->kind), name);
            img_error_err(err);
            err = NULL;
            ret = 1;
        }
    }
    /* what was done before a failure is kept, as in qemu-img */
    if (bdrv_bitmaps_store(bs, list, &err) < 0) {
        if (!ret) {
            error_prepend(&err, "Operation %s on bitmap %s failed: ",
                          op_name(g_array_index(ops, BitmapOp, ops->len - 1).kind), name);
        }
        img_error_err(err);
        ret = 1;
    }
out:
    bdrv_unref(bs);
    return ret;
}
