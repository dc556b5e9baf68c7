/*
 * Block driver interface: a BlockDriverState (node) is opened by one
 * BlockDriver.  Format nodes (qcow2, raw) sit over a protocol node (file)
 * reached through bs->file; qcow2 may also have bs->backing.
 *
 * Generic request handling (alignment, serialisation of overlapping
 * requests, zero writes, flush ordering) lives in block/io.c; drivers see
 * aligned requests only.  All bdrv_co_* functions are coroutine_fn: they
 * run in a coroutine of the node's AioContext and may yield.
 */
#ifndef BLOCK_INT_H
#define BLOCK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "block/block-common.h"
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/iov.h"
#include "qemu/json-writer.h"
#include "qemu/option.h"

typedef struct BdrvChild BdrvChild;
typedef struct AioContext AioContext;

/* What a child is to its parent, for the permissions the parent takes. */
typedef enum {
    BDRV_CHILD_FILE,     /* bs->file: a format's metadata and data */
    BDRV_CHILD_BACKING,  /* bs->backing: only read, for unallocated clusters */
} BdrvChildRole;

/* open flags */
#define BDRV_O_NO_SHARE   0x0001 /* the opener lets others only read (convert's source) */
#define BDRV_O_RDWR       0x0002
#define BDRV_O_NOCACHE    0x0020 /* O_DIRECT */
#define BDRV_O_NO_FLUSH   0x0200 /* cache=unsafe: flushes are no-ops */
#define BDRV_O_CHECK      0x1000 /* opened by "check": tolerate corruption */
#define BDRV_O_NO_BACKING 0x0100
#define BDRV_O_DSYNC      0x4000 /* cache=directsync/writethrough: O_DSYNC */
#define BDRV_O_RESIZE     0x8000 /* the opener resizes the image (duet-img resize) */
#define BDRV_O_NO_IO      0x10000 /* the opener reads no data, only metadata (info) */
#define BDRV_O_UNMAP      0x20000 /* discard=unmap: discards reach the host file */

enum { BLOCKDEV_DETECT_ZEROES_OFF, BLOCKDEV_DETECT_ZEROES_ON, BLOCKDEV_DETECT_ZEROES_UNMAP };

/* block_status answers */
#define BDRV_BLOCK_DATA          0x01
#define BDRV_BLOCK_ZERO          0x02
#define BDRV_BLOCK_OFFSET_VALID  0x04
#define BDRV_BLOCK_ALLOCATED     0x10
#define BDRV_BLOCK_COMPRESSED    0x40

typedef enum {
    PREALLOC_MODE_OFF,
    PREALLOC_MODE_METADATA,
    PREALLOC_MODE_FALLOC,
    PREALLOC_MODE_FULL,
} PreallocMode;

typedef enum {
    BDRV_FIX_LEAKS = 1,
    BDRV_FIX_ERRORS = 2,
} BdrvCheckMode;

typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    struct {
        uint64_t total_clusters;
        uint64_t allocated_clusters;
        uint64_t fragmented_clusters;
        uint64_t compressed_clusters;
    } bfi;
} BdrvCheckResult;

typedef struct BlockDriverInfo {
    int cluster_size;
    bool is_dirty;
    /* Where the format would keep a VM state (qcow2: after the last L1
     * entry's range); 0: none. */
    int64_t vm_state_offset;
} BlockDriverInfo;

/* One internal snapshot as the generic layer sees it (QEMU's name). */
typedef struct QEMUSnapshotInfo {
    char id_str[128];
    char name[256];
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;          /* -1 when the image does not record it */
} QEMUSnapshotInfo;

/*
 * Creation options (duet-img create -o, convert -o): parsed with
 * bdrv_create_opts_list, and checked by bdrv_create against the driver's
 * create_opts and its protocol's, so a driver reads them with the typed
 * getters.  opts may be NULL (every default).
 */
typedef struct BlockCreateOpts {
    const char *filename;
    int64_t size;
    QemuOpts *opts;
} BlockCreateOpts;

/* What an image of a format needs on the host (qemu-img measure). */
typedef struct BlockMeasureInfo {
    uint64_t required;        /* for the data there is, and the metadata */
    uint64_t fully_allocated; /* with every cluster of the virtual size */
    bool has_bitmaps;         /* the source keeps persistent bitmaps */
    uint64_t bitmaps;         /* what copying them would add */
} BlockMeasureInfo;

