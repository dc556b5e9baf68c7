/*
 * Self-modifying code: code generated into a buffer, run, rewritten and
 * run again; an instruction patched by the instruction just before it
 * (same decoded block); and a loop that rewrites its callee each time.
 */
#include "cpu.h"

static uint8_t buf[256] __attribute__((aligned(64)));

static uint32_t call_buf(void)
{
    uint32_t r;
    __asm__ volatile("call *%1" : "=a"(r) : "r"(buf) : "ecx", "edx", "memory");
    return r;
}

static void gen_mov_ret(uint32_t imm)
{
    buf[0] = 0xb8; /* mov eax, imm32 */
    memcpy(&buf[1], &imm, 4);
    buf[5] = 0xc3; /* ret */
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    uint32_t sum = 0, al;

    cpu_setup();
    gen_mov_ret(0x11111111);
    ok &= check(call_buf() == 0x11111111, "first generated code");
    gen_mov_ret(0x22222222);
    ok &= check(call_buf() == 0x22222222, "rewritten code");

    /* patch the very next instruction (same block) */
    __asm__ volatile("movb $0x42, 1f + 1\n"
                     "1: movb $0x00, %%al\n"
                     "movzbl %%al, %0\n" : "=r"(al) : : "eax", "memory");
    ok &= check(al == 0x42, "patched next instruction");

    for (uint32_t i = 0; i < 100; i++) {
        gen_mov_ret(i * 3);
        sum += call_buf();
    }
    ok &= check(sum == 3 * 4950, "rewritten 100 times");

    /* code that rewrites itself while running: an add whose imm8 it bumps */
    buf[0] = 0x31; buf[1] = 0xc0;                         /* xor eax, eax */
    buf[2] = 0xb9; buf[3] = 5; buf[4] = 0; buf[5] = 0; buf[6] = 0; /* mov ecx, 5 */
    uint32_t loop = (uint32_t)&buf[7];
    buf[7] = 0x83; buf[8] = 0xc0; buf[9] = 1;            /* add eax, imm8 */
    buf[10] = 0xfe; buf[11] = 0x05;                       /* inc byte [abs] -> the imm8 */
    uint32_t target = (uint32_t)&buf[9];
    memcpy(&buf[12], &target, 4);
    buf[16] = 0xe2;                                       /* loop rel8 -> buf[7] */
    buf[17] = (uint8_t)(loop - (uint32_t)&buf[18]);
    buf[18] = 0xc3;
    uint32_t r = call_buf();
    printf_serial("smc: self-bumping loop = %u\n", r);
    ok &= check(r == 1 + 2 + 3 + 4 + 5, "self-bumping loop");

    printf_serial("smc: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
