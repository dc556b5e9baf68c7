#!/usr/bin/env python3
"""Image locking against QEMU 7.2, both ways.

A running duet guest (the echo guest, which waits on the serial line), a
paused qemu-system-x86_64 and an open qemu-io hold images; qemu-img and
duet-img then run the same commands on them.  QEMU is the oracle: for
every command qemu-img must answer duet's locks exactly as it answers
QEMU's own, and duet-img must answer every holder exactly as qemu-img does
(same exit status, same stderr but for the program name).

usage: lock_interop.py DUET DUET_IMG ECHO_ELF CASE
  CASE  holders      the command table above, three holders
        vms          second duet / QEMU on a held image, -hda X -hdb X,
                     file.locking=off, force-share=on
        self-convert convert onto its own source (names, symlink, hard
                     link, backing file, -n, -U, locking=off), resize to 0
        bytes        strace: duet-img locks and tests the bytes qemu-img does
Exit 77 (with the reason) when the temporary directory's file system takes
no OFD locks or QEMU's programs are missing.
"""
import fcntl
import hashlib
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, QEMU_IO, run, skip_without_qemu  # noqa: E402

QEMU_SYSTEM = shutil.which("qemu-system-x86_64")
DUET = DUET_IMG = ECHO = None
TIMEOUT = 20


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def probe_ofd(directory):
    """Skips unless files in directory take OFD locks (checked on a file
    of our own, with a second descriptor that must see the first's)."""
    path = os.path.join(directory, "ofd-probe")
    a = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    b = os.open(path, os.O_RDWR)
    try:
        fcntl.fcntl(a, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 100, 1, 0))
        got = fcntl.fcntl(b, fcntl.F_OFD_GETLK,
                          struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 100, 1, 0))
        if struct.unpack("hhqqi4x", got)[0] == fcntl.F_UNLCK:
            skip(f"OFD locks in {directory} are not seen by another descriptor")
    except OSError as e:
        skip(f"no OFD locks in {directory}: F_OFD_SETLK: {os.strerror(e.errno)}")
    finally:
        os.close(a)
        os.close(b)
        os.unlink(path)


def locked(path):
    """The lock bytes others hold on path: {100, 101, 201, ...}."""
    fd = os.open(path, os.O_RDONLY)
    try:
        held = set()
        for byte in list(range(100, 104)) + list(range(200, 204)):
            got = fcntl.fcntl(fd, fcntl.F_OFD_GETLK,
                              struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, byte, 1, 0))
            if struct.unpack("hhqqi4x", got)[0] != fcntl.F_UNLCK:
                held.add(byte)
        return held
    finally:
        os.close(fd)


def wait_locked(paths, proc, what):
    deadline = time.time() + TIMEOUT
    while not all(101 in locked(p) for p in paths):
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited {proc.returncode} before locking "
                                 f"{paths}: {proc.stderr.read()}")
        if time.time() > deadline:
            raise AssertionError(f"{what} did not lock {paths} in {TIMEOUT} s")
        time.sleep(0.05)


def duet_accel():
    out = run([DUET, "-accel", "help"], check=False).stdout
    for line in out.splitlines():
        if line.split() and line.split()[0] == "kvm" and line.rstrip().endswith("(usable)"):
            return "kvm"
    return "tcg"


