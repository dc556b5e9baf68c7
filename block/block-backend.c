/*
 * BlockBackend: the handle a device or tool holds on a node graph.
 *
 * Every asynchronous request goes through blk_aio_prwv, which wraps it in
 * a coroutine running blk_aio_*_entry; the caller's callback always runs
 * later, from a bottom half in the backend's AioContext, never inside the
 * blk_aio_* call itself.
 */
#include "qemu/compiler.h"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "block/aio.h"
#include "qemu/main-loop.h"
#include "block_int.h"
#include "sysemu/block-backend.h"
#include "trace/trace.h"

#define BLOCK_FRAME QEMU_VISIBLE_FRAME
#define NOT_DONE INT_MAX

struct BlockBackend {
    BdrvChild *root;
    AioContext *ctx;
    bool enable_write_cache;
    unsigned in_flight;
    char *name;           /* "ide0-hd0": the device's name for it (monitor) */
    BlockAcctStats stats; /* what the guest did, for info blockstats */
};

static int64_t blk_acct_now_ns(void)
{
    return g_get_monotonic_time() * 1000;
}

/* One request done: QEMU's accounting (successful ones counted, failed
 * ones apart). */
static void blk_account(BlockBackend *blk, int kind, int64_t bytes, int64_t start_ns, int ret)
{
    BlockAcctStats *st = &blk->stats;
    int64_t now = blk_acct_now_ns();

    st->last_access_ns = now;
    if (ret < 0) {
        st->failed_ops[kind]++;
        return;
    }
    st->bytes[kind] += bytes;
    st->ops[kind]++;
    st->total_time_ns[kind] += now - start_ns;
}

typedef struct BlkRwCo {
    BlockBackend *blk;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    bool is_write;   /* synchronous wrappers only */
    int ret;
} BlkRwCo;

/*
 * Every BlockBackend that exists, in creation order (QEMU's list of the
 * same name): shutdown closes them all (bdrv_close_all), whoever holds
 * them.  Created and freed under the BQL (or in a single-threaded tool).
 */
static GPtrArray *block_backends;

struct BlockAIOCB {
    BlkRwCo rwco;
    BlockCompletionFunc *cb;
    void *opaque;
    bool has_returned; /* blk_aio_prwv is back with its caller */
    uint64_t trace_req; /* the request id, again set for the completion */
};

/* The names of the table below (-drive cache=help lists them). */
const char *const blk_cache_mode_names[] = {
    "writeback", "none", "directsync", "writethrough", "unsafe", NULL,
};

/* cache mode -> open flags and guest-visible write cache */
bool blk_parse_cache_mode(const char *mode, int *flags, bool *writeback)
{
    static const struct {
        const char *name;
        int flags;
        bool writeback;
    } modes[] = {
        { "writeback", 0, true },
        { "none", BDRV_O_NOCACHE, true },
        { "directsync", BDRV_O_NOCACHE | BDRV_O_DSYNC, false },
        { "writethrough", BDRV_O_DSYNC, false },
        { "unsafe", BDRV_O_NO_FLUSH, true },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            *flags = modes[i].flags;
            *writeback = modes[i].writeback;
            return true;
        }
    }
    return false;
}

BlockBackend *blk_new_open(const char *filename, const char *fmt, const char *cache,
                           bool read_only, Error **errp)
{
    return blk_new_open_opts(filename, fmt, cache, read_only, NULL, errp);
}

static BlockBackend *blk_new_open_common(const char *filename, const char *fmt,
                                         const char *cache, bool read_only, bool snapshot,
                                         GHashTable *options, Error **errp)
{
    int flags = 0;
    bool writeback = true;
    BlockDriverState *bs;
    BlockBackend *blk;

    if (cache && !blk_parse_cache_mode(cache, &flags, &writeback)) {
        error_setg(errp, "Invalid cache option: %s", cache);
        return NULL;
    }
    if (!read_only) {
        flags |= BDRV_O_RDWR;
    }
    bs = snapshot ? bdrv_open_temp_snapshot(filename, fmt, flags, options, errp)
                  : bdrv_open_opts(filename, fmt, flags, options, errp);
    if (!bs) {
        return NULL;
    }
    blk = g_new0(BlockBackend, 1);
    blk->root = bdrv_child_new(bs, "root");
    bdrv_unref(bs);
    blk->ctx = bdrv_get_aio_context(bs);
    blk->enable_write_cache = writeback;
    if (!block_backends) {
        block_backends = g_ptr_array_new();
    }
    g_ptr_array_add(block_backends, blk);
    return blk;
}

BlockBackend *blk_new_open_opts(const char *filename, const char *fmt, const char *cache,
                                bool read_only, GHashTable *options, Error **errp)
{
    return blk_new_open_common(filename, fmt, cache, read_only, false, options, errp);
}

