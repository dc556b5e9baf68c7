#!/usr/bin/env python3
"""Data a guest was told is written survives every orderly way out of duet.

    test-shutdown.py --duet BIN --accel tcg|kvm --kernel ide-noflush.elf

For each way out -- the guest's isa-debug-exit, its i8042 reset and its
triple fault under -no-reboot, SIGTERM, SIGINT and SIGHUP while the guest
halts -- and for cache=writeback, cache=none and a lazy-refcounts image, a
fresh qcow2 disk gets the guest's unflushed writes.  Afterwards:
  - the exit status is the one the way out defines (99 for the guest's
    debug-exit value, 0 otherwise);
  - `qemu-img check` finds the image clean (no leaks, no corruption);
  - the disk holds every write the guest announced, zeroes elsewhere;
  - the qcow2 dirty bit (lazy refcounts) is clear;
  - a cache=none run leaves no preallocated tail past the image's end.
Exit status: 0 pass, 1 fail, 77 skipped (with the reason printed).
"""
import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("run_ide", os.path.join(HERE, "run-ide.py"))
run_ide = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_ide)
fail = run_ide.fail

WAYS = {  # name: (-append exit mode, signal to send or None, expected status)
    "debug-exit": ("debug", None, 99),
    "reset": ("reset", None, 0),
    "triple-fault": ("triple", None, 0),
    "SIGTERM": ("halt", signal.SIGTERM, 0),
    "SIGINT": ("halt", signal.SIGINT, 0),
    "SIGHUP": ("halt", signal.SIGHUP, 0),
}
DISKS = {  # name: (qemu-img create -o, -drive keys)
    "writeback": ("", "cache=writeback"),
    "none": ("", "cache=none"),
    "lazy-refcounts": ("lazy_refcounts=on", "cache=writeback"),
}


def run(args, way, disk, drive_keys):
    mode, sig, _ = WAYS[way]
    cmd = [args.duet, "-accel", args.accel, "-kernel", args.kernel,
           "-append", "exit=" + mode,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot",
           "-drive", "file=%s,format=qcow2,if=ide,index=0,%s" % (disk, drive_keys)]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = []
    deadline = time.monotonic() + args.timeout
    # Read the serial output line by line; the signal goes out once the
    # guest says its writes are done (they all completed by then).
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
        out.append(line)
        if "writes done" in line and sig is not None:
            time.sleep(0.2)  # let the guest reach its halt loop
            p.send_signal(sig)
        if time.monotonic() > deadline:
            p.kill()
            break
    try:
        p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    r = {"cmd": cmd, "status": p.returncode, "out": "\n".join(out),
         "err": p.stderr.read().decode("utf-8", "replace")}
    return r


def qcow2_dirty(path):
    with open(path, "rb") as f:
        hdr = f.read(80)
    version = int.from_bytes(hdr[4:8], "big")
    return version >= 3 and bool(int.from_bytes(hdr[72:80], "big") & 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--way", action="append", help="only these ways out")
    ap.add_argument("--timeout", type=int, default=60)
    args = ap.parse_args()

    if not os.path.exists(args.kernel):
        run_ide.skip("guest %s was not built" % args.kernel)
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        run_ide.skip("qemu-img is not installed (makes and checks the disks)")
    why = run_ide.run_guest.duet_accel_usable(args.duet, args.accel)
    if why:
        run_ide.skip("accelerator %s not usable here: %s" % (args.accel, why))

    cases = 0
    with tempfile.TemporaryDirectory(prefix="duet-shutdown-") as tmp:
        for way in args.way or WAYS:
            for dname, (create_opts, drive_keys) in DISKS.items():
                disk = os.path.join(tmp, "disk.qcow2")
                cmd = [qemu_img, "create", "-q", "-f", "qcow2"]
                if create_opts:
                    cmd += ["-o", create_opts]
                subprocess.run(cmd + [disk, "4G"], check=True)
                r = run(args, way, disk, drive_keys)
                who = "%s, %s" % (way, dname)
                want = WAYS[way][2]
                if r["status"] != want:
                    fail("%s: exit status %s, expected %d" % (who, r["status"], want), r)
                if "writes done" not in r["out"]:
                    fail("%s: the guest did not finish its writes" % who, r)
                run_ide.qemu_img_check(qemu_img, disk, "duet, " + who)
                if qcow2_dirty(disk):
                    fail("%s: the image's dirty bit is still set" % who, r)
                info = subprocess.run([qemu_img, "check", "--output=json", disk],
                                      capture_output=True, text=True)
                end = json.loads(info.stdout).get("image-end-offset", 0)
                size = os.stat(disk).st_size
                if size > end + 65536:
                    fail("%s: the file is %d bytes, its data ends at %d "
                         "(preallocation not cut back)" % (who, size, end), r)
                run_ide.check_disk_contents(qemu_img, disk, r["out"], tmp)
                os.unlink(disk)
                cases += 1
                print("ok: %s" % who)
    print("PASS: %d ways out x disks kept every write" % cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
