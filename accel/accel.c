/*
 * The accelerators: one explicit list.  A new accelerator is one const
 * AccelOps table in its own folder plus one line here.
 */
#include <string.h>

#include "sysemu/accel.h"

static const AccelOps *const accel_list[] = {
    &tcg_accel_ops,
    &kvm_accel_ops,
};

const AccelOps *accel_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(accel_list); i++) {
        if (!strcmp(accel_list[i]->name, name)) {
            return accel_list[i];
        }
    }
    return NULL;
}

const AccelOps *accel_default(void)
{
    return accel_list[0];
}

void accel_print_list(FILE *out)
{
    fprintf(out, "Accelerators supported in duet binary:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(accel_list); i++) {
        const AccelOps *ops = accel_list[i];
        g_autoptr(Error) err = NULL;

        if (ops->probe(&err)) {
            fprintf(out, "%-6s %s (usable)\n", ops->name, ops->description);
        } else {
            fprintf(out, "%-6s %s (not usable here: %s)\n", ops->name, ops->description,
                    error_get_pretty(err));
        }
    }
}

static const QemuOptDesc accel_common_desc[] = {
    { .name = "accel", .type = QEMU_OPT_STRING, .help = "Accelerator (-accel help lists them)" },
    { NULL },
};

/* The accelerator's own keys are checked once it is known. */
static const QemuOptsList accel_opts_list = {
    .name = "accel", .implied_key = "accel", .pass_unknown = true, .desc = accel_common_desc,
};

static void accel_print_opts(FILE *out, const AccelOps *ops, const char *key)
{
    g_autofree char *title = g_strdup_printf("%s options:", ops->name);

    if (!ops->opts || !ops->opts->name) {
        fprintf(out, "There are no options for %s.\n", ops->name);
        return;
    }
    qemu_opts_print_help(out, key ? NULL : title, ops->opts, key);
}

QemuOpts *accel_opts_parse(const char *str, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&accel_opts_list, str, errp);
    const AccelOps *ops;
    const char *name;

    *help = false;
    if (!opts) {
        return NULL;
    }
    name = qemu_opt_get(opts, "accel");
    if (!name && qemu_opts_help_wanted(opts)) {
        accel_print_list(out);
        *help = true;
        return NULL;
    }
    if (!name) {
        error_setg(errp, "Parameter 'accel' is missing");
        return NULL;
    }
    ops = accel_find(name);
    if (!ops) {
        error_setg(errp, "invalid accelerator %s (try -accel help)", name);
        return NULL;
    }
    if (!qemu_opts_validate(opts, ops->opts, errp)) {
        return NULL;
    }
    if (qemu_opts_help_wanted(opts)) {
        accel_print_opts(out, ops, qemu_opts_help_key(opts));
        *help = true;
        return NULL;
    }
    return g_steal_pointer(&opts);
}
