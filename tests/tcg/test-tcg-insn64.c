/*
 * Instruction-level tests of the interpreter in 64-bit mode, the host CPU
 * as the oracle (see test-tcg-insn.c): a thunk that carries all 64 bits of
 * RAX-RDI, RBP, R8-R10, R12 and R13 runs each case natively, the
 * interpreter runs it in long mode on the harness machine, and registers
 * and defined flags must agree: REX.W forms, REX byte registers, 32-bit
 * zero-extension, 128-bit MUL/DIV, 64-bit shifts, CMPXCHG16B and string
 * instructions on a buffer RSI points to on both sides.
 */
#include <cpuid.h>

#include "tcg-oracle.h"

/* ================= 64-bit mode: full registers, REX forms ================= */

enum { X_RAX, X_RBX, X_RCX, X_RDX, X_RSI, X_RDI, X_RBP, X_R8, X_R9, X_R10, X_R12, X_R13,
       X_FLAGS, X_N };
static const int x_env[X_FLAGS] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP,
                                    8, 9, 10, 12, 13 };

typedef struct HostState64 {
    uint64_t r[X_N];
} HostState64;

static bool host_run64(const uint8_t *code, size_t len, HostState64 *st)
{
    static const uint8_t pre[] = {
        0x53, 0x55, 0x41, 0x54, 0x41, 0x55,   /* push rbx, rbp, r12, r13 */
        0x49, 0x89, 0xfb,                     /* mov r11, rdi */
        0x49, 0x8b, 0x03, 0x49, 0x8b, 0x5b, 0x08, 0x49, 0x8b, 0x4b, 0x10,
        0x49, 0x8b, 0x53, 0x18, 0x49, 0x8b, 0x73, 0x20, 0x49, 0x8b, 0x7b, 0x28,
        0x49, 0x8b, 0x6b, 0x30, 0x4d, 0x8b, 0x43, 0x38, 0x4d, 0x8b, 0x4b, 0x40,
        0x4d, 0x8b, 0x53, 0x48, 0x4d, 0x8b, 0x63, 0x50, 0x4d, 0x8b, 0x6b, 0x58,
        0x41, 0xff, 0x73, 0x60,               /* push qword [r11+0x60] */
        0x9d,                                 /* popfq */
    };
    static const uint8_t post[] = {
        0x9c, 0x41, 0x8f, 0x43, 0x60,         /* pushfq; pop qword [r11+0x60] */
        0x49, 0x89, 0x03, 0x49, 0x89, 0x5b, 0x08, 0x49, 0x89, 0x4b, 0x10,
        0x49, 0x89, 0x53, 0x18, 0x49, 0x89, 0x73, 0x20, 0x49, 0x89, 0x7b, 0x28,
        0x49, 0x89, 0x6b, 0x30, 0x4d, 0x89, 0x43, 0x38, 0x4d, 0x89, 0x4b, 0x40,
        0x4d, 0x89, 0x53, 0x48, 0x4d, 0x89, 0x63, 0x50, 0x4d, 0x89, 0x6b, 0x58,
        0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3, /* pop r13, r12, rbp, rbx; ret */
    };
    size_t n = 0;

    memcpy(thunk + n, pre, sizeof(pre)); n += sizeof(pre);
    memcpy(thunk + n, code, len); n += len;
    memcpy(thunk + n, post, sizeof(post));
    __builtin___clear_cache((char *)thunk, (char *)thunk + 4096);
    if (sigsetjmp(fpe_jmp, 1)) {
        return false;
    }
    ((void (*)(HostState64 *))thunk)(st);
    return true;
}

static bool long_ready;

static int guest_run64(const uint8_t *code, size_t len, HostState64 *st)
{
    CPUX86State *env = henv();

    if (!long_ready) {
        harness_long_mode();
        long_ready = true;
    }
    for (int i = 0; i < X_FLAGS; i++) {
        env->regs[x_env[i]] = st->r[i];
    }
    env->regs[R_ESP] = STACK_TOP;
    env->eflags = (st->r[X_FLAGS] & (CC_ALL | DF_MASK)) | 0x2;
    int exc = run_code(code, len);
    for (int i = 0; i < X_FLAGS; i++) {
        st->r[i] = env->regs[x_env[i]];
    }
    st->r[X_FLAGS] = env->eflags;
    return exc;
}

#define ALL_REGS64 ((1u << X_FLAGS) - 1)

/* Both sides start from in; the registers in reg_mask (all 64 bits) and
 * the flags in flag_mask must agree.  mem: a 64-byte buffer that RSI
 * points to on both sides (host buffer / guest DATA_ADDR), compared too. */
