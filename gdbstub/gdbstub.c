/*
 * The gdb stub's session: packets in, commands run, replies out (GDB
 * manual E.2 "Packets", E.3 "Stop Reply Packets", E.4 "General Query
 * Packets").  All-stop; thread ids 1..N are vCPUs 0..N-1 (as QEMU numbers
 * them): Hg picks the one g/G/p/P/m/M read, Z/z go to every vCPU and a
 * stop reply names the vCPU that stopped.
 *
 * The VM stops when gdb connects (as QEMU's stub does); c and vCont;c
 * start it, and a stop of any kind while gdb waits for one (Ctrl-C, the
 * monitor's stop, a breakpoint) is answered with a stop reply.  When the
 * guest ends, gdb gets W with the exit status.  Memory is read and
 * written at guest virtual (linear) addresses through the guest's page
 * tables; what is not mapped is E14.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chardev/char.h"
#include "exec/breakpoint.h"
#include "exec/cpu-debug.h"
#include "gdb-internal.h"
#include "gdbstub/gdbstub.h"
#include "qemu/cutils.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

typedef struct GdbState {
    MachineState *ms;
    Chardev *chr;
    CharFrontend *fe;
    GdbFramer framer;
    bool connected;
    bool no_ack;
    bool waiting_stop;  /* gdb resumed the VM and waits for a stop reply */
    bool stopped_by_gdb;
    bool x86_64;        /* the register set of this connection */
    bool swbreak, hwbreak; /* gdb takes swbreak:/hwbreak: in stop replies */
    GString *last;      /* the last packet sent, for a NAK */
    int g_cpu;          /* Hg: the vCPU whose registers/memory gdb reads */
    int c_cpu;          /* Hc and the last stop: the thread '?' names */
    int thread_iter;    /* qsThreadInfo: the next thread to list */
} GdbState;

static GdbState *gdbserver_state;
static GdbMonitorCommandFn *monitor_handler;

void gdbserver_set_monitor_handler(GdbMonitorCommandFn *fn)
{
    monitor_handler = fn;
}

static void gdb_put_raw(GdbState *s, const char *data, size_t len)
{
    qemu_chr_fe_write_all(s->fe, (const uint8_t *)data, len);
}

static void gdb_put_packet_len(GdbState *s, const char *data, size_t len)
{
    g_string_truncate(s->last, 0);
    gdb_frame_packet(s->last, data, len);
    trace_event(gdb_reply, "%.*s", (int)MIN(len, 80), data);
    gdb_put_raw(s, s->last->str, s->last->len);
}

static void gdb_put_packet(GdbState *s, const char *data)
{
    gdb_put_packet_len(s, data, strlen(data));
}

static void gdb_put_hex(GdbState *s, const uint8_t *buf, size_t len)
{
    g_autoptr(GString) out = g_string_sized_new(len * 2);

    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(out, "%02x", buf[i]);
    }
    gdb_put_packet_len(s, out->str, out->len);
}

/* Hex pairs to bytes; false on anything that is not. */
static bool hex_to_bytes(const char *hex, size_t nbytes, GByteArray *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo;

        if (hi < 0 || (lo = g_ascii_xdigit_value(hex[2 * i + 1])) < 0) {
            return false;
        }
        uint8_t b = hi << 4 | lo;
        g_byte_array_append(out, &b, 1);
    }
    return true;
}

/* Thread ids are 1..N for cpus[0..N-1], as QEMU numbers them. */
static CPUState *gdb_nth_cpu(GdbState *s, int i)
{
    return s->ms->cpus ? s->ms->cpus[i] : s->ms->cpu;
}

static CPUState *gdb_cpu(GdbState *s)
{
    return gdb_nth_cpu(s, s->g_cpu);
}

static int gdb_num_cpus(GdbState *s)
{
    return s->ms->cpus ? (int)s->ms->smp.cpus : 1;
}

/* A thread id (hex, or -1 for "all", 0 for "any") to a cpu index:
 * -1/0 keep @cur; -2 for a thread we do not have or a malformed id. */
