/*
 * null-co:// and null-aio://: protocol drivers with no storage.  Writes
 * are dropped, reads leave the buffer as it is (read-zeroes=on: zeroes);
 * size= sets the length (1 GiB).  null-co completes every request in the
 * caller's coroutine, null-aio after a trip round the event loop, as an
 * asynchronous backend would.  For benchmarks and for tests that stack a
 * format over nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "block/aio.h"
#include "block_int.h"
#include "qemu/main-loop.h"

typedef struct BDRVNullState {
    int64_t length;
    bool read_zeroes;
    bool aio;   /* null-aio: complete from the event loop */
} BDRVNullState;

static int null_open(BlockDriverState *bs, const char *filename, const char *proto, bool aio,
                     Error **errp)
{
    BDRVNullState *s = bs->opaque;
    uint64_t size = 1ULL << 30;

    if (filename && strcmp(filename, proto)) {
        error_setg(errp, "The only allowed filename for this driver is '%s'", proto);
        return -EINVAL;
    }
    if (!bdrv_opt_take_size(bs->options, "size", &size, errp) ||
        !bdrv_opt_take_bool(bs->options, "read-zeroes", &s->read_zeroes, errp)) {
        return -EINVAL;
    }
    if (size > INT64_MAX) {
        error_setg(errp, "size must be at most %" PRId64, INT64_MAX);
        return -EINVAL;
    }
    s->length = size;
    s->aio = aio;
    if (!filename) {
        g_free(bs->filename);
        bs->filename = g_strdup(proto);
    }
    return 0;
}

static int null_co_file_open(BlockDriverState *bs, const char *filename, int flags,
                             Error **errp)
{
    return null_open(bs, filename, "null-co://", false, errp);
}

static int null_aio_file_open(BlockDriverState *bs, const char *filename, int flags,
                              Error **errp)
{
    return null_open(bs, filename, "null-aio://", true, errp);
}

static int coroutine_fn null_complete(BlockDriverState *bs)
{
    BDRVNullState *s = bs->opaque;

    if (s->aio) {
        aio_co_schedule(bdrv_get_aio_context(bs), qemu_coroutine_self());
        qemu_coroutine_yield();
    }
    return 0;
}

static int coroutine_fn null_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                            int64_t bytes, QEMUIOVector *qiov,
                                            size_t qiov_offset, BdrvRequestFlags flags)
{
    BDRVNullState *s = bs->opaque;

    if (s->read_zeroes) {
        qemu_iovec_memset(qiov, qiov_offset, 0, bytes);
    }
    return null_complete(bs);
}

static int coroutine_fn null_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, QEMUIOVector *qiov,
                                             size_t qiov_offset, BdrvRequestFlags flags)
{
    return null_complete(bs);
}

static int coroutine_fn null_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                              int64_t bytes, BdrvRequestFlags flags)
{
    return null_complete(bs);
}

static int coroutine_fn null_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    return null_complete(bs);
}

static int coroutine_fn null_co_flush_to_disk(BlockDriverState *bs)
{
    return null_complete(bs);
}

/* Everything is data at its own offset; zeroes too with read-zeroes. */
static int coroutine_fn null_co_block_status(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes, int64_t *pnum, int64_t *map,
                                             BlockDriverState **file)
{
    BDRVNullState *s = bs->opaque;

    *pnum = bytes;
    *map = offset;
    *file = bs;
    return BDRV_BLOCK_OFFSET_VALID | (s->read_zeroes ? BDRV_BLOCK_ZERO : 0);
}

static int64_t null_getlength(BlockDriverState *bs)
{
    return ((BDRVNullState *)bs->opaque)->length;
}

static int64_t null_get_allocated_file_size(BlockDriverState *bs)
{
    return 0;
}

#define NULL_DRIVER(name_, proto_, open_)                   \
    {                                                       \
        .format_name = name_,                               \
        .protocol_name = proto_,                            \
        .instance_size = sizeof(BDRVNullState),             \
        .bdrv_file_open = open_,                            \
        .bdrv_co_preadv_part = null_co_preadv_part,         \
        .bdrv_co_pwritev_part = null_co_pwritev_part,       \
        .bdrv_co_pwrite_zeroes = null_co_pwrite_zeroes,     \
        .bdrv_co_pdiscard = null_co_pdiscard,               \
        .bdrv_co_flush_to_disk = null_co_flush_to_disk,     \
        .bdrv_co_block_status = null_co_block_status,       \
        .bdrv_getlength = null_getlength,                   \
        .bdrv_get_allocated_file_size = null_get_allocated_file_size, \
    }

const BlockDriver bdrv_null_co = NULL_DRIVER("null-co", "null-co://", null_co_file_open);
const BlockDriver bdrv_null_aio = NULL_DRIVER("null-aio", "null-aio://", null_aio_file_open);
