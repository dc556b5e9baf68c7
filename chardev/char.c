/*
 * Character devices: the registry of named chardevs, spec parsing, and the
 * frontend/backend plumbing shared by every backend.
 *
 * Each backend is a const ChardevClass with a table of its options; a spec
 * is parsed with the option parser ("backend" is the implied key:
 * "file,path=out.txt"), after turning QEMU's legacy forms into option
 * syntax: "file:PATH" (the path taken literally, commas and all, as QEMU
 * does), "pipe:PATH", "unix:PATH,...", "tcp:HOST:PORT,...", "mon:SPEC".
 *
 * The chardevs live in one registry (QEMU's too), so that -serial
 * chardev:ID, -mon chardev=ID and isa-debugcon's chardev=ID can name one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "char-internal.h"
#include "trace/trace.h"

static GPtrArray *chardevs; /* of Chardev *, in creation order */
static ChrQuitHandler *quit_handler;

static const ChardevClass *const chardev_classes[] = {
    &char_stdio_class, &char_file_class, &char_pipe_class, &char_socket_class,
    &char_null_class, &char_ringbuf_class,
};

void qemu_chr_set_quit_handler(ChrQuitHandler *fn)
{
    quit_handler = fn;
}

void mux_chr_quit(void)
{
    if (quit_handler) {
        quit_handler();
    } else {
        exit(0);
    }
}

void qemu_chr_print_backends(FILE *out)
{
    fprintf(out, "Available chardev backend types (BACKEND,help lists its options):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(chardev_classes); i++) {
        fprintf(out, "  %-8s %s\n", chardev_classes[i]->name, chardev_classes[i]->help);
    }
    fprintf(out, "Also for -serial and -monitor: none, mon:SPEC (the monitor on the same\n"
                 "backend, C-a c switches), chardev:ID, file:PATH, pipe:PATH,\n"
                 "unix:PATH[,server=on,wait=off], tcp:HOST:PORT[,server=on,wait=off]\n");
}

const ChardevClass *qemu_chr_find_class(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(chardev_classes); i++) {
        const ChardevClass *cls = chardev_classes[i];

        if (strlen(cls->name) == len && !strncmp(cls->name, name, len)) {
            return cls;
        }
    }
    return NULL;
}

static const QemuOptDesc chr_common_desc[] = {
    { .name = "backend", .type = QEMU_OPT_STRING, .help = "Backend type" },
    { .name = "id", .type = QEMU_OPT_STRING, .help = "Name (-serial chardev:ID, -mon chardev=ID)" },
    { .name = "mux", .type = QEMU_OPT_BOOL, .help = "Several frontends on one backend (C-a c)",
      .def_value_str = "off" },
    { NULL },
};

/* A backend's own keys are checked once it is known. */
static const QemuOptsList chr_opts_list = {
    .name = "chardev", .implied_key = "backend", .pass_unknown = true, .desc = chr_common_desc,
};

/* "tcp:HOST:PORT,rest" -> "socket,host=HOST,port=PORT,rest" */
static char *chr_legacy_tcp(const char *p)
{
    const char *comma = strchr(p, ',');
    g_autofree char *addr = comma ? g_strndup(p, comma - p) : g_strdup(p);
    char *colon = strrchr(addr, ':');

    if (!colon) {
        return NULL;
    }
    *colon = '\0';
    return g_strdup_printf("socket,host=%s,port=%s%s", addr, colon + 1, comma ? comma : "");
}

/*
 * QEMU's legacy forms, or the option syntax.  *mux_mon: the spec was
 * "mon:SPEC" (mux on; stdio without signals).
 */
