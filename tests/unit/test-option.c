/*
 * util/qemu-option.c and util/cutils.c: the one key=value parser.  Syntax
 * (",," escapes, implied first key, empty items, last key wins), typed
 * values and their messages, help requests, validation of the keys a
 * family leaves to someone else, and the help listing's shape.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/cutils.h"
#include "qemu/option.h"

static const char *const modes[] = { "on", "off", "split", NULL };

static const QemuOptDesc test_desc[] = {
    { .name = "str", .type = QEMU_OPT_STRING, .help = "some text" },
    { .name = "flag", .type = QEMU_OPT_BOOL, .help = "a switch" },
    { .name = "num", .type = QEMU_OPT_NUMBER, .help = "a port", .min = 1, .max = 0xffff },
    { .name = "big", .type = QEMU_OPT_NUMBER },
    { .name = "sz", .type = QEMU_OPT_SIZE, .help = "bytes", .def_value_str = "64k" },
    { .name = "mem", .type = QEMU_OPT_SIZE, .unit = 1 << 20, .min = 1 << 20, .max = 1ULL << 36 },
    { .name = "mode", .type = QEMU_OPT_STRING, .help = "how", .values = modes },
    { NULL },
};

static const QemuOptsList plain_list = { .name = "test", .desc = test_desc };
static const QemuOptsList implied_list = {
    .name = "test", .implied_key = "str", .desc = test_desc,
};
static const QemuOptsList pass_list = {
    .name = "test", .implied_key = "str", .pass_unknown = true, .desc = test_desc,
};

static QemuOpts *parse_ok(const QemuOptsList *list, const char *str)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(list, str, &err);

    ck_assert_msg(opts, "'%s': %s", str, err ? error_get_pretty(err) : "?");
    return opts;
}

/* The message of a refused string. */
static char *parse_err(const QemuOptsList *list, const char *str)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(list, str, &err);
    char *msg;

    ck_assert_msg(!opts, "'%s' accepted", str);
    ck_assert_ptr_nonnull(err);
    msg = g_strdup(error_get_pretty(err));
    error_free(err);
    return msg;
}

#define ASSERT_PARSE_ERR(list, str, msg)                                 \
    do {                                                                 \
        g_autofree char *m_ = parse_err(list, str);                      \
        ck_assert_msg(!strcmp(m_, msg), "'%s': got \"%s\"", str, m_);    \
    } while (0)

START_TEST(test_escaping)
{
    g_autoptr(QemuOpts) a = parse_ok(&plain_list, "str=a,,b,flag=on");
    g_autoptr(QemuOpts) b = parse_ok(&plain_list, "str=,,,,x,,");
    g_autoptr(QemuOpts) c = parse_ok(&implied_list, "a,,b,flag=off");
    g_autoptr(QemuOpts) d = parse_ok(&implied_list, "x,,num=5");
    g_autoptr(QemuOpts) e = parse_ok(&plain_list, "str=k=v");

    ck_assert_str_eq(qemu_opt_get(a, "str"), "a,b");
    ck_assert(qemu_opt_get_bool(a, "flag", false));
    ck_assert_str_eq(qemu_opt_get(b, "str"), ",,x,");
    /* In the implied value too, as QEMU's -device isa-debug-exit,,iobase=1. */
    ck_assert_str_eq(qemu_opt_get(c, "str"), "a,b");
    ck_assert(!qemu_opt_get_bool(c, "flag", true));
    ck_assert_str_eq(qemu_opt_get(d, "str"), "x,num=5");
    ck_assert_ptr_null(qemu_opt_get(d, "num"));
    /* Only the first '=' separates. */
    ck_assert_str_eq(qemu_opt_get(e, "str"), "k=v");
}
END_TEST