static int gdb_parse_thread(GdbState *s, const char *p, int cur)
{
    uint64_t id;

    if (!strcmp(p, "-1") || !strcmp(p, "0")) {
        return cur;
    }
    if (!gdb_parse_hex(&p, &id) || *p || id < 1 || id > (uint64_t)gdb_num_cpus(s)) {
        return -2;
    }
    return (int)id - 1;
}

/* The vCPU that took a debug stop (breakpoint, watchpoint, step), if any. */
static int gdb_stopped_cpu(GdbState *s)
{
    for (int i = 0; i < gdb_num_cpus(s); i++) {
        CPUState *cpu = gdb_nth_cpu(s, i);
        if (cpu->debug_stop.reason != DEBUG_STOP_NONE) {
            return i;
        }
    }
    return s->c_cpu;
}

/* T05 says why when the vCPU stopped for us (E.3 "Stop Reply Packets"):
 * watch/rwatch/awatch:ADDR for a watchpoint, swbreak:/hwbreak: for a
 * breakpoint when gdb said it understands them; a step has no reason. */
static void gdb_send_stop_reply(GdbState *s, int signal, bool at_stop)
{
    static const char *const watch[] = {
        [GDB_WATCHPOINT_WRITE] = "watch", [GDB_WATCHPOINT_READ] = "rwatch",
        [GDB_WATCHPOINT_ACCESS] = "awatch",
    };
    const CPUDebugStop *stop;
    char why[48] = "";

    /* At a stop gdb switches to the thread named (E.3): make it ours too.
     * '?' names the Hc thread, as QEMU 7.2 answers. */
    if (at_stop) {
        s->g_cpu = s->c_cpu = gdb_stopped_cpu(s);
    }
    stop = &gdb_nth_cpu(s, s->c_cpu)->debug_stop;
    char buf[96];

    if (signal == 5 && stop->reason == DEBUG_STOP_WATCH &&
        stop->type >= GDB_WATCHPOINT_WRITE && stop->type <= GDB_WATCHPOINT_ACCESS) {
        snprintf(why, sizeof(why), "%s:%" PRIx64 ";", watch[stop->type], stop->addr);
    } else if (signal == 5 && stop->reason == DEBUG_STOP_BREAKPOINT) {
        if (stop->type == GDB_BREAKPOINT_SW && s->swbreak) {
            snprintf(why, sizeof(why), "swbreak:;");
        } else if (stop->type == GDB_BREAKPOINT_HW && s->hwbreak) {
            snprintf(why, sizeof(why), "hwbreak:;");
        }
    }
    snprintf(buf, sizeof(buf), "T%02x%sthread:%02x;", signal, why, s->c_cpu + 1);
    gdb_put_packet(s, buf);
}

/* c, s, vCont: @addr (when given) is the new pc, a linear address. */
static void gdb_resume(GdbState *s, bool step, bool has_addr, uint64_t addr)
{
    CPUState *cpu = gdb_cpu(s);
    Error *err = NULL;

    /* Only the resumed thread steps: a step left on another vCPU ends. */
    for (int i = 0; i < gdb_num_cpus(s); i++) {
        if (i != s->g_cpu) {
            cpu_single_step(gdb_nth_cpu(s, i), false, NULL);
        }
    }
    if (!cpu_single_step(cpu, step, &err)) {
        trace_event(gdb_error, "step: %s", error_get_pretty(err));
        warn_report("gdbstub: single-step: %s", error_get_pretty(err));
        error_free(err);
        gdb_put_packet(s, "E22");
        return;
    }
    if (has_addr) {
        cpu->env.eip = addr - cpu->env.segs[R_CS].base;
        cpu->vcpu_dirty = true;
    }
    for (int i = 0; i < gdb_num_cpus(s); i++) {
        gdb_nth_cpu(s, i)->debug_stop = (CPUDebugStop){ .reason = DEBUG_STOP_NONE };
    }
    s->waiting_stop = true;
    s->stopped_by_gdb = false;
    if (runstate_is_running()) {
        return;
    }
    vm_start(s->ms);
}

/* c and s [ADDR] */
static void cmd_resume(GdbState *s, const char *p, bool step)
{
    bool has_addr;
    uint64_t addr;

    if (!gdb_parse_resume_addr(p, &has_addr, &addr)) {
        gdb_put_packet(s, "E01");
        return;
    }
    gdb_resume(s, step, has_addr, addr);
}

