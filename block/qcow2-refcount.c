/*
 * qcow2 refcounts (spec "Reference counts"): a two-level structure, the
 * refcount table (in memory, host order) pointing to refcount blocks (in
 * s->refcount_block_cache).  Entries are refcount_bits = 1 << refcount_order
 * wide; narrower than a byte they are packed starting at the least
 * significant bit.
 *
 * Also the metadata overlap check that guards every write to the file.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"
#include "qemu/log.h"
#include "trace/trace.h"

/* ---- refcount entry accessors, one per width ---- */

static uint64_t get_refcount_ro0(const void *b, uint64_t i)
{
    return (((const uint8_t *)b)[i / 8] >> (i % 8)) & 0x1;
}

static void set_refcount_ro0(void *b, uint64_t i, uint64_t v)
{
    uint8_t *p = &((uint8_t *)b)[i / 8];
    *p = (*p & ~(0x1 << (i % 8))) | (v << (i % 8));
}

static uint64_t get_refcount_ro1(const void *b, uint64_t i)
{
    return (((const uint8_t *)b)[i / 4] >> (2 * (i % 4))) & 0x3;
}

static void set_refcount_ro1(void *b, uint64_t i, uint64_t v)
{
    uint8_t *p = &((uint8_t *)b)[i / 4];
    *p = (*p & ~(0x3 << (2 * (i % 4)))) | (v << (2 * (i % 4)));
}

static uint64_t get_refcount_ro2(const void *b, uint64_t i)
{
    return (((const uint8_t *)b)[i / 2] >> (4 * (i % 2))) & 0xf;
}

static void set_refcount_ro2(void *b, uint64_t i, uint64_t v)
{
    uint8_t *p = &((uint8_t *)b)[i / 2];
    *p = (*p & ~(0xf << (4 * (i % 2)))) | (v << (4 * (i % 2)));
}

static uint64_t get_refcount_ro3(const void *b, uint64_t i)
{
    return ((const uint8_t *)b)[i];
}

static void set_refcount_ro3(void *b, uint64_t i, uint64_t v)
{
    ((uint8_t *)b)[i] = v;
}

static uint64_t get_refcount_ro4(const void *b, uint64_t i)
{
    return GUINT16_FROM_BE(((const uint16_t *)b)[i]);
}

static void set_refcount_ro4(void *b, uint64_t i, uint64_t v)
{
    ((uint16_t *)b)[i] = GUINT16_TO_BE(v);
}

static uint64_t get_refcount_ro5(const void *b, uint64_t i)
{
    return GUINT32_FROM_BE(((const uint32_t *)b)[i]);
}

static void set_refcount_ro5(void *b, uint64_t i, uint64_t v)
{
    ((uint32_t *)b)[i] = GUINT32_TO_BE(v);
}

static uint64_t get_refcount_ro6(const void *b, uint64_t i)
{
    return GUINT64_FROM_BE(((const uint64_t *)b)[i]);
}

static void set_refcount_ro6(void *b, uint64_t i, uint64_t v)
{
    ((uint64_t *)b)[i] = GUINT64_TO_BE(v);
}

static Qcow2GetRefcountFunc *const get_refcount_funcs[] = {
    get_refcount_ro0, get_refcount_ro1, get_refcount_ro2, get_refcount_ro3,
    get_refcount_ro4, get_refcount_ro5, get_refcount_ro6,
};

static Qcow2SetRefcountFunc *const set_refcount_funcs[] = {
    set_refcount_ro0, set_refcount_ro1, set_refcount_ro2, set_refcount_ro3,
    set_refcount_ro4, set_refcount_ro5, set_refcount_ro6,
};

void qcow2_set_refcount_funcs(BDRVQcow2State *s)
{
    assert(s->refcount_order >= 0 && s->refcount_order <= MAX_REFCOUNT_ORDER);
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                      : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits + 3 - s->refcount_order;
    s->refcount_block_size = 1 << s->refcount_block_bits;
    s->get_refcount = get_refcount_funcs[s->refcount_order];
    s->set_refcount = set_refcount_funcs[s->refcount_order];
}

