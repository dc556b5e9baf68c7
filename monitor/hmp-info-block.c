/*
 * info block, info blockstats and commit, QEMU 7.2's layouts:
 *   ide0-hd0 (#block000): disk.qcow2 (qcow2)
 *       Attached to:      /machine/piix3-ide/ide.0/unit0
 *       Cache mode:       writeback
 *       Backing file:     base.qcow2 (chain depth: 1)
 * duet has no node names: "#blockNNN" numbers the backends in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "monitor-internal.h"
#include "sysemu/block-backend.h"

static int blk_index(BlockBackend *blk)
{
    int i = 0;

    for (BlockBackend *b = blk_next(NULL); b && b != blk; b = blk_next(b)) {
        i++;
    }
    return i;
}

static void print_block(Monitor *mon, BlockBackend *blk)
{
    const char *name = blk_name(blk);
    g_autoptr(BlockImageQuery) q = blk_query_image(blk);
    int unit = name[0] ? name[strlen(name) - 1] - '0' : 0;
    int bus = strlen(name) > 3 ? name[3] - '0' : 0;

    if (!q) {
        monitor_printf(mon, "%s: [not inserted]\n", name);
        return;
    }
    monitor_printf(mon, "%s (#block%03d): %s (%s%s)\n", name, blk_index(blk), q->filename,
                   q->format, q->read_only ? ", read-only" : "");
    monitor_printf(mon, "    Attached to:      /machine/piix3-ide/ide.%d/unit%d\n", bus, unit);
    monitor_printf(mon, "    Cache mode:       %s%s\n",
                   q->writeback ? "writeback" : "writethrough", q->direct ? ", direct" : "");
    if (q->backing_file) {
        monitor_printf(mon, "    Backing file:     %s (chain depth: %d)\n", q->backing_file,
                       q->backing_depth);
    }
}

void hmp_info_block(Monitor *mon, const HMPArgs *args)
{
    const char *device = args->nwords ? args->words[0] : NULL;
    bool first = true;

    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        if (!blk_name(blk)[0] || (device && strcmp(device, blk_name(blk)))) {
            continue;
        }
        if (!first) {
            monitor_puts(mon, "\n");
        }
        print_block(mon, blk);
        first = false;
    }
    if (device && first) {
        monitor_printf(mon, "Device '%s' not found\n", device);
    }
}

void hmp_info_blockstats(Monitor *mon, const HMPArgs *args)
{
    int64_t now = g_get_monotonic_time() * 1000;

    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        const BlockAcctStats *st = blk_get_stats(blk);

        if (!blk_name(blk)[0]) {
            continue;
        }
        monitor_printf(mon, "%s: rd_bytes=%" PRIu64 " wr_bytes=%" PRIu64 " rd_operations=%" PRIu64
                       " wr_operations=%" PRIu64 " flush_operations=%" PRIu64
                       " wr_total_time_ns=%" PRIu64 " rd_total_time_ns=%" PRIu64
                       " flush_total_time_ns=%" PRIu64 " rd_merged=0 wr_merged=0"
                       " idle_time_ns=%" PRId64 "\n", blk_name(blk),
                       st->bytes[BLOCK_ACCT_READ], st->bytes[BLOCK_ACCT_WRITE],
                       st->ops[BLOCK_ACCT_READ], st->ops[BLOCK_ACCT_WRITE],
                       st->ops[BLOCK_ACCT_FLUSH], st->total_time_ns[BLOCK_ACCT_WRITE],
                       st->total_time_ns[BLOCK_ACCT_READ], st->total_time_ns[BLOCK_ACCT_FLUSH],
                       st->last_access_ns ? now - st->last_access_ns : 0);
    }
}

static void commit_one(Monitor *mon, BlockBackend *blk, const char *device)
{
    Error *err = NULL;
    int ret = blk_commit(blk, &err);

    if (ret < 0) {
        /* QEMU: "'commit' error for 'ide0-hd0': Operation not supported" */
        monitor_printf(mon, "'commit' error for '%s': %s\n", device,
                       err ? error_get_pretty(err) : g_strerror(-ret));
    }
    error_free(err);
}

void hmp_commit(Monitor *mon, const HMPArgs *args);
void hmp_commit(Monitor *mon, const HMPArgs *args)
{
    const char *device = args->words[0];
    BlockBackend *blk;

    if (!strcmp(device, "all")) {
        for (blk = blk_next(NULL); blk; blk = blk_next(blk)) {
            /* QEMU's "commit all" skips what has nothing to commit into. */
            g_autoptr(BlockImageQuery) q = blk_name(blk)[0] ? blk_query_image(blk) : NULL;
            if (q && q->backing_file) {
                commit_one(mon, blk, blk_name(blk));
            }
        }
        return;
    }
    blk = blk_by_name(device);
    if (!blk) {
        monitor_printf(mon, "Device '%s' not found\n", device);
        return;
    }
    if (!blk_bs(blk)) {
        monitor_printf(mon, "Device '%s' has no medium\n", device);
        return;
    }
    commit_one(mon, blk, device);
}
