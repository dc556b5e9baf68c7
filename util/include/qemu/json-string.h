/*
 * The one JSON string emitter, used by every machine-format output (QMP
 * replies, the JSON trace): RFC 8259 section 7 escapes; control
 * characters and non-ASCII as \uXXXX (surrogate pairs above U+FFFF), so
 * the output is plain ASCII; bytes that are not UTF-8 become U+FFFD.
 */
#ifndef QEMU_JSON_STRING_H
#define QEMU_JSON_STRING_H

#include <glib.h>

/* Appends @s, quoted and escaped. */
void json_append_string(GString *out, const char *s);

#endif