int64_t qcow2_file_length(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

int qcow2_refcount_init(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * 8;
    int ret;

    s->refcount_table = g_try_malloc0(MAX(bytes, 8));
    if (!s->refcount_table) {
        error_setg(errp, "Could not allocate refcount table");
        return -ENOMEM;
    }
    if (bytes) {
        BLKDBG_EVENT(bs->file, BLKDBG_REFTABLE_LOAD);
        ret = bdrv_pread(bs->file, s->refcount_table_offset, bytes, s->refcount_table, 0);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read refcount table");
            return ret;
        }
    }
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = GUINT64_FROM_BE(s->refcount_table[i]);
    }
    qcow2_reftable_recount_used(s);
    return 0;
}

void qcow2_refcount_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    g_clear_pointer(&s->refcount_table, g_free);
}

/* Offset of the refcount block for table index, 0 if none, <0 if corrupt. */
static int64_t refcount_block_offset(BlockDriverState *bs, uint64_t table_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry;

    if (table_index >= s->refcount_table_size) {
        return 0;
    }
    entry = s->refcount_table[table_index];
    if (entry & REFT_RESERVED_MASK || offset_into_cluster(s, entry & REFT_OFFSET_MASK)) {
        qcow2_signal_corruption(bs, true, -1, -1,
                                "Refblock offset %#" PRIx64 " unaligned (reftable index: %#"
                                PRIx64 ")", entry, table_index);
        return -EIO;
    }
    return entry & REFT_OFFSET_MASK;
}

int coroutine_fn qcow2_get_refcount(BlockDriverState *bs, int64_t cluster_index,
                                    uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t block_offset = refcount_block_offset(bs, cluster_index >> s->refcount_block_bits);
    void *block;
    int ret;

    if (block_offset <= 0) {
        *refcount = 0;
        return block_offset;
    }
    ret = qcow2_cache_get(bs, s->refcount_block_cache, block_offset, &block);
    if (ret < 0) {
        return ret;
    }
    *refcount = s->get_refcount(block, cluster_index & (s->refcount_block_size - 1));
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

static bool cluster_referenced_by_check(BDRVQcow2State *s, int64_t cluster_index)
{
    return s->check_refs && cluster_index < s->check_nb_clusters &&
           s->check_refs[cluster_index] != 0;
}

/* During a repair, clusters we allocate are references the check must know. */
static void check_refs_add(BDRVQcow2State *s, int64_t first, int64_t nb, int delta)
{
    for (int64_t c = first; s->check_refs && c < first + nb; c++) {
        if (c >= 0 && c < s->check_nb_clusters) {
            s->check_refs[c] += delta;
        }
    }
}

int coroutine_fn qcow2_write_reftable_entry(BlockDriverState *bs, uint64_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t be = GUINT64_TO_BE(s->refcount_table[index]);
    uint64_t off = s->refcount_table_offset + index * 8;
    int ret;

    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_REFCOUNT_TABLE, off, 8);
    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite(bs->file, off, 8, &be, 0);
}

/*
 * Grows the refcount table to at least min_entries.  The new table and
 * the refcount blocks that describe it go at the end of the image, in
 * clusters no existing block covers, so the blocks can count themselves:
 *   [a, a+B) new refcount blocks, [a+B, a+B+T) new table.
 * Order for crash safety: blocks + table, flush, header, flush, free old.
 */
