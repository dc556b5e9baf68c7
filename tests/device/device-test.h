/*
 * Helpers for device tests: port I/O through address_space_io with no CPU
 * (the qtest idea), a probe qemu_irq that records its level, and the main
 * loop for devices that need timers.
 */
#ifndef DEVICE_TEST_H
#define DEVICE_TEST_H

#include <check.h>
#include <glib.h>

#include "exec/memory.h"
#include "hw/irq.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "block/aio.h"

static inline void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline void outw(uint16_t port, uint16_t val)
{
    address_space_stw(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline uint16_t inw(uint16_t port)
{
    return address_space_lduw(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline void outl(uint16_t port, uint32_t val)
{
    address_space_stl(&address_space_io, port, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline uint32_t inl(uint16_t port)
{
    return address_space_ldl(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, NULL);
}

/* 32-bit MMIO through the system memory space (APIC, IOAPIC). */
static inline void writel(hwaddr addr, uint32_t val)
{
    address_space_stl(&address_space_memory, addr, val, MEMTXATTRS_UNSPECIFIED, NULL);
}

static inline uint32_t readl(hwaddr addr)
{
    return address_space_ldl(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED, NULL);
}

typedef struct IRQProbe {
    int level;
    int raises; /* 0 -> 1 transitions seen */
    qemu_irq irq;
} IRQProbe;

static inline void irq_probe_handler(void *opaque, int n, int level)
{
    IRQProbe *p = opaque;

    if (level && !p->level) {
        p->raises++;
    }
    p->level = level;
}

static inline void irq_probe_init(IRQProbe *p)
{
    p->level = 0;
    p->raises = 0;
    p->irq = qemu_allocate_irq(irq_probe_handler, p, 0);
}

/* Runs timers until *cond or @timeout_ms passes; returns *cond. */
static inline bool device_test_wait(const int *cond, int timeout_ms)
{
    int64_t end = g_get_monotonic_time() + timeout_ms * 1000;

    while (!*cond && g_get_monotonic_time() < end) {
        aio_poll(qemu_get_aio_context(), false);
        g_usleep(50);
    }
    return *cond;
}

static inline void device_test_init(void)
{
    Error *err = NULL;

    memory_map_init();
    if (!qemu_init_main_loop(&err)) {
        fprintf(stderr, "main loop: %s\n", error_get_pretty(err));
        abort();
    }
}

static inline int device_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
