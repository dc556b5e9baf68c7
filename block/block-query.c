/*
 * What the monitor asks of a backend: its image chain (info block,
 * query-block) and HMP's commit.
 *
 * commit (QEMU's bdrv_commit): the backing file is opened read-only as
 * part of the chain, so it is closed, opened read-write on its own for the
 * copy and put back read-only afterwards (also when the copy fails).  The
 * caller holds the BQL, so no guest request runs meanwhile; the drain
 * first lets those in flight finish.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "block_int.h"
#include "sysemu/block-backend.h"
#include "trace/trace.h"

#define COMMIT_CHUNK (1 << 20)

static BlockImageQuery *bdrv_query_image(BlockDriverState *bs)
{
    BlockImageQuery *q = g_new0(BlockImageQuery, 1);
    BlockDriverInfo bdi = { 0 };

    q->filename = g_strdup(bs->filename);
    q->format = g_strdup(bs->drv->format_name);
    q->virtual_size = bdrv_getlength(bs);
    q->actual_size = bdrv_get_allocated_file_size(bs);
    if (bdrv_get_info(bs, &bdi) == 0) {
        q->cluster_size = bdi.cluster_size;
    }
    q->read_only = bs->read_only;
    q->direct = bs->open_flags & BDRV_O_NOCACHE;
    q->writeback = !(bs->open_flags & BDRV_O_DSYNC);
    if (bs->backing) {
        q->backing_file = g_strdup(bs->backing_file);
        q->backing = bdrv_query_image(bs->backing->bs);
        q->backing_depth = 1 + q->backing->backing_depth;
    }
    return q;
}

BlockImageQuery *blk_query_image(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);

    return bs ? bdrv_query_image(bs) : NULL;
}

void blk_query_image_free(BlockImageQuery *q)
{
    while (q) {
        BlockImageQuery *next = q->backing;

        g_free(q->filename);
        g_free(q->format);
        g_free(q->backing_file);
        g_free(q);
        q = next;
    }
}

/* Copies every range @top itself holds (not its backing chain) into @dst. */
static int commit_copy(BlockDriverState *top, BdrvChild *dst, Error **errp)
{
    int64_t len = bdrv_getlength(top);
    BdrvChild *src = bdrv_child_new(top, "commit-source");
    uint8_t *buf = qemu_blockalign(top, COMMIT_CHUNK);
    int ret = 0;

    for (int64_t off = 0; len > 0 && off < len;) {
        int64_t pnum = 0;
        int st = bdrv_block_status(top, off, MIN(len - off, COMMIT_CHUNK), &pnum, NULL, NULL);

        if (st < 0 || pnum <= 0) {
            ret = st < 0 ? st : -EIO;
            error_setg_errno(errp, -ret, "cannot read the allocation map of '%s'",
                             top->filename);
            break;
        }
        if (st & BDRV_BLOCK_ALLOCATED) {
            ret = bdrv_pread(src, off, pnum, buf, 0);
            if (ret >= 0) {
                ret = bdrv_pwrite(dst, off, pnum, buf, 0);
            }
            if (ret < 0) {
                error_setg_errno(errp, -ret, "commit of '%s' at offset %" PRId64 " failed",
                                 top->filename, off);
                break;
            }
            ret = 0;
        }
        off += pnum;
    }
    if (len < 0) {
        ret = len;
        error_setg_errno(errp, -ret, "cannot get the length of '%s'", top->filename);
    }
    if (ret == 0) {
        ret = bdrv_flush(dst->bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "flush of '%s' failed", dst->bs->filename);
        }
    }
    qemu_vfree(buf);
    bdrv_child_free(src);
    return ret;
}

int blk_commit(BlockBackend *blk, Error **errp)
{
    BlockDriverState *top = blk_bs(blk);
    g_autofree char *path = NULL, *fmt = NULL;
    BlockDriverState *rw;
    BdrvChild *dst;
    Error *reopen_err = NULL;
    int ret;

    if (!top) {
        return -ENOMEDIUM;
    }
    if (!top->backing) {
        return -ENOTSUP;
    }
    bdrv_drain_all();
    path = g_strdup(top->backing->bs->filename);
    fmt = g_strdup(top->backing->bs->drv->format_name);
    trace_event(blk_commit, "top=%s base=%s", top->filename, path);
    /* Our own read-only open of the backing file would refuse the writer. */
    bdrv_child_free(top->backing);
    top->backing = NULL;
    rw = bdrv_open(path, fmt, (top->open_flags | BDRV_O_RDWR) & ~BDRV_O_RESIZE, errp);
    if (rw) {
        dst = bdrv_child_new(rw, "commit-target");
        bdrv_unref(rw);
        ret = commit_copy(top, dst, errp);
        bdrv_child_free(dst);
    } else {
        ret = -EACCES;
    }
    /* The chain as it was, read-only again. */
    if (bdrv_open_backing_file(top, top->open_flags, &reopen_err) < 0) {
        error_report("commit: could not reopen the backing file of '%s': %s", top->filename,
                     error_get_pretty(reopen_err));
        error_free(reopen_err);
        ret = ret < 0 ? ret : -EIO;
    }
    return ret;
}
