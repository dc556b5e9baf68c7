/*
 * The Linux loader's entry state as KVM holds it: a bzImage (64-bit entry,
 * and one without) is loaded into a KVM VM's RAM with linux_boot_load,
 * duet puts the registers (synchronize_post_reset, then the put that
 * precedes KVM_RUN), and the test reads
 * them back with its own KVM_GET_REGS / KVM_GET_SREGS on the vCPU fd --
 * not through duet's conversion -- and checks them against the boot
 * protocol (boot.rst "32-bit/64-bit BOOT PROTOCOL"): RIP, RSI = boot_params,
 * CS/DS selectors and attributes, CR0/CR3/CR4/EFER, the GDT, and in guest
 * RAM the zero page, the command line and the identity page tables.
 * Exits 77 where /dev/kvm is not usable (probed here, not by duet).
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
#include "exec/memory.h"
#include "hw/i386/e820.h"
#include "hw/i386/linux-boot.h"
#include "qemu/main-loop.h"
#include "sysemu/accel.h"
#include "sysemu/machine.h"
#include "tests/unit/kvm-test.h"

#define RAM_SIZE (64 << 20)

static MemoryRegion ram;
static uint8_t *guest;

static void put16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, unsigned off, uint64_t v) { memcpy(p + off, &v, 8); }
static uint64_t get64(const uint8_t *p, unsigned off) { uint64_t v; memcpy(&v, p + off, 8); return v; }

/* A bzImage (4 setup sectors) whose protected-mode part is 8 KiB of HLT. */
static uint8_t *make_kernel(bool entry64, size_t *len)
{
    size_t setup = 5 * 512, pm = 8192;
    uint8_t *k = g_malloc0(setup + pm);

    k[0x1f1] = 4;
    put32(k, 0x1f4, pm / 16);
    put16(k, 0x1fe, 0xaa55);
    k[0x200] = 0xeb;
    k[0x201] = 0x6a;
    memcpy(k + 0x202, "HdrS", 4);
    put16(k, 0x206, 0x020f);
    k[0x211] = 1;
    put32(k, 0x214, 0x100000);
    put32(k, 0x22c, 0x7fffffff);
    put32(k, 0x230, 0x200000);
    k[0x234] = 1;
    put16(k, 0x236, entry64 ? 1 : 0);
    put32(k, 0x238, 2047);
    put64(k, 0x258, 0x1000000);
    put32(k, 0x260, 1 << 20);
    memset(k + setup, 0xf4, pm);
    *len = setup + pm;
    return k;
}

static MachineState *make_vm(void)
{
    MachineState *ms = g_new0(MachineState, 1);
    CPUState *cpu = g_new0(CPUState, 1);
    g_autoptr(Error) err = NULL;

    memory_map_init();
    cpu->as = &address_space_memory;
    cpu->as_io = &address_space_io;
    x86_cpu_reset(cpu);
    ms->cpu = cpu;
    ms->cpus = &ms->cpu; /* one vCPU */
    ms->smp = CPU_TOPOLOGY_ONE;
    ms->accel = &kvm_accel_ops;
    ck_assert_msg(kvm_accel_ops.init_machine(ms, &err), "init_machine: %s",
                  err ? error_get_pretty(err) : "");
    cpu->accel_ops = ms->accel;
    ck_assert(memory_region_init_ram(&ram, "ram", RAM_SIZE, &err));
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    guest = memory_region_get_ram_ptr(&ram);
    ck_assert_msg(ms->accel->init_vcpu(cpu, &err), "init_vcpu: %s",
                  err ? error_get_pretty(err) : "");
    return ms;
}

static void load_and_put(MachineState *ms, bool entry64, const char *cmdline)
{
    E820Table e820;
    size_t len;
    uint8_t *k = make_kernel(entry64, &len);
    g_autoptr(Error) err = NULL;
    LinuxBootImage *lb;

    e820_build_pc(&e820, RAM_SIZE, 0);
    lb = linux_boot_prepare("bz", k, len, cmdline, NULL, NULL, 0, &e820, &err);
    ck_assert_msg(lb, "%s", err ? error_get_pretty(err) : "");
    x86_cpu_reset(ms->cpu);
    linux_boot_load(lb, guest, &ms->cpu->env);
    linux_boot_image_free(lb);
    ms->accel->synchronize_post_reset(ms->cpu);
    /* what kvm_cpu_exec does before the first KVM_RUN */
    ck_assert_int_eq(kvm_arch_put_registers(ms->cpu), 0);
    ms->cpu->vcpu_dirty = false;
}

