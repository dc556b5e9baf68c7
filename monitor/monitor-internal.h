/*
 * Inside the monitor: the Monitor object, the HMP command tables and the
 * QMP pieces.  One file per job:
 *   monitor.c         Monitor objects on chardevs, output, -mon, the line editor
 *   hmp.c             HMP command lines: parsing, arguments, expressions, dispatch, help
 *   hmp-cmds.c        the command table and the commands that act
 *   hmp-memory.c      x and xp (capstone for /i)
 *   hmp-info.c        the info table and the small info commands
 *   hmp-info-block.c  info block, info blockstats
 *   hmp-info-hw.c     info registers, pci, qtree, irq, pic, lapic, roms
 *   qmp.c             QMP sessions: framing, greeting, negotiation, dispatch, errors
 *   qmp-cmds.c        the QMP command table
 *   qmp-events.c      STOP, RESUME, RESET, SHUTDOWN
 *   json-framer.c     splitting a byte stream into JSON texts
 *   json-out.c        JSON output in QEMU's spacing
 */
#ifndef MONITOR_INTERNAL_H
#define MONITOR_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "monitor/monitor.h"
#include "json-framer.h"

#define HMP_LINE_MAX 4096

struct Monitor {
    bool is_qmp;
    CharFrontend *fe;      /* NULL: a capture monitor */
    GString *out;          /* output not yet written (capture: all of it) */

    /* HMP */
    GString *line;
    bool line_overflow;    /* the line passed HMP_LINE_MAX: dropped at its end */
    bool skip_lf;          /* a '\r' ended the last line */
    int esc_state;         /* inside an escape sequence from the terminal */
    bool echo;             /* the peer is a terminal that does not echo */
    bool banner_done;
    bool mux_out;          /* mux: another frontend has the focus */
    int cpu_index;         /* the monitor's current CPU (`cpu N`; default 0) */
    char last_format;      /* x/xp: what the last dump used, as QEMU keeps it */
    int last_size;

    /* QMP */
    bool pretty;
    bool caps_done;        /* qmp_capabilities went through */
    JsonFramer framer;
};

extern MachineState *monitor_machine;
extern const char *monitor_vm_name;

/* The monitor's current CPU (info registers, x, $reg), NULL without a machine. */
CPUState *mon_get_cpu(Monitor *mon);

void monitor_printf(Monitor *mon, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void monitor_puts(Monitor *mon, const char *s);
/* Writes what is buffered to the chardev (HMP: "\n" becomes "\r\n"). */
void monitor_flush(Monitor *mon);
/* Output of a FILE * dumper (mtree_info, x86_cpu_dump_state) into @mon. */
typedef void MonitorFileDumper(FILE *f, void *opaque);
void monitor_print_file(Monitor *mon, MonitorFileDumper *fn, void *opaque);
GPtrArray *monitor_list(void);
/* A monitor on no chardev: its output stays in mon->out (capture, fuzzing). */
Monitor *monitor_alloc_detached(bool is_qmp);

/* ---- HMP ---- */

typedef struct HMPFormat {
    int count;
    char format;           /* x d u o c i */
    int size;              /* 1 2 4 8 */
} HMPFormat;

typedef struct HMPArgs {
    HMPFormat fmt;
    uint64_t addr;         /* an expression's value */
    const char *words[4];  /* string arguments, NULL when absent */
    int nwords;
    bool on;               /* on|off */
    char flags[8];         /* -f -a ...: the letters given */
    const char *rest;      /* the rest of the line ('R') */
} HMPArgs;

typedef struct HMPCommand HMPCommand;
typedef void HMPHandler(Monitor *mon, const HMPArgs *args);

/*
 * args: what follows the name, in order:
 *   '/' an optional /FMT    'e' an expression     's' a word    'S' an optional word
 *   'b' on|off              'F' -X flags          'R' the rest of the line, optional
 */
struct HMPCommand {
    const char *name;      /* "quit|q": the name and its short forms */
    const char *args;
    const char *params;    /* for help: "/fmt addr" */
    const char *help;
    HMPHandler *cmd;
    const HMPCommand *sub; /* info: its own table */
};

extern const HMPCommand hmp_cmds[];
extern const HMPCommand hmp_info_cmds[];

/* Runs one command line on @mon (prints its output or its error). */
void hmp_handle_command(Monitor *mon, const char *cmdline);
const HMPCommand *hmp_find_cmd(const HMPCommand *table, const char *name, size_t len);
void hmp_help(Monitor *mon, const HMPArgs *args);
/* "$pc + 4": the expression evaluator (reads the vCPU's registers). */
bool hmp_eval_expr(Monitor *mon, const char **p, uint64_t *val, Error **errp);

void hmp_memory_dump(Monitor *mon, const HMPArgs *args, bool physical);

void hmp_info_version(Monitor *mon, const HMPArgs *args);
void hmp_info_status(Monitor *mon, const HMPArgs *args);
void hmp_info_name(Monitor *mon, const HMPArgs *args);
void hmp_info_cpus(Monitor *mon, const HMPArgs *args);
void hmp_info_mtree(Monitor *mon, const HMPArgs *args);
void hmp_info_trace_events(Monitor *mon, const HMPArgs *args);
void hmp_info_chardev(Monitor *mon, const HMPArgs *args);
void hmp_info_block(Monitor *mon, const HMPArgs *args);
void hmp_info_blockstats(Monitor *mon, const HMPArgs *args);
void hmp_info_registers(Monitor *mon, const HMPArgs *args);
void hmp_info_pci(Monitor *mon, const HMPArgs *args);
void hmp_info_qtree(Monitor *mon, const HMPArgs *args);
void hmp_info_irq(Monitor *mon, const HMPArgs *args);
void hmp_info_pic(Monitor *mon, const HMPArgs *args);
void hmp_info_lapic(Monitor *mon, const HMPArgs *args);
void hmp_info_roms(Monitor *mon, const HMPArgs *args);

/* ---- QMP ---- */

void qmp_handle_input(Monitor *mon, const uint8_t *buf, int len);
void qmp_send_greeting(Monitor *mon);
/* Writes @node (an object) as one line in QEMU's spacing. */
void qmp_send(Monitor *mon, JsonNode *node);
/* Every QMP monitor that negotiated gets the event. */
void qmp_broadcast_event(const char *name, JsonNode *data);
void qmp_events_init(void);

typedef enum QMPErrorClass {
    QMP_ERROR_GENERIC,
    QMP_ERROR_COMMAND_NOT_FOUND,
    QMP_ERROR_DEVICE_NOT_FOUND,
} QMPErrorClass;

typedef struct QMPError {
    QMPErrorClass cls;
    char *desc;
} QMPError;

/* A command's handler: arguments checked against its table; returns the
 * "return" value, or NULL with *err set. */
typedef JsonNode *QMPHandler(Monitor *mon, JsonObject *args, QMPError *err);

typedef enum QMPArgType { QMP_ARG_STR, QMP_ARG_BOOL, QMP_ARG_INT, QMP_ARG_ANY } QMPArgType;

typedef struct QMPArgDesc {
    const char *name;
    QMPArgType type;
    bool optional;
} QMPArgDesc;

typedef struct QMPCommand {
    const char *name;
    QMPHandler *fn;
    QMPArgDesc args[4];     /* ends with { NULL } */
} QMPCommand;

extern const QMPCommand qmp_commands[];
void qmp_error_set(QMPError *err, QMPErrorClass cls, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* json-out.c */
void json_out_node(GString *out, JsonNode *node, bool pretty, int indent);

#endif
