/*
 * JSON text, written member by member: the one emitter behind every
 * --output=json of duet's tools.  Pretty mode indents as QEMU's tools
 * print (four spaces a level, "key": value, an empty container's close on
 * its own line); compact mode writes "{"a": 1, "b": [1, 2]}".
 *
 * name is the member's key inside an object and must be NULL inside a list
 * or at the top level.  Strings are escaped as RFC 8259 section 7 allows and
 * as QEMU does: ", \ and the short control escapes by name, every other
 * character outside printable ASCII as \uXXXX (upper-case hex, surrogate
 * pairs above U+FFFF), invalid UTF-8 as \uFFFD.
 */
#ifndef QEMU_JSON_WRITER_H
#define QEMU_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct JSONWriter JSONWriter;

JSONWriter *json_writer_new(bool pretty);
void json_writer_free(JSONWriter *w);
/* The text so far; valid until the next call on w. */
const char *json_writer_get(JSONWriter *w);

void json_writer_start_object(JSONWriter *w, const char *name);
void json_writer_end_object(JSONWriter *w);
void json_writer_start_list(JSONWriter *w, const char *name);
void json_writer_end_list(JSONWriter *w);
void json_writer_bool(JSONWriter *w, const char *name, bool val);
void json_writer_null(JSONWriter *w, const char *name);
void json_writer_int64(JSONWriter *w, const char *name, int64_t val);
void json_writer_uint64(JSONWriter *w, const char *name, uint64_t val);
void json_writer_double(JSONWriter *w, const char *name, double val);
void json_writer_str(JSONWriter *w, const char *name, const char *str);

/* Appends str, quoted and escaped as above, to out (a GString). */
struct _GString;
void json_quote_string(struct _GString *out, const char *str);

#endif
