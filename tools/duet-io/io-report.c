/*
 * What duet-io prints besides the commands' own lines: numbers as qemu-io
 * parses and shows them, the statistics line, the -v hex dump, patterns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/cutils.h"
#include "duet-io.h"

int64_t io_cvtnum(const char *s)
{
    uint64_t value;
    int ret = qemu_strtosz(s, 1, &value);

    if (ret < 0) {
        return ret;
    }
    if (value > INT64_MAX) {
        return -ERANGE;
    }
    return value;
}

void io_print_cvtnum_err(int64_t rc, const char *arg)
{
    switch (rc) {
    case -EINVAL:
        printf("Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- %s\n",
               arg);
        break;
    case -ERANGE:
        printf("Parsing error: argument too large -- %s\n", arg);
        break;
    default:
        printf("Parsing error: %s\n", arg);
    }
}

/*
 * Binary units with three decimals, except that a whole number drops
 * them ("4 KiB"), and plain bytes keep six ("1.915894 bytes"): qemu-io's
 * output, which scripts and QEMU's test references compare literally.
 */
void io_cvtstr(double value, char *str, size_t size)
{
    static const char *const units[] = { " KiB", " MiB", " GiB", " TiB", " PiB", " EiB" };
    const char *suffix = " bytes";
    char num[64], *trim;
    int i;

    for (i = G_N_ELEMENTS(units) - 1; i >= 0; i--) {
        double unit = (double)(UINT64_C(1) << (10 * (i + 1)));
        if (value >= unit) {
            value /= unit;
            suffix = units[i];
            break;
        }
    }
    snprintf(num, sizeof(num), i < 0 ? "%f" : "%.3f", value);
    trim = strstr(num, ".000");
    if (trim) {
        *trim = '\0';
    }
    snprintf(str, size, "%s%s", num, suffix);
}

static double io_tdiv(double value, const struct timespec *t)
{
    double secs = t->tv_sec + t->tv_nsec / 1e9;
    return value / secs;
}

/* Elapsed time: "SS.ss sec", "MM:SS.ss", or "H:MM:SS.ss" (always that with
 * verbose, the -C form). */
static void io_timestr(const struct timespec *t, char *ts, size_t size, bool verbose)
{
    unsigned hours = t->tv_sec / 3600, minutes = (t->tv_sec / 60) % 60;
    double seconds = (t->tv_sec % 60) + t->tv_nsec / 1e9;

    if (verbose || t->tv_sec >= 3600) {
        snprintf(ts, size, "%u:%02u:%05.2f", hours, minutes, seconds);
    } else if (t->tv_sec >= 60) {
        snprintf(ts, size, "%02u:%05.2f", minutes, seconds);
    } else {
        snprintf(ts, size, "%05.2f sec", seconds);
    }
}

void io_print_report(const char *op, struct timespec *start, struct timespec *end,
                     int64_t offset, int64_t count, int64_t total, int cnt, bool terse)
{
    struct timespec t = { end->tv_sec - start->tv_sec, end->tv_nsec - start->tv_nsec };
    char s1[64], s2[64], ts[64];

    if (t.tv_nsec < 0) {
        t.tv_sec--;
        t.tv_nsec += 1000000000L;
    }
    if (!terse) {
        printf("%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n", op, total, count,
               offset);
    }
    io_timestr(&t, ts, sizeof(ts), terse);
    if (terse) {
        printf("%" PRId64 ",%d,%s,%.3f,%.3f\n", total, cnt, ts, io_tdiv(total, &t),
               io_tdiv(cnt, &t));
        return;
    }
    io_cvtstr(total, s1, sizeof(s1));
    io_cvtstr(io_tdiv(total, &t), s2, sizeof(s2));
    printf("%s, %d ops; %s (%s/sec and %.4f ops/sec)\n", s1, cnt, ts, s2, io_tdiv(cnt, &t));
}

static bool io_is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void io_dump_buffer(const void *buf, int64_t offset, int64_t len)
{
    const uint8_t *p = buf;

    for (int64_t i = 0; i < len; i += 16) {
        int64_t n = MIN(16, len - i);

        printf("%08" PRIx64 ": ", (uint64_t)(offset + i));
        for (int64_t j = 0; j < n; j++) {
            printf(" %02x", p[i + j]);
        }
        printf("  ");
        for (int64_t j = 0; j < n; j++) {
            /* qemu-io shows letters and digits only (C locale isalnum) */
            putchar(io_is_alnum(p[i + j]) ? p[i + j] : '.');
        }
        printf("\n");
    }
}

int io_parse_pattern(const char *arg)
{
    char *end;
    long pattern;

    errno = 0;
    pattern = strtol(arg, &end, 0);
    if (errno || end == arg || *end || pattern < 0 || pattern > 0xff) {
        printf("%s is not a valid pattern byte\n", arg);
        return -1;
    }
    return pattern;
}

void *io_alloc(IOState *s, size_t len, int pattern)
{
    void *buf = qemu_blockalign(s->blk ? blk_bs(s->blk) : NULL, len);
    return memset(buf, pattern, len);
}

void *io_create_iovec(IOState *s, QEMUIOVector *qiov, char **argv, int nr_iov, int pattern)
{
    size_t *sizes = g_new(size_t, nr_iov);
    int64_t count = 0;
    uint8_t *buf, *p;

    for (int i = 0; i < nr_iov; i++) {
        int64_t len = io_cvtnum(argv[i]);

        if (len < 0) {
            io_print_cvtnum_err(len, argv[i]);
            g_free(sizes);
            return NULL;
        }
        if (len > IO_REQUEST_MAX_BYTES) {
            printf("Argument '%s' exceeds maximum size %" PRId64 "\n", argv[i],
                   IO_REQUEST_MAX_BYTES);
            g_free(sizes);
            return NULL;
        }
        if (count > IO_REQUEST_MAX_BYTES - len) {
            printf("The total number of bytes exceed the maximum size %" PRId64 "\n",
                   IO_REQUEST_MAX_BYTES);
            g_free(sizes);
            return NULL;
        }
        sizes[i] = len;
        count += len;
    }
    qemu_iovec_init(qiov, nr_iov);
    buf = p = io_alloc(s, count, pattern);
    for (int i = 0; i < nr_iov; i++) {
        qemu_iovec_add(qiov, p, sizes[i]);
        p += sizes[i];
    }
    g_free(sizes);
    return buf;
}

bool io_check_pattern(const void *buf, int64_t len, int pattern, int64_t report_offset)
{
    const uint8_t *p = buf;

    for (int64_t i = 0; i < len; i++) {
        if (p[i] != pattern) {
            printf("Pattern verification failed at offset %" PRId64 ", %" PRId64 " bytes\n",
                   report_offset, len);
            return false;
        }
    }
    return true;
}
