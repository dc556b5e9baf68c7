/*
 * key=value option lists, the one parser of the tree: -drive, -device,
 * -accel, -machine, -m, -serial, duet-img -o and --image-opts, block node
 * options.  Spelled as QEMU's command line spells them:
 *
 *   KEY=VALUE[,KEY=VALUE...]    ",," is a comma inside a value
 *   VALUE[,KEY=VALUE...]        when the family has an implied first key
 *                               (-device isa-debug-exit = driver=isa-debug-exit)
 *   ...,help  or  ...,?         list the keys; KEY=help lists what KEY takes
 *
 * A trailing comma is ignored; a leading one is an empty key (refused) or,
 * with an implied key, an empty first value.  When a key comes twice the
 * last one wins.  Each family describes its keys in a QemuOptDesc table
 * (name, type, help); values are checked against it when parsed, so the
 * getters cannot fail.  Keys a family leaves to someone else (a device's
 * properties, a block driver's options) are kept unchecked with
 * pass_unknown and checked later with qemu_opts_validate.
 */
#ifndef QEMU_OPTION_H
#define QEMU_OPTION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qapi/error.h"

typedef enum QemuOptType {
    QEMU_OPT_STRING, /* free text, or one of QemuOptDesc.values */
    QEMU_OPT_BOOL,   /* on/off, yes/no, true/false */
    QEMU_OPT_NUMBER, /* decimal or 0x hex (qemu_strtou64) */
    QEMU_OPT_SIZE,   /* 64k, 1.5M, 2G (qemu_strtosz) */
} QemuOptType;

typedef struct QemuOptDesc {
    const char *name;
    QemuOptType type;
    const char *help;
    const char *def_value_str;  /* help shows "(default: ...)"; not applied */
    const char *const *values;  /* STRING: the accepted values, NULL-terminated */
    uint64_t min, max;          /* NUMBER, SIZE: accepted range, when max != 0 */
    uint64_t unit;              /* SIZE: what a bare number counts (0: bytes) */
} QemuOptDesc;

typedef struct QemuOptsList {
    const char *name;         /* "accel", "drive": for messages */
    const char *implied_key;  /* NULL: every item is KEY=VALUE */
    bool pass_unknown;        /* keys outside desc are kept, unchecked */
    bool key_help_literal;    /* KEY=help is a value, not a help request (qemu-img -o) */
    const QemuOptDesc *desc;  /* ends with { NULL }; NULL: none */
} QemuOptsList;

typedef struct QemuOpts QemuOpts;

/* Parses @params; every error names the key ("Invalid parameter 'bogus'",
 * "Parameter 'index' expects a number").  A help request never fails (and
 * its values are not to be used: print the help instead). */
QemuOpts *qemu_opts_parse(const QemuOptsList *list, const char *params, Error **errp);
/* An empty list, for qemu_opt_set. */
QemuOpts *qemu_opts_new(const QemuOptsList *list);
/* Adds NAME=VALUE as if parsed (value taken literally: no ",," rules). */
bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value, Error **errp);
/* Checks the keys the list left unchecked against @desc: unknown ones
 * are refused, values typed as there. */
bool qemu_opts_validate(QemuOpts *opts, const QemuOptDesc *desc, Error **errp);
void qemu_opts_free(QemuOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuOpts, qemu_opts_free)

/* "help" or "?" as an item, or as the value of a key that is not free
 * text.  qemu_opts_help_key says which key (NULL: all of them). */
bool qemu_opts_help_wanted(const QemuOpts *opts);
const char *qemu_opts_help_key(const QemuOpts *opts);
/*
 * "TITLE\n" and one line per key of @desc, sorted, QEMU's shape:
 *   "  cluster_size=<size>    - qcow2 cluster size"
 * Only @key's line when @key is not NULL; @title may be NULL.
 */
void qemu_opts_print_help(FILE *out, const char *title, const QemuOptDesc *desc,
                          const char *key);
/* The one line of @d, its name prefixed by @prefix (may be NULL). */
void qemu_opt_print_desc(FILE *out, const char *prefix, const QemuOptDesc *d);
/* The entry of @desc named @name, or NULL. */
const QemuOptDesc *qemu_opt_find_desc(const QemuOptDesc *desc, const char *name);

/* The last value given for @name, or NULL. */
const char *qemu_opt_get(const QemuOpts *opts, const char *name);
/* Typed values of described keys (a programming error otherwise), or
 * @defval when absent. */
bool qemu_opt_get_bool(const QemuOpts *opts, const char *name, bool defval);
uint64_t qemu_opt_get_number(const QemuOpts *opts, const char *name, uint64_t defval);
uint64_t qemu_opt_get_size(const QemuOpts *opts, const char *name, uint64_t defval);

/* Calls @fn for every item in order (@desc NULL for an unchecked key);
 * stops at the first false. */
typedef bool QemuOptFunc(void *opaque, const char *name, const char *value,
                         const QemuOptDesc *desc, Error **errp);
bool qemu_opt_foreach(const QemuOpts *opts, QemuOptFunc *fn, void *opaque, Error **errp);

/* One value checked as a key of that type would be (same messages);
 * for keys whose type is only known late (block node options). */
bool qemu_opt_parse_bool(const char *name, const char *value, bool *ret, Error **errp);
bool qemu_opt_parse_number(const char *name, const char *value, uint64_t *ret,
                           Error **errp);
bool qemu_opt_parse_size(const char *name, const char *value, uint64_t unit, uint64_t *ret,
                         Error **errp);
/* The message as QEMU's tools print it: qemu_opt_parse_size's inline
 * suffix note becomes the two hint lines qemu-img and qemu-io print after
 * the error (newly allocated; msg unchanged if it has no note). */
char *qemu_opt_size_error_text(const char *msg);

/* "a,b,,c" -> { "a", "b,c", NULL }: a list of values with the same comma
 * rule (-initrd's modules); empty items are dropped.  g_strfreev it. */
char **qemu_opt_split_list(const char *str);

#endif
