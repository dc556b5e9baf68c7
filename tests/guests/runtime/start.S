/*
 * Guest entry: the Multiboot header (spec 3.1.1) and the code the loader
 * jumps to (3.2: EAX = magic, EBX = info, flat 32-bit protected mode).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    cli
    movl $stack_top, %esp
    pushl %ebx          /* struct multiboot_info * */
    pushl %eax          /* magic */
    call guest_start
    /* guest_start does not return; stop here if it ever does */
1:  hlt
    jmp 1b

    .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:
	.section .note.GNU-stack,"",@progbits
