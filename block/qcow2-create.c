/*
 * qcow2 image creation and resizing.
 *
 * Creation follows qemu-img's layout: header in cluster 0, a one-cluster
 * refcount table in cluster 1, the first refcount block in cluster 2; the
 * image is then opened and grown to its size like any resize, so the L1
 * table lands in the first free cluster (3).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2.h"
#include "trace/trace.h"

extern const BlockDriver bdrv_file;

/* Writes the header's 12 bytes l1_size + l1_table_offset in one go. */
static int coroutine_fn write_l1_header_fields(BlockDriverState *bs, uint32_t l1_size,
                                               uint64_t l1_offset)
{
    uint8_t buf[12];
    int ret;

    stbe32(buf, l1_size);
    stbe64(buf + 4, l1_offset);
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_MAIN_HEADER, 36, sizeof(buf));
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_pwrite(bs->file, 36, sizeof(buf), buf, 0);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_flush(bs->file->bs);
}

/*
 * Replaces the L1 table by a larger copy.  New table (and its refcount)
 * on disk, then the header points to it, then the old one is freed.
 */
int coroutine_fn qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size, bool exact)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size = min_size;
    uint64_t new_bytes, alloc_bytes;
    uint64_t old_offset = s->l1_table_offset, old_bytes = (uint64_t)s->l1_size * 8;
    g_autofree uint64_t *table = NULL;
    g_autofree uint64_t *be = NULL;
    int64_t new_offset;
    int ret;

    if (new_size <= s->l1_size) {
        return 0;
    }
    if (new_size * 8 > QCOW_MAX_L1_SIZE) {
        return -EFBIG;
    }
    if (!exact) {
        new_size = MAX(s->l1_size, 1);
        while (new_size < min_size) {
            new_size = (new_size * 3 + 1) / 2;
        }
        new_size = MIN(new_size, QCOW_MAX_L1_SIZE / 8);
    }
    new_bytes = new_size * 8;
    alloc_bytes = size_to_clusters(s, new_bytes) << s->cluster_bits;
    table = g_try_malloc0(alloc_bytes);
    be = g_try_malloc0(alloc_bytes);
    if (!table || !be) {
        return -ENOMEM;
    }
    memcpy(table, s->l1_table, old_bytes);
    new_offset = qcow2_alloc_clusters(bs, alloc_bytes);
    if (new_offset < 0) {
        return new_offset;
    }
    trace_event(qcow2_grow_l1_table, "entries %u -> %" PRIu64 " at 0x%" PRIx64,
                s->l1_size, new_size, (uint64_t)new_offset);
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        goto fail;
    }
    for (uint64_t i = 0; i < new_size; i++) {
        be[i] = GUINT64_TO_BE(table[i]);
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, new_offset, alloc_bytes);
    if (ret < 0) {
        goto fail;
    }
    ret = bdrv_co_pwrite(bs->file, new_offset, new_bytes, be, 0);
    if (ret < 0) {
        goto fail;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        goto fail;
    }
    ret = write_l1_header_fields(bs, new_size, new_offset);
    if (ret < 0) {
        goto fail;
    }
    g_free(s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    s->l1_table_offset = new_offset;
    s->l1_size = new_size;
    if (old_bytes) {
        qcow2_free_clusters(bs, old_offset, old_bytes);
    }
    return 0;

fail:
    qcow2_free_clusters(bs, new_offset, alloc_bytes);
    return ret;
}

/* Allocates L2 tables and data clusters (not written) for [offset, end);
 * file_mode (off, falloc, full) says how the file grows to hold them. */
