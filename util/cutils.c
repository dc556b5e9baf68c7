/*
 * The number and size syntax of the command line (see qemu/cutils.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <glib.h>
#include <string.h>

#include "qemu/cutils.h"

/* Digits of @base from *p on; advances *p.  -EINVAL when there are none. */
static int parse_digits(const char **p, unsigned base, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    bool overflow = false;

    for (; g_ascii_isxdigit(*s); s++) {
        unsigned digit = g_ascii_xdigit_value(*s);

        if (digit >= base) {
            break;
        }
        if (v > (UINT64_MAX - digit) / base) {
            overflow = true;
        }
        v = v * base + digit;
    }
    if (s == *p) {
        return -EINVAL;
    }
    *p = s;
    *value = v;
    return overflow ? -ERANGE : 0;
}

static bool is_hex_prefix(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

int qemu_strtou64(const char *str, uint64_t *value)
{
    const char *p = str;
    uint64_t v;
    int ret;

    if (is_hex_prefix(p)) {
        p += 2;
        ret = parse_digits(&p, 16, &v);
    } else {
        ret = parse_digits(&p, 10, &v);
    }
    if (ret == -EINVAL || *p) {
        return -EINVAL;
    }
    if (ret == 0) {
        *value = v;
    }
    return ret;
}

int qemu_strtosz(const char *str, uint64_t unit, uint64_t *value)
{
    static const char suffixes[] = "BKMGTPE";
    const char *p = str;
    const char *suffix;
    uint64_t whole, mult = unit ? unit : 1;
    double fraction = 0, scale = 1, extra;
    bool has_fraction = false;
    int ret;

    if (is_hex_prefix(p)) {
        /* Bare hex only: QEMU deprecated suffixes on hex numbers. */
        ret = qemu_strtou64(p, &whole);
        if (ret == 0 && unit > 1 && whole > UINT64_MAX / unit) {
            ret = -ERANGE;
        }
        if (ret == 0) {
            *value = whole * mult;
        }
        return ret;
    }
    ret = parse_digits(&p, 10, &whole);
    if (ret == -EINVAL) {
        return ret;
    }
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p)) {
            return -EINVAL;
        }
        for (; g_ascii_isdigit(*p); p++) {
            scale /= 10;
            fraction += (*p - '0') * scale;
        }
        has_fraction = true;
    }
    if (*p) {
        suffix = strchr(suffixes, g_ascii_toupper(*p));
        if (!suffix || p[1]) {
            return -EINVAL;
        }
        mult = 1ULL << ((suffix - suffixes) * 10);
    } else if (has_fraction) {
        return -EINVAL; /* "1.5" bytes (or MiB, for -m) is not a size */
    }
    if (ret == -ERANGE || whole > UINT64_MAX / mult) {
        return -ERANGE;
    }
    whole *= mult;
    extra = fraction * (double)mult; /* the cast below rounds it down */
    if (extra >= 0x1p64 || whole > UINT64_MAX - (uint64_t)extra) {
        return -ERANGE;
    }
    *value = whole + (uint64_t)extra;
    return 0;
}

char *size_to_str(uint64_t size)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double value = size;
    int i = 0;

    while (value >= 1024 && i < 6) {
        value /= 1024;
        i++;
    }
    return g_strdup_printf("%0.3g %s", value, units[i]);
}
