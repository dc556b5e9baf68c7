/*
 * qcow2 persistent dirty bitmaps: the bitmap directory of the "Bitmaps"
 * header extension (qcow2 spec, "Bitmaps extension" and "Bitmap directory"),
 * read for duet-img info.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"


const Qcow2UnknownHeaderExtension *qcow2_bitmaps_extension(BDRVQcow2State *s)
{
    for (GSList *l = s->unknown_header_ext; l; l = l->next) {
        const Qcow2UnknownHeaderExtension *ext = l->data;

        if (ext->magic == QCOW2_EXT_MAGIC_BITMAPS && ext->len >= 24) {
            return ext;
        }
    }
    return NULL;
}

/* The directory, g_malloc'd, or NULL (none, or unreadable). */
uint8_t *qcow2_read_bitmap_directory(BlockDriverState *bs, uint32_t *count, uint64_t *size)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2UnknownHeaderExtension *ext = qcow2_bitmaps_extension(s);
    uint64_t offset;
    uint8_t *dir;

    if (!ext || !(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS)) {
        return NULL;
    }
    *count = ldbe32(ext->data);
    *size = ldbe64(ext->data + 8);
    offset = ldbe64(ext->data + 16);
    if (!*count || *size > BME_MAX_DIRECTORY_SIZE || *size < BME_MIN_ENTRY_SIZE) {
        return NULL;
    }
    dir = g_malloc(*size);
    if (bdrv_pread(bs->file, offset, *size, dir, 0) < 0) {
        g_free(dir);
        return NULL;
    }
    return dir;
}

void qcow2_dump_bitmaps(BlockDriverState *bs, GString *text, JSONWriter *json)
{
    uint32_t count = 0;
    uint64_t size = 0, pos = 0;
    g_autofree uint8_t *dir = qcow2_read_bitmap_directory(bs, &count, &size);

    if (!dir) {
        return;
    }
    g_string_append(text, "    bitmaps:\n");
    json_writer_start_list(json, "bitmaps");
    for (uint32_t i = 0; i < count && pos + BME_MIN_ENTRY_SIZE <= size; i++) {
        const uint8_t *e = dir + pos;
        uint32_t flags = ldbe32(e + 12);
        unsigned granularity_bits = e[17];
        uint16_t name_size = ldbe16(e + 18);
        uint32_t extra = ldbe32(e + 20);
        uint64_t entry = (BME_MIN_ENTRY_SIZE + (uint64_t)extra + name_size + 7) & ~7ull;
        g_autofree char *name = NULL;

        if (pos + entry > size || granularity_bits > 63) {
            break;
        }
        name = g_strndup((const char *)e + BME_MIN_ENTRY_SIZE + extra, name_size);
        g_string_append_printf(text, "        [%u]:\n            flags:\n", i);
        json_writer_start_object(json, NULL);
        json_writer_start_list(json, "flags");
        if (flags & BME_FLAG_IN_USE) {
            g_string_append(text, "                [0]: in-use\n");
            json_writer_str(json, NULL, "in-use");
        }
        if (flags & BME_FLAG_AUTO) {
            g_string_append_printf(text, "                [%d]: auto\n",
                                   !!(flags & BME_FLAG_IN_USE));
            json_writer_str(json, NULL, "auto");
        }
        json_writer_end_list(json);
        g_string_append_printf(text, "            name: %s\n            granularity: %llu\n",
                               name, 1ull << granularity_bits);
        json_writer_str(json, "name", name);
        json_writer_uint64(json, "granularity", 1ull << granularity_bits);
        json_writer_end_object(json);
        pos += entry;
    }
    json_writer_end_list(json);
}

/*
 * Every cluster the bitmaps use (the directory, each bitmap table, the
 * bitmap data clusters it names), for check's reference count: without
 * them a bitmap would look like leaked clusters and -r leaks would free it.
 */
void qcow2_bitmaps_for_each_cluster(BlockDriverState *bs,
                                    void (*fn)(void *opaque, uint64_t offset, uint64_t size),
                                    void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2UnknownHeaderExtension *ext = qcow2_bitmaps_extension(s);
    uint32_t count = 0;
    uint64_t size = 0, pos = 0;
    g_autofree uint8_t *dir = qcow2_read_bitmap_directory(bs, &count, &size);

    if (!dir) {
        return;
    }
    fn(opaque, ldbe64(ext->data + 16), size);
    for (uint32_t i = 0; i < count && pos + BME_MIN_ENTRY_SIZE <= size; i++) {
        const uint8_t *e = dir + pos;
        uint64_t table_offset = ldbe64(e);
        uint32_t table_size = ldbe32(e + 8);
        uint64_t entry = (BME_MIN_ENTRY_SIZE + (uint64_t)ldbe32(e + 20) + ldbe16(e + 18) + 7) &
                         ~7ull;
        g_autofree uint64_t *table = NULL;

        pos += entry;
        if (!table_size || table_size > (1u << 20)) {
            continue;
        }
        fn(opaque, table_offset, (uint64_t)table_size * 8);
        table = g_malloc((size_t)table_size * 8);
        if (bdrv_pread(bs->file, table_offset, (int64_t)table_size * 8, table, 0) < 0) {
            continue;
        }
        for (uint32_t j = 0; j < table_size; j++) {
            /* spec: bits 9-55 the data cluster's offset, 0: all zeroes/ones */
            uint64_t off = ldbe64(&table[j]) & 0x00fffffffffffe00ull;

            if (off) {
                fn(opaque, off, s->cluster_size);
            }
        }
    }
}

uint64_t qcow2_bitmaps_measure(BlockDriverState *bs, uint64_t cluster_size)
{
    uint32_t count = 0;
    uint64_t size = 0, pos = 0, total = 0, dir_bytes = 0;
    int64_t virtual_size = bdrv_getlength(bs);
    g_autofree uint8_t *dir = qcow2_read_bitmap_directory(bs, &count, &size);

    if (!dir || virtual_size < 0) {
        return 0;
    }
    for (uint32_t i = 0; i < count && pos + BME_MIN_ENTRY_SIZE <= size; i++) {
        const uint8_t *e = dir + pos;
        unsigned granularity_bits = e[17];
        uint16_t name_size = ldbe16(e + 18);
        uint64_t entry = (BME_MIN_ENTRY_SIZE + (uint64_t)ldbe32(e + 20) + name_size + 7) & ~7ull;
        uint64_t bits, clusters;

        if (pos + entry > size || granularity_bits > 63) {
            break;
        }
        bits = ((uint64_t)virtual_size + (1ull << granularity_bits) - 1) >> granularity_bits;
        clusters = (bits + cluster_size * 8 - 1) / (cluster_size * 8);
        /* the table in whole clusters, and a cluster for each of its entries */
        total += (clusters * 8 + cluster_size - 1) / cluster_size * cluster_size +
                 clusters * cluster_size;
        /* the copy's entry carries no extra data */
        dir_bytes += (BME_MIN_ENTRY_SIZE + name_size + 7) & ~7ull;
        pos += entry;
    }
    return total + (dir_bytes + cluster_size - 1) / cluster_size * cluster_size;
}

int qcow2_bitmaps_note_write(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!(s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS) || bs->read_only) {
        return 0;
    }
    s->autoclear_features &= ~(uint64_t)QCOW2_AUTOCLEAR_BITMAPS;
    return qcow2_update_header(bs);
}
