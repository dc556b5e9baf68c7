/*
 * -device DRIVER[,prop=value...]: the board lists the device types a user
 * may create; each type describes its properties in a QemuOptDesc table,
 * and anything else on the command line is an error before the device is
 * built.  The syntax is the option parser's (qemu/option.h): "driver" is
 * the implied first key, "id" is accepted for QEMU compatibility.
 */
#ifndef HW_QDEV_OPTS_H
#define HW_QDEV_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "hw/boards.h"
#include "qemu/option.h"

/* QEMU's device categories, in the order -device help lists them. */
typedef enum DeviceCategory {
    DEVICE_CATEGORY_BRIDGE,
    DEVICE_CATEGORY_USB,
    DEVICE_CATEGORY_STORAGE,
    DEVICE_CATEGORY_NETWORK,
    DEVICE_CATEGORY_INPUT,
    DEVICE_CATEGORY_DISPLAY,
    DEVICE_CATEGORY_SOUND,
    DEVICE_CATEGORY_MISC,
    DEVICE_CATEGORY_CPU,
    DEVICE_CATEGORY_WATCHDOG,
    DEVICE_CATEGORY_MAX
} DeviceCategory;

typedef struct DeviceTypeInfo {
    const char *name;
    const char *bus;           /* "ISA": for -device help */
    const char *desc;          /* NULL: none (QEMU prints none for most ISA devices) */
    DeviceCategory category;
    const QemuOptDesc *props;  /* what -device may set; the getters read it */
    bool (*create)(MachineState *ms, QemuOpts *opts, Error **errp);
} DeviceTypeInfo;

/*
 * Parses @optstr and checks it against its type's properties.  A help
 * request ("help", "isa-debug-exit,help", "isa-debug-exit,iobase=help")
 * is printed to @out and sets *help; then, and on error, NULL.
 */
QemuOpts *qdev_device_opts(const DeviceTypeInfo *types, size_t nr_types, const char *optstr,
                           FILE *out, bool *help, Error **errp);
/* Parses, checks and creates; errors start with "-device OPTSTR: ", and a
 * help request is one here. */
bool qdev_device_add(MachineState *ms, const DeviceTypeInfo *types, size_t nr_types,
                     const char *optstr, Error **errp);
void qdev_print_types(FILE *out, const DeviceTypeInfo *types, size_t nr_types);

#endif
