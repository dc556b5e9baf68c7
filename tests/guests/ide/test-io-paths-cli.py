#!/usr/bin/env python3
"""scripts/compare-io-paths' rough edges: an unknown --phases name is an
error (status 2, the valid names listed); --help is whole (ends with the
exit statuses); --kernel with the bundled demo guest accepts its PASS and
reports one phase, with the per-layer verdict looking at threads.

    test-io-paths-cli.py SCRIPT --duet BIN --demo demo.elf
Exit status: 0 pass, 1 fail, 77 skipped (why printed).
"""
import argparse
import json
import subprocess
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("script")
    ap.add_argument("--duet", required=True)
    ap.add_argument("--demo", required=True)
    args = ap.parse_args()
    base = [sys.executable, args.script, "--duet", args.duet]

    r = subprocess.run(base + ["--phases", "bogus"], capture_output=True, text=True)
    if r.returncode != 2 or "unknown phase bogus" not in r.stderr or "dma-read" not in r.stderr:
        fail("--phases bogus: status %d, stderr %r" % (r.returncode, r.stderr))
    r = subprocess.run(base + ["--help"], capture_output=True, text=True)
    if r.returncode != 0 or "Exit status:" not in r.stdout or "--phases" not in r.stdout \
            or "threads differ" not in r.stdout:
        fail("--help incomplete:\n" + r.stdout)
    r = subprocess.run(base + ["--kernel", args.demo, "--json"], capture_output=True, text=True,
                       timeout=300)
    if r.returncode == 77:
        print(r.stdout.strip())
        return 77
    if r.returncode != 0:
        fail("--kernel demo.elf: status %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    report = json.loads(r.stdout)
    phases = [p["phase"] for p in report["phases"]]
    if phases != ["whole-run"]:
        fail("demo phases %s" % phases)
    p = report["phases"][0]
    if "thread_differing_layers" not in p:
        fail("no thread verdict in the report")
    for layer in p["thread_differing_layers"]:
        threads = [sorted(l["threads"]) for a in ("tcg", "kvm")
                   for l in p["accels"][a]["layers"] if l["layer"] == layer]
        if len(threads) != 2 or len({tuple(t) for t in threads}) < 2:
            fail("layer %s marked 'threads differ' with threads %s" % (layer, threads))
    print("PASS: --phases bogus refused, --help whole, demo accepted; threads differ in %s"
          % (p["thread_differing_layers"] or "no layer"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
