#!/usr/bin/env python3
"""qcow2 interop with qemu-img: images made by qemu-img (every cluster size,
compat 0.10/1.1, refcount widths 1..64, backing files, compressed) are read
and written by duet, then must pass `qemu-img check` and match the expected
data by `qemu-img compare`; images made by duet must pass `qemu-img check`.

usage: qcow2_interop.py QCOW2_IO CASE   (CASE: clusters refcounts compat lazy
       backing compressed created zero)
"""
import json
import os
import random
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, QEMU_IO, run, skip_without_qemu  # noqa: E402

IO = None
SIZE = 8 << 20


def make_seed(path, rng):
    """A raw image with random data in scattered places, zeros elsewhere."""
    with open(path, "wb") as f:
        f.truncate(SIZE)
        for _ in range(24):
            off = rng.randrange(0, SIZE - 300000) & ~511
            f.seek(off)
            f.write(rng.randbytes(rng.choice([512, 4096, 70000, 300000])))


# Writes that hit every path: inside a cluster, across clusters, across L2
# tables (small clusters), unaligned head and tail, the last sector.
DUET_WRITES = [(1000, 3000, 11), (65536 - 512, 1024, 12), (2 << 20, 1 << 20, 13),
               (3 * 65536 + 7, 200000, 14), (SIZE - 512, 512, 15), (0, 512, 16),
               (5 << 20, 4096, 17)]


def duet_write_both(img, expected, writes=DUET_WRITES):
    for off, length, seed in writes:
        run([IO, "write", img, off, length, seed])
        run([IO, "write", expected, off, length, seed])


def assert_clean_and_equal(img, expected, fmt="qcow2"):
    p = run([QEMU_IMG, "check", img], check=False)
    assert p.returncode == 0, f"qemu-img check {img}: exit {p.returncode}\n{p.stdout}{p.stderr}"
    run([QEMU_IMG, "compare", "-f", "raw", "-F", fmt, expected, img])
    # duet reads back the same bytes as well
    out = img + ".out.raw"
    run([IO, "export", img, out])
    with open(out, "rb") as a, open(expected, "rb") as b:
        assert a.read() == b.read(), f"duet's view of {img} differs from expected"
    os.unlink(out)


def roundtrip(tmp, opts, rng, tag):
    seed = os.path.join(tmp, f"seed-{tag}.raw")
    img = os.path.join(tmp, f"img-{tag}.qcow2")
    expected = os.path.join(tmp, f"exp-{tag}.raw")
    make_seed(seed, rng)
    run([QEMU_IMG, "convert", "-f", "raw", "-O", "qcow2", "-o", opts, seed, img])
    shutil.copy(seed, expected)
    duet_write_both(img, expected)
    assert_clean_and_equal(img, expected)
    # qemu writes after duet, and duet's check agrees the result is clean
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x5a 4096 131072", img])
    run([QEMU_IO, "-f", "raw", "-c", "write -P 0x5a 4096 131072", expected])
    run([IO, "check", img])
    assert_clean_and_equal(img, expected)
    print(f"ok: {opts}")
    for f in (seed, img, expected):
        os.unlink(f)


def case_clusters(tmp, rng):
    for bits in range(9, 22):
        roundtrip(tmp, f"cluster_size={1 << bits}", rng, f"c{bits}")


def case_refcounts(tmp, rng):
    for cs in (512, 65536):
        for rb in (1, 2, 4, 8, 16, 32, 64):
            roundtrip(tmp, f"cluster_size={cs},refcount_bits={rb}", rng, f"r{cs}-{rb}")


def case_compat(tmp, rng):
    for cs in (4096, 65536):
        roundtrip(tmp, f"compat=0.10,cluster_size={cs}", rng, f"v2-{cs}")
    roundtrip(tmp, "compat=1.1,preallocation=metadata", rng, "prealloc")


def case_lazy(tmp, rng):
    roundtrip(tmp, "lazy_refcounts=on", rng, "lazy")
    img = os.path.join(tmp, "lazy-duet.qcow2")
    run([IO, "create", img, SIZE, "lazy_refcounts=on", "cluster_size=4096"])
    run([IO, "write", img, 100, 50000, 3])
    info = json.loads(run([QEMU_IMG, "info", "--output=json", img]).stdout)
    assert not info.get("dirty-flag"), "dirty bit left set after a clean close"
    assert info["format-specific"]["data"]["lazy-refcounts"] is True
    run([QEMU_IMG, "check", img])
    print("ok: duet lazy refcounts image clean after close")


