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

/*
 * Permissions a user takes on a node, and shares (or not) with the node's
 * other users: QEMU 7.2's set and bit order.  The file protocol turns bit
 * i into OFD lock bytes 100 + i (held) and 200 + i (not shared), so that
 * other processes, QEMU's among them, see them (block/file-lock.c).
 */
#define BLK_PERM_CONSISTENT_READ 0x01
#define BLK_PERM_WRITE           0x02
#define BLK_PERM_WRITE_UNCHANGED 0x04
#define BLK_PERM_RESIZE          0x08
#define BLK_PERM_ALL             0x0f

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
