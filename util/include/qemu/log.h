/*
 * -d LIST / -D FILE: category logging, as qemu-system-x86_64 spells it.
 * The mask is process-wide (like QEMU's): it is set once by main before
 * any vCPU starts and only read afterwards.
 */
#ifndef QEMU_LOG_H
#define QEMU_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#include "qapi/error.h"

#define CPU_LOG_TB_IN_ASM (1 << 0) /* in_asm: each newly decoded block   */
#define CPU_LOG_INT       (1 << 1) /* int: exceptions and interrupts       */
#define CPU_LOG_TB_CPU    (1 << 2) /* cpu: registers at block boundaries   */
#define CPU_LOG_EXEC      (1 << 3) /* exec: each block executed            */
#define LOG_GUEST_ERROR   (1 << 4) /* guest_errors: guest did something bad */
#define LOG_UNIMP         (1 << 5) /* unimp: device feature not modelled    */
#define CPU_LOG_RESET     (1 << 6) /* cpu_reset: CPU state at reset         */

extern int qemu_loglevel;

static inline bool qemu_loglevel_mask(int mask)
{
    return (qemu_loglevel & mask) != 0;
}

void qemu_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* The log stream (stderr unless -D was given); for multi-line dumps. */
FILE *qemu_log_file(void);

#define qemu_log_mask(mask, ...)                                    \
    do {                                                            \
        if (G_UNLIKELY(qemu_loglevel_mask(mask))) {                 \
            qemu_log(__VA_ARGS__);                                  \
        }                                                           \
    } while (0)

/* Parses "in_asm,int,..." ("help" prints the list and returns false). */
bool qemu_set_log_items(const char *list, Error **errp);
bool qemu_set_log_filename(const char *filename, Error **errp);
void qemu_log_print_items(FILE *out);
void qemu_log_close(void);

#endif