START_TEST(test_implied_key)
{
    g_autoptr(QemuOpts) a = parse_ok(&implied_list, "hello,num=7");
    g_autoptr(QemuOpts) b = parse_ok(&implied_list, "str=hello,num=7");
    g_autoptr(QemuOpts) c = parse_ok(&implied_list, ",num=7");
    g_autoptr(QemuOpts) d = parse_ok(&implied_list, "x,str=y");

    ck_assert_str_eq(qemu_opt_get(a, "str"), "hello");
    ck_assert_uint_eq(qemu_opt_get_number(a, "num", 0), 7);
    ck_assert_str_eq(qemu_opt_get(b, "str"), "hello");
    /* A leading comma: an empty first value. */
    ck_assert_str_eq(qemu_opt_get(c, "str"), "");
    /* The implied key spelled out later wins, as any repeated key. */
    ck_assert_str_eq(qemu_opt_get(d, "str"), "y");
    /* Only the first item may omit its key. */
    ASSERT_PARSE_ERR(&implied_list, "a,b", "Expected '=' after parameter 'b'");
    /* Without an implied key no item may. */
    ASSERT_PARSE_ERR(&plain_list, "hello", "Expected '=' after parameter 'hello'");
}
END_TEST

START_TEST(test_empty_items)
{
    g_autoptr(QemuOpts) a = parse_ok(&plain_list, "num=1,");
    g_autoptr(QemuOpts) b = parse_ok(&plain_list, "");
    g_autoptr(QemuOpts) c = parse_ok(&plain_list, "str=");

    ck_assert_uint_eq(qemu_opt_get_number(a, "num", 0), 1);
    ck_assert_ptr_null(qemu_opt_get(b, "str"));
    ck_assert_str_eq(qemu_opt_get(c, "str"), "");
    ASSERT_PARSE_ERR(&plain_list, ",num=1", "Invalid parameter ''");
    ASSERT_PARSE_ERR(&plain_list, "=1", "Invalid parameter ''");
    ASSERT_PARSE_ERR(&pass_list, "x,=1", "Invalid parameter ''");
}
END_TEST

START_TEST(test_last_wins)
{
    g_autoptr(QemuOpts) a = parse_ok(&plain_list, "num=1,num=2,flag=on,flag=off");

    ck_assert_uint_eq(qemu_opt_get_number(a, "num", 0), 2);
    ck_assert(!qemu_opt_get_bool(a, "flag", true));
    /* Absent: the default. */
    ck_assert_uint_eq(qemu_opt_get_size(a, "sz", 99), 99);
    ck_assert_ptr_null(qemu_opt_get(a, "str"));
}
END_TEST

START_TEST(test_unknown_key)
{
    g_autoptr(QemuOpts) p = parse_ok(&pass_list, "x,other=1,num=3");
    Error *err = NULL;

    ASSERT_PARSE_ERR(&plain_list, "bogus=1", "Invalid parameter 'bogus'");
    ASSERT_PARSE_ERR(&plain_list, "num=1,bogus=1", "Invalid parameter 'bogus'");
    /* Passed on unchecked, then refused or typed by the owner's table. */
    ck_assert_str_eq(qemu_opt_get(p, "other"), "1");
    ck_assert(!qemu_opts_validate(p, NULL, &err));
    ck_assert_str_eq(error_get_pretty(err), "Invalid parameter 'other'");
    error_free(err);
    err = NULL;
    {
        static const QemuOptDesc owner[] = {
            { .name = "other", .type = QEMU_OPT_BOOL }, { NULL },
        };
        g_autoptr(QemuOpts) q = parse_ok(&pass_list, "x,other=on");
        g_autoptr(QemuOpts) r = parse_ok(&pass_list, "x,other=maybe");

        ck_assert(qemu_opts_validate(q, owner, &err));
        ck_assert(qemu_opt_get_bool(q, "other", false));
        ck_assert(!qemu_opts_validate(r, owner, &err));
        ck_assert_str_eq(error_get_pretty(err), "Parameter 'other' expects 'on' or 'off'");
        error_free(err);
    }
}
END_TEST

