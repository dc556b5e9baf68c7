/*
 * file (output only) and pipe (QEMU's: PATH.in and PATH.out when both
 * exist, else PATH both ways; usually FIFOs made with mkfifo).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "char-internal.h"

static const QemuOptDesc chr_file_opts[] = {
    { .name = "path", .type = QEMU_OPT_STRING, .help = "File the output goes to" },
    { .name = "append", .type = QEMU_OPT_BOOL, .help = "Append instead of truncating",
      .def_value_str = "off" },
    { NULL },
};

static bool chr_file_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    const char *path = qemu_opt_get(opts, "path");
    bool append = qemu_opt_get_bool(opts, "append", false);

    if (!path) {
        error_setg(errp, "Parameter 'path' is missing (file,path=PATH or file:PATH)");
        return false;
    }
    chr->fd_out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                       0666);
    if (chr->fd_out < 0) {
        error_setg_errno(errp, errno, "could not open '%s'", path);
        return false;
    }
    chr->filename = g_strdup_printf("file:%s", path);
    return true;
}

static void chr_fd_close(Chardev *chr)
{
    qemu_chr_fd_set_reading(chr, false);
    if (chr->fd_in >= 0 && chr->fd_in != chr->fd_out) {
        close(chr->fd_in);
    }
    if (chr->fd_out >= 0) {
        close(chr->fd_out);
    }
}

const ChardevClass char_file_class = {
    .name = "file", .help = "file:PATH or file,path=PATH[,append=on]: output only",
    .opts = chr_file_opts, .legacy_key = "path",
    .open = chr_file_open, .write = qemu_chr_fd_write, .close = chr_fd_close,
};

static const QemuOptDesc chr_pipe_opts[] = {
    { .name = "path", .type = QEMU_OPT_STRING,
      .help = "PATH.in and PATH.out, or PATH for both (FIFOs)" },
    { NULL },
};

static bool chr_pipe_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    const char *path = qemu_opt_get(opts, "path");
    g_autofree char *in = NULL, *out = NULL;

    if (!path) {
        error_setg(errp, "Parameter 'path' is missing (pipe,path=PATH or pipe:PATH)");
        return false;
    }
    in = g_strdup_printf("%s.in", path);
    out = g_strdup_printf("%s.out", path);
    /* O_RDWR: opening a FIFO does not wait for the other end, and the
     * read side never sees end-of-file when a writer goes away. */
    chr->fd_in = open(in, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    chr->fd_out = open(out, O_RDWR | O_CLOEXEC);
    if (chr->fd_in < 0 || chr->fd_out < 0) {
        if (chr->fd_in >= 0) {
            close(chr->fd_in);
        }
        if (chr->fd_out >= 0) {
            close(chr->fd_out);
        }
        chr->fd_in = chr->fd_out = open(path, O_RDWR | O_CLOEXEC);
        if (chr->fd_in < 0) {
            error_setg_errno(errp, errno, "could not open '%s'", path);
            return false;
        }
    }
    chr->filename = g_strdup_printf("pipe:%s", path);
    qemu_chr_fd_set_reading(chr, true);
    return true;
}

const ChardevClass char_pipe_class = {
    .name = "pipe", .help = "pipe:PATH: PATH.in/PATH.out or PATH (FIFOs), both ways",
    .opts = chr_pipe_opts, .legacy_key = "path",
    .open = chr_pipe_open, .write = qemu_chr_fd_write,
    .accept_input = qemu_chr_fd_accept_input, .close = chr_fd_close,
};