/* Z and z (E.2): 0 software and 1 hardware breakpoints, 2 write, 3 read,
 * 4 access watchpoints.  A type the accelerator cannot do is an error
 * naming why on duet's stderr (gdb only shows "E.."). */
static void cmd_breakpoint(GdbState *s, const char *p, bool insert)
{
    GdbBreakpointReq req;
    Error *err = NULL;
    bool ok;

    if (!gdb_parse_breakpoint(p, &req)) {
        gdb_put_packet(s, "E01");
        return;
    }
    if (req.type > GDB_WATCHPOINT_ACCESS) {
        gdb_put_packet(s, ""); /* not supported (E.2: an empty reply) */
        return;
    }
    /* Every vCPU gets it: a breakpoint hit on any CPU reports that CPU's
     * thread.  An insert that fails on one is undone on those before. */
    ok = true;
    for (int i = 0; i < gdb_num_cpus(s) && ok; i++) {
        CPUState *cpu = gdb_nth_cpu(s, i);
        ok = insert ? cpu_breakpoint_insert(cpu, req.type, req.addr, req.kind, &err)
                    : cpu_breakpoint_remove(cpu, req.type, req.addr, req.kind, &err);
        for (int j = 0; !ok && insert && j < i; j++) {
            cpu_breakpoint_remove(gdb_nth_cpu(s, j), req.type, req.addr, req.kind, NULL);
        }
    }
    if (!ok) {
        trace_event(gdb_error, "%c%u: %s", insert ? 'Z' : 'z', req.type,
                    error_get_pretty(err));
        if (insert) {
            warn_report("gdbstub: Z%u,%" PRIx64 ",%" PRIx64 ": %s", req.type, req.addr,
                        req.kind, error_get_pretty(err));
        }
        error_free(err);
        gdb_put_packet(s, "E22");
        return;
    }
    gdb_put_packet(s, "OK");
}

static void cmd_read_regs(GdbState *s)
{
    g_autoptr(GByteArray) regs = g_byte_array_new();
    int n = gdb_num_regs(s->x86_64);

    for (int i = 0; i < n; i++) {
        gdb_read_register(&gdb_cpu(s)->env, s->x86_64, i, regs);
    }
    gdb_put_hex(s, regs->data, regs->len);
}

static void cmd_write_regs(GdbState *s, const char *hex)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    g_autoptr(GByteArray) one = g_byte_array_new();
    size_t len = strlen(hex);
    size_t off = 0;
    CPUX86State *env = &gdb_cpu(s)->env;

    if (len % 2 || !hex_to_bytes(hex, len / 2, buf)) {
        gdb_put_packet(s, "E01");
        return;
    }
    /* Each register's size from the layout; a short packet sets a prefix. */
    for (int i = 0; i < gdb_num_regs(s->x86_64); i++) {
        g_byte_array_set_size(one, 0);
        int size = gdb_read_register(env, s->x86_64, i, one);
        if (off + size > buf->len) {
            break;
        }
        gdb_write_register(env, s->x86_64, i, buf->data + off, size);
        off += size;
    }
    gdb_cpu(s)->vcpu_dirty = true;
    gdb_put_packet(s, "OK");
}

static void cmd_read_reg(GdbState *s, const char *p)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    uint64_t n;

    if (!gdb_parse_hex(&p, &n) || *p || n > INT32_MAX ||
        !gdb_read_register(&gdb_cpu(s)->env, s->x86_64, n, out)) {
        gdb_put_packet(s, "E00");
        return;
    }
    gdb_put_hex(s, out->data, out->len);
}

static void cmd_write_reg(GdbState *s, const char *p)
{
    g_autoptr(GByteArray) val = g_byte_array_new();
    uint64_t n;
    size_t len;

    if (!gdb_parse_hex(&p, &n) || *p++ != '=' || n > INT32_MAX || (len = strlen(p)) % 2 ||
        !hex_to_bytes(p, len / 2, val) ||
        !gdb_write_register(&gdb_cpu(s)->env, s->x86_64, n, val->data, val->len)) {
        gdb_put_packet(s, "E00");
        return;
    }
    gdb_cpu(s)->vcpu_dirty = true;
    gdb_put_packet(s, "OK");
}

