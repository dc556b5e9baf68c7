/*
 * -accel kvm: the vCPU thread.  kvm_cpu_exec runs KVM_RUN until an exit
 * needs this loop (halt without the in-kernel irqchip, a kick, a
 * run-state request); the loop's pieces are shared (sysemu/cpus.h).
 */
#include "kvm-internal.h"
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"

void *kvm_vcpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;

    cpu_thread_signal_created(cpu);
    while (!cpu->unplug) {
        if (cpu_can_run(cpu)) {
            bql_unlock();
            int ret = kvm_cpu_exec(cpu);
            bql_lock();
            cpu_handle_exec_result(cpu, ret);
        }
        qemu_wait_io_event(cpu);
    }
    cpu_thread_signal_destroyed(cpu);
    return NULL;
}