static QemuOpts *chr_parse_spec(const char *spec, bool *mux_mon, Error **errp)
{
    const char *colon;
    const ChardevClass *cls;
    QemuOpts *opts;
    g_autofree char *rewritten = NULL;

    *mux_mon = false;
    if (g_str_has_prefix(spec, "mon:")) {
        g_autoptr(QemuOpts) inner = NULL;
        bool dummy;

        inner = chr_parse_spec(spec + 4, &dummy, errp);
        if (!inner) {
            return NULL;
        }
        qemu_opt_set(inner, "mux", "on", NULL);
        if (!g_strcmp0(qemu_opt_get(inner, "backend"), "stdio") && !qemu_opt_get(inner, "signal")) {
            qemu_opt_set(inner, "signal", "off", NULL);
        }
        *mux_mon = true;
        return g_steal_pointer(&inner);
    }
    if (g_str_has_prefix(spec, "unix:")) {
        rewritten = g_strdup_printf("socket,path=%s", spec + 5);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        rewritten = chr_legacy_tcp(spec + 4);
        if (!rewritten) {
            error_setg(errp, "'%s': expected tcp:HOST:PORT", spec);
            return NULL;
        }
    }
    if (rewritten) {
        return qemu_opts_parse(&chr_opts_list, rewritten, errp);
    }
    colon = strchr(spec, ':');
    cls = colon ? qemu_chr_find_class(spec, colon - spec) : NULL;
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

/* The parsed, checked options and their class; a help request prints. */
static QemuOpts *chr_check_opts(QemuOpts *opts_in, const ChardevClass **pcls, FILE *out,
                                bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = opts_in;
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
    *pcls = backend ? qemu_chr_find_class(backend, strlen(backend)) : NULL;
    if (!*pcls) {
        error_setg(errp, "'%s' is not a valid char driver name (try -chardev help)",
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
    bool mux_mon;
    g_autoptr(QemuOpts) opts = NULL;

    *help = false;
    if (g_str_has_prefix(spec, "chardev:")) {
        return true; /* looked up once the -chardev options are in */
    }
    opts = chr_check_opts(chr_parse_spec(spec, &mux_mon, errp), &cls, out, help, errp);
    return opts || *help;
}

Chardev *qemu_chr_find(const char *id)
{
    for (guint i = 0; chardevs && i < chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(chardevs, i);

        if (!strcmp(chr->label, id)) {
            return chr;
        }
    }
    return NULL;
}

Chardev *qemu_chr_next(Chardev *chr)
{
    guint i = 0;

    if (!chardevs) {
        return NULL;
    }
    if (chr) {
        while (i < chardevs->len && g_ptr_array_index(chardevs, i) != chr) {
            i++;
        }
        i++;
    }
    return i < chardevs->len ? g_ptr_array_index(chardevs, i) : NULL;
}

static Chardev *chr_open(const char *label, const ChardevClass *cls, QemuOpts *opts,
                         Error **errp)
{
    Chardev *chr;

    if (qemu_chr_find(label)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", label);
        return NULL;
    }
    chr = g_new0(Chardev, 1);
    chr->cls = cls;
    chr->label = g_strdup(label);
    chr->is_mux = qemu_opt_get_bool(opts, "mux", false);
    chr->fd_in = -1;
    chr->fd_out = -1;
    chr->opened = true; /* sockets say otherwise in open */
    if (cls->open && !cls->open(chr, opts, errp)) {
        g_free(chr->filename);
        g_free(chr->label);
        g_free(chr);
        return NULL;
    }
    if (!chr->filename) {
        chr->filename = g_strdup(cls->name);
    }
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    g_ptr_array_add(chardevs, chr);
    trace_event(chr_open, "label=%s backend=%s mux=%d", label, cls->name, chr->is_mux);
    return chr;
}

Chardev *qemu_chr_new(const char *label, const char *spec, bool *mux_mon, Error **errp)
{
    const ChardevClass *cls = NULL;
    bool help, mon = false;
    g_autoptr(QemuOpts) opts = NULL;
    Chardev *chr;

    if (mux_mon) {
        *mux_mon = false;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        chr = qemu_chr_find(spec + 8);
        if (!chr) {
            error_setg(errp, "chardev \"%s\" not found", spec + 8);
        }
        return chr;
    }
    opts = chr_check_opts(chr_parse_spec(spec, &mon, errp), &cls, stdout, &help, errp);
    if (help) {
        error_setg(errp, "help printed");
    }
    if (!opts) {
        return NULL;
    }
    if (mux_mon) {
        *mux_mon = mon;
    }
    return chr_open(label, cls, opts, errp);
}

Chardev *qemu_chardev_new_opts(const char *optstr, FILE *out, bool *help, Error **errp)
{
    const ChardevClass *cls = NULL;
    g_autoptr(QemuOpts) opts = NULL;
    const char *id;

    opts = chr_check_opts(qemu_opts_parse(&chr_opts_list, optstr, errp), &cls, out, help, errp);
    if (!opts) {
        return NULL;
    }
    id = qemu_opt_get(opts, "id");
    if (!id || !*id) {
        error_setg(errp, "chardev: no id specified");
        return NULL;
    }
    return chr_open(id, cls, opts, errp);
}

void qemu_chr_delete(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chardevs) {
        g_ptr_array_remove(chardevs, chr);
    }
    if (chr->cls->close) {
        chr->cls->close(chr);
    }
    for (int i = 0; i < CHR_MAX_FRONTENDS; i++) {
        if (chr->fe[i].pending) {
            g_byte_array_free(chr->fe[i].pending, true);
        }
    }
    g_free(chr->filename);
    g_free(chr->label);
    g_free(chr);
}

void qemu_chr_cleanup_all(void)
{
    while (chardevs && chardevs->len) {
        qemu_chr_delete(g_ptr_array_index(chardevs, chardevs->len - 1));
    }
}

const char *qemu_chr_label(const Chardev *chr)
{
    return chr->label;
}

const char *qemu_chr_backend_name(const Chardev *chr)
{
    return chr->cls->name;
}

char *qemu_chr_describe(const Chardev *chr)
{
    return g_strdup(chr->filename);
}

bool qemu_chr_is_mux(const Chardev *chr)
{
    return chr->is_mux;
}

bool qemu_chr_is_interactive_tty(const Chardev *chr)
{
    return chr->is_tty;
}

/* ---- frontends ---- */

CharFrontend *qemu_chr_fe_attach(Chardev *chr, Error **errp)
{
    int slots = chr->is_mux ? CHR_MAX_FRONTENDS : 1;

    for (int i = 0; i < slots; i++) {
        if (!chr->fe[i].in_use) {
            CharFrontend *fe = &chr->fe[i];

            memset(fe, 0, sizeof(*fe));
            fe->chr = chr;
            fe->in_use = true;
            if (chr->is_mux) {
                fe->pending = g_byte_array_new();
            }
            return fe;
        }
    }
    error_setg(errp, "Device '%s' is in use", chr->label);
    return NULL;
}

void qemu_chr_fe_detach(CharFrontend *fe)
{
    if (!fe) {
        return;
    }
    if (fe->pending) {
        g_byte_array_free(fe->pending, true);
    }
    memset(fe, 0, sizeof(*fe));
}

Chardev *qemu_chr_fe_get_driver(CharFrontend *fe)
{
    return fe->chr;
}

static int chr_fe_index(CharFrontend *fe)
{
    return fe - fe->chr->fe;
}

void qemu_chr_fe_set_handlers(CharFrontend *fe, IOCanReadHandler *can_read,
                              IOReadHandler *read, IOEventHandler *event, void *opaque)
{
    Chardev *chr = fe->chr;

    fe->can_read = can_read;
    fe->read = read;
    fe->event = event;
    fe->opaque = opaque;
    if (!event) {
        return;
    }
    /* The frontend learns the state the backend is in now. */
    if (chr->opened) {
        event(opaque, CHR_EVENT_OPENED);
    }
    if (chr->is_mux) {
        event(opaque, chr->focus == chr_fe_index(fe) ? CHR_EVENT_MUX_IN : CHR_EVENT_MUX_OUT);
    }
}

int qemu_chr_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len)
{
    Chardev *chr = fe->chr;

    if (!chr->opened) {
        return len; /* nobody listening: dropped, as QEMU's socket backend does */
    }
    return chr->cls->write(chr, buf, len);
}

void qemu_chr_fe_accept_input(CharFrontend *fe)
{
    Chardev *chr = fe->chr;

    if (chr->is_mux) {
        mux_chr_flush_pending(chr);
    }
    if (chr->cls->accept_input) {
        chr->cls->accept_input(chr);
    }
}

void qemu_chr_fe_disconnect(CharFrontend *fe)
{
    if (fe->chr->cls->disconnect) {
        fe->chr->cls->disconnect(fe->chr);
    }
}

void qemu_chr_fe_take_focus(CharFrontend *fe)
{
    if (fe->chr->is_mux) {
        mux_chr_set_focus(fe->chr, chr_fe_index(fe));
    }
}

/* ---- backends ---- */

void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event)
{
    if (event == CHR_EVENT_OPENED) {
        chr->opened = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->opened = false;
    }
    for (int i = 0; i < CHR_MAX_FRONTENDS; i++) {
        CharFrontend *fe = &chr->fe[i];

        if (fe->in_use && fe->event) {
            fe->event(fe->opaque, event);
        }
    }
}

int qemu_chr_be_can_write(Chardev *chr)
{
    CharFrontend *fe;

    if (chr->is_mux) {
        fe = &chr->fe[chr->focus];
        /* Escapes must get through even while the frontend is full. */
        return fe->pending && fe->pending->len >= 4096 ? 0 : 256;
    }
    fe = &chr->fe[0];
    return fe->in_use && fe->can_read ? fe->can_read(fe->opaque) : 0;
}

void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len)
{
    CharFrontend *fe = &chr->fe[0];

    if (chr->is_mux) {
        mux_chr_input(chr, buf, len);
        return;
    }
    if (fe->in_use && fe->read) {
        fe->read(fe->opaque, buf, len);
    }
}

const char *qemu_chr_ringbuf_contents(Chardev *chr, size_t *len)
{
    GString *ring = chr->cls == &char_ringbuf_class ? chr->state : NULL;

    if (!ring) {
        *len = 0;
        return "";
    }
    *len = ring->len;
    return ring->str;
}