static void cmd_read_mem(GdbState *s, const char *p)
{
    uint64_t addr, len;

    if (!gdb_parse_addr_len(&p, &addr, &len, 0)) {
        gdb_put_packet(s, "E01");
        return;
    }
    if (len > GDB_PACKET_SIZE / 2) {
        len = GDB_PACKET_SIZE / 2; /* gdb asks again for the rest */
    }
    g_autofree uint8_t *buf = g_malloc(len ? len : 1);
    if (cpu_memory_rw_debug(gdb_cpu(s), addr, buf, len, false) < 0) {
        gdb_put_packet(s, "E14");
        return;
    }
    gdb_put_hex(s, buf, len);
}

/* M (hex data) and X (binary data, escapes undone by the framer). */
static void cmd_write_mem(GdbState *s, const char *p, size_t total, bool binary)
{
    const char *start = p;
    uint64_t addr, len;
    g_autoptr(GByteArray) data = g_byte_array_new();

    if (!gdb_parse_addr_len(&p, &addr, &len, ':')) {
        gdb_put_packet(s, "E01");
        return;
    }
    size_t rest = total - (p - start);
    if (binary ? rest != len : (rest != len * 2 || !hex_to_bytes(p, len, data))) {
        gdb_put_packet(s, "E01");
        return;
    }
    if (binary) {
        g_byte_array_append(data, (const uint8_t *)p, len);
    }
    if (len && cpu_memory_rw_debug(gdb_cpu(s), addr, data->data, len, true) < 0) {
        gdb_put_packet(s, "E14");
        return;
    }
    gdb_put_packet(s, "OK");
}

static void cmd_qxfer_features(GdbState *s, const char *p)
{
    const char *xml = gdb_target_xml(s->x86_64);
    size_t xlen = strlen(xml);
    uint64_t off, len;

    if (!g_str_has_prefix(p, "target.xml:")) {
        gdb_put_packet(s, "E00");
        return;
    }
    p += strlen("target.xml:");
    if (!gdb_parse_addr_len(&p, &off, &len, 0)) {
        gdb_put_packet(s, "E01");
        return;
    }
    if (off > xlen) {
        gdb_put_packet(s, "E01");
        return;
    }
    len = MIN(len, GDB_PACKET_SIZE - 8);
    g_autoptr(GString) out = g_string_new(off + len < xlen ? "m" : "l");
    g_string_append_len(out, xml + off, MIN(len, xlen - off));
    gdb_put_packet_len(s, out->str, out->len);
}

static void cmd_rcmd(GdbState *s, const char *hex)
{
    g_autoptr(GByteArray) cmd = g_byte_array_new();
    size_t len = strlen(hex);

    if (len % 2 || !hex_to_bytes(hex, len / 2, cmd) || memchr(cmd->data, 0, cmd->len)) {
        gdb_put_packet(s, "E01");
        return;
    }
    if (!monitor_handler) {
        gdb_put_packet(s, "E01");
        return;
    }
    g_byte_array_append(cmd, (const uint8_t *)"", 1);
    g_autofree char *out = monitor_handler(s->ms, (const char *)cmd->data);
    /* Output as O packets (console output), then OK (E.4 qRcmd). */
    size_t olen = out ? strlen(out) : 0;
    for (size_t off = 0; off < olen; off += 1000) {
        g_autoptr(GString) pkt = g_string_new("O");
        for (size_t i = off; i < MIN(olen, off + 1000); i++) {
            g_string_append_printf(pkt, "%02x", (uint8_t)out[i]);
        }
        gdb_put_packet_len(s, pkt->str, pkt->len);
    }
    gdb_put_packet(s, "OK");
}

