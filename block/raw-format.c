/*
 * The "raw" format: guest offsets are file offsets.  Everything is passed
 * to the "file" child; raw is chosen when no other format recognises the
 * image (probe score 1).
 */
#include <errno.h>

#include "block_int.h"

extern const BlockDriver bdrv_file;

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    return 1; /* anything is a raw image, but any real format wins */
}

static int raw_open(BlockDriverState *bs, int flags, Error **errp)
{
    return 0;
}

static int coroutine_fn raw_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                           int64_t bytes, QEMUIOVector *qiov,
                                           size_t qiov_offset, BdrvRequestFlags flags)
{
    BLKDBG_EVENT(bs->file, BLKDBG_READ_AIO); /* as QEMU's raw: blkdebug's read_aio */
    return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset, flags);
}

static int coroutine_fn raw_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                            int64_t bytes, QEMUIOVector *qiov,
                                            size_t qiov_offset, BdrvRequestFlags flags)
{
    BLKDBG_EVENT(bs->file, BLKDBG_WRITE_AIO);
    return bdrv_co_pwritev_part(bs->file, offset, bytes, qiov, qiov_offset, flags);
}

static int coroutine_fn raw_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, BdrvRequestFlags flags)
{
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn raw_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int coroutine_fn raw_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                        PreallocMode prealloc, Error **errp)
{
    return bdrv_co_truncate(bs->file, offset, exact, prealloc, errp);
}

static int coroutine_fn raw_co_block_status(BlockDriverState *bs, int64_t offset,
                                            int64_t bytes, int64_t *pnum, int64_t *map,
                                            BlockDriverState **file)
{
    /* Whatever the file says, at the same offset; what it stores is ours. */
    int ret = bdrv_co_block_status(bs->file->bs, offset, bytes, pnum, map, file);
    return ret < 0 || !(ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) ? ret
                                                                  : ret | BDRV_BLOCK_ALLOCATED;
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

/* Its own; the protocol's (preallocation) join them in bdrv_create. */
static const QemuOptDesc raw_create_opts[] = {
    { .name = "size", .type = QEMU_OPT_SIZE, .help = "Virtual disk size" },
    { NULL },
};

static int raw_create(BlockCreateOpts *opts, Error **errp)
{
    Error *err = NULL;
    int ret = bdrv_file.bdrv_create(opts, &err);

    if (ret == -EFBIG) {
        /* the file system's limit, in qemu-img's words */
        error_free(err);
        error_setg(errp, "The image size is too large for file format 'raw'");
    } else if (ret < 0) {
        error_propagate(errp, err);
    }
    return ret;
}

/* A raw image holds every byte of its size, whatever the source has. */
static int raw_measure(QemuOpts *opts, BlockDriverState *in_bs, int64_t size,
                       BlockMeasureInfo *info, Error **errp)
{
    if (in_bs) {
        size = bdrv_getlength(in_bs);
        if (size < 0) {
            error_setg_errno(errp, -size, "Unable to get image virtual_size");
            return size;
        }
    }
    info->required = info->fully_allocated =
        (size + BDRV_SECTOR_SIZE - 1) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
    return 0;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .is_format = true,
    .bdrv_probe = raw_probe,
    .bdrv_open = raw_open,
    .bdrv_create = raw_create,
    .create_opts = raw_create_opts,
    .bdrv_measure = raw_measure,
    .bdrv_co_preadv_part = raw_co_preadv_part,
    .bdrv_co_pwritev_part = raw_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = raw_co_pwrite_zeroes,
    .bdrv_co_pdiscard = raw_co_pdiscard,
    .bdrv_co_truncate = raw_co_truncate,
    .bdrv_co_block_status = raw_co_block_status,
    .bdrv_getlength = raw_getlength,
};
