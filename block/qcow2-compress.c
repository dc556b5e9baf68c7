/*
 * qcow2 compressed clusters (spec "Compressed Clusters Descriptor"):
 * a cluster's data deflated without a zlib header, stored at any byte
 * offset.  With x = 62 - (cluster_bits - 8), descriptor bits 0..x-1 hold
 * the host offset and bits x..61 the number of additional 512-byte
 * sectors the data occupies.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <zlib.h>

#include "qcow2.h"
#include "qemu/log.h"
#include "trace/trace.h"

void qcow2_parse_compressed_l2_entry(BlockDriverState *bs, uint64_t l2_entry,
                                     uint64_t *coffset, int *csize)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t nb_csectors = ((l2_entry >> s->csize_shift) & s->csize_mask) + 1;

    *coffset = l2_entry & s->cluster_offset_mask;
    *csize = nb_csectors * BDRV_SECTOR_SIZE - (*coffset & (BDRV_SECTOR_SIZE - 1));
}

/* Inflates src into exactly dest_size bytes; -EIO if the stream is bad. */
static int qcow2_decompress(uint8_t *dest, size_t dest_size, const uint8_t *src,
                            size_t src_size)
{
    z_stream z = { 0 };
    int ret;

    /* -15 accepts any raw deflate window, including QEMU's -12. */
    if (inflateInit2(&z, -15) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = src_size;
    z.next_out = dest;
    z.avail_out = dest_size;
    ret = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    /* Trailing input (padding up to the sector) is allowed. */
    if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0) {
        return 0;
    }
    return -EIO;
}

/* Deflates src; returns the compressed length, or -ENOSPC if not smaller. */
static ssize_t qcow2_compress(uint8_t *dest, size_t dest_size, const uint8_t *src,
                              size_t src_size)
{
    z_stream z = { 0 };
    ssize_t ret;

    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = src_size;
    z.next_out = dest;
    z.avail_out = dest_size;
    ret = deflate(&z, Z_FINISH);
    ret = ret == Z_STREAM_END ? (ssize_t)(dest_size - z.avail_out) : -ENOSPC;
    deflateEnd(&z);
    return ret;
}

int coroutine_fn qcow2_co_preadv_compressed(BlockDriverState *bs, uint64_t l2_entry,
                                            uint64_t offset, uint64_t bytes,
                                            QEMUIOVector *qiov, size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = qcow2_file_length(bs);
    g_autofree uint8_t *in = NULL, *out = NULL;
    uint64_t coffset;
    int64_t avail;
    int csize, ret;

    qcow2_parse_compressed_l2_entry(bs, l2_entry, &coffset, &csize);
    if (file_len < 0) {
        return file_len;
    }
    if (coffset >= (uint64_t)file_len || coffset < (uint64_t)s->cluster_size) {
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: compressed cluster at guest offset %#" PRIx64
                      " points outside the image (host %#" PRIx64 ")\n", offset, coffset);
        return -EIO;
    }
    avail = MIN((int64_t)csize, file_len - (int64_t)coffset);
    in = g_malloc0(csize);
    out = g_malloc(s->cluster_size);
    BLKDBG_EVENT(bs->file, BLKDBG_READ_COMPRESSED);
    ret = bdrv_co_pread(bs->file, coffset, avail, in, 0);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_decompress(out, s->cluster_size, in, csize);
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: bad compressed data at host %#" PRIx64 "\n",
                      coffset);
        return ret;
    }
    qemu_iovec_from_buf(qiov, qiov_offset, out + offset_into_cluster(s, offset), bytes);
    return 0;
}

/*
 * A compressed cluster is only ever written where nothing is allocated
 * yet (QEMU refuses with EIO too: the old cluster's data and refcount
 * would need a rewrite the compressed path does not do).  A zero flag
 * without a host cluster is not an allocation.
 */
static int coroutine_fn compressed_target_free(BlockDriverState *bs, uint64_t offset)
{
    uint64_t *l2, entry;
    int l2_index;
    int ret = qcow2_get_l2_table(bs, offset, false, &l2, &l2_index);

    if (ret < 0 || !l2) {
        return ret;
    }
    entry = GUINT64_FROM_BE(l2[l2_index]);
    qcow2_cache_put(((BDRVQcow2State *)bs->opaque)->l2_table_cache, (void **)&l2);
    return entry & L2E_OFFSET_MASK ? -EIO : 0;
}

int coroutine_fn qcow2_co_pwritev_compressed_part(BlockDriverState *bs, int64_t offset,
                                                  int64_t bytes, QEMUIOVector *qiov,
                                                  size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *in = NULL, *out = NULL;
    uint64_t descriptor, nb_extra;
    int64_t coffset;
    ssize_t len;
    int ret;

    if (offset_into_cluster(s, offset) ||
        (bytes != s->cluster_size && (uint64_t)(offset + bytes) != s->size) ||
        bytes > s->cluster_size) {
        return -EINVAL;
    }
    in = g_malloc0(s->cluster_size);
    out = g_malloc(s->cluster_size);
    qemu_iovec_to_buf(qiov, qiov_offset, in, bytes);
    len = qcow2_compress(out, s->cluster_size - 1, in, s->cluster_size);
    if (len == -ENOSPC) {
        /* Incompressible: store the cluster as is. */
        QEMUIOVector plain;
        qemu_iovec_init_buf(&plain, in, s->cluster_size);
        return qcow2_co_pwritev_part(bs, offset, MIN(bytes, s->cluster_size), &plain, 0, 0);
    }
    if (len < 0) {
        return len;
    }

    qemu_co_mutex_lock(&s->lock);
    if (s->corrupt_signaled) {
        ret = -EIO;
        goto out;
    }
    if (s->use_lazy_refcounts) {
        ret = qcow2_mark_dirty(bs);
        if (ret < 0) {
            goto out;
        }
    }
    ret = compressed_target_free(bs, offset);
    if (ret < 0) {
        goto out;
    }
    /* The L2 table first, then the data's bytes: QEMU's file layout (the
     * image then ends with the compressed data, not at a cluster edge). */
    {
        uint64_t *l2;
        int l2_index;

        ret = qcow2_get_l2_table(bs, offset, true, &l2, &l2_index);
        if (ret < 0) {
            goto out;
        }
        if (l2) {
            qcow2_cache_put(s->l2_table_cache, (void **)&l2);
        }
    }
    coffset = qcow2_alloc_bytes(bs, len);
    if (coffset < 0) {
        ret = coffset;
        goto out;
    }
    trace_event(qcow2_alloc_compressed, "guest=0x%" PRIx64 " host=0x%" PRIx64 " len=%zd",
                offset, (uint64_t)coffset, len);
    ret = qcow2_pre_write_overlap_check(bs, 0, coffset, len);
    if (ret == 0) {
        BLKDBG_EVENT(bs->file, BLKDBG_WRITE_COMPRESSED);
        ret = bdrv_co_pwrite(bs->file, coffset, len, out, 0);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, coffset, len);
        goto out;
    }
    nb_extra = ((coffset + len - 1) >> BDRV_SECTOR_BITS) - (coffset >> BDRV_SECTOR_BITS);
    descriptor = QCOW_OFLAG_COMPRESSED | ((uint64_t)coffset & s->cluster_offset_mask) |
                 (nb_extra << s->csize_shift);
    ret = qcow2_alloc_compressed_cluster_offset(bs, offset, descriptor);
    if (ret < 0) {
        qcow2_free_clusters(bs, coffset, len);
    }
out:
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
