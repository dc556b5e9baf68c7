/*
 * -drive if=ide,... (and -hda..-hdd, which vl.c rewrites to -drive) onto
 * the PIIX IDE function's four slots: index N is bus N/2, unit N%2.
 *
 * Syntax as QEMU's: comma-separated key=value pairs, ",," for a comma
 * inside a value.  Keys: file, format, if, index, bus, unit, cache,
 * readonly, media; every other key is a block node option
 * (l2-cache-size=4M, file.aio=native; "aio" means file.aio, as in QEMU),
 * which the drivers check when the image opens.
 */
#include "block/block-common.h"
#include "hw/ide/pci.h"

#define IDE_MAX_DRIVES 4

typedef struct DriveOptions {
    char *file;
    char *format;
    char *iface;
    char *cache;
    char *media;
    int index, bus, unit; /* -1: not given */
    bool readonly;
    GHashTable *node_opts; /* for bdrv_open_opts */
} DriveOptions;

static void drive_options_clear(DriveOptions *o)
{
    g_clear_pointer(&o->node_opts, g_hash_table_unref);
    g_free(o->file);
    g_free(o->format);
    g_free(o->iface);
    g_free(o->cache);
    g_free(o->media);
}

static bool parse_int(const char *key, const char *val, int max, int *out, Error **errp)
{
    char *end;
    long v = strtol(val, &end, 0);

    if (!*val || *end || v < 0 || v > max) {
        error_setg(errp, "parameter '%s' expects a number from 0 to %d, not '%s'", key, max,
                   val);
        return false;
    }
    *out = v;
    return true;
}

/* Splits at unescaped commas; ",," stands for ','. */
static GPtrArray *split_options(const char *str)
{
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);

    for (const char *p = str; *p; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else if (*p == ',') {
            g_ptr_array_add(items, g_string_free(cur, false));
            cur = g_string_new(NULL);
        } else {
            g_string_append_c(cur, *p);
        }
    }
    g_ptr_array_add(items, g_string_free(cur, false));
    return items;
}

static bool drive_options_parse(const char *str, DriveOptions *o, Error **errp)
{
    g_autoptr(GPtrArray) items = split_options(str);

    o->index = o->bus = o->unit = -1;
    o->node_opts = bdrv_options_new();
    for (unsigned i = 0; i < items->len; i++) {
        const char *item = g_ptr_array_index(items, i);
        const char *eq = strchr(item, '=');
        g_autofree char *key = NULL;
        const char *val;
        char **slot = NULL;

        if (!*item) {
            continue;
        }
        if (!eq) {
            error_setg(errp, "-drive %s: expected key=value, got '%s'", str, item);
            return false;
        }
        key = g_strndup(item, eq - item);
        val = eq + 1;
        if (!strcmp(key, "file")) {
            slot = &o->file;
        } else if (!strcmp(key, "format")) {
            slot = &o->format;
        } else if (!strcmp(key, "if")) {
            slot = &o->iface;
        } else if (!strcmp(key, "cache")) {
            slot = &o->cache;
        } else if (!strcmp(key, "media")) {
            slot = &o->media;
        } else if (!strcmp(key, "index")) {
            if (!parse_int(key, val, IDE_MAX_DRIVES - 1, &o->index, errp)) {
                return false;
            }
        } else if (!strcmp(key, "bus")) {
            if (!parse_int(key, val, 1, &o->bus, errp)) {
                return false;
            }
        } else if (!strcmp(key, "unit")) {
            if (!parse_int(key, val, 1, &o->unit, errp)) {
                return false;
            }
        } else if (!strcmp(key, "readonly")) {
            if (!bdrv_parse_bool(key, val, &o->readonly, errp)) {
                return false;
            }
        } else {
            /* The block layer's to judge: an unknown one fails the open. */
            g_hash_table_insert(o->node_opts,
                                g_strdup(!strcmp(key, "aio") ? "file.aio" : key),
                                g_strdup(val));
        }
        if (slot) {
            g_free(*slot);
            *slot = g_strdup(val);
        }
    }
    return true;
}

