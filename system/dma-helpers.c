/*
 * Block I/O to and from a scatter-gather list of guest memory.
 *
 * dma_blk_cb is the loop: each round maps as much of the list as
 * address_space_map gives (RAM directly, at most one bounce buffer for
 * anything else), trims the vector to a multiple of align, and issues it
 * through io_func with itself as the completion.  When mapping yields
 * less than one align unit (a run of tiny non-RAM segments), one unit
 * goes through a private buffer copied with address_space_read/write,
 * which is also where an undecoded guest address shows up.  Such a failure
 * is reported as the memory API's MemTxResult, apart from the block
 * layer's -errno (see DMACompletionFunc): a bus master turns the one into
 * its own error bit, a disk the other into a media error.
 */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>

#include "sysemu/dma.h"

#include "trace/trace.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

void qemu_sglist_init(QEMUSGList *qsg, int alloc_hint, AddressSpace *as)
{
    qsg->nalloc = alloc_hint > 0 ? alloc_hint : 1;
    qsg->sg = g_new(ScatterGatherEntry, qsg->nalloc);
    qsg->nsg = 0;
    qsg->size = 0;
    qsg->as = as;
}

void qemu_sglist_add(QEMUSGList *qsg, dma_addr_t base, dma_addr_t len)
{
    if (qsg->nsg == qsg->nalloc) {
        qsg->nalloc *= 2;
        qsg->sg = g_renew(ScatterGatherEntry, qsg->sg, qsg->nalloc);
    }
    qsg->sg[qsg->nsg].base = base;
    qsg->sg[qsg->nsg].len = len;
    qsg->nsg++;
    qsg->size += len;
}

void qemu_sglist_destroy(QEMUSGList *qsg)
{
    g_free(qsg->sg);
    memset(qsg, 0, sizeof(*qsg));
}

/* One guest access of a copy; to_memory: buf -> guest. */
static MemTxResult dma_access(AddressSpace *as, dma_addr_t addr, uint8_t *buf,
                              dma_addr_t len, bool to_memory)
{
    if (to_memory) {
        return address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, buf, len);
    }
    return address_space_read(as, addr, MEMTXATTRS_UNSPECIFIED, buf, len);
}

MemTxResult dma_buf_rw(QEMUSGList *sg, void *buf, dma_addr_t len, DMADirection dir,
                       dma_addr_t *done)
{
    bool to_memory = dir == DMA_DIRECTION_FROM_DEVICE;
    uint8_t *p = buf;
    dma_addr_t copied = 0;
    MemTxResult res = MEMTX_OK;

    for (int i = 0; i < sg->nsg && copied < len; i++) {
        dma_addr_t take = MIN(sg->sg[i].len, len - copied);

        res = dma_access(sg->as, sg->sg[i].base, p + copied, take, to_memory);
        if (res != MEMTX_OK) {
            break;
        }
        copied += take;
    }
    if (done) {
        *done = copied;
    }
    return res;
}

struct DMAAIOCB {
    AioContext *ctx;
    QEMUSGList *sg;
    uint64_t offset; /* device byte offset of the piece in flight */
    uint64_t trace_req; /* the request id (trace), set again in each callback */
    uint32_t align;
    DMADirection dir;
    /* Cursor: the first byte of sg not yet handed to a piece. */
    int sg_cur_index;
    dma_addr_t sg_cur_byte;
    QEMUIOVector iov;     /* the piece in flight, mapped from sg */
    uint8_t *bounce;      /* private buffer of align bytes (slow path) */
    QEMUIOVector bounce_iov;
    size_t bounce_len;    /* bytes of it in flight, 0 when unused */
    int bounce_index;     /* cursor where the bounced bytes belong */
    dma_addr_t bounce_byte;
    DMAIOFunc *io_func;
    void *io_func_opaque;
    DMACompletionFunc *cb;
    void *opaque;
};

static bool dma_is_write_to_memory(DMAAIOCB *dbs)
{
    return dbs->dir == DMA_DIRECTION_FROM_DEVICE;
}

static void dma_sg_advance(DMAAIOCB *dbs, dma_addr_t len)
{
    while (len) {
        ScatterGatherEntry *e = &dbs->sg->sg[dbs->sg_cur_index];
        dma_addr_t take = MIN(len, e->len - dbs->sg_cur_byte);

        dbs->sg_cur_byte += take;
        len -= take;
        if (dbs->sg_cur_byte == e->len) {
            dbs->sg_cur_index++;
            dbs->sg_cur_byte = 0;
        }
    }
}

static void dma_sg_rewind(DMAAIOCB *dbs, dma_addr_t len)
{
    while (len) {
        dma_addr_t take;

        if (dbs->sg_cur_byte == 0) {
            dbs->sg_cur_index--;
            dbs->sg_cur_byte = dbs->sg->sg[dbs->sg_cur_index].len;
        }
        take = MIN(len, dbs->sg_cur_byte);
        dbs->sg_cur_byte -= take;
        len -= take;
    }
}