BlockBackend *blk_new_open_snapshot(const char *filename, const char *fmt, const char *cache,
                                    GHashTable *options, Error **errp)
{
    return blk_new_open_common(filename, fmt, cache, false, true, options, errp);
}

void blk_remove_bs(BlockBackend *blk)
{
    if (!blk_bs(blk)) {
        return;
    }
    blk_drain(blk);
    /* Closing writes back format metadata; be sure it reaches the file. */
    if (!blk_bs(blk)->read_only) {
        blk_flush(blk);
    }
    bdrv_child_free(blk->root);
    blk->root = NULL;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_remove_bs(blk);
    g_ptr_array_remove(block_backends, blk);
    g_free(blk->name);
    g_free(blk);
}

void blk_set_name(BlockBackend *blk, const char *name)
{
    g_free(blk->name);
    blk->name = g_strdup(name);
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name ? blk->name : "";
}

BlockBackend *blk_by_name(const char *name)
{
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        if (blk->name && !strcmp(blk->name, name)) {
            return blk;
        }
    }
    return NULL;
}

const BlockAcctStats *blk_get_stats(BlockBackend *blk)
{
    return &blk->stats;
}

BlockBackend *blk_next(BlockBackend *blk)
{
    guint i = 0;

    if (!block_backends) {
        return NULL;
    }
    if (blk && !g_ptr_array_find(block_backends, blk, &i)) {
        return NULL;
    }
    i += blk ? 1 : 0;
    return i < block_backends->len ? g_ptr_array_index(block_backends, i) : NULL;
}

void bdrv_drain_all(void)
{
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        blk_drain(blk);
    }
}

void bdrv_close_all(void)
{
    /* Everything in flight finishes first, on every backend, so no
     * request of one drive is cut off by closing another's file. */
    bdrv_drain_all();
    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        blk_remove_bs(blk);
    }
}

bool blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared, Error **errp)
{
    if (!blk_bs(blk)) {
        return true;
    }
    return bdrv_refresh_perms(blk_bs(blk), perm, shared, errp);
}

void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared)
{
    BlockDriverState *bs = blk_bs(blk);

    *perm = bs ? bs->perm : 0;
    *shared = bs ? bs->shared_perm : BLK_PERM_ALL;
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->root ? blk->root->bs : NULL;
}

int64_t blk_getlength(BlockBackend *blk)
{
    return blk_bs(blk) ? bdrv_getlength(blk_bs(blk)) : -ENOMEDIUM;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return !blk_bs(blk) || blk_bs(blk)->read_only;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool wce)
{
    blk->enable_write_cache = wce;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    return blk->enable_write_cache;
}

AioContext *blk_get_aio_context(BlockBackend *blk)
{
    return blk->ctx;
}

static int blk_check_byte_request(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int64_t len;

    if (!blk_bs(blk)) {
        return -ENOMEDIUM;
    }
    if (offset < 0 || bytes < 0) {
        return -EIO;
    }
    len = blk_getlength(blk);
    if (len < 0) {
        return len;
    }
    if (offset > len || len - offset < bytes) {
        return -EIO;
    }
    return 0;
}

/* ---- coroutine interface ---- */

