/*
 * -accel tcg: duet's x86 interpreter.  Its vCPU thread
 * (tcg-accel-ops-mttcg.c) calls tcg_cpus_exec -> cpu_exec in a loop;
 * everything else the interpreter needs lives in the TCGCPU hung off
 * cpu->accel.
 */
#include "sysemu/accel.h"
#include "exec/memory.h"
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "sysemu/machine.h"
#include "sysemu/cpus.h"
#include "sysemu/sysemu.h"
#include "trace/trace.h"

static bool tcg_probe(Error **errp)
{
    return true; /* an interpreter runs anywhere */
}

/* -accel tcg,thread=single|multi (QEMU's option; multi by default).  The
 * value is checked in init_machine, for QEMU's message. */
static const QemuOptDesc tcg_accel_opts[] = {
    { .name = "thread", .type = QEMU_OPT_STRING,
      .help = "single (every vCPU on one host thread, round-robin) or multi (one host "
              "thread per vCPU)",
      .def_value_str = "multi" },
    { NULL },
};

static bool tcg_init_machine(MachineState *ms, Error **errp)
{
    const char *thread = ms->accel_opts ? qemu_opt_get(ms->accel_opts, "thread") : NULL;
    TCGState *ts;

    if (thread && strcmp(thread, "single") && strcmp(thread, "multi")) {
        error_setg(errp, "Invalid 'thread' setting %s", thread);
        return false;
    }
    ts = g_new0(TCGState, 1);
    ts->ms = ms;
    ts->single = thread && !strcmp(thread, "single");
    ms->accel_state = ts;
    return true;
}

TCGState *tcg_state(void)
{
    return current_machine ? current_machine->accel_state : NULL;
}

/*
 * The memory map changed: cached host pointers may be stale.  A commit on
 * the vCPU thread itself (a guest port write that remaps something) must
 * take effect before the next instruction, so flush at once; from another
 * thread, ask the vCPU to flush at its next block boundary.
 */
static void tcg_listener_commit(MemoryListener *listener)
{
    TCGCPU *s = container_of(listener, TCGCPU, listener);

    if (s->cpu->thread_id && pthread_equal(pthread_self(), s->cpu->thread_id)) {
        tlb_flush(s);
    } else {
        __atomic_store_n(&s->tlb_flush_pending, 1, __ATOMIC_SEQ_CST);
    }
}

TCGCPU *tcg_cpu_create(CPUState *cpu)
{
    TCGCPU *s = g_new0(TCGCPU, 1);

    uint32_t supported[FEATURE_WORDS];

    s->cpu = cpu;
    s->env = &cpu->env;
    x86_cpuid_tcg_supported(supported);
    x86_cpuid_realize(&cpu->cpuid, cpu->cpuid.model, supported, "TCG");
    s->old_exception = -1;
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = cpu->env.eflags & CC_ALL;
    tcg_code_cache_init(s);
    tlb_flush(s);
    s->listener.name = "tcg";
    s->listener.commit = tcg_listener_commit;
    if (cpu->as) {
        memory_listener_register(&s->listener, cpu->as);
    }
    /* One of the vCPU set: DMA and the other vCPUs' stores reach its code
     * cache (tb-maint.c; the first vCPU installs the RAM write hook). */
    tcg_cpus_add(s);
    cpu->accel = s;
    tcg_update_hflags(s);
    return s;
}

void tcg_cpu_destroy(TCGCPU *s)
{
    if (!s) {
        return;
    }
    tcg_cpus_remove(s);
    if (s->listener.address_space) {
        memory_listener_unregister(&s->listener);
    }
    tcg_code_cache_destroy(s);
    if (s->cpu->accel == s) {
        s->cpu->accel = NULL;
    }
    g_free(s);
}

