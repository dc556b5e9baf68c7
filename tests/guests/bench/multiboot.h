/* Multiboot 1 header (Multiboot spec 3.1.1): magic, flags, checksum. */
#define MULTIBOOT_HEADER                      \
    .section .multiboot, "a";                 \
    .align 4;                                 \
    .long 0x1BADB002;                         \
    .long 0;                                  \
    .long -0x1BADB002;                        \
    .text