/*
 * A persistent dirty bitmap as the generic layer sees it (block/
 * dirty-bitmap.c): one bit per granularity bytes of the image, bit i of
 * byte k standing for chunk 8k+i.
 */
typedef struct BdrvBitmap {
    char *name;
    uint32_t granularity;
    bool enabled;        /* records writes (qcow2's "auto" flag) */
    bool in_use;         /* may be inconsistent (qcow2's "in-use" flag) */
    uint64_t nbits;
    uint8_t *bits;
} BdrvBitmap;

/* Any key (bdrv_create checks them); the list for BlockCreateOpts.opts. */
extern const QemuOptsList bdrv_create_opts_list;

/*
 * Points in a driver's request path that blkdebug can act on (inject an
 * error, change state, suspend the request): QEMU's BlkdebugEvent names,
 * which blkdebug's config files use.  A driver emits one on a child with
 * BLKDBG_EVENT(child, BLKDBG_X); nothing happens unless the child is
 * blkdebug.
 */
typedef enum BlkdebugEvent {
    BLKDBG_L1_UPDATE,
    BLKDBG_L1_GROW_ALLOC_TABLE,
    BLKDBG_L1_GROW_WRITE_TABLE,
    BLKDBG_L1_GROW_ACTIVATE_TABLE,
    BLKDBG_L2_LOAD,
    BLKDBG_L2_UPDATE,
    BLKDBG_L2_UPDATE_COMPRESSED,
    BLKDBG_L2_ALLOC_COW_READ,
    BLKDBG_L2_ALLOC_WRITE,
    BLKDBG_READ_AIO,
    BLKDBG_READ_BACKING_AIO,
    BLKDBG_READ_COMPRESSED,
    BLKDBG_WRITE_AIO,
    BLKDBG_WRITE_COMPRESSED,
    BLKDBG_VMSTATE_LOAD,
    BLKDBG_VMSTATE_SAVE,
    BLKDBG_COW_READ,
    BLKDBG_COW_WRITE,
    BLKDBG_REFTABLE_LOAD,
    BLKDBG_REFTABLE_GROW,
    BLKDBG_REFTABLE_UPDATE,
    BLKDBG_REFBLOCK_LOAD,
    BLKDBG_REFBLOCK_UPDATE,
    BLKDBG_REFBLOCK_UPDATE_PART,
    BLKDBG_REFBLOCK_ALLOC,
    BLKDBG_REFBLOCK_ALLOC_HOOKUP,
    BLKDBG_REFBLOCK_ALLOC_WRITE,
    BLKDBG_REFBLOCK_ALLOC_WRITE_BLOCKS,
    BLKDBG_REFBLOCK_ALLOC_WRITE_TABLE,
    BLKDBG_REFBLOCK_ALLOC_SWITCH_TABLE,
    BLKDBG_CLUSTER_ALLOC,
    BLKDBG_CLUSTER_ALLOC_BYTES,
    BLKDBG_CLUSTER_FREE,
    BLKDBG_FLUSH_TO_OS,
    BLKDBG_FLUSH_TO_DISK,
    BLKDBG_PWRITEV_RMW_HEAD,
    BLKDBG_PWRITEV_RMW_AFTER_HEAD,
    BLKDBG_PWRITEV_RMW_TAIL,
    BLKDBG_PWRITEV_RMW_AFTER_TAIL,
    BLKDBG_PWRITEV,
    BLKDBG_PWRITEV_ZERO,
    BLKDBG_PWRITEV_DONE,
    BLKDBG_EMPTY_IMAGE_PREPARE,
    BLKDBG_L1_SHRINK_WRITE_TABLE,
    BLKDBG_L1_SHRINK_FREE_L2_CLUSTERS,
    BLKDBG_COR_WRITE,
    BLKDBG_CLUSTER_ALLOC_SPACE,
    BLKDBG_NONE,
    BLKDBG__MAX,
} BlkdebugEvent;

/* "l2_update", ...; indexed by BlkdebugEvent. */
extern const char *const blkdebug_event_names[BLKDBG__MAX];

struct BlockDriver {
    const char *format_name;
    size_t instance_size; /* bs->opaque */
    bool is_format;       /* opened over a protocol child */
    bool supports_backing;

