/*
 * duet-io's data commands: read, readv, write, writev, their aio_
 * variants, aio_flush, flush, discard, truncate.  Messages, checks and
 * their order are qemu-io 7.2's, since scripts compare them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet-io.h"

/* Not a device flag: duet-io's way to ask for a compressed write. */
#define IO_REQ_WRITE_COMPRESSED 0x10000000

#define IS_SECTOR_ALIGNED(x) (((x) & (BDRV_SECTOR_SIZE - 1)) == 0)

static int io_usage(const char *name)
{
    io_usage_line(io_find_cmd(name));
    return -EINVAL;
}

static void io_now(struct timespec *t)
{
    clock_gettime(CLOCK_MONOTONIC, t);
}

/* ---- one request, waited for ---- */

typedef struct IOReq {
    bool done;
    int ret;
} IOReq;

static void io_req_cb(void *opaque, int ret)
{
    IOReq *r = opaque;
    r->ret = ret;
    r->done = true;
}

typedef struct IOCoReq {
    BlockBackend *blk;
    int64_t offset, bytes;
    QEMUIOVector *qiov;
    int flags;
    int ret;
    bool done;
} IOCoReq;

/* Compressed writes go to the node itself (no BlockBackend call). */
static void coroutine_fn io_compressed_entry(void *opaque)
{
    IOCoReq *r = opaque;
    BdrvChild root = { .bs = blk_bs(r->blk), .name = "root" };

    r->ret = bdrv_co_pwritev_compressed(&root, r->offset, r->bytes, r->qiov);
    r->done = true;
}

static int io_do_rw(IOState *s, bool is_write, int64_t offset, QEMUIOVector *qiov, int flags)
{
    IOReq r = { 0 };

    if (flags & IO_REQ_WRITE_COMPRESSED) {
        IOCoReq c = { .blk = s->blk, .offset = offset, .bytes = qiov->size, .qiov = qiov };
        qemu_coroutine_enter(qemu_coroutine_create(io_compressed_entry, &c));
        io_wait(&c.done);
        return c.ret;
    }
    if (is_write) {
        blk_aio_pwritev(s->blk, offset, qiov, flags, io_req_cb, &r);
    } else {
        blk_aio_preadv(s->blk, offset, qiov, flags, io_req_cb, &r);
    }
    io_wait(&r.done);
    return r.ret;
}

static int io_do_buf(IOState *s, bool is_write, int64_t offset, void *buf, int64_t bytes,
                     int flags)
{
    QEMUIOVector qiov;
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return io_do_rw(s, is_write, offset, &qiov, flags);
}

/* -b: the image's VM state area instead of the disk */
static int io_do_vmstate(IOState *s, bool is_write, int64_t offset, void *buf, int64_t bytes)
{
    int ret = is_write ? blk_save_vmstate(s->blk, buf, offset, bytes)
                       : blk_load_vmstate(s->blk, buf, offset, bytes);
    return ret < 0 ? ret : 0;
}

static int io_do_zeroes(IOState *s, int64_t offset, int64_t bytes, int flags)
{
    IOReq r = { 0 };

    blk_aio_pwrite_zeroes(s->blk, offset, bytes, flags, io_req_cb, &r);
    io_wait(&r.done);
    return r.ret;
}

/* Parses argv[i] as a number; prints qemu-io's complaint otherwise. */
static bool io_num(const char *arg, int64_t *v)
{
    *v = io_cvtnum(arg);
    if (*v < 0) {
        io_print_cvtnum_err(*v, arg);
        return false;
    }
    return true;
}

static bool io_check_length(int64_t count, const char *arg)
{
    if (count > IO_REQUEST_MAX_BYTES) {
        printf("length cannot exceed %" PRId64 ", given %s\n", IO_REQUEST_MAX_BYTES, arg);
        return false;
    }
    return true;
}

static bool io_check_sector_aligned(int64_t offset, int64_t count)
{
    if (!IS_SECTOR_ALIGNED(offset)) {
        printf("%" PRId64 " is not a sector-aligned value for 'offset'\n", offset);
        return false;
    }
    if (!IS_SECTOR_ALIGNED(count)) {
        printf("%" PRId64 " is not a sector-aligned value for 'count'\n", count);
        return false;
    }
    return true;
}

/* ---- read, write ---- */

