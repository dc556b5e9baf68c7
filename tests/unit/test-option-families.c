/*
 * Each option family on the one parser, through the function the command
 * line uses: -accel (accel_opts_parse), -device (pc_machine_device_check),
 * -drive (ide_drive_check), -serial (qemu_chr_check_spec, qemu_chr_new),
 * -trace (trace_opt_parse).  For each: ",," escapes, the implied key,
 * help and KEY=help, unknown keys and bad values with their messages.
 * (-machine, -m, -smp live in vl.c: tests/cli/test-options-cli.c; block
 * node options and -o: test-block-options.)
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev/char.h"
#include "hw/i386/pc.h"
#include "hw/ide/pci.h"
#include "qemu/main-loop.h"
#include "sysemu/accel.h"
#include "trace/trace.h"

typedef bool CheckFn(const char *str, FILE *out, bool *help, Error **errp);

/* One run of a family's check: its result, message and printed help. */
typedef struct Outcome {
    bool ok;
    bool help;
    char *msg;
    char *out;
} Outcome;

static Outcome run_check(CheckFn *fn, const char *str)
{
    Outcome o = { 0 };
    size_t len = 0;
    FILE *f = open_memstream(&o.out, &len);
    Error *err = NULL;

    o.ok = fn(str, f, &o.help, &err);
    fclose(f);
    ck_assert_msg(o.ok == !err, "%s: result and error disagree", str);
    ck_assert_msg(!o.help || o.ok, "%s: help and failure", str);
    ck_assert_msg(o.help == (len > 0), "%s: help %d but %zu bytes printed", str, o.help, len);
    if (err) {
        o.msg = g_strdup(error_get_pretty(err));
        error_free(err);
    }
    return o;
}

static void outcome_clear(Outcome *o)
{
    g_free(o->msg);
    free(o->out);
}

static void assert_ok(CheckFn *fn, const char *str)
{
    Outcome o = run_check(fn, str);

    ck_assert_msg(o.ok && !o.help, "%s: %s", str, o.msg ? o.msg : "help printed");
    outcome_clear(&o);
}

static void assert_err(CheckFn *fn, const char *str, const char *msg)
{
    Outcome o = run_check(fn, str);

    ck_assert_msg(!o.ok, "%s accepted", str);
    ck_assert_msg(!strcmp(o.msg, msg), "%s: \"%s\", want \"%s\"", str, o.msg, msg);
    outcome_clear(&o);
}

/* Help printed; its text starts with @start. */
static void assert_help(CheckFn *fn, const char *str, const char *start)
{
    Outcome o = run_check(fn, str);

    ck_assert_msg(o.help, "%s: no help (%s)", str, o.msg ? o.msg : "accepted");
    ck_assert_msg(g_str_has_prefix(o.out, start), "%s printed:\n%s", str, o.out);
    outcome_clear(&o);
}

/* Help of exactly one line, for KEY=help. */
static void assert_key_help(CheckFn *fn, const char *str, const char *start)
{
    Outcome o = run_check(fn, str);

    ck_assert_msg(o.help && g_str_has_prefix(o.out, start) &&
                  strchr(o.out, '\n') == o.out + strlen(o.out) - 1,
                  "%s printed: %s", str, o.out ? o.out : "");
    outcome_clear(&o);
}

/* ---- -accel ---- */

static bool accel_check(const char *str, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = accel_opts_parse(str, out, help, errp);

    return opts || *help;
}

