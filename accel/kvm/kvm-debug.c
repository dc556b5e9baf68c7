/*
 * -accel kvm: the host debugger's breakpoints, watchpoints and
 * single-step (exec/breakpoint.h) through KVM_SET_GUEST_DEBUG
 * (Documentation/virt/kvm/api.rst 4.59).
 *
 *  - software breakpoints (Z0): an int3 (0xCC) written over the
 *    instruction's first byte, the byte kept here; KVM_GUESTDBG_USE_SW_BP
 *    turns the guest's #BP into KVM_EXIT_DEBUG.  A debugger's memory
 *    reads see the kept byte, its writes update it (debug_memory_fixup).
 *  - hardware breakpoints and watchpoints (Z1, Z2, Z4): DR0-DR3 and DR7
 *    (SDM vol.3 17.2.4-17.2.5) loaded by KVM_GUESTDBG_USE_HW_BP: four in
 *    all, watching 1, 2, 4 or 8 aligned bytes.  x86 has no read-only
 *    watchpoint (R/W 11 is read or write), so Z3 is refused.
 *  - single-step: KVM_GUESTDBG_SINGLESTEP (KVM sets TF and hides it).
 *
 * A #BP or #DB that is not ours is the guest's own: it is delivered to
 * the guest (KVM_SET_VCPU_EVENTS) as if nothing had intercepted it.
 * While guest debugging is on, KVM owns the debug registers, so the
 * guest's own DR7 breakpoints do not fire (as under QEMU).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "exec/breakpoint.h"
#include "exec/cpu-debug.h"
#include "kvm-internal.h"
#include "qemu/log.h"
#include "trace/trace.h"

#define DR6_BS (1u << 14)
#define DR7_GE (1u << 9)
#define X86_INT3 0xcc

static bool sw_bp_listed(const CPUState *cpu, uint64_t addr)
{
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        if (bp->type == GDB_BREAKPOINT_SW && bp->addr == addr) {
            return true;
        }
    }
    return false;
}

static KVMSwBreakpoint *sw_bp_find(KVMCPUState *kcpu, uint64_t addr)
{
    for (guint i = 0; kcpu->sw_bps && i < kcpu->sw_bps->len; i++) {
        KVMSwBreakpoint *b = &g_array_index(kcpu->sw_bps, KVMSwBreakpoint, i);
        if (b->addr == addr) {
            return b;
        }
    }
    return NULL;
}

static bool phys_rw(CPUState *cpu, uint64_t paddr, uint8_t *byte, bool write)
{
    return address_space_rw(cpu->as, paddr, MEMTXATTRS_UNSPECIFIED, byte, 1, write) == MEMTX_OK;
}

/* Brings the int3 bytes in guest memory in line with the list. */
static bool kvm_sync_sw_breakpoints(CPUState *cpu, KVMCPUState *kcpu, Error **errp)
{
    if (!kcpu->sw_bps) {
        kcpu->sw_bps = g_array_new(false, false, sizeof(KVMSwBreakpoint));
    }
    for (guint i = kcpu->sw_bps->len; i-- > 0;) {
        KVMSwBreakpoint *b = &g_array_index(kcpu->sw_bps, KVMSwBreakpoint, i);
        if (!sw_bp_listed(cpu, b->addr)) {
            phys_rw(cpu, b->paddr, &b->saved, true);
            g_array_remove_index(kcpu->sw_bps, i);
        }
    }
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        KVMSwBreakpoint b = { .addr = bp->addr };
        uint8_t int3 = X86_INT3;

        if (bp->type != GDB_BREAKPOINT_SW || sw_bp_find(kcpu, bp->addr)) {
            continue;
        }
        if (!x86_cpu_get_phys_addr_debug(cpu, bp->addr, &b.paddr) ||
            !phys_rw(cpu, b.paddr, &b.saved, false) || !phys_rw(cpu, b.paddr, &int3, true)) {
            error_setg(errp, "cannot write int3 at 0x%" PRIx64 ": not mapped to RAM",
                       bp->addr);
            return false;
        }
        g_array_append_val(kcpu->sw_bps, b);
    }
    return true;
}

