/*
 * Monitor objects: one per -monitor/-qmp/-mon (or mon:SPEC), each a
 * frontend of its chardev.  Input arrives in the main loop with the BQL
 * held; an HMP line is run as soon as it is complete, a QMP text as soon as
 * it closes.  Output is collected in mon->out and written at the end of
 * each command, HMP's "\n" as "\r\n" as QEMU's monitor writes it.
 *
 * The HMP line editor is small: printable bytes, backspace/delete, and the
 * line ends at CR, LF or CR LF.  It echoes only when the peer is a terminal
 * in raw mode (stdio on a tty), where nothing else would; a socket or pipe
 * client sees the output alone (QEMU echoes to every peer, escape
 * sequences included).  Escape sequences (arrow keys) are dropped.  A line
 * longer than HMP_LINE_MAX is answered with an error at its end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor-internal.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

MachineState *monitor_machine;
const char *monitor_vm_name;
static GPtrArray *monitors; /* of Monitor * */

void monitor_init_globals(MachineState *ms, const char *vm_name)
{
    monitor_machine = ms;
    monitor_vm_name = vm_name;
    qmp_events_init();
}

GPtrArray *monitor_list(void)
{
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    return monitors;
}

void monitor_puts(Monitor *mon, const char *s)
{
    g_string_append(mon->out, s);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(mon->out, fmt, ap);
    va_end(ap);
}

void monitor_print_file(Monitor *mon, MonitorFileDumper *fn, void *opaque)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        monitor_puts(mon, "out of memory\n");
        return;
    }
    fn(f, opaque);
    fclose(f);
    g_string_append_len(mon->out, buf, len);
    free(buf);
}

void monitor_flush(Monitor *mon)
{
    if (!mon->fe || !mon->out->len) {
        return;
    }
    if (mon->is_qmp) {
        qemu_chr_fe_write_all(mon->fe, (const uint8_t *)mon->out->str, mon->out->len);
    } else {
        g_autoptr(GString) crlf = g_string_sized_new(mon->out->len + 16);

        for (gsize i = 0; i < mon->out->len; i++) {
            if (mon->out->str[i] == '\n') {
                g_string_append_c(crlf, '\r');
            }
            g_string_append_c(crlf, mon->out->str[i]);
        }
        qemu_chr_fe_write_all(mon->fe, (const uint8_t *)crlf->str, crlf->len);
    }
    g_string_truncate(mon->out, 0);
}

static Monitor *monitor_alloc(bool is_qmp)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->is_qmp = is_qmp;
    mon->out = g_string_new(NULL);
    mon->line = g_string_new(NULL);
    mon->last_format = 'x';
    mon->last_size = 4;
    json_framer_init(&mon->framer, JSON_FRAMER_MAX_TEXT);
    return mon;
}

void monitor_free(Monitor *mon)
{
    if (!mon) {
        return;
    }
    if (mon->fe) {
        qemu_chr_fe_set_handlers(mon->fe, NULL, NULL, NULL, NULL);
        qemu_chr_fe_detach(mon->fe);
    }
    if (monitors) {
        g_ptr_array_remove(monitors, mon);
    }
    json_framer_destroy(&mon->framer);
    g_string_free(mon->out, true);
    g_string_free(mon->line, true);
    g_free(mon);
}

/* ---- HMP input ---- */

static void hmp_prompt(Monitor *mon)
{
    monitor_puts(mon, "(qemu) ");
}

static void hmp_banner(Monitor *mon)
{
    monitor_printf(mon, "duet %s monitor - type 'help' for more information\n", DUET_VERSION);
}

static void hmp_run_line(Monitor *mon)
{
    if (mon->line_overflow) {
        monitor_printf(mon, "command line too long (more than %d bytes): ignored\n",
                       HMP_LINE_MAX - 1);
    } else {
        g_autofree char *cmdline = g_strndup(mon->line->str, mon->line->len);

        trace_event(monitor_hmp_command, "%s", cmdline);
        hmp_handle_command(mon, cmdline);
    }
    mon->line_overflow = false;
    g_string_truncate(mon->line, 0);
    /* After quit the session ends: no prompt, as QEMU. */
    if (mon->fe && !qemu_system_shutdown_pending(NULL)) {
        hmp_prompt(mon);
    }
}

static void hmp_input_byte(Monitor *mon, uint8_t ch)
{
    if (mon->esc_state == 1) {
        mon->esc_state = (ch == '[' || ch == 'O') ? 2 : 0;
        return;
    }
    if (mon->esc_state == 2) {
        if (ch >= 0x40 && ch <= 0x7e) {
            mon->esc_state = 0; /* the final byte of a CSI sequence */
        }
        return;
    }
    if (ch == '\n' && mon->skip_lf) {
        mon->skip_lf = false;
        return;
    }
    mon->skip_lf = ch == '\r';
    switch (ch) {
    case '\r':
    case '\n':
        if (mon->echo) {
            monitor_puts(mon, "\n");
        }
        hmp_run_line(mon);
        return;
    case 0x7f:
    case 0x08:
        if (mon->line->len && !mon->line_overflow) {
            g_string_truncate(mon->line, mon->line->len - 1);
            if (mon->echo) {
                monitor_puts(mon, "\b \b");
            }
        }
        return;
    case 0x1b:
        mon->esc_state = 1;
        return;
    default:
        break;
    }
    if (ch < 0x20) {
        return; /* other control characters: nothing duet's editor does */
    }
    if (mon->line->len >= HMP_LINE_MAX - 1) {
        mon->line_overflow = true;
        return;
    }
    g_string_append_c(mon->line, ch);
    if (mon->echo) {
        g_string_append_c(mon->out, ch);
    }
}

