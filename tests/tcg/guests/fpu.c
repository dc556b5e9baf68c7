/*
 * x87, MMX, SSE and SSE2 as a guest uses them: an SSE2 memcpy and a
 * PCMPEQB/PMOVMSKB strlen checked against C loops, x87 and SSE float
 * math in every rounding mode (printed as bit patterns, so the
 * differential run against QEMU compares them exactly; the x87
 * transcendental results are printed rounded to 1e-9, where QEMU's own
 * approximations agree), the lazy-FPU #NM that Linux relies on (CR0.TS,
 * CLTS), #MF at FWAIT, #GP for a
 * misaligned MOVAPS, and an FXSAVE image.
 */
#include "cpu.h"

static uint8_t src[4096] __attribute__((aligned(16)));
static uint8_t dst[4096 + 16] __attribute__((aligned(16)));
static uint8_t fx[512] __attribute__((aligned(16)));
static int failures;

static void fcheck(const char *what, bool ok)
{
    if (!ok) {
        printf_serial("fpu: FAIL %s\n", what);
        failures++;
    }
}

static void sse2_memcpy(void *d, const void *s, uint32_t n)
{
    /* 16 bytes at a time: MOVDQU from the source, MOVDQU to the destination */
    __asm__ volatile("1:\n\t"
                     "movdqu (%1), %%xmm0\n\t"
                     "movdqu %%xmm0, (%0)\n\t"
                     "add $16, %0\n\tadd $16, %1\n\tsub $16, %2\n\tjnz 1b"
                     : "+r"(d), "+r"(s), "+r"(n) : : "memory");
}

static uint32_t sse2_strlen(const char *p)
{
    uint32_t mask, off = 0;
    /* aligned blocks; the string starts aligned here */
    for (;;) {
        __asm__ volatile("pxor %%xmm1, %%xmm1\n\t"
                         "movdqa (%1), %%xmm0\n\t"
                         "pcmpeqb %%xmm1, %%xmm0\n\t"
                         "pmovmskb %%xmm0, %0"
                         : "=r"(mask) : "r"(p + off) :);
        if (mask) {
            return off + __builtin_ctz(mask);
        }
        off += 16;
    }
}

static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static uint32_t get_mxcsr(void) { uint32_t v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }
static void set_fcw(uint16_t v) { __asm__ volatile("fldcw %0" : : "m"(v)); }

static void sse_math(void)
{
    static const uint64_t in[] = { 0x4004000000000000ull, 0xc00c000000000000ull,
                                   0x3fd5555555555555ull, 0x7fefffffffffffffull,
                                   0x0000000000000003ull, 0x41dfffffffc00000ull };
    for (int rc = 0; rc < 4; rc++) {
        set_mxcsr(0x1f80 | rc << 13);
        for (unsigned i = 0; i < sizeof(in) / 8; i++) {
            uint64_t q, sq;
            uint32_t f, si, tsi, csr;
            __asm__ volatile("movq %5, %%xmm0\n\t"
                             "cvtsd2si %%xmm0, %2\n\t"
                             "cvttsd2si %%xmm0, %3\n\t"
                             "movapd %%xmm0, %%xmm1\n\t"
                             "sqrtsd %%xmm1, %%xmm1\n\t"
                             "movq %%xmm1, %1\n\t"
                             "mulsd %%xmm0, %%xmm0\n\t"
                             "movq %%xmm0, %0\n\t"
                             "cvtsd2ss %%xmm0, %%xmm0\n\t"
                             "movd %%xmm0, %4"
                             : "=m"(q), "=m"(sq), "=r"(si), "=r"(tsi), "=r"(f)
                             : "m"(in[i]) :);
            /* without DE: QEMU 7.2's TCG, the reference, never reports
             * denormal operands of SSE instructions (the hardware does, and
             * test-tcg-sse checks duet against it) */
            csr = get_mxcsr() & ~2u;
            printf_serial("sse rc=%d %08x%08x: sq %08x%08x sqrt %08x%08x ss %08x cvt %08x "
                          "cvtt %08x mxcsr %04x\n", rc, (uint32_t)(in[i] >> 32),
                          (uint32_t)in[i], (uint32_t)(q >> 32), (uint32_t)q,
                          (uint32_t)(sq >> 32), (uint32_t)sq, f, si, tsi, csr);
        }
    }
    set_mxcsr(0x1f80);
}

