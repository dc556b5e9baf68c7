/*
 * Argument parsing of the packets that carry numbers (GDB manual E.2
 * "Packets"): m/M/X's ADDR,LENGTH, Z/z's TYPE,ADDR,KIND, s/c's optional
 * ADDR and vCont's ;ACTION[:THREAD-ID] list.  No machine behind it, so
 * the fuzzer (tests/fuzz/gdb-fuzz.c) drives it alone.  Anything that is
 * not exactly the grammar is refused: the session answers E01.
 */
#include <string.h>

#include "gdb-internal.h"

bool gdb_parse_hex(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    int n = 0;

    while (g_ascii_isxdigit(*s)) {
        if (++n > 16) {
            return false;
        }
        x = x << 4 | g_ascii_xdigit_value(*s++);
    }
    if (!n) {
        return false;
    }
    *p = s;
    *v = x;
    return true;
}

bool gdb_parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char sep)
{
    if (!gdb_parse_hex(p, addr) || **p != ',') {
        return false;
    }
    (*p)++;
    if (!gdb_parse_hex(p, len)) {
        return false;
    }
    if (sep ? **p != sep : **p != '\0') {
        return false;
    }
    if (sep) {
        (*p)++;
    }
    return true;
}

/* "Z1,ADDR,KIND" after the Z or z.  Conditions and commands (";X...")
 * are not accepted: qSupported does not offer ConditionalBreakpoints. */
bool gdb_parse_breakpoint(const char *p, GdbBreakpointReq *req)
{
    uint64_t type;

    if (!gdb_parse_hex(&p, &type) || *p++ != ',' || type > 0xff) {
        return false;
    }
    req->type = type;
    return gdb_parse_addr_len(&p, &req->addr, &req->kind, 0);
}

bool gdb_parse_resume_addr(const char *p, bool *has_addr, uint64_t *addr)
{
    *has_addr = *p != '\0';
    return !*has_addr || (gdb_parse_hex(&p, addr) && *p == '\0');
}

/* THREAD-ID (E.1): hex, -1 (all), 0 (any), or pPID.TID; true when it
 * names thread @our of process 1. */
static bool parse_thread_matches(const char **p, bool *ok, uint64_t our)
{
    const char *s = *p;
    uint64_t pid = 1, tid;
    bool all = false;

    if (*s == 'p') {
        s++;
        if (!strncmp(s, "-1", 2)) {
            s += 2;
            all = true;
        } else if (!gdb_parse_hex(&s, &pid)) {
            *ok = false;
            return false;
        }
        if (*s != '.') {
            *p = s;
            return all || pid == 1 || pid == 0; /* the whole process */
        }
        s++;
    }
    if (!strncmp(s, "-1", 2)) {
        *p = s + 2;
        return all || pid == 1 || pid == 0;
    }
    if (!gdb_parse_hex(&s, &tid)) {
        *ok = false;
        return false;
    }
    *p = s;
    return (all || pid == 1 || pid == 0) && (tid == our || tid == 0);
}

/*
 * vCont;ACTION[:THREAD-ID]...: for each thread the leftmost action whose
 * thread-id matches (or has none) applies (E.2 vCont).  Actions: c, Cxx,
 * s, Sxx (the signal is parsed and dropped: a machine has none to
 * deliver).  Returns false on a malformed list; *action is 0 when no
 * action applies to our thread.
 */
bool gdb_parse_vcont(const char *p, char *action)
{
    return gdb_parse_vcont_thread(p, 1, action);
}

bool gdb_parse_vcont_thread(const char *p, unsigned tid, char *action)
{
    *action = 0;
    if (!*p) {
        return false; /* at least one action */
    }
    while (*p) {
        char a;
        uint64_t sig;
        bool ok = true, match = true;

        if (*p++ != ';') {
            return false;
        }
        a = *p++;
        switch (a) {
        case 'c': case 's':
            break;
        case 'C': case 'S':
            if (!gdb_parse_hex(&p, &sig) || sig > 0xff) {
                return false;
            }
            a = a == 'C' ? 'c' : 's';
            break;
        default:
            return false; /* t and r are not offered by vCont? */
        }
        if (*p == ':') {
            p++;
            match = parse_thread_matches(&p, &ok, tid);
            if (!ok) {
                return false;
            }
        }
        if (*p && *p != ';') {
            return false;
        }
        if (match && !*action) {
            *action = a;
        }
    }
    return true;
}
