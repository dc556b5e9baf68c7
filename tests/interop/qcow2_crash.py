#!/usr/bin/env python3
"""Crash safety: a writer (qcow2-io crash-writer) does random writes and
flushes, logging each write before it starts and after it completes, and
each completed flush, alternately with cache=writeback and cache=none
(O_DIRECT, where file-posix preallocates after EOF and a kill leaves the
reserve behind).  We SIGKILL it at random points; after every kill
`qemu-img check` must find no corruption (leaks are allowed) and every
write acknowledged before a completed flush must read back intact.

usage: qcow2_crash.py QCOW2_IO [ITERATIONS]   (default 200; 2000 in the slow suite)
"""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, run, skip_without_qemu  # noqa: E402

CONFIGS = [["cluster_size=65536"], ["cluster_size=4096", "refcount_bits=1"],
           ["cluster_size=512"], ["lazy_refcounts=on", "cluster_size=16384"],
           ["compat=0.10", "cluster_size=8192"]]


def direct_io_works(directory):
    """O_DIRECT needs file system support (tmpfs has none)."""
    probe = os.path.join(directory, "odirect-probe")
    try:
        fd = os.open(probe, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o600)
        os.close(fd)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)


def main():
    skip_without_qemu()
    io = os.path.abspath(sys.argv[1])
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rng = random.Random(1234)
    kills = leaks = tails = 0
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="duet-qcow2-crash-") as tmp:
        per_config = max(1, iterations // len(CONFIGS))
        caches = ["writeback", "none"] if direct_io_works(tmp) else ["writeback"]
        if len(caches) == 1:
            print("note: no O_DIRECT in %s: cache=none kills not run" % tmp)
        for cfg in CONFIGS:
            img = os.path.join(tmp, "crash.qcow2")
            log = os.path.join(tmp, "crash.log")
            for f in (img, log):
                if os.path.exists(f):
                    os.unlink(f)
            run([io, "create", img, 16 << 20] + cfg)
            for i in range(per_config):
                cache = caches[i % len(caches)]
                w = subprocess.Popen([io, "crash-writer", img, log, str(rng.randrange(1 << 30)),
                                      cache],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(rng.uniform(0.005, 0.06))
                w.send_signal(signal.SIGKILL)
                _, err = w.communicate()
                if w.returncode != -signal.SIGKILL:
                    raise AssertionError(f"writer exited {w.returncode} before the kill: {err}")
                kills += 1
                if "lazy_refcounts=on" in cfg:
                    # A dirty lazy-refcount image is repaired when opened read-write.
                    run([io, "open", img, "rw"])
                p = run([QEMU_IMG, "check", img], check=False)
                if p.returncode not in (0, 3):
                    raise AssertionError(f"{cfg} kill {i}: qemu-img check exit {p.returncode}\n"
                                         f"{p.stdout}{p.stderr}")
                leaks += p.returncode == 3
                m = re.search(r"Image end offset: (\d+)", p.stdout)
                if m and os.path.getsize(img) > int(m.group(1)):
                    tails += 1  # a kill inside a preallocated reserve
                v = run([io, "crash-verify", img, log], check=False)
                if v.returncode != 0:
                    raise AssertionError(f"{cfg} kill {i}: acknowledged data lost\n"
                                         f"{v.stdout}{v.stderr}")
            print(f"ok: {cfg}: {per_config} kills, last: {v.stdout.strip()}")
    print(f"{kills} kills, {leaks} left leaks only, {tails} with a preallocated tail, "
          f"no corruption, no lost data "
          f"({time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
