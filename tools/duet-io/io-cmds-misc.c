/*
 * duet-io's commands about the image rather than its data: length, info,
 * map, alloc, open, close, reopen, the blkdebug breakpoints, sleep, help,
 * quit, abort, sigraise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "qemu/json-writer.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "duet-io.h"

static int io_usage(const char *name);

static int length_f(IOState *s, int argc, char **argv)
{
    int64_t size = blk_getlength(s->blk);
    char buf[64];

    if (size < 0) {
        printf("getlength: %s\n", strerror(-size));
        return size;
    }
    io_cvtstr(size, buf, sizeof(buf));
    printf("%s\n", buf);
    return 0;
}

/* Whether the node at the bottom of bs's file chain is a file. */
static bool io_bottom_is_file(BlockDriverState *bs)
{
    while (bs->file) {
        bs = bs->file->bs;
    }
    return !strcmp(bs->drv->format_name, "file");
}

static int info_f(IOState *s, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(s->blk);
    BlockDriverInfo bdi;
    char s1[64], s2[64];
    int ret;

    printf("format name: %s\n", bs->drv->format_name);
    ret = bdrv_get_info(bs, &bdi);
    /* raw answers for its file: nothing clustered, no VM state; but
     * null-co answers nothing (qemu-io fails there too) */
    if (ret == -ENOTSUP && bs->drv->is_format && io_bottom_is_file(bs)) {
        ret = 0;
    }
    if (ret) {
        return ret;
    }
    io_cvtstr(bdi.cluster_size, s1, sizeof(s1));
    io_cvtstr(bdi.vm_state_offset, s2, sizeof(s2));
    printf("cluster size: %s\n", s1);
    printf("vm state offset: %s\n", s2);
    if (bs->drv->bdrv_dump_info) {
        g_autoptr(GString) text = g_string_new("");
        JSONWriter *unused = json_writer_new(false);

        json_writer_start_object(unused, NULL);
        bs->drv->bdrv_dump_info(bs, text, unused);
        json_writer_free(unused);
        if (text->len) {
            printf("Format specific information:\n%s%s", text->str,
                   text->str[text->len - 1] == '\n' ? "" : "\n");
        }
    }
    return 0;
}

/* Whether [offset, offset + bytes) is allocated in this layer. */
static int io_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum)
{
    int ret = bdrv_block_status(bs, offset, bytes, pnum, NULL, NULL);

    if (ret < 0) {
        return ret;
    }
    return !!(ret & BDRV_BLOCK_ALLOCATED);
}

/* The longest run from offset with one answer, for this layer alone (as
 * qemu-io 7.2 maps: data the backing file provides shows as not allocated). */
static int io_map_is_allocated(BlockDriverState *bs, int64_t offset, int64_t bytes,
                               int64_t *pnum)
{
    int64_t num;
    int first = io_is_allocated(bs, offset, bytes, &num), ret;

    if (first < 0) {
        return first;
    }
    *pnum = num;
    while (num && num < bytes) {
        int64_t more;
        offset += num;
        bytes -= num;
        ret = io_is_allocated(bs, offset, bytes, &more);
        if (ret < 0 || ret != first || !more) {
            break;
        }
        *pnum += more;
        num = more;
    }
    return first;
}

static int map_f(IOState *s, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(s->blk);
    int64_t offset = 0, bytes = blk_getlength(s->blk), num;
    char s1[64], s2[64];

    if (bytes < 0) {
        io_error(s, "Failed to query image length: %s", strerror(-bytes));
        return bytes;
    }
    while (bytes) {
        int ret = io_map_is_allocated(bs, offset, bytes, &num);

        if (ret < 0) {
            io_error(s, "Failed to get allocation status: %s", strerror(-ret));
            return ret;
        }
        if (!num) {
            io_error(s, "Unexpected end of image");
            return -EIO;
        }
        io_cvtstr(num, s1, sizeof(s1));
        io_cvtstr(offset, s2, sizeof(s2));
        printf("%s (0x%" PRIx64 ") bytes %s at offset %s (0x%" PRIx64 ")\n", s1, num,
               ret ? "    allocated" : "not allocated", s2, offset);
        offset += num;
        bytes -= num;
    }
    return 0;
}

