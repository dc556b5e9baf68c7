/* The smallest guest: one line on COM1, then a passing exit. */
#include "runtime/guest.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    puts_serial("Hello from a duet test guest\n");
    return GUEST_PASS;
}
