#!/usr/bin/env python3
"""Boots a Debian Linux kernel with a busybox initramfs and checks its disk.

    run-linux.py --duet BIN --accel tcg|kvm --arch amd64|i386 --cache DIR
                 [--qemu qemu-system-x86_64] [--timeout S]

prepare-guest.py makes the kernel and initramfs (cached in DIR).  The
guest loads ata_piix and the SCSI disk driver, writes a 1 MiB pattern to
/dev/sda at offset 64 KiB through the PIIX IDE controller, syncs, drops
its caches, reads it back, compares, and reboots (-no-reboot: exit 0).
The runner then requires:
  - "duet-linux: PASS" on the serial console and no "duet-linux: FAIL";
  - exit status 0 (the reboot under -no-reboot), within the timeout;
  - `qemu-img check` clean on the qcow2 disk;
  - the disk, converted to raw, holding the pattern at 64 KiB.
With --qemu the same guest runs under qemu-system-x86_64 -accel tcg too,
for the same checks (the reference).  Prints the boot time of each.
Exit status: 0 pass, 1 fail, 77 skipped (with the reason printed).
"""
import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "run_atapi", os.path.join(HERE, "..", "guests", "ide", "run-atapi.py"))
atapi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(atapi)
SKIP = 77
CMDLINE = "console=ttyS0 quiet panic=-1"


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


run_guest = load("run_guest", os.path.join(HERE, "..", "guests", "run-guest.py"))


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def fail(why, out=None, err=None):
    print("FAIL: " + why)
    if out is not None:
        print("--- serial output (last 60 lines):\n" + "\n".join(out.splitlines()[-60:]))
    if err:
        print("--- stderr (last 30 lines):\n" + "\n".join(err.splitlines()[-30:]))
    sys.exit(1)


def boot(cmd, timeout):
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        fail("no result after %d s" % timeout, out)
    took = time.monotonic() - start
    out = r.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    return r.returncode, out, r.stderr.decode("utf-8", "replace"), took


def marker_lines(out):
    return [l.strip() for l in out.splitlines() if l.startswith("duet-linux:")]


