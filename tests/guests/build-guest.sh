#!/bin/sh
# build-guest.sh CC LD LDSCRIPT OUT SRC...: one freestanding 32-bit
# Multiboot ELF from the runtime and a guest's sources.  GUEST_CFLAGS
# adds compiler flags (-g for the gdb stub's guest).
set -e
cc=$1 ld=$2 script=$3 out=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=
for src in "$@"; do
    obj="$tmp/$(basename "$src").o"
    "$cc" -m32 -ffreestanding -nostdlib -fno-pic -fno-stack-protector -O2 \
        -fcf-protection=none -fno-asynchronous-unwind-tables -mgeneral-regs-only \
        -Wall -Wextra -Wno-unused-parameter -Werror ${GUEST_CFLAGS:-} -c "$src" -o "$obj"
    objs="$objs $obj"
done
# shellcheck disable=SC2086
"$ld" -m elf_i386 -T "$script" --build-id=none -o "$out" $objs
