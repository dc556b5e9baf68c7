/*
 * stdio: the terminal duet runs in.  A terminal is put in raw mode while
 * duet runs (bytes reach the guest as typed) and restored at close and at
 * exit; signal=off also passes ^C on instead of stopping duet (QEMU's
 * default for mon:stdio, where C-a x quits).
 */
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "char-internal.h"

/* The terminal state stdio changed: one terminal per process. */
static struct termios saved_tty;
static bool saved_tty_valid;
static bool stdio_in_use;

static void chr_restore_tty(void)
{
    if (saved_tty_valid) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        saved_tty_valid = false;
    }
}

static bool chr_stdio_make_raw(bool allow_signals)
{
    struct termios tty;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &tty) < 0) {
        return false;
    }
    if (!saved_tty_valid) {
        saved_tty = tty;
        saved_tty_valid = true;
        atexit(chr_restore_tty);
    }
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tty);
    return true;
}

static const QemuOptDesc chr_stdio_opts[] = {
    { .name = "signal", .type = QEMU_OPT_BOOL,
      .help = "^C stops duet (off: it goes to the guest)", .def_value_str = "on" },
    { NULL },
};

static bool chr_stdio_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    if (stdio_in_use) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return false;
    }
    stdio_in_use = true;
    chr->fd_in = STDIN_FILENO;
    chr->fd_out = STDOUT_FILENO;
    chr->is_tty = chr_stdio_make_raw(qemu_opt_get_bool(opts, "signal", true));
    qemu_chr_fd_set_reading(chr, true);
    return true;
}

static void chr_stdio_close(Chardev *chr)
{
    qemu_chr_fd_set_reading(chr, false);
    chr_restore_tty();
    stdio_in_use = false;
}

const ChardevClass char_stdio_class = {
    .name = "stdio", .help = "the terminal (raw mode while running)",
    .opts = chr_stdio_opts,
    .open = chr_stdio_open, .write = qemu_chr_fd_write,
    .accept_input = qemu_chr_fd_accept_input, .close = chr_stdio_close,
};
