#!/usr/bin/env bash
# The layering rule is enforced by include directories (meson.build): each
# folder library sees only the headers of the layers below it.  This test
# shows that the rule holds by breaking it: in a scratch copy of the tree
# it adds one wrong-way #include at a time and requires that file's object
# to fail to compile with "No such file", while the untouched file
# compiles (so a broken scratch build cannot pass for enforcement).
#   check-layering.sh SOURCE_ROOT
set -uo pipefail
src=$(cd "${1:?usage: check-layering.sh SOURCE_ROOT}" && pwd)
command -v meson >/dev/null && command -v ninja >/dev/null || {
    echo "SKIP: meson or ninja not installed"; exit 77; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The tracked sources only: no build directories.
(cd "$src" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | tar --null -T - -cf - 2>/dev/null || \
    tar --exclude='./build*' -cf - .) | tar -C "$scratch/" -xf - || {
    echo "could not copy the tree"; exit 1; }
meson setup "$scratch/build" "$scratch" -Dtests=false >"$scratch/setup.log" 2>&1 || {
    cat "$scratch/setup.log"; echo "FAIL: meson setup of the scratch copy"; exit 1; }

# layer file header-it-must-not-see (why)
cases=(
    "util   util/async.c             hw/ide/pci.h          util knows no device"
    "util   util/async.c             exec/memory.h         util is below system"
    "util   util/async.c             sysemu/block-backend.h util is below block"
    "util   util/async.c             chardev/char.h        util is below chardev"
    "chardev chardev/char.c          hw/char/serial.h      chardev knows no device"
    "chardev chardev/char.c          exec/memory.h         chardev is below system"
    "chardev chardev/char.c          monitor/monitor.h     chardev is below the monitor"
    "hw     hw/char/serial.c         monitor/monitor.h     a device knows no monitor"
    "block  block/io.c               hw/ide/ide.h          block knows no device"
    "block  block/io.c               exec/memory.h         block does not use the memory API"
    "block  block/io.c               sysemu/accel.h        block knows no accelerator"
    "system system/memory.c          sysemu/block-backend.h system is below block users"
    "system system/memory.c          hw/irq.h              system is below hw"
    "system system/memory.c          sysemu/accel.h        system is below accel"
    "hw     hw/ide/core.c            sysemu/accel.h        a device includes no accelerator header"
    "hw     hw/ide/core.c            block_int.h           devices see BlockBackend, not driver internals"
    "accel  accel/tcg/translate-all.c hw/i386/pc.h         an accelerator includes no device header"
    "accel  accel/kvm/kvm-cpu.c      sysemu/block-backend.h an accelerator knows no block layer"
    "accel  accel/cpus.c             chardev/char.h        an accelerator knows no chardev"
    "system system/runstate.c        monitor/monitor.h     system knows no monitor (listeners instead)"
    "gdbstub gdbstub/gdbstub.c       monitor/monitor.h     the gdb stub reaches the monitor by a hook"
    "gdbstub gdbstub/gdbstub.c       hw/i386/pc.h          the gdb stub knows no device"
    "accel  accel/cpus.c             gdbstub/gdbstub.h     an accelerator knows no gdb stub"
)

target_of() { # the ninja target of a source file's object
    local lib=$1 file=$2 rel=${file#"$1"/}
    echo "$lib/lib$lib.a.p/${rel//\//_}.o"
}

failures=0
for c in "${cases[@]}"; do
    read -r lib file header why <<<"$c"
    target=$(target_of "$lib" "$file")
    # Control: the file as it is compiles.
    if ! ninja -C "$scratch/build" "$target" >"$scratch/ok.log" 2>&1; then
        cat "$scratch/ok.log"
        echo "FAIL: $file does not compile untouched (target $target)"
        failures=$((failures + 1))
        continue
    fi
    cp "$scratch/$file" "$scratch/$file.orig"
    printf '#include "%s"\n' "$header" | cat - "$scratch/$file.orig" >"$scratch/$file"
    if ninja -C "$scratch/build" "$target" >"$scratch/bad.log" 2>&1; then
        echo "FAIL: $file compiled with #include \"$header\" ($why)"
        failures=$((failures + 1))
    elif ! grep -q "$header: No such file" "$scratch/bad.log"; then
        cat "$scratch/bad.log"
        echo "FAIL: $file with #include \"$header\" failed for another reason"
        failures=$((failures + 1))
    else
        echo "ok: $file cannot include \"$header\" ($why)"
    fi
    mv "$scratch/$file.orig" "$scratch/$file"
done
echo "${#cases[@]} wrong-way includes tried, $failures not refused"
((failures == 0))
