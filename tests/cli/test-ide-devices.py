#!/usr/bin/env python3
"""-drive if=none,id=ID + -device ide-hd/ide-cd, media=cdrom, -cdrom: what
duet accepts and the errors it gives, against qemu-system-x86_64 7.2.

    test-ide-devices.py DUET EXIT_NOW_GUEST [QEMU]

Every refused line is "duet: " + the message (one line, two for the id
rule), and QEMU prints the same message after "qemu-system-x86_64: "
(cases marked duet_only word their location differently: duet names the
-drive that -hdc/-cdrom became).  Accepted lines boot the exit-now guest
(status 5); QEMU must accept them too (it is still running after a moment,
stopped with -S).  Exit: 0 pass, 1 fail, 77 skipped.
"""
import os
import shutil
import subprocess
import sys
import tempfile

REFUSED = [
    # (arguments, message, duet_only)
    ("-device ide-hd,drive=x", "-device ide-hd,drive=x: Property 'ide-hd.drive' can't find value 'x'", False),
    ("-device ide-cd,drive=x", "-device ide-cd,drive=x: Property 'ide-cd.drive' can't find value 'x'", False),
    ("-drive if=none,id=d0,file=A,format=raw -device ide-hd,drive=d0 -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Drive 'd0' is already in use by another device", False),
    ("-drive if=none,id=d0,file=A,format=raw -device ide-cd,drive=d0 -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Drive 'd0' is already in use by another device", False),
    ("-drive if=ide,id=d0,file=A,format=raw -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Drive 'd0' is already in use because it has been automatically "
     "connected to another device (did you need 'if=none' in the drive options?)", False),
    ("-device ide-hd", "-device ide-hd: No drive specified", False),
    ("-device ide-hd,drive=", "-device ide-hd,drive=: No drive specified", False),
    ("-drive if=none,id=d0 -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Device needs media, but drive is empty", False),
    ("-drive if=none,id=d0,media=cdrom -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Device needs media, but drive is empty", False),
    ("-drive if=none,id=d0,file=A,format=raw,media=cdrom -device ide-hd,drive=d0",
     "-device ide-hd,drive=d0: Block node is read-only", False),
    ("-drive if=none,id=d0,file=A,format=raw -drive if=none,id=d1,file=B,format=raw "
     "-device ide-hd,drive=d0,bus=ide.0,unit=0 -device ide-hd,drive=d1,bus=ide.0,unit=0",
     "-device ide-hd,drive=d1,bus=ide.0,unit=0: IDE unit 0 is in use", False),
    ("-hda A -device ide-cd,bus=ide.0,unit=0", "-device ide-cd,bus=ide.0,unit=0: IDE unit 0 is in use", False),
    ("-device ide-cd,bus=ide.0,unit=0 -drive file=B,format=raw,index=0",
     "-device ide-cd,bus=ide.0,unit=0: IDE unit 0 is in use", False),
    ("-hda A -hdb B -device ide-cd,bus=ide.0", "-device ide-cd,bus=ide.0: IDE unit 1 is in use", False),
    # without bus=: ide.1 even when it is full (QEMU 7.2)
    ("-device ide-cd -device ide-cd -device ide-cd", "-device ide-cd: IDE unit 1 is in use", False),
    ("-hda A -device ide-cd -device ide-cd -device ide-cd", "-device ide-cd: IDE unit 1 is in use",
     False),
    ("-hdc A -device ide-cd -device ide-cd", "-device ide-cd: IDE unit 1 is in use", False),
    ("-device ide-cd,bus=ide.2", "-device ide-cd,bus=ide.2: Bus 'ide.2' not found", False),
    ("-device ide-cd,bus=foo", "-device ide-cd,bus=foo: Bus 'foo' not found", False),
    ("-device ide-cd,unit=2", "-device ide-cd,unit=2: Can't create IDE unit 2, bus supports only 2 units", False),
    ("-device ide-cd,bus=ide.1,unit=7",
     "-device ide-cd,bus=ide.1,unit=7: Can't create IDE unit 7, bus supports only 2 units", False),
    ("-device ide-hd,bogus=1", "-device ide-hd,bogus=1: Property 'ide-hd.bogus' not found", False),
    ("-drive if=none,id=d0,file=A,format=raw -drive if=none,id=d0,file=B,format=raw",
     "-drive if=none,id=d0,file=B,format=raw: Duplicate ID 'd0' for drive", False),
    ("-drive if=none,id=d0,file=A,format=raw -drive if=ide,id=d0,file=B,format=raw",
     "-drive if=ide,id=d0,file=B,format=raw: Duplicate ID 'd0' for drive", False),
    ("-drive id=1abc,if=none", "-drive id=1abc,if=none: Parameter 'id' expects an identifier\n"
     "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.", False),
    ("-drive id=,if=none", "-drive id=,if=none: Parameter 'id' expects an identifier\n"
     "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.", False),
    ("-drive if=ide,media=cdrom,index=1 -drive file=A,format=raw,index=1",
     "-drive file=A,format=raw,index=1: drive with bus=0, unit=1 (index=1) exists", False),
    ("-drive media=foo", "-drive media=foo: 'foo' invalid media", False),
    ("-cdrom A -hdc B", "-drive file=B,index=2,if=ide: drive with bus=1, unit=0 (index=2) exists", True),
    ("-cdrom /nonexistent/cd.iso",
     "-drive file=/nonexistent/cd.iso,index=2,media=cdrom: Could not open '/nonexistent/cd.iso': "
     "No such file or directory", True),
    # a snapshot's image refuses a second writer (QEMU names no option here)
    ("-drive file=A,format=raw,snapshot=on -drive file=A,format=raw,index=1",
     "-drive file=A,format=raw,index=1: Failed to get \"write\" lock\n"
     "Is another process using the image [A]?", True),
    ("-drive if=none,id=d0,file=A,format=raw -device ide-cd,drive=d0,unit=1 -hda B -hdb A",
     "-device ide-cd,drive=d0,unit=1: Failed to get shared \"write\" lock\n"
     "Is another process using the image [A]?", False),
]

