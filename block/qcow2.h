/*
 * qcow2 driver internals shared by block/qcow2*.c.
 *
 * On-disk structures are big-endian (docs: qcow2 specification).  The L1
 * and refcount tables are kept in memory in host order; L2 tables and
 * refcount blocks live in Qcow2Caches in their on-disk (big-endian) form.
 *
 * Concurrency: every metadata access happens with s->lock held.  Data I/O
 * to clusters that are already allocated runs without it.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "block_int.h"
#include "qemu/coroutine.h"

#define QCOW_MAGIC 0x514649fbU /* "QFI\xfb" */

#define MIN_CLUSTER_BITS 9
#define MAX_CLUSTER_BITS 21
#define MAX_REFCOUNT_ORDER 6

/* Limits that keep an image's tables from exhausting memory. */
#define QCOW_MAX_L1_SIZE          (32 * 1024 * 1024)  /* bytes */
#define QCOW_MAX_REFTABLE_SIZE    (8 * 1024 * 1024)   /* bytes */
#define QCOW_MAX_SNAPSHOTS        65536
#define QCOW_MAX_SNAPSHOTS_SIZE   (64 * 1024 * 1024)
#define QCOW_MAX_BACKING_NAME     1023                /* spec: < 1024 */
#define QCOW_MAX_VIRTUAL_SIZE     (1ULL << 55)

/* Header field offsets (spec "Header"). */
#define QCOW2_HDR_REFCOUNT_TABLE_OFFSET 48
#define QCOW2_HDR_INCOMPAT_FEATURES     72
#define QCOW2_HDR_V2_LENGTH             72
#define QCOW2_HDR_V3_MIN_LENGTH         104
#define QCOW2_HDR_LENGTH                112 /* what we write for v3 */

/* Header extension types. */
#define QCOW2_EXT_MAGIC_END             0x00000000
#define QCOW2_EXT_MAGIC_BACKING_FORMAT  0xe2792acaU
#define QCOW2_EXT_MAGIC_FEATURE_TABLE   0x6803f857U
#define QCOW2_EXT_MAGIC_BITMAPS         0x23852875U
#define QCOW2_EXT_MAGIC_DATA_FILE       0x44415441U
#define QCOW2_EXT_MAGIC_CRYPTO_HEADER   0x0537be77U

/* Feature bits. */
#define QCOW2_INCOMPAT_DIRTY            (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT          (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE        (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION      (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2            (1ULL << 4)
#define QCOW2_INCOMPAT_SUPPORTED        (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)
#define QCOW2_COMPAT_LAZY_REFCOUNTS     (1ULL << 0)
#define QCOW2_AUTOCLEAR_BITMAPS         (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW   (1ULL << 1)

/* L1/L2 entry bits (spec "Cluster mapping"). */
#define QCOW_OFLAG_COPIED     (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO       (1ULL << 0)
#define L1E_OFFSET_MASK       UINT64_C(0x00fffffffffffe00)
#define L2E_OFFSET_MASK       UINT64_C(0x00fffffffffffe00)
#define L2E_STD_RESERVED_MASK UINT64_C(0x3f000000000001fe)
#define L1E_RESERVED_MASK     UINT64_C(0x7f000000000001ff)
#define REFT_OFFSET_MASK      UINT64_C(0xfffffffffffffe00)
#define REFT_RESERVED_MASK    UINT64_C(0x1ff)

typedef enum QCow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,  /* zero flag, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,  /* zero flag, host cluster kept */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} QCow2ClusterType;

/* Why clusters are freed (QEMU's enum qcow2_discard_type). */
enum {
    QCOW2_DISCARD_OTHER,
    QCOW2_DISCARD_REQUEST,
    QCOW2_DISCARD_SNAPSHOT,
    QCOW2_DISCARD_NEVER,      /* the old clusters of an overwrite */
    QCOW2_DISCARD_MAX,
};

typedef struct Qcow2DiscardRange {
    int64_t offset;
    int64_t bytes;
} Qcow2DiscardRange;

