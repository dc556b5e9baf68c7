/*
 * Bad 64-bit guest input, chosen by "mode=" on the command line.  The IDT
 * is empty, so every fault escalates to a triple fault and the board's
 * reset (-no-reboot: exit status 0).
 *   nc-jump   a jump to a non-canonical address
 *   nc-stack  a push through a non-canonical RSP
 *   nc-gdt    LGDT with a non-canonical base
 *   bad-cs64  a far jump to a code segment with both L and D set
 *   bad-tss64 LTR of a 16-byte TSS descriptor whose upper half has a type
 *   iret-nc   IRETQ to a non-canonical RIP
 *   runaway64 REP STOSQ with RCX = 2^64 - 1 into unassigned memory, then a loop
 */
#include "../../guests/runtime/guest.h"

static const char *mode(struct multiboot_info *mbi)
{
    const char *s = (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : "";
    for (; *s; s++) {
        if (strncmp(s, "mode=", 5) == 0) {
            return s + 5;
        }
    }
    return "";
}

static uint64_t gdt[6] = {
    0, 0x00af9a000000ffffull, 0x00cf92000000ffffull,
    0x00ef9a000000ffffull,       /* 0x18: L and D */
    0x0000890010000067ull, 0x0000010000000000ull, /* 0x20: TSS, upper half with type 1 */
};

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    static const struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 }, nc_gdt = { 15, 0x0000800000000000ull },
      our_gdt = { sizeof(gdt) - 1, (uint64_t)gdt };
    const char *m = mode(mbi);

    __asm__ volatile("lidt %0\n lgdt %1" : : "m"(empty_idt), "m"(our_gdt));
    printf_serial("bad64: %s\n", m);
    if (strncmp(m, "nc-jump", 7) == 0) {
        __asm__ volatile("jmp *%0" : : "r"(0x0000800000000000ull));
    } else if (strncmp(m, "nc-stack", 8) == 0) {
        __asm__ volatile("movabsq $0x8000000000000000, %%rsp\n push %%rax" : : : "memory");
    } else if (strncmp(m, "nc-gdt", 6) == 0) {
        __asm__ volatile("lgdt %0" : : "m"(nc_gdt));
    } else if (strncmp(m, "bad-cs64", 8) == 0) {
        __asm__ volatile("pushq $0x18\n pushq $0\n lretq");
    } else if (strncmp(m, "bad-tss64", 9) == 0) {
        __asm__ volatile("movw $0x20, %%ax\n ltr %%ax" : : : "rax");
    } else if (strncmp(m, "iret-nc", 7) == 0) {
        __asm__ volatile("pushq $0x10\n pushq %%rsp\n pushfq\n pushq $0x08\n"
                         "movabsq $0xffff000000000000, %%rax\n pushq %%rax\n iretq" : : : "rax");
    } else if (strncmp(m, "runaway64", 9) == 0) {
        __asm__ volatile("cld\n movl $0xf0000000, %%edi\n movq $-1, %%rcx\n rep stosq\n"
                         "1: jmp 1b" : : "a"(0) : "rdi", "rcx", "memory");
    }
    puts_serial("bad64: survived (unexpected)\n");
    return GUEST_FAIL;
}
