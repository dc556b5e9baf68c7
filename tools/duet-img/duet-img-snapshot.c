/*
 * duet-img snapshot: list, create, apply and delete internal snapshots,
 * with qemu-img's options, table layout, messages and exit codes (1 on any
 * failure).  The format does the work through the BlockDriver's
 * bdrv_snapshot_* hooks (block/snapshot.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "block_int.h"
#include "duet-img.h"

typedef enum {
    SNAPSHOT_NONE,
    SNAPSHOT_LIST,
    SNAPSHOT_CREATE,
    SNAPSHOT_APPLY,
    SNAPSHOT_DELETE,
} SnapshotAction;

/* qemu-img's "Snapshot list:" table (measured on qemu-img 7.2: a tag
 * longer than 16 characters shifts the rest of its row right). */
static void dump_snapshot_row(const char *id, const char *tag, const char *vm_size,
                              const char *date, const char *clock, const char *icount)
{
    printf("%-9s %-16s %8s%20s%13s%11s\n", id, tag, vm_size, date, clock, icount);
}

static void dump_snapshot(const QEMUSnapshotInfo *sn)
{
    g_autofree char *vm_size = size_to_str(sn->vm_state_size);
    uint64_t secs = sn->vm_clock_nsec / 1000000000;
    char date[32] = "", clock[64], icount[32] = "";
    time_t t = sn->date_sec;
    struct tm tm;

    if (localtime_r(&t, &tm)) {
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    }
    snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
             secs / 3600, secs / 60 % 60, secs % 60, sn->vm_clock_nsec / 1000000 % 1000);
    if (sn->icount != (uint64_t)-1) {
        snprintf(icount, sizeof(icount), "%" PRIu64, sn->icount);
    }
    dump_snapshot_row(sn->id_str, sn->name, vm_size, date, clock, icount);
}

void img_dump_snapshots(BlockDriverState *bs)
{
    g_autofree QEMUSnapshotInfo *list = NULL;
    int n = bdrv_snapshot_list(bs, &list);

    if (n <= 0) {
        return;
    }
    printf("Snapshot list:\n");
    dump_snapshot_row("ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        dump_snapshot(&list[i]);
    }
}

static int create_snapshot(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn = { .icount = 0 };
    int64_t now = g_get_real_time();
    int ret;

    g_strlcpy(sn.name, name, sizeof(sn.name));
    sn.date_sec = now / G_USEC_PER_SEC;
    sn.date_nsec = now % G_USEC_PER_SEC * 1000;
    ret = bdrv_snapshot_create(bs, &sn, NULL);
    if (ret < 0) {
        img_error("Could not create snapshot '%s': %d (%s)", name, ret, g_strerror(-ret));
        return 1;
    }
    return 0;
}

static int apply_snapshot(BlockDriverState *bs, const char *name)
{
    Error *err = NULL;

    if (bdrv_snapshot_goto(bs, name, &err) < 0) {
        error_prepend(&err, "Could not apply snapshot '%s': ", name);
        img_error_err(err);
        return 1;
    }
    return 0;
}

/* qemu-img deletes by name only (an id is not looked up). */
static bool snapshot_name_exists(BlockDriverState *bs, const char *name)
{
    g_autofree QEMUSnapshotInfo *list = NULL;
    int n = bdrv_snapshot_list(bs, &list);

    for (int i = 0; i < n; i++) {
        if (!strcmp(list[i].name, name)) {
            return true;
        }
    }
    return false;
}

static int delete_snapshot(BlockDriverState *bs, const char *name)
{
    Error *err = NULL;

    if (!snapshot_name_exists(bs, name)) {
        img_error("Could not delete snapshot '%s': snapshot not found", name);
        return 1;
    }
    if (bdrv_snapshot_delete(bs, NULL, name, &err) < 0) {
        error_prepend(&err, "Could not delete snapshot '%s': ", name);
        img_error_err(err);
        return 1;
    }
    return 0;
}

int img_snapshot(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, IMG_OPT_IMAGE_OPTS },
        { NULL, 0, NULL, 0 },
    };
    SnapshotAction action = SNAPSHOT_NONE;
    const char *fmt = NULL, *name = NULL;
    bool image_opts = false, force_share = false;
    BlockDriverState *bs;
    int c, ret = 0;

    while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", long_opts, NULL)) != -1) {
        SnapshotAction chosen = SNAPSHOT_NONE;
        switch (c) {
        case 'l':
            chosen = SNAPSHOT_LIST;
            break;
        case 'c':
            chosen = SNAPSHOT_CREATE;
            break;
        case 'a':
            chosen = SNAPSHOT_APPLY;
            break;
        case 'd':
            chosen = SNAPSHOT_DELETE;
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'U':
            force_share = true;
            break;
        case IMG_OPT_IMAGE_OPTS:
            image_opts = true;
            break;
        case 'h':
            printf("usage: duet-img snapshot [-f fmt | --image-opts] [-U] [-q] "
                   "[-l | -a snapshot | -c snapshot | -d snapshot] filename\n");
            return 0;
        default:
            bad_option(c, "snapshot", argv);
            return 1;
        }
        if (chosen != SNAPSHOT_NONE) {
            if (action != SNAPSHOT_NONE) {
                img_error("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = chosen;
            name = optarg;
        }
    }
    if (optind != argc - 1) {
        img_error_exit("Expecting one image file name");
        return 1;
    }
    if (!img_check_image_opts(image_opts, fmt)) {
        return 1;
    }
    if (img_image_opts_help(image_opts, argv[optind])) {
        return 0;
    }
    if (action == SNAPSHOT_NONE) {
        /* qemu-img: no action means nothing to do. */
        return 0;
    }
    /* -U with a writing action: the open refuses, as qemu-img's does. */
    bs = img_open_bs_opts(argv[optind], fmt, image_opts, force_share,
                          BDRV_O_NO_BACKING | (action == SNAPSHOT_LIST ? 0 : BDRV_O_RDWR));
    if (!bs) {
        return 1;
    }
    switch (action) {
    case SNAPSHOT_LIST:
        img_dump_snapshots(bs);
        break;
    case SNAPSHOT_CREATE:
        ret = create_snapshot(bs, name);
        break;
    case SNAPSHOT_APPLY:
        ret = apply_snapshot(bs, name);
        break;
    case SNAPSHOT_DELETE:
        ret = delete_snapshot(bs, name);
        break;
    default:
        break;
    }
    bdrv_unref(bs);
    return ret;
}
