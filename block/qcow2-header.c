/*
 * qcow2 header: parsing and validating it on open (tables, extensions,
 * feature bits), the feature-name table, rewriting it (qcow2_update_header)
 * and the dirty/corrupt bits.  See the qcow2 specification, "Header" and
 * "Header extensions".
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2.h"
#include "block/aio.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "trace/trace.h"

/* Every feature we know a name for (spec "Feature name table"). */
typedef struct Qcow2Feature {
    uint8_t type; /* 0 incompatible, 1 compatible, 2 autoclear */
    uint8_t bit;
    const char *name;
} Qcow2Feature;

static const Qcow2Feature qcow2_features[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};

static int qcow2_file_pwrite(BlockDriverState *bs, int64_t offset, int64_t bytes,
                             const void *buf)
{
    if (qemu_in_coroutine()) {
        return bdrv_co_pwrite(bs->file, offset, bytes, buf, 0);
    }
    return bdrv_pwrite(bs->file, offset, bytes, buf, 0);
}

static int qcow2_file_flush(BlockDriverState *bs)
{
    return qemu_in_coroutine() ? bdrv_co_flush(bs->file->bs) : bdrv_flush(bs->file->bs);
}

/* ---- header state changes ---- */

static int qcow2_write_incompat(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t be = GUINT64_TO_BE(s->incompatible_features);
    int ret;

    assert(s->qcow_version >= 3);
    ret = qcow2_file_pwrite(bs, QCOW2_HDR_INCOMPAT_FEATURES, 8, &be);
    if (ret < 0) {
        return ret;
    }
    return qcow2_file_flush(bs);
}

int qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->qcow_version < 3 || (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    s->incompatible_features |= QCOW2_INCOMPAT_DIRTY;
    s->dirty_marked = true;
    trace_event(qcow2_mark_dirty, "%s", bs->filename ? bs->filename : "");
    return qcow2_write_incompat(bs);
}

int qcow2_mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    s->incompatible_features &= ~QCOW2_INCOMPAT_DIRTY;
    s->dirty_marked = false;
    return qcow2_write_incompat(bs);
}

int qcow2_mark_corrupt(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    s->incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
    if (s->qcow_version < 3) {
        return 0;
    }
    return qcow2_write_incompat(bs);
}

/*
 * The image's metadata is inconsistent.  Log once, set the corrupt bit
 * (fatal: the image is not written again in this session), keep running.
 */
void qcow2_signal_corruption(BlockDriverState *bs, bool fatal, int64_t offset, int64_t size,
                             const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *msg = NULL;
    va_list ap;

    if (s->corrupt_signaled) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace_event(qcow2_signal_corruption, "%s", msg);
    if (fatal && !bs->read_only && !(bs->open_flags & BDRV_O_CHECK)) {
        error_report("qcow2: Marking image as corrupt: %s; further corruption events will "
                     "be suppressed", msg);
        s->corrupt_signaled = true;
        qcow2_mark_corrupt(bs);
    } else {
        error_report("qcow2: Image is corrupt: %s; further non-fatal corruption events "
                     "will be suppressed", msg);
        s->corrupt_signaled = fatal && !(bs->open_flags & BDRV_O_CHECK);
    }
}

static void put_ext(GByteArray *buf, uint32_t magic, const void *data, uint32_t len)
{
    uint32_t be[2] = { GUINT32_TO_BE(magic), GUINT32_TO_BE(len) };
    static const uint8_t zeros[8];

    g_byte_array_append(buf, (const uint8_t *)be, 8);
    g_byte_array_append(buf, data, len);
    g_byte_array_append(buf, zeros, (8 - len % 8) % 8);
}

/* Rewrites cluster 0 from our state, keeping unknown extensions. */
int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GByteArray) buf = g_byte_array_new();
    uint8_t h[QCOW2_HDR_LENGTH] = { 0 };
    uint32_t hlen = s->qcow_version >= 3 ? QCOW2_HDR_LENGTH : QCOW2_HDR_V2_LENGTH;
    size_t name_len = s->image_backing_file ? strlen(s->image_backing_file) : 0;
    uint64_t backing_offset = 0;
    static const uint8_t end_marker[8];
    int ret;

