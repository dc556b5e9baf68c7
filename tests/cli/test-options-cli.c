/*
 * key=value options as a user types them (the one parser, util/qemu-option.c):
 * duet's -machine, -m, -smp, -accel, -device, -serial, -drive, -initrd and
 * duet-img's -o and --image-opts.  Errors are one line naming the option
 * and the key, exit 1, nothing started and no file left; "help" and
 * KEY=help exit 0.  duet-img's -o messages, listings and exit codes are
 * compared with qemu-img's where both have the option (when qemu-img is
 * installed).  argv: duet, duet-img, [exit-now guest of tests/guests/bench].
 */
#include <check.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *duet;
static const char *duet_img;
static const char *exit_now_kernel;
static char *qemu_img;
static char *tmpdir;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static RunResult run_argv(const char *const *argv)
{
    RunResult r = { 0 };
    g_autoptr(GError) gerr = NULL;
    int wait_status;

    if (!g_spawn_sync(tmpdir, (char **)argv, NULL, 0, NULL, NULL, &r.out, &r.err,
                      &wait_status, &gerr)) {
        ck_abort_msg("spawn %s: %s", argv[0], gerr->message);
    }
    ck_assert_msg(WIFEXITED(wait_status), "%s died by a signal: %s", argv[0], r.err);
    r.status = WEXITSTATUS(wait_status);
    return r;
}

/* bin and the NULL-terminated arguments, in tmpdir. */
static RunResult run(const char *bin, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    va_list ap;

    g_ptr_array_add(argv, (char *)bin);
    va_start(ap, bin);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return run_argv((const char *const *)argv->pdata);
}

static void run_free(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

static bool one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl && !nl[1];
}

/* Exit 1, stdout empty, stderr exactly "duet: " + msg. */
static void assert_duet_error(const char *msg, const char *const *args)
{
    const char *argv[16] = { duet };
    RunResult r;
    g_autofree char *want = g_strdup_printf("duet: %s\n", msg);
    size_t n = 1;

    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    r = run_argv(argv);
    ck_assert_msg(r.status == 1, "%s: status %d: %s", msg, r.status, r.err);
    ck_assert_msg(!strcmp(r.err, want), "got:  %swant: %s", r.err, want);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}

#define DUET_ERROR(msg, ...) assert_duet_error(msg, (const char *const[]){ __VA_ARGS__, NULL })

/* Exit 0, stderr empty, stdout starts with @start (and is one line if
 * @single). */
