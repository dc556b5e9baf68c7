/*
 * blkdebug: a filter protocol driver over one image (its "file" child)
 * that acts on the events a format driver above it emits (BLKDBG_EVENT):
 * rules from a config file inject errors into the requests that follow an
 * event or change a state that rules depend on, and qemu-io's break /
 * resume commands suspend the request that reaches an event.
 *
 *   blkdebug:CONFIG:IMAGE           (CONFIG may be empty)
 *   file.driver=blkdebug,file.config=CONFIG,file.image.filename=IMAGE
 *
 * Config file: [inject-error] with event, errno (5), sector (-1: any),
 * once (off), immediately (off), state (0: any), iotype (any but
 * block-status); [set-state] with event, state (0: any), new_state.
 * The state starts at 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block/aio.h"
#include "block_int.h"
#include "qemu/main-loop.h"

typedef enum {
    BLKDEBUG_IO_READ,
    BLKDEBUG_IO_WRITE,
    BLKDEBUG_IO_WRITE_ZEROES,
    BLKDEBUG_IO_DISCARD,
    BLKDEBUG_IO_FLUSH,
    BLKDEBUG_IO_BLOCK_STATUS,
    BLKDEBUG_IO__MAX,
} BlkdebugIOType;

static const char *const blkdebug_io_names[BLKDEBUG_IO__MAX] = {
    "read", "write", "write-zeroes", "discard", "flush", "block-status",
};

/* Without iotype a rule fails every request but block-status queries
 * (what qemu-io 7.2 does: map still answers after an injected error). */
#define BLKDEBUG_IO_DEFAULT_MASK ((1u << BLKDEBUG_IO_BLOCK_STATUS) - 1)

typedef enum {
    BLKDEBUG_ACT_INJECT_ERROR,
    BLKDEBUG_ACT_SET_STATE,
    BLKDEBUG_ACT_SUSPEND,
} BlkdebugAction;

typedef struct BlkdebugRule {
    BlkdebugEvent event;
    BlkdebugAction action;
    int64_t state;          /* only in this state; 0: any */
    /* inject-error */
    int error;
    bool once;
    bool immediately;
    int64_t offset;         /* -1: any request */
    unsigned iotype_mask;
    /* set-state */
    int64_t new_state;
    /* suspend (break) */
    char *tag;
    bool active;            /* on active_rules */
} BlkdebugRule;

typedef struct BlkdebugSuspended {
    Coroutine *co;
    char *tag;
} BlkdebugSuspended;

typedef struct BDRVBlkdebugState {
    int64_t state;
    int64_t new_state;
    GList *rules[BLKDBG__MAX];
    /* inject-error rules of the last event that had one: they apply to
     * every following request until once removes them or another event
     * replaces them */
    GList *active_rules;
    GList *suspended;       /* BlkdebugSuspended */
} BDRVBlkdebugState;

static void rule_free(BlkdebugRule *rule)
{
    g_free(rule->tag);
    g_free(rule);
}

static void rule_remove(BDRVBlkdebugState *s, BlkdebugRule *rule)
{
    s->rules[rule->event] = g_list_remove(s->rules[rule->event], rule);
    s->active_rules = g_list_remove(s->active_rules, rule);
    rule_free(rule);
}

static int event_by_name(const char *name)
{
    for (int i = 0; i < BLKDBG__MAX; i++) {
        if (!strcmp(blkdebug_event_names[i], name)) {
            return i;
        }
    }
    return -1;
}

/* ---- config file ---- */

/* What a key's value parses to, with the messages of QEMU's option
 * parser; numbers may carry a minus sign, as there. */
