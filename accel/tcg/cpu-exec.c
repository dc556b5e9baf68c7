/*
 * The interpreter's main loop (QEMU's frames: cpu_exec -> cpu_loop_exec_tb
 * -> cpu_tb_exec).  cpu_exec runs blocks until the vCPU loop is needed
 * (exit_request, HLT); between blocks it delivers hardware
 * interrupts, applies memory-map and DMA invalidations, and frees dead
 * blocks.  Exceptions longjmp back here from any depth (QEMU's
 * cpu_loop_exit) and are delivered before the next block.
 */
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

uint64_t insn_eip(TCGCPU *s, const DecodedInsn *d)
{
    uint64_t eip = d->next_eip - d->len;

    if (!(s->cur_tb && (s->cur_tb->flags & (TB_FLAG_CS32 | TB_FLAG_CODE64)))) {
        eip &= 0xffff;
    } else if (!(s->cur_tb->flags & TB_FLAG_CODE64)) {
        eip &= 0xffffffffu;
    }
    return eip;
}

void cpu_loop_exit(TCGCPU *s)
{
    siglongjmp(s->jmp_env, 1);
}

/*
 * <interpreter loop>: runs a block, then the blocks it chains to, while
 * nothing needs the outer loop.  Handlers may shorten a block by moving
 * s->end (end_block, self-modifying code); the instruction that did so
 * always completes.  Branch handlers set env->eip themselves.
 */
static void __attribute__((noinline)) cpu_tb_exec(TCGCPU *s, TranslationBlock *tb,
                                                   bool irq_shadow)
{
    CPUX86State *env = s->env;
    /* logging wants every block to come back here */
    bool may_chain = !qemu_loglevel_mask(CPU_LOG_EXEC | CPU_LOG_TB_CPU);
    bool completed;

    for (;;) {
        const DecodedInsn *d = tb->insns, *last = tb->insns + tb->n_insns - 1;

        s->cur_tb = tb;
        s->end = last + 1;
        s->stop_chain = false;
        s->chain_budget = may_chain ? TB_CHAIN_INLINE_MAX : 0;
        if (G_UNLIKELY(irq_shadow)) {
            /* SDM vol.3 6.8.3: after STI / MOV SS only one instruction runs
             * before a pending interrupt is recognised. */
            s->end = d + 1;
            s->stop_chain = true;
            s->chain_budget = 0;
        }
        do {
            s->cur = d;
            d->handler(s, d);
            d = s->cur + 1; /* threaded handlers may have run several (dispatch_next) */
        } while (d < s->end);
        tb = s->cur_tb; /* a branch may have chained on (chain_next_tb) */
        d = s->cur;
        if (!(d->flags & INSN_BRANCH)) {
            env->eip = d->next_eip;
        }
        s->insns_executed_bytes += (const char *)(d + 1) - (const char *)tb->insns;
        /* Ended by a near branch or a plain instruction (block limit, a
         * taken Jcc inside the block, or a self-modifying store, whose
         * invalidation bumped tb_gen): the mode is unchanged, chain on. */
        completed = (d->flags & INSN_CHAIN) && !s->stop_chain;
        if (!completed || !may_chain || cpu_chain_needs_attention(s)) {
            break;
        }
        TranslationBlock *next = tb_link_lookup(s, tb, d->exit_slot);
        if (!next) {
            break;
        }
        tb = next;
    }
    s->last_tb = completed ? tb : NULL;
    s->last_exit = s->cur->exit_slot;
    s->cur = NULL;
    s->cur_tb = NULL;
}

static bool is_contributory(int v)
{
    return v == EXCP00_DIVZ || (v >= EXCP0A_TSS && v <= EXCP0D_GPF);
}

/* An exception was raised: pick what to deliver (SDM vol.3 table 6-5). */
static void handle_exception(TCGCPU *s)
{
    CPUX86State *env = s->env;
    int vec = s->exception_index;
    bool has_err = s->exception_has_error;
    int err = s->error_code;
    uint64_t ret_eip;

    if (s->cur) {
        env->eip = insn_eip(s, s->cur);
    }
    s->cur = NULL;
    s->cur_tb = NULL;
    ret_eip = (s->exception_is_int || s->exception_is_trap) ? s->exception_next_eip : env->eip;
    /* INT n, INT3, INTO complete before their handler starts: a
     * single-step trap follows them (into the handler, SDM 17.3.1.4);
     * an instruction that faults never completes. */
    bool step_trap = s->step_tf && s->exception_is_int;
    s->step_tf = false;

    if (s->old_exception >= 0 && !s->exception_is_int) {
        int old = s->old_exception;
        if (old == EXCP08_DBLE) {
            qemu_log_mask(CPU_LOG_INT | LOG_GUEST_ERROR,
                          "tcg: triple fault at eip=0x%" PRIx64 ": reset\n", env->eip);
            s->old_exception = -1;
            s->triple_faulted = true;
            qemu_system_reset_request();
            return;
        }
        if ((is_contributory(old) && is_contributory(vec)) ||
            (old == EXCP0E_PAGE && (is_contributory(vec) || vec == EXCP0E_PAGE))) {
            vec = EXCP08_DBLE;
            has_err = true;
            err = 0;
        }
    }
    qemu_log_mask(CPU_LOG_INT, "tcg: exception %d err=0x%x at %04x:%08" PRIx64
                  " cr2=0x%" PRIx64 "\n", vec, has_err ? err : 0,
                  env->segs[R_CS].selector, env->eip, env->cr[2]);
    trace_event(tcg_exception, "vector=%d err=0x%x eip=0x%" PRIx64, vec, err, env->eip);
    s->old_exception = vec;
    do_interrupt(s, vec, s->exception_is_int, has_err, err, ret_eip, false);
    s->old_exception = -1;
    if (step_trap) {
        debug_trap_pending(s, DR6_BS);
    }
    /* A debugger's single step ends at the handler's first instruction. */
    if (s->cpu->singlestep_enabled) {
        gdb_stop_request(s, DEBUG_STOP_STEP, NULL, 0);
    }
}

