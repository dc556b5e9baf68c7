/*
 * Entry of the 64-bit test guests: a Multiboot header (spec 3.1.1) and
 * 32-bit code that identity-maps the first 4 GiB with 2 MiB pages, turns
 * on PAE, EFER.LME and paging (SDM vol.3 9.8.5), and jumps to 64-bit
 * code, which calls guest_start(magic, info) on its own stack.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    movl %eax, %edi             /* magic, then info: guest_start's arguments */
    movl %ebx, %esi
    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..3; PDn[i] -> (n * 512 + i) * 2 MiB */
    movl $boot_pdpt + 3, boot_pml4
    movl $boot_pd + 3, %eax
    xorl %ecx, %ecx
1:  movl %eax, boot_pdpt(, %ecx, 8)
    addl $0x1000, %eax
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    movl $0x83, %eax            /* present, writable, 2 MiB */
    xorl %ecx, %ecx
2:  movl %eax, boot_pd(, %ecx, 8)
    addl $0x200000, %eax
    incl %ecx
    cmpl $2048, %ecx
    jne 2b
    movl %cr4, %eax
    orl $0x20, %eax             /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx      /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax       /* PG: IA-32e mode, compatibility mode for now */
    movl %eax, %cr0
    lgdt boot_gdtr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $stack_top, %rsp
    call guest_start
3:  hlt
    jmp 3b

    .data
    .align 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
boot_gdtr:
    .word boot_gdtr - boot_gdt - 1
    .quad boot_gdt

    .bss
    .align 4096
    .globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
    .align 16
    .skip 32768
stack_top:
    .section .note.GNU-stack,"",@progbits
