/*
 * -accel kvm: the vCPU.  kvm_cpu_exec is the KVM_RUN loop; the exits that
 * need a device (port and MMIO accesses) are dispatched through the memory
 * API with the BQL held.  Guest code runs without the BQL.
 *
 * Kicks: SIG_IPI stays blocked in the vCPU thread except inside KVM_RUN
 * (KVM_SET_SIGNAL_MASK).  A kick sent while the thread is outside KVM_RUN
 * stays pending and makes the next KVM_RUN return EINTR at once, so it is
 * never lost; kvm_eat_signals then consumes it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm-internal.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

static void kvm_ipi_handler(int sig)
{
    /* Nothing to do: interrupting KVM_RUN is the whole point. */
}

/* Blocks SIG_IPI in the calling thread (inherited by the vCPU thread it
 * creates later) and tells KVM to unblock it only inside KVM_RUN. */
static bool kvm_init_cpu_signals(KVMCPUState *kcpu, Error **errp)
{
    struct sigaction action = { .sa_handler = kvm_ipi_handler };
    sigset_t set;

    sigemptyset(&action.sa_mask);
    sigaction(SIG_IPI, &action, NULL);

    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigdelset(&set, SIG_IPI);
    /* The kernel's sigset is 64 bits on x86-64, not glibc's 1024. */
    struct {
        struct kvm_signal_mask head;
        uint8_t sigset[8];
    } mask = { .head.len = 8 };
    memcpy(mask.sigset, &set, 8);
    if (kvm_ioctl(kcpu->fd, KVM_SET_SIGNAL_MASK, &mask) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_SIGNAL_MASK");
        return false;
    }
    return true;
}

static void kvm_eat_signals(void)
{
    const struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    while (sigtimedwait(&set, NULL, &zero) > 0) {
        /* drain every pending kick */
    }
}

/* kvm_init_machine left a KVMCPUState naming the VM in cpu->accel. */
bool kvm_init_vcpu(CPUState *cpu, Error **errp)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    KVMState *s = kcpu->s;

    /* QEMU's convention: the vCPU id is the APIC ID (KVM gives the
     * in-kernel APIC that ID, and vCPU 0 is the BSP). */
    kcpu->fd = ioctl(s->vmfd, KVM_CREATE_VCPU, (unsigned long)cpu->apic_id);
    if (kcpu->fd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VCPU");
        return false;
    }
    kcpu->run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, kcpu->fd, 0);
    if (kcpu->run == MAP_FAILED) {
        error_setg_errno(errp, errno, "mmap of the kvm_run area");
        kcpu->run = NULL;
        goto fail;
    }
    if (s->coalesced_mmio_page && !s->coalesced_ring) {
        s->coalesced_ring = (void *)((uint8_t *)kcpu->run +
                                     (size_t)s->coalesced_mmio_page * 4096);
    }
    if (!kvm_arch_init_vcpu(cpu, errp) || !kvm_init_cpu_signals(kcpu, errp)) {
        goto fail;
    }
    cpu->vcpu_dirty = true;
    return true;

fail:
    if (kcpu->run) {
        munmap(kcpu->run, s->vcpu_mmap_size);
        kcpu->run = NULL;
    }
    close(kcpu->fd);
    kcpu->fd = -1;
    return false;
}

void kvm_kick_vcpu(CPUState *cpu)
{
    /* A vCPU kicking itself (a device it drives raised an interrupt)
     * already re-checks its state before the next KVM_RUN. */
    if (!cpu->created || pthread_equal(cpu->thread_id, pthread_self())) {
        return;
    }
    pthread_kill(cpu->thread_id, SIG_IPI);
}

void kvm_cpu_synchronize_state(CPUState *cpu)
{
    if (!cpu->vcpu_dirty && kvm_cpu(cpu)->fd >= 0) {
        kvm_arch_get_registers(cpu);
        cpu->vcpu_dirty = true; /* env is now the newer copy */
    }
}

void kvm_cpu_synchronize_post_reset(CPUState *cpu)
{
    kvm_arch_reset_vcpu(cpu);
    cpu->vcpu_dirty = true;
}

/*
 * Port I/O exit: @count elements of @size bytes at @data (string I/O
 * moves many), each dispatched on its own as the CPU would.
 */
