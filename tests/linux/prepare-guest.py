#!/usr/bin/env python3
"""Prepares a Debian Linux test guest: kernel and initramfs.

    prepare-guest.py --arch amd64|i386 --cache DIR

Downloads (once; cached in DIR/debs) Debian 12's kernel package for the
architecture (linux-image-amd64 / linux-image-686, whatever version the
metapackage points at) and busybox-static, and writes
    DIR/<arch>/vmlinuz      the kernel (bzImage)
    DIR/<arch>/initrd.gz    an initramfs: static busybox, the modules for
                            ata_piix, the SCSI disk and CD-ROM (with their
                            dependencies, in load order), /init and a
                            1 MiB pattern file
    DIR/<arch>/pattern      the pattern, for the runner's disk check
The i386 packages need dpkg's i386 architecture, which this script adds
(apt-get update once).  Nothing is committed: DIR is under the build tree.
Prints the two paths; exit 77 when the packages cannot be fetched here.
"""
import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
META = {"amd64": "linux-image-amd64", "i386": "linux-image-686"}
# What the test needs from the kernel's modules: the PIIX IDE driver and
# the SCSI disk, plus whatever they depend on.
# sr_mod (and cdrom, its dependency): the CD-ROM test (run-linux.py --cdrom).
WANTED = ["ata_piix", "sd_mod", "sr_mod"]
PATTERN_SIZE = 1 << 20

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "duet-linux: init, kernel $(uname -r) $(uname -m)"
for m in $(cat /modules.order); do
    insmod /modules/$m.ko || echo "duet-linux: FAIL insmod $m"
done
i=0
while [ ! -b /dev/sda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b /dev/sda ]; then
    echo "duet-linux: FAIL no /dev/sda"
    reboot -f
fi
echo "duet-linux: sda has $(cat /sys/block/sda/size) sectors"
# "duet.paths" on the command line: one phase per kind of request for
# scripts/compare-io-paths, each bracketed by its number and then 0 written
# to COM1's scratch register (port 0x3ff) through /dev/port, as the
# ide-paths guest does; the console is quiet during a phase.
if grep -q duet.paths /proc/cmdline; then
    mark() { printf "\\00$1" | dd of=/dev/port bs=1 seek=1023 count=1 2>/dev/null; }
    phase() { echo "phase $1 $2"; sleep 0.5; mark $1; }
    phase 3 dma-write
    dd if=/pattern of=/dev/sda bs=65536 seek=1 count=16 oflag=direct 2>/dev/null || w=fail
    mark 0
    phase 4 flush
    dd if=/dev/null of=/dev/sda count=0 conv=notrunc,fsync 2>/dev/null || w=fail
    mark 0
    phase 2 dma-read
    dd if=/dev/sda of=/dev/null bs=65536 skip=1 count=16 iflag=direct 2>/dev/null || w=fail
    mark 0
    phase 5 "status-poll: 8 requests"
    for i in 1 2 3 4 5 6 7 8; do dd if=/dev/port of=/dev/null bs=1 skip=503 count=1 2>/dev/null; done
    mark 0
    echo "duet-linux: paths phases ${w:-done}"
fi
dd if=/pattern of=/dev/sda bs=65536 seek=1 conv=fsync 2>/dev/null || echo "duet-linux: FAIL write"
sync
echo 3 > /proc/sys/vm/drop_caches
dd if=/dev/sda of=/readback bs=65536 skip=1 count=16 2>/dev/null || echo "duet-linux: FAIL read"
echo "duet-linux: md5 $(md5sum /readback | cut -d' ' -f1)"
if cmp -s /pattern /readback; then
    echo "duet-linux: wrote and read back 1 MiB at offset 64 KiB"
    disk_ok=1
else
    echo "duet-linux: FAIL readback differs"
