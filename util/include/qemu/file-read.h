/*
 * Reading a file the user named: checked before it is read, so that
 * /dev/zero, a FIFO or a file larger than what it is for gets an error
 * with the numbers instead of an unbounded read.
 */
#ifndef QEMU_FILE_READ_H
#define QEMU_FILE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qapi/error.h"

/*
 * Reads all of @path, which must be a regular file of at most @max_size
 * bytes; @limit says what the limit is ("guest RAM (128 MiB)") for the
 * error.  Errors start with "@what @path: ".  *@data is NUL-terminated
 * (one byte beyond *@len) and g_free'd by the caller.
 */
bool qemu_read_file_bounded(const char *what, const char *path, uint64_t max_size,
                            const char *limit, uint8_t **data, size_t *len, Error **errp);

/* "300 MiB" / "4 KiB" / "12 bytes": a size for messages. */
char *qemu_format_size(uint64_t bytes);

#endif
