/*
 * qcow2's node options, taken at open (QEMU's names and meaning):
 *
 *   l2-cache-size=SIZE        bytes of L2 tables cached
 *   refcount-cache-size=SIZE  bytes of refcount blocks cached
 *   cache-size=SIZE           the two together (see read_cache_sizes)
 *   overlap-check=MODE        none | constant | cached (default) | all:
 *                             which metadata a write is checked against
 *   overlap-check.template=MODE, overlap-check.KIND=on|off: the same, one
 *                             kind of metadata at a time
 *   lazy-refcounts=on|off     postpone refcount updates (dirty bit), v3 only
 *   pass-discard-request, pass-discard-snapshot, pass-discard-other=on|off:
 *                             freed clusters are discarded in the file when
 *                             a guest discard, a snapshot deletion or
 *                             anything else freed them (defaults: on with
 *                             discard=unmap, on, off)
 *   cache-clean-interval=SEC, l2-cache-entry-size=SIZE: accepted and
 *                             checked; duet's caches hold whole tables and
 *                             are never cleaned on a timer
 *
 * Sizes are rounded down to whole clusters (each cache holds at least two
 * tables).  An L2 cache larger than the disk needs is cut to what covers
 * the whole disk: it could never fill.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "qcow2.h"
#include "qemu/cutils.h"
#include "trace/trace.h"

#define QCOW2_OPT_L2_CACHE_SIZE       "l2-cache-size"
#define QCOW2_OPT_REFCOUNT_CACHE_SIZE "refcount-cache-size"
#define QCOW2_OPT_CACHE_SIZE          "cache-size"
#define QCOW2_OPT_OVERLAP_CHECK       "overlap-check"
#define QCOW2_OPT_OVERLAP_TEMPLATE    "overlap-check.template"
#define QCOW2_OPT_LAZY_REFCOUNTS      "lazy-refcounts"
#define QCOW2_OPT_DISCARD_REQUEST     "pass-discard-request"
#define QCOW2_OPT_DISCARD_SNAPSHOT    "pass-discard-snapshot"
#define QCOW2_OPT_DISCARD_OTHER       "pass-discard-other"
#define QCOW2_OPT_CACHE_CLEAN_INTERVAL "cache-clean-interval"
#define QCOW2_OPT_L2_CACHE_ENTRY_SIZE "l2-cache-entry-size"

/* overlap-check.KIND: QEMU's names of the metadata kinds */
static const struct {
    const char *key;
    int bit;
} overlap_kinds[] = {
    { "overlap-check.main-header", QCOW2_OL_MAIN_HEADER },
    { "overlap-check.active-l1", QCOW2_OL_ACTIVE_L1 },
    { "overlap-check.active-l2", QCOW2_OL_ACTIVE_L2 },
    { "overlap-check.refcount-table", QCOW2_OL_REFCOUNT_TABLE },
    { "overlap-check.refcount-block", QCOW2_OL_REFCOUNT_BLOCK },
    { "overlap-check.snapshot-table", QCOW2_OL_SNAPSHOT_TABLE },
    { "overlap-check.inactive-l1", QCOW2_OL_INACTIVE_L1 },
    { "overlap-check.inactive-l2", QCOW2_OL_INACTIVE_L2 },
    { "overlap-check.bitmap-directory", 0 }, /* duet checks no bitmap directory */
};

static const char *const overlap_modes[] = { "none", "constant", "cached", "all", NULL };