static void check64(const uint8_t *code, size_t len, const HostState64 *in, uint32_t flag_mask,
                    unsigned reg_mask, const uint8_t *mem)
{
    HostState64 h = *in, g = *in;
    uint8_t hbuf[64];
    bool host_ok;

    if (mem) {
        memcpy(hbuf, mem, 64);
        memcpy(ram + DATA_ADDR, mem, 64);
        h.r[X_RSI] = (uintptr_t)hbuf;
        g.r[X_RSI] = DATA_ADDR;
        reg_mask &= ~(1u << X_RSI);
    }
    h.r[X_FLAGS] = (in->r[X_FLAGS] & CC_ALL) | 0x202;
    host_ok = host_run64(code, len, &h);
    int exc = guest_run64(code, len, &g);
    cases_run++;
    if (!host_ok) {
        ck_assert_msg(exc == EXCP00_DIVZ, "[%s] rax=%016" PRIx64 " rdx=%016" PRIx64
                      ": host #DE, interpreter exc=%d", hex(code, len), in->r[X_RAX],
                      in->r[X_RDX], exc);
        return;
    }
    ck_assert_msg(exc == -1, "[%s] interpreter raised %d", hex(code, len), exc);
    for (int i = 0; i < X_FLAGS; i++) {
        if (reg_mask & (1u << i)) {
            ck_assert_msg(h.r[i] == g.r[i], "[%s] in rax=%" PRIx64 " rbx=%" PRIx64 " rcx=%"
                          PRIx64 " rdx=%" PRIx64 " fl=%03x: reg %d host %016" PRIx64
                          " interp %016" PRIx64, hex(code, len), in->r[X_RAX], in->r[X_RBX],
                          in->r[X_RCX], in->r[X_RDX], (uint32_t)in->r[X_FLAGS], i, h.r[i],
                          g.r[i]);
        }
    }
    ck_assert_msg((h.r[X_FLAGS] & flag_mask) == (g.r[X_FLAGS] & flag_mask),
                  "[%s] in rbx=%" PRIx64 " rcx=%" PRIx64 ": flags host %03x interp %03x",
                  hex(code, len), in->r[X_RBX], in->r[X_RCX],
                  (uint32_t)(h.r[X_FLAGS] & flag_mask), (uint32_t)(g.r[X_FLAGS] & flag_mask));
    if (mem) {
        ck_assert_msg(memcmp(hbuf, ram + DATA_ADDR, 64) == 0, "[%s] memory differs",
                      hex(code, len));
    }
}

static const uint64_t edge64[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0x123456789abcdef0ull,
    0xdeadbeefcafef00dull,
};
#define N_EDGE64 G_N_ELEMENTS(edge64)

static HostState64 state64(uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx, uint32_t fl)
{
    HostState64 st = { { rax, rbx, rcx, rdx, 0x1111222233334444ull, 0x5555666677778888ull,
                         0x99990000aaaabbbbull, 0xccccddddeeeeffffull, 0x0123456789abcdefull,
                         0xfedcba9876543210ull, 0x1357924680aceb9dull, 0x2468013579bdfeacull,
                         fl } };
    return st;
}

