/*
 * What the long-mode system tests share: snippets assembled by the host
 * assembler and run at CODE_ADDR, the IA-32e harness state, the 64-bit
 * exception frame the stubs leave on the stack.
 */
#ifndef TESTS_TCG_LONG_H
#define TESTS_TCG_LONG_H

#include <stdio.h>

#include "tcg-harness.h"

#define SNIPPET(name, body)                                                  \
    extern const uint8_t name##_start[], name##_end[];                       \
    __asm__(".pushsection .rodata.tcgtest,\"a\"\n"                           \
            ".globl " #name "_start\n.globl " #name "_end\n"                 \
            #name "_start:\n" body "\n" #name "_end:\n"                       \
            ".code64\n.popsection\n")

static int run_snippet(const uint8_t *start, const uint8_t *end)
{
    return run_code(start, end - start);
}
#define RUN(name) run_snippet(name##_start, name##_end)
/* guest address of a label inside snippet name */
#define AT(name, label) "(0x10000 + " #label " - " #name "_start)"

static CPUX86State *env;

/* The 64-bit frame an exception stub sees (the stubs do not pop it). */
static inline uint64_t frame(int i) { return get64(env->regs[R_ESP] + 8 * i); }

static void long_mode(void)
{
    harness_init();
    harness_long_mode();
    env = henv();
}

/* guest address of a .globl label inside a snippet */
#define GUEST(snip, label) ((uint64_t)CODE_ADDR + (uint64_t)((label) - snip##_start))

#endif