ACCEPTED = [
    "-drive if=none,id=d0,file=A,format=raw -device ide-hd,drive=d0",
    "-device ide-hd,drive=d0 -drive if=none,id=d0,file=A,format=raw",
    "-drive if=none,id=d0,file=A,format=raw -device ide-hd,drive=d0,bus=ide.1,unit=1",
    "-drive if=none,id=cd,file=A,format=raw,media=cdrom -device ide-cd,drive=cd,bus=ide.0",
    "-drive if=none,id=cd,file=A,format=raw -device ide-cd,drive=cd",
    "-drive if=none,id=cd -device ide-cd,drive=cd",
    "-device ide-cd",
    "-device ide-cd,bus=ide.1,unit=1 -cdrom A",
    "-drive if=ide,media=cdrom",
    "-drive if=ide,index=2,media=cdrom,file=A,format=raw -hda B",
    "-cdrom A",
    "-drive if=none,id=spare,file=A,format=raw",
    "-drive if=none,id=a.b-c_1",
    "-hda A -device ide-cd -device ide-cd",
    "-hdb A -device ide-cd -device ide-cd",
    "-drive if=none,id=d0,file=A,format=raw,snapshot=on -device ide-hd,drive=d0",
    "-snapshot -hda A -cdrom B",
    "-snapshot -drive file=A,format=raw -drive file=A,format=raw,index=1",
]


def split(args, tmp):
    out = []
    for a in args.split(" "):
        a = a.replace("file=A", "file=" + os.path.join(tmp, "A")).replace(
            "file=B", "file=" + os.path.join(tmp, "B"))
        if a in ("A", "B"):
            a = os.path.join(tmp, a)
        out.append(a)
    return out


def run(binary, argv, kernel, qemu_style):
    if qemu_style:
        cmd = [binary, "-display", "none", "-S", "-monitor", "none", "-serial", "none"] + argv
    else:
        cmd = [binary, "-kernel", kernel, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-nographic", "-no-reboot"] + argv
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=2 if qemu_style else 30)
        return r.returncode, r.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def main():
    if len(sys.argv) < 3 or not os.path.exists(sys.argv[2]):
        print("SKIP: no exit-now guest (not built here)")
        return 77
    duet, kernel = os.path.abspath(sys.argv[1]), sys.argv[2]
    qemu = shutil.which(sys.argv[3]) if len(sys.argv) > 3 else None
    failed = 0
    with tempfile.TemporaryDirectory(prefix="duet-ide-devices-") as tmp:
        for n in ("A", "B"):
            with open(os.path.join(tmp, n), "wb") as f:
                f.truncate(1 << 20)
        for args, msg, duet_only in REFUSED:
            argv = split(args, tmp)
            want = msg.replace("file=A", "file=" + os.path.join(tmp, "A")).replace(
                "file=B", "file=" + os.path.join(tmp, "B")).replace(
                "[A]", "[%s]" % os.path.join(tmp, "A")).replace(
                "-hdb A", "-hdb " + os.path.join(tmp, "A")).replace(
                "-hda A", "-hda " + os.path.join(tmp, "A"))
            status, err = run(duet, argv, kernel, False)
            ok = status == 1 and err == "duet: " + want + "\n"
            print("%s duet %s" % ("ok  " if ok else "FAIL", args))
            if not ok:
                print("     want: duet: %s\n     got (%s): %s" % (want, status, err))
                failed += 1
            if qemu and not duet_only:
                qs, qerr = run(qemu, argv, kernel, True)
                qlines = [l for l in qerr.splitlines() if not l.startswith(("WARNING", "  "))]
                qok = qs == 1 and "\n".join(qlines) == "qemu-system-x86_64: " + want
                print("%s qemu %s" % ("ok  " if qok else "FAIL", args))
                if not qok:
                    print("     want: %s\n     got (%s): %s" % (want, qs, qerr))
                    failed += 1
        for args in ACCEPTED:
            argv = split(args, tmp)
            status, err = run(duet, argv, kernel, False)
            ok = status == 5
            print("%s duet accepts %s" % ("ok  " if ok else "FAIL", args))
            if not ok:
                print("     exit %s: %s" % (status, err))
                failed += 1
            if qemu:
                qs, qerr = run(qemu, argv, kernel, True)
                print("%s qemu accepts %s" % ("ok  " if qs is None else "FAIL", args))
                if qs is not None:
                    print("     exit %s: %s" % (qs, qerr))
                    failed += 1
            if os.listdir(tmp) != ["A", "B"] and sorted(os.listdir(tmp)) != ["A", "B"]:
                print("FAIL: files left: %s" % os.listdir(tmp))
                failed += 1
    total = (len(REFUSED) + len(ACCEPTED)) * (2 if qemu else 1)
    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
