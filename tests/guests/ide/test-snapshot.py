#!/usr/bin/env python3
"""-snapshot and -drive snapshot=on: the guest's writes go to a temporary
overlay, the image stays byte-identical.

    test-snapshot.py --duet BIN --kernel ide-snapshot.elf --format raw|qcow2
                     --how flag|drive|off [--qemu QEMU]

1. An 8 MiB image (raw, or converted to qcow2 with qemu-img) holds ata.h's
   pattern with tag 1 in every sector.
2. The guest (ide-snapshot.c) checks that, writes tag 2 over scattered runs
   by PIO and DMA and reads everything back; duet runs it with -snapshot
   (--how flag), with -drive ...,snapshot=on (drive), or with -snapshot and
   an explicit snapshot=off (off: the writes must reach the image, as in
   QEMU).  The image's SHA-256 must be the same afterwards (except for
   off), and nothing may be left in $TMPDIR.
3. A second run stops after the writes: while it runs the overlay is an
   unlinked vl.XXXXXX in $TMPDIR among duet's open files, `qemu-img info`
   and `qemu-io -r` can read the image and `qemu-io` cannot open it for
   writing ('Failed to get "write" lock'), as with qemu-system-x86_64 7.2
   (with --qemu the same checks run against it and must agree); the image
   itself holds the lock bytes of a read-only backing file: 100
   (consistent read) and 201, 203 (no one else may write or resize).
Exit: 0 pass, 1 fail, 77 skipped.
"""
import argparse
import hashlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
GUEST_PASS_STATUS = 99
SECTOR = 512
SECTORS = 16384


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def pattern_sector(lba, tag):
    base = ((lba & 0xffffffff) * 0x01000193 + tag * 0x7f4a7c15) & 0xffffffff
    return b"".join(((base + k * 0x9e3779b9) & 0xffffffff).to_bytes(4, "little")
                    for k in range(128))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def vm_cmd(binary, args, image, halt):
    drive = "file=%s,format=%s,if=ide,index=0" % (image, args.format)
    if args.drive_opts:
        drive += "," + args.drive_opts
    cmd = [binary, "-accel", "tcg", "-kernel", args.kernel,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot"]
    if halt:
        cmd += ["-append", args.kernel + " halt"]
    if args.how == "flag":
        cmd += ["-snapshot", "-drive", drive]
    elif args.how == "drive":
        cmd += ["-drive", drive + ",snapshot=on"]
    else:
        cmd += ["-snapshot", "-drive", drive + ",snapshot=off"]
    return cmd


def run_once(binary, args, image, env):
    cmd = vm_cmd(binary, args, image, False)
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, env=env)
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != GUEST_PASS_STATUS or "ide-snapshot: PASS" not in out:
        fail("%s: exit %d\n%s\n%s" % (" ".join(cmd), r.returncode, out,
                                      r.stderr.decode("utf-8", "replace")[-2000:]))


def image_locks(path):
    """The OFD lock bytes held on path (/proc/locks: MAJ:MIN:INODE START END)."""
    st = os.stat(path)
    key = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    held = []
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if "OFDLCK" in parts and key in parts:
                i = parts.index(key)
                held += list(range(int(parts[i + 1]), int(parts[i + 2]) + 1))
    # Which bytes are held, not on how many fds: QEMU was once seen with
    # two fds holding the same bytes for a moment (a reopen).
    return sorted(set(held))


