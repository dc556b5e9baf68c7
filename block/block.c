/*
 * Block node graph: the driver list, format probing, opening a format node
 * over its "file" protocol node, backing chains, reference counting.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/aio.h"
#include "block_int.h"
#include "qemu/main-loop.h"
#include "trace/trace.h"

extern const BlockDriver bdrv_file;
extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;
extern const BlockDriver bdrv_blkdebug;
extern const BlockDriver bdrv_null_co;
extern const BlockDriver bdrv_null_aio;

/* Probe order; a new format is one line here. */
static const BlockDriver *const block_drivers[] = {
    &bdrv_file,
    &bdrv_raw,
    &bdrv_qcow2,
    &bdrv_blkdebug,
    &bdrv_null_co,
    &bdrv_null_aio,
    NULL,
};

/* The same drivers by name (kept in step by test-block-options). */
const char *const bdrv_format_names[] = { "file", "raw", "qcow2", "blkdebug", "null-co",
                                          "null-aio", NULL };

/* Bytes handed to bdrv_probe, as much as any format needs to recognise
 * its header. */
#define BLOCK_PROBE_BUF_SIZE 2048

/* Deeper chains are certainly a mistake (and would exhaust stack and fds). */
#define BACKING_CHAIN_MAX_DEPTH 64

const BlockDriver *const *bdrv_drivers(void)
{
    return block_drivers;
}

const BlockDriver *bdrv_find_format(const char *format_name)
{
    for (int i = 0; block_drivers[i]; i++) {
        if (!strcmp(block_drivers[i]->format_name, format_name)) {
            return block_drivers[i];
        }
    }
    return NULL;
}

AioContext *bdrv_get_aio_context(BlockDriverState *bs)
{
    return bs->aio_context ? bs->aio_context : qemu_get_aio_context();
}

BdrvChild *bdrv_child_new(BlockDriverState *bs, const char *name)
{
    BdrvChild *child = g_new0(BdrvChild, 1);
    child->bs = bs;
    child->name = name;
    bs->refcnt++;
    return child;
}

void bdrv_child_free(BdrvChild *child)
{
    if (child) {
        bdrv_unref(child->bs);
        g_free(child);
    }
}

static BlockDriverState *bdrv_new(const BlockDriver *drv, const char *filename, int flags)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->opaque = drv->instance_size ? g_malloc0(drv->instance_size) : NULL;
    bs->filename = g_strdup(filename);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->request_alignment = 1;
    bs->aio_context = qemu_get_aio_context();
    bs->tracked_requests_queue = g_new0(CoQueue, 1);
    qemu_co_queue_init(bs->tracked_requests_queue);
    bs->refcnt = 1;
    return bs;
}

static void bdrv_free(BlockDriverState *bs)
{
    g_free(bs->tracked_requests_queue);
    g_free(bs->opaque);
    g_free(bs->filename);
    g_free(bs);
}

/* Caches the size so the request path does not ask the driver (fstat). */
static int bdrv_refresh_total_sectors(BlockDriverState *bs)
{
    if (bs->drv->bdrv_getlength) {
        int64_t len = bs->drv->bdrv_getlength(bs);
        if (len < 0) {
            return len;
        }
        bs->total_sectors = (len + BDRV_SECTOR_SIZE - 1) >> BDRV_SECTOR_BITS;
    }
    return 0;
}

int64_t bdrv_nb_sectors(BlockDriverState *bs)
{
    return bs->drv ? bs->total_sectors : -ENOMEDIUM;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    int64_t sectors = bdrv_nb_sectors(bs);
    return sectors < 0 ? sectors : sectors * (int64_t)BDRV_SECTOR_SIZE;
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    if (bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    return bs->file ? bdrv_get_allocated_file_size(bs->file->bs) : -ENOTSUP;
}

int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    return bs->drv->bdrv_get_info ? bs->drv->bdrv_get_info(bs, bdi) : -ENOTSUP;
}

