/*
 * Permission bookkeeping (block/block-perm.c) and image locking
 * (block/file-lock.c): the opener's permissions, qcow2's child rules, the
 * all-or-nothing refresh, and the lock bytes other processes see, checked
 * from a descriptor of our own (an OFD lock conflicts with any other open
 * of the file, in this process too).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block_int.h"
#include "qemu/option.h"
#include "sysemu/block-backend.h"

#define CR  BLK_PERM_CONSISTENT_READ
#define W   BLK_PERM_WRITE
#define WU  BLK_PERM_WRITE_UNCHANGED
#define RS  BLK_PERM_RESIZE
#define ALL BLK_PERM_ALL
#define IDE_SHARED (CR | WU | RS)

static char *tmpdir;

/* ---- bookkeeping, no files ---- */

START_TEST(test_opener_perm)
{
    static const struct {
        int flags;
        uint64_t perm, shared;
    } cases[] = {
        { 0, CR, ALL },                                   /* check, map */
        { BDRV_O_RDWR, CR | W, ALL },                     /* check -r, snapshot -c */
        { BDRV_O_RDWR | BDRV_O_RESIZE, CR | W | RS, ALL }, /* resize */
        { BDRV_O_NO_IO, 0, ALL },                         /* info */
        { BDRV_O_NO_SHARE, CR, CR | WU },                 /* convert's source */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint64_t perm, shared;
        bdrv_opener_perm(cases[i].flags, &perm, &shared);
        ck_assert_msg(perm == cases[i].perm && shared == cases[i].shared,
                      "flags 0x%x: perm 0x%" PRIx64 " shared 0x%" PRIx64, cases[i].flags, perm,
                      shared);
    }
}
END_TEST

/* qcow2's file and backing children, as QEMU 7.2's lock bytes show them
 * (lslocks on qemu-system-x86_64 and qemu-img, see docs/architecture.md). */
START_TEST(test_default_perms)
{
    static const struct {
        bool read_only;
        int flags;
        BdrvChildRole role;
        uint64_t perm, shared, nperm, nshared;
    } cases[] = {
        /* IDE disk on a writable qcow2: 100 101 103, !201 !203 */
        { false, BDRV_O_RDWR, BDRV_CHILD_FILE, CR | W, IDE_SHARED, CR | W | RS, CR | WU },
        /* qemu-img check: 100, !201 !203 */
        { true, 0, BDRV_CHILD_FILE, CR, ALL, CR, CR | WU },
        /* qemu-img info: nothing held, !201 !203 */
        { true, BDRV_O_NO_IO, BDRV_CHILD_FILE, 0, ALL, 0, CR | WU },
        /* writable node, its user only reads: the format still writes */
        { false, BDRV_O_RDWR, BDRV_CHILD_FILE, CR, ALL, CR | W | RS, CR | WU },
        /* write-unchanged cannot stay unchanged through a format */
        { true, 0, BDRV_CHILD_FILE, CR | WU, ALL, CR | WU | W | RS, CR | WU },
        /* backing of an IDE disk: 100, !201 !203 */
        { false, BDRV_O_RDWR, BDRV_CHILD_BACKING, CR | W | RS, CR | WU, CR, CR | WU },
        /* backing when the overlay's users let others write: shared */
        { false, BDRV_O_RDWR, BDRV_CHILD_BACKING, CR | W, ALL, CR, ALL },
        /* info's overlay: its backing is not read either */
        { true, BDRV_O_NO_IO, BDRV_CHILD_BACKING, 0, ALL, 0, ALL },
    };
    BlockDriverState bs = { .drv = bdrv_find_format("qcow2") };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint64_t nperm, nshared;

        bs.read_only = cases[i].read_only;
        bs.open_flags = cases[i].flags;
        bdrv_child_perm(&bs, cases[i].role, cases[i].perm, cases[i].shared, &nperm, &nshared);
        ck_assert_msg(nperm == cases[i].nperm && nshared == cases[i].nshared,
                      "case %zu: perm 0x%" PRIx64 " shared 0x%" PRIx64, i, nperm, nshared);
    }
    /* raw has no rule of its own: it passes its users' on. */
    {
        BlockDriverState raw = { .drv = bdrv_find_format("raw"), .open_flags = BDRV_O_RDWR };
        uint64_t nperm, nshared;

        bdrv_child_perm(&raw, BDRV_CHILD_FILE, CR | W, IDE_SHARED, &nperm, &nshared);
        ck_assert_uint_eq(nperm, CR | W);
        ck_assert_uint_eq(nshared, IDE_SHARED);
    }
    ck_assert_str_eq(bdrv_perm_name(CR), "consistent read");
    ck_assert_str_eq(bdrv_perm_name(W), "write");
    ck_assert_str_eq(bdrv_perm_name(WU), "write unchanged");
    ck_assert_str_eq(bdrv_perm_name(RS), "resize");
    ck_assert_ptr_null(bdrv_perm_name(CR | W));
}
END_TEST

