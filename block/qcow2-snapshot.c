/*
 * qcow2 internal snapshots (spec "Snapshots"): the snapshot table, and
 * creating, applying (goto), deleting and listing snapshots.
 *
 * A snapshot is a copy of the active L1 table plus one more reference on
 * every L2 table and every data cluster it points to.  Shared clusters
 * (refcount > 1) lose QCOW_OFLAG_COPIED in the active tables, so the write
 * path copies them before writing (qcow2-cluster.c).
 *
 * Crash safety: references are added before anything points at them and
 * dropped only after nothing does; the snapshot table is rewritten into a
 * fresh allocation and made current by one header write.  A crash at any
 * step leaves leaked clusters at worst.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2.h"
#include "qemu/log.h"
#include "trace/trace.h"

#define SNAPSHOT_HEADER_SIZE   40
#define SNAPSHOT_MAX_EXTRA     1024
/* What qemu-img 7.2 writes: vm_state_size_large, disk_size, icount. */
#define SNAPSHOT_EXTRA_SIZE    24

static void free_snapshot(QCowSnapshot *sn)
{
    g_free(sn->id_str);
    g_free(sn->name);
    g_free(sn->extra_data);
}

void qcow2_free_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        free_snapshot(&s->snapshots[i]);
    }
    g_clear_pointer(&s->snapshots, g_free);
}

/* Fills sn from one table entry: h is the fixed part, rest what follows. */
static void parse_snapshot_entry(BDRVQcow2State *s, QCowSnapshot *sn, const uint8_t *h,
                                 const uint8_t *rest)
{
    uint16_t id_len = ldbe16(h + 12), name_len = ldbe16(h + 14);
    uint32_t extra = ldbe32(h + 36);

    sn->l1_table_offset = ldbe64(h);
    sn->l1_size = ldbe32(h + 8);
    sn->date_sec = ldbe32(h + 16);
    sn->date_nsec = ldbe32(h + 20);
    sn->vm_clock_nsec = ldbe64(h + 24);
    sn->vm_state_size = ldbe32(h + 32);
    sn->extra_data_size = extra;
    sn->extra_data = g_memdup2(rest, extra);
    /* Spec: fields missing from the extra data take these values. */
    sn->disk_size = s->size;
    sn->icount = (uint64_t)-1;
    if (extra >= 8) {
        sn->vm_state_size = ldbe64(rest);
    }
    if (extra >= 16) {
        sn->disk_size = ldbe64(rest + 8);
    }
    if (extra >= 24) {
        sn->icount = ldbe64(rest + 16);
    }
    sn->id_str = g_strndup((const char *)rest + extra, id_len);
    sn->name = g_strndup((const char *)rest + extra + id_len, name_len);
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
        uint32_t extra;
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
        extra = ldbe32(h + 36);
        if (extra > SNAPSHOT_MAX_EXTRA) {
            error_setg(errp, "Snapshot %u: extra data too large (%u bytes)", i, extra);
            return -EFBIG;
        }
        entry_len = SNAPSHOT_HEADER_SIZE + (uint64_t)extra + ldbe16(h + 12) + ldbe16(h + 14);
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
            parse_snapshot_entry(s, sn, h, rest);
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

/* The on-disk table for snapshots[0..nb), each entry padded to 8 bytes. */
static GByteArray *serialize_snapshots(const QCowSnapshot *snapshots, uint32_t nb)
{
    GByteArray *buf = g_byte_array_new();
    static const uint8_t zeros[8];

    for (uint32_t i = 0; i < nb; i++) {
        const QCowSnapshot *sn = &snapshots[i];
        size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
        uint8_t h[SNAPSHOT_HEADER_SIZE] = { 0 };

        /* entries start 8-aligned; the last is not padded (QEMU's table
         * ends with its name, and so does the file when it is last) */
        g_byte_array_append(buf, zeros, (8 - buf->len % 8) % 8);
        stbe64(h, sn->l1_table_offset);
        stbe32(h + 8, sn->l1_size);
        h[12] = id_len >> 8;
        h[13] = id_len;
        h[14] = name_len >> 8;
        h[15] = name_len;
        stbe32(h + 16, sn->date_sec);
        stbe32(h + 20, sn->date_nsec);
        stbe64(h + 24, sn->vm_clock_nsec);
        stbe32(h + 32, MIN(sn->vm_state_size, UINT32_MAX));
        stbe32(h + 36, sn->extra_data_size);
        g_byte_array_append(buf, h, sizeof(h));
        g_byte_array_append(buf, sn->extra_data, sn->extra_data_size);
        g_byte_array_append(buf, (const uint8_t *)sn->id_str, id_len);
        g_byte_array_append(buf, (const uint8_t *)sn->name, name_len);
    }
    return buf;
}

/*
 * Makes snapshots[0..nb) the image's snapshot table: written to a fresh
 * allocation, then the header switched to it, then the old one freed.  On
 * success s->snapshots takes ownership of snapshots; on failure nothing
 * changed (the caller still owns it).
 */
static int coroutine_fn write_snapshot_table(BlockDriverState *bs, QCowSnapshot *snapshots,
                                             uint32_t nb)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GByteArray) buf = serialize_snapshots(snapshots, nb);
    uint64_t old_offset = s->snapshots_offset, old_size = s->snapshots_size;
    uint32_t old_nb = s->nb_snapshots;
    QCowSnapshot *old_snapshots = s->snapshots;
    int64_t new_offset = 0;
    int ret;

    if (buf->len > QCOW_MAX_SNAPSHOTS_SIZE) {
        return -EFBIG;
    }
    if (buf->len) {
        new_offset = qcow2_alloc_clusters(bs, buf->len);
        if (new_offset < 0) {
            return new_offset;
        }
        /* Its refcount must be on disk before the header points at it. */
        ret = qcow2_co_flush_caches(bs);
        if (ret == 0) {
            ret = qcow2_pre_write_overlap_check(bs, 0, new_offset, buf->len);
        }
        if (ret == 0) {
            ret = bdrv_co_pwrite(bs->file, new_offset, buf->len, buf->data, 0);
        }
        if (ret == 0) {
            ret = bdrv_co_flush(bs->file->bs);
        }
        if (ret < 0) {
            qcow2_free_clusters(bs, new_offset, buf->len);
            return ret;
        }
    }
    s->nb_snapshots = nb;
    s->snapshots_offset = new_offset;
    s->snapshots_size = buf->len;
    s->snapshots = snapshots;
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        s->nb_snapshots = old_nb;
        s->snapshots_offset = old_offset;
        s->snapshots_size = old_size;
        s->snapshots = old_snapshots;
        if (new_offset) {
            qcow2_free_clusters(bs, new_offset, buf->len);
        }
        return ret;
    }
    trace_event(qcow2_write_snapshot_table, "nb=%u offset=0x%" PRIx64 " size=%u", nb,
                (uint64_t)new_offset, buf->len);
    if (old_size) {
        qcow2_free_clusters(bs, old_offset, old_size);
    }
    g_free(old_snapshots);
    return 0;
}

