/*
 * Locked instructions and vCPUs on host threads (accel/tcg/ops-atomic.c,
 * cpus-common.c, tb-maint.c).
 *
 * - Every lockable instruction with LOCK gives the registers, flags and
 *   memory its unlocked form gives, at an aligned operand, one misaligned
 *   inside an 8-byte word, one across an 8-byte word and one across a
 *   page (the exclusive section), and one on the page of the running code.
 * - LOCK on anything the SDM does not list, or with a register
 *   destination, is #UD (vol.2 "LOCK"); the host CPU agrees (SIGILL).
 * - Two vCPUs on two host threads increment one counter with LOCK INC,
 *   LOCK XADD, a LOCK CMPXCHG retry loop and under an XCHG spinlock, at an
 *   aligned and at a page-crossing address: no update may be lost.
 * - One vCPU spins on code that another vCPU (then DMA) rewrites: it must
 *   see the new code after CPUID (cross-modifying code, SDM vol.3 8.1.3).
 */
#include <pthread.h>

#include "tcg-oracle.h"

static sigjmp_buf ill_jmp;

static void on_sigill(int sig)
{
    siglongjmp(ill_jmp, 1);
}

/* ---- locked and unlocked forms agree ---- */

#define WIN 48 /* bytes compared around the operand */

typedef struct Run {
    uint32_t regs[8];
    uint32_t flags;
    uint8_t mem[WIN];
    int exc;
} Run;

static const int gregs[] = { R_EAX, R_ECX, R_EDX, R_EBX };

/* code at CODE_ADDR with ESI = operand address - 8, memory initialised */
static Run run_one(const uint8_t *code, size_t len, uint32_t opaddr, uint64_t mval,
                   const uint32_t in[4], uint32_t cf)
{
    CPUX86State *env = henv();
    Run r;

    memset(ram + opaddr - 16, 0x5a, WIN);
    memcpy(ram + opaddr, &mval, 8);
    for (int i = 0; i < 4; i++) {
        env->regs[gregs[i]] = in[i];
    }
    env->regs[R_ESI] = opaddr - 8;
    env->regs[R_EDI] = 0x1234;
    env->regs[R_ESP] = STACK_TOP;
    env->eflags = 0x2 | cf;
    r.exc = run_code(code, len);
    for (int i = 0; i < 8; i++) {
        r.regs[i] = env->regs[i];
    }
    r.flags = env->eflags & CC_ALL;
    memcpy(r.mem, ram + opaddr - 16, WIN);
    return r;
}

static void check_locked(const uint8_t *op, size_t oplen, uint32_t opaddr, uint64_t mval,
                         const uint32_t in[4], uint32_t cf)
{
    uint8_t lk[16];

    lk[0] = 0xf0;
    memcpy(lk + 1, op, oplen);
    Run a = run_one(op, oplen, opaddr, mval, in, cf);
    Run b = run_one(lk, oplen + 1, opaddr, mval, in, cf);
    cases_run++;
    ck_assert_msg(a.exc == -1 && b.exc == -1, "[%s] @%x exc %d / locked %d", hex(op, oplen),
                  opaddr, a.exc, b.exc);
    ck_assert_msg(!memcmp(a.regs, b.regs, sizeof(a.regs)), "[%s] @%x: registers differ "
                  "(eax %08x/%08x ecx %08x/%08x edx %08x/%08x)", hex(op, oplen), opaddr,
                  a.regs[R_EAX], b.regs[R_EAX], a.regs[R_ECX], b.regs[R_ECX],
                  a.regs[R_EDX], b.regs[R_EDX]);
    ck_assert_msg(a.flags == b.flags, "[%s] @%x m=%llx: flags %03x locked %03x",
                  hex(op, oplen), opaddr, (unsigned long long)mval, a.flags, b.flags);
    ck_assert_msg(!memcmp(a.mem, b.mem, WIN), "[%s] @%x m=%llx: memory differs",
                  hex(op, oplen), opaddr, (unsigned long long)mval);
}

