#!/usr/bin/env python3
"""duet-img bench writes, checked against qemu-img: the fast paths of the
block layer (inline page-cache writes, native AIO under cache=none, qcow2
allocating writes with the lock dropped and zero COW skipped) must leave
the same guest data as qemu-img does, in a clean image.

Each case writes a pattern with duet-img bench at queue depth 64 into an
image that already has some data (so fresh clusters, partly written
clusters and rewrites all occur, with overlapping allocations in flight),
then qemu-img check must find nothing and qemu-img compare must find the
same contents as qemu-img writing the same pattern into the same start.

usage: bench_verify.py DUET_IMG
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, run, skip_without_qemu  # noqa: E402

CASES = [
    # format, cache, request size, step, count; "qcow2+backing": over a raw
    # backing file full of data, so partial clusters copy real data
    ("qcow2", "writeback", "4K", "4K", 3000),
    ("qcow2", "none", "4K", "4K", 3000),
    ("qcow2", "none", "4K", "24K", 1500),   # partial clusters, holes between
    ("qcow2", "none", "64K", "64K", 300),
    ("qcow2", "writeback", "12K", "20K", 1000),
    ("qcow2+backing", "none", "4K", "24K", 1500),
    ("qcow2+backing", "writeback", "8K", "12K", 1500),
    ("raw", "none", "4K", "12K", 2000),
    ("raw", "writeback", "4K", "8K", 2000),
]


def prepare(tool, fmt, path):
    if fmt == "qcow2+backing":
        base = path + ".base"
        run([QEMU_IMG, "create", "-q", "-f", "raw", base, "64M"])
        run([QEMU_IMG, "bench", "-q", "-w", "-f", "raw", "-s", "1M", "-c", "64",
             "--pattern", "60", "-t", "writeback", base])
        run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", path])
        fmt = "qcow2"
    else:
        run([QEMU_IMG, "create", "-q", "-f", fmt, path, "64M"])
    # Some existing data, at 1 MiB steps, so that later writes meet
    # allocated clusters too.
    run([tool, "bench", "-q", "-w", "-f", fmt, "-s", "64K", "-S", "1M", "-c", "40",
         "--pattern", "165", "-t", "writeback", path])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    skip_without_qemu()
    duet = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="duet-bench-verify-") as d:
        for kind, cache, size, step, count in CASES:
            fmt = kind.split("+")[0]
            mine, ref = os.path.join(d, "duet.img"), os.path.join(d, "qemu.img")
            for tool, path in ((duet, mine), (QEMU_IMG, ref)):
                prepare(tool, kind, path)
                run([tool, "bench", "-q", "-w", "-f", fmt, "-s", size, "-S", step,
                     "-c", str(count), "-d", "64", "-t", cache, "--pattern", "90", path])
            if fmt == "qcow2":
                run([QEMU_IMG, "check", "-q", mine])
            run([QEMU_IMG, "compare", "-q", "-f", fmt, "-F", fmt, mine, ref])
            print(f"ok: {kind} cache={cache} size={size} step={step} count={count}")


if __name__ == "__main__":
    main()
