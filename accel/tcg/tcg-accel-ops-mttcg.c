/*
 * -accel tcg: the vCPU thread, one per vCPU (QEMU's multi-threaded TCG
 * shape).  tcg_cpus_exec interprets until the loop is needed (exit
 * request, HLT); the loop's pieces are shared (sysemu/cpus.h).
 */
#include "tcg-cpu.h"
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"

void *mttcg_cpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;

    cpu_thread_signal_created(cpu);
    while (!cpu->unplug) {
        if (cpu_can_run(cpu)) {
            bql_unlock();
            int ret = tcg_cpus_exec(cpu);
            bql_lock();
            cpu_handle_exec_result(cpu, ret);
        }
        qemu_wait_io_event(cpu);
    }
    cpu_thread_signal_destroyed(cpu);
    return NULL;
}
