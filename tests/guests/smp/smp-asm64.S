/*
 * The SMP guest's assembly for long mode (smp64.elf): the AP trampoline
 * goes real mode -> protected mode -> PAE paging on start64.S's tables,
 * EFER.LME, PG -> 64-bit code (SDM vol.3 9.8.5), and the interrupt stubs.
 */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_CODE32 0x18

    .section .rodata
    .code16
    .globl smp_tramp_start, smp_tramp_end
smp_tramp_start:
    cli
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (tramp_gdtr - smp_tramp_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $ap_entry32
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
smp_gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 64-bit code, as start64.S's */
    .quad 0x00cf92000000ffff /* data */
    .quad 0x00cf9a000000ffff /* 32-bit code, for the trampoline */
smp_gdt_end:

    .text
    .code32
ap_entry32:
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $0x20, %eax         /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx  /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    ljmp $SEL_CODE64, $ap_entry64

    .code64
ap_entry64:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movq smp_ap_stack(%rip), %rsp
    call smp_ap_main
1:  hlt
    jmp 1b

/* the BSP keeps start64.S's GDT: the same selectors */
    .globl smp_load_gdt
smp_load_gdt:
    ret

/* the caller-saved registers around smp_isr(vector); RSP is 16-aligned at the call */
    .macro ISR vec
    .globl smp_isr_\vec
smp_isr_\vec:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    movl $\vec, %edi
    call smp_isr
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    iretq
    .endm

    ISR 2
    ISR 0x40
    ISR 0x41
    ISR 0x42
    ISR 0x43
    ISR 0x44
    ISR 0xff

    .macro FAULT vec
smp_fault_\vec:
    movl $\vec, %edi
    movq (%rsp), %rsi
    movq 8(%rsp), %rdx
    andq $-16, %rsp
    call smp_fault
1:  hlt
    jmp 1b
    .endm

    .irp v, 0,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
    FAULT \v
    .endr

    .section .rodata
    .align 8
    .globl smp_fault_stubs
smp_fault_stubs:
    .irp v, 0,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
    .quad smp_fault_\v
    .endr

    .section .note.GNU-stack,"",@progbits
