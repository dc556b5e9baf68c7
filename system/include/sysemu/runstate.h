/*
 * Requests that change the machine's run state.  Devices and vCPUs only
 * ask; the main loop (system/runstate.c, driven by vl.c) acts on them.
 */
#ifndef SYSEMU_RUNSTATE_H
#define SYSEMU_RUNSTATE_H

#include <stdbool.h>

typedef void QEMUResetHandler(void *opaque);

/* Run at every system reset, in registration order. */
void qemu_register_reset(QEMUResetHandler *func, void *opaque);
void qemu_unregister_reset(QEMUResetHandler *func, void *opaque);

/* Guest asked for a reset (i8042 0xFE, triple fault); -no-reboot turns it
 * into a shutdown with status 0. */
void qemu_system_reset_request(void);
/* Guest or host asked to stop; duet exits with exit_status. */
void qemu_system_shutdown_request(int exit_status);
/* A fatal accelerator error: already reported; exit with status 1. */
void qemu_system_fatal_request(void);
bool qemu_system_shutdown_pending(int *exit_status);

/* For the main loop: takes (test-and-clears) a pending reset request. */
bool qemu_reset_requested(void);
/* Any reset/shutdown/fatal request not yet acted on: a vCPU does not
 * re-enter the guest while one is pending. */
bool qemu_system_request_pending(void);
/* Runs the registered reset handlers (the main loop, at every reset). */
void qemu_devices_reset(void);

#endif