static bool parse_int(const char *key, const char *value, int64_t *out, Error **errp)
{
    bool neg = value[0] == '-';
    uint64_t v;

    if (!qemu_opt_parse_number(key, value + neg, &v, errp)) {
        return false;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

typedef struct RuleDraft {
    bool inject;            /* [inject-error], else [set-state] */
    char *event;
    GHashTable *kv;         /* key -> value, the rest */
} RuleDraft;

static void draft_free(RuleDraft *d)
{
    g_free(d->event);
    g_hash_table_unref(d->kv);
    g_free(d);
}

static bool draft_take_int(RuleDraft *d, const char *key, int64_t *v, Error **errp)
{
    const char *value = g_hash_table_lookup(d->kv, key);
    return !value || parse_int(key, value, v, errp);
}

static bool draft_take_bool(RuleDraft *d, const char *key, bool *v, Error **errp)
{
    const char *value = g_hash_table_lookup(d->kv, key);
    return !value || qemu_opt_parse_bool(key, value, v, errp);
}

static BlkdebugRule *rule_from_draft(RuleDraft *d, Error **errp)
{
    g_autofree BlkdebugRule *rule = g_new0(BlkdebugRule, 1);
    int64_t error = EIO, sector = -1;
    const char *iotype;
    int event;

    if (!d->event) {
        error_setg(errp, "Missing event name for rule");
        return NULL;
    }
    event = event_by_name(d->event);
    if (event < 0) {
        error_setg(errp, "invalid parameter value: %s", d->event);
        return NULL;
    }
    rule->event = event;
    if (!draft_take_int(d, "state", &rule->state, errp)) {
        return NULL;
    }
    if (!d->inject) {
        rule->action = BLKDEBUG_ACT_SET_STATE;
        return draft_take_int(d, "new_state", &rule->new_state, errp) ? g_steal_pointer(&rule)
                                                                      : NULL;
    }
    rule->action = BLKDEBUG_ACT_INJECT_ERROR;
    if (!draft_take_int(d, "errno", &error, errp) ||
        !draft_take_int(d, "sector", &sector, errp) ||
        !draft_take_bool(d, "once", &rule->once, errp) ||
        !draft_take_bool(d, "immediately", &rule->immediately, errp)) {
        return NULL;
    }
    rule->error = (int)error;
    rule->offset = sector < 0 ? -1 : sector * BDRV_SECTOR_SIZE;
    rule->iotype_mask = BLKDEBUG_IO_DEFAULT_MASK;
    iotype = g_hash_table_lookup(d->kv, "iotype");
    if (iotype) {
        int i;
        for (i = 0; i < BLKDEBUG_IO__MAX && strcmp(blkdebug_io_names[i], iotype); i++) {
        }
        if (i == BLKDEBUG_IO__MAX) {
            error_setg(errp, "invalid parameter value: %s", iotype);
            return NULL;
        }
        rule->iotype_mask = 1u << i;
    }
    return g_steal_pointer(&rule);
}

static const char *const inject_keys[] = {
    "event", "state", "iotype", "errno", "sector", "once", "immediately", NULL,
};
static const char *const set_state_keys[] = { "event", "state", "new_state", NULL };

static bool key_known(const char *const *keys, const char *key)
{
    for (; *keys; keys++) {
        if (!strcmp(*keys, key)) {
            return true;
        }
    }
    return false;
}

/*
 * One line of the file, in QEMU's config syntax: "[group]" starts a rule,
 * "key = \"value\"" sets one of its keys (a key alone counts as an empty
 * value, as QEMU's parser has it); '#' starts a comment line.
 */
static bool parse_line(const char *line, GPtrArray *drafts, Error **errp)
{
    RuleDraft *cur = drafts->len ? g_ptr_array_index(drafts, drafts->len - 1) : NULL;
    const char *p = line, *k;
    g_autofree char *key = NULL, *value = NULL;

    if (line[0] == '\n' || line[0] == '#' || line[0] == '\0') {
        return true;
    }
    if (line[0] == '[') {
        const char *end = strchr(line + 1, ']');
        g_autofree char *group = end ? g_strndup(line + 1, end - line - 1)
                                     : g_strdup(line + 1);
        RuleDraft *d;

        if (strcmp(group, "inject-error") && strcmp(group, "set-state")) {
            error_setg(errp, "There is no option group '%s'", group);
            return false;
        }
        d = g_new0(RuleDraft, 1);
        d->inject = !strcmp(group, "inject-error");
        d->kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_ptr_array_add(drafts, d);
        return true;
    }
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (!*p) {
        error_setg(errp, "parse error");
        return false;
    }
    for (k = p; *p && !g_ascii_isspace(*p); p++) {
    }
    key = g_strndup(k, p - k);
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p == '=') {
        p++;
        while (g_ascii_isspace(*p)) {
            p++;
        }
        if (*p == '"') {
            const char *end = strchr(p + 1, '"');
            if (end) {
                value = g_strndup(p + 1, end - p - 1);
            }
        }
    }
    if (!value) {
        value = g_strdup("");
    }
    if (!cur) {
        error_setg(errp, "no group defined");
        return false;
    }
    if (!key_known(cur->inject ? inject_keys : set_state_keys, key)) {
        error_setg(errp, "Invalid parameter '%s'", key);
        return false;
    }
    if (!strcmp(key, "event")) {
        g_free(cur->event);
        cur->event = g_steal_pointer(&value);
    } else {
        g_hash_table_insert(cur->kv, g_steal_pointer(&key), g_steal_pointer(&value));
    }
    return true;
}

/* The whole file, or NULL with errno set. */
static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "r");
    GString *text;
    char buf[4096];
    size_t n;
    int err;

    if (!f) {
        return NULL;
    }
    text = g_string_new("");
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        g_string_append_len(text, buf, n);
    }
    err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        g_string_free(text, true);
        errno = err;
        return NULL;
    }
    return g_string_free(text, false);
}

