/*
 * Image locking for the file protocol (see file-lock.h).  The byte layout
 * and the order of the calls are what qemu-img 7.2 does here, observed
 * with strace -e fcntl: every byte to hold is locked first (100 + i, then
 * 200 + i), then every conflicting byte is tested with F_OFD_GETLK.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"
#include "file-lock.h"

/* One byte: F_RDLCK to lock, F_UNLCK to unlock. */
static int lock_byte(const FileLock *l, int fd, int byte, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

    while (fcntl(fd, l->set_cmd, &fl) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

/* 0 when nobody else holds byte; -EAGAIN when someone does. */
static int test_byte(const FileLock *l, int fd, int byte)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

    while (fcntl(fd, l->get_cmd, &fl) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return fl.l_type == F_UNLCK ? 0 : -EAGAIN;
}

bool file_lock_init(FileLock *l, int fd, const char *mode, Error **errp)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    bool on = mode && !strcmp(mode, "on");
    bool ofd;

    *l = (FileLock){ .set_cmd = F_OFD_SETLK, .get_cmd = F_OFD_GETLK };
    if (mode && !on && strcmp(mode, "off") && strcmp(mode, "auto")) {
        error_setg(errp, "Parameter 'locking' expects 'on', 'off' or 'auto', not '%s'", mode);
        return false;
    }
    if (mode && !strcmp(mode, "off")) {
        return true;
    }
    /* Does this file take OFD locks?  A kernel without them says EINVAL. */
    ofd = fcntl(fd, F_OFD_GETLK, &fl) == 0;
    if (ofd) {
        l->enabled = true;
    } else if (on) {
        /* As QEMU does: asked for by name, fall back to POSIX locks. */
        warn_report("locking=on: no OFD locks here (%s); using POSIX locks, which this "
                    "process loses whenever it closes any descriptor of the image, and "
                    "which do not see its other opens of it", g_strerror(errno));
        l->enabled = true;
        l->set_cmd = F_SETLK;
        l->get_cmd = F_GETLK;
    }
    return true;
}

/* Locks the bytes of want not in have; on failure unlocks what it took. */
static int lock_bytes(FileLock *l, int fd, uint64_t want, uint64_t have, int base,
                      Error **errp)
{
    for (int i = 0; i < 64 && (want >> i); i++) {
        uint64_t bit = 1ULL << i;
        int ret;

        if (!(want & bit) || (have & bit)) {
            continue;
        }
        ret = lock_byte(l, fd, base + i, F_RDLCK);
        if (ret < 0) {
            if (ret == -EAGAIN || ret == -EACCES) {
                error_setg(errp, "Failed to lock byte %d", base + i);
            } else {
                error_setg_errno(errp, -ret, "Failed to lock byte %d", base + i);
            }
            while (i-- > 0) {
                bit = 1ULL << i;
                if ((want & bit) && !(have & bit)) {
                    lock_byte(l, fd, base + i, F_UNLCK);
                }
            }
            return ret;
        }
    }
    return 0;
}

static void unlock_bytes(const FileLock *l, int fd, uint64_t bits, int base)
{
    for (int i = 0; i < 64 && (bits >> i); i++) {
        if (bits & (1ULL << i)) {
            lock_byte(l, fd, base + i, F_UNLCK);
        }
    }
}

/* QEMU's wording; the hint only when someone really holds the byte. */
static void lock_error(Error **errp, int err, bool shared, uint64_t bit, const char *name)
{
    const char *perm = bdrv_perm_name(bit);

    if (err == -EAGAIN) {
        error_setg(errp, "Failed to get %s\"%s\" lock\nIs another process using the image [%s]?",
                   shared ? "shared " : "", perm, name);
    } else {
        error_setg_errno(errp, -err, "Failed to get %s\"%s\" lock", shared ? "shared " : "",
                         perm);
    }
}

/* Taking bit i conflicts with anyone not sharing it (their 200 + i);
 * not sharing it conflicts with anyone holding it (their 100 + i). */
static int test_conflicts(FileLock *l, int fd, uint64_t perm, uint64_t unshared,
                          const char *name, Error **errp)
{
    for (int i = 0; i < 64 && (perm >> i); i++) {
        int ret = (perm & (1ULL << i)) ? test_byte(l, fd, FILE_LOCK_SHARED_BASE + i) : 0;
        if (ret < 0) {
            lock_error(errp, ret, false, 1ULL << i, name);
            return ret;
        }
    }
    for (int i = 0; i < 64 && (unshared >> i); i++) {
        int ret = (unshared & (1ULL << i)) ? test_byte(l, fd, FILE_LOCK_PERM_BASE + i) : 0;
        if (ret < 0) {
            lock_error(errp, ret, true, 1ULL << i, name);
            return ret;
        }
    }
    return 0;
}

int file_lock_check(FileLock *l, int fd, uint64_t perm, uint64_t shared, const char *name,
                    Error **errp)
{
    uint64_t unshared = ~shared & BLK_PERM_ALL;
    int ret;

    l->new_held = perm & BLK_PERM_ALL;
    l->new_unshared = unshared;
    if (!l->enabled) {
        return 0;
    }
    ret = lock_bytes(l, fd, l->new_held, l->held, FILE_LOCK_PERM_BASE, errp);
    if (ret < 0) {
        l->new_held = l->held;
        l->new_unshared = l->unshared;
        return ret;
    }
    ret = lock_bytes(l, fd, unshared, l->unshared, FILE_LOCK_SHARED_BASE, errp);
    if (ret < 0) {
        l->new_unshared = l->unshared;
        file_lock_abort(l, fd);
        return ret;
    }
    ret = test_conflicts(l, fd, l->new_held, unshared, name, errp);
    if (ret < 0) {
        file_lock_abort(l, fd);
    }
    return ret;
}

void file_lock_commit(FileLock *l, int fd)
{
    if (l->enabled) {
        unlock_bytes(l, fd, l->held & ~l->new_held, FILE_LOCK_PERM_BASE);
        unlock_bytes(l, fd, l->unshared & ~l->new_unshared, FILE_LOCK_SHARED_BASE);
    }
    l->held = l->new_held;
    l->unshared = l->new_unshared;
}

void file_lock_abort(FileLock *l, int fd)
{
    if (l->enabled) {
        unlock_bytes(l, fd, l->new_held & ~l->held, FILE_LOCK_PERM_BASE);
        unlock_bytes(l, fd, l->new_unshared & ~l->unshared, FILE_LOCK_SHARED_BASE);
    }
    l->new_held = l->held;
    l->new_unshared = l->unshared;
}

void file_lock_release(FileLock *l, int fd)
{
    if (l->enabled) {
        unlock_bytes(l, fd, l->held, FILE_LOCK_PERM_BASE);
        unlock_bytes(l, fd, l->unshared, FILE_LOCK_SHARED_BASE);
    }
    l->held = l->unshared = l->new_held = l->new_unshared = 0;
}