/* A protocol driver that records the two phases and can refuse. */
typedef struct FakeProto {
    int checks, sets, aborts;
    bool refuse;
    uint64_t perm, shared;
} FakeProto;

static int fake_check(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp)
{
    FakeProto *f = bs->opaque;
    f->checks++;
    if (f->refuse) {
        error_setg(errp, "refused by %s", bs->filename);
        return -EAGAIN;
    }
    return 0;
}

static void fake_set(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    FakeProto *f = bs->opaque;
    f->sets++;
    f->perm = perm;
    f->shared = shared;
}

static void fake_abort(BlockDriverState *bs)
{
    FakeProto *f = bs->opaque;
    f->aborts++;
}

static const BlockDriver fake_proto = {
    .format_name = "fake-proto",
    .bdrv_check_perm = fake_check,
    .bdrv_set_perm = fake_set,
    .bdrv_abort_perm = fake_abort,
};

static const BlockDriver fake_format = {
    .format_name = "fake-format",
    .is_format = true,
    .bdrv_child_perm = bdrv_default_perms,
};

/* overlay (writable) -> file f1; backing (read-only) -> file f2 */
START_TEST(test_refresh_all_or_nothing)
{
    FakeProto p1 = { 0 }, p2 = { 0 };
    BlockDriverState file1 = { .drv = &fake_proto, .opaque = &p1, .filename = "f1" };
    BlockDriverState file2 = { .drv = &fake_proto, .opaque = &p2, .filename = "f2",
                               .read_only = true };
    BlockDriverState base = { .drv = &fake_format, .read_only = true };
    BlockDriverState top = { .drv = &fake_format, .open_flags = BDRV_O_RDWR };
    BdrvChild c1 = { .bs = &file1 }, c2 = { .bs = &file2 }, cb = { .bs = &base };
    Error *err = NULL;

    top.file = &c1;
    top.backing = &cb;
    base.file = &c2;
    top.perm = file1.perm = 0x55; /* what they had before */

    /* The backing file refuses: the overlay's file goes back, nobody is set. */
    p2.refuse = true;
    ck_assert(!bdrv_refresh_perms(&top, CR | W, IDE_SHARED, &err));
    ck_assert_str_eq(error_get_pretty(err), "refused by f2");
    error_free(err);
    err = NULL;
    ck_assert_int_eq(p1.checks, 1);
    ck_assert_int_eq(p1.aborts, 1);
    ck_assert_int_eq(p2.aborts, 0); /* its own check already undid itself */
    ck_assert_int_eq(p1.sets + p2.sets, 0);
    ck_assert_uint_eq(top.perm, 0x55);
    ck_assert_uint_eq(file1.perm, 0x55);

    /* Accepted: every node gets what its parent needs. */
    p2.refuse = false;
    ck_assert(bdrv_refresh_perms(&top, CR | W, IDE_SHARED, &err));
    ck_assert_int_eq(p1.sets, 1);
    ck_assert_int_eq(p2.sets, 1);
    ck_assert_uint_eq(p1.perm, CR | W | RS);
    ck_assert_uint_eq(p1.shared, CR | WU);
    ck_assert_uint_eq(base.perm, CR);
    ck_assert_uint_eq(base.shared_perm, CR | WU);
    ck_assert_uint_eq(p2.perm, CR);
    ck_assert_uint_eq(p2.shared, CR | WU);
    ck_assert_uint_eq(top.perm, CR | W);

    /* force-share on the backing chain: its file shares everything. */
    base.force_share = file2.force_share = true;
    ck_assert(bdrv_refresh_perms(&top, CR | W, IDE_SHARED, &err));
    ck_assert_uint_eq(p2.shared, ALL);
    ck_assert_uint_eq(p1.shared, CR | WU);
}
END_TEST