static void cmd_query(GdbState *s, const char *p)
{
    if (g_str_has_prefix(p, "qSupported")) {
        char buf[160];
        /* gdb's own features after the colon: what it can take from us */
        g_auto(GStrv) feats = g_strsplit(p[10] == ':' ? p + 11 : "", ";", -1);
        s->swbreak = g_strv_contains((const char *const *)feats, "swbreak+");
        s->hwbreak = g_strv_contains((const char *const *)feats, "hwbreak+");
        snprintf(buf, sizeof(buf),
                 "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+%s%s",
                 GDB_PACKET_SIZE, s->swbreak ? ";swbreak+" : "", s->hwbreak ? ";hwbreak+" : "");
        gdb_put_packet(s, buf);
    } else if (g_str_has_prefix(p, "qXfer:features:read:")) {
        cmd_qxfer_features(s, p + strlen("qXfer:features:read:"));
    } else if (!strcmp(p, "qAttached") || g_str_has_prefix(p, "qAttached:")) {
        gdb_put_packet(s, "1"); /* attached to a running machine: detach, not kill */
    } else if (!strcmp(p, "qC")) {
        gdb_put_packet(s, "QC01"); /* the first thread, whatever H says: QEMU 7.2's answer */
    } else if (!strcmp(p, "qfThreadInfo") || !strcmp(p, "qsThreadInfo")) {
        /* one thread a packet, as QEMU answers */
        char buf[16];
        s->thread_iter = p[1] == 'f' ? 0 : s->thread_iter;
        if (s->thread_iter < gdb_num_cpus(s)) {
            snprintf(buf, sizeof(buf), "m%02x", ++s->thread_iter);
            gdb_put_packet(s, buf);
        } else {
            gdb_put_packet(s, "l");
        }
    } else if (g_str_has_prefix(p, "qThreadExtraInfo,")) {
        int i = gdb_parse_thread(s, p + strlen("qThreadExtraInfo,"), -2);
        char text[48];
        if (i < 0) {
            gdb_put_packet(s, "E22");
            return;
        }
        CPUState *cpu = gdb_nth_cpu(s, i);
        snprintf(text, sizeof(text), "CPU#%d [%s]", i,
                 cpu->env.halted ? "halted " : "running");
        gdb_put_hex(s, (const uint8_t *)text, strlen(text));
    } else if (g_str_has_prefix(p, "qRcmd,")) {
        cmd_rcmd(s, p + strlen("qRcmd,"));
    } else if (!strcmp(p, "QStartNoAckMode")) {
        gdb_put_packet(s, "OK");
        s->no_ack = true;
    } else {
        gdb_put_packet(s, ""); /* not supported */
    }
}

static void gdb_detach_cleanup(GdbState *s)
{
    /* Nobody is left to take a stop: the guest runs free.  gdb may have
     * gone while the guest runs: the list changes with the vCPU paused. */
    bool paused = vm_peek_begin(s->ms);
    for (int i = 0; i < gdb_num_cpus(s); i++) {
        cpu_breakpoint_remove_all(gdb_nth_cpu(s, i));
    }
    vm_peek_end(s->ms, paused);
    s->waiting_stop = false;
    if (s->stopped_by_gdb) {
        s->stopped_by_gdb = false;
        vm_start(s->ms);
    }
}

static void cmd_vcont(GdbState *s, const char *p)
{
    char action;

    if (!strcmp(p, "?")) {
        gdb_put_packet(s, "vCont;c;C;s;S");
        return;
    }
    if (!gdb_parse_vcont(p, &action)) {
        gdb_put_packet(s, "E01");
        return;
    }
    /* All-stop: the machine resumes as a whole; a thread given 's' is the
     * one that steps (the first such), else any 'c' continues. */
    int step_cpu = -1;
    bool any = false;
    for (int i = 0; i < gdb_num_cpus(s); i++) {
        gdb_parse_vcont_thread(p, i + 1, &action);
        any |= action != 0;
        if (action == 's' && step_cpu < 0) {
            step_cpu = i;
        }
    }
    if (!any) {
        gdb_put_packet(s, "E22"); /* nothing for any of our threads to do */
        return;
    }
    if (step_cpu >= 0) {
        s->g_cpu = s->c_cpu = step_cpu;
    }
    gdb_resume(s, step_cpu >= 0, false, 0);
}

