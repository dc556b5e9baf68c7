/*
 * MMX, SSE and SSE2 against the host CPU (fp-oracle.h): every
 * floating-point operation in its PS/SS/PD/SD forms over edge values
 * (±0, denormals, extremes, ±inf, QNaN/SNaN, rounding halfway cases) x
 * the four rounding modes x FTZ/DAZ x masked and unmasked exceptions
 * (an unmasked one must be #XM with the host's MXCSR and untouched
 * registers), CMPcc with every predicate, (U)COMIS* EFLAGS, every
 * conversion with out-of-range inputs, the integer set on MMX and XMM,
 * shifts, shuffles, moves, and FXSAVE's image byte for byte.
 */
#include "fp-oracle.h"

static const uint32_t f32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x00000001, 0x807fffff, 0x00800000,
    0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0xffc00000,
    0x3eaaaaab, 0x4b000001, 0x3f000000, 0x40200000, 0x4f000000, 0xcf000000, 0x5f000000,
    0x0ffffff0, 0x00800001,
};
static const uint64_t f64[] = {
    0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
    0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000001ull,
    0xfff8000000000000ull, 0x3fd5555555555555ull, 0x4330000000000001ull,
    0x3fe0000000000000ull, 0x4004000000000000ull, 0x41e0000000000000ull,
    0xc1e0000000200000ull, 0x43e0000000000000ull, 0x47efffffe0000000ull,
    0x36a0000000000000ull,
};
#define NF G_N_ELEMENTS(f32)
#define ND G_N_ELEMENTS(f64)

static uint32_t mxcsrs[16];
static unsigned n_mxcsrs;

static void build_mxcsrs(void)
{
    static const uint32_t base[] = {
        0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1f80 | 0x40, 0x0000, 0x1e80, 0x1d80, 0x1b80,
        0x1780, 0x0f80, 0x9fc0 | 0x6000,
    };
    if (n_mxcsrs) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(base); i++) {
        if (base[i] & ~sse_mxcsr_mask()) {
            continue; /* no DAZ on this host */
        }
        mxcsrs[n_mxcsrs++] = base[i];
    }
}

static void set_xmm(FPState *st, int r, uint64_t lo, uint64_t hi)
{
    memcpy(st->fx + 160 + 16 * r, &lo, 8);
    memcpy(st->fx + 168 + 16 * r, &hi, 8);
}

/* xmm0 = dst lanes, xmm1 = src lanes (and [ebx] = the src too) */
static void state_ps(FPState *st, uint32_t csr, unsigned a, unsigned b)
{
    fp_init_state(st);
    fp_set_mxcsr(st, csr);
    set_xmm(st, 0, f32[a] | (uint64_t)f32[(a + 3) % NF] << 32,
            f32[(a + 7) % NF] | (uint64_t)f32[(a + 11) % NF] << 32);
    set_xmm(st, 1, f32[b] | (uint64_t)f32[(b + 5) % NF] << 32,
            f32[(b + 2) % NF] | (uint64_t)f32[(b + 13) % NF] << 32);
    memcpy(st->mem, st->fx + 176, 16);
}

static void state_pd(FPState *st, uint32_t csr, unsigned a, unsigned b)
{
    fp_init_state(st);
    fp_set_mxcsr(st, csr);
    set_xmm(st, 0, f64[a], f64[(a + 5) % ND]);
    set_xmm(st, 1, f64[b], f64[(b + 9) % ND]);
    memcpy(st->mem, st->fx + 176, 16);
}

static void check_fp(const uint8_t *code, size_t len, bool dbl)
{
    unsigned n = dbl ? ND : NF;
    for (unsigned c = 0; c < n_mxcsrs; c++) {
        for (unsigned a = 0; a < n; a++) {
            /* every pair under the default MXCSR, every other one under the rest */
            for (unsigned b = c & 1; b < n; b += 1 + (c != 0)) {
                FPState st;
                if (dbl) {
                    state_pd(&st, mxcsrs[c], a, b);
                } else {
                    state_ps(&st, mxcsrs[c], a, b);
                }
                fp_check(code, len, &st, EXCP13_XM);
            }
        }
    }
}