/* ---- lock bytes on real files ---- */

static char *make_image(const char *name, const char *fmt)
{
    BlockCreateOpts opts = { .size = 1 << 20 };
    Error *err = NULL;
    char *path = g_build_filename(tmpdir, name, NULL);

    opts.filename = path;
    if (!bdrv_create(bdrv_find_format(fmt), &opts, &err)) {
        ck_abort_msg("create %s: %s", path, error_get_pretty(err));
    }
    return path;
}

/* The lock bytes somebody else holds on path, as "100 101 !201" (! for
 * 200 + i), seen through a descriptor of our own. */
static char *locked_bytes(const char *path)
{
    GString *s = g_string_new("");
    int fd = open(path, O_RDONLY);

    ck_assert_int_ge(fd, 0);
    for (int base = 100; base <= 200; base += 100) {
        for (int i = 0; i < 4; i++) {
            struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                                .l_start = base + i, .l_len = 1 };
            ck_assert_int_eq(fcntl(fd, F_OFD_GETLK, &fl), 0);
            if (fl.l_type != F_UNLCK) {
                g_string_append_printf(s, "%s%s%d", s->len ? " " : "", base == 200 ? "!" : "",
                                       base + i);
            }
        }
    }
    close(fd);
    return g_string_free(s, false);
}

static BlockBackend *open_opts(const char *path, const char *fmt, bool read_only,
                               const char *opt_str, Error **errp)
{
    g_autoptr(GHashTable) opts = bdrv_options_new();

    if (opt_str) {
        ck_assert(bdrv_options_parse(opts, opt_str, NULL));
    }
    return blk_new_open_opts(path, fmt, NULL, read_only, opts, errp);
}

/* What QEMU's IDE disk takes (hw/ide/drive.c does the same). */
static BlockBackend *open_as_disk(const char *path, const char *fmt)
{
    Error *err = NULL;
    BlockBackend *blk = open_opts(path, fmt, false, NULL, &err);

    if (!blk || !blk_set_perm(blk, CR | W, IDE_SHARED, &err)) {
        ck_abort_msg("%s: %s", path, error_get_pretty(err));
    }
    return blk;
}

static void assert_locks(const char *path, const char *want)
{
    g_autofree char *got = locked_bytes(path);
    ck_assert_msg(!strcmp(got, want), "%s: locked '%s', expected '%s'", path, got, want);
}

static void assert_lock_error(Error *err, const char *what, const char *path)
{
    g_autofree char *want = g_strdup_printf("Failed to get %s lock\n"
                                            "Is another process using the image [%s]?",
                                            what, path);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), want);
    error_free(err);
}

