/*
 * Inside the chardev layer: the backend classes and the Chardev itself.
 */
#ifndef CHARDEV_CHAR_INTERNAL_H
#define CHARDEV_CHAR_INTERNAL_H

#include <glib.h>

#include "chardev/char.h"

typedef struct ChardevClass {
    const char *name;
    const char *help;
    const QemuOptDesc *opts;   /* the backend's own keys (NULL: none) */
    const char *legacy_key;    /* "name:ARG" is name,KEY=ARG */
    bool (*open)(Chardev *chr, QemuOpts *opts, Error **errp);
    int (*write)(Chardev *chr, const uint8_t *buf, int len); /* bytes or -errno */
    void (*accept_input)(Chardev *chr);
    void (*disconnect)(Chardev *chr);
    void (*close)(Chardev *chr);
} ChardevClass;

struct CharFrontend {
    Chardev *chr;
    bool in_use;
    IOCanReadHandler *can_read;
    IOReadHandler *read;
    IOEventHandler *event;
    void *opaque;
    GByteArray *pending; /* mux: input for this frontend it had no room for */
};

struct Chardev {
    const ChardevClass *cls;
    char *label;
    char *filename;   /* QEMU's "filename" of the backend, for info chardev */
    bool is_mux;
    CharFrontend fe[CHR_MAX_FRONTENDS];
    int focus;        /* mux: the frontend input goes to */
    bool mux_escape;  /* mux: the last byte was C-a */
    bool opened;      /* a peer is there: CHR_EVENT_OPENED sent */

    /* fd backends (char-fd.c) */
    int fd_in;        /* -1: no input */
    int fd_out;       /* -1: output discarded */
    guint read_tag;   /* GLib source reading fd_in; 0: not reading */
    bool input_eof;
    bool is_tty;      /* fd_in is a terminal we made raw */

    void *state;      /* the backend's own (sockets, ring) */
};

/* char.c */
const ChardevClass *qemu_chr_find_class(const char *name, size_t len);
void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event);
/* Room the frontends have for input now (mux: the focused one's queue). */
int qemu_chr_be_can_write(Chardev *chr);

/* char-fd.c: read fd_in in the main loop, write fd_out */
void qemu_chr_fd_set_reading(Chardev *chr, bool on);
int qemu_chr_fd_write(Chardev *chr, const uint8_t *buf, int len);
void qemu_chr_fd_accept_input(Chardev *chr);
int qemu_chr_write_fd_all(int fd, const uint8_t *buf, int len);

/* char-mux.c */
void mux_chr_input(Chardev *chr, const uint8_t *buf, int len);
void mux_chr_flush_pending(Chardev *chr);
void mux_chr_set_focus(Chardev *chr, int focus);
/* C-a x: the quit handler the main program set (an orderly shutdown). */
void mux_chr_quit(void);

extern const ChardevClass char_stdio_class;
extern const ChardevClass char_file_class;
extern const ChardevClass char_pipe_class;
extern const ChardevClass char_socket_class;
extern const ChardevClass char_null_class;
extern const ChardevClass char_ringbuf_class;

#endif
