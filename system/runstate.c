/*
 * Run-state requests and the reset handler registry.
 *
 * Any thread (a vCPU in a device callback, the main loop, a signal
 * handler) may ask for a reset or a shutdown; it only sets an atomic flag
 * and wakes the main loop, which acts on it between iterations.  The
 * first shutdown request decides the exit status.
 */
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"
#include "trace/trace.h"

/* Here, not in vl.c: the accelerators look it up, and their unit tests
 * link without the main program (NULL there). */
MachineState *current_machine;

typedef struct QEMUResetEntry {
    QEMUResetHandler *func;
    void *opaque;
} QEMUResetEntry;

static GArray *reset_handlers; /* of QEMUResetEntry, in registration order */
static GArray *powerdown_notifiers; /* of QEMUResetEntry */

static int reset_requested;    /* atomic: a ShutdownCause, 0 for none */
static int shutdown_requested; /* atomic: 0, or exit status + 1 */
static int shutdown_cause;     /* atomic: of the first shutdown request */
static int debug_requested;    /* atomic: a vCPU stopped for the debugger */

static RunState current_run_state = RUN_STATE_PRELAUNCH;

typedef struct RunStateListenerEntry {
    const RunStateListener *l;
    void *opaque;
} RunStateListenerEntry;
static GArray *listeners; /* of RunStateListenerEntry */

static const char *const run_state_names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_SHUTDOWN] = "shutdown",
};

static const char *const shutdown_cause_names[SHUTDOWN_CAUSE__MAX] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
    [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
};

const char *runstate_name(RunState state)
{
    return state < RUN_STATE__MAX ? run_state_names[state] : "unknown";
}

RunState runstate_get(void)
{
    return current_run_state;
}

bool runstate_is_running(void)
{
    return current_run_state == RUN_STATE_RUNNING;
}

void runstate_set(RunState state)
{
    RunState old = current_run_state;

    if (old == state) {
        return;
    }
    trace_event(runstate_set, "%s -> %s", runstate_name(old), runstate_name(state));
    current_run_state = state;
    for (guint i = 0; listeners && i < listeners->len; i++) {
        RunStateListenerEntry *e = &g_array_index(listeners, RunStateListenerEntry, i);
        if (e->l->state_changed) {
            e->l->state_changed(e->opaque, old, state);
        }
    }
}

const char *shutdown_cause_name(ShutdownCause cause)
{
    return cause < SHUTDOWN_CAUSE__MAX ? shutdown_cause_names[cause] : "none";
}

bool shutdown_caused_by_guest(ShutdownCause cause)
{
    return cause >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN && cause <= SHUTDOWN_CAUSE_GUEST_PANIC;
}

void runstate_add_listener(const RunStateListener *l, void *opaque)
{
    RunStateListenerEntry e = { l, opaque };

    if (!listeners) {
        listeners = g_array_new(false, false, sizeof(RunStateListenerEntry));
    }
    g_array_append_val(listeners, e);
}

void runstate_remove_listener(const RunStateListener *l, void *opaque)
{
    for (guint i = 0; listeners && i < listeners->len; i++) {
        RunStateListenerEntry *e = &g_array_index(listeners, RunStateListenerEntry, i);
        if (e->l == l && e->opaque == opaque) {
            g_array_remove_index(listeners, i);
            return;
        }
    }
}

void runstate_notify_reset(ShutdownCause cause)
{
    for (guint i = 0; listeners && i < listeners->len; i++) {
        RunStateListenerEntry *e = &g_array_index(listeners, RunStateListenerEntry, i);
        if (e->l->reset) {
            e->l->reset(e->opaque, cause);
        }
    }
}

void runstate_notify_shutdown(ShutdownCause cause)
{
    for (guint i = 0; listeners && i < listeners->len; i++) {
        RunStateListenerEntry *e = &g_array_index(listeners, RunStateListenerEntry, i);
        if (e->l->shutdown) {
            e->l->shutdown(e->opaque, cause);
        }
    }
}

void qemu_register_reset(QEMUResetHandler *func, void *opaque)
{
    if (!reset_handlers) {
        reset_handlers = g_array_new(false, false, sizeof(QEMUResetEntry));
    }
    QEMUResetEntry entry = { func, opaque };
    g_array_append_val(reset_handlers, entry);
}

