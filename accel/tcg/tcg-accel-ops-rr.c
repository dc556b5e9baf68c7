/*
 * -accel tcg,thread=single: every vCPU on one host thread, taken in turn
 * (QEMU's round-robin TCG, behaviour only).  A vCPU runs until cpu_exec
 * returns: it halted (HLT, wait-for-SIPI), executed PAUSE (op_pause asks
 * for the thread to be handed on), something kicked it, or its time
 * slice ended (the kick timer, RR_TIME_SLICE_NS on the main loop, kicks
 * whichever vCPU is running).  Then the next vCPU that can run gets the
 * thread.  With nothing to run, the thread sleeps on the first vCPU's
 * halt condition, which every vCPU shares.
 *
 * Everything a vCPU thread does with the BQL (accel/cpus.c) happens here
 * for each vCPU in turn; current_cpu follows the vCPU being run, so the
 * local APIC window answers for it.
 */
#include "tcg-cpu.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "sysemu/cpus.h"
#include "sysemu/machine.h"
#include "trace/trace.h"

/* QEMU kicks every 100 ms of virtual time; the interpreter is slower, and
 * a guest that spins without PAUSE should not wait that long. */
#define RR_TIME_SLICE_NS (10 * 1000 * 1000)

void rr_kick_current(TCGState *ts)
{
    CPUState *cpu = __atomic_load_n(&ts->rr_current, __ATOMIC_SEQ_CST);

    if (cpu) {
        cpu_exit(cpu);
    }
}

/* Main loop, BQL held. */
static void rr_kick_timer_cb(void *opaque)
{
    TCGState *ts = opaque;

    rr_kick_current(ts);
    timer_mod(ts->rr_kick_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + RR_TIME_SLICE_NS);
}

static bool rr_any_unplug(MachineState *ms)
{
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        if (ms->cpus[i]->unplug) {
            return true;
        }
    }
    return false;
}

/* Every vCPU's stop request is honoured; then sleep while none can run. */
static void rr_wait_io_event(MachineState *ms)
{
    CPUState *first = ms->cpus[0];

    for (;;) {
        bool idle = true;

        for (unsigned i = 0; i < ms->smp.cpus; i++) {
            CPUState *cpu = ms->cpus[i];

            if (!cpu->created) {
                continue;
            }
            qemu_wait_io_event_common(cpu);
            if (!cpu_thread_is_idle(cpu)) {
                idle = false;
            }
        }
        if (!idle) {
            return;
        }
        trace_event(cpu_idle_wait, "cpu=all halted=%d stopped=%d", first->env.halted,
                    first->stopped);
        qemu_cond_wait_bql(cpu_halt_cond(first));
    }
}

static void *rr_cpu_thread_fn(void *arg)
{
    CPUState *first = arg;
    TCGState *ts = tcg_state();
    MachineState *ms = ts->ms;

    cpu_thread_signal_created(first);
    if (ms->smp.cpus > 1) {
        timer_mod(ts->rr_kick_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + RR_TIME_SLICE_NS);
    }
    while (!rr_any_unplug(ms)) {
        for (unsigned i = 0; i < ms->smp.cpus; i++) {
            CPUState *cpu = ms->cpus[i];
            int ret;

            if (!cpu->created || cpu->unplug) {
                continue;
            }
            qemu_wait_io_event_common(cpu);
            if (!cpu_can_run(cpu)) {
                continue;
            }
            current_cpu = cpu;
            __atomic_store_n(&ts->rr_current, cpu, __ATOMIC_SEQ_CST);
            bql_unlock();
            ret = tcg_cpus_exec(cpu);
            bql_lock();
            __atomic_store_n(&ts->rr_current, NULL, __ATOMIC_SEQ_CST);
            cpu_handle_exec_result(cpu, ret);
            if (ret == EXCP_DEBUG) {
                break; /* the VM stops: no other vCPU runs on */
            }
        }
        current_cpu = first;
        rr_wait_io_event(ms);
    }
    timer_del(ts->rr_kick_timer);
    /* One thread for all: it ends with the first vCPU stopped (only
     * qemu_cleanup stops vCPU threads), and is joined through the first
     * vCPU; the others only see it gone. */
    for (unsigned i = 1; i < ms->smp.cpus; i++) {
        if (ms->cpus[i]->thread == first->thread) {
            ms->cpus[i]->created = false;
            ms->cpus[i]->thread = NULL;
        }
    }
    cpu_thread_signal_destroyed(first);
    return NULL;
}

bool rr_start_vcpu_thread(TCGState *ts, CPUState *cpu, Error **errp)
{
    MachineState *ms = ts->ms;
    CPUState *first = ms->cpus[0];

    if (cpu != first) {
        if (!first->created) {
            error_setg(errp, "vCPU %d: the round-robin thread has not started", cpu->cpu_index);
            return false;
        }
        cpu_thread_share(cpu, first);
        return true;
    }
    if (!ts->rr_kick_timer) {
        ts->rr_kick_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rr_kick_timer_cb, ts);
    }
    return cpu_thread_start(cpu, "ALL CPUs/TCG", rr_cpu_thread_fn, errp);
}

void rr_cleanup(TCGState *ts)
{
    if (ts->rr_kick_timer) {
        timer_del(ts->rr_kick_timer);
        timer_free(ts->rr_kick_timer);
        ts->rr_kick_timer = NULL;
    }
}