/* ADD SUB MUL DIV MIN MAX SQRT RSQRT RCP, PS/PD/SS/SD, register and [ebx] */
START_TEST(test_sse_arith)
{
    static const uint8_t ops[] = { 0x51, 0x52, 0x53, 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f };
    static const uint8_t pfx[] = { 0, 0x66, 0xf3, 0xf2 };
    fp_oracle_init();
    build_mxcsrs();
    for (unsigned o = 0; o < sizeof(ops); o++) {
        for (int p = 0; p < 4; p++) {
            if ((ops[o] == 0x52 || ops[o] == 0x53) && (p & 1)) {
                continue; /* no PD/SD forms */
            }
            for (int mem = 0; mem < 2; mem++) {
                uint8_t code[4];
                size_t n = 0;
                if (pfx[p]) {
                    code[n++] = pfx[p];
                }
                code[n++] = 0x0f;
                code[n++] = ops[o];
                code[n++] = mem ? 0x03 : 0xc1; /* xmm0, [ebx] / xmm0, xmm1 */
                check_fp(code, n, p & 1);
            }
        }
    }
}
END_TEST

START_TEST(test_sse_cmp)
{
    static const uint8_t pfx[] = { 0, 0x66, 0xf3, 0xf2 };
    fp_oracle_init();
    build_mxcsrs();
    for (int p = 0; p < 4; p++) {
        for (int pred = 0; pred < 8; pred++) {
            uint8_t code[5];
            size_t n = 0;
            if (pfx[p]) {
                code[n++] = pfx[p];
            }
            code[n++] = 0x0f;
            code[n++] = 0xc2;
            code[n++] = 0xc1;
            code[n++] = pred | (pred == 3 ? 0xf8 : 0); /* imm8[7:3] are ignored */
            check_fp(code, n, p & 1);
        }
    }
    /* (U)COMISS/SD: EFLAGS */
    for (int p = 0; p < 2; p++) {
        for (int op = 0x2e; op <= 0x2f; op++) {
            uint8_t code[4] = { 0x66, 0x0f, op, 0xc1 };
            check_fp(p ? code : code + 1, p ? 4 : 3, p);
        }
    }
}
END_TEST

/* Conversions: float <-> double, packed int <-> float, scalar <-> GPR
 * (EAX), MMX forms (MM0..MM1 from the x87 registers). */