int coroutine_fn qcow2_preallocate_metadata(BlockDriverState *bs, uint64_t offset,
                                            uint64_t end, PreallocMode file_mode)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_end = 0;

    offset = start_of_cluster(s, offset);
    while (offset < end) {
        uint64_t bytes = end - offset, host;
        bool need_alloc;
        int64_t new;
        int ret = qcow2_alloc_data_clusters(bs, offset, &bytes, &host, &need_alloc);
        if (ret < 0) {
            return ret;
        }
        bytes = start_of_cluster(s, bytes + s->cluster_size - 1);
        if (need_alloc) {
            new = qcow2_alloc_clusters(bs, bytes);
            if (new < 0) {
                return new;
            }
            ret = qcow2_alloc_host_offset(bs, offset, bytes, new);
            if (ret < 0) {
                return ret;
            }
            file_end = MAX(file_end, new + (int64_t)bytes);
        }
        offset += bytes;
    }
    /* Make the data clusters exist in the file (as a hole). */
    if (file_end > qcow2_file_length(bs)) {
        Error *local_err = NULL;
        int ret = bdrv_co_truncate(bs->file, file_end, false, file_mode, &local_err);
        error_free(local_err);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/*
 * Resizing keeps the persistent bitmaps, as qemu does (grown: the new bits
 * clear; shrunk: the bits past the end dropped): truncate loads them, and
 * stores them resized once the image has its new size.
 */
static int coroutine_fn qcow2_do_truncate(BlockDriverState *bs, int64_t offset,
                                          PreallocMode prealloc, Error **errp);

int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                   PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GPtrArray) bitmaps = NULL;
    int ret;

    if (offset >= 0 && (uint64_t)offset != s->size && !bs->read_only &&
        (s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS) && !s->bitmaps_held) {
        ret = qcow2_load_bitmaps(bs, &bitmaps, NULL);
        if (ret < 0) {
            bitmaps = NULL; /* unreadable: invalidated as by any write */
        }
    }
    s->bitmaps_held = bitmaps != NULL;
    ret = qcow2_do_truncate(bs, offset, prealloc, errp);
    s->bitmaps_held = false;
    if (bitmaps) {
        if (ret == 0) {
            qcow2_bitmaps_resize(bitmaps, s->size);
            ret = qcow2_store_bitmaps(bs, bitmaps, errp);
        } else {
            /* a failed resize may have gone part way: the bitmaps no longer
             * hold (best effort; the error is the resize's) */
            qcow2_bitmaps_note_write(bs);
        }
    }
    return ret;
}

static int coroutine_fn qcow2_do_truncate(BlockDriverState *bs, int64_t offset,
                                          PreallocMode prealloc, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old_size = s->size;
    uint64_t be;
    int ret = 0;

    if (offset < 0 || offset % BDRV_SECTOR_SIZE || (uint64_t)offset > QCOW_MAX_VIRTUAL_SIZE) {
        error_setg(errp, "Invalid image size %" PRId64, offset);
        return -EINVAL;
    }
    if (prealloc < PREALLOC_MODE_OFF || prealloc > PREALLOC_MODE_FULL) {
        error_setg(errp, "Unsupported preallocation mode");
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
    if ((uint64_t)offset != old_size && (s->autoclear_features & QCOW2_AUTOCLEAR_BITMAPS) &&
        !s->bitmaps_held) {
        ret = qcow2_bitmaps_note_write(bs); /* their size is the image's */
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update the bitmaps");
            goto out;
        }
    }
    if ((uint64_t)offset < old_size) {
        /* Shrinking drops whatever lies beyond the new end. */
        uint64_t from = start_of_cluster(s, offset + s->cluster_size - 1);
        uint64_t to = start_of_cluster(s, old_size + s->cluster_size - 1);
        if (s->nb_snapshots) {
            error_setg(errp, "Cannot shrink an image with internal snapshots");
            ret = -ENOTSUP;
            goto out;
        }
        if (to > from) {
            ret = qcow2_cluster_discard(bs, from, to - from, true);
        }
    } else {
        ret = qcow2_grow_l1_table(bs, l1_entries_for_size(s, offset), true);
        if (ret == 0 && prealloc != PREALLOC_MODE_OFF) {
            ret = qcow2_preallocate_metadata(bs, old_size, offset,
                                             prealloc == PREALLOC_MODE_METADATA
                                                 ? PREALLOC_MODE_OFF : prealloc);
        }
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not resize image");
        goto out;
    }
    ret = qcow2_co_flush_caches(bs);
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    be = GUINT64_TO_BE((uint64_t)offset);
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, 24, 8, &be, 0);
    }
    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not update the image size");
        goto out;
    }
    s->size = offset;
    bs->total_sectors = offset / BDRV_SECTOR_SIZE;