/* Not inlined: users set gdb breakpoints on it. */
static G_GNUC_NO_INLINE void kvm_handle_io(uint16_t port, MemTxAttrs attrs, void *data, int direction,
                          int size, uint32_t count)
{
    uint8_t *ptr = data;

    trace_event_begin(kvm_handle_io, "port=0x%x %s size=%d count=%u", port,
                      direction == KVM_EXIT_IO_OUT ? "out" : "in", size, count);
    for (uint32_t i = 0; i < count; i++) {
        address_space_rw(&address_space_io, port, attrs, ptr, size,
                         direction == KVM_EXIT_IO_OUT);
        ptr += size;
    }
    trace_event_end(kvm_handle_io_done, kvm_handle_io, NULL);
}

static void kvm_handle_mmio(struct kvm_run *run)
{
    trace_event_begin(kvm_handle_mmio, "addr=0x%llx len=%u %s",
                      (unsigned long long)run->mmio.phys_addr, run->mmio.len,
                      run->mmio.is_write ? "write" : "read");
    address_space_rw(&address_space_memory, run->mmio.phys_addr, MEMTXATTRS_UNSPECIFIED,
                     run->mmio.data, run->mmio.len, run->mmio.is_write);
    trace_event_end(kvm_handle_mmio_done, kvm_handle_mmio, NULL);
}

/*
 * Without the in-kernel irqchip, the board's 8259 raises
 * CPU_INTERRUPT_HARD and we inject its vector when the guest can take it
 * (SDM vol.3 6.8.1: IF set, no interrupt shadow); otherwise ask KVM to
 * exit as soon as the window opens.  With the BQL held.
 */
static void kvm_arch_pre_run(CPUState *cpu, struct kvm_run *run)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    int request = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);

    if (kcpu->s->kernel_irqchip) {
        return;
    }
    run->cr8 = cpu->env.cr8; /* the userspace APIC's TPR[7:4] */
    if (request & CPU_INTERRUPT_NMI) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_NMI);
        if (kvm_ioctl(kcpu->fd, KVM_NMI, NULL) < 0) {
            warn_report("kvm: KVM_NMI: %s", strerror(errno));
        }
    }
    if ((request & CPU_INTERRUPT_HARD) && run->ready_for_interrupt_injection &&
        run->if_flag && cpu->get_pic_interrupt) {
        /* The 8259 re-raises HARD on acknowledge if more is pending. */
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
        int vector = cpu->get_pic_interrupt(cpu->pic_opaque);
        if (vector >= 0) {
            struct kvm_interrupt intr = { .irq = vector };
            trace_event(kvm_inject_irq, "vector=%d", vector);
            if (kvm_ioctl(kcpu->fd, KVM_INTERRUPT, &intr) < 0) {
                warn_report("kvm: KVM_INTERRUPT %d: %s", vector, strerror(errno));
            }
        }
    }
    request = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    run->request_interrupt_window = (request & CPU_INTERRUPT_HARD) != 0;
}

/* KVM reports IF on every exit; cpu_has_work needs it after a HLT. */
static void kvm_arch_post_run(CPUState *cpu, struct kvm_run *run)
{
    if (!cpu->vcpu_dirty) {
        cpu->env.eflags = (cpu->env.eflags & ~(uint64_t)IF_MASK) | (run->if_flag ? IF_MASK : 0);
        if (!cpu->apic_ops) {
            cpu->env.cr8 = run->cr8;
            cpu->env.apic_base = run->apic_base;
            return;
        }
        /* A userspace local APIC owns both (and keeps env current):
         * tell it what the guest wrote. */
        if (run->cr8 != cpu->env.cr8) {
            cpu->apic_ops->set_tpr(cpu->apic_opaque, run->cr8);
        }
        if (run->apic_base != cpu->env.apic_base &&
            !cpu->apic_ops->set_base(cpu->apic_opaque, run->apic_base)) {
            warn_report("kvm: IA32_APIC_BASE 0x%llx refused by the APIC",
                        (unsigned long long)run->apic_base);
        }
    }
}

static const char *kvm_internal_error_reason(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "emulation failure";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "failure delivering an event";
    default:
        return "unknown suberror";
    }
}

/* A fatal exit: one line saying why, then the registers, on stderr. */
static int kvm_report_fatal(CPUState *cpu, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int kvm_report_fatal(CPUState *cpu, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    error_report("%s", msg);
    if (!cpu->vcpu_dirty) {
        kvm_arch_get_registers(cpu);
    }
    x86_cpu_dump_state(cpu, stderr);
    return EXCP_FATAL;
}

/*
 * Without the in-kernel irqchip, duet's local APIC (hw/intc/apic.c) raises
 * INIT and SIPI as interrupt_request bits, as under tcg: take them here,
 * on the vCPU's thread with the BQL (SDM vol.3 8.4.1, 10.6.1).  The new
 * state reaches KVM through vcpu_dirty.  True while the vCPU waits for a
 * SIPI: it must not enter KVM_RUN.
 */
static bool kvm_handle_init_sipi(CPUState *cpu)
{
    int req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);

    if (kvm_cpu(cpu)->s->kernel_irqchip) {
        return false;
    }
    if (req & CPU_INTERRUPT_INIT) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_INIT);
        x86_cpu_init_reset(cpu);
        req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_SEQ_CST);
    }
    if ((req & CPU_INTERRUPT_SIPI)) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_SIPI);
        if (cpu->env.wait_for_sipi) {
            x86_cpu_sipi_start(cpu, __atomic_load_n(&cpu->sipi_vector, __ATOMIC_SEQ_CST));
        }
    }
    return cpu->env.wait_for_sipi;
}