#define PUT32(off, v) stbe32(h + (off), (v))
#define PUT64(off, v) stbe64(h + (off), (v))
    PUT32(0, QCOW_MAGIC);
    PUT32(4, s->qcow_version);
    PUT32(16, name_len);
    PUT32(20, s->cluster_bits);
    PUT64(24, s->size);
    PUT32(32, 0);
    PUT32(36, s->l1_size);
    PUT64(40, s->l1_table_offset);
    PUT64(48, s->refcount_table_offset);
    PUT32(56, size_to_clusters(s, (uint64_t)s->refcount_table_size * 8));
    PUT32(60, s->nb_snapshots);
    PUT64(64, s->snapshots_offset);
    if (s->qcow_version >= 3) {
        PUT64(72, s->incompatible_features);
        PUT64(80, s->compatible_features);
        PUT64(88, s->autoclear_features);
        PUT32(96, s->refcount_order);
        PUT32(100, hlen);
        h[104] = s->compression_type;
    }
    g_byte_array_append(buf, h, hlen);

    if (s->image_backing_format) {
        put_ext(buf, QCOW2_EXT_MAGIC_BACKING_FORMAT, s->image_backing_format,
                strlen(s->image_backing_format));
    }
    /* The feature name table is optional: leave it out if cluster 0 is
     * too small for it (512-byte clusters with a backing file). */
    size_t rest = 8 + name_len;
    for (GSList *l = s->unknown_header_ext; l; l = l->next) {
        rest += 8 + (((Qcow2UnknownHeaderExtension *)l->data)->len + 7) / 8 * 8;
    }
    if (s->qcow_version >= 3 &&
        buf->len + rest + 8 +
        48 * G_N_ELEMENTS(qcow2_features) <= (size_t)s->cluster_size) {
        uint8_t table[G_N_ELEMENTS(qcow2_features)][48];
        memset(table, 0, sizeof(table));
        for (size_t i = 0; i < G_N_ELEMENTS(qcow2_features); i++) {
            table[i][0] = qcow2_features[i].type;
            table[i][1] = qcow2_features[i].bit;
            memcpy(&table[i][2], qcow2_features[i].name, strlen(qcow2_features[i].name));
        }
        put_ext(buf, QCOW2_EXT_MAGIC_FEATURE_TABLE, table, sizeof(table));
    }
    for (GSList *l = s->unknown_header_ext; l; l = l->next) {
        Qcow2UnknownHeaderExtension *ext = l->data;
        put_ext(buf, ext->magic, ext->data, ext->len);
    }
    g_byte_array_append(buf, end_marker, 8);
    if (name_len) {
        backing_offset = buf->len;
        g_byte_array_append(buf, (const uint8_t *)s->image_backing_file, name_len);
        stbe64(buf->data + 8, backing_offset);
    }
    if (buf->len > (guint)s->cluster_size) {
        return -ENOSPC;
    }
    g_byte_array_set_size(buf, MAX(buf->len, 512u) + (512 - MAX(buf->len, 512u) % 512) % 512);
    s->backing_file_offset = backing_offset;
    s->header_length = hlen;
    ret = qcow2_file_pwrite(bs, 0, buf->len, buf->data);
    if (ret < 0) {
        return ret;
    }
    return qcow2_file_flush(bs);
#undef PUT32
#undef PUT64
}

/* ---- open ---- */

typedef struct QCowHeader {
    uint32_t magic, version;
    uint64_t backing_file_offset;
    uint32_t backing_file_size, cluster_bits;
    uint64_t size;
    uint32_t crypt_method, l1_size;
    uint64_t l1_table_offset, refcount_table_offset;
    uint32_t refcount_table_clusters, nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompatible_features, compatible_features, autoclear_features;
    uint32_t refcount_order, header_length;
    uint8_t compression_type;
} QCowHeader;

static uint32_t rd32(const uint8_t *p)
{
    return ldbe32(p);
}

static uint64_t rd64(const uint8_t *p)
{
    return ldbe64(p);
}

