/*
 * Bounded reads of files named on the command line (qemu/file-read.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>

#include "qemu/file-read.h"

char *qemu_format_size(uint64_t bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };

    if (bytes < 1024) {
        return g_strdup_printf("%" PRIu64 " bytes", bytes);
    }
    double v = bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1024;
        u++;
    }
    return g_strdup_printf(v == (uint64_t)v ? "%.0f %s" : "%.1f %s", v, units[u]);
}

bool qemu_read_file_bounded(const char *what, const char *path, uint64_t max_size,
                            const char *limit, uint8_t **data, size_t *len, Error **errp)
{
    struct stat st;
    uint8_t *buf;
    size_t done = 0;
    int fd;

    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        error_setg_errno(errp, errno, "%s %s", what, path);
        return false;
    }
    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "%s %s", what, path);
        close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "%s %s: not a regular file", what, path);
        close(fd);
        return false;
    }
    if ((uint64_t)st.st_size > max_size) {
        g_autofree char *size = qemu_format_size(st.st_size);
        error_setg(errp, "%s %s: the file is %s (%" PRIu64 " bytes), more than fits in %s",
                   what, path, size, (uint64_t)st.st_size, limit);
        close(fd);
        return false;
    }
    /* The size is known and bounded; a file that grows meanwhile is cut
     * at that size rather than read on. */
    buf = g_malloc(st.st_size + 1);
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, st.st_size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "%s %s: read", what, path);
            g_free(buf);
            close(fd);
            return false;
        }
        if (n == 0) {
            break; /* shrank meanwhile */
        }
        done += n;
    }
    close(fd);
    buf[done] = 0;
    *data = buf;
    *len = done;
    return true;
}
