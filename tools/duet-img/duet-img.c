/*
 * duet-img: create, inspect, check, map, compare, convert, resize, measure,
 * amend, rebase, commit, dd, bitmap and
 * benchmark disk images, with qemu-img's command line, messages and exit
 * codes.  Format-specific work goes through the BlockDriver hooks.
 *
 * Every failure is one "duet-img: ..." line on stderr and a non-zero exit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "block_int.h"
#include "qemu/cutils.h"
#include "qemu/main-loop.h"
#include "qemu/option.h"
#include "sysemu/block-backend.h"
#include "duet-img.h"

bool quiet;

void G_GNUC_PRINTF(1, 2) img_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", error_get_progname());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void G_GNUC_PRINTF(1, 2) img_error_exit(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", error_get_progname());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information\n", error_get_progname());
}

void img_error_err(Error *err)
{
    g_autofree char *msg = qemu_opt_size_error_text(error_get_pretty(err));

    img_error("%s", msg);
    error_free(err);
}

bool parse_size(const char *str, int64_t *size)
{
    uint64_t v;

    if (qemu_strtosz(str, 1, &v) < 0 || v > INT64_MAX) {
        return false;
    }
    *size = v;
    return true;
}

bool img_parse_sized_range(const char *what, const char *str, int64_t min, int64_t max,
                           int64_t *value)
{
    uint64_t v;
    int ret = qemu_strtosz(str, 1, &v);

    /* too big for 64 bits is out of range, not malformed (qemu-img too) */
    if (ret == -ERANGE || (ret == 0 && (v > (uint64_t)max || (int64_t)v < min))) {
        img_error("Invalid %s specified. Must be between %" PRId64 " and %" PRId64 ".", what,
                  min, max);
        return false;
    }
    if (ret < 0) {
        img_error("Invalid %s specified. You may use k, M, G, T, P or E suffixes for", what);
        img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return false;
    }
    *value = v;
    return true;
}

bool img_parse_sized(const char *what, const char *str, int64_t *value)
{
    return img_parse_sized_range(what, str, 0, INT64_MAX, value);
}

bool img_cache_flags(const char *mode, const char *what, int *flags)
{
    bool writeback;

    if (!blk_parse_cache_mode(mode, flags, &writeback)) {
        img_error("Invalid %scache option: %s", what, mode);
        return false;
    }
    return true;
}

void img_progress(ImgProgress *p, int64_t done, int64_t total)
{
    double pct = total > 0 ? 100.0 * done / total : 100.0;

    if (!p->on) {
        return;
    }
    /* as qemu-img: a line at the start and at each whole percent more */
    if (p->printed && pct < p->last + 1.0 && pct < 100.0) {
        return;
    }
    p->printed = true;
    p->last = pct;
    printf("    (%3.2f/100%%)\r", pct);
    fflush(stdout);
}

void img_progress_end(ImgProgress *p)
{
    if (p->on) {
        printf("    (%3.2f/100%%)\r\n", 100.0);
        fflush(stdout);
    }
}

bool img_accumulate_options(GString *acc, const char *arg)
{
    size_t len = strlen(arg), commas = 0;

    /* An odd run of commas at the end is a separator with nothing after. */
    while (commas < len && arg[len - 1 - commas] == ',') {
        commas++;
    }
    if (len == 0 || arg[0] == ',' || commas % 2) {
        img_error("Invalid option list: %s", arg);
        return false;
    }
    if (acc->len) {
        g_string_append_c(acc, ',');
    }
    g_string_append(acc, arg);
    return true;
}

/* qemu-img's listing: with a file name the protocol's keys join in. */
static void print_create_help(const BlockDriver *drv, const char *filename, const char *key)
{
    g_autofree QemuOptDesc *merged = bdrv_create_opts_merged(drv);
    g_autofree char *title = g_strdup_printf("Supported %s options:", drv->format_name);

    if (key) {
        qemu_opts_print_help(stdout, NULL, merged, key);
    } else if (filename) {
        qemu_opts_print_help(stdout, "Supported options:", merged, NULL);
    } else {
        qemu_opts_print_help(stdout, title, drv->create_opts, NULL);
        printf("\nThe protocol level may support further options.\n"
               "Specify the target filename to include those options.\n");
    }
}

QemuOpts *img_create_opts(const BlockDriver *drv, const char *optstr, const char *filename,
                          bool prefix_errors, bool *help)
{
    g_autofree QemuOptDesc *desc = bdrv_create_opts_merged(drv);
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(&bdrv_create_opts_list, optstr, &err);

    *help = false;
    if (opts && !qemu_opts_validate(opts, desc, &err)) {
        g_clear_pointer(&opts, qemu_opts_free);
    }
    if (!opts) {
        if (filename && prefix_errors) {
            error_prepend(&err, "%s: ", filename);
        }
        img_error_err(err);
        return NULL;
    }
    if (qemu_opts_help_wanted(opts)) {
        print_create_help(drv, filename, qemu_opts_help_key(opts));
        *help = true;
        qemu_opts_free(opts);
        return NULL;
    }
    return opts;
}

