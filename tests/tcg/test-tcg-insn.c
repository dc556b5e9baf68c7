/*
 * Instruction-level tests of the interpreter against the host CPU.
 *
 * Every register-form integer instruction of 32-bit code encodes the same
 * operation in 64-bit mode (without REX), so the host is the oracle: each
 * case runs the same bytes natively (in an mmap'd thunk that loads the
 * registers and EFLAGS, executes them, and saves the result) and on the
 * interpreter, and compares registers and the flags the SDM defines.
 * Cases come from tables: ALU ops x sizes x edge values x carry-in,
 * shifts/rotates with edge counts, mul/div (host SIGFPE = #DE expected),
 * bit ops, SHLD/SHRD, CMPXCHG, XADD, SETcc/CMOVcc over flag patterns,
 * and memory forms, which must agree with the register forms.  The 64-bit
 * forms are in test-tcg-insn64.c.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

#include "tcg-oracle.h"

enum { H_EAX, H_EBX, H_ECX, H_EDX, H_ESI, H_EDI, H_FLAGS, H_N };

typedef struct HostState {
    uint64_t r[H_N];
} HostState;

/* Runs code natively on *st; false if it raised SIGFPE (#DE). */
static bool host_run(const uint8_t *code, size_t len, HostState *st)
{
    static const uint8_t pre[] = {
        0x53, 0x55,             /* push rbx; push rbp */
        0x49, 0x89, 0xfb,       /* mov r11, rdi */
        0x49, 0x8b, 0x03,       /* mov rax, [r11] */
        0x49, 0x8b, 0x5b, 0x08, /* mov rbx, [r11+8] */
        0x49, 0x8b, 0x4b, 0x10, /* mov rcx, [r11+16] */
        0x49, 0x8b, 0x53, 0x18, /* mov rdx, [r11+24] */
        0x49, 0x8b, 0x73, 0x20, /* mov rsi, [r11+32] */
        0x49, 0x8b, 0x7b, 0x28, /* mov rdi, [r11+40] */
        0x41, 0xff, 0x73, 0x30, /* push qword [r11+48] */
        0x9d,                   /* popfq */
    };
    static const uint8_t post[] = {
        0x9c,                   /* pushfq */
        0x41, 0x8f, 0x43, 0x30, /* pop qword [r11+48] */
        0x49, 0x89, 0x03,       /* mov [r11], rax */
        0x49, 0x89, 0x5b, 0x08, 0x49, 0x89, 0x4b, 0x10, 0x49, 0x89, 0x53, 0x18,
        0x49, 0x89, 0x73, 0x20, 0x49, 0x89, 0x7b, 0x28,
        0x5d, 0x5b, 0xc3,       /* pop rbp; pop rbx; ret */
    };
    size_t n = 0;

    memcpy(thunk + n, pre, sizeof(pre)); n += sizeof(pre);
    memcpy(thunk + n, code, len); n += len;
    memcpy(thunk + n, post, sizeof(post));
    __builtin___clear_cache((char *)thunk, (char *)thunk + 4096);
    if (sigsetjmp(fpe_jmp, 1)) {
        return false;
    }
    ((void (*)(HostState *))thunk)(st);
    return true;
}

/* Same code on the interpreter; returns the exception vector or -1. */
static int guest_run(const uint8_t *code, size_t len, HostState *st)
{
    static const int map[6] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI };
    CPUX86State *env = henv();

    for (int i = 0; i < 6; i++) {
        env->regs[map[i]] = (uint32_t)st->r[i];
    }
    env->regs[R_ESP] = STACK_TOP;
    env->eflags = (st->r[H_FLAGS] & (CC_ALL | DF_MASK)) | 0x2;
    int exc = run_code(code, len);
    for (int i = 0; i < 6; i++) {
        st->r[i] = (uint32_t)env->regs[map[i]];
    }
    st->r[H_FLAGS] = env->eflags;
    return exc;
}

/*
 * One case: both sides start from in; registers (low 32 bits) and the
 * flags in flag_mask must agree.  reg_mask selects compared registers.
 */
