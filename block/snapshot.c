/*
 * Internal snapshots, format-independent part: forwards to the driver's
 * bdrv_snapshot_* hooks and finds a snapshot by id or name.
 */
#include <errno.h>
#include <string.h>

#include "block_int.h"

int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn, Error **errp)
{
    if (!bs->drv->bdrv_snapshot_create) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_create(bs, sn, errp);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *snapshot_id, Error **errp)
{
    if (!bs->drv->bdrv_snapshot_goto) {
        error_setg(errp, "Block driver does not support snapshots");
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_goto(bs, snapshot_id, errp);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *snapshot_id, const char *name,
                         Error **errp)
{
    if (!bs->drv->bdrv_snapshot_delete) {
        error_setg(errp, "Block format '%s' used by device '%s' does not support internal "
                   "snapshots", bs->drv->format_name, bs->filename);
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_delete(bs, snapshot_id, name, errp);
}

int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    *psn_info = NULL;
    if (!bs->drv->bdrv_snapshot_list) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_list(bs, psn_info);
}

bool bdrv_snapshot_find(BlockDriverState *bs, QEMUSnapshotInfo *sn, const char *name)
{
    g_autofree QEMUSnapshotInfo *list = NULL;
    int n = bdrv_snapshot_list(bs, &list);

    for (int i = 0; i < n; i++) {
        if (!strcmp(list[i].id_str, name)) {
            *sn = list[i];
            return true;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(list[i].name, name)) {
            *sn = list[i];
            return true;
        }
    }
    return false;
}

int bdrv_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id, const char *name,
                           Error **errp)
{
    if (!snapshot_id && !name) {
        error_setg(errp, "snapshot_id and name are both NULL");
        return -EINVAL;
    }
    if (!bs->drv->bdrv_snapshot_load_tmp) {
        error_setg(errp, "Block format '%s' used by device '' does not support temporarily "
                   "loading internal snapshots", bs->drv->format_name);
        return -ENOTSUP;
    }
    if (!bs->read_only) {
        error_setg(errp, "Device '' is writable, temporarily loading a snapshot needs it "
                   "read-only");
        return -EINVAL;
    }
    return bs->drv->bdrv_snapshot_load_tmp(bs, snapshot_id, name, errp);
}

int bdrv_snapshot_load_tmp_by_id_or_name(BlockDriverState *bs, const char *id_or_name,
                                         Error **errp)
{
    Error *err = NULL;
    int ret = bdrv_snapshot_load_tmp(bs, id_or_name, NULL, &err);

    if (ret == -ENOENT || ret == -EINVAL) {
        error_free(err);
        err = NULL;
        ret = bdrv_snapshot_load_tmp(bs, NULL, id_or_name, &err);
    }
    error_propagate(errp, err);
    return ret;
}
