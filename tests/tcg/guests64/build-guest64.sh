#!/bin/sh
# build-guest64.sh CC LD OBJCOPY LDSCRIPT OUT SRC...: one freestanding
# 64-bit guest (32-bit Multiboot entry, start64.S), linked as ELF64 and
# handed over as ELF32, the only class Multiboot loaders accept.
# GUEST_CFLAGS adds compiler flags (-g for the gdb stub's guest).
set -e
cc=$1 ld=$2 objcopy=$3 script=$4 out=$5
shift 5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=
for src in "$@"; do
    obj="$tmp/$(basename "$src").o"
    "$cc" -m64 -ffreestanding -nostdlib -fno-pic -fno-pie -mcmodel=small -mno-red-zone \
        -fno-stack-protector -O2 -fcf-protection=none -fno-asynchronous-unwind-tables \
        -mgeneral-regs-only -Wall -Wextra -Wno-unused-parameter -Werror ${GUEST_CFLAGS:-} -c "$src" -o "$obj"
    objs="$objs $obj"
done
# shellcheck disable=SC2086
"$ld" -m elf_x86_64 -T "$script" --build-id=none -no-pie -o "$tmp/guest64.elf" $objs
"$objcopy" -I elf64-x86-64 -O elf32-i386 "$tmp/guest64.elf" "$out"
# The ELF64 itself, for a debugger's symbols (GUEST_ELF64=PATH).
if [ -n "${GUEST_ELF64:-}" ]; then
    cp "$tmp/guest64.elf" "$GUEST_ELF64"
fi
