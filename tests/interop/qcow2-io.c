/*
 * qcow2-io: a small driver for the qcow2 interop, crash and regression
 * tests.  It opens images through the BlockBackend API like any duet user.
 *
 *   qcow2-io create FILE SIZE [key=value ...]
 *   qcow2-io write FILE OFFSET LEN SEED      deterministic pattern
 *   qcow2-io verify FILE OFFSET LEN SEED     exit 1 on mismatch
 *   qcow2-io zero|discard FILE OFFSET LEN
 *   qcow2-io import RAW FILE [-c]            copy a raw file in (-c: compressed)
 *   qcow2-io export FILE RAW                 copy the guest view out
 *   qcow2-io check FILE [leaks|all]          qemu-img check's output and exit codes
 *   qcow2-io open FILE [rw]                  open (and close); exit 1 with the error
 *   qcow2-io readall FILE                    read every byte; exit 1 on error
 *   qcow2-io crash-writer FILE LOG SEED [CACHE]  random writes+flushes until killed
 *   qcow2-io crash-verify FILE LOG           data acknowledged before a flush intact?
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/aio.h"
#include "block_int.h"
#include "qemu/main-loop.h"
#include "sysemu/block-backend.h"

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Sector contents for write seq at sector: a stamp then pseudo-random bytes. */
static void fill_sector(uint8_t *p, uint64_t seq, uint64_t sector)
{
    uint64_t x = seq * 0x100000001b3ULL ^ sector;
    memcpy(p, "DUETSECT", 8);
    memcpy(p + 8, &seq, 8);
    memcpy(p + 16, &sector, 8);
    for (int i = 24; i < 512; i += 8) {
        uint64_t v = splitmix(&x);
        memcpy(p + i, &v, 8);
    }
}

static void fill_pattern(uint8_t *buf, int64_t offset, int64_t len, uint64_t seed)
{
    for (int64_t i = 0; i < len; i++) {
        uint64_t x = seed * 1000003 + ((offset + i) >> 3);
        buf[i] = (uint8_t)(splitmix(&x) >> (8 * ((offset + i) & 7)));
    }
}

static BlockBackend *open_blk_cache(const char *file, bool rw, const char *cache)
{
    Error *err = NULL;
    g_autoptr(GHashTable) opts = bdrv_options_new();
    BlockBackend *blk;

    /* the "discard" command is meant to reach the image, as qemu-io's */
    g_hash_table_insert(opts, g_strdup("discard"), g_strdup("unmap"));
    blk = blk_new_open_opts(file, NULL, cache, !rw, opts, &err);

    if (!blk) {
        fprintf(stderr, "qcow2-io: %s\n", error_get_pretty(err));
        error_free(err);
        exit(1);
    }
    return blk;
}

static BlockBackend *open_blk(const char *file, bool rw)
{
    return open_blk_cache(file, rw, "writeback");
}

