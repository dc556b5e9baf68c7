/*
 * qcow2 persistent dirty bitmaps: reading them whole, and writing a new
 * set (qcow2 spec, "Bitmaps extension", "Bitmap directory", "Bitmap
 * table").  A store writes every bitmap's data clusters and table and a
 * new directory into newly allocated clusters, then switches the header
 * extension to them, then frees the old ones: a crash leaves either set.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

#define BMT_OFFSET_MASK UINT64_C(0x00fffffffffffe00) /* spec: bits 9-55 */
#define BMT_ALL_ONES    1                            /* bit 0 with offset 0 */
#define BITMAP_TYPE_DIRTY_TRACKING 1

typedef struct OldCluster {
    uint64_t offset;
    uint64_t size;
} OldCluster;

static void note_old(void *opaque, uint64_t offset, uint64_t size)
{
    OldCluster c = { offset, size };

    g_array_append_val((GArray *)opaque, c);
}

int qcow2_load_bitmaps(BlockDriverState *bs, GPtrArray **list, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint32_t count = 0;
    uint64_t size = 0, pos = 0, cs = s->cluster_size;
    g_autofree uint8_t *dir = qcow2_read_bitmap_directory(bs, &count, &size);
    g_autofree uint8_t *cluster = g_malloc(cs);

    *list = g_ptr_array_new_with_free_func(bdrv_bitmap_free);
    for (uint32_t i = 0; dir && i < count; i++) {
        const uint8_t *e = dir + pos;
        uint64_t table_offset, entry;
        uint32_t table_size, extra;
        uint16_t name_size;
        g_autofree uint64_t *table = NULL;
        BdrvBitmap *bm;

        if (pos + BME_MIN_ENTRY_SIZE > size) {
            break;
        }
        table_offset = ldbe64(e);
        table_size = ldbe32(e + 8);
        name_size = ldbe16(e + 18);
        extra = ldbe32(e + 20);
        entry = (BME_MIN_ENTRY_SIZE + (uint64_t)extra + name_size + 7) & ~7ull;
        if (pos + entry > size || e[17] < 9 || e[17] > 31 || e[16] != BITMAP_TYPE_DIRTY_TRACKING) {
            error_setg(errp, "Bitmap directory entry %u of '%s' is invalid", i, bs->filename);
            goto fail;
        }
        bm = g_new0(BdrvBitmap, 1);
        g_ptr_array_add(*list, bm);
        bm->name = g_strndup((const char *)e + BME_MIN_ENTRY_SIZE + extra, name_size);
        bm->granularity = 1u << e[17];
        bm->enabled = ldbe32(e + 12) & BME_FLAG_AUTO;
        bm->in_use = ldbe32(e + 12) & BME_FLAG_IN_USE;
        bm->nbits = ((uint64_t)s->size + bm->granularity - 1) / bm->granularity;
        bm->bits = g_malloc0((bm->nbits + 7) / 8);
        if ((uint64_t)table_size < (bm->nbits + cs * 8 - 1) / (cs * 8)) {
            error_setg(errp, "Bitmap '%s' of '%s' has too small a table", bm->name,
                       bs->filename);
            goto fail;
        }
        table = g_malloc((size_t)table_size * 8);
        if (bdrv_pread(bs->file, table_offset, (int64_t)table_size * 8, table, 0) < 0) {
            error_setg(errp, "Could not read the table of bitmap '%s'", bm->name);
            goto fail;
        }
        for (uint64_t j = 0; j * cs * 8 < bm->nbits; j++) {
            uint64_t t = GUINT64_FROM_BE(table[j]);
            uint64_t byte = j * cs, n = MIN(cs, (bm->nbits + 7) / 8 - byte);

            if (t & BMT_OFFSET_MASK) {
                if (bdrv_pread(bs->file, t & BMT_OFFSET_MASK, cs, cluster, 0) < 0) {
                    error_setg(errp, "Could not read the data of bitmap '%s'", bm->name);
                    goto fail;
                }
                memcpy(bm->bits + byte, cluster, n);
            } else if (t & BMT_ALL_ONES) {
                memset(bm->bits + byte, 0xff, n);
            }
        }
        pos += entry;
    }
    return 0;

fail:
    g_clear_pointer(list, g_ptr_array_unref);
    return -EINVAL;
}

void qcow2_bitmaps_resize(GPtrArray *list, uint64_t new_size)
{
    for (guint i = 0; i < list->len; i++) {
        BdrvBitmap *bm = g_ptr_array_index(list, i);
        uint64_t nbits = (new_size + bm->granularity - 1) / bm->granularity;
        uint64_t old_bytes = (bm->nbits + 7) / 8, bytes = (nbits + 7) / 8;

        bm->bits = g_realloc(bm->bits, MAX(bytes, 1));
        if (bytes > old_bytes) {
            memset(bm->bits + old_bytes, 0, bytes - old_bytes);
        }
        /* bits past the end of the (old or new) image read as clear */
        if (MIN(nbits, bm->nbits) % 8) {
            bm->bits[MIN(nbits, bm->nbits) / 8] &= (1u << (MIN(nbits, bm->nbits) % 8)) - 1;
        }
        bm->nbits = nbits;
    }
}

