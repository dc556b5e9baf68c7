/*
 * The command line's chardev, monitor and process options, as
 * qemu-system-x86_64 spells them:
 *
 *   -chardev BACKEND,id=ID,...     -serial SPEC|chardev:ID|mon:SPEC|none
 *   -monitor SPEC|none             -qmp SPEC   -qmp-pretty SPEC
 *   -mon [chardev=]ID[,mode=readline|control][,pretty=on]
 *   -debugcon SPEC                 -nographic  -nodefaults
 *   -name [guest=]NAME[,process=P][,debug-threads=on]
 *   -pidfile FILE   -daemonize   -S
 *
 * -nographic as QEMU: without -serial and -monitor, COM1 and the monitor
 * share stdio (mon:stdio, C-a c switches); with one of them given, the
 * other alone goes to stdio.  Without -nographic, COM1 is on stdio (duet
 * has no display for QEMU's default "vc") unless a monitor or -debugcon
 * took stdio, and there is no monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chardev/char.h"
#include "gdbstub/gdbstub.h"
#include "monitor/monitor.h"
#include "qemu/option.h"
#include "sysemu/runstate.h"
#include "vl-internal.h"

static char *pidfile_path; /* written by us: removed at exit */
static char *vm_name;      /* -name: the monitors show it until exit */

void vl_monitor_config_init(VLConfig *cfg)
{
    cfg->chardev_opts = g_ptr_array_new_with_free_func(g_free);
    cfg->monitors = g_array_new(false, true, sizeof(VLMonitorSpec));
    cfg->daemon_fd = -1;
}

static bool add_monitor(VLConfig *cfg, VLMonitorKind kind, const char *spec, Error **errp)
{
    VLMonitorSpec m = { kind, g_strdup(spec) };
    bool help = false;

    cfg->monitor_given = true;
    if (!strcmp(spec, "none")) {
        g_free(m.spec);
        return true;
    }
    if (kind == VL_MON_OPTS ? !monitor_check_opts(spec, stdout, &help, errp)
                            : !qemu_chr_check_spec(spec, stdout, &help, errp)) {
        g_free(m.spec);
        return false;
    }
    if (help) {
        g_free(m.spec);
        cfg->exit_now = true;
        return true;
    }
    g_array_append_val(cfg->monitors, m);
    return true;
}

static bool opt_monitor(VLConfig *cfg, const char *arg, Error **errp)
{
    return add_monitor(cfg, VL_MON_HMP, arg, errp);
}

static bool opt_qmp(VLConfig *cfg, const char *arg, Error **errp)
{
    return add_monitor(cfg, VL_MON_QMP, arg, errp);
}

static bool opt_qmp_pretty(VLConfig *cfg, const char *arg, Error **errp)
{
    return add_monitor(cfg, VL_MON_QMP_PRETTY, arg, errp);
}

static bool opt_mon(VLConfig *cfg, const char *arg, Error **errp)
{
    return add_monitor(cfg, VL_MON_OPTS, arg, errp);
}

static bool opt_chardev(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;

    /* Only checked here: it is opened once the whole line is in. */
    if (!qemu_chr_check_spec(arg, stdout, &help, errp)) {
        return false;
    }
    if (help) {
        cfg->exit_now = true;
        return true;
    }
    g_ptr_array_add(cfg->chardev_opts, g_strdup(arg));
    return true;
}

/* Checked now; vl_open_chardevs opens it, the board attaches COM1. */
static bool opt_serial(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;

    if (strcmp(arg, "none") && !qemu_chr_check_spec(arg, stdout, &help, errp)) {
        return false;
    }
    if (strcmp(arg, "none") && help) {
        cfg->exit_now = true;
        return true;
    }
    if (cfg->ms->serial_spec) {
        error_setg(errp, "duet has one serial port (COM1)");
        return false;
    }
    cfg->ms->serial_spec = arg;
    cfg->serial_given = true;
    return true;
}