bool bdrv_create(const BlockDriver *drv, BlockCreateOpts *opts, Error **errp)
{
    if (!drv->bdrv_create) {
        error_setg(errp, "Format '%s' does not support image creation", drv->format_name);
        return false;
    }
    /* Before anything is written: a refused option leaves no file. */
    if (opts->opts) {
        g_autofree QemuOptDesc *desc = bdrv_create_opts_merged(drv);

        if (!qemu_opts_validate(opts->opts, desc, errp)) {
            return false;
        }
    }
    return drv->bdrv_create(opts, errp) >= 0;
}

/*
 * The flag keys every node takes (QEMU's generic block options):
 * cache.direct, cache.no-flush and discard.  A format node takes them
 * before its file is opened, so the file inherits them; the file's own
 * keys (file.cache.direct, ...) then apply to it alone.
 */
static bool bdrv_take_flag_opts(GHashTable *options, int *flags, Error **errp)
{
    bool direct = *flags & BDRV_O_NOCACHE, no_flush = *flags & BDRV_O_NO_FLUSH;
    g_autofree char *discard = bdrv_opt_take_str(options, "discard");

    if (!bdrv_opt_take_bool(options, "cache.direct", &direct, errp) ||
        !bdrv_opt_take_bool(options, "cache.no-flush", &no_flush, errp)) {
        return false;
    }
    *flags = (*flags & ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)) | (direct ? BDRV_O_NOCACHE : 0) |
             (no_flush ? BDRV_O_NO_FLUSH : 0);
    if (discard) {
        if (!strcmp(discard, "unmap") || !strcmp(discard, "on")) {
            *flags |= BDRV_O_UNMAP;
        } else if (!strcmp(discard, "ignore") || !strcmp(discard, "off")) {
            *flags &= ~BDRV_O_UNMAP;
        } else {
            error_setg(errp, "Invalid discard option");
            return false;
        }
    }
    return true;
}

/* detect-zeroes=off|on|unmap, per node. */
static bool bdrv_take_detect_zeroes(BlockDriverState *bs, Error **errp)
{
    static const char *const modes[] = { "off", "on", "unmap" };
    g_autofree char *mode = bdrv_opt_take_str(bs->options, "detect-zeroes");

    if (!mode) {
        return true;
    }
    for (int i = 0; i < 3; i++) {
        if (!strcmp(mode, modes[i])) {
            bs->detect_zeroes = i;
            return true;
        }
    }
    error_setg(errp, "invalid parameter value: %s", mode);
    return false;
}

/* force-share=on|off, a key of every node (QEMU's generic option); the
 * node's children inherit it. */
static int bdrv_take_force_share(BlockDriverState *bs, Error **errp)
{
    bool force_share = bs->force_share;

    if (!bdrv_opt_take_bool(bs->options, "force-share", &force_share, errp)) {
        return -EINVAL;
    }
    if (force_share && !bs->read_only) {
        error_setg(errp, "force-share=on can only be used with read-only images");
        return -EINVAL;
    }
    bs->force_share = force_share;
    if (bs->file) {
        bs->file->bs->force_share |= force_share;
    }
    return 0;
}

/* Lets drv take its keys from options (owned) while it opens; what it
 * leaves fails the open.  prefix is how the user wrote the keys.  A format
 * node gets its permissions (perm, shared: what its user takes) first, so
 * its file is locked before the driver reads the header. */
static int bdrv_open_driver(BlockDriverState *bs, GHashTable *options, const char *prefix,
                            uint64_t perm, uint64_t shared, Error **errp)
{
    int ret;

    bs->options = options ? options : bdrv_options_new();
    ret = bdrv_take_force_share(bs, errp);
    if (ret == 0 && (!bdrv_take_flag_opts(bs->options, &bs->open_flags, errp) ||
                     !bdrv_take_detect_zeroes(bs, errp))) {
        ret = -EINVAL;
    }
    if (ret < 0) {
        g_clear_pointer(&bs->options, g_hash_table_unref);
        return ret;
    }
    if (bs->file && !bdrv_refresh_perms(bs, perm, shared, errp)) {
        g_clear_pointer(&bs->options, g_hash_table_unref);
        return -EPERM;
    }
    if (bs->drv->bdrv_file_open) {
        ret = bs->drv->bdrv_file_open(bs, bs->filename, bs->open_flags, errp);
    } else {
        ret = bs->drv->bdrv_open(bs, bs->open_flags, errp);
    }
    if (ret >= 0 && !bdrv_options_check_consumed(bs->options, bs->drv, prefix, errp)) {
        if (bs->drv->bdrv_close) {
            bs->drv->bdrv_close(bs);
        }
        ret = -EINVAL;
    }
    g_clear_pointer(&bs->options, g_hash_table_unref);
    return ret;
}

