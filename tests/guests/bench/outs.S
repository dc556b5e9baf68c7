/*
 * Port-write benchmark: 20,000 writes to the POST port 0x80 (write-only,
 * so KVM may coalesce them), then isa-debug-exit with 0x10: status 33.
 */
#include "multiboot.h"
MULTIBOOT_HEADER
    .globl _start
_start:
    mov $20000, %ecx
1:  outb %al, $0x80
    loop 1b
    mov $0x10, %al
    outb %al, $0xf4
2:  hlt
    jmp 2b