bool img_image_opts_help(bool image_opts, const char *arg)
{
    return image_opts && arg && bdrv_node_options_help_str(stdout, arg);
}

const BlockDriver *find_format(const char *fmt)
{
    const BlockDriver *drv = bdrv_find_format(fmt);
    if (!drv || !drv->is_format) {
        img_error("Unknown file format '%s'", fmt);
        return NULL;
    }
    return drv;
}

/* The node options of an --image-opts argument plus extra, and
 * force-share=on for -U; NULL after printing the error. */
static GHashTable *img_node_options(const char *filename, bool image_opts, bool force_share,
                                    GHashTable *extra)
{
    GHashTable *opts = bdrv_options_new();
    Error *err = NULL;
    GHashTableIter it;
    gpointer key, value;
    const char *given;
    bool on;

    if (image_opts && !bdrv_options_parse(opts, filename, &err)) {
        error_prepend(&err, "Could not open '%s': ", filename);
        img_error_err(err);
        g_hash_table_unref(opts);
        return NULL;
    }
    if (extra) {
        g_hash_table_iter_init(&it, extra);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            g_hash_table_insert(opts, g_strdup(key), g_strdup(value));
        }
    }
    if (force_share) {
        given = g_hash_table_lookup(opts, "force-share");
        if (given && qemu_opt_parse_bool("force-share", given, &on, NULL) && !on) {
            img_error("--force-share/-U conflicts with image options");
            g_hash_table_unref(opts);
            return NULL;
        }
        if (!given) {
            g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
        }
    }
    return opts;
}

/*
 * Open errors name what the user typed, as qemu-img's do: "Could not open
 * 'x.qcow2': " before the driver's message, even when that names the file
 * again (the file protocol's "Could not open 'x.qcow2': No such file ...").
 */
static void img_open_error(const char *filename, Error *err)
{
    error_prepend(&err, "Could not open '%s': ", filename);
    img_error_err(err);
}

BlockBackend *img_open_opts(const char *filename, const char *fmt, bool image_opts,
                            bool force_share, const char *cache, bool read_only,
                            GHashTable *extra)
{
    g_autoptr(GHashTable) opts = NULL;
    Error *err = NULL;
    BlockBackend *blk;

    if (fmt && !bdrv_find_format(fmt)) {
        img_error("Could not open '%s': Unknown driver '%s'", filename, fmt);
        return NULL;
    }
    opts = img_node_options(filename, image_opts, force_share, extra);
    if (!opts) {
        return NULL;
    }
    blk = blk_new_open_opts(image_opts ? NULL : filename, fmt, cache, read_only, opts, &err);
    if (!blk) {
        img_open_error(filename, err);
    }
    return blk;
}

BlockDriverState *img_open_bs_opts(const char *filename, const char *fmt, bool image_opts,
                                   bool force_share, int flags)
{
    g_autoptr(GHashTable) opts = NULL;
    Error *err = NULL;
    BlockDriverState *bs;

    if (fmt && !bdrv_find_format(fmt)) {
        img_error("Could not open '%s': Unknown driver '%s'", filename, fmt);
        return NULL;
    }
    opts = img_node_options(filename, image_opts, force_share, NULL);
    if (!opts) {
        return NULL;
    }
    bs = bdrv_open_opts(image_opts ? NULL : filename, fmt, flags, opts, &err);
    if (!bs) {
        img_open_error(filename, err);
    }
    return bs;
}

BlockDriverState *img_open_bs(const char *filename, const char *fmt, int flags)
{
    return img_open_bs_opts(filename, fmt, false, false, flags);
}

void img_warn_probed_raw(BlockDriverState *bs, const char *filename)
{
    if (!strcmp(bs->drv->format_name, "raw")) {
        fprintf(stderr, "WARNING: Image format was not specified for '%s' and probing "
                "guessed raw.\n         Automatically detecting the format is dangerous "
                "for raw images, write operations on block 0 will be restricted.\n"
                "         Specify the 'raw' format explicitly to remove the "
                "restrictions.\n", filename);
    }
}

bool img_check_image_opts(bool image_opts, const char *fmt)
{
    if (image_opts && fmt) {
        img_error("--image-opts and --format are mutually exclusive");
        return false;
    }
    return true;
}