/* Overlap-check metadata classes (QEMU's QCOW2_OL_*). */
enum {
    QCOW2_OL_MAIN_HEADER     = 1 << 0,
    QCOW2_OL_ACTIVE_L1       = 1 << 1,
    QCOW2_OL_ACTIVE_L2       = 1 << 2,
    QCOW2_OL_REFCOUNT_TABLE  = 1 << 3,
    QCOW2_OL_REFCOUNT_BLOCK  = 1 << 4,
    QCOW2_OL_SNAPSHOT_TABLE  = 1 << 5,
    QCOW2_OL_INACTIVE_L1     = 1 << 6,
    QCOW2_OL_INACTIVE_L2     = 1 << 7,
};
#define QCOW2_OL_NONE     0
#define QCOW2_OL_CONSTANT (QCOW2_OL_MAIN_HEADER | QCOW2_OL_ACTIVE_L1 | \
                           QCOW2_OL_REFCOUNT_TABLE | QCOW2_OL_SNAPSHOT_TABLE)
#define QCOW2_OL_CACHED   (QCOW2_OL_CONSTANT | QCOW2_OL_ACTIVE_L2 | \
                           QCOW2_OL_REFCOUNT_BLOCK | QCOW2_OL_INACTIVE_L1)
#define QCOW2_OL_ALL      (QCOW2_OL_CACHED | QCOW2_OL_INACTIVE_L2)

typedef struct QCowSnapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;            /* -1 when the entry's extra data lacks it */
    uint32_t extra_data_size;
    uint8_t *extra_data;        /* as read, written back as it was */
} QCowSnapshot;

/* A header extension we do not interpret, kept to be written back. */
typedef struct Qcow2UnknownHeaderExtension {
    uint32_t magic;
    uint32_t len;
    uint8_t data[];
} Qcow2UnknownHeaderExtension;

typedef struct Qcow2Cache Qcow2Cache;

typedef uint64_t Qcow2GetRefcountFunc(const void *block, uint64_t index);
typedef void Qcow2SetRefcountFunc(void *block, uint64_t index, uint64_t value);

typedef struct BDRVQcow2State {
    int qcow_version;
    int cluster_bits;
    int cluster_size;
    int l2_bits;      /* log2 of L2 entries per table */
    int l2_size;      /* entries per L2 table */
    uint64_t size;    /* guest-visible size in bytes */

    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t *l1_table;  /* host order */

    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits; /* log2 of entries per refcount block */
    int refcount_block_size;
    Qcow2GetRefcountFunc *get_refcount;
    Qcow2SetRefcountFunc *set_refcount;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_size;   /* entries */
    uint64_t *refcount_table;       /* host order */
    uint32_t refcount_table_used;   /* entries at and above are zero: bounds
                                     * the overlap check's scan */
    uint64_t free_cluster_index;    /* first-fit search hint */
    uint64_t free_byte_offset;      /* compressed-data allocation cursor */

    int csize_shift;                /* compressed descriptor: x */
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    Qcow2Cache *l2_table_cache;
    Qcow2Cache *refcount_block_cache;

    CoMutex lock;
    /* Allocating writes whose data is being written with the lock dropped
     * (QCow2AllocInFlight); an overlapping allocating write waits. */
    GQueue allocs_in_flight;

    uint32_t header_length;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    bool bitmaps_held;        /* truncate holds the bitmaps and stores them back */
    uint8_t compression_type;
    bool use_lazy_refcounts;
    bool dirty_marked;        /* we set the dirty bit this session */
    bool corrupt_signaled;    /* writes fail with -EIO from then on */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;
    QCowSnapshot *snapshots;

    int overlap_check;        /* QCOW2_OL_* mask */
    /* pass-discard-*: which frees reach the file as discards; what the
     * current operation frees counts as discard_type (default OTHER) and
     * is queued in discards until qcow2_process_discards */
    bool discard_passthrough[QCOW2_DISCARD_MAX];
    int discard_type;
    GArray *discards;         /* Qcow2DiscardRange */

    GSList *unknown_header_ext;  /* Qcow2UnknownHeaderExtension * */
    char *image_backing_file;
    char *image_backing_format;
    uint64_t backing_file_offset; /* as found in the header */

    /* During check -r: clusters that are referenced must not be handed
     * out by the allocator even though their refcount says free. */
    uint32_t *check_refs;
    int64_t check_nb_clusters;
} BDRVQcow2State;