def duet_cmd(*drive_args):
    return [DUET, "-accel", duet_accel(), "-kernel", ECHO, "-nographic",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", *drive_args]


class DuetGuest:
    """duet running the echo guest with drives; '!' on its serial line ends it."""

    def __init__(self, *drive_args, lock=()):
        self.cmd = duet_cmd(*drive_args)
        self.lock = lock

    def __enter__(self):
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        out = b""
        deadline = time.time() + TIMEOUT
        while b"echo: ready" not in out:
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(f"{' '.join(self.cmd)} exited before the guest was "
                                         f"ready: {self.p.wait()} {self.p.stderr.read()}")
                out += chunk
            if time.time() > deadline:
                self.p.kill()
                raise AssertionError("the echo guest did not start")
        wait_locked(self.lock, self.p, "duet")
        return self

    def __exit__(self, *exc):
        self.p.stdin.write(b"!")
        self.p.stdin.close()
        try:
            status = self.p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise AssertionError("duet did not stop after '!'")
        if exc[0] is None:
            assert status == 99, f"duet exited {status}: {self.p.stderr.read()}"


class QemuSystem:
    """qemu-system-x86_64 -S: paused, the drives open as a guest would have them."""

    def __init__(self, *drives, lock=()):
        self.cmd = [QEMU_SYSTEM, "-S", "-nographic", "-display", "none", "-monitor", "none",
                    "-serial", "none", "-nodefaults"]
        for d in drives:
            self.cmd += ["-drive", d]
        self.lock = lock

    def __enter__(self):
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_locked(self.lock, self.p, "qemu-system-x86_64")
        return self

    def __exit__(self, *exc):
        self.p.terminate()
        self.p.wait(TIMEOUT)


class QemuIo:
    """qemu-io with an image open until its stdin closes."""

    def __init__(self, *args, lock=()):
        self.cmd = [QEMU_IO, *args]
        self.lock = lock

    def __enter__(self):
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        wait_locked(self.lock, self.p, "qemu-io")
        return self

    def __exit__(self, *exc):
        self.p.stdin.close()
        self.p.wait(TIMEOUT)


def img(tool, *args):
    p = run([QEMU_IMG if tool == "qemu" else DUET_IMG, *args], check=False, timeout=60)
    return p.returncode, p.stderr.replace("qemu-img: ", "duet-img: ")


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def make_images(tmp):
    os.chdir(tmp)
    for f in os.listdir("."):
        os.unlink(f)
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "x.qcow2", "4M"])
    run([QEMU_IO, "-c", "write -P 0x5a 0 64k", "x.qcow2"])
    run([QEMU_IMG, "create", "-q", "-f", "raw", "r.raw", "4M"])
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "src.qcow2", "4M"])
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-b", "x.qcow2", "-F", "qcow2", "ov.qcow2"])


# Commands on a held image: x.qcow2 and r.raw are held, ov.qcow2 has x as
# its backing file.  Failures must match qemu-img's to the byte.
COMMANDS = [
    "info x.qcow2", "info -U x.qcow2", "info -f raw r.raw",
    "check x.qcow2", "check -U x.qcow2", "check -r all x.qcow2", "check -U -r all x.qcow2",
    "map x.qcow2", "map -U x.qcow2", "map -f raw r.raw",
    "compare x.qcow2 src.qcow2", "compare -U x.qcow2 src.qcow2",
    "snapshot -l x.qcow2", "snapshot -l -U x.qcow2", "snapshot -c s1 x.qcow2",
    "snapshot -U -c s1 x.qcow2",
    "resize x.qcow2 +1M", "resize -f raw r.raw +1M", "resize --shrink x.qcow2 0",
    "convert -O raw x.qcow2 out.raw", "convert -U -O raw x.qcow2 out2.raw",
    "convert -O raw ov.qcow2 out3.raw", "convert -U -O raw ov.qcow2 out4.raw",
    "convert -O qcow2 src.qcow2 x.qcow2", "convert -f raw -O raw src.qcow2 r.raw",
    "convert -n -O qcow2 src.qcow2 x.qcow2",
    "create -f qcow2 x.qcow2 1M", "create -f raw r.raw 1M",
    "create -f qcow2 -b x.qcow2 -F qcow2 new.qcow2",
    "info --image-opts driver=qcow2,file.filename=x.qcow2,file.locking=off",
    "check -r all --image-opts driver=raw,file.filename=r.raw,file.locking=off",
]


def run_table(tool):
    results = {}
    for c in COMMANDS:
        for f in ("out.raw", "out2.raw", "out3.raw", "out4.raw", "new.qcow2"):
            if os.path.exists(f):
                os.unlink(f)
        results[c] = img(tool, *c.split())
    return results