/*
 * INIT and SIPI (SDM vol.3 8.4, 10.6.1), raised by another vCPU's local
 * APIC (hw/intc/apic.c) and acted on here, on this vCPU's own thread.
 * INIT first: a SIPI sent after it may be pending already.  A SIPI to a
 * vCPU that is not waiting for one is dropped.  True if env changed.
 */
static bool cpu_handle_init_sipi(TCGCPU *s)
{
    CPUState *cpu = s->cpu;
    CPUX86State *env = s->env;
    int req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    bool changed = false;

    if (req & CPU_INTERRUPT_INIT) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_INIT);
        bql_lock();
        x86_cpu_init_reset(cpu);
        bql_unlock();
        trace_event(tcg_init, "cpu=%d wait_for_sipi=%d", cpu->cpu_index, env->wait_for_sipi);
        s->old_exception = -1;
        s->db_pending = 0;
        s->inhibit_db = false;
        s->step_tf = false;
        tcg_cpu_reset_state(s);
        tcg_debug_regs_changed(s);
        changed = true;
        req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    }
    if (req & CPU_INTERRUPT_SIPI) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_SIPI);
        if (env->wait_for_sipi) {
            int vector = __atomic_load_n(&cpu->sipi_vector, __ATOMIC_SEQ_CST);

            x86_cpu_sipi_start(cpu, vector);
            trace_event(tcg_sipi, "cpu=%d vector=0x%02x", cpu->cpu_index, vector);
            tcg_cpu_reset_state(s);
            changed = true;
        }
    }
    return changed;
}

static bool cpu_handle_interrupt(TCGCPU *s)
{
    CPUState *cpu = s->cpu;
    CPUX86State *env = s->env;
    int vec;

    /* NMI (the local APIC's NMI messages, LINT1): not masked by IF.  The
     * blocking of further NMIs until IRET is not modelled. */
    if (__atomic_load_n(&cpu->interrupt_request, __ATOMIC_RELAXED) & CPU_INTERRUPT_NMI) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_NMI);
        env->halted = false;
        trace_event(tcg_interrupt, "vector=0x%x eip=0x%" PRIx64, EXCP02_NMI, env->eip);
        s->old_exception = EXCP02_NMI;
        do_interrupt(s, EXCP02_NMI, false, false, 0, env->eip, true);
        s->old_exception = -1;
        return true;
    }
    if (!(__atomic_load_n(&cpu->interrupt_request, __ATOMIC_RELAXED) & CPU_INTERRUPT_HARD) ||
        !(env->eflags & IF_MASK) || !cpu->get_pic_interrupt) {
        return false;
    }
    bql_lock();
    vec = cpu->get_pic_interrupt(cpu->pic_opaque);
    bql_unlock();
    if (vec < 0) {
        return false;
    }
    env->halted = false;
    qemu_log_mask(CPU_LOG_INT, "tcg: hardware interrupt vector 0x%x at %04x:%08" PRIx64 "\n",
                  vec, env->segs[R_CS].selector, env->eip);
    trace_event(tcg_interrupt, "vector=0x%x eip=0x%" PRIx64, vec, env->eip);
    s->old_exception = vec;
    do_interrupt(s, vec, false, false, 0, env->eip, true);
    s->old_exception = -1;
    return true;
}

/* Anything to do between blocks besides running the next one? */
static inline bool cpu_exec_needs_attention(TCGCPU *s)
{
    return cpu_chain_needs_attention(s) || s->tb_graveyard->len || s->env->halted ||
           s->env->wait_for_sipi || s->triple_faulted;
}

/* The next block: through the previous block's link cache when it ended
 * with a near jump, else the full lookup (and remember the link). */