def lock_checks(binary, args, image, env, tmpdir, tools):
    """What other users may do while the VM runs; returns the outcomes."""
    cmd = vm_cmd(binary, args, image, True)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    out = b""
    deadline = time.time() + 90
    try:
        while b"ide-snapshot: halted" not in out:
            if time.time() > deadline or p.poll() is not None:
                fail("%s did not reach the halt: %s" % (" ".join(cmd), out.decode("utf-8", "replace")))
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if ready:
                out += os.read(p.stdout.fileno(), 4096)
        fds = []
        for fd in os.listdir("/proc/%d/fd" % p.pid):
            try:
                fds.append(os.readlink("/proc/%d/fd/%s" % (p.pid, fd)))
            except OSError:
                pass
        overlay = [f for f in fds if f.startswith(os.path.join(tmpdir, "vl.")) and
                   f.endswith("(deleted)")]
        res = {
            "overlay open and unlinked": bool(overlay) if args.how != "off" else None,
            "left in TMPDIR": sorted(os.listdir(tmpdir)),
        }
        res["image lock bytes"] = image_locks(image)
        info = subprocess.run([tools["qemu-img"], "info", image], capture_output=True, text=True)
        res["qemu-img info"] = info.returncode
        rd = subprocess.run([tools["qemu-io"], "-r", "-f", args.format, "-c", "read 0 512", image],
                            capture_output=True, text=True)
        res["qemu-io -r read"] = rd.returncode
        wr = subprocess.run([tools["qemu-io"], "-f", args.format, "-c", "write 0 512", image],
                            capture_output=True, text=True)
        res["qemu-io write"] = (wr.returncode,
                                'Failed to get "write" lock' in wr.stdout + wr.stderr)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--format", default="raw")
    ap.add_argument("--how", default="flag", choices=["flag", "drive", "off"])
    ap.add_argument("--qemu")
    ap.add_argument("--drive-opts", default="", help="more -drive keys, e.g. cache=none")
    args = ap.parse_args()
    if not os.path.exists(args.kernel):
        print("SKIP: guest %s was not built (no gcc -m32?)" % args.kernel)
        return SKIP
    tools = {t: shutil.which(t) for t in ("qemu-img", "qemu-io")}
    for t, path in tools.items():
        if not path:
            print("SKIP: %s is not installed (qemu-utils)" % t)
            return SKIP
    qemu = shutil.which(args.qemu) if args.qemu else None
    if args.qemu and not qemu:
        print("SKIP: %s is not installed" % args.qemu)
        return SKIP
    with tempfile.TemporaryDirectory(prefix="duet-snapshot-") as tmp:
        tmpdir = os.path.join(tmp, "tmpdir")
        os.mkdir(tmpdir)
        env = dict(os.environ, TMPDIR=tmpdir)
        raw = os.path.join(tmp, "disk.raw")
        with open(raw, "wb") as f:
            f.write(b"".join(pattern_sector(s, 1) for s in range(SECTORS)))
        image = raw
        if args.format == "qcow2":
            image = os.path.join(tmp, "disk.qcow2")
            subprocess.run([tools["qemu-img"], "convert", "-f", "raw", "-O", "qcow2", raw, image],
                           check=True)
        before = sha(image)
        run_once(args.duet, args, image, env)
        changed = sha(image) != before
        if args.how == "off":
            if not changed:
                fail("snapshot=off after -snapshot: the guest's writes did not reach the image")
            print("snapshot=off wins over -snapshot: the image took the writes")
            return 0
        if changed:
            fail("the image changed under -%s" % ("snapshot" if args.how == "flag" else
                                                  "drive snapshot=on"))
        if os.listdir(tmpdir):
            fail("left in TMPDIR: %s" % os.listdir(tmpdir))
        print("guest read back its writes; image byte-identical (%s)" % before[:16])
        mine = lock_checks(args.duet, args, image, env, tmpdir, tools)
        print("duet while running: %s" % mine)
        want = {"overlay open and unlinked": True, "left in TMPDIR": [],
                "image lock bytes": [100, 201, 203], "qemu-img info": 0,
                "qemu-io -r read": 0, "qemu-io write": (1, True)}
        if mine != want:
            fail("expected %s" % want)
        if sha(image) != before:
            fail("the image changed during the lock checks")
        if qemu:
            theirs = lock_checks(qemu, args, image, env, tmpdir, tools)
            print("qemu while running: %s" % theirs)
            if theirs != mine:
                fail("qemu-system-x86_64 allows other things")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
