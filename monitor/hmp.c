/*
 * HMP command lines: "x/10i $pc", "info mtree -f", "trace-event ide_* on".
 * The name runs up to a blank or '/'; each command's args string says what
 * follows (monitor-internal.h).  Errors are QEMU's words, followed by
 * 'Try "help CMD" for more information'.  A line is at most HMP_LINE_MAX
 * bytes and nothing in it is trusted: every parse error is a message.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "exec/cpu-debug.h"
#include "monitor-internal.h"
#include "sysemu/cpus.h"

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

const HMPCommand *hmp_find_cmd(const HMPCommand *table, const char *name, size_t len)
{
    for (const HMPCommand *c = table; c->name; c++) {
        const char *alt = c->name;

        /* "quit|q": each '|'-separated name */
        while (*alt) {
            const char *bar = strchr(alt, '|');
            size_t n = bar ? (size_t)(bar - alt) : strlen(alt);

            if (n == len && !strncmp(alt, name, len)) {
                return c;
            }
            alt += n + (bar ? 1 : 0);
        }
    }
    return NULL;
}

CPUState *mon_get_cpu(Monitor *mon)
{
    MachineState *ms = monitor_machine;

    if (!ms || !ms->cpus) {
        return NULL;
    }
    if (mon->cpu_index < 0 || (unsigned)mon->cpu_index >= ms->smp.cpus) {
        mon->cpu_index = 0;
    }
    return ms->cpus[mon->cpu_index];
}

/* ---- expressions ---- */

typedef struct ExprState {
    Monitor *mon;
    const char *p;
    Error **errp;
    int depth;
} ExprState;

static bool expr_sum(ExprState *s, uint64_t *v);

typedef struct RegDesc {
    const char *name;
    int kind;  /* 0: general register index, 1: special */
    int index;
    int bits;  /* 32: low half of the register */
} RegDesc;

enum { HREG_PC = 100, HREG_EIP, HREG_EFLAGS, HREG_CR0, HREG_CR2, HREG_CR3, HREG_CR4 };

static const RegDesc x86_regs[] = {
    { "rax", 0, R_EAX, 64 }, { "rcx", 0, R_ECX, 64 }, { "rdx", 0, R_EDX, 64 },
    { "rbx", 0, R_EBX, 64 }, { "rsp", 0, R_ESP, 64 }, { "rbp", 0, R_EBP, 64 },
    { "rsi", 0, R_ESI, 64 }, { "rdi", 0, R_EDI, 64 },
    { "r8", 0, 8, 64 }, { "r9", 0, 9, 64 }, { "r10", 0, 10, 64 }, { "r11", 0, 11, 64 },
    { "r12", 0, 12, 64 }, { "r13", 0, 13, 64 }, { "r14", 0, 14, 64 }, { "r15", 0, 15, 64 },
    { "eax", 0, R_EAX, 32 }, { "ecx", 0, R_ECX, 32 }, { "edx", 0, R_EDX, 32 },
    { "ebx", 0, R_EBX, 32 }, { "esp", 0, R_ESP, 32 }, { "ebp", 0, R_EBP, 32 },
    { "esi", 0, R_ESI, 32 }, { "edi", 0, R_EDI, 32 },
    { "sp", 0, R_ESP, 64 },
    { "pc", 1, HREG_PC, 64 }, { "eip", 1, HREG_EIP, 32 }, { "rip", 1, HREG_EIP, 64 },
    { "eflags", 1, HREG_EFLAGS, 64 },
    { "cr0", 1, HREG_CR0, 64 }, { "cr2", 1, HREG_CR2, 64 }, { "cr3", 1, HREG_CR3, 64 },
    { "cr4", 1, HREG_CR4, 64 },
    { "es", 2, R_ES, 16 }, { "cs", 2, R_CS, 16 }, { "ss", 2, R_SS, 16 },
    { "ds", 2, R_DS, 16 }, { "fs", 2, R_FS, 16 }, { "gs", 2, R_GS, 16 },
    { NULL },
};

