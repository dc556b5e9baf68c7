/*
 * Packet framing of the Remote Serial Protocol (GDB manual E.1
 * "Overview"): $payload#cs, cs the modulo-256 sum of the payload's bytes
 * in two hex digits; '}' escapes the next byte (XOR 0x20).  Outside a
 * packet, '+' and '-' acknowledge and 0x03 interrupts; other bytes are
 * noise and ignored.  A '$' always starts a new packet, so a broken
 * packet cannot swallow the next one.
 */
#include "gdb-internal.h"

void gdb_framer_init(GdbFramer *f)
{
    f->state = FR_IDLE;
    f->buf = g_string_sized_new(256);
    f->overflow = false;
}

void gdb_framer_free(GdbFramer *f)
{
    if (f->buf) {
        g_string_free(f->buf, true);
        f->buf = NULL;
    }
}

static int hexval(uint8_t c)
{
    return g_ascii_xdigit_value(c);
}

static void framer_start(GdbFramer *f)
{
    g_string_truncate(f->buf, 0);
    f->sum = 0;
    f->overflow = false;
    f->state = FR_DATA;
}

GdbFrameEvent gdb_framer_byte(GdbFramer *f, uint8_t c)
{
    switch (f->state) {
    case FR_IDLE:
        switch (c) {
        case '$': framer_start(f); return GDB_FRAME_NONE;
        case 0x03: return GDB_FRAME_INTERRUPT;
        case '+': return GDB_FRAME_ACK;
        case '-': return GDB_FRAME_NAK;
        default: return GDB_FRAME_NONE;
        }
    case FR_DATA:
    case FR_ESC:
        if (c == '$') {
            framer_start(f); /* the previous one was cut off */
            return GDB_FRAME_BAD;
        }
        if (c == '#' && f->state == FR_DATA) {
            f->state = FR_CSUM1;
            return GDB_FRAME_NONE;
        }
        f->sum += c;
        if (f->state == FR_DATA && c == '}') {
            f->state = FR_ESC;
            return GDB_FRAME_NONE;
        }
        if (f->buf->len >= GDB_PACKET_SIZE) {
            f->overflow = true; /* keep counting: answered '-' at '#' */
        } else {
            g_string_append_c(f->buf, f->state == FR_ESC ? c ^ 0x20 : c);
        }
        f->state = FR_DATA;
        return GDB_FRAME_NONE;
    case FR_CSUM1:
        if (hexval(c) < 0) {
            f->state = FR_IDLE;
            if (c == '$') {
                framer_start(f);
            }
            return GDB_FRAME_BAD;
        }
        f->csum = hexval(c) << 4;
        f->state = FR_CSUM2;
        return GDB_FRAME_NONE;
    case FR_CSUM2:
        f->state = FR_IDLE;
        if (hexval(c) < 0) {
            if (c == '$') {
                framer_start(f);
            }
            return GDB_FRAME_BAD;
        }
        f->csum |= hexval(c);
        if (f->overflow || f->csum != f->sum) {
            return GDB_FRAME_BAD;
        }
        return GDB_FRAME_PACKET;
    }
    return GDB_FRAME_NONE;
}

void gdb_frame_packet(GString *out, const char *data, size_t len)
{
    uint8_t sum = 0;

    g_string_append_c(out, '$');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];

        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g_string_append_c(out, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(out, c);
        sum += c;
    }
    g_string_append_printf(out, "#%02x", sum);
}
