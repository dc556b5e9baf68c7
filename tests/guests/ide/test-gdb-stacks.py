#!/usr/bin/env python3
"""Runs duet under gdb (batch mode) while the ide-paths guest flushes, reads
and writes, stops at blk_aio_prwv or qcow2_pre_write_overlap_check, and
checks that the backtrace shows the documented frames in order, innermost
first (docs/io-paths.md).  A frame missing here usually means the compiler
inlined it: mark that function noinline rather than loosening the list.

    test-gdb-stacks.py --duet BIN --kernel ide-paths.elf
Exit status: 0 pass, 1 fail, 77 skipped (why printed).
"""
import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("run_guest",
                                               os.path.join(HERE, "..", "run-guest.py"))
run_guest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_guest)

ANY = "..."  # any number of frames, none included

FLUSH = ["blk_aio_prwv", "blk_aio_flush", "ide_flush_cache", "cmd_flush_cache", "ide_exec_cmd",
         "ide_ioport_write", "portio_write", "memory_region_write_accessor",
         "access_with_adjusted_size", "memory_region_dispatch_write"]
DMA_READ = ["blk_aio_prwv", "blk_aio_preadv", "dma_blk_read_io_func", "dma_blk_cb", "dma_blk_io",
            "dma_blk_read", "ide_dma_cb", "bmdma_cmd_writeb", "bmdma_write",
            "memory_region_write_accessor", "access_with_adjusted_size",
            "memory_region_dispatch_write"]
# A guest OUT, as each accelerator delivers it, down to the thread's start
# (QEMU's frames: the memory API's byte-buffer path under kvm, the sized
# store under tcg; below qemu_thread_start only GLib and libc).
KVM_OUT = ["flatview_write_continue", "flatview_write", "address_space_write",
           "address_space_rw", "kvm_handle_io", "kvm_cpu_exec", "kvm_vcpu_thread_fn",
           "qemu_thread_start"]
# Between helper_outb and cpu_tb_exec: the instruction handler (op_out_*).
TCG_OUTB = ["address_space_stb", "helper_outb", ANY, "cpu_tb_exec", "cpu_loop_exec_tb",
            "cpu_exec", "tcg_cpus_exec", ("mttcg_cpu_thread_fn", "rr_cpu_thread_fn"),
            "qemu_thread_start"]
# A rewrite of an allocated cluster, inside the request's coroutine.
WRITE = ["qcow2_pre_write_overlap_check", "qcow2_co_pwritev_part", "bdrv_driver_pwritev",
         "bdrv_aligned_pwritev", "bdrv_co_pwritev_part", "blk_co_pwritev_part", "blk_co_pwritev",
         "blk_aio_write_entry", "coroutine_trampoline"]

# name, accelerator, guest phases, breakpoint, expected frames
CASES = [
    ("kvm flush", "kvm", "flush", "blk_aio_prwv", FLUSH + KVM_OUT),
    ("tcg flush", "tcg", "flush", "blk_aio_prwv", FLUSH + TCG_OUTB),
    ("kvm dma read", "kvm", "dma-read", "blk_aio_prwv", DMA_READ + KVM_OUT),
    ("tcg dma read", "tcg", "dma-read", "blk_aio_prwv", DMA_READ + TCG_OUTB),
    # The first write to a cluster allocates it (another path); the
    # condition picks the data write's own overlap check.
    ("kvm write", "kvm", "dma-write",
     'qcow2_pre_write_overlap_check if $_caller_is("qcow2_co_pwritev_part")', WRITE),
    ("tcg write", "tcg", "dma-write",
     'qcow2_pre_write_overlap_check if $_caller_is("qcow2_co_pwritev_part")', WRITE),
]
FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(")


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(77)


def matches(frames, expected):
    """True when expected (with ANY gaps; a tuple: any one of its names) is
    a prefix pattern of frames."""
    def rec(i, j):
        if j == len(expected):
            return True
        if expected[j] == ANY:
            return any(rec(k, j + 1) for k in range(i, len(frames) + 1))
        want = expected[j] if isinstance(expected[j], tuple) else (expected[j],)
        return i < len(frames) and frames[i] in want and rec(i + 1, j + 1)
    return rec(0, 0)


def accel_usable(duet, accel):
    return run_guest.duet_accel_usable(duet, accel) is None


def make_disk(duet, path):
    qemu_img = shutil.which("qemu-img")
    if qemu_img:
        cmd = [qemu_img, "create", "-q", "-f", "qcow2", path, "64M"]
    else:
        cmd = [os.path.join(os.path.dirname(duet), "duet-img"), "create", "-f", "qcow2", path,
               "64M"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def backtrace(gdb, duet, kernel, accel, phases, bp, disk):
    cmd = [gdb, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
           "-ex", "handle SIGUSR1 SIGUSR2 SIGPIPE nostop noprint pass",
           "-ex", "break " + bp, "-ex", "run", "-ex", "bt", "-ex", "kill",
           "--args", duet, "-accel", accel, "-kernel", kernel, "-append", phases,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot",
           "-drive", "file=%s,format=qcow2,if=ide,index=0" % disk]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
    out = r.stdout + r.stderr
    if "ptrace: Operation not permitted" in out:
        skip("gdb cannot ptrace here")
    frames = [m.group(2) for m in map(FRAME.match, r.stdout.splitlines()) if m]
    return frames, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--kernel", required=True)
    args = ap.parse_args()

    gdb = shutil.which("gdb")
    if not gdb:
        skip("gdb is not installed")
    if not os.path.exists(args.kernel):
        skip("guest %s was not built" % args.kernel)
    usable = {a: accel_usable(args.duet, a) for a in ("kvm", "tcg")}
    if not any(usable.values()):
        skip("neither kvm nor tcg is usable here")

    ran = failed = 0
    with tempfile.TemporaryDirectory(prefix="duet-gdb-") as tmp:
        for name, accel, phases, bp, expected in CASES:
            if not usable[accel]:
                print("skip %s: accelerator %s not usable here" % (name, accel))
                continue
            disk = os.path.join(tmp, name.replace(" ", "-") + ".qcow2")
            make_disk(args.duet, disk)
            frames, out = backtrace(gdb, args.duet, args.kernel, accel, phases, bp, disk)
            ran += 1
            if matches(frames, expected):
                print("ok %s: %s" % (name, " <- ".join(frames[:len(expected) + 2])))
                continue
            failed += 1
            print("FAIL %s: frames do not match\n  expected: %s\n  got:      %s"
                  % (name, " <- ".join("|".join(e) if isinstance(e, tuple) else e
                                       for e in expected), " <- ".join(frames)))
            if not frames:
                print("--- gdb output:\n" + out[-3000:])
    if failed:
        return 1
    print("PASS: %d backtraces as documented" % ran)
    return 0


if __name__ == "__main__":
    sys.exit(main())