    /* Score 0..100 that buf (the file's first bytes) is this format. */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size, const char *filename);

    int (*bdrv_open)(BlockDriverState *bs, int flags, Error **errp);  /* format */
    int (*bdrv_file_open)(BlockDriverState *bs, const char *filename, int flags,
                          Error **errp);                               /* protocol */
    void (*bdrv_close)(BlockDriverState *bs);
    int (*bdrv_create)(BlockCreateOpts *opts, Error **errp);
    /* The size of an image of this format holding in_bs's data (every
     * cluster of size bytes when in_bs is NULL); opts are create options. */
    int (*bdrv_measure)(QemuOpts *opts, BlockDriverState *in_bs, int64_t size,
                        BlockMeasureInfo *info, Error **errp);
    /* The -o keys bdrv_create takes (a format's protocol adds its own). */
    const QemuOptDesc *create_opts;
    /* The node options the driver takes while it opens (for help; the
     * driver takes them with bdrv_opt_take_*). */
    const QemuOptDesc *runtime_opts;

    int coroutine_fn (*bdrv_co_preadv_part)(BlockDriverState *bs, int64_t offset,
                                            int64_t bytes, QEMUIOVector *qiov,
                                            size_t qiov_offset, BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwritev_part)(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, QEMUIOVector *qiov,
                                             size_t qiov_offset, BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwrite_zeroes)(BlockDriverState *bs, int64_t offset,
                                              int64_t bytes, BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pdiscard)(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes);
    /* Format drivers write back their metadata caches to the child. */
    int coroutine_fn (*bdrv_co_flush_to_os)(BlockDriverState *bs);
    /* Protocol drivers make written data stable (fdatasync). */
    int coroutine_fn (*bdrv_co_flush_to_disk)(BlockDriverState *bs);
    /* The VM state area (savevm, qemu-io -b); pos counts from its start.
     * NULL: the request goes to the node's file child, -ENOTSUP without one. */
    int coroutine_fn (*bdrv_save_vmstate)(BlockDriverState *bs, QEMUIOVector *qiov,
                                          int64_t pos);
    int coroutine_fn (*bdrv_load_vmstate)(BlockDriverState *bs, QEMUIOVector *qiov,
                                          int64_t pos);
    int coroutine_fn (*bdrv_co_truncate)(BlockDriverState *bs, int64_t offset, bool exact,
                                         PreallocMode prealloc, Error **errp);
    int coroutine_fn (*bdrv_co_block_status)(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, int64_t *pnum, int64_t *map,
                                             BlockDriverState **file);
    int coroutine_fn (*bdrv_co_check)(BlockDriverState *bs, BdrvCheckResult *result,
                                      BdrvCheckMode fix);
    int64_t (*bdrv_getlength)(BlockDriverState *bs);
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    int (*bdrv_get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    /* duet-img info: format-specific data, as text lines and as the
     * members of the open JSON object "data". */
    void (*bdrv_dump_info)(BlockDriverState *bs, GString *text, JSONWriter *json);
    int coroutine_fn (*bdrv_co_pwritev_compressed_part)(BlockDriverState *bs,
                                                        int64_t offset, int64_t bytes,
                                                        QEMUIOVector *qiov,
                                                        size_t qiov_offset);

    /* Points the image at another backing file (NULL: none) and format;
     * bs->backing is not reopened (block/backing.c). */
    int (*bdrv_change_backing_file)(BlockDriverState *bs, const char *backing_file,
                                    const char *backing_fmt);
    /* Drops every cluster of the active image: it then reads as its
     * backing file does (commit). */
    int (*bdrv_make_empty)(BlockDriverState *bs);

    /* qemu-img amend: changes what opts (checked against amend_opts) ask
     * for, all checked before anything is written. */
    int (*bdrv_amend_options)(BlockDriverState *bs, QemuOpts *opts, Error **errp);
    const QemuOptDesc *amend_opts;

    /* Persistent dirty bitmaps: the image's, as a list of BdrvBitmap *
     * (load), and the list written back in place of them all (store). */
    int (*bdrv_load_bitmaps)(BlockDriverState *bs, GPtrArray **list, Error **errp);
    int (*bdrv_store_bitmaps)(BlockDriverState *bs, GPtrArray *list, Error **errp);

    /* Internal snapshots (block/snapshot.c calls these; absent: -ENOTSUP).
     * create fills in sn->id_str; goto and delete take an id or a name. */
    int (*bdrv_snapshot_create)(BlockDriverState *bs, QEMUSnapshotInfo *sn, Error **errp);
    int (*bdrv_snapshot_goto)(BlockDriverState *bs, const char *snapshot_id, Error **errp);
    int (*bdrv_snapshot_delete)(BlockDriverState *bs, const char *snapshot_id,
                                const char *name, Error **errp);
    /* Returns the number of snapshots, *psn_info g_new'd (NULL when none). */
    int (*bdrv_snapshot_list)(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
    /* The (read-only) node reads as that snapshot until it is closed;
     * id or name may be NULL, given ones must both match. */
    int (*bdrv_snapshot_load_tmp)(BlockDriverState *bs, const char *snapshot_id,
                                  const char *name, Error **errp);

    /*
     * Permissions (block/block-perm.c).  child_perm: what bs needs on its
     * child of the given role when bs's users take perm and share shared
     * (NULL: the same, as a filter would).  check_perm/set_perm/abort_perm
     * are the protocol's two phases: check_perm takes the new permissions
     * beside the old ones and fails leaving the old ones alone; then
     * set_perm drops what is no longer needed, or abort_perm goes back.
     */
    void (*bdrv_child_perm)(BlockDriverState *bs, BdrvChildRole role, uint64_t perm,
                            uint64_t shared, uint64_t *nperm, uint64_t *nshared);
    int (*bdrv_check_perm)(BlockDriverState *bs, uint64_t perm, uint64_t shared,
                           Error **errp);
    void (*bdrv_set_perm)(BlockDriverState *bs, uint64_t perm, uint64_t shared);
    void (*bdrv_abort_perm)(BlockDriverState *bs);
    /* Whether other users are held to the permissions (the file's locks
     * are on); absent: no. */
    bool (*bdrv_perm_enforced)(BlockDriverState *bs);

    /* blkdebug: an event on this node (may yield: a breakpoint suspends the
     * request's coroutine), and qemu-io's break/resume commands. */
    void coroutine_fn (*bdrv_debug_event)(BlockDriverState *bs, BlkdebugEvent event);
    int (*bdrv_debug_breakpoint)(BlockDriverState *bs, const char *event, const char *tag);
    int (*bdrv_debug_remove_breakpoint)(BlockDriverState *bs, const char *tag);
    int (*bdrv_debug_resume)(BlockDriverState *bs, const char *tag);
    bool (*bdrv_debug_is_suspended)(BlockDriverState *bs, const char *tag);
    /* bdrv_drain is about to wait for bs's requests (blkdebug lets its
     * suspended ones go). */
    void (*bdrv_drain_begin)(BlockDriverState *bs);

    /* Protocol drivers other than file: the filename prefix that selects
     * them ("blkdebug:", "null-co://"); a format over one reaches it
     * through bs->file as over a file. */
    const char *protocol_name;
};

struct BdrvChild {
    BlockDriverState *bs;
    const char *name; /* "file", "backing" */
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;
    char *filename;
    char backing_file[4096];
    char backing_format[16];
    int open_flags;
    bool read_only;
    /* detect-zeroes: a write of zeros becomes a zero write (unmapping
     * with BLOCKDEV_DETECT_ZEROES_UNMAP and discard=unmap) */
    int detect_zeroes;
    int64_t total_sectors;
    unsigned request_alignment; /* bytes; 1 unless O_DIRECT */
    BdrvChild *file;
    BdrvChild *backing;
    AioContext *aio_context;
    /* Requests in flight, for serialisation of overlapping RMW (io.c). */
    GList *tracked_requests;
    CoQueue *tracked_requests_queue;
    unsigned in_flight;
    int refcnt;
    int backing_depth; /* guards against loops in backing chains */
    /* The node whose backing file this is (loop detection, block.c). */
    BlockDriverState *inherits_from;
    unsigned serialising_in_flight; /* read-modify-write requests (io.c) */
    /* Writes finished (successful or not) and the count at the last
     * successful flush: a flush with nothing new written skips the
     * driver's flush_to_disk, as QEMU's does (io.c). */
    uint64_t write_gen;
    uint64_t flushed_gen;
    /* This node's open options (block/options.c) while its driver opens;
     * the driver takes what it knows, NULL once open is done. */
    GHashTable *options;
    /* What this node's user (the opener, or the parent through the edge to
     * it) holds and shares, BLK_PERM_* (block/block-perm.c). */
    uint64_t perm;
    uint64_t shared_perm;
    /* force-share=on (qemu-img -U): shares everything, so other users'
     * locks are ignored; only for read-only nodes; children inherit it. */
    bool force_share;
};

/* Generic I/O on a child, used by format drivers (block/io.c). */
int coroutine_fn bdrv_co_preadv_part(BdrvChild *child, int64_t offset, int64_t bytes,
                                     QEMUIOVector *qiov, size_t qiov_offset,
                                     BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev_part(BdrvChild *child, int64_t offset, int64_t bytes,
                                      QEMUIOVector *qiov, size_t qiov_offset,
                                      BdrvRequestFlags flags);
int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
                               BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                                const void *buf, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                                       BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int coroutine_fn bdrv_co_flush(BlockDriverState *bs);
int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset, bool exact,
                                  PreallocMode prealloc, Error **errp);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_nb_sectors(BlockDriverState *bs);

/* Allocation status of [offset, offset+bytes) in bs alone (not its
 * backing chain): BDRV_BLOCK_* flags; *pnum bytes share the answer; *map is
 * the offset in *file when BDRV_BLOCK_OFFSET_VALID. */
int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                      int64_t *pnum, int64_t *map, BlockDriverState **file);
int coroutine_fn bdrv_co_pwritev_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov);
AioContext *bdrv_get_aio_context(BlockDriverState *bs);
/* Buffers usable for O_DIRECT on any node (free with qemu_vfree). */
void *qemu_blockalign(BlockDriverState *bs, size_t size);
void *qemu_blockalign0(BlockDriverState *bs, size_t size);
void qemu_vfree(void *ptr);

