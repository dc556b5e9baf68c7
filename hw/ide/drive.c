/*
 * -drive if=ide,... (and -hda..-hdd, which vl.c rewrites to -drive) onto
 * the PIIX IDE function's four slots: index N is bus N/2, unit N%2.
 *
 * Syntax as QEMU's (util/qemu-option.c): comma-separated key=value pairs,
 * ",," for a comma inside a value.  Keys: drive_desc below; every other
 * key is a block node option (l2-cache-size=4M, file.aio=native; "aio"
 * means file.aio, as in QEMU), which the drivers check when the image
 * opens.
 */
#include "block/block-common.h"
#include "hw/ide/pci.h"
#include "qemu/option.h"
#include "sysemu/block-backend.h"

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

static const char *const drive_ifs[] = { "ide", "none", NULL };
static const char *const drive_media[] = { "disk", NULL };

/* -drive's own keys; the rest are block node options. */
static const QemuOptDesc drive_desc[] = {
    { .name = "file", .type = QEMU_OPT_STRING, .help = "Image file (none: an empty drive)" },
    { .name = "format", .type = QEMU_OPT_STRING, .help = "Image format (default: probed)",
      .values = bdrv_format_names },
    { .name = "if", .type = QEMU_OPT_STRING, .help = "Interface", .values = drive_ifs,
      .def_value_str = "ide" },
    { .name = "index", .type = QEMU_OPT_NUMBER, .help = "Slot: bus index/2, unit index%2",
      .max = IDE_MAX_DRIVES - 1 },
    { .name = "bus", .type = QEMU_OPT_NUMBER, .help = "IDE channel", .max = 1 },
    { .name = "unit", .type = QEMU_OPT_NUMBER, .help = "Master (0) or slave (1)", .max = 1 },
    { .name = "cache", .type = QEMU_OPT_STRING, .help = "Host cache mode",
      .values = blk_cache_mode_names, .def_value_str = "writeback" },
    { .name = "readonly", .type = QEMU_OPT_BOOL, .help = "Open the image read-only",
      .def_value_str = "off" },
    { .name = "media", .type = QEMU_OPT_STRING, .help = "Media type", .values = drive_media },
    { NULL },
};

static const QemuOptsList drive_opts_list = {
    .name = "drive", .pass_unknown = true, .desc = drive_desc,
};

static char *opt_dup(QemuOpts *opts, const char *name)
{
    return g_strdup(qemu_opt_get(opts, name));
}

static int opt_slot_number(QemuOpts *opts, const char *name)
{
    return qemu_opt_get(opts, name) ? (int)qemu_opt_get_number(opts, name, 0) : -1;
}

/* The keys -drive does not know itself: the block layer's to judge (an
 * unknown one fails the open).  "aio" means file.aio, as in QEMU. */
static bool add_node_opt(void *opaque, const char *name, const char *value,
                         const QemuOptDesc *desc, Error **errp)
{
    if (!desc) {
        g_hash_table_insert(opaque, g_strdup(!strcmp(name, "aio") ? "file.aio" : name),
                            g_strdup(value));
    }
    return true;
}

static bool drive_options_parse(const char *str, DriveOptions *o, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&drive_opts_list, str, errp);

    o->index = o->bus = o->unit = -1;
    o->node_opts = bdrv_options_new();
    if (!opts) {
        return false;
    }
    o->file = opt_dup(opts, "file");
    o->format = opt_dup(opts, "format");
    o->iface = opt_dup(opts, "if");
    o->cache = opt_dup(opts, "cache");
    o->media = opt_dup(opts, "media");
    o->index = opt_slot_number(opts, "index");
    o->bus = opt_slot_number(opts, "bus");
    o->unit = opt_slot_number(opts, "unit");
    o->readonly = qemu_opt_get_bool(opts, "readonly", false);
    return qemu_opt_foreach(opts, add_node_opt, o->node_opts, errp);
}

bool ide_drive_check(const char *optstr, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&drive_opts_list, optstr, errp);
    const char *format, *key;

    *help = false;
    if (!opts) {
        return false;
    }
    format = qemu_opt_get(opts, "format");
    key = qemu_opts_help_key(opts);
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(out, key ? NULL : "drive options:", drive_desc, key);
        if (!key) {
            fprintf(out, "Other keys are block node options:\n");
            bdrv_node_options_help(out, opts, format);
        }
        *help = true;
    } else {
        *help = bdrv_node_options_help(out, opts, format);
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
    bool ok = false, has_file;
    int slot;

    if (!drive_options_parse(str, &o, errp)) {
        error_prepend(errp, "-drive %s: ", str);
        goto out;
    }
    has_file = o.file && *o.file;
    /* As QEMU: image options with no image are an error everywhere. */
    if (!has_file && (o.format || g_hash_table_size(o.node_opts))) {
        error_setg(errp, "-drive %s: A block device must be specified for \"file\"", str);
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
    /* A hard disk has no removable medium: it needs its image now. */
    if (!has_file) {
        error_setg(errp, "-drive %s: Device needs media, but drive is empty", str);
        goto out;
    }
    blk = blk_new_open_opts(o.file, o.format, o.cache, o.readonly, o.node_opts, errp);
    if (blk && !ide_drive_take_perm(blk, o.readonly, errp)) {
        g_clear_pointer(&blk, blk_unref);
    }
    if (!blk) {
        error_prepend(errp, "-drive %s: ", str);
        goto out;
    }
    if (!ide_drive_attach(&d->bus[slot / 2], slot % 2, blk, errp)) {
        blk_unref(blk);
        goto out;
    }
    used[slot] = true;
    {
        /* QEMU's name for the drive: ide<bus>-hd<unit> (info block, commit) */
        g_autofree char *name = g_strdup_printf("ide%d-hd%d", slot / 2, slot % 2);
        blk_set_name(blk, name);
    }
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
