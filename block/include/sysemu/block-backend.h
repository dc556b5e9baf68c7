/*
 * BlockBackend: what a device (IDE) or a tool (duet-img) holds to do I/O
 * on a node graph.  The aio functions enter a coroutine through one
 * blk_aio_prwv and call cb(opaque, ret) in the backend's AioContext when
 * done (ret is 0 or -errno).
 */
#ifndef SYSEMU_BLOCK_BACKEND_H
#define SYSEMU_BLOCK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block-common.h"
#include "qapi/error.h"
#include "qemu/coroutine.h"
#include "qemu/iov.h"

typedef struct BlockBackend BlockBackend;
typedef struct AioContext AioContext;
typedef struct BlockAIOCB BlockAIOCB;
typedef void BlockCompletionFunc(void *opaque, int ret);

/* cache: "writeback" (default), "none", "directsync", "writethrough", "unsafe". */
BlockBackend *blk_new_open(const char *filename, const char *fmt, const char *cache,
                           bool read_only, Error **errp);
/* A cache= value's open flags (BDRV_O_*) and guest write cache; false if
 * it is none of blk_cache_mode_names. */
bool blk_parse_cache_mode(const char *mode, int *flags, bool *writeback);
/* The cache= values blk_new_open takes, NULL-terminated. */
extern const char *const blk_cache_mode_names[];
/* The same with node options (bdrv_open_opts: filename may then be NULL and
 * come from the options, as may the format). */
BlockBackend *blk_new_open_opts(const char *filename, const char *fmt, const char *cache,
                                bool read_only, GHashTable *options, Error **errp);
/*
 * -snapshot: the image (node options as above) is opened read-only under
 * a temporary qcow2 overlay that takes every write, in $TMPDIR (else
 * /var/tmp), unlinked once open; the image itself never changes.
 */
BlockBackend *blk_new_open_snapshot(const char *filename, const char *fmt, const char *cache,
                                    GHashTable *options, Error **errp);
/* Closes the backend's node (drain, flush, driver close) and frees it. */
void blk_unref(BlockBackend *blk);
/* Closes the node but keeps the backend: its requests then fail with
 * -ENOMEDIUM (QEMU's blk_remove_bs; what a device sees after shutdown). */
void blk_remove_bs(BlockBackend *blk);
/* The device's name for the backend ("ide0-hd0"; "" when none), set by
 * whoever attaches it; blk_by_name finds it (the monitor's commands). */
void blk_set_name(BlockBackend *blk, const char *name);
const char *blk_name(const BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);

/* I/O accounting of the guest's requests (info blockstats, query-blockstats). */
enum { BLOCK_ACCT_READ, BLOCK_ACCT_WRITE, BLOCK_ACCT_FLUSH, BLOCK_ACCT__MAX };
typedef struct BlockAcctStats {
    uint64_t bytes[BLOCK_ACCT__MAX];
    uint64_t ops[BLOCK_ACCT__MAX];
    uint64_t failed_ops[BLOCK_ACCT__MAX];
    uint64_t total_time_ns[BLOCK_ACCT__MAX];
    uint64_t wr_highest_offset;
    int64_t last_access_ns; /* monotonic; 0: never */
} BlockAcctStats;
const BlockAcctStats *blk_get_stats(BlockBackend *blk);

/* What info block and query-block show of a backend's node chain. */
typedef struct BlockImageQuery {
    char *filename;
    char *format;          /* "qcow2", "raw" */
    int64_t virtual_size;
    int64_t actual_size;   /* bytes allocated on the host; -1 unknown */
    int64_t cluster_size;  /* 0: not a clustered format */
    bool read_only;
    bool direct;           /* cache=none/directsync */
    bool writeback;
    char *backing_file;    /* NULL: no backing file */
    int backing_depth;     /* length of the backing chain below */
    struct BlockImageQuery *backing;
} BlockImageQuery;
/* NULL without a medium. */
BlockImageQuery *blk_query_image(BlockBackend *blk);
void blk_query_image_free(BlockImageQuery *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockImageQuery, blk_query_image_free)
/*
 * HMP's commit: copies what the top image holds into its backing file (the
 * chain below stays as it is; the overlay keeps its data too) and flushes
 * it.  -ENOTSUP without a backing file, as QEMU; -errno otherwise.
 * The caller drains first (the guest must not write meanwhile).
 */
int blk_commit(BlockBackend *blk, Error **errp);

/* Iterates over every backend: blk_next(NULL) is the first. */
BlockBackend *blk_next(BlockBackend *blk);
/* Waits until no backend has a request in flight. */
void bdrv_drain_all(void);
/*
 * Shutdown: drains every backend, then closes every node: caches written
 * back and flushed, the qcow2 dirty bit cleared, file preallocation cut
 * back.  Whoever holds a backend keeps it, with no medium.
 */
void bdrv_close_all(void);
/*
 * The permissions (BLK_PERM_*) the backend's user takes on the image and
 * shares with others.  Opening takes what a tool does: consistent-read,
 * write unless read-only, everything shared; a device narrows that (IDE:
 * nobody else may write).  Checked against the image's other users,
 * other processes included; on failure the old ones stay.
 */
bool blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared, Error **errp);
void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared);
BlockDriverState *blk_bs(BlockBackend *blk);
int64_t blk_getlength(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
/* Whether guest-visible write caching is on (IDE's SET FEATURES 02h/82h). */
void blk_set_enable_write_cache(BlockBackend *blk, bool wce);
bool blk_enable_write_cache(BlockBackend *blk);
AioContext *blk_get_aio_context(BlockBackend *blk);

BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                           BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                            BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque);
BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags, BlockCompletionFunc *cb,
                                  void *opaque);
/* Cancels if still possible; the callback then gets -ECANCELED. */
void blk_aio_cancel_async(BlockAIOCB *acb);

int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset, int64_t bytes,
                               QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                                QEMUIOVector *qiov, BdrvRequestFlags flags);
int coroutine_fn blk_co_pwritev_part(BlockBackend *blk, int64_t offset, int64_t bytes,
                                     QEMUIOVector *qiov, size_t qiov_offset,
                                     BdrvRequestFlags flags);
int coroutine_fn blk_co_flush(BlockBackend *blk);

/* Synchronous wrappers (tools, tests): poll the AioContext until done. */
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes, const void *buf,
               BdrvRequestFlags flags);
int blk_flush(BlockBackend *blk);
/* The VM state area of the top node (qcow2 keeps it after the disk):
 * size, or -errno (-ENOTSUP: the format has none). */
int blk_save_vmstate(BlockBackend *blk, const uint8_t *buf, int64_t pos, int size);
int blk_load_vmstate(BlockBackend *blk, uint8_t *buf, int64_t pos, int size);
/* Waits for every request in flight on blk (drain). */
void blk_drain(BlockBackend *blk);

#endif
