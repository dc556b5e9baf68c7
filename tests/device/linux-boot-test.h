/*
 * What the Linux boot loader tests share (test-linux-boot, test-linux-unpack):
 * a 128 MiB RAM with the pc e820 map as the fixture, and little-endian
 * field access for crafting setup headers and reading boot_params.
 */
#ifndef LINUX_BOOT_TEST_H
#define LINUX_BOOT_TEST_H

#include <string.h>

#include "device-test.h"
#include "hw/i386/e820.h"
#include "hw/i386/linux-boot.h"

#define RAM_SIZE (128 << 20)
#define MiB (1u << 20)

static uint8_t *ram;
static E820Table e820;

static void setup(void)
{
    ram = g_malloc0(RAM_SIZE);
    e820_build_pc(&e820, RAM_SIZE, 0);
}

static void teardown(void)
{
    g_free(ram);
}

static inline void put16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static inline void put32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }
static inline void put64(uint8_t *p, unsigned off, uint64_t v) { memcpy(p + off, &v, 8); }
static inline uint16_t get16(const uint8_t *p, unsigned off)
{
    uint16_t v;
    memcpy(&v, p + off, 2);
    return v;
}
static inline uint32_t get32(const uint8_t *p, unsigned off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}
static inline uint64_t get64(const uint8_t *p, unsigned off)
{
    uint64_t v;
    memcpy(&v, p + off, 8);
    return v;
}

#endif
