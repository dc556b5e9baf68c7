/*
 * -device ide-hd and -device ide-cd on the PIIX IDE function: the device
 * takes a drive that -drive if=none,id=ID opened (drive=ID), on channel
 * bus=ide.0 or ide.1, as unit 0 (master) or 1 (slave).  Without bus= the
 * secondary channel, without unit= the master if it is free (QEMU 7.2).
 * The errors are QEMU 7.2's, in its order: bus, drive, unit, medium.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/ide/pci.h"
#include "ide-internal.h"

const QemuOptDesc ide_dev_props[] = {
    { .name = "drive", .type = QEMU_OPT_STRING,
      .help = "Drive ID (-drive if=none,id=ID,...); ide-cd: none is an empty drive" },
    { .name = "bus", .type = QEMU_OPT_STRING, .help = "IDE channel: ide.0 or ide.1" },
    { .name = "unit", .type = QEMU_OPT_NUMBER, .help = "0 (master) or 1 (slave)" },
    { NULL },
};

/* bus=ide.N; without it ide.1, full or not: QEMU 7.2 puts such a device on
 * the IDE bus it created last (info qtree shows it). */
static int ide_dev_find_bus(PCIIDEState *d, const char *name, Error **errp)
{
    if (!name) {
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        g_autofree char *n = g_strdup_printf("ide.%d", i);

        if (!strcmp(name, n)) {
            return i;
        }
    }
    error_setg(errp, "Bus '%s' not found", name);
    return -1;
}

static bool ide_dev_find_drive(PCIIDEState *d, const char *type, const char *id,
                               DriveInfo **out, Error **errp)
{
    DriveInfo *di;

    *out = NULL;
    if (!id || !*id) {
        return true;
    }
    di = pc_ide_find_drive(d, id);
    if (!di) {
        error_setg(errp, "Property '%s.drive' can't find value '%s'", type, id);
        return false;
    }
    if (di->auto_attached) {
        error_setg(errp, "Drive '%s' is already in use because it has been automatically "
                   "connected to another device (did you need 'if=none' in the drive "
                   "options?)", id);
        return false;
    }
    if (di->attached) {
        error_setg(errp, "Drive '%s' is already in use by another device", id);
        return false;
    }
    *out = di;
    return true;
}

bool ide_dev_create(PCIIDEState *d, QemuOpts *opts, const IDEDriveClass *cls, Error **errp)
{
    const char *id = qemu_opt_get(opts, "drive");
    DriveInfo *di;
    IDEBus *bus;
    uint64_t unit;
    int b;

    b = ide_dev_find_bus(d, qemu_opt_get(opts, "bus"), errp);
    if (b < 0 || !ide_dev_find_drive(d, cls->name, id, &di, errp)) {
        return false;
    }
    bus = &d->bus[b];
    unit = qemu_opt_get_number(opts, "unit", bus->ifs[0].present ? 1 : 0);
    if (unit > 1) {
        error_setg(errp, "Can't create IDE unit %" PRIu64 ", bus supports only 2 units", unit);
        return false;
    }
    if (bus->ifs[unit].present) {
        error_setg(errp, "IDE unit %" PRIu64 " is in use", unit);
        return false;
    }
    if (cls == &ide_hd_class && !di) {
        error_setg(errp, "No drive specified");
        return false;
    }
    return ide_dev_attach_drive(d, di, b, unit, cls, errp);
}