START_TEST(test_lock_bytes)
{
    g_autofree char *raw = make_image("d.raw", "raw");
    g_autofree char *qcow2 = make_image("d.qcow2", "qcow2");
    BlockBackend *a = open_as_disk(raw, "raw");
    BlockBackend *b = open_as_disk(qcow2, "qcow2");
    Error *err = NULL;

    assert_locks(raw, "100 101 !201");
    assert_locks(qcow2, "100 101 103 !201 !203");
    blk_unref(a);
    blk_unref(b);
    assert_locks(raw, "");
    assert_locks(qcow2, "");

    /* Tools: what qemu-img takes (duet-img's flags). */
    BlockDriverState *bs = bdrv_open(qcow2, "qcow2", BDRV_O_NO_IO, &err);
    ck_assert_ptr_nonnull(bs);
    assert_locks(qcow2, "!201 !203");
    bdrv_unref(bs);
    bs = bdrv_open(raw, "raw", BDRV_O_RDWR | BDRV_O_RESIZE, &err);
    ck_assert_ptr_nonnull(bs);
    assert_locks(raw, "100 101 103");
    bdrv_unref(bs);
    bs = bdrv_open(raw, "raw", BDRV_O_NO_SHARE, &err);
    ck_assert_ptr_nonnull(bs);
    assert_locks(raw, "100 !201 !203");
    bdrv_unref(bs);
    assert_locks(raw, "");
}
END_TEST

/* The same image twice in one process: -hda X -hdb X. */
START_TEST(test_same_image_twice)
{
    g_autofree char *raw = make_image("d.raw", "raw");
    g_autofree char *qcow2 = make_image("d.qcow2", "qcow2");
    BlockBackend *disk = open_as_disk(raw, "raw");
    BlockBackend *disk2 = open_as_disk(qcow2, "qcow2");
    BlockBackend *blk;
    Error *err = NULL;

    /* A second writer. */
    ck_assert_ptr_null(open_opts(raw, "raw", false, NULL, &err));
    assert_lock_error(err, "\"write\"", raw);
    err = NULL;
    ck_assert_ptr_null(open_opts(qcow2, "qcow2", false, NULL, &err));
    assert_lock_error(err, "\"write\"", qcow2);
    err = NULL;
    /* A reader of raw shares writing: fine; of qcow2 it does not. */
    blk = open_opts(raw, "raw", true, NULL, &err);
    ck_assert_ptr_nonnull(blk);
    blk_unref(blk);
    ck_assert_ptr_null(open_opts(qcow2, "qcow2", true, NULL, &err));
    assert_lock_error(err, "shared \"write\"", qcow2);
    err = NULL;
    /* -U: reads anyway; only read-only. */
    blk = open_opts(qcow2, "qcow2", true, "force-share=on", &err);
    ck_assert_ptr_nonnull(blk);
    blk_unref(blk);
    ck_assert_ptr_null(open_opts(qcow2, "qcow2", false, "force-share=on", &err));
    ck_assert_str_eq(error_get_pretty(err),
                     "force-share=on can only be used with read-only images");
    error_free(err);
    err = NULL;
    /* locking=off on the second one: it neither checks nor locks. */
    blk = open_opts(qcow2, "qcow2", false, "file.locking=off", &err);
    ck_assert_ptr_nonnull(blk);
    assert_locks(qcow2, "100 101 103 !201 !203");
    blk_unref(blk);
    ck_assert_ptr_null(open_opts(qcow2, "qcow2", false, "file.locking=maybe", &err));
    ck_assert_str_eq(error_get_pretty(err),
                     "Parameter 'locking' expects 'on', 'off' or 'auto', not 'maybe'");
    error_free(err);
    err = NULL;
    /* Creating over it is refused before the file is touched. */
    BlockCreateOpts create = { .filename = raw, .size = 4096 };
    struct stat st;
    ck_assert(!bdrv_create(bdrv_find_format("raw"), &create, &err));
    assert_lock_error(err, "\"write\"", raw);
    err = NULL;
    ck_assert_int_eq(stat(raw, &st), 0);
    ck_assert_int_eq(st.st_size, 1 << 20);
    create.filename = qcow2;
    ck_assert(!bdrv_create(bdrv_find_format("qcow2"), &create, &err));
    assert_lock_error(err, "\"write\"", qcow2);
    err = NULL;
    blk_unref(disk);
    blk_unref(disk2);
    /* Both gone: a writer is welcome again. */
    blk = open_opts(qcow2, "qcow2", false, NULL, &err);
    ck_assert_ptr_nonnull(blk);
    blk_unref(blk);
}
END_TEST