static int coroutine_fn grow_refcount_table(BlockDriverState *bs, uint64_t min_entries)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = s->refcount_block_size;
    uint64_t per_cluster = s->cluster_size / 8;
    int64_t file_clusters = size_to_clusters(s, MAX(qcow2_file_length(bs), 0));
    uint64_t a = MAX((uint64_t)s->refcount_table_size * n, (uint64_t)file_clusters);
    uint64_t b = 1, t = 1, first_t, last_t;
    uint64_t old_offset = s->refcount_table_offset;
    uint64_t old_clusters = size_to_clusters(s, (uint64_t)s->refcount_table_size * 8);
    g_autofree uint64_t *new_table = NULL;
    g_autofree uint8_t *block = NULL;
    uint64_t new_entries;
    uint8_t hdr[12];
    int ret;

    BLKDBG_EVENT(bs->file, BLKDBG_REFTABLE_GROW);
    if (s->check_refs) {
        a = MAX(a, (uint64_t)s->check_nb_clusters);
    }
    for (int iter = 0; iter < 64; iter++) {
        uint64_t last = a + b + t - 1;
        uint64_t want = MAX(MAX(min_entries, last / n + 1),
                            (uint64_t)s->refcount_table_size * 3 / 2);
        uint64_t nt = (want + per_cluster - 1) / per_cluster;
        uint64_t nb;
        first_t = a / n;
        last_t = (a + b + nt - 1) / n;
        nb = last_t - first_t + 1;
        if (nb == b && nt == t) {
            break;
        }
        b = nb;
        t = nt;
    }
    new_entries = t * per_cluster;
    if (t * s->cluster_size > QCOW_MAX_REFTABLE_SIZE || new_entries > UINT32_MAX) {
        return -EFBIG;
    }
    first_t = a / n;
    last_t = (a + b + t - 1) / n;
    trace_event(qcow2_grow_refcount_table, "entries %u -> %" PRIu64 " at cluster %" PRIu64,
                s->refcount_table_size, new_entries, a);

    block = g_malloc(s->cluster_size);
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE_BLOCKS);
    for (uint64_t ti = first_t; ti <= last_t; ti++) {
        uint64_t off = (a + (ti - first_t)) << s->cluster_bits;
        memset(block, 0, s->cluster_size);
        for (uint64_t c = MAX(a, ti * n); c < MIN(a + b + t, (ti + 1) * n); c++) {
            s->set_refcount(block, c - ti * n, 1);
        }
        ret = qcow2_pre_write_overlap_check(bs, 0, off, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        ret = bdrv_co_pwrite(bs->file, off, s->cluster_size, block, 0);
        if (ret < 0) {
            return ret;
        }
    }
    new_table = g_try_malloc0(t * s->cluster_size);
    if (!new_table) {
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < new_entries; i++) {
        uint64_t v = i < s->refcount_table_size ? s->refcount_table[i] : 0;
        if (i >= first_t && i <= last_t) {
            v = (a + (i - first_t)) << s->cluster_bits;
        }
        new_table[i] = GUINT64_TO_BE(v);
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, (a + b) << s->cluster_bits, t * s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE_TABLE);
    ret = bdrv_co_pwrite(bs->file, (a + b) << s->cluster_bits, t * s->cluster_size,
                         new_table, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }
    /* refcount_table_offset and refcount_table_clusters are adjacent. */
    stbe64(hdr, (a + b) << s->cluster_bits);
    stbe32(hdr + 8, t);
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_MAIN_HEADER,
                                        QCOW2_HDR_REFCOUNT_TABLE_OFFSET, sizeof(hdr));
    if (ret < 0) {
        return ret;
    }
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_SWITCH_TABLE);
    ret = bdrv_co_pwrite(bs->file, QCOW2_HDR_REFCOUNT_TABLE_OFFSET, sizeof(hdr), hdr, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < new_entries; i++) {
        new_table[i] = GUINT64_FROM_BE(new_table[i]);
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&new_table);
    s->refcount_table_size = new_entries;
    s->refcount_table_offset = (a + b) << s->cluster_bits;
    qcow2_reftable_recount_used(s);
    if (old_clusters) {
        qcow2_free_clusters(bs, old_offset, old_clusters << s->cluster_bits);
        check_refs_add(s, old_offset >> s->cluster_bits, old_clusters, -1);
    }
    return 0;
}

static int64_t coroutine_fn find_free_clusters(BlockDriverState *bs, uint64_t nb);

/*
 * Creates the refcount block for table_index in the first free cluster.
 * If that cluster lies in the range the new block describes, the block
 * counts itself; otherwise its refcount goes into the (existing) block of
 * that range first.  Refcount, then block, then table entry, each flushed.
 */