/* ---- create, goto, delete, list ---- */

typedef struct SnapshotOp {
    QEMUSnapshotInfo *sn_info;
    const char *snapshot_id;
    const char *name;
    Error **errp;
} SnapshotOp;

/* Index of the first snapshot whose id (else name) is id_or_name, or -1. */
static int find_snapshot_by_id_or_name(BDRVQcow2State *s, const char *id_or_name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, id_or_name)) {
            return i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].name, id_or_name)) {
            return i;
        }
    }
    return -1;
}

/* Common first step: refuse a corrupt image, write back cached metadata
 * so that what we copy or re-count is what is on disk. */
static int coroutine_fn snapshot_begin(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->corrupt_signaled || (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        return -EIO;
    }
    if (s->use_lazy_refcounts) {
        ret = qcow2_mark_dirty(bs);
        if (ret < 0) {
            return ret;
        }
    }
    return qcow2_co_flush_caches(bs);
}

static int coroutine_fn snapshot_end(BlockDriverState *bs, int ret)
{
    int flush_ret = qcow2_co_flush_caches(bs);

    if (flush_ret == 0) {
        flush_ret = bdrv_co_flush(bs->file->bs);
    }
    return ret < 0 ? ret : flush_ret;
}

/* "1", "2", ...: one more than the largest numeric id in use. */
static char *next_snapshot_id(BDRVQcow2State *s)
{
    unsigned long max = 0;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        unsigned long id = strtoul(s->snapshots[i].id_str, NULL, 10);
        max = MAX(max, id);
    }
    return g_strdup_printf("%lu", max + 1);
}

