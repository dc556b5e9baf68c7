/*
 * -snapshot and -drive snapshot=on: the image is opened read-only and a
 * temporary qcow2 overlay over it takes every write, as QEMU's temporary
 * snapshot does.  The overlay is created in $TMPDIR (else /var/tmp) as
 * vl.XXXXXX and unlinked as soon as it is open, so nothing is left behind
 * however the process ends; the guest sees its own writes until then.
 *
 * The image becomes the overlay's backing node, so it holds what a
 * backing file holds (block-perm.c): consistent-read, and it lets others
 * read, but write and resize only if the overlay's users share write
 * (an IDE device does not): qemu-img info and other readers may open it,
 * writers may not.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block_int.h"

static char *temp_snapshot_path(void)
{
    const char *dir = g_getenv("TMPDIR");

    return g_build_filename(dir && *dir ? dir : "/var/tmp", "vl.XXXXXX", NULL);
}

BlockDriverState *bdrv_open_temp_snapshot(const char *filename, const char *fmt, int flags,
                                          GHashTable *options, Error **errp)
{
    g_autofree char *path = temp_snapshot_path();
    const BlockDriver *qcow2 = bdrv_find_format("qcow2");
    BlockDriverState *base, *overlay;
    uint64_t perm, shared;
    int64_t size;
    int fd;

    base = bdrv_open_opts(filename, fmt, flags & ~BDRV_O_RDWR, options, errp);
    if (!base) {
        return NULL;
    }
    size = bdrv_getlength(base);
    if (size < 0) {
        error_setg_errno(errp, -size, "Could not get the size of '%s'", filename);
        goto fail_base;
    }
    fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not create temporary overlay '%s'", path);
        goto fail_base;
    }
    close(fd);
    if (!bdrv_create(qcow2, &(BlockCreateOpts){ .filename = path, .size = size }, errp)) {
        error_prepend(errp, "Could not create temporary overlay '%s': ", path);
        unlink(path);
        goto fail_base;
    }
    /* Whatever the drive's cache mode, the overlay is a scratch file that
     * dies with the process: page cache, no flushes (QEMU: cache.direct=off,
     * cache.no-flush=on), so O_DIRECT also works with a TMPDIR on tmpfs. */
    overlay = bdrv_open(path, "qcow2",
                        ((flags & ~(BDRV_O_NOCACHE | BDRV_O_DSYNC)) | BDRV_O_RDWR |
                         BDRV_O_NO_FLUSH | BDRV_O_NO_BACKING), errp);
    unlink(path); /* open (or not): the name is not needed any more */
    if (!overlay) {
        error_prepend(errp, "Could not open temporary overlay '%s': ", path);
        goto fail_base;
    }
    /* The image under the overlay, as a backing file named in its header
     * would be (qcow2 reads unallocated clusters from bs->backing). */
    g_strlcpy(overlay->backing_file, base->filename, sizeof(overlay->backing_file));
    g_strlcpy(overlay->backing_format, base->drv->format_name,
              sizeof(overlay->backing_format));
    base->inherits_from = overlay;
    overlay->backing = bdrv_child_new(base, "backing");
    bdrv_unref(base);
    bdrv_opener_perm(flags | BDRV_O_RDWR, &perm, &shared);
    if (!bdrv_refresh_perms(overlay, perm, shared, errp)) {
        bdrv_unref(overlay);
        return NULL;
    }
    return overlay;

fail_base:
    bdrv_unref(base);
    return NULL;
}
