#!/bin/sh
# build-bzimage.sh CC LD OBJCOPY PYTHON MKBZIMAGE LDSCRIPT BITS OUT SRC...:
# the boot-protocol test kernel, -m32 or -m64, as a bzImage.
set -e
cc=$1 ld=$2 objcopy=$3 python=$4 mkbz=$5 script=$6 bits=$7 out=$8
shift 8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$bits" = 64 ]; then
    flags="-m64 -mno-red-zone -mcmodel=small" emul=elf_x86_64 mk=--64
else
    flags="-m32" emul=elf_i386 mk=
fi
objs=
for src in "$@"; do
    obj="$tmp/$(basename "$src").o"
    # shellcheck disable=SC2086
    "$cc" $flags -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -O2 \
        -fcf-protection=none -fno-asynchronous-unwind-tables -mgeneral-regs-only \
        -Wall -Wextra -Wno-unused-parameter -Werror -c "$src" -o "$obj"
    objs="$objs $obj"
done
# shellcheck disable=SC2086
"$ld" -m $emul -T "$script" --build-id=none --no-warn-rwx-segments -o "$tmp/kernel.elf" $objs
"$objcopy" -O binary "$tmp/kernel.elf" "$tmp/kernel.bin"
# shellcheck disable=SC2086
"$python" "$mkbz" "$out" "$tmp/kernel.bin" $mk
