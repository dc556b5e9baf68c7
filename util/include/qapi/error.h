/*
 * Error reporting in the QEMU style: set-up paths take an Error **errp
 * and return bool (or NULL) on failure; the caller decides what to do
 * with the message, and only main() prints it and exits.
 */
#ifndef QAPI_ERROR_H
#define QAPI_ERROR_H

#include <glib.h>
#include <stdbool.h>

typedef struct Error Error;

void error_setg(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Appends ": strerror(os_errno)" to the message. */
void error_setg_errno(Error **errp, int os_errno, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Prefixes an already-set error with more context ("opening x: ..."). */
void error_prepend(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Moves local into *dst (or frees it when dst is NULL or already set). */
void error_propagate(Error **dst, Error *local);
const char *error_get_pretty(const Error *err);
void error_free(Error *err);
/* Prints "duet: <message>" (program name set by error_set_progname). */
void error_report_err(Error *err);
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void error_set_progname(const char *name);
const char *error_get_progname(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Error, error_free)

#endif
