/* isa-debugcon: a line to port 0xe9, and what reading the port returns
 * (Bochs/QEMU's readback 0xe9), reported on COM1. */
#include "runtime/guest.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    const char *msg = "to the debug console\n";

    for (const char *p = msg; *p; p++) {
        outb(0xe9, *p);
    }
    printf_serial("debugcon: readback 0x%x\n", inb(0xe9));
    return GUEST_PASS;
}
