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

typedef struct KVMCPUState {
    int fd;
    struct kvm_run *run;
    KVMState *s;
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

/* kvm-regs.c */
bool kvm_arch_init_vcpu(CPUState *cpu, Error **errp);
int kvm_arch_put_registers(CPUState *cpu);
int kvm_arch_get_registers(CPUState *cpu);
/* After a system reset: FPU and multiprocessor state back to power-on. */
int kvm_arch_reset_vcpu(CPUState *cpu);

#endif