static const uint64_t mvals[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x123456789abcdef0ull, 0xffffffffffffffffull,
};
static const uint32_t rvals[] = { 0, 1, 0x80, 0x8000, 0x80000000, 0xffffffff, 0x12345678 };

static uint32_t opaddrs[5];

static void init_addrs(void)
{
    opaddrs[0] = DATA_ADDR + 0x100; /* aligned */
    opaddrs[1] = DATA_ADDR + 0x203; /* misaligned, inside an 8-byte word for 1..4 bytes */
    opaddrs[2] = DATA_ADDR + 0x306; /* across an 8-byte word for 4 and 8 bytes */
    opaddrs[3] = DATA_ADDR + 0xffe; /* across a page for 4 and 8 bytes */
    opaddrs[4] = CODE_ADDR + 0x800; /* on the page of the code itself */
}

/* op in three sizes (8: opcode - 1 when byte_delta, 16: 0x66) */
static void sizes(const uint8_t *op, size_t n, int byte_delta, uint32_t a, uint64_t m,
                  const uint32_t in[4], uint32_t cf)
{
    uint8_t buf[16];

    check_locked(op, n, a, m, in, cf);
    buf[0] = 0x66;
    memcpy(buf + 1, op, n);
    check_locked(buf, n + 1, a, m, in, cf);
    if (byte_delta) {
        memcpy(buf, op, n);
        buf[op[0] == 0x0f ? 1 : 0] -= byte_delta;
        check_locked(buf, n, a, m, in, cf);
    }
}

START_TEST(test_lock_agrees)
{
    harness_init();
    init_addrs();
    for (unsigned ai = 0; ai < G_N_ELEMENTS(opaddrs); ai++) {
        uint32_t a = opaddrs[ai];
        for (unsigned mi = 0; mi < G_N_ELEMENTS(mvals); mi++) {
            for (unsigned ri = 0; ri < G_N_ELEMENTS(rvals); ri++) {
                uint64_t m = mvals[mi];
                uint32_t in[4] = { (uint32_t)m, rvals[ri], (uint32_t)(m >> 32), 0xcafe0001 };
                uint32_t cf = ri & 1;
                for (int op = 0; op < 7; op++) {
                    uint8_t eg[] = { op * 8 + 1, 0x4e, 0x08 };       /* op [esi+8], ecx */
                    uint8_t ei[] = { 0x81, 0x46 | op << 3, 0x08, 0x78, 0x56, 0x34, 0x82 };
                    uint8_t ei8[] = { 0x83, 0x46 | op << 3, 0x08, 0xf1 };
                    uint8_t eib[] = { 0x80, 0x46 | op << 3, 0x08, 0x81 };
                    sizes(eg, 3, 1, a, m, in, cf);
                    check_locked(ei, 7, a, m, in, cf);
                    check_locked(ei8, 4, a, m, in, cf);
                    check_locked(eib, 4, a, m, in, cf);
                }
                static const uint8_t unary[][3] = {
                    { 0xff, 0x46, 0x08 }, { 0xff, 0x4e, 0x08 }, /* inc, dec */
                    { 0xf7, 0x56, 0x08 }, { 0xf7, 0x5e, 0x08 }, /* not, neg */
                };
                for (unsigned u = 0; u < G_N_ELEMENTS(unary); u++) {
                    sizes(unary[u], 3, 1, a, m, in, cf);
                }
                static const uint8_t rmw[][4] = {
                    { 0x87, 0x4e, 0x08 },        /* xchg [esi+8], ecx */
                    { 0x0f, 0xc1, 0x4e, 0x08 },  /* xadd */
                    { 0x0f, 0xb1, 0x4e, 0x08 },  /* cmpxchg */
                };
                sizes(rmw[0], 3, 1, a, m, in, cf);
                sizes(rmw[1], 4, 1, a, m, in, cf);
                sizes(rmw[2], 4, 1, a, m, in, cf);
                static const uint8_t bt[][5] = {
                    { 0x0f, 0xab, 0x4e, 0x08 }, { 0x0f, 0xb3, 0x4e, 0x08 },
                    { 0x0f, 0xbb, 0x4e, 0x08 },
                    { 0x0f, 0xba, 0x6e, 0x08, 0x03 }, { 0x0f, 0xba, 0x76, 0x08, 0x1f },
                    { 0x0f, 0xba, 0x7e, 0x08, 0x0e },
                };
                for (unsigned b = 0; b < G_N_ELEMENTS(bt); b++) {
                    uint32_t bin[4] = { in[0], rvals[ri] & 0x3f, in[2], in[3] };
                    sizes(bt[b], b < 3 ? 4 : 5, 0, a, m, b < 3 ? bin : in, cf);
                    if (b < 3) {
                        bin[1] = (uint32_t)-33; /* before the operand */
                        check_locked(bt[b], 4, a, m, bin, cf);
                    }
                }
                /* cmpxchg8b [esi+8]: equal and not */
                static const uint8_t c8[] = { 0x0f, 0xc7, 0x4e, 0x08 };
                check_locked(c8, 4, a, m, in, cf);
                uint32_t ne[4] = { (uint32_t)m + 1, in[1], in[2], in[3] };
                check_locked(c8, 4, a, m, ne, cf);
            }
        }
    }
}
END_TEST

