/*
 * duet-img's inspecting commands: info (text and JSON), check (with -r
 * repair, qemu-img's exit codes) and map (the allocation of each extent
 * through the backing chain).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_int.h"
#include "qemu/json-writer.h"
#include "sysemu/block-backend.h"
#include "duet-img.h"

/* ---- info ---- */

/*
 * The arguments info and map share: -f FMT, -U (force-share: open even
 * while another process writes the image), --output=human|json,
 * --image-opts and one file name.  Returns the file name, or NULL after
 * printing the error.
 */
static const char *parse_inspect_args(int argc, char **argv, const char *cmd,
                                      const char **fmt, bool *json, bool *image_opts,
                                      bool *force_share, bool *chain)
{
    static const struct option long_opts[] = {
        { "output", required_argument, NULL, IMG_OPT_OUTPUT },
        { "force-share", no_argument, NULL, 'U' },
        { "backing-chain", no_argument, NULL, 'B' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, ":f:U", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            *fmt = optarg;
            break;
        case 'U':
            *force_share = true;
            break;
        case 'B':
            if (!chain) {
                optopt = 0; /* map has no --backing-chain */
                bad_option('?', cmd, argv);
                return NULL;
            }
            *chain = true;
            break;
        case IMG_OPT_OUTPUT:
            if (!parse_output(optarg, json)) {
                return NULL;
            }
            break;
        case IMG_OPT_IMAGE_OPTS:
            *image_opts = true;
            break;
        default:
            bad_option(c, cmd, argv);
            return NULL;
        }
    }
    if (!img_check_image_opts(*image_opts, *fmt)) {
        return NULL;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return NULL;
    }
    return argv[optind];
}

/* The backing file as qemu-img resolves it: relative to the image's
 * directory, unless that is "." */
static char *full_backing_filename(BlockDriverState *bs)
{
    g_autofree char *dir = g_path_get_dirname(bs->filename);

    if (g_path_is_absolute(bs->backing_file) || !strcmp(dir, ".")) {
        return g_strdup(bs->backing_file);
    }
    return g_build_filename(dir, bs->backing_file, NULL);
}

static void info_snapshots_json(JSONWriter *w, BlockDriverState *bs)
{
    g_autofree QEMUSnapshotInfo *list = NULL;
    int n = bdrv_snapshot_list(bs, &list);

    if (n <= 0) {
        return;
    }
    /* qemu-img 7.2's member order (its QDict's) */
    json_writer_start_list(w, "snapshots");
    for (int i = 0; i < n; i++) {
        const QEMUSnapshotInfo *sn = &list[i];

        json_writer_start_object(w, NULL);
        json_writer_uint64(w, "icount", sn->icount);
        json_writer_int64(w, "vm-clock-nsec", sn->vm_clock_nsec % 1000000000);
        json_writer_str(w, "name", sn->name);
        json_writer_int64(w, "date-sec", sn->date_sec);
        json_writer_int64(w, "date-nsec", sn->date_nsec);
        json_writer_int64(w, "vm-clock-sec", sn->vm_clock_nsec / 1000000000);
        json_writer_str(w, "id", sn->id_str);
        json_writer_int64(w, "vm-state-size", sn->vm_state_size);
        json_writer_end_object(w);
    }
    json_writer_end_list(w);
}

/* One image's info object (qemu-img 7.2's key order). */
static void info_json(JSONWriter *w, BlockDriverState *bs)
{
    BlockDriverInfo bdi;
    bool have_bdi = bdrv_get_info(bs, &bdi) >= 0;
    int64_t dsize = bdrv_get_allocated_file_size(bs);
    g_autoptr(GString) text = g_string_new(NULL);

    json_writer_start_object(w, NULL);
    if (bs->backing_format[0]) {
        json_writer_str(w, "backing-filename-format", bs->backing_format);
    }
    info_snapshots_json(w, bs);
    json_writer_int64(w, "virtual-size", bdrv_getlength(bs));
    json_writer_str(w, "filename", bs->filename);
    if (have_bdi && bdi.cluster_size) {
        json_writer_int64(w, "cluster-size", bdi.cluster_size);
    }
    json_writer_str(w, "format", bs->drv->format_name);
    if (dsize >= 0) {
        json_writer_int64(w, "actual-size", dsize);
    }
    if (bs->drv->bdrv_dump_info) {
        json_writer_start_object(w, "format-specific");
        json_writer_str(w, "type", bs->drv->format_name);
        json_writer_start_object(w, "data");
        bs->drv->bdrv_dump_info(bs, text, w);
        json_writer_end_object(w);
        json_writer_end_object(w);
    }
    if (bs->backing_file[0]) {
        g_autofree char *full = full_backing_filename(bs);

        json_writer_str(w, "full-backing-filename", full);
        json_writer_str(w, "backing-filename", bs->backing_file);
    }
    json_writer_bool(w, "dirty-flag", have_bdi && bdi.is_dirty);
    json_writer_end_object(w);
}

