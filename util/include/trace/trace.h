/*
 * Trace events: -trace PATTERN enables the named events that match a glob.
 *
 * An event is declared where it fires:
 *     trace_event(ide_ioport_write, "addr=0x%x val=0x%x", addr, val);
 * Each call site owns a static TraceEvent placed in the "duet_trace" ELF
 * section, so every compiled-in event can be listed (-trace help) without
 * a central table.  When disabled, the cost is one load and a branch.
 * Name events <subsystem>_<what>, QEMU-style (kvm_run_exit, blk_aio_prwv).
 */
#ifndef TRACE_TRACE_H
#define TRACE_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#include "qapi/error.h"

typedef struct TraceEvent {
    const char *name;
    bool enabled;
} __attribute__((aligned(16))) TraceEvent;

void trace_emit(const TraceEvent *ev, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define trace_event(evname, ...)                                              \
    do {                                                                      \
        static TraceEvent trace_ev_                                           \
            __attribute__((section("duet_trace"), used)) = { #evname, false }; \
        if (G_UNLIKELY(trace_ev_.enabled)) {                                  \
            trace_emit(&trace_ev_, __VA_ARGS__);                              \
        }                                                                     \
    } while (0)

/*
 * Handles one -trace argument, QEMU's option syntax (qemu/option.h):
 * [enable=]PATTERN[,events=FILE][,file=FILE] (events: one pattern per
 * line), or "help".  A leading '-' on a pattern disables matching events.
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
