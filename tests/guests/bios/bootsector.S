/*
 * A boot sector for the SeaBIOS tests: the BIOS loads it at 0000:7c00 and
 * jumps there in real mode.  It talks to the hardware only (no BIOS
 * calls): COM1 at 0x3f8 directly, CMOS byte 0x7e as a boot counter, and
 * isa-debug-exit at 0xf4 (status (0x31 << 1) | 1 = 99: passed).
 *
 * Assembled with `as --32 --defsym BOOT_RESETS=0` it prints its message and exits.  With
 * BOOT_RESETS=1 each boot resets the machine a different way, and the
 * BIOS's POST has to run again from the reset vector before the next:
 *   boot 1: i8042 pulse (0xfe to port 0x64)
 *   boot 2: triple fault (an empty IDT, then INT3); with NO_TRIPLE=1 a
 *           hard reset through 0xcf9 instead (see run-seabios.py)
 *   boot 3: PIIX3 reset control (0x06 to port 0xcf9), the FADT's RESET_REG
 *   boot 4: halts until the test sends system_reset to the monitor
 *   boot 5: exit
 */
    .equ CMOS_INDEX, 0x70
    .equ CMOS_DATA, 0x71
    .equ BOOT_COUNT, 0x7e /* unused by SeaBIOS and by QEMU's CMOS layout */

    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    mov $msg_hello, %si
    call puts
.if BOOT_RESETS
    mov $BOOT_COUNT, %al
    out %al, $CMOS_INDEX
    in $CMOS_DATA, %al
    inc %al
    mov %al, %bl
    mov $BOOT_COUNT, %al
    out %al, $CMOS_INDEX
    mov %bl, %al
    out %al, $CMOS_DATA
    mov $msg_boot, %si
    call puts
    mov %bl, %al
    add $'0', %al
    call putc
    mov $msg_crlf, %si
    call puts
    cmp $1, %bl
    je reset_kbd
    cmp $2, %bl
    je reset_triple
    cmp $3, %bl
    je reset_cf9
    cmp $4, %bl
    je reset_monitor
    mov $msg_done, %si
    call puts
.else
    mov $msg_crlf, %si
    call puts
.endif
    mov $0x31, %al
    out %al, $0xf4
    hlt

.if BOOT_RESETS
reset_kbd:
    mov $msg_kbd, %si
    call puts
    mov $0xfe, %al
    out %al, $0x64
    hlt
reset_triple:
.if NO_TRIPLE
    /* instead: a hard reset through 0xcf9 (SRST | RCPU | FULL_RST) */
    mov $msg_cf9_hard, %si
    call puts
    mov $0xcf9, %dx
    mov $0x0e, %al
    out %al, %dx
    hlt
.else
    mov $msg_triple, %si
    call puts
    lidt idt_empty
    int3
    hlt
.endif
reset_cf9:
    mov $msg_cf9, %si
    call puts
    mov $0xcf9, %dx
    mov $0x06, %al
    out %al, %dx
    hlt
reset_monitor:
    mov $msg_monitor, %si
    call puts
1:  hlt
    jmp 1b
idt_empty:
    .word 0
    .long 0
.endif

/* puts: the NUL-terminated string at %ds:%si to COM1 */
puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  ret

/* putc: %al to COM1 once its transmit holding register is empty (LSR.5) */
putc:
    push %dx
    push %ax
    mov $0x3fd, %dx
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    pop %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %dx
    ret

msg_hello:
    .asciz "duet-bootsector: loaded by the BIOS at 0000:7c00"
msg_crlf:
    .asciz "\r\n"
.if BOOT_RESETS
msg_boot:
    .asciz ", boot "
msg_kbd:
    .asciz "reset: i8042\r\n"
msg_triple:
    .asciz "reset: triple fault\r\n"
msg_cf9_hard:
    .asciz "reset: 0xcf9 hard\r\n"
msg_cf9:
    .asciz "reset: 0xcf9\r\n"
msg_monitor:
    .asciz "waiting for the monitor's system_reset\r\n"
msg_done:
    .asciz "duet-bootsector: all resets went back through the BIOS\r\n"
.endif

    .org 510
    .byte 0x55, 0xaa