static int alloc_f(IOState *s, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(s->blk);
    int64_t offset, bytes = BDRV_SECTOR_SIZE, remaining, sum_alloc = 0;
    char s1[64];

    offset = io_cvtnum(argv[1]);
    if (offset < 0) {
        io_print_cvtnum_err(offset, argv[1]);
        return offset;
    }
    if (argc == 3) {
        bytes = io_cvtnum(argv[2]);
        if (bytes < 0) {
            io_print_cvtnum_err(bytes, argv[2]);
            return bytes;
        }
        if (bytes > INT32_MAX) {
            printf("length argument cannot exceed %d, given %s\n", INT32_MAX, argv[2]);
            return -EINVAL;
        }
    }
    remaining = bytes;
    while (remaining) {
        int64_t num;
        int ret = io_is_allocated(bs, offset, remaining, &num);

        if (ret < 0) {
            printf("is_allocated failed: %s\n", strerror(-ret));
            return ret;
        }
        offset += num;
        remaining -= num;
        if (ret) {
            sum_alloc += num;
        }
        if (num == 0) {
            bytes -= remaining;
            remaining = 0;
        }
    }
    io_cvtstr(offset - bytes, s1, sizeof(s1));
    printf("%" PRId64 "/%" PRId64 " bytes allocated at offset %s\n", sum_alloc, bytes, s1);
    return 0;
}

/* ---- open, close, reopen ---- */

static int open_f(IOState *s, int argc, char **argv)
{
    g_autoptr(GHashTable) opts = bdrv_options_new();
    bool read_only = false, force_share = false, snapshot = false;
    const char *cache = NULL;
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "snCro:kt:d:U")) != -1) {
        switch (c) {
        case 's': snapshot = true; break;
        case 'n': cache = "none"; break;
        case 'C': break; /* copy-on-read: duet reads through without copying */
        case 'k': g_hash_table_insert(opts, g_strdup("file.aio"), g_strdup("native")); break;
        case 'r': read_only = true; break;
        case 'U': force_share = true; break;
        case 't': cache = optarg; break;
        case 'd':
            if (!io_discard_mode_valid(optarg)) {
                io_error(s, "Invalid discard option: %s", optarg);
                return -EINVAL;
            }
            g_hash_table_insert(opts, g_strdup("discard"), g_strdup(optarg));
            break;
        case 'o':
            if (!io_parse_node_opts(s, opts, optarg)) {
                return -EINVAL;
            }
            break;
        default:
            return io_usage("open");
        }
    }
    if (force_share) {
        g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
    }
    if (snapshot) {
        g_hash_table_insert(opts, g_strdup("snapshot"), g_strdup("on"));
    }
    if (optind == argc - 1) {
        return io_open(s, argv[optind], NULL, opts, read_only, cache, false) ? 0 : -EINVAL;
    }
    if (optind == argc && g_hash_table_size(opts)) {
        return io_open(s, NULL, NULL, opts, read_only, cache, false) ? 0 : -EINVAL;
    }
    return io_usage("open");
}

static int close_f(IOState *s, int argc, char **argv)
{
    io_close(s);
    return 0;
}

/* The cache mode with cache.direct / cache.no-flush changed. */
static const char *reopen_cache_mode(const char *mode, int direct, int no_flush)
{
    int flags;
    bool writeback;

    blk_parse_cache_mode(mode, &flags, &writeback);
    if (direct < 0) {
        direct = !!(flags & BDRV_O_NOCACHE);
    }
    if (no_flush < 0) {
        no_flush = !!(flags & BDRV_O_NO_FLUSH);
    }
    if (no_flush) {
        return "unsafe";
    }
    if (direct) {
        return writeback ? "none" : "directsync";
    }
    return writeback ? "writeback" : "writethrough";
}

static bool reopen_is_runtime_opt(const BlockDriver *drv, const char *key)
{
    for (const QemuOptDesc *d = drv->runtime_opts; d && d->name; d++) {
        if (!strcmp(d->name, key)) {
            return true;
        }
    }
    return false;
}

static int reopen_bool(const char *value)
{
    return !strcmp(value, "on") ? 1 : !strcmp(value, "off") ? 0 : -1;
}

/*
 * Folds reopen -o's changes into p (a copy of how the image was opened).
 * As in QEMU, a reopen may change the cache and read-only flags, discard,
 * detect-zeroes and the format's own runtime options; any other key gets
 * "Cannot change the option" and nothing is reopened.
 */
