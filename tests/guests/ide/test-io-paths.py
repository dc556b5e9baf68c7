#!/usr/bin/env python3
"""Checks scripts/compare-io-paths on the ide-paths workload: for every kind
of request, the layers below the accelerator are the same under tcg and kvm
(same layers, in the same order, reached through the same events), the
accelerator layer differs, and each path reaches the layers it must.

    test-io-paths.py SCRIPT --duet BIN --kernel ide-paths.elf
Exit status: 0 pass, 1 fail, 77 skipped (the script's reason printed).
"""
import json
import subprocess
import sys

# Layers each kind of request must go through, top to bottom.
MUST_REACH = {
    "pio-write": ["accelerator", "memory", "device (ide)", "block-backend", "block io",
                  "qcow2", "file-posix"],
    "dma-read": ["accelerator", "memory", "device (ide)", "dma-helpers", "block-backend",
                 "block io", "qcow2", "file-posix"],
    "dma-write": ["accelerator", "memory", "device (ide)", "dma-helpers", "block-backend",
                  "block io", "qcow2", "file-posix"],
    "flush": ["accelerator", "memory", "device (ide)", "block-backend", "block io",
              "file-posix"],
    "status-poll": ["accelerator", "memory", "device (ide)"],
}
# file-posix serves a read from the page cache inline when it can
# (RWF_NOWAIT) and through the thread pool otherwise: which one depends on
# the host's cache, not on the accelerator, so only these may differ.
CACHE = ("file-posix", "thread pool")
CACHE_EVENTS = {"file_complete_nowait", "file_submit", "file_complete",
                "thread_pool_submit", "thread_pool_complete"}
# A status poll must stop at the device.
MUST_NOT_REACH = {"status-poll": ["block-backend"], "pio-write": ["dma-helpers"],
                  "flush": ["dma-helpers"]}


def fail(msg, out=""):
    print("FAIL: " + msg)
    if out:
        print(out)
    sys.exit(1)


def main():
    script, rest = sys.argv[1], sys.argv[2:]
    r = subprocess.run([sys.executable, script, "--json"] + rest, capture_output=True,
                       text=True, timeout=300)
    if r.returncode == 77:
        print(r.stdout.strip() or "SKIP: compare-io-paths skipped")
        sys.exit(77)
    if r.returncode != 0:
        fail("compare-io-paths exited %d" % r.returncode, r.stdout + r.stderr)
    report = json.loads(r.stdout)
    phases = {p["phase"]: p for p in report["phases"]}
    if sorted(phases) != sorted(MUST_REACH):
        fail("phases %s, expected %s" % (sorted(phases), sorted(MUST_REACH)))
    for name, p in phases.items():
        tcg, kvm = p["accels"]["tcg"], p["accels"]["kvm"]
        below = [[l["layer"] for l in a["layers"] if l["layer"] not in ("accelerator", "thread pool")]
                 for a in (tcg, kvm)]
        if below[0] != below[1]:
            fail("%s: layers below the accelerator differ: tcg %s, kvm %s"
                 % (name, below[0], below[1]))
        if "accelerator" not in p["differing_layers"]:
            fail("%s: the accelerator layer is the same under tcg and kvm" % name)
        for layer in p["differing_layers"]:
            if layer == "accelerator":
                continue
            ev = [{e for l in a["layers"] if l["layer"] == layer for e in l["events"]}
                  for a in (tcg, kvm)]
            if layer not in CACHE or not (ev[0] ^ ev[1]) <= CACHE_EVENTS:
                fail("%s: layer %s differs below the accelerator: tcg %s, kvm %s"
                     % (name, layer, sorted(ev[0]), sorted(ev[1])))
        for a, accel in ((tcg, "tcg"), (kvm, "kvm")):
            layers = [l["layer"] for l in a["layers"]]
            want = [l for l in MUST_REACH[name] if l != "thread pool"]
            if [l for l in layers if l in want] != want:
                fail("%s (%s): reached %s, expected %s in this order"
                     % (name, accel, layers, want))
            for l in MUST_NOT_REACH.get(name, []):
                if l in layers:
                    fail("%s (%s) should not reach %s" % (name, accel, l))
            top = a["layers"][0]
            prefix = "kvm_" if accel == "kvm" else "tcg_helper_"
            if top["layer"] != "accelerator" or not all(e.startswith(prefix)
                                                        for e in top["events"]):
                fail("%s (%s): top layer events %s" % (name, accel, top["events"]))
            threads = {t for l in a["layers"] if l["layer"] == "accelerator"
                       for t in l["threads"]}
            if len(threads) != 1:
                fail("%s (%s): accelerator events on threads %s" % (name, accel, threads))
        print("%s: %s; top: tcg %s / kvm %s" % (name, " > ".join(below[0]),
              sorted(tcg["layers"][0]["events"]), sorted(kvm["layers"][0]["events"])))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
