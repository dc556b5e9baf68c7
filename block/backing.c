/*
 * Changing what an image's header says about its backing file (rebase),
 * and emptying an image (commit): generic entry points to the format.
 */
#include <errno.h>

#include "block_int.h"

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt)
{
    int ret;

    if (!bs->drv->bdrv_change_backing_file) {
        return -ENOTSUP;
    }
    if (backing_file && !backing_file[0]) {
        backing_file = NULL;
    }
    ret = bs->drv->bdrv_change_backing_file(bs, backing_file, backing_file ? backing_fmt : NULL);
    if (ret == 0) {
        g_strlcpy(bs->backing_file, backing_file ? backing_file : "", sizeof(bs->backing_file));
        g_strlcpy(bs->backing_format, backing_file && backing_fmt ? backing_fmt : "",
                  sizeof(bs->backing_format));
    }
    return ret;
}

int bdrv_make_empty(BlockDriverState *bs)
{
    int ret;

    if (!bs->drv->bdrv_make_empty) {
        return -ENOTSUP;
    }
    ret = bs->drv->bdrv_make_empty(bs);
    return ret < 0 ? ret : bdrv_flush(bs);
}
