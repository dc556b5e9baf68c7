/*
 * What users of the block layer outside block/ (devices, dma-helpers,
 * tools) may see besides the BlockBackend API: opaque node types, request
 * flags and the node-options table.  Driver internals stay in
 * block/block_int.h, which only block/ and the block tools include.
 */
#ifndef BLOCK_BLOCK_COMMON_H
#define BLOCK_BLOCK_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "qapi/error.h"

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

#define BDRV_SECTOR_BITS 9
#define BDRV_SECTOR_SIZE (1ULL << BDRV_SECTOR_BITS)

typedef enum {
    BDRV_REQ_ZERO_WRITE = 0x2,
    BDRV_REQ_MAY_UNMAP = 0x4,
    BDRV_REQ_FUA = 0x10,
    BDRV_REQ_NO_FALLBACK = 0x100,
} BdrvRequestFlags;

/*
 * Node options (block/options.c): a string -> string table, owned keys and
 * values, handed to blk_new_open_opts.
 */
GHashTable *bdrv_options_new(void);
/* on|off (also true|false, yes|no) for option key: -drive's own keys too. */
bool bdrv_parse_bool(const char *key, const char *str, bool *value, Error **errp);

#endif
