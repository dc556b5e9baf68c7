/*
 * qcow2 internal snapshots (spec "Snapshots"): read-only support.  We load
 * the snapshot table so that images carrying snapshots open, their L1/L2
 * tables are protected by the overlap check and counted by check; creating
 * or applying snapshots is not implemented.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"

#define SNAPSHOT_HEADER_SIZE   40
#define SNAPSHOT_MAX_EXTRA     1024

void qcow2_free_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        g_free(s->snapshots[i].id_str);
        g_free(s->snapshots[i].name);
    }
    g_clear_pointer(&s->snapshots, g_free);
}

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = qcow2_file_length(bs);
    uint64_t offset = s->snapshots_offset;
    int ret;

    s->snapshots_size = 0;
    if (s->nb_snapshots == 0) {
        return 0;
    }
    s->snapshots = g_new0(QCowSnapshot, s->nb_snapshots);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        uint8_t h[SNAPSHOT_HEADER_SIZE];
        uint32_t extra, id_len, name_len;
        uint64_t entry_len;

        if (offset + SNAPSHOT_HEADER_SIZE > (uint64_t)file_len) {
            error_setg(errp, "Snapshot table entry %u lies past the end of the image", i);
            return -EINVAL;
        }
        ret = bdrv_pread(bs->file, offset, sizeof(h), h, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read snapshot table");
            return ret;
        }
        sn->l1_table_offset = ldbe64(h);
        sn->l1_size = ldbe32(h + 8);
        id_len = ldbe16(h + 12);
        name_len = ldbe16(h + 14);
        extra = ldbe32(h + 36);
        if (extra > SNAPSHOT_MAX_EXTRA) {
            error_setg(errp, "Snapshot %u: extra data too large (%u bytes)", i, extra);
            return -EFBIG;
        }
        entry_len = SNAPSHOT_HEADER_SIZE + (uint64_t)extra + id_len + name_len;
        entry_len = (entry_len + 7) & ~7ULL;
        if (offset + entry_len > (uint64_t)file_len) {
            error_setg(errp, "Snapshot table entry %u lies past the end of the image", i);
            return -EINVAL;
        }
        {
            g_autofree uint8_t *rest = g_malloc(entry_len - SNAPSHOT_HEADER_SIZE + 1);
            ret = bdrv_pread(bs->file, offset + SNAPSHOT_HEADER_SIZE,
                             entry_len - SNAPSHOT_HEADER_SIZE, rest, 0);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Could not read snapshot table");
                return ret;
            }
            if (extra >= 16) {
                sn->disk_size = ldbe64(rest + 8);
            }
            sn->id_str = g_strndup((char *)rest + extra, id_len);
            sn->name = g_strndup((char *)rest + extra + id_len, name_len);
        }
        offset += entry_len;
        if (offset - s->snapshots_offset > QCOW_MAX_SNAPSHOTS_SIZE) {
            error_setg(errp, "Snapshot table too large");
            return -EFBIG;
        }
        if ((uint64_t)sn->l1_size * 8 > QCOW_MAX_L1_SIZE) {
            error_setg(errp, "Snapshot %u: L1 table too large (%u entries)", i, sn->l1_size);
            return -EFBIG;
        }
        if (sn->l1_size && (offset_into_cluster(s, sn->l1_table_offset) ||
                            sn->l1_table_offset < (uint64_t)s->cluster_size ||
                            sn->l1_table_offset + (uint64_t)sn->l1_size * 8 >
                            (uint64_t)file_len)) {
            error_setg(errp, "Snapshot %u: invalid L1 table offset %#" PRIx64, i,
                       sn->l1_table_offset);
            return -EINVAL;
        }
    }
    s->snapshots_size = offset - s->snapshots_offset;
    return 0;
}