/* The protocol driver that a "driver" key names (NULL: chosen by the file
 * name: the driver whose protocol_name prefixes it, else file). */
static const BlockDriver *bdrv_find_protocol(const char *filename, const char *driver,
                                             Error **errp)
{
    for (int i = 0; block_drivers[i]; i++) {
        const BlockDriver *drv = block_drivers[i];

        if (!drv->bdrv_file_open) {
            continue;
        }
        if (driver ? !strcmp(drv->format_name, driver)
                   : drv->protocol_name && filename &&
                     g_str_has_prefix(filename, drv->protocol_name)) {
            return drv;
        }
    }
    if (driver) {
        error_setg(errp, "Unknown protocol driver '%s'", driver);
        return NULL;
    }
    return &bdrv_file;
}

/* Takes no permissions: the format node over it does (bdrv_open_driver),
 * or bdrv_open_inherit when it is the top node.  options' "driver" key,
 * if any, names the protocol driver. */
static BlockDriverState *bdrv_open_protocol(const char *filename, int flags,
                                            GHashTable *options, const char *prefix,
                                            Error **errp)
{
    g_autofree char *driver = options ? bdrv_opt_take_str(options, "driver") : NULL;
    const BlockDriver *drv = bdrv_find_protocol(filename, driver, errp);
    BlockDriverState *bs;
    int ret;

    if (!drv || (!filename && drv == &bdrv_file)) {
        if (drv) {
            error_setg(errp, "No file name given (filename= or file.filename=)");
        }
        if (options) {
            g_hash_table_unref(options);
        }
        return NULL;
    }
    bs = bdrv_new(drv, filename, flags);
    ret = bdrv_open_driver(bs, options, prefix, 0, BLK_PERM_ALL, errp);

    if (ret >= 0) {
        ret = bdrv_refresh_total_sectors(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not get the size of '%s'", filename);
        }
    }
    if (ret < 0) {
        bdrv_child_free(bs->file);
        bdrv_free(bs);
        return NULL;
    }
    return bs;
}

BlockDriverState *bdrv_open_child_protocol(const char *filename, int flags,
                                           GHashTable *options, const char *prefix,
                                           Error **errp)
{
    return bdrv_open_protocol(filename, flags, options, prefix, errp);
}

/* Like qemu-img: the highest bdrv_probe score wins; raw answers 1. */
static const BlockDriver *bdrv_probe_format(BlockDriverState *file, Error **errp)
{
    uint8_t buf[BLOCK_PROBE_BUF_SIZE] = { 0 };
    int64_t len = bdrv_getlength(file);
    int size = (int)MIN(len, (int64_t)sizeof(buf));
    const BlockDriver *best = NULL;
    int best_score = 0;
    BdrvChild child = { .bs = file, .name = "file" };

    if (size > 0) {
        int ret = bdrv_pread(&child, 0, size, buf, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read image for determining its format");
            return NULL;
        }
    }
    for (int i = 0; block_drivers[i]; i++) {
        const BlockDriver *drv = block_drivers[i];
        int score;
        if (!drv->bdrv_probe) {
            continue;
        }
        score = drv->bdrv_probe(buf, size, file->filename);
        if (score > best_score) {
            best_score = score;
            best = drv;
        }
    }
    if (!best) {
        error_setg(errp, "Could not determine image format");
    }
    return best;
}

static int bdrv_open_backing(BlockDriverState *bs, int flags, GHashTable *options,
                             Error **errp);
static void bdrv_close_node(BlockDriverState *bs);

/* How the user names a node's keys: "backing." once per level down. */
static char *bdrv_options_prefix(int backing_depth)
{
    GString *prefix = g_string_new("");

    for (int i = 0; i < backing_depth; i++) {
        g_string_append(prefix, "backing.");
    }
    return g_string_free(prefix, false);
}