static void assert_duet_help(const char *start, bool single, const char *const *args)
{
    const char *argv[16] = { duet };
    RunResult r;
    size_t n = 1;

    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    r = run_argv(argv);
    ck_assert_msg(r.status == 0, "%s: status %d: %s", args[1], r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert_msg(g_str_has_prefix(r.out, start), "%s %s printed:\n%s", args[0], args[1], r.out);
    ck_assert_msg(!single || one_line(r.out), "%s %s: not one line:\n%s", args[0], args[1],
                  r.out);
    run_free(&r);
}

#define DUET_HELP(start, ...) \
    assert_duet_help(start, false, (const char *const[]){ __VA_ARGS__, NULL })
#define DUET_KEY_HELP(start, ...) \
    assert_duet_help(start, true, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- duet ---- */

/* Checked while the command line is read: no kernel needed. */
START_TEST(test_accel)
{
    DUET_ERROR("-accel tcg,bogus=1: Invalid parameter 'bogus'", "-accel", "tcg,bogus=1");
    DUET_ERROR("--accel kvm,kernel-irqchip=maybe: Parameter 'kernel-irqchip' does not accept "
               "value 'maybe'", "--accel", "kvm,kernel-irqchip=maybe");
    DUET_ERROR("-accel kvm,,kernel-irqchip=off: invalid accelerator kvm,kernel-irqchip=off "
               "(try -accel help)", "-accel", "kvm,,kernel-irqchip=off");
    DUET_ERROR("-accel kvm,kernel-irqchip: Expected '=' after parameter 'kernel-irqchip'",
               "-accel", "kvm,kernel-irqchip");
    DUET_HELP("kvm options:\n  kernel-irqchip=<str>   - ", "-accel", "kvm,help");
    DUET_HELP("tcg options:\n  thread=<str>           - ", "-accel", "accel=tcg,?");
    /* qemu-system-x86_64 -accel tcg,thread=bogus: "Invalid 'thread' setting bogus" */
    DUET_ERROR("-accel tcg: Invalid 'thread' setting bogus", "-accel", "tcg,thread=bogus");
    DUET_ERROR("-accel tcg: Invalid 'thread' setting ", "-accel", "tcg,thread=");
    /* not a key help: QEMU 7.2 refuses it the same way */
    DUET_ERROR("-accel tcg: Invalid 'thread' setting help", "-accel", "tcg,thread=help");
    DUET_KEY_HELP("  kernel-irqchip=<str>   - ", "-accel", "kvm,kernel-irqchip=help");
}
END_TEST

START_TEST(test_machine)
{
    DUET_ERROR("-machine pc,bogus=1: Invalid parameter 'bogus'", "-machine", "pc,bogus=1");
    DUET_ERROR("-machine hpet=bogus: Parameter 'hpet' expects 'on' or 'off'", "-machine",
               "hpet=bogus");
    DUET_ERROR("-machine kernel-decompress=gzip: Parameter 'kernel-decompress' does not accept "
               "value 'gzip'", "-machine", "kernel-decompress=gzip");
    DUET_ERROR("-boot order=x: Invalid boot device 'x'", "-boot", "order=x");
    DUET_ERROR("-boot cc: Boot device 'c' was given twice", "-boot", "cc");
    DUET_ERROR("-boot order=e: Invalid boot device for PC: 'e'", "-boot", "order=e");
    DUET_ERROR("-boot menu=maybe: Parameter 'menu' expects 'on' or 'off'", "-boot",
               "menu=maybe");
    DUET_ERROR("-M pc,,accel=kvm: unsupported machine type 'pc,accel=kvm' (duet has 'pc'; "
               "-machine help)", "-M", "pc,,accel=kvm");
    DUET_ERROR("-machine type=pc,accel=kvm:xen: invalid accelerator xen (try -accel help)",
               "-machine", "type=pc,accel=kvm:xen");
    DUET_ERROR("-machine pc,accel: Expected '=' after parameter 'accel'", "-machine",
               "pc,accel");
    DUET_HELP("Supported machines are:\npc ", "-machine", "help");
    DUET_HELP("pc-machine options:\n  accel=<str>            - ", "-machine", "pc,help");
    DUET_HELP("Supported machines are:\npc ", "-machine", "type=?");
    DUET_HELP("Accelerators supported in duet binary:\n", "-machine", "pc,accel=help");
}
END_TEST

START_TEST(test_memory)
{
    DUET_ERROR("-m 12X: Parameter 'size' expects a non-negative number below 2^64 (optional "
               "suffix k, M, G, T, P or E for powers of 1024)", "-m", "12X");
    DUET_ERROR("-m size=1.5: Parameter 'size' expects a non-negative number below 2^64 "
               "(optional suffix k, M, G, T, P or E for powers of 1024)", "-m", "size=1.5");
    DUET_ERROR("-m 0: Value '0' is out of range for parameter 'size' (minimum: 1 MiB, "
               "maximum: 64 GiB)", "-m", "0");
    DUET_ERROR("-m 128G: Value '128G' is out of range for parameter 'size' (minimum: 1 MiB, "
               "maximum: 64 GiB)", "-m", "128G");
    DUET_ERROR("-m 99999999999T: Value '99999999999T' is out of range for parameter 'size'",
               "-m", "99999999999T");
    DUET_ERROR("-m 128M,slots=2: Invalid parameter 'slots'", "-m", "128M,slots=2");
    DUET_HELP("memory options:\n  size=<size>            - ", "-m", "128M,help");
    DUET_KEY_HELP("  size=<size>            - ", "-m", "size=?");
}
END_TEST

/* -m's bare number is MiB, as QEMU's; the RAM region shows it. */
START_TEST(test_memory_sizes)
{
    static const char *const sizes[] = { "64", "size=64M", "65536k", "0x40" };

    if (!exit_now_kernel) {
        printf("SKIP test_memory_sizes: no exit-now guest (not built here)\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        RunResult r = run(duet, "-mtree", "-m", sizes[i], "-kernel", exit_now_kernel, NULL);
        ck_assert_msg(r.status == 0, "-m %s: %s", sizes[i], r.err);
        ck_assert_msg(strstr(r.out, "0000000003ffffff"), "-m %s: 64 MiB not in:\n%s",
                      sizes[i], r.out);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_smp_trace)
{
    DUET_ERROR("-smp cpus=1,bogus=2: Invalid parameter 'bogus'", "-smp", "cpus=1,bogus=2");
    /* QEMU 7.2's topology rules and messages */
    DUET_ERROR("-smp 300: Invalid SMP CPUs 300. The max CPUs supported by machine "
               "'pc-i440fx-7.2' is 255", "-smp", "300");
    DUET_ERROR("-smp cpus=2,maxcpus=1: Invalid CPU topology: maxcpus must be equal to or "
               "greater than smp: sockets (1) * dies (1) * cores (1) * threads (1) == maxcpus "
               "(1) < smp_cpus (2)", "-smp", "cpus=2,maxcpus=1");
    DUET_ERROR("-smp cpus=3,sockets=2,cores=2: Invalid CPU topology: product of the hierarchy "
               "must match maxcpus: sockets (2) * dies (1) * cores (2) * threads (0) != maxcpus "
               "(3)", "-smp", "cpus=3,sockets=2,cores=2");
    DUET_ERROR("-trace a*,b*: Expected '=' after parameter 'b*'", "-trace", "a*,b*");
    DUET_ERROR("-trace enable=a,bogus=1: Invalid parameter 'bogus'", "-trace", "enable=a,bogus=1");
}
END_TEST

/* -device is checked against the board's types at once, kernel or not. */
START_TEST(test_device)
{
    DUET_ERROR("-device isa-debug-exit,bogus=1: Property 'isa-debug-exit.bogus' not found",
               "-device", "isa-debug-exit,bogus=1");
    DUET_ERROR("-device isa-debug-exit,iobase=abc: Parameter 'iobase' expects a number",
               "-device", "isa-debug-exit,iobase=abc");
    DUET_ERROR("-device isa-debug-exit,iosize=5: Value '5' is out of range for parameter "
               "'iosize' (minimum: 1, maximum: 4)", "-device", "isa-debug-exit,iosize=5");
    DUET_ERROR("-device isa-debug-exit,,iobase=0xf4: 'isa-debug-exit,iobase=0xf4' is not a "
               "valid device model name (try -device help)", "-device",
               "isa-debug-exit,,iobase=0xf4");
    DUET_ERROR("-device bogus-device: 'bogus-device' is not a valid device model name "
               "(try -device help)", "-device", "bogus-device");
    /* QEMU's layout: categories, then devices sorted by name */
    DUET_HELP("Storage devices:\nname \"ide-cd\", bus IDE, desc \"virtual IDE CD-ROM\"\n",
              "-device", "help");
    DUET_HELP("pci-testdev options:\n  addr=<str>", "-device", "pci-testdev,help");
    DUET_HELP("There are no options for pc-testdev.\n", "-device", "pc-testdev,help");
    DUET_HELP("isa-debug-exit options:\n  iobase=<num>           - ", "-device",
              "isa-debug-exit,help");
    DUET_HELP("isa-debug-exit options:\n", "-device", "isa-debug-exit,?");
    DUET_KEY_HELP("  iobase=<num>           - ", "-device", "isa-debug-exit,iobase=help");
}
END_TEST

/* The implied key spelled out, a repeated key (the last wins), an empty
 * trailing item: the guest still exits through port 0xf4 (status 5). */
START_TEST(test_device_runs)
{
    static const char *const devices[] = {
        "driver=isa-debug-exit,iobase=0xf4,iosize=4",
        "isa-debug-exit,iobase=0x501,iosize=4,iobase=244,",
        "isa-debug-exit,id=exit,iobase=0xf4,iosize=0x4",
    };

    if (!exit_now_kernel) {
        printf("SKIP test_device_runs: no exit-now guest (not built here)\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(devices); i++) {
        RunResult r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-serial", "null",
                          "-no-reboot", "-device", devices[i], NULL);
        ck_assert_msg(r.status == 5, "%s: status %d: %s", devices[i], r.status, r.err);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_serial)
{
    DUET_ERROR("-serial stdio,bogus=1: Invalid parameter 'bogus'", "-serial", "stdio,bogus=1");
    DUET_ERROR("-serial file,path=x,append=maybe: Parameter 'append' expects 'on' or 'off'",
               "-serial", "file,path=x,append=maybe");
    DUET_ERROR("-serial bogus::4444: 'bogus::4444' is not a valid char driver name "
               "(try -chardev help)", "-serial", "bogus::4444");
    DUET_HELP("Available chardev backend types", "-serial", "help");
    DUET_HELP("file options:\n  append=<bool (on/off)> - ", "-serial", "file,help");
    DUET_KEY_HELP("  append=<bool (on/off)> - ", "-serial", "file,append=help");
    ck_assert(!g_file_test("x", G_FILE_TEST_EXISTS));
}
END_TEST

/* ",," in the option syntax names "out,1"; QEMU's file:PATH is literal. */
START_TEST(test_serial_files)
{
    static const struct {
        const char *spec, *file;
    } cases[] = {
        { "file,path=out,,1", "out,1" },
        { "file:out,,2", "out,,2" },
        { "backend=file,append=on,path=out3", "out3" },
    };

    if (!exit_now_kernel) {
        printf("SKIP test_serial_files: no exit-now guest (not built here)\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_build_filename(tmpdir, cases[i].file, NULL);
        RunResult r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-no-reboot",
                          "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-serial",
                          cases[i].spec, NULL);

        ck_assert_msg(r.status == 5, "%s: status %d: %s", cases[i].spec, r.status, r.err);
        ck_assert_msg(g_file_test(path, G_FILE_TEST_EXISTS), "%s: no file %s", cases[i].spec,
                      cases[i].file);
        run_free(&r);
    }
}
END_TEST

/* -drive's own keys are checked at once; node options when the image opens
 * (tests/cli/test-block-opts-cli.c). */
START_TEST(test_drive)
{
    DUET_ERROR("-drive file=d.img,index=x: Parameter 'index' expects a number", "-drive",
               "file=d.img,index=x");
    DUET_ERROR("-drive file=d.img,index=9: Value '9' is out of range for parameter 'index' "
               "(minimum: 0, maximum: 3)", "-drive", "file=d.img,index=9");
    DUET_ERROR("-drive file=d.img,readonly=maybe: Parameter 'readonly' expects 'on' or 'off'",
               "-drive", "file=d.img,readonly=maybe");
    DUET_ERROR("-drive file=d.img,if=scsi: Parameter 'if' does not accept value 'scsi'",
               "-drive", "file=d.img,if=scsi");
    DUET_HELP("drive options:\n  bus=<num>              - ", "-drive", "help");
    DUET_KEY_HELP("  cache=<str>            - ", "-drive", "file=d.img,cache=?");
    DUET_KEY_HELP("  l2-cache-size=<size>   - ", "-drive", "file=d.img,l2-cache-size=help");
}
END_TEST

/* A file name with a comma: "a,,b" is the file "a,b" (QEMU's rule). */
START_TEST(test_drive_comma_file)
{
    RunResult r = run(duet_img, "create", "-q", "-f", "raw", "a,b", "1M", NULL);

    ck_assert_msg(r.status == 0, "%s", r.err);
    run_free(&r);
    if (!exit_now_kernel) {
        printf("SKIP test_drive_comma_file: no exit-now guest (not built here)\n");
        return;
    }
    r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-serial", "null", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-drive",
            "file=a,,b,format=raw,if=ide", NULL);
    ck_assert_msg(r.status == 5, "status %d: %s", r.status, r.err);
    run_free(&r);
    /* -hda FILE doubles the comma for its -drive string. */
    r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-serial", "null", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-hda", "a,b", NULL);
    ck_assert_msg(r.status == 5, "-hda: status %d: %s", r.status, r.err);
    run_free(&r);
}
END_TEST

/* -initrd: ",," is a comma in a module's file name or string. */
START_TEST(test_initrd)
{
    if (!exit_now_kernel) {
        printf("SKIP test_initrd: no exit-now guest (not built here)\n");
        return;
    }
    g_autofree char *module = g_build_filename(tmpdir, "m,1", NULL);

    ck_assert(g_file_set_contents(module, "x", 1, NULL));
    RunResult r = run(duet, "-accel", "tcg", "-kernel", exit_now_kernel, "-serial", "null",
                      "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                      "-initrd", "m,,1 a,,b,", NULL);
    ck_assert_msg(r.status == 5, "status %d: %s", r.status, r.err);
    run_free(&r);
    DUET_ERROR("-initrd m: No such file or directory",
               "-kernel", exit_now_kernel, "-initrd", "m,1");
}
END_TEST

/* ---- duet-img ---- */

static bool exists(const char *name)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Exit 1, one "duet-img: msg" line, no x.img. */
static void assert_img_error(const char *msg, const char *const *args)
{
    const char *argv[16] = { duet_img };
    g_autofree char *want = g_strdup_printf("duet-img: %s\n", msg);
    RunResult r;
    size_t n = 1;

    for (; args[n - 1]; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    r = run_argv(argv);
    ck_assert_msg(r.status == 1, "%s: status %d", msg, r.status);
    ck_assert_msg(!strcmp(r.err, want), "got:  %swant: %s", r.err, want);
    ck_assert_msg(!exists("x.img"), "%s: x.img left behind", msg);
    run_free(&r);
}

#define IMG_ERROR(msg, ...) assert_img_error(msg, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_create_options)
{
    RunResult r;

    IMG_ERROR("x.img: Invalid parameter 'bogus'", "create", "-f", "qcow2", "-o", "bogus=1",
              "x.img", "1M");
    IMG_ERROR("x.img: Invalid parameter 'bogus'", "create", "-f", "raw", "-o", "bogus=1",
              "x.img", "1M");
    IMG_ERROR("x.img: Invalid parameter 'cluster_size'", "create", "-f", "raw", "-o",
              "cluster_size=4k", "x.img", "1M");
    IMG_ERROR("x.img: Parameter 'lazy_refcounts' expects 'on' or 'off'", "create", "-f",
              "qcow2", "-o", "lazy_refcounts=maybe", "x.img", "1M");
    IMG_ERROR("x.img: Parameter 'refcount_bits' expects a number", "create", "-f", "qcow2",
              "-o", "refcount_bits=x", "x.img", "1M");
    IMG_ERROR("x.img: Value '99999999999999999999' is out of range for parameter "
              "'cluster_size'", "create", "-f", "qcow2", "-o",
              "cluster_size=99999999999999999999", "x.img", "1M");
    IMG_ERROR("x.img: Parameter 'preallocation' does not accept value 'bogus'", "create",
              "-f", "raw", "-o", "preallocation=bogus", "x.img", "1M");
    IMG_ERROR("Invalid option list: ,cluster_size=4k", "create", "-f", "qcow2", "-o",
              ",cluster_size=4k", "x.img", "1M");
    IMG_ERROR("Invalid option list: cluster_size=4k,", "create", "-f", "qcow2", "-o",
              "cluster_size=4k,", "x.img", "1M");
    IMG_ERROR("x.img: The image size must be specified only once", "create", "-f", "qcow2",
              "-o", "size=2M", "x.img", "1M");
    IMG_ERROR("Invalid parameter 'bogus'", "convert", "-O", "qcow2", "-o", "bogus=1", "x.img",
              "y.img");
    ck_assert(!exists("y.img"));

    /* Several -o add up, later keys win; ",," escapes; -o size= is the size. */
    r = run(duet_img, "create", "-f", "qcow2", "-o", "cluster_size=4k", "-o",
            "cluster_size=8k,backing_file=b,,1.qcow2,size=2M", "-u", "x.img", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "Formatting 'x.img', fmt=qcow2 cluster_size=8192 extended_l2=off "
                            "compression_type=zlib size=2097152 backing_file=b,1.qcow2 "
                            "lazy_refcounts=off refcount_bits=16\n");
    run_free(&r);
    r = run(duet_img, "info", "--output=json", "x.img", NULL);
    ck_assert_msg(strstr(r.out, "\"backing-filename\": \"b,1.qcow2\""), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"cluster-size\": 8192"), "%s", r.out);
    run_free(&r);
}
END_TEST

/* -o help lists the keys (qemu-img's shape); no file is created. */
START_TEST(test_create_help)
{
    static const char *const args[][8] = {
        { "create", "-f", "qcow2", "-o", "help", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "?", NULL },
        { "create", "-f", "raw", "-o", "size=1M,help", "x.img", NULL },
        { "convert", "-O", "qcow2", "-o", "help", "a", "x.img", NULL },
    };
    static const char *const starts[] = {
        "Supported options:\n  backing_file=<str>     - File name of a base image\n",
        "Supported qcow2 options:\n  backing_file=<str>     - ",
        "Supported options:\n  extent_size_hint=<size> - Extent size hint for the image file, "
        "0 to disable\n  nocow=<bool (on/off)>  - Turn off copy-on-write (valid only on btrfs)\n"
        "  preallocation=<str>    - Preallocation mode (allowed values: "
        "off, falloc, full)\n  size=<size>            - Virtual disk size\n",
        "Supported options:\n",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(args); i++) {
        const char *argv[10] = { duet_img };
        RunResult r;

        for (int j = 0; args[i][j]; j++) {
            argv[j + 1] = args[i][j];
        }
        r = run_argv(argv);
        ck_assert_msg(r.status == 0, "%zu: %s", i, r.err);
        ck_assert_msg(g_str_has_prefix(r.out, starts[i]), "%zu:\n%s", i, r.out);
        ck_assert_str_eq(r.err, "");
        ck_assert(!exists("x.img"));
        run_free(&r);
    }
    {
        RunResult r = run(duet_img, "create", "-f", "qcow2", "-o", "?", NULL);
        ck_assert_msg(g_str_has_suffix(r.out, "\n\nThe protocol level may support further "
                                               "options.\nSpecify the target filename to "
                                               "include those options.\n"), "%s", r.out);
        run_free(&r);
    }
}
END_TEST

/* Every line duet-img lists is qemu-img's line for that key, and the same
 * invocations fail with the same message and status. */
START_TEST(test_create_like_qemu_img)
{
    static const char *const fmts[] = { "qcow2", "raw" };
    static const char *const same[][8] = {
        { "create", "-f", "qcow2", "-o", "bogus=1", "x.img", "1M", NULL },
        { "create", "-f", "raw", "-o", "bogus=1", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "lazy_refcounts=maybe", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "refcount_bits=x", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "refcount_bits=3", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "cluster_size=1000", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", ",cluster_size=4k", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "cluster_size=4k,", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "size=2M", "x.img", "1M", NULL },
        { "create", "-f", "qcow2", "-o", "cluster_size=99999999999999999999", "x.img", "1M",
          NULL },
        { "create", "-f", "raw", "-o", "cluster_size=4k", "x.img", "1M", NULL },
        /* KEY=help is a value to qemu-img, not a help request */
        { "create", "-f", "qcow2", "-o", "cluster_size=help", "x.img", "1M", NULL },
    };

    if (!qemu_img) {
        printf("SKIP test_create_like_qemu_img: no qemu-img in PATH\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(fmts); i++) {
        RunResult d = run(duet_img, "create", "-f", fmts[i], "-o", "help", "x.img", NULL);
        RunResult q = run(qemu_img, "create", "-f", fmts[i], "-o", "help", "x.img", NULL);
        g_auto(GStrv) lines = g_strsplit(d.out, "\n", -1);

        ck_assert_int_eq(d.status, q.status);
        for (int j = 0; lines[j] && *lines[j]; j++) {
            g_autofree char *key = g_strndup(lines[j], strcspn(lines[j], "="));
            g_autofree char *with_nl = g_strconcat("\n", lines[j], "\n", NULL);

            /* qcow2's preallocation: duet has fewer modes (off, metadata). */
            if (j == 0 || (!strcmp(fmts[i], "qcow2") && strstr(key, "preallocation"))) {
                continue;
            }
            ck_assert_msg(strstr(q.out, with_nl), "%s: duet-img's line\n%s\nnot qemu-img's:\n%s",
                          fmts[i], lines[j], q.out);
        }
        ck_assert_str_eq(lines[0], "Supported options:");
        run_free(&d);
        run_free(&q);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(same); i++) {
        const char *dv[10] = { duet_img }, *qv[10] = { qemu_img };
        RunResult d, q;
        g_autofree char *q_err = NULL;

        for (int j = 0; same[i][j]; j++) {
            dv[j + 1] = qv[j + 1] = same[i][j];
        }
        g_autofree char *x = g_build_filename(tmpdir, "x.img", NULL);

        q = run_argv(qv);
        unlink(x);
        d = run_argv(dv);
        ck_assert_msg(!exists("x.img"), "%s %s left x.img", same[i][3], same[i][4]);
        ck_assert_msg(d.status == q.status, "%s %s: status %d, qemu-img %d", same[i][3],
                      same[i][4], d.status, q.status);
        /* qemu-img: the prefix; its size messages have a second line. */
        q_err = g_strconcat("duet-img", q.err + strlen("qemu-img"), NULL);
        if (!strstr(q.err, "Optional suffix")) {
            ck_assert_msg(!strcmp(d.err, q_err), "duet-img: %sqemu-img: %s", d.err, q.err);
        }
        run_free(&d);
        run_free(&q);
    }
}
END_TEST

START_TEST(test_image_opts)
{
    RunResult r = run(duet_img, "create", "-q", "-f", "qcow2", "d,1.qcow2", "1M", NULL);

    ck_assert_msg(r.status == 0, "%s", r.err);
    run_free(&r);
    /* ",," in a file name, as in QEMU. */
    r = run(duet_img, "info", "--image-opts", "driver=qcow2,file.filename=d,,1.qcow2", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(g_str_has_prefix(r.out, "image: d,1.qcow2\n"
                                          "file format: qcow2\n"), "%s", r.out);
    run_free(&r);
    IMG_ERROR("Could not open 'driver=qcow2,file.filename=d,,1.qcow2,l2-cache-size=1.5': "
              "Parameter 'l2-cache-size' expects a non-negative number below 2^64\n"
              "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
              "and exabytes, respectively.", "info", "--image-opts",
              "driver=qcow2,file.filename=d,,1.qcow2,l2-cache-size=1.5");
    IMG_ERROR("Could not open 'driver=qcow2,file.filename=d,,1.qcow2,bogus=1': Block format "
              "'qcow2' does not support the option 'bogus'", "check", "--image-opts",
              "driver=qcow2,file.filename=d,,1.qcow2,bogus=1");
    IMG_ERROR("Could not open ',driver=qcow2': Invalid parameter ''", "map", "--image-opts",
              ",driver=qcow2");
    /* help: the node options of the driver, with the protocol's as file.KEY. */
    r = run(duet_img, "info", "--image-opts", "driver=qcow2,file.filename=d,,1.qcow2,help",
            NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(g_str_has_prefix(r.out, "qcow2 options:\n  auto-read-only=<bool (on/off)> "), "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "\n  file.aio=<str>         - "));
    run_free(&r);
    r = run(duet_img, "check", "--image-opts", "driver=qcow2,overlap-check=help", NULL);
    ck_assert_msg(r.status == 0 && g_str_has_prefix(r.out, "  overlap-check=<str>    - ") &&
                  one_line(r.out), "%d %s", r.status, r.out);
    run_free(&r);
}
END_TEST

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-options-cli-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    ck_assert_int_eq(system(cmd), 0);
    g_clear_pointer(&tmpdir, g_free);
}

int main(int argc, char **argv)
{
    Suite *s = suite_create("options-cli");
    TCase *tc = tcase_create("cli");
    SRunner *sr;
    int failed;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DUET DUET-IMG [EXIT-NOW-GUEST]\n", argv[0]);
        return 1;
    }
    /* Absolute: the commands run in a temporary directory. */
    duet = g_canonicalize_filename(argv[1], NULL);
    duet_img = g_canonicalize_filename(argv[2], NULL);
    if (argc > 3 && access(argv[3], R_OK) == 0) {
        exit_now_kernel = g_canonicalize_filename(argv[3], NULL);
    }
    qemu_img = g_find_program_in_path("qemu-img");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_accel);
    tcase_add_test(tc, test_machine);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_memory_sizes);
    tcase_add_test(tc, test_smp_trace);
    tcase_add_test(tc, test_device);
    tcase_add_test(tc, test_device_runs);
    tcase_add_test(tc, test_serial);
    tcase_add_test(tc, test_serial_files);
    tcase_add_test(tc, test_drive);
    tcase_add_test(tc, test_drive_comma_file);
    tcase_add_test(tc, test_initrd);
    tcase_add_test(tc, test_create_options);
    tcase_add_test(tc, test_create_help);
    tcase_add_test(tc, test_create_like_qemu_img);
    tcase_add_test(tc, test_image_opts);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
