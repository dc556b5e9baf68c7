/* The trace-event facility behind -trace. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "qemu/file-read.h"
#include "qemu/json-string.h"
#include "qemu/option.h"
#include "trace/trace.h"

/* An events file is a list of patterns; anything bigger is a mistake. */
#define TRACE_EVENTS_FILE_MAX (1u << 20)

/* The linker defines these bounds for the section every call site uses. */
extern TraceEvent __start_duet_trace[] __attribute__((weak));
extern TraceEvent __stop_duet_trace[] __attribute__((weak));

typedef enum TraceFormat { TRACE_FORMAT_LOG, TRACE_FORMAT_JSON } TraceFormat;

/* A thread's track in the JSON trace: the frames open on it, in order. */
typedef struct TraceThread {
    int tid;
    bool named;        /* thread_name metadata written for the current name */
    const char *open[TRACE_FRAMES_MAX * 4];
    int depth;
} TraceThread;

static FILE *trace_file;
static TraceFormat trace_format;
static bool trace_json_first = true;
static GMutex trace_lock;
static gint64 trace_start_us;
static uint64_t trace_next_req;
static GPtrArray *trace_threads; /* TraceThread *, kept to the end (closing) */
static __thread char thread_name[16];
static __thread TraceFrames trace_root;
static __thread TraceFrames *trace_cur;
static __thread TraceThread *trace_self;

static TraceFrames *frames_current(void)
{
    return trace_cur ? trace_cur : &trace_root;
}

uint64_t trace_req_new(void)
{
    return __atomic_add_fetch(&trace_next_req, 1, __ATOMIC_RELAXED);
}

uint64_t trace_req_current(void)
{
    return frames_current()->req;
}

uint64_t trace_req_set(uint64_t req)
{
    TraceFrames *f = frames_current();
    uint64_t old = f->req;

    f->req = req;
    return old;
}

void trace_set_thread_name(const char *name)
{
    g_strlcpy(thread_name, name, sizeof(thread_name));
    pthread_setname_np(pthread_self(), thread_name);
    if (trace_self) {
        trace_self->named = false;
    }
}

static void json_begin_record(GString *out)
{
    g_string_append(out, trace_json_first ? "[\n" : ",\n");
    trace_json_first = false;
}

/* Caller holds trace_lock. */
static TraceThread *thread_track(GString *out)
{
    TraceThread *t = trace_self;

    if (!t) {
        t = trace_self = g_new0(TraceThread, 1);
        t->tid = gettid();
        if (!trace_threads) {
            trace_threads = g_ptr_array_new();
        }
        g_ptr_array_add(trace_threads, t);
    }
    if (!t->named) {
        json_begin_record(out);
        g_string_append_printf(out, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,"
                               "\"tid\":%d,\"args\":{\"name\":", getpid(), t->tid);
        json_append_string(out, thread_name);
        g_string_append(out, "}}");
        t->named = true;
    }
    return t;
}

/*
 * "k=v k=v word" -> "k":"v",...,"msg":"word"; values stay strings.  An
 * end event's own name (the log's name: qcow2_writev_done_req) goes in
 * "end", since the record's "name" is its begin's.
 */
static void json_args(GString *out, const char *msg, uint64_t req, const char *end)
{
    g_auto(GStrv) words = g_strsplit(msg, " ", -1);
    g_autoptr(GString) rest = g_string_new(NULL);
    bool first = true;

    g_string_append_c(out, '{');
    if (req) {
        g_string_append_printf(out, "\"req\":%" PRIu64, req);
        first = false;
    }
    if (end) {
        g_string_append_printf(out, "%s\"end\":\"%s\"", first ? "" : ",", end);
        first = false;
    }
    for (int i = 0; words[i]; i++) {
        char *eq = strchr(words[i], '=');
        if (!*words[i]) {
            continue;
        }
        if (!eq || eq == words[i]) {
            g_string_append_printf(rest, "%s%s", rest->len ? " " : "", words[i]);
            continue;
        }
        *eq = 0;
        if (!strcmp(words[i], "req")) {
            continue;
        }
        g_string_append(out, first ? "" : ",");
        json_append_string(out, words[i]);
        g_string_append_c(out, ':');
        json_append_string(out, eq + 1);
        first = false;
    }
    if (rest->len) {
        g_string_append(out, first ? "\"msg\":" : ",\"msg\":");
        json_append_string(out, rest->str);
    }
    g_string_append_c(out, '}');
}

