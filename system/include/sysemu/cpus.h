/*
 * vCPU threads (accel/cpus.c) and the BQL helpers around them
 * (system/cpus.c).  One thread per vCPU runs cpu->accel_ops->cpu_exec
 * without the BQL; the thread takes the BQL to act on what it returns.
 */
#ifndef SYSEMU_CPUS_H
#define SYSEMU_CPUS_H

#include <stdbool.h>
#include <glib.h>

#include "exec/cpu.h"
#include "qapi/error.h"

/* The vCPU this thread runs (NULL on other threads), QEMU's name. */
extern __thread CPUState *current_cpu;
/* Makes @cpu leave guest code at the next instruction boundary the
 * accelerator checks (after the current I/O instruction under tcg). */
void cpu_exit(CPUState *cpu);

/* Waits on @cond, releasing the BQL meanwhile (caller holds it). */
void qemu_cond_wait_bql(GCond *cond);
/* Makes the vCPU leave guest code and look at its state (any thread). */
void qemu_cpu_kick(CPUState *cpu);
/* Work that ends a halt: an enabled external interrupt, NMI or INIT. */
bool cpu_has_work(CPUState *cpu);

/*
 * The pieces of a vCPU thread function (AccelOps.cpu_thread_fn), all but
 * the first with the BQL held:
 *     cpu_thread_signal_created(cpu);          (takes the BQL)
 *     while (!cpu->unplug) {
 *         if (cpu_can_run(cpu)) {
 *             bql_unlock(); ret = <run the guest>; bql_lock();
 *             cpu_handle_exec_result(cpu, ret);
 *         }
 *         qemu_wait_io_event(cpu);
 *     }
 *     cpu_thread_signal_destroyed(cpu);        (drops the BQL)
 */
void cpu_thread_signal_created(CPUState *cpu);
void cpu_thread_signal_destroyed(CPUState *cpu);
/* Not stopped, no run-state request waiting, not halted without work
 * (a halt with work to do ends here). */
bool cpu_can_run(CPUState *cpu);
/* Acts on an EXCP_* the guest run returned. */
void cpu_handle_exec_result(CPUState *cpu, int ret);
/* Parks a stopped vCPU and sleeps while it is idle. */
void qemu_wait_io_event(CPUState *cpu);
/* Its two halves, for a thread that runs several vCPUs (thread=single):
 * a stop request becomes stopped; and whether the vCPU has nothing to
 * do (stopped, a run-state request waiting, halted without work). */
void qemu_wait_io_event_common(CPUState *cpu);
bool cpu_thread_is_idle(CPUState *cpu);
/* Starts @fn(@cpu) as the thread @name and waits for its
 * cpu_thread_signal_created (BQL held). */
bool cpu_thread_start(CPUState *cpu, const char *name, void *(*fn)(void *), Error **errp);
/* @cpu is run by @owner's thread from now on (BQL held): same thread,
 * same ids, same halt condition. */
void cpu_thread_share(CPUState *cpu, CPUState *owner);

/*
 * Starts the vCPU thread ("CPU <n>/<ACCEL>"); it begins stopped when
 * @start_paused.  Called with the BQL held; returns once the thread runs.
 */
bool qemu_init_vcpu(CPUState *cpu, bool start_paused, Error **errp);
/* With the BQL held: stop the vCPU outside guest code and wait for it. */
void cpu_pause(CPUState *cpu);
void cpu_resume(CPUState *cpu);
/* With the BQL held: end the vCPU thread and join it. */
void cpu_stop_thread(CPUState *cpu);

/*
 * The VM as the monitor sees it (accel/cpus.c), BQL held: vm_stop pauses
 * the vCPUs outside guest code (a paused guest's state is stable; the
 * accelerator's registers are synchronised into env) and sets @state;
 * vm_start resumes it and sets running.  Both do nothing when the VM is
 * already there; the run-state listeners hear STOP/RESUME.
 */
struct MachineState;
/* Every vCPU of the machine (QEMU's pause_all_vcpus / resume_all_vcpus). */
void pause_all_vcpus(struct MachineState *ms);
void resume_all_vcpus(struct MachineState *ms);
void vm_stop(struct MachineState *ms, int state);
void vm_start(struct MachineState *ms);
/*
 * For a look at the vCPUs' state (info registers, x): pauses running
 * vCPUs and synchronises env; vm_peek_end lets it go on.
 */
bool vm_peek_begin(struct MachineState *ms);
void vm_peek_end(struct MachineState *ms, bool paused);

#endif