/* ---- LOCK #UD ---- */

typedef struct LockCase {
    uint8_t code[8];
    uint8_t len;
    bool ud;
} LockCase;

static const LockCase lock_cases[] = {
    { { 0xf0, 0x01, 0x4e, 0x08 }, 4, false },             /* add [esi+8], ecx */
    { { 0xf0, 0x01, 0xcb }, 3, true },                    /* add ebx, ecx */
    { { 0xf0, 0x03, 0x4e, 0x08 }, 4, true },              /* add ecx, [esi+8] */
    { { 0xf0, 0x39, 0x4e, 0x08 }, 4, true },              /* cmp [esi+8], ecx */
    { { 0xf0, 0x83, 0x7e, 0x08, 0x01 }, 5, true },        /* cmp dword [esi+8], 1 */
    { { 0xf0, 0x83, 0x76, 0x08, 0x01 }, 5, false },       /* xor dword [esi+8], 1 */
    { { 0xf0, 0x05, 0x01, 0, 0, 0 }, 6, true },           /* add eax, imm32 */
    { { 0xf0, 0x89, 0x4e, 0x08 }, 4, true },              /* mov [esi+8], ecx */
    { { 0xf0, 0x85, 0x4e, 0x08 }, 4, true },              /* test [esi+8], ecx */
    { { 0xf0, 0xf7, 0x46, 0x08, 1, 0, 0, 0 }, 8, true },  /* test dword [esi+8], 1 */
    { { 0xf0, 0xff, 0x46, 0x08 }, 4, false },             /* inc dword [esi+8] */
    { { 0xf0, 0xff, 0xc1 }, 3, true },                    /* inc ecx (ModRM form) */
    { { 0xf0, 0xf7, 0x5e, 0x08 }, 4, false },             /* neg dword [esi+8] */
    { { 0xf0, 0xf7, 0xd9 }, 3, true },                    /* neg ecx */
    { { 0xf0, 0xf7, 0x66, 0x08 }, 4, true },              /* mul dword [esi+8] */
    { { 0xf0, 0x87, 0x4e, 0x08 }, 4, false },             /* xchg [esi+8], ecx */
    { { 0xf0, 0x87, 0xcb }, 3, true },                    /* xchg ebx, ecx */
    { { 0xf0, 0x91 }, 2, true },                          /* xchg ecx, eax */
    { { 0xf0, 0x90 }, 2, true },                          /* nop */
    { { 0xf0, 0x0f, 0xa3, 0x4e, 0x08 }, 5, true },        /* bt [esi+8], ecx */
    { { 0xf0, 0x0f, 0xab, 0x4e, 0x08 }, 5, false },       /* bts [esi+8], ecx */
    { { 0xf0, 0x0f, 0xab, 0xcb }, 4, true },              /* bts ebx, ecx */
    { { 0xf0, 0x0f, 0xba, 0x66, 0x08, 1 }, 6, true },     /* bt dword [esi+8], 1 */
    { { 0xf0, 0x0f, 0xba, 0x7e, 0x08, 1 }, 6, false },    /* btc dword [esi+8], 1 */
    { { 0xf0, 0x0f, 0xb1, 0x4e, 0x08 }, 5, false },       /* cmpxchg [esi+8], ecx */
    { { 0xf0, 0x0f, 0xb1, 0xcb }, 4, true },              /* cmpxchg ebx, ecx */
    { { 0xf0, 0x0f, 0xc1, 0x4e, 0x08 }, 5, false },       /* xadd [esi+8], ecx */
    { { 0xf0, 0x0f, 0xc1, 0xcb }, 4, true },              /* xadd ebx, ecx */
    { { 0xf0, 0x0f, 0xc7, 0x4e, 0x08 }, 5, false },       /* cmpxchg8b [esi+8] */
    { { 0xf0, 0x0f, 0xaf, 0x4e, 0x08 }, 5, true },        /* imul ecx, [esi+8] */
    { { 0xf0, 0xd1, 0x66, 0x08 }, 4, true },              /* shl dword [esi+8], 1 */
    { { 0xf0, 0x0f, 0xb6, 0x4e, 0x08 }, 5, true },        /* movzx ecx, byte [esi+8] */
    { { 0xf0, 0x8d, 0x4e, 0x08 }, 4, true },              /* lea ecx, [esi+8] */
    { { 0xf0, 0x0f, 0xa2 }, 3, true },                    /* cpuid */
    { { 0xf0, 0xd9, 0x46, 0x08 }, 4, true },              /* fld dword [esi+8] */
    { { 0xf0, 0x0f, 0x28, 0xc1 }, 4, true },              /* movaps xmm0, xmm1 */
    { { 0xf0, 0x0f, 0x18, 0x4e, 0x08 }, 5, true },        /* prefetcht0 (hint NOP) */
    { { 0x66, 0xf0, 0x01, 0x4e, 0x08 }, 5, false },       /* prefix order: 66 f0 */
    { { 0xf0, 0xf0, 0xff, 0x46, 0x08 }, 5, false },       /* LOCK twice */
};

