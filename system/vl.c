/*
 * The command line and start-up of duet, spelled as qemu-system-x86_64
 * spells them, and the main loop that acts on run-state requests.
 *
 * Start-up order: parse -> pick the accelerator (probe) -> main loop and
 * BQL -> memory map -> vCPU state -> accel init_machine -> board ->
 * accel init_vcpu -> system reset -> vCPU thread -> main loop.
 * Any error before the vCPU thread starts is one line on stderr and exit 1.
 */
#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exec/cpu.h"
#include "exec/memory.h"
#include "hw/boards.h"
#include "chardev/char.h"
#include "hw/i386/pc.h"
#include "hw/ide/pci.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/option.h"
#include "sysemu/accel.h"
#include "sysemu/cpus.h"
#include "sysemu/block-backend.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "trace/trace.h"
#include "vl-internal.h"

#define DEFAULT_RAM_SIZE (128 * 1024 * 1024ULL)
#define MIN_RAM_SIZE     (1024 * 1024ULL)
#define MAX_RAM_SIZE     (64ULL << 30)

static void help(void);

static bool opt_help(VLConfig *cfg, const char *arg, Error **errp)
{
    help();
    cfg->exit_now = true;
    return true;
}

static bool opt_version(VLConfig *cfg, const char *arg, Error **errp)
{
    printf("duet emulator version %s\n", DUET_VERSION);
    cfg->exit_now = true;
    return true;
}

static bool set_accel_spec(VLConfig *cfg, const char *spec, Error **errp)
{
    g_auto(GStrv) names = g_strsplit(spec, ":", -1); /* "kvm:tcg": not key=value */

    if (!strcmp(spec, "help") || !strcmp(spec, "?")) {
        accel_print_list(stdout);
        cfg->exit_now = true;
        return true;
    }
    for (int i = 0; names[i]; i++) {
        if (!accel_find(names[i])) {
            error_setg(errp, "invalid accelerator %s (try -accel help)", names[i]);
            return false;
        }
    }
    g_free(cfg->accel_spec);
    cfg->accel_spec = g_strdup(spec);
    return true;
}

static bool opt_accel(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;
    QemuOpts *opts = accel_opts_parse(arg, stdout, &help, errp);

    if (help) {
        cfg->exit_now = true;
        return true;
    }
    if (!opts) {
        return false;
    }
    g_free(cfg->accel_spec);
    cfg->accel_spec = g_strdup(qemu_opt_get(opts, "accel"));
    qemu_opts_free(cfg->ms->accel_opts);
    cfg->ms->accel_opts = opts;
    return true;
}

static bool opt_enable_kvm(VLConfig *cfg, const char *arg, Error **errp)
{
    return set_accel_spec(cfg, "kvm", errp);
}

static const QemuOptDesc machine_desc[] = {
    { .name = "type", .type = QEMU_OPT_STRING, .help = "Machine type (-machine help lists)",
      .def_value_str = "pc" },
    { .name = "accel", .type = QEMU_OPT_STRING,
      .help = "Accelerators to try in order, e.g. kvm:tcg (help lists them)" },
    { .name = "hpet", .type = QEMU_OPT_BOOL, .help = "Enable/disable the HPET",
      .def_value_str = "on" },
    { .name = "kernel-decompress", .type = QEMU_OPT_STRING,
      .help = "host|guest: who unpacks a -kernel bzImage's compressed kernel (README: Linux)",
      .def_value_str = "host" },
    { NULL },
};

static const QemuOptsList machine_opts_list = {
    .name = "machine", .implied_key = "type", .desc = machine_desc,
};

static bool machine_type_ok(const char *type)
{
    return !strcmp(type, "pc") || g_str_has_prefix(type, "pc-i440fx");
}

static bool is_help(const char *s)
{
    return s && (!strcmp(s, "help") || !strcmp(s, "?"));
}

