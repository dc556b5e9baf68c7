/*
 * The host CPU as the oracle for x87/MMX/SSE instructions.  A case is a
 * few bytes of code, an FXSAVE image (x87 stack, control/status/tag
 * words, MXCSR, XMM0-7), EAX/ECX/EDX/ESI/EFLAGS and 528 bytes of
 * memory that EBX and EDI point at.  The code runs natively in a thunk (FXRSTOR
 * the image, run, FXSAVE) and on the interpreter (the same image through
 * fpu_fxrstor, the memory at DATA_ADDR); every register, the image, the
 * memory and the flags must agree.  A host SIGFPE (an unmasked SSE
 * exception, or #MF at a waiting x87 instruction) must be the same
 * exception on the interpreter: #XM (19) or #MF (16).
 *
 * The bytes mean the same in both modes as long as the code addresses
 * memory through a register ([ebx] is [rbx] in 64-bit mode) and uses no
 * REX prefix.
 */
#ifndef TESTS_TCG_FP_ORACLE_H
#define TESTS_TCG_FP_ORACLE_H

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "tcg-harness.h"
#include "accel/tcg/fpu_helper.h"

enum { F_EAX, F_ECX, F_EDX, F_ESI, F_EDI, F_FLAGS, F_N };

typedef struct FPState {
    uint8_t fx[512];      /* FXSAVE image */
    uint64_t r[F_N];      /* at 512 */
    uint64_t pad[2];
    uint8_t mem[528];     /* at 576: EBX points here (room for an FXSAVE image) */
} __attribute__((aligned(16))) FPState;

_Static_assert(offsetof(FPState, r) == 512, "layout");
_Static_assert(offsetof(FPState, mem) == 576, "layout");

static uint8_t *fp_thunk;
static sigjmp_buf fp_jmp;
static unsigned fp_cases;

/* The thunk around the code under test (assembled by the host assembler). */
extern const uint8_t fp_pre_start[], fp_pre_end[], fp_post_start[], fp_post_end[];
__asm__(".pushsection .rodata.fporacle,\"a\"\n"
        "fp_pre_start:\n"
        " push %rbx\n push %rbp\n mov %rdi, %r11\n"
        " fxrstor (%r11)\n"
        " mov 512(%r11), %rax\n mov 520(%r11), %rcx\n mov 528(%r11), %rdx\n"
        " mov 536(%r11), %rsi\n lea 576(%r11), %rdi\n lea 576(%r11), %rbx\n"
        " pushq 552(%r11)\n popfq\n"
        "fp_pre_end:\n"
        "fp_post_start:\n"
        " pushfq\n popq 552(%r11)\n"
        " fxsave (%r11)\n"
        " mov %rax, 512(%r11)\n mov %rcx, 520(%r11)\n mov %rdx, 528(%r11)\n"
        " mov %rsi, 536(%r11)\n"
        " fninit\n movl $0x1f80, 560(%r11)\n ldmxcsr 560(%r11)\n"
        " pop %rbp\n pop %rbx\n ret\n"
        "fp_post_end:\n"
        ".popsection\n");

/* The host's x87/SSE state when SIGFPE hit (the kernel's FXSAVE image). */
static uint8_t fp_fault_fx[512];

static void fp_on_sigfpe(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    if (uc->uc_mcontext.fpregs) {
        memcpy(fp_fault_fx, uc->uc_mcontext.fpregs, sizeof(fp_fault_fx));
    }
    siglongjmp(fp_jmp, 1);
}

static void fp_oracle_init(void)
{
    struct sigaction sa = { .sa_sigaction = fp_on_sigfpe };

    harness_init();
    if (!fp_thunk) {
        fp_thunk = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert(fp_thunk != MAP_FAILED);
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_NODEFER | SA_SIGINFO;
        sigaction(SIGFPE, &sa, NULL);
    }
}

/* Native run; false if it raised SIGFPE. */
static bool fp_host_run(const uint8_t *code, size_t len, FPState *st)
{
    size_t n = 0, pre = fp_pre_end - fp_pre_start, post = fp_post_end - fp_post_start;

    memcpy(fp_thunk + n, fp_pre_start, pre); n += pre;
    memcpy(fp_thunk + n, code, len); n += len;
    memcpy(fp_thunk + n, fp_post_start, post);
    __builtin___clear_cache((char *)fp_thunk, (char *)fp_thunk + 4096);
    if (sigsetjmp(fp_jmp, 0)) { /* SA_NODEFER: no mask to restore */
        uint32_t csr = 0x1f80;
        __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(csr));
        return false;
    }
    ((void (*)(FPState *))fp_thunk)(st);
    return true;
}

