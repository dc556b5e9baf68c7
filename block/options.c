/*
 * Block node options: the key=value strings a node is opened with (QEMU's
 * per-node QDict, here a GHashTable of strings).  block.c splits them
 * between the nodes ("file.X" is the protocol node's X); each driver takes
 * the keys it knows while it opens, and whatever is left is an error, so a
 * misspelt option never goes unnoticed.  The syntax and the value rules
 * are the option parser's (util/qemu-option.c); the help listings are in
 * block/options-help.c.
 */
#include <stdlib.h>
#include <string.h>

#include "block_int.h"

GHashTable *bdrv_options_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

GHashTable *bdrv_options_copy(GHashTable *options)
{
    GHashTable *copy = bdrv_options_new();
    GHashTableIter it;
    gpointer key, value;

    if (options) {
        g_hash_table_iter_init(&it, options);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            g_hash_table_insert(copy, g_strdup(key), g_strdup(value));
        }
    }
    return copy;
}

/* Node options are any keys: the drivers take theirs while they open. */
static const QemuOptsList bdrv_node_opts_list = { .name = "node", .pass_unknown = true };

static bool insert_item(void *opaque, const char *name, const char *value,
                        const QemuOptDesc *desc, Error **errp)
{
    g_hash_table_insert(opaque, g_strdup(name), g_strdup(value));
    return true;
}

bool bdrv_options_parse(GHashTable *options, const char *str, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&bdrv_node_opts_list, str, errp);

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        error_setg(errp, "Invalid parameter 'help'");
        return false;
    }
    return qemu_opt_foreach(opts, insert_item, options, errp);
}

GHashTable *bdrv_options_extract_prefix(GHashTable *options, const char *prefix)
{
    GHashTable *sub = bdrv_options_new();
    size_t len = strlen(prefix);
    GHashTableIter it;
    gpointer key, value;

    g_hash_table_iter_init(&it, options);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (!strncmp(key, prefix, len)) {
            g_hash_table_insert(sub, g_strdup((char *)key + len), g_strdup(value));
            g_hash_table_iter_remove(&it);
        }
    }
    return sub;
}

char *bdrv_opt_take_str(GHashTable *options, const char *key)
{
    gpointer orig_key, value;

    if (!options || !g_hash_table_steal_extended(options, key, &orig_key, &value)) {
        return NULL;
    }
    g_free(orig_key);
    return value;
}

bool bdrv_opt_take_bool(GHashTable *options, const char *key, bool *value, Error **errp)
{
    g_autofree char *str = bdrv_opt_take_str(options, key);

    return !str || qemu_opt_parse_bool(key, str, value, errp);
}

bool bdrv_opt_take_size(GHashTable *options, const char *key, uint64_t *value, Error **errp)
{
    g_autofree char *str = bdrv_opt_take_str(options, key);

    return !str || qemu_opt_parse_size(key, str, 0, value, errp);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool bdrv_options_check_consumed(GHashTable *options, const BlockDriver *drv,
                                 const char *prefix, Error **errp)
{
    g_autofree const char **keys = NULL;
    guint n;

    if (!options || g_hash_table_size(options) == 0) {
        return true;
    }
    /* The first in sorted order, so the message does not depend on hashing. */
    keys = (const char **)g_hash_table_get_keys_as_array(options, &n);
    qsort(keys, n, sizeof(*keys), compare_keys);
    error_setg(errp, "Block %s '%s' does not support the option '%s%s'",
               drv->is_format ? "format" : "protocol", drv->format_name, prefix, keys[0]);
    return false;
}
