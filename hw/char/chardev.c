/*
 * Character backends.  Each is a const ChardevClass with a table of its
 * options; qemu_chr_new parses the -serial argument with the option
 * parser ("backend" is the implied key: "file,path=out.txt"), after
 * turning QEMU's legacy "file:PATH" into backend=file,path=PATH (the path
 * taken literally, commas and all, as QEMU does).
 *
 * stdio input is read by the main loop (an fd handler on the main
 * AioContext).  While the frontend is full the handler is removed, so a
 * readable but unconsumed stdin cannot spin the loop; accept_input puts it
 * back from a bottom half, because the frontend calls it from a vCPU thread.
 */
#include "hw/char/chardev.h"

#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "block/aio.h"
#include "qemu/main-loop.h"
#include "trace/trace.h"

typedef struct ChardevClass {
    const char *name;
    const char *help;
    const QemuOptDesc *opts;
    const char *legacy_key; /* "name:ARG" is name,KEY=ARG */
    bool (*open)(Chardev *chr, QemuOpts *opts, Error **errp);
    int (*write)(Chardev *chr, const uint8_t *buf, int len); /* bytes or -errno */
    void (*accept_input)(Chardev *chr);
    void (*close)(Chardev *chr);
} ChardevClass;

struct Chardev {
    const ChardevClass *cls;
    char *label;
    IOCanReadHandler *fe_can_read;
    IOReadHandler *fe_read;
    void *fe_opaque;

    int fd_in;  /* -1: no input */
    int fd_out; /* -1: output discarded */
    bool reading;   /* fd_in's handler is installed */
    bool input_eof;
    QEMUBH *resume_bh;
    GString *ring;
};

/* The terminal state stdio changed, restored at close and at exit. */
static struct termios saved_tty;
static bool saved_tty_valid;

static void chr_restore_tty(void)
{
    if (saved_tty_valid) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        saved_tty_valid = false;
    }
}

static int chr_fd_write(Chardev *chr, const uint8_t *buf, int len)
{
    int done = 0;

    while (done < len) {
        ssize_t n = write(chr->fd_out, buf + done, len - done);

        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        done += n;
    }
    return len;
}

static void chr_fd_read_handler(void *opaque);

static void chr_fd_set_reading(Chardev *chr, bool on)
{
    if (chr->reading == on || chr->fd_in < 0 || chr->input_eof) {
        return;
    }
    chr->reading = on;
    aio_set_fd_handler(qemu_get_aio_context(), chr->fd_in,
                       on ? chr_fd_read_handler : NULL, NULL, chr);
}

static void chr_fd_read_handler(void *opaque)
{
    Chardev *chr = opaque;
    uint8_t buf[256];
    int room = chr->fe_can_read ? chr->fe_can_read(chr->fe_opaque) : 0;
    ssize_t n;

    if (room <= 0) {
        chr_fd_set_reading(chr, false); /* until accept_input */
        return;
    }
    n = read(chr->fd_in, buf, MIN((size_t)room, sizeof(buf)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        chr_fd_set_reading(chr, false);
        chr->input_eof = true; /* end of input: the line just goes quiet */
        return;
    }
    trace_event(chr_read, "label=%s len=%zd", chr->label, n);
    qemu_chr_be_write(chr, buf, n);
}

static void chr_fd_resume_bh(void *opaque)
{
    chr_fd_set_reading(opaque, true);
}

static void chr_fd_accept_input(Chardev *chr)
{
    if (chr->resume_bh && !chr->reading && !chr->input_eof) {
        qemu_bh_schedule(chr->resume_bh);
    }
}

static void chr_stdio_make_raw(void)
{
    struct termios tty;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &tty) < 0) {
        return;
    }
    saved_tty = tty;
    if (!saved_tty_valid) {
        saved_tty_valid = true;
        atexit(chr_restore_tty);
    }
    /* Bytes go to the guest as typed; ^C (ISIG) still stops duet. */
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &tty);
}

static bool chr_stdio_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    chr->fd_in = STDIN_FILENO;
    chr->fd_out = STDOUT_FILENO;
    chr_stdio_make_raw();
    chr->resume_bh = aio_bh_new(qemu_get_aio_context(), chr_fd_resume_bh, chr);
    chr_fd_set_reading(chr, true);
    return true;
}

static void chr_stdio_close(Chardev *chr)
{
    chr_fd_set_reading(chr, false);
    if (chr->resume_bh) {
        qemu_bh_delete(chr->resume_bh);
    }
    chr_restore_tty();
}

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
    return true;
}

static void chr_file_close(Chardev *chr)
{
    close(chr->fd_out);
}

static int chr_null_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

static bool chr_ringbuf_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    chr->ring = g_string_new(NULL);
    return true;
}

static int chr_ringbuf_write(Chardev *chr, const uint8_t *buf, int len)
{
    g_string_append_len(chr->ring, (const char *)buf, len);
    return len;
}

static void chr_ringbuf_close(Chardev *chr)
{
    g_string_free(chr->ring, true);
}

static const ChardevClass chardev_classes[] = {
    {
        .name = "stdio", .help = "the terminal (raw mode while running)",
        .open = chr_stdio_open, .write = chr_fd_write,
        .accept_input = chr_fd_accept_input, .close = chr_stdio_close,
    },
    {
        .name = "file", .help = "file:PATH or file,path=PATH[,append=on]: output only",
        .opts = chr_file_opts, .legacy_key = "path", .open = chr_file_open, .write = chr_fd_write, .close = chr_file_close,
    },
    {
        .name = "null", .help = "discards output, no input",
        .write = chr_null_write,
    },
    {
        .name = "ringbuf", .help = "keeps output in memory (tests)",
        .open = chr_ringbuf_open, .write = chr_ringbuf_write, .close = chr_ringbuf_close,
    },
};

