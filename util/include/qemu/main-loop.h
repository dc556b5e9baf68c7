/*
 * The main loop and the big QEMU lock (BQL).
 *
 * The main thread runs a GLib main context to which the main AioContext
 * is attached (fd handlers, bottom halves, timers of the block layer and
 * of devices).  vCPU threads run guest code without the BQL and take it
 * before touching devices, the memory tree or the block layer; the main
 * loop holds it while it dispatches.
 */
#ifndef QEMU_MAIN_LOOP_H
#define QEMU_MAIN_LOOP_H

#include <stdbool.h>
#include <glib.h>

#include "qapi/error.h"

typedef struct AioContext AioContext;

/* util/main-loop.c */
bool qemu_init_main_loop(Error **errp);
/* The AioContext the main loop runs (and the block layer by default). */
AioContext *qemu_get_aio_context(void);
/* One iteration: poll fds/timers/BHs (dropping the BQL while blocked). */
void main_loop_wait(bool nonblocking);
/* Makes a blocked main_loop_wait return (any thread). */
void qemu_notify_event(void);
/* util cannot call system/cpus.c: the main program passes the BQL functions
 * so main_loop_wait can drop the lock while it blocks (NULL: no lock). */
void qemu_main_loop_set_lock_hooks(void (*lock)(void), void (*unlock)(void),
                                   bool (*locked)(void));

/* system/cpus.c */
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);

#endif
