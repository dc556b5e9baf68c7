/*
 * The JSON emitter (qemu/json-writer.h).  A stack of open containers says
 * whether a value needs a key and where the next one goes; nothing else
 * is remembered, so a writer is cheap enough for one-line answers too.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>

#include "qemu/json-writer.h"

struct JSONWriter {
    GString *out;
    /* '{' or '[' per open container */
    GString *stack;
    bool pretty;
    /* a value has been written at the current level */
    bool need_comma;
};

JSONWriter *json_writer_new(bool pretty)
{
    JSONWriter *w = g_new0(JSONWriter, 1);

    w->out = g_string_new(NULL);
    w->stack = g_string_new(NULL);
    w->pretty = pretty;
    return w;
}

void json_writer_free(JSONWriter *w)
{
    if (w) {
        g_string_free(w->out, TRUE);
        g_string_free(w->stack, TRUE);
        g_free(w);
    }
}

const char *json_writer_get(JSONWriter *w)
{
    return w->out->str;
}

static void newline(JSONWriter *w)
{
    g_string_append_printf(w->out, "\n%*s", (int)w->stack->len * 4, "");
}

static void append_unicode_escape(GString *out, gunichar c)
{
    if (c > 0xffff) {
        /* RFC 8259 section 7: a UTF-16 surrogate pair */
        c -= 0x10000;
        g_string_append_printf(out, "\\u%04X\\u%04X", 0xd800 | (c >> 10), 0xdc00 | (c & 0x3ff));
    } else {
        g_string_append_printf(out, "\\u%04X", c);
    }
}

void json_quote_string(GString *out, const char *str)
{
    const char *p = str;

    g_string_append_c(out, '"');
    while (*p) {
        unsigned char ch = *p;
        const char *next;
        gunichar c;

        switch (ch) {
        case '"': g_string_append(out, "\\\""); p++; continue;
        case '\\': g_string_append(out, "\\\\"); p++; continue;
        case '\b': g_string_append(out, "\\b"); p++; continue;
        case '\f': g_string_append(out, "\\f"); p++; continue;
        case '\n': g_string_append(out, "\\n"); p++; continue;
        case '\r': g_string_append(out, "\\r"); p++; continue;
        case '\t': g_string_append(out, "\\t"); p++; continue;
        }
        if (ch >= 0x20 && ch < 0x7f) {
            g_string_append_c(out, ch);
            p++;
            continue;
        }
        /* one character: a control byte, DEL, or a UTF-8 sequence */
        c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            append_unicode_escape(out, 0xfffd);
            p++;
            continue;
        }
        next = g_utf8_next_char(p);
        append_unicode_escape(out, c);
        p = next;
    }
    g_string_append_c(out, '"');
}

/* The separator and key before a value. */
static void begin_value(JSONWriter *w, const char *name)
{
    bool in_object = w->stack->len && w->stack->str[w->stack->len - 1] == '{';

    g_assert(!name == !in_object);
    if (w->need_comma) {
        g_string_append_c(w->out, ',');
        if (w->pretty) {
            newline(w);
        } else {
            g_string_append_c(w->out, ' ');
        }
    } else if (w->stack->len && w->pretty) {
        newline(w);
    }
    w->need_comma = true;
    if (name) {
        json_quote_string(w->out, name);
        g_string_append(w->out, ": ");
    }
}

static void start(JSONWriter *w, const char *name, char open)
{
    begin_value(w, name);
    g_string_append_c(w->out, open);
    g_string_append_c(w->stack, open);
    w->need_comma = false;
}

static void end(JSONWriter *w, char open, char close)
{
    g_assert(w->stack->len && w->stack->str[w->stack->len - 1] == open);
    g_string_truncate(w->stack, w->stack->len - 1);
    if (w->pretty) {
        newline(w);
    }
    g_string_append_c(w->out, close);
    w->need_comma = true;
}

void json_writer_start_object(JSONWriter *w, const char *name)
{
    start(w, name, '{');
}

void json_writer_end_object(JSONWriter *w)
{
    end(w, '{', '}');
}

void json_writer_start_list(JSONWriter *w, const char *name)
{
    start(w, name, '[');
}

void json_writer_end_list(JSONWriter *w)
{
    end(w, '[', ']');
}

void json_writer_bool(JSONWriter *w, const char *name, bool val)
{
    begin_value(w, name);
    g_string_append(w->out, val ? "true" : "false");
}

void json_writer_null(JSONWriter *w, const char *name)
{
    begin_value(w, name);
    g_string_append(w->out, "null");
}

void json_writer_int64(JSONWriter *w, const char *name, int64_t val)
{
    begin_value(w, name);
    g_string_append_printf(w->out, "%" PRId64, val);
}

void json_writer_uint64(JSONWriter *w, const char *name, uint64_t val)
{
    begin_value(w, name);
    g_string_append_printf(w->out, "%" PRIu64, val);
}

void json_writer_double(JSONWriter *w, const char *name, double val)
{
    /* %.17g round-trips every double, as QEMU writes them */
    begin_value(w, name);
    g_string_append_printf(w->out, "%.17g", val);
}

void json_writer_str(JSONWriter *w, const char *name, const char *str)
{
    begin_value(w, name);
    json_quote_string(w->out, str);
}