/* Allocates and writes n bytes (whole clusters on disk); its offset. */
static int64_t coroutine_fn write_new(BlockDriverState *bs, const void *buf, uint64_t n)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t alloc = (n + s->cluster_size - 1) / s->cluster_size * s->cluster_size;
    g_autofree uint8_t *padded = g_malloc0(alloc);
    int64_t off = qcow2_alloc_clusters(bs, alloc);
    int ret;

    if (off < 0) {
        return off;
    }
    memcpy(padded, buf, n);
    ret = bdrv_co_pwrite(bs->file, off, alloc, padded, 0);
    return ret < 0 ? ret : off;
}

/* One bitmap's data clusters and table; the table's offset and size. */
static int coroutine_fn write_bitmap(BlockDriverState *bs, const BdrvBitmap *bm,
                                     uint64_t *table_offset, uint32_t *table_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size, bytes = (bm->nbits + 7) / 8;
    uint64_t n = (bm->nbits + cs * 8 - 1) / (cs * 8);
    g_autofree uint64_t *table = g_new0(uint64_t, MAX(n, 1));
    int64_t off;

    for (uint64_t j = 0; j < n; j++) {
        uint64_t len = MIN(cs, bytes - j * cs);
        bool zero = true;

        for (uint64_t k = 0; k < len && zero; k++) {
            zero = !bm->bits[j * cs + k];
        }
        if (zero) {
            continue; /* spec: offset 0, bit 0 clear: all zeroes */
        }
        off = write_new(bs, bm->bits + j * cs, len);
        if (off < 0) {
            return off;
        }
        table[j] = GUINT64_TO_BE((uint64_t)off);
    }
    off = write_new(bs, table, MAX(n, 1) * 8);
    if (off < 0) {
        return off;
    }
    *table_offset = off;
    *table_size = n;
    return 0;
}

typedef struct StoreCo {
    GPtrArray *list;
    Error **errp;
} StoreCo;

static int coroutine_fn store_co(BlockDriverState *bs, void *opaque)
{
    StoreCo *c = opaque;
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GArray) old = g_array_new(false, false, sizeof(OldCluster));
    g_autoptr(GByteArray) dir = g_byte_array_new();
    const Qcow2UnknownHeaderExtension *old_ext;
    Qcow2UnknownHeaderExtension *ext = NULL;
    int64_t dir_offset = 0;
    int ret = 0;

    if (c->list->len && s->qcow_version < 3) {
        error_setg(c->errp, "Cannot store dirty bitmaps in qcow2 v2 files");
        return -ENOTSUP;
    }
    if (c->list->len > 65535) {
        error_setg(c->errp, "Too many bitmaps");
        return -EFBIG;
    }
    qemu_co_mutex_lock(&s->lock);
    qcow2_bitmaps_for_each_cluster(bs, note_old, old);
    for (guint i = 0; i < c->list->len; i++) {
        const BdrvBitmap *bm = g_ptr_array_index(c->list, i);
        size_t name_len = strlen(bm->name);
        uint8_t e[BME_MIN_ENTRY_SIZE] = { 0 };
        static const uint8_t pad[8];
        uint64_t table_offset = 0;
        uint32_t table_size = 0;

        ret = write_bitmap(bs, bm, &table_offset, &table_size);
        if (ret < 0) {
            goto fail;
        }
        stbe64(e, table_offset);
        stbe32(e + 8, table_size);
        /* stored whole and consistent: never in use */
        stbe32(e + 12, bm->enabled ? BME_FLAG_AUTO : 0);
        e[16] = BITMAP_TYPE_DIRTY_TRACKING;
        e[17] = __builtin_ctz(bm->granularity);
        e[18] = name_len >> 8;
        e[19] = name_len & 0xff;
        g_byte_array_append(dir, e, sizeof(e));
        g_byte_array_append(dir, (const uint8_t *)bm->name, name_len);
        g_byte_array_append(dir, pad, (8 - (BME_MIN_ENTRY_SIZE + name_len) % 8) % 8);
    }
    if (c->list->len) {
        dir_offset = write_new(bs, dir->data, dir->len);
        if (dir_offset < 0) {
            ret = dir_offset;
            goto fail;
        }
    }
    ret = qcow2_co_flush_caches(bs);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        goto fail;
    }
    /* the switch: the header names the new directory, or none */
    old_ext = qcow2_bitmaps_extension(s);
    if (old_ext) {
        s->unknown_header_ext = g_slist_remove(s->unknown_header_ext, old_ext);
        g_free((void *)old_ext);
    }
    if (c->list->len) {
        ext = g_malloc0(sizeof(*ext) + 24);
        ext->magic = QCOW2_EXT_MAGIC_BITMAPS;
        ext->len = 24;
        stbe32(ext->data, c->list->len);
        stbe64(ext->data + 8, dir->len);
        stbe64(ext->data + 16, dir_offset);
        s->unknown_header_ext = g_slist_append(s->unknown_header_ext, ext);
        s->autoclear_features |= QCOW2_AUTOCLEAR_BITMAPS;
    } else {
        s->autoclear_features &= ~(uint64_t)QCOW2_AUTOCLEAR_BITMAPS;
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        goto fail;
    }
    for (guint i = 0; i < old->len; i++) {
        OldCluster *o = &g_array_index(old, OldCluster, i);

        qcow2_free_clusters(bs, o->offset, o->size);
    }
    ret = qcow2_co_flush_caches(bs);
fail:
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        error_setg_errno(c->errp, -ret, "Could not write the bitmaps of '%s'", bs->filename);
    }
    return ret;
}

int qcow2_store_bitmaps(BlockDriverState *bs, GPtrArray *list, Error **errp)
{
    StoreCo c = { list, errp };

    return qcow2_run_co(bs, store_co, &c);
}
