#!/usr/bin/env python3
"""Runs the ATAPI guest (ide-atapi.c) on duet and on qemu-system-x86_64.

    run-atapi.py --duet BIN --kernel ide-atapi.elf --mode MODE [--qemu QEMU]

MODE says how the CD-ROM is given: `drive` (-drive if=ide,index=0,
media=cdrom), `device` (-drive if=none + -device ide-cd,bus=ide.0), `empty`
(no medium), `cdrom` (-cdrom FILE: secondary master; the guest prints the
ISO 9660 volume descriptor).  The medium is a small ISO 9660 image made
here (mkiso): volume descriptors at blocks 16-17, then block b holding
bytes (b * 7 + i) & 0xff.  With --qemu both run under -accel tcg and their
serial output, without '~' lines, must be identical; the image must be
unchanged afterwards.  Exit: 0 pass, 1 fail, 77 skipped.
"""
import argparse
import difflib
import hashlib
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
GUEST_PASS_STATUS = 99
BLOCK = 2048
BLOCKS = 299

spec = importlib.util.spec_from_file_location("run_guest", os.path.join(HERE, "..", "run-guest.py"))
run_guest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_guest)


def both_endian32(v):
    return struct.pack("<I", v) + struct.pack(">I", v)


def both_endian16(v):
    return struct.pack("<H", v) + struct.pack(">H", v)


def mkiso(path, volume_id="DUET_TEST_CD"):
    """ECMA-119: a primary volume descriptor (8.4) with an empty root
    directory at block 18, the set terminator (8.3), pattern blocks."""
    root = bytearray(34)
    root[0] = 34                                  # record length
    root[2:10] = both_endian32(18)                # extent
    root[10:18] = both_endian32(BLOCK)            # data length
    root[25] = 2                                  # directory
    root[28:32] = both_endian16(1)                # volume sequence number
    root[32] = 1
    pvd = bytearray(BLOCK)
    pvd[0] = 1
    pvd[1:6] = b"CD001"
    pvd[6] = 1
    pvd[8:40] = b"DUET".ljust(32)                 # system identifier
    pvd[40:72] = volume_id.encode().ljust(32)     # volume identifier
    pvd[80:88] = both_endian32(BLOCKS)            # volume space size
    pvd[120:124] = both_endian16(1)               # volume set size
    pvd[124:128] = both_endian16(1)               # volume sequence number
    pvd[128:132] = both_endian16(BLOCK)           # logical block size
    pvd[156:190] = root
    pvd[881] = 1                                  # file structure version
    term = bytearray(BLOCK)
    term[0] = 255
    term[1:6] = b"CD001"
    term[6] = 1
    with open(path, "wb") as f:
        f.write(bytes(16 * BLOCK))
        f.write(pvd)
        f.write(term)
        for b in range(18, BLOCKS):
            f.write(bytes((b * 7 + i) & 0xff for i in range(BLOCK)))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def drive_args(mode, iso):
    if mode == "drive":
        return ["-drive", "file=%s,format=raw,if=ide,index=0,media=cdrom" % iso], ""
    if mode == "device":
        return ["-drive", "if=none,id=cd0,file=%s,format=raw,media=cdrom" % iso,
                "-device", "ide-cd,drive=cd0,bus=ide.0"], ""
    if mode == "empty":
        return ["-drive", "if=ide,index=0,media=cdrom"], " empty"
    if mode == "cdrom":
        return ["-cdrom", iso], " channel=1 iso"
    raise SystemExit("unknown mode " + mode)


def run_vm(binary, args, extra, append, timeout):
    cmd = [binary, "-accel", "tcg", "-kernel", args.kernel, "-append", args.kernel + append,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot"] + extra
    try:
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        print("FAIL: timed out: " + " ".join(cmd))
        print((e.stdout or b"").decode("utf-8", "replace"))
        sys.exit(1)
    return {"cmd": cmd, "status": res.returncode,
            "out": res.stdout.decode("utf-8", "replace").replace("\r\n", "\n"),
            "err": res.stderr.decode("utf-8", "replace")}


def check(r, who):
    if r["status"] != GUEST_PASS_STATUS or "FAIL" in r["out"] or \
            "ide-atapi: done" not in r["out"]:
        print("FAIL: %s: exit %s\n--- command: %s\n--- serial:\n%s\n--- stderr:\n%s"
              % (who, r["status"], " ".join(r["cmd"]), r["out"], r["err"][-3000:]))
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--mode", default="drive")
    ap.add_argument("--qemu")
    ap.add_argument("--expect-line", action="append", default=[])
    ap.add_argument("--timeout", type=int, default=60)
    args = ap.parse_args()
    if not os.path.exists(args.kernel):
        print("SKIP: guest %s was not built (no gcc -m32?)" % args.kernel)
        return SKIP
    qemu = None
    if args.qemu:
        qemu = shutil.which(args.qemu)
        if not qemu:
            print("SKIP: %s is not installed" % args.qemu)
            return SKIP
    with tempfile.TemporaryDirectory(prefix="duet-atapi-") as tmp:
        iso = os.path.join(tmp, "cd.iso")
        mkiso(iso)
        before = sha(iso)
        extra, append = drive_args(args.mode, iso)
        r = run_vm(args.duet, args, extra, append, args.timeout)
        check(r, "duet")
        lines = r["out"].splitlines()
        for want in args.expect_line:
            if want not in lines:
                print("FAIL: duet's output lacks %r\n%s" % (want, r["out"]))
                return 1
        if sha(iso) != before:
            print("FAIL: the medium changed")
            return 1
        print("duet: guest done, %d lines" % len(lines))
        if qemu:
            q = run_vm(qemu, args, extra, append, args.timeout)
            check(q, "qemu")
            a = run_guest.comparable(r["out"])
            b = run_guest.comparable(q["out"], firmware=True)
            if a != b:
                print("FAIL: serial output differs from qemu:")
                print("\n".join(difflib.unified_diff(b, a, "qemu", "duet", lineterm="")))
                return 1
            print("duet and qemu agree: %d lines" % len(a))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
