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
#include "trace/trace.h"

typedef struct QEMUResetEntry {
    QEMUResetHandler *func;
    void *opaque;
} QEMUResetEntry;

static GArray *reset_handlers; /* of QEMUResetEntry, in registration order */

static int reset_requested;    /* atomic */
static int shutdown_requested; /* atomic: 0, or exit status + 1 */

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

void qemu_system_reset_request(void)
{
    trace_event(runstate_reset_request, "%s", "guest or host asked");
    __atomic_store_n(&reset_requested, 1, __ATOMIC_SEQ_CST);
    cpu_stop_current();
    qemu_notify_event();
}

void qemu_system_shutdown_request(int exit_status)
{
    int expected = 0;

    trace_event(runstate_shutdown_request, "status=%d", exit_status);
    __atomic_compare_exchange_n(&shutdown_requested, &expected, exit_status + 1, false,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    cpu_stop_current();
    qemu_notify_event();
}

void qemu_system_fatal_request(void)
{
    qemu_system_shutdown_request(1);
}

bool qemu_system_shutdown_pending(int *exit_status)
{
    int value = __atomic_load_n(&shutdown_requested, __ATOMIC_SEQ_CST);
    if (value && exit_status) {
        *exit_status = value - 1;
    }
    return value != 0;
}

bool qemu_reset_requested(void)
{
    return __atomic_exchange_n(&reset_requested, 0, __ATOMIC_SEQ_CST) != 0;
}

bool qemu_system_request_pending(void)
{
    return __atomic_load_n(&reset_requested, __ATOMIC_SEQ_CST) ||
           __atomic_load_n(&shutdown_requested, __ATOMIC_SEQ_CST);
}
