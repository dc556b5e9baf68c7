/*
 * The interpreter's vCPUs as a set (QEMU's cpus-common.c ideas): the list
 * of TCGCPUs, and exclusive sections that stop every other vCPU at a block
 * boundary, for the locked read-modify-writes the host cannot do in one
 * atomic instruction (ops-atomic.c: MMIO, page- and line-crossing
 * operands).
 *
 * The set is per process, as guest physical memory is (system/physmem.c):
 * the vCPUs share one RAM, so the code-page owners (tb-maint.c) and the
 * exclusive sections are shared too.  One mutex guards the list, the
 * running flags and the exclusive owner; lock order is BQL -> this lock ->
 * a TCGCPU's ram_write_lock.
 */
#include "tcg-cpu.h"

static struct {
    GMutex lock;            /* static GMutex/GCond need no init (GLib) */
    GCond exclusive_cond;   /* exclusive_owner went back to NULL */
    GCond running_cond;     /* a vCPU left cpu_exec */
    TCGCPU *slot[TCG_MAX_CPUS];
    unsigned n_cpus;
    unsigned n_running;     /* vCPUs between cpu_exec_start and cpu_exec_end */
    TCGCPU *exclusive_owner;
} tcg_cpus;

void tcg_cpus_lock(void)
{
    g_mutex_lock(&tcg_cpus.lock);
}

void tcg_cpus_unlock(void)
{
    g_mutex_unlock(&tcg_cpus.lock);
}

TCGCPU *tcg_cpus_slot(unsigned slot)
{
    return slot < TCG_MAX_CPUS ? tcg_cpus.slot[slot] : NULL;
}

void tcg_cpus_add(TCGCPU *s)
{
    bool first;

    tcg_cpus_lock();
    s->cpu_slot = TCG_MAX_CPUS;
    for (unsigned i = 0; i < TCG_MAX_CPUS; i++) {
        if (!tcg_cpus.slot[i]) {
            tcg_cpus.slot[i] = s;
            s->cpu_slot = i;
            break;
        }
    }
    g_assert(s->cpu_slot < TCG_MAX_CPUS); /* -smp stops at 255 */
    first = tcg_cpus.n_cpus++ == 0;
    tcg_cpus_unlock();
    if (first) {
        /* DMA, loaders and the other vCPUs reach every cache through it */
        memory_set_ram_write_hook(tcg_ram_write_hook, NULL);
    }
}

void tcg_cpus_remove(TCGCPU *s)
{
    bool last;

    tcg_cpus_lock();
    if (s->exec_running) {
        s->exec_running = false;
        tcg_cpus.n_running--;
        g_cond_broadcast(&tcg_cpus.running_cond);
    }
    tcg_cpus.slot[s->cpu_slot] = NULL;
    last = --tcg_cpus.n_cpus == 0;
    tcg_cpus_unlock();
    if (last) {
        memory_set_ram_write_hook(NULL, NULL);
    }
}

void cpu_exec_start(TCGCPU *s)
{
    tcg_cpus_lock();
    while (tcg_cpus.exclusive_owner && tcg_cpus.exclusive_owner != s) {
        g_cond_wait(&tcg_cpus.exclusive_cond, &tcg_cpus.lock);
    }
    if (!s->exec_running) {
        s->exec_running = true;
        tcg_cpus.n_running++;
    }
    tcg_cpus_unlock();
}

void cpu_exec_end(TCGCPU *s)
{
    tcg_cpus_lock();
    if (s->exec_running) {
        s->exec_running = false;
        tcg_cpus.n_running--;
        g_cond_broadcast(&tcg_cpus.running_cond);
    }
    tcg_cpus_unlock();
}

/*
 * Called from an instruction handler, without the BQL: this vCPU stops
 * counting as running (it touches no guest memory while it waits), waits
 * for any other exclusive section to end, then kicks every running vCPU
 * out of cpu_exec (they leave at their next block boundary and wait in
 * cpu_exec_start) and waits until none is left.
 */
void start_exclusive(TCGCPU *s)
{
    tcg_cpus_lock();
    s->exclusive_was_running = s->exec_running;
    if (s->exec_running) {
        s->exec_running = false;
        tcg_cpus.n_running--;
        g_cond_broadcast(&tcg_cpus.running_cond);
    }
    while (tcg_cpus.exclusive_owner) {
        g_cond_wait(&tcg_cpus.exclusive_cond, &tcg_cpus.lock);
    }
    tcg_cpus.exclusive_owner = s;
    while (tcg_cpus.n_running) {
        for (unsigned i = 0; i < TCG_MAX_CPUS; i++) {
            TCGCPU *o = tcg_cpus.slot[i];
            if (o && o->exec_running) {
                __atomic_store_n(&o->cpu->exit_request, 1, __ATOMIC_SEQ_CST);
            }
        }
        g_cond_wait(&tcg_cpus.running_cond, &tcg_cpus.lock);
    }
    s->exclusive_count++;
    tcg_cpus_unlock();
}

void end_exclusive(TCGCPU *s)
{
    tcg_cpus_lock();
    g_assert(tcg_cpus.exclusive_owner == s);
    tcg_cpus.exclusive_owner = NULL;
    if (s->exclusive_was_running) {
        s->exec_running = true;
        tcg_cpus.n_running++;
    }
    g_cond_broadcast(&tcg_cpus.exclusive_cond);
    tcg_cpus_unlock();
}
