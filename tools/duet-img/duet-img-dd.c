/*
 * duet-img dd: copy bs-sized blocks of an image (count of them, after
 * skipping skip) into a new image of any format, as qemu-img dd does:
 * the output holds [skip * bs, min(size, count * bs)) of the input.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

typedef struct DdOperands {
    const char *in;
    const char *out;
    int64_t bs;
    int64_t count;
    int64_t skip;
    bool has_count;
    bool has_skip;
} DdOperands;

/* One "key=value" operand; false after printing qemu-img's complaint. */
static bool dd_operand(DdOperands *d, const char *arg)
{
    const char *eq = strchr(arg, '=');
    g_autofree char *key = eq ? g_strndup(arg, eq - arg) : g_strdup(arg);
    const char *value = eq ? eq + 1 : "";

    if (!eq) {
        img_error("unrecognized operand %s", key);
        return false;
    }
    if (!strcmp(key, "if")) {
        d->in = value;
    } else if (!strcmp(key, "of")) {
        d->out = value;
    } else if (!strcmp(key, "bs")) {
        if (!img_parse_sized_range("bs", value, 1, INT_MAX, &d->bs)) {
            return false;
        }
    } else if (!strcmp(key, "count")) {
        if (!img_parse_sized("count", value, &d->count)) {
            return false;
        }
        d->has_count = true;
    } else if (!strcmp(key, "skip")) {
        if (!img_parse_sized("skip", value, &d->skip)) {
            return false;
        }
        d->has_skip = true;
    } else {
        img_error("unrecognized operand %s", key);
        return false;
    }
    return true;
}

static int dd_copy(BdrvChild *in, BdrvChild *out, int64_t in_pos, int64_t end, int64_t bs)
{
    uint8_t *buf = qemu_blockalign(in->bs, bs);
    int64_t out_pos = 0;
    int ret = 0;

    while (in_pos < end) {
        int64_t n = MIN(bs, end - in_pos);

        ret = bdrv_pread(in, in_pos, n, buf, 0);
        if (ret < 0) {
            img_error("error while reading from input image file: %s", g_strerror(-ret));
            break;
        }
        ret = bdrv_pwrite(out, out_pos, n, buf, 0);
        if (ret < 0) {
            img_error("error while writing to output image file: %s", g_strerror(-ret));
            break;
        }
        in_pos += n;
        out_pos += n;
    }
    qemu_vfree(buf);
    return ret < 0 ? ret : 0;
}

int img_dd(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    DdOperands d = { .bs = 512 };
    const char *fmt = NULL, *out_fmt = "raw";
    const BlockDriver *drv;
    BlockDriverState *in = NULL, *out = NULL;
    BdrvChild *in_child = NULL, *out_child = NULL;
    Error *err = NULL;
    bool image_opts = false, force_share = false;
    int64_t size, in_pos = 0;
    int c, ret = 1;

    while ((c = getopt_long(argc, argv, ":f:O:U", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "dd", argv);
            return 1;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!dd_operand(&d, argv[i])) {
            return 1;
        }
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    if (!d.in || !d.out) {
        img_error("Must specify both input and output files");
        return 1;
    }
    in = img_open_bs_opts(d.in, fmt, image_opts, force_share, 0);
    if (!in) {
        return 1;
    }
    drv = bdrv_find_format(out_fmt);
    if (!drv || !drv->is_format) {
        img_error("Unknown file format");
        goto out;
    }
    size = bdrv_getlength(in);
    if (size < 0) {
        img_error("Failed to get size for '%s'", d.in);
        goto out;
    }
    if (d.has_count && d.count <= INT64_MAX / d.bs && d.count * d.bs < size) {
        size = d.count * d.bs;
    }
    if (d.has_skip) {
        /* qemu-img goes on with an empty output (and exit 0) */
        if (d.skip > INT64_MAX / d.bs || d.skip * d.bs > size) {
            img_error("%s: cannot skip to specified offset", d.in);
            in_pos = size;
        } else {
            in_pos = d.skip * d.bs;
        }
    }
    {
        BlockCreateOpts create = { .filename = d.out, .size = size - in_pos };

        if (!bdrv_create(drv, &create, &err)) {
            error_prepend(&err, "%s: error while creating output image: ", d.out);
            img_error_err(err);
            goto out;
        }
    }
    out = img_open_bs(d.out, out_fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!out) {
        goto out;
    }
    in_child = bdrv_child_new(in, "dd-in");
    out_child = bdrv_child_new(out, "dd-out");
    if (dd_copy(in_child, out_child, in_pos, size, d.bs) == 0 && bdrv_flush(out) == 0) {
        ret = 0;
    }
out:
    bdrv_child_free(in_child);
    bdrv_child_free(out_child);
    bdrv_unref(out);
    bdrv_unref(in);
    return ret;
}