static int monitor_can_read(void *opaque)
{
    return 4096; /* lines are buffered here; oversized ones are cut */
}

static void monitor_read(void *opaque, const uint8_t *buf, int len)
{
    Monitor *mon = opaque;

    if (mon->is_qmp) {
        qmp_handle_input(mon, buf, len);
    } else {
        for (int i = 0; i < len; i++) {
            hmp_input_byte(mon, buf[i]);
        }
    }
    monitor_flush(mon);
}

static void monitor_event(void *opaque, QEMUChrEvent event)
{
    Monitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        if (mon->is_qmp) {
            mon->caps_done = false;
            json_framer_reset(&mon->framer);
            qmp_send_greeting(mon);
        } else if (!mon->mux_out) {
            hmp_banner(mon);
            mon->banner_done = true;
            hmp_prompt(mon);
        }
        g_string_truncate(mon->line, 0);
        mon->line_overflow = false;
        break;
    case CHR_EVENT_CLOSED:
        mon->caps_done = false;
        json_framer_reset(&mon->framer);
        break;
    case CHR_EVENT_MUX_IN:
        mon->mux_out = false;
        if (!mon->is_qmp) {
            if (!mon->banner_done) {
                hmp_banner(mon);
                mon->banner_done = true;
            }
            hmp_prompt(mon);
        }
        break;
    case CHR_EVENT_MUX_OUT:
        if (!mon->mux_out && mon->banner_done && !mon->is_qmp) {
            monitor_puts(mon, "\n");
        }
        mon->mux_out = true;
        break;
    }
    monitor_flush(mon);
}

static Monitor *monitor_new(Chardev *chr, bool is_qmp, bool pretty, Error **errp)
{
    CharFrontend *fe = qemu_chr_fe_attach(chr, errp);
    Monitor *mon;

    if (!fe) {
        return NULL;
    }
    mon = monitor_alloc(is_qmp);
    mon->fe = fe;
    mon->pretty = pretty;
    mon->echo = !is_qmp && qemu_chr_is_interactive_tty(chr);
    /* A mux starts with the focus elsewhere (the serial port, as QEMU). */
    mon->mux_out = qemu_chr_is_mux(chr);
    g_ptr_array_add(monitor_list(), mon);
    qemu_chr_fe_set_handlers(fe, monitor_can_read, monitor_read, monitor_event, mon);
    return mon;
}

Monitor *monitor_new_hmp(Chardev *chr, Error **errp)
{
    return monitor_new(chr, false, false, errp);
}

Monitor *monitor_new_qmp(Chardev *chr, bool pretty, Error **errp)
{
    return monitor_new(chr, true, pretty, errp);
}

void monitor_cleanup(void)
{
    while (monitors && monitors->len) {
        monitor_free(g_ptr_array_index(monitors, monitors->len - 1));
    }
}

/* ---- capture ---- */

Monitor *monitor_new_capture(void)
{
    return monitor_alloc(false);
}

Monitor *monitor_alloc_detached(bool is_qmp)
{
    return monitor_alloc(is_qmp);
}

char *monitor_capture_run(Monitor *mon, const char *cmdline)
{
    g_string_truncate(mon->out, 0);
    hmp_handle_command(mon, cmdline);
    return g_strndup(mon->out->str, mon->out->len);
}

char *monitor_hmp_command(MachineState *ms, const char *cmdline)
{
    Monitor *mon = monitor_new_capture();
    char *out;

    if (ms) {
        monitor_machine = ms;
    }
    out = monitor_capture_run(mon, cmdline);
    monitor_free(mon);
    return out;
}

/* ---- -mon ---- */

static const char *const mon_modes[] = { "readline", "control", NULL };

static const QemuOptDesc mon_desc[] = {
    { .name = "chardev", .type = QEMU_OPT_STRING, .help = "ID of the -chardev it runs on" },
    { .name = "mode", .type = QEMU_OPT_STRING, .values = mon_modes,
      .help = "readline (HMP) or control (QMP)", .def_value_str = "readline" },
    { .name = "pretty", .type = QEMU_OPT_BOOL, .help = "QMP: indented JSON",
      .def_value_str = "off" },
    { NULL },
};

static const QemuOptsList mon_opts_list = {
    .name = "mon", .implied_key = "chardev", .desc = mon_desc,
};

static QemuOpts *mon_parse(const char *optstr, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&mon_opts_list, optstr, errp);

    *help = false;
    if (!opts) {
        return NULL;
    }
    if (qemu_opts_help_wanted(opts)) {
        qemu_opts_print_help(out, qemu_opts_help_key(opts) ? NULL : "mon options:", mon_desc,
                             qemu_opts_help_key(opts));
        *help = true;
        return NULL;
    }
    if (!qemu_opt_get(opts, "chardev")) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return NULL;
    }
    return g_steal_pointer(&opts);
}

bool monitor_check_opts(const char *optstr, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = mon_parse(optstr, out, help, errp);

    return opts || *help;
}

bool monitor_new_opts(const char *optstr, FILE *out, bool *help, Error **errp)
{
    g_autoptr(QemuOpts) opts = mon_parse(optstr, out, help, errp);
    const char *id, *mode;
    Chardev *chr;

    if (!opts) {
        return *help;
    }
    id = qemu_opt_get(opts, "chardev");
    mode = qemu_opt_get(opts, "mode");
    chr = qemu_chr_find(id);
    if (!chr) {
        error_setg(errp, "chardev \"%s\" not found", id);
        return false;
    }
    if (mode && !strcmp(mode, "control")) {
        return monitor_new_qmp(chr, qemu_opt_get_bool(opts, "pretty", false), errp) != NULL;
    }
    return monitor_new_hmp(chr, errp) != NULL;
}