/* options: owned, may be NULL; "file.X" keys go to the protocol node,
 * "backing.X" to the backing file's node.  (perm, shared): what the node's
 * user takes, the opener's or the parent's (block-perm.c). */
static BlockDriverState *bdrv_open_inherit(const char *filename, const char *fmt, int flags,
                                           BlockDriverState *parent, GHashTable *options,
                                           uint64_t perm, uint64_t shared, Error **errp)
{
    g_autoptr(GHashTable) format_opts = options ? options : bdrv_options_new();
    g_autoptr(GHashTable) backing_opts = bdrv_options_extract_prefix(format_opts, "backing.");
    g_autoptr(GHashTable) file_opts = bdrv_options_extract_prefix(format_opts, "file.");
    g_autofree char *prefix = bdrv_options_prefix(parent ? parent->backing_depth + 1 : 0);
    g_autofree char *file_prefix = g_strconcat(prefix, "file.", NULL);
    g_autofree char *backing_prefix = g_strconcat(prefix, "backing.", NULL);
    const BlockDriver *drv = NULL;
    BlockDriverState *file, *bs;
    int ret;

    if (fmt) {
        drv = bdrv_find_format(fmt);
        if (!drv) {
            error_setg(errp, "Unknown driver '%s'", fmt);
            return NULL;
        }
    }
    if (drv && drv->bdrv_file_open) {
        /* The protocol node is the top node: its keys have no prefix. */
        if (!bdrv_options_check_consumed(file_opts, drv, file_prefix, errp) ||
            !bdrv_options_check_consumed(backing_opts, drv, backing_prefix, errp)) {
            return NULL;
        }
        g_hash_table_insert(format_opts, g_strdup("driver"), g_strdup(drv->format_name));
        bs = bdrv_open_protocol(filename, flags, g_steal_pointer(&format_opts), prefix, errp);
        if (bs && !bdrv_refresh_perms(bs, perm, shared, errp)) {
            bdrv_close_node(bs);
            return NULL;
        }
        return bs;
    }
    if (!bdrv_take_flag_opts(format_opts, &flags, errp)) {
        return NULL;
    }
    /* The format node applies the discard policy; its file always passes
     * on what the format sends (freed clusters, pass-discard-*). */
    file = bdrv_open_protocol(filename, flags | BDRV_O_UNMAP, g_steal_pointer(&file_opts),
                              file_prefix, errp);
    if (!file) {
        return NULL;
    }
    filename = filename ? filename : file->filename;
    if (!drv) {
        drv = bdrv_probe_format(file, errp);
        if (!drv) {
            bdrv_unref(file);
            return NULL;
        }
    }
    trace_event(bdrv_open, "filename=%s format=%s flags=0x%x", filename, drv->format_name,
                flags);

    bs = bdrv_new(drv, filename, flags);
    bs->file = bdrv_child_new(file, "file");
    bdrv_unref(file); /* the child holds it now */
    bs->inherits_from = parent;
    bs->backing_depth = parent ? parent->backing_depth + 1 : 0;
    bs->force_share = parent && parent->force_share;
    ret = bdrv_open_driver(bs, g_steal_pointer(&format_opts), prefix, perm, shared, errp);
    if (ret >= 0) {
        ret = bdrv_refresh_total_sectors(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not get the size of '%s'", filename);
        }
    }
    if (ret < 0) {
        bdrv_child_free(bs->file);
        bdrv_free(bs);
        return NULL;
    }
    if (drv->supports_backing && bs->backing_file[0] && !bs->backing &&
        !(flags & BDRV_O_NO_BACKING)) {
        if (bdrv_open_backing(bs, flags, g_steal_pointer(&backing_opts), errp) < 0) {
            bdrv_unref(bs);
            return NULL;
        }
    } else if (g_hash_table_size(backing_opts)) {
        GHashTableIter it;
        gpointer key;

        g_hash_table_iter_init(&it, backing_opts);
        g_hash_table_iter_next(&it, &key, NULL);
        error_setg(errp, "Option '%s%s' given, but '%s' opens no backing file", backing_prefix,
                   (const char *)key, filename);
        bdrv_unref(bs);
        return NULL;
    }
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags, Error **errp)
{
    return bdrv_open_opts(filename, fmt, flags, NULL, errp);
}