START_TEST(test_accel)
{
    Error *err = NULL;
    bool help;
    g_autoptr(QemuOpts) o = accel_opts_parse("kvm,kernel-irqchip=split", stdout, &help, &err);

    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(qemu_opt_get(o, "accel"), "kvm");
    ck_assert_str_eq(qemu_opt_get(o, "kernel-irqchip"), "split");
    assert_ok(accel_check, "tcg");
    assert_ok(accel_check, "accel=kvm,kernel-irqchip=off");
    assert_ok(accel_check, "kvm,kernel-irqchip=on,");
    assert_ok(accel_check, "tcg,thread=single");
    assert_ok(accel_check, "accel=tcg,thread=multi");
    /* a bad thread= is tcg's to refuse (its init_machine, as QEMU's
     * accelerator does), not the parser's */
    assert_ok(accel_check, "tcg,thread=bogus");
    /* QEMU 7.2 refuses unknown options too. */
    assert_err(accel_check, "tcg,bogus=1", "Invalid parameter 'bogus'");
    assert_err(accel_check, "kvm,bogus=1", "Invalid parameter 'bogus'");
    assert_err(accel_check, "kvm,kernel-irqchip=maybe",
               "Parameter 'kernel-irqchip' does not accept value 'maybe'");
    assert_err(accel_check, "kvm,kernel-irqchip", "Expected '=' after parameter 'kernel-irqchip'");
    assert_err(accel_check, "xen", "invalid accelerator xen (try -accel help)");
    /* ",," is a comma in the implied value, as QEMU reads it. */
    assert_err(accel_check, "kvm,,kernel-irqchip=off",
               "invalid accelerator kvm,kernel-irqchip=off (try -accel help)");
    assert_err(accel_check, "kernel-irqchip=on", "Parameter 'accel' is missing");
    assert_help(accel_check, "help", "Accelerators supported in duet binary:\n");
    assert_help(accel_check, "?", "Accelerators supported in duet binary:\n");
    assert_help(accel_check, "kvm,help", "kvm options:\n  kernel-irqchip=<str>   - ");
    assert_help(accel_check, "tcg,help", "tcg options:\n  thread=<str>           - ");
    assert_key_help(accel_check, "kvm,kernel-irqchip=help", "  kernel-irqchip=<str>   - ");
    /* Help wins over a bad value next to it. */
    assert_help(accel_check, "kvm,kernel-irqchip=maybe,help", "kvm options:\n");
}
END_TEST

/* ---- -device ---- */

static CheckFn *const device_check = pc_machine_device_check;

START_TEST(test_device)
{
    assert_ok(device_check, "isa-debug-exit");
    assert_ok(device_check, "isa-debug-exit,iobase=0xf4,iosize=4");
    assert_ok(device_check, "driver=isa-debug-exit,iobase=244,id=exit0");
    assert_ok(device_check, "isa-debug-exit,iobase=1,iobase=0xffff,iosize=1");
    assert_err(device_check, "isa-debug-exit,bogus=1",
               "Property 'isa-debug-exit.bogus' not found");
    assert_err(device_check, "isa-debug-exit,iobase=abc", "Parameter 'iobase' expects a number");
    assert_err(device_check, "isa-debug-exit,iobase=-1", "Parameter 'iobase' expects a number");
    assert_err(device_check, "isa-debug-exit,iobase=0x10000",
               "Value '0x10000' is out of range for parameter 'iobase' (minimum: 0, "
               "maximum: 65535)");
    assert_err(device_check, "isa-debug-exit,iosize=0",
               "Value '0' is out of range for parameter 'iosize' (minimum: 1, maximum: 4)");
    assert_err(device_check, "isa-debug-exit,iobase=99999999999999999999",
               "Value '99999999999999999999' is too large for parameter 'iobase'");
    assert_err(device_check, "isa-debug-exit,iobase",
               "Expected '=' after parameter 'iobase'");
    /* QEMU 7.2: the escaped comma stays in the device name. */
    assert_err(device_check, "isa-debug-exit,,iobase=0xf4",
               "'isa-debug-exit,iobase=0xf4' is not a valid device model name "
               "(try -device help)");
    assert_err(device_check, ",iobase=1",
               "'' is not a valid device model name (try -device help)");
    assert_err(device_check, "iobase=1", "Parameter 'driver' is missing");
    assert_help(device_check, "help", "Storage devices:\n");
    assert_help(device_check, "isa-debug-exit,help",
                "isa-debug-exit options:\n"
                "  iobase=<num>           - I/O port of the exit register (default: 0x501)\n"
                "  iosize=<num>           - ");
    assert_help(device_check, "isa-debug-exit,?", "isa-debug-exit options:\n");
    assert_help(device_check, "isa-debug-exit,iobase=x,help", "isa-debug-exit options:\n");
    assert_key_help(device_check, "isa-debug-exit,iosize=help", "  iosize=<num>           - ");
    assert_err(device_check, "bogus,help",
               "'bogus' is not a valid device model name (try -device help)");
}
END_TEST