/* LEN field encodings (SDM vol.3 17.2.5): 1, 2, 8, 4 bytes. */
static int dr7_len(uint64_t len)
{
    switch (len) {
    case 1: return 0;
    case 2: return 1;
    case 8: return 2;
    case 4: return 3;
    default: return -1;
    }
}

bool kvm_update_guest_debug(CPUState *cpu, Error **errp)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    struct kvm_guest_debug dbg = { 0 };
    uint64_t dr7 = 0;
    int n = 0;

    if (!kcpu || kcpu->fd < 0) {
        error_setg(errp, "the KVM vCPU does not exist");
        return false;
    }
    if (!kvm_sync_sw_breakpoints(cpu, kcpu, errp)) {
        return false;
    }
    for (guint i = 0; cpu->breakpoints && i < cpu->breakpoints->len; i++) {
        const CPUBreakpoint *bp = &g_array_index(cpu->breakpoints, CPUBreakpoint, i);
        int rw, len;

        switch (bp->type) {
        case GDB_BREAKPOINT_SW:
            continue;
        case GDB_BREAKPOINT_HW:
            rw = 0;
            len = 0;
            break;
        case GDB_WATCHPOINT_READ:
            error_setg(errp, "x86 debug registers cannot watch reads only (use awatch)");
            return false;
        default:
            rw = bp->type == GDB_WATCHPOINT_WRITE ? 1 : 3;
            len = dr7_len(bp->len);
            if (len < 0 || (bp->addr & (bp->len - 1))) {
                error_setg(errp, "a debug register watches 1, 2, 4 or 8 aligned bytes, "
                           "not %" PRIu64 " at 0x%" PRIx64, bp->len, bp->addr);
                return false;
            }
            break;
        }
        if (n == 4) {
            error_setg(errp, "all four debug registers are in use");
            return false;
        }
        kcpu->hw_bps[n] = *bp;
        dbg.arch.debugreg[n] = bp->addr;
        /* G bit, R/W and LEN of DRn (SDM vol.3 17.2.4) */
        dr7 |= (2ull << (n * 2)) | ((uint64_t)rw << (16 + n * 4)) |
               ((uint64_t)len << (18 + n * 4));
        n++;
    }
    kcpu->n_hw_bps = n;
    if (n) {
        dr7 |= DR7_GE;
        dbg.control |= KVM_GUESTDBG_USE_HW_BP;
    }
    dbg.arch.debugreg[7] = dr7;
    if (kcpu->sw_bps->len) {
        dbg.control |= KVM_GUESTDBG_USE_SW_BP;
    }
    if (cpu->singlestep_enabled) {
        dbg.control |= KVM_GUESTDBG_SINGLESTEP;
    }
    if (dbg.control) {
        dbg.control |= KVM_GUESTDBG_ENABLE;
    }
    trace_event(kvm_set_guest_debug, "control=0x%x dr7=0x%" PRIx64, dbg.control, dr7);
    if (kvm_ioctl(kcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_GUEST_DEBUG");
        return false;
    }
    return true;
}

void kvm_debug_memory_fixup(CPUState *cpu, uint64_t paddr, uint8_t *buf, size_t len,
                            bool is_write)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);

    for (guint i = 0; kcpu && kcpu->sw_bps && i < kcpu->sw_bps->len; i++) {
        KVMSwBreakpoint *b = &g_array_index(kcpu->sw_bps, KVMSwBreakpoint, i);
        uint8_t int3 = X86_INT3;

        if (b->paddr < paddr || b->paddr - paddr >= len) {
            continue;
        }
        if (is_write) {
            b->saved = buf[b->paddr - paddr]; /* the breakpoint stays */
            phys_rw(cpu, b->paddr, &int3, true);
        } else {
            buf[b->paddr - paddr] = b->saved;
        }
    }
}

