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
#include <stdio.h>
#include <glib.h>

#include "qapi/error.h"
#include "qemu/option.h"

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
 * values, handed to blk_new_open_opts.  "file.X" is option X of the
 * protocol node, "backing.X" of the backing file's node.
 */
GHashTable *bdrv_options_new(void);
/* "key=value,key=value" (qemu/option.h syntax) into options; later keys
 * win.  A help request is refused here: ask bdrv_node_options_help first. */
bool bdrv_options_parse(GHashTable *options, const char *str, Error **errp);
/*
 * If opts asks for help ("help", or KEY=help for a node option that is
 * not free text), prints the node options of @format (NULL: of every
 * format), or KEY's line, and returns true.  opts may come from any list
 * (-drive's, --image-opts').
 */
bool bdrv_node_options_help(FILE *out, const QemuOpts *opts, const char *format);
/* The same for an --image-opts string (its driver= is the format). */
bool bdrv_node_options_help_str(FILE *out, const char *str);
/* Format names, NULL-terminated (for -drive format=). */
extern const char *const bdrv_format_names[];

#endif
