/*
 * Polled COM1 output (LSR bit 5 = THR empty), a printf subset
 * (%c %s %d %u %x %p, width, '0' flag, 'l'/'ll' accepted) and the exit path.
 */
#include "guest.h"

#define LSR_THRE 0x20

void putchar_serial(char c)
{
    if (c == '\n') {
        putchar_serial('\r');
    }
    while (!(inb(COM1 + 5) & LSR_THRE)) {
    }
    outb(COM1, c);
}

void puts_serial(const char *s)
{
    while (*s) {
        putchar_serial(*s++);
    }
}

/* *n /= base, returning the remainder, without libgcc's 64-bit division. */
static uint32_t div64_32(uint64_t *n, uint32_t base)
{
    uint32_t hi = *n >> 32, lo = (uint32_t)*n;
    uint32_t qhi = hi / base, rem = hi % base, qlo;

    __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(base));
    *n = (uint64_t)qhi << 32 | qlo;
    return rem;
}

static void print_number(uint64_t v, unsigned base, int width, char pad, bool negative)
{
    char buf[24];
    int n = 0;

    do {
        buf[n++] = "0123456789abcdef"[div64_32(&v, base)];
    } while (v);
    if (negative) {
        buf[n++] = '-';
    }
    while (n < width--) {
        putchar_serial(pad);
    }
    while (n) {
        putchar_serial(buf[--n]);
    }
}

void printf_serial(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        char pad = ' ';
        int width = 0, longs = 0;

        if (*fmt != '%') {
            putchar_serial(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'c':
            putchar_serial((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            puts_serial(s ? s : "(null)");
            break;
        }
        case 'd': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int);
            print_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            print_number(longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
                         pad, false);
            break;
        case 'x':
            print_number(longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
                         pad, false);
            break;
        case 'p':
            print_number((uintptr_t)va_arg(ap, void *), 16, 8, '0', false);
            break;
        case '%':
            putchar_serial('%');
            break;
        default:
            putchar_serial('?');
            break;
        }
    }
    va_end(ap);
}

void debug_exit(uint8_t value)
{
    outb(DEBUG_EXIT_PORT, value);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

bool check(bool cond, const char *what)
{
    if (!cond) {
        printf_serial("FAIL: %s\n", what);
    }
    return cond;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;

    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;

    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

void guest_start(uint32_t magic, struct multiboot_info *mbi);

void guest_start(uint32_t magic, struct multiboot_info *mbi)
{
    debug_exit(guest_main(magic, mbi));
}
