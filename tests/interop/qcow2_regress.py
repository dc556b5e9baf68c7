#!/usr/bin/env python3
"""Hostile qcow2 headers and tables: each must give a clear error (or a
failed request), never a crash, hang or memory blow-up.

usage: qcow2_regress.py QCOW2_IO
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, QEMU_IO, Image, run, skip_without_qemu  # noqa: E402

IO = None


def patch(off, fmt, value):
    return lambda img: img.write(off, struct.pack(fmt, value))


def set_incompat(bit):
    return lambda img: img.set_u64(72, img.u64(72) | (1 << bit))


def compressed_outside(img):
    # x = 62 - (cluster_bits - 8); point one compressed descriptor past EOF
    x = 62 - (img.cluster_bits - 8)
    img.set_l2_entry(0, (1 << 62) | ((1 << 40) & ((1 << x) - 1)) | (3 << x))


def compressed_garbage(img):
    x = 62 - (img.cluster_bits - 8)
    data = img.l2_entry(65536) & 0x00FFFFFFFFFFFE00
    img.set_l2_entry(0, (1 << 62) | data | (7 << x))


def l1_overlaps_refcount_table(img):
    img.set_u64(40, img.rt_offset)


def snapshot_l1_huge(img):
    # one snapshot entry at the end of the file with an absurd L1 size
    end = (os.path.getsize(img.path) + 65535) // 65536 * 65536
    entry = struct.pack(">QIHHIIQII", 0x30000, 0x7fffffff, 1, 1, 0, 0, 0, 0, 0) + b"11"
    img.write(end, entry + bytes(8 - len(entry) % 8))
    img.set_u32(60, 1)
    img.set_u64(64, end)


def backing_loop(tmp, img_path):
    b = os.path.join(tmp, "loop-b.qcow2")
    run([QEMU_IMG, "create", "-f", "qcow2", "-b", os.path.basename(img_path), "-F", "qcow2",
         b])
    run([QEMU_IMG, "rebase", "-u", "-b", "loop-b.qcow2", "-F", "qcow2", img_path])


def backing_self(tmp, img_path):
    run([QEMU_IMG, "rebase", "-u", "-b", os.path.basename(img_path), "-F", "qcow2", img_path])


# (name, damage(img), command, expected substring in stderr)
HEADER_CASES = [
    ("l1_size huge", patch(36, ">I", 0x7fffffff), "open", "L1 table too large"),
    ("l1_size past EOF", patch(36, ">I", 0x100000), "open", "past the end"),
    ("l1 offset overflow", patch(40, ">Q", 0xfffffffffff0000), "open", "past the end"),
    ("l1 offset unaligned", patch(40, ">Q", 0x30200), "open", "not cluster aligned"),
    ("l1 over header", patch(40, ">Q", 0), "open", "overlaps the image header"),
    ("l1 overlaps refcount table", l1_overlaps_refcount_table, "open", "overlaps"),
    ("refcount_table_clusters huge", patch(56, ">I", 0xffffffff), "open", "too large"),
    ("refcount_table_clusters zero", patch(56, ">I", 0), "open", "reference count table"),
    ("refcount table past EOF", patch(56, ">I", 100), "open", "past the end"),
    ("refcount table unaligned", patch(48, ">Q", 0x10008), "open", "not cluster aligned"),
    ("nb_snapshots huge", patch(60, ">I", 0xffffffff), "open", "Too many snapshots"),
    ("snapshot table over L1", lambda i: (i.set_u32(60, 1000), i.set_u64(64, 0x30000)),
     "open", "snapshot"),
    ("snapshot table past EOF", lambda i: (i.set_u32(60, 1000), i.set_u64(64, 0x10000000)),
     "open", "past the end"),
    ("snapshot L1 huge", snapshot_l1_huge, "open", "too large"),
    ("backing name length huge", lambda i: (i.set_u64(8, 0x200), i.set_u32(16, 0xffffffff)),
     "open", "Backing file name too long"),
    ("backing name past cluster", lambda i: (i.set_u64(8, 0xfff0), i.set_u32(16, 1000)),
     "open", "too long"),
    ("cluster_bits 8", patch(20, ">I", 8), "open", "cluster size"),
    ("cluster_bits 22", patch(20, ">I", 22), "open", "cluster size"),
    ("cluster_bits huge", patch(20, ">I", 0xffffffff), "open", "cluster size"),
    ("refcount_order 7", patch(96, ">I", 7), "open", "may not exceed 64 bits"),
    ("header_length tiny", patch(100, ">I", 48), "open", "header length"),
    ("header_length huge", patch(100, ">I", 0x7ffffff8), "open", "exceeds cluster size"),
    ("extension length huge", patch(0x74, ">I", 0xfffffff0), "open", "extension"),
    ("virtual size huge", patch(24, ">Q", 1 << 62), "open", "virtual disk size"),
    ("version 4", patch(4, ">I", 4), "open", "version"),
    ("external data file", set_incompat(2), "open", "external data file"),
    ("compression type bit", set_incompat(3), "open", "compression type"),
    ("extended L2", set_incompat(4), "open", "extended L2"),
    ("unknown incompatible bit", set_incompat(20), "open", "Unknown incompatible feature"),
    ("encryption", patch(32, ">I", 1), "open", "encryption"),
    ("corrupt bit, read-write", set_incompat(1), "open-rw", "corrupt"),
    ("compressed descriptor past EOF", compressed_outside, "readall", ""),
    ("compressed garbage", compressed_garbage, "readall", ""),
]


def run_case(tmp, name, damage, cmd, want):
    img = os.path.join(tmp, "r.qcow2")
    run([QEMU_IMG, "create", "-f", "qcow2", img, "16M"])
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x55 0 256k", img])
    if damage.__code__.co_argcount == 2:
        damage(tmp, img)
    else:
        damage(Image(img))
    args = {"open": ["open", img], "open-rw": ["open", img, "rw"],
            "readall": ["readall", img]}[cmd]
    try:
        p = subprocess.run([IO] + args, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return f"{name}: HANG"
    if p.returncode < 0 or p.returncode > 2:
        return f"{name}: crashed (exit {p.returncode})\n{p.stderr}"
    if p.returncode != 1:
        return f"{name}: expected a failure, got exit {p.returncode}"
    if want.lower() not in p.stderr.lower():
        return f"{name}: message lacks '{want}': {p.stderr.strip()}"
    print(f"ok: {name}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
    return None


def main():
    global IO
    skip_without_qemu()
    IO = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory(prefix="duet-qcow2-regress-") as tmp:
        os.chdir(tmp)
        for name, damage, cmd, want in HEADER_CASES:
            err = run_case(tmp, name, damage, cmd, want)
            if err:
                failures.append(err)
        for name, damage in (("backing loop a->b->a", backing_loop),
                             ("backing loop a->a", backing_self)):
            err = run_case(tmp, name, damage, "open", "loop")
            if err:
                failures.append(err)
        # Found by libFuzzer: an L1 entry with only the COPIED flag set.
        img = os.path.join(tmp, "l1copied.qcow2")
        run([QEMU_IMG, "create", "-f", "qcow2", img, "1M"])
        Image(img).set_u64(Image(img).l1_offset, 1 << 63)
        run([IO, "write", img, 4096, 4096, 3])
        run([IO, "verify", img, 4096, 4096, 3])
        print("ok: L1 entry with COPIED and no offset")
        # The corrupt bit still allows read-only use.
        img = os.path.join(tmp, "ro.qcow2")
        run([QEMU_IMG, "create", "-f", "qcow2", img, "1M"])
        set_incompat(1)(Image(img))
        run([IO, "readall", img])
        print("ok: corrupt image opens read-only")
        # Refcount overflow at the width's maximum: 1-bit refcounts cannot
        # share a host cluster between compressed clusters; duet must not wrap.
        seed = os.path.join(tmp, "seed.raw")
        with open(seed, "wb") as f:
            f.write(b"duet" * (2 << 20))
        img = os.path.join(tmp, "rb1.qcow2")
        run([IO, "create", img, 8 << 20, "refcount_bits=1", "cluster_size=4096"])
        run([IO, "import", seed, img, "-c"])
        run([QEMU_IMG, "check", img])
        run([QEMU_IMG, "compare", "-f", "raw", seed, img])
        print("ok: 1-bit refcounts with compressed clusters")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