static bool read_config(BDRVBlkdebugState *s, const char *path, Error **errp)
{
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func((GDestroyNotify)draft_free);
    g_auto(GStrv) lines = NULL;
    GList *rules = NULL;

    text = read_text_file(path);
    if (!text) {
        error_setg_errno(errp, errno, "Could not read blkdebug config file");
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        /* the line as fgets gives it, with its newline but the last */
        g_autofree char *line = lines[i + 1] ? g_strconcat(lines[i], "\n", NULL)
                                             : g_strdup(lines[i]);
        if (!parse_line(line, drafts, errp)) {
            return false;
        }
    }
    for (guint i = 0; i < drafts->len; i++) {
        BlkdebugRule *rule = rule_from_draft(g_ptr_array_index(drafts, i), errp);
        if (!rule) {
            g_list_free_full(rules, (GDestroyNotify)rule_free);
            return false;
        }
        rules = g_list_append(rules, rule);
    }
    for (GList *l = rules; l; l = l->next) {
        BlkdebugRule *rule = l->data;
        s->rules[rule->event] = g_list_append(s->rules[rule->event], rule);
    }
    g_list_free(rules);
    return true;
}

/* ---- events ---- */

static void coroutine_fn blkdebug_debug_event(BlockDriverState *bs, BlkdebugEvent event)
{
    BDRVBlkdebugState *s = bs->opaque;
    bool injected = false;
    GList *suspend = NULL;

    s->new_state = s->state;
    for (GList *l = s->rules[event], *next; l; l = next) {
        BlkdebugRule *rule = l->data;

        next = l->next;
        if (rule->state && rule->state != s->state) {
            continue;
        }
        switch (rule->action) {
        case BLKDEBUG_ACT_INJECT_ERROR:
            if (!injected) {
                for (GList *a = s->active_rules; a; a = a->next) {
                    ((BlkdebugRule *)a->data)->active = false;
                }
                g_list_free(s->active_rules);
                s->active_rules = NULL;
                injected = true;
            }
            rule->active = true;
            s->active_rules = g_list_prepend(s->active_rules, rule);
            break;
        case BLKDEBUG_ACT_SET_STATE:
            s->new_state = rule->new_state;
            break;
        case BLKDEBUG_ACT_SUSPEND:
            suspend = g_list_append(suspend, g_strdup(rule->tag));
            /* a breakpoint stops one request */
            rule_remove(s, rule);
            break;
        }
    }
    /* Only a coroutine can wait (events at open come from outside one). */
    for (GList *l = suspend; l && qemu_in_coroutine(); l = l->next) {
        BlkdebugSuspended r = { .co = qemu_coroutine_self(), .tag = l->data };

        s->suspended = g_list_append(s->suspended, &r);
        printf("blkdebug: Suspended request '%s'\n", r.tag);
        qemu_coroutine_yield();
        printf("blkdebug: Resuming request '%s'\n", r.tag);
    }
    g_list_free_full(suspend, g_free);
    s->state = s->new_state;
}

static int blkdebug_debug_breakpoint(BlockDriverState *bs, const char *event, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    int e = event_by_name(event);
    BlkdebugRule *rule;

    if (e < 0) {
        return -ENOENT;
    }
    rule = g_new0(BlkdebugRule, 1);
    rule->event = e;
    rule->action = BLKDEBUG_ACT_SUSPEND;
    rule->tag = g_strdup(tag);
    s->rules[e] = g_list_append(s->rules[e], rule);
    return 0;
}

/* Wakes the first (or every) request suspended under tag. */
static int resume_by_tag(BDRVBlkdebugState *s, const char *tag, bool all)
{
    int n = 0;

    for (GList *l = s->suspended, *next; l; l = next) {
        BlkdebugSuspended *r = l->data;

        next = l->next;
        if (!strcmp(r->tag, tag)) {
            s->suspended = g_list_delete_link(s->suspended, l);
            qemu_coroutine_enter(r->co);
            n++;
            if (!all) {
                break;
            }
        }
    }
    return n;
}

static int blkdebug_debug_resume(BlockDriverState *bs, const char *tag)
{
    return resume_by_tag(bs->opaque, tag, false) ? 0 : -ENOENT;
}

