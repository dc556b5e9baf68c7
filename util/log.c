/* Category logging behind -d and -D. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "qemu/log.h"
#include "qemu/option.h"

int qemu_loglevel;
static FILE *log_file;
static GMutex log_lock;

static const struct {
    int mask;
    const char *name;
    const char *help;
} log_items[] = {
    { CPU_LOG_TB_IN_ASM, "in_asm", "show guest code as each block is decoded" },
    { CPU_LOG_INT, "int", "show exceptions and interrupts" },
    { CPU_LOG_TB_CPU, "cpu", "show CPU registers before entering a block" },
    { CPU_LOG_EXEC, "exec", "show each block executed" },
    { LOG_GUEST_ERROR, "guest_errors", "log when the guest does something invalid" },
    { LOG_UNIMP, "unimp", "log unimplemented device features" },
    { CPU_LOG_RESET, "cpu_reset", "show CPU state at reset" },
};

FILE *qemu_log_file(void)
{
    return log_file ? log_file : stderr;
}

void qemu_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_mutex_lock(&log_lock);
    vfprintf(qemu_log_file(), fmt, ap);
    fflush(qemu_log_file());
    g_mutex_unlock(&log_lock);
    va_end(ap);
}

void qemu_log_print_items(FILE *out)
{
    fprintf(out, "Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        fprintf(out, "%-15s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool qemu_set_log_items(const char *list, Error **errp)
{
    int mask = 0;
    g_auto(GStrv) items = qemu_opt_split_list(list); /* a value list, as -initrd */

    for (int i = 0; items[i]; i++) {
        const char *item = items[i];
        bool found = false;
        if (!*item) {
            continue;
        }
        if (!strcmp(item, "help")) {
            qemu_log_print_items(stdout);
            error_setg(errp, "help");
            return false;
        }
        for (size_t j = 0; j < G_N_ELEMENTS(log_items); j++) {
            if (!strcmp(item, log_items[j].name)) {
                mask |= log_items[j].mask;
                found = true;
            }
        }
        if (!found) {
            error_setg(errp, "unknown log item '%s' (try -d help)", item);
            return false;
        }
    }
    qemu_loglevel = mask;
    return true;
}

bool qemu_set_log_filename(const char *filename, Error **errp)
{
    FILE *f = fopen(filename, "w");
    if (!f) {
        error_setg_errno(errp, errno, "cannot open log file");
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    qemu_log_close();
    log_file = f;
    return true;
}

void qemu_log_close(void)
{
    if (log_file) {
        fclose(log_file);
        log_file = NULL;
    }
}