static int coroutine_fn alloc_refcount_block(BlockDriverState *bs, uint64_t table_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first = table_index << s->refcount_block_bits;
    g_autofree uint8_t *block = NULL;
    uint64_t c_index;
    int64_t c;
    int ret;

    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC);
    if (table_index >= s->refcount_table_size) {
        ret = grow_refcount_table(bs, table_index + 1);
        if (ret < 0) {
            return ret;
        }
        if (s->refcount_table[table_index]) {
            return 0;
        }
    }
    c = find_free_clusters(bs, 1);
    if (c < 0) {
        return c;
    }
    c_index = (uint64_t)c >> s->refcount_block_bits;
    block = g_malloc0(s->cluster_size);
    if (c_index == table_index) {
        s->set_refcount(block, c - first, 1);
    } else {
        int64_t other = refcount_block_offset(bs, c_index);
        if (other < 0) {
            return other;
        }
        if (other == 0) {
            /* c's own block is missing too: create that one first. */
            ret = alloc_refcount_block(bs, c_index);
            return ret < 0 ? ret : alloc_refcount_block(bs, table_index);
        }
        ret = qcow2_update_cluster_refcount(bs, c, 1);
        if (ret < 0) {
            return ret;
        }
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
        if (ret < 0) {
            return ret;
        }
    }
    trace_event(qcow2_alloc_refcount_block, "index=%" PRIu64 " cluster=%" PRId64,
                table_index, c);
    ret = qcow2_pre_write_overlap_check(bs, 0, c << s->cluster_bits, s->cluster_size);
    if (ret < 0) {
        return ret;
    }
    qcow2_cache_discard(s->refcount_block_cache, c << s->cluster_bits);
    qcow2_cache_discard(s->l2_table_cache, c << s->cluster_bits);
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_WRITE);
    ret = bdrv_co_pwrite(bs->file, c << s->cluster_bits, s->cluster_size, block, 0);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_co_flush(bs->file->bs);
    if (ret < 0) {
        return ret;
    }
    s->refcount_table[table_index] = c << s->cluster_bits;
    qcow2_reftable_note_used(s, table_index);
    BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC_HOOKUP);
    ret = qcow2_write_reftable_entry(bs, table_index);
    if (ret < 0) {
        s->refcount_table[table_index] = 0;
        return ret;
    }
    if ((uint64_t)c == s->free_cluster_index) {
        s->free_cluster_index = c + 1;
    }
    check_refs_add(s, c, 1, 1);
    return bdrv_co_flush(bs->file->bs);
}

/* A cluster whose refcount reached zero, for the file (pass-discard-*);
 * neighbours merge into one range. */
static void queue_discard(BDRVQcow2State *s, int64_t cluster_index)
{
    Qcow2DiscardRange r = { cluster_index << s->cluster_bits, s->cluster_size };

    if (!s->discards) {
        s->discards = g_array_new(false, false, sizeof(Qcow2DiscardRange));
    }
    if (s->discards->len) {
        Qcow2DiscardRange *last = &g_array_index(s->discards, Qcow2DiscardRange,
                                                 s->discards->len - 1);
        if (last->offset + last->bytes == r.offset) {
            last->bytes += r.bytes;
            return;
        }
    }
    g_array_append_val(s->discards, r);
}

/*
 * Sends the queued frees to the file as discards, once the metadata that
 * stopped using them is written (a crash must not leave a table pointing
 * at a punched cluster).  A cluster allocated again meanwhile is skipped.
 * Discards are advisory: a file that cannot discard keeps the data.
 */
int coroutine_fn qcow2_process_discards(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!s->discards || !s->discards->len) {
        return 0;
    }
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret == 0) {
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    }
    for (guint i = 0; ret == 0 && i < s->discards->len; i++) {
        Qcow2DiscardRange r = g_array_index(s->discards, Qcow2DiscardRange, i);
        int64_t run = r.offset, end = r.offset + r.bytes;

        /* [run, off) are still free; a reused cluster ends the run */
        for (int64_t off = r.offset; off < end; off += s->cluster_size) {
            uint64_t refcount;

            if (qcow2_get_refcount(bs, off >> s->cluster_bits, &refcount) < 0 || refcount) {
                if (off > run) {
                    bdrv_co_pdiscard(bs->file, run, off - run);
                }
                run = off + s->cluster_size;
            }
        }
        if (end > run) {
            bdrv_co_pdiscard(bs->file, run, end - run);
        }
    }
    g_array_set_size(s->discards, 0);
    return ret;
}

