/*
 * The QMP commands duet has, with their arguments and QEMU 7.2's return
 * shapes (QEMU's qapi schema).  Each returns a new JsonNode or sets *err.
 */
#include <string.h>

#include "monitor-internal.h"
#include "sysemu/block-backend.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"

static JsonNode *new_object(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(n, o);
    return n;
}

static JsonNode *empty_return(void)
{
    return new_object(json_object_new());
}

static JsonNode *qmp_capabilities(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonArray *enable = json_object_has_member(args, "enable") &&
                        JSON_NODE_HOLDS_ARRAY(json_object_get_member(args, "enable"))
                            ? json_object_get_array_member(args, "enable") : NULL;

    if (json_object_has_member(args, "enable") && !enable) {
        qmp_error_set(err, QMP_ERROR_GENERIC, "Invalid parameter type for 'enable', "
                      "expected: array");
        return NULL;
    }
    for (guint i = 0; enable && i < json_array_get_length(enable); i++) {
        JsonNode *cap = json_array_get_element(enable, i);
        const char *name = JSON_NODE_HOLDS_VALUE(cap) &&
                           json_node_get_value_type(cap) == G_TYPE_STRING
                               ? json_node_get_string(cap) : NULL;

        if (!name || strcmp(name, "oob")) {
            qmp_error_set(err, QMP_ERROR_GENERIC, "Invalid parameter '%s'",
                          name ? name : "enable");
        } else {
            qmp_error_set(err, QMP_ERROR_GENERIC, "Capability 'oob' not available");
        }
        return NULL;
    }
    mon->caps_done = true;
    return empty_return();
}

static JsonNode *qmp_query_status(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "status", runstate_name(runstate_get()));
    json_object_set_boolean_member(o, "singlestep", false);
    json_object_set_boolean_member(o, "running", runstate_is_running());
    return new_object(o);
}

static JsonNode *qmp_query_name(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonObject *o = json_object_new();

    if (monitor_vm_name) {
        json_object_set_string_member(o, "name", monitor_vm_name);
    }
    return new_object(o);
}

static JsonNode *qmp_query_version(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonObject *o = json_object_new(), *q = json_object_new();
    unsigned major = 0, minor = 0, micro = 0;

    sscanf(DUET_VERSION, "%u.%u.%u", &major, &minor, &micro);
    json_object_set_int_member(q, "micro", micro);
    json_object_set_int_member(q, "minor", minor);
    json_object_set_int_member(q, "major", major);
    json_object_set_object_member(o, "qemu", q);
    json_object_set_string_member(o, "package", "duet");
    return new_object(o);
}

static JsonNode *qmp_query_commands(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    JsonArray *a = json_array_new();

    for (const QMPCommand *c = qmp_commands; c->name; c++) {
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "name", c->name);
        json_array_add_object_element(a, o);
    }
    json_node_take_array(n, a);
    return n;
}

static JsonNode *qmp_query_cpus_fast(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    JsonArray *a = json_array_new();
    MachineState *ms = monitor_machine;

    for (unsigned i = 0; ms && ms->cpus && i < ms->smp.cpus; i++) {
        CPUState *cpu = ms->cpus[i];
        const CpuTopology *t = &ms->smp;
        JsonObject *o = json_object_new(), *props = json_object_new();
        /* QEMU's pc machine creates another object after the first CPU */
        g_autofree char *path = g_strdup_printf("/machine/unattached/device[%u]", i ? i + 1 : 0);

        json_object_set_int_member(o, "thread-id", cpu->tid);
        json_object_set_int_member(props, "core-id", i / t->threads % t->cores);
        json_object_set_int_member(props, "thread-id", i % t->threads);
        json_object_set_int_member(props, "socket-id", i / (t->threads * t->cores * t->dies));
        json_object_set_object_member(o, "props", props);
        json_object_set_string_member(o, "qom-path", path);
        json_object_set_int_member(o, "cpu-index", cpu->cpu_index);
        json_object_set_string_member(o, "target", "x86_64");
        json_array_add_object_element(a, o);
    }
    json_node_take_array(n, a);
    return n;
}

static int blk_index(BlockBackend *blk)
{
    int i = 0;

    for (BlockBackend *b = blk_next(NULL); b && b != blk; b = blk_next(b)) {
        i++;
    }
    return i;
}

static char *blk_qdev_path(BlockBackend *blk)
{
    const char *name = blk_name(blk);

    return g_strdup_printf("/machine/piix3-ide/ide.%c/unit%c", name[3], name[strlen(name) - 1]);
}