static int cmd_create(int argc, char **argv)
{
    QemuOpts *opts = qemu_opts_new(&bdrv_create_opts_list);
    BlockCreateOpts co = { .filename = argv[0], .size = g_ascii_strtoll(argv[1], NULL, 0),
                           .opts = opts };
    Error *err = NULL;
    bool ok;

    /* KEY=VALUE arguments, one option each (a value may hold commas). */
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq) {
            *eq = 0;
            qemu_opt_set(opts, argv[i], eq + 1, NULL);
        }
    }
    ok = bdrv_create(bdrv_find_format("qcow2"), &co, &err);
    qemu_opts_free(opts);
    if (!ok) {
        fprintf(stderr, "qcow2-io: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    return 0;
}

static int cmd_write_verify(char **argv, bool verify)
{
    BlockBackend *blk = open_blk(argv[0], !verify);
    int64_t off = g_ascii_strtoll(argv[1], NULL, 0), len = g_ascii_strtoll(argv[2], NULL, 0);
    uint64_t seed = g_ascii_strtoull(argv[3], NULL, 0);
    g_autofree uint8_t *want = g_malloc(len), *got = g_malloc(len);
    int ret;

    fill_pattern(want, off, len, seed);
    if (verify) {
        ret = blk_pread(blk, off, len, got, 0);
        if (ret >= 0 && memcmp(want, got, len)) {
            for (int64_t i = 0; i < len; i++) {
                if (want[i] != got[i]) {
                    fprintf(stderr, "qcow2-io: mismatch at %" PRId64 "\n", off + i);
                    break;
                }
            }
            ret = -EILSEQ;
        }
    } else {
        ret = blk_pwrite(blk, off, len, want, 0);
    }
    blk_unref(blk);
    if (ret < 0) {
        fprintf(stderr, "qcow2-io: %s: %s\n", verify ? "verify" : "write", g_strerror(-ret));
        return 1;
    }
    return 0;
}

static int cmd_zero_discard(char **argv, bool zero)
{
    Error *err = NULL;
    /* discard=unmap: the discard is meant to reach the image */
    BlockDriverState *bs = bdrv_open(argv[0], NULL, BDRV_O_RDWR | BDRV_O_UNMAP, &err);
    int64_t off = g_ascii_strtoll(argv[1], NULL, 0), len = g_ascii_strtoll(argv[2], NULL, 0);
    BdrvChild *c;
    int ret;

    if (!bs) {
        fprintf(stderr, "qcow2-io: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    c = bdrv_child_new(bs, "root");
    ret = zero ? bdrv_pwrite_zeroes(c, off, len, BDRV_REQ_MAY_UNMAP) : bdrv_pdiscard(c, off, len);
    if (ret >= 0) {
        ret = bdrv_flush(bs);
    }
    bdrv_child_free(c);
    bdrv_unref(bs);
    if (ret < 0) {
        fprintf(stderr, "qcow2-io: %s\n", g_strerror(-ret));
        return 1;
    }
    return 0;
}

static int cmd_import(char **argv, bool compressed)
{
    g_autofree uint8_t *buf = NULL;
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(argv[1], NULL, BDRV_O_RDWR, &err);
    BlockDriverInfo bdi = { 0 };
    int fd = open(argv[0], O_RDONLY);
    int64_t chunk, off = 0, len;
    BdrvChild *c;
    int ret = 0;

    if (!bs || fd < 0) {
        fprintf(stderr, "qcow2-io: cannot open: %s\n", err ? error_get_pretty(err) : argv[0]);
        return 1;
    }
    bdrv_get_info(bs, &bdi);
    chunk = compressed ? bdi.cluster_size : 1 << 20;
    len = bdrv_getlength(bs);
    buf = g_malloc(chunk);
    c = bdrv_child_new(bs, "root");
    while (off < len) {
        int64_t n = MIN(chunk, len - off);
        ssize_t r = pread(fd, buf, n, off);
        if (r < 0) {
            ret = -errno;
            break;
        }
        memset(buf + r, 0, n - r);
        bool zero = true;
        for (int64_t i = 0; i < n && zero; i++) {
            zero = buf[i] == 0;
        }
        if (!zero) {
            ret = compressed ? bdrv_pwrite_compressed(c, off, n, buf)
                             : bdrv_pwrite(c, off, n, buf, 0);
            if (ret < 0) {
                break;
            }
        }
        off += n;
    }
    if (ret >= 0) {
        ret = bdrv_flush(bs);
    }
    bdrv_child_free(c);
    bdrv_unref(bs);
    close(fd);
    if (ret < 0) {
        fprintf(stderr, "qcow2-io: import: %s\n", g_strerror(-ret));
        return 1;
    }
    return 0;
}

static int cmd_export(char **argv)
{
    BlockBackend *blk = open_blk(argv[0], false);
    int64_t len = blk_getlength(blk), off = 0;
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ret = 0;

    if (fd < 0 || ftruncate(fd, len) < 0) {
        perror("qcow2-io: export");
        return 1;
    }
    while (off < len) {
        int64_t n = MIN(1 << 20, len - off);
        ret = blk_pread(blk, off, n, buf, 0);
        if (ret < 0 || pwrite(fd, buf, n, off) != n) {
            ret = ret < 0 ? ret : -EIO;
            break;
        }
        off += n;
    }
    close(fd);
    blk_unref(blk);
    if (ret < 0) {
        fprintf(stderr, "qcow2-io: export: %s\n", g_strerror(-ret));
        return 1;
    }
    return 0;
}

static int check_summary(BdrvCheckResult *r)
{
    if (r->corruptions) {
        printf("\n%d errors were found on the image.\nData may be corrupted, or further "
               "writes to the image may corrupt it.\n", r->corruptions);
    }
    if (r->leaks) {
        printf("\n%d leaked clusters were found on the image.\nThis means waste of disk "
               "space, but no harm to data.\n", r->leaks);
    }
    if (r->check_errors) {
        printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    }
    if (r->check_errors) {
        return 1;
    }
    if (r->corruptions) {
        return 2;
    }
    return r->leaks ? 3 : 0;
}

static int cmd_check(int argc, char **argv)
{
    BdrvCheckMode fix = 0;
    BdrvCheckResult r;
    Error *err = NULL;
    BlockDriverState *bs;
    int ret;

    if (argc > 1) {
        fix = !strcmp(argv[1], "all") ? BDRV_FIX_LEAKS | BDRV_FIX_ERRORS : BDRV_FIX_LEAKS;
    }
    bs = bdrv_open(argv[0], NULL, BDRV_O_CHECK | (fix ? BDRV_O_RDWR : 0), &err);
    if (!bs) {
        fprintf(stderr, "qcow2-io: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    ret = bdrv_check(bs, &r, fix);
    if (ret == 0 && fix && (r.leaks_fixed || r.corruptions_fixed)) {
        printf("The following inconsistencies were found and repaired:\n\n"
               "    %d leaked clusters\n    %d corruptions\n\n"
               "Double checking the fixed image now...\n", r.leaks_fixed, r.corruptions_fixed);
        ret = bdrv_check(bs, &r, 0);
    }
    bdrv_unref(bs);
    if (ret < 0) {
        fprintf(stderr, "qcow2-io: check failed: %s\n", g_strerror(-ret));
        return 1;
    }
    return check_summary(&r);
}

static int cmd_open(int argc, char **argv)
{
    Error *err = NULL;
    BlockBackend *blk = blk_new_open(argv[0], NULL, "writeback",
                                     !(argc > 1 && !strcmp(argv[1], "rw")), &err);

    if (!blk) {
        fprintf(stderr, "qcow2-io: %s\n", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    blk_unref(blk);
    return 0;
}

static int cmd_readall(char **argv)
{
    BlockBackend *blk = open_blk(argv[0], false);
    int64_t len = blk_getlength(blk);
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    int errors = 0;

    for (int64_t off = 0; off < len; off += 1 << 20) {
        if (blk_pread(blk, off, MIN(1 << 20, len - off), buf, 0) < 0) {
            errors++;
        }
    }
    blk_unref(blk);
    return errors ? 1 : 0;
}

/* ---- crash test ---- */

#define CRASH_DEPTH 4

typedef struct CrashWrite {
    uint64_t seq;
    int64_t offset, len;
    uint8_t *buf;
    QEMUIOVector qiov;
    bool busy;
    FILE *log;
    int *in_flight;
    int *failed;
} CrashWrite;

static void crash_write_done(void *opaque, int ret)
{
    CrashWrite *w = opaque;

    if (ret < 0) {
        (*w->failed)++;
    } else {
        fprintf(w->log, "W %" PRIu64 "\n", w->seq);
        fflush(w->log);
    }
    w->busy = false;
    (*w->in_flight)--;
}

static uint64_t crash_last_seq(const char *logname)
{
    g_autofree char *text = NULL;
    uint64_t last = 0;

    if (g_file_get_contents(logname, &text, NULL, NULL)) {
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
            uint64_t seq;
            if (sscanf(l + 2, "%" SCNu64, &seq) == 1 && seq > last) {
                last = seq;
            }
        }
    }
    return last;
}

static int cmd_crash_writer(int argc, char **argv)
{
    BlockBackend *blk = open_blk_cache(argv[0], true, argc > 3 ? argv[3] : "writeback");
    FILE *log = fopen(argv[1], "a");
    uint64_t rng = g_ascii_strtoull(argv[2], NULL, 0) ^ getpid();
    uint64_t seq = crash_last_seq(argv[1]);
    int64_t sectors = blk_getlength(blk) / 512;
    CrashWrite w[CRASH_DEPTH] = { 0 };
    int in_flight = 0, failed = 0;
    AioContext *ctx = blk_get_aio_context(blk);

    setvbuf(log, NULL, _IOLBF, 0);
    fprintf(log, "O %" PRIu64 "\n", seq);
    fflush(log);
    for (int i = 0; i < CRASH_DEPTH; i++) {
        w[i].buf = g_malloc(128 * 512);
        w[i].log = log;
        w[i].in_flight = &in_flight;
        w[i].failed = &failed;
    }
    for (uint64_t n = 0;; n++) {
        if (n % 16 == 15) {
            /* Flush with nothing in flight, so "acknowledged before" is exact. */
            AIO_WAIT_WHILE(ctx, in_flight > 0);
            if (blk_flush(blk) < 0 || failed) {
                fprintf(stderr, "qcow2-io: crash-writer: I/O error\n");
                return 1;
            }
            fprintf(log, "F %" PRIu64 "\n", seq);
            fflush(log);
        }
        int slot = -1;
        while (slot < 0) {
            for (int i = 0; i < CRASH_DEPTH; i++) {
                if (!w[i].busy) {
                    slot = i;
                    break;
                }
            }
            if (slot < 0) {
                aio_poll(ctx, true);
            }
        }
        /* Mostly small writes, sometimes whole clusters; never overlapping
         * a write still in flight. */
        int64_t nsec = 1 + splitmix(&rng) % (splitmix(&rng) % 4 ? 8 : 128);
        int64_t sector = splitmix(&rng) % (sectors - nsec + 1);
        bool overlap = false;
        for (int i = 0; i < CRASH_DEPTH; i++) {
            if (w[i].busy && sector * 512 < w[i].offset + w[i].len &&
                w[i].offset < (sector + nsec) * 512) {
                overlap = true;
            }
        }
        if (overlap) {
            continue;
        }
        CrashWrite *cw = &w[slot];
        cw->seq = ++seq;
        cw->offset = sector * 512;
        cw->len = nsec * 512;
        for (int64_t i = 0; i < nsec; i++) {
            fill_sector(cw->buf + i * 512, cw->seq, sector + i);
        }
        fprintf(log, "S %" PRIu64 " %" PRId64 " %" PRId64 "\n", cw->seq, cw->offset, cw->len);
        fflush(log);
        qemu_iovec_init_buf(&cw->qiov, cw->buf, cw->len);
        cw->busy = true;
        in_flight++;
        blk_aio_pwritev(blk, cw->offset, &cw->qiov, 0, crash_write_done, cw);
    }
}

typedef struct CrashLogWrite {
    int64_t offset, len;
    bool done;
    bool durable; /* acknowledged, then a flush completed in the same process */
} CrashLogWrite;

static int cmd_crash_verify(char **argv)
{
    g_autofree char *text = NULL;
    GHashTable *writes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    uint64_t durable = 0, max_seq = 0;
    g_autoptr(GPtrArray) pending = g_ptr_array_new();
    BlockBackend *blk;
    int64_t sectors;
    g_autofree uint64_t *dur = NULL;
    uint8_t buf[512], want[512];
    int bad = 0;

    if (!g_file_get_contents(argv[1], &text, NULL, NULL)) {
        text = g_strdup(""); /* killed before it logged anything */
    }
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        uint64_t seq;
        int64_t off, len;
        if (l[0] == 'S' && sscanf(l + 2, "%" SCNu64 " %" SCNd64 " %" SCNd64, &seq, &off,
                                  &len) == 3) {
            CrashLogWrite *w = g_new0(CrashLogWrite, 1);
            int64_t *key = g_new(int64_t, 1);
            *key = seq;
            w->offset = off;
            w->len = len;
            g_hash_table_insert(writes, key, w);
            max_seq = MAX(max_seq, seq);
        } else if (l[0] == 'W' && sscanf(l + 2, "%" SCNu64, &seq) == 1) {
            int64_t key = seq;
            CrashLogWrite *w = g_hash_table_lookup(writes, &key);
            if (w) {
                w->done = true;
                g_ptr_array_add(pending, w);
            }
        } else if (l[0] == 'F' && sscanf(l + 2, "%" SCNu64, &seq) == 1) {
            /* Only this process's acknowledged writes: a killed writer's
             * unflushed metadata died with it. */
            for (guint i = 0; i < pending->len; i++) {
                ((CrashLogWrite *)pending->pdata[i])->durable = true;
            }
            g_ptr_array_set_size(pending, 0);
            durable = seq;
        } else if (l[0] == 'O') {
            g_ptr_array_set_size(pending, 0);
        }
    }
    blk = open_blk(argv[0], false);
    sectors = blk_getlength(blk) / 512;
    dur = g_new0(uint64_t, sectors);
    /* Latest write per sector that was acknowledged before a completed flush. */
    for (uint64_t seq = 1; seq <= durable; seq++) {
        int64_t key = seq;
        CrashLogWrite *w = g_hash_table_lookup(writes, &key);
        if (!w || !w->durable) {
            continue;
        }
        for (int64_t s = w->offset / 512; s < (w->offset + w->len) / 512 && s < sectors; s++) {
            dur[s] = seq;
        }
    }
    for (int64_t s = 0; s < sectors; s++) {
        uint64_t seq = 0, sector = 0;
        bool ok;
        if (blk_pread(blk, s * 512, 512, buf, 0) < 0) {
            fprintf(stderr, "crash-verify: read error at sector %" PRId64 "\n", s);
            bad++;
            continue;
        }
        static const uint8_t zeros[512];
        if (!memcmp(buf, zeros, 512)) {
            ok = dur[s] == 0;
            if (!ok) {
                /* A later write's zeros cannot exist: only stamped data. */
            }
        } else {
            memcpy(&seq, buf + 8, 8);
            memcpy(&sector, buf + 16, 8);
            fill_sector(want, seq, s);
            ok = !memcmp(buf, want, 512) && sector == (uint64_t)s;
            if (ok && seq != dur[s]) {
                int64_t key = seq;
                CrashLogWrite *w = g_hash_table_lookup(writes, &key);
                /* Newer than the durable data: any write started later is allowed. */
                ok = seq > dur[s] && w && s * 512 >= w->offset &&
                     s * 512 < w->offset + w->len;
            }
        }
        if (!ok) {
            if (bad < 10) {
                fprintf(stderr, "crash-verify: sector %" PRId64 " holds seq %" PRIu64
                        " but durable seq is %" PRIu64 "\n", s, seq, dur[s]);
            }
            bad++;
        }
    }
    blk_unref(blk);
    g_hash_table_destroy(writes);
    printf("crash-verify: %" PRIu64 " writes logged, %" PRIu64 " durable, %d bad sectors\n",
           max_seq, durable, bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    Error *err = NULL;
    const char *cmd = argc > 1 ? argv[1] : "";
    int n = argc - 2;
    char **a = argv + 2;

    error_set_progname("qcow2-io");
    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        return 1;
    }
    if (!strcmp(cmd, "create") && n >= 2) {
        return cmd_create(n, a);
    } else if (!strcmp(cmd, "write") && n == 4) {
        return cmd_write_verify(a, false);
    } else if (!strcmp(cmd, "verify") && n == 4) {
        return cmd_write_verify(a, true);
    } else if (!strcmp(cmd, "zero") && n == 3) {
        return cmd_zero_discard(a, true);
    } else if (!strcmp(cmd, "discard") && n == 3) {
        return cmd_zero_discard(a, false);
    } else if (!strcmp(cmd, "import") && n >= 2) {
        return cmd_import(a, n > 2 && !strcmp(a[2], "-c"));
    } else if (!strcmp(cmd, "export") && n == 2) {
        return cmd_export(a);
    } else if (!strcmp(cmd, "check") && n >= 1) {
        return cmd_check(n, a);
    } else if (!strcmp(cmd, "open") && n >= 1) {
        return cmd_open(n, a);
    } else if (!strcmp(cmd, "readall") && n == 1) {
        return cmd_readall(a);
    } else if (!strcmp(cmd, "crash-writer") && (n == 3 || n == 4)) {
        return cmd_crash_writer(n, a);
    } else if (!strcmp(cmd, "crash-verify") && n == 2) {
        return cmd_crash_verify(a);
    }
    fprintf(stderr, "usage: see the comment at the top of tests/interop/qcow2-io.c\n");
    return 2;
}