/* Adds addend to one cluster's refcount; never wraps (spec: max value). */
int coroutine_fn qcow2_update_cluster_refcount(BlockDriverState *bs, int64_t cluster_index,
                                               int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t table_index = cluster_index >> s->refcount_block_bits;
    int64_t block_offset;
    uint64_t old, new;
    void *block;
    int ret;

    block_offset = refcount_block_offset(bs, table_index);
    if (block_offset < 0) {
        return block_offset;
    }
    if (block_offset == 0) {
        if (addend < 0) {
            return -EINVAL;
        }
        ret = alloc_refcount_block(bs, table_index);
        if (ret < 0) {
            return ret;
        }
        block_offset = refcount_block_offset(bs, table_index);
        if (block_offset <= 0) {
            return block_offset < 0 ? block_offset : -EIO;
        }
    }
    ret = qcow2_cache_get(bs, s->refcount_block_cache, block_offset, &block);
    if (ret < 0) {
        return ret;
    }
    old = s->get_refcount(block, cluster_index & (s->refcount_block_size - 1));
    if ((addend < 0 && old < (uint64_t)-addend) ||
        (addend > 0 && s->refcount_max - old < (uint64_t)addend)) {
        qcow2_cache_put(s->refcount_block_cache, &block);
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: refcount of cluster %" PRId64
                      " would %s (refcount=%" PRIu64 ", %d bits)\n", cluster_index,
                      addend < 0 ? "underflow" : "overflow", old, s->refcount_bits);
        return addend < 0 ? -EINVAL : -ERANGE;
    }
    new = old + addend;
    s->set_refcount(block, cluster_index & (s->refcount_block_size - 1), new);
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    qcow2_cache_put(s->refcount_block_cache, &block);
    if (new == 0) {
        if ((uint64_t)cluster_index < s->free_cluster_index) {
            s->free_cluster_index = cluster_index;
        }
        if (s->discard_passthrough[s->discard_type]) {
            queue_discard(s, cluster_index);
        }
        qcow2_cache_discard(s->l2_table_cache, cluster_index << s->cluster_bits);
        qcow2_cache_discard(s->refcount_block_cache, cluster_index << s->cluster_bits);
    }
    return 0;
}

/* Updates every cluster touched by [offset, offset+length); all or nothing. */
int coroutine_fn qcow2_update_refcount(BlockDriverState *bs, int64_t offset, int64_t length,
                                       int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t first, last, c;
    int ret = 0;

    if (length <= 0 || addend == 0) {
        return 0;
    }
    if (addend < 0 && !s->use_lazy_refcounts) {
        /* A freed cluster's refcount must not reach the disk before the
         * L2 entries that stopped pointing at it. */
        ret = qcow2_cache_set_dependency(bs, s->refcount_block_cache, s->l2_table_cache);
        if (ret < 0) {
            return ret;
        }
    }
    first = offset >> s->cluster_bits;
    last = (offset + length - 1) >> s->cluster_bits;
    trace_event(qcow2_update_refcount, "clusters %" PRId64 "..%" PRId64 " addend=%" PRId64,
                first, last, addend);
    for (c = first; c <= last; c++) {
        /* QEMU's event for finding (or creating) each refcount block */
        if (c == first || !(c & (s->refcount_block_size - 1))) {
            BLKDBG_EVENT(bs->file, BLKDBG_REFBLOCK_ALLOC);
        }
        ret = qcow2_update_cluster_refcount(bs, c, addend);
        if (ret < 0) {
            break;
        }
    }
    if (ret < 0) {
        for (int64_t u = first; u < c; u++) {
            qcow2_update_cluster_refcount(bs, u, -addend);
        }
    }
    return ret;
}

/* First-fit search for nb free clusters; returns the first index. */
static int64_t coroutine_fn find_free_clusters(BlockDriverState *bs, uint64_t nb)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = s->free_cluster_index ? s->free_cluster_index : 1;
    uint64_t run = 0, c;
    bool seen_free = false;

    for (c = start; run < nb; c++) {
        uint64_t refcount;
        int ret = qcow2_get_refcount(bs, c, &refcount);
        if (ret < 0) {
            return ret;
        }
        if (refcount == 0 && !cluster_referenced_by_check(s, c)) {
            if (run == 0) {
                start = c;
            }
            if (!seen_free) {
                /* Everything between the hint and here is in use. */
                s->free_cluster_index = c;
                seen_free = true;
            }
            run++;
        } else {
            run = 0;
        }
        if (c >= (QCOW_MAX_VIRTUAL_SIZE >> s->cluster_bits)) {
            return -EFBIG;
        }
    }
    return start;
}

