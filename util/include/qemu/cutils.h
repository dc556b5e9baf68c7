/*
 * Numbers and sizes as the command line writes them.  One definition for
 * the whole tree: the option lists (qemu/option.h) and every program that
 * takes a size argument (duet-img create FILE 10G) use these.
 */
#ifndef QEMU_CUTILS_H
#define QEMU_CUTILS_H

#include <stdint.h>

/*
 * Unsigned number: decimal ("4096", "010" is ten) or hex with 0x ("0xf4").
 * No sign, no spaces.  0 on success, -EINVAL if malformed, -ERANGE if it
 * does not fit 64 bits.
 */
int qemu_strtou64(const char *str, uint64_t *value);

/*
 * Size: a decimal number with an optional suffix B, K, M, G, T, P or E
 * (either case; powers of 1024) or a bare hex number.  A bare number
 * counts @unit bytes (1, or 1 << 20 for -m's MiB).  A fraction needs a
 * suffix ("1.5M"; rounded down to a whole byte).  Same returns as above.
 */
int qemu_strtosz(const char *str, uint64_t unit, uint64_t *value);

/* "64 KiB", "1.5 GiB": three significant digits, for messages. */
char *size_to_str(uint64_t size);

#endif