static int blkdebug_debug_remove_breakpoint(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;
    int n = 0;

    for (int e = 0; e < BLKDBG__MAX; e++) {
        for (GList *l = s->rules[e], *next; l; l = next) {
            BlkdebugRule *rule = l->data;

            next = l->next;
            if (rule->action == BLKDEBUG_ACT_SUSPEND && !strcmp(rule->tag, tag)) {
                rule_remove(s, rule);
                n++;
            }
        }
    }
    /* Requests stopped there go on; only removed rules count (qemu-io 7.2
     * answers ENOENT when the breakpoint had already fired). */
    resume_by_tag(s, tag, true);
    return n ? 0 : -ENOENT;
}

static bool blkdebug_debug_is_suspended(BlockDriverState *bs, const char *tag)
{
    BDRVBlkdebugState *s = bs->opaque;

    for (GList *l = s->suspended; l; l = l->next) {
        if (!strcmp(((BlkdebugSuspended *)l->data)->tag, tag)) {
            return true;
        }
    }
    return false;
}

/* ---- requests ---- */

/*
 * The error an active rule injects into this request, 0 for none.  Not
 * immediately: the request first goes once round the event loop, as an
 * asynchronous failure would.
 */
static int coroutine_fn rule_check(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                   BlkdebugIOType type)
{
    BDRVBlkdebugState *s = bs->opaque;
    BlkdebugRule *rule = NULL;
    bool immediately;
    int error;

    for (GList *l = s->active_rules; l; l = l->next) {
        BlkdebugRule *r = l->data;

        if ((r->offset == -1 || (bytes && r->offset >= offset && r->offset < offset + bytes)) &&
            (r->iotype_mask & (1u << type))) {
            rule = r;
            break;
        }
    }
    if (!rule || !rule->error) {
        return 0;
    }
    error = rule->error;
    immediately = rule->immediately;
    if (rule->once) {
        rule_remove(s, rule);
    }
    if (!immediately) {
        aio_co_schedule(bdrv_get_aio_context(bs), qemu_coroutine_self());
        qemu_coroutine_yield();
    }
    return -error;
}

static int coroutine_fn blkdebug_co_preadv_part(BlockDriverState *bs, int64_t offset,
                                                int64_t bytes, QEMUIOVector *qiov,
                                                size_t qiov_offset, BdrvRequestFlags flags)
{
    int ret = rule_check(bs, offset, bytes, BLKDEBUG_IO_READ);
    return ret ? ret : bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset, flags);
}

static int coroutine_fn blkdebug_co_pwritev_part(BlockDriverState *bs, int64_t offset,
                                                 int64_t bytes, QEMUIOVector *qiov,
                                                 size_t qiov_offset, BdrvRequestFlags flags)
{
    int ret = rule_check(bs, offset, bytes, BLKDEBUG_IO_WRITE);
    return ret ? ret : bdrv_co_pwritev_part(bs->file, offset, bytes, qiov, qiov_offset, flags);
}

static int coroutine_fn blkdebug_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                                                  int64_t bytes, BdrvRequestFlags flags)
{
    int ret = rule_check(bs, offset, bytes, BLKDEBUG_IO_WRITE_ZEROES);
    return ret ? ret : bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn blkdebug_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                             int64_t bytes)
{
    int ret = rule_check(bs, offset, bytes, BLKDEBUG_IO_DISCARD);
    return ret ? ret : bdrv_co_pdiscard(bs->file, offset, bytes);
}

/* The child is flushed by the generic layer after this (io.c). */
static int coroutine_fn blkdebug_co_flush_to_disk(BlockDriverState *bs)
{
    return rule_check(bs, 0, 0, BLKDEBUG_IO_FLUSH);
}

static int coroutine_fn blkdebug_co_block_status(BlockDriverState *bs, int64_t offset,
                                                 int64_t bytes, int64_t *pnum, int64_t *map,
                                                 BlockDriverState **file)
{
    int ret = rule_check(bs, offset, bytes, BLKDEBUG_IO_BLOCK_STATUS);
    return ret ? ret : bdrv_co_block_status(bs->file->bs, offset, bytes, pnum, map, file);
}

static int coroutine_fn blkdebug_co_truncate(BlockDriverState *bs, int64_t offset,
                                             bool exact, PreallocMode prealloc, Error **errp)
{
    return bdrv_co_truncate(bs->file, offset, exact, prealloc, errp);
}

static int64_t blkdebug_getlength(BlockDriverState *bs)
{
    return bdrv_getlength(bs->file->bs);
}

static int64_t blkdebug_get_allocated_file_size(BlockDriverState *bs)
{
    return bdrv_get_allocated_file_size(bs->file->bs);
}

/* ---- open, close ---- */