int64_t coroutine_fn qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t nb = size_to_clusters(s, size);
    int64_t first;
    int ret;

    assert(nb > 0);
    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC);
    for (;;) {
        bool created = false;
        first = find_free_clusters(bs, nb);
        if (first < 0) {
            return first;
        }
        /* Make sure every refcount block exists first: creating one takes
         * a cluster, possibly one of those we just found. */
        for (uint64_t t = first >> s->refcount_block_bits;
             t <= (first + nb - 1) >> s->refcount_block_bits; t++) {
            int64_t off = refcount_block_offset(bs, t);
            if (off < 0) {
                return off;
            }
            if (off == 0) {
                /* QEMU 7.2 places the new block after the range it just
                 * found (its search hint is past it), then searches again
                 * from the old hint: the same layout needs the same. */
                uint64_t hint = s->free_cluster_index;

                s->free_cluster_index = first + nb;
                ret = alloc_refcount_block(bs, t);
                s->free_cluster_index = hint;
                if (ret < 0) {
                    return ret;
                }
                created = true;
            }
        }
        if (!created) {
            break;
        }
    }
    ret = qcow2_update_refcount(bs, first << s->cluster_bits, nb << s->cluster_bits, 1);
    if (ret < 0) {
        return ret;
    }
    check_refs_add(s, first, nb, 1);
    if ((uint64_t)first == s->free_cluster_index) {
        s->free_cluster_index = first + nb;
    }
    trace_event(qcow2_alloc_clusters, "offset=0x%" PRIx64 " clusters=%" PRIu64,
                (uint64_t)first << s->cluster_bits, nb);
    return first << s->cluster_bits;
}

/*
 * Byte-granular allocation for compressed clusters: consecutive compressed
 * clusters share host clusters; each host cluster touched gets one
 * reference per compressed cluster that uses it.
 */
int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, int size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t offset = s->free_byte_offset;
    int64_t new_cluster;
    int ret;

    assert(size > 0 && size <= s->cluster_size);
    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_ALLOC_BYTES);
    if (offset && offset_into_cluster(s, offset) != 0) {
        uint64_t refcount;
        ret = qcow2_get_refcount(bs, offset >> s->cluster_bits, &refcount);
        if (ret < 0) {
            return ret;
        }
        if (refcount == s->refcount_max) {
            offset = 0;
        }
    } else {
        offset = 0;
    }
    if (offset && offset_into_cluster(s, offset) + size <= s->cluster_size) {
        ret = qcow2_update_cluster_refcount(bs, offset >> s->cluster_bits, 1);
        if (ret < 0) {
            return ret;
        }
        s->free_byte_offset = offset + size;
        return offset;
    }
    /* Need a new cluster; reuse the rest of the current one if adjacent. */
    new_cluster = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new_cluster < 0) {
        return new_cluster;
    }
    if (offset && (uint64_t)new_cluster == start_of_cluster(s, offset) + s->cluster_size) {
        ret = qcow2_update_cluster_refcount(bs, offset >> s->cluster_bits, 1);
        if (ret < 0) {
            qcow2_free_clusters(bs, new_cluster, s->cluster_size);
            return ret;
        }
    } else {
        offset = new_cluster;
    }
    s->free_byte_offset = offset + size;
    return offset;
}

void coroutine_fn qcow2_free_clusters(BlockDriverState *bs, int64_t offset, int64_t size)
{
    int ret;

    BLKDBG_EVENT(bs->file, BLKDBG_CLUSTER_FREE);
    ret = qcow2_update_refcount(bs, offset, size, -1);

    if (ret < 0) {
        /* A leak at worst; check -r leaks reclaims it. */
        qemu_log_mask(LOG_GUEST_ERROR, "qcow2: could not free clusters at %#" PRIx64
                      " (%s); leaked\n", offset, g_strerror(-ret));
    }
}

void coroutine_fn qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;

    switch (qcow2_get_cluster_type(bs, l2_entry)) {
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t coffset;
        int csize;
        qcow2_parse_compressed_l2_entry(bs, l2_entry, &coffset, &csize);
        qcow2_free_clusters(bs, coffset, csize);
        break;
    }
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        if (offset_into_cluster(s, l2_entry & L2E_OFFSET_MASK) == 0) {
            qcow2_free_clusters(bs, l2_entry & L2E_OFFSET_MASK, s->cluster_size);
        }
        break;
    default:
        break;
    }
}

/* ---- metadata overlap check (QEMU's overlap-check modes) ---- */