bool parse_output(const char *arg, bool *json)
{
    if (!strcmp(arg, "json")) {
        *json = true;
    } else if (!strcmp(arg, "human")) {
        *json = false;
    } else {
        img_error("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

void bad_option(int c, const char *cmd, char **argv)
{
    /* qemu-img 7.2 names the whole argument getopt stopped in ("-Uz") */
    const char *arg = optind > 0 ? argv[optind - 1] : "";

    (void)cmd;
    if (c == ':') {
        img_error_exit("missing argument for option '%s'", arg);
    } else {
        img_error_exit("unrecognized option '%s'", arg);
    }
}

/* ---- -l SNAPSHOT (convert, measure) ---- */

static const QemuOptDesc snapshot_opt_desc[] = {
    { .name = "snapshot.id", .type = QEMU_OPT_STRING, .help = "ID of snapshot" },
    { .name = "snapshot.name", .type = QEMU_OPT_STRING, .help = "Name of snapshot" },
    { NULL },
};
static const QemuOptsList snapshot_opts_list = { .name = "snapshot", .desc = snapshot_opt_desc };

bool img_snapshot_arg(ImgSnapshotArg *sn, const char *arg)
{
    Error *err = NULL;

    if (!g_str_has_prefix(arg, "snapshot.")) {
        sn->name = arg;
        return true;
    }
    g_clear_pointer(&sn->opts, qemu_opts_free);
    sn->opts = qemu_opts_parse(&snapshot_opts_list, arg, &err);
    if (!sn->opts) {
        img_error_err(err);
        img_error("Failed in parsing snapshot param '%s'", arg);
        return false;
    }
    return true;
}

void img_snapshot_arg_clear(ImgSnapshotArg *sn)
{
    g_clear_pointer(&sn->opts, qemu_opts_free);
}

bool img_load_snapshot(const ImgSnapshotArg *sn, BlockDriverState *bs)
{
    Error *err = NULL;
    int ret = 0;

    /* as qemu-img: the options, when given, win over a plain name */
    if (sn->opts) {
        ret = bdrv_snapshot_load_tmp(bs, qemu_opt_get(sn->opts, "snapshot.id"),
                                     qemu_opt_get(sn->opts, "snapshot.name"), &err);
    } else if (sn->name) {
        ret = bdrv_snapshot_load_tmp_by_id_or_name(bs, sn->name, &err);
    }
    if (ret < 0) {
        error_prepend(&err, "Failed to load snapshot: ");
        img_error_err(err);
        return false;
    }
    return true;
}

/* ---- create ---- */

/*
 * qemu-img's "Formatting" line: the keys in the order qemu-img 7.2 prints
 * them (measured), each given one with its value (sizes as numbers), and
 * for qcow2 the defaults it always shows.
 */
static const struct {
    const char *key;
    const char *qcow2_default;
} formatting_keys[] = {
    { "encryption" }, { "encrypt.format" }, { "encrypt.key-secret" },
    { "encrypt.cipher-alg" }, { "encrypt.cipher-mode" }, { "encrypt.ivgen-alg" },
    { "encrypt.ivgen-hash-alg" }, { "encrypt.hash-alg" }, { "encrypt.iter-time" },
    { "cluster_size", "65536" }, { "extended_l2", "off" }, { "preallocation" },
    { "compression_type", "zlib" }, { "size" }, { "compat" }, { "backing_file" },
    { "backing_fmt" }, { "data_file" }, { "data_file_raw" }, { "lazy_refcounts", "off" },
    { "refcount_bits", "16" }, { "nocow" }, { "extent_size_hint" },
};

static void print_formatting(const BlockDriver *drv, const char *filename, QemuOpts *opts,
                             int64_t size)
{
    g_autofree QemuOptDesc *desc = bdrv_create_opts_merged(drv);
    bool qcow2 = !strcmp(drv->format_name, "qcow2");

    printf("Formatting '%s', fmt=%s", filename, drv->format_name);
    /* other formats: their options' own order */
    for (const QemuOptDesc *d = desc; !qcow2 && d->name; d++) {
        if (!strcmp(d->name, "size")) {
            printf(" size=%" PRId64, size);
        } else if (qemu_opt_get(opts, d->name) && d->type == QEMU_OPT_SIZE) {
            printf(" %s=%" PRIu64, d->name, qemu_opt_get_size(opts, d->name, 0));
        } else if (qemu_opt_get(opts, d->name)) {
            printf(" %s=%s", d->name, qemu_opt_get(opts, d->name));
        }
    }
    for (size_t i = 0; qcow2 && i < G_N_ELEMENTS(formatting_keys); i++) {
        const char *key = formatting_keys[i].key;
        const QemuOptDesc *d = qemu_opt_find_desc(desc, key);
        const char *val = qemu_opt_get(opts, key);

        if (!strcmp(key, "size")) {
            printf(" size=%" PRId64, size);
        } else if (val && d && d->type == QEMU_OPT_SIZE) {
            printf(" %s=%" PRIu64, key, qemu_opt_get_size(opts, key, 0));
        } else if (val) {
            printf(" %s=%s", key, val);
        } else if (qcow2 && formatting_keys[i].qcow2_default) {
            printf(" %s=%s", key, formatting_keys[i].qcow2_default);
        }
    }
    printf("\n");
    fflush(stdout);
}

/* qemu-img's two complaints about a size argument. */
static bool parse_image_size(const char *str, int64_t *size)
{
    uint64_t v;
    int ret = qemu_strtosz(str, 1, &v);

    if (ret == -ERANGE || (ret == 0 && v > INT64_MAX)) {
        img_error("Invalid image size specified. Must be between 0 and %" PRId64 ".",
                  INT64_MAX);
        return false;
    }
    if (ret < 0) {
        img_error("Invalid image size specified. You may use k, M, G, T, P or E suffixes "
                  "for");
        img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return false;
    }
    *size = v;
    return true;
}

/*
 * The backing file, opened as qemu-img create opens it (metadata only,
 * shared: a running VM may have it): its size when none was given, and
 * 7.2's refusal of a backing file without a format.
 */
static bool check_backing(const char *filename, QemuOpts *opts, int64_t *size)
{
    const char *backing = qemu_opt_get(opts, "backing_file");
    const char *backing_fmt = qemu_opt_get(opts, "backing_fmt");
    g_autofree char *dir = g_path_get_dirname(filename);
    g_autofree char *path = NULL;
    g_autoptr(GHashTable) node_opts = bdrv_options_new();
    BlockDriverState *bbs;
    Error *err = NULL;

    path = g_path_is_absolute(backing) || !strcmp(dir, ".")
               ? g_strdup(backing) : g_build_filename(dir, backing, NULL);
    g_hash_table_insert(node_opts, g_strdup("force-share"), g_strdup("on"));
    if (backing_fmt && !bdrv_find_format(backing_fmt)) {
        img_error("%s: Unknown driver '%s'\nCould not open backing image.", filename,
                  backing_fmt);
        return false;
    }
    bbs = bdrv_open_opts(path, backing_fmt, BDRV_O_NO_BACKING | BDRV_O_NO_IO, node_opts,
                         &err);
    if (!bbs) {
        /* the file protocol's message names the file already */
        error_prepend(&err, "%s: ", filename);
        img_error("%s\nCould not open backing image.", error_get_pretty(err));
        error_free(err);
        return false;
    }
    if (!backing_fmt) {
        fprintf(stderr, "%s: %s: Backing file specified without backing format\n"
                "Detected format of %s.", error_get_progname(), filename,
                bbs->drv->format_name);
        bdrv_unref(bbs);
        return false;
    }
    if (*size < 0) {
        *size = bdrv_getlength(bbs);
    }
    bdrv_unref(bbs);
    return true;
}

static int img_create(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GString) optstr = g_string_new(NULL);
    g_autoptr(QemuOpts) opts = NULL;
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL, *size_arg = NULL;
    const BlockDriver *drv;
    BlockCreateOpts create = { 0 };
    Error *err = NULL;
    int64_t size = -1;
    bool help, unsafe = false;
    int c;

    while ((c = getopt_long(argc, argv, ":f:o:b:F:uqh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            if (!img_accumulate_options(optstr, optarg)) {
                return 1;
            }
            break;
        case 'b':
            backing = optarg;
            break;
        case 'F':
            backing_fmt = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'q':
            quiet = true;
            break;
        default:
            bad_option(c, "create", argv);
            return 1;
        }
    }
    create.filename = optind < argc ? argv[optind++] : NULL;
    drv = bdrv_find_format(fmt);
    if (!drv || !drv->is_format) {
        if (create.filename) {
            img_error("%s: Unknown file format '%s'", create.filename, fmt);
        } else {
            img_error("Unknown file format '%s'", fmt);
        }
        return 1;
    }
    /* Before anything else, as qemu-img: -o help needs no file or size. */
    opts = img_create_opts(drv, optstr->str, create.filename, true, &help);
    if (!opts) {
        return help ? 0 : 1;
    }
    if (!create.filename) {
        img_error_exit("Expecting image file name");
        return 1;
    }
    if (optind < argc) {
        size_arg = argv[optind++];
    }
    if (optind < argc) {
        img_error_exit("Unexpected argument: %s", argv[optind]);
        return 1;
    }
    if ((backing || backing_fmt) && !drv->supports_backing) {
        img_error("%s: Backing file not supported for file format '%s'", create.filename, fmt);
        return 1;
    }
    /* Plain strings: bdrv_create checks them with the rest. */
    if (backing) {
        qemu_opt_set(opts, "backing_file", backing, NULL);
    }
    if (backing_fmt) {
        qemu_opt_set(opts, "backing_fmt", backing_fmt, NULL);
    }
    if (size_arg && qemu_opt_get(opts, "size")) {
        img_error("%s: The image size must be specified only once", create.filename);
        return 1;
    }
    if (size_arg && !parse_image_size(size_arg, &size)) {
        return 1;
    }
    if (qemu_opt_get(opts, "size")) {
        uint64_t v = qemu_opt_get_size(opts, "size", 0);

        if (v > INT64_MAX) {
            img_error("%s: Image size must be less than 8 EiB!", create.filename);
            return 1;
        }
        size = v;
    }
    /* -u: the backing file is not opened when the size is known. */
    if (qemu_opt_get(opts, "backing_file") && !(unsafe && size >= 0) &&
        !check_backing(create.filename, opts, &size)) {
        return 1;
    }
    if (size < 0) {
        img_error("%s: Image creation needs a size parameter", create.filename);
        return 1;
    }
    create.size = size;
    create.opts = opts;
    if (!quiet) {
        print_formatting(drv, create.filename, opts, size);
    }
    if (!bdrv_create(drv, &create, &err)) {
        error_prepend(&err, "%s: ", create.filename);
        img_error_err(err);
        return 1;
    }
    return 0;
}

/* ---- compare ---- */

/* True when [offset, offset+*pnum) reads as zeroes without reading it. */
static int known_zero(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                      bool *zero)
{
    MapEntry e;
    int ret = chain_status(bs, offset, bytes, &e);
    if (ret < 0) {
        return ret;
    }
    *pnum = e.length;
    *zero = e.zero && !e.data;
    return 0;
}

static int64_t first_difference(const uint8_t *a, const uint8_t *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return -1;
}

/* Reads @n bytes at @offset of both images: 1 if they are equal, 0 with
 * @mismatch set to the 512-byte sector of the first difference (as
 * qemu-img reports it), or a negative errno. */
static int compare_chunk(BdrvChild *c1, BdrvChild *c2, int64_t offset, int64_t n,
                         uint8_t *buf1, uint8_t *buf2, int64_t *mismatch)
{
    int64_t diff;
    int ret;

    if ((ret = bdrv_pread(c1, offset, n, buf1, 0)) < 0 ||
        (ret = bdrv_pread(c2, offset, n, buf2, 0)) < 0) {
        return ret;
    }
    diff = first_difference(buf1, buf2, n);
    if (diff >= 0) {
        *mismatch = (offset + diff) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
        return 0;
    }
    return 1;
}

static int compare_region(BlockDriverState *bs1, BlockDriverState *bs2, int64_t len,
                          uint8_t *buf1, uint8_t *buf2, int64_t *mismatch)
{
    BdrvChild c1 = { .bs = bs1 }, c2 = { .bs = bs2 };
    int64_t offset = 0;

    *mismatch = -1;
    while (offset < len) {
        int64_t n1, n2, n = MIN(len - offset, IMG_CHUNK);
        bool z1, z2;
        int ret = known_zero(bs1, offset, n, &n1, &z1);
        if (ret >= 0) {
            ret = known_zero(bs2, offset, n, &n2, &z2);
        }
        if (ret < 0) {
            return ret;
        }
        n = MIN(n1, n2);
        if (!(z1 && z2) && (ret = compare_chunk(&c1, &c2, offset, n, buf1, buf2,
                                                mismatch)) != 1) {
            return ret;
        }
        offset += n;
    }
    return 0;
}

/* The tail of the longer image must be zero for "identical". */
static int check_tail_zero(BlockDriverState *bs, int64_t from, int64_t to, uint8_t *buf,
                           int64_t *mismatch)
{
    BdrvChild child = { .bs = bs };
    *mismatch = -1;
    for (int64_t offset = from; offset < to;) {
        int64_t n = MIN(to - offset, IMG_CHUNK), pnum;
        bool zero;
        int ret = known_zero(bs, offset, n, &pnum, &zero);
        if (ret < 0) {
            return ret;
        }
        if (!zero) {
            ret = bdrv_pread(&child, offset, pnum, buf, 0);
            if (ret < 0) {
                return ret;
            }
            for (int64_t i = 0; i < pnum; i++) {
                if (buf[i]) {
                    *mismatch = (offset + i) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
                    return 0;
                }
            }
        }
        offset += pnum;
    }
    return 0;
}

/*
 * compare -s looks at allocation as qemu-img 7.2 does: the block status of
 * [offset, end) of the chain, flags and all, including "this extent reaches
 * the end of the node" (BDRV_BLOCK_EOF there; qemu's values, measured).
 */
#define QEMU_BLOCK_EOF 0x20

static int node_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum)
{
    int64_t len = bdrv_getlength(bs);
    int ret;

    if (len < 0) {
        return len;
    }
    if (offset >= len) {
        *pnum = 0;
        return QEMU_BLOCK_EOF;
    }
    ret = bdrv_block_status(bs, offset, MIN(bytes, len - offset), pnum, NULL, NULL);
    if (ret < 0) {
        return ret;
    }
    ret &= BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID | BDRV_BLOCK_ALLOCATED;
    return offset + *pnum == len ? ret | QEMU_BLOCK_EOF : ret;
}

static int strict_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum)
{
    int64_t eof = -1;
    int ret = node_status(bs, offset, bytes, pnum);

    if (ret < 0 || *pnum == 0 || (ret & BDRV_BLOCK_ALLOCATED)) {
        return ret;
    }
    if (ret & QEMU_BLOCK_EOF) {
        eof = offset + *pnum;
    }
    bytes = *pnum;
    for (BdrvChild *b = bs->backing; b; b = b->bs->backing) {
        ret = node_status(b->bs, offset, bytes, pnum);
        if (ret < 0) {
            return ret;
        }
        if (*pnum == 0) {
            /* past the end of a shorter backing file: zeroes, allocated there */
            *pnum = bytes;
            ret = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
            break;
        }
        if (ret & BDRV_BLOCK_ALLOCATED) {
            ret &= ~QEMU_BLOCK_EOF;
            break;
        }
        bytes = *pnum;
    }
    return offset + *pnum == eof ? ret | QEMU_BLOCK_EOF : ret;
}