static void info_human(BlockDriverState *bs)
{
    BlockDriverInfo bdi;
    bool have_bdi = bdrv_get_info(bs, &bdi) >= 0;
    int64_t vsize = bdrv_getlength(bs), dsize = bdrv_get_allocated_file_size(bs);
    g_autofree char *vstr = size_to_str(vsize);
    g_autoptr(GString) text = g_string_new(NULL);
    JSONWriter *unused = json_writer_new(false);

    if (bs->drv->bdrv_dump_info) {
        json_writer_start_object(unused, NULL);
        bs->drv->bdrv_dump_info(bs, text, unused);
    }
    json_writer_free(unused);
    printf("image: %s\nfile format: %s\n", bs->filename, bs->drv->format_name);
    printf("virtual size: %s (%" PRId64 " bytes)\n", vstr, vsize);
    if (dsize >= 0) {
        g_autofree char *dstr = size_to_str(dsize);
        printf("disk size: %s\n", dstr);
    } else {
        printf("disk size: unavailable\n");
    }
    if (have_bdi && bdi.cluster_size) {
        printf("cluster_size: %d\n", bdi.cluster_size);
    }
    if (bs->backing_file[0]) {
        g_autofree char *full = full_backing_filename(bs);

        printf("backing file: %s", bs->backing_file);
        if (strcmp(full, bs->backing_file)) {
            printf(" (actual path: %s)", full);
        }
        printf("\n");
        if (bs->backing_format[0]) {
            printf("backing file format: %s\n", bs->backing_format);
        }
    }
    img_dump_snapshots(bs);
    if (text->len) {
        printf("Format specific information:\n%s", text->str);
    }
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL, *filename;
    bool json = false, image_opts = false, force_share = false, chain = false;
    g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func((GDestroyNotify)bdrv_unref);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *next_name = NULL, *next_fmt = NULL;

    filename = parse_inspect_args(argc, argv, "info", &fmt, &json, &image_opts, &force_share,
                                  &chain);
    if (!filename) {
        return 1;
    }
    if (img_image_opts_help(image_opts, filename)) {
        return 0;
    }
    next_name = g_strdup(filename);
    next_fmt = g_strdup(fmt);
    /* Each image of the chain opened by itself, metadata only, as qemu-img
     * does; a name seen twice is a loop. */
    while (next_name) {
        BlockDriverState *bs;

        if (g_hash_table_contains(seen, next_name)) {
            img_error("Backing file '%s' creates an infinite loop.", next_name);
            return 1;
        }
        g_hash_table_add(seen, g_strdup(next_name));
        bs = img_open_bs_opts(next_name, next_fmt, image_opts && !images->len, force_share,
                              BDRV_O_NO_BACKING | BDRV_O_NO_IO);
        if (!bs) {
            return 1;
        }
        g_ptr_array_add(images, bs);
        g_clear_pointer(&next_name, g_free);
        g_clear_pointer(&next_fmt, g_free);
        if (chain && bs->backing_file[0]) {
            next_name = full_backing_filename(bs);
            next_fmt = bs->backing_format[0] ? g_strdup(bs->backing_format) : NULL;
        }
    }
    if (json) {
        JSONWriter *w = json_writer_new(true);

        if (chain) {
            json_writer_start_list(w, NULL);
        }
        for (guint i = 0; i < images->len; i++) {
            info_json(w, images->pdata[i]);
        }
        if (chain) {
            json_writer_end_list(w);
        }
        printf("%s\n", json_writer_get(w));
        json_writer_free(w);
    } else {
        for (guint i = 0; i < images->len; i++) {
            if (chain && i) {
                printf("\n");
            }
            info_human(images->pdata[i]);
        }
    }
    return 0;
}

