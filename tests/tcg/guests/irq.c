/*
 * Hardware interrupts: the 8259 PIC remapped to 0x20, the 8254 PIT
 * channel 0 as a periodic timer on IRQ0, "sti; hlt" sleeping until each
 * tick, EOIs, and masking.  The guest counts 20 ticks at 1 kHz.
 */
#include "cpu.h"

static volatile uint32_t ticks;

void irq0_entry(void);
void irq0_c(void);
void irq0_c(void)
{
    ticks++;
    outb(0x20, 0x20); /* EOI */
}
__asm__(".text\nirq0_entry:\n pushal\n call irq0_c\n popal\n iret\n");
/* IRQ7 is what the 8259 answers when a request vanished before INTA
 * (masked in between): spurious, no EOI (8259A datasheet). */
void spurious_entry(void);
__asm__(".text\nspurious_entry:\n iret\n");

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    uint32_t halts = 0;

    cpu_setup();
    set_idt_gate(0x20, irq0_entry, 0);
    set_idt_gate(0x27, spurious_entry, 0);
    /* PIC: ICW1..4, vectors 0x20/0x28, then mask all but IRQ0 */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xfe); outb(0xa1, 0xff);
    /* PIT channel 0, mode 2 (rate generator), 1193 -> ~1 kHz */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);

    puts_serial("irq: waiting for 20 ticks\n");
    while (ticks < 20) {
        __asm__ volatile("sti\n hlt\n cli" : : : "memory");
        halts++;
    }
    outb(0x21, 0xff); /* mask: no more ticks */
    uint32_t seen = ticks;
    for (volatile int i = 0; i < 100000; i++) {
    }
    __asm__ volatile("sti\n nop\n nop\n cli");
    ok &= check(ticks == seen, "masked IRQ0 stays quiet");

    /* SDM vol.3 6.8.3: STI's shadow covers only the next instruction, so a
     * pending IRQ is taken between the NOP and the CLI.  Interrupts are
     * enabled only inside that window here. */
    outb(0x21, 0xfe);
    uint32_t before = ticks;
    for (uint32_t i = 0; i < 20000000 && ticks < before + 5; i++) {
        __asm__ volatile("sti\n nop\n cli" : : : "memory");
    }
    outb(0x21, 0xff);
    ok &= check(ticks >= before + 5, "IRQ taken after the instruction following STI");
    ok &= check(halts >= 20, "each tick woke a HLT");
    printf_serial("irq: %u ticks\n", seen >= 20 ? 20u : seen);
    printf_serial("irq: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