int kvm_cpu_exec(CPUState *cpu)
{
    KVMCPUState *kcpu = kvm_cpu(cpu);
    struct kvm_run *run = kcpu->run;
    int ret = 0;

    bql_lock();
    do {
        if (kvm_handle_init_sipi(cpu)) {
            cpu->env.halted = true;
            ret = EXCP_HLT;
            break;
        }
        if (cpu->vcpu_dirty) {
            if (kvm_arch_put_registers(cpu) < 0) {
                ret = kvm_report_fatal(cpu, "KVM: cannot load the vCPU registers: %s",
                                       strerror(errno));
                break;
            }
            cpu->vcpu_dirty = false;
        }
        kvm_arch_pre_run(cpu, run);
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_SEQ_CST)) {
            ret = EXCP_INTERRUPT;
            break;
        }
        bql_unlock();

        int r = ioctl(kcpu->fd, KVM_RUN, 0);
        int run_errno = errno;

        bql_lock();
        kvm_arch_post_run(cpu, run);
        /* Batched writes happened before this exit: replay them first. */
        kvm_flush_coalesced_mmio_buffer(kcpu->s);
        if (r < 0) {
            if (run_errno == EINTR || run_errno == EAGAIN) {
                trace_event(kvm_run_exit, "cpu=%d kick", cpu->cpu_index);
                kvm_eat_signals();
                ret = EXCP_INTERRUPT;
                break;
            }
            ret = kvm_report_fatal(cpu, "KVM_RUN failed: %s", strerror(run_errno));
            break;
        }
        trace_event(kvm_run_exit, "cpu=%d reason=%u", cpu->cpu_index, run->exit_reason);

        /* Kept in this function so a breakpoint in a device shows
         * kvm_handle_io <- kvm_cpu_exec <- the vCPU thread. */
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            kvm_handle_io(run->io.port, MEMTXATTRS_UNSPECIFIED,
                          (uint8_t *)run + run->io.data_offset, run->io.direction,
                          run->io.size, run->io.count);
            break;
        case KVM_EXIT_MMIO:
            kvm_handle_mmio(run);
            break;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
        case KVM_EXIT_SET_TPR: /* CR8 lowered; post_run told the APIC */
            break;
        case KVM_EXIT_HLT:
            /* Only without the in-kernel irqchip: sleep in the vCPU loop. */
            ret = EXCP_HLT;
            break;
        case KVM_EXIT_SHUTDOWN:
            /* Triple fault (SDM vol.3 6.15, #DF): the machine resets. */
            qemu_log_mask(LOG_GUEST_ERROR, "kvm: triple fault, resetting\n");
            qemu_system_reset_request();
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
                qemu_system_reset_request();
            } else {
                qemu_system_shutdown_request(0);
            }
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_INTR:
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_DEBUG:
            /* A debugger's breakpoint, watchpoint or step, or the guest's own */
            ret = kvm_handle_debug(cpu, &run->debug.arch);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            ret = kvm_report_fatal(cpu, "KVM: entry failed, hardware error 0x%llx",
                                   (unsigned long long)
                                   run->fail_entry.hardware_entry_failure_reason);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
                kvm_emulation_failed_at_breakpoint(cpu)) {
                ret = EXCP_DEBUG;
                break;
            }
            ret = kvm_report_fatal(cpu, "KVM internal error: %s (suberror %u)",
                                   kvm_internal_error_reason(run->internal.suberror),
                                   run->internal.suberror);
            break;
        default:
            ret = kvm_report_fatal(cpu, "KVM: unhandled exit reason %u", run->exit_reason);
            break;
        }
        /* A device asked for a reset or shutdown: stop right after the
         * instruction that asked, as the hardware would. */
        if (ret == 0 && qemu_system_request_pending()) {
            ret = EXCP_INTERRUPT;
        }
    } while (ret == 0);

    __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
    bql_unlock();
    return ret;
}
