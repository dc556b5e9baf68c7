/*
 * Inside the main program: the command line's state and option table
 * entries, shared by system/vl.c (machine, drives, accelerator) and
 * system/vl-monitor.c (chardevs, monitors, -name, -pidfile, -daemonize,
 * -S, and QEMU's options duet does not have).
 */
#ifndef SYSTEM_VL_INTERNAL_H
#define SYSTEM_VL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "qapi/error.h"
#include "sysemu/machine.h"

typedef enum VLMonitorKind { VL_MON_HMP, VL_MON_QMP, VL_MON_QMP_PRETTY, VL_MON_OPTS } VLMonitorKind;

typedef struct VLMonitorSpec {
    VLMonitorKind kind;
    char *spec;             /* a chardev spec ("stdio", "unix:P,server=on"), or -mon's options */
} VLMonitorSpec;

/* What the command line asked for, beyond the MachineState fields. */
typedef struct VLConfig {
    MachineState *ms;
    char *accel_spec;       /* "kvm", "kvm:tcg" (first usable wins); owned */
    bool exit_now;          /* -help, -version, "help" arguments: done */
    bool mtree;
    int hd_count;

    /* vl-monitor.c */
    GPtrArray *chardev_opts; /* -chardev strings */
    GArray *monitors;        /* of VLMonitorSpec */
    const char *debugcon_spec;
    bool serial_given;       /* -serial (or -nodefaults) decided COM1 */
    bool monitor_given;      /* -monitor, -qmp, -mon */
    bool nographic;
    bool nodefaults;
    bool start_paused;       /* -S */
    const char *gdb_spec;    /* -gdb, -s */
    bool daemonize;
    const char *pidfile;
    char *vm_name;           /* -name guest=NAME */
    bool pidfile_written;
    int daemon_fd;           /* -daemonize: the pipe to the waiting parent; -1 */
} VLConfig;

typedef struct QEMUOption {
    const char *name;
    const char *arg_name; /* NULL: the option takes no argument */
    bool (*handler)(VLConfig *cfg, const char *arg, Error **errp);
    const char *help;
} QEMUOption;

/* vl-monitor.c: its options (-chardev, -serial, -monitor, -qmp, -mon,
 * -debugcon, -nographic, -nodefaults, -name, -pidfile, -daemonize, -S). */
extern const QEMUOption vl_monitor_options[];
extern const size_t vl_monitor_options_count;
/* QEMU 7.2's option names (qemu-system-x86_64 -help): those duet lacks get
 * "this QEMU option is not supported by duet", not "invalid option". */
bool vl_is_qemu_option(const char *name);

void vl_monitor_config_init(VLConfig *cfg);
/* Frees what the command line's monitor options left (qemu_init's end). */
void vl_monitor_config_free(VLConfig *cfg);
/* After parsing: -nographic's and the default serial/monitor, -daemonize's
 * checks (no stdio). */
bool vl_monitor_config_finish(VLConfig *cfg, Error **errp);
/* -daemonize: forks; the parent waits until the child says the machine is
 * up (exit 0) or dies (exit 1).  Before any thread exists. */
bool vl_daemonize_start(VLConfig *cfg, Error **errp);
void vl_daemonize_done(VLConfig *cfg);
bool vl_write_pidfile(VLConfig *cfg, Error **errp);
/* Before the board: every chardev (-chardev, -serial's, -debugcon's, the
 * monitors'); sockets with wait=on wait for their client here. */
bool vl_open_chardevs(VLConfig *cfg, Error **errp);
/* After the board: the monitors on their chardevs. */
bool vl_start_monitors(VLConfig *cfg, Error **errp);
/* At exit: monitors, chardevs, the pidfile. */
void vl_monitor_cleanup(void);

#endif
