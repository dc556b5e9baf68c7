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
    char *id;
    int index, bus, unit; /* -1: not given */
    bool readonly;
    int snapshot;         /* -1: not given */
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
    g_free(o->id);
}

static const char *const drive_ifs[] = { "ide", "none", NULL };
static const char *const drive_media[] = { "disk", "cdrom", NULL };

/* -drive's own keys; the rest are block node options. */
static const QemuOptDesc drive_desc[] = {
    { .name = "file", .type = QEMU_OPT_STRING, .help = "Image file (none: an empty drive)" },
    { .name = "format", .type = QEMU_OPT_STRING, .help = "Image format (default: probed)",
      .values = bdrv_format_names },
    { .name = "id", .type = QEMU_OPT_STRING,
      .help = "Drive name, for -device ide-hd/ide-cd,drive=ID" },
    { .name = "if", .type = QEMU_OPT_STRING, .help = "Interface (none: for a -device)",
      .values = drive_ifs, .def_value_str = "ide" },
    { .name = "index", .type = QEMU_OPT_NUMBER, .help = "Slot: bus index/2, unit index%2",
      .max = IDE_MAX_DRIVES - 1 },
    { .name = "bus", .type = QEMU_OPT_NUMBER, .help = "IDE channel", .max = 1 },
    { .name = "unit", .type = QEMU_OPT_NUMBER, .help = "Master (0) or slave (1)", .max = 1 },
    { .name = "cache", .type = QEMU_OPT_STRING, .help = "Host cache mode",
      .values = blk_cache_mode_names, .def_value_str = "writeback" },
    { .name = "readonly", .type = QEMU_OPT_BOOL, .help = "Open the image read-only",
      .def_value_str = "off" },
    /* Checked in drive_options_parse, in QEMU's words. */
    { .name = "media", .type = QEMU_OPT_STRING,
      .help = "Media type: disk, or cdrom (an ATAPI CD-ROM, read-only, may be empty)",
      .def_value_str = "disk" },
    { .name = "snapshot", .type = QEMU_OPT_BOOL,
      .help = "Writes go to a temporary overlay, the image stays unchanged",
      .def_value_str = "off" },
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

/* QEMU's identifiers: a letter, then letters, digits, '-', '.', '_'. */
static bool drive_id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static bool drive_options_parse(const char *str, DriveOptions *o, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&drive_opts_list, str, errp);

    o->index = o->bus = o->unit = o->snapshot = -1;
    o->node_opts = bdrv_options_new();
    if (!opts) {
        return false;
    }
    o->file = opt_dup(opts, "file");
    o->format = opt_dup(opts, "format");
    o->iface = opt_dup(opts, "if");
    o->cache = opt_dup(opts, "cache");
    o->media = opt_dup(opts, "media");
    o->id = opt_dup(opts, "id");
    o->index = opt_slot_number(opts, "index");
    o->bus = opt_slot_number(opts, "bus");
    o->unit = opt_slot_number(opts, "unit");
    o->readonly = qemu_opt_get_bool(opts, "readonly", false);
    if (qemu_opt_get(opts, "snapshot")) {
        o->snapshot = qemu_opt_get_bool(opts, "snapshot", false);
    }
    if (o->media && !g_strv_contains(drive_media, o->media)) {
        error_setg(errp, "'%s' invalid media", o->media);
        return false;
    }
    if (o->id && !drive_id_wellformed(o->id)) {
        error_setg(errp, "Parameter 'id' expects an identifier\n"
                   "Identifiers consist of letters, digits, '-', '.', '_', starting with "
                   "a letter.");
        return false;
    }
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
        /* QEMU 7.2's words */
        error_setg(errp, "-drive %s: drive with bus=%d, unit=%d (index=%d) exists", str,
                   slot / 2, slot % 2, slot);
        return -1;
    }
    return slot;
}

/*
 * A device's permissions on its drive, as QEMU's IDE devices take them:
 * it reads, a disk also writes unless read-only, and it lets nobody else
 * write (QEMU's share-rw=off).  Checked against every other user of the
 * image, another duet or QEMU included ("Failed to get "write" lock").
 */
static bool ide_drive_take_perm(BlockBackend *blk, bool writes, Error **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ | (writes ? BLK_PERM_WRITE : 0);
    uint64_t shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE;

    return blk_set_perm(blk, perm, shared, errp);
}

static void drive_info_free(gpointer p)
{
    DriveInfo *di = p;

    blk_unref(di->blk);
    g_free(di->id);
    g_free(di->str);
    g_free(di);
}

static DriveInfo *drive_find(PCIIDEState *d, const char *id)
{
    for (unsigned i = 0; d->drives && i < d->drives->len; i++) {
        DriveInfo *di = g_ptr_array_index(d->drives, i);

        if (di->id && !strcmp(di->id, id)) {
            return di;
        }
    }
    return NULL;
}

