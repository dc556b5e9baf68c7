#!/usr/bin/env python3
"""Runs one test guest and checks its serial output and exit status.

    run-guest.py --duet BIN --accel kvm --kernel G.elf [checks...]
    run-guest.py --duet BIN --accel kvm --qemu QEMU --kernel G.elf  (differential)

The command line is the one QEMU would take:
    -accel A -kernel G.elf -device isa-debug-exit,iobase=0xf4,iosize=4
    -nographic -no-reboot [-append S] [-initrd S] [-cpu MODEL] [-smp N]
Guests exit through isa-debug-exit: status 99 means the guest passed.
Exit status: 0 pass, 1 fail, 77 skipped (with the reason printed).
"""
import argparse
import os
import re
import subprocess
import sys

SKIP = 77
GUEST_PASS_STATUS = 99


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def fail(reason, run=None):
    print("FAIL: " + reason)
    if run is not None:
        print("--- command: " + " ".join(run["cmd"]))
        print("--- exit status: %s" % run["status"])
        print("--- serial output:\n" + run["out"])
        print("--- stderr:\n" + run["err"])
    sys.exit(1)


KVM_GET_API_VERSION = 0xAE00  # _IO(KVMIO, 0x00)
KVM_CREATE_VM = 0xAE01        # _IO(KVMIO, 0x01)


def host_kvm_missing():
    """Why this host cannot run a KVM guest, or None.  Probed here, not by
    asking duet: a duet whose KVM probe broke must fail these tests."""
    import fcntl
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "/dev/kvm: %s" % e.strerror
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        if version != 12:
            return "KVM API version %d (12 needed)" % version
        vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        os.close(vm)
    except OSError as e:
        return "KVM_CREATE_VM: %s" % e.strerror
    finally:
        os.close(fd)
    return None


def duet_accel_usable(duet, accel):
    """None when the host can run @accel (the interpreter always can), else
    why not.  duet's own -accel help is not asked (see host_kvm_missing)."""
    name = accel.split(",")[0]
    if name == "tcg":
        return None
    if name == "kvm":
        return host_kvm_missing()
    return "no host probe for accelerator '%s'" % name


def kvm_usable_for_qemu():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return True
    except OSError:
        return False


