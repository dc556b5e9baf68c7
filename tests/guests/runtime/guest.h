/*
 * The test guests' runtime: port I/O, polled COM1 output, printf-lite and
 * isa-debug-exit.  Every guest defines guest_main and returns GUEST_PASS
 * or GUEST_FAIL; the runtime writes that to the debug-exit port, so duet
 * (and QEMU) exit with status (value << 1) | 1.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_PASS 0x31 /* exit status 99 */
#define GUEST_FAIL 0x30 /* exit status 97 */
#define DEBUG_EXIT_PORT 0xf4
#define COM1 0x3f8

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Multiboot information (spec 3.3), the fields the guests read */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
};

struct multiboot_module {
    uint32_t mod_start, mod_end, string, reserved;
};

struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t base_addr, length;
    uint32_t type;
} __attribute__((packed));

int guest_main(uint32_t magic, struct multiboot_info *mbi);

void putchar_serial(char c);
void puts_serial(const char *s);
void printf_serial(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug_exit(uint8_t value) __attribute__((noreturn));
/* Prints "FAIL: what" and returns false when !cond. */
bool check(bool cond, const char *what);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif
