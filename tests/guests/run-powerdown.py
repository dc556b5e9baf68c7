#!/usr/bin/env python3
"""system_powerdown over QMP presses the ACPI power button: the powerbtn
guest sees PWRBTN_STS, writes S5 and the emulator exits with status 0.
Run under duet and, with --qemu, under qemu-system-x86_64 too: the serial
lines and the exit status must be the same, and both must emit POWERDOWN."""
import argparse, json, os, socket, subprocess, sys, tempfile, time

def run(prog, accel, kernel, timeout):
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "qmp.sock")
        serial = os.path.join(d, "serial.txt")
        args = [prog, "-accel", accel, "-kernel", kernel, "-display", "none",
                "-serial", "file:" + serial, "-qmp", "unix:%s,server=on,wait=off" % sock,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "32"]
        if "qemu" in os.path.basename(prog):
            args += ["-nodefaults", "-machine", "pc"]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        end = time.time() + timeout
        def serial_text():
            try:
                return open(serial, errors="replace").read()
            except OSError:
                return ""
        while "powerbtn: waiting" not in serial_text():
            if time.time() > end or p.poll() is not None:
                p.kill()
                sys.exit("%s: the guest did not get ready: %r" % (prog, serial_text()))
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        f = s.makefile("rw")
        f.readline()                              # greeting
        f.write('{"execute": "qmp_capabilities"}\n'); f.flush()
        f.readline()
        f.write('{"execute": "system_powerdown"}\n'); f.flush()
        events = []
        for line in f:
            msg = json.loads(line)
            if "event" in msg:
                events.append(msg["event"])
            if msg.get("event") == "SHUTDOWN" or ("return" in msg and "POWERDOWN" in events
                                                 and len(events) > 1):
                break
        try:
            status = p.wait(timeout=max(1, end - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            sys.exit("%s: still running after system_powerdown: %r" % (prog, serial_text()))
        lines = [l for l in serial_text().splitlines() if l.startswith("powerbtn:")]
        return status, lines, events

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--qemu")
    ap.add_argument("--timeout", type=int, default=60)
    a = ap.parse_args()
    if not os.path.exists(a.kernel):
        print("SKIP: %s was not built (no 32-bit gcc)" % a.kernel)
        sys.exit(77)
    runs = [("duet", a.duet)]
    if a.qemu:
        if subprocess.run(["sh", "-c", "command -v " + a.qemu], capture_output=True).returncode:
            print("SKIP: %s not installed" % a.qemu)
            sys.exit(77)
        runs.append(("qemu", a.qemu))
    results = {}
    for name, prog in runs:
        status, lines, events = run(prog, a.accel, a.kernel, a.timeout)
        print("%s: status %d, events %s" % (name, status, events))
        for l in lines:
            print("  " + l)
        if status != 0 or "POWERDOWN" not in events or \
                not any("pressed" in l for l in lines) or any("FAIL" in l for l in lines):
            sys.exit("%s: expected a POWERDOWN event, the press and exit status 0" % name)
        results[name] = (status, lines)
    if a.qemu and results["duet"] != results["qemu"]:
        sys.exit("duet and qemu differ: %r vs %r" % (results["duet"], results["qemu"]))
    print("powerdown: PASS")

main()