static void json_record(GString *out, TraceThread *t, char ph, const char *name, gint64 ns,
                        const char *msg, uint64_t req, const char *end)
{
    json_begin_record(out);
    g_string_append_printf(out, "{\"ph\":\"%c\",\"name\":\"%s\",\"cat\":\"duet\","
                           "\"ts\":%" G_GINT64_FORMAT ".%03d,\"pid\":%d,\"tid\":%d",
                           ph, name, ns / 1000, (int)(ns % 1000), getpid(), t->tid);
    if (ph == 'i') {
        g_string_append(out, ",\"s\":\"t\"");
    }
    if (msg) {
        g_string_append(out, ",\"args\":");
        json_args(out, msg, req, end);
    }
    g_string_append_c(out, '}');
}

static gint64 trace_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec - trace_start_us * 1000;
}

/*
 * The frame bookkeeping, caller holding trace_lock.  An end whose begin
 * is not the innermost open frame of its context (its begin was not
 * enabled, or came before -trace) is dropped, so tracks stay balanced.
 */
static bool frame_push(TraceFrames *f, TraceThread *t, const char *name)
{
    if (f->depth == TRACE_FRAMES_MAX || t->depth == G_N_ELEMENTS(t->open)) {
        f->overflow++;
        return false;
    }
    f->open[f->depth++] = name;
    t->open[t->depth++] = name;
    return true;
}

static bool frame_pop(TraceFrames *f, TraceThread *t, const char *pair)
{
    if (f->overflow) {
        f->overflow--;
        return false;
    }
    if (!f->depth || strcmp(f->open[f->depth - 1], pair) || !t->depth) {
        return false;
    }
    f->depth--;
    t->depth--;
    return true;
}

static void emit_json(const TraceEvent *ev, const char *msg)
{
    g_autoptr(GString) out = g_string_new(NULL);
    TraceThread *t = thread_track(out);
    TraceFrames *f = frames_current();
    gint64 ns = trace_now_ns();

    if (ev->phase == 'B' && !frame_push(f, t, ev->name)) {
        return;
    }
    if (ev->phase == 'E' && !frame_pop(f, t, ev->pair)) {
        return;
    }
    json_record(out, t, ev->phase, ev->phase == 'E' ? ev->pair : ev->name, ns, msg, f->req,
                ev->phase == 'E' ? ev->name : NULL);
    fputs(out->str, trace_file);
}

void trace_emit(const TraceEvent *ev, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!thread_name[0]) {
        pthread_getname_np(pthread_self(), thread_name, sizeof(thread_name));
    }
    if (fmt) {
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    g_mutex_lock(&trace_lock);
    if (trace_format == TRACE_FORMAT_JSON && trace_file) {
        emit_json(ev, msg ? msg : "");
    } else {
        FILE *out = trace_file ? trace_file : stderr;
        gint64 now = trace_now_ns() / 1000;
        uint64_t req = frames_current()->req;

        fprintf(out, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT " %s %s%s%s",
                now / G_USEC_PER_SEC, now % G_USEC_PER_SEC, thread_name, ev->name,
                msg && *msg ? " " : "", msg ? msg : "");
        if (req && ev->phase != 'i') {
            fprintf(out, " req=%" PRIu64, req);
        }
        fputc('\n', out);
    }
    g_mutex_unlock(&trace_lock);
}

