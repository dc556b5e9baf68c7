/*
 * x87 instructions against the host CPU (fp-oracle.h): every arithmetic,
 * compare, load/store, conversion and transcendental instruction over
 * edge values (±0, denormals, unnormals, ±inf, QNaN/SNaN, the extremes,
 * rounding halfway cases) x rounding and precision control x masked and
 * unmasked exceptions, stack underflow/overflow, FCOMI's EFLAGS, and
 * #MF at the next waiting instruction.  Results, FSW (flags, C0-C3, TOP),
 * tags and memory must be bit-identical to the host's.
 */
#include "fp-oracle.h"

typedef uint8_t F80[10];

static void mk80(F80 out, int sign, unsigned exp, uint64_t mant)
{
    uint16_t se = (sign << 15) | exp;
    memcpy(out, &mant, 8);
    memcpy(out + 8, &se, 2);
}

static F80 vals[32];
static unsigned n_vals;

static void add80(int sign, unsigned exp, uint64_t mant)
{
    mk80(vals[n_vals++], sign, exp, mant);
}

static void build_values(void)
{
    if (n_vals) {
        return;
    }
    add80(0, 0, 0);                                 /* +0 */
    add80(1, 0, 0);                                 /* -0 */
    add80(0, 0x3fff, 0x8000000000000000ull);        /* 1 */
    add80(1, 0x3fff, 0xc000000000000000ull);        /* -1.5 */
    add80(0, 0x4000, 0xc90fdaa22168c235ull);        /* pi */
    add80(0, 0x3ffd, 0xaaaaaaaaaaaaaaabull);        /* 1/3-ish, rounding bits set */
    add80(0, 0x4000, 0xa000000000000000ull);        /* 2.5: halfway to an integer */
    add80(1, 0x4003, 0xb800000000000000ull);        /* -23 */
    add80(0, 0x403e, 0x8000000000000000ull);        /* 2^63: FIST range edge */
    add80(1, 0x403d, 0xffffffffffffffffull);        /* just inside int64 */
    add80(0, 0x401e, 0xffffffff80000000ull);        /* 2^32 - 0.5 */
    add80(0, 0, 0x0000000000000001ull);             /* smallest denormal */
    add80(1, 0, 0x4000000000000000ull);             /* denormal */
    add80(0, 0x0001, 0x8000000000000000ull);        /* min normal */
    add80(0, 0x7ffe, 0xffffffffffffffffull);        /* max */
    add80(1, 0x7ffe, 0xffffffffffffffffull);        /* -max */
    add80(0, 0x7fff, 0x8000000000000000ull);        /* +inf */
    add80(1, 0x7fff, 0x8000000000000000ull);        /* -inf */
    add80(0, 0x7fff, 0xc000000000000001ull);        /* QNaN */
    add80(1, 0x7fff, 0x8000000000000005ull);        /* SNaN */
    add80(0, 0x4000, 0x4000000000000000ull);        /* unnormal (invalid operand) */
    add80(0, 0x3f80, 0x8000000000000001ull);        /* tiny for single/double */
    add80(0, 0x407f, 0xffffff8000000000ull);        /* around FLT_MAX rounding */
    add80(0, 0x3fff, 0x8000000000000400ull);        /* 1 + a half ulp of double */
}

static void state2(FPState *st, uint16_t fcw, const uint8_t *a, const uint8_t *b)
{
    uint8_t two[2][10];
    fp_init_state(st);
    fp_set_fcw(st, fcw);
    memcpy(two[0], a, 10);
    memcpy(two[1], b, 10);
    fp_set_stack(st, 2, (const uint8_t (*)[10])two);
}

/* masks: all, none, and precision-only unmasked; RC x PC */
static const uint16_t fcws[] = {
    0x037f, 0x027f, 0x007f, 0x077f, 0x0b7f, 0x0f7f, 0x0340, 0x035f, 0x0f40, 0x0362,
};

static void check2(const uint8_t *code, size_t len)
{
    for (unsigned c = 0; c < G_N_ELEMENTS(fcws); c++) {
        for (unsigned a = 0; a < n_vals; a++) {
            for (unsigned b = 0; b < n_vals; b++) {
                FPState st;
                state2(&st, fcws[c], vals[a], vals[b]);
                fp_check(code, len, &st, EXCP10_COPR);
            }
        }
    }
}

/* Binary register forms: D8/DC/DE C0+i .. F8+i with i = 1 and i = 0 */
START_TEST(test_x87_arith_reg)
{
    fp_oracle_init();
    build_values();
    for (int op = 0; op < 8; op++) {
        static const uint8_t prefix[] = { 0xd8, 0xdc, 0xde };
        for (int p = 0; p < 3; p++) {
            if (p > 0 && (op == 2 || op == 3)) {
                continue; /* FCOM2/FCOMP3/FCOMP5 aliases: below */
            }
            uint8_t code[2] = { prefix[p], 0xc1 | op << 3 };
            check2(code, 2);
        }
    }
}
END_TEST

