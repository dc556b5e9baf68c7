/*
 * REP string instructions, both directions, every size, edge counts and
 * overlapping copies, each checked against a C loop; prints a checksum
 * of everything so the differential run compares the exact bytes.
 */
#include "cpu.h"

static uint8_t a[8192], b[8192], ref[8192];

static int memcmp(const void *x, const void *y, size_t n)
{
    const uint8_t *p = x, *q = y;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != q[i]) {
            return p[i] - q[i];
        }
    }
    return 0;
}
static uint32_t checksum;

static void fill(uint8_t *p, uint32_t seed)
{
    for (int i = 0; i < 8192; i++) {
        p[i] = (uint8_t)(i * 13 + seed + (i >> 7));
    }
}

static void sum(const uint8_t *p)
{
    for (int i = 0; i < 8192; i++) {
        checksum = (checksum << 5 | checksum >> 27) ^ p[i];
    }
}

static void rep_movs(int size, int df, uint8_t *dst, const uint8_t *src, uint32_t count)
{
    if (df) {
        __asm__ volatile("std");
    }
    switch (size) {
    case 1: __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(count) : : "memory"); break;
    case 2: __asm__ volatile("rep movsw" : "+D"(dst), "+S"(src), "+c"(count) : : "memory"); break;
    default: __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(count) : : "memory"); break;
    }
    __asm__ volatile("cld");
}

static void ref_movs(int size, int df, uint8_t *base, long dst, long src, uint32_t count)
{
    long step = df ? -size : size;
    while (count--) {
        uint8_t tmp[4]; /* each element is one load, then one store */
        for (int i = 0; i < size; i++) {
            tmp[i] = base[src + i];
        }
        for (int i = 0; i < size; i++) {
            base[dst + i] = tmp[i];
        }
        dst += step;
        src += step;
    }
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    static const uint32_t counts[] = { 0, 1, 3, 64, 1000 };
    static const int overlaps[] = { 4096, 1, 2, 3, 4, -1, -4 };

    cpu_setup();
    for (int size = 1; size <= 4; size <<= 1) {
        if (size == 3) {
            continue;
        }
        for (int df = 0; df < 2; df++) {
            for (unsigned c = 0; c < 5; c++) {
                for (unsigned o = 0; o < 7; o++) {
                    long src = df ? 6000 : 1000, dst = src + overlaps[o];
                    fill(a, c * 7 + o);
                    memcpy(ref, a, sizeof(a));
                    rep_movs(size, df, a + dst, a + src, counts[c]);
                    ref_movs(size, df, ref, dst, src, counts[c]);
                    if (memcmp(a, ref, sizeof(a)) != 0) {
                        printf_serial("FAIL: rep movs size %d df %d count %u overlap %d\n",
                                      size, df, counts[c], overlaps[o]);
                        ok = false;
                    }
                    sum(a);
                }
            }
        }
    }

    /* stos both ways, all sizes */
    fill(b, 1);
    uint8_t *d = b + 100;
    uint32_t n = 777;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0x5a) : "memory");
    d = b + 4000;
    n = 300;
    __asm__ volatile("std\n rep stosl\n cld" : "+D"(d), "+c"(n) : "a"(0x12345678) : "memory");
    d = b + 7000;
    n = 0;
    __asm__ volatile("rep stosw" : "+D"(d), "+c"(n) : "a"(0xffff) : "memory");
    ok &= check(d == b + 7000, "rep with ECX=0 does nothing");
    sum(b);

    /* repe cmps / repne scas find the first difference / match */
    fill(a, 9);
    memcpy(b, a, sizeof(a));
    b[5000] ^= 1;
    const uint8_t *s1 = a, *s2 = b;
    n = 8192;
    __asm__ volatile("repe cmpsb" : "+S"(s1), "+D"(s2), "+c"(n) : : "memory", "cc");
    ok &= check(s1 == a + 5001 && n == 8192 - 5001, "repe cmpsb stops after the difference");
    s2 = b;
    n = 8192;
    __asm__ volatile("repne scasb" : "+D"(s2), "+c"(n) : "a"(b[4321]) : "memory", "cc");
    uint32_t found = (uint32_t)(s2 - b) - 1;
    printf_serial("strings: cmps stop=%u scas found=%u\n", (uint32_t)(s1 - a), found);
    const uint16_t *w1 = (const uint16_t *)(a + 8190), *w2 = (const uint16_t *)(b + 8190);
    n = 4095;
    __asm__ volatile("std\n repe cmpsw\n cld" : "+S"(w1), "+D"(w2), "+c"(n) : : "memory", "cc");
    printf_serial("strings: backward cmpsw left=%u\n", n);
    ok &= check(n == 4095 - (8190 - 5000) / 2 - 1, "backward repe cmpsw");
    const uint8_t *ls = a;
    uint32_t al;
    n = 10;
    __asm__ volatile("rep lodsb" : "+S"(ls), "+c"(n), "=a"(al) : : "memory");
    ok &= check((uint8_t)al == a[9] && ls == a + 10, "rep lodsb");

    printf_serial("strings: checksum=0x%x\n", checksum);
    printf_serial("strings: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
