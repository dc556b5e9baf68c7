/*
 * Backends on file descriptors (stdio, file, pipe, a socket's connection).
 *
 * Input is read by a GLib fd source on the main context, so it is only
 * dispatched by the main loop (with the BQL held), never inside a block
 * layer drain (aio_poll).  While the frontend has no room the source is
 * removed, so a readable but unconsumed fd cannot spin the loop;
 * accept_input puts it back (any thread, BQL held).
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <glib-unix.h>

#include "char-internal.h"
#include "trace/trace.h"

int qemu_chr_write_fd_all(int fd, const uint8_t *buf, int len)
{
    int done = 0;

    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                poll(&pfd, 1, 1000);
                continue;
            }
            return -errno;
        }
        done += n;
    }
    return len;
}

int qemu_chr_fd_write(Chardev *chr, const uint8_t *buf, int len)
{
    if (chr->fd_out < 0) {
        return len;
    }
    return qemu_chr_write_fd_all(chr->fd_out, buf, len);
}

static gboolean chr_fd_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[4096];
    int room = qemu_chr_be_can_write(chr);
    ssize_t n;

    if (room <= 0) {
        chr->read_tag = 0; /* until accept_input */
        return G_SOURCE_REMOVE;
    }
    n = read(chr->fd_in, buf, MIN((size_t)room, sizeof(buf)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        /* End of input: the line goes quiet (a socket reports CLOSED). */
        chr->read_tag = 0;
        chr->input_eof = true;
        if (chr->cls->disconnect) {
            chr->cls->disconnect(chr);
        }
        return G_SOURCE_REMOVE;
    }
    trace_event(chr_read, "label=%s len=%zd", chr->label, n);
    qemu_chr_be_write(chr, buf, n);
    return G_SOURCE_CONTINUE;
}

void qemu_chr_fd_set_reading(Chardev *chr, bool on)
{
    if (!on) {
        if (chr->read_tag) {
            g_source_remove(chr->read_tag);
            chr->read_tag = 0;
        }
        return;
    }
    if (chr->read_tag || chr->fd_in < 0 || chr->input_eof) {
        return;
    }
    chr->read_tag = g_unix_fd_add(chr->fd_in, G_IO_IN | G_IO_HUP | G_IO_ERR, chr_fd_readable,
                                  chr);
}

void qemu_chr_fd_accept_input(Chardev *chr)
{
    qemu_chr_fd_set_reading(chr, true);
}
