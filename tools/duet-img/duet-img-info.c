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
#include "sysemu/block-backend.h"
#include "duet-img.h"

/* ---- info ---- */

/* Prints "key": value members of a driver's one-line JSON body, one per
 * line, the way qemu-img pretty-prints. */
static void print_json_members(const char *body, const char *indent)
{
    bool in_string = false;
    int depth = 0;
    GString *member = g_string_new(NULL);
    bool first = true;

    for (const char *p = body;; p++) {
        if (!*p || (!in_string && depth == 0 && *p == ',')) {
            char *m = g_strstrip(member->str);
            if (*m) {
                printf("%s%s%s", first ? "" : ",\n", indent, m);
                first = false;
            }
            g_string_truncate(member, 0);
            if (!*p) {
                break;
            }
            continue;
        }
        if (*p == '"' && (p == body || p[-1] != '\\')) {
            in_string = !in_string;
        } else if (!in_string && (*p == '{' || *p == '[')) {
            depth++;
        } else if (!in_string && (*p == '}' || *p == ']')) {
            depth--;
        }
        g_string_append_c(member, *p);
    }
    if (!first) {
        printf("\n");
    }
    g_string_free(member, TRUE);
}

static char *json_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            g_string_append_c(out, '\\');
        }
        if ((unsigned char)*s < 0x20) {
            g_string_append_printf(out, "\\u%04x", *s);
        } else {
            g_string_append_c(out, *s);
        }
    }
    return g_string_free(out, FALSE);
}

/*
 * The arguments info and map share: -f FMT, -U (force-share: open even
 * while another process writes the image), --output=human|json,
 * --image-opts and one file name.  Returns the file name, or NULL after
 * printing the error.
 */
static const char *parse_inspect_args(int argc, char **argv, const char *cmd,
                                      const char **fmt, bool *json, bool *image_opts,
                                      bool *force_share)
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
        img_error("Expecting one image file name");
        return NULL;
    }
    return argv[optind];
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL, *filename;
    bool json = false, image_opts = false, force_share = false;
    BlockDriverState *bs;
    BlockDriverInfo bdi;
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GString) spec = g_string_new(NULL);
    int64_t vsize, dsize;

    filename = parse_inspect_args(argc, argv, "info", &fmt, &json, &image_opts, &force_share);
    if (!filename) {
        return 1;
    }
    if (img_image_opts_help(image_opts, filename)) {
        return 0;
    }
    /* Only metadata is read: no consistent-read, as qemu-img info. */
    bs = img_open_bs_opts(filename, fmt, image_opts, force_share,
                          BDRV_O_NO_BACKING | BDRV_O_NO_IO);
    if (!bs) {
        return 1;
    }
    filename = bs->filename; /* the file, also with --image-opts */
    vsize = bdrv_getlength(bs);
    dsize = bdrv_get_allocated_file_size(bs);
    bool have_bdi = bdrv_get_info(bs, &bdi) >= 0;
    if (bs->drv->bdrv_dump_info) {
        bs->drv->bdrv_dump_info(bs, text, spec);
    }
    g_autofree char *backing_full = NULL;
    if (bs->backing_file[0]) {
        g_autofree char *dir = g_path_get_dirname(filename);
        backing_full = g_path_is_absolute(bs->backing_file)
                           ? g_strdup(bs->backing_file)
                           : g_build_filename(dir, bs->backing_file, NULL);
        if (!strcmp(dir, ".")) {
            g_free(backing_full);
            backing_full = g_strdup(bs->backing_file);
        }
    }

    if (json) {
        g_autofree char *fname = json_escape(filename);
        printf("{\n");
        if (bs->backing_format[0]) {
            printf("    \"backing-filename-format\": \"%s\",\n", bs->backing_format);
        }
        printf("    \"virtual-size\": %" PRId64 ",\n", vsize);
        printf("    \"filename\": \"%s\",\n", fname);
        if (have_bdi && bdi.cluster_size) {
            printf("    \"cluster-size\": %d,\n", bdi.cluster_size);
        }
        printf("    \"format\": \"%s\",\n", bs->drv->format_name);
        if (dsize >= 0) {
            printf("    \"actual-size\": %" PRId64 ",\n", dsize);
        }
        if (spec->len) {
            printf("    \"format-specific\": {\n        \"type\": \"%s\",\n"
                   "        \"data\": {\n", bs->drv->format_name);
            print_json_members(spec->str, "            ");
            printf("        }\n    },\n");
        }
        if (bs->backing_file[0]) {
            g_autofree char *full = json_escape(backing_full);
            g_autofree char *name = json_escape(bs->backing_file);
            printf("    \"full-backing-filename\": \"%s\",\n", full);
            printf("    \"backing-filename\": \"%s\",\n", name);
        }
        printf("    \"dirty-flag\": %s\n}\n", have_bdi && bdi.is_dirty ? "true" : "false");
    } else {
        g_autofree char *vstr = size_to_str(vsize);
        printf("image: %s\nfile format: %s\n", filename, bs->drv->format_name);
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
            printf("backing file: %s", bs->backing_file);
            if (strcmp(backing_full, bs->backing_file)) {
                printf(" (actual path: %s)", backing_full);
            }
            printf("\n");
            if (bs->backing_format[0]) {
                printf("backing file format: %s\n", bs->backing_format);
            }
        }
        if (text->len) {
            printf("Format specific information:\n%s", text->str);
        }
    }
    bdrv_unref(bs);
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
    g_autofree char *fname = json_escape(filename);
    printf("{\n");
    if (r->image_end_offset) {
        printf("    \"image-end-offset\": %" PRId64 ",\n", r->image_end_offset);
    }
    if (r->bfi.total_clusters) {
        printf("    \"total-clusters\": %" PRIu64 ",\n", r->bfi.total_clusters);
    }
    if (r->bfi.allocated_clusters) {
        printf("    \"allocated-clusters\": %" PRIu64 ",\n"
               "    \"fragmented-clusters\": %" PRIu64 ",\n"
               "    \"compressed-clusters\": %" PRIu64 ",\n",
               r->bfi.allocated_clusters, r->bfi.fragmented_clusters,
               r->bfi.compressed_clusters);
    }
    printf("    \"check-errors\": %d,\n", r->check_errors);
    if (r->leaks) {
        printf("    \"leaks\": %d,\n", r->leaks);
    }
    if (r->corruptions) {
        printf("    \"corruptions\": %d,\n", r->corruptions);
    }
    if (r->leaks_fixed) {
        printf("    \"leaks-fixed\": %d,\n", r->leaks_fixed);
    }
    if (r->corruptions_fixed) {
        printf("    \"corruptions-fixed\": %d,\n", r->corruptions_fixed);
    }
    printf("    \"filename\": \"%s\",\n    \"format\": \"%s\"\n}\n", fname, format);
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
        img_error("Expecting one image file name");
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
                                              &force_share);

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