static bool expr_register(ExprState *s, const char *name, uint64_t *v)
{
    MachineState *ms = monitor_machine;
    CPUState *cpu = mon_get_cpu(s->mon);

    for (const RegDesc *r = x86_regs; r->name; r++) {
        if (strcmp(r->name, name)) {
            continue;
        }
        if (!cpu) {
            error_setg(s->errp, "no cpu defined");
            return false;
        }
        bool paused = vm_peek_begin(ms);
        const CPUX86State *env = &cpu->env;
        if (r->kind == 0) {
            *v = env->regs[r->index];
        } else if (r->kind == 2) {
            *v = env->segs[r->index].selector;
        } else {
            switch (r->index) {
            case HREG_PC: *v = x86_cpu_pc_linear(cpu); break;
            case HREG_EIP: *v = env->eip; break;
            case HREG_EFLAGS: *v = env->eflags; break;
            case HREG_CR0: *v = env->cr[0]; break;
            case HREG_CR2: *v = env->cr[2]; break;
            case HREG_CR3: *v = env->cr[3]; break;
            default: *v = env->cr[4]; break;
            }
        }
        vm_peek_end(ms, paused);
        if (r->bits == 32) {
            *v &= 0xffffffffull;
        }
        return true;
    }
    error_setg(s->errp, "unknown register");
    return false;
}

static bool expr_unary(ExprState *s, uint64_t *v)
{
    const char *p = s->p = skip_blanks(s->p);

    if (++s->depth > 64) {
        error_setg(s->errp, "expression too deeply nested");
        return false;
    }
    switch (*p) {
    case '+':
        s->p++;
        return expr_unary(s, v);
    case '-':
        s->p++;
        if (!expr_unary(s, v)) {
            return false;
        }
        *v = -*v;
        return true;
    case '~':
        s->p++;
        if (!expr_unary(s, v)) {
            return false;
        }
        *v = ~*v;
        return true;
    case '(':
        s->p++;
        if (!expr_sum(s, v)) {
            return false;
        }
        s->p = skip_blanks(s->p);
        if (*s->p != ')') {
            error_setg(s->errp, "')' expected");
            return false;
        }
        s->p++;
        return true;
    case '$': {
        char name[16];
        size_t n = 0;

        p++;
        while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(name) - 1) {
            name[n++] = *p++;
        }
        name[n] = '\0';
        s->p = p;
        return expr_register(s, name, v);
    }
    case '\0':
        error_setg(s->errp, "unexpected end of expression");
        return false;
    default: {
        char *end;

        if (!isdigit((unsigned char)*p)) {
            error_setg(s->errp, "invalid char '%c' in expression", *p);
            return false;
        }
        errno = 0;
        *v = strtoull(p, &end, 0);
        if (errno == ERANGE) {
            error_setg(s->errp, "number too large");
            return false;
        }
        s->p = end;
        return true;
    }
    }
}

static bool expr_prod(ExprState *s, uint64_t *v)
{
    if (!expr_unary(s, v)) {
        return false;
    }
    for (;;) {
        char op = *(s->p = skip_blanks(s->p));
        uint64_t r;

        if (op != '*' && op != '/' && op != '%') {
            return true;
        }
        s->p++;
        if (!expr_unary(s, &r)) {
            return false;
        }
        if (op == '*') {
            *v *= r;
        } else if (r == 0) {
            error_setg(s->errp, "division by zero");
            return false;
        } else {
            *v = op == '/' ? *v / r : *v % r;
        }
    }
}

static bool expr_add(ExprState *s, uint64_t *v)
{
    if (!expr_prod(s, v)) {
        return false;
    }
    for (;;) {
        char op = *(s->p = skip_blanks(s->p));
        uint64_t r;

        if (op != '+' && op != '-') {
            return true;
        }
        s->p++;
        if (!expr_prod(s, &r)) {
            return false;
        }
        *v = op == '+' ? *v + r : *v - r;
    }
}

/* Lowest precedence: & | ^, as in C but without their own levels. */
static bool expr_sum(ExprState *s, uint64_t *v)
{
    if (!expr_add(s, v)) {
        return false;
    }
    for (;;) {
        char op = *(s->p = skip_blanks(s->p));
        uint64_t r;

        if (op != '&' && op != '|' && op != '^') {
            return true;
        }
        s->p++;
        if (!expr_add(s, &r)) {
            return false;
        }
        *v = op == '&' ? (*v & r) : op == '|' ? (*v | r) : (*v ^ r);
    }
}

