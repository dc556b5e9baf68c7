/*
 * Parsing of -device strings against a board's list of device types.
 */
#include "hw/qdev-opts.h"

#include <string.h>

static const QemuOptDesc qdev_common_desc[] = {
    { .name = "driver", .type = QEMU_OPT_STRING, .help = "Device type" },
    { .name = "id", .type = QEMU_OPT_STRING, .help = "Device name (accepted, not used)" },
    { NULL },
};

/* A type's properties are checked once the type is known. */
static const QemuOptsList qdev_opts_list = {
    .name = "device", .implied_key = "driver", .pass_unknown = true, .desc = qdev_common_desc,
};

static const DeviceTypeInfo *qdev_find_type(const DeviceTypeInfo *types, size_t nr_types,
                                            const char *name)
{
    for (size_t i = 0; i < nr_types; i++) {
        if (!strcmp(types[i].name, name)) {
            return &types[i];
        }
    }
    return NULL;
}

/* QEMU's shape: "isa-debug-exit options:" and a line per property. */
static void qdev_print_props(FILE *out, const DeviceTypeInfo *type, const char *key)
{
    g_autofree char *title = g_strdup_printf("%s options:", type->name);

    if (!type->props || !type->props->name) {
        fprintf(out, "There are no options for %s.\n", type->name);
        return;
    }
    qemu_opts_print_help(out, key ? NULL : title, type->props, key);
}

/* QEMU 7.2's words for a property the type does not have. */
static bool qdev_check_prop_known(void *opaque, const char *name, const char *value,
                                  const QemuOptDesc *desc, Error **errp)
{
    const DeviceTypeInfo *type = opaque;

    if (!desc && !qemu_opt_find_desc(type->props, name)) {
        error_setg(errp, "Property '%s.%s' not found", type->name, name);
        return false;
    }
    return true;
}

static QemuOpts *qdev_parse(const DeviceTypeInfo *types, size_t nr_types, const char *optstr,
                            FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&qdev_opts_list, optstr, errp);
    const DeviceTypeInfo *type;
    const char *driver;

    *help = false;
    if (!opts) {
        return NULL;
    }
    driver = qemu_opt_get(opts, "driver");
    if (!driver && qemu_opts_help_wanted(opts)) {
        qdev_print_types(out, types, nr_types);
        *help = true;
        return NULL;
    }
    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return NULL;
    }
    type = qdev_find_type(types, nr_types, driver);
    if (!type) {
        error_setg(errp, "'%s' is not a valid device model name (try -device help)", driver);
        return NULL;
    }
    if (!qemu_opts_help_wanted(opts) &&
        !qemu_opt_foreach(opts, qdev_check_prop_known, (void *)type, errp)) {
        return NULL;
    }
    if (!qemu_opts_validate(opts, type->props, errp)) {
        return NULL;
    }
    if (qemu_opts_help_wanted(opts)) {
        qdev_print_props(out, type, qemu_opts_help_key(opts));
        *help = true;
        return NULL;
    }
    return g_steal_pointer(&opts);
}

QemuOpts *qdev_device_opts(const DeviceTypeInfo *types, size_t nr_types, const char *optstr,
                           FILE *out, bool *help, Error **errp)
{
    return qdev_parse(types, nr_types, optstr, out, help, errp);
}

bool qdev_device_add(MachineState *ms, const DeviceTypeInfo *types, size_t nr_types,
                     const char *optstr, Error **errp)
{
    bool help;
    g_autoptr(QemuOpts) opts = qdev_device_opts(types, nr_types, optstr, stdout, &help, errp);
    const DeviceTypeInfo *type;

    if (help) {
        error_setg(errp, "help printed");
    }
    if (!opts) {
        error_prepend(errp, "-device %s: ", optstr);
        return false;
    }
    type = qdev_find_type(types, nr_types, qemu_opt_get(opts, "driver"));
    if (!type->create(ms, opts, errp)) {
        error_prepend(errp, "-device %s: ", optstr);
        return false;
    }
    return true;
}

static const char *const qdev_category_names[DEVICE_CATEGORY_MAX] = {
    [DEVICE_CATEGORY_BRIDGE] = "Controller/Bridge/Hub",
    [DEVICE_CATEGORY_USB] = "USB",
    [DEVICE_CATEGORY_STORAGE] = "Storage",
    [DEVICE_CATEGORY_NETWORK] = "Network",
    [DEVICE_CATEGORY_INPUT] = "Input",
    [DEVICE_CATEGORY_DISPLAY] = "Display",
    [DEVICE_CATEGORY_SOUND] = "Sound",
    [DEVICE_CATEGORY_MISC] = "Misc",
    [DEVICE_CATEGORY_CPU] = "CPU",
    [DEVICE_CATEGORY_WATCHDOG] = "Watchdog",
};

static gint qdev_type_cmp(gconstpointer a, gconstpointer b)
{
    const DeviceTypeInfo *x = *(const DeviceTypeInfo *const *)a;
    const DeviceTypeInfo *y = *(const DeviceTypeInfo *const *)b;

    return strcmp(x->name, y->name);
}

/* QEMU's -device help: a heading per category that has devices, the
 * devices sorted by name, a blank line between categories. */
void qdev_print_types(FILE *out, const DeviceTypeInfo *types, size_t nr_types)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    bool first = true;

    for (size_t i = 0; i < nr_types; i++) {
        g_ptr_array_add(sorted, (gpointer)&types[i]);
    }
    g_ptr_array_sort(sorted, qdev_type_cmp);
    for (int cat = 0; cat < DEVICE_CATEGORY_MAX; cat++) {
        bool printed = false;

        for (guint i = 0; i < sorted->len; i++) {
            const DeviceTypeInfo *t = g_ptr_array_index(sorted, i);

            if (t->category != (DeviceCategory)cat) {
                continue;
            }
            if (!printed) {
                fprintf(out, "%s%s devices:\n", first ? "" : "\n", qdev_category_names[cat]);
                printed = true;
                first = false;
            }
            fprintf(out, "name \"%s\", bus %s", t->name, t->bus);
            if (t->desc) {
                fprintf(out, ", desc \"%s\"", t->desc);
            }
            fprintf(out, "\n");
        }
    }
}
