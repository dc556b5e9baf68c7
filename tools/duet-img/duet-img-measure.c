/*
 * duet-img measure: how large an image of the output format would be,
 * for a virtual size (--size) or to hold a given image's data.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

/* The -o keys of drv (and its protocol), any value: each format checks
 * its values itself with measure's own messages. */
static QemuOpts *measure_opts(const BlockDriver *drv, const char *optstr)
{
    g_autofree QemuOptDesc *desc = bdrv_create_opts_merged(drv);
    Error *err = NULL;
    QemuOpts *opts;

    for (QemuOptDesc *d = desc; d->name; d++) {
        if (d->type == QEMU_OPT_STRING) {
            d->values = NULL;
        }
    }
    opts = qemu_opts_parse(&bdrv_create_opts_list, optstr, &err);
    if (opts && !qemu_opts_validate(opts, desc, &err)) {
        g_clear_pointer(&opts, qemu_opts_free);
    }
    if (!opts) {
        img_error_err(err);
        img_error("Invalid options for file format '%s'", drv->format_name);
    }
    return opts;
}

static void measure_print(const BlockMeasureInfo *info, bool json)
{
    if (json) {
        JSONWriter *w = json_writer_new(true);

        json_writer_start_object(w, NULL);
        if (info->has_bitmaps) {
            json_writer_uint64(w, "bitmaps", info->bitmaps);
        }
        json_writer_uint64(w, "required", info->required);
        json_writer_uint64(w, "fully-allocated", info->fully_allocated);
        json_writer_end_object(w);
        printf("%s\n", json_writer_get(w));
        json_writer_free(w);
        return;
    }
    printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", info->required,
           info->fully_allocated);
    if (info->has_bitmaps) {
        printf("bitmaps size: %" PRIu64 "\n", info->bitmaps);
    }
}

int img_measure(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "output", required_argument, NULL, IMG_OPT_OUTPUT },
        { "size", required_argument, NULL, IMG_OPT_SIZE },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GString) optstr = g_string_new(NULL);
    g_autoptr(QemuOpts) opts = NULL;
    const char *fmt = NULL, *out_fmt = "raw", *filename = NULL;
    g_auto(ImgSnapshotArg) sn = { NULL };
    const BlockDriver *drv;
    BlockDriverState *in_bs = NULL;
    BlockMeasureInfo info;
    Error *err = NULL;
    bool json = false, image_opts = false, force_share = false, have_size = false;
    int64_t size = 0;
    int c, ret = 1;

    while ((c = getopt_long(argc, argv, ":f:O:o:l:U", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'o':
            if (!img_accumulate_options(optstr, optarg)) {
                return 1;
            }
            break;
        case 'l':
            if (!img_snapshot_arg(&sn, optarg)) {
                goto out;
            }
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_OUTPUT:
            if (!parse_output(optarg, &json)) {
                return 1;
            }
            break;
        case IMG_OPT_SIZE:
            if (!img_parse_sized("image size", optarg, &size)) {
                return 1;
            }
            have_size = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "measure", argv);
            goto out;
        }
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        goto out;
    }
    if (argc - optind > 1) {
        img_error("At most one filename argument is allowed.");
        goto out;
    }
    filename = optind < argc ? argv[optind] : NULL;
    if (have_size && filename) {
        img_error("--size N cannot be used together with a filename.");
        goto out;
    }
    if (!have_size && !filename) {
        img_error("Either --size N or one filename must be specified.");
        goto out;
    }
    if (!filename && (image_opts || fmt || sn.name || sn.opts)) {
        img_error("--image-opts, -f, and -l require a filename argument.");
        goto out;
    }
    if (filename) {
        in_bs = img_open_bs_opts(filename, fmt, image_opts, force_share, 0);
        if (!in_bs || !img_load_snapshot(&sn, in_bs)) {
            goto out;
        }
    }
    drv = find_format(out_fmt);
    if (!drv) {
        goto out;
    }
    opts = measure_opts(drv, optstr->str);
    if (!opts) {
        goto out;
    }
    if (!bdrv_measure(drv, opts, in_bs, size, &info, &err)) {
        img_error_err(err);
        goto out;
    }
    measure_print(&info, json);
    ret = 0;
out:
    bdrv_unref(in_bs);
    return ret;
}
