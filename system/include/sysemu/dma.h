/*
 * DMA helpers: a scatter-gather list of guest-physical ranges, and block
 * I/O straight between such a list and a BlockBackend (dma_blk_read /
 * dma_blk_write), mapping guest RAM with address_space_map.
 */
#ifndef SYSEMU_DMA_H
#define SYSEMU_DMA_H

#include <stdint.h>

#include "block/aio.h"
#include "exec/memory.h"
#include "qemu/iov.h"
#include "sysemu/block-backend.h"

typedef uint64_t dma_addr_t;

typedef enum {
    DMA_DIRECTION_TO_DEVICE = 0,   /* memory -> device (a disk write) */
    DMA_DIRECTION_FROM_DEVICE = 1, /* device -> memory (a disk read) */
} DMADirection;

typedef struct ScatterGatherEntry {
    dma_addr_t base;
    dma_addr_t len;
} ScatterGatherEntry;

typedef struct QEMUSGList {
    ScatterGatherEntry *sg;
    int nsg;
    int nalloc;
    dma_addr_t size;
    AddressSpace *as;
} QEMUSGList;

void qemu_sglist_init(QEMUSGList *qsg, int alloc_hint, AddressSpace *as);
void qemu_sglist_add(QEMUSGList *qsg, dma_addr_t base, dma_addr_t len);
void qemu_sglist_destroy(QEMUSGList *qsg);

/*
 * Copies len bytes between buf and the list (FROM_DEVICE: buf -> memory),
 * from its start.  Stops at the first guest access that fails and returns
 * that access's result; *done (may be NULL) is the bytes copied before it.
 */
MemTxResult dma_buf_rw(QEMUSGList *sg, void *buf, dma_addr_t len, DMADirection dir,
                       dma_addr_t *done);

typedef struct DMAAIOCB DMAAIOCB;

/*
 * How a transfer ended.  ret: 0, or the block layer's -errno for a request
 * that failed (a host I/O error).  mem: MEMTX_OK, or the memory API's
 * result for the guest access that failed (MEMTX_DECODE_ERROR: nothing
 * decodes the address), after which nothing more was transferred.  At most
 * one of the two reports a failure.
 */
typedef void DMACompletionFunc(void *opaque, int ret, MemTxResult mem);

/* Issues one piece: offset in the backend, the mapped vector, completion. */
typedef BlockAIOCB *DMAIOFunc(int64_t offset, QEMUIOVector *iov, BlockCompletionFunc *cb,
                              void *cb_opaque, void *opaque);

/*
 * Transfers the whole of sg at byte offset of the device, in pieces whose
 * sizes are multiples of align, then calls cb(opaque, ret, mem) from ctx
 * (see DMACompletionFunc).  sg must stay valid until then.
 */
DMAAIOCB *dma_blk_io(AioContext *ctx, QEMUSGList *sg, uint64_t offset, uint32_t align,
                     DMAIOFunc *io_func, void *io_func_opaque, DMACompletionFunc *cb,
                     void *opaque, DMADirection dir);
DMAAIOCB *dma_blk_read(BlockBackend *blk, QEMUSGList *sg, uint64_t offset, uint32_t align,
                       DMACompletionFunc *cb, void *opaque);
DMAAIOCB *dma_blk_write(BlockBackend *blk, QEMUSGList *sg, uint64_t offset, uint32_t align,
                        DMACompletionFunc *cb, void *opaque);

#endif
