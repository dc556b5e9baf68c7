/*
 * The host CPU as the oracle for the interpreter's instruction tests: an
 * executable page the cases are copied into (between a prologue and an
 * epilogue that load and store the registers), SIGFPE as #DE.
 */
#ifndef TESTS_TCG_ORACLE_H
#define TESTS_TCG_ORACLE_H

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

#include "tcg-harness.h"

#define ALL_FLAGS CC_ALL
#define LOGIC_FLAGS (CC_ALL & ~CC_A)

static uint8_t *thunk;
static sigjmp_buf fpe_jmp;
static unsigned cases_run;

static void on_sigfpe(int sig)
{
    siglongjmp(fpe_jmp, 1);
}

static void oracle_init(void)
{
    struct sigaction sa = { .sa_handler = on_sigfpe };

    if (!thunk) {
        thunk = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert(thunk != MAP_FAILED);
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_NODEFER;
        sigaction(SIGFPE, &sa, NULL);
    }
}

static const char *hex(const uint8_t *code, size_t len)
{
    static char buf[64];
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < sizeof(buf); i++) {
        o += snprintf(buf + o, sizeof(buf) - o, "%02x ", code[i]);
    }
    return buf;
}

#endif
