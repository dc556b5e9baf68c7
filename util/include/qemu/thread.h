/*
 * Named threads, QEMU's way: every thread duet starts goes through
 * qemu_thread_start, which names it (the OS name and the trace track)
 * before it calls the thread's function, so backtraces read
 * <fn> <- qemu_thread_start on every thread, as in QEMU.
 */
#ifndef QEMU_THREAD_H
#define QEMU_THREAD_H

#include <glib.h>

#include "qapi/error.h"

typedef void *QemuThreadFunc(void *arg);

/* Starts @fn(@arg) on a new thread called @name (at most 15 bytes are
 * kept); NULL and errp set when the thread cannot be created.  Join it
 * with g_thread_join. */
GThread *qemu_thread_create(const char *name, QemuThreadFunc *fn, void *arg, Error **errp);

#endif