/* Writes the copy of the active L1 table that the new snapshot keeps. */
static int64_t coroutine_fn write_l1_copy(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t bytes = (int64_t)s->l1_size * 8, offset;
    g_autofree uint64_t *be = g_new(uint64_t, MAX(s->l1_size, 1));
    int ret;

    if (!bytes) {
        return 0;
    }
    offset = qcow2_alloc_clusters(bs, bytes);
    if (offset < 0) {
        return offset;
    }
    /* Spec: OFLAG_COPIED is meaningful in the active table only. */
    for (uint32_t i = 0; i < s->l1_size; i++) {
        be[i] = GUINT64_TO_BE(s->l1_table[i] & ~QCOW_OFLAG_COPIED);
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, offset, bytes);
    if (ret == 0) {
        ret = bdrv_co_pwrite(bs->file, offset, bytes, be, 0);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, offset, bytes);
        return ret;
    }
    return offset;
}

static void fill_new_snapshot(BDRVQcow2State *s, QCowSnapshot *sn,
                              const QEMUSnapshotInfo *info)
{
    sn->id_str = next_snapshot_id(s);
    sn->name = g_strdup(info->name);
    sn->l1_size = s->l1_size;
    sn->disk_size = s->size;
    sn->vm_state_size = info->vm_state_size;
    sn->date_sec = info->date_sec;
    sn->date_nsec = info->date_nsec;
    sn->vm_clock_nsec = info->vm_clock_nsec;
    sn->icount = info->icount;
    sn->extra_data_size = SNAPSHOT_EXTRA_SIZE;
    sn->extra_data = g_malloc0(SNAPSHOT_EXTRA_SIZE);
    stbe64(sn->extra_data, sn->vm_state_size);
    stbe64(sn->extra_data + 8, sn->disk_size);
    stbe64(sn->extra_data + 16, sn->icount);
}

static int coroutine_fn snapshot_create_locked(BlockDriverState *bs, QEMUSnapshotInfo *info)
{
    BDRVQcow2State *s = bs->opaque;
    QCowSnapshot sn = { 0 };
    QCowSnapshot *table;
    int64_t l1_copy;
    int ret;

    if (s->nb_snapshots >= QCOW_MAX_SNAPSHOTS) {
        return -EFBIG;
    }
    ret = snapshot_begin(bs);
    if (ret < 0) {
        return ret;
    }
    /* References first: nothing points at the copy yet. */
    ret = qcow2_ref_l1_clusters(bs, s->l1_table, s->l1_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_fix_copied_flags(bs);
    l1_copy = ret < 0 ? ret : write_l1_copy(bs);
    if (l1_copy < 0) {
        ret = l1_copy;
        goto undo_refs;
    }
    /* Refcounts and the (now shared) L2 tables reach the disk before the
     * table entry that makes them part of a snapshot. */
    ret = snapshot_end(bs, 0);
    if (ret < 0) {
        goto undo_copy;
    }
    fill_new_snapshot(s, &sn, info);
    sn.l1_table_offset = l1_copy;
    table = g_new(QCowSnapshot, s->nb_snapshots + 1);
    if (s->nb_snapshots) {
        memcpy(table, s->snapshots, sizeof(*table) * s->nb_snapshots);
    }
    table[s->nb_snapshots] = sn;
    ret = write_snapshot_table(bs, table, s->nb_snapshots + 1);
    if (ret < 0) {
        g_free(table);
        free_snapshot(&sn);
        goto undo_copy;
    }
    g_strlcpy(info->id_str, sn.id_str, sizeof(info->id_str));
    trace_event(qcow2_snapshot_create, "id=%s name=%s l1=0x%" PRIx64, sn.id_str, sn.name,
                sn.l1_table_offset);
    return 0;

undo_copy:
    if (l1_copy > 0) {
        qcow2_free_clusters(bs, l1_copy, (int64_t)s->l1_size * 8);
    }
undo_refs:
    qcow2_unref_l1_clusters(bs, s->l1_table, s->l1_size);
    qcow2_fix_copied_flags(bs);
    return ret;
}

static int coroutine_fn snapshot_create_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    SnapshotOp *op = opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = snapshot_create_locked(bs, op->sn_info);
    ret = snapshot_end(bs, ret);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn_info, Error **errp)
{
    SnapshotOp op = { .sn_info = sn_info, .errp = errp };
    int ret = qcow2_run_co(bs, snapshot_create_co, &op);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not create snapshot");
    }
    return ret;
}