int coroutine_fn BLOCK_FRAME blk_co_preadv(BlockBackend *blk, int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    int ret = blk_check_byte_request(blk, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    trace_event_begin(blk_co_preadv, "blk=%p offset=%" PRId64 " bytes=%" PRId64, blk, offset,
                      bytes);
    int64_t start = blk_acct_now_ns();
    blk->in_flight++;
    ret = bdrv_co_preadv_part(blk->root, offset, bytes, qiov, 0, flags);
    blk->in_flight--;
    trace_event_end(blk_co_preadv_done, blk_co_preadv, "ret=%d", ret);
    blk_account(blk, BLOCK_ACCT_READ, bytes, start, ret);
    return ret;
}

int coroutine_fn BLOCK_FRAME blk_co_pwritev_part(BlockBackend *blk, int64_t offset,
                                                 int64_t bytes, QEMUIOVector *qiov,
                                                 size_t qiov_offset, BdrvRequestFlags flags)
{
    int ret = blk_check_byte_request(blk, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (blk_bs(blk)->read_only) {
        return -EPERM;
    }
    /* Write cache off (writethrough, or the guest said so): each write is
     * stable before it completes. */
    if (!blk->enable_write_cache) {
        flags |= BDRV_REQ_FUA;
    }
    trace_event_begin(blk_co_pwritev, "blk=%p offset=%" PRId64 " bytes=%" PRId64 " flags=0x%x",
                      blk, offset, bytes, flags);
    int64_t start = blk_acct_now_ns();
    blk->in_flight++;
    ret = bdrv_co_pwritev_part(blk->root, offset, bytes, qiov, qiov_offset, flags);
    blk->in_flight--;
    trace_event_end(blk_co_pwritev_done, blk_co_pwritev, "ret=%d", ret);
    blk_account(blk, BLOCK_ACCT_WRITE, bytes, start, ret);
    if (ret >= 0 && (uint64_t)(offset + bytes) > blk->stats.wr_highest_offset) {
        blk->stats.wr_highest_offset = offset + bytes;
    }
    return ret;
}

int coroutine_fn BLOCK_FRAME blk_co_pwritev(BlockBackend *blk, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    return blk_co_pwritev_part(blk, offset, bytes, qiov, 0, flags);
}

int coroutine_fn BLOCK_FRAME blk_co_flush(BlockBackend *blk)
{
    int ret;
    if (!blk_bs(blk)) {
        return -ENOMEDIUM;
    }
    trace_event_begin(blk_co_flush, "blk=%p", blk);
    int64_t start = blk_acct_now_ns();
    blk->in_flight++;
    ret = bdrv_co_flush(blk_bs(blk));
    blk->in_flight--;
    trace_event_end(blk_co_flush_done, blk_co_flush, "ret=%d", ret);
    blk_account(blk, BLOCK_ACCT_FLUSH, 0, start, ret);
    return ret;
}

static int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int ret = blk_check_byte_request(blk, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    blk->in_flight++;
    ret = bdrv_co_pdiscard(blk->root, offset, bytes);
    blk->in_flight--;
    return ret;
}

/* ---- asynchronous interface ---- */

static void blk_aio_complete_bh(void *opaque)
{
    BlockAIOCB *acb = opaque;
    BlockBackend *blk = acb->rwco.blk;

    uint64_t old_req = trace_req_set(acb->trace_req);

    trace_event_begin(blk_aio_complete, "blk=%p acb=%p ret=%d", blk, acb, acb->rwco.ret);
    acb->cb(acb->opaque, acb->rwco.ret);
    blk->in_flight--;
    g_free(acb);
    trace_event_end(blk_aio_complete_done, blk_aio_complete, NULL);
    trace_req_set(old_req);
}

/* Called by each entry when its request is done. */
static void blk_aio_complete(BlockAIOCB *acb)
{
    if (acb->has_returned) {
        aio_bh_schedule_oneshot(acb->rwco.blk->ctx, blk_aio_complete_bh, acb);
    }
    /* else blk_aio_prwv schedules it when the entry returns to it */
}

static BLOCK_FRAME BlockAIOCB *blk_aio_prwv(BlockBackend *blk, int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, CoroutineEntry co_entry,
                                            BdrvRequestFlags flags, BlockCompletionFunc *cb,
                                            void *opaque)
{
    BlockAIOCB *acb = g_new(BlockAIOCB, 1);
    Coroutine *co;

    *acb = (BlockAIOCB){
        .rwco = { .blk = blk, .offset = offset, .bytes = bytes, .qiov = qiov,
                  .flags = flags, .ret = NOT_DONE },
        .cb = cb,
        .opaque = opaque,
        .trace_req = trace_req_current(),
    };
    trace_event_begin(blk_aio_prwv, "blk=%p acb=%p offset=%" PRId64 " bytes=%" PRId64
                      " entry=%p", blk, acb, offset, bytes, co_entry);
    blk->in_flight++;
    co = qemu_coroutine_create(co_entry, acb);
    qemu_coroutine_enter(co);
    acb->has_returned = true;
    if (acb->rwco.ret != NOT_DONE) {
        aio_bh_schedule_oneshot(blk->ctx, blk_aio_complete_bh, acb);
    }
    trace_event_end(blk_aio_prwv_done, blk_aio_prwv, NULL);
    return acb;
}

static void coroutine_fn BLOCK_FRAME blk_aio_read_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;
    BlkRwCo *rwco = &acb->rwco;

    rwco->ret = blk_co_preadv(rwco->blk, rwco->offset, rwco->qiov->size, rwco->qiov,
                              rwco->flags);
    blk_aio_complete(acb);
}

static void coroutine_fn BLOCK_FRAME blk_aio_write_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;
    BlkRwCo *rwco = &acb->rwco;

    if (rwco->flags & BDRV_REQ_ZERO_WRITE) {
        int ret = blk_check_byte_request(rwco->blk, rwco->offset, rwco->bytes);
        rwco->ret = ret < 0 ? ret
                            : bdrv_co_pwrite_zeroes(rwco->blk->root, rwco->offset,
                                                    rwco->bytes, rwco->flags);
    } else {
        rwco->ret = blk_co_pwritev(rwco->blk, rwco->offset, rwco->qiov->size, rwco->qiov,
                                   rwco->flags);
    }
    blk_aio_complete(acb);
}

