/*
 * QMP events from the run state (system/runstate.c's listeners), QEMU's
 * names and data: STOP and RESUME (no data), RESET and SHUTDOWN with
 * {"guest": bool, "reason": "host-qmp-quit"|"guest-reset"|...}.
 */
#include "monitor-internal.h"
#include "sysemu/runstate.h"

static JsonNode *cause_data(ShutdownCause cause)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();

    json_object_set_boolean_member(o, "guest", shutdown_caused_by_guest(cause));
    json_object_set_string_member(o, "reason", shutdown_cause_name(cause));
    json_node_take_object(n, o);
    return n;
}

static void qmp_state_changed(void *opaque, RunState old_state, RunState new_state)
{
    if (new_state == RUN_STATE_RUNNING) {
        qmp_broadcast_event("RESUME", NULL);
    } else if (old_state == RUN_STATE_RUNNING &&
               (new_state == RUN_STATE_PAUSED || new_state == RUN_STATE_DEBUG)) {
        qmp_broadcast_event("STOP", NULL);
    }
}

static void qmp_reset(void *opaque, ShutdownCause cause)
{
    qmp_broadcast_event("RESET", cause_data(cause));
}

static void qmp_shutdown(void *opaque, ShutdownCause cause)
{
    qmp_broadcast_event("SHUTDOWN", cause_data(cause));
}

static const RunStateListener qmp_runstate_listener = {
    .state_changed = qmp_state_changed,
    .reset = qmp_reset,
    .shutdown = qmp_shutdown,
};

void qmp_events_init(void)
{
    static bool done;

    if (!done) {
        runstate_add_listener(&qmp_runstate_listener, NULL);
        done = true;
    }
}
