/*
 * duet-img commit: the image's data goes into its backing file (or -b, a
 * file further down its chain); the image is emptied afterwards unless -d.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "duet-img.h"

static void commit_progress(void *opaque, int64_t done, int64_t total)
{
    img_progress(opaque, done, total);
}

/* The node of bs's chain below bs that is the file base names (another
 * name for it included), or NULL. */
static BlockDriverState *find_backing_image(BlockDriverState *bs, const char *base)
{
    for (BlockDriverState *b = bs->backing ? bs->backing->bs : NULL; b;
         b = b->backing ? b->backing->bs : NULL) {
        if (bdrv_find_file(b, base) == b || (b->file && bdrv_find_file(b, base) == b->file->bs)) {
            return b;
        }
    }
    return NULL;
}

int img_commit(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *cache = "unsafe", *base_name = NULL, *filename;
    ImgProgress progress = { 0 };
    BlockDriverState *bs, *base;
    Error *err = NULL;
    bool image_opts = false, drop = true;
    int64_t rate;
    int c, flags, ret = 1;

    while ((c = getopt_long(argc, argv, ":f:t:b:dpqr:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 't':
            cache = optarg;
            break;
        case 'b':
            base_name = optarg;
            break;
        case 'd':
            drop = false;
            break;
        case 'p':
            progress.on = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'r':
            /* no rate limit here: the copy runs at full speed */
            if (!img_parse_sized("rate limit", optarg, &rate)) {
                return 1;
            }
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "commit", argv);
            return 1;
        }
    }
    if (quiet) {
        progress.on = false;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return 1;
    }
    filename = argv[optind];
    if (!img_check_image_opts(image_opts, fmt) || !img_cache_flags(cache, "", &flags)) {
        return 1;
    }
    bs = img_open_bs_opts(filename, fmt, image_opts, false, BDRV_O_RDWR | flags);
    if (!bs) {
        return 1;
    }
    if (!fmt && !image_opts) {
        img_warn_probed_raw(bs, filename);
    }
    if (base_name) {
        base = find_backing_image(bs, base_name);
        if (!base) {
            img_error("Did not find '%s' in the backing chain of '%s'", base_name, filename);
            goto out;
        }
    } else if (bs->backing) {
        base = bs->backing->bs;
    } else {
        img_error("Image does not have a backing file");
        goto out;
    }
    img_progress(&progress, 0, 1);
    if (bdrv_commit_to(bs, base, commit_progress, &progress, &err) < 0) {
        img_error_err(err);
        goto out;
    }
    if (drop) {
        int r = bdrv_make_empty(bs);

        if (r < 0) {
            img_error("Could not empty %s: %s", filename, g_strerror(-r));
            goto out;
        }
    }
    img_progress_end(&progress);
    if (!quiet) {
        printf("Image committed.\n");
    }
    ret = 0;
out:
    bdrv_unref(bs);
    return ret;
}
