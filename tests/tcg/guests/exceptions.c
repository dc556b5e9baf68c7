/*
 * Exceptions and their error codes (SDM vol.3 table 6-1): each faulting
 * instruction runs under TRY_FAULT and the handler reports vector and
 * error code; the output must match QEMU's line for line.  (Cases where
 * QEMU's TCG departs from the SDM -- ICEBP, segment write checks, CR0.PG
 * without PE -- are in tests/tcg/test-tcg-system.c instead.)
 */
#include "cpu.h"

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;
    static volatile int32_t bounds[2] = { 10, 20 };

    cpu_setup();
    puts_serial("exceptions: start\n");

    TRY_FAULT("xorl %%ecx, %%ecx\n\t divl %%ecx", : : : "eax", "ecx", "edx");
    ok &= expect_fault("#DE div by zero", 0, 0, false);
    TRY_FAULT("movl $0x80000000, %%eax\n\t cltd\n\t movl $-1, %%ecx\n\t idivl %%ecx",
              : : : "eax", "ecx", "edx");
    ok &= expect_fault("#DE idiv overflow", 0, 0, false);
    TRY_FAULT("movw $0x100, %%ax\n\t movb $1, %%cl\n\t divb %%cl", : : : "eax", "ecx");
    ok &= expect_fault("#DE div8 overflow", 0, 0, false);
    TRY_FAULT("int3");
    ok &= expect_fault("#BP int3", 3, 0, false);
    TRY_FAULT("movl $0x7fffffff, %%eax\n\t addl $1, %%eax\n\t into", : : : "eax");
    ok &= expect_fault("#OF into", 4, 0, false);
    TRY_FAULT("movl $21, %%eax\n\t boundl %%eax, (%0)", : : "r"(bounds) : "eax");
    ok &= expect_fault("#BR bound", 5, 0, false);
    TRY_FAULT("movl $15, %%eax\n\t boundl %%eax, (%0)", : : "r"(bounds) : "eax");
    ok &= check(last_fault.count == 0, "bound in range");
    TRY_FAULT("ud2");
    ok &= expect_fault("#UD ud2", 6, 0, false);
    TRY_FAULT(".byte 0x0f, 0xff");
    ok &= expect_fault("#UD 0f ff", 6, 0, false);
    TRY_FAULT("movl %%cr5, %%eax", : : : "eax");
    ok &= expect_fault("#UD mov cr5", 6, 0, false);
    TRY_FAULT("leal (%%eax), %%eax\n\t .byte 0x8d, 0xc0", : : : "eax"); /* lea eax, eax */
    ok &= expect_fault("#UD lea reg", 6, 0, false);

    write_cr0(read_cr0() | 0xa); /* MP | TS */
    TRY_FAULT("fwait");
    ok &= expect_fault("#NM wait with TS", 7, 0, false);
    __asm__ volatile("clts");

    TRY_FAULT("movw $0x80, %%ax\n\t movw %%ax, %%ds", : : : "eax");
    ok &= expect_fault("#GP selector beyond GDT", 13, 0x80, true);
    TRY_FAULT("movw $0x40, %%ax\n\t movw %%ax, %%es", : : : "eax");
    ok &= expect_fault("#NP not-present data", 11, 0x40, true);
    TRY_FAULT("movw $0x48, %%ax\n\t movw %%ax, %%ss", : : : "eax");
    ok &= expect_fault("#GP read-only SS", 13, 0x48, true);
    TRY_FAULT("int $0x81");
    ok &= expect_fault("#GP int through an empty gate", 13, 0x81 * 8 + 2, true);
    TRY_FAULT("ljmp $0x10, $0");
    ok &= expect_fault("#GP far jump to data", 13, 0x10, true);

    printf_serial("exceptions: %s\n", ok ? "PASS" : "FAIL");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