out:
    qemu_co_mutex_unlock(&s->lock);
    if (ret == 0 && (uint64_t)offset > old_size && old_size % s->cluster_size) {
        /* Old data past the old end of the last cluster must not show. */
        uint64_t tail_end = MIN((uint64_t)offset,
                                start_of_cluster(s, old_size + s->cluster_size - 1));
        g_autofree uint8_t *zeros = g_malloc0(tail_end - old_size);
        QEMUIOVector qiov;
        qemu_iovec_init_buf(&qiov, zeros, tail_end - old_size);
        ret = qcow2_co_pwritev_part(bs, old_size, tail_end - old_size, &qiov, 0, 0);
    }
    return ret;
}

/* ---- create ---- */

typedef struct Qcow2CreateParams {
    int64_t size;
    int cluster_bits;
    int version;
    int refcount_order;
    bool lazy_refcounts;
    const char *backing_file;
    const char *backing_fmt;
    PreallocMode prealloc;
} Qcow2CreateParams;

static const char *const qcow2_prealloc_modes[] = { "off", "metadata", "falloc", "full",
                                                     NULL };

static const char *opt(BlockCreateOpts *opts, const char *name)
{
    return opts->opts ? qemu_opt_get(opts->opts, name) : NULL;
}

/* The -o keys (QEMU's names); bdrv_create has checked types and values. */
const QemuOptDesc qcow2_create_opts[] = {
    { .name = "size", .type = QEMU_OPT_SIZE, .help = "Virtual disk size" },
    { .name = "compat", .type = QEMU_OPT_STRING,
      .help = "Compatibility level (v2 [0.10] or v3 [1.1])" },
    { .name = "backing_file", .type = QEMU_OPT_STRING, .help = "File name of a base image" },
    { .name = "backing_fmt", .type = QEMU_OPT_STRING, .help = "Image format of the base image" },
    { .name = "cluster_size", .type = QEMU_OPT_SIZE, .help = "qcow2 cluster size" },
    { .name = "preallocation", .type = QEMU_OPT_STRING, .help = "Preallocation mode",
      .values = qcow2_prealloc_modes },
    { .name = "lazy_refcounts", .type = QEMU_OPT_BOOL, .help = "Postpone refcount updates" },
    { .name = "refcount_bits", .type = QEMU_OPT_NUMBER,
      .help = "Width of a reference count entry in bits" },
    /* QEMU's too, so that -o help lists what qemu-img lists; duet creates
     * only their default (parse_create_opts refuses the rest). */
    { .name = "compression_type", .type = QEMU_OPT_STRING,
      .help = "Compression method used for image cluster compression" },
    { .name = "data_file", .type = QEMU_OPT_STRING, .help = "File name of an external data file" },
    { .name = "data_file_raw", .type = QEMU_OPT_BOOL,
      .help = "The external data file must stay valid as a raw image" },
    { .name = "encrypt.cipher-alg", .type = QEMU_OPT_STRING,
      .help = "Name of encryption cipher algorithm" },
    { .name = "encrypt.cipher-mode", .type = QEMU_OPT_STRING,
      .help = "Name of encryption cipher mode" },
    { .name = "encrypt.format", .type = QEMU_OPT_STRING,
      .help = "Encrypt the image, format choices: 'aes', 'luks'" },
    { .name = "encrypt.hash-alg", .type = QEMU_OPT_STRING,
      .help = "Name of encryption hash algorithm" },
    { .name = "encrypt.iter-time", .type = QEMU_OPT_NUMBER,
      .help = "Time to spend in PBKDF in milliseconds" },
    { .name = "encrypt.ivgen-alg", .type = QEMU_OPT_STRING,
      .help = "Name of IV generator algorithm" },
    { .name = "encrypt.ivgen-hash-alg", .type = QEMU_OPT_STRING,
      .help = "Name of IV generator hash algorithm" },
    { .name = "encrypt.key-secret", .type = QEMU_OPT_STRING,
      .help = "ID of secret providing qcow AES key or LUKS passphrase" },
    { .name = "encryption", .type = QEMU_OPT_BOOL,
      .help = "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)" },
    { .name = "extended_l2", .type = QEMU_OPT_BOOL, .help = "Extended L2 tables" },
    { NULL },
};

/* The QEMU features duet does not create; NULL when none is asked for. */
static const char *unsupported_create_opt(BlockCreateOpts *opts)
{
    const char *v;

    if ((v = opt(opts, "compression_type")) && strcmp(v, "zlib")) {
        return "compression types other than zlib";
    }
    if (opt(opts, "data_file") || opt(opts, "data_file_raw")) {
        return "external data files";
    }
    if (qemu_opt_get_bool(opts->opts, "encryption", false) || opt(opts, "encrypt.format")) {
        return "encryption";
    }
    if (qemu_opt_get_bool(opts->opts, "extended_l2", false)) {
        return "extended L2 entries";
    }
    return NULL;
}


