/*
 * Block node options: the key=value strings a node is opened with (QEMU's
 * per-node QDict, here a GHashTable of strings).  block.c splits them
 * between the nodes ("file.X" is the protocol node's X); each driver takes
 * the keys it knows while it opens, and whatever is left is an error, so a
 * misspelt option never goes unnoticed.
 */
#include <math.h>
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

bool bdrv_options_parse(GHashTable *options, const char *str, Error **errp)
{
    g_autoptr(GString) key = g_string_new(NULL);
    g_autoptr(GString) value = g_string_new(NULL);
    const char *p = str;

    while (*p) {
        const char *start = p;

        g_string_truncate(key, 0);
        g_string_truncate(value, 0);
        while (*p && *p != '=' && *p != ',') {
            g_string_append_c(key, *p++);
        }
        if (*p != '=' || key->len == 0) {
            g_autofree char *item = g_strndup(start, strcspn(start, ","));
            error_setg(errp, "Expected key=value, not '%s'", item);
            return false;
        }
        p++;
        /* ",," is a comma inside the value, as in QEMU's option syntax. */
        while (*p && !(*p == ',' && p[1] != ',')) {
            if (*p == ',') {
                p++;
            }
            g_string_append_c(value, *p++);
        }
        if (*p == ',') {
            p++;
        }
        g_hash_table_insert(options, g_strdup(key->str), g_strdup(value->str));
    }
    return true;
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

bool bdrv_parse_bool(const char *key, const char *str, bool *value, Error **errp)
{
    if (!strcmp(str, "on") || !strcmp(str, "true") || !strcmp(str, "yes")) {
        *value = true;
    } else if (!strcmp(str, "off") || !strcmp(str, "false") || !strcmp(str, "no")) {
        *value = false;
    } else {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off', not '%s'", key, str);
        return false;
    }
    return true;
}

bool bdrv_opt_take_bool(GHashTable *options, const char *key, bool *value, Error **errp)
{
    g_autofree char *str = bdrv_opt_take_str(options, key);

    return !str || bdrv_parse_bool(key, str, value, errp);
}

/*
 * "4096", "64k", "1.5M", "2G": bytes.  Suffixes B, K, M, G, T, P, E in
 * either case are powers of 1024, as in QEMU; a fraction needs a suffix
 * and is rounded down to a whole byte.
 */
bool bdrv_parse_size(const char *str, uint64_t *size)
{
    static const char suffixes[] = "BKMGTPE";
    const char *p = str;
    const char *suffix;
    uint64_t whole = 0;
    double fraction = 0, scale = 1;
    int shift = 0;

    if (!g_ascii_isdigit(*p)) {
        return false;
    }
    for (; g_ascii_isdigit(*p); p++) {
        unsigned digit = *p - '0';
        if (whole > UINT64_MAX / 10 || whole * 10 > UINT64_MAX - digit) {
            return false;
        }
        whole = whole * 10 + digit;
    }
    if (*p == '.') {
        if (!g_ascii_isdigit(*++p)) {
            return false;
        }
        for (; g_ascii_isdigit(*p); p++) {
            scale /= 10;
            fraction += (*p - '0') * scale;
        }
    }
    if (*p) {
        suffix = strchr(suffixes, g_ascii_toupper(*p));
        if (!suffix || p[1]) {
            return false;
        }
        shift = (suffix - suffixes) * 10;
    } else if (fraction != 0) {
        return false;
    }
    if (shift && whole > (UINT64_MAX >> shift)) {
        return false;
    }
    *size = (whole << shift) + (uint64_t)ldexp(fraction, shift);
    return true;
}

bool bdrv_opt_take_size(GHashTable *options, const char *key, uint64_t *value, Error **errp)
{
    g_autofree char *str = bdrv_opt_take_str(options, key);

    if (!str) {
        return true;
    }
    if (!bdrv_parse_size(str, value)) {
        error_setg(errp, "Parameter '%s' expects a size in bytes (optional suffix k, M, "
                   "G, T, P or E for powers of 1024), not '%s'", key, str);
        return false;
    }
    return true;
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
    error_setg(errp, "Block %s '%s' has no option '%s%s'",
               drv->is_format ? "format" : "protocol", drv->format_name, prefix, keys[0]);
    return false;
}
