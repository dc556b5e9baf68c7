/*
 * JSON output as QEMU writes it: compact with ", " and ": " between
 * members, or pretty (4 spaces a level); strings go through the one
 * string emitter (qemu/json-string.h), so a reply is plain ASCII on one
 * line.
 */
#include <inttypes.h>
#include <math.h>

#include "monitor-internal.h"
#include "qemu/json-string.h"

static void json_out_newline(GString *out, bool pretty, int indent)
{
    if (pretty) {
        g_string_append_c(out, '\n');
        for (int i = 0; i < indent; i++) {
            g_string_append(out, "    ");
        }
    }
}

void json_out_node(GString *out, JsonNode *node, bool pretty, int indent)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_NULL:
        g_string_append(out, "null");
        break;
    case JSON_NODE_VALUE:
        switch (json_node_get_value_type(node)) {
        case G_TYPE_BOOLEAN:
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
            break;
        case G_TYPE_INT64:
            g_string_append_printf(out, "%" PRId64, json_node_get_int(node));
            break;
        case G_TYPE_DOUBLE: {
            double d = json_node_get_double(node);
            if (isfinite(d)) {
                char tmp[G_ASCII_DTOSTR_BUF_SIZE];
                g_string_append(out, g_ascii_dtostr(tmp, sizeof(tmp), d));
            } else {
                g_string_append(out, "null");
            }
            break;
        }
        case G_TYPE_STRING:
            json_append_string(out, json_node_get_string(node));
            break;
        default:
            g_string_append(out, "null");
        }
        break;
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        guint n = json_array_get_length(a);

        g_string_append_c(out, '[');
        for (guint i = 0; i < n; i++) {
            if (i) {
                g_string_append_c(out, ',');
                if (!pretty) {
                    g_string_append_c(out, ' ');
                }
            }
            json_out_newline(out, pretty, indent + 1);
            json_out_node(out, json_array_get_element(a, i), pretty, indent + 1);
        }
        if (n) {
            json_out_newline(out, pretty, indent);
        }
        g_string_append_c(out, ']');
        break;
    }
    case JSON_NODE_OBJECT: {
        JsonObject *o = json_node_get_object(node);
        GList *members = json_object_get_members(o); /* in insertion order */

        g_string_append_c(out, '{');
        for (GList *l = members; l; l = l->next) {
            if (l != members) {
                g_string_append_c(out, ',');
                if (!pretty) {
                    g_string_append_c(out, ' ');
                }
            }
            json_out_newline(out, pretty, indent + 1);
            json_append_string(out, l->data);
            g_string_append(out, ": ");
            json_out_node(out, json_object_get_member(o, l->data), pretty, indent + 1);
        }
        if (members) {
            json_out_newline(out, pretty, indent);
        }
        g_list_free(members);
        g_string_append_c(out, '}');
        break;
    }
    }
}
