/*
 * Fuzz target for the gdb stub's packet framer (gdbstub/gdb-packet.c) and
 * argument parsers (gdbstub/gdb-parse.c: Z/z, s/c, vCont): arbitrary
 * bytes from a client.  Checks the framer's own promises: a payload never
 * exceeds GDB_PACKET_SIZE, a packet is only reported with a matching
 * checksum, and re-framing a reported payload and feeding it back yields
 * the same payload.  Every payload (and the raw input as one string) also
 * goes through the parsers: what they accept must print back to a packet
 * that parses to the same values, and vCont yields only c, s or nothing.
 *   - LLVMFuzzerTestOneInput: the libFuzzer entry point;
 *   - with GDB_FUZZ_STANDALONE: gdb-fuzz [--seconds N], random inputs
 *     built from packet fragments (the fuzz-smoke test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "gdb-internal.h"

static void check_roundtrip(const GString *payload)
{
    g_autoptr(GString) framed = g_string_new("");
    GdbFramer f;
    GdbFrameEvent ev = GDB_FRAME_NONE;

    gdb_frame_packet(framed, payload->str, payload->len);
    gdb_framer_init(&f);
    for (size_t i = 0; i < framed->len; i++) {
        ev = gdb_framer_byte(&f, framed->str[i]);
    }
    if (ev != GDB_FRAME_PACKET || f.buf->len != payload->len ||
        memcmp(f.buf->str, payload->str, payload->len)) {
        abort();
    }
    gdb_framer_free(&f);
}

/* The payload as the session sees it: up to the first NUL. */
static void check_parsers(const char *p)
{
    GdbBreakpointReq req, again;
    bool has_addr;
    uint64_t addr;
    char action;

    if (p[0] && gdb_parse_breakpoint(p + 1, &req)) {
        g_autofree char *s = g_strdup_printf("%x,%" PRIx64 ",%" PRIx64, req.type, req.addr,
                                             req.kind);
        if (!gdb_parse_breakpoint(s, &again) || again.type != req.type ||
            again.addr != req.addr || again.kind != req.kind) {
            abort();
        }
    }
    if (p[0] && gdb_parse_resume_addr(p + 1, &has_addr, &addr) && has_addr != (p[1] != 0)) {
        abort();
    }
    if (g_str_has_prefix(p, "vCont") && gdb_parse_vcont(p + 5, &action) &&
        action != 0 && action != 'c' && action != 's') {
        abort();
    }
    if (gdb_parse_vcont(p, &action) && action != 0 && action != 'c' && action != 's') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GdbFramer f;

    gdb_framer_init(&f);
    for (size_t i = 0; i < size; i++) {
        if (gdb_framer_byte(&f, data[i]) == GDB_FRAME_PACKET) {
            if (f.buf->len > GDB_PACKET_SIZE) {
                abort();
            }
            g_autoptr(GString) copy = g_string_new_len(f.buf->str, f.buf->len);
            check_roundtrip(copy);
            check_parsers(copy->str);
        }
    }
    gdb_framer_free(&f);
    g_autofree char *raw = g_strndup(size ? (const char *)data : "", size);
    check_parsers(raw);
    return 0;
}

#ifdef GDB_FUZZ_STANDALONE
static const char *const pieces[] = {
    "$", "#", "}", "*", "+", "-", "\x03", "$?#3f", "$g#67", "$m100000,4#", "qSupported",
    "$qXfer:features:read:target.xml:0,ffb#79", "00", "ff", "zz", "}]", "$vCont;c#a8",
    "Z0,", "z1,", "Z2,", "Z4,", "Z9,", ",", ":", ";", "p1.", "p-1.-1", "-1", "vCont",
    ";c", ";s", ";C05", ";S1f", ";s:1", ";c:p1.1", ";r1,2", "s", "c", "100000", ",1",
    "ffffffffffffffff", "11111111111111111", "$Z0,10000c,1#", "$vCont;s:1;c#",
};

int main(int argc, char **argv)
{
    double seconds = 5;
    GRand *rnd = g_rand_new_with_seed(1);
    g_autoptr(GTimer) t = g_timer_new();
    unsigned long runs = 0;

    if (argc == 3 && !strcmp(argv[1], "--seconds")) {
        seconds = atof(argv[2]);
    }
    while (g_timer_elapsed(t, NULL) < seconds) {
        g_autoptr(GByteArray) in = g_byte_array_new();
        int n = g_rand_int_range(rnd, 0, 64);

        for (int i = 0; i < n; i++) {
            if (g_rand_boolean(rnd)) {
                const char *p = pieces[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pieces))];
                g_byte_array_append(in, (const uint8_t *)p, strlen(p));
            } else {
                int len = g_rand_int_range(rnd, 1, g_rand_boolean(rnd) ? 8 : 6000);
                for (int j = 0; j < len; j++) {
                    uint8_t b = g_rand_int_range(rnd, 0, 256);
                    g_byte_array_append(in, &b, 1);
                }
            }
        }
        LLVMFuzzerTestOneInput(in->data, in->len);
        runs++;
    }
    printf("gdb-fuzz: %lu inputs in %.0f s\n", runs, seconds);
    g_rand_free(rnd);
    return 0;
}
#endif
