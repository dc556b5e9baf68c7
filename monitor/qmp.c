/*
 * QMP sessions.  A text from the framer is parsed by json-glib and checked
 * as QEMU 7.2 checks a request, with its error classes and descriptions:
 *   not an object          GenericError "QMP input must be a JSON object"
 *   no "execute"           GenericError "QMP input lacks member 'execute'"
 *   before negotiation     CommandNotFound "Expecting capabilities negotiation ..."
 *   unknown command        CommandNotFound "The command NAME has not been found"
 *   bad arguments          GenericError "Parameter 'x' is unexpected" ...
 * Nothing a client sends ends the session or touches the guest, except
 * the commands that are meant to.  "id" is echoed, whatever JSON it is.
 */
#include <stdarg.h>
#include <string.h>

#include "monitor-internal.h"
#include "trace/trace.h"

static const char *const qmp_error_class_names[] = {
    [QMP_ERROR_GENERIC] = "GenericError",
    [QMP_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [QMP_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
};

void qmp_error_set(QMPError *err, QMPErrorClass cls, const char *fmt, ...)
{
    va_list ap;

    err->cls = cls;
    g_free(err->desc);
    va_start(ap, fmt);
    err->desc = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void qmp_send(Monitor *mon, JsonNode *node)
{
    json_out_node(mon->out, node, mon->pretty, 0);
    g_string_append(mon->out, mon->pretty ? "\n" : "\r\n");
    monitor_flush(mon);
}

void qmp_send_greeting(Monitor *mon)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    unsigned major = 0, minor = 0, micro = 0;

    sscanf(DUET_VERSION, "%u.%u.%u", &major, &minor, &micro);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "QMP");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "qemu");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "micro");
    json_builder_add_int_value(b, micro);
    json_builder_set_member_name(b, "minor");
    json_builder_add_int_value(b, minor);
    json_builder_set_member_name(b, "major");
    json_builder_add_int_value(b, major);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "package");
    json_builder_add_string_value(b, "duet");
    json_builder_end_object(b);
    json_builder_set_member_name(b, "capabilities");
    json_builder_begin_array(b); /* no out-of-band execution */
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    qmp_send(mon, root);
}

static void qmp_send_error(Monitor *mon, QMPErrorClass cls, const char *desc, JsonNode *id,
                           bool id_first)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    if (id && id_first) {
        json_builder_set_member_name(b, "id");
        json_builder_add_value(b, json_node_copy(id));
    }
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "class");
    json_builder_add_string_value(b, qmp_error_class_names[cls]);
    json_builder_set_member_name(b, "desc");
    json_builder_add_string_value(b, desc);
    json_builder_end_object(b);
    if (id && !id_first) {
        json_builder_set_member_name(b, "id");
        json_builder_add_value(b, json_node_copy(id));
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    qmp_send(mon, root);
}

static void qmp_send_return(Monitor *mon, JsonNode *ret, JsonNode *id)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();

    json_object_set_member(o, "return", ret);
    if (id) {
        json_object_set_member(o, "id", json_node_copy(id));
    }
    json_node_take_object(root, o);
    qmp_send(mon, root);
}

static const char *json_type_name(JsonNode *n)
{
    switch (json_node_get_node_type(n)) {
    case JSON_NODE_OBJECT: return "object";
    case JSON_NODE_ARRAY: return "array";
    case JSON_NODE_NULL: return "null";
    default:
        switch (json_node_get_value_type(n)) {
        case G_TYPE_BOOLEAN: return "boolean";
        case G_TYPE_STRING: return "string";
        case G_TYPE_INT64: return "integer";
        default: return "number";
        }
    }
}

static bool qmp_check_args(const QMPCommand *cmd, JsonObject *args, QMPError *err)
{
    static const char *const expected[] = {
        [QMP_ARG_STR] = "string", [QMP_ARG_BOOL] = "boolean", [QMP_ARG_INT] = "integer",
    };
    GList *members = json_object_get_members(args);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        const QMPArgDesc *d = NULL;

        for (const QMPArgDesc *a = cmd->args; a->name; a++) {
            if (!strcmp(a->name, l->data)) {
                d = a;
            }
        }
        if (!d) {
            qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' is unexpected",
                          (const char *)l->data);
            ok = false;
            break;
        }
        if (d->type != QMP_ARG_ANY &&
            strcmp(json_type_name(json_object_get_member(args, d->name)), expected[d->type])) {
            qmp_error_set(err, QMP_ERROR_GENERIC, "Invalid parameter type for '%s', expected: %s",
                          d->name, expected[d->type]);
            ok = false;
        }
    }
    g_list_free(members);
    for (const QMPArgDesc *a = cmd->args; ok && a->name; a++) {
        if (!a->optional && !json_object_has_member(args, a->name)) {
            qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' is missing", a->name);
            ok = false;
        }
    }
    return ok;
}

