/*
 * Character devices: the byte streams between a frontend (the UART, the
 * debug console, a monitor) and the host (the terminal, a file, a pipe, a
 * socket).  QEMU's -chardev: each backend is a ChardevClass with a table of
 * its options (chardev/char-*.c); every spec goes through the option parser.
 *
 *   -chardev BACKEND,id=ID[,mux=on][,KEY=VALUE...]   a named chardev
 *   -serial  stdio | file:PATH | pipe:PATH | unix:PATH[,server=on,...] |
 *            tcp:HOST:PORT[,server=on,...] | null | mon:SPEC | chardev:ID |
 *            BACKEND[,KEY=VALUE...]
 *
 * A chardev has one frontend, or up to CHR_MAX_FRONTENDS with mux=on
 * (-serial mon:stdio): then input goes to the frontend that has the focus
 * and C-a c moves it on (char-mux.c); output of every frontend goes out.
 *
 * The frontend says how much it can take (can_read) and gets bytes (read);
 * when it was full and has room again it calls qemu_chr_fe_accept_input so
 * the backend resumes reading.  Input is read in the main loop's GLib
 * context (never inside a block drain), with the BQL held.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include <stdint.h>
#include <stdio.h>

#include "qapi/error.h"
#include "qemu/option.h"

#define CHR_MAX_FRONTENDS 4

typedef struct Chardev Chardev;
typedef int IOCanReadHandler(void *opaque);
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);

typedef enum QEMUChrEvent {
    CHR_EVENT_OPENED, /* a peer is there (a socket client connected; at attach otherwise) */
    CHR_EVENT_CLOSED, /* ... and gone */
    CHR_EVENT_MUX_IN, /* mux: this frontend got the focus */
    CHR_EVENT_MUX_OUT,
} QEMUChrEvent;
typedef void IOEventHandler(void *opaque, QEMUChrEvent event);

/* What happens on C-a x (the main program: an orderly shutdown). */
typedef void ChrQuitHandler(void);

/*
 * A chardev from a -serial/-monitor/-qmp style @spec (legacy forms above
 * or option syntax), named @label; "mon:" sets mux (and, for stdio,
 * signal=off as QEMU: C-a x quits, ^C goes to the guest).  @mux_mon, when
 * not NULL, is set when the spec started with "mon:".
 */
Chardev *qemu_chr_new(const char *label, const char *spec, bool *mux_mon, Error **errp);
/* -chardev BACKEND,id=ID,...: a chardev qemu_chr_find can name. */
Chardev *qemu_chardev_new_opts(const char *optstr, FILE *out, bool *help, Error **errp);
/* @spec checked as qemu_chr_new would, opening nothing; "help",
 * "file,help", "file,append=help" print to @out and set *help. */
bool qemu_chr_check_spec(const char *spec, FILE *out, bool *help, Error **errp);
/* The chardev -chardev (or a legacy spec) named @id, or NULL. */
Chardev *qemu_chr_find(const char *id);
/* The chardevs in creation order: qemu_chr_next(NULL) is the first. */
Chardev *qemu_chr_next(Chardev *chr);
/* Restores the terminal (stdio), closes files and sockets. */
void qemu_chr_delete(Chardev *chr);
/* Deletes every chardev still there (at exit). */
void qemu_chr_cleanup_all(void);
/* Lists the backend names (for "-serial help", "-chardev help"). */
void qemu_chr_print_backends(FILE *out);
void qemu_chr_set_quit_handler(ChrQuitHandler *fn);

const char *qemu_chr_label(const Chardev *chr);
/* The backend type ("stdio", "socket"...) and, for info chardev, its
 * address in QEMU's "filename" form ("unix:/tmp/m.sock,server=on"). */
const char *qemu_chr_backend_name(const Chardev *chr);
char *qemu_chr_describe(const Chardev *chr);
bool qemu_chr_is_mux(const Chardev *chr);
/* Does the peer (a terminal) need the frontend to echo what it types? */
bool qemu_chr_is_interactive_tty(const Chardev *chr);

/*
 * Frontend side.  qemu_chr_fe_attach takes one of the chardev's frontend
 * slots ("Device 'ID' is in use" when there is none left); the returned
 * tag identifies the frontend in the calls below.
 */
typedef struct CharFrontend CharFrontend;
CharFrontend *qemu_chr_fe_attach(Chardev *chr, Error **errp);
void qemu_chr_fe_detach(CharFrontend *fe);
Chardev *qemu_chr_fe_get_driver(CharFrontend *fe);
void qemu_chr_fe_set_handlers(CharFrontend *fe, IOCanReadHandler *can_read,
                              IOReadHandler *read, IOEventHandler *event, void *opaque);
/* Writes everything (retrying short writes); returns len or -errno.
 * Without a connected peer (a socket without client) the bytes are dropped. */
int qemu_chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len);
void qemu_chr_fe_accept_input(CharFrontend *fe);
/* Drops the current socket client (the monitor after "quit" or junk). */
void qemu_chr_fe_disconnect(CharFrontend *fe);
/* mux: give the focus to this frontend. */
void qemu_chr_fe_take_focus(CharFrontend *fe);

/* Backend side: delivers input to the frontend (also used by tests). */
void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len);
/* ringbuf: everything written so far (owned by the chardev). */
const char *qemu_chr_ringbuf_contents(Chardev *chr, size_t *len);

#endif