/*
 * Makes the snapshot's L1 table the active one: its references are taken
 * before the active table is overwritten, the old active table's dropped
 * only after.
 */
static int coroutine_fn snapshot_goto_locked(BlockDriverState *bs, const QCowSnapshot *sn)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *sn_l1 = NULL;
    g_autofree uint64_t *old_l1 = NULL;
    uint32_t old_l1_size;
    int ret;

    ret = snapshot_begin(bs);
    if (ret < 0) {
        return ret;
    }
    sn_l1 = qcow2_read_snapshot_l1(bs, sn, &ret);
    if (!sn_l1) {
        return ret;
    }
    ret = qcow2_grow_l1_table(bs, sn->l1_size, true);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_ref_l1_clusters(bs, sn_l1, sn->l1_size);
    if (ret == 0) {
        /* The new references are on disk before the active L1 uses them. */
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
        if (ret < 0) {
            qcow2_unref_l1_clusters(bs, sn_l1, sn->l1_size);
        }
    }
    if (ret < 0) {
        return ret;
    }
    old_l1_size = s->l1_size;
    old_l1 = g_memdup2(s->l1_table, (gsize)s->l1_size * 8);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = i < sn->l1_size ? sn_l1[i] & ~QCOW_OFLAG_COPIED : 0;
    }
    ret = qcow2_write_active_l1(bs);
    if (ret < 0) {
        /* The table on disk may be either, or a mix: both are counted. */
        memcpy(s->l1_table, old_l1, (gsize)old_l1_size * 8);
        if (qcow2_write_active_l1(bs) == 0) {
            qcow2_unref_l1_clusters(bs, sn_l1, sn->l1_size);
        }
        return ret;
    }
    /* what the old active table alone used goes as a snapshot's does */
    s->discard_type = QCOW2_DISCARD_SNAPSHOT;
    ret = qcow2_unref_l1_clusters(bs, old_l1, old_l1_size);
    s->discard_type = QCOW2_DISCARD_OTHER;
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: could not release the old active L1 "
                      "table's clusters (%s); leaked\n", g_strerror(-ret));
    }
    if (sn->disk_size != s->size) {
        s->size = sn->disk_size;
        bs->total_sectors = s->size >> BDRV_SECTOR_BITS;
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            return ret;
        }
    }
    trace_event(qcow2_snapshot_goto, "id=%s name=%s", sn->id_str, sn->name);
    ret = qcow2_fix_copied_flags(bs);
    return ret < 0 ? ret : qcow2_process_discards(bs);
}

static int coroutine_fn snapshot_goto_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    SnapshotOp *op = opaque;
    int idx, ret;

    qemu_co_mutex_lock(&s->lock);
    idx = find_snapshot_by_id_or_name(s, op->snapshot_id);
    if (idx < 0) {
        ret = -ENOENT;
    } else {
        ret = snapshot_goto_locked(bs, &s->snapshots[idx]);
        ret = snapshot_end(bs, ret);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *snapshot_id, Error **errp)
{
    SnapshotOp op = { .snapshot_id = snapshot_id, .errp = errp };
    int ret = qcow2_run_co(bs, snapshot_goto_co, &op);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to load snapshot");
    }
    return ret;
}

/* Removes the table entry first, then releases what only it referenced. */
static int coroutine_fn snapshot_delete_locked(BlockDriverState *bs, uint32_t idx)
{
    BDRVQcow2State *s = bs->opaque;
    QCowSnapshot victim = s->snapshots[idx];
    g_autofree uint64_t *l1 = NULL;
    QCowSnapshot *table;
    int ret;

    ret = snapshot_begin(bs);
    if (ret < 0) {
        return ret;
    }
    l1 = qcow2_read_snapshot_l1(bs, &victim, &ret);
    if (!l1) {
        return ret;
    }
    table = g_new(QCowSnapshot, MAX(s->nb_snapshots - 1, 1));
    memcpy(table, s->snapshots, sizeof(*table) * idx);
    memcpy(table + idx, s->snapshots + idx + 1, sizeof(*table) * (s->nb_snapshots - idx - 1));
    /* everything the deletion frees, the old table included, is the
     * snapshot's (pass-discard-snapshot) */
    s->discard_type = QCOW2_DISCARD_SNAPSHOT;
    ret = write_snapshot_table(bs, table, s->nb_snapshots - 1);
    if (ret < 0) {
        s->discard_type = QCOW2_DISCARD_OTHER;
        g_free(table);
        return ret;
    }
    trace_event(qcow2_snapshot_delete, "id=%s name=%s", victim.id_str, victim.name);
    ret = qcow2_unref_l1_clusters(bs, l1, victim.l1_size);
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: could not release snapshot %s's clusters "
                      "(%s); leaked\n", victim.id_str, g_strerror(-ret));
    } else if (victim.l1_size) {
        qcow2_free_clusters(bs, victim.l1_table_offset, (int64_t)victim.l1_size * 8);
    }
    s->discard_type = QCOW2_DISCARD_OTHER;
    free_snapshot(&victim);
    ret = qcow2_fix_copied_flags(bs);
    return ret < 0 ? ret : qcow2_process_discards(bs);
}