static bool reopen_apply(IOState *s, IOOpenParams *p, GHashTable *changes)
{
    const BlockDriver *drv = blk_bs(s->blk)->drv;
    const char *filename = p->name ? p->name : g_hash_table_lookup(p->opts, "file.filename");
    int direct = -1, no_flush = -1;
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, changes);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *key = k, *value = v, *dot = strrchr(key, '.');
        const char *leaf = dot ? dot + 1 : key;
        const char *flag = !strncmp(key, "file.", 5) ? key + 5 : key;

        if (!strcmp(flag, "cache.direct") || !strcmp(flag, "cache.no-flush")) {
            int on = reopen_bool(value);

            if (on < 0) {
                io_error(s, "Parameter '%s' expects 'on' or 'off'", key);
                return false;
            }
            *(strcmp(flag, "cache.direct") ? &no_flush : &direct) = on;
        } else if (!strcmp(key, "read-only")) {
            int on = reopen_bool(value);

            if (on < 0) {
                io_error(s, "Parameter '%s' expects 'on' or 'off'", key);
                return false;
            }
            p->read_only = on;
        } else if (!strcmp(key, "auto-read-only")) {
            /* duet opens read-only only when asked: nothing to change */
        } else if (!strcmp(key, "detect-zeroes")) {
            if (strcmp(value, "off") && strcmp(value, "on") && strcmp(value, "unmap")) {
                io_error(s, "invalid parameter value: %s", value);
                return false;
            }
        } else if (!strcmp(key, "discard")) {
            if (!io_discard_mode_valid(value)) {
                io_error(s, "Invalid discard option");
                return false;
            }
            g_hash_table_insert(p->opts, g_strdup(key), g_strdup(value));
        } else if (!strcmp(key, "file.filename") && filename && !strcmp(value, filename)) {
            /* the same file: no change */
        } else if (reopen_is_runtime_opt(drv, key)) {
            g_hash_table_insert(p->opts, g_strdup(key), g_strdup(value));
        } else {
            io_error(s, "Cannot change the option '%s'", leaf);
            return false;
        }
    }
    if (direct >= 0 || no_flush >= 0) {
        p->cache = reopen_cache_mode(p->cache, direct, no_flush);
    }
    return true;
}

/*
 * open -s: closing would delete the temporary overlay and what was written
 * to it, so only the read-only flag changes, in place (the overlay is
 * writable underneath).
 */
static int reopen_snapshot(IOState *s, IOOpenParams *p, bool other_changes)
{
    BlockDriverState *bs = blk_bs(s->blk);

    if (other_changes) {
        io_error(s, "Cannot change the options of a temporary snapshot (open -s), "
                 "only -r and -w");
        return -EINVAL;
    }
    if (p->read_only && !bs->read_only) {
        blk_drain(s->blk);
        blk_flush(s->blk);
    }
    bs->read_only = p->read_only;
    s->opened.read_only = p->read_only;
    return 0;
}

/*
 * duet has no live reopen: the image is closed and opened again with the
 * new flags.  When that fails the image is opened as it was, so (as in
 * qemu-io) a failed reopen leaves the image open and unchanged.
 */
static int reopen_f(IOState *s, int argc, char **argv)
{
    g_autoptr(GHashTable) changes = bdrv_options_new();
    IOOpenParams p = s->opened;
    bool rflag = false, wflag = false;
    const char *cache = NULL;
    BlockBackend *blk;
    Error *err = NULL;
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "c:o:rw")) != -1) {
        switch (c) {
        case 'c': cache = optarg; break;
        case 'r': rflag = true; break;
        case 'w': wflag = true; break;
        case 'o':
            if (!io_parse_node_opts(s, changes, optarg)) {
                return -EINVAL;
            }
            break;
        default:
            return io_usage("reopen");
        }
    }
    if (optind != argc) {
        return io_usage("reopen");
    }
    if (rflag && wflag) {
        io_error(s, "Only one -r/-w option may be given");
        return -EINVAL;
    }
    if (cache) {
        p.cache = io_cache_mode(cache);
        if (!p.cache) {
            io_error(s, "Invalid cache option: %s", cache);
            return -EINVAL;
        }
    }
    if ((rflag || wflag) && g_hash_table_contains(changes, "read-only")) {
        io_error(s, "Cannot set both -r/-w and 'read-only'");
        return -EINVAL;
    }
    if (rflag || wflag) {
        p.read_only = rflag;
    }
    if (s->opened.opts && g_hash_table_lookup(s->opened.opts, "snapshot") &&
        strcmp(g_hash_table_lookup(s->opened.opts, "snapshot"), "off")) {
        return reopen_snapshot(s, &p, cache || g_hash_table_size(changes));
    }
    p.opts = bdrv_options_copy(s->opened.opts);
    if (!reopen_apply(s, &p, changes)) {
        g_hash_table_unref(p.opts);
        return -EINVAL;
    }
    if (p.read_only && !s->opened.read_only && !rflag) {
        /* As in QEMU: -o read-only=on leaves the BlockBackend's write
         * permission in place, which a read-only node cannot grant (only -r
         * gives it up).  duet's nodes have no names; the message carries one
         * in the shape of QEMU's generated ones ("#block", a counter, two
         * random digits: the format node is the second). */
        io_error(s, "Read-only block node '#block1%02d' cannot support read-write users",
                 g_random_int_range(0, 100));
        g_hash_table_unref(p.opts);
        return -EINVAL;
    }
    blk_drain(s->blk);
    blk_unref(s->blk);
    s->blk = NULL;
    blk = io_open_blk(&p, &err);
    if (!blk) {
        io_error(s, "%s", error_get_pretty(err));
        error_free(err);
        g_hash_table_unref(p.opts);
        s->blk = io_open_blk(&s->opened, &err);
        if (!s->blk) {
            io_error(s, "can't open the image again: %s", error_get_pretty(err));
            error_free(err);
            io_close(s);
        }
        return -EINVAL;
    }
    s->blk = blk;
    g_hash_table_unref(s->opened.opts);
    s->opened.opts = p.opts;
    s->opened.cache = p.cache;
    s->opened.read_only = p.read_only;
    return 0;
}

