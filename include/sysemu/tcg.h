/*
 * -accel tcg: duet's x86 interpreter (accel/tcg/).
 */
#ifndef SYSEMU_TCG_H
#define SYSEMU_TCG_H

#include "sysemu/accel-ops.h"

extern const AccelOps tcg_accel_ops;

#endif