/* Synchronous versions (run a coroutine and poll until it finishes);
 * usable from outside coroutines, e.g. at open or in duet-img. */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                BdrvRequestFlags flags);
int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes, const void *buf,
                     BdrvRequestFlags flags);
int bdrv_flush(BlockDriverState *bs);
/* size bytes at pos of the VM state area: size, or -errno */
int coroutine_fn bdrv_co_writev_vmstate(BlockDriverState *bs, QEMUIOVector *qiov, int64_t pos);
int coroutine_fn bdrv_co_readv_vmstate(BlockDriverState *bs, QEMUIOVector *qiov, int64_t pos);
int bdrv_save_vmstate(BlockDriverState *bs, const uint8_t *buf, int64_t pos, int size);
int bdrv_load_vmstate(BlockDriverState *bs, uint8_t *buf, int64_t pos, int size);
int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags);
int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact, PreallocMode prealloc,
                  Error **errp);
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                      int64_t *map, BlockDriverState **file);
/* Runs the driver's consistency check; -ENOTSUP when it has none. */
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *result, BdrvCheckMode fix);
int bdrv_pwrite_compressed(BdrvChild *child, int64_t offset, int64_t bytes,
                           const void *buf);
int bdrv_get_info(BlockDriverState *bs, BlockDriverInfo *bdi);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);
/* Creates an image with drv (duet-img create, convert). */
bool bdrv_create(const BlockDriver *drv, BlockCreateOpts *opts, Error **errp);
/* block/measure.c: drv's bdrv_measure ("Format driver '...' does not
 * support measure" without one); and the bytes in_bs (through its backing
 * chain) holds data in, counted in whole clusters of cluster_size (zero
 * and unallocated areas count nothing). */