def case_backing(tmp, rng):
    for base_opts, top_cs in (("cluster_size=65536", 65536), ("cluster_size=4096", 65536),
                              ("cluster_size=65536,compat=0.10", 512)):
        seed = os.path.join(tmp, "bseed.raw")
        base = os.path.join(tmp, "base.qcow2")
        top = os.path.join(tmp, "top.qcow2")
        expected = os.path.join(tmp, "bexp.raw")
        make_seed(seed, rng)
        run([QEMU_IMG, "convert", "-f", "raw", "-O", "qcow2", "-o", base_opts, seed, base])
        # qemu-made overlay, written by duet (COW from the backing file)
        run([QEMU_IMG, "create", "-f", "qcow2", "-o", f"cluster_size={top_cs}",
             "-b", "base.qcow2", "-F", "qcow2", top])
        shutil.copy(seed, expected)
        duet_write_both(top, expected)
        assert_clean_and_equal(top, expected)
        run([QEMU_IMG, "check", base])
        # duet-made overlay with a relative backing name
        os.unlink(top)
        run([IO, "create", top, SIZE, "backing_file=base.qcow2", "backing_fmt=qcow2",
             f"cluster_size={top_cs}"])
        info = json.loads(run([QEMU_IMG, "info", "--output=json", top]).stdout)
        assert info["backing-filename"] == "base.qcow2", info
        assert info.get("backing-filename-format") == "qcow2", info
        shutil.copy(seed, expected)
        duet_write_both(top, expected)
        assert_clean_and_equal(top, expected)
        print(f"ok: backing {base_opts} under cluster_size={top_cs}")
    # A backing file shorter than the overlay reads as zeros past its end.
    short = os.path.join(tmp, "short.qcow2")
    run([QEMU_IMG, "create", "-f", "qcow2", short, "1M"])
    run([QEMU_IO, "-f", "qcow2", "-c", "write -P 0x11 0 1M", short])
    top = os.path.join(tmp, "long.qcow2")
    run([IO, "create", top, SIZE, "backing_file=short.qcow2", "backing_fmt=qcow2"])
    expected = os.path.join(tmp, "long.raw")
    run([QEMU_IMG, "convert", "-O", "raw", short, expected])
    with open(expected, "r+b") as f:
        f.truncate(SIZE)
    duet_write_both(top, expected, [((1 << 20) - 1024, 4096, 5)])
    assert_clean_and_equal(top, expected)
    print("ok: short backing file")


def case_compressed(tmp, rng):
    for cs in (4096, 65536, 2 << 20):
        seed = os.path.join(tmp, "cseed.raw")
        img = os.path.join(tmp, "c.qcow2")
        expected = os.path.join(tmp, "cexp.raw")
        make_seed(seed, rng)
        run([QEMU_IMG, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
             f"cluster_size={cs}", seed, img])
        shutil.copy(seed, expected)
        assert_clean_and_equal(img, expected)           # duet reads qemu's compressed data
        duet_write_both(img, expected)                  # COW from compressed clusters
        assert_clean_and_equal(img, expected)
        # duet's own compressed writes
        os.unlink(img)
        run([IO, "create", img, SIZE, f"cluster_size={cs}"])
        run([IO, "import", seed, img, "-c"])
        p = run([QEMU_IMG, "check", img])
        assert re.search(r"[1-9][0-9.]*% compressed", p.stdout), p.stdout
        assert_clean_and_equal(img, seed)
        print(f"ok: compressed cluster_size={cs}")


def case_created(tmp, rng):
    for opts in (["cluster_size=512"], ["cluster_size=2097152"], ["compat=0.10"],
                 ["refcount_bits=1"], ["refcount_bits=64", "cluster_size=4096"],
                 ["lazy_refcounts=on"], ["preallocation=metadata", "cluster_size=65536"],
                 ["preallocation=metadata", "cluster_size=512"]):
        img = os.path.join(tmp, "new.qcow2")
        run([IO, "create", img, 64 << 20] + opts)
        info = json.loads(run([QEMU_IMG, "info", "--output=json", img]).stdout)
        data = info["format-specific"]["data"]
        for o in opts:
            k, v = o.split("=")
            if k == "cluster_size":
                assert info["cluster-size"] == int(v), info
            elif k == "compat":
                assert data["compat"] == v, info
            elif k == "refcount_bits":
                assert data["refcount-bits"] == int(v), info
            elif k == "lazy_refcounts":
                assert data["lazy-refcounts"] is True, info
        assert info["virtual-size"] == 64 << 20
        run([QEMU_IMG, "check", img])
        run([IO, "write", img, 12345, 3 << 20, 9])
        run([QEMU_IMG, "check", img])
        if "preallocation=metadata" in opts:
            m = json.loads(run([QEMU_IMG, "map", "--output=json", img]).stdout)
            assert all(e["data"] for e in m), "preallocation=metadata left holes in the map"
        os.unlink(img)
        print(f"ok: created with {opts}")
    # a big image: L1 and refcount table growth with small clusters
    img = os.path.join(tmp, "big.qcow2")
    run([IO, "create", img, 4 << 30, "cluster_size=512", "refcount_bits=64"])
    run([IO, "write", img, (3 << 30) + 777, 1 << 20, 4])
    run([IO, "verify", img, (3 << 30) + 777, 1 << 20, 4])
    run([QEMU_IMG, "check", img])
    print("ok: 4G image, 512-byte clusters, 64-bit refcounts")


def case_zero(tmp, rng):
    for opts in ("cluster_size=65536", "cluster_size=4096,compat=0.10"):
        seed = os.path.join(tmp, "zseed.raw")
        img = os.path.join(tmp, "z.qcow2")
        expected = os.path.join(tmp, "zexp.raw")
        with open(seed, "wb") as f:
            f.write(rng.randbytes(SIZE))
        run([QEMU_IMG, "convert", "-f", "raw", "-O", "qcow2", "-o", opts, seed, img])
        shutil.copy(seed, expected)
        for off, length in ((65536, 3 * 65536), (1000, 5000), (SIZE - 70000, 70000)):
            run([IO, "zero", img, off, length])
            run([IO, "zero", expected, off, length])
        for off, length in ((1 << 20, 1 << 20),):
            run([IO, "discard", img, off, length])
            with open(expected, "r+b") as f:
                f.seek(off)
                f.write(bytes(length))
        assert_clean_and_equal(img, expected)
        print(f"ok: zero/discard {opts}")


def main():
    global IO
    skip_without_qemu()
    IO = os.path.abspath(sys.argv[1])
    case = sys.argv[2]
    rng = random.Random(sum(map(ord, case)))
    with tempfile.TemporaryDirectory(prefix="duet-qcow2-") as tmp:
        os.chdir(tmp)
        globals()["case_" + case](tmp, rng)


if __name__ == "__main__":
    main()
