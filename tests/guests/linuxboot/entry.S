/*
 * Entry points of the boot-protocol test kernel, at its load address
 * (boot.rst "32-bit BOOT PROTOCOL": code32_start; "64-bit BOOT PROTOCOL":
 * load address + 0x200).  Each records the segment registers it was
 * entered with, clears .bss as a real kernel does, and calls
 * guest_start(entry width, %esi) on its own stack.
 */
#define LB_ENTERED_32 32
#define LB_ENTERED_64 64

    .section .entry, "ax"
    .code32
    .globl _start
_start:
    cli
    movw %cs, entry_cs
    movw %ds, entry_ds
    movw %ss, entry_ss
    movw %es, entry_es
    movl %esi, entry_esi
    movl %esp, %ecx
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    cld
    rep stosb
#ifdef __x86_64__
    /* A 64-bit kernel entered here: only the 32-bit path's checks run
     * (the 64-bit code below cannot be called from here). */
    movl $0x7fff, %eax
    outb %al, $0xf4
1:  hlt
    jmp 1b
#else
    movl $stack_top, %esp
    pushl entry_esi
    pushl $LB_ENTERED_32
    call guest_start
1:  hlt
    jmp 1b
#endif

#ifdef __x86_64__
    .org 0x200
    .code64
_start64:
    cli
    movw %cs, entry_cs(%rip)
    movw %ds, entry_ds(%rip)
    movw %ss, entry_ss(%rip)
    movw %es, entry_es(%rip)
    movl %esi, entry_esi(%rip)
    movq %rsi, %rbx
    leaq __bss_start(%rip), %rdi
    leaq __bss_end(%rip), %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    cld
    rep stosb
    leaq stack_top(%rip), %rsp
    movl $LB_ENTERED_64, %edi
    movq %rbx, %rsi
    call guest_start
1:  hlt
    jmp 1b
#endif

    .data
    .globl entry_cs, entry_ds, entry_ss, entry_es, entry_esi
entry_cs: .word 0
entry_ds: .word 0
entry_ss: .word 0
entry_es: .word 0
entry_esi: .long 0

    .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:
    .section .note.GNU-stack,"",@progbits