START_TEST(test_sse_cvt)
{
    static const uint8_t codes[][6] = {
        { 3, 0x0f, 0x5a, 0xc1 }, { 4, 0x66, 0x0f, 0x5a, 0xc1 }, { 4, 0xf3, 0x0f, 0x5a, 0xc1 },
        { 4, 0xf2, 0x0f, 0x5a, 0xc1 }, { 3, 0x0f, 0x5b, 0xc1 }, { 4, 0x66, 0x0f, 0x5b, 0xc1 },
        { 4, 0xf3, 0x0f, 0x5b, 0xc1 }, { 4, 0x66, 0x0f, 0xe6, 0xc1 }, { 4, 0xf3, 0x0f, 0xe6, 0xc1 },
        { 4, 0xf2, 0x0f, 0xe6, 0xc1 },
        { 4, 0xf3, 0x0f, 0x2d, 0xc1 }, { 4, 0xf3, 0x0f, 0x2c, 0xc1 }, /* cvt(t)ss2si eax */
        { 4, 0xf2, 0x0f, 0x2d, 0xc1 }, { 4, 0xf2, 0x0f, 0x2c, 0xc1 },
        { 4, 0xf3, 0x0f, 0x2a, 0xc1 }, { 4, 0xf2, 0x0f, 0x2a, 0xc1 }, /* cvtsi2ss xmm0, ecx */
        { 4, 0xf3, 0x0f, 0x2a, 0x03 }, { 4, 0xf3, 0x0f, 0x2d, 0x03 },   /* [ebx] forms */
        { 3, 0x0f, 0x2a, 0xc1 }, { 4, 0x66, 0x0f, 0x2a, 0xc1 },         /* cvtpi2ps/pd mm1 */
        { 3, 0x0f, 0x2d, 0xc1 }, { 3, 0x0f, 0x2c, 0xc1 },               /* cvt(t)ps2pi mm0 */
        { 4, 0x66, 0x0f, 0x2d, 0xc1 }, { 4, 0x66, 0x0f, 0x2c, 0xc1 },
        { 3, 0x0f, 0x2a, 0x03 }, { 4, 0x66, 0x0f, 0x2a, 0x03 },
    };
    static const uint32_t ints[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000001,
                                     0x12345679 };
    fp_oracle_init();
    build_mxcsrs();
    for (unsigned i = 0; i < G_N_ELEMENTS(codes); i++) {
        for (int dbl = 0; dbl < 2; dbl++) {
            for (unsigned c = 0; c < n_mxcsrs; c++) {
                for (unsigned a = 0; a < NF; a++) {
                    FPState st;
                    if (dbl) {
                        state_pd(&st, mxcsrs[c], a, (a * 7) % ND);
                    } else {
                        state_ps(&st, mxcsrs[c], a, (a * 7) % NF);
                    }
                    st.r[F_ECX] = ints[a % G_N_ELEMENTS(ints)];
                    /* MM1 (x87 R1 at TOP 0) holds two ints */
                    uint64_t mm = ints[a % 7] | (uint64_t)ints[(a + 3) % 7] << 32;
                    memcpy(st.fx + 48, &mm, 8);
                    memcpy(st.mem, &mm, 8);
                    fp_check(codes[i] + 1, codes[i][0], &st, EXCP13_XM);
                }
            }
        }
    }
}
END_TEST

/* Integer MMX (no prefix, MM0 <- MM1) and XMM (66, XMM0 <- XMM1) ops. */
START_TEST(test_simd_int)
{
    static const uint64_t pats[] = {
        0, ~0ull, 0x8000800080008000ull, 0x7fff7fff7fff7fffull, 0x0123456789abcdefull,
        0xfedcba9876543210ull, 0x807f01ff00fe8081ull, 0x00000000ffffffffull,
        0x8000000000000001ull, 0x0000000000000021ull, 0x000000000000000full,
    };
    fp_oracle_init();
    for (int op = 0x60; op <= 0xff; op++) {
        bool ok = (op >= 0x60 && op <= 0x6d) || (op >= 0x74 && op <= 0x76) ||
                  (op >= 0xd1 && op <= 0xd5) || (op >= 0xd8 && op <= 0xe5) ||
                  (op >= 0xe8 && op <= 0xef) || (op >= 0xf1 && op <= 0xf6) ||
                  (op >= 0xf8 && op <= 0xfe);
        if (!ok) {
            continue;
        }
        for (int xmm = 0; xmm < 2; xmm++) {
            if (!xmm && (op == 0x6c || op == 0x6d)) {
                continue;
            }
            for (int mem = 0; mem < 2; mem++) {
                uint8_t code[4] = { 0x66, 0x0f, op, mem ? 0x03 : 0xc1 };
                for (unsigned a = 0; a < G_N_ELEMENTS(pats); a++) {
                    for (unsigned b = 0; b < G_N_ELEMENTS(pats); b++) {
                        FPState st;
                        fp_init_state(&st);
                        set_xmm(&st, 0, pats[a], pats[(a + 3) % 11] ^ 0x5555);
                        set_xmm(&st, 1, pats[b], pats[(b + 4) % 11]);
                        memcpy(st.fx + 32, &pats[a], 8);    /* MM0 */
                        memcpy(st.fx + 48, &pats[b], 8);    /* MM1 */
                        memcpy(st.mem, st.fx + 176, 16);
                        if (!xmm) {
                            memcpy(st.mem, &pats[b], 8);
                        }
                        st.fx[4] = a & 1 ? 0xff : 0x03;     /* tags before */
                        fp_check(xmm ? code : code + 1, xmm ? 4 : 3, &st, -2);
                    }
                }
            }
        }
    }
}
END_TEST