/* The host runs the same bytes with RSI at a buffer: SIGILL is #UD. */
static bool host_lock_ud(const LockCase *c)
{
    static uint8_t buf[64] __attribute__((aligned(16)));
    /* push rbx; push rsi; mov rsi, rdi; mov ecx, 3; <case>; pop rsi; pop rbx; ret */
    uint8_t code[32] = { 0x53, 0x56, 0x48, 0x89, 0xfe, 0xb9, 3, 0, 0, 0 };
    size_t n = 10;

    memcpy(code + n, c->code, c->len);
    n += c->len;
    code[n++] = 0x5e;
    code[n++] = 0x5b;
    code[n++] = 0xc3;
    memcpy(thunk, code, n);
    __builtin___clear_cache((char *)thunk, (char *)thunk + n);
    if (sigsetjmp(ill_jmp, 1)) {
        return true;
    }
    ((void (*)(void *))thunk)(buf);
    return false;
}

START_TEST(test_lock_ud)
{
    struct sigaction sa = { .sa_handler = on_sigill }, old;

    harness_init();
    oracle_init();
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, &old);
    for (unsigned i = 0; i < G_N_ELEMENTS(lock_cases); i++) {
        const LockCase *c = &lock_cases[i];
        CPUX86State *env = henv();
        /* 32-bit register forms are the same bytes in 64-bit mode; the
         * memory forms address through RSI on the host */
        bool host = host_lock_ud(c);

        env->regs[R_ESI] = DATA_ADDR;
        env->regs[R_ECX] = 3;
        int exc = run_code(c->code, c->len);
        ck_assert_msg(host == c->ud, "[%s] host #UD %d, table says %d", hex(c->code, c->len),
                      host, c->ud);
        ck_assert_msg((exc == EXCP06_ILLOP) == c->ud, "[%s] interpreter exc %d, want %s",
                      hex(c->code, c->len), exc, c->ud ? "#UD" : "none");
        cases_run++;
    }
    sigaction(SIGILL, &old, NULL);
}
END_TEST

