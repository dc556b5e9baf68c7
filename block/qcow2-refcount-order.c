/*
 * qcow2: changing the refcount width (amend -o refcount_bits=N; spec
 * "Header": refcount_order, and "Host cluster management").  Every
 * refcount is read, a new refcount table and blocks of the new width are
 * written after the end of the file (covering themselves), and only then
 * does the header point to them; the old structures are free in the new
 * ones.  A crash before the header write leaves the old image intact.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"

static void clear_range(uint64_t *refs, uint64_t nb, uint64_t first, uint64_t count)
{
    for (uint64_t i = first; i < first + count && i < nb; i++) {
        refs[i] = 0;
    }
}

/* Called in a coroutine, s->lock not held. */
int coroutine_fn qcow2_change_refcount_order(BlockDriverState *bs, int order, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    BDRVQcow2State tmp = { .cluster_bits = s->cluster_bits, .refcount_order = order };
    int64_t file_len = qcow2_file_length(bs);
    uint64_t cs = s->cluster_size, nb, start, blocks = 0, table = 0, total;
    g_autofree uint64_t *refs = NULL;
    g_autofree uint64_t *new_table = NULL;
    g_autofree uint8_t *block = NULL;
    int ret;

    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not get the image file's length");
        return file_len;
    }
    qcow2_set_refcount_funcs(&tmp);
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_co_flush_caches(bs);
    if (ret < 0) {
        goto fail_errno;
    }
    nb = (file_len + cs - 1) / cs;
    start = nb;
    /* The new blocks and table go at the end; they count themselves. */
    for (;;) {
        uint64_t t = start + blocks + table;
        uint64_t nblocks = (t + tmp.refcount_block_size - 1) / tmp.refcount_block_size;
        uint64_t ntable = (nblocks * 8 + cs - 1) / cs;

        if (nblocks == blocks && ntable == table) {
            break;
        }
        blocks = nblocks;
        table = ntable;
    }
    total = start + blocks + table;
    if (table * cs > QCOW_MAX_REFTABLE_SIZE) {
        ret = -EFBIG;
        goto fail_errno;
    }
    refs = g_try_new0(uint64_t, total);
    if (!refs) {
        ret = -ENOMEM;
        goto fail_errno;
    }
    for (uint64_t i = 0; i < nb; i++) {
        ret = qcow2_get_refcount(bs, i, &refs[i]);
        if (ret < 0) {
            goto fail_errno;
        }
    }
    /* the old table and blocks are freed by the switch */
    clear_range(refs, nb, s->refcount_table_offset / cs,
                ((uint64_t)s->refcount_table_size * 8 + cs - 1) / cs);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;

        if (off) {
            clear_range(refs, nb, off / cs, 1);
        }
    }
    for (uint64_t i = 0; i < nb; i++) {
        if (refs[i] > tmp.refcount_max) {
            error_setg(errp, "Cannot decrease refcount entry width to %d bits: cluster at "
                       "offset %#" PRIx64 " has a refcount of %" PRIu64, tmp.refcount_bits,
                       i * cs, refs[i]);
            ret = -EINVAL;
            goto fail;
        }
    }
    for (uint64_t i = start; i < total; i++) {
        refs[i] = 1;
    }
    new_table = g_new0(uint64_t, table * cs / 8);
    block = g_malloc(cs);
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t off = (start + b) * cs;

        memset(block, 0, cs);
        for (uint64_t j = 0; j < (uint64_t)tmp.refcount_block_size; j++) {
            uint64_t c = b * tmp.refcount_block_size + j;

            if (c < total && refs[c]) {
                tmp.set_refcount(block, j, refs[c]);
            }
        }
        ret = bdrv_co_pwrite(bs->file, off, cs, block, 0);
        if (ret < 0) {
            goto fail_errno;
        }
        new_table[b] = GUINT64_TO_BE(off);
    }
    ret = bdrv_co_pwrite(bs->file, (start + blocks) * cs, table * cs, new_table, 0);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        goto fail_errno;
    }
    /* switch: the cached blocks are of the old width */
    qcow2_cache_empty(s->refcount_block_cache);
    for (uint64_t i = 0; i < table * cs / 8; i++) {
        new_table[i] = GUINT64_FROM_BE(new_table[i]);
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&new_table);
    s->refcount_table_offset = (start + blocks) * cs;
    s->refcount_table_size = table * cs / 8;
    s->refcount_order = order;
    qcow2_set_refcount_funcs(s);
    qcow2_reftable_recount_used(s);
    s->free_cluster_index = 0;
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        goto fail_errno;
    }
    qemu_co_mutex_unlock(&s->lock);
    return 0;

fail_errno:
    error_setg_errno(errp, -ret, "Could not change the refcount width");
fail:
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