/* Big-endian fields at any byte offset (headers, extensions, snapshots). */
static inline uint16_t ldbe16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}

static inline uint32_t ldbe32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}

static inline uint64_t ldbe64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

static inline void stbe32(void *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}

static inline void stbe64(void *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}

static inline int64_t offset_into_cluster(BDRVQcow2State *s, int64_t offset)
{
    return offset & (s->cluster_size - 1);
}

static inline int64_t start_of_cluster(BDRVQcow2State *s, int64_t offset)
{
    return offset & ~(int64_t)(s->cluster_size - 1);
}

static inline int64_t size_to_clusters(BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

static inline uint64_t offset_to_l1_index(BDRVQcow2State *s, uint64_t offset)
{
    return offset >> (s->l2_bits + s->cluster_bits);
}

static inline int offset_to_l2_index(BDRVQcow2State *s, uint64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_size - 1);
}

static inline uint64_t l1_entries_for_size(BDRVQcow2State *s, uint64_t size)
{
    uint64_t per_l2 = (uint64_t)s->l2_size << s->cluster_bits;
    return (size + per_l2 - 1) / per_l2;
}

/* Records that refcount_table[index] may now be nonzero. */
static inline void qcow2_reftable_note_used(BDRVQcow2State *s, uint64_t index)
{
    if (index >= s->refcount_table_used) {
        s->refcount_table_used = index + 1;
    }
}

/* Recomputes refcount_table_used after the whole table was replaced. */
static inline void qcow2_reftable_recount_used(BDRVQcow2State *s)
{
    s->refcount_table_used = 0;
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        if (s->refcount_table[i]) {
            s->refcount_table_used = i + 1;
        }
    }
}

static inline bool has_data_file(BDRVQcow2State *s)
{
    return false;
}

QCow2ClusterType qcow2_get_cluster_type(BlockDriverState *bs, uint64_t l2_entry);

/* qcow2-header.c */
int qcow2_open(BlockDriverState *bs, int flags, Error **errp);
/* Frees what open built (tables, caches, snapshots); close's last step. */
void qcow2_free_state(BlockDriverState *bs);
int qcow2_update_header(BlockDriverState *bs);
int qcow2_mark_dirty(BlockDriverState *bs);
int qcow2_mark_clean(BlockDriverState *bs);
int qcow2_mark_corrupt(BlockDriverState *bs);
void qcow2_signal_corruption(BlockDriverState *bs, bool fatal, int64_t offset, int64_t size,
                             const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* qcow2-options.c */
/* none|constant|cached|all -> QCOW2_OL_* mask, or -1. */
int qcow2_parse_overlap_check(const char *mode);
/* Takes qcow2's options from bs->options at open: overlap-check, and the
 * cache sizes, with which it creates both metadata caches. */
int qcow2_update_options(BlockDriverState *bs, Error **errp);

/* qcow2.c */
int coroutine_fn qcow2_read_backing(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                    QEMUIOVector *qiov, size_t qiov_offset);
int coroutine_fn qcow2_co_flush_caches(BlockDriverState *bs);
/* Runs fn(bs, opaque) in a coroutine and waits for it (open/close paths). */
int qcow2_run_co(BlockDriverState *bs, int coroutine_fn (*fn)(BlockDriverState *, void *),
                 void *opaque);
int coroutine_fn qcow2_co_pwritev_part(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, size_t qiov_offset,
                                       BdrvRequestFlags flags);

/* qcow2-options.c: the node options; qcow2-create.c: the -o keys */
extern const QemuOptDesc qcow2_runtime_opts[];
extern const QemuOptDesc qcow2_create_opts[];

/* qcow2-create.c */
int qcow2_co_create_opts(BlockCreateOpts *opts, Error **errp);
int coroutine_fn qcow2_co_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                                   PreallocMode prealloc, Error **errp);
/* exact: min_size entries (truncate, snapshot revert); otherwise the table
 * grows by half again until it holds min_size, as QEMU's does when a write
 * lands past it (the VM state area). */
