/*
 * The gdb stub's test guest (tests/gdbstub/run-gdb.py): a real function
 * to break at and globals to read and watch, built with -g.  The 64-bit
 * build waits in long mode until gdb sets gdb_go, so gdb attaches to
 * 64-bit code (the register set is chosen at connection).
 */
#include "../guests/runtime/guest.h"

volatile uint32_t gdb_counter;
volatile uint32_t gdb_watched = 7;
volatile uint32_t gdb_go;

__attribute__((noinline)) uint32_t gdb_target_add(uint32_t a, uint32_t b)
{
    return a + b;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
#ifdef GDB_GUEST_WAIT
    while (!gdb_go) {
        __asm__ volatile("pause");
    }
#endif
    for (int i = 0; i < 3; i++) {
        gdb_counter = gdb_target_add(gdb_counter, 5);
    }
    gdb_watched = gdb_counter * 2;
    gdb_watched += 1;
    printf_serial("gdb guest: counter=%u watched=%u\n", gdb_counter, gdb_watched);
    return GUEST_PASS;
}