def check_boot(who, status, out, err, disk, pattern, qemu_img, tmp):
    if "duet-linux: FAIL" in out or "duet-linux: PASS" not in out:
        fail("%s: the guest did not pass" % who, out, err)
    want = "duet-linux: md5 " + hashlib.md5(pattern).hexdigest()
    if want not in marker_lines(out):
        fail("%s: the guest did not print the pattern's checksum (%s)" % (who, want), out, err)
    if status != 0:
        fail("%s: exit status %d (expected 0 after the reboot under -no-reboot)"
             % (who, status), out, err)
    r = subprocess.run([qemu_img, "check", disk], capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: qemu-img check: exit %d\n%s" % (who, r.returncode, r.stdout))
    raw = os.path.join(tmp, "disk.raw")
    subprocess.run([qemu_img, "convert", "-O", "raw", disk, raw], check=True)
    with open(raw, "rb") as f:
        f.seek(65536)
        data = f.read(len(pattern))
    os.unlink(raw)
    if data != pattern:
        fail("%s: the disk does not hold the pattern at 64 KiB" % who)


def host_kvm_runs_linux():
    """Why this host's KVM cannot run a Linux kernel, or None.  KVM needs the
    CPU's virtualization extensions to run guest code; without VMX/SVM the
    host's KVM (e.g. kvm_pvm) emulates guest instructions and cannot return
    from an interrupt in protected mode, which every kernel does at once."""
    try:
        flags = set()
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError as e:
        return "cannot read /proc/cpuinfo: %s" % e
    if flags & {"vmx", "svm"}:
        return None
    emulator = " (kvm_pvm)" if os.path.exists("/sys/module/kvm_pvm") else ""
    return ("the host CPU has no VMX/SVM: its KVM%s emulates guest code and cannot run a "
            "protected-mode IRET, so no Linux kernel boots under it" % emulator)


def check_cdrom(who, out, iso):
    """The guest's view of the CD: its size, descriptor and a read."""
    import hashlib
    with open(iso, "rb") as f:
        data = f.read()
    want = ["duet-linux: sr0 has %d sectors" % (len(data) // 512),
            "duet-linux: sr0 descriptor CD001 volume DUET_TEST_CD",
            "duet-linux: sr0 blocks 18-49 md5 %s"
            % hashlib.md5(data[18 * 2048:50 * 2048]).hexdigest()]
    lines = out.splitlines()
    for w in want:
        if w not in lines:
            fail("%s: no line %r" % (who, w), out)
    print("%s: Linux read the CD-ROM as /dev/sr0" % who)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--arch", choices=["amd64", "i386"], required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--qemu")
    ap.add_argument("--memory", default="256")
    ap.add_argument("--machine", help="duet's -machine (e.g. pc,kernel-decompress=guest)")
    ap.add_argument("--smp", help="-smp for both programs")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--cdrom", action="store_true",
                    help="also a CD-ROM (-cdrom, run-atapi.py's ISO): Linux must see "
                         "/dev/sr0 and read it")
    args = ap.parse_args()

    why = run_guest.duet_accel_usable(args.duet, args.accel)
    if why:
        skip("accelerator %s not usable here: %s" % (args.accel, why))
    if args.accel.startswith("kvm"):
        why = host_kvm_runs_linux()
        if why:
            skip(why)
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        skip("qemu-img is not installed (makes and checks the disk)")
    prep = subprocess.run([sys.executable, os.path.join(HERE, "prepare-guest.py"), "--arch",
                           args.arch, "--cache", args.cache], capture_output=True, text=True)
    if prep.returncode == SKIP:
        skip(prep.stdout.strip())
    if prep.returncode != 0:
        fail("prepare-guest.py: " + prep.stdout + prep.stderr)
    kernel, initrd = prep.stdout.split()[-2:]
    pattern = open(os.path.join(args.cache, args.arch, "pattern"), "rb").read()

    runs = [("duet", args.duet, args.accel)]
    if args.qemu:
        qemu = shutil.which(args.qemu)
        if not qemu:
            skip("%s is not installed" % args.qemu)
        runs.append(("qemu", qemu, "tcg"))
    lines = {}
    cmdline = CMDLINE + (" duet.cdrom" if args.cdrom else "")
    if args.smp:
        # the kernel's "smp: Brought up" line is KERN_INFO: not quiet
        cmdline = cmdline.replace(" quiet", "")
    with tempfile.TemporaryDirectory(prefix="duet-linux-") as tmp:
        for who, binary, accel in runs:
            disk = os.path.join(tmp, who + ".qcow2")
            subprocess.run([qemu_img, "create", "-q", "-f", "qcow2", disk, "64M"], check=True)
            cmd = [binary, "-accel", accel, "-m", args.memory, "-kernel", kernel,
                   "-initrd", initrd, "-append", cmdline,
                   "-nographic", "-no-reboot",
                   "-drive", "file=%s,format=qcow2,if=ide,index=0" % disk]
            if args.cdrom:
                iso = os.path.join(tmp, "cd.iso")
                if not os.path.exists(iso):
                    atapi.mkiso(iso)
                cmd += ["-cdrom", iso]
            if args.smp:
                cmd += ["-smp", args.smp]
            if who == "duet" and args.machine:
                cmd += ["-machine", args.machine]
            if who == "qemu":
                cmd += ["-display", "none", "-serial", "stdio", "-monitor", "none"]
                cmd.remove("-nographic")
            status, out, err, took = boot(cmd, args.timeout)
            check_boot(who, status, out, err, disk, pattern, qemu_img, tmp)
            if args.smp:
                want = "smp: Brought up 1 node, %s CPUs" % args.smp.split(",")[0]
                if want not in out:
                    fail("%s: no '%s' line: the APs did not start" % (who, want), out, err)
            if args.cdrom:
                check_cdrom(who, out, iso)
            lines[who] = marker_lines(out)
            print("%s (%s, %s): Linux booted, wrote and read back 1 MiB through ata_piix "
                  "in %.2f s" % (who, accel, args.arch, took))
    if "qemu" in lines and lines["qemu"] != lines["duet"]:
        fail("the guest's lines differ: duet %s, qemu %s" % (lines["duet"], lines["qemu"]))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