static bool opt_machine(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&machine_opts_list, arg, errp);
    const char *type, *accel, *decompress;

    if (!opts) {
        return false;
    }
    type = qemu_opt_get(opts, "type");
    accel = qemu_opt_get(opts, "accel");
    /* type=help lists the machines, accel=help the accelerators (their
     * values are names, not help). */
    if (!is_help(type) && type && !machine_type_ok(type)) {
        error_setg(errp, "unsupported machine type '%s' (duet has 'pc'; -machine help)", type);
        return false;
    }
    if (qemu_opts_help_wanted(opts) || is_help(type)) {
        g_autofree char *title = g_strdup_printf("%s-machine options:", type);

        if (!type || is_help(type)) {
            printf("Supported machines are:\n");
            printf("pc                   Standard PC (i440FX + PIIX, 1996) (default)\n");
        } else {
            qemu_opts_print_help(stdout, title, machine_desc, qemu_opts_help_key(opts));
        }
        cfg->exit_now = true;
        return true;
    }
    if (!qemu_opt_get_bool(opts, "hpet", true)) {
        cfg->ms->no_hpet = true;
    }
    decompress = qemu_opt_get(opts, "kernel-decompress");
    if (decompress) {
        if (strcmp(decompress, "host") && strcmp(decompress, "guest")) {
            error_setg(errp, "Parameter 'kernel-decompress' does not accept value '%s'",
                       decompress);
            return false;
        }
        cfg->ms->kernel_decompress_host = !strcmp(decompress, "host");
    }
    return !accel || set_accel_spec(cfg, accel, errp);
}

static bool opt_no_hpet(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->no_hpet = true;
    return true;
}

static const QemuOptDesc boot_desc[] = {
    { .name = "order", .type = QEMU_OPT_STRING,
      .help = "Boot devices in order: a, b (floppy), c (disk), d (CD-ROM), n-p (network)" },
    { .name = "menu", .type = QEMU_OPT_BOOL, .help = "Ask the BIOS for its boot menu" },
    { NULL },
};

static const QemuOptsList boot_opts_list = {
    .name = "boot-opts", .implied_key = "order", .desc = boot_desc,
};

/* -boot [order=]DRIVES[,menu=on|off]: what the pc machine tells its BIOS
 * (CMOS boot flags, fw_cfg FW_CFG_BOOT_MENU), as QEMU. */
static bool opt_boot(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&boot_opts_list, arg, errp);
    const char *order;

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(stdout, qemu_opts_help_key(opts) ? NULL : "boot-opts options:",
                             boot_desc, qemu_opts_help_key(opts));
        cfg->exit_now = true;
        return true;
    }
    order = qemu_opt_get(opts, "order");
    if (order && strlen(order) >= sizeof(cfg->ms->boot_order)) {
        error_setg(errp, "boot order '%s' is too long", order);
        return false;
    }
    /* QEMU's checks and words: a-p are boot devices, the pc knows a-d, n-p */
    for (const char *p = order; p && *p; p++) {
        if (*p < 'a' || *p > 'p') {
            error_setg(errp, "Invalid boot device '%c'", *p);
            return false;
        }
        if (strchr(p + 1, *p)) {
            error_setg(errp, "Boot device '%c' was given twice", *p);
            return false;
        }
        if (*p > 'd' && *p < 'n') {
            error_setg(errp, "Invalid boot device for PC: '%c'", *p);
            return false;
        }
    }
    if (order) {
        g_strlcpy(cfg->ms->boot_order, order, sizeof(cfg->ms->boot_order));
    }
    cfg->ms->boot_menu = qemu_opt_get_bool(opts, "menu", cfg->ms->boot_menu);
    return true;
}

/* QEMU's: a bare number is MiB. */
static const QemuOptDesc memory_desc[] = {
    { .name = "size", .type = QEMU_OPT_SIZE, .unit = 1 << 20, .min = MIN_RAM_SIZE,
      .max = MAX_RAM_SIZE, .help = "Guest RAM (a bare number counts MiB)",
      .def_value_str = "128M" },
    { NULL },
};

static const QemuOptsList memory_opts_list = {
    .name = "memory", .implied_key = "size", .desc = memory_desc,
};

static bool opt_m(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&memory_opts_list, arg, errp);

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(stdout, qemu_opts_help_key(opts) ? NULL : "memory options:",
                             memory_desc, qemu_opts_help_key(opts));
        cfg->exit_now = true;
        return true;
    }
    cfg->ms->ram_size = qemu_opt_get_size(opts, "size", DEFAULT_RAM_SIZE);
    return true;
}