static bool parse_create_opts(BlockCreateOpts *opts, Qcow2CreateParams *p, Error **errp)
{
    const char *v;

    if (opts->opts && (v = unsupported_create_opt(opts))) {
        error_setg(errp, "duet does not create qcow2 images with %s", v);
        return false;
    }

    *p = (Qcow2CreateParams) { .size = opts->size, .cluster_bits = 16, .version = 3,
                               .refcount_order = 4, .prealloc = PREALLOC_MODE_OFF };
    if (opt(opts, "cluster_size")) {
        uint64_t n = qemu_opt_get_size(opts->opts, "cluster_size", 0);

        if (n < 512 || n > (2 << 20) || (n & (n - 1))) {
            error_setg(errp, "Cluster size must be a power of two between 512 and 2048k");
            return false;
        }
        p->cluster_bits = __builtin_ctzll(n);
    }
    /* The largest L1 table maps this much (QEMU's limit, its message). */
    if (p->size > 0 && (uint64_t)p->size >> (2 * p->cluster_bits - 3) >
                           QCOW_MAX_L1_SIZE / sizeof(uint64_t)) {
        error_setg(errp, "The image size is too large for file format 'qcow2' "
                   "(try using a larger cluster size)");
        return false;
    }
    if ((v = opt(opts, "compat"))) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
            p->version = 2;
        } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
            p->version = 3;
        } else {
            error_setg(errp, "Parameter 'compat' does not accept value '%s'", v);
            return false;
        }
    }
    if (opt(opts, "refcount_bits")) {
        uint64_t bits = qemu_opt_get_number(opts->opts, "refcount_bits", 16);

        if (bits < 1 || bits > 64 || (bits & (bits - 1))) {
            error_setg(errp, "Refcount width must be a power of two and may not exceed "
                       "64 bits");
            return false;
        }
        p->refcount_order = __builtin_ctzll(bits);
        if (p->version < 3 && bits != 16) {
            error_setg(errp, "Different refcount widths than 16 bits require "
                       "compatibility level 1.1 or above (use version=v3 or greater)");
            return false;
        }
    }
    if (opt(opts, "lazy_refcounts")) {
        p->lazy_refcounts = qemu_opt_get_bool(opts->opts, "lazy_refcounts", false);
        if (p->lazy_refcounts && p->version < 3) {
            error_setg(errp, "Lazy refcounts only supported with compatibility level 1.1 "
                       "and above (use version=v3 or greater)");
            return false;
        }
    }
    if ((v = opt(opts, "preallocation"))) {
        p->prealloc = !strcmp(v, "metadata") ? PREALLOC_MODE_METADATA
                      : !strcmp(v, "falloc") ? PREALLOC_MODE_FALLOC
                      : !strcmp(v, "full")   ? PREALLOC_MODE_FULL : PREALLOC_MODE_OFF;
    }
    p->backing_file = opt(opts, "backing_file");
    p->backing_fmt = opt(opts, "backing_fmt");
    if (p->backing_file && strlen(p->backing_file) > QCOW_MAX_BACKING_NAME) {
        error_setg(errp, "Backing file name too long");
        return false;
    }
    if (p->backing_fmt && strlen(p->backing_fmt) >= 16) {
        error_setg(errp, "Backing format name too long");
        return false;
    }
    if (p->backing_file && p->prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Backing file and preallocation can only be used at the same time "
                   "if preallocation=off");
        return false;
    }
    return true;
}

/* The backing file's size, for "create -b base" without a size. */
static int64_t backing_size(const char *filename, const char *backing, const char *fmt,
                            Error **errp)
{
    g_autofree char *dir = g_path_get_dirname(filename);
    g_autofree char *path = g_path_is_absolute(backing) ? g_strdup(backing)
                                                        : g_build_filename(dir, backing, NULL);
    g_autoptr(GHashTable) opts = bdrv_options_new();
    BlockDriverState *bs;
    int64_t len;

    /* Only the size is read: a running VM may have the file open. */
    g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
    bs = bdrv_open_opts(path, fmt, BDRV_O_NO_BACKING | BDRV_O_NO_IO, opts, errp);

    if (!bs) {
        error_prepend(errp, "Could not open backing file: ");
        return -EINVAL;
    }
    len = bdrv_getlength(bs);
    bdrv_unref(bs);
    return len;
}