def case_holders(tmp):
    if not QEMU_SYSTEM:
        skip("qemu-system-x86_64 not installed (the oracle holder)")
    holders = {
        "duet": lambda: DuetGuest("-drive", "file=x.qcow2,format=qcow2,if=ide",
                                  "-drive", "file=r.raw,format=raw,if=ide",
                                  lock=("x.qcow2", "r.raw")),
        "qemu-system": lambda: QemuSystem("file=x.qcow2,format=qcow2,if=ide",
                                          "file=r.raw,format=raw,if=ide",
                                          lock=("x.qcow2", "r.raw")),
        "qemu-io": lambda: QemuIo("-f", "qcow2", "x.qcow2", lock=("x.qcow2",)),
    }
    got = {}
    for name, holder in holders.items():
        make_images(tmp)
        before = md5("x.qcow2")
        with holder():
            want_bytes = {100, 101, 103, 201, 203}
            assert locked("x.qcow2") == want_bytes, (name, sorted(locked("x.qcow2")))
            got[name, "qemu"] = run_table("qemu")
            got[name, "duet"] = run_table("duet")
        # Nothing got through: the image is as the holder left it.
        run([QEMU_IMG, "check", "x.qcow2"])
        if name == "qemu-io":
            assert md5("x.qcow2") == before, "qemu-io's image changed"
    bad = []
    for c in COMMANDS:
        q = got["qemu-system", "qemu"][c]
        if got["duet", "qemu"][c] != q:
            bad.append(f"qemu-img {c}: on duet's image {got['duet', 'qemu'][c]}, "
                       f"on QEMU's {q}")
        for holder in holders:
            if got[holder, "duet"][c] != got[holder, "qemu"][c]:
                bad.append(f"{c} (held by {holder}): duet-img {got[holder, 'duet'][c]}, "
                           f"qemu-img {got[holder, 'qemu'][c]}")
    # The table must really exercise the locks: most commands are refused.
    refused = sum(1 for c in COMMANDS if got["duet", "qemu"][c][0] != 0)
    assert refused >= 15, f"only {refused} commands refused on duet's image"
    assert not bad, "\n".join(bad)
    print(f"holders: {len(COMMANDS)} commands x 3 holders, {refused} refused; duet-img "
          f"answers as qemu-img, qemu-img answers duet as QEMU")


def vm_error(tool, *drives):
    """A second VM on held images: its exit status and message."""
    if tool == "duet":
        cmd = duet_cmd(*drives)
    else:
        cmd = [QEMU_SYSTEM, "-S", "-nographic", "-display", "none", "-monitor", "none",
               "-serial", "none", "-nodefaults", *drives]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=3)
    except subprocess.TimeoutExpired:
        return None, ""  # still running: nothing refused it
    err = re.sub(r"^(qemu-system-x86_64|duet): ", "VM: ", p.stderr, flags=re.M)
    return p.returncode, err


def case_vms(tmp):
    if not QEMU_SYSTEM:
        skip("qemu-system-x86_64 not installed (the other party)")
    make_images(tmp)
    write_lock = 'Failed to get "write" lock\nIs another process using the image [x.qcow2]?\n'
    drive = "file=x.qcow2,format=qcow2,if=ide"
    for holder in (lambda: DuetGuest("-drive", drive, lock=("x.qcow2",)),
                   lambda: QemuSystem(drive, lock=("x.qcow2",))):
        with holder():
            # Either VM second: refused with the same words.
            d = vm_error("duet", "-drive", drive)
            q = vm_error("qemu", "-drive", drive)
            assert d == q == (1, f"VM: -drive {drive}: {write_lock}"), (d, q)
            # qemu-io too.
            p = run([QEMU_IO, "-c", "quit", "x.qcow2"], check=False)
            assert p.returncode == 1 and write_lock in p.stderr, p
            # Sharing what is shared: a read-only drive with force-share=on.
            ro = "file=x.qcow2,format=qcow2,if=none,readonly=on,force-share=on"
            assert vm_error("qemu", "-drive", ro)[0] is None
            with DuetGuest("-drive", "file=x.qcow2,format=qcow2,readonly=on,force-share=on"):
                pass
            # force-share needs read-only, in both.
            fs = drive + ",force-share=on"
            d, q = vm_error("duet", "-drive", fs), vm_error("qemu", "-drive", fs)
            assert d == q == (1, f"VM: -drive {fs}: force-share=on can only be used with "
                                 "read-only images\n"), (d, q)
            # file.locking=off: neither checks nor locks.
            off = drive + ",file.locking=off"
            assert vm_error("qemu", "-drive", off)[0] is None
            with DuetGuest("-drive", off):
                pass
    # The same image twice in one VM: duet refuses as QEMU does.
    d = vm_error("duet", "-hda", "x.qcow2", "-hdb", "x.qcow2")
    q = vm_error("qemu", "-hda", "x.qcow2", "-hdb", "x.qcow2")
    assert d[0] == q[0] == 1 and d[1].endswith(write_lock) and q[1].endswith(write_lock), (d, q)
    d = vm_error("duet", "-drive", drive, "-drive", drive)
    q = vm_error("qemu", "-drive", drive, "-drive", drive)
    assert d == q == (1, f"VM: -drive {drive}: {write_lock}"), (d, q)
    # Before this change duet ran both, and the image broke: it must be clean.
    run([QEMU_IMG, "check", "x.qcow2"])
    print("vms: a second duet or QEMU, qemu-io, -hda X -hdb X refused alike; "
          "force-share and locking=off let them in")