static int read_f(IOState *s, int argc, char **argv)
{
    bool terse = false, quiet = false, verbose = false, vmstate = false;
    bool pflag = false, sflag = false, lflag = false;
    int64_t offset, count, pattern_offset = 0, pattern_count = 0;
    struct timespec t1, t2;
    int pattern = 0, c, ret;
    g_autofree char *unused = NULL;
    void *buf;

    optind = 0;
    while ((c = getopt(argc, argv, "bCl:pP:qs:v")) != -1) {
        switch (c) {
        case 'b': vmstate = true; break;
        case 'C': terse = true; break;
        case 'p': break; /* ignored, as qemu-io */
        case 'q': quiet = true; break;
        case 'v': verbose = true; break;
        case 'P':
            pflag = true;
            pattern = io_parse_pattern(optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'l':
            lflag = true;
            if (!io_num(optarg, &pattern_count)) {
                return -EINVAL;
            }
            break;
        case 's':
            sflag = true;
            if (!io_num(optarg, &pattern_offset)) {
                return -EINVAL;
            }
            break;
        default:
            return io_usage("read");
        }
    }
    if (optind != argc - 2 || (!pflag && (lflag || sflag))) {
        return io_usage("read");
    }
    if (!io_num(argv[optind], &offset) || !io_num(argv[optind + 1], &count)) {
        return -EINVAL;
    }
    if (!io_check_length(count, argv[optind + 1])) {
        return -EINVAL;
    }
    if (!lflag) {
        pattern_count = count - pattern_offset;
    }
    if (pattern_count < 0 || pattern_count + pattern_offset > count) {
        printf("pattern verification range exceeds end of read data\n");
        return -EINVAL;
    }
    if (vmstate && !io_check_sector_aligned(offset, count)) {
        return -EINVAL;
    }
    buf = io_alloc(s, count, 0xab);
    io_now(&t1);
    /* No format here keeps a VM state area. */
    ret = vmstate ? io_do_vmstate(s, false, offset, buf, count)
                  : io_do_buf(s, false, offset, buf, count, 0);
    io_now(&t2);
    if (ret < 0) {
        printf("read failed: %s\n", strerror(-ret));
        goto out;
    }
    if (pflag && !io_check_pattern((uint8_t *)buf + pattern_offset, pattern_count, pattern,
                                   offset + pattern_offset)) {
        ret = -EINVAL;
    }
    if (quiet) {
        goto out;
    }
    if (verbose) {
        io_dump_buffer(buf, offset, count);
    }
    io_print_report("read", &t1, &t2, offset, count, count, 1, terse);
out:
    qemu_vfree(buf);
    return ret;
}

/* write -s: the file's bytes, repeated until count bytes are filled (a
 * short file is a pattern, as in qemu-io); errors go to stderr. */
static bool io_fill_from_file(uint8_t *buf, int64_t count, const char *source)
{
    FILE *f = fopen(source, "r");
    size_t n;

    if (!f) {
        fprintf(stderr, "%s: %s\n", source, strerror(errno));
        return false;
    }
    n = fread(buf, 1, count, f);
    if (ferror(f)) {
        fprintf(stderr, "%s: %s\n", source, strerror(errno));
        fclose(f);
        return false;
    }
    fclose(f);
    if (n == 0 && count > 0) {
        fprintf(stderr, "%s: file is empty\n", source);
        return false;
    }
    for (int64_t done = n; done < count; done += n) {
        memcpy(buf + done, buf, MIN((int64_t)n, count - done));
    }
    return true;
}

static int write_f(IOState *s, int argc, char **argv)
{
    bool terse = false, quiet = false, vmstate = false, zero = false, compressed = false;
    bool pflag = false, sflag = false;
    int flags = 0, pattern = 0xcd, c, ret;
    int64_t offset, count;
    const char *source = NULL;
    struct timespec t1, t2;
    void *buf = NULL;

    optind = 0;
    while ((c = getopt(argc, argv, "bcCfnpP:quzs:")) != -1) {
        switch (c) {
        case 'b': vmstate = true; break;
        case 'c': compressed = true; break;
        case 'C': terse = true; break;
        case 'f': flags |= BDRV_REQ_FUA; break;
        case 'n': flags |= BDRV_REQ_NO_FALLBACK; break;
        case 'p': break;
        case 'q': quiet = true; break;
        case 'u': flags |= BDRV_REQ_MAY_UNMAP; break;
        case 'z': zero = true; break;
        case 'P':
            pflag = true;
            pattern = io_parse_pattern(optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        case 's':
            sflag = true;
            source = optarg;
            break;
        default:
            return io_usage("write");
        }
    }
    if (optind != argc - 2) {
        return io_usage("write");
    }
    if (vmstate && zero) {
        printf("-b and -z cannot be specified at the same time\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_FUA) && (vmstate || compressed)) {
        printf("-f and -b or -c cannot be specified at the same time\n");
        return -EINVAL;
    }
    if (zero + pflag + sflag > 1) {
        printf("Only one of -z, -P, and -s can be specified at the same time\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_NO_FALLBACK) && !zero) {
        printf("-n requires -z to be specified\n");
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && !zero) {
        printf("-u requires -z to be specified\n");
        return -EINVAL;
    }
    if (!io_num(argv[optind], &offset) || !io_num(argv[optind + 1], &count)) {
        return -EINVAL;
    }
    if (!zero && !io_check_length(count, argv[optind + 1])) {
        return -EINVAL;
    }
    if ((vmstate || compressed) && !io_check_sector_aligned(offset, count)) {
        return -EINVAL;
    }
    if (!zero) {
        buf = io_alloc(s, count, pattern);
        if (source && !io_fill_from_file(buf, count, source)) {
            qemu_vfree(buf);
            return -EINVAL;
        }
    }
    io_now(&t1);
    if (vmstate) {
        ret = io_do_vmstate(s, true, offset, buf, count);
    } else if (zero) {
        ret = io_do_zeroes(s, offset, count, flags);
    } else {
        ret = io_do_buf(s, true, offset, buf, count,
                        flags | (compressed ? IO_REQ_WRITE_COMPRESSED : 0));
    }
    io_now(&t2);
    if (ret < 0) {
        printf("write failed: %s\n", strerror(-ret));
    } else if (!quiet) {
        io_print_report("wrote", &t1, &t2, offset, count, count, 1, terse);
    }
    qemu_vfree(buf);
    return ret < 0 ? ret : 0;
}

/* ---- readv, writev ---- */

static int readv_f(IOState *s, int argc, char **argv)
{
    bool terse = false, quiet = false, verbose = false, pflag = false;
    int pattern = 0, c, ret;
    struct timespec t1, t2;
    QEMUIOVector qiov;
    int64_t offset;
    void *buf;

    optind = 0;
    while ((c = getopt(argc, argv, "CP:qv")) != -1) {
        switch (c) {
        case 'C': terse = true; break;
        case 'q': quiet = true; break;
        case 'v': verbose = true; break;
        case 'P':
            pflag = true;
            pattern = io_parse_pattern(optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        default:
            return io_usage("readv");
        }
    }
    if (optind > argc - 2) {
        return io_usage("readv");
    }
    if (!io_num(argv[optind], &offset)) {
        return -EINVAL;
    }
    optind++;
    buf = io_create_iovec(s, &qiov, &argv[optind], argc - optind, 0xab);
    if (!buf) {
        return -EINVAL;
    }
    io_now(&t1);
    ret = io_do_rw(s, false, offset, &qiov, 0);
    io_now(&t2);
    if (ret < 0) {
        printf("readv failed: %s\n", strerror(-ret));
        goto out;
    }
    if (pflag && !io_check_pattern(buf, qiov.size, pattern, offset)) {
        ret = -EINVAL;
    }
    if (quiet) {
        goto out;
    }
    if (verbose) {
        io_dump_buffer(buf, offset, qiov.size);
    }
    io_print_report("read", &t1, &t2, offset, qiov.size, qiov.size, 1, terse);
out:
    qemu_iovec_destroy(&qiov);
    qemu_vfree(buf);
    return ret;
}

static int writev_f(IOState *s, int argc, char **argv)
{
    bool terse = false, quiet = false;
    int pattern = 0xcd, flags = 0, c, ret;
    struct timespec t1, t2;
    QEMUIOVector qiov;
    int64_t offset;
    void *buf;

    optind = 0;
    while ((c = getopt(argc, argv, "CfqP:")) != -1) {
        switch (c) {
        case 'C': terse = true; break;
        case 'f': flags |= BDRV_REQ_FUA; break;
        case 'q': quiet = true; break;
        case 'P':
            pattern = io_parse_pattern(optarg);
            if (pattern < 0) {
                return -EINVAL;
            }
            break;
        default:
            return io_usage("writev");
        }
    }
    if (optind > argc - 2) {
        return io_usage("writev");
    }
    if (!io_num(argv[optind], &offset)) {
        return -EINVAL;
    }
    optind++;
    buf = io_create_iovec(s, &qiov, &argv[optind], argc - optind, pattern);
    if (!buf) {
        return -EINVAL;
    }
    io_now(&t1);
    ret = io_do_rw(s, true, offset, &qiov, flags);
    io_now(&t2);
    if (ret < 0) {
        printf("writev failed: %s\n", strerror(-ret));
    } else if (!quiet) {
        io_print_report("wrote", &t1, &t2, offset, qiov.size, qiov.size, 1, terse);
    }
    qemu_iovec_destroy(&qiov);
    qemu_vfree(buf);
    return ret < 0 ? ret : 0;
}

/* ---- aio_read, aio_write, aio_flush ---- */

/* One request in flight; its callback reports and frees it. */
typedef struct IOAio {
    QEMUIOVector qiov;
    void *buf;
    int64_t offset, bytes;
    bool is_write, terse, quiet, verbose, pflag, zero;
    int pattern;
    struct timespec t1;
} IOAio;

static void io_aio_free(IOAio *a)
{
    if (a->buf) {
        qemu_iovec_destroy(&a->qiov);
        qemu_vfree(a->buf);
    }
    g_free(a);
}

static void io_aio_cb(void *opaque, int ret)
{
    IOAio *a = opaque;
    struct timespec t2;

    io_now(&t2);
    if (ret < 0) {
        printf("%s failed: %s\n", a->is_write ? "aio_write" : "readv", strerror(-ret));
    } else {
        /* qemu-io's aio_read reports a mismatch and still prints the
         * statistics, unlike read */
        if (!a->is_write && a->pflag) {
            io_check_pattern(a->buf, a->bytes, a->pattern, a->offset);
        }
        if (a->quiet) {
            goto out;
        }
        if (a->verbose) {
            io_dump_buffer(a->buf, a->offset, a->bytes);
        }
        io_print_report(a->is_write ? "wrote" : "read", &a->t1, &t2, a->offset, a->bytes,
                        a->bytes, 1, a->terse);
    }
out:
    fflush(stdout);
    io_aio_free(a);
}

static int aio_read_f(IOState *s, int argc, char **argv)
{
    IOAio *a = g_new0(IOAio, 1);
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "CP:qiv")) != -1) {
        switch (c) {
        case 'C': a->terse = true; break;
        case 'q': a->quiet = true; break;
        case 'v': a->verbose = true; break;
        case 'i':
            /* qemu-io stops here: the request only feeds the invalid-request
             * statistics (duet keeps none) and nothing is submitted */
            printf("injecting invalid read request\n");
            g_free(a);
            return 0;
        case 'P':
            a->pflag = true;
            a->pattern = io_parse_pattern(optarg);
            if (a->pattern < 0) {
                g_free(a);
                return -EINVAL;
            }
            break;
        default:
            g_free(a);
            return io_usage("aio_read");
        }
    }
    if (optind > argc - 2) {
        g_free(a);
        return io_usage("aio_read");
    }
    if (!io_num(argv[optind], &a->offset)) {
        g_free(a);
        return -EINVAL;
    }
    optind++;
    a->buf = io_create_iovec(s, &a->qiov, &argv[optind], argc - optind, 0xab);
    if (!a->buf) {
        g_free(a);
        return -EINVAL;
    }
    a->bytes = a->qiov.size;
    io_now(&a->t1);
    blk_aio_preadv(s->blk, a->offset, &a->qiov, 0, io_aio_cb, a);
    return 0;
}

static int aio_write_f(IOState *s, int argc, char **argv)
{
    IOAio *a = g_new0(IOAio, 1);
    int flags = 0, c;
    bool pflag = false;

    a->is_write = true;
    a->pattern = 0xcd;
    optind = 0;
    while ((c = getopt(argc, argv, "CfiqP:uz")) != -1) {
        switch (c) {
        case 'C': a->terse = true; break;
        case 'f': flags |= BDRV_REQ_FUA; break;
        case 'q': a->quiet = true; break;
        case 'u': flags |= BDRV_REQ_MAY_UNMAP; break;
        case 'z': a->zero = true; break;
        case 'i':
            printf("injecting invalid write request\n");
            g_free(a);
            return 0;
        case 'P':
            pflag = true;
            a->pattern = io_parse_pattern(optarg);
            if (a->pattern < 0) {
                g_free(a);
                return -EINVAL;
            }
            break;
        default:
            g_free(a);
            return io_usage("aio_write");
        }
    }
    if (optind > argc - 2) {
        g_free(a);
        return io_usage("aio_write");
    }
    if (a->zero && pflag) {
        printf("-z and -P cannot be specified at the same time\n");
        g_free(a);
        return -EINVAL;
    }
    if ((flags & BDRV_REQ_MAY_UNMAP) && !a->zero) {
        printf("-u requires -z to be specified\n");
        g_free(a);
        return -EINVAL;
    }
    if (!io_num(argv[optind], &a->offset)) {
        g_free(a);
        return -EINVAL;
    }
    optind++;
    if (a->zero) {
        if (optind != argc - 1) {
            printf("-z supports only a single length parameter\n");
            g_free(a);
            return -EINVAL;
        }
        if (!io_num(argv[optind], &a->bytes)) {
            g_free(a);
            return -EINVAL;
        }
        io_now(&a->t1);
        blk_aio_pwrite_zeroes(s->blk, a->offset, a->bytes, flags, io_aio_cb, a);
        return 0;
    }
    a->buf = io_create_iovec(s, &a->qiov, &argv[optind], argc - optind, a->pattern);
    if (!a->buf) {
        g_free(a);
        return -EINVAL;
    }
    a->bytes = a->qiov.size;
    io_now(&a->t1);
    blk_aio_pwritev(s->blk, a->offset, &a->qiov, flags, io_aio_cb, a);
    return 0;
}

static int aio_flush_f(IOState *s, int argc, char **argv)
{
    io_drain(s);
    return 0;
}

static int flush_f(IOState *s, int argc, char **argv)
{
    return blk_flush(s->blk);
}

/* ---- discard, truncate ---- */

static void coroutine_fn io_discard_entry(void *opaque)
{
    IOCoReq *r = opaque;
    BdrvChild root = { .bs = blk_bs(r->blk), .name = "root" };

    r->ret = bdrv_co_pdiscard(&root, r->offset, r->bytes);
    r->done = true;
}

static int discard_f(IOState *s, int argc, char **argv)
{
    bool terse = false, quiet = false;
    struct timespec t1, t2;
    int64_t offset, bytes, len;
    IOCoReq r = { .blk = s->blk };
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "Cq")) != -1) {
        switch (c) {
        case 'C': terse = true; break;
        case 'q': quiet = true; break;
        default:
            return io_usage("discard");
        }
    }
    if (optind != argc - 2) {
        return io_usage("discard");
    }
    if (!io_num(argv[optind], &offset) || !io_num(argv[optind + 1], &bytes)) {
        return -EINVAL;
    }
    if (!io_check_length(bytes, argv[optind + 1])) {
        return -EINVAL;
    }
    io_now(&t1);
    len = blk_getlength(s->blk);
    if (offset > len || len - offset < bytes) {
        r.ret = -EIO;
    } else {
        r.offset = offset;
        r.bytes = bytes;
        qemu_coroutine_enter(qemu_coroutine_create(io_discard_entry, &r));
        io_wait(&r.done);
    }
    io_now(&t2);
    if (r.ret < 0) {
        printf("discard failed: %s\n", strerror(-r.ret));
        return r.ret;
    }
    if (!quiet) {
        io_print_report("discard", &t1, &t2, offset, bytes, bytes, 1, terse);
    }
    return 0;
}

