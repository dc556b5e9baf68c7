/* JSON text framing for QMP (json-framer.h). */
#include "json-framer.h"

void json_framer_init(JsonFramer *f, size_t max)
{
    f->buf = g_string_new(NULL);
    f->max = max;
    json_framer_reset(f);
}

void json_framer_reset(JsonFramer *f)
{
    g_string_truncate(f->buf, 0);
    f->depth = 0;
    f->in_string = false;
    f->escape = false;
}

void json_framer_destroy(JsonFramer *f)
{
    g_string_free(f->buf, true);
    f->buf = NULL;
}

static void framer_fail(JsonFramer *f, const char *error, bool at_newline,
                        JsonFramerEmit *emit, void *opaque)
{
    json_framer_reset(f);
    f->discarding = !at_newline;
    emit(opaque, NULL, 0, error);
}

static void framer_emit(JsonFramer *f, JsonFramerEmit *emit, void *opaque)
{
    /* Copied first: the handler may feed more (it does not today). */
    g_autofree char *text = g_strndup(f->buf->str, f->buf->len);
    size_t len = f->buf->len;

    json_framer_reset(f);
    emit(opaque, text, len, NULL);
}

void json_framer_feed(JsonFramer *f, const uint8_t *buf, size_t len, JsonFramerEmit *emit,
                      void *opaque)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];

        if (f->discarding) {
            f->discarding = c != '\n';
            continue;
        }
        if (!f->buf->len && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
            continue; /* between texts */
        }
        g_string_append_c(f->buf, c);
        if (f->buf->len > f->max) {
            g_autofree char *msg = g_strdup_printf(
                "JSON parse error, text longer than %zu bytes", f->max);
            framer_fail(f, msg, c == '\n', emit, opaque);
            continue;
        }
        if (f->in_string) {
            if (f->escape) {
                f->escape = false;
            } else if (c == '\\') {
                f->escape = true;
            } else if (c == '"') {
                f->in_string = false;
            } else if (c == '\n') {
                framer_fail(f, "JSON parse error, unterminated string", true, emit, opaque);
            }
            continue;
        }
        switch (c) {
        case '"':
            f->in_string = true;
            break;
        case '{':
        case '[':
            if (++f->depth > JSON_FRAMER_MAX_DEPTH) {
                framer_fail(f, "JSON parse error, nesting too deep", false, emit, opaque);
            }
            break;
        case '}':
        case ']':
            if (f->depth > 0 && --f->depth == 0) {
                framer_emit(f, emit, opaque);
            }
            break;
        case '\n':
            if (f->depth == 0) {
                framer_emit(f, emit, opaque); /* a scalar or junk: the parser says what */
            }
            break;
        default:
            break;
        }
    }
}
