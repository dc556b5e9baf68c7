/*
 * Parsing of -device strings against a board's list of device types.
 */
#include "hw/qdev-opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct DeviceOpts {
    const char *optstr;
    char *driver;
    GHashTable *props; /* name -> value */
};

const char *qdev_opt_driver(DeviceOpts *opts)
{
    return opts->driver;
}

bool qdev_opt_get_uint(DeviceOpts *opts, const char *name, uint64_t def, uint64_t max,
                       uint64_t *val, Error **errp)
{
    const char *str = g_hash_table_lookup(opts->props, name);
    char *end;

    if (!str) {
        *val = def;
        return true;
    }
    errno = 0;
    *val = strtoull(str, &end, 0);
    if (!*str || *end || errno || *str == '-' || *val > max) {
        error_setg(errp, "-device %s: property %s=%s: expected a number from 0 to 0x%" PRIx64,
                   opts->optstr, name, str, max);
        return false;
    }
    return true;
}

static bool qdev_type_has_prop(const DeviceTypeInfo *type, const char *name)
{
    if (!strcmp(name, "id")) {
        return true; /* accepted for QEMU compatibility, not used */
    }
    for (const char *const *p = type->props; p && *p; p++) {
        if (!strcmp(*p, name)) {
            return true;
        }
    }
    return false;
}

static bool qdev_parse(DeviceOpts *opts, const DeviceTypeInfo *type, char **items,
                       Error **errp)
{
    for (int i = 1; items[i]; i++) {
        char *eq = strchr(items[i], '=');

        if (!eq || eq == items[i]) {
            error_setg(errp, "-device %s: '%s' is not of the form property=value",
                       opts->optstr, items[i]);
            return false;
        }
        *eq = '\0';
        if (!qdev_type_has_prop(type, items[i])) {
            error_setg(errp, "-device %s: %s has no property '%s' (it has: %s)", opts->optstr,
                       type->name, items[i], type->props_help ? type->props_help : "none");
            return false;
        }
        if (g_hash_table_contains(opts->props, items[i])) {
            error_setg(errp, "-device %s: property '%s' given twice", opts->optstr, items[i]);
            return false;
        }
        g_hash_table_insert(opts->props, g_strdup(items[i]), g_strdup(eq + 1));
    }
    return true;
}

bool qdev_device_add(MachineState *ms, const DeviceTypeInfo *types, size_t nr_types,
                     const char *optstr, Error **errp)
{
    g_auto(GStrv) items = g_strsplit(optstr, ",", -1);
    const DeviceTypeInfo *type = NULL;
    DeviceOpts opts = { .optstr = optstr };
    bool ok;

    if (!items[0] || !*items[0]) {
        error_setg(errp, "-device '%s': missing device name", optstr);
        return false;
    }
    /* "driver=NAME" is QEMU's long spelling of the first item */
    opts.driver = g_str_has_prefix(items[0], "driver=") ? items[0] + 7 : items[0];
    for (size_t i = 0; i < nr_types; i++) {
        if (!strcmp(types[i].name, opts.driver)) {
            type = &types[i];
        }
    }
    if (!type) {
        error_setg(errp, "-device %s: unknown device '%s' (try -device help)", optstr,
                   opts.driver);
        return false;
    }
    opts.props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ok = qdev_parse(&opts, type, items, errp) && type->create(ms, &opts, errp);
    g_hash_table_destroy(opts.props);
    return ok;
}

void qdev_print_types(FILE *out, const DeviceTypeInfo *types, size_t nr_types)
{
    fprintf(out, "Devices (-device NAME[,prop=value...]):\n");
    for (size_t i = 0; i < nr_types; i++) {
        fprintf(out, "name \"%s\", %s\n", types[i].name, types[i].desc);
        if (types[i].props_help) {
            fprintf(out, "    properties: %s\n", types[i].props_help);
        }
    }
}
