/*
 * duet-img amend: change format options of an existing image (qcow2:
 * compat, lazy_refcounts, refcount_bits, size) with qemu-img's checks.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

/* The -o keys the format amends; NULL after printing qemu-img's error
 * (and its hint when the key is one only creation takes). */
static QemuOpts *amend_opts(const BlockDriver *drv, const char *optstr)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(&bdrv_create_opts_list, optstr, &err);

    if (!opts) {
        img_error_err(err);
        return NULL;
    }
    for (const QemuOptDesc *d = drv->create_opts; d && d->name; d++) {
        if (qemu_opt_get(opts, d->name) &&
            !qemu_opt_find_desc(drv->amend_opts, d->name)) {
            img_error("Invalid parameter '%s'\nThis option is only supported for image "
                      "creation", d->name);
            qemu_opts_free(opts);
            return NULL;
        }
    }
    if (!qemu_opts_validate(opts, drv->amend_opts, &err)) {
        img_error_err(err);
        qemu_opts_free(opts);
        return NULL;
    }
    return opts;
}

int img_amend(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { "force", no_argument, NULL, IMG_OPT_FORCE },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GString) optstr = g_string_new(NULL);
    g_autoptr(QemuOpts) opts = NULL;
    const char *fmt = NULL, *cache = "writeback", *filename;
    ImgProgress progress = { 0 };
    BlockDriverState *bs;
    Error *err = NULL;
    bool image_opts = false;
    int c, flags, ret = 1;

    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", long_opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!img_accumulate_options(optstr, optarg)) {
                return 1;
            }
            break;
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'p':
            progress.on = true;
            break;
        case 'q':
            quiet = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        case IMG_OPT_FORCE:
            break; /* for LUKS keyslot changes, which duet has none of */
        default:
            bad_option(c, "amend", argv);
            return 1;
        }
    }
    if (quiet) {
        progress.on = false;
    }
    if (!optstr->len) {
        img_error_exit("Must specify options (-o)");
        return 1;
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    filename = argv[optind];
    if (!img_check_image_opts(image_opts, fmt) || !img_cache_flags(cache, "", &flags)) {
        return 1;
    }
    bs = img_open_bs_opts(filename, fmt, image_opts, false, BDRV_O_RDWR | BDRV_O_RESIZE | flags);
    if (!bs) {
        return 1;
    }
    if (!fmt && !image_opts) {
        img_warn_probed_raw(bs, filename);
    }
    if (!bs->drv->bdrv_amend_options) {
        img_error("Format driver '%s' does not support option amendment",
                  bs->drv->format_name);
        goto out;
    }
    {
        Error *perr = NULL;
        g_autoptr(QemuOpts) probe = qemu_opts_parse(&bdrv_create_opts_list, optstr->str, &perr);

        error_free(perr);
        if (probe && qemu_opts_help_wanted(probe)) {
            g_autofree char *title = g_strdup_printf("Amend options for '%s':",
                                                     bs->drv->format_name);

            qemu_opts_print_help(stdout, title, bs->drv->amend_opts, NULL);
            ret = 0;
            goto out;
        }
    }
    opts = amend_opts(bs->drv, optstr->str);
    if (!opts) {
        goto out;
    }
    img_progress(&progress, 0, 100);
    if (bs->drv->bdrv_amend_options(bs, opts, &err) < 0) {
        img_error_err(err);
        goto out;
    }
    img_progress(&progress, 100, 100);
    img_progress_end(&progress);
    ret = 0;
out:
    bdrv_unref(bs);
    return ret;
}