static void gdb_handle_packet(GdbState *s, const char *p, size_t len)
{
    trace_event(gdb_packet, "%.*s", (int)MIN(len, 80), p);
    if (memchr(p, 0, len) && p[0] != 'X') {
        gdb_put_packet(s, "E01");
        return;
    }
    switch (p[0]) {
    case '?': {
        /* QEMU 7.2 answers SIGTRAP and the Hc thread whatever stopped the
         * guest (-S, ^C, a breakpoint), without the stop's reason. */
        char buf[32];

        snprintf(buf, sizeof(buf), "T05thread:%02x;", s->c_cpu + 1);
        gdb_put_packet(s, buf);
        break;
    }
    case 'g': cmd_read_regs(s); break;
    case 'G': cmd_write_regs(s, p + 1); break;
    case 'p': cmd_read_reg(s, p + 1); break;
    case 'P': cmd_write_reg(s, p + 1); break;
    case 'm': cmd_read_mem(s, p + 1); break;
    case 'M': cmd_write_mem(s, p + 1, len - 1, false); break;
    case 'X': cmd_write_mem(s, p + 1, len - 1, true); break;
    case 'c': cmd_resume(s, p + 1, false); break;
    case 's': cmd_resume(s, p + 1, true); break;
    case 'Z': cmd_breakpoint(s, p + 1, true); break;
    case 'z': cmd_breakpoint(s, p + 1, false); break;
    case 'H':
        /* Hg picks the vCPU for g/G/p/P/m/M/Z; Hc (resume) is accepted,
         * c/s still resume the whole machine. */
        if (p[1] == 'g' || p[1] == 'c') {
            int i = gdb_parse_thread(s, p + 2, p[1] == 'g' ? s->g_cpu : s->c_cpu);
            if (i < 0) {
                gdb_put_packet(s, "E22");
                break;
            }
            *(p[1] == 'g' ? &s->g_cpu : &s->c_cpu) = i;
            gdb_put_packet(s, "OK");
        } else {
            gdb_put_packet(s, "E01");
        }
        break;
    case 'T':
        gdb_put_packet(s, gdb_parse_thread(s, p + 1, s->g_cpu) < 0 ? "E22" : "OK");
        break;
    case 'k':
        /* duet exits through its normal shutdown path (drives closed). */
        qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
        break;
    case 'D':
        gdb_put_packet(s, "OK");
        s->stopped_by_gdb = true;
        gdb_detach_cleanup(s);
        break;
    case 'q': case 'Q':
        cmd_query(s, p);
        break;
    case 'v':
        if (g_str_has_prefix(p, "vCont")) {
            cmd_vcont(s, p + 5);
        } else {
            gdb_put_packet(s, "");
        }
        break;
    default:
        gdb_put_packet(s, "");
        break;
    }
}

static int gdb_chr_can_read(void *opaque)
{
    return 4096;
}

static void gdb_chr_read(void *opaque, const uint8_t *buf, int size)
{
    GdbState *s = opaque;

    for (int i = 0; i < size; i++) {
        switch (gdb_framer_byte(&s->framer, buf[i])) {
        case GDB_FRAME_PACKET:
            if (!s->no_ack) {
                gdb_put_raw(s, "+", 1);
            }
            if (s->waiting_stop) {
                break; /* only ^C while the guest runs (all-stop mode) */
            }
            gdb_handle_packet(s, s->framer.buf->str, s->framer.buf->len);
            break;
        case GDB_FRAME_BAD:
            gdb_put_raw(s, "-", 1);
            break;
        case GDB_FRAME_NAK:
            if (!s->no_ack && s->last->len) {
                gdb_put_raw(s, s->last->str, s->last->len);
            }
            break;
        case GDB_FRAME_INTERRUPT:
            if (s->waiting_stop && runstate_is_running()) {
                vm_stop(s->ms, RUN_STATE_PAUSED); /* the listener replies T02 */
            }
            break;
        default:
            break;
        }
    }
}