static inline TranslationBlock *tb_find(TCGCPU *s)
{
    TranslationBlock *last = s->last_tb, *tb;
    unsigned slot = s->last_exit;

    if (last && (tb = tb_link_lookup(s, last, slot))) {
        return tb;
    }
    tb = tb_lookup(s);
    if (last && !tb->invalid && tb->cs_base == last->cs_base && tb->flags == last->flags) {
        /* The last instruction has two slots: keep a live first link.  The
         * generation may have moved during tb_lookup (a new code page):
         * then every older link is dead and slot 0 is free. */
        if (slot == 0 && last->link_tb[0] && last->link_gen[0] == s->tb_gen) {
            slot = 1;
        }
        last->link_tb[slot] = tb;
        last->link_gen[slot] = s->tb_gen;
    }
    return tb;
}

/* Runs one block (and those it chains to), with the per-instruction
 * debug hooks around it while debugging. */
static void __attribute__((noinline)) cpu_loop_exec_tb(TCGCPU *s, TranslationBlock *tb,
                                                        bool irq_shadow)
{
    CPUX86State *env = s->env;

    if (G_UNLIKELY(s->debug_active)) {
        if (tb->gdb_breakpoint) {
            /* a debugger's breakpoint: no guest instruction begins, so
             * the guest's own breakpoints and TF have nothing to see */
            cpu_tb_exec(s, tb, irq_shadow);
            return;
        }
        uint64_t lin = tb->cs_base + env->eip;
        debug_insn_begin(s, (tb->flags & TB_FLAG_CODE64) ? lin : (uint32_t)lin);
    }
    cpu_tb_exec(s, tb, irq_shadow);
    if (G_UNLIKELY(s->debug_active || s->step_tf)) {
        debug_insn_end(s);
    }
}

int __attribute__((noinline)) cpu_exec(CPUState *cpu)
{
    TCGCPU *s = tcg_cpu(cpu);
    CPUX86State *env = &cpu->env;
    int ret;

    /* Someone (reset, the loader, a debugger) may have written env. */
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = env->eflags & CC_ALL;
    tcg_update_hflags(s);

    s->last_tb = NULL;
    if (sigsetjmp(s->jmp_env, 0) != 0) {
        s->last_tb = NULL;
        handle_exception(s);
    }
    for (;;) {
        bool irq_shadow = false;

        if (G_UNLIKELY(cpu_exec_needs_attention(s))) {
            if (s->gdb_stop) {
                s->gdb_stop = false;
                tcg_update_debug(s);
                ret = EXCP_DEBUG;
                break;
            }
            if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
                __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_RELEASE);
                ret = EXCP_INTERRUPT;
                break;
            }
            if (s->triple_faulted) {
                env->halted = true; /* until the reset */
                ret = EXCP_HLT;
                break;
            }
            if (cpu_handle_init_sipi(s)) {
                s->last_tb = NULL;
            }
            if (env->wait_for_sipi) {
                /* Only INIT and SIPI reach a CPU in wait-for-SIPI (SDM
                 * vol.3 8.4.1): no NMI, no interrupt, no instruction. */
                env->halted = true;
                ret = EXCP_HLT;
                break;
            }
            if (s->tlb_flush_pending) {
                __atomic_store_n(&s->tlb_flush_pending, 0, __ATOMIC_SEQ_CST);
                tlb_flush(s);
            }
            tb_process_ram_writes(s);
            tb_free_graveyard(s);
            /* After MOV SS/POP SS, a pending #DB waits for one more
             * instruction (SDM 6.8.3); else traps of the previous
             * instruction come before NMI and interrupts (SDM 6.9). */
            bool hold_db = s->inhibit_db;
            s->inhibit_db = false;
            if (s->db_pending && !hold_db) {
                debug_deliver_pending(s);
                s->last_tb = NULL;
            }
            if (s->inhibit_irq) {
                s->inhibit_irq = false; /* STI/MOV SS shadow: one more instruction first */
                irq_shadow = true;
            } else if (!cpu->singlestep_enabled && cpu_handle_interrupt(s)) {
                /* (a debugger's step runs with interrupts held, as QEMU's
                 * default SSTEP_NOIRQ) */
                s->last_tb = NULL;
            }
            if (env->halted) {
                ret = EXCP_HLT;
                break;
            }
        }
        TranslationBlock *tb = tb_find(s);
        if (G_UNLIKELY(qemu_loglevel_mask(CPU_LOG_EXEC | CPU_LOG_TB_CPU))) {
            if (qemu_loglevel_mask(CPU_LOG_TB_CPU)) {
                cpu_compute_eflags(s);
                tcg_dump_state(s, qemu_log_file());
            }
            qemu_log_mask(CPU_LOG_EXEC, "Trace: %04x:%08" PRIx64 " [%u insns]\n",
                          env->segs[R_CS].selector, env->eip, tb->n_insns);
        }
        cpu_loop_exec_tb(s, tb, irq_shadow);
    }
    cpu_compute_eflags(s);
    return ret;
}
