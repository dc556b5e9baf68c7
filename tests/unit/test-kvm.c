/*
 * -accel kvm against the real /dev/kvm: a VM with 1 MiB of RAM runs a few
 * bytes of real-mode code, and its port, string-I/O, MMIO and coalesced
 * writes must arrive through the memory API in guest order; HLT (without
 * the in-kernel irqchip) returns EXCP_HLT; a kick always gets the vCPU
 * thread out of guest code.  Exits 77 where KVM is not usable.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/cpu.h"
#include "exec/memory.h"
#include "hw/boards.h"
#include "qemu/main-loop.h"
#include "sysemu/cpus.h"
#include "sysemu/accel.h"

#define CODE_ADDR 0x7c00
#define PROBE_PORT 0x10
#define POST_PORT 0x80
#define MMIO_ADDR 0xd0000

typedef struct IOEvent {
    hwaddr addr;
    uint64_t value;
    unsigned size;
    unsigned post_count; /* port 0x80 writes seen before this one */
} IOEvent;

static MemoryRegion ram, probe_io, post_io, probe_mmio;
static GArray *events;
static unsigned post_count;


static uint64_t probe_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void probe_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    IOEvent ev = { (hwaddr)(uintptr_t)opaque + addr, value, size, post_count };
    g_array_append_val(events, ev);
}

static const MemoryRegionOps probe_ops = {
    .read = probe_read,
    .write = probe_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void post_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    post_count++;
}

static const MemoryRegionOps post_ops = {
    .read = probe_read,
    .write = post_write,
};

static MachineState *make_machine(const uint8_t *code, size_t len, const char *accel_opts)
{
    MachineState *ms = g_new0(MachineState, 1);
    CPUState *cpu = g_new0(CPUState, 1);
    g_autoptr(Error) err = NULL;

    events = g_array_new(false, false, sizeof(IOEvent));
    memory_map_init();
    cpu->as = &address_space_memory;
    cpu->as_io = &address_space_io;
    x86_cpu_reset(cpu);
    ms->cpu = cpu;
    ms->cpus = &ms->cpu; /* one vCPU */
    ms->smp = CPU_TOPOLOGY_ONE;
    ms->accel = &kvm_accel_ops;
    if (accel_opts) {
        g_autofree char *str = g_strdup_printf("kvm,%s", accel_opts);
        bool help;

        ms->accel_opts = accel_opts_parse(str, stdout, &help, &err);
        ck_assert_msg(ms->accel_opts, "%s: %s", str, err ? error_get_pretty(err) : "help");
    }
    ck_assert_msg(kvm_accel_ops.init_machine(ms, &err), "init_machine: %s",
                  err ? error_get_pretty(err) : "");
    cpu->accel_ops = ms->accel;

    ck_assert(memory_region_init_ram(&ram, "ram", 1 << 20, &err));
    memcpy((uint8_t *)memory_region_get_ram_ptr(&ram) + CODE_ADDR, code, len);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_init_io(&probe_mmio, &probe_ops, (void *)(uintptr_t)MMIO_ADDR, "probe-mmio",
                          0x1000);
    memory_region_add_subregion_overlap(get_system_memory(), MMIO_ADDR, &probe_mmio, 1);
    memory_region_init_io(&probe_io, &probe_ops, (void *)(uintptr_t)PROBE_PORT, "probe", 4);
    memory_region_add_subregion(get_system_io(), PROBE_PORT, &probe_io);
    memory_region_init_io(&post_io, &post_ops, NULL, "post", 1);
    memory_region_add_coalescing(&post_io, 0, 1);
    memory_region_add_subregion(get_system_io(), POST_PORT, &post_io);

    ck_assert_msg(ms->accel->init_vcpu(cpu, &err), "init_vcpu: %s",
                  err ? error_get_pretty(err) : "");
    /* Start at 0000:7c00 in real mode. */
    cpu->env.segs[R_CS].selector = 0;
    cpu->env.segs[R_CS].base = 0;
    cpu->env.eip = CODE_ADDR;
    cpu->vcpu_dirty = true;
    return ms;
}

static void destroy_machine(MachineState *ms)
{
    ms->accel->cleanup(ms);
    qemu_opts_free(ms->accel_opts);
    g_free(ms->cpu);
    g_free(ms);
    g_array_free(events, true);
}

static IOEvent *event(unsigned i)
{
    ck_assert_uint_gt(events->len, i);
    return &g_array_index(events, IOEvent, i);
}

