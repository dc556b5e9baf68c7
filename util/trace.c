/* The trace-event facility behind -trace. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "qemu/file-read.h"
#include "qemu/option.h"
#include "trace/trace.h"

/* An events file is a list of patterns; anything bigger is a mistake. */
#define TRACE_EVENTS_FILE_MAX (1u << 20)

/* The linker defines these bounds for the section every call site uses. */
extern TraceEvent __start_duet_trace[] __attribute__((weak));
extern TraceEvent __stop_duet_trace[] __attribute__((weak));

static FILE *trace_file;
static GMutex trace_lock;
static gint64 trace_start_us;
static __thread char thread_name[16];

void trace_set_thread_name(const char *name)
{
    g_strlcpy(thread_name, name, sizeof(thread_name));
    pthread_setname_np(pthread_self(), thread_name);
}

void trace_emit(const TraceEvent *ev, const char *fmt, ...)
{
    va_list ap;
    gint64 now = g_get_monotonic_time() - trace_start_us;
    FILE *out = trace_file ? trace_file : stderr;

    if (!thread_name[0]) {
        pthread_getname_np(pthread_self(), thread_name, sizeof(thread_name));
    }
    g_mutex_lock(&trace_lock);
    fprintf(out, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT " %s %s ",
            now / G_USEC_PER_SEC, now % G_USEC_PER_SEC, thread_name, ev->name);
    if (fmt) {
        va_start(ap, fmt);
        vfprintf(out, fmt, ap);
        va_end(ap);
    }
    fputc('\n', out);
    g_mutex_unlock(&trace_lock);
}

int trace_enable_events(const char *pattern, bool enable)
{
    int n = 0;

    /* GLib's pattern matcher asserts on invalid UTF-8 (found by fuzzing). */
    if (!g_utf8_validate(pattern, -1, NULL)) {
        return 0;
    }
    if (!trace_start_us) {
        trace_start_us = g_get_monotonic_time();
    }
    for (TraceEvent *ev = __start_duet_trace; ev && ev < __stop_duet_trace; ev++) {
        if (g_pattern_match_simple(pattern, ev->name)) {
            ev->enabled = enable;
            n++;
        }
    }
    return n;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void trace_list_events(FILE *out)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (TraceEvent *ev = __start_duet_trace; ev && ev < __stop_duet_trace; ev++) {
        g_ptr_array_add(names, (gpointer)ev->name);
    }
    g_ptr_array_sort(names, compare_names);
    const char *prev = NULL;
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (!prev || strcmp(prev, name)) {
            fprintf(out, "%s\n", name);
        }
        prev = name;
    }
}

static gint compare_events(gconstpointer a, gconstpointer b)
{
    return strcmp((*(const TraceEvent *const *)a)->name, (*(const TraceEvent *const *)b)->name);
}

void trace_foreach_event(TraceEventFunc *fn, void *opaque)
{
    g_autoptr(GPtrArray) evs = g_ptr_array_new();
    const char *prev = NULL;

    for (TraceEvent *ev = __start_duet_trace; ev && ev < __stop_duet_trace; ev++) {
        g_ptr_array_add(evs, ev);
    }
    g_ptr_array_sort(evs, compare_events);
    for (guint i = 0; i < evs->len; i++) {
        const TraceEvent *ev = g_ptr_array_index(evs, i);
        bool enabled = ev->enabled;

        if (prev && !strcmp(prev, ev->name)) {
            continue;
        }
        /* One name at several call sites: enabled if any of them is. */
        for (guint j = i + 1; j < evs->len; j++) {
            const TraceEvent *o = g_ptr_array_index(evs, j);
            if (strcmp(o->name, ev->name)) {
                break;
            }
            enabled |= o->enabled;
        }
        fn(ev->name, enabled, opaque);
        prev = ev->name;
    }
}

static void enable_pattern(const char *pattern)
{
    bool enable = pattern[0] != '-';
    const char *glob = enable ? pattern : pattern + 1;
    if (trace_enable_events(glob, enable) == 0) {
        warn_report("-trace: pattern '%s' matches no event (try -trace help)", glob);
    }
}

static bool enable_from_file(const char *path, Error **errp)
{
    g_autofree uint8_t *contents = NULL;
    size_t len;

    if (!qemu_read_file_bounded("events file", path, TRACE_EVENTS_FILE_MAX, "1 MiB",
                                &contents, &len, errp)) {
        return false;
    }
    g_auto(GStrv) lines = g_strsplit((char *)contents, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        if (*line && *line != '#') {
            enable_pattern(line);
        }
    }
    return true;
}

/* QEMU's -trace: [enable=]PATTERN, events=FILE, file=FILE. */
static const QemuOptDesc trace_desc[] = {
    { .name = "enable", .type = QEMU_OPT_STRING,
      .help = "Events to enable (glob; -PATTERN disables)" },
    { .name = "events", .type = QEMU_OPT_STRING, .help = "File of patterns, one a line" },
    { .name = "file", .type = QEMU_OPT_STRING, .help = "Where the trace goes (default: stderr)" },
    { NULL },
};

static const QemuOptsList trace_opts_list = {
    .name = "trace", .implied_key = "enable", .desc = trace_desc,
};

bool trace_opt_parse(const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&trace_opts_list, arg, errp);
    const char *file, *events, *pattern;

    if (!opts) {
        return false;
    }
    if (qemu_opts_help_wanted(opts)) {
        trace_list_events(stdout);
        error_setg(errp, "help");
        return false;
    }
    file = qemu_opt_get(opts, "file");
    events = qemu_opt_get(opts, "events");
    pattern = qemu_opt_get(opts, "enable");
    if (file) {
        FILE *f = fopen(file, "w");
        if (!f) {
            error_setg_errno(errp, errno, "could not open '%s'", file);
            return false;
        }
        trace_close();
        trace_file = f;
    }
    if (events && !enable_from_file(events, errp)) {
        return false;
    }
    if (pattern && *pattern) {
        enable_pattern(pattern);
    }
    return true;
}

void trace_close(void)
{
    if (trace_file) {
        fclose(trace_file);
        trace_file = NULL;
    }
}