/* ---- check ---- */

static void check_print_human(BdrvCheckResult *r, const char *filename)
{
    if (r->corruptions) {
        printf("\n%d errors were found on the image.\n"
               "Data may be corrupted, or further writes to the image may corrupt it.\n",
               r->corruptions);
    }
    if (r->leaks) {
        printf("\n%d leaked clusters were found on the image.\n"
               "This means waste of disk space, but no harm to data.\n", r->leaks);
    }
    if (r->check_errors) {
        printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
    }
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    }
    if (r->bfi.total_clusters && r->bfi.allocated_clusters) {
        double total = r->bfi.total_clusters, alloc = r->bfi.allocated_clusters;
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, "
               "%0.2f%% compressed clusters\n",
               r->bfi.allocated_clusters, r->bfi.total_clusters, alloc * 100 / total,
               r->bfi.fragmented_clusters * 100 / alloc,
               r->bfi.compressed_clusters * 100 / alloc);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static void check_print_json(BdrvCheckResult *r, const char *filename, const char *format)
{
    JSONWriter *w = json_writer_new(true);

    json_writer_start_object(w, NULL);
    if (r->image_end_offset) {
        json_writer_int64(w, "image-end-offset", r->image_end_offset);
    }
    if (r->bfi.total_clusters) {
        json_writer_uint64(w, "total-clusters", r->bfi.total_clusters);
    }
    if (r->bfi.allocated_clusters) {
        json_writer_uint64(w, "allocated-clusters", r->bfi.allocated_clusters);
        json_writer_uint64(w, "fragmented-clusters", r->bfi.fragmented_clusters);
        json_writer_uint64(w, "compressed-clusters", r->bfi.compressed_clusters);
    }
    json_writer_int64(w, "check-errors", r->check_errors);
    if (r->leaks) {
        json_writer_int64(w, "leaks", r->leaks);
    }
    if (r->corruptions) {
        json_writer_int64(w, "corruptions", r->corruptions);
    }
    if (r->leaks_fixed) {
        json_writer_int64(w, "leaks-fixed", r->leaks_fixed);
    }
    if (r->corruptions_fixed) {
        json_writer_int64(w, "corruptions-fixed", r->corruptions_fixed);
    }
    json_writer_str(w, "filename", filename);
    json_writer_str(w, "format", format);
    json_writer_end_object(w);
    printf("%s\n", json_writer_get(w));
    json_writer_free(w);
}

int img_check(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "output", required_argument, NULL, IMG_OPT_OUTPUT },
        { "repair", required_argument, NULL, 'r' },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *filename;
    bool json = false, image_opts = false, force_share = false;
    int fix = 0, flags = BDRV_O_CHECK | BDRV_O_NO_BACKING, ret, c;
    BdrvCheckResult result;
    BlockDriverState *bs;

    while ((c = getopt_long(argc, argv, ":f:r:qU", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or 'all'): %s",
                          optarg);
                return 1;
            }
            flags |= BDRV_O_RDWR;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_OUTPUT:
            if (!parse_output(optarg, &json)) {
                return 1;
            }
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        default:
            bad_option(c, "check", argv);
            return 1;
        }
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return 1;
    }
    filename = argv[optind];
    if (img_image_opts_help(image_opts, filename)) {
        return 0;
    }
    bs = img_open_bs_opts(filename, fmt, image_opts, force_share, flags);
    if (!bs) {
        return 1;
    }
    filename = bs->filename;
    if (!bs->drv->bdrv_co_check) {
        img_error("This image format does not support checks");
        bdrv_unref(bs);
        return 63;
    }
    ret = bdrv_check(bs, &result, fix);
    if (ret >= 0 && fix && (result.corruptions_fixed || result.leaks_fixed)) {
        if (!quiet && !json) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %d leaked clusters\n    %d corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   result.leaks_fixed, result.corruptions_fixed);
        }
        int leaks_fixed = result.leaks_fixed, corruptions_fixed = result.corruptions_fixed;
        ret = bdrv_check(bs, &result, 0);
        result.leaks_fixed = leaks_fixed;
        result.corruptions_fixed = corruptions_fixed;
    }
    if (ret < 0) {
        img_error("Check failed: %s", g_strerror(-ret));
        bdrv_unref(bs);
        return 1;
    }
    if (json) {
        check_print_json(&result, filename, bs->drv->format_name);
    } else if (!quiet) {
        check_print_human(&result, filename);
    }
    bdrv_unref(bs);
    if (result.corruptions) {
        return 2;
    }
    if (result.leaks) {
        return 3;
    }
    return result.check_errors ? 1 : 0;
}