/* CR0.NE and MP, CR4.OSFXSR and OSXMMEXCPT: what Linux runs with. */
static void fp_guest_setup(void)
{
    CPUX86State *env = henv();

    env->cr[0] |= CR0_NE_MASK | CR0_MP_MASK;
    env->cr[4] |= CR4_OSFXSR_MASK | CR4_OSXMMEXCPT_MASK;
}

static int fp_guest_run(const uint8_t *code, size_t len, FPState *st)
{
    static const int map[5] = { R_EAX, R_ECX, R_EDX, R_ESI, R_EDI };
    CPUX86State *env = henv();
    int exc;

    fp_guest_setup();
    ck_assert(fpu_fxrstor(tcg, st->fx, false, false));
    for (int i = 0; i < 5; i++) {
        env->regs[map[i]] = (uint32_t)st->r[i];
    }
    env->regs[R_EBX] = DATA_ADDR;
    env->regs[R_EDI] = DATA_ADDR;
    env->regs[R_ESP] = STACK_TOP;
    env->eflags = (st->r[F_FLAGS] & (CC_ALL | DF_MASK)) | 0x2;
    memcpy(ram + DATA_ADDR, st->mem, sizeof(st->mem));
    exc = run_code(code, len);
    for (int i = 0; i < 4; i++) {
        st->r[i] = (uint32_t)env->regs[map[i]];
    }
    st->r[F_FLAGS] = env->eflags;
    fpu_fxsave(tcg, st->fx, false, false);
    memcpy(st->mem, ram + DATA_ADDR, sizeof(st->mem));
    return exc;
}

static const char *fp_hex(const uint8_t *p, size_t len)
{
    static char buf[16][100];
    static int k;
    size_t o = 0;

    k = (k + 1) % 16;
    for (size_t i = 0; i < len && o + 4 < sizeof(buf[k]); i++) {
        o += snprintf(buf[k] + o, sizeof(buf[k]) - o, "%02x", p[i]);
    }
    return buf[k];
}

/* Compares the image except FOP/FIP/FDP (bytes 6..23: the host's own
 * addresses) and the XMM8-15 / software area the 32-bit guest has not. */