static dma_addr_t dma_sg_remaining(DMAAIOCB *dbs)
{
    dma_addr_t left = 0;

    for (int i = dbs->sg_cur_index; i < dbs->sg->nsg; i++) {
        left += dbs->sg->sg[i].len;
    }
    return left - dbs->sg_cur_byte;
}

/*
 * Copies len bytes between buf and sg at the cursor, advancing it; stops
 * at the first access that fails and returns its result.
 */
static MemTxResult dma_sg_copy(DMAAIOCB *dbs, uint8_t *buf, size_t len)
{
    while (len) {
        ScatterGatherEntry *e = &dbs->sg->sg[dbs->sg_cur_index];
        dma_addr_t take = MIN(len, e->len - dbs->sg_cur_byte);
        MemTxResult res = dma_access(dbs->sg->as, e->base + dbs->sg_cur_byte, buf, take,
                                     dma_is_write_to_memory(dbs));

        if (res != MEMTX_OK) {
            return res;
        }
        dma_sg_advance(dbs, take);
        buf += take;
        len -= take;
    }
    return MEMTX_OK;
}

static void dma_blk_unmap(DMAAIOCB *dbs)
{
    bool is_write = dma_is_write_to_memory(dbs);

    for (int i = 0; i < dbs->iov.niov; i++) {
        address_space_unmap(dbs->sg->as, dbs->iov.iov[i].iov_base, dbs->iov.iov[i].iov_len,
                            is_write, dbs->iov.iov[i].iov_len);
    }
    qemu_iovec_reset(&dbs->iov);
}

static void dma_complete(DMAAIOCB *dbs, int ret, MemTxResult mem)
{
    DMACompletionFunc *cb = dbs->cb;
    void *opaque = dbs->opaque;

    dma_blk_unmap(dbs);
    qemu_iovec_destroy(&dbs->iov);
    g_free(dbs->bounce);
    g_free(dbs);
    cb(opaque, ret, mem);
}

/* Drops bytes from the end of the mapped vector so it is a multiple of align. */
static void dma_blk_trim(DMAAIOCB *dbs)
{
    size_t excess = dbs->iov.size % dbs->align;
    bool is_write = dma_is_write_to_memory(dbs);

    dma_sg_rewind(dbs, excess);
    while (excess) {
        struct iovec *last = &dbs->iov.iov[dbs->iov.niov - 1];

        if (last->iov_len > excess) {
            last->iov_len -= excess;
            dbs->iov.size -= excess;
            break;
        }
        address_space_unmap(dbs->sg->as, last->iov_base, last->iov_len, is_write, 0);
        excess -= last->iov_len;
        dbs->iov.size -= last->iov_len;
        dbs->iov.niov--;
    }
}

static void dma_blk_cb(void *opaque, int ret);

static void dma_blk_bounce_unit(DMAAIOCB *dbs)
{
    size_t len = MIN((dma_addr_t)dbs->align, dma_sg_remaining(dbs));

    if (!dbs->bounce) {
        dbs->bounce = g_malloc(dbs->align);
    }
    dbs->bounce_len = len;
    dbs->bounce_index = dbs->sg_cur_index;
    dbs->bounce_byte = dbs->sg_cur_byte;
    if (dma_is_write_to_memory(dbs)) {
        dma_sg_advance(dbs, len); /* copied out when the read lands */
    } else {
        MemTxResult res = dma_sg_copy(dbs, dbs->bounce, len);

        if (res != MEMTX_OK) {
            dbs->bounce_len = 0;
            dma_complete(dbs, 0, res);
            return;
        }
    }
    qemu_iovec_init_buf(&dbs->bounce_iov, dbs->bounce, len);
    dbs->io_func(dbs->offset, &dbs->bounce_iov, dma_blk_cb, dbs, dbs->io_func_opaque);
}