/* A change that fails leaves every file's locks as they were, the
 * overlay's too when only its backing file is in use. */
START_TEST(test_change_rolls_back)
{
    g_autofree char *base = make_image("base.raw", "raw");
    g_autofree char *top = g_build_filename(tmpdir, "top.qcow2", NULL);
    BlockCreateOpts create = { .filename = top, .size = 1 << 20 };
    g_autoptr(QemuOpts) copts = qemu_opts_new(&bdrv_create_opts_list);
    BlockBackend *writer, *blk;
    Error *err = NULL;

    qemu_opt_set(copts, "backing_file", base, NULL);
    qemu_opt_set(copts, "backing_fmt", "raw", NULL);
    create.opts = copts;
    ck_assert(bdrv_create(bdrv_find_format("qcow2"), &create, &err));

    /* Someone writes the backing file (sharing everything, as qemu-io). */
    writer = open_opts(base, "raw", false, NULL, &err);
    ck_assert_ptr_nonnull(writer);
    /* A tool on the overlay shares writing, so its backing file does too. */
    blk = open_opts(top, "qcow2", false, NULL, &err);
    ck_assert_ptr_nonnull(blk);
    assert_locks(top, "100 101 103 !201 !203");
    /* The writer's 100 101 only: the backing node takes 100 as well, from
     * another descriptor, which our probe cannot tell apart. */
    assert_locks(base, "100 101");
    /* A disk on the overlay would keep the backing file from changing:
     * refused, and nothing moved. */
    ck_assert(!blk_set_perm(blk, CR | W, IDE_SHARED, &err));
    assert_lock_error(err, "shared \"write\"", base);
    err = NULL;
    assert_locks(top, "100 101 103 !201 !203");
    assert_locks(base, "100 101");
    uint64_t perm, shared;
    blk_get_perm(blk, &perm, &shared);
    ck_assert_uint_eq(perm, CR | W);
    ck_assert_uint_eq(shared, ALL);
    /* Without the writer it goes through. */
    blk_unref(writer);
    ck_assert(blk_set_perm(blk, CR | W, IDE_SHARED, &err));
    assert_locks(base, "100 !201 !203");
    /* Narrowing back drops the bytes no longer needed. */
    ck_assert(blk_set_perm(blk, CR, ALL, &err));
    assert_locks(base, "100");
    assert_locks(top, "100 101 103 !201 !203");
    blk_unref(blk);
    assert_locks(base, "");
    assert_locks(top, "");
}
END_TEST

/* convert's check: the same file by another name, a symlink, a hard link
 * or as a backing file. */
