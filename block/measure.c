/*
 * qemu-img measure: the generic part.  Each format computes its own sizes
 * (bdrv_measure hook); what they share is how much of a source image holds
 * data, walked through the backing chain as a reader sees it.
 */
#include <errno.h>

#include "block_int.h"

bool bdrv_measure(const BlockDriver *drv, QemuOpts *opts, BlockDriverState *in_bs,
                  int64_t size, BlockMeasureInfo *info, Error **errp)
{
    *info = (BlockMeasureInfo){ 0 };
    if (!drv->bdrv_measure) {
        error_setg(errp, "Format driver '%s' does not support measure", drv->format_name);
        return false;
    }
    return drv->bdrv_measure(opts, in_bs, size, info, errp) >= 0;
}

/* Status of [offset, offset+bytes) as the top of the chain reads it; *pnum
 * bytes share it.  Past the end of a shorter backing file: zeroes. */
static int chain_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                              int64_t *pnum)
{
    for (;;) {
        int ret = bdrv_block_status(bs, offset, bytes, pnum, NULL, NULL);

        if (ret < 0) {
            return ret;
        }
        if (*pnum <= 0) {
            *pnum = bytes;
            return BDRV_BLOCK_ZERO;
        }
        if ((ret & BDRV_BLOCK_ALLOCATED) || !bs->backing) {
            return ret;
        }
        bytes = *pnum;
        bs = bs->backing->bs;
    }
}

int64_t bdrv_measure_data_bytes(BlockDriverState *in_bs, int64_t cluster_size)
{
    int64_t size = bdrv_getlength(in_bs), counted_end = 0, total = 0, pnum;

    if (size < 0) {
        return size;
    }
    for (int64_t offset = 0; offset < size; offset += pnum) {
        int ret = chain_block_status(in_bs, offset, size - offset, &pnum);

        if (ret < 0) {
            return ret;
        }
        if (!(ret & BDRV_BLOCK_ZERO) && (ret & BDRV_BLOCK_DATA)) {
            /* the target allocates whole clusters; count each once */
            int64_t start = MAX(offset / cluster_size * cluster_size, counted_end);
            int64_t end = (offset + pnum + cluster_size - 1) / cluster_size * cluster_size;

            if (end > start) {
                total += end - start;
                counted_end = end;
            }
        }
    }
    return total;
}