/* ---- -drive ---- */

static CheckFn *const drive_check = ide_drive_check;

START_TEST(test_drive)
{
    assert_ok(drive_check, "file=a,,b,format=raw,index=3,readonly=on,cache=none");
    assert_ok(drive_check, "file=d.qcow2,bus=1,unit=0x1,if=ide,media=disk");
    /* Keys -drive does not know are node options, checked at open. */
    assert_ok(drive_check, "file=d.qcow2,l2-cache-size=1M,bogus=1,file.aio=threads");
    /* Free text takes "help" literally: an image called help. */
    assert_ok(drive_check, "file=help");
    assert_err(drive_check, "file=a,index=x", "Parameter 'index' expects a number");
    assert_err(drive_check, "file=a,index=4",
               "Value '4' is out of range for parameter 'index' (minimum: 0, maximum: 3)");
    assert_err(drive_check, "file=a,bus=2",
               "Value '2' is out of range for parameter 'bus' (minimum: 0, maximum: 1)");
    assert_err(drive_check, "file=a,bus=99999999999999999999",
               "Value '99999999999999999999' is too large for parameter 'bus'");
    assert_err(drive_check, "file=a,unit=1a", "Parameter 'unit' expects a number");
    assert_err(drive_check, "file=a,readonly=maybe", "Parameter 'readonly' expects 'on' or 'off'");
    assert_err(drive_check, "file=a,readonly", "Expected '=' after parameter 'readonly'");
    assert_err(drive_check, "file=a,if=scsi", "Parameter 'if' does not accept value 'scsi'");
    assert_err(drive_check, "file=a,cache=fast", "Parameter 'cache' does not accept value 'fast'");
    assert_err(drive_check, "file=a,format=vmdk", "Parameter 'format' does not accept value 'vmdk'");
    assert_err(drive_check, ",file=a", "Invalid parameter ''");
    assert_err(drive_check, "a.img", "Expected '=' after parameter 'a.img'");
    assert_help(drive_check, "help", "drive options:\n  bus=<num>              - ");
    {
        Outcome o = run_check(drive_check, "format=qcow2,help");
        ck_assert_ptr_nonnull(strstr(o.out, "\nOther keys are block node options:\nqcow2 options:\n"));
        ck_assert_ptr_nonnull(strstr(o.out, "\n  file.aio=<str> "));
        ck_assert_ptr_null(strstr(o.out, "raw options:"));
        outcome_clear(&o);
        o = run_check(drive_check, "?");
        ck_assert_ptr_nonnull(strstr(o.out, "raw options:"));
        ck_assert_ptr_nonnull(strstr(o.out, "qcow2 options:"));
        outcome_clear(&o);
    }
    assert_key_help(drive_check, "file=a,index=help", "  index=<num>            - ");
    assert_key_help(drive_check, "format=?", "  format=<str>           - ");
    assert_key_help(drive_check, "file=a,format=qcow2,overlap-check=help",
                    "  overlap-check=<str>    - ");
    assert_key_help(drive_check, "file=a,aio=help", "  aio=<str>              - ");
}
END_TEST

/* ---- -serial ---- */

static CheckFn *const serial_check = qemu_chr_check_spec;

static char *tmpdir;