static bool check_readable(const char *path, Error **errp)
{
    if (access(path, R_OK) < 0) {
        error_setg_errno(errp, errno, "could not open");
        return false;
    }
    return true;
}

static bool opt_kernel(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->kernel_filename = arg;
    return check_readable(arg, errp);
}

static bool opt_bios(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->bios_filename = arg;
    return true; /* the board reads it and says what is wrong with it */
}

static bool opt_firmware_dir(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->firmware_dir = arg;
    return true;
}

static bool opt_append(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->kernel_cmdline = arg;
    return true;
}

static bool opt_initrd(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->initrd_filename = arg;
    return true;
}

static bool opt_display(VLConfig *cfg, const char *arg, Error **errp)
{
    if (strcmp(arg, "none")) {
        error_setg(errp, "duet has no display (only 'none')");
        return false;
    }
    return true;
}

static bool opt_no_reboot(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->no_reboot = true;
    return true;
}

/* Checked now against the board's device types; the board creates it. */
static bool opt_device(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;

    if (!pc_machine_device_check(arg, stdout, &help, errp)) {
        return false;
    }
    if (help) {
        cfg->exit_now = true;
        return true;
    }
    g_ptr_array_add(cfg->ms->device_opts, g_strdup(arg));
    return true;
}

/* Checked now; the board attaches it (and opens the image). */
static bool opt_drive(VLConfig *cfg, const char *arg, Error **errp)
{
    bool help;

    if (!ide_drive_check(arg, stdout, &help, errp)) {
        return false;
    }
    if (help) {
        cfg->exit_now = true;
        return true;
    }
    if (!*arg) {
        error_setg(errp, "empty drive description");
        return false;
    }
    g_ptr_array_add(cfg->ms->drive_opts, g_strdup(arg));
    return true;
}

/* -hda FILE is -drive file=FILE,...: a comma in FILE is doubled. */
static bool add_hd(VLConfig *cfg, int index, const char *file)
{
    g_auto(GStrv) parts = g_strsplit(file, ",", -1);
    g_autofree char *escaped = g_strjoinv(",,", parts);

    g_ptr_array_add(cfg->ms->drive_opts,
                    g_strdup_printf("file=%s,index=%d,if=ide", escaped, index));
    return true;
}

/* -cdrom FILE is -drive file=FILE,index=2,media=cdrom, as in QEMU. */
static bool opt_cdrom(VLConfig *cfg, const char *arg, Error **errp)
{
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    g_autofree char *escaped = g_strjoinv(",,", parts);

    g_ptr_array_add(cfg->ms->drive_opts,
                    g_strdup_printf("file=%s,index=2,media=cdrom", escaped));
    return true;
}

static bool opt_snapshot(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->ms->snapshot = true;
    return true;
}

static bool opt_hda(VLConfig *cfg, const char *arg, Error **errp) { return add_hd(cfg, 0, arg); }
static bool opt_hdb(VLConfig *cfg, const char *arg, Error **errp) { return add_hd(cfg, 1, arg); }
static bool opt_hdc(VLConfig *cfg, const char *arg, Error **errp) { return add_hd(cfg, 2, arg); }
static bool opt_hdd(VLConfig *cfg, const char *arg, Error **errp) { return add_hd(cfg, 3, arg); }

/* Log items, and QEMU's trace:PATTERN items (the same as -trace PATTERN). */
static bool opt_d(VLConfig *cfg, const char *arg, Error **errp)
{
    g_auto(GStrv) items = qemu_opt_split_list(arg);
    g_autoptr(GString) rest = g_string_new(NULL);

    if (!strcmp(arg, "help")) {
        qemu_log_print_items(stdout);
        printf("trace:PATTERN  enable trace events matching PATTERN (-trace help lists them)\n");
        cfg->exit_now = true;
        return true;
    }
    for (int i = 0; items[i]; i++) {
        if (g_str_has_prefix(items[i], "trace:")) {
            if (!items[i][6]) {
                error_setg(errp, "trace: needs a pattern (trace:PATTERN)");
                return false;
            }
            if (trace_enable_events(items[i] + 6, true) == 0) {
                warn_report("-d trace:%s matches no event (try -trace help)", items[i] + 6);
            }
            continue;
        }
        g_string_append_printf(rest, "%s%s", rest->len ? "," : "", items[i]);
    }
    return !rest->len || qemu_set_log_items(rest->str, errp);
}