bool hmp_eval_expr(Monitor *mon, const char **p, uint64_t *val, Error **errp)
{
    ExprState s = { .mon = mon, .p = *p, .errp = errp };

    if (!expr_sum(&s, val)) {
        return false;
    }
    *p = s.p;
    return true;
}

/* ---- arguments ---- */

static bool parse_format(Monitor *mon, const char **pp, HMPFormat *fmt, Error **errp)
{
    const char *p = *pp;
    char format = 0;
    int size = 0;

    fmt->count = 1;
    if (isdigit((unsigned char)*p)) {
        char *end;
        unsigned long n = strtoul(p, &end, 10);

        if (n > 1u << 20) {
            error_setg(errp, "count too large (at most %u)", 1u << 20);
            return false;
        }
        fmt->count = n;
        p = end;
    }
    for (; *p && *p != ' ' && *p != '\t'; p++) {
        switch (*p) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i':
            format = *p;
            break;
        case 'b': size = 1; break;
        case 'h': size = 2; break;
        case 'w': size = 4; break;
        case 'g': size = 8; break;
        default:
            error_setg(errp, "invalid char in format: '%c'", *p);
            return false;
        }
    }
    if (!format) {
        format = mon->last_format;
    }
    if (!size) {
        size = mon->last_size; /* as QEMU: the last size, also for c */
    }
    fmt->format = format;
    fmt->size = size;
    *pp = p;
    return true;
}

static const char *parse_word(const char **pp, char **owned)
{
    const char *p = skip_blanks(*pp);
    const char *start = p;

    if (!*p) {
        return NULL;
    }
    if (*p == '"') {
        GString *w = g_string_new(NULL);

        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
            }
            g_string_append_c(w, *p);
        }
        if (*p == '"') {
            p++;
        }
        *pp = p;
        *owned = g_string_free(w, false);
        return *owned;
    }
    while (*p && *p != ' ' && *p != '\t') {
        p++;
    }
    *pp = p;
    *owned = g_strndup(start, p - start);
    return *owned;
}

typedef struct ParsedArgs {
    HMPArgs args;
    char *owned[4];
} ParsedArgs;

static void parsed_args_free(ParsedArgs *pa)
{
    for (int i = 0; i < 4; i++) {
        g_free(pa->owned[i]);
    }
}

static bool hmp_parse_args(Monitor *mon, const HMPCommand *cmd, const char *p, ParsedArgs *pa,
                           Error **errp)
{
    HMPArgs *a = &pa->args;
    int nflags = 0;

    for (const char *spec = cmd->args ? cmd->args : ""; *spec; spec++) {
        switch (*spec) {
        case '/':
            if (*p == '/') {
                p++;
                if (!parse_format(mon, &p, &a->fmt, errp)) {
                    return false;
                }
            } else {
                a->fmt.count = 1;
                a->fmt.format = mon->last_format;
                a->fmt.size = mon->last_size;
            }
            break;
        case 'e':
            p = skip_blanks(p);
            if (!hmp_eval_expr(mon, &p, &a->addr, errp)) {
                return false;
            }
            break;
        case 's':
        case 'S':
            if (a->nwords >= 4) {
                break;
            }
            a->words[a->nwords] = parse_word(&p, &pa->owned[a->nwords]);
            if (!a->words[a->nwords]) {
                if (*spec == 's') {
                    error_setg(errp, "%s: missing parameter", cmd->name);
                    return false;
                }
                break;
            }
            a->nwords++;
            break;
        case 'b': {
            char *w = NULL;
            const char *word = parse_word(&p, &w);

            if (!word || (strcmp(word, "on") && strcmp(word, "off"))) {
                g_free(w);
                error_setg(errp, "Expected 'on' or 'off'");
                return false;
            }
            a->on = !strcmp(word, "on");
            g_free(w);
            break;
        }
        case 'F':
            for (p = skip_blanks(p); *p == '-' && isalpha((unsigned char)p[1]);
                 p = skip_blanks(p)) {
                for (p++; isalpha((unsigned char)*p); p++) {
                    if (nflags < (int)sizeof(a->flags) - 1 && !strchr(a->flags, *p)) {
                        a->flags[nflags++] = *p;
                    }
                }
            }
            break;
        case 'R':
            p = skip_blanks(p);
            a->rest = *p ? p : NULL;
            p += strlen(p);
            break;
        }
    }
    if (*skip_blanks(p)) {
        error_setg(errp, "%s: extraneous characters at the end of line", cmd->name);
        return false;
    }
    return true;
}

