/*
 * key=value option lists (see qemu/option.h for the syntax).
 *
 * A QemuOpts is the items in the order given; each keeps a copy of the
 * description it was checked against (tables may be built on the fly,
 * bdrv_create_opts_merged) and its typed value, so a getter only looks up.  Parsing never stops at a bad item: the
 * first error is kept, and dropped again if any item asks for help, because
 * "-device isa-debug-exit,iobase=x,help" should print the help.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu/cutils.h"
#include "qemu/option.h"

typedef struct QemuOpt {
    char *name;
    char *value;
    bool checked;
    QemuOptDesc desc;  /* when checked */
    union {
        bool boolean;
        uint64_t uint;
    } v;
} QemuOpt;

struct QemuOpts {
    const QemuOptsList *list;
    GPtrArray *items;  /* QemuOpt *, in the order given */
    bool help;         /* some item asked for help */
    char *help_key;    /* ... about this key (NULL: about all) */
};

static bool is_help(const char *s)
{
    return !strcmp(s, "help") || !strcmp(s, "?");
}

static void qemu_opt_free(gpointer p)
{
    QemuOpt *opt = p;

    g_free(opt->name);
    g_free(opt->value);
    g_free(opt);
}

QemuOpts *qemu_opts_new(const QemuOptsList *list)
{
    QemuOpts *opts = g_new0(QemuOpts, 1);

    opts->list = list;
    opts->items = g_ptr_array_new_with_free_func(qemu_opt_free);
    return opts;
}

void qemu_opts_free(QemuOpts *opts)
{
    if (opts) {
        g_ptr_array_free(opts->items, true);
        g_free(opts->help_key);
        g_free(opts);
    }
}

const QemuOptDesc *qemu_opt_find_desc(const QemuOptDesc *desc, const char *name)
{
    for (; desc && desc->name; desc++) {
        if (!strcmp(desc->name, name)) {
            return desc;
        }
    }
    return NULL;
}

/* ---- typed values ------------------------------------------------------ */

bool qemu_opt_parse_bool(const char *name, const char *value, bool *ret, Error **errp)
{
    if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "true")) {
        *ret = true;
    } else if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "false")) {
        *ret = false;
    } else {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
        return false;
    }
    return true;
}

bool qemu_opt_parse_number(const char *name, const char *value, uint64_t *ret, Error **errp)
{
    int err = qemu_strtou64(value, ret);

    if (err == -ERANGE) {
        error_setg(errp, "Value '%s' is too large for parameter '%s'", value, name);
    } else if (err) {
        error_setg(errp, "Parameter '%s' expects a number", name);
    }
    return err == 0;
}

#define SIZE_NOTE " (optional suffix k, M, G, T, P or E for powers of 1024)"

char *qemu_opt_size_error_text(const char *msg)
{
    size_t len = strlen(msg), note = strlen(SIZE_NOTE);

    if (len > note && !strcmp(msg + len - note, SIZE_NOTE)) {
        return g_strdup_printf("%.*s\nOptional suffix k, M, G, T, P or E means kilo-, mega-, "
                               "giga-, tera-, peta-\nand exabytes, respectively.",
                               (int)(len - note), msg);
    }
    return g_strdup(msg);
}

bool qemu_opt_parse_size(const char *name, const char *value, uint64_t unit, uint64_t *ret,
                         Error **errp)
{
    int err = qemu_strtosz(value, unit, ret);

    if (err == -ERANGE) {
        error_setg(errp, "Value '%s' is out of range for parameter '%s'", value, name);
    } else if (err) {
        error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64"
                   SIZE_NOTE, name);
    }
    return err == 0;
}

static char *range_bound_str(const QemuOptDesc *d, uint64_t v)
{
    if (d->type == QEMU_OPT_SIZE && v >= 1024) {
        return size_to_str(v);
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, v);
}