static void coroutine_fn BLOCK_FRAME blk_aio_flush_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;
    acb->rwco.ret = blk_co_flush(acb->rwco.blk);
    blk_aio_complete(acb);
}

static void coroutine_fn BLOCK_FRAME blk_aio_pdiscard_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;
    acb->rwco.ret = blk_co_pdiscard(acb->rwco.blk, acb->rwco.offset, acb->rwco.bytes);
    blk_aio_complete(acb);
}

BlockAIOCB *blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                           BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_prwv(blk, offset, qiov->size, qiov, blk_aio_read_entry, flags, cb, opaque);
}

BlockAIOCB *blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                            BdrvRequestFlags flags, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_prwv(blk, offset, qiov->size, qiov, blk_aio_write_entry,
                        flags & ~BDRV_REQ_ZERO_WRITE, cb, opaque);
}

BlockAIOCB *blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_prwv(blk, 0, 0, NULL, blk_aio_flush_entry, 0, cb, opaque);
}

BlockAIOCB *blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                             BlockCompletionFunc *cb, void *opaque)
{
    return blk_aio_prwv(blk, offset, bytes, NULL, blk_aio_pdiscard_entry, 0, cb, opaque);
}

BlockAIOCB *blk_aio_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                                  BdrvRequestFlags flags, BlockCompletionFunc *cb,
                                  void *opaque)
{
    return blk_aio_prwv(blk, offset, bytes, NULL, blk_aio_write_entry,
                        flags | BDRV_REQ_ZERO_WRITE, cb, opaque);
}

void blk_aio_cancel_async(BlockAIOCB *acb)
{
    /* A request is in its coroutine from the moment it is submitted and
     * cannot be taken back from the kernel: it completes normally. */
}

/* ---- synchronous interface ---- */

static void coroutine_fn blk_sync_entry(void *opaque)
{
    BlockAIOCB *acb = opaque;
    BlkRwCo *rwco = &acb->rwco;

    if (!rwco->qiov) {
        rwco->ret = blk_co_flush(rwco->blk);
    } else if (rwco->is_write) {
        rwco->ret = blk_co_pwritev(rwco->blk, rwco->offset, rwco->qiov->size, rwco->qiov,
                                   rwco->flags);
    } else {
        rwco->ret = blk_co_preadv(rwco->blk, rwco->offset, rwco->qiov->size, rwco->qiov,
                                  rwco->flags);
    }
}

static int blk_run_sync(BlockBackend *blk, BlockAIOCB *acb)
{
    acb->rwco.blk = blk;
    acb->rwco.ret = NOT_DONE;
    if (qemu_in_coroutine()) {
        blk_sync_entry(acb);
    } else {
        qemu_coroutine_enter(qemu_coroutine_create(blk_sync_entry, acb));
        AIO_WAIT_WHILE(blk->ctx, acb->rwco.ret == NOT_DONE);
    }
    return acb->rwco.ret;
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BlockAIOCB acb = { .rwco = { .offset = offset, .bytes = bytes, .qiov = &qiov,
                                 .flags = flags } };
    if (bytes < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return blk_run_sync(blk, &acb);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes, const void *buf,
               BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BlockAIOCB acb = { .rwco = { .offset = offset, .bytes = bytes, .qiov = &qiov,
                                 .flags = flags, .is_write = true } };
    if (bytes < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return blk_run_sync(blk, &acb);
}

int blk_flush(BlockBackend *blk)
{
    BlockAIOCB acb = { .rwco = { .qiov = NULL } };
    return blk_run_sync(blk, &acb);
}

int blk_save_vmstate(BlockBackend *blk, const uint8_t *buf, int64_t pos, int size)
{
    int ret;

    if (!blk_bs(blk)) {
        return -ENOMEDIUM;
    }
    ret = bdrv_save_vmstate(blk_bs(blk), buf, pos, size);
    /* writethrough: the state is stable when the call returns */
    if (ret == size && !blk->enable_write_cache) {
        int fret = bdrv_flush(blk_bs(blk));
        ret = fret < 0 ? fret : ret;
    }
    return ret;
}

int blk_load_vmstate(BlockBackend *blk, uint8_t *buf, int64_t pos, int size)
{
    return blk_bs(blk) ? bdrv_load_vmstate(blk_bs(blk), buf, pos, size) : -ENOMEDIUM;
}

void blk_drain(BlockBackend *blk)
{
    if (blk_bs(blk)) {
        bdrv_drain_begin(blk_bs(blk));
    }
    AIO_WAIT_WHILE(blk->ctx, blk->in_flight > 0);
    if (blk_bs(blk)) {
        bdrv_drain(blk_bs(blk));
    }
}
