/*
 * The big QEMU lock and the requests other threads make of a vCPU.
 *
 * The BQL is a plain (non-recursive) mutex; a thread-local flag lets code
 * ask whether this thread holds it, so helpers that may be reached with or
 * without it (cpu_interrupt) can take it only when needed.
 */
#include <assert.h>

#include "exec/cpu.h"
#include "qemu/main-loop.h"
#include "sysemu/accel-ops.h"
#include "sysemu/cpus.h"

static GMutex bql;
static __thread bool bql_held;
__thread CPUState *current_cpu;

void bql_lock(void)
{
    assert(!bql_held);
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    assert(bql_held);
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

void qemu_cond_wait_bql(GCond *cond)
{
    assert(bql_held);
    bql_held = false;
    g_cond_wait(cond, &bql);
    bql_held = true;
}

void qemu_cpu_kick(CPUState *cpu)
{
    /*
     * The halt wait checks its condition with the BQL held, so broadcast
     * under it too: otherwise the wake-up could fall between the check
     * and the wait and be lost.
     */
    bool locked = bql_locked();
    if (!locked) {
        bql_lock();
    }
    g_cond_broadcast(cpu_halt_cond(cpu));
    if (!locked) {
        bql_unlock();
    }
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
    if (cpu->accel_ops && cpu->accel_ops->kick_vcpu) {
        cpu->accel_ops->kick_vcpu(cpu);
    }
}

void cpu_exit(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
}

void cpu_interrupt(CPUState *cpu, int mask)
{
    __atomic_fetch_or(&cpu->interrupt_request, mask, __ATOMIC_SEQ_CST);
    qemu_cpu_kick(cpu);
}

void cpu_reset_interrupt(CPUState *cpu, int mask)
{
    __atomic_fetch_and(&cpu->interrupt_request, ~mask, __ATOMIC_SEQ_CST);
}

bool cpu_has_work(CPUState *cpu)
{
    int request = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);

    if (cpu->env.wait_for_sipi) {
        return (request & (CPU_INTERRUPT_SIPI | CPU_INTERRUPT_INIT)) != 0;
    }
    /* SDM vol.3 6.8.1: HLT is left on an unmasked external interrupt,
     * an NMI, or INIT. */
    if ((request & CPU_INTERRUPT_HARD) && (cpu->env.eflags & IF_MASK)) {
        return true;
    }
    return (request & (CPU_INTERRUPT_NMI | CPU_INTERRUPT_INIT)) != 0;
}
