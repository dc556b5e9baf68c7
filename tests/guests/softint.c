/*
 * Takes a software interrupt in protected mode and returns with IRET.
 * On a working CPU this prints "softint: PASS".  Under KVM on this host
 * (kvm_pvm, whose instruction emulator cannot IRET in protected mode) the
 * emulator must stop with a one-line error and exit status 1 instead of
 * hanging or crashing; the test checks whichever applies.
 */
#include "runtime/guest.h"

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type_attr;
    uint16_t offset_high;
} __attribute__((packed));

static struct idt_gate idt[256];
static volatile int hits;

void softint_handler_c(void);
void softint_handler_c(void)
{
    hits++;
}

extern void softint_entry(void);
__asm__(".text\n"
        "softint_entry:\n"
        "    pushal\n"
        "    call softint_handler_c\n"
        "    popal\n"
        "    iret\n");

static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull, /* 0x08 code */
    0x00cf92000000ffffull, /* 0x10 data */
};

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)gdt },
      idtr = { sizeof(idt) - 1, (uint32_t)idt };
    uint32_t handler = (uint32_t)softint_entry;

    /* Our own GDT (spec 3.2: the loader's is not ours to use) */
    __asm__ volatile("lgdt %0\n"
                     "ljmp $0x08, $1f\n"
                     "1: movw $0x10, %%ax\n"
                     "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
                     : : "m"(gdtr) : "eax", "memory");
    idt[0x40] = (struct idt_gate){ handler & 0xffff, 0x08, 0, 0x8e, handler >> 16 };
    __asm__ volatile("lidt %0" : : "m"(idtr));
    puts_serial("softint: int $0x40\n");
    __asm__ volatile("int $0x40" : : : "memory");
    printf_serial("softint: handler ran %d time(s)\n", hits);
    puts_serial(hits == 1 ? "softint: PASS\n" : "softint: FAIL\n");
    return hits == 1 ? GUEST_PASS : GUEST_FAIL;
}