static bool ranges_overlap(int64_t a, int64_t alen, int64_t b, int64_t blen)
{
    return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

/* Returns the QCOW2_OL_* class the range hits, 0 if none. */
int coroutine_fn qcow2_check_metadata_overlap(BlockDriverState *bs, int ign, int64_t offset,
                                              int64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int chk = s->overlap_check & ~ign;

    if (!chk || size <= 0) {
        return 0;
    }
    /* Metadata lives in whole clusters; compare cluster-aligned ranges. */
    size = ((offset_into_cluster(s, offset) + size + s->cluster_size - 1)
            & ~(int64_t)(s->cluster_size - 1));
    offset = start_of_cluster(s, offset);

    if ((chk & QCOW2_OL_MAIN_HEADER) && offset < s->cluster_size) {
        return QCOW2_OL_MAIN_HEADER;
    }
    if ((chk & QCOW2_OL_ACTIVE_L1) &&
        ranges_overlap(offset, size, s->l1_table_offset, (int64_t)s->l1_size * 8)) {
        return QCOW2_OL_ACTIVE_L1;
    }
    if ((chk & QCOW2_OL_REFCOUNT_TABLE) &&
        ranges_overlap(offset, size, s->refcount_table_offset,
                       (int64_t)s->refcount_table_size * 8)) {
        return QCOW2_OL_REFCOUNT_TABLE;
    }
    if ((chk & QCOW2_OL_SNAPSHOT_TABLE) &&
        ranges_overlap(offset, size, s->snapshots_offset, s->snapshots_size)) {
        return QCOW2_OL_SNAPSHOT_TABLE;
    }
    if (chk & QCOW2_OL_INACTIVE_L1) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            if (ranges_overlap(offset, size, s->snapshots[i].l1_table_offset,
                               (int64_t)s->snapshots[i].l1_size * 8)) {
                return QCOW2_OL_INACTIVE_L1;
            }
        }
    }
    if ((chk & QCOW2_OL_ACTIVE_L2) && s->l1_table) {
        for (uint32_t i = 0; i < s->l1_size; i++) {
            uint64_t l2 = s->l1_table[i] & L1E_OFFSET_MASK;
            if (l2 && ranges_overlap(offset, size, l2, s->cluster_size)) {
                return QCOW2_OL_ACTIVE_L2;
            }
        }
    }
    if ((chk & QCOW2_OL_REFCOUNT_BLOCK) && s->refcount_table) {
        uint32_t used = MIN(s->refcount_table_used, s->refcount_table_size);
        for (uint32_t i = 0; i < used; i++) {
            uint64_t rb = s->refcount_table[i] & REFT_OFFSET_MASK;
            if (rb && ranges_overlap(offset, size, rb, s->cluster_size)) {
                return QCOW2_OL_REFCOUNT_BLOCK;
            }
        }
    }
    if (chk & QCOW2_OL_INACTIVE_L2) {
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            uint32_t n = s->snapshots[i].l1_size;
            g_autofree uint64_t *l1 = g_try_new(uint64_t, MAX(n, 1));
            if (!l1 || bdrv_co_pread(bs->file, s->snapshots[i].l1_table_offset,
                                     (int64_t)n * 8, l1, 0) < 0) {
                continue;
            }
            for (uint32_t j = 0; j < n; j++) {
                uint64_t l2 = GUINT64_FROM_BE(l1[j]) & L1E_OFFSET_MASK;
                if (l2 && ranges_overlap(offset, size, l2, s->cluster_size)) {
                    return QCOW2_OL_INACTIVE_L2;
                }
            }
        }
    }
    return 0;
}

static const char *overlap_class_name(int ol)
{
    switch (ol) {
    case QCOW2_OL_MAIN_HEADER:    return "qcow2_header";
    case QCOW2_OL_ACTIVE_L1:      return "active L1 table";
    case QCOW2_OL_ACTIVE_L2:      return "active L2 table";
    case QCOW2_OL_REFCOUNT_TABLE: return "refcount table";
    case QCOW2_OL_REFCOUNT_BLOCK: return "refcount block";
    case QCOW2_OL_SNAPSHOT_TABLE: return "snapshot table";
    case QCOW2_OL_INACTIVE_L1:    return "inactive L1 table";
    default:                      return "inactive L2 table";
    }
}

/*
 * Called before every write to the image file.  A hit means our metadata
 * is inconsistent (an L2 entry pointing into a table, say): writing would
 * destroy metadata, so refuse, mark the image corrupt, and carry on.
 */
int coroutine_fn qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign, int64_t offset,
                                               int64_t size)
{
    int hit = qcow2_check_metadata_overlap(bs, ign, offset, size);

    if (hit == 0) {
        return 0;
    }
    qcow2_signal_corruption(bs, true, offset, size,
                            "Preventing invalid write on metadata (overlaps with %s)",
                            overlap_class_name(hit));
    return -EIO;
}
