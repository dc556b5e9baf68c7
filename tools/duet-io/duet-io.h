/*
 * duet-io: qemu-io's request-by-request exerciser over duet's block layer.
 * One open image (a BlockBackend) and a table of commands; each command
 * parses its own argv with getopt, as qemu-io's do, and prints what
 * qemu-io 7.2 prints.
 */
#ifndef DUET_IO_H
#define DUET_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "block_int.h"
#include "sysemu/block-backend.h"

/* qemu-io's cap on one request: INT_MAX rounded down to a sector. */
#define IO_REQUEST_MAX_BYTES (INT32_MAX & ~(int64_t)(BDRV_SECTOR_SIZE - 1))

/* How the open image was opened: reopen starts from it, and goes back to
 * it when the new options do not open. */
typedef struct IOOpenParams {
    char *name;              /* NULL: --image-opts or open -o only */
    char *fmt;
    GHashTable *opts;
    const char *cache;       /* one of blk_cache_mode_names */
    bool read_only;
    bool image_opts;
} IOOpenParams;

typedef struct IOState {
    BlockBackend *blk;       /* NULL: no file open */
    IOOpenParams opened;     /* valid while blk is */
    const char *progname;    /* argv[0]'s base name */
    bool quit;
} IOState;

typedef struct IOCmd {
    const char *name;
    const char *altname;     /* NULL: none */
    /* argv[0] is the command's name; returns 0 or -errno (the exit status
     * becomes 1). */
    int (*func)(IOState *s, int argc, char **argv);
    int argmin, argmax;      /* argmax -1: no limit */
    bool nofile_ok;          /* runs without an open file */
    bool needs_write;        /* refused on a read-only image */
    const char *args;
    const char *oneline;
    const char *help;        /* extended help (duet's own words); NULL none */
} IOCmd;

/* io-cmds.c and io-cmds-misc.c: the tables, joined by duet-io.c. */
extern const IOCmd io_rw_cmds[];
extern const IOCmd io_misc_cmds[];

/* By name or alternative name; NULL if none. */
const IOCmd *io_find_cmd(const char *name);

/* duet-io.c */
int io_command(IOState *s, const char *line);
/* "PROG: msg" on stderr, as error_report. */
void io_error(IOState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void io_usage_line(const IOCmd *ct);
/* open with qemu-io's flags; false after printing the error */
bool io_open(IOState *s, const char *name, const char *fmt, GHashTable *opts, bool read_only,
             const char *cache, bool image_opts);
/* the same, without messages: the BlockBackend or NULL and *errp */
bool io_discard_mode_valid(const char *mode);
/* -o of open and reopen into opts; false after the message */
bool io_parse_node_opts(IOState *s, GHashTable *opts, const char *str);
BlockBackend *io_open_blk(const IOOpenParams *p, Error **errp);
const char *io_cache_mode(const char *mode); /* qemu-io's name -> duet's; NULL */
void io_close(IOState *s);
/* Runs the main AioContext until *done (callbacks, timers). */
void io_wait(bool *done);
void io_drain(IOState *s);

/* io-report.c */
/* qemu-io's number: an optional k/M/G/T/P/E suffix; -EINVAL, -ERANGE. */
int64_t io_cvtnum(const char *s);
void io_print_cvtnum_err(int64_t rc, const char *arg);
/* "4 KiB", "1.500 MiB", "64 bytes" */
void io_cvtstr(double value, char *str, size_t size);
/* The statistics line after a request; terse is -C. */
void io_print_report(const char *op, struct timespec *start, struct timespec *end,
                     int64_t offset, int64_t count, int64_t total, int cnt, bool terse);
/* -v: 16 bytes a line, address, hex and characters */
void io_dump_buffer(const void *buf, int64_t offset, int64_t len);
/* -P: pattern byte, or -1 after the message */
int io_parse_pattern(const char *arg);
/* count bytes filled with pattern, for O_DIRECT (qemu_blockalign) */
void *io_alloc(IOState *s, size_t len, int pattern);
/* builds qiov over one buffer from the len arguments (at least one);
 * NULL after a message */
void *io_create_iovec(IOState *s, QEMUIOVector *qiov, char **argv, int nr_iov, int pattern);
/* "Pattern verification failed at offset ..." when buf is not all
 * pattern; false then */
bool io_check_pattern(const void *buf, int64_t len, int pattern, int64_t report_offset);

#endif