static void gdb_chr_event(void *opaque, QEMUChrEvent event)
{
    GdbState *s = opaque;
    CPUState *cpu = s->ms->cpu;

    switch (event) {
    case CHR_EVENT_OPENED:
        s->connected = true;
        s->no_ack = false;
        s->waiting_stop = false;
        s->g_cpu = s->c_cpu = 0;
        g_string_truncate(s->last, 0);
        if (runstate_is_running()) {
            vm_stop(s->ms, RUN_STATE_PAUSED);
            s->stopped_by_gdb = true;
        } else {
            bool paused = vm_peek_begin(s->ms);
            vm_peek_end(s->ms, paused);
        }
        /* The register set of this connection: the vCPU's mode now. */
        s->x86_64 = cpu && (cpu->env.efer & MSR_EFER_LMA);
        trace_event(gdb_connected, "x86_64=%d", s->x86_64);
        break;
    case CHR_EVENT_CLOSED:
        if (s->connected) {
            s->connected = false;
            gdb_detach_cleanup(s);
        }
        break;
    default:
        break;
    }
}

static void gdb_state_changed(void *opaque, RunState old_state, RunState new_state)
{
    GdbState *s = opaque;

    if (!s->connected || !s->waiting_stop || new_state == RUN_STATE_RUNNING ||
        new_state == RUN_STATE_SHUTDOWN) {
        return;
    }
    s->waiting_stop = false;
    s->stopped_by_gdb = true;
    gdb_send_stop_reply(s, new_state == RUN_STATE_DEBUG ? 5 : 2, true);
}

static void gdb_shutdown(void *opaque, ShutdownCause cause)
{
    GdbState *s = opaque;
    int status = 0;
    char buf[8];

    if (!s->connected) {
        return;
    }
    qemu_system_shutdown_pending(&status);
    snprintf(buf, sizeof(buf), "W%02x", status & 0xff);
    gdb_put_packet(s, buf);
}

static const RunStateListener gdb_runstate_listener = {
    .state_changed = gdb_state_changed,
    .shutdown = gdb_shutdown,
};

char *gdbserver_chardev_spec(const char *spec)
{
    if (g_str_has_prefix(spec, "tcp::")) {
        /* duet listens on the loopback unless told otherwise */
        return g_strdup_printf("tcp:127.0.0.1:%s,server=on,wait=off", spec + 5);
    }
    if (g_str_has_prefix(spec, "tcp:") || g_str_has_prefix(spec, "unix:")) {
        return g_strdup_printf("%s,server=on,wait=off", spec);
    }
    return g_strdup(spec);
}

bool gdbserver_start(MachineState *ms, const char *spec, Error **errp)
{
    g_autofree char *chr_spec = NULL;
    GdbState *s;
    Chardev *chr;

    if (!strcmp(spec, "none")) {
        return true;
    }
    if (gdbserver_state) {
        error_setg(errp, "-gdb: only one gdb stub");
        return false;
    }
    chr_spec = gdbserver_chardev_spec(spec);
    chr = g_str_has_prefix(chr_spec, "chardev:") ? qemu_chr_find(chr_spec + 8)
                                                 : qemu_chr_new("gdb", chr_spec, NULL, errp);
    if (!chr) {
        if (!*errp) {
            error_setg(errp, "chardev \"%s\" not found", chr_spec + 8);
        }
        return false;
    }
    s = g_new0(GdbState, 1);
    s->ms = ms;
    s->chr = chr;
    s->last = g_string_new("");
    gdb_framer_init(&s->framer);
    s->fe = qemu_chr_fe_attach(chr, errp);
    if (!s->fe) {
        gdb_framer_free(&s->framer);
        g_string_free(s->last, true);
        g_free(s);
        return false;
    }
    gdbserver_state = s;
    runstate_add_listener(&gdb_runstate_listener, s);
    qemu_chr_fe_set_handlers(s->fe, gdb_chr_can_read, gdb_chr_read, gdb_chr_event, s);
    return true;
}

void gdbserver_cleanup(void)
{
    GdbState *s = gdbserver_state;

    if (!s) {
        return;
    }
    runstate_remove_listener(&gdb_runstate_listener, s);
    qemu_chr_fe_detach(s->fe);
    gdb_framer_free(&s->framer);
    g_string_free(s->last, true);
    g_free(s);
    gdbserver_state = NULL;
}