/* noinline: the layers stay separate frames for gdb (see docs/architecture.md). */
static __attribute__((noinline)) void dma_blk_cb(void *opaque, int ret)
{
    DMAAIOCB *dbs = opaque;
    bool is_write = dma_is_write_to_memory(dbs);
    MemTxResult mem = MEMTX_OK;
    size_t piece;

    uint64_t old_req = trace_req_set(dbs->trace_req);

    trace_event_begin(dma_blk_cb, "dbs=%p ret=%d offset=%" PRIu64, (void *)dbs, ret,
                      dbs->offset);
    if (dbs->bounce_len) {
        piece = dbs->bounce_len;
        dbs->bounce_len = 0;
        if (ret >= 0 && is_write) {
            int index = dbs->sg_cur_index;
            dma_addr_t byte = dbs->sg_cur_byte;

            dbs->sg_cur_index = dbs->bounce_index;
            dbs->sg_cur_byte = dbs->bounce_byte;
            mem = dma_sg_copy(dbs, dbs->bounce, piece);
            dbs->sg_cur_index = index;
            dbs->sg_cur_byte = byte;
        }
    } else {
        piece = dbs->iov.size;
        dma_blk_unmap(dbs);
    }
    dbs->offset += piece;
    if (ret < 0 || mem != MEMTX_OK) {
        dma_complete(dbs, MIN(ret, 0), mem);
        goto out;
    }
    if (dbs->sg_cur_index == dbs->sg->nsg || dma_sg_remaining(dbs) < dbs->align) {
        dma_complete(dbs, 0, MEMTX_OK);
        goto out;
    }

    while (dbs->sg_cur_index < dbs->sg->nsg && dbs->iov.niov < IOV_MAX) {
        ScatterGatherEntry *e = &dbs->sg->sg[dbs->sg_cur_index];
        hwaddr len = e->len - dbs->sg_cur_byte;
        void *mem = address_space_map(dbs->sg->as, e->base + dbs->sg_cur_byte, &len,
                                      is_write, MEMTXATTRS_UNSPECIFIED);

        if (!mem) {
            break;
        }
        qemu_iovec_add(&dbs->iov, mem, len);
        dma_sg_advance(dbs, len);
    }
    dma_blk_trim(dbs);
    if (dbs->iov.size == 0) {
        dma_blk_bounce_unit(dbs);
        goto out;
    }
    dbs->io_func(dbs->offset, &dbs->iov, dma_blk_cb, dbs, dbs->io_func_opaque);
out:
    /* dbs may be freed by now (dma_complete) */
    trace_event_end(dma_blk_cb_done, dma_blk_cb, NULL);
    trace_req_set(old_req);
}

__attribute__((noinline)) DMAAIOCB *
dma_blk_io(AioContext *ctx, QEMUSGList *sg, uint64_t offset, uint32_t align,
           DMAIOFunc *io_func, void *io_func_opaque, DMACompletionFunc *cb, void *opaque,
           DMADirection dir)
{
    DMAAIOCB *dbs = g_new0(DMAAIOCB, 1);

    assert(align > 0);
    dbs->ctx = ctx;
    dbs->sg = sg;
    dbs->offset = offset;
    dbs->align = align;
    dbs->dir = dir;
    dbs->io_func = io_func;
    dbs->io_func_opaque = io_func_opaque;
    dbs->cb = cb;
    dbs->opaque = opaque;
    qemu_iovec_init(&dbs->iov, sg->nsg);
    dbs->trace_req = trace_req_current();
    trace_event_begin(dma_blk_io, "dbs=%p offset=%" PRIu64 " bytes=%" PRIu64 " nsg=%d %s",
                      (void *)dbs, offset, (uint64_t)sg->size, sg->nsg,
                      dir == DMA_DIRECTION_FROM_DEVICE ? "read" : "write");
    dma_blk_cb(dbs, 0);
    trace_event_end(dma_blk_io_done, dma_blk_io, NULL);
    return dbs;
}

static __attribute__((noinline)) BlockAIOCB *
dma_blk_read_io_func(int64_t offset, QEMUIOVector *iov, BlockCompletionFunc *cb,
                     void *cb_opaque, void *opaque)
{
    BlockBackend *blk = opaque;

    return blk_aio_preadv(blk, offset, iov, 0, cb, cb_opaque);
}

static __attribute__((noinline)) BlockAIOCB *
dma_blk_write_io_func(int64_t offset, QEMUIOVector *iov, BlockCompletionFunc *cb,
                      void *cb_opaque, void *opaque)
{
    BlockBackend *blk = opaque;

    return blk_aio_pwritev(blk, offset, iov, 0, cb, cb_opaque);
}

__attribute__((noinline)) DMAAIOCB *
dma_blk_read(BlockBackend *blk, QEMUSGList *sg, uint64_t offset, uint32_t align,
             DMACompletionFunc *cb, void *opaque)
{
    return dma_blk_io(blk_get_aio_context(blk), sg, offset, align, dma_blk_read_io_func, blk,
                      cb, opaque, DMA_DIRECTION_FROM_DEVICE);
}

__attribute__((noinline)) DMAAIOCB *
dma_blk_write(BlockBackend *blk, QEMUSGList *sg, uint64_t offset, uint32_t align,
              DMACompletionFunc *cb, void *opaque)
{
    return dma_blk_io(blk_get_aio_context(blk), sg, offset, align, dma_blk_write_io_func, blk,
                      cb, opaque, DMA_DIRECTION_TO_DEVICE);
}