static bool opt_debugcon(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;

    if (!qemu_chr_check_spec(arg, stdout, &help, errp)) {
        return false;
    }
    if (help) {
        cfg->exit_now = true;
        return true;
    }
    cfg->debugcon_spec = arg;
    return true;
}

static bool opt_nographic(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->nographic = true;
    cfg->ms->nographic = true;
    return true;
}

static bool opt_nodefaults(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->nodefaults = true;
    return true;
}

static bool opt_S(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->start_paused = true;
    return true;
}

static bool opt_gdb(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autofree char *spec = gdbserver_chardev_spec(arg);
    bool help;

    if (strcmp(arg, "none") && !g_str_has_prefix(arg, "chardev:") &&
        !qemu_chr_check_spec(spec, stdout, &help, errp)) {
        return false;
    }
    cfg->gdb_spec = arg;
    return true;
}

/* -s: QEMU's -gdb tcp::1234, but on the loopback only. */
static bool opt_s(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->gdb_spec = "tcp:127.0.0.1:1234";
    return true;
}

static bool opt_daemonize(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->daemonize = true;
    return true;
}

static bool opt_pidfile(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->pidfile = arg;
    return true;
}

static const QemuOptDesc name_desc[] = {
    { .name = "guest", .type = QEMU_OPT_STRING, .help = "Sets the name of the guest" },
    { .name = "process", .type = QEMU_OPT_STRING, .help = "Sets the name of the duet process" },
    { .name = "debug-threads", .type = QEMU_OPT_BOOL,
      .help = "Name threads (duet always does)", .def_value_str = "off" },
    { NULL },
};

static const QemuOptsList name_opts_list = {
    .name = "name", .implied_key = "guest", .desc = name_desc,
};

static bool opt_name(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&name_opts_list, arg, errp);
    const char *process;

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(stdout, qemu_opts_help_key(opts) ? NULL : "name options:",
                             name_desc, qemu_opts_help_key(opts));
        cfg->exit_now = true;
        return true;
    }
    g_free(cfg->vm_name);
    cfg->vm_name = g_strdup(qemu_opt_get(opts, "guest"));
    process = qemu_opt_get(opts, "process");
    if (process) {
        prctl(PR_SET_NAME, process);
    }
    return true;
}

const QEMUOption vl_monitor_options[] = {
    { "chardev", "BACKEND,id=ID[,...]", opt_chardev,
      "character device: stdio, file, pipe, socket, null (mux=on: shared); 'help' lists" },
    { "serial", "SPEC", opt_serial,
      "COM1: stdio (default), mon:stdio, file:PATH, pipe:PATH, unix:PATH[,server=on],"
      " tcp:HOST:PORT[,server=on], chardev:ID, null, none" },
    { "monitor", "SPEC", opt_monitor, "the human monitor on a chardev SPEC (as -serial), or none" },
    { "qmp", "SPEC", opt_qmp, "QMP on a chardev SPEC: unix:PATH,server=on,wait=off ..." },
    { "qmp-pretty", "SPEC", opt_qmp_pretty, "like -qmp, with indented JSON" },
    { "mon", "[chardev=]ID[,mode=readline|control][,pretty=on]", opt_mon,
      "a monitor on a -chardev" },
    { "debugcon", "SPEC", opt_debugcon, "isa-debugcon (port 0xe9) on a chardev SPEC" },
    { "nographic", NULL, opt_nographic,
      "COM1 and the monitor on stdio (C-a c switches, C-a x quits, C-a h helps)" },
    { "nodefaults", NULL, opt_nodefaults, "no default COM1 backend or monitor" },
    { "S", NULL, opt_S, "start with the vCPU stopped ('cont' starts it)" },
    { "gdb", "tcp:[HOST]:PORT|unix:PATH|chardev:ID|none", opt_gdb,
      "wait for gdb there (an empty HOST is 127.0.0.1, not every interface)" },
    { "s", NULL, opt_s, "-gdb tcp:127.0.0.1:1234" },
    { "name", "[guest=]NAME[,process=P]", opt_name, "the guest's name (info name, query-name)" },
    { "pidfile", "FILE", opt_pidfile, "write duet's PID to FILE (locked; removed at exit)" },
    { "daemonize", NULL, opt_daemonize,
      "detach once the machine is up (start-up errors still reach the terminal)" },
};
const size_t vl_monitor_options_count = G_N_ELEMENTS(vl_monitor_options);