/* Shifts by immediate, shuffles, moves, extracts, masks */
START_TEST(test_simd_misc)
{
    static const uint8_t codes[][8] = {
        { 4, 0x0f, 0x71, 0xd0, 3 }, { 4, 0x0f, 0x71, 0xe0, 15 }, { 4, 0x0f, 0x71, 0xf0, 16 },
        { 4, 0x0f, 0x72, 0xd0, 31 }, { 4, 0x0f, 0x72, 0xe0, 7 }, { 4, 0x0f, 0x72, 0xf0, 33 },
        { 4, 0x0f, 0x73, 0xd0, 63 }, { 4, 0x0f, 0x73, 0xf0, 1 },
        { 5, 0x66, 0x0f, 0x71, 0xd0, 3 }, { 5, 0x66, 0x0f, 0x71, 0xe0, 200 },
        { 5, 0x66, 0x0f, 0x72, 0xf0, 5 }, { 5, 0x66, 0x0f, 0x73, 0xd0, 64 },
        { 5, 0x66, 0x0f, 0x73, 0xd8, 3 }, { 5, 0x66, 0x0f, 0x73, 0xf8, 15 },
        { 5, 0x66, 0x0f, 0x73, 0xd8, 17 }, { 5, 0x66, 0x0f, 0x73, 0xf0, 9 },
        { 4, 0x0f, 0x70, 0xc1, 0x1b }, { 5, 0x66, 0x0f, 0x70, 0xc1, 0x4e },
        { 5, 0xf3, 0x0f, 0x70, 0xc1, 0xb1 }, { 5, 0xf2, 0x0f, 0x70, 0xc1, 0x27 },
        { 4, 0x0f, 0xc6, 0xc1, 0x9c }, { 5, 0x66, 0x0f, 0xc6, 0xc1, 0x02 },
        { 3, 0x0f, 0x14, 0xc1 }, { 3, 0x0f, 0x15, 0xc1 }, { 4, 0x66, 0x0f, 0x14, 0xc1 },
        { 4, 0x66, 0x0f, 0x15, 0xc1 },
        { 3, 0x0f, 0x10, 0xc1 }, { 3, 0x0f, 0x11, 0xc1 }, { 4, 0xf3, 0x0f, 0x10, 0xc1 },
        { 4, 0xf2, 0x0f, 0x10, 0xc1 }, { 4, 0xf3, 0x0f, 0x10, 0x03 }, { 4, 0xf2, 0x0f, 0x10, 0x03 },
        { 4, 0xf3, 0x0f, 0x11, 0x03 }, { 4, 0xf2, 0x0f, 0x11, 0x03 },
        { 3, 0x0f, 0x12, 0xc1 }, { 3, 0x0f, 0x12, 0x03 }, { 3, 0x0f, 0x13, 0x03 },
        { 3, 0x0f, 0x16, 0xc1 }, { 3, 0x0f, 0x16, 0x03 }, { 3, 0x0f, 0x17, 0x03 },
        { 4, 0x66, 0x0f, 0x12, 0x03 }, { 4, 0x66, 0x0f, 0x16, 0x03 },
        { 3, 0x0f, 0x28, 0x03 }, { 3, 0x0f, 0x29, 0x03 }, { 4, 0x66, 0x0f, 0x6f, 0x03 },
        { 4, 0xf3, 0x0f, 0x6f, 0x03 }, { 4, 0x66, 0x0f, 0x7f, 0x03 }, { 4, 0xf3, 0x0f, 0x7f, 0x03 },
        { 3, 0x0f, 0x2b, 0x03 }, { 4, 0x66, 0x0f, 0xe7, 0x03 }, { 3, 0x0f, 0xe7, 0x03 },
        { 3, 0x0f, 0xc3, 0x0b },                                  /* movnti [ebx], ecx */
        { 3, 0x0f, 0x6e, 0xc1 }, { 3, 0x0f, 0x7e, 0xc1 }, { 4, 0x66, 0x0f, 0x6e, 0xc1 },
        { 4, 0x66, 0x0f, 0x7e, 0xc1 }, { 4, 0x66, 0x0f, 0x6e, 0x03 }, { 4, 0x66, 0x0f, 0x7e, 0x03 },
        { 4, 0xf3, 0x0f, 0x7e, 0xc1 }, { 4, 0xf3, 0x0f, 0x7e, 0x03 }, { 4, 0x66, 0x0f, 0xd6, 0xc1 },
        { 4, 0x66, 0x0f, 0xd6, 0x03 }, { 4, 0xf3, 0x0f, 0xd6, 0xc1 }, { 4, 0xf2, 0x0f, 0xd6, 0xc1 },
        { 3, 0x0f, 0x6f, 0xc1 }, { 3, 0x0f, 0x7f, 0xc1 }, { 3, 0x0f, 0x6f, 0x03 },
        { 3, 0x0f, 0x7f, 0x03 },
        { 3, 0x0f, 0x50, 0xc1 }, { 4, 0x66, 0x0f, 0x50, 0xc1 }, { 3, 0x0f, 0xd7, 0xc1 },
        { 4, 0x66, 0x0f, 0xd7, 0xc1 }, { 4, 0x0f, 0xc5, 0xc1, 2 }, { 5, 0x66, 0x0f, 0xc5, 0xc1, 7 },
        { 4, 0x0f, 0xc4, 0xc1, 1 }, { 5, 0x66, 0x0f, 0xc4, 0xc1, 6 }, { 5, 0x66, 0x0f, 0xc4, 0x03, 3 },
        { 3, 0x0f, 0x54, 0xc1 }, { 3, 0x0f, 0x55, 0xc1 }, { 4, 0x66, 0x0f, 0x56, 0xc1 },
        { 4, 0x66, 0x0f, 0x57, 0xc1 },
        { 2, 0x0f, 0x77 },                                        /* emms */
        { 5, 0x0f, 0xf7, 0xc1, 0x90, 0x90 },                       /* maskmovq mm0, mm1 [edi] */
        { 4, 0x66, 0x0f, 0xf7, 0xc1 },
        { 3, 0x0f, 0xae, 0x1b }, { 3, 0x0f, 0xae, 0x13 },          /* stmxcsr, ldmxcsr */
        { 3, 0x0f, 0xae, 0xe8 }, { 3, 0x0f, 0xae, 0xf0 }, { 3, 0x0f, 0xae, 0xf8 },
        { 3, 0x0f, 0xae, 0x3b }, { 3, 0x0f, 0x18, 0x0b },          /* clflush, prefetcht0 */
    };
    static const uint64_t pats[] = { 0x0123456789abcdefull, 0x8000ffff7fff0001ull,
                                     0xc0000000bf800000ull, 0 };
    fp_oracle_init();
    for (unsigned i = 0; i < G_N_ELEMENTS(codes); i++) {
        for (unsigned a = 0; a < 4; a++) {
            for (unsigned b = 0; b < 4; b++) {
                FPState st;
                fp_init_state(&st);
                set_xmm(&st, 0, pats[a], ~pats[b]);
                set_xmm(&st, 1, pats[b], pats[(a + b) & 3] ^ 0x1234);
                memcpy(st.fx + 32, &pats[a], 8);
                memcpy(st.fx + 48, &pats[b], 8);
                st.fx[4] = 0x81;
                st.r[F_ECX] = 0x87654321 + a;
                st.r[F_EDI] = 0; /* maskmov: host [rdi], guest [edi]: both at the buffer */
                uint32_t csr = 0x1f80 | (a << 13) | b;
                memcpy(st.mem + 16, &csr, 4);
                memcpy(st.mem, &csr, 4);
                fp_check(codes[i] + 1, codes[i][0], &st, -2);
            }
        }
    }
}
END_TEST