static char *read_file(const char *name)
{
    g_autofree char *path = g_build_filename(tmpdir, name, NULL);
    char *contents = NULL;

    return g_file_get_contents(path, &contents, NULL, NULL) ? contents : NULL;
}

static void serial_write(const char *spec, const char *text)
{
    Error *err = NULL;
    Chardev *chr = qemu_chr_new("test", spec, NULL, &err);
    CharFrontend *fe;

    ck_assert_msg(chr, "%s: %s", spec, err ? error_get_pretty(err) : "");
    fe = qemu_chr_fe_attach(chr, &err);
    ck_assert_ptr_nonnull(fe);
    ck_assert_int_eq(qemu_chr_fe_write_all(fe, (const uint8_t *)text, strlen(text)),
                     (int)strlen(text));
    qemu_chr_fe_detach(fe);
    qemu_chr_delete(chr);
}

START_TEST(test_serial)
{
    g_autofree char *legacy = g_strdup_printf("file:%s/a,,b", tmpdir);
    g_autofree char *escaped = g_strdup_printf("file,path=%s/c,,d", tmpdir);
    g_autofree char *append = g_strdup_printf("file,append=on,path=%s/c,,d", tmpdir);
    g_autofree char *truncate = g_strdup_printf("backend=file,path=%s/c,,d", tmpdir);
    Error *err = NULL;

    assert_ok(serial_check, "stdio");
    assert_ok(serial_check, "null,");
    assert_ok(serial_check, "file:x,y");
    assert_ok(serial_check, "file,path=x,append=off");
    assert_err(serial_check, "stdio,bogus=1", "Invalid parameter 'bogus'");
    assert_err(serial_check, "null,path=x", "Invalid parameter 'path'");
    assert_err(serial_check, "file,path=x,append=maybe",
               "Parameter 'append' expects 'on' or 'off'");
    assert_err(serial_check, "bogus",
               "'bogus' is not a valid char driver name (try -chardev help)");
    assert_err(serial_check, "bogus::4444",
               "'bogus::4444' is not a valid char driver name (try -chardev help)");
    assert_err(serial_check, "file,,path=x",
               "'file,path=x' is not a valid char driver name (try -chardev help)");
    assert_ok(serial_check, "tcp::4444,server=on,wait=off");
    assert_ok(serial_check, "unix:/tmp/x,,y,server=on");
    assert_ok(serial_check, "mon:stdio");
    assert_ok(serial_check, "pipe:/tmp/p");
    assert_err(serial_check, "tcp:4444", "'tcp:4444': expected tcp:HOST:PORT");
    assert_err(serial_check, "unix:/x,bogus=1", "Invalid parameter 'bogus'");
    assert_help(serial_check, "help", "Available chardev backend types");
    assert_help(serial_check, "?", "Available chardev backend types");
    assert_help(serial_check, "file,help", "file options:\n  append=<bool (on/off)> - ");
    assert_help(serial_check, "stdio,help", "stdio options:\n  signal=<bool (on/off)> - ");
    assert_help(serial_check, "null,help", "There are no options for null.\n");
    assert_key_help(serial_check, "file,append=?", "  append=<bool (on/off)> - ");

    /* QEMU's file:PATH takes the path literally; the option syntax unescapes. */
    serial_write(legacy, "one");
    g_autofree char *a = read_file("a,,b");
    ck_assert_str_eq(a, "one");
    serial_write(escaped, "two");
    serial_write(append, "three");
    g_autofree char *c = read_file("c,d");
    ck_assert_str_eq(c, "twothree");
    serial_write(truncate, "four");
    g_autofree char *c2 = read_file("c,d");
    ck_assert_str_eq(c2, "four");
    ck_assert_ptr_null(qemu_chr_new("test", "file,append=on", NULL, &err));
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'path' is missing "
                     "(file,path=PATH or file:PATH)");
    error_free(err);
}
END_TEST

/* ---- -trace ---- */