static JsonObject *image_info(const BlockImageQuery *q)
{
    JsonObject *o = json_object_new();

    json_object_set_int_member(o, "virtual-size", q->virtual_size);
    json_object_set_string_member(o, "filename", q->filename);
    if (q->cluster_size) {
        json_object_set_int_member(o, "cluster-size", q->cluster_size);
    }
    json_object_set_string_member(o, "format", q->format);
    if (q->actual_size >= 0) {
        json_object_set_int_member(o, "actual-size", q->actual_size);
    }
    json_object_set_boolean_member(o, "dirty-flag", false);
    if (q->backing_file) {
        json_object_set_string_member(o, "backing-filename", q->backing_file);
        json_object_set_object_member(o, "backing-image", image_info(q->backing));
    }
    return o;
}

static JsonNode *qmp_query_block(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    JsonArray *a = json_array_new();

    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        g_autoptr(BlockImageQuery) q = NULL;
        g_autofree char *qdev = NULL, *node = NULL;
        JsonObject *o;

        if (!blk_name(blk)[0]) {
            continue;
        }
        q = blk_query_image(blk);
        qdev = blk_qdev_path(blk);
        node = g_strdup_printf("#block%03d", blk_index(blk));
        o = json_object_new();
        json_object_set_string_member(o, "io-status", "ok");
        json_object_set_string_member(o, "device", blk_name(blk));
        json_object_set_boolean_member(o, "locked", false);
        json_object_set_boolean_member(o, "removable", false);
        if (q) {
            JsonObject *ins = json_object_new(), *cache = json_object_new();

            json_object_set_int_member(ins, "iops_rd", 0);
            json_object_set_string_member(ins, "detect_zeroes", "off");
            json_object_set_object_member(ins, "image", image_info(q));
            json_object_set_int_member(ins, "iops_wr", 0);
            json_object_set_boolean_member(ins, "ro", q->read_only);
            json_object_set_string_member(ins, "node-name", node);
            json_object_set_int_member(ins, "backing_file_depth", q->backing_depth);
            json_object_set_string_member(ins, "drv", q->format);
            json_object_set_int_member(ins, "iops", 0);
            json_object_set_int_member(ins, "bps_wr", 0);
            json_object_set_int_member(ins, "write_threshold", 0);
            if (q->backing_file) {
                json_object_set_string_member(ins, "backing_file", q->backing_file);
            }
            json_object_set_boolean_member(ins, "encrypted", false);
            json_object_set_int_member(ins, "bps", 0);
            json_object_set_int_member(ins, "bps_rd", 0);
            json_object_set_boolean_member(cache, "no-flush", false);
            json_object_set_boolean_member(cache, "direct", q->direct);
            json_object_set_boolean_member(cache, "writeback", q->writeback);
            json_object_set_object_member(ins, "cache", cache);
            json_object_set_string_member(ins, "file", q->filename);
            json_object_set_object_member(o, "inserted", ins);
        }
        json_object_set_string_member(o, "qdev", qdev);
        json_object_set_string_member(o, "type", "unknown");
        json_array_add_object_element(a, o);
    }
    json_node_take_array(n, a);
    return n;
}

