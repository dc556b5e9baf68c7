/* Thread creation: the qemu_thread_start wrapper (qemu/thread.h). */
#include "qemu/thread.h"
#include "trace/trace.h"

typedef struct QemuThreadArgs {
    char *name;
    QemuThreadFunc *fn;
    void *arg;
} QemuThreadArgs;

/* Kept as a frame of its own (noinline, and the project builds without
 * sibling calls): gdb shows it under every thread function. */
static __attribute__((noinline)) gpointer qemu_thread_start(gpointer opaque)
{
    QemuThreadArgs *args = opaque;
    QemuThreadFunc *fn = args->fn;
    void *arg = args->arg;

    trace_set_thread_name(args->name);
    g_free(args->name);
    g_free(args);
    return fn(arg);
}

GThread *qemu_thread_create(const char *name, QemuThreadFunc *fn, void *arg, Error **errp)
{
    QemuThreadArgs *args = g_new(QemuThreadArgs, 1);
    GError *gerr = NULL;
    GThread *thread;

    args->name = g_strdup(name);
    args->fn = fn;
    args->arg = arg;
    thread = g_thread_try_new(name, qemu_thread_start, args, &gerr);
    if (!thread) {
        error_setg(errp, "cannot start thread '%s': %s", name, gerr->message);
        g_error_free(gerr);
        g_free(args->name);
        g_free(args);
    }
    return thread;
}
