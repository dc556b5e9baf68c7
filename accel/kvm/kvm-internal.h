/*
 * State shared by the files of -accel kvm.
 *
 * kvm-all.c: the VM (probe, KVM_CREATE_VM, in-kernel irqchip/PIT, memory
 * slots and coalesced I/O zones kept in step with the memory API);
 * kvm-cpu.c: the vCPU (KVM_RUN loop, exits, kicks);
 * kvm-regs.c: CPUX86State <-> KVM register sets, CPUID.
 */
#ifndef ACCEL_KVM_KVM_INTERNAL_H
#define ACCEL_KVM_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/breakpoint.h"
#include "exec/cpu.h"
#include "exec/memory.h"
#include "sysemu/machine.h"
#include "qapi/error.h"

/* The vCPU kick: blocked except while the vCPU is inside KVM_RUN. */
#define SIG_IPI SIGUSR1

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define KVM_API_VERSION_REQUIRED 12
/* Where QEMU's pc machine puts the pages KVM needs on VMX (SDM vol.3
 * 28.2: unrestricted guests still need them for real mode on old CPUs). */
#define KVM_TSS_ADDR          0xfffbd000
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000

typedef struct KVMSlot {
    int slot;
    hwaddr start;   /* guest physical */
    uint64_t size;  /* 0: free */
    void *host;
    uint32_t flags;
} KVMSlot;

typedef struct KVMState {
    int fd;   /* /dev/kvm */
    int vmfd;
    int vcpu_mmap_size;
    int nr_slots;
    KVMSlot *slots;

    bool kernel_irqchip;
    bool kernel_pit;
    bool readonly_mem;
    bool coalesced_pio;
    int coalesced_mmio_page; /* KVM_CAP_COALESCED_MMIO: ring page, 0 = none */
    struct kvm_coalesced_mmio_ring *coalesced_ring; /* set by the first vCPU */

    MemoryListener memory_listener;
    MemoryListener io_listener;
} KVMState;

/* An int3 the debugger's software breakpoint wrote (kvm-debug.c). */
typedef struct KVMSwBreakpoint {
    uint64_t addr;  /* linear */
    uint64_t paddr; /* where the int3 went, at insertion */
    uint8_t saved;  /* the byte it replaced */
} KVMSwBreakpoint;

typedef struct KVMCPUState {
    int fd;
    struct kvm_run *run;
    KVMState *s;
    /* Guest debugging (kvm-debug.c) */
    GArray *sw_bps;             /* of KVMSwBreakpoint */
    CPUBreakpoint hw_bps[4];    /* what DR0..DR3 hold */
    int n_hw_bps;
} KVMCPUState;

static inline KVMCPUState *kvm_cpu(CPUState *cpu)
{
    return cpu->accel;
}

/* ioctl() that retries when a kick lands during a non-KVM_RUN call. */
int kvm_ioctl(int fd, unsigned long request, void *arg);

/* kvm-all.c */
bool kvm_probe(Error **errp);
bool kvm_init_machine(MachineState *ms, Error **errp);
void kvm_cleanup(MachineState *ms);
void kvm_set_irq(MachineState *ms, int gsi, int level);
void kvm_flush_coalesced_mmio_buffer(KVMState *s);

/* kvm-cpu.c */
bool kvm_init_vcpu(CPUState *cpu, Error **errp);
int kvm_cpu_exec(CPUState *cpu);
/* The vCPU thread (kvm-accel-ops.c). */
void *kvm_vcpu_thread_fn(void *arg);
void kvm_kick_vcpu(CPUState *cpu);
void kvm_cpu_synchronize_state(CPUState *cpu);
void kvm_cpu_synchronize_post_reset(CPUState *cpu);

/* kvm-debug.c */
#define EXCP01_DB_VECTOR 1
#define EXCP03_BP_VECTOR 3
bool kvm_update_guest_debug(CPUState *cpu, Error **errp);
void kvm_debug_memory_fixup(CPUState *cpu, uint64_t paddr, uint8_t *buf, size_t len,
                            bool is_write);
/* KVM_EXIT_DEBUG: EXCP_DEBUG when it is ours, 0 when the guest's own
 * exception was delivered to it (run on), EXCP_FATAL. */
int kvm_handle_debug(CPUState *cpu, const struct kvm_debug_exit_arch *arch);
void kvm_debug_cleanup(KVMCPUState *kcpu);
/* An emulation failure on one of our int3s (an emulating KVM that cannot
 * deliver #BP): true, and the vCPU stops at that breakpoint. */
bool kvm_emulation_failed_at_breakpoint(CPUState *cpu);

/* kvm-regs.c */
bool kvm_arch_init_vcpu(CPUState *cpu, Error **errp);
int kvm_arch_put_registers(CPUState *cpu);
int kvm_arch_get_registers(CPUState *cpu);
/* After a system reset: FPU and multiprocessor state back to power-on. */
int kvm_arch_reset_vcpu(CPUState *cpu);

#endif
