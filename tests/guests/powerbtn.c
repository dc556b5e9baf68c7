/*
 * The ACPI power button: the guest enables PWRBTN_EN (PM1a_EN bit 8,
 * ACPI 4.8.3.1.1), says so, and polls PM1a_STS until the host presses the
 * button (system_powerdown); then it clears the status and powers off
 * through S5 (SLP_TYP of \_S5, 0 on the pc machine, with SLP_EN).  The
 * PM block is at 0x600 on both duet and QEMU's pc.
 */
#include "runtime/guest.h"

#define PM_BASE 0x600

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    outw(PM_BASE + 2, 0x0100);
    printf_serial("powerbtn: waiting, PM1a_EN=0x%x\n", inw(PM_BASE + 2));
    while (!(inw(PM_BASE) & 0x0100)) {
    }
    outw(PM_BASE, 0x0100);
    printf_serial("powerbtn: pressed, PM1a_STS now 0x%x; S5\n", inw(PM_BASE) & 0x0100);
    outw(PM_BASE + 4, 0x2000);
    /* Powered off.  QEMU runs the vCPU on for a moment after the write (its
     * main loop takes the shutdown later), so nothing is printed here: a
     * machine that stays on is caught by the runner's timeout. */
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
    return GUEST_FAIL;
}