START_TEST(test_x87_compare)
{
    static const uint8_t codes[][4] = {
        { 2, 0xd8, 0xd1 }, { 2, 0xd8, 0xd9 }, { 2, 0xde, 0xd9 }, { 2, 0xdd, 0xe1 },
        { 2, 0xdd, 0xe9 }, { 2, 0xda, 0xe9 }, { 2, 0xdb, 0xf1 }, { 2, 0xdb, 0xe9 },
        { 2, 0xdf, 0xf1 }, { 2, 0xdf, 0xe9 }, { 2, 0xd9, 0xe4 }, { 2, 0xd9, 0xe5 },
        { 2, 0xdc, 0xd1 }, { 2, 0xdc, 0xd9 }, { 2, 0xde, 0xd1 }, { 2, 0xd8, 0xd0 },
        /* fnstsw ax after fcom: the usual C idiom */
        { 3, 0xd8, 0xd1, 0 },
    };
    fp_oracle_init();
    build_values();
    for (unsigned i = 0; i < G_N_ELEMENTS(codes); i++) {
        if (codes[i][0] == 3) {
            static const uint8_t fcom_fnstsw[] = { 0xd8, 0xd1, 0xdf, 0xe0, 0x9e };
            check2(fcom_fnstsw, sizeof(fcom_fnstsw));
        } else {
            check2(codes[i] + 1, codes[i][0]);
        }
    }
}
END_TEST

/* Unary and the D9 E0..FF group, transcendental included: the host
 * executes the same instructions, so results must be identical. */
START_TEST(test_x87_unary)
{
    fp_oracle_init();
    build_values();
    for (int m = 0xe0; m <= 0xff; m++) {
        if (m == 0xe2 || m == 0xe3 || m == 0xe6 || m == 0xe7 || m == 0xef) {
            continue; /* #UD */
        }
        uint8_t code[2] = { 0xd9, m };
        check2(code, 2);
    }
}
END_TEST

/* Memory operands: [ebx] holds single, double, int16/32/64, BCD, m80 */
START_TEST(test_x87_memory)
{
    static const uint64_t mem64[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0x0000000000000001ull,
        0x7fefffffffffffffull, 0x7ff0000000000000ull, 0x7ff8000000000001ull,
        0x7ff0000000000001ull, 0x3fd5555555555555ull, 0xc037000000000000ull,
        0x000000003f800000ull, 0x0000000000400000ull, 0x000000007f7fffffull,
        0x000000007f800001ull, 0x00000000ff800000ull, 0x000000000000ffffull,
        0x0000000080000000ull, 0x7fffffffffffffffull, 0x0000000000001234ull,
        0x0000000000008000ull, 0x0000000012345678ull,
    };
    fp_oracle_init();
    build_values();
    for (int op = 0; op < 8; op++) {
        for (int reg = 0; reg < 8; reg++) {
            int o = 0xd8 + op;
            /* skip control forms (own test), reserved encodings */
            if ((o == 0xd9 && reg != 0 && reg != 2 && reg != 3) ||
                (o == 0xdb && (reg == 4 || reg == 6)) ||
                (o == 0xdd && reg >= 4)) {
                continue;
            }
            uint8_t code[2] = { o, (reg << 3) | 3 }; /* [ebx] */
            for (unsigned c = 0; c < G_N_ELEMENTS(fcws); c++) {
                for (unsigned a = 0; a < n_vals; a += 2) {
                    for (unsigned m = 0; m < G_N_ELEMENTS(mem64); m++) {
                        FPState st;
                        state2(&st, fcws[c], vals[a], vals[a + 1 < n_vals ? a + 1 : 0]);
                        memcpy(st.mem, &mem64[m], 8);
                        if (o == 0xdb && reg == 5) {
                            memcpy(st.mem, vals[m % n_vals], 10); /* m80 */
                        }
                        if (o == 0xdf && reg == 4) {
                            static const uint8_t bcd[] = { 0x21, 0x43, 0x65, 0x87, 0x09,
                                                           0x21, 0x43, 0x65, 0x87, 0x80 };
                            memcpy(st.mem, bcd, 10);
                            st.mem[9] = m & 1 ? 0x80 : 0;
                        }
                        fp_check(code, 2, &st, EXCP10_COPR);
                    }
                }
            }
        }
    }
}
END_TEST

