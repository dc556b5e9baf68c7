#!/usr/bin/env python3
"""Wraps a flat protected-mode image (linked at 1 MiB) into a bzImage.

    mkbzimage.py OUT FLAT.bin [--64] [--version 0x20f]

The setup part is one boot sector and one setup sector holding only the
real-mode kernel header (boot.rst) -- duet enters the protected-mode code
directly, so no real-mode code is needed.  --64 sets XLF_KERNEL_64 (the
64-bit entry at load address + 0x200).
"""
import argparse
import struct

SETUP_SECTS = 1

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("flat")
ap.add_argument("--64", dest="is64", action="store_true")
ap.add_argument("--version", type=lambda v: int(v, 0), default=0x020F)
args = ap.parse_args()

pm = open(args.flat, "rb").read()
pm += bytes(-len(pm) % 16)  # syssize counts 16-byte units; the file holds them all
setup = bytearray(512 * (SETUP_SECTS + 1))
init_size = (len(pm) + 0x10000 + 0xFFF) & ~0xFFF  # the image, .bss, stack

def put(off, fmt, value):
    struct.pack_into("<" + fmt, setup, off, value)

put(0x1F1, "B", SETUP_SECTS)
put(0x1F4, "I", len(pm) // 16)              # syssize
put(0x1FA, "H", 0xFFFF)                     # vid_mode: normal
put(0x1FE, "H", 0xAA55)                     # boot_flag
setup[0x200:0x202] = bytes([0xEB, 0x6A])    # header length = 0x6a
setup[0x202:0x206] = b"HdrS"
put(0x206, "H", args.version)
put(0x211, "B", 0x01)                       # loadflags: LOADED_HIGH
put(0x214, "I", 0x100000)                   # code32_start
put(0x22C, "I", 0x7FFFFFFF)                 # initrd_addr_max
put(0x230, "I", 0x200000)                   # kernel_alignment
put(0x234, "B", 0)                          # relocatable_kernel: no
put(0x236, "H", 0x1 if args.is64 else 0)    # xloadflags
put(0x238, "I", 2047)                       # cmdline_size
put(0x258, "Q", 0x100000)                   # pref_address
put(0x260, "I", init_size)                  # init_size
open(args.out, "wb").write(bytes(setup) + pm)