static void parse_header(const uint8_t *b, QCowHeader *h)
{
    memset(h, 0, sizeof(*h));
    h->magic = rd32(b);
    h->version = rd32(b + 4);
    h->backing_file_offset = rd64(b + 8);
    h->backing_file_size = rd32(b + 16);
    h->cluster_bits = rd32(b + 20);
    h->size = rd64(b + 24);
    h->crypt_method = rd32(b + 32);
    h->l1_size = rd32(b + 36);
    h->l1_table_offset = rd64(b + 40);
    h->refcount_table_offset = rd64(b + 48);
    h->refcount_table_clusters = rd32(b + 56);
    h->nb_snapshots = rd32(b + 60);
    h->snapshots_offset = rd64(b + 64);
    if (h->version >= 3) {
        h->incompatible_features = rd64(b + 72);
        h->compatible_features = rd64(b + 80);
        h->autoclear_features = rd64(b + 88);
        h->refcount_order = rd32(b + 96);
        h->header_length = rd32(b + 100);
        h->compression_type = h->header_length > 104 ? b[104] : 0;
    } else {
        h->refcount_order = 4;
        h->header_length = QCOW2_HDR_V2_LENGTH;
    }
}

/* Names the given feature bits using the image's table, then ours. */
static char *feature_names(GArray *image_table, int type, uint64_t mask)
{
    GString *out = g_string_new(NULL);

    for (int bit = 0; bit < 64; bit++) {
        const char *name = NULL;
        if (!(mask & (1ULL << bit))) {
            continue;
        }
        for (guint i = 0; image_table && i < image_table->len / 48; i++) {
            const uint8_t *e = &g_array_index(image_table, uint8_t, i * 48);
            if (e[0] == type && e[1] == bit) {
                name = (const char *)e + 2;
            }
        }
        for (size_t i = 0; !name && i < G_N_ELEMENTS(qcow2_features); i++) {
            if (qcow2_features[i].type == type && qcow2_features[i].bit == bit) {
                name = qcow2_features[i].name;
            }
        }
        if (out->len) {
            g_string_append(out, ", ");
        }
        if (name) {
            g_string_append_printf(out, "%.46s", name);
        } else {
            g_string_append_printf(out, "Unknown incompatible feature: %" PRIx64,
                                   (uint64_t)1 << bit);
        }
    }
    return g_string_free(out, false);
}

