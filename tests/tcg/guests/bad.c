/*
 * Bad guest input for the interpreter, chosen by "mode=" on the command
 * line.  No IDT is installed, so every fault escalates to a triple fault
 * and the board's reset (-no-reboot: exit status 0); "runaway" never ends
 * and must still stop on SIGINT.
 *   ud       an undefined opcode
 *   unmapped a jump into unassigned physical memory
 *   baddesc  a segment load through garbage descriptors
 *   runaway  rep stosb with ECX=0xffffffff, then a tight loop
 *   busytss, shorttss, gatedata, taskgate, tssgarbage, tsspage
 *            far JMP/CALL to a busy TSS, a TSS with limit 0x10, a call
 *            gate to a data segment, a task gate to a selector beyond
 *            the GDT, a TSS full of garbage (CS 0x1234, LDT 0xffff), a
 *            TSS whose base is unmapped memory past 4 GiB - 0x40
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

static uint32_t tss_ok[26], tss_garbage[26];
static uint64_t task_gdt[10];

static uint64_t sys_desc(uint32_t base, uint32_t limit, uint32_t access)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(base >> 24) << 56);
}

/* A GDT with a current TSS (0x38), then the bad targets. */
static void task_mode(const char *m)
{
    static struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof(task_gdt) - 1, (uint32_t)task_gdt };

    task_gdt[1] = 0x00cf9a000000ffffull;
    task_gdt[2] = 0x00cf92000000ffffull;
    task_gdt[3] = sys_desc((uint32_t)tss_ok, 0x67, 0x8b);      /* 0x18 busy */
    task_gdt[4] = sys_desc((uint32_t)tss_ok, 0x10, 0x89);      /* 0x20 short */
    task_gdt[5] = (0x10ull << 16) | (0xecull << 40);           /* 0x28 call gate -> data */
    task_gdt[6] = (0x1f8ull << 16) | (0x85ull << 40);          /* 0x30 task gate -> beyond */
    task_gdt[7] = sys_desc((uint32_t)tss_ok, 0x67, 0x89);      /* 0x38 the current TSS */
    task_gdt[8] = sys_desc((uint32_t)tss_garbage, 0x67, 0x89); /* 0x40 garbage */
    task_gdt[9] = sys_desc(0xffffffc0u, 0x67, 0x89);           /* 0x48 wraps 4 GiB */
    memset(tss_garbage, 0xff, sizeof(tss_garbage));
    tss_garbage[0x4c / 4] = 0x1234;
    __asm__ volatile("lgdt %0\n movw $0x38, %%ax\n ltr %%ax" : : "m"(gdtr) : "eax");
    if (strncmp(m, "busytss", 7) == 0) {
        __asm__ volatile("ljmp $0x18, $0");
    } else if (strncmp(m, "shorttss", 8) == 0) {
        __asm__ volatile("lcall $0x20, $0");
    } else if (strncmp(m, "gatedata", 8) == 0) {
        __asm__ volatile("lcall $0x28, $0");
    } else if (strncmp(m, "taskgate", 8) == 0) {
        __asm__ volatile("ljmp $0x30, $0");
    } else if (strncmp(m, "tssgarbage", 10) == 0) {
        __asm__ volatile("lcall $0x40, $0");
    } else if (strncmp(m, "tsspage", 7) == 0) {
        __asm__ volatile("ljmp $0x48, $0");
    }
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
    } else if (strncmp(m, "busytss", 7) == 0 || strncmp(m, "shorttss", 8) == 0 ||
               strncmp(m, "gatedata", 8) == 0 || strncmp(m, "taskgate", 8) == 0 ||
               strncmp(m, "tssgarbage", 10) == 0 || strncmp(m, "tsspage", 7) == 0) {
        task_mode(m);
    } else if (strncmp(m, "runaway", 7) == 0) {
        __asm__ volatile("cld\n mov $0x200000, %%edi\n mov $0xffffffff, %%ecx\n rep stosb\n"
                         "1: jmp 1b" : : "a"(0) : "edi", "ecx", "memory");
    }
    puts_serial("bad: survived (unexpected)\n");
    return GUEST_FAIL;
}
