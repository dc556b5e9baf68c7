/*
 * -device DRIVER[,prop=value...]: the board lists the device types a user
 * may create; each type names its properties, and anything else on the
 * command line is an error before the device is built.
 */
#ifndef HW_QDEV_OPTS_H
#define HW_QDEV_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "hw/boards.h"

typedef struct DeviceOpts DeviceOpts;

typedef struct DeviceTypeInfo {
    const char *name;
    const char *desc;
    const char *const *props;  /* NULL-terminated property names */
    const char *props_help;    /* e.g. "iobase=PORT (default 0x501)" */
    bool (*create)(MachineState *ms, DeviceOpts *opts, Error **errp);
} DeviceTypeInfo;

/* Unsigned property (decimal, 0x hex, 0 octal) in [0, max], or @def when absent. */
bool qdev_opt_get_uint(DeviceOpts *opts, const char *name, uint64_t def, uint64_t max,
                       uint64_t *val, Error **errp);
/* The device's name as given on the command line (for messages). */
const char *qdev_opt_driver(DeviceOpts *opts);

bool qdev_device_add(MachineState *ms, const DeviceTypeInfo *types, size_t nr_types,
                     const char *optstr, Error **errp);
void qdev_print_types(FILE *out, const DeviceTypeInfo *types, size_t nr_types);

#endif