/* For help; qcow2_update_options takes them. */
const QemuOptDesc qcow2_runtime_opts[] = {
    { .name = QCOW2_OPT_L2_CACHE_SIZE, .type = QEMU_OPT_SIZE,
      .help = "Bytes of L2 tables cached (default: enough for the whole disk, 1M..32M)" },
    { .name = QCOW2_OPT_REFCOUNT_CACHE_SIZE, .type = QEMU_OPT_SIZE,
      .help = "Bytes of refcount blocks cached (default: a quarter of the L2 cache)" },
    { .name = QCOW2_OPT_CACHE_SIZE, .type = QEMU_OPT_SIZE,
      .help = "The L2 and refcount caches together" },
    { .name = QCOW2_OPT_OVERLAP_CHECK, .type = QEMU_OPT_STRING,
      .help = "Metadata a write may not overwrite", .values = overlap_modes,
      .def_value_str = "cached" },
    { .name = QCOW2_OPT_OVERLAP_TEMPLATE, .type = QEMU_OPT_STRING,
      .help = "The overlap-check mode the overlap-check.KIND keys start from",
      .values = overlap_modes },
    { .name = "overlap-check.main-header", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the image header" },
    { .name = "overlap-check.active-l1", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the active L1 table" },
    { .name = "overlap-check.active-l2", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the active L2 tables" },
    { .name = "overlap-check.refcount-table", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the refcount table" },
    { .name = "overlap-check.refcount-block", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the refcount blocks" },
    { .name = "overlap-check.snapshot-table", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the snapshot table" },
    { .name = "overlap-check.inactive-l1", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the snapshots' L1 tables" },
    { .name = "overlap-check.inactive-l2", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the snapshots' L2 tables" },
    { .name = "overlap-check.bitmap-directory", .type = QEMU_OPT_BOOL,
      .help = "Check writes against the bitmap directory (accepted)" },
    { .name = QCOW2_OPT_LAZY_REFCOUNTS, .type = QEMU_OPT_BOOL,
      .help = "Postpone refcount updates" },
    { .name = QCOW2_OPT_DISCARD_REQUEST, .type = QEMU_OPT_BOOL,
      .help = "Discard freed clusters in the file on a guest discard" },
    { .name = QCOW2_OPT_DISCARD_SNAPSHOT, .type = QEMU_OPT_BOOL,
      .help = "Discard clusters a snapshot deletion freed" },
    { .name = QCOW2_OPT_DISCARD_OTHER, .type = QEMU_OPT_BOOL,
      .help = "Discard clusters freed for any other reason" },
    { .name = QCOW2_OPT_CACHE_CLEAN_INTERVAL, .type = QEMU_OPT_NUMBER,
      .help = "Seconds between cache cleanings (accepted; duet does not clean)" },
    { .name = QCOW2_OPT_L2_CACHE_ENTRY_SIZE, .type = QEMU_OPT_SIZE,
      .help = "Bytes of an L2 cache entry (accepted; duet caches whole tables)" },
    { NULL },
};

/* QEMU's floor for the refcount cache when cache-size is split. */
#define MIN_REFCOUNT_CACHE_TABLES 4
/* Each cache needs two tables (a lookup may hold one while loading another). */
#define MIN_CACHE_TABLES 2

int qcow2_parse_overlap_check(const char *mode)
{
    if (!strcmp(mode, "none")) {
        return QCOW2_OL_NONE;
    } else if (!strcmp(mode, "constant")) {
        return QCOW2_OL_CONSTANT;
    } else if (!strcmp(mode, "cached")) {
        return QCOW2_OL_CACHED;
    } else if (!strcmp(mode, "all")) {
        return QCOW2_OL_ALL;
    }
    return -1;
}

/*
 * Without options duet's own defaults hold: enough L2 tables for the whole
 * disk, at least 1 MiB, at most 32 MiB; a refcount cache a quarter of that
 * (at least 4 tables).  With cache-size alone, the L2 cache gets what
 * covers the whole disk if that leaves 4 clusters for refcount blocks and
 * the refcount cache the rest; otherwise the refcount cache gets 4
 * clusters (or all of cache-size, if smaller) and the L2 cache the rest.
 * With cache-size and one of the others, the other one is the difference.
 */
static bool read_cache_sizes(BlockDriverState *bs, GHashTable *options, uint64_t *l2_bytes,
                             uint64_t *rc_bytes, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t max_l2_bytes = l1_entries_for_size(s, s->size) << s->cluster_bits;
    uint64_t min_rc_bytes = (uint64_t)MIN_REFCOUNT_CACHE_TABLES << s->cluster_bits;
    bool l2_set = g_hash_table_contains(options, QCOW2_OPT_L2_CACHE_SIZE);
    bool rc_set = g_hash_table_contains(options, QCOW2_OPT_REFCOUNT_CACHE_SIZE);
    bool combined_set = g_hash_table_contains(options, QCOW2_OPT_CACHE_SIZE);
    uint64_t l2_default = MIN(MAX(max_l2_bytes, MAX(8ULL << s->cluster_bits, 1ULL << 20)),
                              32ULL << 20);
    uint64_t combined = 0;

    *l2_bytes = l2_default;
    *rc_bytes = MAX(l2_default / 4, min_rc_bytes);
    if (!bdrv_opt_take_size(options, QCOW2_OPT_L2_CACHE_SIZE, l2_bytes, errp) ||
        !bdrv_opt_take_size(options, QCOW2_OPT_REFCOUNT_CACHE_SIZE, rc_bytes, errp) ||
        !bdrv_opt_take_size(options, QCOW2_OPT_CACHE_SIZE, &combined, errp)) {
        return false;
    }
    if (!combined_set) {
        goto cap;
    }
    if (l2_set && rc_set) {
        error_setg(errp, "cache-size, l2-cache-size and refcount-cache-size may not be set "
                   "at the same time");
        return false;
    }
    if (l2_set || rc_set) {
        uint64_t part = l2_set ? *l2_bytes : *rc_bytes;
        if (part > combined) {
            error_setg(errp, "%s (%" PRIu64 ") is larger than cache-size (%" PRIu64 ")",
                       l2_set ? QCOW2_OPT_L2_CACHE_SIZE : QCOW2_OPT_REFCOUNT_CACHE_SIZE,
                       part, combined);
            return false;
        }
        *(l2_set ? rc_bytes : l2_bytes) = combined - part;
    } else if (combined >= max_l2_bytes + min_rc_bytes) {
        *l2_bytes = max_l2_bytes;
        *rc_bytes = combined - max_l2_bytes;
    } else {
        *rc_bytes = MIN(combined, min_rc_bytes);
        *l2_bytes = combined - *rc_bytes;
    }
cap:
    if (l2_set || combined_set) {
        *l2_bytes = MIN(*l2_bytes, max_l2_bytes);
    }
    return true;
}

/* Whole tables in bytes, at least MIN_CACHE_TABLES. */
static bool cache_tables(BDRVQcow2State *s, const char *what, uint64_t bytes, int *tables,
                         Error **errp)
{
    uint64_t n = MAX(bytes >> s->cluster_bits, MIN_CACHE_TABLES);
    uint64_t host_memory = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);

    /* Allocated up front: a typo like 64T must fail, not abort in malloc. */
    if (n > INT32_MAX || n > host_memory >> s->cluster_bits) {
        error_setg(errp, "%s=%" PRIu64 " is more than this host's memory", what, bytes);
        return false;
    }
    *tables = n;
    return true;
}

/* overlap-check.template, then each overlap-check.KIND on top of it. */
static bool read_overlap_kinds(BlockDriverState *bs, int *mode, Error **errp)
{
    g_autofree char *template = bdrv_opt_take_str(bs->options, QCOW2_OPT_OVERLAP_TEMPLATE);

    if (template) {
        int m = qcow2_parse_overlap_check(template);
        if (m < 0) {
            error_setg(errp, "Unsupported value '%s' for qcow2 option '%s'. Allowed are any "
                       "of the following: none, constant, cached, all", template,
                       QCOW2_OPT_OVERLAP_CHECK);
            return false;
        }
        *mode = m;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(overlap_kinds); i++) {
        bool on = *mode & overlap_kinds[i].bit;

        if (!bdrv_opt_take_bool(bs->options, overlap_kinds[i].key, &on, errp)) {
            return false;
        }
        *mode = on ? *mode | overlap_kinds[i].bit : *mode & ~overlap_kinds[i].bit;
    }
    return true;
}

static bool read_discard_opts(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    bool request = bs->open_flags & BDRV_O_UNMAP, snapshot = true, other = false;

    if (!bdrv_opt_take_bool(bs->options, QCOW2_OPT_DISCARD_REQUEST, &request, errp) ||
        !bdrv_opt_take_bool(bs->options, QCOW2_OPT_DISCARD_SNAPSHOT, &snapshot, errp) ||
        !bdrv_opt_take_bool(bs->options, QCOW2_OPT_DISCARD_OTHER, &other, errp)) {
        return false;
    }
    s->discard_passthrough[QCOW2_DISCARD_REQUEST] = request;
    s->discard_passthrough[QCOW2_DISCARD_SNAPSHOT] = snapshot;
    s->discard_passthrough[QCOW2_DISCARD_OTHER] = other;
    return true;
}

static bool read_lazy_refcounts(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    bool lazy = s->use_lazy_refcounts;

    if (!bdrv_opt_take_bool(bs->options, QCOW2_OPT_LAZY_REFCOUNTS, &lazy, errp)) {
        return false;
    }
    if (lazy && s->qcow_version < 3) {
        error_setg(errp, "Lazy refcounts require a qcow2 image with at least qemu 1.1 "
                   "compatibility level");
        return false;
    }
    s->use_lazy_refcounts = lazy;
    return true;
}

/* Checked as QEMU checks them; they tune what duet does not have. */
static bool read_ignored_opts(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *interval = bdrv_opt_take_str(bs->options, QCOW2_OPT_CACHE_CLEAN_INTERVAL);
    uint64_t v, entry = s->cluster_size;

    if (interval) {
        /* QEMU reads "-N" as 2^64 - N: far too big */
        if (interval[0] == '-' && qemu_strtou64(interval + 1, &v) == 0) {
            error_setg(errp, "Cache clean interval too big");
            return false;
        }
        if (!qemu_opt_parse_number(QCOW2_OPT_CACHE_CLEAN_INTERVAL, interval, &v, errp)) {
            return false;
        }
        if (v > UINT32_MAX) {
            error_setg(errp, "Cache clean interval too big");
            return false;
        }
    }
    if (!bdrv_opt_take_size(bs->options, QCOW2_OPT_L2_CACHE_ENTRY_SIZE, &entry, errp)) {
        return false;
    }
    if (entry < 512 || entry > s->cluster_size || (entry & (entry - 1))) {
        error_setg(errp, "L2 cache entry size must be a power of two between 512 and the "
                   "cluster size (%d)", s->cluster_size);
        return false;
    }
    return true;
}

int qcow2_update_options(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *overlap = bdrv_opt_take_str(bs->options, QCOW2_OPT_OVERLAP_CHECK);
    uint64_t l2_bytes, rc_bytes;
    int l2_tables, rc_tables;
    int mode = QCOW2_OL_CACHED;

    if (overlap) {
        mode = qcow2_parse_overlap_check(overlap);
        if (mode < 0) {
            error_setg(errp, "Unsupported value '%s' for qcow2 option '%s'. Allowed are any "
                       "of the following: none, constant, cached, all", overlap,
                       QCOW2_OPT_OVERLAP_CHECK);
            return -EINVAL;
        }
    }
    if (!read_cache_sizes(bs, bs->options, &l2_bytes, &rc_bytes, errp) ||
        !cache_tables(s, QCOW2_OPT_L2_CACHE_SIZE, l2_bytes, &l2_tables, errp) ||
        !cache_tables(s, QCOW2_OPT_REFCOUNT_CACHE_SIZE, rc_bytes, &rc_tables, errp)) {
        return -EINVAL;
    }
    if (!read_overlap_kinds(bs, &mode, errp) || !read_discard_opts(bs, errp) ||
        !read_lazy_refcounts(bs, errp) || !read_ignored_opts(bs, errp)) {
        return -EINVAL;
    }
    s->overlap_check = mode;
    s->l2_table_cache = qcow2_cache_create(bs, l2_tables, s->cluster_size);
    s->refcount_block_cache = qcow2_cache_create(bs, rc_tables, s->cluster_size);
    trace_event(qcow2_update_options, "bs=%p l2_tables=%d refcount_tables=%d "
                "overlap_check=0x%x", bs, l2_tables, rc_tables, mode);
    return 0;
}
