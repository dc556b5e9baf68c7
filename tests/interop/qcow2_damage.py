#!/usr/bin/env python3
"""Deliberately damaged qcow2 images: duet's check must report what
`qemu-img check` reports (same exit code, same corruption and leak counts),
and duet's check -r must repair them to a state qemu-img calls clean.

usage: qcow2_damage.py QCOW2_IO
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import (QEMU_IMG, QEMU_IO, Image, check_counts, run,  # noqa: E402
                      skip_without_qemu)

IO = None


def base_image(path, opts="cluster_size=65536"):
    run([QEMU_IMG, "create", "-f", "qcow2", "-o", opts, path, "16M"])
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x33 0 256k", "-c",
         "write -P 0x44 4M 64k", path])


def data_cluster(img, guest_off):
    return (img.l2_entry(guest_off) & 0x00FFFFFFFFFFFE00) >> img.cluster_bits


# Each damage(img) patches the image in place.
def leaked_cluster(img):
    end = os.path.getsize(img.path)
    end = (end + img.cluster_size - 1) // img.cluster_size * img.cluster_size
    img.write(end, bytes(img.cluster_size))
    img.set_refcount(end // img.cluster_size, 1)


def refcount_too_high(img):
    c = data_cluster(img, 0)
    img.set_refcount(c, 2)


def refcount_too_low(img):
    c = data_cluster(img, 65536)
    img.set_refcount(c, 0)


def refcount_zero_l2_table(img):
    l2 = (img.l1_entry(0) & 0x00FFFFFFFFFFFE00) // img.cluster_size
    img.set_refcount(l2, 0)


def l2_into_metadata(img):
    img.set_l2_entry(131072, img.l1_offset | (1 << 63))


def l2_into_refcount_block(img):
    block = img.u64(img.rt_offset) & ~0x1FF
    img.set_l2_entry(131072, block | (1 << 63))


def unaligned_l2_entry(img):
    e = img.l2_entry(65536)
    img.set_l2_entry(65536, e + 512)


def unaligned_l1_entry(img):
    img.set_u64(img.l1_offset, img.l1_entry(0) + 512)


def oflag_copied_missing(img):
    img.set_l2_entry(0, img.l2_entry(0) & ~(1 << 63))


def refblock_unaligned(img):
    img.set_u64(img.rt_offset, img.u64(img.rt_offset) + 512)


CASES = [leaked_cluster, refcount_too_high, refcount_too_low, refcount_zero_l2_table,
         l2_into_metadata, l2_into_refcount_block, unaligned_l2_entry, unaligned_l1_entry,
         oflag_copied_missing, refblock_unaligned]


def main():
    global IO
    skip_without_qemu()
    IO = os.path.abspath(sys.argv[1])
    failures = 0
    with tempfile.TemporaryDirectory(prefix="duet-qcow2-damage-") as tmp:
        for opts in ("cluster_size=65536", "cluster_size=4096,refcount_bits=8"):
            for damage in CASES:
                name = f"{damage.__name__} [{opts}]"
                orig = os.path.join(tmp, "orig.qcow2")
                base_image(orig, opts)
                damage(Image(orig))
                q = os.path.join(tmp, "q.qcow2")
                d = os.path.join(tmp, "d.qcow2")
                shutil.copy(orig, q)
                shutil.copy(orig, d)
                pq = run([QEMU_IMG, "check", q], check=False)
                pd = run([IO, "check", d], check=False)
                cq, cd = check_counts(pq.stdout), check_counts(pd.stdout)
                same = pq.returncode == pd.returncode and cq == cd
                print(f"{'ok' if same else 'MISMATCH'}: {name}: qemu-img exit {pq.returncode} "
                      f"{cq}, duet exit {pd.returncode} {cd}")
                if not same:
                    print("  qemu-img:", pq.stderr.strip().replace("\n", "\n    "))
                    print("  duet:    ", pd.stderr.strip().replace("\n", "\n    "))
                    failures += 1
                # repair: -r leaks when that is all qemu-img says it takes, else -r all
                mode = "leaks" if pq.returncode == 3 else "all"
                pr = run([IO, "check", d, mode], check=False)
                after = run([QEMU_IMG, "check", d], check=False)
                if after.returncode != 0:
                    print(f"NOT REPAIRED: {name} (-r {mode}): duet said exit {pr.returncode}"
                          f"\n{pr.stdout}{pr.stderr}\nqemu-img now:\n{after.stdout}"
                          f"{after.stderr}")
                    failures += 1
                else:
                    print(f"ok: {name}: duet check -r {mode} -> qemu-img clean")
                # the repaired image is usable: read everything, write some more
                run([IO, "readall", d])
                run([IO, "write", d, 70000, 200000, 1])
                run([QEMU_IMG, "check", d])
    if failures:
        print(f"{failures} failures")
        sys.exit(1)


if __name__ == "__main__":
    main()