/* Resolves index/bus/unit to a slot 0..3, or the first free one. */
static int drive_options_slot(const DriveOptions *o, const bool *used, const char *str,
                              Error **errp)
{
    int slot;

    if (o->index >= 0) {
        if (o->bus >= 0 || o->unit >= 0) {
            error_setg(errp, "-drive %s: index cannot be combined with bus or unit", str);
            return -1;
        }
        slot = o->index;
    } else if (o->bus >= 0 || o->unit >= 0) {
        slot = MAX(o->bus, 0) * 2 + MAX(o->unit, 0);
    } else {
        for (slot = 0; slot < IDE_MAX_DRIVES && used[slot]; slot++) {
        }
        if (slot == IDE_MAX_DRIVES) {
            error_setg(errp, "-drive %s: all %d IDE slots are taken", str, IDE_MAX_DRIVES);
            return -1;
        }
    }
    if (used[slot]) {
        error_setg(errp, "-drive %s: IDE slot %d (bus %d, unit %d) is already in use", str,
                   slot, slot / 2, slot % 2);
        return -1;
    }
    return slot;
}

/*
 * A disk's permissions, as QEMU's IDE disk takes them: it reads, writes
 * unless read-only, and lets nobody else write (QEMU's share-rw=off).
 * Checked against every other user of the image, another duet or QEMU
 * included ("Failed to get "write" lock").
 */
static bool ide_drive_take_perm(BlockBackend *blk, bool readonly, Error **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ | (readonly ? 0 : BLK_PERM_WRITE);
    uint64_t shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE;

    return blk_set_perm(blk, perm, shared, errp);
}

static bool ide_attach_drive_option(PCIIDEState *d, const char *str, bool *used, Error **errp)
{
    DriveOptions o = { 0 };
    BlockBackend *blk = NULL;
    bool ok = false;
    int slot;

    if (!drive_options_parse(str, &o, errp)) {
        goto out;
    }
    if (o.iface && !strcmp(o.iface, "none")) {
        ok = true; /* for a -device to pick up; duet has none that would */
        goto out;
    }
    if (o.iface && strcmp(o.iface, "ide")) {
        error_setg(errp, "-drive %s: interface '%s' is not supported (only if=ide)", str,
                   o.iface);
        goto out;
    }
    if (o.media && strcmp(o.media, "disk")) {
        error_setg(errp, "-drive %s: media '%s' is not supported (only media=disk)", str,
                   o.media);
        goto out;
    }
    slot = drive_options_slot(&o, used, str, errp);
    if (slot < 0) {
        goto out;
    }
    if ((!o.file || !*o.file) && g_hash_table_size(o.node_opts)) {
        error_setg(errp, "-drive %s: block options need an image (file=)", str);
        goto out;
    }
    /* No file: a drive with no medium; it answers IDENTIFY with 0 sectors. */
    if (o.file && *o.file) {
        blk = blk_new_open_opts(o.file, o.format, o.cache, o.readonly, o.node_opts, errp);
        if (blk && !ide_drive_take_perm(blk, o.readonly, errp)) {
            g_clear_pointer(&blk, blk_unref);
        }
        if (!blk) {
            error_prepend(errp, "-drive %s: ", str);
            goto out;
        }
    }
    if (!ide_drive_attach(&d->bus[slot / 2], slot % 2, blk, errp)) {
        blk_unref(blk);
        goto out;
    }
    used[slot] = true;
    ok = true;
out:
    drive_options_clear(&o);
    return ok;
}

bool pc_ide_init_drives(PCIIDEState *d, GPtrArray *drive_opts, Error **errp)
{
    bool used[IDE_MAX_DRIVES] = { false };

    for (unsigned i = 0; drive_opts && i < drive_opts->len; i++) {
        if (!ide_attach_drive_option(d, g_ptr_array_index(drive_opts, i), used, errp)) {
            return false;
        }
    }
    return true;
}