static const QMPCommand *qmp_find_command(const char *name)
{
    for (const QMPCommand *c = qmp_commands; c->name; c++) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static void qmp_dispatch(Monitor *mon, JsonNode *root)
{
    JsonObject *req;
    JsonNode *id, *exec, *argn;
    const char *name;
    const QMPCommand *cmd;
    g_autoptr(JsonObject) empty = json_object_new();
    JsonObject *args;
    QMPError err = { 0 };
    JsonNode *ret;
    GList *members;

    if (!root || json_node_get_node_type(root) != JSON_NODE_OBJECT) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, "QMP input must be a JSON object", NULL, false);
        return;
    }
    req = json_node_get_object(root);
    id = json_object_get_member(req, "id");
    members = json_object_get_members(req);
    for (GList *l = members; l; l = l->next) {
        if (strcmp(l->data, "execute") && strcmp(l->data, "arguments") && strcmp(l->data, "id")) {
            g_autofree char *desc = g_strdup_printf("QMP input member '%s' is unexpected",
                                                    (const char *)l->data);
            g_list_free(members);
            qmp_send_error(mon, QMP_ERROR_GENERIC, desc, id, false);
            return;
        }
    }
    g_list_free(members);
    exec = json_object_get_member(req, "execute");
    if (!exec) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, "QMP input lacks member 'execute'", id, true);
        return;
    }
    if (json_node_get_value_type(exec) != G_TYPE_STRING) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, "QMP input member 'execute' must be a string", id,
                       false);
        return;
    }
    argn = json_object_get_member(req, "arguments");
    if (argn && json_node_get_node_type(argn) != JSON_NODE_OBJECT) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, "QMP input member 'arguments' must be an object",
                       id, false);
        return;
    }
    args = argn ? json_node_get_object(argn) : empty;
    name = json_node_get_string(exec);
    trace_event(monitor_qmp_cmd, "%s", name);
    if (!mon->caps_done && strcmp(name, "qmp_capabilities")) {
        qmp_send_error(mon, QMP_ERROR_COMMAND_NOT_FOUND,
                       "Expecting capabilities negotiation with 'qmp_capabilities'", id, false);
        return;
    }
    if (mon->caps_done && !strcmp(name, "qmp_capabilities")) {
        qmp_send_error(mon, QMP_ERROR_COMMAND_NOT_FOUND,
                       "Capabilities negotiation is already complete, command ignored", id,
                       false);
        return;
    }
    cmd = qmp_find_command(name);
    if (!cmd) {
        g_autofree char *desc = g_strdup_printf("The command %s has not been found", name);
        qmp_send_error(mon, QMP_ERROR_COMMAND_NOT_FOUND, desc, id, false);
        return;
    }
    ret = qmp_check_args(cmd, args, &err) ? cmd->fn(mon, args, &err) : NULL;
    if (!ret) {
        qmp_send_error(mon, err.cls, err.desc ? err.desc : "failed", id, false);
        g_free(err.desc);
        return;
    }
    qmp_send_return(mon, ret, id);
}

/* json-glib's words for what is wrong, in QEMU's "JSON parse error, ..." */
static char *qmp_parse_error_desc(const GError *gerr)
{
    const char *what;

    switch (gerr->code) {
    case JSON_PARSER_ERROR_TRAILING_COMMA: what = "trailing comma"; break;
    case JSON_PARSER_ERROR_MISSING_COMMA: what = "expected separator"; break;
    case JSON_PARSER_ERROR_MISSING_COLON: what = "missing : in object pair"; break;
    case JSON_PARSER_ERROR_INVALID_BAREWORD: what = "invalid keyword"; break;
    case JSON_PARSER_ERROR_EMPTY_MEMBER_NAME: what = "empty member name"; break;
    case JSON_PARSER_ERROR_INVALID_DATA: what = "invalid data (not UTF-8?)"; break;
    default: what = "expecting value"; break;
    }
    return g_strdup_printf("JSON parse error, %s", what);
}

static void qmp_text(void *opaque, const char *text, size_t len, const char *error)
{
    Monitor *mon = opaque;
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) gerr = NULL;

    if (error) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, error, NULL, false);
        return;
    }
    if (memchr(text, '\0', len)) {
        qmp_send_error(mon, QMP_ERROR_GENERIC, "JSON parse error, stray NUL byte", NULL, false);
        return;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, text, len, &gerr)) {
        /* A stray closing bracket: QEMU's "expecting value". */
        g_autofree char *desc = (text[0] == '}' || text[0] == ']')
                                    ? g_strdup("JSON parse error, expecting value")
                                    : qmp_parse_error_desc(gerr);
        qmp_send_error(mon, QMP_ERROR_GENERIC, desc, NULL, false);
        return;
    }
    qmp_dispatch(mon, json_parser_get_root(parser));
}

void qmp_handle_input(Monitor *mon, const uint8_t *buf, int len)
{
    json_framer_feed(&mon->framer, buf, len, qmp_text, mon);
}

void qmp_broadcast_event(const char *name, JsonNode *data)
{
    GPtrArray *mons = monitor_list();
    gint64 now = g_get_real_time();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();
    JsonObject *ts = json_object_new();

    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(o, "timestamp", ts);
    json_object_set_string_member(o, "event", name);
    if (data) {
        json_object_set_member(o, "data", data);
    }
    json_node_take_object(root, o);
    trace_event(monitor_qmp_event, "%s", name);
    for (guint i = 0; i < mons->len; i++) {
        Monitor *mon = g_ptr_array_index(mons, i);

        if (mon->is_qmp && mon->caps_done) {
            qmp_send(mon, root);
        }
    }
}
