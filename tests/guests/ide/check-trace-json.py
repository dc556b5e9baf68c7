#!/usr/bin/env python3
"""Checks a duet -trace format=json file against the Chrome trace-event
format (the JSON Array form): every record has the required fields for its
phase, B/E pairs match per thread (same name, properly nested, none left
open), timestamps never go back on a thread, every thread has a
thread_name.  With --run it first produces the trace itself: the
ide-paths workload under each usable accelerator, and then also requires
request ids: each block-layer frame carries args.req, and one request's
id reaches from the device to file-posix.

    check-trace-json.py FILE.json
    check-trace-json.py --run --duet BIN --kernel ide-paths.elf
Exit status: 0 valid, 1 not, 77 skipped (why printed).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

PHASES = {"B", "E", "i", "M", "X"}


def validate(events):
    """Returns a list of problems (empty: valid)."""
    problems = []
    if not isinstance(events, list):
        return ["top level is not a JSON array"]
    stacks, last_ts, named, seen = {}, {}, set(), set()
    for n, e in enumerate(events):
        where = "record %d" % n
        if not isinstance(e, dict):
            problems.append("%s: not an object" % where)
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            problems.append("%s: bad ph %r" % (where, ph))
            continue
        for field in ("name", "pid", "tid"):
            if field not in e:
                problems.append("%s: no %s" % (where, field))
        if not isinstance(e.get("tid"), int) or not isinstance(e.get("pid"), int):
            problems.append("%s: pid/tid not integers" % where)
            continue
        tid = e["tid"]
        if ph == "M":
            if e.get("name") == "thread_name":
                if not isinstance(e.get("args", {}).get("name"), str):
                    problems.append("%s: thread_name without args.name" % where)
                named.add(tid)
            continue
        seen.add(tid)
        ts = e.get("ts")
        if not isinstance(ts, (int, float)):
            problems.append("%s: no numeric ts" % where)
            continue
        if ts < last_ts.get(tid, float("-inf")):
            problems.append("%s: ts %s goes back on tid %d (last %s)"
                            % (where, ts, tid, last_ts[tid]))
        last_ts[tid] = ts
        if "args" in e and not isinstance(e["args"], dict):
            problems.append("%s: args not an object" % where)
        stack = stacks.setdefault(tid, [])
        if ph == "B":
            stack.append(e["name"])
        elif ph == "E":
            # A real end names itself in args.end (the log's name); the
            # coroutine switches' and the close's synthetic ends do not.
            a = e.get("args", {})
            if a.get("msg") not in ("suspended", "unfinished") and \
                    not isinstance(a.get("end"), str):
                problems.append("%s: E %s without args.end" % (where, e["name"]))
            if not stack:
                problems.append("%s: E %s without B on tid %d" % (where, e["name"], tid))
            elif stack[-1] != e["name"]:
                problems.append("%s: E %s closes B %s on tid %d"
                                % (where, e["name"], stack[-1], tid))
                stack.pop()
            else:
                stack.pop()
        elif ph == "i" and e.get("s", "t") not in ("t", "p", "g"):
            problems.append("%s: bad instant scope" % where)
    for tid, stack in stacks.items():
        if stack:
            problems.append("tid %d: %d frames never end (%s)" % (tid, len(stack), stack[-1]))
    for tid in sorted(seen - named):
        problems.append("tid %d: no thread_name metadata" % tid)
    return problems


# Frames that only a guest request reaches (the image's own metadata I/O at
# open and close has no request).
REQUEST_FRAMES = ("blk_co_pwritev", "blk_co_preadv", "blk_aio_prwv", "dma_blk_io",
                  "ide_dma_cb", "ide_sector_write")
# A write's frames from the device to the file, all with one id.
WRITE_CHAIN = {"blk_aio_prwv", "blk_co_pwritev", "bdrv_co_pwritev_part",
               "qcow2_writev_start_req", "file_co_prw"}


def check_requests(events):
    problems = []
    layers_by_req = {}
    for e in events:
        if e.get("ph") != "B":
            continue
        req = e.get("args", {}).get("req")
        if e["name"] in REQUEST_FRAMES and not req:
            problems.append("B %s at ts %s has no args.req" % (e["name"], e.get("ts")))
        if req:
            layers_by_req.setdefault(req, set()).add(e["name"])
    for device in ("dma_blk_io", "ide_sector_write"):
        if not any(WRITE_CHAIN | {device} <= names for names in layers_by_req.values()):
            problems.append("no request id reaches %s -> %s" % (device, " -> ".join(
                sorted(WRITE_CHAIN))))
    return problems


def run(duet, kernel, accel, tmp):
    disk = os.path.join(tmp, "%s.qcow2" % accel)
    out = os.path.join(tmp, "%s.json" % accel)
    subprocess.run([os.path.join(os.path.dirname(duet), "duet-img"), "create", "-f", "qcow2",
                    disk, "64M"], check=True, stdout=subprocess.DEVNULL)
    cmd = [duet, "-accel", accel, "-kernel", kernel, "-append", "dma-read dma-write pio-write flush",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-nographic", "-no-reboot",
           "-drive", "file=%s,format=qcow2,if=ide,index=0" % disk,
           "-trace", "file=%s,format=json" % out]
    for p in ("kvm_*", "tcg_helper_*", "memory_region_ops_*", "ide_*", "bmdma_*", "dma_blk_*",
              "blk_*", "bdrv_*", "qcow2_*", "file_*", "thread_pool_*", "qemu_coroutine_*",
              "aio_*", "qemu_bh_*"):
        cmd += ["-trace", p]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    if r.returncode != 99:
        raise SystemExit("FAIL: the workload under %s ended with %d:\n%s" %
                         (accel, r.returncode, r.stderr.decode(errors="replace")[-2000:]))
    return out


def check_file(path, want_requests):
    try:
        with open(path) as f:
            events = json.load(f)
    except ValueError as e:
        return ["%s: not JSON: %s" % (path, e)]
    problems = validate(events)
    if want_requests and not problems:
        problems = check_requests(events)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?")
    ap.add_argument("--run", action="store_true")
    ap.add_argument("--duet")
    ap.add_argument("--kernel")
    args = ap.parse_args()
    if not args.run:
        problems = check_file(args.file, False)
        for p in problems[:20]:
            print(p)
        return 1 if problems else 0

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "run_guest", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                  "run-guest.py"))
    run_guest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_guest)
    accels = [a for a in ("tcg", "kvm") if run_guest.duet_accel_usable(args.duet, a) is None]
    if not accels:
        print("SKIP: no accelerator usable here")
        return 77
    failed = False
    with tempfile.TemporaryDirectory(prefix="duet-trace-json-") as tmp:
        for accel in accels:
            path = run(args.duet, args.kernel, accel, tmp)
            problems = check_file(path, True)
            if problems:
                failed = True
                print("FAIL %s: %d problems" % (accel, len(problems)))
                for p in problems[:20]:
                    print("  " + p)
            else:
                with open(path) as f:
                    n = len(json.load(f))
                print("ok %s: %d records valid, request ids carried" % (accel, n))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
