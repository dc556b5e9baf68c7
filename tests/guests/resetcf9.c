/*
 * Resets through the PIIX reset control register (I/O 0xcf9, the ACPI
 * FADT's RESET_REG): SRST first, which alone does nothing, then RCPU.
 * Run with -no-reboot, the emulator then exits with status 0; getting
 * past the write is a failure.
 */
#include "runtime/guest.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    outb(0xcf9, 0x02);
    printf_serial("reset: 0xcf9 reads 0x%02x after SRST\n", inb(0xcf9));
    puts_serial("reset: writing 0x06 to 0xcf9\n");
    outb(0xcf9, 0x06);
    for (volatile int i = 0; i < 1000000; i++) {
    }
    puts_serial("reset: FAIL (still running)\n");
    return GUEST_FAIL;
}