/* Takes key out of options into *out; what, the same thing given as an
 * argument (arg) or by another key (*out), may not also be there. */
static bool bdrv_take_name(GHashTable *options, const char *key, const char *arg,
                           const char *what, char **out, Error **errp)
{
    char *value = bdrv_opt_take_str(options, key);

    if (!value) {
        return true;
    }
    if (*out || arg) {
        error_setg(errp, "Option '%s' and the %s cannot both be given", key, what);
        g_free(value);
        return false;
    }
    *out = value;
    return true;
}

/*
 * read-only and auto-read-only, keys of the top node: read-only=off makes
 * the node writable even when the opener asked for read-only, read-only=on
 * with an opener that writes fails.  duet never falls back to read-only,
 * so auto-read-only changes nothing.
 */
static bool bdrv_take_read_only(GHashTable *options, int *flags, Error **errp)
{
    bool read_only = !(*flags & BDRV_O_RDWR), asked = read_only, auto_ro = false;

    if (!bdrv_opt_take_bool(options, "read-only", &read_only, errp) ||
        !bdrv_opt_take_bool(options, "auto-read-only", &auto_ro, errp)) {
        return false;
    }
    if (read_only && !asked) {
        error_setg(errp, "Block node is read-only");
        return false;
    }
    *flags = read_only ? *flags & ~BDRV_O_RDWR : *flags | BDRV_O_RDWR;
    return true;
}

BlockDriverState *bdrv_open_opts(const char *filename, const char *fmt, int flags,
                                 GHashTable *options, Error **errp)
{
    GHashTable *opts = bdrv_options_copy(options);
    g_autofree char *opt_driver = NULL, *opt_filename = NULL, *file_driver = NULL;
    uint64_t perm, shared;

    if (!bdrv_take_name(opts, "driver", fmt, "format", &opt_driver, errp) ||
        !bdrv_take_name(opts, "filename", filename, "file name", &opt_filename, errp) ||
        !bdrv_take_name(opts, "file.filename", filename, "file name", &opt_filename,
                        errp)) {
        g_hash_table_unref(opts);
        return NULL;
    }
    if (!bdrv_take_read_only(opts, &flags, errp)) {
        g_hash_table_unref(opts);
        return NULL;
    }
    file_driver = g_strdup(g_hash_table_lookup(opts, "file.driver"));
    if (file_driver && !bdrv_find_protocol(NULL, file_driver, errp)) {
        g_hash_table_unref(opts);
        return NULL;
    }
    filename = filename ? filename : opt_filename;
    bdrv_opener_perm(flags, &perm, &shared);
    return bdrv_open_inherit(filename, fmt ? fmt : opt_driver, flags, NULL, opts, perm, shared,
                             errp);
}

/* The backing file name as the image states it, resolved against the
 * directory of the image that names it (as qemu-img does). */
