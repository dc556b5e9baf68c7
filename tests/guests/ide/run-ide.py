#!/usr/bin/env python3
"""Runs an IDE test guest against a fresh qcow2 disk and checks the disk.

    run-ide.py --duet BIN --accel kvm|tcg --kernel G.elf [--qemu QEMU] [checks]

1. `qemu-img create -f qcow2` makes an empty disk (--size, default 130G so
   that LBA48 addresses past 2^28 sectors exist);
2. duet runs the guest with -drive file=D,format=qcow2,if=ide,index=0
   (plus --drive-opts); the guest must exit with status 99 and print no FAIL;
3. `qemu-img check` must find the image clean;
4. the disk, converted to raw, must hold exactly what the guest's
   "wrote lba=L n=N tag=T" lines say (the pattern of ata.h) and zeroes
   everywhere else;
5. with --qemu, qemu-system-x86_64 -accel tcg runs the same guest on its own
   fresh disk: the serial output (without '~' lines and firmware chatter)
   and the disk contents (`qemu-img compare`) must be the same.
Exit status: 0 pass, 1 fail, 77 skipped (with the reason printed).
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
SKIP = 77
GUEST_PASS_STATUS = 99
SECTOR = 512

spec = importlib.util.spec_from_file_location("run_guest", os.path.join(HERE, "..", "run-guest.py"))
run_guest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_guest)

WROTE = re.compile(r"^wrote lba=(\d+) n=(\d+) tag=(\d+)$")


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def fail(reason, run=None):
    print("FAIL: " + reason)
    if run is not None:
        print("--- command: " + " ".join(run["cmd"]))
        print("--- exit status: %s" % run["status"])
        print("--- serial output:\n" + run["out"])
        print("--- stderr (last 40 lines):\n" + "\n".join(run["err"].splitlines()[-40:]))
    sys.exit(1)


def pattern_sector(lba, tag):
    """ata.h: word k = lba*0x01000193 + k*0x9e3779b9 + tag*0x7f4a7c15 mod 2^32."""
    base = ((lba & 0xffffffff) * 0x01000193 + tag * 0x7f4a7c15) & 0xffffffff
    words = [(base + k * 0x9e3779b9) & 0xffffffff for k in range(128)]
    return b"".join(w.to_bytes(4, "little") for w in words)


def expected_sectors(serial):
    """The disk the guest says it wrote: later writes replace earlier ones."""
    want = {}
    for line in serial.splitlines():
        m = WROTE.match(line.strip())
        if m:
            lba, n, tag = (int(x) for x in m.groups())
            for s in range(lba, lba + n):
                want[s] = tag
    return want


def data_extents(fd, size):
    off = 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            return
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, end
        off = end


def check_disk_contents(qemu_img, image, serial, tmp):
    """Converts to (sparse) raw and compares every allocated byte."""
    want = expected_sectors(serial)
    if not want:
        fail("the guest reported no writes")
    raw = os.path.join(tmp, "disk.raw")
    subprocess.run([qemu_img, "convert", "-O", "raw", image, raw], check=True)
    fd = os.open(raw, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        seen = set()
        zero = bytes(SECTOR)
        for start, end in data_extents(fd, size):
            for s in range(start // SECTOR, (end + SECTOR - 1) // SECTOR):
                got = os.pread(fd, SECTOR, s * SECTOR)
                if s in want:
                    seen.add(s)
                    if got != pattern_sector(s, want[s]):
                        fail("sector %d does not hold pattern tag %d" % (s, want[s]))
                elif got != zero:
                    fail("sector %d was never written but is not zero" % s)
        for s in set(want) - seen:
            if os.pread(fd, SECTOR, s * SECTOR) != pattern_sector(s, want[s]):
                fail("sector %d does not hold pattern tag %d" % (s, want[s]))
    finally:
        os.close(fd)
        os.unlink(raw)
    print("disk: %d sectors hold the expected pattern, the rest is zero" % len(want))


def qemu_img_check(qemu_img, image, who):
    r = subprocess.run([qemu_img, "check", image], capture_output=True, text=True)
    if r.returncode != 0:
        fail("qemu-img check of the disk %s wrote: exit %d\n%s%s"
             % (who, r.returncode, r.stdout, r.stderr))
    print("qemu-img check (%s): clean" % who)


def run_vm(binary, accel, args, image, timeout):
    cmd = [binary, "-accel", accel, "-kernel", args.kernel,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot",
           "-drive", "file=%s,format=qcow2,if=ide,index=0" % image
           + ("," + args.drive_opts if args.drive_opts else "")]
    if args.append is not None:
        cmd += ["-append", args.append]
    try:
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        fail("timed out after %d s" % timeout,
             {"cmd": cmd, "status": "timeout", "out": out, "err": ""})
    return {"cmd": cmd, "status": res.returncode,
            "out": res.stdout.decode("utf-8", "replace").replace("\r\n", "\n"),
            "err": res.stderr.decode("utf-8", "replace")}


def check_run(args, r):
    if r["status"] != GUEST_PASS_STATUS:
        fail("exit status %s, expected %d" % (r["status"], GUEST_PASS_STATUS), r)
    if "FAIL" in r["out"]:
        fail("the guest reported a failure", r)
    lines = r["out"].splitlines()
    for want in args.expect_line:
        if want not in lines:
            fail("serial output lacks the line %r" % want, r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--accel", default="kvm")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--append")
    ap.add_argument("--size", default="130G")
    ap.add_argument("--expect-line", action="append", default=[],
                    help="a line duet's run must print (not checked for QEMU)")
    ap.add_argument("--qemu", help="also run this qemu-system-x86_64 (-accel tcg)")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--drive-opts",
                    help="more -drive keys, e.g. block node options: l2-cache-size=64k")
    args = ap.parse_args()

    if not os.path.exists(args.kernel):
        skip("guest %s was not built (no gcc -m32 / ld -m elf_i386?)" % args.kernel)
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        skip("qemu-img is not installed (needed to make and check the qcow2 disk)")
    why = run_guest.duet_accel_usable(args.duet, args.accel)
    if why:
        skip("accelerator %s not usable here: %s" % (args.accel, why))
    qemu = None
    if args.qemu:
        qemu = shutil.which(args.qemu)
        if not qemu:
            skip("%s is not installed" % args.qemu)

    with tempfile.TemporaryDirectory(prefix="duet-ide-") as tmp:
        disk = os.path.join(tmp, "duet.qcow2")
        subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", disk, args.size], check=True)
        r = run_vm(args.duet, args.accel, args, disk, args.timeout)
        check_run(args, r)
        print("duet (%s): guest passed" % args.accel)
        qemu_img_check(qemu_img, disk, "duet")
        check_disk_contents(qemu_img, disk, r["out"], tmp)
        if not qemu:
            print("PASS")
            return 0

        qdisk = os.path.join(tmp, "qemu.qcow2")
        subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", qdisk, args.size], check=True)
        q = run_vm(qemu, "tcg", args, qdisk, args.timeout)
        if q["status"] != r["status"]:
            fail("duet exited %s, qemu %s" % (r["status"], q["status"]), q)
        a = run_guest.comparable(r["out"])
        b = run_guest.comparable(q["out"], firmware=True)
        if a != b:
            import difflib
            diff = "\n".join(difflib.unified_diff(b, a, "qemu", "duet", lineterm=""))
            fail("serial output differs from qemu:\n" + diff, r)
        qemu_img_check(qemu_img, qdisk, "qemu")
        cmp = subprocess.run([qemu_img, "compare", disk, qdisk], capture_output=True, text=True)
        if cmp.returncode != 0:
            fail("the disks differ (qemu-img compare: %s)" % cmp.stdout.strip())
        print("PASS: duet (%s) and qemu (tcg) agree: %d serial lines, identical disks"
              % (args.accel, len(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