/* qemu-system-x86_64 7.2's options (its -help), for the unsupported-option
 * message; duet's own table is looked up first. */
static const char *const qemu_option_names[] = {
    "accel", "acpitable", "action", "add-fd", "append", "async-teardown", "audio",
    "audio-help", "audiodev", "bios", "blockdev", "boot", "cdrom", "chardev", "chroot",
    "compat", "cpu", "d", "D", "daemonize", "debugcon", "device", "dfilter", "display",
    "drive", "dtb", "dump-vmstate", "echr", "enable-kvm", "enable-sync-profile", "fda", "fdb",
    "fsdev", "full-screen", "fw_cfg", "g", "gdb", "global", "h", "hda", "hdb", "hdc", "hdd",
    "help", "icount", "incoming", "initrd", "iscsi", "k", "kernel", "L", "loadvm", "m",
    "machine", "M", "mem-path", "mem-prealloc", "mon", "monitor", "msg", "mtdblock", "name",
    "net", "netdev", "nic", "no-acpi", "no-fd-bootchk", "no-hpet", "no-reboot", "no-shutdown",
    "no-user-config", "nodefaults", "nographic", "numa", "object", "only-migratable",
    "option-rom", "overcommit", "parallel", "pflash", "pidfile", "plugin", "portrait",
    "preconfig", "qmp", "qmp-pretty", "readconfig", "rotate", "rtc", "runas", "s", "S",
    "sandbox", "sd", "seed", "serial", "set", "singlestep", "smbios", "smp", "snapshot",
    "spice", "tpmdev", "trace", "usb", "usbdevice", "uuid", "version", "vga", "virtfs",
    "vnc", "watchdog-action", "win2k-hack", "xen-attach", "xen-domid", "xen-domid-restrict",
    NULL,
};

bool vl_is_qemu_option(const char *name)
{
    for (int i = 0; qemu_option_names[i]; i++) {
        if (!strcmp(qemu_option_names[i], name)) {
            return true;
        }
    }
    return false;
}

static bool spec_uses_stdio(const char *spec)
{
    const char *p = g_str_has_prefix(spec, "mon:") ? spec + 4 : spec;

    return !strcmp(p, "stdio") || g_str_has_prefix(p, "stdio,") ||
           g_str_has_prefix(p, "backend=stdio");
}

