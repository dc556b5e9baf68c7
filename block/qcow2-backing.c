/*
 * qcow2: a new backing file name and format in the header (spec "Header":
 * backing_file_offset/size, and the "Backing file format name" extension),
 * and emptying the active L1 table's clusters.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

typedef struct Qcow2BackingChange {
    const char *file;
    const char *fmt;
} Qcow2BackingChange;

static int coroutine_fn change_backing_co(BlockDriverState *bs, void *opaque)
{
    Qcow2BackingChange *c = opaque;
    BDRVQcow2State *s = bs->opaque;
    char *old_file = s->image_backing_file, *old_fmt = s->image_backing_format;
    int ret;

    if (c->file && strlen(c->file) > QCOW_MAX_BACKING_NAME) {
        return -EINVAL;
    }
    if (c->fmt && strlen(c->fmt) >= 16) {
        return -EINVAL;
    }
    qemu_co_mutex_lock(&s->lock);
    s->image_backing_file = c->file ? g_strdup(c->file) : NULL;
    s->image_backing_format = c->fmt ? g_strdup(c->fmt) : NULL;
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        /* the header on disk is the old one (or unwritable): keep it */
        g_free(s->image_backing_file);
        g_free(s->image_backing_format);
        s->image_backing_file = old_file;
        s->image_backing_format = old_fmt;
    } else {
        g_free(old_file);
        g_free(old_fmt);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt)
{
    Qcow2BackingChange c = { backing_file, backing_fmt };

    return qcow2_run_co(bs, change_backing_co, &c);
}

static int coroutine_fn make_empty_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = start_of_cluster(s, s->size + s->cluster_size - 1);
    int ret = 0;

    (void)opaque;
    qemu_co_mutex_lock(&s->lock);
    if (end) {
        /* full: unallocated, not zero clusters, so the backing file shows */
        ret = qcow2_cluster_discard(bs, 0, end, true);
    }
    if (ret == 0) {
        ret = qcow2_co_flush_caches(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_make_empty(BlockDriverState *bs)
{
    return qcow2_run_co(bs, make_empty_co, NULL);
}