/* Reads the header extensions in [start, end) of cluster 0. */
static int read_extensions(BlockDriverState *bs, const uint8_t *hdr, uint64_t start,
                           uint64_t end, GArray *feature_table, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = start;

    while (off + 8 <= end) {
        uint32_t magic = rd32(hdr + off);
        uint32_t len = rd32(hdr + off + 4);
        const uint8_t *data = hdr + off + 8;

        if (magic == QCOW2_EXT_MAGIC_END) {
            return 0;
        }
        if (len > end - off - 8) {
            error_setg(errp, "Invalid header extension 0x%08x: length %u past the end of "
                       "the header", magic, len);
            return -EINVAL;
        }
        switch (magic) {
        case QCOW2_EXT_MAGIC_BACKING_FORMAT:
            if (len >= sizeof(bs->backing_format)) {
                error_setg(errp, "Backing format name too long (%u bytes)", len);
                return -EINVAL;
            }
            g_free(s->image_backing_format);
            s->image_backing_format = g_strndup((const char *)data, len);
            break;
        case QCOW2_EXT_MAGIC_FEATURE_TABLE:
            g_array_set_size(feature_table, 0);
            for (uint32_t i = 0; i + 48 <= len; i += 48) {
                uint8_t e[48];
                memcpy(e, data + i, 48);
                e[47] = 0;
                g_array_append_vals(feature_table, e, 48);
            }
            break;
        default: {
            /* Bitmaps and anything newer: not ours to interpret, keep it. */
            Qcow2UnknownHeaderExtension *ext = g_malloc(sizeof(*ext) + len);
            ext->magic = magic;
            ext->len = len;
            memcpy(ext->data, data, len);
            s->unknown_header_ext = g_slist_append(s->unknown_header_ext, ext);
            break;
        }
        }
        off += 8 + ((uint64_t)len + 7) / 8 * 8;
    }
    return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/*
 * A table [offset, offset+bytes) must be aligned, after the header, inside
 * the file.  Opened for check (BDRV_O_CHECK), only alignment and a sane
 * offset are required, as qemu-img's open does: the metadata walk then
 * reports the damage (what lies past the end reads as zeroes) and -r all
 * can repair it.
 */
static bool check_table(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, int64_t file_len,
                        bool checking, const char *what, Error **errp)
{
    if (bytes == 0) {
        return true;
    }
    if (offset_into_cluster(s, offset)) {
        error_setg(errp, "%s offset %#" PRIx64 " is not cluster aligned", what, offset);
        return false;
    }
    if (checking) {
        if (offset > INT64_MAX - bytes) {
            error_setg(errp, "%s offset %#" PRIx64 " is invalid", what, offset);
            return false;
        }
        return true;
    }
    if (offset < (uint64_t)s->cluster_size) {
        error_setg(errp, "%s overlaps the image header", what);
        return false;
    }
    if (offset > INT64_MAX - bytes || offset + bytes > (uint64_t)file_len) {
        error_setg(errp, "%s (offset %#" PRIx64 ", %" PRIu64 " bytes) lies past the end of "
                   "the image file", what, offset, bytes);
        return false;
    }
    return true;
}

static int coroutine_fn qcow2_repair_co(BlockDriverState *bs, void *opaque)
{
    BdrvCheckResult *result = opaque;

    return qcow2_co_check(bs, result, BDRV_FIX_ERRORS | BDRV_FIX_LEAKS);
}

void qcow2_free_state(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_cache_destroy(s->l2_table_cache);
    qcow2_cache_destroy(s->refcount_block_cache);
    s->l2_table_cache = s->refcount_block_cache = NULL;
    qcow2_refcount_close(bs);
    qcow2_free_snapshots(bs);
    g_clear_pointer(&s->l1_table, g_free);
    if (s->discards) {
        g_array_free(s->discards, true);
        s->discards = NULL;
    }
    g_slist_free_full(s->unknown_header_ext, g_free);
    s->unknown_header_ext = NULL;
    g_clear_pointer(&s->image_backing_file, g_free);
    g_clear_pointer(&s->image_backing_format, g_free);
}

static int qcow2_do_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = qcow2_file_length(bs);
    bool checking = flags & BDRV_O_CHECK;
    g_autofree uint8_t *hdr = NULL;
    g_autoptr(GArray) feature_table = g_array_new(false, true, 1);
    bool read_only = bs->read_only || !(flags & BDRV_O_RDWR);
    uint64_t ext_end, l1_bytes, rt_bytes;
    QCowHeader h;
    int ret;

    if (file_len < 0) {
        error_setg_errno(errp, -file_len, "Could not get the image file size");
        return file_len;
    }
    if (file_len < QCOW2_HDR_V2_LENGTH) {
        error_setg(errp, "Image is too small to be qcow2 (%" PRId64 " bytes)", file_len);
        return -EINVAL;
    }
    hdr = g_malloc0(1 << MAX_CLUSTER_BITS);
    ret = bdrv_pread(bs->file, 0, MIN(file_len, 1 << MAX_CLUSTER_BITS), hdr, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    parse_header(hdr, &h);
    if (h.magic != QCOW_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    if (h.version < 2 || h.version > 3) {
        error_setg(errp, "Unsupported qcow2 version %u", h.version);
        return -ENOTSUP;
    }
    if (h.cluster_bits < MIN_CLUSTER_BITS || h.cluster_bits > MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%u", h.cluster_bits);
        return -EINVAL;
    }
    s->qcow_version = h.version;
    s->cluster_bits = h.cluster_bits;
    s->cluster_size = 1 << h.cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_size = 1 << s->l2_bits;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;

    if (h.version >= 3) {
        if (h.header_length < QCOW2_HDR_V3_MIN_LENGTH || h.header_length % 8) {
            error_setg(errp, "Invalid qcow2 header length %u", h.header_length);
            return -EINVAL;
        }
        if (h.header_length > (uint32_t)s->cluster_size) {
            error_setg(errp, "qcow2 header exceeds cluster size");
            return -EINVAL;
        }
    }
    s->header_length = h.header_length;
    if (h.backing_file_offset > (uint64_t)s->cluster_size ||
        (h.backing_file_size && h.backing_file_offset < h.header_length)) {
        error_setg(errp, "Invalid backing file offset %#" PRIx64, h.backing_file_offset);
        return -EINVAL;
    }
    if (h.backing_file_size > QCOW_MAX_BACKING_NAME ||
        h.backing_file_offset + h.backing_file_size > (uint64_t)s->cluster_size) {
        error_setg(errp, "Backing file name too long (%u bytes)", h.backing_file_size);
        return -EINVAL;
    }

    /* Header extensions: between the header and the backing name. */
    ext_end = (h.backing_file_offset && h.backing_file_size) ? h.backing_file_offset
                                                             : (uint64_t)s->cluster_size;
    ret = read_extensions(bs, hdr, h.header_length, ext_end, feature_table, errp);
    if (ret < 0) {
        return ret;
    }

    if (h.incompatible_features & ~QCOW2_INCOMPAT_SUPPORTED) {
        g_autofree char *names = feature_names(feature_table, 0,
                                               h.incompatible_features &
                                               ~QCOW2_INCOMPAT_SUPPORTED);
        error_setg(errp, "Unsupported qcow2 feature(s): %s", names);
        return -ENOTSUP;
    }
    if (h.compression_type != 0) {
        error_setg(errp, "Unsupported qcow2 feature(s): compression type %u (only zlib "
                   "is supported)", h.compression_type);
        return -ENOTSUP;
    }
    if (h.crypt_method != 0) {
        error_setg(errp, "Unsupported qcow2 feature(s): encryption (crypt_method %u)",
                   h.crypt_method);
        return -ENOTSUP;
    }
    if ((h.incompatible_features & QCOW2_INCOMPAT_CORRUPT) && !read_only &&
        !(flags & BDRV_O_CHECK)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened read/write "
                   "(run 'duet-img check -r all' to repair it)");
        return -EACCES;
    }
    if (h.refcount_order > MAX_REFCOUNT_ORDER) {
        error_setg(errp, "Reference count entry width too large; may not exceed 64 bits");
        return -EINVAL;
    }
    s->refcount_order = h.refcount_order;
    qcow2_set_refcount_funcs(s);
    s->incompatible_features = h.incompatible_features;
    s->compatible_features = h.compatible_features;
    s->autoclear_features = h.autoclear_features;
    s->compression_type = h.compression_type;
    s->use_lazy_refcounts = h.version >= 3 &&
                            (h.compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);

    if (h.size > QCOW_MAX_VIRTUAL_SIZE || h.size % BDRV_SECTOR_SIZE) {
        error_setg(errp, "Invalid virtual disk size %" PRIu64, h.size);
        return -EFBIG;
    }
    s->size = h.size;

    /* Refcount table. */
    if (h.refcount_table_clusters == 0) {
        error_setg(errp, "Image does not contain a reference count table");
        return -EINVAL;
    }
    if (h.refcount_table_clusters > (QCOW_MAX_REFTABLE_SIZE >> s->cluster_bits)) {
        error_setg(errp, "Reference count table too large (%u clusters)",
                   h.refcount_table_clusters);
        return -EINVAL;
    }
    rt_bytes = (uint64_t)h.refcount_table_clusters << s->cluster_bits;
    if (!check_table(s, h.refcount_table_offset, rt_bytes, file_len, checking,
                     "Reference count table",
                     errp)) {
        return -EINVAL;
    }
    s->refcount_table_offset = h.refcount_table_offset;
    s->refcount_table_size = rt_bytes / 8;

    /* Active L1 table. */
    if ((uint64_t)h.l1_size * 8 > QCOW_MAX_L1_SIZE) {
        error_setg(errp, "Active L1 table too large (%u entries)", h.l1_size);
        return -EFBIG;
    }
    if (h.l1_size < l1_entries_for_size(s, s->size)) {
        error_setg(errp, "L1 table is too small (%u entries for a %" PRIu64 "-byte disk)",
                   h.l1_size, s->size);
        return -EINVAL;
    }
    l1_bytes = (uint64_t)h.l1_size * 8;
    if (!check_table(s, h.l1_table_offset, l1_bytes, file_len, checking, "Active L1 table",
                     errp)) {
        return -EINVAL;
    }
    if (!checking &&
        ranges_overlap(h.l1_table_offset, l1_bytes, h.refcount_table_offset, rt_bytes)) {
        error_setg(errp, "Active L1 table overlaps the reference count table");
        return -EINVAL;
    }
    s->l1_size = h.l1_size;
    s->l1_table_offset = h.l1_table_offset;

    /* Snapshot table: bounds here, entries in qcow2-snapshot.c. */
    if (h.nb_snapshots > QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots (%u)", h.nb_snapshots);
        return -EINVAL;
    }
    if (h.nb_snapshots && !check_table(s, h.snapshots_offset, 8, file_len, false,
                                       "Snapshot table",
                                       errp)) {
        return -EINVAL;
    }
    s->nb_snapshots = h.nb_snapshots;
    s->snapshots_offset = h.snapshots_offset;

    /* Backing file name. */
    if (h.backing_file_size && h.backing_file_offset) {
        s->image_backing_file = g_strndup((const char *)hdr + h.backing_file_offset,
                                          h.backing_file_size);
        s->backing_file_offset = h.backing_file_offset;
        g_strlcpy(bs->backing_file, s->image_backing_file, sizeof(bs->backing_file));
        g_strlcpy(bs->backing_format, s->image_backing_format ? s->image_backing_format : "",
                  sizeof(bs->backing_format));
    }

    s->l1_table = g_try_new0(uint64_t, MAX(s->l1_size, 1));
    if (!s->l1_table) {
        error_setg(errp, "Could not allocate L1 table");
        return -ENOMEM;
    }
    if (s->l1_size) {
        ret = bdrv_pread(bs->file, s->l1_table_offset, l1_bytes, s->l1_table, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read L1 table");
            return ret;
        }
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1_table[i] = GUINT64_FROM_BE(s->l1_table[i]);
        }
    }
    ret = qcow2_refcount_init(bs, errp);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_read_snapshots(bs, errp);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint64_t o = s->snapshots[i].l1_table_offset, n = s->snapshots[i].l1_size * 8ULL;
        if (ranges_overlap(o, n, s->l1_table_offset, l1_bytes) ||
            ranges_overlap(o, n, s->refcount_table_offset, rt_bytes)) {
            error_setg(errp, "Snapshot L1 table overlaps other metadata");
            return -EINVAL;
        }
    }
    if (ranges_overlap(s->snapshots_offset, s->snapshots_size, s->l1_table_offset, l1_bytes) ||
        ranges_overlap(s->snapshots_offset, s->snapshots_size, s->refcount_table_offset,
                       rt_bytes)) {
        error_setg(errp, "Snapshot table overlaps other metadata");
        return -EINVAL;
    }

    ret = qcow2_update_options(bs, errp);
    if (ret < 0) {
        return ret;
    }
    qemu_co_mutex_init(&s->lock);
    g_queue_init(&s->allocs_in_flight);
    bs->total_sectors = s->size / BDRV_SECTOR_SIZE;

    if (!read_only) {
        /* Autoclear bits we do not maintain lose their meaning once we write;
         * bitmaps stay valid until guest data changes (qcow2-bitmap.c). */
        if (s->autoclear_features & ~(uint64_t)QCOW2_AUTOCLEAR_BITMAPS) {
            s->autoclear_features &= QCOW2_AUTOCLEAR_BITMAPS;
            ret = qcow2_update_header(bs);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Could not update qcow2 header");
                return ret;
            }
        }
        if ((s->incompatible_features & QCOW2_INCOMPAT_DIRTY) && !(flags & BDRV_O_CHECK)) {
            BdrvCheckResult result = { 0 };
            ret = qcow2_run_co(bs, qcow2_repair_co, &result);
            if (ret < 0 || result.corruptions || result.check_errors) {
                error_setg_errno(errp, ret < 0 ? -ret : EIO,
                                 "Could not repair dirty image");
                return ret < 0 ? ret : -EIO;
            }
            ret = qcow2_mark_clean(bs);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Could not mark image clean");
                return ret;
            }
        }
    }
    return 0;
}

int qcow2_open(BlockDriverState *bs, int flags, Error **errp)
{
    int ret = qcow2_do_open(bs, flags, errp);

    if (ret < 0) {
        qcow2_free_state(bs);
    }
    return ret;
}
