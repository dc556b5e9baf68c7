/*
 * Bad guest input for the interpreter, chosen by "mode=" on the command
 * line.  No IDT is installed, so every fault escalates to a triple fault
 * and the board's reset (-no-reboot: exit status 0); "runaway" never ends
 * and must still stop on SIGINT.
 *   ud       an undefined opcode
 *   unmapped a jump into unassigned physical memory
 *   baddesc  a segment load through garbage descriptors
 *   runaway  rep stosb with ECX=0xffffffff, then a tight loop
 */
#include "../../guests/runtime/guest.h"

static const char *mode(struct multiboot_info *mbi)
{
    const char *s = (mbi->flags & 4) ? (const char *)mbi->cmdline : "";
    for (; *s; s++) {
        if (strncmp(s, "mode=", 5) == 0) {
            return s + 5;
        }
    }
    return "";
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    static const uint8_t garbage[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
    static const struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 }, bad_gdt = { 15, (uint32_t)garbage };
    const char *m = mode(mbi);

    __asm__ volatile("lidt %0" : : "m"(empty_idt));
    printf_serial("bad: %s\n", m);
    if (strncmp(m, "ud", 2) == 0) {
        __asm__ volatile(".byte 0x0f, 0x0b, 0xd6, 0x0f, 0x37");
    } else if (strncmp(m, "unmapped", 8) == 0) {
        __asm__ volatile("jmp *%0" : : "r"(0xf0000000u));
    } else if (strncmp(m, "baddesc", 7) == 0) {
        __asm__ volatile("lgdt %0\n movw $0x0b, %%ax\n movw %%ax, %%ds" : : "m"(bad_gdt)
                         : "eax");
    } else if (strncmp(m, "runaway", 7) == 0) {
        __asm__ volatile("cld\n mov $0x200000, %%edi\n mov $0xffffffff, %%ecx\n rep stosb\n"
                         "1: jmp 1b" : : "a"(0) : "edi", "ecx", "memory");
    }
    puts_serial("bad: survived (unexpected)\n");
    return GUEST_FAIL;
}