static bool tcg_init_vcpu(CPUState *cpu, Error **errp)
{
    TCGCPU *s = tcg_cpu_create(cpu);
    TCGState *ts = tcg_state();

    /* thread=single: the vCPU spun for may be on this thread.  A thread
     * per vCPU but more vCPUs than host CPUs: the holder of the lock may
     * be preempted, so the spinner gives its host CPU away. */
    if (ts && ts->single) {
        s->pause_action = TCG_PAUSE_EXIT;
    } else if (ts && ts->ms && ts->ms->smp.cpus > g_get_num_processors()) {
        s->pause_action = TCG_PAUSE_YIELD;
    }
    return true;
}

static bool tcg_create_vcpu_thread(CPUState *cpu, Error **errp)
{
    TCGState *ts = tcg_state();
    g_autofree char *name = NULL;

    if (ts && ts->single) {
        return rr_start_vcpu_thread(ts, cpu, errp);
    }
    name = g_strdup_printf("CPU %d/TCG", cpu->cpu_index);
    return cpu_thread_start(cpu, name, mttcg_cpu_thread_fn, errp);
}

int tcg_cpus_exec(CPUState *cpu)
{
    TCGCPU *s = tcg_cpu(cpu);

    if (s->triple_faulted && !cpu->env.halted) {
        s->triple_faulted = false; /* the reset we asked for has happened */
    }
    /* A debugger may have written the debug registers meanwhile. */
    tcg_debug_regs_changed(s);
    /* exclusive sections (cpus-common.c) wait for running vCPUs */
    cpu_exec_start(s);
    int ret = cpu_exec(cpu);
    cpu_exec_end(s);
    return ret;
}

static void tcg_kick_vcpu(CPUState *cpu)
{
    TCGState *ts = tcg_state();

    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
    if (ts && ts->single) {
        /* The one thread may be running another vCPU: it must come
         * round to look at this one. */
        rr_kick_current(ts);
    }
}

static void tcg_synchronize_state(CPUState *cpu)
{
    /* env is always current: cpu_exec folds lazy flags in before returning. */
}

void tcg_cpu_reset_state(TCGCPU *s)
{
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = s->env->eflags & CC_ALL;
    s->inhibit_irq = false;
    tlb_flush(s);
    tcg_update_hflags(s);
}

static void tcg_synchronize_post_reset(CPUState *cpu)
{
    TCGCPU *s = tcg_cpu(cpu);

    if (s) {
        tcg_cpu_reset_state(s);
    }
}

static void tcg_cleanup(MachineState *ms)
{
    uint64_t insns = 0;
    bool any = false;

    for (unsigned i = 0; ms->cpus && i < ms->smp.cpus; i++) {
        TCGCPU *s = ms->cpus[i] ? tcg_cpu(ms->cpus[i]) : NULL;

        if (s) {
            insns += s->insns_executed_bytes / sizeof(DecodedInsn);
            tcg_cpu_destroy(s);
            any = true;
        }
    }
    if (any) {
        /* scripts/bench-tcg reads this for guest MIPS: all vCPUs together */
        trace_event(tcg_exec_stats, "insns=%" PRIu64, insns);
    }
    if (ms->accel_state) {
        rr_cleanup(ms->accel_state);
        g_free(ms->accel_state);
        ms->accel_state = NULL;
    }
}

const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .description = "duet's x86 interpreter",
    .opts = tcg_accel_opts,
    .probe = tcg_probe,
    .init_machine = tcg_init_machine,
    .init_vcpu = tcg_init_vcpu,
    .cpu_thread_fn = mttcg_cpu_thread_fn,
    .create_vcpu_thread = tcg_create_vcpu_thread,
    .cpu_exec = tcg_cpus_exec,
    .kick_vcpu = tcg_kick_vcpu,
    .synchronize_state = tcg_synchronize_state,
    .synchronize_post_reset = tcg_synchronize_post_reset,
    .update_guest_debug = tcg_update_guest_debug,
    .cleanup = tcg_cleanup,
};
