/* duet: a small x86 machine emulator.  See docs/architecture.md. */
#include "sysemu/sysemu.h"

int main(int argc, char **argv)
{
    int status;

    if (qemu_init(argc, argv, &status)) {
        status = qemu_main_loop();
    }
    /* Also after an error or -mtree: drives that were opened get closed. */
    qemu_cleanup();
    return status;
}