void qemu_chr_print_backends(FILE *out)
{
    fprintf(out, "Available serial backends (BACKEND,help lists its options):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(chardev_classes); i++) {
        fprintf(out, "  %-8s %s\n", chardev_classes[i].name, chardev_classes[i].help);
    }
    fprintf(out, "  %-8s no serial port\n", "none");
}

static const QemuOptDesc chr_common_desc[] = {
    { .name = "backend", .type = QEMU_OPT_STRING, .help = "Backend type" },
    { NULL },
};

/* A backend's own keys are checked once it is known. */
static const QemuOptsList chr_opts_list = {
    .name = "chardev", .implied_key = "backend", .pass_unknown = true, .desc = chr_common_desc,
};

static const ChardevClass *chr_find_class(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(chardev_classes); i++) {
        const ChardevClass *cls = &chardev_classes[i];

        if (strlen(cls->name) == len && !strncmp(cls->name, name, len)) {
            return cls;
        }
    }
    return NULL;
}

/* QEMU's legacy "file:PATH", or the option syntax. */
static QemuOpts *chr_parse_spec(const char *spec, Error **errp)
{
    const char *colon = strchr(spec, ':');
    const ChardevClass *cls = colon ? chr_find_class(spec, colon - spec) : NULL;
    QemuOpts *opts;

    if (cls && cls->legacy_key) {
        opts = qemu_opts_new(&chr_opts_list);
        qemu_opt_set(opts, "backend", cls->name, NULL);
        qemu_opt_set(opts, cls->legacy_key, colon + 1, NULL);
        return opts;
    }
    return qemu_opts_parse(&chr_opts_list, spec, errp);
}

static void chr_print_opts(FILE *out, const ChardevClass *cls, const char *key)
{
    g_autofree char *title = g_strdup_printf("%s options:", cls->name);

    if (!cls->opts) {
        fprintf(out, "There are no options for %s.\n", cls->name);
        return;
    }
    qemu_opts_print_help(out, key ? NULL : title, cls->opts, key);
}

/* The parsed, checked spec and its class; a help request prints. */
static QemuOpts *chr_check_spec(const char *spec, const ChardevClass **pcls, FILE *out,
                                bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = chr_parse_spec(spec, errp);
    const char *backend;

    *help = false;
    if (!opts) {
        return NULL;
    }
    backend = qemu_opt_get(opts, "backend");
    if (!backend && qemu_opts_help_wanted(opts)) {
        qemu_chr_print_backends(out);
        *help = true;
        return NULL;
    }
    *pcls = backend ? chr_find_class(backend, strlen(backend)) : NULL;
    if (!*pcls) {
        error_setg(errp, "'%s' is not a valid char driver (try -serial help)",
                   backend ? backend : "");
        return NULL;
    }
    if (!qemu_opts_validate(opts, (*pcls)->opts, errp)) {
        return NULL;
    }
    if (qemu_opts_help_wanted(opts)) {
        chr_print_opts(out, *pcls, qemu_opts_help_key(opts));
        *help = true;
        return NULL;
    }
    return g_steal_pointer(&opts);
}

bool qemu_chr_check_spec(const char *spec, FILE *out, bool *help, Error **errp)
{
    const ChardevClass *cls;
    g_autoptr(QemuOpts) opts = chr_check_spec(spec, &cls, out, help, errp);

    return opts || *help;
}

Chardev *qemu_chr_new(const char *label, const char *spec, Error **errp)
{
    const ChardevClass *cls = NULL;
    bool help;
    g_autoptr(QemuOpts) opts = chr_check_spec(spec, &cls, stdout, &help, errp);
    Chardev *chr;

    if (help) {
        error_setg(errp, "help printed");
    }
    if (!opts) {
        error_prepend(errp, "-serial %s: ", spec);
        return NULL;
    }
    chr = g_new0(Chardev, 1);
    chr->cls = cls;
    chr->label = g_strdup(label);
    chr->fd_in = -1;
    chr->fd_out = -1;
    if (cls->open && !cls->open(chr, opts, errp)) {
        error_prepend(errp, "-serial %s: ", spec);
        g_free(chr->label);
        g_free(chr);
        return NULL;
    }
    return chr;
}

void qemu_chr_delete(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chr->cls->close) {
        chr->cls->close(chr);
    }
    g_free(chr->label);
    g_free(chr);
}

void qemu_chr_fe_set_handlers(Chardev *chr, IOCanReadHandler *can_read,
                              IOReadHandler *read, void *opaque)
{
    chr->fe_can_read = can_read;
    chr->fe_read = read;
    chr->fe_opaque = opaque;
}

int qemu_chr_fe_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    return chr->cls->write(chr, buf, len);
}

void qemu_chr_fe_accept_input(Chardev *chr)
{
    if (chr->cls->accept_input) {
        chr->cls->accept_input(chr);
    }
}

void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len)
{
    if (chr->fe_read) {
        chr->fe_read(chr->fe_opaque, buf, len);
    }
}

const char *qemu_chr_ringbuf_contents(Chardev *chr, size_t *len)
{
    if (!chr->ring) {
        *len = 0;
        return "";
    }
    *len = chr->ring->len;
    return chr->ring->str;
}