/* Types opt->value by d, or asks for help; false (and *errp) if it is bad. */
static bool qemu_opt_check(QemuOpts *opts, QemuOpt *opt, const QemuOptDesc *d, Error **errp)
{
    bool free_text = d->type == QEMU_OPT_STRING && !d->values;
    bool ok = true;

    opt->checked = true;
    opt->desc = *d;
    if (!free_text && is_help(opt->value) && !opts->list->key_help_literal) {
        if (!opts->help) {
            opts->help = true;
            opts->help_key = g_strdup(d->name);
        }
        return true;
    }
    switch (d->type) {
    case QEMU_OPT_STRING:
        ok = free_text || g_strv_contains((const char *const *)d->values, opt->value);
        if (!ok) {
            error_setg(errp, "Parameter '%s' does not accept value '%s'", d->name, opt->value);
        }
        return ok;
    case QEMU_OPT_BOOL:
        return qemu_opt_parse_bool(d->name, opt->value, &opt->v.boolean, errp);
    case QEMU_OPT_NUMBER:
        ok = qemu_opt_parse_number(d->name, opt->value, &opt->v.uint, errp);
        break;
    case QEMU_OPT_SIZE:
        ok = qemu_opt_parse_size(d->name, opt->value, d->unit, &opt->v.uint, errp);
        break;
    }
    if (ok && d->max && (opt->v.uint < d->min || opt->v.uint > d->max)) {
        g_autofree char *min = range_bound_str(d, d->min);
        g_autofree char *max = range_bound_str(d, d->max);

        error_setg(errp, "Value '%s' is out of range for parameter '%s' (minimum: %s, "
                   "maximum: %s)", opt->value, d->name, min, max);
        ok = false;
    }
    return ok;
}

/* Checks the item against the list's own keys (unchecked if the list
 * passes unknown keys on). */
static void qemu_opt_add(QemuOpts *opts, char *name, char *value, Error **errp)
{
    QemuOpt *opt = g_new0(QemuOpt, 1);
    const QemuOptDesc *d = qemu_opt_find_desc(opts->list->desc, name);

    opt->name = name;
    opt->value = value;
    g_ptr_array_add(opts->items, opt);
    if (d) {
        qemu_opt_check(opts, opt, d, errp);
    } else if (!opts->list->pass_unknown || !*name) {
        error_setg(errp, "Invalid parameter '%s'", name);
    }
}

bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value, Error **errp)
{
    Error *err = NULL;

    qemu_opt_add(opts, g_strdup(name), g_strdup(value), &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

/* ---- the syntax --------------------------------------------------------- */

/* A value from *p up to a single comma (consumed) or the end; ",," is ','. */
static char *scan_value(const char **p)
{
    GString *v = g_string_new(NULL);
    const char *s = *p;

    while (*s) {
        if (*s == ',') {
            if (s[1] != ',') {
                s++;
                break;
            }
            s++;
        }
        g_string_append_c(v, *s++);
    }
    *p = s;
    return g_string_free(v, false);
}

/* One item at *p (advanced past it and its comma). */
static void parse_item(QemuOpts *opts, const char **p, bool first, Error **errp)
{
    const char *s = *p;
    size_t len = strcspn(s, "=,");
    g_autofree char *word = g_strndup(s, len);
    bool ends_item = !s[len] || (s[len] == ',' && s[len + 1] != ',');

    if (s[len] == '=') {
        *p = s + len + 1;
        qemu_opt_add(opts, g_steal_pointer(&word), scan_value(p), errp);
        return;
    }
    if (ends_item && is_help(word)) {
        *p = s + len + (s[len] == ',');
        opts->help = true;
        g_clear_pointer(&opts->help_key, g_free);
        return;
    }
    if (first && opts->list->implied_key) {
        qemu_opt_add(opts, g_strdup(opts->list->implied_key), scan_value(p), errp);
        return;
    }
    /* Not KEY=VALUE: skip it, with its ",," escapes, to find the next. */
    g_free(scan_value(p));
    if (!*word) {
        error_setg(errp, "Invalid parameter ''");
    } else {
        error_setg(errp, "Expected '=' after parameter '%s'", word);
    }
}

/* The first error unless help was asked for: then none. */
static bool finish(QemuOpts *opts, Error *err, Error **errp)
{
    if (err && !opts->help) {
        error_propagate(errp, err);
        return false;
    }
    error_free(err);
    return true;
}

QemuOpts *qemu_opts_parse(const QemuOptsList *list, const char *params, Error **errp)
{
    QemuOpts *opts = qemu_opts_new(list);
    Error *err = NULL;

    for (const char *p = params; *p;) {
        parse_item(opts, &p, p == params, &err);
    }
    if (!finish(opts, err, errp)) {
        qemu_opts_free(opts);
        return NULL;
    }
    return opts;
}

bool qemu_opts_validate(QemuOpts *opts, const QemuOptDesc *desc, Error **errp)
{
    Error *err = NULL;

    for (guint i = 0; i < opts->items->len; i++) {
        QemuOpt *opt = g_ptr_array_index(opts->items, i);
        const QemuOptDesc *d;

        if (opt->checked) {
            continue;
        }
        d = qemu_opt_find_desc(desc, opt->name);
        if (d) {
            qemu_opt_check(opts, opt, d, &err);
        } else {
            error_setg(&err, "Invalid parameter '%s'", opt->name);
        }
    }
    return finish(opts, err, errp);
}

char **qemu_opt_split_list(const char *str)
{
    GPtrArray *items = g_ptr_array_new();

    for (const char *p = str; p && *p;) {
        char *item = scan_value(&p);

        if (*item) {
            g_ptr_array_add(items, item);
        } else {
            g_free(item);
        }
    }
    g_ptr_array_add(items, NULL);
    return (char **)g_ptr_array_free(items, false);
}

/* ---- looking values up ------------------------------------------------- */

static const QemuOpt *qemu_opt_find(const QemuOpts *opts, const char *name)
{
    for (guint i = opts->items->len; i-- > 0;) {
        const QemuOpt *opt = g_ptr_array_index(opts->items, i);

        if (!strcmp(opt->name, name)) {
            return opt;
        }
    }
    return NULL;
}

const char *qemu_opt_get(const QemuOpts *opts, const char *name)
{
    const QemuOpt *opt = qemu_opt_find(opts, name);

    return opt ? opt->value : NULL;
}

/* The typed item, or NULL for @defval; a help request counts as absent. */
static const QemuOpt *qemu_opt_find_typed(const QemuOpts *opts, const char *name,
                                          QemuOptType type)
{
    const QemuOpt *opt = qemu_opt_find(opts, name);

    if (!opt) {
        return NULL;
    }
    g_assert(opt->checked && opt->desc.type == type);
    return is_help(opt->value) ? NULL : opt;
}

bool qemu_opt_get_bool(const QemuOpts *opts, const char *name, bool defval)
{
    const QemuOpt *opt = qemu_opt_find_typed(opts, name, QEMU_OPT_BOOL);

    return opt ? opt->v.boolean : defval;
}

uint64_t qemu_opt_get_number(const QemuOpts *opts, const char *name, uint64_t defval)
{
    const QemuOpt *opt = qemu_opt_find_typed(opts, name, QEMU_OPT_NUMBER);

    return opt ? opt->v.uint : defval;
}

uint64_t qemu_opt_get_size(const QemuOpts *opts, const char *name, uint64_t defval)
{
    const QemuOpt *opt = qemu_opt_find_typed(opts, name, QEMU_OPT_SIZE);

    return opt ? opt->v.uint : defval;
}

bool qemu_opt_foreach(const QemuOpts *opts, QemuOptFunc *fn, void *opaque, Error **errp)
{
    for (guint i = 0; i < opts->items->len; i++) {
        const QemuOpt *opt = g_ptr_array_index(opts->items, i);

        if (!fn(opaque, opt->name, opt->value, opt->checked ? &opt->desc : NULL, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- help --------------------------------------------------------------- */

bool qemu_opts_help_wanted(const QemuOpts *opts)
{
    return opts->help;
}

const char *qemu_opts_help_key(const QemuOpts *opts)
{
    return opts->help_key;
}

static const char *const type_names[] = {
    [QEMU_OPT_STRING] = "str",
    [QEMU_OPT_BOOL] = "bool (on/off)",
    [QEMU_OPT_NUMBER] = "num",
    [QEMU_OPT_SIZE] = "size",
};

void qemu_opt_print_desc(FILE *out, const char *prefix, const QemuOptDesc *d)
{
    g_autofree char *lhs = g_strdup_printf("%s%s=<%s>", prefix ? prefix : "", d->name,
                                           type_names[d->type]);
    GString *text = g_string_new(d->help);

    if (d->values) {
        g_autofree char *list = g_strjoinv(", ", (char **)d->values);
        g_string_append_printf(text, "%s(allowed values: %s)", text->len ? " " : "", list);
    }
    if (d->def_value_str) {
        g_string_append_printf(text, "%s(default: %s)", text->len ? " " : "",
                               d->def_value_str);
    }
    if (text->len) {
        fprintf(out, "  %-22s - %s\n", lhs, text->str);
    } else {
        fprintf(out, "  %s\n", lhs);
    }
    g_string_free(text, true);
}

static int compare_desc(const void *a, const void *b)
{
    return strcmp((*(const QemuOptDesc *const *)a)->name,
                  (*(const QemuOptDesc *const *)b)->name);
}

void qemu_opts_print_help(FILE *out, const char *title, const QemuOptDesc *desc,
                          const char *key)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();

    if (title) {
        fprintf(out, "%s\n", title);
    }
    for (const QemuOptDesc *d = desc; d && d->name; d++) {
        if (!key || !strcmp(d->name, key)) {
            g_ptr_array_add(sorted, (gpointer)d);
        }
    }
    qsort(sorted->pdata, sorted->len, sizeof(gpointer), compare_desc);
    for (guint i = 0; i < sorted->len; i++) {
        qemu_opt_print_desc(out, NULL, g_ptr_array_index(sorted, i));
    }
}