/* Closes (suspend) or reopens (resume) a context's frames on this track. */
static void frames_switch(TraceFrames *f, bool resume)
{
    if (trace_format != TRACE_FORMAT_JSON || !f->depth) {
        return;
    }
    g_mutex_lock(&trace_lock);
    if (trace_file) {
        g_autoptr(GString) out = g_string_new(NULL);
        TraceThread *t = thread_track(out);
        gint64 ns = trace_now_ns();

        for (int i = 0; i < f->depth; i++) {
            int k = resume ? i : f->depth - 1 - i;
            if (resume && t->depth < (int)G_N_ELEMENTS(t->open)) {
                t->open[t->depth++] = f->open[k];
            } else if (!resume && t->depth) {
                t->depth--;
            } else {
                continue;
            }
            json_record(out, t, resume ? 'B' : 'E', f->open[k], ns,
                        resume ? "resumed" : "suspended", f->req, NULL);
        }
        fputs(out->str, trace_file);
    }
    g_mutex_unlock(&trace_lock);
}

TraceFrames *trace_frames_enter(TraceFrames *co)
{
    TraceFrames *prev = trace_cur;

    trace_cur = co;
    frames_switch(co, true);
    return prev;
}

void trace_frames_leave(TraceFrames *co, TraceFrames *prev)
{
    frames_switch(co, false);
    trace_cur = prev;
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
    /* A frame's end follows its begin (both must fire for a slice). */
    for (TraceEvent *ev = __start_duet_trace; ev && ev < __stop_duet_trace; ev++) {
        if (ev->pair && strcmp(ev->pair, ev->name) &&
            g_pattern_match_simple(pattern, ev->pair)) {
            ev->enabled = enable;
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
    { .name = "format", .type = QEMU_OPT_STRING,
      .help = "log (lines) or json (Chrome trace events; default for file=*.json)" },
    { NULL },
};

static const QemuOptsList trace_opts_list = {
    .name = "trace", .implied_key = "enable", .desc = trace_desc,
};

bool trace_opt_parse(const char *arg, Error **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(&trace_opts_list, arg, errp);
    const char *file, *events, *pattern, *format;

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
    format = qemu_opt_get(opts, "format");
    if (format && strcmp(format, "log") && strcmp(format, "json")) {
        error_setg(errp, "-trace format=%s: expected log or json", format);
        return false;
    }
    if (format && !strcmp(format, "json") && !file && !trace_file) {
        error_setg(errp, "-trace format=json needs file=FILE");
        return false;
    }
    if (file) {
        FILE *f = fopen(file, "w");
        if (!f) {
            error_setg_errno(errp, errno, "could not open '%s'", file);
            return false;
        }
        trace_close();
        trace_file = f;
        trace_format = g_str_has_suffix(file, ".json") ? TRACE_FORMAT_JSON : TRACE_FORMAT_LOG;
    }
    if (format) {
        trace_format = strcmp(format, "json") ? TRACE_FORMAT_LOG : TRACE_FORMAT_JSON;
    }
    if (events && !enable_from_file(events, errp)) {
        return false;
    }
    if (pattern && *pattern) {
        enable_pattern(pattern);
    }
    return true;
}

/* Ends every frame still open (threads stopped inside one) and the array. */
static void json_finish(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    gint64 ns = trace_now_ns();

    for (guint i = 0; trace_threads && i < trace_threads->len; i++) {
        TraceThread *t = g_ptr_array_index(trace_threads, i);
        while (t->depth > 0) {
            t->depth--;
            json_record(out, t, 'E', t->open[t->depth], ns, "unfinished", 0, NULL);
        }
    }
    g_string_append(out, trace_json_first ? "[]\n" : "\n]\n");
    fputs(out->str, trace_file);
}

void trace_close(void)
{
    g_mutex_lock(&trace_lock);
    if (trace_file) {
        if (trace_format == TRACE_FORMAT_JSON) {
            json_finish();
        }
        fclose(trace_file);
        trace_file = NULL;
    }
    trace_format = TRACE_FORMAT_LOG;
    trace_json_first = true;
    g_mutex_unlock(&trace_lock);
}