/* FXSAVE [ebx]: the guest's image is the host's, byte for byte, apart
 * from FIP/FDP/FOP (where the code ran) and XMM8-15 and the reserved
 * tail, which a 32-bit guest does not write. */
START_TEST(test_fxsave_image)
{
    static const uint8_t fxsave[] = { 0x0f, 0xae, 0x03 };
    static const uint8_t fxrstor_fxsave[] = { 0x0f, 0xae, 0x0b, 0x0f, 0xae, 0x03 };
    fp_oracle_init();
    for (int k = 0; k < 8; k++) {
        FPState st, h, g;
        fp_init_state(&st);
        fp_set_fcw(&st, 0x0f7f ^ (k << 8));
        fp_set_mxcsr(&st, 0x1f80 | (k & 3) << 13 | k);
        for (int r = 0; r < 8; r++) {
            set_xmm(&st, r, 0x1111111111111111ull * r + k, ~0ull - r);
            uint64_t m = 0x8000000000000000ull | (r * 0x0101010101ull);
            uint16_t e = 0x3fff + r - k;
            memcpy(st.fx + 32 + 16 * r, &m, 8);
            memcpy(st.fx + 40 + 16 * r, &e, 2);
        }
        st.fx[4] = 0xff >> k;
        uint16_t fsw = (k << 11) | (k & 1 ? 0x4101 : 0x0220);
        memcpy(st.fx + 2, &fsw, 2);
        memset(st.mem, 0xa5, sizeof(st.mem));
        if (k & 4) {
            memcpy(st.mem, st.fx, 512); /* FXRSTOR this image first */
            memset(st.mem + 288, 0, 512 - 288); /* a 32-bit guest loads no XMM8-15 */
        }
        h = st;
        g = st;
        ck_assert(fp_host_run(k & 4 ? fxrstor_fxsave : fxsave, k & 4 ? 6 : 3, &h));
        ck_assert_int_eq(fp_guest_run(k & 4 ? fxrstor_fxsave : fxsave, k & 4 ? 6 : 3, &g), -1);
        ck_assert_msg(!memcmp(h.mem, g.mem, 6), "head: %s / %s", fp_hex(h.mem, 8),
                      fp_hex(g.mem, 8));
        ck_assert_msg(!memcmp(h.mem + 24, g.mem + 24, 288 - 24), "image 24..288 differs: "
                      "host %s interp %s", fp_hex(h.mem + 24, 40), fp_hex(g.mem + 24, 40));
        ck_assert_msg(!memcmp(st.mem + 288, g.mem + 288, 512 - 288),
                      "the guest wrote past XMM7");
        memset(h.mem + 6, 0, 18);
        memset(g.mem + 6, 0, 18);
        memcpy(h.mem + 288, g.mem + 288, 512 - 288);
        fp_compare(fxsave, 3, &st, &h, &g, CC_ALL, 0);
        fp_cases++;
    }
}
END_TEST

START_TEST(test_report)
{
    printf("mmx/sse cases run: %u\n", fp_cases);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-sse");
    TCase *tc = tcase_create("host-oracle");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sse_arith);
    tcase_add_test(tc, test_sse_cmp);
    tcase_add_test(tc, test_sse_cvt);
    tcase_add_test(tc, test_simd_int);
    tcase_add_test(tc, test_simd_misc);
    tcase_add_test(tc, test_fxsave_image);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
