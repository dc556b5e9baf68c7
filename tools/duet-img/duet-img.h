/* Helpers shared by the duet-img sub-commands (duet-img*.c). */
#ifndef DUET_IMG_H
#define DUET_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "block_int.h"
#include "qemu/cutils.h"
#include "sysemu/block-backend.h"

/* Copy/compare granularity. */
#define IMG_CHUNK (2 * 1024 * 1024)

/* getopt_long values of long-only options */
enum {
    IMG_OPT_OUTPUT = 256,
    IMG_OPT_SHRINK,
    IMG_OPT_PATTERN,
    IMG_OPT_FLUSH_INTERVAL,
    IMG_OPT_NO_DRAIN,
    IMG_OPT_IMAGE_OPTS,
    IMG_OPT_SIZE,
    IMG_OPT_OBJECT,
    IMG_OPT_FORCE,
    IMG_OPT_BITMAP_ADD,
    IMG_OPT_BITMAP_REMOVE,
    IMG_OPT_BITMAP_CLEAR,
    IMG_OPT_BITMAP_ENABLE,
    IMG_OPT_BITMAP_DISABLE,
    IMG_OPT_BITMAP_MERGE,
    IMG_OPT_TARGET_IMAGE_OPTS,
    IMG_OPT_SALVAGE,
};

extern bool quiet;

/* One "duet-img: ..." line on stderr. */
void img_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void img_error_err(Error *err);
/* qemu-img's error_exit(): the line and "Try 'PROG --help' ..." after it
 * (usage errors). */
void img_error_exit(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* getopt's complaint about argv[optind - 1], as one line. */
void bad_option(int c, const char *cmd, char **argv);
/* "10G", "512", "1.5M", "64k": bytes (qemu_strtosz), at most INT64_MAX. */
bool parse_size(const char *str, int64_t *size);
/* parse_size with qemu-img's two-line complaint naming what ("bs",
 * "rate limit", "image size"). */
bool img_parse_sized(const char *what, const char *str, int64_t *value);
/* The same within [min, max]: "Must be between MIN and MAX." outside it,
 * and for numbers too big for 64 bits. */
bool img_parse_sized_range(const char *what, const char *str, int64_t min, int64_t max,
                           int64_t *value);
/* -t/-T: the cache mode's open flags; "Invalid [source ]cache option". */
bool img_cache_flags(const char *mode, const char *what, int *flags);
/* -p: qemu-img's "    (12.34/100%)\r" lines, and the last one with a
 * newline at the end. */
typedef struct ImgProgress {
    bool on;
    bool printed;
    double last;
} ImgProgress;
void img_progress(ImgProgress *p, int64_t done, int64_t total);
void img_progress_end(ImgProgress *p);
/* Adds one -o argument to acc (qemu-img: several -o add up); refuses a
 * leading or trailing comma, as qemu-img does ("Invalid option list"). */
bool img_accumulate_options(GString *acc, const char *arg);
/*
 * The -o options for drv, checked against its create_opts and its
 * protocol's; NULL after printing the error ("FILENAME: " first with
 * prefix_errors, as create does and convert does not).  "help" (or
 * KEY=help) prints qemu-img's listing, which names the protocol's keys
 * only if filename is known, and sets *help.
 */
QemuOpts *img_create_opts(const BlockDriver *drv, const char *optstr, const char *filename,
                          bool prefix_errors, bool *help);
/* --image-opts ...,help: prints the node options, true. */
bool img_image_opts_help(bool image_opts, const char *arg);
bool parse_output(const char *arg, bool *json);
const BlockDriver *find_format(const char *fmt);
/*
 * Opening, with node options.  With image_opts (--image-opts) filename is
 * an option string, "driver=qcow2,file.filename=x.qcow2,l2-cache-size=1M",
 * and fmt must be NULL; force_share is -U (force-share=on: other users'
 * locks do not stop a read-only open); extra (may be NULL) adds options of
 * the command's own (bench's file.aio).  Errors are printed as qemu-img
 * prints them ("Could not open 'x': ...").
 */
BlockBackend *img_open_opts(const char *filename, const char *fmt, bool image_opts,
                            bool force_share, const char *cache, bool read_only,
                            GHashTable *extra);
BlockDriverState *img_open_bs_opts(const char *filename, const char *fmt, bool image_opts,
                                   bool force_share, int flags);
BlockDriverState *img_open_bs(const char *filename, const char *fmt, int flags);
/* QEMU's warning when a probed raw image is opened for writing (no -f). */
void img_warn_probed_raw(BlockDriverState *bs, const char *filename);
/* qemu-img's complaint when -f comes with --image-opts; false then. */
bool img_check_image_opts(bool image_opts, const char *fmt);

typedef struct MapEntry {
    int64_t start;
    int64_t length;
    int depth;
    bool present;
    bool zero;
    bool data;
    bool compressed;
    bool has_offset;
    int64_t offset;
    const char *filename;
} MapEntry;

/* Status of [offset, offset+bytes) through the backing chain; e->length
 * says how far the answer holds. */
int chain_status(BlockDriverState *bs, int64_t offset, int64_t bytes, MapEntry *e);

/* qemu-img's "Snapshot list:" table; nothing without snapshots. */
void img_dump_snapshots(BlockDriverState *bs);

int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_map(int argc, char **argv);
/* -l of convert and measure: "snapshot.id=ID,snapshot.name=NAME" (opts)
 * or an id or name (name); the last -l counts. */
typedef struct ImgSnapshotArg {
    const char *name;
    QemuOpts *opts;
} ImgSnapshotArg;
bool img_snapshot_arg(ImgSnapshotArg *sn, const char *arg);
void img_snapshot_arg_clear(ImgSnapshotArg *sn);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ImgSnapshotArg, img_snapshot_arg_clear)
/* bs reads as the snapshot (if one was asked for); false after the error. */
bool img_load_snapshot(const ImgSnapshotArg *sn, BlockDriverState *bs);
int img_convert(int argc, char **argv);
int img_bench(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_dd(int argc, char **argv);
int img_bitmap(int argc, char **argv);

#endif