/* The guest's own #BP or #DB: deliver it as the CPU would have. */
static int kvm_reinject_exception(CPUState *cpu, int vector)
{
    struct kvm_vcpu_events events;
    KVMCPUState *kcpu = kvm_cpu(cpu);

    if (kvm_ioctl(kcpu->fd, KVM_GET_VCPU_EVENTS, &events) < 0) {
        return -errno;
    }
    events.exception.injected = 1;
    events.exception.nr = vector;
    events.exception.has_error_code = 0;
    events.exception.error_code = 0;
    events.flags = 0;
    if (kvm_ioctl(kcpu->fd, KVM_SET_VCPU_EVENTS, &events) < 0) {
        return -errno;
    }
    return 0;
}

int kvm_handle_debug(CPUState *cpu, const struct kvm_debug_exit_arch *arch)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);

    trace_event(kvm_handle_debug, "exception=%u pc=0x%llx dr6=0x%llx", arch->exception,
                (unsigned long long)arch->pc, (unsigned long long)arch->dr6);
    if (arch->exception == EXCP01_DB_VECTOR) {
        if ((arch->dr6 & DR6_BS) && cpu->singlestep_enabled) {
            cpu_debug_stop_set(cpu, DEBUG_STOP_STEP, NULL, arch->pc);
            return EXCP_DEBUG;
        }
        for (int n = 0; n < kcpu->n_hw_bps; n++) {
            if (arch->dr6 & (1u << n)) {
                const CPUBreakpoint *bp = &kcpu->hw_bps[n];
                cpu_debug_stop_set(cpu, cpu_breakpoint_is_watch(bp) ? DEBUG_STOP_WATCH
                                                                    : DEBUG_STOP_BREAKPOINT,
                                   bp, 0);
                return EXCP_DEBUG;
            }
        }
    } else if (arch->exception == EXCP03_BP_VECTOR && sw_bp_find(kcpu, arch->pc)) {
        const CPUBreakpoint bp = { .type = GDB_BREAKPOINT_SW, .addr = arch->pc, .len = 1 };
        cpu_debug_stop_set(cpu, DEBUG_STOP_BREAKPOINT, &bp, 0);
        return EXCP_DEBUG;
    }
    qemu_log_mask(CPU_LOG_INT, "kvm: guest's own #%s at 0x%llx, delivered to it\n",
                  arch->exception == EXCP03_BP_VECTOR ? "BP" : "DB",
                  (unsigned long long)arch->pc);
    int r = kvm_reinject_exception(cpu, arch->exception);
    if (r < 0) {
        error_report("KVM: cannot deliver the guest's #%u: %s", arch->exception, strerror(-r));
        return EXCP_FATAL;
    }
    return 0;
}

/*
 * KVM's instruction emulator (kvm_pvm here, or any host that emulates
 * guest code) fails to deliver a protected-mode #BP and exits with an
 * emulation failure instead of KVM_EXIT_DEBUG.  When the failing
 * instruction is our own int3, that is the breakpoint: the guest's state
 * is that of the instruction not yet run, as on a #BP exit.
 */
bool kvm_emulation_failed_at_breakpoint(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);

    if (!kcpu->sw_bps || !kcpu->sw_bps->len || kvm_arch_get_registers(cpu) < 0) {
        return false;
    }
    cpu->vcpu_dirty = true; /* env is current now */
    uint64_t pc = x86_cpu_pc_linear(cpu);
    if (!sw_bp_find(kcpu, pc)) {
        return false;
    }
    trace_event(kvm_breakpoint_emulation_failure, "pc=0x%" PRIx64, pc);
    const CPUBreakpoint bp = { .type = GDB_BREAKPOINT_SW, .addr = pc, .len = 1 };
    cpu_debug_stop_set(cpu, DEBUG_STOP_BREAKPOINT, &bp, 0);
    return true;
}

void kvm_debug_cleanup(KVMCPUState *kcpu)
{
    if (kcpu->sw_bps) {
        g_array_free(kcpu->sw_bps, true);
        kcpu->sw_bps = NULL;
    }
}