bool bdrv_measure(const BlockDriver *drv, QemuOpts *opts, BlockDriverState *in_bs,
                  int64_t size, BlockMeasureInfo *info, Error **errp);
int64_t bdrv_measure_data_bytes(BlockDriverState *in_bs, int64_t cluster_size);
/*
 * block/backing.c: bdrv_change_backing_file writes the new backing file
 * name (NULL or "": none) and format into the image header; bs->backing is
 * left as it is.  bdrv_make_empty empties the active image.  Both give
 * -ENOTSUP for formats without the hook.
 */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt);
int bdrv_make_empty(BlockDriverState *bs);
/*
 * block/commit.c: copies what the nodes above base in top's chain hold
 * into base (which is grown to top's size if smaller), through a
 * read-write open of base of its own; the chain is the same afterwards.
 * progress (may be NULL) gets the bytes done of the total.
 */
typedef void BdrvProgressFunc(void *opaque, int64_t done, int64_t total);
int bdrv_commit_to(BlockDriverState *top, BlockDriverState *base, BdrvProgressFunc *progress,
                   void *opaque, Error **errp);
/*
 * block/dirty-bitmap.c: the operations of qemu-img bitmap on a list that
 * bdrv_bitmaps_load gave (empty for formats without bitmaps), written
 * back with bdrv_bitmaps_store.  Errors are QEMU's words.
 */
