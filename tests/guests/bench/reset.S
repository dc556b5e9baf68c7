/*
 * Reset path: count boots in a RAM byte the loader never touches (RAM
 * survives a reset), reset through the i8042 (0xFE to port 0x64) twice,
 * then exit through isa-debug-exit with the count: (3 << 1) | 1 = 7.
 * With -no-reboot the first reset ends duet with status 0.
 */
#include "multiboot.h"
#define BOOT_COUNT 0x7000
MULTIBOOT_HEADER
    .globl _start
_start:
    incb BOOT_COUNT
    movb BOOT_COUNT, %al
    cmpb $3, %al
    je 2f
    movb $0xfe, %al
    outb %al, $0x64
1:  hlt
    jmp 1b
2:  outb %al, $0xf4
    jmp 1b
