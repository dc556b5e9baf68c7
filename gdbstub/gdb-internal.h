/*
 * Inside the gdb stub: the packet framer (gdb-packet.c, no machine
 * behind it, so the fuzzer drives it alone) and the register layout
 * (gdb-regs.c).
 */
#ifndef GDBSTUB_GDB_INTERNAL_H
#define GDBSTUB_GDB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "exec/cpu.h"

/* What we tell gdb in qSupported; a longer packet is refused. */
#define GDB_PACKET_SIZE 4096

typedef enum GdbFrameEvent {
    GDB_FRAME_NONE,
    GDB_FRAME_PACKET,    /* a packet with a good checksum: payload in buf */
    GDB_FRAME_BAD,       /* bad checksum, too long or malformed: answer '-' */
    GDB_FRAME_INTERRUPT, /* 0x03 outside a packet */
    GDB_FRAME_ACK,       /* '+' */
    GDB_FRAME_NAK,       /* '-': resend the last packet */
} GdbFrameEvent;

typedef struct GdbFramer {
    enum { FR_IDLE, FR_DATA, FR_ESC, FR_CSUM1, FR_CSUM2 } state;
    GString *buf;        /* the payload, '}' escapes undone */
    uint8_t sum;         /* running checksum of the raw bytes */
    uint8_t csum;        /* the checksum sent */
    bool overflow;
} GdbFramer;

void gdb_framer_init(GdbFramer *f);
void gdb_framer_free(GdbFramer *f);
/* Feeds one byte; returns what it completed (GDB_FRAME_NONE: nothing yet). */
GdbFrameEvent gdb_framer_byte(GdbFramer *f, uint8_t c);
/* "$payload#xx" with '#', '$', '}' and '*' escaped. */
void gdb_frame_packet(GString *out, const char *data, size_t len);

/* gdb-parse.c: packet arguments; false on anything malformed. */
/* A hex number of at most 16 digits at *p; *p moves past it. */
bool gdb_parse_hex(const char **p, uint64_t *v);
/* "ADDR,LEN" followed by @sep (or the end when @sep is 0). */
bool gdb_parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char sep);
typedef struct GdbBreakpointReq {
    unsigned type;  /* 0 software, 1 hardware, 2 write, 3 read, 4 access */
    uint64_t addr;
    uint64_t kind;  /* watchpoints: length in bytes */
} GdbBreakpointReq;
/* Z/z's arguments, after the letter. */
bool gdb_parse_breakpoint(const char *p, GdbBreakpointReq *req);
/* c/s's optional resume address, after the letter. */
bool gdb_parse_resume_addr(const char *p, bool *has_addr, uint64_t *addr);
/* vCont's action list (after "vCont"): 'c' or 's' for thread 1, or 0. */
bool gdb_parse_vcont(const char *p, char *action);
/* The same for thread @tid (vCPU @tid - 1). */
bool gdb_parse_vcont_thread(const char *p, unsigned tid, char *action);

/* gdb-regs.c: the description gdb reads as target.xml and the registers
 * in its order.  @x86_64 chooses i386:x86-64 or i386. */
const char *gdb_target_xml(bool x86_64);
int gdb_num_regs(bool x86_64);
/* Appends register @n of @env in target byte order; 0 if @n is unknown. */
int gdb_read_register(CPUX86State *env, bool x86_64, int n, GByteArray *out);
/* Sets register @n from @len bytes; false when @n or @len is wrong. */
bool gdb_write_register(CPUX86State *env, bool x86_64, int n, const uint8_t *buf, int len);

#endif