def case_self_convert(tmp):
    make_images(tmp)
    os.symlink("x.qcow2", "sym.qcow2")
    os.link("x.qcow2", "hard.qcow2")
    os.link("r.raw", "hard.raw")
    before = md5("x.qcow2"), md5("r.raw")
    # Where the source's locks keep writers out, qemu-img's lock error.
    locked_cases = [
        "convert -O qcow2 x.qcow2 x.qcow2", "convert -O qcow2 x.qcow2 sym.qcow2",
        "convert -O qcow2 x.qcow2 hard.qcow2", "convert -O raw x.qcow2 x.qcow2",
        "convert -n -O qcow2 x.qcow2 x.qcow2", "convert -n -O qcow2 x.qcow2 sym.qcow2",
        "convert -O qcow2 ov.qcow2 x.qcow2", "convert -f raw -O raw r.raw r.raw",
        "convert -f raw -O raw r.raw hard.raw",
        "resize --shrink x.qcow2 0", "resize x.qcow2 0", "resize --shrink x.qcow2 -4M",
        "resize -f raw --shrink r.raw 0", "resize x.qcow2 1M",
    ]
    for c in locked_cases:
        d, q = img("duet", *c.split()), img("qemu", *c.split())
        assert d == q and d[0] == 1, f"{c}: duet-img {d}, qemu-img {q}"
        assert (md5("x.qcow2"), md5("r.raw")) == before, f"{c} changed the image"
    # Where nothing would stop it, qemu-img destroys the image (-U: it
    # converts x.qcow2 onto itself and exits 0); duet-img refuses.
    free_cases = [
        ("convert -U -O qcow2 x.qcow2 x.qcow2", "x.qcow2", "x.qcow2"),
        ("convert -U -O qcow2 x.qcow2 sym.qcow2", "sym.qcow2", "x.qcow2"),
        ("convert -U -O qcow2 x.qcow2 hard.qcow2", "hard.qcow2", "x.qcow2"),
        ("convert -U -n -O qcow2 x.qcow2 sym.qcow2", "sym.qcow2", "x.qcow2"),
        ("convert -U -O qcow2 ov.qcow2 hard.qcow2", "hard.qcow2", "x.qcow2"),
        ("convert -U -f raw -O raw r.raw hard.raw", "hard.raw", "r.raw"),
        ("convert --image-opts -O qcow2 driver=qcow2,file.filename=x.qcow2,"
         "file.locking=off sym.qcow2", "sym.qcow2", "x.qcow2"),
    ]
    for c, target, source in free_cases:
        rc, err = img("duet", *c.split())
        want = (f"duet-img: {target}: cannot convert onto the source: it is the same file as "
                f"'{source}', which the conversion reads\n")
        assert (rc, err) == (1, want), f"{c}: {rc} {err!r}"
        assert (md5("x.qcow2"), md5("r.raw")) == before, f"{c} changed the image"
    run([QEMU_IMG, "check", "x.qcow2"])
    # Another file converts as before.
    assert img("duet", "convert", "-O", "qcow2", "x.qcow2", "y.qcow2")[0] == 0
    run([QEMU_IMG, "compare", "x.qcow2", "y.qcow2"])
    print(f"self-convert: {len(locked_cases)} refused as qemu-img refuses them, "
          f"{len(free_cases)} that qemu-img would let through refused before writing")


