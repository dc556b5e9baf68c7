/*
 * Triple fault: with an empty IDT, INT3 cannot be delivered (#GP), nor
 * can the #GP, nor the #DF: the CPU shuts down and the board resets it;
 * -no-reboot turns that into exit status 0.
 */
#include "cpu.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    static const struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 };

    puts_serial("triple: faulting\n");
    __asm__ volatile("lidt %0\n int3" : : "m"(empty_idt));
    puts_serial("triple: still running (FAIL)\n");
    return GUEST_FAIL;
}