/* C-a x: an orderly quit, as QEMU's (qmp_quit): drives are closed. */
static void vl_mux_quit(void)
{
    qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

/* Whether a monitor, -debugcon or a -chardev (not COM1) is on stdio. */
static bool others_use_stdio(const VLConfig *cfg)
{
    bool stdio = cfg->debugcon_spec && spec_uses_stdio(cfg->debugcon_spec);

    for (guint i = 0; i < cfg->monitors->len; i++) {
        VLMonitorSpec *m = &g_array_index(cfg->monitors, VLMonitorSpec, i);
        stdio |= m->kind != VL_MON_OPTS && spec_uses_stdio(m->spec);
    }
    for (guint i = 0; i < cfg->chardev_opts->len; i++) {
        stdio |= spec_uses_stdio(g_ptr_array_index(cfg->chardev_opts, i));
    }
    return stdio;
}

bool vl_monitor_config_finish(VLConfig *cfg, Error **errp)
{
    MachineState *ms = cfg->ms;

    if (cfg->nodefaults) {
        if (!ms->serial_spec) {
            ms->serial_spec = "none";
        }
        cfg->serial_given = true;
        cfg->monitor_given = true;
    }
    if (cfg->nographic) {
        if (cfg->daemonize) {
            error_setg(errp, "-nographic cannot be used with -daemonize");
            return false;
        }
        if (!cfg->serial_given && !cfg->monitor_given) {
            ms->serial_spec = "mon:stdio";
        } else if (!cfg->serial_given) {
            ms->serial_spec = "stdio";
        } else if (!cfg->monitor_given) {
            VLMonitorSpec m = { VL_MON_HMP, g_strdup("stdio") };
            g_array_append_val(cfg->monitors, m);
        }
    }
    if (!ms->serial_spec) {
        /* COM1 goes nowhere, as QEMU's vc does without a display, when there
         * is no terminal (a daemon) or another option took stdio
         * (`-monitor stdio`, `-debugcon stdio`). */
        ms->serial_spec = cfg->daemonize || others_use_stdio(cfg) ? "null" : "stdio";
    }
    if (cfg->daemonize &&
        (spec_uses_stdio(ms->serial_spec) || others_use_stdio(cfg))) {
        error_setg(errp, "cannot use stdio with -daemonize");
        return false;
    }
    if (cfg->debugcon_spec) {
        g_ptr_array_add(ms->device_opts, g_strdup("isa-debugcon,iobase=0xe9,chardev=debugcon"));
    }
    qemu_chr_set_quit_handler(vl_mux_quit);
    return true;
}

bool vl_daemonize_start(VLConfig *cfg, Error **errp)
{
    int fds[2];
    pid_t pid;

    if (!cfg->daemonize) {
        return true;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_setg_errno(errp, errno, "-daemonize: cannot create a pipe");
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        error_setg_errno(errp, errno, "-daemonize: cannot fork");
        return false;
    }
    if (pid > 0) {
        /* The parent: 0 once the child says it is up, 1 if it died first
         * (it printed why on our terminal). */
        char status;
        ssize_t n;

        close(fds[1]);
        do {
            n = read(fds[0], &status, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 && status == 0 ? 0 : 1);
    }
    close(fds[0]);
    setsid();
    cfg->daemon_fd = fds[1];
    return true;
}

void vl_daemonize_done(VLConfig *cfg)
{
    char ok = 0;
    int null;

    if (cfg->daemon_fd < 0) {
        return;
    }
    /* From now on nothing reaches the terminal (QEMU's os_setup_post). */
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    if (write(cfg->daemon_fd, &ok, 1) != 1) {
        /* the parent is gone: nobody to tell */
    }
    close(cfg->daemon_fd);
    cfg->daemon_fd = -1;
}

bool vl_write_pidfile(VLConfig *cfg, Error **errp)
{
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    g_autofree char *pid = NULL;
    int fd;

    if (!cfg->pidfile) {
        return true;
    }
    fd = open(cfg->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create PID file: Cannot open pid file");
        return false;
    }
    /* Held until exit: a second duet with the same file is refused. */
    if (fcntl(fd, F_SETLK, &lk) < 0) {
        error_setg_errno(errp, errno, "cannot create PID file: Cannot lock pid file");
        close(fd);
        return false;
    }
    pid = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
        error_setg_errno(errp, errno, "cannot create PID file: Failed to write pid file");
        close(fd);
        return false;
    }
    pidfile_path = g_strdup(cfg->pidfile); /* fd stays open: the lock with it */
    cfg->pidfile_written = true;
    return true;
}

static Chardev *open_spec(const char *label, const char *spec, bool *mux_mon, Error **errp)
{
    Chardev *chr = qemu_chr_new(label, spec, mux_mon, errp);

    if (!chr) {
        error_prepend(errp, "%s: ", spec);
    }
    return chr;
}

bool vl_open_chardevs(VLConfig *cfg, Error **errp)
{
    MachineState *ms = cfg->ms;
    bool help;
    bool mux_mon = false;

    for (guint i = 0; i < cfg->chardev_opts->len; i++) {
        const char *opt = g_ptr_array_index(cfg->chardev_opts, i);

        if (!qemu_chardev_new_opts(opt, stdout, &help, errp)) {
            error_prepend(errp, "-chardev %s: ", opt);
            return false;
        }
    }
    if (ms->serial_spec && strcmp(ms->serial_spec, "none")) {
        ms->serial_chr = qemu_chr_new("serial0", ms->serial_spec, &mux_mon, errp);
        if (!ms->serial_chr) {
            error_prepend(errp, "-serial %s: ", ms->serial_spec);
            return false;
        }
        if (mux_mon) {
            /* mon:SPEC: the human monitor shares COM1's backend. */
            VLMonitorSpec m = { VL_MON_HMP, g_strdup_printf("chardev:%s",
                                                            qemu_chr_label(ms->serial_chr)) };
            g_array_prepend_val(cfg->monitors, m);
        }
    }
    if (cfg->debugcon_spec && !open_spec("debugcon", cfg->debugcon_spec, NULL, errp)) {
        error_prepend(errp, "-debugcon: ");
        return false;
    }
    for (guint i = 0; i < cfg->monitors->len; i++) {
        VLMonitorSpec *m = &g_array_index(cfg->monitors, VLMonitorSpec, i);
        g_autofree char *label = NULL;
        bool mon_mux = false;
        Chardev *chr;

        if (m->kind == VL_MON_OPTS || g_str_has_prefix(m->spec, "chardev:")) {
            continue;
        }
        label = g_strdup_printf("compat_monitor%u", i);
        chr = qemu_chr_new(label, m->spec, &mon_mux, errp);
        if (!chr) {
            error_prepend(errp, "-%s %s: ", m->kind == VL_MON_HMP ? "monitor" : "qmp", m->spec);
            return false;
        }
        g_free(m->spec);
        m->spec = g_strdup_printf("chardev:%s", label);
    }
    return true;
}

void vl_monitor_config_free(VLConfig *cfg)
{
    for (guint i = 0; cfg->monitors && i < cfg->monitors->len; i++) {
        g_free(g_array_index(cfg->monitors, VLMonitorSpec, i).spec);
    }
    if (cfg->monitors) {
        g_array_free(cfg->monitors, true);
    }
    if (cfg->chardev_opts) {
        g_ptr_array_free(cfg->chardev_opts, true);
    }
    g_free(cfg->vm_name);
    cfg->monitors = NULL;
    cfg->chardev_opts = NULL;
    cfg->vm_name = NULL;
}

bool vl_start_monitors(VLConfig *cfg, Error **errp)
{
    bool help;

    g_free(vm_name);
    vm_name = g_strdup(cfg->vm_name);
    monitor_init_globals(cfg->ms, vm_name);
    for (guint i = 0; i < cfg->monitors->len; i++) {
        VLMonitorSpec *m = &g_array_index(cfg->monitors, VLMonitorSpec, i);
        Chardev *chr;
        bool ok;

        if (m->kind == VL_MON_OPTS) {
            if (!monitor_new_opts(m->spec, stdout, &help, errp)) {
                error_prepend(errp, "-mon %s: ", m->spec);
                return false;
            }
            continue;
        }
        chr = qemu_chr_find(m->spec + strlen("chardev:"));
        if (!chr) {
            error_setg(errp, "chardev \"%s\" not found", m->spec + strlen("chardev:"));
            return false;
        }
        ok = m->kind == VL_MON_HMP ? monitor_new_hmp(chr, errp) != NULL
                                   : monitor_new_qmp(chr, m->kind == VL_MON_QMP_PRETTY, errp)
                                         != NULL;
        if (!ok) {
            error_prepend(errp, "-%s: ", m->kind == VL_MON_HMP ? "monitor" : "qmp");
            return false;
        }
    }
    gdbserver_set_monitor_handler(monitor_hmp_command);
    if (cfg->gdb_spec && !gdbserver_start(cfg->ms, cfg->gdb_spec, errp)) {
        error_prepend(errp, "-gdb %s: ", cfg->gdb_spec);
        return false;
    }
    return true;
}

void vl_monitor_cleanup(void)
{
    gdbserver_cleanup();
    monitor_cleanup();
    qemu_chr_cleanup_all();
    if (pidfile_path) {
        unlink(pidfile_path);
        g_clear_pointer(&pidfile_path, g_free);
    }
    g_clear_pointer(&vm_name, g_free);
}