STRACE_RE = re.compile(r"(\d+)\s+(?:(openat)\(AT_FDCWD, \"([^\"]+)\".*\) = (\d+)|"
                       r"(fcntl)\((\d+), F_OFD_(SETLK|GETLK), \{l_type=(\w+), "
                       r"l_whence=SEEK_SET, l_start=(\d+), l_len=(\d+)|(close)\((\d+)\))")


def lock_ops(cmd, trace):
    """Per image file: the bytes the command locked and the bytes it tested."""
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,fcntl,close", "-o", trace,
                    *cmd], capture_output=True, timeout=60)
    fds, seen, res = {}, set(), {}
    with open(trace) as f:
        for line in f:
            m = STRACE_RE.match(line)
            if not m:
                continue
            if m.group(2):
                if m.group(3).endswith((".qcow2", ".raw")):
                    fds[m.group(4)] = m.group(3)
            elif m.group(5) and m.group(6) in fds:
                fd = m.group(6)
                if m.group(7) == "GETLK" and fd not in seen:
                    seen.add(fd)  # duet's probe for OFD support (QEMU's uses /dev/null)
                    continue
                seen.add(fd)
                r = res.setdefault(fds[fd], (set(), set()))
                if m.group(7) == "SETLK" and m.group(8) == "F_RDLCK":
                    r[0].add(int(m.group(9)))
                elif m.group(7) == "GETLK":
                    r[1].add(int(m.group(9)))
            elif m.group(11) and m.group(12) in fds:
                seen.discard(m.group(12))
                del fds[m.group(12)]
    return {k: (sorted(v[0]), sorted(v[1])) for k, v in res.items()}


def case_lock_bytes(tmp):
    if not shutil.which("strace"):
        skip("strace not installed (it shows the lock calls)")
    cmds = [
        "info x.qcow2", "info -U x.qcow2", "info -f raw r.raw", "check x.qcow2",
        "check -r all x.qcow2", "map x.qcow2", "map -U x.qcow2", "map ov.qcow2",
        "map -f raw r.raw", "resize x.qcow2 8M", "resize -f raw r.raw 8M",
        "snapshot -l x.qcow2", "snapshot -c s x.qcow2",
        "convert -O qcow2 x.qcow2 c.qcow2", "convert -O raw ov.qcow2 c.raw",
        "convert -U -O raw ov.qcow2 c2.raw", "convert -f raw -O raw r.raw c3.raw",
        "create -f qcow2 n.qcow2 1M", "create -f raw n.raw 1M",
        "create -f qcow2 -b x.qcow2 -F qcow2 n2.qcow2",
        "bench -c 10 x.qcow2", "bench -w -c 10 x.qcow2",
    ]
    trace = os.path.join(os.path.dirname(tmp), os.path.basename(tmp) + ".strace")
    bad, locking = [], 0
    for c in cmds:
        make_images(tmp)
        q = lock_ops([QEMU_IMG, *c.split()], trace)
        make_images(tmp)
        d = lock_ops([DUET_IMG, *c.split()], trace)
        locking += bool(q)
        if q != d:
            bad.append(f"{c}:\n  qemu-img {q}\n  duet-img {d}")
    os.unlink(trace)
    assert not bad, "lock bytes differ:\n" + "\n".join(bad)
    assert locking >= len(cmds) - 3, f"only {locking} commands took locks under strace"
    print(f"bytes: {len(cmds)} commands lock and test the bytes qemu-img does")


def main():
    global DUET, DUET_IMG, ECHO
    DUET, DUET_IMG, ECHO = (os.path.abspath(a) for a in sys.argv[1:4])
    case = sys.argv[4]
    skip_without_qemu()
    if not os.path.exists(ECHO):
        skip(f"{ECHO} not built (no 32-bit guest toolchain)")
    with tempfile.TemporaryDirectory(prefix="duet-lock-") as tmp:
        probe_ofd(tmp)
        {"holders": case_holders, "vms": case_vms, "self-convert": case_self_convert,
         "bytes": case_lock_bytes}[case](tmp)
        os.chdir("/")


if __name__ == "__main__":
    main()