static int write_initial_image(const char *filename, const Qcow2CreateParams *p,
                               Error **errp)
{
    BDRVQcow2State tmp = { .cluster_bits = p->cluster_bits,
                           .refcount_order = p->refcount_order };
    int64_t cs = 1LL << p->cluster_bits;
    g_autofree uint8_t *buf = g_malloc0(3 * cs);
    uint8_t *h = buf;
    int fd, ret = 0;

#define PUT32(off, v) stbe32(h + (off), (v))
#define PUT64(off, v) stbe64(h + (off), (v))
    PUT32(0, QCOW_MAGIC);
    PUT32(4, p->version);
    PUT32(20, p->cluster_bits);
    PUT64(48, cs);                 /* refcount table in cluster 1 */
    PUT32(56, 1);
    if (p->version >= 3) {
        PUT64(80, p->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0);
        PUT32(96, p->refcount_order);
        PUT32(100, QCOW2_HDR_LENGTH);
    }
#undef PUT32
#undef PUT64
    stbe64(buf + cs, 2 * cs); /* first refcount block */
    qcow2_set_refcount_funcs(&tmp);
    for (int i = 0; i < 3; i++) {
        tmp.set_refcount(buf + 2 * cs, i, 1);
    }

    fd = open(filename, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not create '%s'", filename);
        return -errno;
    }
    if (pwrite(fd, buf, 3 * cs, 0) != 3 * cs) {
        ret = -errno;
        error_setg_errno(errp, errno, "Could not write '%s'", filename);
    }
    close(fd);
    return ret;
}

typedef struct Qcow2CreateCo {
    const Qcow2CreateParams *p;
    Error **errp;
} Qcow2CreateCo;

static int coroutine_fn qcow2_create_finish_co(BlockDriverState *bs, void *opaque)
{
    Qcow2CreateCo *c = opaque;
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (c->p->backing_file) {
        s->image_backing_file = g_strdup(c->p->backing_file);
        s->image_backing_format = c->p->backing_fmt ? g_strdup(c->p->backing_fmt) : NULL;
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(c->errp, -ret, "Could not write qcow2 header");
        return ret;
    }
    return qcow2_co_truncate(bs, c->p->size, false, c->p->prealloc, c->errp);
}

int qcow2_co_create_opts(BlockCreateOpts *opts, Error **errp)
{
    Qcow2CreateParams p;
    Qcow2CreateCo c = { .p = &p, .errp = errp };
    BlockDriverState *bs;
    int ret;

    if (!parse_create_opts(opts, &p, errp)) {
        return -EINVAL;
    }
    if (p.size < 0 && p.backing_file) {
        p.size = backing_size(opts->filename, p.backing_file, p.backing_fmt, errp);
        if (p.size < 0) {
            return -EINVAL;
        }
    }
    if (p.size < 0) {
        error_setg(errp, "Image size must be specified");
        return -EINVAL;
    }
    p.size = (p.size + BDRV_SECTOR_SIZE - 1) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
    /* The file protocol creates (or empties) the file only once the image
     * locks say nobody has it open. */
    ret = bdrv_file.bdrv_create(&(BlockCreateOpts){ .filename = opts->filename }, errp);
    if (ret < 0) {
        return ret;
    }
    ret = write_initial_image(opts->filename, &p, errp);
    if (ret < 0) {
        return ret;
    }
    /* Nobody uses the image yet: skip the ordering flushes, sync once at the end. */
    bs = bdrv_open(opts->filename, "qcow2",
                   BDRV_O_RDWR | BDRV_O_NO_BACKING | BDRV_O_NO_FLUSH, errp);
    if (!bs) {
        return -EIO;
    }
    ret = qcow2_run_co(bs, qcow2_create_finish_co, &c);
    bdrv_unref(bs);
    if (ret >= 0) {
        int fd = open(opts->filename, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fdatasync(fd) < 0) {
            ret = -errno;
            error_setg_errno(errp, errno, "Could not sync '%s'", opts->filename);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    return ret;
}
