/*
 * qcow2 measure: the host size of a qcow2 image of a given virtual size
 * (every cluster allocated) and of one holding a source image's data.
 * Metadata counted as qemu-img counts it: the header cluster, L2 tables
 * for every cluster, the L1 table in whole clusters, and the refcount
 * table and blocks covering all of that and themselves (qcow2 spec,
 * "Host cluster management").
 */
#include <errno.h>
#include <string.h>

#include "qcow2.h"

extern const BlockDriver bdrv_qcow2;

static uint64_t div_round_up(uint64_t n, uint64_t d)
{
    return (n + d - 1) / d;
}

static uint64_t round_up(uint64_t n, uint64_t d)
{
    return div_round_up(n, d) * d;
}

/* Refcount blocks and table (in clusters) that cover clusters plus
 * themselves: each round adds what the previous one needs counted. */
static uint64_t refcount_clusters(uint64_t clusters, uint64_t cluster_size, int refcount_order)
{
    uint64_t per_block = cluster_size * 8 >> refcount_order;
    uint64_t per_table_cluster = cluster_size / 8;
    uint64_t blocks = 0, table = 0;

    for (;;) {
        uint64_t nb = div_round_up(clusters + blocks + table, per_block);
        uint64_t nt = div_round_up(nb, per_table_cluster);

        if (nb == blocks && nt == table) {
            return blocks + table;
        }
        blocks = nb;
        table = nt;
    }
}

/* Every byte of metadata, for an image of virtual size size. */
static uint64_t metadata_size(uint64_t size, uint64_t cluster_size, int refcount_order,
                              bool extended_l2)
{
    uint64_t l2e = extended_l2 ? 16 : 8;
    uint64_t aligned = round_up(size, cluster_size);
    uint64_t l2_entries = round_up(aligned / cluster_size, cluster_size / l2e);
    uint64_t l1_entries = round_up(l2_entries * l2e / cluster_size, cluster_size / 8);
    uint64_t meta = cluster_size + l2_entries * l2e + l1_entries * 8;

    return meta + refcount_clusters(meta / cluster_size + aligned / cluster_size, cluster_size,
                                    refcount_order) * cluster_size;
}

typedef struct Qcow2MeasureParams {
    uint64_t cluster_size;
    int refcount_order;
    bool extended_l2;
    bool full_prealloc; /* falloc or full: every cluster is there */
    bool has_backing;   /* the image would have a backing file */
    int version;
} Qcow2MeasureParams;

/* The create options measure looks at, with qemu-img measure's words. */
static bool measure_params(QemuOpts *opts, Qcow2MeasureParams *p, Error **errp)
{
    const char *v;

    *p = (Qcow2MeasureParams){ .cluster_size = 65536, .refcount_order = 4, .version = 3 };
    if (!opts) {
        return true;
    }
    if (qemu_opt_get(opts, "cluster_size")) {
        uint64_t n = qemu_opt_get_size(opts, "cluster_size", 0);

        if (n < 512 || n > (2 << 20) || (n & (n - 1))) {
            error_setg(errp, "Cluster size must be a power of two between 512 and 2048k");
            return false;
        }
        p->cluster_size = n;
    }
    if ((v = qemu_opt_get(opts, "preallocation"))) {
        if (!strcmp(v, "falloc") || !strcmp(v, "full")) {
            p->full_prealloc = true;
        } else if (strcmp(v, "off") && strcmp(v, "metadata")) {
            error_setg(errp, "invalid parameter value: %s", v);
            return false;
        }
    }
    if ((v = qemu_opt_get(opts, "compat"))) {
        if (!strcmp(v, "0.10")) {
            p->version = 2;
        } else if (strcmp(v, "1.1")) {
            error_setg(errp, "Invalid compatibility level: '%s'", v);
            return false;
        }
    }
    p->extended_l2 = qemu_opt_get_bool(opts, "extended_l2", false);
    if (p->extended_l2 && p->cluster_size < 16384) {
        /* spec: subclusters are cluster_size / 32, at least 512 bytes */
        error_setg(errp, "Extended L2 entries are only supported with cluster sizes of at "
                   "least 16384 bytes");
        return false;
    }
    p->has_backing = qemu_opt_get(opts, "backing_file") != NULL;
    if (qemu_opt_get(opts, "refcount_bits")) {
        uint64_t bits = qemu_opt_get_number(opts, "refcount_bits", 16);

        if (bits < 1 || bits > 64 || (bits & (bits - 1))) {
            error_setg(errp, "Refcount width must be a power of two and may not exceed "
                       "64 bits");
            return false;
        }
        if (p->version < 3 && bits != 16) {
            error_setg(errp, "Different refcount widths than 16 bits require compatibility "
                       "level 1.1 or above (use compat=1.1 or greater)");
            return false;
        }
        p->refcount_order = __builtin_ctzll(bits);
    }
    return true;
}

int qcow2_measure(QemuOpts *opts, BlockDriverState *in_bs, int64_t size,
                  BlockMeasureInfo *info, Error **errp)
{
    Qcow2MeasureParams p;
    uint64_t l2e, meta;

    if (!measure_params(opts, &p, errp)) {
        return -EINVAL;
    }
    if (in_bs) {
        size = bdrv_getlength(in_bs);
        if (size < 0) {
            error_setg_errno(errp, -size, "Unable to get image virtual_size");
            return size;
        }
    }
    /* The L1 table that would map it must fit qcow2's limit. */
    l2e = p.extended_l2 ? 16 : 8;
    if (div_round_up(div_round_up(size, p.cluster_size), p.cluster_size / l2e) * 8 >
        QCOW_MAX_L1_SIZE) {
        error_setg(errp, "The image size is too large (try using a larger cluster size)");
        return -EFBIG;
    }
    meta = metadata_size(size, p.cluster_size, p.refcount_order, p.extended_l2);
    info->fully_allocated = meta + round_up(size, p.cluster_size);
    /* With a backing file, nobody knows how much of the source the backing
     * chain holds already: assume none. */
    if (p.full_prealloc || (in_bs && p.has_backing)) {
        info->required = info->fully_allocated;
    } else if (in_bs) {
        int64_t n = bdrv_measure_data_bytes(in_bs, p.cluster_size);

        if (n < 0) {
            error_setg_errno(errp, -n, "Unable to get block status");
            return n;
        }
        info->required = meta + n;
    } else {
        info->required = meta;
    }
    /* A v2 target keeps no bitmaps; a v2 source has none. */
    if (in_bs && p.version >= 3 && in_bs->drv == &bdrv_qcow2 &&
        ((BDRVQcow2State *)in_bs->opaque)->qcow_version >= 3) {
        info->has_bitmaps = true;
        info->bitmaps = qcow2_bitmaps_measure(in_bs, p.cluster_size);
    }
    return 0;
}
