"""Small helpers for the qcow2 tests: read and patch qcow2 metadata in place
(to build damaged images), and run qemu-img / qcow2-io."""
import os
import re
import shutil
import struct
import subprocess
import sys

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")


def skip_without_qemu():
    if not QEMU_IMG or not QEMU_IO:
        print("SKIP: qemu-img/qemu-io not installed (they are the test oracle)")
        sys.exit(77)


def run(args, check=True, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


class Image:
    """Direct access to a qcow2 file's header, L1/L2 tables and refcounts."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            h = f.read(112)
        (magic, self.version, self.backing_offset, self.backing_size, self.cluster_bits,
         self.size, _crypt, self.l1_size, self.l1_offset, self.rt_offset,
         self.rt_clusters, self.nb_snapshots, self.snapshots_offset) = \
            struct.unpack(">IIQIIQIIQQIIQ", h[:72])
        assert magic == 0x514649FB
        self.refcount_order = struct.unpack(">I", h[96:100])[0] if self.version >= 3 else 4
        self.cluster_size = 1 << self.cluster_bits

    def read(self, off, n):
        with open(self.path, "rb") as f:
            f.seek(off)
            return f.read(n)

    def write(self, off, data):
        with open(self.path, "r+b") as f:
            f.seek(off)
            f.write(data)

    def u64(self, off):
        return struct.unpack(">Q", self.read(off, 8))[0]

    def set_u64(self, off, v):
        self.write(off, struct.pack(">Q", v))

    def set_u32(self, off, v):
        self.write(off, struct.pack(">I", v))

    def l1_entry(self, i):
        return self.u64(self.l1_offset + 8 * i)

    def l2_entry_addr(self, guest_off):
        l2_bits = self.cluster_bits - 3
        l1_index = guest_off >> (l2_bits + self.cluster_bits)
        l2_off = self.l1_entry(l1_index) & 0x00FFFFFFFFFFFE00
        assert l2_off, "no L2 table"
        return l2_off + 8 * ((guest_off >> self.cluster_bits) & ((1 << l2_bits) - 1))

    def l2_entry(self, guest_off):
        return self.u64(self.l2_entry_addr(guest_off))

    def set_l2_entry(self, guest_off, v):
        self.set_u64(self.l2_entry_addr(guest_off), v)

    def _refcount_pos(self, cluster):
        bits = 1 << self.refcount_order
        per_block = self.cluster_size * 8 // bits
        block = self.u64(self.rt_offset + 8 * (cluster // per_block)) & ~0x1FF
        assert block, "no refcount block"
        return block, (cluster % per_block) * bits, bits

    def refcount(self, cluster):
        block, bit, bits = self._refcount_pos(cluster)
        if bits >= 8:
            return int.from_bytes(self.read(block + bit // 8, bits // 8), "big")
        byte = self.read(block + bit // 8, 1)[0]
        return (byte >> (bit % 8)) & ((1 << bits) - 1)

    def set_refcount(self, cluster, v):
        block, bit, bits = self._refcount_pos(cluster)
        if bits >= 8:
            self.write(block + bit // 8, v.to_bytes(bits // 8, "big"))
            return
        byte = self.read(block + bit // 8, 1)[0]
        mask = ((1 << bits) - 1) << (bit % 8)
        self.write(block + bit // 8, bytes([(byte & ~mask) | (v << (bit % 8))]))


def check_counts(out):
    """(corruptions, leaks) from qemu-img check / qcow2-io check text output."""
    c = re.search(r"(\d+) errors were found", out)
    lk = re.search(r"(\d+) leaked clusters were found", out)
    return (int(c.group(1)) if c else 0, int(lk.group(1)) if lk else 0)
