/*
 * Host features a test needs, probed on their own: a test that cannot run
 * here skips (exit 77) because the probe says so, never because the code
 * under test did nothing -- that would hide the very regression it guards.
 */
#ifndef TESTS_UNIT_HOST_PROBE_H
#define TESTS_UNIT_HOST_PROBE_H

#include <fcntl.h>
#include <glib.h>
#include <linux/aio_abi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Can a file in @dir (NULL: the temporary directory) be opened O_DIRECT? */
static inline bool host_has_odirect(const char *dir)
{
    g_autofree char *tmp = dir ? NULL : g_dir_make_tmp("duet-probe-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir ? dir : tmp, "odirect-probe", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_DIRECT, 0600);
    bool ok = fd >= 0;

    if (fd >= 0) {
        close(fd);
    }
    unlink(path);
    if (tmp) {
        rmdir(tmp);
    }
    return ok;
}

/* Does the kernel give this process a Linux AIO context (io_setup)? */
static inline bool host_has_linux_aio(void)
{
    aio_context_t ctx = 0;

    if (syscall(SYS_io_setup, 1, &ctx) < 0) {
        return false;
    }
    syscall(SYS_io_destroy, ctx);
    return true;
}

/*
 * For main(): runs only the test case named by argv[1] (all when absent);
 * returns 77 with the reason printed when @needs says the host lacks what
 * that case needs (@needs returns NULL or the reason).
 */
typedef const char *(*HostNeeds)(const char *tcase);
static inline int host_probe_tcase(int argc, char **argv, HostNeeds needs, const char **tcase)
{
    const char *why;

    *tcase = argc > 1 ? argv[1] : NULL;
    if (*tcase && (why = needs(*tcase))) {
        printf("SKIP %s: %s\n", *tcase, why);
        return 77;
    }
    return 0;
}

#endif