/* ---- map ---- */

int chain_status(BlockDriverState *bs, int64_t offset, int64_t bytes, MapEntry *e)
{
    int depth = 0;

    for (;;) {
        int64_t pnum, map = 0;
        BlockDriverState *file = NULL;
        int ret = bdrv_block_status(bs, offset, bytes, &pnum, &map, &file);
        if (ret < 0) {
            return ret;
        }
        if (pnum <= 0) {
            /* past the end of a shorter backing file: zeroes */
            pnum = bytes;
            ret = BDRV_BLOCK_ZERO;
        }
        bytes = pnum;
        if ((ret & BDRV_BLOCK_ALLOCATED) || !bs->backing) {
            *e = (MapEntry){
                .start = offset,
                .length = bytes,
                .depth = depth,
                .present = ret & BDRV_BLOCK_ALLOCATED,
                .zero = (ret & BDRV_BLOCK_ZERO) || !(ret & BDRV_BLOCK_ALLOCATED),
                .data = ret & BDRV_BLOCK_DATA,
                .compressed = ret & BDRV_BLOCK_COMPRESSED,
                .has_offset = (ret & BDRV_BLOCK_OFFSET_VALID) && file,
                .offset = map,
                .filename = file ? file->filename : bs->filename,
            };
            return 0;
        }
        bs = bs->backing->bs;
        depth++;
    }
}

static bool map_entry_mergeable(const MapEntry *a, const MapEntry *b)
{
    return a->depth == b->depth && a->present == b->present && a->zero == b->zero &&
           a->data == b->data &&
           a->has_offset == b->has_offset &&
           (!a->has_offset || (a->offset + a->length == b->offset &&
                               !strcmp(a->filename, b->filename)));
}

static void map_print(const MapEntry *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", \"depth\": %d, "
               "\"present\": %s, \"zero\": %s, \"data\": %s",
               first ? "" : ",\n", e->start, e->length, e->depth,
               e->present ? "true" : "false", e->zero ? "true" : "false",
               e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRId64, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start, e->length,
               e->offset, e->filename);
    }
}

int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, first = true, have = false, image_opts = false, force_share = false;
    BlockDriverState *bs;
    MapEntry cur = { 0 }, next;
    int64_t len;
    const char *filename = parse_inspect_args(argc, argv, "map", &fmt, &json, &image_opts,
                                              &force_share, NULL);

    if (!filename) {
        return 1;
    }
    if (img_image_opts_help(image_opts, filename)) {
        return 0;
    }
    bs = img_open_bs_opts(filename, fmt, image_opts, force_share, 0);
    if (!bs) {
        return 1;
    }
    len = bdrv_getlength(bs);
    if (json) {
        printf("[");
    } else {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    for (int64_t offset = 0; offset < len; offset += next.length) {
        int ret = chain_status(bs, offset, MIN(len - offset, INT64_C(1) << 30), &next);
        if (ret < 0) {
            img_error("Could not read the allocation status: %s", g_strerror(-ret));
            bdrv_unref(bs);
            return 1;
        }
        if (have && map_entry_mergeable(&cur, &next)) {
            cur.length += next.length;
            continue;
        }
        if (have) {
            map_print(&cur, json, first);
            first = false;
        }
        cur = next;
        have = true;
    }
    if (have) {
        map_print(&cur, json, first);
    }
    if (json) {
        printf("]\n");
    }
    bdrv_unref(bs);
    return 0;
}
