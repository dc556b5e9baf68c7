#!/bin/sh
# Builds tests/fuzz/qcow2-fuzz.c as a libFuzzer target with clang, ASan and
# UBSan (needs clang's fuzzer runtime: apt-get install libclang-rt-14-dev
# where it is missing).  Usage:
#   tests/fuzz/build-libfuzzer.sh OUTDIR
#   OUTDIR/qcow2-fuzz-libfuzzer -max_total_time=60 OUTDIR/corpus
# The seed corpus is written by the gcc-built driver:
#   build/tests/fuzz/qcow2-fuzz --make-corpus OUTDIR/corpus
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-build-fuzz}
mkdir -p "$out"
printf '#define DUET_VERSION "fuzz"\n' > "$out/config-host.h"
[ -n "${2:-}" ] || clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fno-strict-aliasing \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/include" -I"$out" $(pkg-config --cflags glib-2.0) \
  "$src"/tests/fuzz/qcow2-fuzz.c "$src"/block/*.c "$src"/util/*.c \
  $(pkg-config --libs glib-2.0 zlib) -lpthread -lm \
  -o "$out/qcow2-fuzz-libfuzzer"
[ -n "${2:-}" ] || echo "built $out/qcow2-fuzz-libfuzzer"

# The monitor's target: tests/fuzz/build-libfuzzer.sh OUTDIR monitor BUILDDIR
# instruments monitor/ and links the rest from a meson build directory.
#   OUTDIR/monitor-fuzz-libfuzzer -max_total_time=60 OUTDIR/monitor-corpus
#   (seeds: BUILDDIR/tests/fuzz/monitor-fuzz --make-corpus OUTDIR/monitor-corpus)
if [ "${2:-}" = monitor ]; then
  b=$(cd "${3:-$src/build}" && pwd)
  inc=""
  for d in util chardev block system hw accel monitor; do inc="$inc -I$src/$d/include"; done
  clang -std=gnu11 -g -O1 -D_GNU_SOURCE -DDUET_VERSION='"fuzz"' -fno-strict-aliasing \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    $inc -I"$src/monitor" $(pkg-config --cflags glib-2.0 json-glib-1.0) \
    "$src"/tests/fuzz/monitor-fuzz.c "$src"/monitor/*.c \
    "$b"/hw/libhw.a "$b"/system/libdma.a "$b"/accel/libaccel.a "$b"/accel/libtcg-ops.a \
    "$b"/block/libblock.a "$b"/system/libsystem.a "$b"/chardev/libchardev.a \
    "$b"/util/libutil.a \
    $(pkg-config --libs glib-2.0 json-glib-1.0 capstone zlib) -lpthread -lm \
    -o "$out/monitor-fuzz-libfuzzer"
  echo "built $out/monitor-fuzz-libfuzzer"
fi

# The device target: tests/fuzz/build-libfuzzer.sh OUTDIR device BUILDDIR
# instruments hw/ and the memory API and links the rest from a meson build.
#   OUTDIR/device-fuzz-libfuzzer -max_total_time=60 OUTDIR/device-corpus
#   (seeds: BUILDDIR/tests/fuzz/device-fuzz --make-corpus OUTDIR/device-corpus)
if [ "${2:-}" = device ]; then
  b=$(cd "${3:-$src/build}" && pwd)
  inc=""
  for d in util chardev block system hw accel monitor; do inc="$inc -I$src/$d/include"; done
  clang -std=gnu11 -g -O1 -D_GNU_SOURCE -DDUET_VERSION='"fuzz"' -fno-strict-aliasing \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    $inc -I"$src/system" $(pkg-config --cflags glib-2.0 json-glib-1.0 capstone) \
    "$src"/tests/fuzz/device-fuzz.c "$src"/system/vl.c "$src"/system/vl-monitor.c \
    $(find "$src/hw" -name '*.c') "$src"/system/memory.c "$src"/system/physmem.c \
    "$b"/monitor/libmonitor.a "$b"/system/libdma.a "$b"/accel/libaccel.a \
    "$b"/accel/libtcg-ops.a "$b"/block/libblock.a "$b"/system/libsystem.a \
    "$b"/chardev/libchardev.a "$b"/util/libutil.a \
    $(pkg-config --libs glib-2.0 json-glib-1.0 capstone zlib) -lpthread -lm \
    -o "$out/device-fuzz-libfuzzer"
  echo "built $out/device-fuzz-libfuzzer"
fi