static bool opt_D(VLConfig *cfg, const char *arg, Error **errp)
{
    return qemu_set_log_filename(arg, errp);
}

static bool opt_trace(VLConfig *cfg, const char *arg, Error **errp)
{
    if (!strcmp(arg, "help")) {
        trace_list_events(stdout);
        cfg->exit_now = true;
        return true;
    }
    return trace_opt_parse(arg, errp);
}

static const QemuOptDesc smp_desc[] = {
    { .name = "cpus", .type = QEMU_OPT_NUMBER, .help = "number of vCPUs present at start" },
    { .name = "maxcpus", .type = QEMU_OPT_NUMBER, .help = "maximum number of vCPUs" },
    { .name = "sockets", .type = QEMU_OPT_NUMBER },
    { .name = "dies", .type = QEMU_OPT_NUMBER },
    { .name = "cores", .type = QEMU_OPT_NUMBER },
    { .name = "threads", .type = QEMU_OPT_NUMBER },
    { NULL },
};

static const QemuOptsList smp_opts_list = { .name = "smp", .implied_key = "cpus", .desc = smp_desc };

/* The most vCPUs a pc machine takes (QEMU 7.2's i440FX limit): xAPIC
 * IDs below the broadcast ID 0xff. */
#define PC_MAX_CPUS 255

/*
 * QEMU 7.2's rules for a pc-i440fx-7.2 machine: what is omitted (or 0,
 * deprecated) is derived, cores before sockets; maxcpus defaults to the
 * product of the hierarchy and cpus to maxcpus.
 */
static bool smp_parse(CpuTopology *t, QemuOpts *opts, Error **errp)
{
    static const char *const names[] = { "cpus", "maxcpus", "sockets", "dies", "cores",
                                          "threads" };
    uint64_t v[G_N_ELEMENTS(names)];
    bool zero = false;

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        v[i] = qemu_opt_get_number(opts, names[i], 0);
        if (qemu_opt_get(opts, names[i]) && v[i] == 0) {
            zero = true;
        }
        if (v[i] > UINT32_MAX) {
            v[i] = UINT32_MAX; /* far past PC_MAX_CPUS: refused below */
        }
    }
    if (zero) {
        warn_report("Deprecated CPU topology (considered invalid): "
                    "CPU topology parameters must be greater than zero");
    }
    uint64_t cpus = v[0], maxcpus = v[1], sockets = v[2], dies = v[3] ? v[3] : 1;
    uint64_t cores = v[4], threads = v[5];

    if (!cpus && !maxcpus) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        uint64_t n = maxcpus ? maxcpus : cpus;

        sockets = sockets ? sockets : 1;
        if (!cores) {
            threads = threads ? threads : 1;
            cores = n / (sockets * dies * threads);
        } else if (!threads) {
            threads = n / (sockets * dies * cores);
        }
    }
    uint64_t total = sockets * dies * cores * threads;
    maxcpus = maxcpus ? maxcpus : cpus ? cpus : total;
    cpus = cpus ? cpus : maxcpus;
    if (total != maxcpus) {
        error_setg(errp, "Invalid CPU topology: product of the hierarchy must match maxcpus: "
                   "sockets (%" PRIu64 ") * dies (%" PRIu64 ") * cores (%" PRIu64 ") * threads "
                   "(%" PRIu64 ") != maxcpus (%" PRIu64 ")", sockets, dies, cores, threads,
                   maxcpus);
        return false;
    }
    if (maxcpus < cpus) {
        error_setg(errp, "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
                   "sockets (%" PRIu64 ") * dies (%" PRIu64 ") * cores (%" PRIu64 ") * threads "
                   "(%" PRIu64 ") == maxcpus (%" PRIu64 ") < smp_cpus (%" PRIu64 ")", sockets,
                   dies, cores, threads, maxcpus, cpus);
        return false;
    }
    if (maxcpus > PC_MAX_CPUS) {
        error_setg(errp, "Invalid SMP CPUs %" PRIu64 ". The max CPUs supported by machine "
                   "'pc-i440fx-7.2' is %d", maxcpus, PC_MAX_CPUS);
        return false;
    }
    *t = (CpuTopology){ .cpus = cpus, .max_cpus = maxcpus, .sockets = sockets, .dies = dies,
                        .cores = cores, .threads = threads };
    return true;
}

