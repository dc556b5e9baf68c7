/*
 * Reads COM1 by polling LSR.DR and echoes each byte upper-cased until '!'.
 * All input is there before the guest starts, so this checks that the
 * backend holds input back while the receiver is full instead of dropping
 * it.  The UART stays in 16450 mode: enabling the FIFOs would clear
 * whatever was already received.
 */
#include "runtime/guest.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    unsigned count = 0;

    puts_serial("echo: ready\n");
    for (;;) {
        char c;

        while (!(inb(COM1 + 5) & 0x01)) {
        }
        c = inb(COM1);
        if (c == '!') {
            break;
        }
        count++;
        putchar_serial(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    printf_serial("echo: %u bytes\n", count);
    return GUEST_PASS;
}