START_TEST(test_bool)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };

    for (size_t i = 0; i < 3; i++) {
        g_autofree char *s1 = g_strdup_printf("flag=%s", yes[i]);
        g_autofree char *s0 = g_strdup_printf("flag=%s", no[i]);
        g_autoptr(QemuOpts) a = parse_ok(&plain_list, s1);
        g_autoptr(QemuOpts) b = parse_ok(&plain_list, s0);

        ck_assert(qemu_opt_get_bool(a, "flag", false));
        ck_assert(!qemu_opt_get_bool(b, "flag", true));
    }
    ASSERT_PARSE_ERR(&plain_list, "flag=maybe", "Parameter 'flag' expects 'on' or 'off'");
    ASSERT_PARSE_ERR(&plain_list, "flag=", "Parameter 'flag' expects 'on' or 'off'");
    ASSERT_PARSE_ERR(&plain_list, "flag=ON", "Parameter 'flag' expects 'on' or 'off'");
    /* QEMU's deprecated short form "flag" for flag=on is not taken. */
    ASSERT_PARSE_ERR(&plain_list, "flag", "Expected '=' after parameter 'flag'");
}
END_TEST

START_TEST(test_number)
{
    g_autoptr(QemuOpts) a = parse_ok(&plain_list, "num=0xf4,big=18446744073709551615");
    g_autoptr(QemuOpts) b = parse_ok(&plain_list, "num=010");

    ck_assert_uint_eq(qemu_opt_get_number(a, "num", 0), 0xf4);
    ck_assert_uint_eq(qemu_opt_get_number(a, "big", 0), UINT64_MAX);
    ck_assert_uint_eq(qemu_opt_get_number(b, "num", 0), 10); /* decimal, not octal */
    ASSERT_PARSE_ERR(&plain_list, "num=abc", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "num=", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "num=-1", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "num=1k", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "num=0x", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "num= 1", "Parameter 'num' expects a number");
    ASSERT_PARSE_ERR(&plain_list, "big=18446744073709551616",
                     "Value '18446744073709551616' is too large for parameter 'big'");
    /* The table's range. */
    ASSERT_PARSE_ERR(&plain_list, "num=0",
                     "Value '0' is out of range for parameter 'num' (minimum: 1, maximum: 65535)");
    ASSERT_PARSE_ERR(&plain_list, "num=0x10000",
                     "Value '0x10000' is out of range for parameter 'num' (minimum: 1, "
                     "maximum: 65535)");
}
END_TEST

