/*
 * qcow2 persistent dirty bitmaps: the bitmap directory of the "Bitmaps"
 * header extension (qcow2 spec, "Bitmaps extension" and "Bitmap directory"),
 * read for duet-img info.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

/* Bitmap directory entry flags (spec: "flags" of a directory entry). */
#define BME_FLAG_IN_USE (1u << 0)
#define BME_FLAG_AUTO   (1u << 1)
#define BME_MIN_ENTRY_SIZE 24
#define BME_MAX_DIRECTORY_SIZE (64 * 1024 * 1024)

static const Qcow2UnknownHeaderExtension *bitmaps_extension(BDRVQcow2State *s)
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
static uint8_t *read_bitmap_directory(BlockDriverState *bs, uint32_t *count, uint64_t *size)
{
    BDRVQcow2State *s = bs->opaque;
    const Qcow2UnknownHeaderExtension *ext = bitmaps_extension(s);
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
    g_autofree uint8_t *dir = read_bitmap_directory(bs, &count, &size);

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