static bool opt_smp(VLConfig *cfg, const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&smp_opts_list, arg, errp);

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(stdout, "smp options:", smp_desc, NULL);
        cfg->exit_now = true;
        return true;
    }
    return smp_parse(&cfg->ms->smp, opts, errp);
}

/* -cpu MODEL[,+flag,-flag,flag=on|off,vendor=...]: system/x86-cpuid.c's models. */
static bool opt_cpu(VLConfig *cfg, const char *arg, Error **errp)
{
    if (!strcmp(arg, "help")) {
        x86_cpu_models_print(stdout);
        cfg->exit_now = true;
        return true;
    }
    return x86_cpuid_parse(&cfg->ms->cpu_config, arg, errp);
}

static bool opt_mtree(VLConfig *cfg, const char *arg, Error **errp)
{
    cfg->mtree = true;
    return true;
}

static const QEMUOption qemu_options[] = {
    { "h", NULL, opt_help, "show this help" },
    { "help", NULL, opt_help, "show this help" },
    { "version", NULL, opt_version, "show the version" },
    { "accel", "[accel=]NAME[,prop=value]", opt_accel,
      "accelerator: tcg (default; tcg: thread=multi|single, default multi) or kvm "
      "(kvm: kernel-irqchip=on|off|split); 'help' lists" },
    { "enable-kvm", NULL, opt_enable_kvm, "same as -accel kvm" },
    { "machine", "[type=]pc[,accel=NAME[:NAME]][,hpet=on|off][,kernel-decompress=host|guest]", opt_machine, "machine type (only pc)" },
    { "M", "[type=]pc[,accel=NAME[:NAME]][,hpet=on|off][,kernel-decompress=host|guest]", opt_machine, "same as -machine" },
    { "m", "[size=]SIZE", opt_m, "guest RAM (default 128M; a bare number is MiB)" },
    { "cpu", "MODEL[,+flag,-flag,vendor=V]", opt_cpu,
      "CPU model: qemu64 (default), qemu32, max, host (kvm); 'help' lists models and flags" },
    { "smp", "[cpus=]n[,maxcpus=cpus][,sockets=s][,dies=d][,cores=c][,threads=t]", opt_smp,
      "vCPUs, and their topology as CPUID and the ACPI tables show it" },
    { "kernel", "FILE", opt_kernel, "Linux bzImage or Multiboot kernel to boot directly" },
    { "bios", "FILE", opt_bios,
      "firmware ROM (default without -kernel: /usr/share/seabios/bios-256k.bin)" },
    { "L", "DIR", opt_firmware_dir, "look for the default firmware (bios-256k.bin) in DIR" },
    { "append", "CMDLINE", opt_append, "kernel command line" },
    { "initrd", "FILE [ARGS][,FILE...]", opt_initrd, "multiboot modules (',,': a comma)" },
    { "display", "none", opt_display, "accepted for compatibility" },
    { "no-reboot", NULL, opt_no_reboot, "exit (status 0) instead of rebooting" },
    { "no-hpet", NULL, opt_no_hpet, "no HPET (same as -machine hpet=off)" },
    { "boot", "[order=]DRIVES[,menu=on|off]", opt_boot,
      "boot order for the BIOS (c disk, d CD-ROM) and its boot menu" },
    { "device", "DRIVER[,prop=value]", opt_device, "add a device; 'help' lists" },
    { "drive", "file=FILE[,if=ide|none,id=ID,index=N,media=disk|cdrom,format=F,...]",
      opt_drive, "add a drive (other keys: block node options); 'help' lists" },
    { "hda", "FILE", opt_hda, "IDE primary master disk" },
    { "hdb", "FILE", opt_hdb, "IDE primary slave disk" },
    { "hdc", "FILE", opt_hdc, "IDE secondary master disk" },
    { "hdd", "FILE", opt_hdd, "IDE secondary slave disk" },
    { "cdrom", "FILE", opt_cdrom, "IDE secondary master CD-ROM (-drive index=2,media=cdrom)" },
    { "snapshot", NULL, opt_snapshot,
      "write to temporary overlays, not the images (-drive snapshot=on)" },
    { "d", "ITEM[,ITEM]", opt_d, "log items; 'help' lists" },
    { "D", "FILE", opt_D, "log to FILE instead of stderr" },
    { "trace", "[enable=]PATTERN[,file=F]", opt_trace, "enable trace events; 'help' lists" },
    { "mtree", NULL, opt_mtree, "print the memory tree and flat views, then exit" },
};