static JsonObject *blockstats(BlockBackend *blk)
{
    const BlockAcctStats *st = blk_get_stats(blk);
    JsonObject *o = json_object_new();
    static const char *const zero[] = {
        "unmap_operations", "unmap_merged", "failed_unmap_operations", "invalid_unmap_operations",
        "unmap_bytes", "unmap_total_time_ns", "rd_merged", "wr_merged", "invalid_flush_operations",
        "invalid_wr_operations", "invalid_rd_operations", NULL,
    };

    for (int i = 0; zero[i]; i++) {
        json_object_set_int_member(o, zero[i], 0);
    }
    json_object_set_int_member(o, "flush_total_time_ns", st->total_time_ns[BLOCK_ACCT_FLUSH]);
    json_object_set_int_member(o, "wr_highest_offset", st->wr_highest_offset);
    json_object_set_int_member(o, "wr_total_time_ns", st->total_time_ns[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(o, "failed_wr_operations", st->failed_ops[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(o, "failed_rd_operations", st->failed_ops[BLOCK_ACCT_READ]);
    json_object_set_int_member(o, "wr_bytes", st->bytes[BLOCK_ACCT_WRITE]);
    json_object_set_array_member(o, "timed_stats", json_array_new());
    json_object_set_int_member(o, "failed_flush_operations", st->failed_ops[BLOCK_ACCT_FLUSH]);
    json_object_set_boolean_member(o, "account_invalid", true);
    json_object_set_int_member(o, "rd_total_time_ns", st->total_time_ns[BLOCK_ACCT_READ]);
    json_object_set_int_member(o, "flush_operations", st->ops[BLOCK_ACCT_FLUSH]);
    json_object_set_int_member(o, "wr_operations", st->ops[BLOCK_ACCT_WRITE]);
    json_object_set_int_member(o, "rd_bytes", st->bytes[BLOCK_ACCT_READ]);
    json_object_set_boolean_member(o, "account_failed", true);
    if (st->last_access_ns) {
        json_object_set_int_member(o, "idle_time_ns",
                                   g_get_monotonic_time() * 1000 - st->last_access_ns);
    }
    json_object_set_int_member(o, "rd_operations", st->ops[BLOCK_ACCT_READ]);
    return o;
}

static JsonNode *qmp_query_blockstats(Monitor *mon, JsonObject *args, QMPError *err)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    JsonArray *a = json_array_new();

    for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
        g_autofree char *qdev = NULL, *node = NULL;
        JsonObject *o;

        if (!blk_name(blk)[0]) {
            continue;
        }
        qdev = blk_qdev_path(blk);
        node = g_strdup_printf("#block%03d", blk_index(blk));
        o = json_object_new();
        json_object_set_string_member(o, "device", blk_name(blk));
        json_object_set_object_member(o, "stats", blockstats(blk));
        json_object_set_string_member(o, "node-name", node);
        json_object_set_string_member(o, "qdev", qdev);
        json_array_add_object_element(a, o);
    }
    json_node_take_array(n, a);
    return n;
}

static JsonNode *qmp_stop(Monitor *mon, JsonObject *args, QMPError *err)
{
    vm_stop(monitor_machine, RUN_STATE_PAUSED);
    return empty_return();
}

static JsonNode *qmp_cont(Monitor *mon, JsonObject *args, QMPError *err)
{
    if (runstate_get() == RUN_STATE_SHUTDOWN || runstate_get() == RUN_STATE_INTERNAL_ERROR) {
        qmp_error_set(err, QMP_ERROR_GENERIC, "Resetting the Virtual Machine is required");
        return NULL;
    }
    vm_start(monitor_machine);
    return empty_return();
}

static JsonNode *qmp_system_reset(Monitor *mon, JsonObject *args, QMPError *err)
{
    qemu_system_reset_request_cause(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return empty_return();
}

/* QEMU's order: the POWERDOWN event, then the button press. */
static JsonNode *qmp_system_powerdown(Monitor *mon, JsonObject *args, QMPError *err)
{
    qmp_broadcast_event("POWERDOWN", NULL);
    qemu_system_powerdown_request();
    return empty_return();
}

static JsonNode *qmp_quit(Monitor *mon, JsonObject *args, QMPError *err)
{
    qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return empty_return();
}

static JsonNode *qmp_human_monitor_command(Monitor *mon, JsonObject *args, QMPError *err)
{
    const char *cmdline = json_object_get_string_member(args, "command-line");
    g_autofree char *out = NULL;
    GString *crlf = g_string_new(NULL);
    JsonNode *n;

    if (json_object_has_member(args, "cpu-index") &&
        json_object_get_int_member(args, "cpu-index") != 0) {
        g_string_free(crlf, true);
        qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter 'cpu-index' expects a CPU index");
        return NULL;
    }
    out = monitor_hmp_command(NULL, cmdline);
    /* QEMU returns the monitor's output as it would print it: CR LF. */
    for (const char *p = out; *p; p++) {
        if (*p == '\n') {
            g_string_append_c(crlf, '\r');
        }
        g_string_append_c(crlf, *p);
    }
    n = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(n, crlf->str);
    g_string_free(crlf, true);
    return n;
}

const QMPCommand qmp_commands[] = {
    { "qmp_capabilities", qmp_capabilities, { { "enable", QMP_ARG_ANY, true } } },
    { "query-status", qmp_query_status },
    { "query-name", qmp_query_name },
    { "query-version", qmp_query_version },
    { "query-commands", qmp_query_commands },
    { "query-cpus-fast", qmp_query_cpus_fast },
    { "query-block", qmp_query_block },
    { "query-blockstats", qmp_query_blockstats,
      { { "query-nodes", QMP_ARG_BOOL, true } } },
    { "stop", qmp_stop },
    { "cont", qmp_cont },
    { "system_reset", qmp_system_reset },
    { "system_powerdown", qmp_system_powerdown },
    { "quit", qmp_quit },
    { "human-monitor-command", qmp_human_monitor_command,
      { { "command-line", QMP_ARG_STR, false }, { "cpu-index", QMP_ARG_INT, true } } },
    { NULL },
};