/* Stack faults: empty operands, full stack; masked and unmasked IE. */
START_TEST(test_x87_stack)
{
    static const uint8_t codes[][3] = {
        { 2, 0xd8, 0xc1 }, { 2, 0xde, 0xc1 }, { 2, 0xd8, 0xd1 }, { 2, 0xde, 0xd9 },
        { 2, 0xdb, 0xf1 }, { 2, 0xd9, 0xe8 }, { 2, 0xd9, 0xc1 }, { 2, 0xd9, 0xc9 },
        { 2, 0xdd, 0xd9 }, { 2, 0xd9, 0xfa }, { 2, 0xd9, 0xf2 }, { 2, 0xd9, 0xf3 },
        { 2, 0xd9, 0xe5 }, { 2, 0xd9, 0x03 }, { 2, 0xdb, 0x13 }, { 2, 0xdb, 0x2b },
        { 2, 0xdb, 0x3b }, { 2, 0xdf, 0x33 }, { 2, 0xd9, 0xf7 }, { 2, 0xd9, 0xf6 },
        { 2, 0xdd, 0xc1 }, { 2, 0xdf, 0xc1 }, { 2, 0xda, 0xc1 }, { 2, 0xdb, 0xc9 },
        { 2, 0xd9, 0xfb }, { 2, 0xd9, 0xf4 }, { 2, 0xd9, 0xd0 },
    };
    fp_oracle_init();
    build_values();
    for (unsigned i = 0; i < G_N_ELEMENTS(codes); i++) {
        for (int depth = 0; depth <= 8; depth++) {
            for (int um = 0; um < 2; um++) {
                for (int zf = 0; zf < 2; zf++) {
                    FPState st;
                    fp_init_state(&st);
                    fp_set_fcw(&st, um ? 0x037e : 0x037f);
                    fp_set_stack(&st, depth, (const uint8_t (*)[10])vals);
                    st.r[F_FLAGS] = 0x202 | (zf ? CC_Z | CC_C : 0);
                    memcpy(st.mem, vals[4], 10);
                    /* after an unmasked stack fault C0..C3 are undefined (and
                     * AMD parts also report ZE there) */
                    fp_check_ign(codes[i] + 1, codes[i][0], &st, EXCP10_COPR,
                                 um ? FSW_CC | FSW_ZE : 0);
                }
            }
        }
    }
}
END_TEST

/* An unmasked exception is taken at the next waiting instruction. */
START_TEST(test_x87_mf)
{
    static const uint8_t div_wait[] = { 0xd8, 0xf1, 0x9b };          /* fdiv st,st1; fwait */
    static const uint8_t div_fld[] = { 0xd8, 0xf1, 0xd9, 0xe8 };     /* ...; fld1 */
    static const uint8_t div_fnstsw[] = { 0xd8, 0xf1, 0xdf, 0xe0 };  /* ...; fnstsw ax */
    static const uint8_t div_fnclex[] = { 0xd8, 0xf1, 0xdb, 0xe2, 0x9b };
    static const uint8_t ldcw_wait[] = { 0xd9, 0x2b, 0x9b };         /* fldcw [ebx]; fwait */
    static const uint8_t fcmov_ok[] = { 0xda, 0xc1, 0xdb, 0xd1 };
    const struct { const uint8_t *c; size_t n; } cases[] = {
        { div_wait, sizeof(div_wait) }, { div_fld, sizeof(div_fld) },
        { div_fnstsw, sizeof(div_fnstsw) }, { div_fnclex, sizeof(div_fnclex) },
        { ldcw_wait, sizeof(ldcw_wait) }, { fcmov_ok, sizeof(fcmov_ok) },
    };
    fp_oracle_init();
    build_values();
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (unsigned c = 0; c < G_N_ELEMENTS(fcws); c++) {
            for (unsigned b = 0; b < n_vals; b++) {
                FPState st;
                state2(&st, fcws[c], vals[2], vals[b]);
                uint16_t cw = 0x0360 | (b & 0x1f); /* fldcw: unmask some */
                memcpy(st.mem, &cw, 2);
                fp_check(cases[i].c, cases[i].n, &st, EXCP10_COPR);
            }
        }
    }
}
END_TEST