static void help(void)
{
    printf("duet emulator version %s\n", DUET_VERSION);
    printf("usage: duet [options] [disk_image]\n\n");
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
        const QEMUOption *opt = &qemu_options[i];
        g_autofree char *lhs = g_strdup_printf("-%s%s%s", opt->name,
                                               opt->arg_name ? " " : "",
                                               opt->arg_name ? opt->arg_name : "");
        printf("%-40s %s\n", lhs, opt->help);
    }
    for (size_t i = 0; i < vl_monitor_options_count; i++) {
        const QEMUOption *opt = &vl_monitor_options[i];
        g_autofree char *lhs = g_strdup_printf("-%s%s%s", opt->name,
                                               opt->arg_name ? " " : "",
                                               opt->arg_name ? opt->arg_name : "");
        printf("%-40s %s\n", lhs, opt->help);
    }
    printf("\nOptions may also be spelled --name.  Without -serial, COM1 is on stdio\n"
           "(unless -monitor or -debugcon takes stdio).\n"
           "In key=value lists ',,' is a comma inside a value; ...,help lists the keys\n"
           "an option takes and KEY=help what one key takes.\n");
}

static const QEMUOption *lookup_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
        if (!strcmp(qemu_options[i].name, name)) {
            return &qemu_options[i];
        }
    }
    for (size_t i = 0; i < vl_monitor_options_count; i++) {
        if (!strcmp(vl_monitor_options[i].name, name)) {
            return &vl_monitor_options[i];
        }
    }
    return NULL;
}

static bool parse_command_line(VLConfig *cfg, int argc, char **argv, Error **errp)
{
    for (int i = 1; i < argc && !cfg->exit_now; i++) {
        const char *arg = argv[i];

        if (arg[0] != '-' || !arg[1]) {
            /* As qemu-system-x86_64: a bare file name is the first disk. */
            add_hd(cfg, 0, arg);
            continue;
        }
        const char *name = arg + 1 + (arg[1] == '-');
        const QEMUOption *opt = lookup_option(name);
        if (!opt && vl_is_qemu_option(name)) {
            error_setg(errp, "%s: this QEMU option is not supported by duet", arg);
            return false;
        }
        if (!opt) {
            error_setg(errp, "%s: invalid option", arg);
            return false;
        }
        const char *value = NULL;
        if (opt->arg_name) {
            if (i + 1 >= argc) {
                error_setg(errp, "%s: requires an argument", arg);
                return false;
            }
            value = argv[++i];
        }
        /* QEMU's error location: the option and its argument as typed. */
        if (!opt->handler(cfg, value, errp)) {
            error_prepend(errp, value ? "%s %s: " : "%s: ", arg, value);
            return false;
        }
    }
    return true;
}

/* "kvm:tcg": the first accelerator whose probe succeeds. */
static const AccelOps *select_accelerator(const char *spec, Error **errp)
{
    if (!spec) {
        const AccelOps *ops = accel_default();
        return ops->probe(errp) ? ops : NULL;
    }
    g_auto(GStrv) names = g_strsplit(spec, ":", -1);
    for (int i = 0; names[i]; i++) {
        const AccelOps *ops = accel_find(names[i]);
        g_autoptr(Error) err = NULL;

        if (ops->probe(&err)) {
            return ops;
        }
        if (!names[i + 1]) {
            error_setg(errp, "-accel %s: %s", names[i], error_get_pretty(err));
        }
    }
    return NULL;
}

/* Every reset, the first included: devices, then the board's own reset
 * (which loads the kernel and sets the entry state), then the
 * accelerator picks up the new CPU state. */