START_TEST(test_out_and_hlt)
{
    static const uint8_t code[] = {
        0xb0, 0x42,       /* mov al, 0x42 */
        0xe6, 0x10,       /* out 0x10, al */
        0xb8, 0x34, 0x12, /* mov ax, 0x1234 */
        0xe7, 0x12,       /* out 0x12, ax */
        0xf4,             /* hlt */
    };
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");

    ck_assert_int_eq(ms->accel->cpu_exec(ms->cpu), EXCP_HLT);
    ck_assert_uint_eq(events->len, 2);
    ck_assert_uint_eq(event(0)->addr, 0x10);
    ck_assert_uint_eq(event(0)->value, 0x42);
    ck_assert_uint_eq(event(0)->size, 1);
    ck_assert_uint_eq(event(1)->addr, 0x12);
    ck_assert_uint_eq(event(1)->value, 0x1234);
    ck_assert_uint_eq(event(1)->size, 2);
    /* The registers come back: EIP is past the HLT. */
    ms->accel->synchronize_state(ms->cpu);
    ck_assert_uint_eq(ms->cpu->env.eip, CODE_ADDR + sizeof(code));
    ck_assert_uint_eq(ms->cpu->env.regs[R_EAX] & 0xffff, 0x1234);
    destroy_machine(ms);
}
END_TEST

START_TEST(test_string_io)
{
    static const uint8_t code[] = {
        0xbe, 0x10, 0x7c, /* mov si, data */
        0xb9, 0x05, 0x00, /* mov cx, 5 */
        0xba, 0x10, 0x00, /* mov dx, 0x10 */
        0xfc,             /* cld */
        0xf3, 0x6e,       /* rep outsb */
        0xf4,             /* hlt */
        0x90, 0x90, 0x90,
        'd', 'u', 'e', 't', '!', /* data at 0x7c10 */
    };
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");

    ck_assert_int_eq(ms->accel->cpu_exec(ms->cpu), EXCP_HLT);
    ck_assert_uint_eq(events->len, 5);
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_uint_eq(event(i)->addr, 0x10);
        ck_assert_uint_eq(event(i)->value, (uint8_t)"duet!"[i]);
    }
    destroy_machine(ms);
}
END_TEST

START_TEST(test_mmio)
{
    static const uint8_t code[] = {
        0xb8, 0x00, 0xd0,             /* mov ax, 0xd000 */
        0x8e, 0xd8,                   /* mov ds, ax */
        0xc6, 0x06, 0x08, 0x00, 0x77, /* mov byte [8], 0x77 */
        0xf4,                         /* hlt */
    };
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");

    ck_assert_int_eq(ms->accel->cpu_exec(ms->cpu), EXCP_HLT);
    ck_assert_uint_eq(events->len, 1);
    ck_assert_uint_eq(event(0)->addr, MMIO_ADDR + 8);
    ck_assert_uint_eq(event(0)->value, 0x77);
    destroy_machine(ms);
}
END_TEST

/* The x87/SSE state goes in with KVM_SET_FPU and comes back with
 * KVM_GET_FPU unchanged: stack order, TOP, tags, MXCSR, XMM.  (This
 * host's KVM runs real-mode code in its instruction emulator, which has
 * no SSE: the guest only halts.) */
START_TEST(test_fpu_sync)
{
    static const uint8_t code[] = { 0xf4 }; /* hlt */
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");
    X86FPUState *f = &ms->cpu->env.fpu, want;
    long double one = 1, two = 2;

    ms->cpu->env.cr[4] |= CR4_OSFXSR_MASK;
    f->mxcsr = 0x7f80;
    /* Rounding up, 64-bit precision, every exception masked: with IE
     * unmasked the CPU would derive ES and B from the pending IE whenever
     * the host happens to load and save this state (SDM vol.1 8.1.3.1),
     * and FSW would come back changed or not by the host's timing. */
    f->fcw = 0x0b7f;
    for (int i = 0; i < 4; i++) {
        f->xmm[0].l[i] = i + 1;
        f->xmm[7].l[i] = 10 * (i + 1);
    }
    f->fsw = (6 << 11) | 0x4001; /* TOP 6: ST0 = R6 = 1.0, ST1 = R7 = 2.0; C3, IE */
    f->ftw = 0xc0;
    memcpy(&f->st[6], &one, 10);
    memcpy(&f->st[7], &two, 10);
    f->st[2].mant = 0x123456789abcdef0ull; /* an empty register keeps its bits */
    f->st[2].sign_exp = 0x4321;
    want = *f;
    ms->cpu->vcpu_dirty = true;

    ck_assert_int_eq(ms->accel->cpu_exec(ms->cpu), EXCP_HLT);
    memset(f, 0, sizeof(*f));
    ms->accel->synchronize_state(ms->cpu);
    ck_assert_uint_eq(f->fcw, want.fcw);
    ck_assert_uint_eq(f->fsw, want.fsw);
    ck_assert_uint_eq(f->ftw, want.ftw);
    ck_assert_uint_eq(f->mxcsr, want.mxcsr);
    ck_assert(!memcmp(f->xmm, want.xmm, sizeof(want.xmm)));
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(f->st[i].mant, want.st[i].mant);
        ck_assert_uint_eq(f->st[i].sign_exp, want.st[i].sign_exp);
    }
    destroy_machine(ms);
}
END_TEST

/* 1000 POST writes KVM may batch, then a normal port write: the batch
 * must be replayed before the normal write reaches its device. */