/* ---- two vCPUs on two host threads ---- */

static CPUState cpu2;

static CPUState *second_cpu(void)
{
    if (!cpu2.accel) {
        cpu2.cpuid = harness_cpu.cpuid;
        cpu2.as = &address_space_memory;
        cpu2.as_io = &address_space_io;
        cpu2.cpu_index = 1;
        tcg_cpu_create(&cpu2);
    }
    cpu2.env = harness_cpu.env;
    cpu2.env.regs[R_ESP] = STACK_TOP - 0x8000;
    tlb_flush(tcg_cpu(&cpu2));
    return &cpu2;
}

static int stop_all; /* the watchdog gave up: leave the guest */

static void *vcpu_thread(void *arg)
{
    CPUState *cpu = arg;

    while (!cpu->env.halted && !__atomic_load_n(&stop_all, __ATOMIC_SEQ_CST)) {
        tcg_cpus_exec(cpu);
    }
    return NULL;
}

/* Joins the vCPU threads; after 60 s (a lost update may leave a lock
 * held for ever) stops them and fails. */
static void join_all(pthread_t *t, CPUState **cpus, int n)
{
    bool done = false;

    for (int ms = 0; ms < 60000 && !done; ms += 10) {
        done = true;
        for (int i = 0; i < n; i++) {
            done &= __atomic_load_n(&cpus[i]->env.halted, __ATOMIC_SEQ_CST);
        }
        if (!done) {
            g_usleep(10000);
        }
    }
    if (!done) {
        __atomic_store_n(&stop_all, 1, __ATOMIC_SEQ_CST);
        for (int i = 0; i < n; i++) {
            __atomic_store_n(&cpus[i]->exit_request, 1, __ATOMIC_SEQ_CST);
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
    }
    stop_all = 0;
    ck_assert_msg(done, "the vCPUs did not halt within 60 s");
}

static void place(uint32_t addr, const uint8_t *code, size_t len)
{
    memcpy(ram + addr, code, len);
    memory_notify_ram_write(ram + addr, len);
}

/* Runs cpu at eip on a new thread; join with pthread_join. */
static pthread_t start_at(CPUState *cpu, uint32_t eip)
{
    pthread_t t;

    cpu->env.eip = eip;
    cpu->env.halted = false;
    ck_assert_int_eq(pthread_create(&t, NULL, vcpu_thread, cpu), 0);
    return t;
}

#define ITER 200000
#define LOCKVAR (DATA_ADDR + 0x800)
#define GO (DATA_ADDR + 0x900)
#define A32(x) (x) & 0xff, ((x) >> 8) & 0xff, (x) >> 16, 0

/*
 * Each vCPU, after a barrier, ECX times: LOCK INC [EDI]; LOCK XADD [EDI+4], 3; a LOCK
 * CMPXCHG retry loop adding 1 to [EDI+8]; and a plain INC of [EDI+12]
 * under a spinlock at LOCKVAR (taken with XCHG, released with MOV).
 */
static const uint8_t counter_code[] = {
    /* both start together: each sets its flag [ESI], waits for the other's [EBP] */
    0xc7, 0x06, 1, 0, 0, 0,                      /* mov dword [esi], 1 */
    0x83, 0x7d, 0x00, 0x00,                      /* cmp dword [ebp+0], 0 */
    0x74, 0xfa,                                  /* je (the cmp) */
    0x90, 0x90, 0x90, 0x90,                      /* nop (keeps the offsets below) */
    /* 0: */ 0xf0, 0xff, 0x07,                   /* lock inc dword [edi] */
    0xb8, 0x03, 0, 0, 0,                         /* mov eax, 3 */
    0xf0, 0x0f, 0xc1, 0x47, 0x04,                /* lock xadd [edi+4], eax */
    /* 13: */ 0x8b, 0x47, 0x08,                  /* mov eax, [edi+8] */
    0x8d, 0x58, 0x01,                            /* lea ebx, [eax+1] */
    0xf0, 0x0f, 0xb1, 0x5f, 0x08,                /* lock cmpxchg [edi+8], ebx */
    0x75, 0xf3,                                  /* jnz 13 */
    /* 26: */ 0xba, 0x01, 0, 0, 0,               /* mov edx, 1 */
    0x87, 0x15, LOCKVAR & 0xff, (LOCKVAR >> 8) & 0xff, LOCKVAR >> 16, 0, /* xchg [LOCKVAR], edx */
    0x85, 0xd2,                                  /* test edx, edx */
    0x75, 0xf1,                                  /* jnz 26 (spin) */
    0xff, 0x47, 0x0c,                            /* inc dword [edi+12] (plain) */
    0xc7, 0x05, LOCKVAR & 0xff, (LOCKVAR >> 8) & 0xff, LOCKVAR >> 16, 0, 0, 0, 0, 0, /* mov [LOCKVAR], 0 */
    0x49,                                        /* dec ecx */
    0x75, 0xc7,                                  /* jnz 0 */
    0xf4,                                        /* hlt */
};

static void run_counter(uint32_t counter)
{
    CPUState *b = second_cpu();
    CPUX86State *ea = henv();
    uint32_t code = CODE_ADDR + 0x1000;

    ck_assert_int_eq((int)sizeof(counter_code), 74);
    place(code, counter_code, sizeof(counter_code));
    memset(ram + counter, 0, 16);
    put32(LOCKVAR, 0);
    put32(GO, 0);
    put32(GO + 4, 0);
    ea->regs[R_ESI] = GO;
    ea->regs[R_EBP] = GO + 4;
    b->env.regs[R_ESI] = GO + 4;
    b->env.regs[R_EBP] = GO;
    put32(EXC_VECTOR, 0xffffffff);
    ea->regs[R_EDI] = counter;
    ea->regs[R_ECX] = ITER;
    b->env.regs[R_EDI] = counter;
    b->env.regs[R_ECX] = ITER;
    uint64_t excl0 = tcg->exclusive_count + tcg_cpu(b)->exclusive_count;
    pthread_t t[2] = { start_at(&harness_cpu, code), start_at(b, code) };
    CPUState *cpus[2] = { &harness_cpu, b };
    join_all(t, cpus, 2);
    ck_assert_msg(ea->halted && b->env.halted, "a vCPU did not halt");
    ck_assert_uint_eq(get32(EXC_VECTOR), 0xffffffff);
    ck_assert_uint_eq(ea->regs[R_ECX], 0);
    uint32_t v[4];
    memcpy(v, ram + counter, 16);
    ck_assert_msg(v[0] == 2 * ITER && v[1] == 6 * ITER && v[2] == 2 * ITER &&
                  v[3] == 2 * ITER, "@%x: lock inc %u, lock xadd %u, cmpxchg loop %u, "
                  "spinlock %u (want %u each, xadd %u)", counter, v[0], v[1], v[2], v[3],
                  2 * ITER, 6 * ITER);
    uint64_t excl = tcg->exclusive_count + tcg_cpu(b)->exclusive_count - excl0;
    if (((counter + 3) & ~0xfffu) != (counter & ~0xfffu)) {
        /* the page-crossing operands went through exclusive sections */
        ck_assert_msg(excl >= 2 * ITER, "only %llu exclusive sections",
                      (unsigned long long)excl);
    }
}

START_TEST(test_threads_counter)
{
    harness_init();
    run_counter(DATA_ADDR + 0x400);
}
END_TEST

START_TEST(test_threads_counter_crossing)
{
    harness_init();
    run_counter(DATA_ADDR + 0x1ffe); /* every counter but the last crosses into the next page */
}
END_TEST

/*
 * Cross-modifying code: vCPU B calls F (mov eax, imm32; ret) until EAX
 * is 2, executing CPUID each round, counting rounds in EDI; vCPU A (and
 * then a DMA-like write) changes F's immediate.
 */
#define FUNC_ADDR (CODE_ADDR + 0x3000)
#define SPIN_ADDR (CODE_ADDR + 0x2000)
#define SEEN_ADDR (DATA_ADDR + 0xc00)

static const uint8_t spin_code[] = {
    /* 0: */ 0xe8, 0, 0, 0, 0,                   /* call FUNC_ADDR (rel32 patched) */
    0x89, 0x05, SEEN_ADDR & 0xff, (SEEN_ADDR >> 8) & 0xff, SEEN_ADDR >> 16, 0, /* mov [SEEN], eax */
    0x47,                                        /* inc edi */
    0x89, 0xc6,                                  /* mov esi, eax */
    0x31, 0xc0, 0x0f, 0xa2,                      /* xor eax, eax; cpuid */
    0x83, 0xfe, 0x02,                            /* cmp esi, 2 */
    0x74, 0x08,                                  /* je done */
    0x81, 0xff, 0, 0, 0x10, 0,                   /* cmp edi, 0x100000 */
    0x72, 0xe1,                                  /* jb 0 */
    /* done: */ 0xf4,                            /* hlt */
};

static void check_cross_modify(bool dma)
{
    CPUState *b = second_cpu();
    uint8_t spin[sizeof(spin_code)];
    uint8_t func[] = { 0xb8, 1, 0, 0, 0, 0xc3 }; /* mov eax, 1; ret */
    int32_t rel = FUNC_ADDR - (SPIN_ADDR + 5);

    ck_assert_int_eq(spin_code[30], 0xe1); /* jb's displacement: back to 0 */
    ck_assert_int_eq((int)sizeof(spin_code), 32);
    memcpy(spin, spin_code, sizeof(spin));
    memcpy(spin + 1, &rel, 4);
    place(SPIN_ADDR, spin, sizeof(spin));
    place(FUNC_ADDR, func, sizeof(func));
    put32(SEEN_ADDR, 0);
    put32(EXC_VECTOR, 0xffffffff);
    b->env.regs[R_EDI] = 0;
    pthread_t t = start_at(b, SPIN_ADDR);
    while (__atomic_load_n((uint32_t *)(ram + SEEN_ADDR), __ATOMIC_ACQUIRE) != 1) {
        g_usleep(100); /* B runs F's old code */
    }
    if (dma) {
        __atomic_store_n(ram + FUNC_ADDR + 1, 2, __ATOMIC_SEQ_CST);
        memory_notify_ram_write(ram + FUNC_ADDR + 1, 1);
    } else {
        /* vCPU A: mov byte [FUNC_ADDR + 1], 2 */
        uint8_t st[] = { 0xc6, 0x05, (FUNC_ADDR + 1) & 0xff, ((FUNC_ADDR + 1) >> 8) & 0xff,
                         (FUNC_ADDR + 1) >> 16, 0, 2 };
        ck_assert_int_eq(run_code(st, sizeof(st)), -1);
    }
    join_all(&t, &b, 1);
    ck_assert_msg((uint32_t)b->env.regs[R_ESI] == 2,
                  "%s: vCPU B still runs the old code after %u rounds", dma ? "DMA" : "vCPU A",
                  (uint32_t)b->env.regs[R_EDI]);
}

START_TEST(test_cross_modify_vcpu)
{
    harness_init();
    check_cross_modify(false);
}
END_TEST

START_TEST(test_cross_modify_dma)
{
    harness_init();
    check_cross_modify(true);
}
END_TEST

START_TEST(test_report)
{
    fprintf(stderr, "test-tcg-atomic: %u cases compared\n", cases_run);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcg-atomic");
    TCase *tc = tcase_create("atomic");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_lock_agrees);
    tcase_add_test(tc, test_lock_ud);
    tcase_add_test(tc, test_threads_counter);
    tcase_add_test(tc, test_threads_counter_crossing);
    tcase_add_test(tc, test_cross_modify_vcpu);
    tcase_add_test(tc, test_cross_modify_dma);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
