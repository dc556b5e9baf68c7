#!/usr/bin/env python3
"""qcow2 internal snapshots against qemu-img: duet-img snapshot creates,
lists, applies and deletes; qemu-img check must stay clean (no leaks, no
corruption), qemu-img must see and apply duet's snapshots and duet qemu's,
and every apply must bring back the bytes written before the snapshot.

usage: qcow2_snapshot.py DUET_IMG QCOW2_IO CASE
       (CASE: default small-clusters compat refcount1 compressed listing errors)
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qcow2lib import QEMU_IMG, QEMU_IO, Image, run, skip_without_qemu  # noqa: E402

DUET_IMG = IO = None
SIZE = 4 << 20
DATE_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def write_both(img, cur, off, length, seed):
    run([IO, "write", img, off, length, seed])
    run([IO, "write", cur, off, length, seed])


def check_clean(img):
    p = run([QEMU_IMG, "check", img], check=False)
    assert p.returncode == 0, f"qemu-img check {img}: exit {p.returncode}\n{p.stdout}{p.stderr}"
    run([IO, "check", img])


def same(img, raw):
    run([QEMU_IMG, "compare", "-f", "raw", "-F", "qcow2", raw, img])


def snap(tool, *args):
    return run([DUET_IMG if tool == "duet" else QEMU_IMG, "snapshot", *args])


def tags(img):
    out = run([QEMU_IMG, "snapshot", "-l", img]).stdout.splitlines()[2:]
    return [line.split()[1] for line in out]


def scenario(tmp, tag, create):
    """create(img) makes the image; returns after the whole life cycle."""
    img = os.path.join(tmp, f"{tag}.qcow2")
    cur, snap1, snap2 = (os.path.join(tmp, f"{tag}-{n}.raw") for n in ("cur", "s1", "s2"))
    create(img)
    run([QEMU_IMG, "convert", "-O", "raw", img, cur])
    write_both(img, cur, 1000, 200000, 1)
    write_both(img, cur, 2 << 20, 300000, 2)
    shutil.copy(cur, snap1)
    snap("duet", "-c", "s1", img)
    check_clean(img)
    assert tags(img) == ["s1"], tags(img)
    # writes after the snapshot copy the shared clusters (COW)
    write_both(img, cur, 4096, 100000, 3)
    write_both(img, cur, (2 << 20) + 65536, 4096, 4)
    write_both(img, cur, SIZE - 70000, 70000, 5)
    check_clean(img)
    same(img, cur)
    snap("qemu", "-c", "q2", img)
    shutil.copy(cur, snap2)
    check_clean(img)
    write_both(img, cur, 0, 600000, 6)
    snap("duet", "-a", "s1", img)           # duet applies its own
    check_clean(img)
    same(img, snap1)
    snap("duet", "-a", "q2", img)           # duet applies qemu's
    check_clean(img)
    same(img, snap2)
    snap("qemu", "-a", "s1", img)           # qemu applies duet's
    check_clean(img)
    same(img, snap1)
    run([IO, "write", img, 500, 300000, 7])  # writes over the restored state ...
    check_clean(img)
    snap("duet", "-a", "s1", img)           # ... leave the snapshot intact
    same(img, snap1)
    snap("duet", "-d", "s1", img)
    check_clean(img)
    assert tags(img) == ["q2"], tags(img)
    same(img, snap1)                        # delete does not touch the active state
    snap("duet", "-a", "q2", img)
    same(img, snap2)
    snap("duet", "-d", "q2", img)
    check_clean(img)
    assert tags(img) == [] and Image(img).nb_snapshots == 0
    same(img, snap2)
    # qemu deletes what duet created
    snap("duet", "-c", "s3", img)
    run([QEMU_IO, "-c", "write -P 0x33 0 1M", img])
    snap("qemu", "-d", "s3", img)
    check_clean(img)
    print(f"ok: {tag}")


def qemu_create(opts):
    return lambda img: run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", opts, img, SIZE])


def case_default(tmp):
    scenario(tmp, "default", qemu_create("cluster_size=65536"))
    scenario(tmp, "duet-made", lambda img: run([IO, "create", img, SIZE]))
    # applying a snapshot taken before a resize brings the old size back
    imgs = {t: os.path.join(tmp, f"resize-{t}.qcow2") for t in ("duet", "qemu")}
    for tool, img in imgs.items():
        run([QEMU_IMG, "create", "-q", "-f", "qcow2", img, "1M"])
        run([QEMU_IO, "-c", "write -P 1 0 512k", img])
        snap("qemu", "-c", "small", img)
        run([QEMU_IMG, "resize", "-q", img, "3M"])
        run([QEMU_IO, "-c", "write -P 2 2M 512k", img])
        snap(tool, "-a", "small", img)
        check_clean(img)
        assert Image(img).size == 1 << 20, f"{tool}: size {Image(img).size}"
    run([QEMU_IMG, "compare", imgs["duet"], imgs["qemu"]])
    print("ok: apply restores the size at snapshot time")


def case_small_clusters(tmp):
    scenario(tmp, "c512", qemu_create("cluster_size=512"))
    scenario(tmp, "c512-r16", qemu_create("cluster_size=512,refcount_bits=16"))
    scenario(tmp, "c4k-r4", qemu_create("cluster_size=4096,refcount_bits=4"))


def case_compat(tmp):
    scenario(tmp, "v2", qemu_create("compat=0.10"))
    scenario(tmp, "v2-c512", qemu_create("compat=0.10,cluster_size=512"))
    scenario(tmp, "lazy", qemu_create("lazy_refcounts=on"))


def case_compressed(tmp):
    def create(img):
        seed = img + ".seed"
        with open(seed, "wb") as f:
            f.truncate(SIZE)
            f.seek(300000)
            f.write(os.urandom(200000) + bytes(range(256)) * 2000)
        run([QEMU_IMG, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
             "cluster_size=4096", seed, img])
    scenario(tmp, "compressed", create)


def case_refcount1(tmp):
    """One-bit refcounts cannot share a cluster: qemu-img's error, and
    unlike qemu-img nothing leaks."""
    img = os.path.join(tmp, "r1.qcow2")
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", "refcount_bits=1", img, SIZE])
    snap("duet", "-c", "empty", img)        # nothing to share: works
    check_clean(img)
    run([IO, "write", img, 0, 100000, 1])
    p = run([DUET_IMG, "snapshot", "-c", "full", img], check=False)
    assert p.returncode == 1, p
    assert p.stderr == "duet-img: Could not create snapshot 'full': -22 (Invalid argument)\n", \
        p.stderr
    check_clean(img)
    assert tags(img) == ["empty"]
    run([IO, "verify", img, 0, 100000, 1])
    snap("duet", "-d", "empty", img)
    check_clean(img)
    print("ok: refcount_bits=1")
    # Two bits: active + two snapshots = 3; apply needs a 4th reference for
    # a moment and fails as qemu-img's does, leaving the image as it was.
    img = os.path.join(tmp, "r2.qcow2")
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", "refcount_bits=2", img, SIZE])
    run([IO, "write", img, 0, 100000, 1])
    snap("duet", "-c", "a", img)
    snap("duet", "-c", "b", img)
    p = run([DUET_IMG, "snapshot", "-a", "a", img], check=False)
    assert p.returncode == 1 and p.stderr == ("duet-img: Could not apply snapshot 'a': "
                                              "Failed to load snapshot: Invalid argument\n"), p
    check_clean(img)
    run([IO, "verify", img, 0, 100000, 1])
    snap("duet", "-d", "b", img)
    snap("duet", "-a", "a", img)
    check_clean(img)
    print("ok: refcount_bits=2")


def mask(text):
    return DATE_RE.sub("DATE", text).replace("qemu-img", "TOOL").replace("duet-img", "TOOL")


def case_listing(tmp):
    """Same operations by both tools: byte-identical listings (dates masked),
    duplicate names allowed as qemu-img allows them, ids max+1."""
    imgs = {t: os.path.join(tmp, f"list-{t}.qcow2") for t in ("duet", "qemu")}
    for tool, img in imgs.items():
        run([QEMU_IMG, "create", "-q", "-f", "qcow2", img, SIZE])
        run([QEMU_IO, "-c", "write -P 1 0 64k", img])
        for name in ("one", "dup", "dup", "a much longer snapshot name", "x",
                     "abcdefghijklmnop", "abcdefghijklmnopq"):
            snap(tool, "-c", name, img)
        snap(tool, "-d", "dup", img)        # the first match, id 2
        snap(tool, "-a", "1", img)          # apply takes an id too
        p = run([DUET_IMG if tool == "duet" else QEMU_IMG, "snapshot", "-d", "3", img],
                check=False)
        assert p.returncode == 1, "delete looks names up only"
        snap(tool, "-c", "after", img)      # id 6: one more than the largest
        snap(tool, "-q", "-a", "x", img)
    for lister in ("duet", "qemu"):
        outs = [snap(lister, "-l", img).stdout for img in imgs.values()]
        assert mask(outs[0]) == mask(outs[1]), f"{lister}:\n{outs[0]}\n{outs[1]}"
    d, q = (snap(t, "-l", imgs["duet"]).stdout for t in ("duet", "qemu"))
    assert d == q, f"listing of the same image differs:\n{d}\n{q}"
    assert "Snapshot list:\nID        TAG               VM SIZE" in d, d
    print(d, end="")
    for img in imgs.values():
        check_clean(img)
    # force-share is fine for listing
    snap("duet", "-U", "-l", imgs["duet"])
    print("ok: listing")


def compare_errors(tmp, img_duet, img_qemu, args, rc):
    pd = run([DUET_IMG, "snapshot", *args, img_duet], check=False)
    pq = run([QEMU_IMG, "snapshot", *args, img_qemu], check=False)
    assert pd.returncode == pq.returncode == rc, (args, pd, pq)
    # The error lines (qemu-img repeats the probed-raw warning for -a).
    def errors(text, img):
        lines = [l for l in text.splitlines() if l and not l.startswith(("WARNING", " "))]
        return mask("\n".join(lines)).replace(os.path.basename(img), "IMG")
    exp = errors(pq.stderr, img_qemu)
    got = errors(pd.stderr, img_duet)
    assert got == exp, f"{args}: got {got!r}, qemu-img says {exp!r}"


def case_errors(tmp):
    q = {t: os.path.join(tmp, f"e-{t}.qcow2") for t in ("duet", "qemu")}
    r = {t: os.path.join(tmp, f"e-{t}.raw") for t in ("duet", "qemu")}
    for t in ("duet", "qemu"):
        run([QEMU_IMG, "create", "-q", "-f", "qcow2", q[t], SIZE])
        run([QEMU_IMG, "create", "-q", "-f", "raw", r[t], SIZE])
        snap("qemu", "-c", "s", q[t])
    for args, rc in ((["-a", "nope"], 1), (["-d", "nope"], 1), (["-U", "-c", "x"], 1),
                     (["-l", "-c", "x"], 1)):
        compare_errors(tmp, q["duet"], q["qemu"], args, rc)
    for args, rc in ((["-c", "x"], 1), (["-a", "x"], 1), (["-d", "x"], 1)):
        compare_errors(tmp, r["duet"], r["qemu"], args, rc)
    p = run([DUET_IMG, "snapshot", "-l", r["duet"]])
    assert p.stdout == "", p.stdout
    p = run([DUET_IMG, "snapshot", "-l"], check=False)
    assert p.returncode == 1 and "Expecting one image file name" in p.stderr, p
    p = run([DUET_IMG, "snapshot", "-c", "x", os.path.join(tmp, "missing.qcow2")], check=False)
    assert p.returncode == 1 and "Could not open" in p.stderr, p
    # a corrupt image is refused for writing, still listed
    img = q["duet"]
    Image(img).write(79, b"\x02")
    p = run([DUET_IMG, "snapshot", "-c", "x", img], check=False)
    assert p.returncode == 1, p
    assert tags(img) == ["s"], tags(img)
    run([DUET_IMG, "snapshot", "-l", img])
    print("ok: errors")


STRACE = shutil.which("strace")


def traced_writes(log):
    """(tid, succeeded) of each pwritev/pwrite64 in an strace -f log."""
    calls = []
    for line in open(log):
        m = re.match(r"(\d+)\s+(pwritev|pwrite64)\(.*= (-?\d+)", line)
        if m:
            calls.append((m.group(1), int(m.group(3)) >= 0))
    return calls


COPIED_RE = re.compile(r"ERROR OFLAG_COPIED (?:L2|data) cluster: .*?(?:l1|l2)_entry=([0-9a-f]+) "
                       r"refcount=(\d+)$")


def copied_flags_safe(stderr, shared_ok, report):
    """The only errors a crash may leave are OFLAG_COPIED flags that are
    stale in the safe direction: clear on a cluster of refcount 1 (a
    needless copy on write), or, while the new snapshot is not yet in the
    table (shared_ok), set on one whose extra reference is only a leak."""
    for line in stderr.splitlines():
        if not line.startswith("ERROR"):
            continue
        m = COPIED_RE.match(line)
        assert m, f"not a flag error: {line}\n{report}"
        copied = int(m.group(1), 16) >> 63
        assert (not copied and int(m.group(2)) == 1) or (copied and shared_ok), \
            f"unsafe flag: {line}\n{report}"


def crash_op(tmp, name, base, args, states_ok):
    """Kills duet-img snapshot ARGS (SIGKILL, the write not done) at its
    Nth file write, for every N, each time on a fresh copy of base:
    qemu-img check may find leaks, never corruption, and states_ok(img)
    must accept what the image shows."""
    log = os.path.join(tmp, "strace.log")
    img = os.path.join(tmp, "crash.qcow2")
    trace = [STRACE, "-f", "-qq", "-o", log, "-e", "trace=pwritev,pwrite64"]
    # LeakSanitizer cannot run under ptrace (ASan builds)
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    shutil.copy(base, img)
    run([*trace, DUET_IMG, "snapshot", *args, img], env=env)
    total = len(traced_writes(log))
    assert total >= 2, f"{name}: only {total} writes traced"
    points = set()
    stale_flags = 0
    for n in range(1, total + 1):
        shutil.copy(base, img)
        # strace counts per thread: N is the Nth write of one thread
        p = run([*trace, "-e", f"inject=pwritev,pwrite64:error=EIO:signal=KILL:when={n}",
                 DUET_IMG, "snapshot", *args, img], check=False, env=env)
        assert p.returncode != 0, f"{name}: not killed at write {n}"
        done = sum(ok for _, ok in traced_writes(log))
        points.add(done)
        p = run([QEMU_IMG, "check", img], check=False)
        report = f"{name} killed after {done} writes: check exit {p.returncode}\n" \
                 f"{p.stdout}{p.stderr}"
        if p.returncode == 2:
            stale_flags += 1
            copied_flags_safe(p.stderr, shared_ok=name == "create" and "new" not in tags(img),
                              report=report)
            run([QEMU_IMG, "check", "-r", "all", img], check=False)
            p = run([QEMU_IMG, "check", img], check=False)
        assert p.returncode in (0, 3), report
        states_ok(img, done)
    assert len(points) * 2 >= total, f"{name}: only crash points {sorted(points)} of {total}"
    print(f"ok: {name}: killed after each of {sorted(points)} of {total} writes: leaks at "
          f"worst ({stale_flags} times only safe stale OFLAG_COPIED flags)")


def case_crash(tmp):
    if not STRACE or run([STRACE, "-o", os.devnull, "true"], check=False).returncode:
        print("SKIP: strace (syscall fault injection) unavailable or not permitted")
        sys.exit(77)
    for cluster_size in (4096, 512):
        crash_cycle(tmp, cluster_size)


def crash_cycle(tmp, cluster_size):
    base, old, cur = (os.path.join(tmp, n) for n in ("base.qcow2", "old.raw", "cur.raw"))
    run([QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", f"cluster_size={cluster_size}", base,
         SIZE])
    run([QEMU_IMG, "convert", "-O", "raw", base, cur])
    write_both(base, cur, 0, 300000, 1)
    shutil.copy(cur, old)
    snap("qemu", "-c", "old", base)
    write_both(base, cur, 100000, 300000, 2)
    snap("qemu", "-c", "keep", base)
    write_both(base, cur, 250000, 100000, 3)

    def applies(img, tag, raw):
        probe = os.path.join(tmp, "probe.qcow2")
        shutil.copy(img, probe)
        run([QEMU_IMG, "snapshot", "-a", tag, probe])
        same(probe, raw)

    def after_create(img, n):
        same(img, cur)
        assert tags(img) in (["old", "keep"], ["old", "keep", "new"]), tags(img)
        applies(img, "old", old)
        if "new" in tags(img):
            applies(img, "new", cur)

    def after_apply(img, n):
        assert tags(img) == ["old", "keep"], tags(img)
        p = run([QEMU_IMG, "compare", "-f", "raw", "-F", "qcow2", old, img], check=False)
        if p.returncode:
            same(img, cur)
        applies(img, "old", old)

    def after_delete(img, n):
        same(img, cur)
        assert tags(img) in (["old", "keep"], ["keep"]), tags(img)
        if "old" in tags(img):
            applies(img, "old", old)

    print(f"cluster_size={cluster_size}:")
    crash_op(tmp, "create", base, ["-c", "new"], after_create)
    crash_op(tmp, "apply", base, ["-a", "old"], after_apply)
    crash_op(tmp, "delete", base, ["-d", "old"], after_delete)


CASES = {"crash": case_crash, "default": case_default, "small-clusters": case_small_clusters,
         "compat": case_compat, "refcount1": case_refcount1, "compressed": case_compressed,
         "listing": case_listing, "errors": case_errors}


def main():
    global DUET_IMG, IO
    skip_without_qemu()
    DUET_IMG, IO, case = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory() as tmp:
        CASES[case](tmp)


if __name__ == "__main__":
    main()