static int coroutine_fn snapshot_delete_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    SnapshotOp *op = opaque;
    int ret = -ENOENT;

    qemu_co_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if ((!op->snapshot_id || !strcmp(s->snapshots[i].id_str, op->snapshot_id)) &&
            (!op->name || !strcmp(s->snapshots[i].name, op->name))) {
            ret = snapshot_delete_locked(bs, i);
            ret = snapshot_end(bs, ret);
            break;
        }
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *snapshot_id, const char *name,
                          Error **errp)
{
    SnapshotOp op = { .snapshot_id = snapshot_id, .name = name, .errp = errp };
    int ret = qcow2_run_co(bs, snapshot_delete_co, &op);

    if (ret == -ENOENT) {
        error_setg(errp, "snapshot not found");
    } else if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to delete snapshot");
    }
    return ret;
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn_info)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUSnapshotInfo *list;

    *psn_info = NULL;
    if (!s->nb_snapshots) {
        return 0;
    }
    list = g_new0(QEMUSnapshotInfo, s->nb_snapshots);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const QCowSnapshot *sn = &s->snapshots[i];
        g_strlcpy(list[i].id_str, sn->id_str, sizeof(list[i].id_str));
        g_strlcpy(list[i].name, sn->name, sizeof(list[i].name));
        list[i].vm_state_size = sn->vm_state_size;
        list[i].date_sec = sn->date_sec;
        list[i].date_nsec = sn->date_nsec;
        list[i].vm_clock_nsec = sn->vm_clock_nsec;
        list[i].icount = sn->icount;
    }
    *psn_info = list;
    return s->nb_snapshots;
}

/* Index of the snapshot with this id and/or name (both must match when
 * both are given), or -1. */
static int find_snapshot_by_id_and_name(BDRVQcow2State *s, const char *id, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if ((!id || !strcmp(s->snapshots[i].id_str, id)) &&
            (!name || !strcmp(s->snapshots[i].name, name))) {
            return i;
        }
    }
    return -1;
}

typedef struct LoadTmpOp {
    const char *id, *name;
    Error **errp;
} LoadTmpOp;

static int coroutine_fn snapshot_load_tmp_co(BlockDriverState *bs, void *opaque)
{
    BDRVQcow2State *s = bs->opaque;
    LoadTmpOp *op = opaque;
    uint64_t *l1;
    int idx, ret;

    qemu_co_mutex_lock(&s->lock);
    idx = find_snapshot_by_id_and_name(s, op->id, op->name);
    if (idx < 0) {
        error_setg(op->errp, "Can't find snapshot");
        ret = -ENOENT;
    } else if ((l1 = qcow2_read_snapshot_l1(bs, &s->snapshots[idx], &ret))) {
        /* only the mapping changes: the guest size stays the image's */
        g_free(s->l1_table);
        s->l1_table = l1;
        s->l1_size = s->snapshots[idx].l1_size;
        s->l1_table_offset = s->snapshots[idx].l1_table_offset;
    } else {
        error_setg_errno(op->errp, -ret, "Failed to read l1 table for snapshot");
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

int qcow2_snapshot_load_tmp(BlockDriverState *bs, const char *snapshot_id, const char *name,
                            Error **errp)
{
    LoadTmpOp op = { .id = snapshot_id, .name = name, .errp = errp };

    return qcow2_run_co(bs, snapshot_load_tmp_co, &op);
}