/* ---- blkdebug breakpoints ---- */

static int break_f(IOState *s, int argc, char **argv)
{
    int ret = bdrv_debug_breakpoint(blk_bs(s->blk), argv[1], argv[2]);

    if (ret < 0) {
        printf("Could not set breakpoint: %s\n", strerror(-ret));
    }
    return ret;
}

static int remove_break_f(IOState *s, int argc, char **argv)
{
    int ret = bdrv_debug_remove_breakpoint(blk_bs(s->blk), argv[1]);

    if (ret < 0) {
        printf("Could not remove breakpoint %s: %s\n", argv[1], strerror(-ret));
    }
    return ret;
}

static int resume_f(IOState *s, int argc, char **argv)
{
    int ret = bdrv_debug_resume(blk_bs(s->blk), argv[1]);

    if (ret < 0) {
        printf("Could not resume request: %s\n", strerror(-ret));
    }
    return ret;
}

/* qemu-io polls for ever when nothing will stop there; duet says so. */
static int wait_break_f(IOState *s, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(s->blk);

    if (!bdrv_debug_has_breakpoints(bs)) {
        printf("Could not wait for a breakpoint: %s\n", strerror(ENOTSUP));
        return -ENOTSUP;
    }
    while (!bdrv_debug_is_suspended(bs, argv[1])) {
        aio_poll(qemu_get_aio_context(), true);
    }
    return 0;
}

/* ---- sleep, help, quit, abort, sigraise ---- */

static void io_sleep_cb(void *opaque)
{
    *(bool *)opaque = true;
}

static int sleep_f(IOState *s, int argc, char **argv)
{
    char *end;
    long long ms;
    bool done = false;
    QEMUTimer *timer;

    errno = 0;
    ms = strtoll(argv[1], &end, 10);
    if (errno || end == argv[1] || *end || ms < 0) {
        printf("%s is not a valid number\n", argv[1]);
        return -EINVAL;
    }
    timer = aio_timer_new(qemu_get_aio_context(), QEMU_CLOCK_HOST, io_sleep_cb, &done);
    timer_mod(timer, qemu_clock_get_ns(QEMU_CLOCK_HOST) + ms * 1000000LL);
    io_wait(&done);
    timer_free(timer);
    return 0;
}

static int io_cmd_cmp(const void *a, const void *b)
{
    return strcmp((*(const IOCmd *const *)a)->name, (*(const IOCmd *const *)b)->name);
}

/* Every command, sorted by name (help's order); g_free the array. */
static const IOCmd **io_all_cmds(size_t *n)
{
    const IOCmd *const tables[] = { io_rw_cmds, io_misc_cmds };
    const IOCmd **all = NULL;

    *n = 0;
    for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
        for (const IOCmd *ct = tables[t]; ct->name; ct++) {
            all = g_renew(const IOCmd *, all, *n + 1);
            all[(*n)++] = ct;
        }
    }
    qsort(all, *n, sizeof(*all), io_cmd_cmp);
    return all;
}

const IOCmd *io_find_cmd(const char *name)
{
    size_t n;
    g_autofree const IOCmd **all = io_all_cmds(&n);

    for (size_t i = 0; i < n; i++) {
        if (!strcmp(all[i]->name, name) || (all[i]->altname && !strcmp(all[i]->altname, name))) {
            return all[i];
        }
    }
    return NULL;
}

/* name: as the user typed it (an alternative name shows as itself) */
static void io_help_oneline(const IOCmd *ct, const char *name)
{
    printf("%s ", name);
    if (ct->args) {
        printf("%s ", ct->args);
    }
    printf("-- %s\n", ct->oneline);
}

