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
