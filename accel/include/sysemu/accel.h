/*
 * The accelerators duet knows (accel/accel.c holds the one list).
 */
#ifndef SYSEMU_ACCEL_H
#define SYSEMU_ACCEL_H

#include <stdio.h>

#include "sysemu/accel-ops.h"

/* The tables, each in its accelerator's folder. */
extern const AccelOps tcg_accel_ops;  /* accel/tcg/tcg-accel-ops.c */
extern const AccelOps kvm_accel_ops;  /* accel/kvm/kvm-all.c */

/* NULL when no accelerator has that name. */
const AccelOps *accel_find(const char *name);
/* The accelerator used without -accel (QEMU's default: tcg). */
const AccelOps *accel_default(void);
/* "-accel help": every accelerator, usable here or why not. */
void accel_print_list(FILE *out);
/*
 * "-accel NAME[,KEY=VALUE...]" ("accel" is the implied key) checked
 * against NAME's options.  A help request ("help", "kvm,help",
 * "kvm,kernel-irqchip=help") is printed to @out and sets *help; then, and
 * on error, NULL.
 */
QemuOpts *accel_opts_parse(const char *str, FILE *out, bool *help, Error **errp);

#endif
