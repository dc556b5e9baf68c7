#!/usr/bin/env python3
"""Bad guest input under -accel tcg: the guest gets the architectural fault
(here escalating to a triple fault, i.e. a reset, i.e. exit status 0 with
-no-reboot), and duet neither crashes nor hangs; a runaway guest stops
promptly on SIGINT.

usage: bad-guest.py DUET GUEST.elf MODE
"""
import os
import signal
import subprocess
import sys
import time


def main():
    duet, guest, mode = sys.argv[1:4]
    if not os.path.exists(guest):
        print("SKIP: %s was not built (no guest toolchain)" % guest)
        return 77
    cmd = [duet, "-accel", "tcg", "-kernel", guest, "-append", "mode=" + mode,
           "-nographic", "-no-reboot", "-d", "int,guest_errors"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if mode.startswith("runaway"):
        time.sleep(1.5)
        if proc.poll() is not None:
            print("FAIL: runaway guest exited by itself: %s" % proc.returncode)
            return 1
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("FAIL: duet did not stop within 5 s of SIGINT")
            return 1
        print("stopped %.3f s after SIGINT, status %d" % (time.monotonic() - start,
                                                          proc.returncode))
        ok = proc.returncode >= 0  # not killed by a signal (no crash)
    else:
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("FAIL: duet hung on mode %s" % mode)
            return 1
        print(out)
        print("\n".join(err.splitlines()[-8:]))
        ok = proc.returncode == 0 and "triple fault" in err
    print("PASS" if ok else "FAIL: status %d" % proc.returncode)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