static void check_case(const uint8_t *code, size_t len, const HostState *in,
                       uint32_t flag_mask, unsigned reg_mask)
{
    HostState h = *in, g = *in;
    bool host_ok;

    h.r[H_FLAGS] = (in->r[H_FLAGS] & CC_ALL) | 0x202;
    host_ok = host_run(code, len, &h);
    int exc = guest_run(code, len, &g);
    cases_run++;
    if (!host_ok) {
        ck_assert_msg(exc == EXCP00_DIVZ, "[%s] eax=%08x ebx=%08x edx=%08x: host #DE, "
                      "interpreter exc=%d", hex(code, len), (uint32_t)in->r[0],
                      (uint32_t)in->r[1], (uint32_t)in->r[3], exc);
        return;
    }
    ck_assert_msg(exc == -1, "[%s] interpreter raised %d", hex(code, len), exc);
    for (int i = 0; i < 6; i++) {
        if (reg_mask & (1u << i)) {
            ck_assert_msg((uint32_t)h.r[i] == (uint32_t)g.r[i],
                          "[%s] in eax=%08x ebx=%08x ecx=%08x edx=%08x fl=%03x: "
                          "reg %d host %08x interp %08x", hex(code, len),
                          (uint32_t)in->r[0], (uint32_t)in->r[1], (uint32_t)in->r[2],
                          (uint32_t)in->r[3], (uint32_t)in->r[H_FLAGS], i,
                          (uint32_t)h.r[i], (uint32_t)g.r[i]);
        }
    }
    ck_assert_msg((h.r[H_FLAGS] & flag_mask) == (g.r[H_FLAGS] & flag_mask),
                  "[%s] in eax=%08x ebx=%08x ecx=%08x fl=%03x: flags host %03x interp %03x "
                  "(mask %03x)", hex(code, len), (uint32_t)in->r[0], (uint32_t)in->r[1],
                  (uint32_t)in->r[2], (uint32_t)in->r[H_FLAGS],
                  (uint32_t)(h.r[H_FLAGS] & flag_mask), (uint32_t)(g.r[H_FLAGS] & flag_mask),
                  flag_mask);
}

#define ALL_REGS 0x3f

static const uint32_t edge[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0xdeadbeef,
};
#define N_EDGE (sizeof(edge) / sizeof(edge[0]))

static HostState state(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx, uint32_t flags)
{
    HostState st = { { eax, ebx, ecx, edx, 0x1111, 0x2222, flags } };
    return st;
}

/* An instruction in three sizes: prefix 0x66 for 16-bit, opcode-1 for 8-bit. */
static size_t emit(uint8_t *buf, int size, const uint8_t *op, size_t oplen)
{
    size_t n = 0;
    if (size == 16) {
        buf[n++] = 0x66;
    }
    memcpy(buf + n, op, oplen);
    return n + oplen;
}