/*
 * Strict mode over [0, len): *status_at is the first offset whose status
 * differs, else *mismatch the first differing sector of data both have.
 */
static int compare_strict(BlockDriverState *bs1, BlockDriverState *bs2, int64_t len,
                          uint8_t *buf1, uint8_t *buf2, int64_t *status_at, int64_t *mismatch)
{
    BdrvChild c1 = { .bs = bs1 }, c2 = { .bs = bs2 };

    *status_at = *mismatch = -1;
    for (int64_t offset = 0; offset < len;) {
        int64_t n1, n2, n;
        int st1 = strict_status(bs1, offset, len - offset, &n1);
        int st2 = st1 < 0 ? st1 : strict_status(bs2, offset, len - offset, &n2);

        if (st2 < 0) {
            return st2;
        }
        if (st1 != st2) {
            *status_at = offset;
            return 0;
        }
        n = MIN(n1, n2);
        if (!(st1 & BDRV_BLOCK_ZERO) && (st1 & BDRV_BLOCK_ALLOCATED)) {
            int ret;

            n = MIN(n, IMG_CHUNK);
            if ((ret = compare_chunk(&c1, &c2, offset, n, buf1, buf2, mismatch)) != 1) {
                return ret;
            }
        }
        offset += n;
    }
    return 0;
}