/* The short name for "Try "help x"": QEMU's first name. */
static void hmp_try_help(Monitor *mon, const char *prefix, const HMPCommand *cmd)
{
    const char *bar = strchr(cmd->name, '|');
    int n = bar ? (int)(bar - cmd->name) : (int)strlen(cmd->name);

    monitor_printf(mon, "Try \"help %s%.*s\" for more information\n", prefix, n, cmd->name);
}

static void hmp_dispatch(Monitor *mon, const HMPCommand *table, const char *prefix,
                         const char *p)
{
    const char *name;
    size_t len;
    const HMPCommand *cmd;
    ParsedArgs pa = { 0 };
    Error *err = NULL;

    p = skip_blanks(p);
    name = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '/') {
        p++;
    }
    len = p - name;
    if (!len) {
        if (*prefix) {
            /* a bare "info": the list of its commands, as QEMU */
            HMPArgs args = { .rest = "info" };
            hmp_help(mon, &args);
        }
        return;
    }
    cmd = hmp_find_cmd(table, name, len);
    if (!cmd) {
        monitor_printf(mon, "unknown command: '%s%.*s'\n", prefix, (int)len, name);
        return;
    }
    if (cmd->sub) {
        if (*p == '/') {
            monitor_printf(mon, "unknown command: '%s%.*s'\n", prefix, (int)(len + 1), name);
            return;
        }
        g_autofree char *sub_prefix = g_strdup_printf("%s%.*s ", prefix, (int)len, name);
        hmp_dispatch(mon, cmd->sub, sub_prefix, p);
        return;
    }
    if (*p == '/' && (!cmd->args || !strchr(cmd->args, '/'))) {
        monitor_printf(mon, "unknown command: '%s%.*s'\n", prefix, (int)(p - name) + 1, name);
        return;
    }
    if (!hmp_parse_args(mon, cmd, p, &pa, &err)) {
        monitor_printf(mon, "%s\n", error_get_pretty(err));
        error_free(err);
        hmp_try_help(mon, prefix, cmd);
        parsed_args_free(&pa);
        return;
    }
    cmd->cmd(mon, &pa.args);
    parsed_args_free(&pa);
}

void hmp_handle_command(Monitor *mon, const char *cmdline)
{
    hmp_dispatch(mon, hmp_cmds, "", cmdline);
}

/* ---- help ---- */

static void help_line(Monitor *mon, const char *prefix, const HMPCommand *c)
{
    monitor_printf(mon, "%s%s %s -- %s\n", prefix, c->name, c->params ? c->params : "",
                   c->help);
}

void hmp_help(Monitor *mon, const HMPArgs *args)
{
    const HMPCommand *table = hmp_cmds;
    g_autofree char *prefix = g_strdup("");
    const char *p = args->rest ? args->rest : "";

    /* "help", "help x", "help info", "help info block" */
    for (;;) {
        const char *name = p = skip_blanks(p);
        const HMPCommand *c;

        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
        if (p == name) {
            for (c = table; c->name; c++) {
                help_line(mon, prefix, c);
            }
            return;
        }
        c = hmp_find_cmd(table, name, p - name);
        if (!c) {
            monitor_printf(mon, "unknown command: '%s%.*s'\n", prefix, (int)(p - name), name);
            return;
        }
        if (c->sub) {
            char *np = g_strdup_printf("%s%s ", prefix, c->name);
            g_free(prefix);
            prefix = np;
            table = c->sub;
            continue;
        }
        help_line(mon, prefix, c);
        return;
    }
}