START_TEST(test_size)
{
    static const struct {
        const char *str;
        uint64_t unit, bytes;
    } good[] = {
        { "0", 1, 0 },
        { "4096", 1, 4096 },
        { "64k", 1, 65536 },
        { "64K", 1, 65536 },
        { "1M", 1, 1 << 20 },
        { "1.5M", 1, 3 << 19 },
        { "2g", 1, 2ULL << 30 },
        { "1T", 1, 1ULL << 40 },
        { "512B", 1, 512 },
        { "512b", 1, 512 },
        { "15E", 1, 15ULL << 60 },
        { "0x10", 1, 16 },
        { "18446744073709551615", 1, UINT64_MAX },
        { "128", 1 << 20, 128 << 20 }, /* -m: a bare number is MiB */
        { "128k", 1 << 20, 128 << 10 },
        { "1.5G", 1 << 20, 3ULL << 29 },
        { "512B", 1 << 20, 512 },
    };
    static const char *const bad[] = {
        "", "-1", "+1", "abc", "1x", "1MB", " 1", "1 ", "1.5", "1.M", ".5M", "0x10k",
        "inf", "1e3", "1,5",
    };
    static const char *const too_big[] = { "16E", "18446744073709551616", "99999999999T" };
    uint64_t v;

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        ck_assert_msg(qemu_strtosz(good[i].str, good[i].unit, &v) == 0, "%s", good[i].str);
        ck_assert_msg(v == good[i].bytes, "%s -> %" G_GUINT64_FORMAT, good[i].str, v);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(qemu_strtosz(bad[i], 1, &v) == -EINVAL, "'%s' accepted", bad[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(too_big); i++) {
        ck_assert_msg(qemu_strtosz(too_big[i], 1, &v) == -ERANGE, "'%s'", too_big[i]);
    }
    ck_assert_int_eq(qemu_strtosz("17592186044416", 1 << 20, &v), -ERANGE);
    ASSERT_PARSE_ERR(&plain_list, "sz=2Q",
                     "Parameter 'sz' expects a non-negative number below 2^64 (optional "
                     "suffix k, M, G, T, P or E for powers of 1024)");
    ASSERT_PARSE_ERR(&plain_list, "sz=16E", "Value '16E' is out of range for parameter 'sz'");
    ASSERT_PARSE_ERR(&plain_list, "mem=1K",
                     "Value '1K' is out of range for parameter 'mem' (minimum: 1 MiB, "
                     "maximum: 64 GiB)");
    {
        g_autoptr(QemuOpts) a = parse_ok(&plain_list, "mem=256,sz=1.5k");
        ck_assert_uint_eq(qemu_opt_get_size(a, "mem", 0), 256 << 20);
        ck_assert_uint_eq(qemu_opt_get_size(a, "sz", 0), 1536);
    }
}
END_TEST

START_TEST(test_enum)
{
    g_autoptr(QemuOpts) a = parse_ok(&plain_list, "mode=split");

    ck_assert_str_eq(qemu_opt_get(a, "mode"), "split");
    ASSERT_PARSE_ERR(&plain_list, "mode=maybe", "Parameter 'mode' does not accept value 'maybe'");
}
END_TEST

START_TEST(test_help_request)
{
    static const char *const family[] = { "help", "?", "num=1,help", "help,num=1",
                                          "num=abc,help", "bogus=1,?" };
    static const char *const keyed[] = { "num=help", "flag=?", "mode=help", "sz=help" };
    g_autoptr(QemuOpts) text = parse_ok(&plain_list, "str=help");
    g_autoptr(QemuOpts) impl = parse_ok(&implied_list, "help");
    g_autoptr(QemuOpts) impl2 = parse_ok(&implied_list, "x,help");
    g_autoptr(QemuOpts) impl3 = parse_ok(&implied_list, "help,,x");

    for (size_t i = 0; i < G_N_ELEMENTS(family); i++) {
        g_autoptr(QemuOpts) o = parse_ok(&plain_list, family[i]);
        ck_assert_msg(qemu_opts_help_wanted(o), "%s", family[i]);
        ck_assert_ptr_null(qemu_opts_help_key(o));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(keyed); i++) {
        g_autoptr(QemuOpts) o = parse_ok(&plain_list, keyed[i]);
        g_autofree char *key = g_strndup(keyed[i], strcspn(keyed[i], "="));
        ck_assert_msg(qemu_opts_help_wanted(o), "%s", keyed[i]);
        ck_assert_str_eq(qemu_opts_help_key(o), key);
    }
    /* Free text takes "help" literally (a file may be called that). */
    ck_assert(!qemu_opts_help_wanted(text));
    ck_assert_str_eq(qemu_opt_get(text, "str"), "help");
    /* "-device help": help, not a device called "help". */
    ck_assert(qemu_opts_help_wanted(impl));
    ck_assert_ptr_null(qemu_opt_get(impl, "str"));
    ck_assert(qemu_opts_help_wanted(impl2));
    ck_assert_str_eq(qemu_opt_get(impl2, "str"), "x");
    ck_assert(!qemu_opts_help_wanted(impl3));
    ck_assert_str_eq(qemu_opt_get(impl3, "str"), "help,x");
}
END_TEST

static char *help_text(const char *title, const QemuOptDesc *desc, const char *key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    qemu_opts_print_help(f, title, desc, key);
    fclose(f);
    return buf;
}

START_TEST(test_help_output)
{
    static const char *const prealloc[] = { "off", "metadata", NULL };
    static const QemuOptDesc create[] = {
        { .name = "size", .type = QEMU_OPT_SIZE, .help = "Virtual disk size" },
        { .name = "cluster_size", .type = QEMU_OPT_SIZE, .help = "qcow2 cluster size" },
        { .name = "lazy_refcounts", .type = QEMU_OPT_BOOL, .help = "Postpone refcount updates" },
        { .name = "refcount_bits", .type = QEMU_OPT_NUMBER,
          .help = "Width of a reference count entry in bits" },
        { .name = "preallocation", .type = QEMU_OPT_STRING, .help = "Preallocation mode",
          .values = prealloc },
        { .name = "bare", .type = QEMU_OPT_STRING },
        { NULL },
    };
    g_autofree char *all = help_text("Supported options:", create, NULL);
    g_autofree char *one = help_text(NULL, create, "preallocation");

    /* Sorted; qemu-img 7.2's columns and type names. */
    ck_assert_str_eq(all,
        "Supported options:\n"
        "  bare=<str>\n"
        "  cluster_size=<size>    - qcow2 cluster size\n"
        "  lazy_refcounts=<bool (on/off)> - Postpone refcount updates\n"
        "  preallocation=<str>    - Preallocation mode (allowed values: off, metadata)\n"
        "  refcount_bits=<num>    - Width of a reference count entry in bits\n"
        "  size=<size>            - Virtual disk size\n");
    ck_assert_str_eq(one,
        "  preallocation=<str>    - Preallocation mode (allowed values: off, metadata)\n");
    {
        g_autofree char *d = help_text("t:", test_desc, "sz");
        ck_assert_str_eq(d, "t:\n  sz=<size>              - bytes (default: 64k)\n");
    }
}
END_TEST

static bool append(void *opaque, const char *name, const char *value, const QemuOptDesc *d,
            Error **errp)
{
    g_string_append_printf(opaque, "%s=%s[%s];", name, value, d ? d->name : "-");
    return true;
}

START_TEST(test_set_and_foreach)
{
    g_autoptr(QemuOpts) o = qemu_opts_new(&pass_list);
    g_autoptr(GString) seen = g_string_new(NULL);
    Error *err = NULL;

    /* Literal: no comma rule. */
    ck_assert(qemu_opt_set(o, "str", "a,,b", &err));
    ck_assert(qemu_opt_set(o, "other", "x", &err));
    ck_assert(!qemu_opt_set(o, "num", "zero", &err));
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'num' expects a number");
    error_free(err);
    ck_assert_str_eq(qemu_opt_get(o, "str"), "a,,b");

    ck_assert(qemu_opt_foreach(o, append, seen, NULL));
    ck_assert_str_eq(seen->str, "str=a,,b[str];other=x[-];num=zero[num];");
}
END_TEST

START_TEST(test_split_list)
{
    g_auto(GStrv) a = qemu_opt_split_list("mod1 arg,mod2,,x,,,mod3,");
    g_auto(GStrv) b = qemu_opt_split_list("");
    g_auto(GStrv) c = qemu_opt_split_list(",a,");

    ck_assert_uint_eq(g_strv_length(a), 3);
    ck_assert_str_eq(a[0], "mod1 arg");
    ck_assert_str_eq(a[1], "mod2,x,");
    ck_assert_str_eq(a[2], "mod3");
    ck_assert_uint_eq(g_strv_length(b), 0);
    ck_assert_uint_eq(g_strv_length(c), 1);
    ck_assert_str_eq(c[0], "a");
}
END_TEST

START_TEST(test_strtou64)
{
    uint64_t v;

    ck_assert_int_eq(qemu_strtou64("0", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(qemu_strtou64("0XfF", &v), 0);
    ck_assert_uint_eq(v, 255);
    ck_assert_int_eq(qemu_strtou64("0xffffffffffffffff", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(qemu_strtou64("0x10000000000000000", &v), -ERANGE);
    ck_assert_int_eq(qemu_strtou64("", &v), -EINVAL);
    ck_assert_int_eq(qemu_strtou64("12a", &v), -EINVAL);
    ck_assert_int_eq(qemu_strtou64("+1", &v), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("option");
    TCase *tc = tcase_create("option");

    tcase_add_test(tc, test_escaping);
    tcase_add_test(tc, test_implied_key);
    tcase_add_test(tc, test_empty_items);
    tcase_add_test(tc, test_last_wins);
    tcase_add_test(tc, test_unknown_key);
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_size);
    tcase_add_test(tc, test_enum);
    tcase_add_test(tc, test_help_request);
    tcase_add_test(tc, test_help_output);
    tcase_add_test(tc, test_set_and_foreach);
    tcase_add_test(tc, test_split_list);
    tcase_add_test(tc, test_strtou64);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
