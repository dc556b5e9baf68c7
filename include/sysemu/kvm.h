/*
 * -accel kvm: the Linux KVM API (accel/kvm/).
 */
#ifndef SYSEMU_KVM_H
#define SYSEMU_KVM_H

#include "sysemu/accel-ops.h"

extern const AccelOps kvm_accel_ops;

#endif