START_TEST(test_find_file)
{
    g_autofree char *base = make_image("base.raw", "raw");
    g_autofree char *top = g_build_filename(tmpdir, "top.qcow2", NULL);
    g_autofree char *sym = g_build_filename(tmpdir, "sym.qcow2", NULL);
    g_autofree char *hard = g_build_filename(tmpdir, "hard.raw", NULL);
    g_autofree char *other = make_image("other.raw", "raw");
    g_autofree char *missing = g_build_filename(tmpdir, "missing.raw", NULL);
    BlockCreateOpts create = { .filename = top, .size = 1 << 20 };
    g_autoptr(QemuOpts) copts = qemu_opts_new(&bdrv_create_opts_list);
    g_autoptr(GHashTable) opts = bdrv_options_new();
    BlockDriverState *bs;
    Error *err = NULL;

    qemu_opt_set(copts, "backing_file", base, NULL);
    qemu_opt_set(copts, "backing_fmt", "raw", NULL);
    create.opts = copts;
    ck_assert(bdrv_create(bdrv_find_format("qcow2"), &create, &err));
    ck_assert_int_eq(symlink(top, sym), 0);
    ck_assert_int_eq(link(base, hard), 0);

    bs = bdrv_open(top, "qcow2", BDRV_O_NO_SHARE, &err);
    ck_assert_ptr_nonnull(bs);
    ck_assert_ptr_eq(bdrv_find_file(bs, top), bs->file->bs);
    ck_assert_ptr_eq(bdrv_find_file(bs, sym), bs->file->bs);
    ck_assert_ptr_eq(bdrv_find_file(bs, hard), bs->backing->bs->file->bs);
    ck_assert_ptr_null(bdrv_find_file(bs, other));
    ck_assert_ptr_null(bdrv_find_file(bs, missing));
    ck_assert(bdrv_blocks_writers(bs->file->bs));
    ck_assert(bdrv_blocks_writers(bs->backing->bs->file->bs));
    bdrv_unref(bs);

    /* -U, locking=off: nothing keeps writers out any more. */
    g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
    bs = bdrv_open_opts(top, "qcow2", BDRV_O_NO_SHARE, opts, &err);
    ck_assert_ptr_nonnull(bs);
    ck_assert(!bdrv_blocks_writers(bs->file->bs));
    ck_assert(!bdrv_blocks_writers(bs->backing->bs->file->bs));
    bdrv_unref(bs);
    g_hash_table_remove_all(opts);
    g_hash_table_insert(opts, g_strdup("file.locking"), g_strdup("off"));
    bs = bdrv_open_opts(top, "qcow2", BDRV_O_NO_SHARE, opts, &err);
    ck_assert_ptr_nonnull(bs);
    ck_assert(!bdrv_blocks_writers(bs->file->bs));
    ck_assert(bdrv_blocks_writers(bs->backing->bs->file->bs));
    bdrv_unref(bs);
}
END_TEST

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-perm-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    g_clear_pointer(&tmpdir, g_free);
}

/* NULL when files in the temporary directory take OFD locks, else why not. */
static char *ofd_unsupported(void)
{
    g_autofree char *dir = g_dir_make_tmp("duet-perm-probe-XXXXXX", NULL);
    g_autofree char *path = dir ? g_build_filename(dir, "probe", NULL) : NULL;
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 1 };
    char *why = NULL;
    int fd;

    if (!dir) {
        return g_strdup("cannot create a temporary directory");
    }
    fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) {
        why = g_strdup_printf("cannot create %s: %s", path, g_strerror(errno));
    } else if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        why = g_strdup_printf("F_OFD_SETLK on %s: %s", path, g_strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    unlink(path);
    rmdir(dir);
    return why;
}

int main(void)
{
    g_autofree char *no_ofd = ofd_unsupported();
    Suite *s = suite_create("block-perm");
    TCase *tc = tcase_create("bookkeeping");
    TCase *tl = tcase_create("locks");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_opener_perm);
    tcase_add_test(tc, test_default_perms);
    tcase_add_test(tc, test_refresh_all_or_nothing);
    suite_add_tcase(s, tc);
    if (!no_ofd) {
        tcase_set_timeout(tl, 30);
        tcase_add_checked_fixture(tl, setup, teardown);
        tcase_add_test(tl, test_lock_bytes);
        tcase_add_test(tl, test_same_image_twice);
        tcase_add_test(tl, test_change_rolls_back);
        tcase_add_test(tl, test_find_file);
        suite_add_tcase(s, tl);
    }
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed) {
        return EXIT_FAILURE;
    }
    if (no_ofd) {
        printf("SKIP: the lock tests: no OFD locks in the temporary directory (%s)\n", no_ofd);
        return 77;
    }
    return EXIT_SUCCESS;
}