static int img_compare(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool strict = false, image_opts = false, force_share = false;
    BlockDriverState *bs1 = NULL, *bs2 = NULL;
    int64_t len1, len2, mismatch;
    uint8_t *buf1 = NULL, *buf2 = NULL;
    int ret = 2, c;

    while ((c = getopt_long(argc, argv, ":f:F:sqpU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 's':
            strict = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'p':
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "compare", argv);
            return 1;   /* qemu-img's usage errors exit 1, even here */
        }
    }
    if (!img_check_image_opts(image_opts, fmt1 ? fmt1 : fmt2)) {
        return 2;
    }
    if (optind != argc - 2) {
        img_error_exit("Expecting two image file names");
        return 1;
    }
    if (!fmt2) {
        fmt2 = fmt1;
    }
    if (img_image_opts_help(image_opts, argv[optind]) ||
        img_image_opts_help(image_opts, argv[optind + 1])) {
        return 0;
    }
    bs1 = img_open_bs_opts(argv[optind], fmt1, image_opts, force_share, 0);
    if (!bs1) {
        return 2;
    }
    bs2 = img_open_bs_opts(argv[optind + 1], fmt2, image_opts, force_share, 0);
    if (!bs2) {
        goto out;
    }
    len1 = bdrv_getlength(bs1);
    len2 = bdrv_getlength(bs2);
    buf1 = qemu_blockalign(bs1, IMG_CHUNK);
    buf2 = qemu_blockalign(bs2, IMG_CHUNK);
    if (strict) {
        int64_t status_at;

        /* qemu-img: sizes first, then allocation and data extent by extent */
        if (len1 != len2) {
            if (!quiet) {
                printf("Strict mode: Image size mismatch!\n");
            }
            ret = 1;
            goto out;
        }
        if (compare_strict(bs1, bs2, len1, buf1, buf2, &status_at, &mismatch) < 0) {
            img_error("Error while reading the images");
            goto out;
        }
        if (status_at >= 0) {
            if (!quiet) {
                printf("Strict mode: Offset %" PRId64 " block status mismatch!\n", status_at);
            }
            ret = 1;
            goto out;
        }
    } else if (compare_region(bs1, bs2, MIN(len1, len2), buf1, buf2, &mismatch) < 0) {
        img_error("Error while reading the images");
        goto out;
    }
    if (mismatch < 0 && len1 != len2) {
        if (!quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        if (check_tail_zero(len1 > len2 ? bs1 : bs2, MIN(len1, len2), MAX(len1, len2), buf1,
                            &mismatch) < 0) {
            img_error("Error while reading the images");
            goto out;
        }
    }
    if (mismatch >= 0) {
        if (!quiet) {
            printf("Content mismatch at offset %" PRId64 "!\n", mismatch);
        }
        ret = 1;
    } else {
        if (!quiet) {
            printf("Images are identical.\n");
        }
        ret = 0;
    }
out:
    qemu_vfree(buf1);
    qemu_vfree(buf2);
    bdrv_unref(bs1);
    bdrv_unref(bs2);
    return ret;
}

/* ---- resize ---- */

static int img_resize(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "shrink", no_argument, NULL, IMG_OPT_SHRINK },
        { "preallocation", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *size_arg, *filename;
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    bool shrink = false;
    BlockDriverState *bs;
    BdrvChild *child;
    Error *err = NULL;
    int64_t current, delta, new_size;
    int c, ret;

    /* The size goes last and may start with '-': take it before getopt
     * mistakes it for an option (as qemu-img does). */
    if (argc < 3) {
        img_error_exit("Not enough arguments");
        return 1;
    }
    size_arg = argv[--argc];
    while ((c = getopt_long(argc, argv, ":f:q", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case IMG_OPT_SHRINK:
            shrink = true;
            break;
        case 'P':
            if (!strcmp(optarg, "falloc")) {
                prealloc = PREALLOC_MODE_FALLOC;
            } else if (!strcmp(optarg, "full")) {
                prealloc = PREALLOC_MODE_FULL;
            } else if (!strcmp(optarg, "metadata")) {
                prealloc = PREALLOC_MODE_METADATA;
            } else if (strcmp(optarg, "off")) {
                img_error("Invalid preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        default:
            bad_option(c, "resize", argv);
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting image file name and size");
        return 1;
    }
    filename = argv[optind];
    if (!parse_size(size_arg + (*size_arg == '+' || *size_arg == '-'), &delta)) {
        img_error("Parameter 'size' expects a non-negative number below 2^64\n"
                  "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
                  "and exabytes, respectively.");
        return 1;
    }
    bs = img_open_bs(filename, fmt, BDRV_O_RDWR | BDRV_O_RESIZE | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    if (!fmt) {
        img_warn_probed_raw(bs, filename);
    }
    if (prealloc == PREALLOC_MODE_METADATA && !strcmp(bs->drv->format_name, "raw")) {
        img_error("Unsupported preallocation mode: metadata");
        bdrv_unref(bs);
        return 1;
    }
    current = bdrv_getlength(bs);
    new_size = *size_arg == '+' ? current + delta : *size_arg == '-' ? current - delta : delta;
    /* An empty image is refused too, --shrink or not (as qemu-img: exit 1). */
    if (new_size <= 0 || (*size_arg == '+' && new_size < current)) {
        img_error("New image size must be positive");
        bdrv_unref(bs);
        return 1;
    }
    if (new_size < current && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        img_error("warning: Shrinking an image will delete all data beyond the shrunken "
                  "image's end. Before performing such an operation, make sure there is "
                  "no important data there.");
        bdrv_unref(bs);
        return 1;
    }
    child = bdrv_child_new(bs, "resize");
    ret = bdrv_truncate(child, new_size, false, prealloc, &err);
    if (ret >= 0) {
        ret = bdrv_flush(bs);
        if (ret < 0) {
            error_setg_errno(&err, -ret, "Could not flush");
        }
    }
    bdrv_child_free(child);
    bdrv_unref(bs);
    if (ret < 0) {
        if (err) {
            img_error_err(err);
        } else {
            img_error("Error resizing image: %s", g_strerror(-ret));
        }
        return 1;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

/* ---- main ---- */

static void usage(FILE *out)
{
    fprintf(out,
        "duet-img: disk image utility (qemu-img compatible subset)\n"
        "usage: duet-img COMMAND [options] ...\n"
        "\n"
        "Commands:\n"
        "  amend [-f fmt | --image-opts] [-p] [-q] [-t cache] -o options FILE\n"
        "  bench [-c count] [-d depth] [-f fmt | --image-opts] [--flush-interval=N]\n"
        "        [--no-drain] [-i aio] [-n] [-o offset] [--pattern=N] [-q] [-s size]\n"
        "        [-S step] [-t cache] [-U] [-w] FILE\n"
        "  bitmap (--add | --remove | --clear | --enable | --disable | --merge SRC)...\n"
        "         [-b source_file [-F source_fmt]] [-g granularity] [-f fmt] FILE BITMAP\n"
        "  commit [-f fmt] [-t cache] [-b base] [-r rate] [-d] [-p] [-q] FILE\n"
        "  check [-f fmt | --image-opts] [--output=human|json] [-r leaks|all] [-q] [-U]\n"
        "        FILE\n"
        "  compare [-f fmt] [-F fmt] [--image-opts] [-s] [-q] [-U] FILE1 FILE2\n"
        "  convert [-c] [-p] [-q] [-n] [-f fmt | --image-opts] [-O out_fmt] [-o options]\n"
        "          [-B backing_file -F backing_fmt]\n"
        "          [-t cache] [-U] SRC DST\n"
        "  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-o options] FILE [size]\n"
        "  dd [-f fmt | --image-opts] [-O out_fmt] [-U] [bs=N] [count=N] [skip=N] if=IN\n"
        "     of=OUT\n"
        "  info [-f fmt | --image-opts] [--output=human|json] [-U] FILE\n"
        "  map [-f fmt | --image-opts] [--output=human|json] [-U] FILE\n"
        "  measure [--output=human|json] [-O out_fmt] [-o options] [--size N |\n"
        "          [-f fmt | --image-opts] [-U] FILE]\n"
        "  rebase [-f fmt] [-t cache] [-T src_cache] [-p] [-q] [-u] -b backing_file\n"
        "         [-F backing_fmt] FILE\n"
        "  resize [-f fmt] [--shrink] [-q] FILE [+|-]size\n"
        "  snapshot [-f fmt | --image-opts] [-U] [-q] [-l | -a snapshot | -c snapshot |\n"
        "           -d snapshot] FILE\n"
        "\n"
        "Formats: raw, qcow2.  Sizes take k, M, G, T, P, E suffixes (powers of 1024).\n"
        "Create options (-o KEY=VALUE,...; -o help lists the format's): cluster_size,\n"
        "compat, lazy_refcounts, refcount_bits, backing_file, backing_fmt, preallocation.\n"
        "--image-opts: FILE is a list of node options instead of a file name, e.g.\n"
        "  driver=qcow2,file.filename=d.qcow2,l2-cache-size=4M,file.aio=threads\n"
        "  (driver=qcow2,help lists them).  In both ',,' is a comma inside a value.\n"
        "  file: locking=on|off|auto; any node: force-share=on|off.\n"
        "bench -i threads|native|io_uring, -n (= -i native, needs -t none|directsync).\n"
        "Images are locked as QEMU locks them: a command that would write an image\n"
        "another process (duet, QEMU) has open is refused; -U (--force-share) opens it\n"
        "read-only anyway.\n");
}

typedef struct {
    const char *name;
    int (*handler)(int argc, char **argv);
} ImgCommand;

static const ImgCommand img_commands[] = {
    { "amend", img_amend },
    { "bench", img_bench },
    { "bitmap", img_bitmap },
    { "check", img_check },
    { "commit", img_commit },
    { "compare", img_compare },
    { "convert", img_convert },
    { "create", img_create },
    { "dd", img_dd },
    { "info", img_info },
    { "map", img_map },
    { "measure", img_measure },
    { "rebase", img_rebase },
    { "resize", img_resize },
    { "snapshot", img_snapshot },
};

int main(int argc, char **argv)
{
    /* As qemu-img: a copy or link named qemu-img speaks as qemu-img. */
    g_autofree char *progname = g_path_get_basename(argv[0]);

    error_set_progname(progname);
    if (argc < 2) {
        img_error_exit("Not enough arguments");
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("duet-img version %s\n", DUET_VERSION);
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(img_commands); i++) {
        if (!strcmp(argv[1], img_commands[i].name)) {
            /* as qemu-img: CMD -h/--help shows the help of the tool, exit 0
             * (duet-img's own text: QEMU's is not copied) */
            for (int a = 2; a < argc && strcmp(argv[a], "--"); a++) {
                if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
                    usage(stdout);
                    return 0;
                }
            }
            /* Sub-commands parse argv[1..]: getopt then sees the command
             * name as argv[0]. */
            optind = 1;
            opterr = 0;
            return img_commands[i].handler(argc - 1, argv + 1);
        }
    }
    img_error_exit("Command not found: %s", argv[1]);
    return 1;
}
