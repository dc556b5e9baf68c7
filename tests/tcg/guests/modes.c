/*
 * Mode switches: from the Multiboot protected-mode entry down to real
 * mode (through a 16-bit protected-mode segment), some real-mode work
 * (16-bit arithmetic, segment arithmetic, a software interrupt through
 * the IVT with IRET), and back up to 32-bit protected mode.
 */
#include "cpu.h"

#define LOW 0x8000 /* where the 16-bit blob runs */

extern const uint8_t blob_start[], blob_end[];
/* Offsets inside the blob are relative to LOW (the blob is copied there). */
__asm__(".section .rodata\n"
        "blob_start:\n"
        ".code16\n"
        /* entered at LOW with CS = 16-bit protected-mode segment */
        " movw $0x20, %ax\n movw %ax, %ds\n movw %ax, %ss\n"
        " movl %cr0, %eax\n andl $0xfffffffe, %eax\n movl %eax, %cr0\n"
        " ljmp $0x0000, $(0x8000 + rm - blob_start)\n"
        "rm:\n"
        " xorw %ax, %ax\n movw %ax, %ds\n movw %ax, %ss\n movw $0x7000, %sp\n"
        " movw $0x0800, %ax\n movw %ax, %es\n"
        /* IVT entry 0x30 -> handler in the blob */
        " movw $(0x8000 + rmint - blob_start), 0xc0\n movw $0, 0xc2\n"
        " movw $1234, %ax\n movw $10, %bx\n mulw %bx\n"      /* dx:ax = 12340 */
        " movw %ax, %es:0x0ff0\n"                           /* 0x8ff0 */
        " movw $0x7fff, %cx\n incw %cx\n pushfw\n popw %dx\n" /* OF from inc */
        " movw %dx, %es:0x0ff2\n"
        " int $0x30\n"
        " movw %ax, %es:0x0ff4\n"
        " lidtl %cs:(0x8000 + idtr_save - blob_start)\n"
        " lgdtl %cs:(0x8000 + gdtr_save - blob_start)\n"
        " movl %cr0, %eax\n orl $1, %eax\n movl %eax, %cr0\n"
        " ljmpl *%cs:(0x8000 + back - blob_start)\n"
        "rmint:\n movw $0x5a5a, %ax\n iret\n"
        ".globl idtr_save, gdtr_save, back\n"
        "idtr_save: .word 0\n .long 0\n"
        "gdtr_save: .word 0\n .long 0\n"
        "back: .long 0\n .word 0x08\n"
        "blob_end:\n"
        ".code32\n.text\n");

static void *low(const void *sym)
{
    return (uint8_t *)LOW + ((const uint8_t *)sym - blob_start);
}

extern uint8_t idtr_save[], gdtr_save[], back[];
static uint16_t real_idt[3] = { 0x3ff, 0, 0 };
volatile uint32_t saved_esp;

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;

    cpu_setup();
    memcpy((void *)LOW, blob_start, blob_end - blob_start);
    __asm__ volatile("sgdt (%0)" : : "r"(low(gdtr_save)) : "memory");
    __asm__ volatile("sidt (%0)" : : "r"(low(idtr_save)) : "memory");
    puts_serial("modes: to real mode\n");
    __asm__ volatile("pushal\n"
                     "movl $1f, (%0)\n"
                     "movl %%esp, saved_esp\n"
                     "lidt (%1)\n"
                     "ljmp $0x18, $0x8000\n"
                     "1: movw $0x10, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     " movw %%ax, %%ss\n movw %%ax, %%fs\n movw %%ax, %%gs\n"
                     " movl saved_esp, %%esp\n"
                     "popal\n"
                     : : "r"(low(back)), "r"(real_idt) : "eax", "memory");
    uint16_t prod = *(volatile uint16_t *)0x8ff0;
    uint16_t fl = *(volatile uint16_t *)0x8ff2;
    uint16_t intv = *(volatile uint16_t *)0x8ff4;
    printf_serial("modes: back in protected mode: mul=%u of=%u int=0x%x\n", prod,
                  (fl >> 11) & 1, intv);
    ok &= check(prod == 12340, "real-mode mul");
    ok &= check(((fl >> 11) & 1) == 1, "real-mode inc overflow");
    ok &= check(intv == 0x5a5a, "real-mode int/iret");
    printf_serial("modes: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