static void x87_math(void)
{
    static const int32_t ints[] = { 3, -7, 1000000007, 0x7fffffff };
    for (int rc = 0; rc < 4; rc++) {
        for (int pc = 0; pc < 4; pc += 2) {
            set_fcw((0x007f | rc << 10 | pc << 8));
            for (unsigned i = 0; i < 4; i++) {
                uint32_t lo, hi;
                uint16_t ex, sw;
                uint8_t t[10];
                int32_t r;
                __asm__ volatile("fildl %4\n\t"
                                 "fldpi\n\t"
                                 "fdivrp\n\t"      /* st0 = n / pi */
                                 "fld %%st\n\t"
                                 "fsqrt\n\t"
                                 "faddp\n\t"
                                 "fld %%st\n\t"
                                 "fistpl %3\n\t"
                                 "fstpt %0\n\t"
                                 "fnstsw %1"
                                 : "=m"(t), "=m"(sw), "=m"(ex), "=m"(r) : "m"(ints[i]));
                memcpy(&lo, t, 4);
                memcpy(&hi, t + 4, 4);
                memcpy(&ex, t + 8, 2);
                printf_serial("x87 rc=%d pc=%d %d: %04x%08x%08x int %d fsw %04x\n", rc, pc,
                              (int)ints[i], ex, hi, lo, (int)r, sw & 0x3f); /* C0-C3 undefined */
            }
        }
    }
    set_fcw(0x037f);
    /* transcendental: 1e9 * f(x), rounded */
    for (int i = 1; i <= 6; i++) {
        int32_t s, c, a, l;
        static const int32_t billion = 1000000000;
        __asm__ volatile("fninit\n\t"
                         "fildl %6\n\tfildl %4\n\tfdivp\n\t"      /* x = i / 3 */
                         "fld %%st\n\tfsin\n\tfimull %5\n\tfistpl %0\n\t"
                         "fld %%st\n\tfcos\n\tfimull %5\n\tfistpl %1\n\t"
                         "fld1\n\tfpatan\n\tfimull %5\n\tfistpl %2\n\t"
                         "fld1\n\tfildl %4\n\tfyl2x\n\tfimull %7\n\tfistpl %3"
                         : "=m"(s), "=m"(c), "=m"(a), "=m"(l)
                         : "m"(i), "m"(billion), "m"(*(const int32_t[]){ 3 }),
                           "m"(*(const int32_t[]){ 100000000 }));
        printf_serial("x87 f(%d/3): sin %d cos %d atan %d log2(%d) %d\n", i, s, c, a, i, l);
    }
}

/* Linux's lazy FPU switch: CR0.TS set, the first FPU/SSE use is #NM,
 * the handler CLTSes and the instruction runs again. */
static int nm_count;
static void nm_handler(struct frame *f)
{
    if (f->vector == 7) {
        nm_count++;
        __asm__ volatile("clts");
    }
}

static void exceptions(void)
{
    uint32_t one = 0x3f800000, v = 0;

    extra_handler = nm_handler;
    write_cr0(read_cr0() | 8); /* TS */
    __asm__ volatile("fld1\n\tfstp %%st(0)" : : : "memory");
    write_cr0(read_cr0() | 8);
    __asm__ volatile("xorps %%xmm3, %%xmm3" : : :);
    write_cr0(read_cr0() | 8);
    __asm__ volatile("paddb %%mm1, %%mm1\n\temms" : : : "memory");
    extra_handler = 0;
    printf_serial("lazy #NM taken %d times\n", nm_count);
    fcheck("lazy #NM", nm_count == 3);

    /* (#XM for an unmasked SIMD exception is in test-tcg-system: QEMU's
     * TCG, the reference here, does not raise it) */
    (void)one;
    (void)v;

    /* unmasked x87 zero divide: #MF at the FWAIT */
    set_fcw(0x037b);
    __asm__ volatile("fldz\n\tfld1\n\tfdiv %%st(1), %%st" : : : "memory");
    TRY_FAULT("fwait");
    fcheck("#MF", expect_fault("fwait after fdiv", 16, 0, false));
    uint16_t sw;
    __asm__ volatile("fnstsw %0\n\tfninit" : "=m"(sw));
    printf_serial("after #MF: fsw %04x\n", sw);

    /* misaligned MOVAPS: #GP(0) */
    TRY_FAULT("movaps 4(%0), %%xmm2", : : "r"(src));
    fcheck("#GP", expect_fault("movaps misaligned", 13, 0, true));
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint32_t sum = 0;

    cpu_setup();
    write_cr0((read_cr0() & ~4u) | 0x22); /* EM off, MP, NE */
    write_cr4(read_cr4() | 0x600);        /* OSFXSR, OSXMMEXCPT */
    __asm__ volatile("fninit");

    for (int i = 0; i < 4096; i++) {
        src[i] = (uint8_t)(i * 7 + (i >> 8));
    }
    sse2_memcpy(dst + 3, src, 4096);
    for (int i = 0; i < 4096; i++) {
        sum = sum * 31 + dst[3 + i];
        if (dst[3 + i] != src[i]) {
            fcheck("memcpy", false);
            break;
        }
    }
    printf_serial("sse2 memcpy checksum %08x\n", sum);
    memset(dst, 'a', 100);
    dst[77] = 0;
    fcheck("strlen", sse2_strlen((const char *)dst) == 77);

    sse_math();
    x87_math();
    exceptions();

    __asm__ volatile("fninit\n\tfldpi\n\tfld1\n\tfxsave %0" : "=m"(fx));
    printf_serial("fxsave fcw %04x fsw %04x ftw %02x mxcsr %08x st0 %08x%08x\n",
                  fx[0] | fx[1] << 8, fx[2] | fx[3] << 8, fx[4],
                  fx[24] | fx[25] << 8 | fx[26] << 16 | (uint32_t)fx[27] << 24,
                  fx[36] | fx[37] << 8 | fx[38] << 16 | (uint32_t)fx[39] << 24,
                  fx[32] | fx[33] << 8 | fx[34] << 16 | (uint32_t)fx[35] << 24);
    printf_serial(failures ? "fpu: FAIL\n" : "fpu: PASS\n");
    return failures ? GUEST_FAIL : GUEST_PASS;
}