def guest_args(args, accel):
    cmd = ["-accel", accel, "-kernel", args.kernel,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot"]
    if args.append is not None:
        cmd += ["-append", args.append]
    if args.initrd is not None:
        cmd += ["-initrd", args.initrd]
    if args.cpu is not None:
        cmd += ["-cpu", args.cpu]
    if args.smp is not None:
        cmd += ["-smp", str(args.smp)]
    return cmd


def run(cmd, timeout, stdin_data=None):
    try:
        if stdin_data is None:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=timeout)
        else:
            res = subprocess.run(cmd, input=stdin_data.encode(), capture_output=True,
                                 timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        fail("timed out after %d s" % timeout,
             {"cmd": cmd, "status": "timeout", "out": out, "err": ""})
    out = res.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    err = res.stderr.decode("utf-8", "replace")
    return {"cmd": cmd, "status": res.returncode, "out": out, "err": err}


def check_run(args, r):
    if args.expect_emulation_failure:
        # kvm_pvm cannot IRET in protected mode: an error (and maybe a
        # register dump) on stderr, status 1, no hang
        err_lines = [l for l in r["err"].splitlines() if l.strip()]
        if r["status"] != 1:
            fail("expected exit status 1 (emulation failure), got %s" % r["status"], r)
        if not err_lines or not err_lines[0].startswith("duet: "):
            fail("expected an error message starting with 'duet: ' on stderr", r)
        print("emulation failure reported as expected: " + err_lines[0])
        return
    if r["status"] != args.expect_status:
        fail("exit status %s, expected %d" % (r["status"], args.expect_status), r)
    lines = r["out"].splitlines()
    for want in args.expect_line:
        if want not in lines:
            fail("serial output lacks the line %r" % want, r)
    for pattern in args.forbid:
        if re.search(pattern, r["out"]):
            fail("serial output matches forbidden %r" % pattern, r)
    if args.expect_file:
        with open(args.expect_file) as f:
            want = f.read().splitlines()
        got = comparable(r["out"])
        if got != want:
            import difflib
            diff = "\n".join(difflib.unified_diff(want, got, args.expect_file, "output",
                                                   lineterm=""))
            fail("serial output differs from %s:\n%s" % (args.expect_file, diff), r)


# SeaBIOS's last words before the Multiboot option ROM runs the guest; how
# many of its dots and its newline make it out varies from run to run.
FIRMWARE_HANDOFF = re.compile(r"Booting from ROM\.*\r?\n?")


def comparable(out, firmware=False):
    """Serial output without the loader-specific '~' lines (and, for QEMU,
    without what SeaBIOS and iPXE print before the Multiboot option ROM
    starts the guest)."""
    if firmware:
        matches = list(FIRMWARE_HANDOFF.finditer(out))
        if matches:
            # the handoff's newline sometimes arrives after the guest starts
            out = out[matches[-1].end():].lstrip("\r\n")
    return [l for l in out.splitlines() if not l.startswith("~")]


def find_qemu(name):
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    from shutil import which
    return which(name)


def run_qemu_only(args):
    qemu = find_qemu(args.qemu or "qemu-system-x86_64")
    if not qemu:
        skip("%s not installed" % (args.qemu or "qemu-system-x86_64"))
    qaccel = args.qemu_accel
    if qaccel == "auto":
        qaccel = "kvm" if kvm_usable_for_qemu() else "tcg"
    if qaccel.split(",")[0] == "kvm" and host_kvm_missing():
        skip("QEMU -accel kvm: %s" % host_kvm_missing())
    q = run([qemu] + guest_args(args, qaccel), args.timeout)
    q["out"] = "\n".join(comparable(q["out"], firmware=True)) + "\n"
    check_run(args, q)
    print("PASS (qemu %s): status %s" % (qaccel, q["status"]))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--accel", default="kvm")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--append")
    ap.add_argument("--initrd")
    ap.add_argument("--cpu", help="CPU model for both programs (-cpu)")
    ap.add_argument("--expect-status", type=int, default=GUEST_PASS_STATUS)
    ap.add_argument("--expect-line", action="append", default=[])
    ap.add_argument("--expect-file",
                    help="the serial lines (without '~' lines) must be this file's")
    ap.add_argument("--forbid", action="append", default=["WRONG", "FAIL"])
    ap.add_argument("--expect-emulation-failure-on-kvm", dest="emu_fail_kvm",
                    action="store_true",
                    help="this host's KVM cannot run the guest: expect a clean error")
    ap.add_argument("--smp", help="-smp for both programs (N or N,maxcpus=M,...)")
    ap.add_argument("--qemu", help="differential: also run this qemu-system-x86_64")
    ap.add_argument("--qemu-only", action="store_true",
                    help="run only QEMU (--qemu) with the checks: validates a guest")
    ap.add_argument("--qemu-accel", default="auto")
    ap.add_argument("--stdin", help="bytes for the guest's COM1 input (\\n = newline)")
    ap.add_argument("--timeout", type=int, default=60)
    args = ap.parse_args()
    args.expect_emulation_failure = args.emu_fail_kvm and args.accel.split(",")[0] == "kvm"

    if not os.path.exists(args.kernel):
        skip("guest %s was not built (no gcc -m32 / ld -m elf_i386?)" % args.kernel)
    if args.qemu_only:
        return run_qemu_only(args)
    why = duet_accel_usable(args.duet, args.accel)
    if why:
        skip("accelerator %s not usable here: %s" % (args.accel, why))

    stdin_data = args.stdin.replace("\\n", "\n") if args.stdin is not None else None
    r = run([args.duet] + guest_args(args, args.accel), args.timeout, stdin_data)
    check_run(args, r)
    if not args.qemu:
        print("PASS (%s): status %s" % (args.accel, r["status"]))
        return 0

    qemu = args.qemu
    if not os.path.isabs(qemu):
        from shutil import which
        qemu = which(qemu)
    if not qemu:
        skip("%s not installed" % args.qemu)
    qaccel = args.qemu_accel
    if qaccel == "auto":
        qaccel = "kvm" if kvm_usable_for_qemu() else "tcg"
    q = run([qemu] + guest_args(args, qaccel), args.timeout, stdin_data)
    if args.expect_emulation_failure:
        return 0
    if q["status"] != r["status"]:
        fail("duet exited %s, qemu (%s) %s" % (r["status"], qaccel, q["status"]), q)
    a, b = comparable(r["out"]), comparable(q["out"], firmware=True)
    if a != b:
        import difflib
        diff = "\n".join(difflib.unified_diff(b, a, "qemu", "duet", lineterm=""))
        fail("serial output differs from qemu (%s):\n%s" % (qaccel, diff), r)
    print("PASS: duet (%s) and qemu (%s) agree: status %s, %d lines"
          % (args.accel, qaccel, r["status"], len(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
