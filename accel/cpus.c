/*
 * What every vCPU thread shares.  Each accelerator has its own thread
 * function (QEMU's names: mttcg_cpu_thread_fn, kvm_vcpu_thread_fn), a
 * short loop over these helpers: it runs the guest without the BQL and,
 * with the BQL held, acts on why the guest stopped; qemu_wait_io_event
 * sleeps on halt_cond while halted without work (never spins), parks
 * while stopped (reset, shutdown), and keeps out of the guest while a
 * run-state request waits for the main loop.
 */
#include <stdio.h>
#include <unistd.h>

#include "exec/cpu.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "sysemu/accel-ops.h"
#include "sysemu/cpus.h"
#include "sysemu/machine.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

/* Signalled (with the BQL) when a vCPU thread starts or stops. */
static GCond qemu_cpu_cond;

bool cpu_can_run(CPUState *cpu)
{
    if (cpu->stop || cpu->stopped || qemu_system_request_pending()) {
        return false;
    }
    if (cpu->env.halted && cpu_has_work(cpu)) {
        cpu->env.halted = false;
    }
    return !cpu->env.halted;
}

bool cpu_thread_is_idle(CPUState *cpu)
{
    if (cpu->stop || cpu->unplug) {
        return false;
    }
    if (cpu->stopped || qemu_system_request_pending()) {
        return true;
    }
    return cpu->env.halted && !cpu_has_work(cpu);
}

void qemu_wait_io_event_common(CPUState *cpu)
{
    if (cpu->stop) {
        cpu->stop = false;
        cpu->stopped = true;
        g_cond_broadcast(&qemu_cpu_cond);
    }
}

void qemu_wait_io_event(CPUState *cpu)
{
    for (;;) {
        qemu_wait_io_event_common(cpu);
        if (!cpu_thread_is_idle(cpu)) {
            return;
        }
        trace_event(cpu_idle_wait, "cpu=%d halted=%d stopped=%d", cpu->cpu_index,
                    cpu->env.halted, cpu->stopped);
        qemu_cond_wait_bql(cpu_halt_cond(cpu));
    }
}

void cpu_handle_exec_result(CPUState *cpu, int ret)
{
    switch (ret) {
    case EXCP_HLT:
        cpu->env.halted = true;
        break;
    case EXCP_DEBUG:
        /* Parked at once, so not one more instruction runs; the main
         * loop then stops the VM (RUN_STATE_DEBUG), which gdb is told. */
        cpu->stopped = true;
        g_cond_broadcast(&qemu_cpu_cond);
        qemu_system_debug_request();
        break;
    case EXCP_FATAL:
        /* Already reported; the main loop shuts down with status 1. */
        qemu_system_fatal_request();
        break;
    default:
        break;
    }
}

void cpu_thread_signal_created(CPUState *cpu)
{
    current_cpu = cpu;
    bql_lock();
    cpu->thread_id = pthread_self();
    cpu->tid = gettid();
    cpu->created = true;
    g_cond_broadcast(&qemu_cpu_cond);
}

void cpu_thread_signal_destroyed(CPUState *cpu)
{
    cpu->created = false;
    g_cond_broadcast(&qemu_cpu_cond);
    bql_unlock();
}

void cpu_thread_share(CPUState *cpu, CPUState *owner)
{
    cpu->thread = owner->thread;
    cpu->thread_id = owner->thread_id;
    cpu->tid = owner->tid;
    cpu->halt_cond = cpu_halt_cond(owner);
    cpu->created = true;
    g_cond_broadcast(&qemu_cpu_cond);
}

bool cpu_thread_start(CPUState *cpu, const char *name, void *(*fn)(void *), Error **errp)
{
    cpu->thread = qemu_thread_create(name, fn, cpu, errp);
    if (!cpu->thread) {
        return false;
    }
    while (!cpu->created) {
        qemu_cond_wait_bql(&qemu_cpu_cond);
    }
    return true;
}

bool qemu_init_vcpu(CPUState *cpu, bool start_paused, Error **errp)
{
    const AccelOps *ops = cpu->accel_ops;
    g_autofree char *accel_name = g_ascii_strup(ops->name, -1);
    g_autofree char *name = g_strdup_printf("CPU %d/%s", cpu->cpu_index, accel_name);

    cpu->stopped = start_paused;
    if (ops->create_vcpu_thread) {
        return ops->create_vcpu_thread(cpu, errp);
    }
    return cpu_thread_start(cpu, name, ops->cpu_thread_fn, errp);
}

void cpu_pause(CPUState *cpu)
{
    if (!cpu->thread || cpu->stopped) {
        return;
    }
    cpu->stop = true;
    qemu_cpu_kick(cpu);
    while (!cpu->stopped) {
        qemu_cond_wait_bql(&qemu_cpu_cond);
    }
}

void cpu_resume(CPUState *cpu)
{
    cpu->stop = false;
    cpu->stopped = false;
    g_cond_broadcast(cpu_halt_cond(cpu));
}

void cpu_stop_thread(CPUState *cpu)
{
    if (!cpu->thread) {
        return;
    }
    cpu->unplug = true;
    qemu_cpu_kick(cpu);
    while (cpu->created) {
        qemu_cond_wait_bql(&qemu_cpu_cond);
    }
    if (!cpu->thread) {
        return; /* a shared thread (thread=single), joined through its first vCPU */
    }
    /* The thread only has to drop the BQL and return now. */
    bql_unlock();
    g_thread_join(cpu->thread);
    bql_lock();
    cpu->thread = NULL;
}

static void cpu_synchronize(CPUState *cpu)
{
    if (cpu->accel_ops && cpu->accel_ops->synchronize_state) {
        cpu->accel_ops->synchronize_state(cpu);
    }
}

/* Every vCPU is asked to stop first, then waited for: N kicks in flight
 * at once, not one round trip after another. */
void pause_all_vcpus(MachineState *ms)
{
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        CPUState *cpu = ms->cpus[i];
        if (cpu->thread && !cpu->stopped) {
            cpu->stop = true;
            qemu_cpu_kick(cpu);
        }
    }
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        cpu_pause(ms->cpus[i]);
    }
}

void resume_all_vcpus(MachineState *ms)
{
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        cpu_resume(ms->cpus[i]);
    }
}

static void synchronize_all_states(MachineState *ms)
{
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        cpu_synchronize(ms->cpus[i]);
    }
}

void vm_stop(MachineState *ms, int state)
{
    if (!ms || !runstate_is_running()) {
        return; /* as QEMU: a stopped or not yet started VM stays as it is */
    }
    if (ms->cpus) {
        pause_all_vcpus(ms);
        synchronize_all_states(ms);
    }
    runstate_set(state);
}

void vm_start(MachineState *ms)
{
    if (!ms || runstate_is_running()) {
        return;
    }
    runstate_set(RUN_STATE_RUNNING);
    if (ms->cpus) {
        resume_all_vcpus(ms);
    }
}

bool vm_peek_begin(MachineState *ms)
{
    bool paused = false;

    if (!ms || !ms->cpus) {
        return false;
    }
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (ms->cpus[i]->thread && !ms->cpus[i]->stopped) {
            paused = true;
        }
    }
    if (paused) {
        pause_all_vcpus(ms);
    }
    synchronize_all_states(ms);
    return paused;
}

void vm_peek_end(MachineState *ms, bool paused)
{
    if (ms && paused && runstate_is_running()) {
        resume_all_vcpus(ms);
    }
}
