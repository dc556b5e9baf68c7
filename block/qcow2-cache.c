/*
 * Qcow2Cache: a write-back LRU cache of cluster-sized metadata tables
 * (L2 tables, refcount blocks), kept in their on-disk byte order.
 *
 * Ordering rule for crash safety: a cache may depend on another one; before
 * any dirty table of c reaches the disk, c->depends is written back and the
 * file flushed.  The L2 cache depends on the refcount cache after cluster
 * allocation (a reference must never reach the disk before its refcount),
 * and the refcount cache on the L2 cache after a cluster is freed.
 *
 * All functions run with s->lock held.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "qcow2.h"
#include "trace/trace.h"

typedef struct Qcow2CachedTable {
    uint64_t offset;      /* 0: slot empty (cluster 0 is the header) */
    uint64_t lru_counter;
    int ref;              /* users holding the table across a yield */
    bool dirty;
} Qcow2CachedTable;

struct Qcow2Cache {
    Qcow2CachedTable *entries;
    uint8_t *tables;
    GHashTable *index;    /* offset -> slot + 1 */
    int size;
    int table_size;
    uint64_t lru_counter;
    Qcow2Cache *depends;
    bool depends_on_flush;
};

Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int num_tables, int table_size)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);
    c->size = MAX(num_tables, 2);
    c->table_size = table_size;
    c->entries = g_new0(Qcow2CachedTable, c->size);
    c->tables = g_malloc0((size_t)c->size * table_size);
    c->index = g_hash_table_new(g_int64_hash, g_int64_equal);
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    g_hash_table_destroy(c->index);
    g_free(c->tables);
    g_free(c->entries);
    g_free(c);
}

int qcow2_cache_num_tables(Qcow2Cache *c)
{
    return c->size;
}

static void *cache_table(Qcow2Cache *c, int i)
{
    return c->tables + (size_t)i * c->table_size;
}

static int cache_slot_of(Qcow2Cache *c, const void *table)
{
    ptrdiff_t d = (const uint8_t *)table - c->tables;
    int i = d / c->table_size;

    assert(d >= 0 && i < c->size && d % c->table_size == 0);
    return i;
}

static int cache_lookup(Qcow2Cache *c, uint64_t offset)
{
    gpointer v = g_hash_table_lookup(c->index, &offset);
    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

static void cache_unindex(Qcow2Cache *c, int i)
{
    if (c->entries[i].offset) {
        g_hash_table_remove(c->index, &c->entries[i].offset);
    }
    c->entries[i].offset = 0;
    c->entries[i].dirty = false;
}

static int coroutine_fn cache_entry_flush(BlockDriverState *bs, Qcow2Cache *c, int i)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CachedTable *e = &c->entries[i];
    int ret;

    if (!e->dirty || !e->offset) {
        return 0;
    }
    if (c->depends) {
        ret = qcow2_cache_flush(bs, c->depends);
        if (ret < 0) {
            return ret;
        }
        c->depends = NULL;
        c->depends_on_flush = false;
    } else if (c->depends_on_flush) {
        ret = bdrv_co_flush(bs->file->bs);
        if (ret < 0) {
            return ret;
        }
        c->depends_on_flush = false;
    }
    ret = qcow2_pre_write_overlap_check(bs, c == s->l2_table_cache ? QCOW2_OL_ACTIVE_L2
                                        : QCOW2_OL_REFCOUNT_BLOCK,
                                        e->offset, c->table_size);
    if (ret < 0) {
        return ret;
    }
    trace_event(qcow2_cache_entry_flush, "cache=%s offset=0x%" PRIx64,
                c == s->l2_table_cache ? "l2" : "refcount", e->offset);
    BLKDBG_EVENT(bs->file, c == s->l2_table_cache ? BLKDBG_L2_UPDATE
                                                  : BLKDBG_REFBLOCK_UPDATE_PART);
    ret = bdrv_co_pwrite(bs->file, e->offset, c->table_size, cache_table(c, i), 0);
    if (ret < 0) {
        return ret;
    }
    e->dirty = false;
    return 0;
}

int coroutine_fn qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->size; i++) {
        int ret = cache_entry_flush(bs, c, i);
        if (ret < 0 && result != -ENOSPC) {
            result = ret;
        }
    }
    return result;
}

