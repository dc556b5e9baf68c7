/*
 * Permissions: what each user of a node holds (consistent-read, write,
 * write-unchanged, resize) and what it lets other users do, as in QEMU.
 * A node's user is its opener (a tool, a device's BlockBackend) or, below
 * the top, its parent; a format decides what it needs on its children
 * from what its own users need.  Only the file protocol acts on them: it
 * holds them as OFD locks (block/file-lock.c), which is how a second duet,
 * qemu-img or QEMU on the same image finds out, and how the same image
 * opened twice in one process does.
 *
 * A change is all or nothing over the whole graph: every protocol node
 * first takes its new locks beside its old ones and checks them; only when
 * all succeeded do they drop the old ones, else each goes back.
 */
#include <errno.h>
#include <sys/stat.h>

#include "block_int.h"

void bdrv_opener_perm(int flags, uint64_t *perm, uint64_t *shared)
{
    *perm = 0;
    if (!(flags & BDRV_O_NO_IO)) {
        *perm |= BLK_PERM_CONSISTENT_READ;
    }
    if (flags & BDRV_O_RDWR) {
        *perm |= BLK_PERM_WRITE;
    }
    if (flags & BDRV_O_RESIZE) {
        *perm |= BLK_PERM_RESIZE;
    }
    *shared = (flags & BDRV_O_NO_SHARE) ? BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED
                                        : BLK_PERM_ALL;
}

/* A format's file holds its metadata and data. */
static void default_perms_for_storage(BlockDriverState *bs, uint64_t perm, uint64_t shared,
                                      uint64_t *nperm, uint64_t *nshared)
{
    /* The format writes metadata (refcounts, dirty bit) whenever it is
     * writable, whatever its users do, and may grow the file then. */
    if (!bs->read_only) {
        perm |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
    /* The metadata must read back as written. */
    if (!(bs->open_flags & BDRV_O_NO_IO)) {
        perm |= BLK_PERM_CONSISTENT_READ;
    }
    /* Nobody else may change or resize the file under the format's
     * metadata, whatever its users allow. */
    shared &= ~(BLK_PERM_WRITE | BLK_PERM_RESIZE);
    /* Unchanged data cannot be written unchanged through a format (copy on
     * read allocates), and allocating writes may grow the file. */
    if (perm & BLK_PERM_WRITE_UNCHANGED) {
        perm |= BLK_PERM_WRITE;
    }
    if (perm & BLK_PERM_WRITE) {
        perm |= BLK_PERM_RESIZE;
    }
    *nperm = perm;
    *nshared = shared;
}

/* A backing file is only read; others may change it only if the users of
 * the overlay can live with changing data anyway. */
static void default_perms_for_cow(uint64_t perm, uint64_t shared, uint64_t *nperm,
                                  uint64_t *nshared)
{
    *nperm = perm & BLK_PERM_CONSISTENT_READ;
    *nshared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    if (shared & BLK_PERM_WRITE) {
        *nshared |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
}

void bdrv_default_perms(BlockDriverState *bs, BdrvChildRole role, uint64_t perm,
                        uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    if (role == BDRV_CHILD_BACKING) {
        default_perms_for_cow(perm, shared, nperm, nshared);
    } else {
        default_perms_for_storage(bs, perm, shared, nperm, nshared);
    }
}

void bdrv_child_perm(BlockDriverState *bs, BdrvChildRole role, uint64_t perm,
                     uint64_t shared, uint64_t *nperm, uint64_t *nshared)
{
    if (bs->drv->bdrv_child_perm) {
        bs->drv->bdrv_child_perm(bs, role, perm, shared, nperm, nshared);
    } else {
        *nperm = perm;
        *nshared = shared;
    }
    *nperm &= BLK_PERM_ALL;
    *nshared &= BLK_PERM_ALL;
}

typedef struct PermUpdate {
    BlockDriverState *bs;
    uint64_t perm;
    uint64_t shared;
} PermUpdate;

/* The permissions every node of bs's graph gets, parents first. */
static void perm_collect(BlockDriverState *bs, uint64_t perm, uint64_t shared, GArray *out)
{
    PermUpdate u = { .bs = bs, .perm = perm & BLK_PERM_ALL, .shared = shared & BLK_PERM_ALL };
    uint64_t nperm, nshared;

    if (bs->force_share) {
        u.shared = BLK_PERM_ALL;
    }
    g_array_append_val(out, u);
    if (bs->file) {
        bdrv_child_perm(bs, BDRV_CHILD_FILE, u.perm, u.shared, &nperm, &nshared);
        perm_collect(bs->file->bs, nperm, nshared, out);
    }
    if (bs->backing) {
        bdrv_child_perm(bs, BDRV_CHILD_BACKING, u.perm, u.shared, &nperm, &nshared);
        perm_collect(bs->backing->bs, nperm, nshared, out);
    }
}

bool bdrv_refresh_perms(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp)
{
    g_autoptr(GArray) updates = g_array_new(false, false, sizeof(PermUpdate));
    guint i;

    perm_collect(bs, perm, shared, updates);
    for (i = 0; i < updates->len; i++) {
        PermUpdate *u = &g_array_index(updates, PermUpdate, i);
        const BlockDriver *drv = u->bs->drv;

        if (drv->bdrv_check_perm && drv->bdrv_check_perm(u->bs, u->perm, u->shared, errp) < 0) {
            while (i-- > 0) {
                u = &g_array_index(updates, PermUpdate, i);
                if (u->bs->drv->bdrv_abort_perm) {
                    u->bs->drv->bdrv_abort_perm(u->bs);
                }
            }
            return false;
        }
    }
    for (i = 0; i < updates->len; i++) {
        PermUpdate *u = &g_array_index(updates, PermUpdate, i);

        u->bs->perm = u->perm;
        u->bs->shared_perm = u->shared;
        if (u->bs->drv->bdrv_set_perm) {
            u->bs->drv->bdrv_set_perm(u->bs, u->perm, u->shared);
        }
    }
    return true;
}

const char *bdrv_perm_name(uint64_t perm)
{
    switch (perm) {
    case BLK_PERM_CONSISTENT_READ:
        return "consistent read";
    case BLK_PERM_WRITE:
        return "write";
    case BLK_PERM_WRITE_UNCHANGED:
        return "write unchanged";
    case BLK_PERM_RESIZE:
        return "resize";
    default:
        return NULL;
    }
}

BlockDriverState *bdrv_find_file(BlockDriverState *bs, const char *path)
{
    struct stat target, st;

    if (stat(path, &target) < 0) {
        return NULL; /* not there: nothing to overwrite */
    }
    for (; bs; bs = bs->backing ? bs->backing->bs : NULL) {
        for (BlockDriverState *n = bs; n; n = n->file ? n->file->bs : NULL) {
            if (!n->file && n->filename && stat(n->filename, &st) == 0 &&
                st.st_dev == target.st_dev && st.st_ino == target.st_ino) {
                return n;
            }
        }
    }
    return NULL;
}

bool bdrv_blocks_writers(BlockDriverState *node)
{
    return !(node->shared_perm & BLK_PERM_WRITE) && node->drv->bdrv_perm_enforced &&
           node->drv->bdrv_perm_enforced(node);
}
