/*
 * qcow2 amend (qemu-img amend -o): the options an existing image can
 * change: compat (v2 <-> v3), lazy_refcounts, size, refcount_bits; the
 * backing file only as it is (rebase changes it).  Everything is checked
 * before anything is written.
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

/* The keys amend takes, in the order qemu-img lists them. */
const QemuOptDesc qcow2_amend_opts[] = {
    { .name = "backing_file", .type = QEMU_OPT_STRING, .help = "File name of a base image" },
    { .name = "backing_fmt", .type = QEMU_OPT_STRING, .help = "Image format of the base image" },
    { .name = "compat", .type = QEMU_OPT_STRING,
      .help = "Compatibility level (v2 [0.10] or v3 [1.1])" },
    { .name = "data_file", .type = QEMU_OPT_STRING, .help = "File name of an external data file" },
    { .name = "data_file_raw", .type = QEMU_OPT_BOOL,
      .help = "The external data file must stay valid as a raw image" },
    { .name = "encrypt.iter-time", .type = QEMU_OPT_NUMBER,
      .help = "Time to spend in PBKDF in milliseconds" },
    { .name = "encrypt.keyslot", .type = QEMU_OPT_NUMBER,
      .help = "Select a single keyslot to modify explicitly" },
    { .name = "encrypt.new-secret", .type = QEMU_OPT_STRING,
      .help = "New secret to set in the matching keyslots. Empty string to erase" },
    { .name = "encrypt.old-secret", .type = QEMU_OPT_STRING,
      .help = "Select all keyslots that match this password" },
    { .name = "encrypt.state", .type = QEMU_OPT_STRING,
      .help = "Select new state of affected keyslots (active/inactive)" },
    { .name = "lazy_refcounts", .type = QEMU_OPT_BOOL, .help = "Postpone refcount updates" },
    { .name = "refcount_bits", .type = QEMU_OPT_NUMBER,
      .help = "Width of a reference count entry in bits" },
    { .name = "size", .type = QEMU_OPT_SIZE, .help = "Virtual disk size" },
    { NULL },
};

typedef struct Qcow2AmendParams {
    int version;
    int refcount_order;
    bool lazy_refcounts;
    bool has_size;
    uint64_t size;
} Qcow2AmendParams;

static bool amend_params(BlockDriverState *bs, QemuOpts *opts, Qcow2AmendParams *p,
                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    const char *v, *file, *fmt;

    *p = (Qcow2AmendParams){ .version = s->qcow_version, .refcount_order = s->refcount_order,
                             .lazy_refcounts = s->use_lazy_refcounts };
    if ((v = qemu_opt_get(opts, "compat"))) {
        if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
            p->version = 2;
        } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
            p->version = 3;
        } else {
            error_setg(errp, "Unknown compatibility level %s", v);
            return false;
        }
    }
    file = qemu_opt_get(opts, "backing_file");
    fmt = qemu_opt_get(opts, "backing_fmt");
    if ((file || fmt) && (g_strcmp0(file, s->image_backing_file) ||
                          g_strcmp0(fmt, s->image_backing_format))) {
        /* qemu-img's hint as a second line of the message */
        error_setg(errp, "Cannot amend the backing file\nYou can use 'qemu-img rebase' "
                   "instead.");
        return false;
    }
    if (qemu_opt_get(opts, "data_file")) {
        error_setg(errp, "data-file can only be set for images that use an external data file");
        return false;
    }
    if (qemu_opt_get(opts, "data_file_raw")) {
        error_setg(errp, "data-file-raw cannot be set on existing images");
        return false;
    }
    for (const char *const *k = (const char *const[]){ "encrypt.iter-time", "encrypt.keyslot",
                                                     "encrypt.new-secret", "encrypt.old-secret",
                                                     "encrypt.state", NULL };
         *k; k++) {
        if (qemu_opt_get(opts, *k)) {
            error_setg(errp, "Can't amend encryption options - encryption not present");
            return false;
        }
    }
    if (qemu_opt_get(opts, "size")) {
        /* as qemu-img: size=0 leaves the size alone */
        p->size = qemu_opt_get_size(opts, "size", 0);
        p->has_size = p->size != 0;
        if (p->size % BDRV_SECTOR_SIZE) {
            error_setg(errp, "The new size must be a multiple of 512");
            return false;
        }
    }
    if (qemu_opt_get(opts, "lazy_refcounts")) {
        p->lazy_refcounts = qemu_opt_get_bool(opts, "lazy_refcounts", false);
    }
    if (qemu_opt_get(opts, "refcount_bits")) {
        uint64_t bits = qemu_opt_get_number(opts, "refcount_bits", 16);

        if (bits < 1 || bits > 64 || (bits & (bits - 1))) {
            error_setg(errp, "Refcount width must be a power of two and may not exceed "
                       "64 bits");
            return false;
        }
        p->refcount_order = __builtin_ctzll(bits);
    }
    if (p->lazy_refcounts && p->version < 3) {
        error_setg(errp, "Lazy refcounts only supported with compatibility level 1.1 and "
                   "above (use compat=1.1 or greater)");
        return false;
    }
    if (p->version < 3 && p->refcount_order != 4) {
        error_setg(errp, p->refcount_order != s->refcount_order
                             ? "Refcount widths other than 16 bits require compatibility "
                               "level 1.1 or above (use compat=1.1 or greater)"
                             : "compat=0.10 requires refcount_bits=16");
        return false;
    }
    return true;
}