fi
# With duet.cdrom on the command line: the ATAPI CD-ROM as /dev/sr0, its
# ISO 9660 primary volume descriptor (block 16) and a 64 KiB read.
if grep -q duet.cdrom /proc/cmdline; then
    i=0
    while [ ! -b /dev/sr0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if [ -b /dev/sr0 ]; then
        echo "duet-linux: sr0 has $(cat /sys/block/sr0/size) sectors"
        dd if=/dev/sr0 of=/pvd bs=2048 skip=16 count=1 2>/dev/null || echo "duet-linux: FAIL sr0 read"
        echo "duet-linux: sr0 descriptor $(dd if=/pvd bs=1 skip=1 count=5 2>/dev/null) volume $(dd if=/pvd bs=1 skip=40 count=12 2>/dev/null)"
        dd if=/dev/sr0 of=/cdread bs=2048 skip=18 count=32 2>/dev/null || echo "duet-linux: FAIL sr0 read"
        echo "duet-linux: sr0 blocks 18-49 md5 $(md5sum /cdread | cut -d' ' -f1)"
    else
        echo "duet-linux: FAIL no /dev/sr0"
        disk_ok=
    fi
fi
[ -n "$disk_ok" ] && echo "duet-linux: PASS"
# "duet.shell" on the command line: a shell on the console instead of the reboot
if grep -q duet.shell /proc/cmdline; then
    echo "duet-linux: shell (exit or poweroff -f to leave)"
    setsid cttyhack sh
fi
reboot -f
"""


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_arch(arch):
    if arch != "i386":
        return
    r = run(["dpkg", "--print-foreign-architectures"])
    if "i386" in r.stdout.split():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if run(sudo + ["dpkg", "--add-architecture", "i386"]).returncode != 0:
        skip("cannot add dpkg's i386 architecture (root needed)")
    # A mirror in mid-sync fails one index (seen: bookworm-security's i386
    # Packages with the wrong size) while the others arrive; retry once, then
    # go on if the lists we need are there.
    for attempt in range(2):
        if attempt:
            time.sleep(10)
        if run(sudo + ["apt-get", "update", "-qq"]).returncode == 0:
            return
    for pkg in (META["i386"], "busybox-static"):
        if run(["apt-cache", "show", pkg + ":i386"]).returncode != 0:
            skip("apt-get update failed after adding i386, and apt knows no %s:i386" % pkg)


def depends_of(pkg):
    r = run(["apt-cache", "depends", pkg])
    m = re.search(r"Depends: (linux-image-[^\s:]+)", r.stdout)
    return m.group(1) if m else None


def download(pkgs, arch, debs):
    """The .deb of each package for @arch, fetched into @debs unless there."""
    os.makedirs(debs, exist_ok=True)

    def cached(name):
        return sorted(f for f in os.listdir(debs)
                      if f.startswith(name + "_") and f.endswith("_%s.deb" % arch))
    missing = [p for p in pkgs if not cached(p)]
    if missing:
        r = run(["apt-get", "download"] + ["%s:%s" % (p, arch) for p in missing], cwd=debs)
        if r.returncode != 0:
            skip("apt-get download %s failed: %s" % (" ".join(missing),
                                                     r.stderr.strip().splitlines()[-1:]))
    return {p: os.path.join(debs, cached(p)[-1]) for p in pkgs}


def modinfo(data, key):
    m = re.search(rb"\x00" + key.encode() + rb"=([^\x00]*)\x00", data)
    return m.group(1).decode() if m else ""


def module_order(root):
    """Module name -> path for every .ko, and WANTED with dependencies
    first (the .modinfo 'depends' field, read from the files)."""
    paths, deps = {}, {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".ko"):
                p = os.path.join(d, f)
                data = open(p, "rb").read()
                name = modinfo(data, "name") or f[:-3].replace("-", "_")
                paths[name] = p
                deps[name] = [x for x in modinfo(data, "depends").split(",") if x]
    order = []

    def visit(n):
        if n in order:
            return
        if n not in paths:
            raise SystemExit("module %s not in the kernel package" % n)
        for d in deps[n]:
            visit(d.replace("-", "_"))
        order.append(n)
    for w in WANTED:
        visit(w)
    return order, paths


def cpio_newc(entries):
    """entries: (name, mode, data); the 'newc' format (no device files:
    devtmpfs provides them)."""
    out = io.BytesIO()
    ino = 1
    for name, mode, data in entries + [("TRAILER!!!", 0, b"")]:
        nb = name.encode() + b"\0"
        hdr = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0)
        out.write(hdr.encode() + nb)
        out.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))
        ino += 1
    return out.getvalue()


def pattern():
    blocks, seed = [], b"duet-linux-pattern"
    while sum(map(len, blocks)) < PATTERN_SIZE:
        seed = hashlib.sha256(seed).digest()
        blocks.append(seed * 128)
    return b"".join(blocks)[:PATTERN_SIZE]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=sorted(META), required=True)
    ap.add_argument("--cache", required=True)
    args = ap.parse_args()

    out = os.path.join(args.cache, args.arch)
    kernel, initrd = os.path.join(out, "vmlinuz"), os.path.join(out, "initrd.gz")
    # A cache made from another /init or module list is made again (the
    # packages stay cached).
    stamp_path = os.path.join(out, "stamp")
    stamp = hashlib.sha256((INIT + " ".join(WANTED)).encode()).hexdigest()
    if os.path.exists(kernel) and os.path.exists(initrd) and os.path.exists(stamp_path) and \
            open(stamp_path).read() == stamp:
        print(kernel)
        print(initrd)
        return 0
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        skip("apt-get/dpkg-deb not available: not a Debian host")
    ensure_arch(args.arch)
    image = depends_of("%s:%s" % (META[args.arch], args.arch))
    if not image:
        skip("apt-cache knows no %s" % META[args.arch])
    debs = download([image, "busybox-static"], args.arch, os.path.join(args.cache, "debs"))

    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duet-linux-") as tmp:
        for p in debs.values():
            subprocess.run(["dpkg-deb", "-x", p, tmp], check=True)
        vmlinuz = [f for f in os.listdir(os.path.join(tmp, "boot")) if f.startswith("vmlinuz")]
        shutil.copy(os.path.join(tmp, "boot", vmlinuz[0]), kernel + ".tmp")
        order, paths = module_order(os.path.join(tmp, "lib", "modules"))
        busybox = open(os.path.join(tmp, "bin", "busybox"), "rb").read()
        pat = pattern()
        entries = [("bin", 0o40755, b""), ("proc", 0o40755, b""), ("sys", 0o40755, b""),
                   ("dev", 0o40755, b""), ("modules", 0o40755, b""),
                   ("bin/busybox", 0o100755, busybox),
                   ("init", 0o100755, INIT.encode()),
                   ("pattern", 0o100644, pat),
                   ("modules.order", 0o100644, ("\n".join(order) + "\n").encode())]
        entries += [("modules/%s.ko" % m, 0o100644, open(paths[m], "rb").read()) for m in order]
        with gzip.open(initrd + ".tmp", "wb", compresslevel=6) as f:
            f.write(cpio_newc(entries))
        open(os.path.join(out, "pattern"), "wb").write(pat)
    os.replace(kernel + ".tmp", kernel)
    os.replace(initrd + ".tmp", initrd)
    open(stamp_path, "w").write(stamp)
    print(kernel)
    print(initrd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
