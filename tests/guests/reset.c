/*
 * Pulses the CPU reset line through the i8042 (command 0xFE).  Run with
 * -no-reboot, the emulator then exits with status 0; getting past the
 * write is a failure.
 */
#include "runtime/guest.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    puts_serial("reset: pulsing the reset line\n");
    outb(0x64, 0xfe);
    for (volatile int i = 0; i < 1000000; i++) {
    }
    puts_serial("reset: FAIL (still running)\n");
    return GUEST_FAIL;
}