static char *bdrv_backing_path(BlockDriverState *bs)
{
    if (g_path_is_absolute(bs->backing_file)) {
        return g_strdup(bs->backing_file);
    }
    g_autofree char *dir = g_path_get_dirname(bs->filename);
    if (!strcmp(dir, ".")) {
        return g_strdup(bs->backing_file);
    }
    return g_build_filename(dir, bs->backing_file, NULL);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int bdrv_open_backing_file(BlockDriverState *bs, int flags, Error **errp)
{
    return bdrv_open_backing(bs, flags, NULL, errp);
}

/* options: the backing node's keys (owned, may be NULL). */
static int bdrv_open_backing(BlockDriverState *bs, int flags, GHashTable *options,
                             Error **errp)
{
    g_autoptr(GHashTable) opts = options;
    g_autofree char *path = bdrv_backing_path(bs);
    const char *fmt = bs->backing_format[0] ? bs->backing_format : NULL;
    BlockDriverState *backing;
    uint64_t perm, shared;

    if (bs->backing_depth + 1 >= BACKING_CHAIN_MAX_DEPTH) {
        error_setg(errp, "Backing chain of '%s' is deeper than %d images (loop?)",
                   bs->filename, BACKING_CHAIN_MAX_DEPTH);
        return -ELOOP;
    }
    for (BlockDriverState *p = bs; p; p = p->inherits_from) {
        if (same_file(path, p->filename)) {
            error_setg(errp, "Backing file '%s' of '%s' creates a loop (it is '%s')",
                       bs->backing_file, bs->filename, p->filename);
            return -ELOOP;
        }
    }
    /* Backing files are only read, and kept from changing as the overlay's
     * users need (block-perm.c). */
    bdrv_child_perm(bs, BDRV_CHILD_BACKING, bs->perm, bs->shared_perm, &perm, &shared);
    backing = bdrv_open_inherit(path, fmt, flags & ~BDRV_O_RDWR, bs, g_steal_pointer(&opts),
                                perm, shared, errp);
    if (!backing) {
        /* Once, at the top of the chain, not at every level. */
        if (!bs->inherits_from) {
            error_prepend(errp, "Could not open backing file: ");
        }
        return -EINVAL;
    }
    bs->backing = bdrv_child_new(backing, "backing");
    bdrv_unref(backing);
    return 0;
}

static void bdrv_close_node(BlockDriverState *bs)
{
    bdrv_drain(bs);
    if (bs->drv->bdrv_close) {
        bs->drv->bdrv_close(bs);
    }
    bdrv_child_free(bs->backing);
    bdrv_child_free(bs->file);
    bdrv_free(bs);
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs || --bs->refcnt > 0) {
        return;
    }
    bdrv_close_node(bs);
}

/* ---- blkdebug hooks ---- */

const char *const blkdebug_event_names[BLKDBG__MAX] = {
    "l1_update", "l1_grow_alloc_table", "l1_grow_write_table", "l1_grow_activate_table",
    "l2_load", "l2_update", "l2_update_compressed", "l2_alloc_cow_read", "l2_alloc_write",
    "read_aio", "read_backing_aio", "read_compressed", "write_aio", "write_compressed",
    "vmstate_load", "vmstate_save", "cow_read", "cow_write", "reftable_load",
    "reftable_grow", "reftable_update", "refblock_load", "refblock_update",
    "refblock_update_part", "refblock_alloc", "refblock_alloc_hookup",
    "refblock_alloc_write", "refblock_alloc_write_blocks", "refblock_alloc_write_table",
    "refblock_alloc_switch_table", "cluster_alloc", "cluster_alloc_bytes", "cluster_free",
    "flush_to_os", "flush_to_disk", "pwritev_rmw_head", "pwritev_rmw_after_head",
    "pwritev_rmw_tail", "pwritev_rmw_after_tail", "pwritev", "pwritev_zero",
    "pwritev_done", "empty_image_prepare", "l1_shrink_write_table",
    "l1_shrink_free_l2_clusters", "cor_write", "cluster_alloc_space", "none",
};

void coroutine_fn bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent event)
{
    if (bs && bs->drv && bs->drv->bdrv_debug_event) {
        bs->drv->bdrv_debug_event(bs, event);
    }
}

/* Down the file children first, then the backing chain (QEMU's order). */
static BlockDriverState *bdrv_debug_node(BlockDriverState *bs)
{
    while (bs) {
        if (bs->drv->bdrv_debug_breakpoint) {
            return bs;
        }
        if (bs->file) {
            bs = bs->file->bs;
        } else if (bs->backing) {
            bs = bs->backing->bs;
        } else {
            return NULL;
        }
    }
    return NULL;
}

int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag)
{
    bs = bdrv_debug_node(bs);
    return bs ? bs->drv->bdrv_debug_breakpoint(bs, event, tag) : -ENOTSUP;
}

int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    bs = bdrv_debug_node(bs);
    return bs ? bs->drv->bdrv_debug_remove_breakpoint(bs, tag) : -ENOTSUP;
}

int bdrv_debug_resume(BlockDriverState *bs, const char *tag)
{
    bs = bdrv_debug_node(bs);
    return bs ? bs->drv->bdrv_debug_resume(bs, tag) : -ENOTSUP;
}

bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    bs = bdrv_debug_node(bs);
    return bs && bs->drv->bdrv_debug_is_suspended(bs, tag);
}

bool bdrv_debug_has_breakpoints(BlockDriverState *bs)
{
    return bdrv_debug_node(bs) != NULL;
}