/* Opens one -drive (its image, if it has one) into d->drives. */
static bool ide_drive_open(PCIIDEState *d, const char *str, bool snapshot_default,
                           bool *used, Error **errp)
{
    DriveOptions o = { 0 };
    DriveInfo *di = NULL;
    bool ok = false, has_file, readonly, snapshot;

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
    if (o.id && drive_find(d, o.id)) {
        error_setg(errp, "-drive %s: Duplicate ID '%s' for drive", str, o.id);
        goto out;
    }
    di = g_new0(DriveInfo, 1);
    di->id = g_strdup(o.id);
    di->str = g_strdup(str);
    di->iface_none = o.iface && !strcmp(o.iface, "none");
    di->cdrom = o.media && !strcmp(o.media, "cdrom");
    di->slot = -1;
    if (!di->iface_none) {
        di->slot = drive_options_slot(&o, used, str, errp);
        if (di->slot < 0) {
            goto out;
        }
        used[di->slot] = true;
    }
    /* A CD-ROM's medium is read-only (QEMU: media=cdrom implies readonly). */
    readonly = o.readonly || di->cdrom;
    /* readonly=on already keeps the image unchanged, and must keep the
     * guest from writing: no overlay then.  A CD-ROM gets one, as in QEMU. */
    snapshot = (o.snapshot >= 0 ? o.snapshot : snapshot_default) && !o.readonly;
    if (has_file && snapshot) {
        di->blk = blk_new_open_snapshot(o.file, o.format, o.cache, o.node_opts, errp);
    } else if (has_file) {
        di->blk = blk_new_open_opts(o.file, o.format, o.cache, readonly, o.node_opts, errp);
    }
    if (has_file && !di->blk) {
        error_prepend(errp, "-drive %s: ", str);
        goto out;
    }
    /* Until a device holds it, a drive reads and lets others do anything
     * (QEMU's -drive without a device). */
    if (di->blk && !blk_set_perm(di->blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, errp)) {
        error_prepend(errp, "-drive %s: ", str);
        goto out;
    }
    /* QEMU's name for the drive (info block, commit, query-block): its id,
     * else ide<bus>-hd<unit> or ide<bus>-cd<unit> */
    if (di->blk) {
        g_autofree char *name = o.id ? g_strdup(o.id)
                                     : g_strdup_printf("ide%d-%s%d", di->slot / 2,
                                                       di->cdrom ? "cd" : "hd", di->slot % 2);
        blk_set_name(di->blk, name);
    }
    di->readonly = readonly;
    g_ptr_array_add(d->drives, g_steal_pointer(&di));
    ok = true;
out:
    if (di) {
        drive_info_free(di);
    }
    drive_options_clear(&o);
    return ok;
}

bool ide_dev_attach_drive(PCIIDEState *d, DriveInfo *di, int bus, int unit,
                          const IDEDriveClass *cls, Error **errp)
{
    BlockBackend *blk = di ? di->blk : NULL;

    if (cls == &ide_hd_class && !blk) {
        error_setg(errp, "Device needs media, but drive is empty");
        return false;
    }
    /* QEMU 7.2 refuses a CD-ROM's drive for a hard disk. */
    if (cls == &ide_hd_class && di->cdrom) {
        error_setg(errp, "Block node is read-only");
        return false;
    }
    if (blk && !ide_drive_take_perm(blk, cls == &ide_hd_class && !di->readonly, errp)) {
        return false;
    }
    if (!ide_drive_attach_class(&d->bus[bus], unit, cls, blk, errp)) {
        return false;
    }
    if (di) {
        di->blk = NULL; /* the drive slot holds it now */
        di->attached = true;
    }
    return true;
}

bool pc_ide_init_drives_snapshot(PCIIDEState *d, GPtrArray *drive_opts, bool snapshot,
                                 Error **errp)
{
    bool used[IDE_MAX_DRIVES] = { false };
    unsigned first;

    if (!d->drives) {
        d->drives = g_ptr_array_new_with_free_func(drive_info_free);
    }
    first = d->drives->len;
    /* As QEMU: every drive opens first, then the if=ide ones get their
     * devices, then -device ide-hd/ide-cd (ide_dev_create) the rest. */
    for (unsigned i = 0; drive_opts && i < drive_opts->len; i++) {
        if (!ide_drive_open(d, g_ptr_array_index(drive_opts, i), snapshot, used, errp)) {
            goto fail;
        }
    }
    for (unsigned i = first; i < d->drives->len; i++) {
        DriveInfo *di = g_ptr_array_index(d->drives, i);

        if (di->slot < 0) {
            continue;
        }
        if (!ide_dev_attach_drive(d, di, di->slot / 2, di->slot % 2,
                                  di->cdrom ? &ide_cd_class : &ide_hd_class, errp)) {
            error_prepend(errp, "-drive %s: ", di->str);
            goto fail;
        }
        di->auto_attached = true;
    }
    return true;

fail:
    /* The drives of this call are closed again (attached ones stay). */
    g_ptr_array_remove_range(d->drives, first, d->drives->len - first);
    return false;
}

bool pc_ide_init_drives(PCIIDEState *d, GPtrArray *drive_opts, Error **errp)
{
    return pc_ide_init_drives_snapshot(d, drive_opts, false, errp);
}

void pc_ide_drives_free(PCIIDEState *d)
{
    g_clear_pointer(&d->drives, g_ptr_array_unref);
}

DriveInfo *pc_ide_find_drive(PCIIDEState *d, const char *id)
{
    return drive_find(d, id);
}
