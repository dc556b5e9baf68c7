/*
 * Trace events: -trace PATTERN enables the named events that match a glob.
 *
 * An event is declared where it fires:
 *     trace_event(ide_ioport_write, "addr=0x%x val=0x%x", addr, val);
 * Each call site owns a static TraceEvent placed in the "duet_trace" ELF
 * section, so every compiled-in event can be listed (-trace help) without
 * a central table.  When disabled, the cost is one load and a branch.
 * Name events <subsystem>_<what>, QEMU-style (kvm_run_exit, blk_aio_prwv);
 * where QEMU has the same event, its name (qcow2_writev_start_req).
 *
 * A frame is a pair of events around one layer's work on a request:
 *     trace_event_begin(blk_co_pwritev, "offset=%" PRId64, offset);
 *     ...
 *     trace_event_end(blk_co_pwritev, blk_co_pwritev, "ret=%d", ret);
 * The end names its begin (QEMU pairs may differ: qcow2_writev_start_req
 * ends with qcow2_writev_done_req); enabling a begin enables its end.
 * With -trace format=json the pair becomes a Chrome trace-event "B"/"E"
 * slice on the thread's track (docs/tracing.md).
 */
#ifndef TRACE_TRACE_H
#define TRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "qapi/error.h"

typedef struct TraceEvent {
    const char *name;
    const char *pair;  /* an end: the name of its begin; else NULL */
    bool enabled;
    char phase;        /* 'i' an instant, 'B' a frame begins, 'E' it ends */
} __attribute__((aligned(32))) TraceEvent;

void trace_emit(const TraceEvent *ev, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define trace_event_at_(evname, pairname, ph, ...)                            \
    do {                                                                      \
        static TraceEvent trace_ev_                                           \
            __attribute__((section("duet_trace"), used)) =                    \
            { #evname, pairname, false, ph };                                 \
        if (G_UNLIKELY(trace_ev_.enabled)) {                                  \
            trace_emit(&trace_ev_, __VA_ARGS__);                              \
        }                                                                     \
    } while (0)

#define trace_event(evname, ...) trace_event_at_(evname, NULL, 'i', __VA_ARGS__)
#define trace_event_begin(evname, ...) trace_event_at_(evname, NULL, 'B', __VA_ARGS__)
#define trace_event_end(evname, beginname, ...)                               \
    trace_event_at_(evname, #beginname, 'E', __VA_ARGS__)

/*
 * The frames open in one context (a thread outside coroutines, or one
 * coroutine) and the request it works for.  A coroutine's frames are
 * closed on its thread's track when it yields and opened again where it
 * is next entered, so every track's B/E pairs nest.
 */
#define TRACE_FRAMES_MAX 24
typedef struct TraceFrames {
    const char *open[TRACE_FRAMES_MAX];
    int depth;
    int overflow;      /* begins beyond TRACE_FRAMES_MAX, dropped */
    uint64_t req;      /* request id (0: none), args.req in JSON */
} TraceFrames;

/* Around a switch into the coroutine whose frames are @co (util/). */
TraceFrames *trace_frames_enter(TraceFrames *co);
void trace_frames_leave(TraceFrames *co, TraceFrames *prev);

/*
 * Request ids: a device starts one per guest request (trace_req_new),
 * sets it while it works for the request, and each layer that carries the
 * request across threads or callbacks (dma-helpers, BlockBackend AIOCBs,
 * coroutines, the thread pool) keeps it and sets it again.
 *     uint64_t old = trace_req_set(id); ...; trace_req_set(old);
 */
uint64_t trace_req_new(void);
uint64_t trace_req_current(void);
uint64_t trace_req_set(uint64_t req);

/*
 * Handles one -trace argument, QEMU's option syntax (qemu/option.h):
 * [enable=]PATTERN[,events=FILE][,file=FILE][,format=log|json] (events:
 * one pattern per line), or "help".  A leading '-' on a pattern disables
 * matching events.  format=json (the default for a file=*.json) writes
 * the Chrome trace-event format (a JSON array) instead of log lines.
 */
bool trace_opt_parse(const char *arg, Error **errp);
/* Number of events a pattern matches (tests; also warns on typos). */
int trace_enable_events(const char *pattern, bool enable);
void trace_list_events(FILE *out);
/* Each compiled-in event once, sorted by name, with its state. */
typedef void TraceEventFunc(const char *name, bool enabled, void *opaque);
void trace_foreach_event(TraceEventFunc *fn, void *opaque);
/* Names the calling thread in trace lines (also sets the OS thread name). */
void trace_set_thread_name(const char *name);
void trace_close(void);

#endif