static void qemu_system_reset(MachineState *ms, ShutdownCause cause)
{
    trace_event(qemu_system_reset, "%s", "devices, board, cpu");
    qemu_devices_reset();
    pc_machine_reset(ms);
    for (unsigned i = 0; ms->accel->synchronize_post_reset && i < ms->smp.cpus; i++) {
        ms->accel->synchronize_post_reset(ms->cpus[i]);
    }
    if (cause != SHUTDOWN_CAUSE_NONE) {
        runstate_notify_reset(cause); /* the RESET event */
    }
}

static gboolean termsig_handler(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);
    error_report("terminating on signal %d", sig);
    qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_SIGNAL);
    return G_SOURCE_CONTINUE;
}

static CPUState *qemu_create_cpu(MachineState *ms, const AccelOps *accel, unsigned index,
                                 Error **errp)
{
    CPUState *cpu = g_new0(CPUState, 1);

    cpu->cpu_index = index;
    cpu->apic_id = x86_topo_apicid(&ms->smp, index);
    cpu->as = &address_space_memory;
    cpu->as_io = &address_space_io;
    cpu->cpuid = ms->cpu_config;
    if (!cpu->cpuid.model) {
        cpu->cpuid.model = x86_cpu_model_default();
    }
    x86_topo_cpuid_fields(&ms->smp, &cpu->cpuid);
    if (cpu->cpuid.model->kvm_only && strcmp(accel->name, "kvm")) {
        error_setg(errp, "CPU model '%s' requires KVM", cpu->cpuid.model->name);
        g_free(cpu);
        return NULL;
    }
    g_cond_init(&cpu->halt_cond_own);
    x86_cpu_reset(cpu);
    return cpu;
}

static bool qemu_create_machine(MachineState *ms, const AccelOps *accel, Error **errp)
{
    memory_map_init();

    ms->cpus = g_new0(CPUState *, ms->smp.cpus);
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        ms->cpus[i] = qemu_create_cpu(ms, accel, i, errp);
        if (!ms->cpus[i]) {
            return false;
        }
    }
    ms->cpu = ms->cpus[0];

    ms->accel = accel;
    if (accel->init_machine && !accel->init_machine(ms, errp)) {
        error_prepend(errp, "-accel %s: ", accel->name);
        return false;
    }
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        ms->cpus[i]->accel_ops = ms->accel;
    }
    if (!pc_machine_init(ms, errp)) {
        return false;
    }
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (ms->accel->init_vcpu && !ms->accel->init_vcpu(ms->cpus[i], errp)) {
            error_prepend(errp, "-accel %s: ", accel->name);
            return false;
        }
    }
    return true;
}

static void vl_config_cleanup(VLConfig *cfg)
{
    vl_monitor_config_free(cfg);
}

