/*
 * Requests that change the machine's run state.  Devices and vCPUs only
 * ask; the main loop (system/runstate.c, driven by vl.c) acts on them.
 */
#ifndef SYSEMU_RUNSTATE_H
#define SYSEMU_RUNSTATE_H

#include <stdbool.h>

typedef void QEMUResetHandler(void *opaque);

/* The machine's run state, QEMU's names (query-status, info status). */
typedef enum RunState {
    RUN_STATE_PRELAUNCH,       /* -S: built, the vCPU not started yet */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,          /* stop */
    RUN_STATE_DEBUG,           /* stopped by a debugger */
    RUN_STATE_INTERNAL_ERROR,  /* the accelerator gave up */
    RUN_STATE_SHUTDOWN,
    RUN_STATE__MAX,
} RunState;

/* Why a reset or shutdown happens: QEMU's ShutdownCause, as the RESET
 * and SHUTDOWN events report it ("guest-reset", "host-qmp-quit"). */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_HOST_UI,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_GUEST_PANIC,
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,
    SHUTDOWN_CAUSE__MAX,
} ShutdownCause;

const char *runstate_name(RunState state);
RunState runstate_get(void);
bool runstate_is_running(void);
/* Sets the state and tells the listeners (main thread, BQL held). */
void runstate_set(RunState state);
const char *shutdown_cause_name(ShutdownCause cause);
bool shutdown_caused_by_guest(ShutdownCause cause);

/* Who wants to know about run-state changes, resets and shutdowns (the
 * monitor's events).  Called on the main thread with the BQL held. */
typedef struct RunStateListener {
    void (*state_changed)(void *opaque, RunState old_state, RunState new_state);
    void (*reset)(void *opaque, ShutdownCause cause);
    void (*shutdown)(void *opaque, ShutdownCause cause);
} RunStateListener;
void runstate_add_listener(const RunStateListener *l, void *opaque);
void runstate_remove_listener(const RunStateListener *l, void *opaque);
/* The main loop, after it carried out a reset / before it shuts down. */
void runstate_notify_reset(ShutdownCause cause);
void runstate_notify_shutdown(ShutdownCause cause);

/* Run at every system reset, in registration order. */
void qemu_register_reset(QEMUResetHandler *func, void *opaque);
void qemu_unregister_reset(QEMUResetHandler *func, void *opaque);

/* system_powerdown (HMP, QMP): the ACPI power button is pressed; the
 * board's notifier (the PM1 block's PWRBTN_STS) tells the guest. */
void qemu_register_powerdown_notifier(QEMUResetHandler *func, void *opaque);
void qemu_unregister_powerdown_notifier(QEMUResetHandler *func, void *opaque);
/* False when nothing listens (no ACPI power button to press). */
bool qemu_system_powerdown_request(void);

/* Guest asked for a reset (i8042 0xFE, triple fault); -no-reboot turns it
 * into a shutdown with status 0. */
void qemu_system_reset_request(void);
void qemu_system_reset_request_cause(ShutdownCause cause);
/* Guest or host asked to stop; duet exits with exit_status. */
void qemu_system_shutdown_request(int exit_status);
/* The same with a cause other than the guest's (quit: HOST_QMP_QUIT). */
void qemu_system_shutdown_request_cause(int exit_status, ShutdownCause cause);
/* The cause of the pending shutdown (NONE: none). */
ShutdownCause qemu_system_shutdown_cause(void);
/* A fatal accelerator error: already reported; exit with status 1. */
void qemu_system_fatal_request(void);
bool qemu_system_shutdown_pending(int *exit_status);

/* For the main loop: takes (test-and-clears) a pending reset request;
 * its cause, SHUTDOWN_CAUSE_NONE (0) when there was none. */
ShutdownCause qemu_reset_requested(void);
/* A vCPU stopped itself for the debugger (a breakpoint, a watchpoint,
 * a single step: exec/breakpoint.h); the main loop moves the VM to
 * RUN_STATE_DEBUG.  qemu_debug_requested test-and-clears. */
void qemu_system_debug_request(void);
bool qemu_debug_requested(void);
/* Any reset/shutdown/fatal request not yet acted on: a vCPU does not
 * re-enter the guest while one is pending. */
bool qemu_system_request_pending(void);
/* Runs the registered reset handlers (the main loop, at every reset). */
void qemu_devices_reset(void);

#endif