int coroutine_fn qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_write(bs, c);

    if (ret == 0) {
        ret = bdrv_co_flush(bs->file->bs);
    }
    return ret;
}

int coroutine_fn qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                                            Qcow2Cache *dependency)
{
    int ret;

    /* Never let two caches wait on each other: settle older edges first. */
    if (dependency->depends) {
        ret = qcow2_cache_flush(bs, dependency->depends);
        if (ret < 0) {
            return ret;
        }
        dependency->depends = NULL;
        dependency->depends_on_flush = false;
    }
    if (c->depends && c->depends != dependency) {
        ret = qcow2_cache_flush(bs, c->depends);
        if (ret < 0) {
            return ret;
        }
        c->depends = NULL;
        c->depends_on_flush = false;
    }
    c->depends = dependency;
    return 0;
}

void qcow2_cache_depends_on_flush(Qcow2Cache *c)
{
    c->depends_on_flush = true;
}

bool qcow2_cache_is_dirty(Qcow2Cache *c)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].dirty) {
            return true;
        }
    }
    return false;
}

static int coroutine_fn cache_do_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                     void **table, bool read_from_disk)
{
    uint64_t min_lru = UINT64_MAX;
    int victim = -1;
    int i, ret;

    assert(offset != 0 && offset % c->table_size == 0);
    i = cache_lookup(c, offset);
    if (i >= 0) {
        goto found;
    }
    for (int j = 0; j < c->size; j++) {
        Qcow2CachedTable *e = &c->entries[j];
        if (e->ref == 0 && e->lru_counter < min_lru) {
            min_lru = e->lru_counter;
            victim = j;
            if (!e->offset) {
                break;
            }
        }
    }
    if (victim < 0) {
        /* Every table is pinned: a bug in our callers, not the image. */
        return -ENOSPC;
    }
    i = victim;
    ret = cache_entry_flush(bs, c, i);
    if (ret < 0) {
        return ret;
    }
    cache_unindex(c, i);
    if (read_from_disk) {
        BDRVQcow2State *s = bs->opaque;

        BLKDBG_EVENT(bs->file, c == s->l2_table_cache ? BLKDBG_L2_LOAD : BLKDBG_REFBLOCK_LOAD);
        c->entries[i].ref++; /* keep the slot while the read yields */
        ret = bdrv_co_pread(bs->file, offset, c->table_size, cache_table(c, i), 0);
        c->entries[i].ref--;
        if (ret < 0) {
            return ret;
        }
    }
    c->entries[i].offset = offset;
    g_hash_table_insert(c->index, &c->entries[i].offset, GINT_TO_POINTER(i + 1));

found:
    c->entries[i].ref++;
    c->entries[i].lru_counter = ++c->lru_counter;
    *table = cache_table(c, i);
    return 0;
}

int coroutine_fn qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                                 void **table)
{
    return cache_do_get(bs, c, offset, table, true);
}

int coroutine_fn qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                                       uint64_t offset, void **table)
{
    return cache_do_get(bs, c, offset, table, false);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = cache_slot_of(c, *table);

    assert(c->entries[i].ref > 0);
    c->entries[i].ref--;
    *table = NULL;
}

void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table)
{
    int i = cache_slot_of(c, table);

    assert(c->entries[i].offset != 0);
    c->entries[i].dirty = true;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    int i = cache_lookup(c, offset);

    if (i >= 0 && c->entries[i].ref == 0) {
        cache_unindex(c, i);
        c->entries[i].lru_counter = 0;
    }
}

void qcow2_cache_empty(Qcow2Cache *c)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].ref == 0 && !c->entries[i].dirty) {
            cache_unindex(c, i);
            c->entries[i].lru_counter = 0;
        }
    }
}

bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset)
{
    return cache_lookup(c, offset) >= 0;
}

bool qcow2_cache_overlaps(Qcow2Cache *c, int64_t offset, int64_t size)
{
    for (int i = 0; i < c->size; i++) {
        uint64_t o = c->entries[i].offset;
        if (o && (int64_t)o < offset + size && offset < (int64_t)(o + c->table_size)) {
            return true;
        }
    }
    return false;
}
