/*
 * What the block layer lists for "help": the node options a format takes
 * (-drive ...,help, --image-opts driver=qcow2,help; the protocol's keys
 * with their "file." prefix) and the creation options of duet-img
 * create -o help.  The tables themselves are the drivers' runtime_opts and
 * create_opts.
 */
#include <string.h>

#include "block_int.h"

/* qemu-img 7.2 lists -o options only for a bare "help" ("cluster_size=help"
 * is a bad size) */
const QemuOptsList bdrv_create_opts_list = {
    .name = "create", .pass_unknown = true, .key_help_literal = true,
};

extern const BlockDriver bdrv_file;

static const char *const file_driver_names[] = { "file", NULL };

/* The keys bdrv_open_opts itself takes (--image-opts spells them). */
static const QemuOptDesc bdrv_generic_node_opts[] = {
    { .name = "driver", .type = QEMU_OPT_STRING, .help = "Format of the image",
      .values = bdrv_format_names },
    { .name = "filename", .type = QEMU_OPT_STRING, .help = "Image file (with driver=file)" },
    { .name = "file.driver", .type = QEMU_OPT_STRING, .help = "Protocol of the image file",
      .values = file_driver_names },
    { .name = "file.filename", .type = QEMU_OPT_STRING, .help = "Image file" },
    /* every node's (block.c) */
    { .name = "cache.direct", .type = QEMU_OPT_BOOL, .help = "Bypass the host page cache" },
    { .name = "cache.no-flush", .type = QEMU_OPT_BOOL, .help = "Ignore flush requests" },
    { .name = "discard", .type = QEMU_OPT_STRING, .help = "Pass discard requests down",
      .values = (const char *const[]){ "ignore", "off", "unmap", "on", NULL } },
    { .name = "detect-zeroes", .type = QEMU_OPT_STRING,
      .help = "Turn writes of zeros into zero writes",
      .values = (const char *const[]){ "off", "on", "unmap", NULL } },
    { .name = "read-only", .type = QEMU_OPT_BOOL, .help = "Open the node read-only" },
    { .name = "auto-read-only", .type = QEMU_OPT_BOOL,
      .help = "Accepted (duet does not fall back to read-only)" },
    { .name = "force-share", .type = QEMU_OPT_BOOL,
      .help = "Share the image with writers (read-only only)" },
    { NULL },
};

typedef struct NodeOptLine {
    const char *prefix;
    const QemuOptDesc *desc;
    char *full_name;
} NodeOptLine;

static void add_lines(GArray *lines, const char *prefix, const QemuOptDesc *desc)
{
    for (const QemuOptDesc *d = desc; d && d->name; d++) {
        NodeOptLine l = { prefix, d, g_strconcat(prefix, d->name, NULL) };
        g_array_append_val(lines, l);
    }
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(((const NodeOptLine *)a)->full_name, ((const NodeOptLine *)b)->full_name);
}

/* "qcow2 options:" and its keys, the protocol's as file.KEY, sorted. */
static void print_node_listing(FILE *out, const BlockDriver *drv, bool generic)
{
    GArray *lines = g_array_new(false, false, sizeof(NodeOptLine));

    if (generic) {
        add_lines(lines, "", bdrv_generic_node_opts);
    }
    add_lines(lines, "", drv->runtime_opts);
    if (drv->is_format) {
        add_lines(lines, "file.", bdrv_file.runtime_opts);
    }
    g_array_sort(lines, compare_lines);
    fprintf(out, "%s options:\n", drv->format_name);
    for (guint i = 0; i < lines->len; i++) {
        NodeOptLine *l = &g_array_index(lines, NodeOptLine, i);
        qemu_opt_print_desc(out, l->prefix, l->desc);
        g_free(l->full_name);
    }
    if (drv->supports_backing) {
        fprintf(out, "  backing.KEY: KEY of the backing file's node\n");
    }
    g_array_free(lines, true);
}

/* The description of a node key as the user wrote it ("backing.file.aio"),
 * or NULL; *prefix_len is how much of @name is prefix. */
static const QemuOptDesc *find_node_key(const char *name, const BlockDriver *drv,
                                        bool generic, size_t *prefix_len)
{
    const char *key = name;
    const QemuOptDesc *d;

    while (g_str_has_prefix(key, "backing.")) {
        key += strlen("backing.");
    }
    *prefix_len = key - name;
    if (generic && key == name && (d = qemu_opt_find_desc(bdrv_generic_node_opts, key))) {
        *prefix_len = 0;
        return d;
    }
    if (g_str_has_prefix(key, "file.")) {
        *prefix_len += strlen("file.");
        return qemu_opt_find_desc(bdrv_file.runtime_opts, key + strlen("file."));
    }
    for (const BlockDriver *const *p = bdrv_drivers(); *p; p++) {
        if ((!drv || *p == drv) && (d = qemu_opt_find_desc((*p)->runtime_opts, key))) {
            return d;
        }
    }
    return NULL;
}

typedef struct KeyHelp {
    FILE *out;
    const BlockDriver *drv;
    bool generic;
    bool printed;
} KeyHelp;

static bool print_key_help(void *opaque, const char *name, const char *value,
                           const QemuOptDesc *desc, Error **errp)
{
    KeyHelp *kh = opaque;
    size_t prefix_len;
    const QemuOptDesc *d;

    if (desc || (strcmp(value, "help") && strcmp(value, "?"))) {
        return true;
    }
    d = find_node_key(name, kh->drv, kh->generic, &prefix_len);
    if (!d || (d->type == QEMU_OPT_STRING && !d->values)) {
        return true; /* free text takes "help" literally */
    }
    g_autofree char *prefix = g_strndup(name, prefix_len);
    qemu_opt_print_desc(kh->out, prefix, d);
    kh->printed = true;
    return false;
}

static bool node_options_help(FILE *out, const QemuOpts *opts, const char *format,
                              bool generic)
{
    const BlockDriver *drv = format ? bdrv_find_format(format) : NULL;
    KeyHelp kh = { out, drv, generic, false };

    if (qemu_opts_help_wanted(opts) && !qemu_opts_help_key(opts)) {
        for (const BlockDriver *const *p = bdrv_drivers(); *p; p++) {
            if (!drv || *p == drv) {
                print_node_listing(out, *p, generic);
            }
        }
        return true;
    }
    qemu_opt_foreach(opts, print_key_help, &kh, NULL);
    return kh.printed;
}

bool bdrv_node_options_help(FILE *out, const QemuOpts *opts, const char *format)
{
    return node_options_help(out, opts, format, false);
}

bool bdrv_node_options_help_str(FILE *out, const char *str)
{
    static const QemuOptsList list = { .name = "node", .pass_unknown = true };
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&list, str, NULL);

    return opts && node_options_help(out, opts, qemu_opt_get(opts, "driver"), true);
}

QemuOptDesc *bdrv_create_opts_merged(const BlockDriver *drv)
{
    GArray *all = g_array_new(true, true, sizeof(QemuOptDesc));

    for (const QemuOptDesc *d = drv->create_opts; d && d->name; d++) {
        g_array_append_val(all, *d);
    }
    if (drv->is_format) {
        for (const QemuOptDesc *d = bdrv_file.create_opts; d && d->name; d++) {
            if (!qemu_opt_find_desc((QemuOptDesc *)all->data, d->name)) {
                g_array_append_val(all, *d);
            }
        }
    }
    return (QemuOptDesc *)g_array_free(all, false);
}