/* ---- ALU: REX.W forms, 32-bit forms (zero-extension), REX byte registers ---- */
START_TEST(test_alu64)
{
    harness_init();
    oracle_init();
    long_ready = false;
    for (int op = 0; op < 8; op++) {
        uint32_t fmask = (op == 1 || op == 4 || op == 6) ? LOGIC_FLAGS : ALL_FLAGS;
        const uint8_t forms[][4] = {
            { 0x48, op * 8 + 1, 0xcb }, { 0x48, op * 8 + 3, 0xcb },   /* op rbx, rcx / rcx, rbx */
            { 0x4d, op * 8 + 1, 0xc8 },                               /* op r8, r9 */
            { op * 8 + 1, 0xcb },                                     /* op ebx, ecx */
            { 0x40, op * 8 + 0, 0xf7 },                               /* op dil, sil */
            { 0x45, op * 8 + 0, 0xca },                               /* op r10b, r9b */
            { 0x48, 0x81, 0xc3 | op << 3, 0x80 }, { 0x48, 0x83, 0xc3 | op << 3, 0x80 },
        };
        static const size_t lens[] = { 3, 3, 3, 2, 3, 3, 7, 4 };
        for (unsigned f = 0; f < G_N_ELEMENTS(forms); f++) {
            uint8_t code[8] = { 0 };
            memcpy(code, forms[f], 4);
            if (f == 6) {
                code[4] = 0xff; code[5] = 0xff; code[6] = 0xff; /* imm32 0xffffff80 */
            }
            for (unsigned a = 0; a < N_EDGE64; a++) {
                for (unsigned b = 0; b < N_EDGE64; b += 2) {
                    for (int cf = 0; cf < 2; cf++) {
                        HostState64 in = state64(0, edge64[a], edge64[b], 0, cf);
                        in.r[X_RSI] = edge64[b];
                        in.r[X_RDI] = edge64[a];
                        in.r[X_R8] = edge64[a];
                        in.r[X_R9] = edge64[b];
                        in.r[X_R10] = edge64[a] ^ 0x5a5a;
                        check64(code, lens[f], &in, fmask, ALL_REGS64, NULL);
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- unary, moves and conversions ---- */
START_TEST(test_unary64)
{
    static const struct { uint8_t b[5]; size_t len; uint32_t fmask; } ops[] = {
        { { 0x48, 0xff, 0xc3 }, 3, ALL_FLAGS }, { { 0x48, 0xff, 0xcb }, 3, ALL_FLAGS },
        { { 0x48, 0xf7, 0xd3 }, 3, ALL_FLAGS }, { { 0x48, 0xf7, 0xdb }, 3, ALL_FLAGS },
        { { 0x49, 0xf7, 0xd8 }, 3, ALL_FLAGS },                     /* neg r8 */
        { { 0x48, 0x85, 0xcb }, 3, LOGIC_FLAGS },
        { { 0x48, 0x98 }, 2, ALL_FLAGS }, { { 0x98 }, 1, ALL_FLAGS }, /* cdqe, cwde */
        { { 0x48, 0x99 }, 2, ALL_FLAGS }, { { 0x99 }, 1, ALL_FLAGS }, /* cqo, cdq */
        { { 0x48, 0x0f, 0xcb }, 3, ALL_FLAGS }, { { 0x49, 0x0f, 0xc9 }, 3, ALL_FLAGS },
        { { 0x48, 0x63, 0xcb }, 3, ALL_FLAGS },                     /* movsxd rcx, ebx */
        { { 0x63, 0xcb }, 2, ALL_FLAGS },                           /* movsxd ecx, ebx */
        { { 0x48, 0x0f, 0xb6, 0xcb }, 4, ALL_FLAGS }, { { 0x48, 0x0f, 0xbf, 0xcb }, 4, ALL_FLAGS },
        { { 0x4c, 0x0f, 0xbe, 0xc6 }, 4, ALL_FLAGS },               /* movsx r8, sil */
        { { 0x48, 0x87, 0xcb }, 3, ALL_FLAGS }, { { 0x4d, 0x87, 0xc1 }, 3, ALL_FLAGS },
        { { 0x49, 0x92 }, 2, ALL_FLAGS },                           /* xchg r10, rax */
        { { 0x89, 0xd9 }, 2, ALL_FLAGS },                           /* mov ecx, ebx: clears */
        { { 0x66, 0x89, 0xd9 }, 3, ALL_FLAGS },                     /* mov cx, bx: merges */
        { { 0x88, 0xd9 }, 2, ALL_FLAGS }, { { 0x88, 0xfc }, 2, ALL_FLAGS }, /* mov cl,bl; ah,bh */
        { { 0x40, 0x88, 0xfe }, 3, ALL_FLAGS },                     /* mov sil, dil */
        { { 0x41, 0xb0, 0x77 }, 3, ALL_FLAGS },                     /* mov r8b, 0x77 */
        { { 0x9f }, 1, ALL_FLAGS }, { { 0x9e }, 1, ALL_FLAGS },     /* lahf, sahf */
        { { 0x48, 0x8d, 0x4c, 0x5b, 0xf0 }, 5, ALL_FLAGS },         /* lea rcx, [rbx+rbx*2-16] */
        { { 0x8d, 0x4c, 0x5b, 0xf0 }, 4, ALL_FLAGS },               /* lea ecx, ...: truncates */
        { { 0x67, 0x48, 0x8d, 0x0c, 0x1b }, 5, ALL_FLAGS },         /* lea rcx, [ebx+ebx] */
        { { 0x53, 0x41, 0x58 }, 3, ALL_FLAGS },                     /* push rbx; pop r8 */
        { { 0x66, 0x53, 0x66, 0x41, 0x58 }, 5, ALL_FLAGS },         /* push bx; pop r8w */
        { { 0x6a, 0x80, 0x59 }, 3, ALL_FLAGS },                     /* push -128; pop rcx */
        { { 0xc8, 0x10, 0x00, 0x00, 0xc9 }, 5, ALL_FLAGS },         /* enter 16, 0; leave */
        { { 0x9c, 0x59 }, 2, CC_ALL },                              /* pushfq; pop rcx */
    };
    harness_init();
    oracle_init();
    long_ready = false;
    for (unsigned o = 0; o < G_N_ELEMENTS(ops); o++) {
        for (unsigned a = 0; a < N_EDGE64; a++) {
            for (uint32_t fl = 0; fl < 2; fl++) {
                HostState64 in = state64(edge64[a] ^ 0xc500, edge64[a],
                                         edge64[N_EDGE64 - 1 - a], 0x4242, fl ? CC_ALL : 0);
                /* pushfq: compare the arithmetic flags only (the thunk's IF etc. differ) */
                unsigned regs = ops[o].b[0] == 0x9c ? ALL_REGS64 & ~(1u << X_RCX) : ALL_REGS64;
                check64(ops[o].b, ops[o].len, &in, ops[o].fmask, regs, NULL);
            }
        }
    }
}
END_TEST

/* ---- MUL/IMUL/DIV/IDIV 64 (128-bit products and dividends) ---- */
START_TEST(test_muldiv64)
{
    static const uint64_t hi[] = { 0, 1, 0x7fffffffffffffffull, 0xffffffffffffffffull,
                                   0x123456789ull };
    harness_init();
    oracle_init();
    long_ready = false;
    for (int sub = 4; sub < 8; sub++) {
        uint32_t fmask = sub < 6 ? (CC_C | CC_O) : 0;
        uint8_t c[] = { 0x48, 0xf7, 0xc3 | sub << 3 };
        for (unsigned a = 0; a < N_EDGE64; a++) {
            for (unsigned b = 0; b < N_EDGE64; b++) {
                for (unsigned h = 0; h < G_N_ELEMENTS(hi); h++) {
                    HostState64 in = state64(edge64[a], edge64[b], 0x33, hi[h], 0);
                    check64(c, 3, &in, fmask, ALL_REGS64, NULL);
                }
            }
        }
    }
    for (unsigned a = 0; a < N_EDGE64; a++) {
        for (unsigned b = 0; b < N_EDGE64; b++) {
            uint8_t c2[] = { 0x48, 0x0f, 0xaf, 0xcb };                  /* imul rcx, rbx */
            uint8_t c3[] = { 0x48, 0x6b, 0xcb, (uint8_t)edge64[b] };    /* imul rcx, rbx, imm8 */
            uint8_t c4[] = { 0x48, 0x69, 0xcb, 0x01, 0x00, 0x00, 0x80 }; /* imm32 0x80000001 */
            HostState64 in = state64(0, edge64[a], edge64[b], 0, 0);
            check64(c2, sizeof(c2), &in, CC_C | CC_O, ALL_REGS64, NULL);
            check64(c3, sizeof(c3), &in, CC_C | CC_O, ALL_REGS64, NULL);
            check64(c4, sizeof(c4), &in, CC_C | CC_O, ALL_REGS64, NULL);
        }
    }
}
END_TEST

/* ---- shifts, rotates, SHLD/SHRD with 64-bit counts ---- */
START_TEST(test_shifts64)
{
    static const unsigned counts[] = { 0, 1, 2, 31, 32, 33, 62, 63, 64, 65 };
    harness_init();
    oracle_init();
    long_ready = false;
    for (int sub = 0; sub < 8; sub++) {
        if (sub == 6) {
            continue;
        }
        for (unsigned ci = 0; ci < G_N_ELEMENTS(counts); ci++) {
            unsigned c = counts[ci] & 63;
            uint32_t fm = c == 0 ? ALL_FLAGS
                          : sub < 4 ? (CC_C | (c == 1 ? CC_O : 0))
                          : (CC_S | CC_Z | CC_P | CC_C | (c == 1 ? CC_O : 0));
            uint8_t cl[] = { 0x48, 0xd3, 0xc3 | sub << 3 };
            uint8_t im[] = { 0x48, 0xc1, 0xc3 | sub << 3, counts[ci] };
            uint8_t r9[] = { 0x49, 0xd3, 0xc1 | sub << 3 };              /* op r9, cl */
            uint8_t one[] = { 0x48, 0xd1, 0xc3 | sub << 3 };             /* op rbx, 1 */
            uint8_t one32[] = { 0x41, 0xd1, 0xc1 | sub << 3 };           /* op r9d, 1 */
            uint32_t fm1 = sub < 4 ? CC_C | CC_O : CC_S | CC_Z | CC_P | CC_C | CC_O;
            for (unsigned a = 0; a < N_EDGE64; a++) {
                for (int cf = 0; cf < 2; cf++) {
                    HostState64 in = state64(0, edge64[a], counts[ci], 0, cf);
                    in.r[X_R9] = edge64[a] ^ 0x8000000000000000ull;
                    check64(cl, 3, &in, fm, ALL_REGS64, NULL);
                    check64(im, 4, &in, fm, ALL_REGS64, NULL);
                    check64(r9, 3, &in, fm, ALL_REGS64, NULL);
                    if (ci == 0) {
                        check64(one, 3, &in, fm1, ALL_REGS64, NULL);
                        check64(one32, 3, &in, fm1, ALL_REGS64, NULL);
                    }
                }
            }
        }
    }
    for (int right = 0; right < 2; right++) {
        for (unsigned ci = 0; ci < G_N_ELEMENTS(counts); ci++) {
            unsigned c = counts[ci] & 63;
            uint32_t fm = c == 0 ? ALL_FLAGS : (CC_S | CC_Z | CC_P | CC_C | (c == 1 ? CC_O : 0));
            uint8_t ci_[] = { 0x48, 0x0f, right ? 0xac : 0xa4, 0xcb, counts[ci] };
            uint8_t cc[] = { 0x48, 0x0f, right ? 0xad : 0xa5, 0xcb };
            for (unsigned a = 0; a < N_EDGE64; a++) {
                for (unsigned b = 0; b < N_EDGE64; b += 3) {
                    HostState64 in = state64(0, edge64[a], counts[ci], 0, 0);
                    in.r[X_RCX] = (edge64[b] & ~0xffull) | counts[ci];
                    check64(cc, 4, &in, fm, ALL_REGS64, NULL);
                    in.r[X_RCX] = edge64[b];
                    check64(ci_, 5, &in, fm, ALL_REGS64, NULL);
                }
            }
        }
    }
}
END_TEST

/* ---- BT*, BSF/BSR, CMPXCHG, XADD, SETcc/CMOVcc with REX ---- */
START_TEST(test_bits64)
{
    harness_init();
    oracle_init();
    long_ready = false;
    for (int op = 0; op < 4; op++) {
        static const uint8_t rr[4] = { 0xa3, 0xab, 0xb3, 0xbb };
        for (unsigned a = 0; a < N_EDGE64; a++) {
            for (unsigned bit = 0; bit < 70; bit += 5) {
                uint8_t c[] = { 0x48, 0x0f, rr[op], 0xcb };
                uint8_t ci[] = { 0x48, 0x0f, 0xba, 0xe3 | op << 3, bit };
                HostState64 in = state64(0, edge64[a], bit, 0, 0);
                check64(c, 4, &in, CC_C, ALL_REGS64, NULL);
                check64(ci, 5, &in, CC_C, ALL_REGS64, NULL);
            }
        }
    }
    for (unsigned a = 0; a < N_EDGE64; a++) {
        uint8_t bsf[] = { 0x48, 0x0f, 0xbc, 0xcb }, bsr[] = { 0x48, 0x0f, 0xbd, 0xcb };
        HostState64 in = state64(0, edge64[a], 0x5555, 0, 0);
        check64(bsf, 4, &in, CC_Z, ALL_REGS64, NULL);
        check64(bsr, 4, &in, CC_Z, ALL_REGS64, NULL);
        for (unsigned b = 0; b < N_EDGE64; b++) {
            uint8_t cx[] = { 0x48, 0x0f, 0xb1, 0xcb }, xa[] = { 0x48, 0x0f, 0xc1, 0xcb };
            uint8_t cxr[] = { 0x4d, 0x0f, 0xb1, 0xc8 };                /* cmpxchg r8, r9 */
            HostState64 ne = state64(edge64[a], edge64[b], 0x77, 0, 0);
            HostState64 eq = state64(edge64[a], edge64[a], 0x77, 0, 0);
            eq.r[X_R8] = edge64[a];
            ne.r[X_R8] = edge64[b];
            check64(cx, 4, &ne, ALL_FLAGS, ALL_REGS64, NULL);
            check64(cx, 4, &eq, ALL_FLAGS, ALL_REGS64, NULL);
            check64(cxr, 4, &eq, ALL_FLAGS, ALL_REGS64, NULL);
            /* 32-bit forms in 64-bit mode: which registers get zero-extended */
            static const uint8_t cx32[] = { 0x0f, 0xb1, 0xcb }, xa32[] = { 0x0f, 0xc1, 0xcb };
            check64(cx32, 3, &ne, ALL_FLAGS, ALL_REGS64, NULL);
            check64(cx32, 3, &eq, ALL_FLAGS, ALL_REGS64, NULL);
            check64(xa32, 3, &ne, ALL_FLAGS, ALL_REGS64, NULL);
            check64(xa, 4, &ne, ALL_FLAGS, ALL_REGS64, NULL);
        }
    }
    for (int cc = 0; cc < 16; cc++) {
        for (uint32_t pat = 0; pat < 64; pat += 3) {
            static const uint32_t bits[6] = { CC_C, CC_P, CC_A, CC_Z, CC_S, CC_O };
            uint32_t fl = 0;
            for (int i = 0; i < 6; i++) {
                fl |= (pat & (1u << i)) ? bits[i] : 0;
            }
            uint8_t set[] = { 0x41, 0x0f, 0x90 + cc, 0xc0 };           /* setcc r8b */
            uint8_t setsil[] = { 0x40, 0x0f, 0x90 + cc, 0xc6 };        /* setcc sil */
            uint8_t cmov[] = { 0x48, 0x0f, 0x40 + cc, 0xcb };
            uint8_t cmov32[] = { 0x0f, 0x40 + cc, 0xcb };              /* zero-extends always */
            HostState64 in = state64(0, 0xaaaaaaaabbbbbbbbull, 0xffffffff55555555ull, 0, fl);
            check64(set, 4, &in, ALL_FLAGS, ALL_REGS64, NULL);
            check64(setsil, 4, &in, ALL_FLAGS, ALL_REGS64, NULL);
            check64(cmov, 4, &in, ALL_FLAGS, ALL_REGS64, NULL);
            check64(cmov32, 3, &in, ALL_FLAGS, ALL_REGS64, NULL);
        }
    }
}
END_TEST

/* ---- memory forms and strings against the host, RSI -> a 64-byte buffer ---- */
START_TEST(test_memory64)
{
    static const struct { uint8_t b[8]; size_t len; uint32_t fmask; } ops[] = {
        { { 0x48, 0x01, 0x5e, 0x08 }, 4, ALL_FLAGS },       /* add [rsi+8], rbx */
        { { 0x48, 0x2b, 0x5e, 0x10 }, 4, ALL_FLAGS },       /* sub rbx, [rsi+16] */
        { { 0x48, 0xf7, 0x66, 0x18 }, 4, CC_C | CC_O },     /* mul qword [rsi+24] */
        { { 0x48, 0xd3, 0x66, 0x20 }, 4, CC_C | CC_Z | CC_S }, /* shl qword [rsi+32], cl */
        { { 0x48, 0x0f, 0xab, 0x1e }, 4, CC_C },            /* bts [rsi], rbx (bit string) */
        { { 0x48, 0x0f, 0xb1, 0x5e, 0x08 }, 5, ALL_FLAGS }, /* cmpxchg [rsi+8], rbx */
        { { 0x48, 0x0f, 0xc1, 0x5e, 0x08 }, 5, ALL_FLAGS }, /* xadd [rsi+8], rbx */
        { { 0x48, 0x87, 0x1e }, 3, ALL_FLAGS },             /* xchg [rsi], rbx */
        { { 0x48, 0x0f, 0xc7, 0x0e }, 4, CC_Z },            /* cmpxchg16b [rsi] */
        { { 0xfc, 0x48, 0x8d, 0x7e, 0x20, 0xf3, 0xa4 }, 7, ALL_FLAGS }, /* lea rdi,[rsi+32]; rep movsb */
        { { 0xfc, 0x48, 0x89, 0xf7, 0xf3, 0x48, 0xab }, 7, ALL_FLAGS }, /* mov rdi,rsi; rep stosq */
        { { 0xfc, 0x48, 0xad, 0x48, 0xad }, 5, ALL_FLAGS }, /* lodsq; lodsq */
        { { 0xfc, 0x48, 0x89, 0xf7, 0xf2, 0xae }, 6, ALL_FLAGS }, /* mov rdi,rsi; repne scasb */
        { { 0x48, 0x63, 0x4e, 0x04 }, 4, ALL_FLAGS },       /* movsxd rcx, [rsi+4] */
        { { 0x48, 0x8b, 0x4c, 0xde, 0x00 }, 5, ALL_FLAGS }, /* mov rcx, [rsi+rbx*8] */
    };
    uint8_t mem[64];
    harness_init();
    oracle_init();
    long_ready = false;
    for (unsigned o = 0; o < G_N_ELEMENTS(ops); o++) {
        for (unsigned a = 0; a < N_EDGE64; a++) {
            for (int i = 0; i < 64; i++) {
                mem[i] = i * 37 + a;
            }
            HostState64 in = state64(edge64[a], a & 3, (a % 5) + 1, edge64[N_EDGE64 - 1 - a], 0);
            if (o == 5 || o == 8) {
                memcpy(mem + 8, &in.r[X_RAX], 8); /* make every other compare succeed */
                if (a & 1) {
                    memcpy(mem, &in.r[X_RAX], 8);
                    memcpy(mem + 8, &in.r[X_RDX], 8);
                }
            }
            check64(ops[o].b, ops[o].len, &in, ops[o].fmask, ALL_REGS64 & ~(1u << X_RDI), mem);
        }
    }
}
END_TEST

/* ---- Jcc right after a flag producer: the inline condition tests of
 * cc_test_try (SUB/LOGIC of 32 and 64 bits) and the threaded TEST/IMUL
 * forms, every condition, register and memory operands ---- */
START_TEST(test_jcc_after64)
{
    static const struct { uint8_t b[8]; size_t len; bool mul; } ops[] = {
        { { 0x48, 0x39, 0xd9 }, 3 },                   /* cmp rcx, rbx */
        { { 0x39, 0xd9 }, 2 },                         /* cmp ecx, ebx */
        { { 0x48, 0x85, 0xd9 }, 3 },                   /* test rcx, rbx */
        { { 0x85, 0xd9 }, 2 },                         /* test ecx, ebx */
        { { 0x48, 0x21, 0xd9 }, 3 },                   /* and rcx, rbx */
        { { 0x09, 0xd9 }, 2 },                         /* or ecx, ebx */
        { { 0xa9, 0x00, 0x00, 0x00, 0x80 }, 5 },       /* test eax, 0x80000000 */
        { { 0x48, 0xa9, 0xff, 0x00, 0x00, 0x80 }, 6 }, /* test rax, sext 0x800000ff */
        { { 0xf7, 0xc1, 0x01, 0x00, 0x01, 0x00 }, 6 }, /* test ecx, 0x10001 */
        { { 0x48, 0x85, 0x0e }, 3 },                   /* test [rsi], rcx */
        { { 0x85, 0x4e, 0x08 }, 3 },                   /* test [rsi+8], ecx */
        { { 0xf7, 0x06, 0x80, 0x00, 0x00, 0x00 }, 6 }, /* test dword [rsi], 0x80 */
        { { 0x48, 0x0f, 0xaf, 0xcb }, 4, true },       /* imul rcx, rbx */
        { { 0x0f, 0xaf, 0xcb }, 3, true },             /* imul ecx, ebx */
        { { 0x48, 0x0f, 0xaf, 0x0e }, 4, true },       /* imul rcx, [rsi] */
        { { 0x0f, 0xaf, 0x4e, 0x08 }, 4, true },       /* imul ecx, [rsi+8] */
        { { 0x48, 0x6b, 0xcb, 0x7f }, 4, true },       /* imul rcx, rbx, 0x7f */
        { { 0x48, 0x83, 0xe9, 0x01 }, 4 },             /* sub rcx, 1 */
        { { 0x48, 0x3d, 0x00, 0x00, 0x00, 0x80 }, 6 }, /* cmp rax, sext 0x80000000 */
        { { 0x05, 0x01, 0x00, 0x00, 0x00 }, 5 },       /* add eax, 1 */
        { { 0x29, 0xd9 }, 2 },                         /* sub ecx, ebx */
        { { 0x48, 0x29, 0xd9 }, 3 },                   /* sub rcx, rbx */
        { { 0x83, 0xe9, 0x01 }, 3 },                   /* sub ecx, 1 */
        { { 0x83, 0xf9, 0xff }, 3 },                   /* cmp ecx, -1 */
        { { 0x48, 0x39, 0x0e }, 3 },                   /* cmp [rsi], rcx */
        { { 0x48, 0x3b, 0x0e }, 3 },                   /* cmp rcx, [rsi] */
        { { 0x39, 0x4e, 0x08 }, 3 },                   /* cmp [rsi+8], ecx */
        { { 0x3b, 0x4e, 0x08 }, 3 },                   /* cmp ecx, [rsi+8] */
        { { 0x83, 0x7e, 0x08, 0x00 }, 4 },             /* cmp dword [rsi+8], 0 */
        { { 0x48, 0x81, 0x3e, 0x00, 0x00, 0x00, 0x80 }, 7 }, /* cmp qword [rsi], sext 0x80000000 */
        { { 0x48, 0xf7, 0xc1, 0xff, 0xff, 0xff, 0xff }, 7 }, /* test rcx, -1 */
    };
    uint8_t code[24], mem[64];

    harness_init();
    oracle_init();
    long_ready = false;
    for (unsigned o = 0; o < G_N_ELEMENTS(ops); o++) {
        /* after IMUL only CF and OF are defined (SDM vol.2 IMUL): O and B */
        for (int c = 0; c < (ops[o].mul ? 4 : 16) * 2; c++) {
            /* op; mov edx, 1; jcc +5; mov edx, 0, and (odd c) the same
             * with the mov first, so that the Jcc directly follows op (a
             * pair that ops-fused.c runs as one) */
            size_t n = ops[o].len;
            const uint8_t mov1[] = { 0xba, 1, 0, 0, 0 };
            const uint8_t jcc[] = { (uint8_t)(0x70 + c / 2), 5, 0xba, 0, 0, 0, 0 };
            size_t at = c & 1 ? sizeof(mov1) : 0;
            memcpy(code + at, ops[o].b, n);
            memcpy(code + (c & 1 ? 0 : n), mov1, sizeof(mov1));
            memcpy(code + n + sizeof(mov1), jcc, sizeof(jcc));
            const size_t tail_len = sizeof(mov1) + sizeof(jcc);
            for (unsigned a = 0; a < N_EDGE64; a++) {
                for (unsigned b = 0; b < N_EDGE64; b += 3) {
                    uint64_t m0 = edge64[(a + b) % N_EDGE64];
                    memcpy(mem, &m0, 8);
                    memcpy(mem + 8, &edge64[b], 8);
                    HostState64 in = state64(edge64[a], edge64[b], edge64[(a * 7 + b) % N_EDGE64],
                                             0, 0);
                    check64(code, n + tail_len, &in,
                            ops[o].mul ? CC_C | CC_O : ALL_FLAGS & ~CC_A,
                            ALL_REGS64 & ~(1u << X_RDI), mem);
                }
            }
        }
    }
}
END_TEST

/* ---- 32-bit forms in 64-bit mode: which upper halves are cleared, kept ---- */
START_TEST(test_zero_extension)
{
    static const struct { uint8_t b[5]; size_t len; uint32_t fmask; } ops[] = {
        { { 0xd3, 0xe3 }, 2, 0 }, { { 0xd3, 0xeb }, 2, 0 }, { { 0xd3, 0xfb }, 2, 0 }, /* shl/shr/sar ebx,cl */
        { { 0xd3, 0xc3 }, 2, 0 }, { { 0xd3, 0xd3 }, 2, 0 },                           /* rol, rcl */
        { { 0xc1, 0xe3, 0x00 }, 3, 0 }, { { 0xc1, 0xc3, 0x20 }, 3, 0 },               /* count 0, 32 */
        { { 0x0f, 0xa5, 0xcb }, 3, 0 }, { { 0x0f, 0xad, 0xcb }, 3, 0 },               /* shld/shrd cl */
        { { 0x0f, 0xbc, 0xcb }, 3, CC_Z }, { { 0x0f, 0xbd, 0xcb }, 3, CC_Z },         /* bsf/bsr */
        { { 0x0f, 0xab, 0xcb }, 3, CC_C }, { { 0x0f, 0xa3, 0xcb }, 3, CC_C },         /* bts/bt */
        { { 0x87, 0xcb }, 2, ALL_FLAGS }, { { 0xf7, 0xe3 }, 2, CC_C | CC_O },         /* xchg, mul */
        { { 0xf7, 0xeb }, 2, CC_C | CC_O }, { { 0x0f, 0xaf, 0xcb }, 3, CC_C | CC_O }, /* imul */
        { { 0xf7, 0xd3 }, 2, ALL_FLAGS }, { { 0xf7, 0xdb }, 2, ALL_FLAGS },           /* not, neg */
        { { 0xff, 0xc3 }, 2, ALL_FLAGS }, { { 0x0f, 0xb6, 0xcb }, 3, ALL_FLAGS },     /* inc, movzx */
        { { 0x0f, 0xcb }, 2, ALL_FLAGS }, { { 0x85, 0xcb }, 2, LOGIC_FLAGS },         /* bswap, test */
        { { 0x39, 0xcb }, 2, ALL_FLAGS }, { { 0x8d, 0x0b }, 2, ALL_FLAGS },           /* cmp, lea */
        { { 0x0f, 0xba, 0xe3, 0x05 }, 4, CC_C },                                      /* bt ebx, 5 */
        { { 0x66, 0x0f, 0xc8 }, 3, ALL_FLAGS },                                       /* bswap ax? */
    };
    harness_init();
    oracle_init();
    long_ready = false;
    for (unsigned o = 0; o < G_N_ELEMENTS(ops); o++) {
        if (ops[o].b[0] == 0x66 && ops[o].b[1] == 0x0f && ops[o].b[2] == 0xc8) {
            continue; /* BSWAP r16 is undefined */
        }
        for (unsigned a = 0; a < N_EDGE64; a++) {
            for (unsigned c = 0; c < 4; c++) {
                static const uint64_t cnt[] = { 0, 1, 31, 0xffffffff00000020ull };
                HostState64 in = state64(0xaaaaaaaa00000000ull | a, edge64[a] | (1ull << 60),
                                         cnt[c] | 0x5555555500000000ull, 0x7777777700000000ull,
                                         a & 1 ? CC_ALL : 0);
                uint32_t fm = ops[o].fmask;
                /* shifts: flags only where defined (count 1) */
                if (fm == 0 && c == 1) {
                    fm = CC_C;
                }
                check64(ops[o].b, ops[o].len, &in, fm, ALL_REGS64, NULL);
            }
        }
    }
}
END_TEST

/* ---- POPCNT, LZCNT (-cpu max), where the host has them too ---- */
START_TEST(test_popcnt_lzcnt)
{
    unsigned a, b, c, d;
    bool host_popcnt = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 23));
    bool host_lzcnt = __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 5));

    harness_init();
    oracle_init();
    harness_cpu_model("max");
    long_ready = false;
    if (!host_popcnt || !host_lzcnt) {
        printf("host lacks %s%s: those cases not run\n", host_popcnt ? "" : "POPCNT ",
               host_lzcnt ? "" : "LZCNT");
    }
    for (unsigned i = 0; i < N_EDGE64; i++) {
        static const uint8_t pop64[] = { 0xf3, 0x48, 0x0f, 0xb8, 0xcb };
        static const uint8_t pop32[] = { 0xf3, 0x0f, 0xb8, 0xcb };
        static const uint8_t pop16[] = { 0x66, 0xf3, 0x0f, 0xb8, 0xcb };
        static const uint8_t lz64[] = { 0xf3, 0x48, 0x0f, 0xbd, 0xcb };
        static const uint8_t lz32[] = { 0xf3, 0x0f, 0xbd, 0xcb };
        static const uint8_t lz16[] = { 0x66, 0xf3, 0x0f, 0xbd, 0xcb };
        HostState64 in = state64(0, edge64[i], 0x1234, 0, CC_ALL);
        if (host_popcnt) {
            check64(pop64, sizeof(pop64), &in, ALL_FLAGS, ALL_REGS64, NULL);
            check64(pop32, sizeof(pop32), &in, ALL_FLAGS, ALL_REGS64, NULL);
            check64(pop16, sizeof(pop16), &in, ALL_FLAGS, ALL_REGS64, NULL);
        }
        if (host_lzcnt) {
            check64(lz64, sizeof(lz64), &in, CC_C | CC_Z, ALL_REGS64, NULL);
            check64(lz32, sizeof(lz32), &in, CC_C | CC_Z, ALL_REGS64, NULL);
            check64(lz16, sizeof(lz16), &in, CC_C | CC_Z, ALL_REGS64, NULL);
        }
    }
    harness_cpu_model("qemu64");
}
END_TEST

START_TEST(test_report)
{
    printf("tcg 64-bit instruction cases run: %u\n", cases_run);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-insn64");
    TCase *tc = tcase_create("host-oracle-64");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_alu64);
    tcase_add_test(tc, test_unary64);
    tcase_add_test(tc, test_muldiv64);
    tcase_add_test(tc, test_shifts64);
    tcase_add_test(tc, test_bits64);
    tcase_add_test(tc, test_memory64);
    tcase_add_test(tc, test_jcc_after64);
    tcase_add_test(tc, test_zero_extension);
    tcase_add_test(tc, test_popcnt_lzcnt);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
