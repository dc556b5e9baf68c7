/*
 * Persistent dirty bitmaps, generic part: the list a format loads and
 * stores, and qemu-img bitmap's operations on it (add, remove, merge; the
 * tool flips enabled and clears bits itself).
 */
#include <errno.h>
#include <string.h>

#include "block_int.h"

#define BITMAP_NAME_MAX 1023 /* qcow2 spec: name_size < 1024 */

void bdrv_bitmap_free(gpointer p)
{
    BdrvBitmap *bm = p;

    if (bm) {
        g_free(bm->name);
        g_free(bm->bits);
        g_free(bm);
    }
}

GPtrArray *bdrv_bitmaps_load(BlockDriverState *bs, Error **errp)
{
    GPtrArray *list = NULL;

    if (!bs->drv->bdrv_load_bitmaps) {
        return g_ptr_array_new_with_free_func(bdrv_bitmap_free);
    }
    if (bs->drv->bdrv_load_bitmaps(bs, &list, errp) < 0) {
        return NULL;
    }
    return list;
}

int bdrv_bitmaps_store(BlockDriverState *bs, GPtrArray *list, Error **errp)
{
    if (!bs->drv->bdrv_store_bitmaps) {
        if (!list->len) {
            return 0;
        }
        error_setg(errp, "Can't store persistent bitmaps to '%s': Operation not supported",
                   bs->filename);
        return -ENOTSUP;
    }
    return bs->drv->bdrv_store_bitmaps(bs, list, errp);
}

BdrvBitmap *bdrv_bitmap_find(GPtrArray *list, const char *name, Error **errp)
{
    for (guint i = 0; i < list->len; i++) {
        BdrvBitmap *bm = g_ptr_array_index(list, i);

        if (!strcmp(bm->name, name)) {
            return bm;
        }
    }
    error_setg(errp, "Dirty bitmap '%s' not found", name);
    return NULL;
}

bool bdrv_bitmap_add(BlockDriverState *bs, GPtrArray *list, const char *name,
                     uint64_t granularity, bool enabled, Error **errp)
{
    int64_t size = bdrv_getlength(bs);
    BlockDriverInfo bdi;
    BdrvBitmap *bm;

    if (!name[0]) {
        error_setg(errp, "Bitmap name cannot be empty");
        return false;
    }
    for (guint i = 0; i < list->len; i++) {
        if (!strcmp(((BdrvBitmap *)g_ptr_array_index(list, i))->name, name)) {
            error_setg(errp, "Bitmap already exists: %s", name);
            return false;
        }
    }
    if (!granularity) {
        granularity = bdrv_get_info(bs, &bdi) >= 0 && bdi.cluster_size > 0
                          ? MAX(bdi.cluster_size, 4096) : 65536;
    }
    if (granularity < 512 || granularity > (1ull << 31) || (granularity & (granularity - 1))) {
        error_setg(errp, "Granularity must be power of 2 and at least 512");
        return false;
    }
    if (strlen(name) > BITMAP_NAME_MAX) {
        error_setg(errp, "Can't make bitmap '%s' persistent in '%s': Name length exceeds "
                   "maximum (%d characters)", name, bs->filename, BITMAP_NAME_MAX);
        return false;
    }
    if (size < 0) {
        error_setg_errno(errp, -size, "Could not get the image size");
        return false;
    }
    bm = g_new0(BdrvBitmap, 1);
    bm->name = g_strdup(name);
    bm->granularity = granularity;
    bm->enabled = enabled;
    bm->nbits = ((uint64_t)size + granularity - 1) / granularity;
    bm->bits = g_malloc0((bm->nbits + 7) / 8);
    g_ptr_array_add(list, bm);
    return true;
}

bool bdrv_bitmap_remove(GPtrArray *list, const char *name, Error **errp)
{
    BdrvBitmap *bm = bdrv_bitmap_find(list, name, errp);

    if (bm) {
        g_ptr_array_remove(list, bm);
    }
    return bm != NULL;
}

static bool bit_get(const BdrvBitmap *bm, uint64_t i)
{
    return i < bm->nbits && (bm->bits[i / 8] >> (i % 8) & 1);
}

void bdrv_bitmap_merge(BdrvBitmap *dst, const BdrvBitmap *src, uint64_t size)
{
    for (uint64_t i = 0; i < src->nbits; i++) {
        uint64_t start, end;

        if (!bit_get(src, i)) {
            continue;
        }
        start = i * src->granularity;
        end = MIN(size, start + src->granularity);
        for (uint64_t j = start / dst->granularity; j < dst->nbits &&
                                                     j * dst->granularity < end; j++) {
            dst->bits[j / 8] |= 1u << (j % 8);
        }
    }
}