int coroutine_fn qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size, bool exact);
int coroutine_fn qcow2_preallocate_metadata(BlockDriverState *bs, uint64_t offset, uint64_t end,
                                            PreallocMode file_mode);

/* qcow2-compress.c */
int coroutine_fn qcow2_co_pwritev_compressed_part(BlockDriverState *bs, int64_t offset,
                                                  int64_t bytes, QEMUIOVector *qiov,
                                                  size_t qiov_offset);
int coroutine_fn qcow2_co_preadv_compressed(BlockDriverState *bs, uint64_t l2_entry,
                                            uint64_t offset, uint64_t bytes,
                                            QEMUIOVector *qiov, size_t qiov_offset);
void qcow2_parse_compressed_l2_entry(BlockDriverState *bs, uint64_t l2_entry,
                                     uint64_t *coffset, int *csize);

/* qcow2-refcount.c */
int qcow2_refcount_init(BlockDriverState *bs, Error **errp);
void qcow2_refcount_close(BlockDriverState *bs);
void qcow2_set_refcount_funcs(BDRVQcow2State *s);
int coroutine_fn qcow2_process_discards(BlockDriverState *bs);
int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, int64_t cluster_index,
                                    uint64_t *refcount);
int coroutine_fn qcow2_update_cluster_refcount(BlockDriverState *bs, int64_t cluster_index,
                                               int64_t addend);
int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, int64_t offset, int64_t length,
                                       int64_t addend);
int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, int size);
void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, int64_t offset, int64_t size);
void coroutine_fn qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry);
int coroutine_fn qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign, int64_t offset,
                                               int64_t size);
int coroutine_fn qcow2_check_metadata_overlap(BlockDriverState *bs, int ign, int64_t offset,
                                              int64_t size);
int64_t qcow2_file_length(BlockDriverState *bs);
int coroutine_fn qcow2_write_reftable_entry(BlockDriverState *bs, uint64_t index);

/* qcow2-measure.c */
int qcow2_measure(QemuOpts *opts, BlockDriverState *in_bs, int64_t size,
                  BlockMeasureInfo *info, Error **errp);

/* qcow2-backing.c */
int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt);
int qcow2_make_empty(BlockDriverState *bs);

/* qcow2-amend.c, qcow2-refcount-order.c */
extern const QemuOptDesc qcow2_amend_opts[];
int qcow2_amend_options(BlockDriverState *bs, QemuOpts *opts, Error **errp);
int coroutine_fn qcow2_change_refcount_order(BlockDriverState *bs, int order, Error **errp);

/* qcow2-check.c */
int coroutine_fn qcow2_co_check(BlockDriverState *bs, BdrvCheckResult *result,
                                BdrvCheckMode fix);

/* qcow2-cluster.c */
int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                                       uint64_t *bytes, uint64_t *host_offset,
                                       QCow2ClusterType *type, uint64_t *l2_entry_out);
int coroutine_fn qcow2_get_l2_table(BlockDriverState *bs, uint64_t offset, bool allocate,
                                    uint64_t **l2_table, int *l2_index);
int coroutine_fn qcow2_write_l1_entry(BlockDriverState *bs, int l1_index);
int coroutine_fn qcow2_alloc_data_clusters(BlockDriverState *bs, uint64_t offset,
                                           uint64_t *bytes, uint64_t *host_offset,
                                           bool *need_alloc);
int coroutine_fn qcow2_alloc_host_offset(BlockDriverState *bs, uint64_t offset,
                                         uint64_t bytes, uint64_t host_offset);
int coroutine_fn qcow2_cluster_zeroize(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, bool may_unmap);
int coroutine_fn qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, bool full);
int coroutine_fn qcow2_alloc_compressed_cluster_offset(BlockDriverState *bs,
                                                       uint64_t offset,
                                                       uint64_t descriptor);