static void read_back(MachineState *ms, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
    int fd = kvm_cpu(ms->cpu)->fd;

    ck_assert_int_eq(ioctl(fd, KVM_GET_REGS, regs), 0);
    ck_assert_int_eq(ioctl(fd, KVM_GET_SREGS, sregs), 0);
}

static void check_flat(const struct kvm_segment *s, uint16_t sel, bool code, bool l)
{
    ck_assert_uint_eq(s->selector, sel);
    ck_assert_uint_eq(s->base, 0);
    ck_assert_uint_eq(s->limit, 0xffffffff);
    ck_assert_uint_eq(s->present, 1);
    ck_assert_uint_eq(s->s, 1);
    ck_assert_uint_eq(s->type, code ? 0xb : 0x3);
    ck_assert_uint_eq(s->l, l);
    ck_assert_uint_eq(s->db, code && l ? 0 : 1);
}

START_TEST(test_entry64)
{
    MachineState *ms = make_vm();
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    const uint8_t *bp = guest + LINUX_BOOT_PARAMS_ADDR;

    load_and_put(ms, true, "console=ttyS0 root=/dev/sda");
    read_back(ms, &regs, &sregs);
    ck_assert_uint_eq(regs.rip, 0x1000000 + 0x200);
    ck_assert_uint_eq(regs.rsi, LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(regs.rflags & 0x200, 0); /* interrupts off */
    check_flat(&sregs.cs, LINUX_BOOT_CS, true, true);
    check_flat(&sregs.ds, LINUX_BOOT_DS, false, false);
    check_flat(&sregs.ss, LINUX_BOOT_DS, false, false);
    ck_assert_uint_eq(sregs.cr0 & 0x80000001, 0x80000001);   /* PG, PE */
    ck_assert_uint_eq(sregs.cr3, LINUX_BOOT_PML4_ADDR);
    ck_assert(sregs.cr4 & CR4_PAE_MASK);
    ck_assert_uint_eq(sregs.efer & (MSR_EFER_LME | MSR_EFER_LMA), MSR_EFER_LME | MSR_EFER_LMA);
    ck_assert_uint_eq(sregs.gdt.base, LINUX_BOOT_GDT_ADDR);
    ck_assert_uint_eq(get64(guest + LINUX_BOOT_GDT_ADDR, 0x10), 0x00af9b000000ffffull);
    /* zero page: the header's signature, loader type, where the cmdline is */
    ck_assert(!memcmp(bp + 0x202, "HdrS", 4));
    ck_assert_uint_eq(bp[0x210], 0xff);
    ck_assert_str_eq((char *)guest + LINUX_BOOT_CMDLINE_ADDR, "console=ttyS0 root=/dev/sda");
    /* the identity map covers the kernel: PML4 -> PDPT -> PD, 2 MiB at 16 MiB */
    uint64_t pdpt = get64(guest + LINUX_BOOT_PML4_ADDR, 0) & ~0xfffull;
    uint64_t pd = get64(guest + pdpt, 0) & ~0xfffull;
    ck_assert_uint_eq(get64(guest + pd, 8 * 8), 0x1000000 | 0x83);
    kvm_test_destroy_vm(ms, &ram);
}
END_TEST

START_TEST(test_entry32)
{
    MachineState *ms = make_vm();
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    load_and_put(ms, false, "");
    read_back(ms, &regs, &sregs);
    ck_assert_uint_eq(regs.rip, 0x1000000);
    ck_assert_uint_eq(regs.rsi, LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(regs.rbx | regs.rbp | regs.rdi, 0);
    check_flat(&sregs.cs, LINUX_BOOT_CS, true, false);
    check_flat(&sregs.es, LINUX_BOOT_DS, false, false);
    ck_assert_uint_eq(sregs.cr0 & 0x80000001, 1); /* PE, no paging */
    ck_assert_uint_eq(sregs.efer & MSR_EFER_LMA, 0);
    ck_assert_uint_eq(get64(guest + LINUX_BOOT_GDT_ADDR, 0x10), 0x00cf9b000000ffffull);
    kvm_test_destroy_vm(ms, &ram);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm-linuxboot");
    TCase *tc = tcase_create("entry");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_entry64);
    tcase_add_test(tc, test_entry32);
    suite_add_tcase(s, tc);
    return kvm_test_main(s);
}
