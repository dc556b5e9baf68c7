/*
 * Debug exceptions (SDM vol.3 chapter 17): the breakpoints of DR0-DR3 as
 * DR7 arms them (instruction faults; data write, data read/write and --
 * with CR4.DE -- I/O traps of 1, 2, 4 or 8 bytes), single-step (TF),
 * the task-switch trap (T bit, from task_helper.c), the RF flag, and the
 * DR6 status bits.  MOV DR and its general-detect fault are in
 * ops-system.c.
 *
 * Nothing here runs while no breakpoint is armed and TF, RF are clear:
 * then debug_active is false and blocks run as ever.  When it is true,
 * blocks are decoded with TB_FLAG_STEP (one instruction each, a key of
 * their own, so cached blocks cannot run past a breakpoint) and cpu_exec
 * calls debug_insn_begin/end around each instruction.  Data breakpoints
 * need no stepping: the TLB keeps watched pages on the slow path, whose
 * hits end the block and leave a trap pending.
 *
 * Simplifications: a repeated string instruction reports a data
 * breakpoint after its last iteration, not after the iteration that hit;
 * B0-B3 report enabled breakpoints only.
 */
#include "tcg-cpu.h"

enum { BP_EXEC = 0, BP_WRITE = 1, BP_IO = 2, BP_RW = 3 };

static inline uint32_t bp_len(uint64_t dr7, int i)
{
    static const uint8_t len[4] = { 1, 2, 8, 4 }; /* LEN encodings (SDM 17.2.5) */
    return len[(dr7 >> (18 + i * 4)) & 3];
}

void tcg_debug_regs_changed(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint64_t dr7 = env->dr[7];
    uint8_t code = 0, w = 0, r = 0, io = 0;

    for (int i = 0; i < 4; i++) {
        if (!((dr7 >> (i * 2)) & 3)) {
            continue; /* neither L nor G */
        }
        switch ((dr7 >> (16 + i * 4)) & 3) {
        case BP_EXEC: code |= 1 << i; break;
        case BP_WRITE: w |= 1 << i; break;
        case BP_RW: w |= 1 << i; r |= 1 << i; break;
        default:
            /* I/O breakpoints exist with CR4.DE only (undefined without) */
            if (env->cr[4] & CR4_DE_MASK) {
                io |= 1 << i;
            }
            break;
        }
    }
    bool data_changed = w || r || s->bp_data_w || s->bp_data_r;
    s->bp_code = code;
    s->bp_data_w = w;
    s->bp_data_r = r;
    s->bp_io = io;
    if (data_changed) {
        tlb_flush(s); /* refill with the new watched pages */
    }
    tcg_update_debug(s);
}

void tcg_update_debug(TCGCPU *s)
{
    bool active = s->bp_code || s->db_pending ||
                  (s->env->eflags & (TF_MASK | RF_MASK)) ||
                  s->gdb_stop || s->cpu->singlestep_enabled;

    if (active != s->debug_active) {
        s->debug_active = active;
        if (s->cur) {
            end_block(s); /* the rest of the block runs under the new rules */
        }
    }
}

static uint32_t bp_hits(TCGCPU *s, uint8_t mask, uint64_t addr, int size)
{
    CPUX86State *env = s->env;
    uint32_t hits = 0;

    for (int i = 0; i < 4; i++) {
        if (mask & (1 << i)) {
            uint32_t len = bp_len(env->dr[7], i);
            uint64_t start = env->dr[i] & ~(uint64_t)(len - 1);
            if (addr <= start + len - 1 && start <= addr + size - 1) {
                hits |= 1u << i;
            }
        }
    }
    return hits;
}

void debug_check_data(TCGCPU *s, uint64_t lin, int size, bool write)
{
    if (s->gdb_watch) {
        gdb_check_watch(s, lin, size, write);
    }
    uint32_t hits = bp_hits(s, write ? s->bp_data_w : s->bp_data_r, lin, size);

    if (hits) {
        debug_trap_pending(s, hits);
    }
}

void debug_check_io(TCGCPU *s, uint32_t port, int size)
{
    uint32_t hits = bp_hits(s, s->bp_io, port, size);

    if (hits) {
        debug_trap_pending(s, hits);
    }
}

void debug_tlb_filter(TCGCPU *s, TLBEntry *e, uint64_t page)
{
    if (bp_hits(s, s->bp_data_r, page, 0x1000)) {
        e->addr_read = TLB_INVALID;
    }
    if (bp_hits(s, s->bp_data_w, page, 0x1000)) {
        e->addr_write = TLB_INVALID;
    }
    if (s->gdb_watch) {
        gdb_tlb_filter(s, e, page);
    }
}

void debug_insn_begin(TCGCPU *s, uint64_t lin_pc)
{
    CPUX86State *env = s->env;

    /* Instruction breakpoints are faults, suppressed by RF (SDM 17.3.1.1) */
    if (s->bp_code && !(env->eflags & RF_MASK)) {
        uint32_t hits = 0;
        for (int i = 0; i < 4; i++) {
            if ((s->bp_code & (1 << i)) && env->dr[i] == lin_pc) {
                hits |= 1u << i;
            }
        }
        if (hits) {
            env->dr[6] = (env->dr[6] & ~0xfull) | hits;
            raise_exception(s, EXCP01_DB);
        }
    }
    /* RF applies to this instruction boundary only; the processor clears
     * it as the instruction completes (IRET and task switches load it). */
    env->eflags &= ~(uint64_t)RF_MASK;
    s->step_tf = env->eflags & TF_MASK;
}

void debug_insn_end(TCGCPU *s)
{
    if (s->step_tf) {
        s->step_tf = false;
        s->db_pending |= DR6_BS;
    }
    if (s->cpu->singlestep_enabled) {
        gdb_stop_request(s, DEBUG_STOP_STEP, NULL, 0);
    }
    tcg_update_debug(s);
}

/* A trap-class #DB (SDM 6.9 priority 4: before NMI and interrupts). */
void debug_deliver_pending(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint32_t bits = s->db_pending;

    s->db_pending = 0;
    if (bits & 0xf) {
        env->dr[6] &= ~0xfull; /* B0-B3 describe this exception only */
    }
    env->dr[6] |= bits;
    s->old_exception = EXCP01_DB;
    do_interrupt(s, EXCP01_DB, false, false, 0, env->eip, false);
    s->old_exception = -1;
    tcg_update_debug(s);
}