static int help_f(IOState *s, int argc, char **argv)
{
    size_t n;
    g_autofree const IOCmd **all = NULL;
    const IOCmd *ct;

    if (argc == 1) {
        all = io_all_cmds(&n);
        for (size_t i = 0; i < n; i++) {
            io_help_oneline(all[i], all[i]->name);
        }
        printf("\nUse 'help commandname' for extended help.\n");
        return 0;
    }
    ct = io_find_cmd(argv[1]);
    if (!ct) {
        printf("command %s not found\n", argv[1]);
        return -EINVAL;
    }
    io_help_oneline(ct, argv[1]);
    if (ct->help) {
        printf("\n%s\n", ct->help);
    }
    return 0;
}

static int quit_f(IOState *s, int argc, char **argv)
{
    s->quit = true;
    return 0;
}

static int abort_f(IOState *s, int argc, char **argv)
{
    abort();
}

static int sigraise_f(IOState *s, int argc, char **argv)
{
    int64_t sig = io_cvtnum(argv[1]);

    if (sig < 0) {
        io_print_cvtnum_err(sig, argv[1]);
        return sig;
    }
    if (sig > NSIG) { /* NSIG itself is let through to raise(), which refuses it */
        printf("signal argument '%s' is too large to be a valid signal\n", argv[1]);
        return -EINVAL;
    }
    /* Output the kernel may lose with the process goes out first. */
    fflush(stdout);
    fflush(stderr);
    raise(sig);
    return 0;
}

void io_usage_line(const IOCmd *ct)
{
    printf("%s %s -- %s\n", ct->name, ct->args ? ct->args : "", ct->oneline);
}

static int io_usage(const char *name)
{
    io_usage_line(io_find_cmd(name));
    return -EINVAL;
}

const IOCmd io_misc_cmds[] = {
    { "abort", NULL, abort_f, 0, 0, true, false, NULL,
      "simulate a program crash using abort(3)", NULL },
    { "alloc", "a", alloc_f, 1, 2, false, false, "offset [count]",
      "checks if offset is allocated in the file",
      " counts the bytes of [offset, offset + count) allocated in the top image\n"
      " (count defaults to 512)\n" },
    { "break", NULL, break_f, 2, 2, false, false, "event tag",
      "sets a breakpoint on event and tags the stopped request as tag", NULL },
    { "close", "c", close_f, 0, 0, false, false, NULL,
      "close the current open file", NULL },
    { "help", "?", help_f, 0, 1, true, false, "[command]",
      "help for one or all commands", NULL },
    { "info", "i", info_f, 0, 0, false, false, NULL,
      "prints information about the current file", NULL },
    { "length", "l", length_f, 0, 0, false, false, NULL,
      "gets the length of the current file", NULL },
    { "map", NULL, map_f, 0, 0, false, false, "",
      "prints the allocated areas of a file", NULL },
    { "open", "o", open_f, 1, -1, true, false,
      "[-rsCnkU] [-t cache] [-d discard] [-o options] [path]",
      "open the file specified by path",
      " opens path ('open -o driver=qcow2,file.filename=x.qcow2' without it)\n"
      " -r, -- read-only\n"
      " -s, -- under a temporary snapshot\n"
      " -C, -- accepted (copy-on-read)\n"
      " -n, -- cache=none\n"
      " -k, -- Linux native AIO\n"
      " -U, -- share the image with other users\n"
      " -t, -- cache mode\n"
      " -d, -- discard mode\n"
      " -o, -- node options\n" },
    { "quit", "q", quit_f, 0, -1, true, false, NULL, "exit the program", NULL },
    { "remove_break", NULL, remove_break_f, 1, 1, false, false, "tag",
      "remove a breakpoint by tag", NULL },
    { "reopen", NULL, reopen_f, 0, -1, false, false, "[(-r|-w)] [-c cache] [-o options]",
      "reopens an image with new options",
      " -r, -- read-only\n -w, -- read-write\n -c, -- cache mode\n -o, -- node options\n" },
    { "resume", NULL, resume_f, 1, 1, false, false, "tag",
      "resumes the request tagged as tag", NULL },
    { "sigraise", NULL, sigraise_f, 1, 1, true, false, "signal",
      "raises a signal", NULL },
    { "sleep", NULL, sleep_f, 1, 1, true, false, NULL,
      "waits for the given value in milliseconds", NULL },
    { "wait_break", NULL, wait_break_f, 1, 1, false, false, "tag",
      "waits for the suspension of a request", NULL },
    { NULL },
};