/* ---- ALU: op r/m, r and op r, r/m, all sizes, edge values, CF in ---- */
START_TEST(test_alu_reg)
{
    harness_init();
    oracle_init();
    for (int op = 0; op < 8; op++) {
        uint32_t fmask = (op == 1 || op == 4 || op == 6) ? LOGIC_FLAGS : ALL_FLAGS;
        for (int form = 0; form < 6; form++) {
            /* forms: 8-bit Eb,Gb (bl,cl) / 8-bit Gb,Eb (ah,bh) / 16 / 32, both directions */
            static const struct { int size; int dir; uint8_t modrm; } forms[6] = {
                { 8, 0, 0xcb }, { 8, 2, 0xe7 }, { 16, 1, 0xcb }, { 16, 3, 0xcb },
                { 32, 1, 0xcb }, { 32, 3, 0xcb },
            };
            uint8_t opb[2] = { op * 8 + forms[form].dir, forms[form].modrm }, code[8];
            size_t len = emit(code, forms[form].size, opb, 2);
            for (unsigned a = 0; a < N_EDGE; a++) {
                for (unsigned b = 0; b < N_EDGE; b++) {
                    for (int cf = 0; cf < 2; cf++) {
                        HostState in = state(edge[b] ^ 0x5a00, edge[a], edge[b], 0, cf);
                        check_case(code, len, &in, fmask, ALL_REGS);
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- ALU with immediates: 80/81/83 /op and 04/05 ---- */
START_TEST(test_alu_imm)
{
    static const uint32_t imms[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff };
    harness_init();
    oracle_init();
    for (int op = 0; op < 8; op++) {
        uint32_t fmask = (op == 1 || op == 4 || op == 6) ? LOGIC_FLAGS : ALL_FLAGS;
        for (unsigned i = 0; i < sizeof(imms) / 4; i++) {
            uint32_t imm = imms[i];
            uint8_t c80[] = { 0x80, 0xc3 | op << 3, imm };
            uint8_t c81[] = { 0x81, 0xc3 | op << 3, imm, imm >> 8, imm >> 16, imm >> 24 };
            uint8_t c81w[] = { 0x66, 0x81, 0xc3 | op << 3, imm, imm >> 8 };
            uint8_t c83[] = { 0x83, 0xc3 | op << 3, imm };
            uint8_t c83w[] = { 0x66, 0x83, 0xc3 | op << 3, imm };
            uint8_t c04[] = { 0x04 + op * 8, imm };
            uint8_t c05[] = { 0x05 + op * 8, imm, imm >> 8, imm >> 16, imm >> 24 };
            for (unsigned a = 0; a < N_EDGE; a++) {
                for (int cf = 0; cf < 2; cf++) {
                    HostState in = state(edge[a], edge[a], 3, 0, cf);
                    check_case(c80, sizeof(c80), &in, fmask, ALL_REGS);
                    check_case(c81, sizeof(c81), &in, fmask, ALL_REGS);
                    check_case(c81w, sizeof(c81w), &in, fmask, ALL_REGS);
                    check_case(c83, sizeof(c83), &in, fmask, ALL_REGS);
                    check_case(c83w, sizeof(c83w), &in, fmask, ALL_REGS);
                    check_case(c04, sizeof(c04), &in, fmask, ALL_REGS);
                    check_case(c05, sizeof(c05), &in, fmask, ALL_REGS);
                }
            }
        }
    }
}
END_TEST

/* ---- unary: inc dec not neg test, all sizes ---- */
START_TEST(test_unary)
{
    static const struct { uint8_t b[3]; size_t len; uint32_t fmask; } ops[] = {
        { { 0xfe, 0xc3 }, 2, ALL_FLAGS }, { { 0xfe, 0xcb }, 2, ALL_FLAGS },   /* inc/dec bl */
        { { 0xff, 0xc3 }, 2, ALL_FLAGS }, { { 0xff, 0xcb }, 2, ALL_FLAGS },   /* inc/dec ebx */
        { { 0x66, 0xff, 0xc3 }, 3, ALL_FLAGS }, { { 0x66, 0xff, 0xcb }, 3, ALL_FLAGS },
        { { 0xf6, 0xd3 }, 2, ALL_FLAGS }, { { 0xf7, 0xd3 }, 2, ALL_FLAGS },   /* not */
        { { 0x66, 0xf7, 0xd3 }, 3, ALL_FLAGS },
        { { 0xf6, 0xdb }, 2, ALL_FLAGS }, { { 0xf7, 0xdb }, 2, ALL_FLAGS },   /* neg */
        { { 0x66, 0xf7, 0xdb }, 3, ALL_FLAGS },
        { { 0x84, 0xcb }, 2, LOGIC_FLAGS }, { { 0x85, 0xcb }, 2, LOGIC_FLAGS },
        { { 0x66, 0x85, 0xcb }, 3, LOGIC_FLAGS },
        { { 0x98 }, 1, ALL_FLAGS }, { { 0x66, 0x98 }, 2, ALL_FLAGS },         /* cwde, cbw */
        { { 0x99 }, 1, ALL_FLAGS }, { { 0x66, 0x99 }, 2, ALL_FLAGS },         /* cdq, cwd */
        { { 0x0f, 0xcb }, 2, ALL_FLAGS },                                     /* bswap ebx */
        { { 0x9f }, 1, ALL_FLAGS }, { { 0x9e }, 1, ALL_FLAGS },               /* lahf, sahf */
        { { 0xf5 }, 1, ALL_FLAGS }, { { 0xf8 }, 1, ALL_FLAGS }, { { 0xf9 }, 1, ALL_FLAGS },
        { { 0x0f, 0xb6, 0xcb }, 3, ALL_FLAGS }, { { 0x0f, 0xb7, 0xcb }, 3, ALL_FLAGS },
        { { 0x0f, 0xbe, 0xcb }, 3, ALL_FLAGS }, { { 0x0f, 0xbf, 0xcb }, 3, ALL_FLAGS },
        { { 0x0f, 0xbe, 0xcf }, 3, ALL_FLAGS },                               /* movsx ecx, bh */
        { { 0x87, 0xcb }, 2, ALL_FLAGS }, { { 0x86, 0xe7 }, 2, ALL_FLAGS },   /* xchg */
        { { 0x93 }, 1, ALL_FLAGS },                                           /* xchg ebx, eax */
    };
    harness_init();
    oracle_init();
    for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (unsigned a = 0; a < N_EDGE; a++) {
            for (uint32_t fl = 0; fl < 2; fl++) {
                uint32_t flags = fl ? CC_ALL : 0;
                HostState in = state(edge[a] ^ 0xc500, edge[a], edge[N_EDGE - 1 - a], 0, flags);
                check_case(ops[o].b, ops[o].len, &in, ops[o].fmask, ALL_REGS);
            }
        }
    }
}
END_TEST

/* ---- mul/imul/div/idiv in 8/16/32-bit forms (#DE when the host faults) ---- */
START_TEST(test_muldiv)
{
    harness_init();
    oracle_init();
    for (int sub = 4; sub < 8; sub++) {
        uint32_t fmask = sub < 6 ? (CC_C | CC_O) : 0;
        uint8_t b8[] = { 0xf6, 0xc3 | sub << 3 }, b32[] = { 0xf7, 0xc3 | sub << 3 };
        uint8_t b16[] = { 0x66, 0xf7, 0xc3 | sub << 3 };
        for (unsigned a = 0; a < N_EDGE; a++) {
            for (unsigned b = 0; b < N_EDGE; b++) {
                for (unsigned c = 0; c < 4; c++) {
                    static const uint32_t hi[] = { 0, 1, 0x7fffffff, 0xffffffff };
                    HostState in = state(edge[a], edge[b], 0x33, hi[c], 0);
                    check_case(b8, 2, &in, fmask, ALL_REGS);
                    check_case(b16, 3, &in, fmask, ALL_REGS);
                    check_case(b32, 2, &in, fmask, ALL_REGS);
                }
            }
        }
    }
    /* two- and three-operand imul */
    for (unsigned a = 0; a < N_EDGE; a++) {
        for (unsigned b = 0; b < N_EDGE; b++) {
            uint8_t c2[] = { 0x0f, 0xaf, 0xcb }, c2w[] = { 0x66, 0x0f, 0xaf, 0xcb };
            uint8_t c3[] = { 0x6b, 0xcb, edge[b] }, c3d[] = { 0x69, 0xcb, edge[b], edge[b] >> 8,
                                                               edge[b] >> 16, edge[b] >> 24 };
            HostState in = state(0, edge[a], edge[b], 0, 0);
            check_case(c2, sizeof(c2), &in, CC_C | CC_O, ALL_REGS);
            check_case(c2w, sizeof(c2w), &in, CC_C | CC_O, ALL_REGS);
            check_case(c3, sizeof(c3), &in, CC_C | CC_O, ALL_REGS);
            check_case(c3d, sizeof(c3d), &in, CC_C | CC_O, ALL_REGS);
        }
    }
}
END_TEST

/* ---- shifts and rotates: counts 0/1/size-1/size/size+1/31/32 ---- */
static uint32_t shift_flag_mask(int sub, int size, unsigned count)
{
    unsigned c = count & 31;
    bool rotate = sub < 4;

    if (c == 0) {
        return ALL_FLAGS; /* unchanged */
    }
    if (rotate) {
        /* RCL/RCR 8/16 rotate modulo 9/17; ROL/ROR modulo size */
        uint32_t m = CC_C | (c == 1 ? CC_O : 0);
        if (sub < 2 && (c & (size - 1)) == 0) {
            m = CC_C | (c == 1 ? CC_O : 0);
        }
        return m | CC_S | CC_Z | CC_P; /* untouched by rotates */
    }
    uint32_t m = CC_S | CC_Z | CC_P;
    if (c <= (unsigned)size) {
        m |= CC_C;
    }
    if (c == 1) {
        m |= CC_O;
    }
    return m;
}

START_TEST(test_shifts)
{
    static const unsigned counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33 };
    harness_init();
    oracle_init();
    for (int sub = 0; sub < 8; sub++) {
        if (sub == 6) {
            continue; /* SAL alias: same as SHL but /6 is not in every assembler */
        }
        for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
            unsigned count = counts[ci];
            for (int size = 8; size <= 32; size <<= 1) {
                uint8_t cl[4], im[5], one[4];
                uint8_t opcl[2] = { size == 8 ? 0xd2 : 0xd3, 0xc3 | sub << 3 };
                uint8_t opim[3] = { size == 8 ? 0xc0 : 0xc1, 0xc3 | sub << 3, count };
                uint8_t op1[2] = { size == 8 ? 0xd0 : 0xd1, 0xc3 | sub << 3 };
                size_t lcl = emit(cl, size, opcl, 2), lim = emit(im, size, opim, 3);
                size_t l1 = emit(one, size, op1, 2);
                uint32_t fm = shift_flag_mask(sub, size, count);
                if (size < 32 && (count & 31) > (unsigned)size && sub >= 4) {
                    continue; /* result bits undefined on some CPUs */
                }
                for (unsigned a = 0; a < N_EDGE; a++) {
                    for (int cf = 0; cf < 2; cf++) {
                        HostState in = state(0, edge[a], count, 0, cf | (cf ? CC_O : 0));
                        check_case(cl, lcl, &in, fm, ALL_REGS);
                        check_case(im, lim, &in, fm, ALL_REGS);
                        if (ci == 0) {
                            check_case(one, l1, &in, shift_flag_mask(sub, size, 1), ALL_REGS);
                        }
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- SHLD/SHRD ---- */
START_TEST(test_shld_shrd)
{
    static const unsigned counts[] = { 0, 1, 4, 15, 16, 31, 32 };
    harness_init();
    oracle_init();
    for (int right = 0; right < 2; right++) {
        for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
            unsigned c = counts[ci];
            for (int size = 16; size <= 32; size <<= 1) {
                if (size == 16 && (c & 31) > 16) {
                    continue; /* undefined */
                }
                uint8_t opi[4] = { 0x0f, right ? 0xac : 0xa4, 0xcb, c };
                uint8_t opc[3] = { 0x0f, right ? 0xad : 0xa5, 0xcb };
                uint8_t ci_[5], cc_[4];
                size_t li = emit(ci_, size, opi, 4), lc = emit(cc_, size, opc, 3);
                uint32_t fm = (c & 31) == 0 ? ALL_FLAGS
                              : (CC_S | CC_Z | CC_P | CC_C | ((c & 31) == 1 ? CC_O : 0));
                for (unsigned a = 0; a < N_EDGE; a++) {
                    for (unsigned b = 0; b < N_EDGE; b += 3) {
                        HostState in = state(0, edge[a], c, 0, 0);
                        in.r[H_ECX] = (edge[b] & ~0xffu) | c; /* CL is the count */
                        check_case(cc_, lc, &in, fm, ALL_REGS);
                        in.r[H_ECX] = edge[b];
                        check_case(ci_, li, &in, fm, ALL_REGS);
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- BT/BTS/BTR/BTC, BSF/BSR ---- */
START_TEST(test_bitops)
{
    harness_init();
    oracle_init();
    for (int op = 0; op < 4; op++) {
        static const uint8_t rr[4] = { 0xa3, 0xab, 0xb3, 0xbb };
        for (unsigned a = 0; a < N_EDGE; a++) {
            for (unsigned bit = 0; bit < 40; bit += 3) {
                uint8_t c32[] = { 0x0f, rr[op], 0xcb }, c16[] = { 0x66, 0x0f, rr[op], 0xcb };
                uint8_t ci[] = { 0x0f, 0xba, 0xe3 | op << 3, bit };
                uint8_t ci16[] = { 0x66, 0x0f, 0xba, 0xe3 | op << 3, bit };
                HostState in = state(0, edge[a], bit, 0, 0);
                check_case(c32, 3, &in, CC_C, ALL_REGS);
                check_case(c16, 4, &in, CC_C, ALL_REGS);
                check_case(ci, 4, &in, CC_C, ALL_REGS);
                check_case(ci16, 5, &in, CC_C, ALL_REGS);
            }
        }
    }
    for (unsigned a = 0; a < N_EDGE; a++) {
        uint8_t bsf[] = { 0x0f, 0xbc, 0xcb }, bsr[] = { 0x0f, 0xbd, 0xcb };
        uint8_t bsfw[] = { 0x66, 0x0f, 0xbc, 0xcb }, bsrw[] = { 0x66, 0x0f, 0xbd, 0xcb };
        HostState in = state(0, edge[a], 0x5555, 0, 0);
        check_case(bsf, 3, &in, CC_Z, ALL_REGS);
        check_case(bsr, 3, &in, CC_Z, ALL_REGS);
        check_case(bsfw, 4, &in, CC_Z, ALL_REGS);
        check_case(bsrw, 4, &in, CC_Z, ALL_REGS);
    }
}
END_TEST

/* ---- CMPXCHG, XADD ---- */
START_TEST(test_cmpxchg_xadd)
{
    harness_init();
    oracle_init();
    for (unsigned a = 0; a < N_EDGE; a++) {
        for (unsigned b = 0; b < N_EDGE; b++) {
            uint8_t cx[] = { 0x0f, 0xb1, 0xcb }, cxw[] = { 0x66, 0x0f, 0xb1, 0xcb };
            uint8_t cxb[] = { 0x0f, 0xb0, 0xcb };
            uint8_t xa[] = { 0x0f, 0xc1, 0xcb }, xab[] = { 0x0f, 0xc0, 0xcb };
            HostState in = state(edge[a], edge[b], 0x77, 0, 0);
            HostState eq = state(edge[a], edge[a], 0x77, 0, 0);
            check_case(cx, 3, &in, ALL_FLAGS, ALL_REGS);
            check_case(cx, 3, &eq, ALL_FLAGS, ALL_REGS);
            check_case(cxw, 4, &in, ALL_FLAGS, ALL_REGS);
            check_case(cxb, 3, &eq, ALL_FLAGS, ALL_REGS);
            check_case(xa, 3, &in, ALL_FLAGS, ALL_REGS);
            check_case(xab, 3, &in, ALL_FLAGS, ALL_REGS);
        }
    }
}
END_TEST

/* ---- SETcc/CMOVcc over every flag pattern ---- */
START_TEST(test_setcc_cmov)
{
    harness_init();
    oracle_init();
    for (int cc = 0; cc < 16; cc++) {
        for (uint32_t pat = 0; pat < 64; pat++) {
            static const uint32_t bits[6] = { CC_C, CC_P, CC_A, CC_Z, CC_S, CC_O };
            uint32_t fl = 0;
            for (int i = 0; i < 6; i++) {
                if (pat & (1u << i)) {
                    fl |= bits[i];
                }
            }
            uint8_t set[] = { 0x0f, 0x90 + cc, 0xc3 }, cmov[] = { 0x0f, 0x40 + cc, 0xcb };
            uint8_t cmovw[] = { 0x66, 0x0f, 0x40 + cc, 0xcb };
            HostState in = state(0, 0xaaaaaaaa, 0x5555, 0, fl);
            check_case(set, 3, &in, ALL_FLAGS, ALL_REGS);
            check_case(cmov, 3, &in, ALL_FLAGS, ALL_REGS);
            check_case(cmovw, 4, &in, ALL_FLAGS, ALL_REGS);
        }
    }
    /* Jcc after a real compare, through the lazy-flag fast paths */
    for (int cc = 0; cc < 16; cc++) {
        for (unsigned a = 0; a < N_EDGE; a += 2) {
            for (unsigned b = 0; b < N_EDGE; b += 2) {
                for (int sz = 0; sz < 3; sz++) {
                    /* cmp ebx, ecx (or test); jcc +2; mov dl, 1 -- skip or not */
                    uint8_t code[9];
                    size_t n = 0;
                    if (sz == 1) {
                        code[n++] = 0x66;
                    }
                    code[n++] = sz == 2 ? 0x85 : 0x39;
                    code[n++] = 0xcb;
                    code[n++] = 0x70 + cc;
                    code[n++] = 2;
                    code[n++] = 0xb2;
                    code[n++] = 1;
                    HostState in = state(0, edge[a], edge[b], 0, 0);
                    check_case(code, n, &in, ALL_FLAGS & ~(sz == 2 ? CC_A : 0), ALL_REGS);
                }
            }
        }
    }
}
END_TEST

/* ---- memory forms agree with register forms ---- */
START_TEST(test_memory_forms)
{
    harness_init();
    for (int op = 0; op < 8; op++) {
        for (unsigned a = 0; a < N_EDGE; a++) {
            for (unsigned b = 0; b < N_EDGE; b += 2) {
                /* op ebx, ecx  vs  op [esi+8], ecx with the value of ebx in memory */
                uint8_t rform[] = { op * 8 + 1, 0xcb }, mform[] = { op * 8 + 1, 0x4e, 0x08 };
                uint8_t gform[] = { op * 8 + 3, 0x4e, 0x08 }; /* op ecx, [esi+8] */
                uint8_t gref[] = { op * 8 + 3, 0xcb };        /* op ecx, ebx */
                CPUX86State *env = henv();
                HostState in = state(0, edge[a], edge[b], 0, 1), r = in, m = in;

                guest_run(rform, 2, &r);
                m.r[H_ESI] = DATA_ADDR;
                put32(DATA_ADDR + 8, edge[a]);
                guest_run(mform, 3, &m);
                ck_assert_uint_eq(get32(DATA_ADDR + 8), (uint32_t)r.r[H_EBX]);
                ck_assert_uint_eq(m.r[H_FLAGS] & CC_ALL, r.r[H_FLAGS] & CC_ALL);

                r = in;
                guest_run(gref, 2, &r);
                m = in;
                m.r[H_ESI] = DATA_ADDR;
                put32(DATA_ADDR + 8, edge[a]);
                guest_run(gform, 3, &m);
                ck_assert_uint_eq((uint32_t)m.r[H_ECX], (uint32_t)r.r[H_ECX]);
                ck_assert_uint_eq(m.r[H_FLAGS] & CC_ALL, r.r[H_FLAGS] & CC_ALL);
                (void)env;
                cases_run += 2;
            }
        }
    }
}
END_TEST

/* ---- addressing forms: LEA against an independent formula ---- */
static uint32_t reg_value(int r)
{
    return 0x1000 * (r + 1) + 0x11 * r + (r == R_ESP ? 0 : 0);
}

START_TEST(test_addressing32)
{
    harness_init();
    static const int32_t disps[] = { 0, 1, -1, 0x7f, -0x80, 0x12345678 };
    for (int mod = 0; mod < 3; mod++) {
        for (int rm = 0; rm < 8; rm++) {
            for (int sib = 0; sib < (rm == 4 ? 256 : 1); sib++) {
                for (unsigned di = 0; di < sizeof(disps) / 4; di++) {
                    int32_t disp = mod == 1 ? (int8_t)disps[di] : disps[di];
                    uint8_t code[12];
                    size_t n = 0;
                    code[n++] = 0x8d;
                    code[n++] = (mod << 6) | (R_EAX << 3) | rm;
                    uint32_t expect = 0;
                    bool disp32 = mod == 2;
                    if (rm == 4) {
                        int scale = sib >> 6, index = (sib >> 3) & 7, base = sib & 7;
                        code[n++] = sib;
                        if (index != 4) {
                            expect += reg_value(index) << scale;
                        }
                        if (base == 5 && mod == 0) {
                            disp32 = true;
                        } else {
                            expect += reg_value(base);
                        }
                    } else if (rm == 5 && mod == 0) {
                        disp32 = true;
                    } else {
                        expect += reg_value(rm);
                    }
                    if (mod == 1) {
                        code[n++] = disp;
                        expect += disp;
                    } else if (disp32) {
                        memcpy(code + n, &disp, 4);
                        n += 4;
                        expect += disp;
                    }
                    CPUX86State *env = henv();
                    for (int r = 0; r < 8; r++) {
                        env->regs[r] = reg_value(r);
                    }
                    /* ESP is the stack: give it the formula value too, then restore */
                    ck_assert_int_eq(run_code(code, n), -1);
                    ck_assert_msg((uint32_t)env->regs[R_EAX] == expect,
                                  "lea mod=%d rm=%d sib=%02x disp=%d: %08x != %08x", mod, rm,
                                  sib, disp, (uint32_t)env->regs[R_EAX], expect);
                    cases_run++;
                }
            }
        }
    }
}
END_TEST

START_TEST(test_addressing16)
{
    harness_init();
    static const int16_t disps[] = { 0, 1, -1, 0x7f, -0x80, 0x7fff, -0x8000 };
    static const int8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
    static const int8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
    for (int mod = 0; mod < 3; mod++) {
        for (int rm = 0; rm < 8; rm++) {
            for (unsigned di = 0; di < sizeof(disps) / 2; di++) {
                int16_t disp = mod == 1 ? (int8_t)disps[di] : disps[di];
                uint8_t code[8];
                size_t n = 0;
                code[n++] = 0x67; /* 16-bit addressing in 32-bit code */
                code[n++] = 0x8d;
                code[n++] = (mod << 6) | (R_EAX << 3) | rm;
                uint32_t expect;
                if (mod == 0 && rm == 6) {
                    memcpy(code + n, &disp, 2);
                    n += 2;
                    expect = (uint16_t)disp;
                } else {
                    expect = reg_value(base16[rm]) +
                             (index16[rm] >= 0 ? reg_value(index16[rm]) : 0);
                    if (mod == 1) {
                        code[n++] = disp;
                        expect += disp;
                    } else if (mod == 2) {
                        memcpy(code + n, &disp, 2);
                        n += 2;
                        expect += disp;
                    }
                    expect &= 0xffff;
                }
                CPUX86State *env = henv();
                for (int r = 0; r < 8; r++) {
                    env->regs[r] = reg_value(r);
                }
                ck_assert_int_eq(run_code(code, n), -1);
                ck_assert_msg((uint32_t)env->regs[R_EAX] == expect,
                              "lea16 mod=%d rm=%d disp=%d: %08x != %08x", mod, rm, disp,
                              (uint32_t)env->regs[R_EAX], expect);
                cases_run++;
            }
        }
    }
}
END_TEST


/*
 * ---- Flag liveness (accel/tcg/flags-dead.c) ----
 * Random blocks of register instructions: flag writers whose flags the
 * block may or may not read again (ADD..CMP, TEST, IMUL, shifts by
 * immediates including 0), readers of CF (ADC, SBB, SETB, CMOVB, and
 * INC/DEC, which keep it), and instructions that leave the flags alone
 * (MOV, MOV imm, LEA, NOP).  Registers and CF (defined by every writer
 * here) must match the host, at the block's end and at a #UD after it.
 */
static uint32_t flags_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static size_t flags_insn(uint8_t *p, uint32_t *seed)
{
    static const uint8_t regs[] = { 0, 1, 2, 3, 6, 7 }; /* not ESP, EBP */
    static const uint8_t alu_rr[] = { 0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x85, 0x11, 0x19 };
    static const uint8_t alu_ri[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    static const uint8_t shifts[] = { 4, 5, 7 };
    static const uint8_t counts[] = { 0, 1, 3, 31, 32 };
    uint8_t r = regs[flags_rand(seed) % 6], m = regs[flags_rand(seed) % 6];
    uint8_t rr = 0xc0 | r << 3 | m;
    uint32_t imm = flags_rand(seed) * 2654435761u;

    switch (flags_rand(seed) % 12) {
    case 0: case 1:
        p[0] = alu_rr[flags_rand(seed) % sizeof(alu_rr)];
        p[1] = rr;
        return 2;
    case 2:
        p[0] = 0x83, p[1] = 0xc0 | alu_ri[flags_rand(seed) % 8] << 3 | m, p[2] = imm;
        return 3;
    case 3:
        p[0] = 0x0f, p[1] = 0xaf, p[2] = rr; /* imul r, r */
        return 3;
    case 4:
        p[0] = 0x6b, p[1] = rr, p[2] = imm; /* imul r, r, imm8 */
        return 3;
    case 5:
        p[0] = 0xc1, p[1] = 0xc0 | shifts[flags_rand(seed) % 3] << 3 | m;
        p[2] = counts[flags_rand(seed) % sizeof(counts)];
        return 3;
    case 6:
        p[0] = 0x0f, p[1] = 0x92, p[2] = 0xc0 | (m & 3); /* setb al/cl/dl/bl */
        return 3;
    case 7:
        p[0] = 0x0f, p[1] = 0x42, p[2] = rr; /* cmovb */
        return 3;
    case 8:
        p[0] = 0xff, p[1] = (flags_rand(seed) & 1 ? 0xc8 : 0xc0) | m; /* dec / inc */
        return 2;
    case 9:
        p[0] = 0x89, p[1] = rr;
        return 2;
    case 10:
        p[0] = 0xb8 | m;
        memcpy(p + 1, &imm, 4);
        return 5;
    default:
        p[0] = 0x8d, p[1] = 0x04 | r << 3, p[2] = m << 3 | (m == 0 ? 3 : 0); /* lea r, [b+i] */
        return 3;
    }
}

START_TEST(test_flag_liveness)
{
    uint32_t seed = 20261206;

    harness_init();
    oracle_init();
    for (int k = 0; k < 3000; k++) {
        uint8_t code[16 * 5 + 2];
        size_t len = 0;
        int n = 2 + flags_rand(&seed) % 14;

        for (int i = 0; i < n; i++) {
            len += flags_insn(code + len, &seed);
        }
        HostState in = state(flags_rand(&seed) * 7u, flags_rand(&seed) << 9, flags_rand(&seed),
                             flags_rand(&seed) ^ 0x80000000u, flags_rand(&seed) & CC_ALL);
        in.r[H_ESI] = flags_rand(&seed) * 13u;
        in.r[H_EDI] = flags_rand(&seed) << 7;
        check_case(code, len, &in, CC_C, ALL_REGS);

        /* the same block ending in UD2: the state at the fault */
        HostState h = in, g = in;
        h.r[H_FLAGS] = (in.r[H_FLAGS] & CC_ALL) | 0x202;
        ck_assert(host_run(code, len, &h));
        code[len] = 0x0f, code[len + 1] = 0x0b;
        ck_assert_int_eq(guest_run(code, len + 2, &g), EXCP06_ILLOP);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg((uint32_t)h.r[i] == (uint32_t)g.r[i], "[%s] + ud2: reg %d",
                          hex(code, len), i);
        }
        ck_assert_msg((h.r[H_FLAGS] & CC_C) == (g.r[H_FLAGS] & CC_C), "[%s] + ud2: CF",
                      hex(code, len));
    }
}
END_TEST

START_TEST(test_report)
{
    printf("tcg instruction cases run: %u\n", cases_run);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-insn");
    TCase *tc = tcase_create("host-oracle");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_alu_reg);
    tcase_add_test(tc, test_alu_imm);
    tcase_add_test(tc, test_unary);
    tcase_add_test(tc, test_muldiv);
    tcase_add_test(tc, test_shifts);
    tcase_add_test(tc, test_shld_shrd);
    tcase_add_test(tc, test_bitops);
    tcase_add_test(tc, test_cmpxchg_xadd);
    tcase_add_test(tc, test_setcc_cmov);
    tcase_add_test(tc, test_memory_forms);
    tcase_add_test(tc, test_addressing32);
    tcase_add_test(tc, test_addressing16);
    tcase_add_test(tc, test_flag_liveness);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* One process: the harness machine and the case counter are shared. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