GPtrArray *bdrv_bitmaps_load(BlockDriverState *bs, Error **errp);
int bdrv_bitmaps_store(BlockDriverState *bs, GPtrArray *list, Error **errp);
BdrvBitmap *bdrv_bitmap_find(GPtrArray *list, const char *name, Error **errp);
/* granularity 0: the default (the cluster size, at least 4k) */
bool bdrv_bitmap_add(BlockDriverState *bs, GPtrArray *list, const char *name,
                     uint64_t granularity, bool enabled, Error **errp);
bool bdrv_bitmap_remove(GPtrArray *list, const char *name, Error **errp);
/* dst |= src, whatever their granularities (both cover one image size) */
void bdrv_bitmap_merge(BdrvBitmap *dst, const BdrvBitmap *src, uint64_t size);
void bdrv_bitmap_free(gpointer bitmap);
/* A child edge to bs (takes a reference); bdrv_child_free drops it. */
BdrvChild *bdrv_child_new(BlockDriverState *bs, const char *name);
void bdrv_child_free(BdrvChild *child);
/* Waits until no request is in flight on bs or its children. */
void bdrv_drain(BlockDriverState *bs);
/* The first step of a drain: nodes that hold requests back (blkdebug's
 * breakpoints) let them go; for users that wait on counts of their own
 * first (blk_drain). */
void bdrv_drain_begin(BlockDriverState *bs);

/* Internal snapshots (block/snapshot.c): -errno, -ENOTSUP when the
 * format has none. */
int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn, Error **errp);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id, Error **errp);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id, const char *name,
                         Error **errp);
int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info);
/* Finds by id first, then by name (as qemu-img does); false if neither. */
bool bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn, const char *name);
/* A read-only node reads as the snapshot (qemu-img convert/measure -l) until
 * closed; by_id_or_name tries name as an id, then as a name. */
int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id, const char *name,
                           Error **errp);
int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs, const char *id_or_name,
                                         Error **errp);

/* blkdebug hooks (block.c): the event reaches child's node only. */
void coroutine_fn bdrv_debug_event(BlockDriverState *bs, BlkdebugEvent event);
#define BLKDBG_EVENT(child, evt)                  \
    do {                                          \
        if (child) {                              \
            bdrv_debug_event((child)->bs, (evt)); \
        }                                         \
    } while (0)
/* The first node from bs down through file and backing children whose
 * driver has breakpoints; -ENOTSUP when none has. */
int bdrv_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag);
int bdrv_debug_remove_breakpoint(BlockDriverState *bs, const char *tag);
int bdrv_debug_resume(BlockDriverState *bs, const char *tag);
bool bdrv_debug_is_suspended(BlockDriverState *bs, const char *tag);
bool bdrv_debug_has_breakpoints(BlockDriverState *bs);

/* Opening nodes.  fmt NULL probes the format (every driver's bdrv_probe). */
BlockDriverState *bdrv_open(const char *filename, const char *fmt, int flags,
                            Error **errp);
/*
 * bdrv_open with node options (QEMU's -drive/--image-opts keys; options may
 * be NULL and is not modified).  Keys without a prefix are the format
 * node's, "file.X" is X of the protocol node.  "driver" may name the
 * format instead of fmt, and "filename" or "file.filename" the file
 * instead of filename ("file.driver" may only be "file").  Every key must
 * be taken by a driver, or the open fails naming it.
 */
BlockDriverState *bdrv_open_opts(const char *filename, const char *fmt, int flags,
                                 GHashTable *options, Error **errp);
void bdrv_unref(BlockDriverState *bs);
/*
 * A protocol node for a driver's own child (blkdebug's image): options'
 * keys are the child's (owned, may be NULL; "driver" names the protocol,
 * else the file name's prefix does, else "file"); prefix is how the user
 * wrote them.  filename may be NULL when the driver needs none.
 */