START_TEST(test_trace)
{
    g_autofree char *file = g_build_filename(tmpdir, "t,1", NULL);
    g_autofree char *arg = g_strdup_printf("enable=laio_submit,file=%s/t,,1", tmpdir);
    Error *err = NULL;

    ck_assert(trace_opt_parse(arg, &err));
    ck_assert(g_file_test(file, G_FILE_TEST_EXISTS)); /* the ",," named "t,1" */
    trace_enable_events("laio_submit", false);
    trace_close();
    ck_assert(!trace_opt_parse("qemu_*,bogus=1", &err));
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter 'bogus'");
    error_free(err);
    err = NULL;
    ck_assert(!trace_opt_parse("a,b", &err));
    ck_assert_str_eq(error_get_pretty(err), "Expected '=' after parameter 'b'");
    error_free(err);
}
END_TEST

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

/* -trace format=json: Chrome trace events, frames balanced per thread. */
START_TEST(test_trace_json)
{
    g_autofree char *file = g_build_filename(tmpdir, "t.json", NULL);
    g_autofree char *arg = g_strdup_printf("enable=test_frame*,file=%s", file);
    g_autofree char *text = NULL;
    Error *err = NULL;

    ck_assert(!trace_opt_parse("format=xml,file=x", &err));
    ck_assert_str_eq(error_get_pretty(err), "-trace format=xml: expected log or json");
    error_free(err);
    err = NULL;
    ck_assert(!trace_opt_parse("format=json", &err));
    ck_assert_str_eq(error_get_pretty(err), "-trace format=json needs file=FILE");
    error_free(err);
    err = NULL;

    ck_assert(trace_opt_parse(arg, &err)); /* *.json: the JSON format */
    trace_event_begin(test_frame, "a=1 b=\"x\" word");
    trace_event(test_frame_instant, NULL);
    trace_event_end(test_frame_done, test_frame, "ret=0");
    trace_event_end(test_frame_done, test_frame, "ret=1"); /* no begin: dropped */
    trace_event_begin(test_frame, "left=open");            /* closed at the end */
    uint64_t old = trace_req_set(trace_req_new());
    trace_event(test_frame_instant, "with=req");
    trace_req_set(old);
    trace_enable_events("test_frame*", false);
    trace_close();
    ck_assert(g_file_get_contents(file, &text, NULL, NULL));
    ck_assert(g_str_has_prefix(text, "[\n{\"ph\":\"M\",\"name\":\"thread_name\""));
    ck_assert(g_str_has_suffix(text, "\n]\n"));
    ck_assert_int_eq(count_of(text, "\"ph\":\"B\",\"name\":\"test_frame\""), 2);
    ck_assert_int_eq(count_of(text, "\"ph\":\"E\",\"name\":\"test_frame\""), 2);
    ck_assert_int_eq(count_of(text, "\"ph\":\"i\""), 2);
    ck_assert(strstr(text, "\"args\":{\"a\":\"1\",\"b\":\"\\\"x\\\"\",\"msg\":\"word\"}"));
    ck_assert(strstr(text, "\"args\":{\"end\":\"test_frame_done\",\"ret\":\"0\"}"));
    ck_assert(!strstr(text, "\"ret\":\"1\""));
    ck_assert(strstr(text, "\"msg\":\"unfinished\""));
    ck_assert(strstr(text, "\"req\":"));
}
END_TEST

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-families-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    ck_assert_int_eq(system(cmd), 0);
    g_clear_pointer(&tmpdir, g_free);
}

int main(void)
{
    Error *err = NULL;

    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        return 1;
    }
    Suite *s = suite_create("option-families");
    TCase *tc = tcase_create("families");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_accel);
    tcase_add_test(tc, test_device);
    tcase_add_test(tc, test_drive);
    tcase_add_test(tc, test_serial);
    tcase_add_test(tc, test_trace);
    tcase_add_test(tc, test_trace_json);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
