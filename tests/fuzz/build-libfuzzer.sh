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
clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fno-strict-aliasing \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/include" -I"$out" $(pkg-config --cflags glib-2.0) \
  "$src"/tests/fuzz/qcow2-fuzz.c "$src"/block/*.c "$src"/util/*.c \
  $(pkg-config --libs glib-2.0 zlib) -lpthread -lm \
  -o "$out/qcow2-fuzz-libfuzzer"
echo "built $out/qcow2-fuzz-libfuzzer"
