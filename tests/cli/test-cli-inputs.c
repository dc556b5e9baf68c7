/*
 * Files and drives named on the duet command line are checked before
 * anything is read or started: /dev/zero, a FIFO, a directory, a kernel
 * or initrd larger than guest RAM, an oversized -trace events file and a
 * -drive without an image each get one line on stderr and exit 1, at once
 * (the test's own timeout catches a read that does not end).
 * argv[1] is duet, argv[2] the exit-now guest of tests/guests/bench.
 */
#include <check.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *duet_binary;
static const char *kernel;
static char *tmpdir;

/* Runs duet; asserts one line on stderr containing @needle and exit 1. */
static void expect_refused(const char *needle, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int wait_status;
    va_list ap;

    g_ptr_array_add(argv, (char *)duet_binary);
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL,
                               NULL, NULL, &out, &err, &wait_status, &gerr),
                  "spawn: %s", gerr ? gerr->message : "?");
    ck_assert_msg(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 1,
                  "not exit 1 (wait status 0x%x), stderr: %s", wait_status, err);
    ck_assert_msg(strstr(err, needle), "'%s' not in '%s'", needle, err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "stderr not one line: %s", err);
    ck_assert_str_eq(out, "");
}

static char *sparse_file(const char *name, off_t size)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-cli-inputs-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
    for (const char *n; dir && (n = g_dir_read_name(dir));) {
        g_autofree char *p = g_build_filename(tmpdir, n, NULL);
        g_unlink(p);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
}

START_TEST(test_kernel_not_regular)
{
    g_autofree char *fifo = g_build_filename(tmpdir, "fifo", NULL);

    expect_refused("-kernel /dev/zero: not a regular file", "-kernel", "/dev/zero", NULL);
    expect_refused("not a regular file", "-kernel", tmpdir, NULL);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* Opening a FIFO with no writer must not block either. */
    expect_refused("not a regular file", "-kernel", fifo, NULL);
}
END_TEST

START_TEST(test_kernel_larger_than_ram)
{
    g_autofree char *big = sparse_file("big.elf", 200 << 20);

    expect_refused("the file is 200 MiB (209715200 bytes), more than fits in guest RAM (64 MiB)",
                   "-m", "64", "-kernel", big, NULL);
}
END_TEST

START_TEST(test_initrd)
{
    g_autofree char *big = sparse_file("big.img", 1 << 30);

    if (!kernel) {
        return;
    }
    expect_refused("-initrd /dev/zero: not a regular file",
                   "-kernel", kernel, "-initrd", "/dev/zero", NULL);
    expect_refused("more than fits in guest RAM (128 MiB)",
                   "-kernel", kernel, "-initrd", big, NULL);
}
END_TEST

START_TEST(test_trace_events_file)
{
    g_autofree char *big = sparse_file("events", 2 << 20);
    g_autofree char *arg = g_strdup_printf("events=%s", big);

    expect_refused("-trace events=/dev/zero: events file /dev/zero: not a regular file",
                   "-trace", "events=/dev/zero", NULL);
    expect_refused("more than fits in 1 MiB", "-trace", arg, NULL);
}
END_TEST

START_TEST(test_drive_without_file)
{
    if (!kernel) {
        return;
    }
    expect_refused("-drive format=qcow2: A block device must be specified for \"file\"",
                   "-kernel", kernel, "-drive", "format=qcow2", NULL);
    expect_refused("-drive if=ide,index=0: Device needs media, but drive is empty",
                   "-kernel", kernel, "-drive", "if=ide,index=0", NULL);
}
END_TEST

/* A bzImage header (boot.rst) over @pm bytes of protected-mode code. */
static char *fake_bzimage(const char *name, uint16_t version, uint32_t syssize, size_t pm)
{
    g_autofree uint8_t *k = g_malloc0(1024 + pm);
    char *path = g_build_filename(tmpdir, name, NULL);

    k[0x1f1] = 1;                       /* setup_sects */
    memcpy(k + 0x1f4, &syssize, 4);
    k[0x1fe] = 0x55;
    k[0x1ff] = 0xaa;
    k[0x200] = 0xeb;
    k[0x201] = 0x6a;
    memcpy(k + 0x202, "HdrS", 4);
    memcpy(k + 0x206, &version, 2);
    k[0x211] = 1;                       /* LOADED_HIGH */
    k[0x214 + 2] = 0x10;                /* code32_start 0x100000 */
    ck_assert(g_file_set_contents(path, (char *)k, 1024 + pm, NULL));
    return path;
}

/* Bad Linux kernels: one line, exit 1, nothing started (Linux issue's list). */
START_TEST(test_bad_linux_kernels)
{
    g_autofree char *old = fake_bzimage("old", 0x0205, 0, 4096);
    g_autofree char *trunc = fake_bzimage("trunc", 0x020f, 8192 / 16, 4096);
    g_autofree char *ok = fake_bzimage("ok", 0x020f, 4096 / 16, 4096);
    g_autofree char *magic = g_build_filename(tmpdir, "magic", NULL);
    g_autofree char *big = sparse_file("initrd", 200 << 20);
    g_autofree char *copy = NULL;
    gsize len;

    expect_refused("Linux boot protocol 2.05 is too old", "-kernel", old, NULL);
    expect_refused("truncated: the header says 8192 bytes of protected-mode kernel, the file "
                   "has 4096", "-kernel", trunc, NULL);
    ck_assert(g_file_get_contents(ok, &copy, &len, NULL));
    memcpy(copy + 0x202, "HdrX", 4);
    ck_assert(g_file_set_contents(magic, copy, len, NULL));
    expect_refused("neither a Linux kernel (bzImage) nor a Multiboot kernel", "-kernel", magic,
                   NULL);
    expect_refused("-initrd", "-m", "128", "-kernel", ok, "-initrd", big, NULL);
    expect_refused("-initrd only allowed with -kernel option", "-initrd", big, NULL);
    expect_refused("-append only allowed with -kernel option", "-append", "quiet", NULL);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DUET [EXIT-NOW-GUEST]\n", argv[0]);
        return 2;
    }
    duet_binary = argv[1];
    kernel = argc > 2 && g_file_test(argv[2], G_FILE_TEST_EXISTS) ? argv[2] : NULL;
    if (!kernel) {
        printf("note: no test guest built; the -initrd and -drive cases are not run\n");
    }

    Suite *s = suite_create("cli-inputs");
    TCase *tc = tcase_create("inputs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_kernel_not_regular);
    tcase_add_test(tc, test_kernel_larger_than_ram);
    tcase_add_test(tc, test_initrd);
    tcase_add_test(tc, test_trace_events_file);
    tcase_add_test(tc, test_drive_without_file);
    tcase_add_test(tc, test_bad_linux_kernels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
