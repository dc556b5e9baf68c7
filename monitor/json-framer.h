/*
 * Splits a QMP byte stream into JSON texts for the parser (json-glib): a
 * text ends where its outermost object or array closes, or, for anything
 * else, at the end of the line.  It only tracks strings and nesting depth;
 * the syntax is json-glib's business.  A text longer than the limit, or
 * nested deeper than JSON_FRAMER_MAX_DEPTH, is answered with an error and
 * dropped up to the next newline, so the session goes on.
 */
#ifndef MONITOR_JSON_FRAMER_H
#define MONITOR_JSON_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define JSON_FRAMER_MAX_TEXT (1u << 20)
#define JSON_FRAMER_MAX_DEPTH 1024

typedef struct JsonFramer {
    GString *buf;
    size_t max;
    int depth;
    bool in_string;
    bool escape;
    bool discarding;       /* after an error: drop input up to a newline */
} JsonFramer;

/* One complete text (@error NULL), or why input was dropped. */
typedef void JsonFramerEmit(void *opaque, const char *text, size_t len, const char *error);

void json_framer_init(JsonFramer *f, size_t max);
void json_framer_feed(JsonFramer *f, const uint8_t *buf, size_t len, JsonFramerEmit *emit,
                      void *opaque);
void json_framer_reset(JsonFramer *f);
void json_framer_destroy(JsonFramer *f);

#endif