BlockDriverState *bdrv_open_child_protocol(const char *filename, int flags,
                                           GHashTable *options, const char *prefix,
                                           Error **errp);
/*
 * Permissions (block/block-perm.c).  The opener of a node takes
 * bdrv_opener_perm(flags) on it: consistent-read (not with BDRV_O_NO_IO),
 * write with BDRV_O_RDWR, resize with BDRV_O_RESIZE; it shares everything,
 * or only consistent-read and write-unchanged with BDRV_O_NO_SHARE.
 */
void bdrv_opener_perm(int flags, uint64_t *perm, uint64_t *shared);
/* The permissions a format takes on its file and backing children, as
 * QEMU's defaults for storage and COW children (qcow2 uses them). */
void bdrv_default_perms(BlockDriverState *bs, BdrvChildRole role, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared);
/* What bs needs on a child of role, its users taking (perm, shared). */
void bdrv_child_perm(BlockDriverState *bs, BdrvChildRole role, uint64_t perm,
                     uint64_t shared, uint64_t *nperm, uint64_t *nshared);
/*
 * Gives bs's user the permissions (perm, shared) and every node below bs
 * what its parent then needs, checking them against other users (the
 * file's locks); all or nothing: on failure every node keeps its old ones.
 */
bool bdrv_refresh_perms(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp);
/* "consistent read", "write", ...: the names in QEMU's lock errors (one
 * bit; NULL for anything else). */
const char *bdrv_perm_name(uint64_t perm);
/* The node of bs's graph (bs, its files, its backing chain) that is the
 * file at path (same st_dev and st_ino: also through another name, a
 * symlink or a hard link), or NULL: convert's check that it would not
 * overwrite its own source. */
BlockDriverState *bdrv_find_file(BlockDriverState *bs, const char *path);
/* Whether the image's locks keep every other writer away from node (it
 * does not share write and its driver enforces that). */
bool bdrv_blocks_writers(BlockDriverState *node);
/*
 * bdrv_open_opts read-only, under a temporary qcow2 overlay that takes the
 * writes (block/temp-snapshot.c: -snapshot); the overlay is returned.
 */
BlockDriverState *bdrv_open_temp_snapshot(const char *filename, const char *fmt, int flags,
                                          GHashTable *options, Error **errp);
/* Opens bs->backing from bs->backing_file (relative to bs's directory). */
int bdrv_open_backing_file(BlockDriverState *bs, int flags, Error **errp);
const BlockDriver *bdrv_find_format(const char *format_name);
/* Every driver, in probe order (block/block.c keeps the one list). */
const BlockDriver *const *bdrv_drivers(void);

/*
 * Node options (block/options.c): a string -> string table, owned keys and
 * values.  Drivers take their keys in bdrv_open/bdrv_file_open from
 * bs->options; an absent key leaves *value untouched (the default) and
 * succeeds, a malformed one fails with an Error naming the key.  Values
 * follow the option parser's rules (qemu/option.h).
 */
GHashTable *bdrv_options_copy(GHashTable *options); /* options may be NULL */
/* Moves every "prefixX" key out of options into a new table as "X". */
GHashTable *bdrv_options_extract_prefix(GHashTable *options, const char *prefix);
/* Removes key; its value (g_free it), or NULL when absent. */
char *bdrv_opt_take_str(GHashTable *options, const char *key);
/* on|off (also true|false, yes|no). */
bool bdrv_opt_take_bool(GHashTable *options, const char *key, bool *value, Error **errp);
/* Bytes, with an optional k/M/G/T/P/E suffix (powers of 1024). */
bool bdrv_opt_take_size(GHashTable *options, const char *key, uint64_t *value,
                        Error **errp);
/* Fails naming the first key left in options ("Block format 'qcow2' does
 * not support the option 'foo'"); prefix is how the user wrote it ("file."
 * or ""). */
bool bdrv_options_check_consumed(GHashTable *options, const BlockDriver *drv,
                                 const char *prefix, Error **errp);
/* drv's create_opts followed by those of its protocol that it lacks
 * (qemu-img's "Supported options:" with a file name); g_free it. */
QemuOptDesc *bdrv_create_opts_merged(const BlockDriver *drv);

#endif