/* FNSTENV/FLDENV/FNSAVE/FRSTOR/FNSTCW/FLDCW/FNINIT/FNCLEX/FFREE/FINCSTP */
START_TEST(test_x87_control)
{
    static const uint8_t codes[][8] = {
        { 2, 0xd9, 0x3b },                    /* fnstcw [ebx] */
        { 2, 0xd9, 0x2b },                    /* fldcw [ebx] */
        { 4, 0xd9, 0x2b, 0xd9, 0x3b },        /* fldcw; fnstcw (reserved bits) */
        { 2, 0xdd, 0x3b },                    /* fnstsw [ebx] */
        { 2, 0xdb, 0xe3 }, { 2, 0xdb, 0xe2 }, /* fninit, fnclex */
        { 2, 0xdd, 0xc1 }, { 2, 0xdf, 0xc1 }, /* ffree st1, ffreep st1 */
        { 4, 0xd9, 0xf7, 0xd9, 0xf6 },        /* fincstp; fdecstp */
        { 6, 0xd9, 0xc9, 0xda, 0xc1, 0xdb, 0xd9 }, /* fxch; fcmovb; fcmovnu */
        { 3, 0xd9, 0x63, 0x02 },              /* fldenv [ebx+2]: a loaded env */
    };
    fp_oracle_init();
    build_values();
    for (unsigned i = 0; i < G_N_ELEMENTS(codes); i++) {
        for (unsigned c = 0; c < G_N_ELEMENTS(fcws); c++) {
            for (unsigned v = 0; v < 4; v++) {
                FPState st;
                state2(&st, fcws[c], vals[v * 5], vals[v + 3]);
                uint16_t w = 0xffff ^ (0x1111 * v);
                memcpy(st.mem, &w, 2);
                if (codes[i][1] == 0xd9 && codes[i][2] == 0x63) {
                    /* a 28-byte environment at [ebx+2] */
                    uint32_t env[7] = { 0xffff0000 | fcws[c], 0xffff0000 | (0x3821 + v),
                                        0xffff0000 | (0x5aa5 ^ (v * 0x0f0f)), 0x1234, 0x07ff0023,
                                        0x5678, 0xffff002b };
                    memcpy(st.mem + 2, env, sizeof(env));
                }
                fp_check(codes[i] + 1, codes[i][0], &st, EXCP10_COPR);
            }
        }
    }
}
END_TEST

/* FNSTENV and FNSAVE write FIP/FDP, which differ between host and
 * guest: compare everything else byte by byte. */
START_TEST(test_x87_env_layout)
{
    static const uint8_t fnstenv[] = { 0xd9, 0x33 };          /* fnstenv [ebx] */
    static const uint8_t fnsave[] = { 0xdd, 0x33 };           /* fnsave [ebx] (108 bytes) */
    static const uint8_t fnstenv16[] = { 0x66, 0xd9, 0x33 };  /* 14-byte form */
    fp_oracle_init();
    build_values();
    for (int k = 0; k < 3; k++) {
        const uint8_t *code = k == 0 ? fnstenv : k == 1 ? fnsave : fnstenv16;
        size_t len = k == 2 ? 3 : 2;
        for (int depth = 0; depth <= 8; depth += 3) {
            FPState st, h, g;
            static uint8_t big[2][128];
            fp_init_state(&st);
            fp_set_fcw(&st, 0x0b62);
            fp_set_stack(&st, depth, (const uint8_t (*)[10])(vals + 11));
            h = st;
            g = st;
            ck_assert(fp_host_run(code, len, &h));
            ck_assert_int_eq(fp_guest_run(code, len, &g), -1);
            memcpy(big[0], h.mem, 128);
            memcpy(big[1], g.mem, 128);
            /* fields: FCW..FTW (0..11), FIP/FCS/FOP/FDP/FDS skipped */
            ck_assert_msg(!memcmp(big[0], big[1], k == 2 ? 6 : 12), "env head: host %s interp %s",
                          fp_hex(big[0], 12), fp_hex(big[1], 12));
            if (k != 2) {
                ck_assert_msg(!memcmp(big[0] + 26, big[1] + 26, 2), "FDS high: host %s "
                              "interp %s", fp_hex(big[0] + 24, 4), fp_hex(big[1] + 24, 4));
            }
            if (k == 1) {
                ck_assert_msg(!memcmp(big[0] + 28, big[1] + 28, 80), "regs: host %s interp %s",
                              fp_hex(big[0] + 28, 40), fp_hex(big[1] + 28, 40));
            }
            /* the rest of the state (and the bytes after the image) */
            memset(h.mem, 0, k == 2 ? 14 : 28);
            memset(g.mem, 0, k == 2 ? 14 : 28);
            fp_compare(code, len, &st, &h, &g, CC_ALL, 0);
        }
    }
}
END_TEST

START_TEST(test_report)
{
    printf("x87 cases run: %u\n", fp_cases);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-x87");
    TCase *tc = tcase_create("host-oracle");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_x87_arith_reg);
    tcase_add_test(tc, test_x87_compare);
    tcase_add_test(tc, test_x87_unary);
    tcase_add_test(tc, test_x87_memory);
    tcase_add_test(tc, test_x87_stack);
    tcase_add_test(tc, test_x87_mf);
    tcase_add_test(tc, test_x87_control);
    tcase_add_test(tc, test_x87_env_layout);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