/* qcow2-cache.c */
Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int num_tables, int table_size);
void qcow2_cache_destroy(Qcow2Cache *c);
int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                 void **table);
int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                                       uint64_t offset, void **table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table);
int coroutine_fn qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c);
int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
int coroutine_fn qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                                            Qcow2Cache *dependency);
void qcow2_cache_depends_on_flush(Qcow2Cache *c);
/* Drops a table for a cluster that was freed (not written back). */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
/* Drops every clean, unused entry (after check rewrote tables). */
void qcow2_cache_empty(Qcow2Cache *c);
bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset);
bool qcow2_cache_is_dirty(Qcow2Cache *c);
/* Offsets of every cached table (overlap check of cached metadata). */
bool qcow2_cache_overlaps(Qcow2Cache *c, int64_t offset, int64_t size);
int qcow2_cache_num_tables(Qcow2Cache *c);

/* qcow2-snapshot.c */
/* Bitmap directory entry flags (spec: "flags" of a directory entry). */
#define BME_FLAG_IN_USE (1u << 0)
#define BME_FLAG_AUTO   (1u << 1)
#define BME_MIN_ENTRY_SIZE 24
#define BME_MAX_DIRECTORY_SIZE (64 * 1024 * 1024)
/* The Bitmaps extension (NULL: none), and the directory it points to,
 * g_malloc'd (NULL: none, or unreadable). */
const Qcow2UnknownHeaderExtension *qcow2_bitmaps_extension(BDRVQcow2State *s);
uint8_t *qcow2_read_bitmap_directory(BlockDriverState *bs, uint32_t *count, uint64_t *size);
/* qcow2-bitmap-store.c: duet-img bitmap's load and store */
int qcow2_load_bitmaps(BlockDriverState *bs, GPtrArray **list, Error **errp);
int qcow2_store_bitmaps(BlockDriverState *bs, GPtrArray *list, Error **errp);
/* Each bitmap of list sized for an image of new_size bytes. */
void qcow2_bitmaps_resize(GPtrArray *list, uint64_t new_size);
/* qcow2-bitmap.c: the "bitmaps" member of info's format-specific data */
void qcow2_dump_bitmaps(BlockDriverState *bs, GString *text, JSONWriter *json);
/*
 * Guest data (or the size) is about to change: duet does not track dirty
 * bitmaps, so they become invalid as the spec's autoclear rule says (the
 * BITMAPS bit is cleared in the header; the extension is kept).  Metadata
 * work (amend, snapshots, check, duet-img bitmap) keeps them valid.
 */
int qcow2_bitmaps_note_write(BlockDriverState *bs);
/* What the image's bitmaps would take in an image of cluster_size
 * clusters: their tables, data clusters and the directory (measure). */
uint64_t qcow2_bitmaps_measure(BlockDriverState *bs, uint64_t cluster_size);
void qcow2_bitmaps_for_each_cluster(BlockDriverState *bs,
                                    void (*fn)(void *opaque, uint64_t offset, uint64_t size),
                                    void *opaque);

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp);
void qcow2_free_snapshots(BlockDriverState *bs);
int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info, Error **errp);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id, Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id, const char *name,
                          Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
/* A read-only image reads as the snapshot with that id and/or name. */
int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id, const char *name,
                            Error **errp);

/* qcow2-snapshot-refs.c */
/* One more reference on every L2 table and cluster l1 (host order)
 * references; all or nothing.  Refcount overflow gives -EINVAL. */
int coroutine_fn qcow2_ref_l1_clusters(BlockDriverState *bs, const uint64_t *l1,
                                       uint32_t l1_size);
/* One reference fewer (freed at 0); a failure midway only leaks. */
int coroutine_fn qcow2_unref_l1_clusters(BlockDriverState *bs, const uint64_t *l1,
                                         uint32_t l1_size);
/* Sets OFLAG_COPIED in the active L1/L2 tables exactly where refcount == 1. */
int coroutine_fn qcow2_fix_copied_flags(BlockDriverState *bs);
int coroutine_fn qcow2_write_active_l1(BlockDriverState *bs);
/* The snapshot's L1 table in host order; NULL with -errno in *ret. */
uint64_t *coroutine_fn qcow2_read_snapshot_l1(BlockDriverState *bs, const QCowSnapshot *sn,
                                              int *ret);

#endif