START_TEST(test_coalesced_pio_order)
{
    static const uint8_t code[] = {
        0xb9, 0xe8, 0x03, /* mov cx, 1000 */
        0xe6, 0x80,       /* l: out 0x80, al */
        0xe2, 0xfc,       /* loop l */
        0xe6, 0x10,       /* out 0x10, al */
        0xf4,             /* hlt */
    };
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");

    ck_assert_int_eq(ms->accel->cpu_exec(ms->cpu), EXCP_HLT);
    ck_assert_uint_eq(events->len, 1);
    ck_assert_uint_eq(event(0)->post_count, 1000);
    ck_assert_uint_eq(post_count, 1000);
    destroy_machine(ms);
}
END_TEST

/* The vCPU thread spins in guest code; pausing it must still work (the
 * kick reaches it inside KVM_RUN), and so must ending it. */
START_TEST(test_kick_running_vcpu)
{
    static const uint8_t code[] = {
        0xe6, 0x10, /* out 0x10, al */
        0xeb, 0xfe, /* jmp $ */
    };
    MachineState *ms = make_machine(code, sizeof(code), NULL);
    g_autoptr(Error) err = NULL;

    bql_lock();
    ck_assert(qemu_init_vcpu(ms->cpu, false, &err));
    for (int i = 0; i < 500 && events->len == 0; i++) {
        bql_unlock();
        g_usleep(10 * 1000);
        bql_lock();
    }
    ck_assert_uint_eq(events->len, 1);
    for (int round = 0; round < 3; round++) {
        cpu_pause(ms->cpu);
        ck_assert(ms->cpu->stopped);
        cpu_resume(ms->cpu);
        bql_unlock();
        g_usleep(20 * 1000);
        bql_lock();
    }
    cpu_stop_thread(ms->cpu);
    bql_unlock();
    destroy_machine(ms);
}
END_TEST

static int pending_vector = -1;

static int test_pic_interrupt(void *opaque)
{
    int vector = pending_vector;
    pending_vector = -1;
    return vector;
}

static bool wait_for(bool (*cond)(CPUState *), CPUState *cpu)
{
    for (int i = 0; i < 500; i++) {
        if (cond(cpu)) {
            return true;
        }
        bql_unlock();
        g_usleep(10 * 1000);
        bql_lock();
    }
    return false;
}

static bool cpu_is_halted(CPUState *cpu)
{
    return cpu->env.halted;
}

static bool two_events(CPUState *cpu)
{
    return events->len >= 2;
}

/*
 * Userspace irqchip: the guest halts with IF set; the vCPU thread must
 * sleep (not spin), wake on cpu_interrupt(HARD), and KVM must deliver the
 * vector the "8259" hands out, through the real-mode IVT.
 */
START_TEST(test_userspace_irq_wakes_halt)
{
    static const uint8_t code[] = {
        0xfb,             /* 7c00: sti */
        0xf4,             /* 7c01: hlt */
        0xeb, 0xfd,       /* 7c02: jmp 7c01 */
        [0x10] = 0xb0, 0x99, /* 7c10: mov al, 0x99 */
        0xe6, 0x10,       /* out 0x10, al */
        0xcf,             /* iret */
    };
    MachineState *ms = make_machine(code, sizeof(code), "kernel-irqchip=off");
    CPUState *cpu = ms->cpu;
    g_autoptr(Error) err = NULL;
    uint8_t *ivt = memory_region_get_ram_ptr(&ram);

    /* IVT entry 0x20 -> 0000:7c10 */
    ivt[0x80] = 0x10;
    ivt[0x81] = 0x7c;
    cpu->get_pic_interrupt = test_pic_interrupt;

    bql_lock();
    ck_assert(qemu_init_vcpu(cpu, false, &err));
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(wait_for(cpu_is_halted, cpu), "vCPU did not halt");
        ck_assert_uint_eq(events->len, round);
        pending_vector = 0x20;
        cpu_interrupt(cpu, CPU_INTERRUPT_HARD);
        bql_unlock();
        g_usleep(20 * 1000);
        bql_lock();
    }
    ck_assert_msg(wait_for(two_events, cpu), "interrupt not delivered");
    ck_assert_uint_eq(event(0)->value, 0x99);
    ck_assert_uint_eq(event(1)->value, 0x99);
    cpu_stop_thread(cpu);
    bql_unlock();
    destroy_machine(ms);
}
END_TEST

int main(void)
{
    g_autoptr(Error) err = NULL;

    if (!kvm_accel_ops.probe(&err)) {
        printf("SKIP: KVM not usable here: %s\n", error_get_pretty(err));
        return 77;
    }
    Suite *s = suite_create("kvm");
    TCase *tc = tcase_create("kvm");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_out_and_hlt);
    tcase_add_test(tc, test_fpu_sync);
    tcase_add_test(tc, test_string_io);
    tcase_add_test(tc, test_mmio);
    tcase_add_test(tc, test_coalesced_pio_order);
    tcase_add_test(tc, test_kick_running_vcpu);
    tcase_add_test(tc, test_userspace_irq_wakes_halt);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