void qemu_unregister_reset(QEMUResetHandler *func, void *opaque)
{
    for (guint i = 0; reset_handlers && i < reset_handlers->len; i++) {
        QEMUResetEntry *entry = &g_array_index(reset_handlers, QEMUResetEntry, i);
        if (entry->func == func && entry->opaque == opaque) {
            g_array_remove_index(reset_handlers, i);
            return;
        }
    }
}

void qemu_register_powerdown_notifier(QEMUResetHandler *func, void *opaque)
{
    QEMUResetEntry entry = { func, opaque };

    if (!powerdown_notifiers) {
        powerdown_notifiers = g_array_new(false, false, sizeof(QEMUResetEntry));
    }
    g_array_append_val(powerdown_notifiers, entry);
}

void qemu_unregister_powerdown_notifier(QEMUResetHandler *func, void *opaque)
{
    for (guint i = 0; powerdown_notifiers && i < powerdown_notifiers->len; i++) {
        QEMUResetEntry *entry = &g_array_index(powerdown_notifiers, QEMUResetEntry, i);
        if (entry->func == func && entry->opaque == opaque) {
            g_array_remove_index(powerdown_notifiers, i);
            return;
        }
    }
}

bool qemu_system_powerdown_request(void)
{
    for (guint i = 0; powerdown_notifiers && i < powerdown_notifiers->len; i++) {
        QEMUResetEntry *entry = &g_array_index(powerdown_notifiers, QEMUResetEntry, i);
        entry->func(entry->opaque);
    }
    return powerdown_notifiers && powerdown_notifiers->len;
}

void qemu_devices_reset(void)
{
    for (guint i = 0; reset_handlers && i < reset_handlers->len; i++) {
        QEMUResetEntry *entry = &g_array_index(reset_handlers, QEMUResetEntry, i);
        entry->func(entry->opaque);
    }
}

/*
 * A vCPU that asks (a device callback on its thread) runs no further guest
 * code: what follows the guest's reset or exit write must not happen, as
 * on hardware, where the machine is gone by then.
 */
static void cpu_stop_current(void)
{
    if (current_cpu) {
        cpu_exit(current_cpu);
    }
}

void qemu_system_reset_request_cause(ShutdownCause cause)
{
    trace_event(runstate_reset_request, "cause=%s", shutdown_cause_name(cause));
    __atomic_store_n(&reset_requested, (int)cause, __ATOMIC_SEQ_CST);
    cpu_stop_current();
    qemu_notify_event();
}

void qemu_system_reset_request(void)
{
    qemu_system_reset_request_cause(SHUTDOWN_CAUSE_GUEST_RESET);
}

void qemu_system_shutdown_request_cause(int exit_status, ShutdownCause cause)
{
    int expected = 0;

    trace_event(runstate_shutdown_request, "status=%d cause=%s", exit_status,
                shutdown_cause_name(cause));
    if (__atomic_compare_exchange_n(&shutdown_requested, &expected, exit_status + 1, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&shutdown_cause, (int)cause, __ATOMIC_SEQ_CST);
    }
    cpu_stop_current();
    qemu_notify_event();
}

void qemu_system_shutdown_request(int exit_status)
{
    qemu_system_shutdown_request_cause(exit_status, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
}

ShutdownCause qemu_system_shutdown_cause(void)
{
    return __atomic_load_n(&shutdown_cause, __ATOMIC_SEQ_CST);
}

void qemu_system_fatal_request(void)
{
    qemu_system_shutdown_request_cause(1, SHUTDOWN_CAUSE_HOST_ERROR);
}

bool qemu_system_shutdown_pending(int *exit_status)
{
    int value = __atomic_load_n(&shutdown_requested, __ATOMIC_SEQ_CST);
    if (value && exit_status) {
        *exit_status = value - 1;
    }
    return value != 0;
}

ShutdownCause qemu_reset_requested(void)
{
    return __atomic_exchange_n(&reset_requested, 0, __ATOMIC_SEQ_CST);
}

void qemu_system_debug_request(void)
{
    trace_event(runstate_debug_request, "%s", "");
    __atomic_store_n(&debug_requested, 1, __ATOMIC_SEQ_CST);
    qemu_notify_event();
}

bool qemu_debug_requested(void)
{
    return __atomic_exchange_n(&debug_requested, 0, __ATOMIC_SEQ_CST);
}

bool qemu_system_request_pending(void)
{
    return __atomic_load_n(&reset_requested, __ATOMIC_SEQ_CST) ||
           __atomic_load_n(&shutdown_requested, __ATOMIC_SEQ_CST);
}
