/*
 * What the unit tests that open /dev/kvm themselves share: whether the
 * host can run a VM at all (asked of the host, not of duet's probe, which
 * is under test), and a main that sets up the main loop and the BQL as
 * duet does and runs the suite in-process.
 */
#ifndef TESTS_UNIT_KVM_TEST_H
#define TESTS_UNIT_KVM_TEST_H

#include <check.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "exec/memory.h"
#include "qemu/main-loop.h"
#include "sysemu/machine.h"
#include "sysemu/cpus.h"

/* Why this host cannot create a VM, or NULL. */
static inline const char *kvm_test_host_missing(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int vm;

    if (fd < 0) {
        return "/dev/kvm cannot be opened";
    }
    vm = ioctl(fd, KVM_CREATE_VM, 0);
    close(fd);
    if (vm < 0) {
        return "KVM_CREATE_VM fails";
    }
    close(vm);
    return NULL;
}

/* Undoes a test's VM (the accelerator, its one guest-memory region @mr,
 * the address spaces), so LeakSanitizer sees only what duet itself loses. */
static inline void kvm_test_destroy_vm(MachineState *ms, MemoryRegion *mr)
{
    ms->accel->cleanup(ms);
    memory_region_del_subregion(get_system_memory(), mr);
    memory_region_finalize(mr);
    address_space_destroy(&address_space_memory);
    address_space_destroy(&address_space_io);
    memory_region_finalize(get_system_memory());
    memory_region_finalize(get_system_io());
    g_free(ms->cpu);
    g_free(ms);
}

/* 77 with the reason where the host has no usable KVM; else runs @s with
 * the BQL held, as duet's main thread holds it, and returns the exit status. */
static inline int kvm_test_main(Suite *s)
{
    const char *why = kvm_test_host_missing();
    Error *err = NULL;

    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        return 1;
    }
    qemu_main_loop_set_lock_hooks(bql_lock, bql_unlock, bql_locked);
    bql_lock();
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