/*
 * v2 has no zero flag (spec: bit 0 of a standard L2 entry is v3 only):
 * zero clusters become unallocated where nothing shows through, and
 * clusters of zeroes where a backing file would.
 */
static int coroutine_fn expand_zero_clusters(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *zeros = g_malloc0(s->cluster_size);

    for (uint64_t offset = 0; offset < s->size;) {
        uint64_t bytes = s->size - offset, host, l2e;
        QCow2ClusterType type;
        int ret;

        qemu_co_mutex_lock(&s->lock);
        ret = qcow2_get_host_offset(bs, offset, &bytes, &host, &type, &l2e);
        if (ret == 0 && !bs->backing &&
            (type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC)) {
            ret = qcow2_cluster_discard(bs, offset, bytes, true);
        }
        qemu_co_mutex_unlock(&s->lock);
        if (ret < 0) {
            return ret;
        }
        if (bs->backing && (type == QCOW2_CLUSTER_ZERO_PLAIN ||
                            type == QCOW2_CLUSTER_ZERO_ALLOC)) {
            for (uint64_t o = offset; o < offset + bytes; o += s->cluster_size) {
                QEMUIOVector qiov;
                uint64_t n = MIN((uint64_t)s->cluster_size, s->size - o);

                qemu_iovec_init_buf(&qiov, zeros, n);
                ret = qcow2_co_pwritev_part(bs, o, n, &qiov, 0, 0);
                if (ret < 0) {
                    return ret;
                }
            }
        }
        offset += bytes;
    }
    return 0;
}

typedef struct Qcow2AmendCo {
    const Qcow2AmendParams *p;
    Error **errp;
} Qcow2AmendCo;

static int coroutine_fn amend_co(BlockDriverState *bs, void *opaque)
{
    Qcow2AmendCo *c = opaque;
    const Qcow2AmendParams *p = c->p;
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (p->refcount_order != s->refcount_order) {
        ret = qcow2_change_refcount_order(bs, p->refcount_order, c->errp);
        if (ret < 0) {
            return ret;
        }
    }
    if (p->version < s->qcow_version) {
        ret = expand_zero_clusters(bs);
        if (ret < 0) {
            error_setg_errno(c->errp, -ret, "Failed to turn zero into data clusters");
            return ret;
        }
    }
    qemu_co_mutex_lock(&s->lock);
    ret = qcow2_co_flush_caches(bs);
    if (ret == 0 && (s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        /* what lazy refcounts postponed is written now */
        ret = qcow2_mark_clean(bs);
    }
    if (ret == 0) {
        s->qcow_version = p->version;
        s->use_lazy_refcounts = p->lazy_refcounts;
        if (p->lazy_refcounts) {
            s->compatible_features |= QCOW2_COMPAT_LAZY_REFCOUNTS;
        } else {
            s->compatible_features &= ~QCOW2_COMPAT_LAZY_REFCOUNTS;
        }
        if (s->qcow_version < 3) {
            /* v2 headers have no feature fields: nothing to keep */
            s->compatible_features = 0;
        }
        ret = qcow2_update_header(bs);
    }
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        error_setg_errno(c->errp, -ret, "Failed to update the image header");
        return ret;
    }
    if (p->has_size && p->size != s->size) {
        ret = qcow2_co_truncate(bs, p->size, false, PREALLOC_MODE_OFF, c->errp);
    }
    return ret;
}

int qcow2_amend_options(BlockDriverState *bs, QemuOpts *opts, Error **errp)
{
    Qcow2AmendParams p;
    Qcow2AmendCo c = { .p = &p, .errp = errp };

    if (!amend_params(bs, opts, &p, errp)) {
        return -EINVAL;
    }
    return qcow2_run_co(bs, amend_co, &c);
}