static int truncate_f(IOState *s, int argc, char **argv)
{
    static const char *const modes[] = { "off", "metadata", "falloc", "full" };
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    BdrvChild root = { .bs = blk_bs(s->blk), .name = "root" };
    Error *err = NULL;
    int64_t offset;
    int c, ret;

    optind = 0;
    while ((c = getopt(argc, argv, "m:")) != -1) {
        switch (c) {
        case 'm': {
            size_t i;
            for (i = 0; i < G_N_ELEMENTS(modes) && strcmp(modes[i], optarg); i++) {
            }
            if (i == G_N_ELEMENTS(modes)) {
                io_error(s, "Invalid preallocation mode '%s'", optarg);
                return -EINVAL;
            }
            prealloc = (PreallocMode)i;
            break;
        }
        default:
            return io_usage("truncate");
        }
    }
    if (optind != argc - 1) {
        return io_usage("truncate");
    }
    if (!io_num(argv[optind], &offset)) {
        return -EINVAL;
    }
    ret = bdrv_truncate(&root, offset, false, prealloc, &err);
    if (ret < 0) {
        io_error(s, "%s", err ? error_get_pretty(err) : strerror(-ret));
        error_free(err);
        return ret;
    }
    return 0;
}

const IOCmd io_rw_cmds[] = {
    { "aio_flush", NULL, aio_flush_f, 0, 0, false, false, NULL,
      "completes all outstanding aio requests",
      " waits for every aio_read and aio_write still in flight\n" },
    { "aio_read", NULL, aio_read_f, 2, -1, false, false, "[-Ciqv] [-P pattern] off len [len..]",
      "asynchronously reads a number of bytes",
      " submits one vectored read and returns; its result is printed when it\n"
      " completes (at the next command that waits, aio_flush, or the end)\n"
      " -C, -- statistics in a machine parsable format\n"
      " -P, -- check the data against a pattern byte\n"
      " -i, -- accepted (accounting of invalid requests)\n"
      " -q, -- no statistics\n"
      " -v, -- hex dump of the data\n" },
    { "aio_write", NULL, aio_write_f, 2, -1, false, true,
      "[-Cfiquz] [-P pattern] off len [len..]", "asynchronously writes a number of bytes",
      " submits one vectored write and returns; see aio_read\n"
      " -C, -- statistics in a machine parsable format\n"
      " -f, -- force unit access\n"
      " -P, -- the pattern byte to write (default 0xcd)\n"
      " -q, -- no statistics\n"
      " -u, -- with -z: the range may be unmapped\n"
      " -z, -- write zeroes (one len only)\n" },
    { "discard", "d", discard_f, 2, -1, false, true, "[-Cq] off len",
      "discards a number of bytes at a specified offset",
      " tells the image that the range is no longer used\n"
      " -C, -- statistics in a machine parsable format\n"
      " -q, -- no statistics\n" },
    { "flush", "f", flush_f, 0, 0, false, false, NULL,
      "flush all in-core file state to disk", NULL },
    { "read", "r", read_f, 2, -1, false, false,
      "[-abCqv] [-P pattern [-s off] [-l len]] off len",
      "reads a number of bytes at a specified offset",
      " reads len bytes at off, e.g. 'read -v 512 1k'\n"
      " -b, -- the VM state area (no format here has one)\n"
      " -C, -- statistics in a machine parsable format\n"
      " -l, -- with -P: how many bytes to check\n"
      " -p, -- ignored\n"
      " -P, -- check the data against a pattern byte\n"
      " -q, -- no statistics\n"
      " -s, -- with -P: where the check starts in the data\n"
      " -v, -- hex dump of the data\n" },
    { "readv", NULL, readv_f, 2, -1, false, false, "[-Cqv] [-P pattern] off len [len..]",
      "reads a number of bytes at a specified offset",
      " one read into as many buffers as lengths, e.g. 'readv 0 512 1k'\n"
      " -C, -P, -q, -v as for read\n" },
    { "truncate", "t", truncate_f, 1, 3, false, true, "[-m prealloc_mode] off",
      "truncates the current file at the given offset",
      " -m, -- off, metadata, falloc or full for a grown range\n" },
    { "write", "w", write_f, 2, -1, false, true,
      "[-bcCfnquz] [-P pattern | -s source_file] off len",
      "writes a number of bytes at a specified offset",
      " writes len bytes at off, e.g. 'write -P 0xab 512 1k'\n"
      " -b, -- the VM state area (no format here has one)\n"
      " -c, -- a compressed cluster\n"
      " -C, -- statistics in a machine parsable format\n"
      " -f, -- force unit access\n"
      " -n, -- with -z: fail rather than write zeroes slowly\n"
      " -P, -- the pattern byte to write (default 0xcd)\n"
      " -q, -- no statistics\n"
      " -s, -- the data comes from source_file\n"
      " -u, -- with -z: the range may be unmapped\n"
      " -z, -- write zeroes\n" },
    { "writev", NULL, writev_f, 2, -1, false, true, "[-Cfq] [-P pattern] off len [len..]",
      "writes a number of bytes at a specified offset",
      " one write from as many buffers as lengths, e.g. 'writev 0 512 1k'\n"
      " -C, -f, -P, -q as for write\n" },
    { NULL },
};