bool qemu_init(int argc, char **argv, int *status)
{
    g_autoptr(Error) err = NULL;
    MachineState *ms = g_new0(MachineState, 1);
    VLConfig cfg __attribute__((cleanup(vl_config_cleanup))) = { .ms = ms };
    bool ok;

    current_machine = ms;
    ms->ram_size = DEFAULT_RAM_SIZE;
    ms->smp = CPU_TOPOLOGY_ONE;
    ms->kernel_cmdline = "";
    ms->kernel_decompress_host = true;
    ms->device_opts = g_ptr_array_new_with_free_func(g_free);
    ms->drive_opts = g_ptr_array_new_with_free_func(g_free);
    vl_monitor_config_init(&cfg);
    *status = 1;
    /* A monitor or socket client that goes away must not kill duet. */
    signal(SIGPIPE, SIG_IGN);

    bool parsed = parse_command_line(&cfg, argc, argv, &err);
    const AccelOps *accel = NULL;

    /* As QEMU: what only a -kernel can use is refused without one. */
    if (parsed && !cfg.exit_now && !ms->kernel_filename) {
        if (ms->initrd_filename) {
            error_setg(&err, "-initrd only allowed with -kernel option");
            parsed = false;
        } else if (*ms->kernel_cmdline) {
            error_setg(&err, "-append only allowed with -kernel option");
            parsed = false;
        }
    }

    if (parsed && !cfg.exit_now) {
        accel = select_accelerator(cfg.accel_spec, &err);
    }
    g_free(cfg.accel_spec);
    if (!parsed) {
        error_report_err(g_steal_pointer(&err));
        return false;
    }
    if (cfg.exit_now) {
        *status = 0;
        return false;
    }
    if (!accel) {
        error_report_err(g_steal_pointer(&err));
        return false;
    }
    /* -daemonize forks here, before any thread: what fails from now on is
     * still reported on the terminal, and the parent exits 1 for it. */
    if (!vl_monitor_config_finish(&cfg, &err) || !vl_daemonize_start(&cfg, &err) ||
        !vl_write_pidfile(&cfg, &err)) {
        error_report_err(g_steal_pointer(&err));
        return false;
    }

    trace_set_thread_name("main");
    if (!qemu_init_main_loop(&err)) {
        error_report_err(g_steal_pointer(&err));
        return false;
    }
    qemu_main_loop_set_lock_hooks(bql_lock, bql_unlock, bql_locked);
    bql_lock();

    ok = vl_open_chardevs(&cfg, &err) && qemu_create_machine(ms, accel, &err) &&
         vl_start_monitors(&cfg, &err);
    if (!ok) {
        error_report_err(g_steal_pointer(&err));
        return false;
    }
    qemu_system_reset(ms, SHUTDOWN_CAUSE_NONE);

    if (cfg.mtree) {
        mtree_info(stdout, false);
        mtree_info(stdout, true);
        *status = 0;
        return false;
    }

    g_unix_signal_add(SIGINT, termsig_handler, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, termsig_handler, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, termsig_handler, GINT_TO_POINTER(SIGHUP));

    /* -S: built and reset, the vCPUs wait for cont (prelaunch). */
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (!qemu_init_vcpu(ms->cpus[i], cfg.start_paused, &err)) {
            error_report_err(g_steal_pointer(&err));
            return false;
        }
    }
    runstate_set(cfg.start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING);
    vl_daemonize_done(&cfg);
    return true;
}

int qemu_main_loop(void)
{
    MachineState *ms = current_machine;
    int status;

    ShutdownCause cause;

    while (!qemu_system_shutdown_pending(&status)) {
        if ((cause = qemu_reset_requested())) {
            if (ms->no_reboot) {
                qemu_system_shutdown_request_cause(0, cause);
                continue;
            }
            pause_all_vcpus(ms);
            qemu_system_reset(ms, cause);
            /* As QEMU: a VM that was not running is back at prelaunch. */
            if (runstate_is_running()) {
                resume_all_vcpus(ms);
            } else {
                runstate_set(RUN_STATE_PRELAUNCH);
            }
            continue;
        }
        if (qemu_debug_requested()) {
            vm_stop(ms, RUN_STATE_DEBUG); /* the vCPU has parked itself */
            continue;
        }
        main_loop_wait(false);
    }
    runstate_notify_shutdown(qemu_system_shutdown_cause()); /* the SHUTDOWN event */
    trace_event(qemu_main_loop_exit, "status=%d", status);
    return status;
}

/*
 * Every way out that is not a host crash ends here (guest debug-exit,
 * shutdown or reset under -no-reboot, SIGTERM/SIGINT/SIGHUP, a fatal
 * accelerator error, an error after the machine was built): the vCPU
 * stops first, so nothing issues new requests, then every drive is
 * drained and closed, so writes the guest saw complete are on the image
 * with its metadata, as QEMU's shutdown does.  Safe at any stage of
 * qemu_init.
 */
void qemu_cleanup(void)
{
    MachineState *ms = current_machine;

    if (!ms) {
        return;
    }
    if (bql_locked()) {
        for (unsigned i = 0; ms->cpus && i < ms->smp.cpus; i++) {
            if (ms->cpus[i]) {
                cpu_stop_thread(ms->cpus[i]);
            }
        }
        bdrv_close_all();
        if (ms->accel && ms->accel->cleanup) {
            ms->accel->cleanup(ms);
        }
        /* After the drives: a monitor's last output (and a terminal in
         * raw mode) is still served while they close. */
        vl_monitor_cleanup();
        bql_unlock();
    } else {
        vl_monitor_cleanup();
    }
    fflush(stdout);
    qemu_log_close();
    trace_close();
}
