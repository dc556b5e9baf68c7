/* The one JSON string emitter (qemu/json-string.h). */
#include "qemu/json-string.h"

void json_append_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const char *p = s; *p;) {
        gunichar ch = g_utf8_get_char_validated(p, -1);

        if (ch == (gunichar)-1 || ch == (gunichar)-2) {
            g_string_append(out, "\\uFFFD"); /* not UTF-8 (json-glib lets none through) */
            p++;
            continue;
        }
        p = g_utf8_next_char(p);
        switch (ch) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (ch >= 0x20 && ch < 0x7f) {
                g_string_append_c(out, ch);
            } else if (ch < 0x10000) {
                g_string_append_printf(out, "\\u%04X", ch);
            } else {
                ch -= 0x10000;
                g_string_append_printf(out, "\\u%04X\\u%04X", 0xd800 + (ch >> 10),
                                       0xdc00 + (ch & 0x3ff));
            }
        }
    }
    g_string_append_c(out, '"');
}
