/*
 * Commit (qemu-img commit): the data the images above base hold goes into
 * base.  base is part of top's chain, opened read-only there; it is
 * detached from the node above it, opened read-write on its own for the
 * copy, and put back afterwards (also when the copy fails).  Only ranges
 * some node above base allocates are copied: they read the same without
 * base, so the detached chain gives the right data.
 */
#include <errno.h>
#include <inttypes.h>

#include "block_int.h"

#define COMMIT_CHUNK (2 * 1024 * 1024)

/* Whether a node from top down to (not including) base allocates offset;
 * *pnum bytes share the answer. */
static int allocated_above(BlockDriverState *top, BlockDriverState *base, int64_t offset,
                           int64_t bytes, int64_t *pnum, bool *zero)
{
    for (BlockDriverState *bs = top; bs && bs != base;
         bs = bs->backing ? bs->backing->bs : NULL) {
        int64_t n = 0;
        int ret = bdrv_block_status(bs, offset, bytes, &n, NULL, NULL);

        if (ret < 0) {
            return ret;
        }
        if (n <= 0) {
            n = bytes; /* past the end of a shorter image: not allocated */
            ret = 0;
        }
        bytes = n;
        if (ret & BDRV_BLOCK_ALLOCATED) {
            *pnum = bytes;
            *zero = (ret & BDRV_BLOCK_ZERO) && !(ret & BDRV_BLOCK_DATA);
            return 1;
        }
    }
    *pnum = bytes;
    return 0;
}

static int commit_copy(BlockDriverState *top, BlockDriverState *base, BdrvChild *dst,
                       BdrvProgressFunc *progress, void *opaque, Error **errp)
{
    int64_t len = bdrv_getlength(top);
    BdrvChild *src = bdrv_child_new(top, "commit-source");
    uint8_t *buf = qemu_blockalign(top, COMMIT_CHUNK);
    int ret = 0;

    if (progress) {
        progress(opaque, 0, len);
    }
    for (int64_t off = 0; off < len;) {
        int64_t pnum = 0;
        bool zero = false;
        int st = allocated_above(top, base, off, MIN(len - off, COMMIT_CHUNK), &pnum, &zero);

        if (st < 0) {
            ret = st;
            error_setg_errno(errp, -ret, "Could not read the allocation status of '%s'",
                             top->filename);
            break;
        }
        if (st && zero) {
            ret = bdrv_pwrite_zeroes(dst, off, pnum, 0);
        } else if (st) {
            ret = bdrv_pread(src, off, pnum, buf, 0);
            if (ret >= 0) {
                ret = bdrv_pwrite(dst, off, pnum, buf, 0);
            }
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Commit of '%s' at offset %" PRId64 " failed",
                             top->filename, off);
            break;
        }
        off += pnum;
        if (progress) {
            progress(opaque, off, len);
        }
    }
    if (ret >= 0) {
        ret = bdrv_flush(dst->bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not flush '%s'", dst->bs->filename);
        }
    }
    qemu_vfree(buf);
    bdrv_child_free(src);
    return ret < 0 ? ret : 0;
}

int bdrv_commit_to(BlockDriverState *top, BlockDriverState *base, BdrvProgressFunc *progress,
                   void *opaque, Error **errp)
{
    BlockDriverState *parent = top;
    g_autofree char *path = NULL, *fmt = NULL;
    BlockDriverState *rw;
    Error *reopen_err = NULL;
    int64_t top_len = bdrv_getlength(top);
    int ret;

    while (parent->backing && parent->backing->bs != base) {
        parent = parent->backing->bs;
    }
    if (!parent->backing) {
        error_setg(errp, "'%s' is not in the backing chain of '%s'", base->filename,
                   top->filename);
        return -EINVAL;
    }
    path = g_strdup(base->filename);
    fmt = g_strdup(base->drv->format_name);
    bdrv_drain(top);
    bdrv_child_free(parent->backing);
    parent->backing = NULL;
    rw = bdrv_open(path, fmt, BDRV_O_RDWR | BDRV_O_RESIZE, errp);
    if (rw) {
        BdrvChild *dst = bdrv_child_new(rw, "commit-target");

        ret = 0;
        if (top_len > bdrv_getlength(rw)) {
            ret = bdrv_truncate(dst, top_len, false, PREALLOC_MODE_OFF, errp);
        }
        if (ret >= 0) {
            ret = commit_copy(top, base, dst, progress, opaque, errp);
        }
        bdrv_child_free(dst);
        bdrv_unref(rw);
    } else {
        ret = -EACCES;
    }
    if (bdrv_open_backing_file(parent, parent->open_flags, &reopen_err) < 0) {
        if (ret >= 0) {
            error_propagate(errp, reopen_err);
            ret = -EIO;
        } else {
            error_free(reopen_err);
        }
    }
    return ret;
}