static void bdrv_close_rules(BDRVBlkdebugState *s)
{
    g_list_free(s->active_rules);
    s->active_rules = NULL;
    for (int e = 0; e < BLKDBG__MAX; e++) {
        g_list_free_full(s->rules[e], (GDestroyNotify)rule_free);
        s->rules[e] = NULL;
    }
}

/* qemu-io would wait for ever on a request nobody resumes; duet lets
 * suspended requests go when the node is drained (close, aio_flush). */
static void blkdebug_drain_begin(BlockDriverState *bs)
{
    BDRVBlkdebugState *s = bs->opaque;

    while (s->suspended) {
        BlkdebugSuspended *r = s->suspended->data;

        s->suspended = g_list_delete_link(s->suspended, s->suspended);
        qemu_coroutine_enter(r->co);
    }
}

static void blkdebug_close(BlockDriverState *bs)
{
    bdrv_close_rules(bs->opaque);
}

static int blkdebug_file_open(BlockDriverState *bs, const char *filename, int flags,
                              Error **errp)
{
    BDRVBlkdebugState *s = bs->opaque;
    g_autofree char *config = bdrv_opt_take_str(bs->options, "config");
    g_autofree char *image = bdrv_opt_take_str(bs->options, "x-image");
    GHashTable *image_opts = bdrv_options_extract_prefix(bs->options, "image.");
    g_autofree char *image_filename = bdrv_opt_take_str(image_opts, "filename");
    BlockDriverState *file;

    if (filename && g_str_has_prefix(filename, "blkdebug:")) {
        const char *rest = filename + strlen("blkdebug:");
        const char *colon = strchr(rest, ':');

        if (!colon) {
            error_setg(errp, "Invalid filename (expected blkdebug:CONFIG:IMAGE)");
            g_hash_table_unref(image_opts);
            return -EINVAL;
        }
        if (colon > rest && !config) {
            config = g_strndup(rest, colon - rest);
        }
        if (!image) {
            image = g_strdup(colon + 1);
        }
    }
    if (image && image_filename) {
        error_setg(errp, "Option 'x-image' and 'image.filename' cannot both be given");
        g_hash_table_unref(image_opts);
        return -EINVAL;
    }
    if (!image) {
        image = g_steal_pointer(&image_filename);
    }
    s->state = 1;
    if (config && !read_config(s, config, errp)) {
        g_hash_table_unref(image_opts);
        bdrv_close_rules(s);
        return -EINVAL;
    }
    if (!image && !g_hash_table_contains(image_opts, "driver")) {
        error_setg(errp, "Could not open the blkdebug image: no file name given "
                   "(x-image= or image.filename=)");
        g_hash_table_unref(image_opts);
        bdrv_close_rules(s);
        return -EINVAL;
    }
    file = bdrv_open_child_protocol(image, flags, image_opts, "image.", errp);
    if (!file) {
        bdrv_close_rules(s);
        return -EINVAL;
    }
    bs->file = bdrv_child_new(file, "file");
    bdrv_unref(file);
    bs->request_alignment = file->request_alignment;
    if (!filename) {
        g_free(bs->filename);
        bs->filename = g_strdup_printf("blkdebug:%s:%s", config ? config : "",
                                       file->filename);
    }
    return 0;
}

const BlockDriver bdrv_blkdebug = {
    .format_name = "blkdebug",
    .protocol_name = "blkdebug:",
    .instance_size = sizeof(BDRVBlkdebugState),
    .bdrv_file_open = blkdebug_file_open,
    .bdrv_close = blkdebug_close,
    .bdrv_drain_begin = blkdebug_drain_begin,
    .bdrv_co_preadv_part = blkdebug_co_preadv_part,
    .bdrv_co_pwritev_part = blkdebug_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = blkdebug_co_pwrite_zeroes,
    .bdrv_co_pdiscard = blkdebug_co_pdiscard,
    .bdrv_co_flush_to_disk = blkdebug_co_flush_to_disk,
    .bdrv_co_block_status = blkdebug_co_block_status,
    .bdrv_co_truncate = blkdebug_co_truncate,
    .bdrv_getlength = blkdebug_getlength,
    .bdrv_get_allocated_file_size = blkdebug_get_allocated_file_size,
    .bdrv_debug_event = blkdebug_debug_event,
    .bdrv_debug_breakpoint = blkdebug_debug_breakpoint,
    .bdrv_debug_remove_breakpoint = blkdebug_debug_remove_breakpoint,
    .bdrv_debug_resume = blkdebug_debug_resume,
    .bdrv_debug_is_suspended = blkdebug_debug_is_suspended,
};
