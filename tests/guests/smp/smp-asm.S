/*
 * The SMP guests' assembly: the AP start-up trampoline (copied below
 * 1 MiB; a SIPI starts the AP in real mode at vector * 4 KiB, SDM vol.3
 * 8.4.4), the AP's 32-bit entry and the interrupt stubs.
 */
#define SEL_CODE 0x08
#define SEL_DATA 0x10

    .section .rodata
    .code16
    .globl smp_tramp_start, smp_tramp_end
smp_tramp_start:
    cli
    movw %cs, %ax
    movw %ax, %ds
    /* the GDTR below holds the linear address of smp_gdt */
    lgdtl (tramp_gdtr - smp_tramp_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE, $ap_entry32
    .align 4
tramp_gdtr:
    .word smp_gdt_end - smp_gdt - 1
    .long smp_gdt
smp_tramp_end:

/* The nmiwait case's real-mode NMI handler (IVT vector 2), copied below
 * 1 MiB: it counts in its own last word. */
    .section .rodata
    .code16
    .globl smp_nmi16_start, smp_nmi16_count, smp_nmi16_end
smp_nmi16_start:
    incw %cs:(smp_nmi16_count - smp_nmi16_start)
    iret
smp_nmi16_count:
    .word 0
smp_nmi16_end:

    .data
    .align 8
    .globl smp_gdt, smp_gdtr
smp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* flat ring-0 code */
    .quad 0x00cf92000000ffff /* flat ring-0 data */
smp_gdt_end:
smp_gdtr:
    .word smp_gdt_end - smp_gdt - 1
    .long smp_gdt

    .text
    .code32
ap_entry32:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    /* the BSP wakes one AP at a time and sets its stack first */
    movl smp_ap_stack, %esp
    call smp_ap_main
1:  hlt
    jmp 1b

/* smp_load_gdt: the BSP uses the same GDT as the APs */
    .globl smp_load_gdt
smp_load_gdt:
    lgdtl smp_gdtr
    ljmpl $SEL_CODE, $2f
2:  movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    ret

/*
 * Interrupt stubs: smp_isr(vector) in C, then back with IRET, or (when
 * smp_no_iret is set: this host's KVM cannot emulate a protected-mode
 * IRET) with POPF and RET 8, which drops CS and EFLAGS from the frame.
 */
    .macro ISR vec
    .globl smp_isr_\vec
smp_isr_\vec:
    pushal
    pushl $\vec
    call smp_isr
    addl $4, %esp
    popal
    cmpb $0, smp_no_iret
    jne 1f
    iret
1:  pushl 8(%esp)
    popfl
    ret $8
    .endm

    ISR 2
    ISR 0x40
    ISR 0x41
    ISR 0x42
    ISR 0x43
    ISR 0x44
    ISR 0xff

/* any other exception: smp_fault(vector, the top two words: error code and EIP, or EIP and CS) */
    .macro FAULT vec
    .globl smp_fault_\vec
smp_fault_\vec:
    pushl 4(%esp)
    pushl 4(%esp)
    pushl $\vec
    call smp_fault
1:  hlt
    jmp 1b
    .endm

    .irp v, 0,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
    FAULT \v
    .endr

    .section .rodata
    .align 4
    .globl smp_fault_stubs
smp_fault_stubs:
    .irp v, 0,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
    .long smp_fault_\v
    .endr

    .section .note.GNU-stack,"",@progbits
