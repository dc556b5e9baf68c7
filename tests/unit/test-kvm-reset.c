/*
 * The reset state as KVM holds it (SDM vol.3 9.1.1, table 9-1): duet's
 * x86_cpu_reset, put by synchronize_post_reset and the put before
 * KVM_RUN, read back with the test's own KVM_GET_REGS / KVM_GET_SREGS on
 * the vCPU fd -- CS F000 with base FFFF0000, EIP FFF0, EDX the CPUID
 * signature, CR0 60000010, EFLAGS 2, GDTR/IDTR limit FFFF, the other
 * segments 0 -- and then one KVM_RUN from there: a 64 KiB ROM at the top of
 * 4 GiB whose reset vector writes 0x42 to port 0xf4, the exit the test
 * waits for.  Exits 77 where /dev/kvm is not usable (probed here).
 */
#include <check.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/kvm-internal.h"
#include "exec/cpu.h"
#include "exec/cpuid.h"
#include "exec/memory.h"
#include "qemu/main-loop.h"
#include "sysemu/accel.h"
#include "sysemu/machine.h"
#include "tests/unit/kvm-test.h"

#define ROM_SIZE 0x10000


static MemoryRegion rom;

static MachineState *make_vm(void)
{
    MachineState *ms = g_new0(MachineState, 1);
    CPUState *cpu = g_new0(CPUState, 1);
    g_autoptr(Error) err = NULL;
    /* at 0xfffffff0: mov $0x42, %al; out %al, $0xf4; hlt */
    static const uint8_t reset_vector[] = { 0xb0, 0x42, 0xe6, 0xf4, 0xf4 };

    memory_map_init();
    cpu->as = &address_space_memory;
    cpu->as_io = &address_space_io;
    cpu->cpuid.model = x86_cpu_model_default();
    x86_cpu_reset(cpu);
    ms->cpu = cpu;
    ms->cpus = &ms->cpu; /* one vCPU */
    ms->smp = CPU_TOPOLOGY_ONE;
    ms->accel = &kvm_accel_ops;
    ck_assert_msg(kvm_accel_ops.init_machine(ms, &err), "init_machine: %s",
                  err ? error_get_pretty(err) : "");
    cpu->accel_ops = ms->accel;
    ck_assert(memory_region_init_ram(&rom, "pc.bios", ROM_SIZE, &err));
    memcpy((uint8_t *)memory_region_get_ram_ptr(&rom) + ROM_SIZE - 16, reset_vector,
           sizeof(reset_vector));
    memory_region_set_readonly(&rom, true);
    memory_region_add_subregion(get_system_memory(), (1ull << 32) - ROM_SIZE, &rom);
    ck_assert_msg(ms->accel->init_vcpu(cpu, &err), "init_vcpu: %s",
                  err ? error_get_pretty(err) : "");
    return ms;
}

START_TEST(test_reset_state_in_kvm)
{
    MachineState *ms = make_vm();
    CPUState *cpu = ms->cpu;
    int fd = kvm_cpu(cpu)->fd;
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    /* dirty the state first, as a protected-mode guest would have before a
     * reset (with CR0.PG too, this host's PVM KVM then shuts the vCPU down
     * at the first KVM_RUN even though every register reads back right) */
    cpu->env.eip = 0x1234;
    cpu->env.cr[0] = 0x60000011;
    cpu->env.segs[R_CS].base = 0;
    cpu->env.segs[R_CS].selector = 0x8;
    cpu->env.regs[R_EAX] = 0xdead;
    ms->accel->synchronize_post_reset(cpu);
    ck_assert_int_eq(kvm_arch_put_registers(cpu), 0);
    x86_cpu_reset(cpu);
    ms->accel->synchronize_post_reset(cpu);
    ck_assert_int_eq(kvm_arch_put_registers(cpu), 0);
    cpu->vcpu_dirty = false;

    ck_assert_int_eq(ioctl(fd, KVM_GET_REGS, &regs), 0);
    ck_assert_int_eq(ioctl(fd, KVM_GET_SREGS, &sregs), 0);
    ck_assert_uint_eq(regs.rip, 0xfff0);
    ck_assert_uint_eq(regs.rflags, 0x2);
    ck_assert_uint_eq(regs.rdx, x86_cpuid_signature(x86_cpu_model_default()));
    ck_assert_uint_eq(regs.rax | regs.rbx | regs.rcx | regs.rsp | regs.rbp | regs.rsi |
                      regs.rdi, 0);
    ck_assert_uint_eq(sregs.cs.selector, 0xf000);
    ck_assert_uint_eq(sregs.cs.base, 0xffff0000);
    ck_assert_uint_eq(sregs.cs.limit, 0xffff);
    ck_assert(sregs.cs.present && sregs.cs.s && (sregs.cs.type & 8) && !sregs.cs.db);
    struct kvm_segment *data[] = { &sregs.ds, &sregs.es, &sregs.ss, &sregs.fs, &sregs.gs };
    for (size_t i = 0; i < G_N_ELEMENTS(data); i++) {
        ck_assert_uint_eq(data[i]->selector, 0);
        ck_assert_uint_eq(data[i]->base, 0);
        ck_assert_uint_eq(data[i]->limit, 0xffff);
        ck_assert(data[i]->present && data[i]->s && (data[i]->type & 2));
    }
    ck_assert_uint_eq(sregs.cr0, 0x60000010);
    ck_assert_uint_eq(sregs.cr3 | sregs.cr4 | sregs.efer, 0);
    ck_assert_uint_eq(sregs.gdt.base, 0);
    ck_assert_uint_eq(sregs.gdt.limit, 0xffff);
    ck_assert_uint_eq(sregs.idt.base, 0);
    ck_assert_uint_eq(sregs.idt.limit, 0xffff);
    ck_assert_uint_eq(sregs.apic_base & ~0xfffull, 0xfee00000);

    /* and the first instruction is the ROM's last 16 bytes */
    ck_assert_int_eq(ioctl(fd, KVM_RUN, 0), 0);
    struct kvm_run *run = kvm_cpu(cpu)->run;
    ck_assert_int_eq(run->exit_reason, KVM_EXIT_IO);
    ck_assert_uint_eq(run->io.port, 0xf4);
    ck_assert_uint_eq(run->io.direction, KVM_EXIT_IO_OUT);
    ck_assert_uint_eq(*((uint8_t *)run + run->io.data_offset), 0x42);
    kvm_test_destroy_vm(ms, &rom);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm-reset");
    TCase *tc = tcase_create("reset");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_reset_state_in_kvm);
    suite_add_tcase(s, tc);
    return kvm_test_main(s);
}