static void fp_compare(const uint8_t *code, size_t len, const FPState *in,
                       const FPState *hs, const FPState *gs, uint32_t flag_mask,
                       uint16_t fsw_ignore)
{
    FPState hc = *hs, gc = *gs;
    const FPState *h = &hc, *g = &gc;
    uint16_t w;

    memcpy(&w, hc.fx + 2, 2);
    w &= ~fsw_ignore;
    memcpy(hc.fx + 2, &w, 2);
    memcpy(&w, gc.fx + 2, 2);
    w &= ~fsw_ignore;
    memcpy(gc.fx + 2, &w, 2);
    static const struct { int off, len; const char *what; } parts[] = {
        { 0, 2, "FCW" }, { 2, 2, "FSW" }, { 4, 1, "FTW" }, { 24, 4, "MXCSR" },
        { 32, 10, "ST0" }, { 48, 10, "ST1" }, { 64, 10, "ST2" }, { 80, 10, "ST3" },
        { 96, 10, "ST4" }, { 112, 10, "ST5" }, { 128, 10, "ST6" }, { 144, 10, "ST7" },
        { 160, 16, "XMM0" }, { 176, 16, "XMM1" }, { 192, 16, "XMM2" }, { 208, 16, "XMM3" },
        { 224, 16, "XMM4" }, { 240, 16, "XMM5" }, { 256, 16, "XMM6" }, { 272, 16, "XMM7" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        const uint8_t *a = h->fx + parts[i].off, *b = g->fx + parts[i].off;
        ck_assert_msg(!memcmp(a, b, parts[i].len),
                      "[%s] %s: host %s interp %s (in ST0 %s ST1 %s FCW %s MXCSR %s "
                      "XMM0 %s XMM1 %s mem %s)",
                      fp_hex(code, len), parts[i].what, fp_hex(a, parts[i].len),
                      fp_hex(b, parts[i].len), fp_hex(in->fx + 32, 10),
                      fp_hex(in->fx + 48, 10), fp_hex(in->fx, 2),
                      fp_hex(in->fx + 24, 4), fp_hex(in->fx + 160, 16),
                      fp_hex(in->fx + 176, 16), fp_hex(in->mem, 16));
    }
    ck_assert_msg(!memcmp(h->mem, g->mem, sizeof(h->mem)), "[%s] memory: host %s interp %s "
                  "(in ST0 %s FCW %s mem %s)", fp_hex(code, len), fp_hex(h->mem, 32),
                  fp_hex(g->mem, 32), fp_hex(in->fx + 32, 10), fp_hex(in->fx, 2),
                  fp_hex(in->mem, 16));
    for (int i = 0; i < F_EDI; i++) {
        ck_assert_msg((uint32_t)h->r[i] == (uint32_t)g->r[i], "[%s] reg %d: host %08x "
                      "interp %08x", fp_hex(code, len), i, (uint32_t)h->r[i],
                      (uint32_t)g->r[i]);
    }
    ck_assert_msg((h->r[F_FLAGS] & flag_mask) == (g->r[F_FLAGS] & flag_mask),
                  "[%s] EFLAGS: host %03x interp %03x (in ST0 %s ST1 %s XMM0 %s XMM1 %s)",
                  fp_hex(code, len), (uint32_t)(h->r[F_FLAGS] & flag_mask),
                  (uint32_t)(g->r[F_FLAGS] & flag_mask), fp_hex(in->fx + 32, 10),
                  fp_hex(in->fx + 48, 10), fp_hex(in->fx + 160, 16), fp_hex(in->fx + 176, 16));
}

/* One case: host and interpreter from *in.  expect_exc: the vector a host
 * SIGFPE stands for (EXCP10_COPR or EXCP13_XM).  fsw_ignore: status bits
 * the SDM leaves undefined for this case. */
static void fp_check_ign(const uint8_t *code, size_t len, const FPState *in, int expect_exc,
                         uint16_t fsw_ignore)
{
    FPState h = *in, g = *in;
    bool host_ok = fp_host_run(code, len, &h);
    int exc = fp_guest_run(code, len, &g);

    fp_cases++;
    if (!host_ok) {
        ck_assert_msg(exc == expect_exc, "[%s] host SIGFPE, interpreter exc=%d (in ST0 %s "
                      "FCW %s MXCSR %s XMM0 %s XMM1 %s)", fp_hex(code, len), exc,
                      fp_hex(in->fx + 32, 10), fp_hex(in->fx, 2), fp_hex(in->fx + 24, 4),
                      fp_hex(in->fx + 160, 16), fp_hex(in->fx + 176, 16));
        /* the state at the fault: flags set, destinations untouched */
        memcpy(h.fx, fp_fault_fx, sizeof(h.fx));
        memcpy(h.r, g.r, sizeof(h.r));
        fp_compare(code, len, in, &h, &g, 0, fsw_ignore);
        return;
    }
    ck_assert_msg(exc == -1, "[%s] interpreter raised %d, host did not (in ST0 %s FCW %s "
                  "MXCSR %s)", fp_hex(code, len), exc, fp_hex(in->fx + 32, 10),
                  fp_hex(in->fx, 2), fp_hex(in->fx + 24, 4));
    fp_compare(code, len, in, &h, &g, CC_ALL, fsw_ignore);
}

static void fp_check(const uint8_t *code, size_t len, const FPState *in, int expect_exc)
{
    fp_check_ign(code, len, in, expect_exc, 0);
}

/* ---- building states ---- */
static void fp_init_state(FPState *st)
{
    memset(st, 0, sizeof(*st));
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    memcpy(st->fx, &fcw, 2);
    memcpy(st->fx + 24, &mxcsr, 4);
    st->r[F_FLAGS] = 0x202;
    for (int i = 0; i < (int)sizeof(st->mem); i++) {
        st->mem[i] = 0x40 + i;
    }
}

static inline void fp_set_fcw(FPState *st, uint16_t fcw) { memcpy(st->fx, &fcw, 2); }
static inline void fp_set_mxcsr(FPState *st, uint32_t v) { memcpy(st->fx + 24, &v, 4); }

/* ST(i) = v (10 bytes); n registers valid from TOP = 8 - n. */
static inline void fp_set_stack(FPState *st, int n, const uint8_t (*vals)[10])
{
    uint16_t fsw;
    int top = (8 - n) & 7;

    memcpy(&fsw, st->fx + 2, 2);
    fsw = (fsw & ~0x3800) | (top << 11);
    memcpy(st->fx + 2, &fsw, 2);
    st->fx[4] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(st->fx + 32 + 16 * i, vals[i], 10);
        st->fx[4] |= 1u << ((top + i) & 7);
    }
}

#endif
