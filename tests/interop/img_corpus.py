#!/usr/bin/env python3
"""duet-img as a drop-in qemu-img: the same command lines through both.

Every case runs in two copies of the same fixture directory, once with
qemu-img and once with duet-img (invoked through a symlink named qemu-img,
so the program name in messages must come from argv[0] too), and must give
the same stdout, stderr and exit status.  Cases that change images also
require the images left behind to read the same (qemu-img compare) and,
for qcow2, to pass qemu-img check.

The corpus is generated from tables below: fixtures x commands x options,
including bad command lines.  A case listed in KNOWN_DIFFERENT is expected
to differ (a feature not done yet); if it starts to match, the run fails
until the entry is removed, so the list cannot go stale.

usage: img_corpus.py DUET_IMG [--part quick|all] [--filter SUBSTR] [-v]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

QEMU_IMG = shutil.which("qemu-img")
QEMU_IO = shutil.which("qemu-io")

# ---- fixtures: made by qemu-img and qemu-io, never by duet ----

FIXTURES = [
    ("raw1m.raw", [["create", "-q", "-f", "raw", "{f}", "1M"]]),
    ("empty.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "1M"]]),
    ("data.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "4M"]],
     ["write -P 0x11 0 64k", "write -P 0x22 1M 128k", "write -z 3M 64k"]),
    ("old.qcow2", [["create", "-q", "-f", "qcow2", "-o", "compat=0.10", "{f}", "2M"]],
     ["write -P 0x33 512k 64k"]),
    ("small.qcow2", [["create", "-q", "-f", "qcow2", "-o", "cluster_size=4k,refcount_bits=1",
                      "{f}", "1M"]], ["write -P 0x44 0 12k"]),
    ("base.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "2M"]],
     ["write -P 0x55 0 1M"]),
    ("top.qcow2", [["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "{f}"]],
     ["write -P 0x66 512k 64k"]),
    # tops that commit empties in other ways: an L1 table of 32 clusters
    # (512-byte clusters), version 2 (no dirty bit: discarded cluster by
    # cluster), one with a snapshot (the same)
    ("top512.qcow2", [["create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2",
                       "-F", "qcow2", "{f}", "64M"]],
     ["write -P 0x67 0 40k", "write -P 0x68 1M 4k", "write -P 0x69 60M 4k"]),
    ("topv2.qcow2", [["create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.qcow2",
                      "-F", "qcow2", "{f}"]], ["write -P 0x6a 0 192k"]),
    ("topsnap.qcow2", [["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "{f}"],
                       ["snapshot", "-c", "s1", "{f}"]], ["write -P 0x6b 64k 128k"]),
    ("snap.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "1M"],
                    ["snapshot", "-c", "first", "{f}"],
                    ["snapshot", "-c", "second", "{f}"]], ["write -P 0x77 0 4k"]),
    ("bitmaps.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "1M"],
                       ["bitmap", "--add", "{f}", "b0"],
                       ["bitmap", "--add", "-g", "128k", "{f}", "b1"],
                       ["bitmap", "--disable", "{f}", "b1"]]),
    # bitmaps with bits set: b0 records qemu-io's writes, b1 (disabled) does not
    ("dirty.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "8M"],
                     ["bitmap", "--add", "-g", "4k", "{f}", "b0"],
                     ["bitmap", "--add", "--disable", "{f}", "b1"]],
     ["write -P 0x12 0 64k", "write -P 0x13 5M 4k"]),
    ("data.raw", [["create", "-q", "-f", "raw", "{f}", "4M"]],
     ["write -P 0x11 0 64k", "write -P 0x22 1M 128k"]),
    ("same.qcow2", [["convert", "-O", "qcow2", "data.raw", "{f}"]]),
    ("weird\"na\\me.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "1M"]]),
    ("notimage.txt", None),
    ("tiny.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "2k"]], ["write -P 0x21 0 2k"]),
    # data clusters out of guest order across four L2 tables (check's
    # fragmentation counts each table afresh)
    ("frag.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "2G"]],
     ["write 0 4k", "write 1G 4k", "write 128k 4k", "write 1536M 4k"]),
    # VM state (qemu-io -b) after the disk, in a second L1 entry
    ("vmstate.qcow2", [["create", "-q", "-f", "qcow2", "{f}", "1M"]],
     ["write -P 0x31 0 4k", "write -b -P 0x32 0 4k", "write -b -P 0x33 1M 512"]),
    # blkdebug rules for convert --salvage (sector 650 of data.qcow2's file
    # is guest byte 5120, 700 is 30720, 800 is 1M+16k)
    ("eio.cfg", "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"650\"\n"),
    ("eio2.cfg", "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"650\"\n\n[inject-error]\nevent = \"read_aio\"\nerrno = \"28\"\nsector = \"700\"\n"),
    ("eio3.cfg", "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"650\"\n\n[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\nsector = \"800\"\n"),
    ("l2.cfg", "[inject-error]\nevent = \"l2_load\"\nerrno = \"5\"\n"),
    ("l2once.cfg", "[inject-error]\nevent = \"l2_load\"\nerrno = \"5\"\nonce = \"on\"\n"),
]

IMAGES = ["raw1m.raw", "empty.qcow2", "data.qcow2", "old.qcow2", "small.qcow2", "top.qcow2",
          "snap.qcow2", "bitmaps.qcow2", "same.qcow2", "weird\"na\\me.qcow2"]
QCOW2 = [i for i in IMAGES if i.endswith(".qcow2")]


def make_fixtures(d):
    for spec in FIXTURES:
        name, cmds = spec[0], spec[1]
        path = os.path.join(d, name)
        if cmds is None:
            with open(path, "w") as f:
                f.write("this is not a disk image\n" * 100)
            continue
        if isinstance(cmds, str):
            with open(path, "w") as f:
                f.write(cmds)
            continue
        for c in cmds:
            subprocess.run([QEMU_IMG] + [a.format(f=name) for a in c], cwd=d, check=True,
                           stdout=subprocess.DEVNULL)
        for w in spec[2] if len(spec) > 2 else []:
            fmt = "raw" if name.endswith(".raw") else "qcow2"
            subprocess.run([QEMU_IO, "-f", fmt, "-c", w, name], cwd=d, check=True,
                           stdout=subprocess.DEVNULL)


# ---- the corpus: (id, argv after the program name, mutates, part) ----

def cases():
    out = []

    def add(args, mutates=False, part="quick"):
        out.append((" ".join(args), args, mutates, part))

    # top level
    for a in [[], ["nosuch"], ["info"]]:
        add(a)
    # info, human and JSON, every fixture
    for img in IMAGES:
        add(["info", img])
        add(["info", "--output=json", img])
        add(["info", "-U", img])
    for img in ["top.qcow2", "data.qcow2", "raw1m.raw"]:
        add(["info", "--backing-chain", img])
        add(["info", "--backing-chain", "--output=json", img])
        add(["info", "-f", "qcow2", img])
    for a in [["info"], ["info", "a", "b"], ["info", "-z", "x"], ["info", "-f"],
              ["info", "--foo", "x"], ["info", "--output=xml", "data.qcow2"],
              ["info", "nosuch.qcow2"], ["info", "-f", "raw", "data.qcow2"],
              ["info", "-f", "foo", "data.qcow2"], ["info", "notimage.txt"],
              ["info", "--image-opts", "-f", "qcow2", "x"],
              ["info", "--image-opts", "driver=qcow2,file.filename=data.qcow2"],
              ["info", "-Uz", "x"], ["info", ""], ["check", ""]]:
        add(a)
    # check
    for img in IMAGES + ["frag.qcow2", "vmstate.qcow2"]:
        add(["check", img])
        add(["check", "--output=json", img])
    for img in ["frag.qcow2", "vmstate.qcow2"]:
        add(["info", img])
        add(["map", "--output=json", img])
        add(["convert", "-O", "qcow2", img, "out.qcow2"], mutates=True)
        add(["compare", img, "data.qcow2"])
    for img in QCOW2:
        add(["check", "-r", "leaks", img], mutates=True)
        add(["check", "-r", "all", img], mutates=True)
        add(["check", "-q", img])
    for a in [["check"], ["check", "-r", "none", "data.qcow2"], ["check", "-r"],
              ["check", "nosuch"], ["check", "--output=json", "raw1m.raw"],
              ["check", "-f", "raw", "raw1m.raw"], ["check", "-z", "x"]]:
        add(a)
    # map
    for img in IMAGES:
        add(["map", img])
        add(["map", "--output=json", img])
    for a in [["map"], ["map", "--backing-chain", "top.qcow2"], ["map", "-f", "raw", "top.qcow2"],
              ["map", "--output=json", "-f", "qcow2", "--image-opts", "x"]]:
        add(a)
    # create
    create_opts = ["", "cluster_size=4k", "cluster_size=2M", "compat=0.10", "compat=1.1",
                   "lazy_refcounts=on", "refcount_bits=1", "refcount_bits=64",
                   "preallocation=metadata", "preallocation=off", "cluster_size=4k,lazy_refcounts=on",
                   "compat=v3", "refcount_bits=3", "cluster_size=1000", "nosuch=1",
                   "cluster_size=65536,refcount_bits=8,compat=1.1", "extended_l2=off",
                   "compression_type=zlib", "help", "size=2M", "cluster_size=help"]
    for o in create_opts:
        args = ["create", "-f", "qcow2"] + (["-o", o] if o else []) + ["new.qcow2"]
        if o != "size=2M":
            args.append("1M")
        add(args, mutates=True)
    for size in ["0", "1", "512", "1k", "1.5M", "64G", "1T", "1E", "9E", "-1", "1Q", "abc",
                 "1000000000000000000000"]:
        add(["create", "-f", "qcow2", "n.qcow2", size], mutates=True)
        add(["create", "-f", "raw", "n.raw", size], mutates=True)
    for a in [["create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "n.qcow2"],
              ["create", "-f", "qcow2", "-b", "base.qcow2", "n.qcow2"],
              ["create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "n.qcow2", "4M"],
              ["create", "-f", "qcow2", "-b", "nosuch.qcow2", "-F", "qcow2", "n.qcow2"],
              ["create", "-f", "qcow2", "-b", "nosuch.qcow2", "-F", "qcow2", "n.qcow2", "1M"],
              ["create", "-f", "qcow2", "-b", "base.qcow2", "-F", "raw", "n.qcow2"],
              ["create", "-f", "qcow2", "-u", "-b", "nosuch.qcow2", "-F", "qcow2", "n.qcow2",
               "1M"],
              ["create", "-f", "qcow2", "-o", "backing_file=base.qcow2,backing_fmt=qcow2",
               "n.qcow2"],
              ["create", "-f", "raw", "-b", "base.qcow2", "n.raw", "1M"],
              ["create", "-q", "-f", "qcow2", "n.qcow2", "1M"],
              ["create", "n.raw", "1M"], ["create"], ["create", "-f", "foo", "n", "1M"],
              ["create", "-f", "qcow2", "n.qcow2", "1M", "extra"],
              ["create", "-f", "qcow2", "n.qcow2"], ["create", "-f", "qcow2", "-o", ",", "n", "1M"],
              ["create", "-f", "qcow2", "-o", "", "n.qcow2", "1M"],
              ["convert", "-O", "qcow2", "-o", "", "small.qcow2", "out.qcow2"],
              ["amend", "-o", "", "small.qcow2"],
              ["measure", "-O", "qcow2", "-o", "", "--size", "1M"],
              ["create", "-f", "qcow2", "-o", "size=1M", "n.qcow2", "1M"],
              ["create", "-f", "raw", "-o", "preallocation=full", "n.raw", "64k"],
              ["create", "-f", "raw", "-o", "preallocation=falloc", "n.raw", "64k"],
              ["create", "-f", "raw", "-o", "help"], ["create", "-f", "qcow2", "-o", "help"],
              ["create", "-z"]]:
        add(a, mutates=True)
    # compare
    for a, b in [("data.qcow2", "data.raw"), ("data.qcow2", "same.qcow2"),
                 ("data.raw", "same.qcow2"), ("empty.qcow2", "raw1m.raw"),
                 ("data.qcow2", "empty.qcow2"), ("top.qcow2", "base.qcow2"),
                 ("snap.qcow2", "empty.qcow2"), ("old.qcow2", "data.qcow2")]:
        add(["compare", a, b])
        add(["compare", "-s", a, b])
        add(["compare", "-q", a, b])
    for a in [["compare", "data.qcow2"], ["compare", "-f", "qcow2", "-F", "raw", "data.qcow2",
                                          "data.raw"],
              ["compare", "-f", "raw", "data.qcow2", "data.raw"],
              ["compare", "nosuch", "data.raw"], ["compare", "-z", "a", "b"]]:
        add(a)
    # convert
    for src in ["data.qcow2", "data.raw", "top.qcow2", "old.qcow2", "small.qcow2"]:
        for o in [["-O", "raw"], ["-O", "qcow2"], ["-O", "qcow2", "-c"],
                  ["-O", "qcow2", "-o", "cluster_size=4k"]]:
            add(["convert"] + o + [src, "out.img"], mutates=True)
    for a in [["convert"], ["convert", "data.qcow2"], ["convert", "-O", "foo", "data.qcow2", "o"],
              ["convert", "nosuch", "o"], ["convert", "-O", "raw", "-c", "data.qcow2", "o"],
              ["convert", "-q", "-O", "qcow2", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-o", "help", "data.qcow2", "o"],
              ["convert", "-O", "qcow2", "-o", "cluster_size=3", "data.qcow2", "o"],
              ["convert", "-f", "raw", "-O", "qcow2", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "raw", "data.raw", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-S", "0", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-S", "4k", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-S", "abc", "data.qcow2", "out.raw"],
              ["convert", "-O", "qcow2", "-W", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-m", "4", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-m", "0", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-m", "17", "data.qcow2", "out.qcow2"],
              ["convert", "-n", "-O", "raw", "data.qcow2", "raw1m.raw"],
              ["convert", "-O", "qcow2", "-B", "base.qcow2", "top.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2", "top.qcow2",
               "out.qcow2"],
              ["convert", "-O", "raw", "-t", "none", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-t", "bogus", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-T", "writeback", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "first", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "snapshot.name=second", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "nosuch", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-s", "first", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "1", "snap.qcow2", "out.raw"],
              ["convert", "-O", "qcow2", "-l", "snapshot.id=1", "snap.qcow2", "out.qcow2"],
              ["convert", "-O", "raw", "-l", "snapshot.id=1,snapshot.name=second", "snap.qcow2",
               "out.raw"],
              ["convert", "-O", "raw", "-l", "snapshot.name=first,snapshot.id=1", "snap.qcow2",
               "out.raw"],
              ["convert", "-O", "raw", "-l", "snapshot.foo=1", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "snapshot.id=", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "first", "data.raw", "out.raw"],
              ["convert", "-O", "raw", "-l", "first", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "first", "snap.qcow2", "snap.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-l", "snapshot.name=x", "snap.qcow2", "data.qcow2",
               "out.raw"],
              ["convert", "-O", "qcow2", "data.qcow2", "small.qcow2", "top.qcow2", "out.qcow2"],
              ["convert", "-O", "raw", "data.qcow2", "nosuch", "out.raw"],
              ["convert", "-O", "raw", "-T", "bogus", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-T", "bogus", "nosuch", "out.raw"],
              ["convert", "-O", "raw", "-t", "bogus", "nosuch", "out.raw"],
              ["convert", "-C", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-C", "-c", "-O", "qcow2", "data.qcow2", "out.qcow2"],
              ["convert", "-C", "-S", "4k", "-O", "qcow2", "data.qcow2", "out.qcow2"],
              ["convert", "-C", "-S", "0", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-C", "--salvage", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "--salvage", "-O", "qcow2", "top.qcow2", "out.qcow2"],
              ["convert", "-r", "1M", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "0", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "abc", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "-1", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-O", "qcow2", "--target-image-opts", "data.qcow2",
               "driver=qcow2,file.filename=out.qcow2"],
              ["convert", "-n", "--target-image-opts", "data.qcow2",
               "driver=raw,file.filename=raw1m.raw"],
              ["convert", "-n", "--target-image-opts", "-O", "raw", "data.qcow2",
               "driver=raw,file.filename=raw1m.raw"],
              ["convert", "-n", "--target-image-opts", "small.qcow2",
               "driver=qcow2,file.filename=data.qcow2"],
              ["convert", "-n", "-o", "cluster_size=4k", "-O", "qcow2", "data.qcow2",
               "empty.qcow2"],
              ["convert", "-n", "-O", "qcow2", "small.qcow2", "data.qcow2"],
              ["convert", "-B", "base.qcow2", "-F", "qcow2", "-O", "raw", "top.qcow2", "out.raw"],
              ["convert", "-B", "base.qcow2", "-O", "raw", "nosuch", "out.raw"],
              ["convert", "-B", "base.qcow2", "-O", "qcow2", "nosuch", "out.qcow2"],
              ["convert", "-n", "-B", "base.qcow2", "-F", "qcow2", "-O", "raw", "top.qcow2",
               "raw1m.raw"],
              ["convert", "-O", "raw", "-c", "nosuch", "out.raw"],
              ["convert", "-O", "raw", "-S", "1000", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-S", "32M", "data.qcow2", "out.raw"],
              ["convert", "-O", "raw", "-S", "-1", "data.qcow2", "out.raw"],
              ["convert", "-O", "qcow2", "-m", "16", "-W", "data.qcow2", "out.qcow2"],
              ["convert", "-O", "qcow2", "-m", "x", "data.qcow2", "out.qcow2"],
              ["convert", "-U", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-z", "a", "b"],
              # --salvage: unreadable sectors become zeroes, with a warning
              ["convert", "--salvage", "-O", "raw", "blkdebug:eio.cfg:data.qcow2", "out.raw"],
              ["convert", "--salvage", "-O", "qcow2", "blkdebug:eio.cfg:data.qcow2", "out.qcow2"],
              ["convert", "-O", "raw", "blkdebug:eio.cfg:data.qcow2", "out.raw"],
              ["convert", "-q", "--salvage", "-O", "raw", "blkdebug:eio.cfg:data.qcow2",
               "out.raw"],
              ["convert", "--salvage", "-O", "raw", "blkdebug:eio2.cfg:data.qcow2", "out.raw"],
              # -m 1: qemu-img's parallel requests print the two warnings
              # in either order under load
              ["convert", "--salvage", "-m", "1", "-O", "qcow2", "blkdebug:eio3.cfg:data.qcow2",
               "out.qcow2"],
              ["convert", "--salvage", "-O", "raw", "data.raw", "blkdebug:eio.cfg:data.qcow2",
               "out.raw"],
              ["convert", "--salvage", "-n", "-O", "raw", "blkdebug:eio.cfg:data.qcow2",
               "data.raw"],
              ["convert", "--salvage", "-c", "-O", "qcow2", "blkdebug:eio.cfg:data.qcow2",
               "out.qcow2"],
              ["convert", "--salvage", "-O", "raw", "blkdebug:l2.cfg:tiny.qcow2", "out.raw"],
              ["convert", "--salvage", "-O", "raw", "data.raw", "blkdebug:l2.cfg:tiny.qcow2",
               "out.raw"],
              ["convert", "-O", "raw", "blkdebug:l2.cfg:tiny.qcow2", "out.raw"],
              ["convert", "--salvage", "-O", "qcow2", "blkdebug:l2once.cfg:tiny.qcow2",
               "out.qcow2"],
              ["convert", "-O", "raw", "blkdebug:l2once.cfg:tiny.qcow2", "out.raw"],
              ["convert", "-C", "--salvage", "-O", "raw", "blkdebug:eio.cfg:data.qcow2",
               "out.raw"],
              ["convert", "-C", "-O", "raw", "blkdebug:eio.cfg:data.qcow2", "out.raw"],
              ["convert", "-C", "-O", "qcow2", "data.raw", "out.qcow2"],
              ["convert", "-C", "-n", "-O", "raw", "data.qcow2", "data.raw"],
              ["convert", "-C", "-B", "base.qcow2", "-F", "qcow2", "-O", "qcow2", "top.qcow2",
               "out.qcow2"],
              ["convert", "-r", "16E", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "1E", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "", "-O", "raw", "data.qcow2", "out.raw"],
              ["convert", "-r", "0x10000000", "-O", "qcow2", "data.qcow2", "out.qcow2"],
              # compressed clusters are never written over allocated ones
              ["convert", "-c", "-n", "-O", "qcow2", "data.qcow2", "same.qcow2"],
              ["convert", "-c", "-n", "-O", "qcow2", "small.qcow2", "data.qcow2"],
              ["convert", "-c", "-n", "-O", "qcow2", "small.qcow2", "base.qcow2"],
              ["convert", "-c", "-n", "-O", "qcow2", "data.raw", "dirty.qcow2"],
              ["convert", "-c", "-n", "-O", "qcow2", "small.qcow2", "empty.qcow2"],
              ["convert", "-c", "-n", "-O", "qcow2", "base.qcow2", "top.qcow2"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs=16E"],
              ["dd", "if=data.qcow2", "of=out.raw", "count=16E"],
              ["bitmap", "--add", "-g", "16E", "data.qcow2", "bx"],
              ["commit", "-r", "16E", "top.qcow2"]]:
        add(a, mutates=True)
    # snapshot
    for img in ["snap.qcow2", "empty.qcow2", "raw1m.raw", "data.qcow2"]:
        add(["snapshot", "-l", img])
    for a in [["snapshot", "-d", "first", "snap.qcow2"], ["snapshot", "-d", "nosuch", "snap.qcow2"],
              ["snapshot", "-a", "first", "snap.qcow2"], ["snapshot", "-a", "nosuch", "snap.qcow2"],
              ["snapshot", "-a", "1", "snap.qcow2"], ["snapshot", "-d", "1", "snap.qcow2"],
              ["snapshot", "-c", "x", "raw1m.raw"], ["snapshot", "snap.qcow2"],
              ["snapshot", "-l", "-d", "first", "snap.qcow2"], ["snapshot"],
              ["snapshot", "-l"], ["snapshot", "-q", "-d", "first", "snap.qcow2"],
              ["snapshot", "-z", "x"]]:
        add(a, mutates=True)
    # resize
    for img, size in [("data.qcow2", "8M"), ("data.qcow2", "+1M"), ("data.qcow2", "-1M"),
                      ("data.qcow2", "1M"), ("raw1m.raw", "2M"), ("raw1m.raw", "512k"),
                      ("raw1m.raw", "-512k"), ("raw1m.raw", "+0"), ("data.qcow2", "0"),
                      ("data.qcow2", "abc"), ("data.qcow2", "-100M"), ("snap.qcow2", "2M"),
                      ("empty.qcow2", "1T"), ("dirty.qcow2", "16M"), ("dirty.qcow2", "2M"),
                      ("bitmaps.qcow2", "+3M")]:
        add(["resize", img, size], mutates=True)
        add(["resize", "--shrink", img, size], mutates=True)
    for a in [["resize"], ["resize", "x"], ["resize", "-q", "raw1m.raw", "2M"],
              ["resize", "--preallocation=falloc", "raw1m.raw", "2M"],
              ["resize", "--preallocation=full", "raw1m.raw", "2M"],
              ["resize", "--preallocation=bogus", "raw1m.raw", "2M"],
              ["resize", "-f", "qcow2", "raw1m.raw", "2M"], ["resize", "nosuch", "2M"],
              ["resize", "-z", "x", "1M"]]:
        add(a, mutates=True)
    # measure
    for img in IMAGES + ["base.qcow2", "data.raw"]:
        add(["measure", "-O", "qcow2", img])
        add(["measure", "--output=json", "-O", "qcow2", img])
        add(["measure", img])
    for size in ["0", "512", "1000", "1M", "1G", "1T", "64T", "abc", "-1", "1E"]:
        add(["measure", "-O", "qcow2", "--size", size])
        add(["measure", "-O", "raw", "--size", size])
    for o in ["cluster_size=4k", "cluster_size=512", "cluster_size=2M", "cluster_size=3k",
              "refcount_bits=1", "refcount_bits=64", "refcount_bits=3", "compat=0.10",
              "compat=0.10,refcount_bits=1", "compat=0.10,lazy_refcounts=on", "compat=0.9",
              "compat=v3", "preallocation=metadata", "preallocation=falloc",
              "preallocation=full", "preallocation=bogus", "extended_l2=on", "nosuch=1",
              "cluster_size=4k,refcount_bits=64", "cluster_size=512,extended_l2=on",
              "size=2M", "backing_file=base.qcow2"]:
        add(["measure", "-O", "qcow2", "-o", o, "--size", "1G"])
        add(["measure", "-O", "qcow2", "-o", o, "data.qcow2"])
    for a in [["measure"], ["measure", "-O", "qcow2"], ["measure", "--size", "1G"],
              ["measure", "-O", "qcow2", "--size", "1G", "data.qcow2"],
              ["measure", "-O", "qcow2", "a", "b"], ["measure", "-O", "foo", "--size", "1G"],
              ["measure", "-O", "foo", "nosuch"], ["measure", "-f", "foo", "data.qcow2"],
              ["measure", "-f", "raw", "-O", "qcow2", "data.qcow2"], ["measure", "nosuch"],
              ["measure", "-l", "first", "--size", "1M"], ["measure", "-f", "raw", "--size", "1M"],
              ["measure", "--output=xml", "--size", "1M"],
              ["measure", "--output=json", "--size", "1M"],
              ["measure", "-O", "qcow2", "--size", "64T", "-o", "cluster_size=512"],
              ["measure", "-O", "qcow2", "-o", "cluster_size=1k", "top.qcow2"],
              ["measure", "--image-opts", "driver=qcow2,file.filename=data.qcow2"],
              ["measure", "-U", "-O", "qcow2", "data.qcow2"],
              ["measure", "-O", "qcow2", "-o", "cluster_size=4k", "-o", "refcount_bits=8",
               "--size", "10G"],
              ["measure", "-O", "qcow2", "-l", "first", "snap.qcow2"],
              ["measure", "-O", "qcow2", "-l", "2", "snap.qcow2"],
              ["measure", "--output=json", "-O", "qcow2", "-l", "snapshot.id=1", "snap.qcow2"],
              ["measure", "-O", "qcow2", "-l", "snapshot.foo=1", "snap.qcow2"],
              ["measure", "-O", "qcow2", "-l", "nosuch", "snap.qcow2"],
              ["measure", "-O", "qcow2", "-l", "first", "data.raw"],
              ["measure", "-O", "qcow2", "-l", "snapshot.id=1", "--size", "1M"]]:
        add(a)
    # commit
    for a in [["commit", "top.qcow2"], ["commit", "-d", "top.qcow2"], ["commit", "-q", "top.qcow2"],
              ["commit", "-b", "base.qcow2", "top.qcow2"], ["commit", "-b", "data.qcow2", "top.qcow2"],
              ["commit", "-b", "nosuch", "top.qcow2"], ["commit", "-r", "1M", "top.qcow2"],
              ["commit", "-r", "abc", "top.qcow2"], ["commit", "-t", "none", "top.qcow2"],
              ["commit", "-t", "bogus", "top.qcow2"], ["commit", "-f", "qcow2", "top.qcow2"],
              ["commit", "-f", "raw", "top.qcow2"], ["commit", "data.qcow2"], ["commit"],
              ["commit", "top.qcow2", "x"], ["commit", "raw1m.raw"], ["commit", "nosuch"],
              ["commit", "-z", "top.qcow2"], ["commit", "-d", "-q", "top.qcow2"],
              ["commit", "-f", "foo", "top.qcow2"], ["commit", "-b"],
              ["commit", "--image-opts", "driver=qcow2,file.filename=top.qcow2"]]:
        add(a, mutates=True)
    # the emptied top byte for byte as qemu-img leaves it (the snapshot's
    # table holds its creation time: contents only).  Where the bases went
    # into depends on the order qemu-img's parallel copy requests finish in
    # (7 of 25 runs differ from the rest), except for a single cluster.
    add(["commit", "top.qcow2"], mutates=["top.qcow2", "base.qcow2"])
    for a in [["commit", "top512.qcow2"], ["commit", "topv2.qcow2"],
              ["commit", "-d", "top512.qcow2"]]:
        add(a, mutates=[a[-1]])
    add(["commit", "topsnap.qcow2"], mutates=True)
    # rebase
    for a in [["rebase", "-u", "-b", "data.qcow2", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "", "top.qcow2"], ["rebase", "-u", "-b", "", "top.qcow2"],
              ["rebase", "-b", "", "-F", "qcow2", "top.qcow2"], ["rebase", "top.qcow2"],
              ["rebase", "-b", "base.qcow2", "top.qcow2"],
              ["rebase", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "data.qcow2", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "data.qcow2", "top.qcow2"],
              ["rebase", "-b", "data.raw", "-F", "raw", "top.qcow2"],
              ["rebase", "-b", "data.raw", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "small.qcow2", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "nosuch", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-u", "-b", "nosuch", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-u", "-b", "nosuch", "top.qcow2"],
              ["rebase", "-u", "-b", "/abs/x", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "base.qcow2", "-F", "qcow2", "empty.qcow2"],
              ["rebase", "-b", "base.qcow2", "-F", "qcow2", "data.qcow2"],
              ["rebase", "-b", "data.raw", "-F", "raw", "small.qcow2"],
              ["rebase", "-b", "", "data.qcow2"], ["rebase", "-b", "", "raw1m.raw"],
              ["rebase", "-f", "raw", "-b", "", "top.qcow2"], ["rebase", "-q", "-b", "", "top.qcow2"],
              ["rebase", "-b", "", "top.qcow2", "x"], ["rebase", "-b", ""],
              ["rebase", "-t", "bogus", "-b", "", "top.qcow2"],
              ["rebase", "-T", "bogus", "-b", "", "top.qcow2"],
              ["rebase", "-b", "x", "-F", "foo", "top.qcow2"],
              ["rebase", "-u", "-b", "x", "-F", "foo", "top.qcow2"], ["rebase", "-z", "top.qcow2"],
              ["rebase", "-b", "", "nosuch"], ["rebase", "-U", "-b", "", "top.qcow2"],
              ["rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", "old.qcow2"],
              ["rebase", "-b", "base.qcow2", "-F", "qcow2", "old.qcow2"],
              ["rebase", "-b", "data.qcow2", "-F", "qcow2", "old.qcow2"],
              ["rebase", "-b", "old.qcow2", "-F", "qcow2", "top.qcow2"],
              ["rebase", "-b", "data.raw", "-F", "raw", "old.qcow2"],
              ["rebase", "-b", "top.qcow2", "-F", "qcow2", "top.qcow2"]]:
        add(a, mutates=True)
    # dd
    for src in ["data.qcow2", "data.raw", "top.qcow2", "small.qcow2", "snap.qcow2"]:
        for o in [[], ["-O", "raw"], ["-O", "qcow2"], ["bs=64k", "count=2"],
                  ["bs=4k", "count=3", "skip=1"], ["bs=64k", "count=17", "skip=15"],
                  ["bs=3000", "count=2", "skip=1", "-O", "qcow2"], ["bs=1M"]]:
            add(["dd", "if=" + src, "of=out.img"] + o, mutates=True)
    for a in [["dd", "if=data.qcow2", "of=out.raw", "bs=abc"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs=0"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs=3G"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs=2147483647", "count=1"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs="],
              ["dd", "if=data.qcow2", "of=out.raw", "count=-1"],
              ["dd", "if=data.qcow2", "of=out.raw", "count=1.5"],
              ["dd", "if=data.qcow2", "of=out.raw", "count=1k"],
              ["dd", "if=data.qcow2", "of=out.raw", "count=0x10"],
              ["dd", "if=data.qcow2", "of=out.raw", "count=0"],
              ["dd", "if=data.qcow2", "of=out.raw", "skip=x"],
              ["dd", "if=data.qcow2", "of=out.raw", "skip=8192"],
              ["dd", "if=data.qcow2", "of=out.raw", "skip=8193"],
              ["dd", "if=data.qcow2", "of=out.raw", "skip=100000"],
              ["dd", "if=data.qcow2", "of=out.raw", "skip=1", "count=1"],
              ["dd", "if=data.qcow2"], ["dd", "of=x"], ["dd"],
              ["dd", "if=data.qcow2", "of=out.raw", "foo=1"], ["dd", "xyz", "if=data.qcow2", "of=o"],
              ["dd", "if=data.qcow2", "of=out.raw", "conv=notrunc"],
              ["dd", "if=data.qcow2", "of=out.raw", "bs=1000", "count=1", "-O", "raw"],
              ["dd", "if=nosuch", "of=out.raw"], ["dd", "if=nosuch", "of=o", "-O", "foo"],
              ["dd", "if=data.qcow2", "of=out.raw", "-O", "foo"],
              ["dd", "if=data.qcow2", "of=raw1m.raw", "-O", "raw"],
              ["dd", "if=data.qcow2", "of=data.qcow2"],
              ["dd", "if=data.qcow2", "of=/nonexistent/o"],
              ["dd", "-f", "raw", "if=data.qcow2", "of=out.raw"],
              ["dd", "-f", "qcow2", "if=data.raw", "of=out.raw"],
              ["dd", "if=data.qcow2", "of=out.raw", "if=raw1m.raw"],
              ["dd", "-U", "if=data.qcow2", "of=out.raw"], ["dd", "if=", "of=o"],
              ["dd", "--image-opts", "if=driver=qcow2,file.filename=data.qcow2", "of=o"],
              ["dd", "-f", "qcow2", "--image-opts", "if=x", "of=o"],
              ["dd", "if=data.qcow2", "of=out.raw", "-z"]]:
        add(a, mutates=True)
    # amend
    for img in QCOW2 + ["base.qcow2"]:
        for o in ["compat=0.10", "compat=1.1", "lazy_refcounts=on", "lazy_refcounts=off",
                  "refcount_bits=64", "refcount_bits=1", "size=8M"]:
            add(["amend", "-o", o, img], mutates=True)
    for o in ["cluster_size=4k", "refcount_bits=8", "refcount_bits=16", "refcount_bits=3",
              "size=1M", "size=0", "size=3.5M", "size=1000", "size=abc", "nosuch=1",
              "compat=0.9", "compat=v2", "compat=v3", "compat=1.1,compat=0.10",
              "compat=0.10,size=8M", "lazy_refcounts=on,compat=0.10", "lazy_refcounts=bogus",
              "backing_file=x", "backing_fmt=raw", "compression_type=zstd",
              "encrypt.format=luks", "encrypt.new-secret=x", "preallocation=metadata",
              "data_file=x", "data_file_raw=on", "extended_l2=on", "help",
              "compat=0.10,refcount_bits=1", "refcount_bits=1,compat=1.1"]:
        add(["amend", "-o", o, "data.qcow2"], mutates=True)
    for a in [["amend", "data.qcow2"], ["amend"], ["amend", "-o", "compat=1.1"],
              ["amend", "-o", "help"], ["amend", "-o", "compat=0.10", "raw1m.raw"],
              ["amend", "-f", "raw", "-o", "compat=1.1", "data.qcow2"],
              ["amend", "-f", "qcow2", "-o", "compat=1.1", "raw1m.raw"],
              ["amend", "-o", "compat=1.1", "data.qcow2", "extra"],
              ["amend", "-o", "compat=0.10", "nosuch"],
              ["amend", "-o", "compat=0.10", "small.qcow2"],
              ["amend", "-o", "refcount_bits=16,compat=0.10", "small.qcow2"],
              ["amend", "-o", "backing_file=base.qcow2", "top.qcow2"],
              ["amend", "-o", "backing_file=base.qcow2,backing_fmt=qcow2", "top.qcow2"],
              ["amend", "-o", "compat=0.10", "-o", "lazy_refcounts=off", "data.qcow2"],
              ["amend", "-q", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "-p", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "-t", "bogus", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "-t", "none", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "--force", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "-o", "compat=0.10", "-o", "help", "data.qcow2"],
              ["amend", "-z", "-o", "compat=1.1", "data.qcow2"],
              ["amend", "-o", ",compat=1.1", "data.qcow2"],
              ["amend", "-o", "size=2M", "dirty.qcow2"],
              ["amend", "-o", "size=16M", "dirty.qcow2"],
              ["amend", "--image-opts", "-o", "compat=0.10",
               "driver=qcow2,file.filename=data.qcow2"]]:
        add(a, mutates=True)
    # bitmap
    for img in ["data.qcow2", "bitmaps.qcow2", "small.qcow2", "top.qcow2", "snap.qcow2",
                "dirty.qcow2"]:
        for ops in [["--add"], ["--add", "--disable"], ["--add", "-g", "4k"],
                    ["--add", "-g", "1G"], ["--add", "--remove"], ["--remove"], ["--clear"],
                    ["--enable"], ["--disable"], ["--merge", "b1"], ["--add", "--merge", "b0"],
                    ["--remove", "--add"]]:
            for bm in ["b0", "bx"]:
                add(["bitmap"] + ops + [img, bm], mutates=True)
    for a in [["bitmap", "--add", "-g", "1000", "data.qcow2", "bx"],
              ["bitmap", "--add", "-g", "abc", "data.qcow2", "bx"],
              ["bitmap", "--add", "-g", "256", "data.qcow2", "bx"],
              ["bitmap", "--add", "-g", "2G", "data.qcow2", "bx"],
              ["bitmap", "--add", "-g", "4G", "data.qcow2", "bx"],
              ["bitmap", "-g", "64k", "data.qcow2", "bx"], ["bitmap", "data.qcow2", "bx"],
              ["bitmap", "--add", "data.qcow2"], ["bitmap", "--add", "data.qcow2", ""],
              ["bitmap", "--add", "data.qcow2", "a" * 1023],
              ["bitmap", "--add", "data.qcow2", "x", "y"], ["bitmap"],
              ["bitmap", "--add", "--merge", "b1", "-b", "bitmaps.qcow2", "-F", "qcow2",
               "empty.qcow2", "b1"],
              ["bitmap", "--add", "nosuch", "bx"], ["bitmap", "--clear", "--add", "data.qcow2", "bx"],
              ["bitmap", "--merge", "nosuch", "bitmaps.qcow2", "b1"],
              ["bitmap", "--merge", "b0", "-b", "base.qcow2", "bitmaps.qcow2", "b1"],
              ["bitmap", "--merge", "b0", "-b", "bitmaps.qcow2", "-F", "qcow2", "data.qcow2", "b1"],
              ["bitmap", "--add", "--merge", "b1", "-b", "bitmaps.qcow2", "-F", "qcow2",
               "data.qcow2", "b1"],
              ["bitmap", "--add", "--merge", "nosuch", "data.qcow2", "bx"],
              ["bitmap", "--merge", "b0", "dirty.qcow2", "b1"],
              ["bitmap", "--merge", "b0", "--clear", "--merge", "b0", "dirty.qcow2", "b1"],
              ["bitmap", "--add", "-g", "1M", "--merge", "b0", "dirty.qcow2", "bz"],
              ["bitmap", "--add", "--merge", "b0", "-b", "dirty.qcow2", "-F", "qcow2",
               "base.qcow2", "bz"],
              ["bitmap", "--clear", "--remove", "dirty.qcow2", "b0"],
              ["bitmap", "--remove", "--remove", "bitmaps.qcow2", "b0"],
              ["bitmap", "--add", "--add", "data.qcow2", "bx"],
              ["bitmap", "-z", "--add", "data.qcow2", "bx"], ["bitmap", "--merge"],
              ["bitmap", "--image-opts", "--add", "driver=qcow2,file.filename=data.qcow2", "bx"]]:
        add(a, mutates=True)
    # commands and options not done yet are in the corpus as well
    for a in [["amend", "-o", "compat=0.10", "data.qcow2"],
              ["amend", "-o", "lazy_refcounts=on", "data.qcow2"],
              ]:
        add(a, mutates=True)
    return out


# Cases that still differ from qemu-img 7.2 (features not done yet), one
# command line a line in img_corpus_known.txt (--update-known rewrites it).
# Each must still differ: a match fails the run, so the list only shrinks.
KNOWN_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "img_corpus_known.txt")


def load_known():
    try:
        with open(KNOWN_FILE) as f:
            return {line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")}
    except FileNotFoundError:
        return set()


KNOWN_DIFFERENT = load_known()


def run_tool(tool, args, cwd):
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    p = subprocess.run([tool] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def images_in(d):
    return sorted(f for f in os.listdir(d) if not f.startswith("."))


# what qemu-img info must say alike of the images left behind
INFO_KEYS = ["virtual-size", "backing-filename", "backing-filename-format", "format-specific"]


def after_state(qdir, ddir):
    """Images left behind must read alike; duet's qcow2 must check clean."""
    problems = []
    qfiles, dfiles = images_in(qdir), images_in(ddir)
    if qfiles != dfiles:
        return [f"files differ: {qfiles} vs {dfiles}"]
    for f in qfiles:
        q, d = os.path.join(qdir, f), os.path.join(ddir, f)
        if f == "notimage.txt" or f.endswith(".cfg"):
            continue
        if os.path.getsize(q) == 0 and os.path.getsize(d) == 0:
            continue
        qi = run_tool(QEMU_IMG, ["info", "--output=json", "-U", q], qdir)
        di = run_tool(QEMU_IMG, ["info", "--output=json", "-U", d], ddir)
        if qi[0] != di[0]:
            problems.append(f"{f}: qemu-img info exit {qi[0]} vs {di[0]}")
            continue
        if qi[0]:
            continue
        fmt = "qcow2" if b'"format": "qcow2"' in qi[1] else "raw"
        qj, dj = json.loads(qi[1]), json.loads(di[1])
        for key in INFO_KEYS:
            if qj.get(key) != dj.get(key):
                problems.append(f"{f}: info {key}: {qj.get(key)!r} vs {dj.get(key)!r}")
        if fmt == "qcow2":
            c = run_tool(QEMU_IMG, ["check", "-U", d], ddir)
            qc = run_tool(QEMU_IMG, ["check", "-U", q], qdir)
            if c[0] != qc[0]:
                problems.append(f"{f}: qemu-img check exit {qc[0]} (qemu's) vs {c[0]} (duet's)"
                                f"\n{c[1].decode(errors='replace')}")
        cmp = run_tool(QEMU_IMG, ["compare", "-U", "-f", fmt, "-F", fmt, q, d], qdir)
        if cmp[0] == 2 and run_tool(QEMU_IMG, ["compare", "-U", "-f", fmt, "-F", fmt, q, q],
                                    qdir)[0] == 2:
            continue  # qemu-img cannot read qemu's image either (a missing backing file)
        if cmp[0] not in (0,):
            problems.append(f"{f}: contents differ: {cmp[1].decode(errors='replace').strip()}")
    return problems


def same_bytes(qdir, ddir, names):
    """The files qemu-img and duet-img left must be identical (cmp)."""
    problems = []
    for f in names:
        with open(os.path.join(qdir, f), "rb") as q, open(os.path.join(ddir, f), "rb") as d:
            qb, db = q.read(), d.read()
        if qb != db:
            at = next((i for i in range(min(len(qb), len(db))) if qb[i] != db[i]),
                      min(len(qb), len(db)))
            problems.append(f"{f}: not byte-identical: {len(qb)} vs {len(db)} bytes, "
                            f"first difference at byte {at}")
    return problems


def rate_check(alias, d):
    """-r limits the copy to RATE bytes a second: 4 MiB of data at 1M
    takes about 2 s through qemu-img (nothing in the output shows it)."""
    subprocess.run([QEMU_IMG, "create", "-q", "-f", "qcow2", "full.qcow2", "4M"], cwd=d, check=True)
    subprocess.run([QEMU_IO, "-c", "write -P 0x5a 0 4M", "full.qcow2"], cwd=d, check=True,
                   stdout=subprocess.DEVNULL)
    times = []
    for rate in [[], ["-r", "1M"]]:
        t = time.monotonic()
        r = run_tool(alias, ["convert"] + rate + ["-O", "raw", "full.qcow2", "full.raw"], d)
        times.append(time.monotonic() - t)
        if r[0] or run_tool(QEMU_IMG, ["compare", "full.qcow2", "full.raw"], d)[0]:
            return [f"convert {rate}: exit {r[0]} {r[2]!r} or wrong contents"]
    if times[0] > 1.0 or times[1] < 1.5:
        return [f"convert -r 1M of 4 MiB took {times[1]:.2f} s (without -r {times[0]:.2f} s), "
                "qemu-img takes about 2 s"]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("duet_img")
    ap.add_argument("--part", default="all", choices=["quick", "all"])
    ap.add_argument("--filter", default="")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--show-known", action="store_true",
                    help="print the differences of the known-different lines too")
    ap.add_argument("--update-known", action="store_true",
                    help="write the differing command lines to img_corpus_known.txt")
    opts = ap.parse_args()
    if not QEMU_IMG or not QEMU_IO:
        print("qemu-img/qemu-io not installed (qemu-utils): nothing to compare against")
        sys.exit(77)
    corpus = [c for c in cases() if opts.filter in c[0] and (opts.part == "all" or c[3] == "quick")]
    if opts.list:
        for c in corpus:
            print(c[0])
        return
    duet_img = os.path.abspath(opts.duet_img)
    tmp = tempfile.mkdtemp(prefix="img-corpus-")
    failures, unexpected, matched, differing = [], [], 0, []
    try:
        fixtures = os.path.join(tmp, "fixtures")
        os.mkdir(fixtures)
        make_fixtures(fixtures)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        alias = os.path.join(bindir, "qemu-img")
        os.symlink(duet_img, alias)
        for n, (cid, args, mutates, _) in enumerate(corpus):
            qdir, ddir = os.path.join(tmp, f"q{n}"), os.path.join(tmp, f"d{n}")
            shutil.copytree(fixtures, qdir, symlinks=True)
            shutil.copytree(fixtures, ddir, symlinks=True)
            q = run_tool(QEMU_IMG, args, qdir)
            d = run_tool(alias, args, ddir)
            diffs = []
            for what, a, b in (("exit status", q[0], d[0]), ("stdout", q[1], d[1]),
                               ("stderr", q[2], d[2])):
                if a != b:
                    diffs.append(f"  {what}:\n    qemu-img: {a!r}\n    duet-img: {b!r}")
            if not diffs and mutates:
                diffs += ["  " + p for p in after_state(qdir, ddir)]
            if not diffs and isinstance(mutates, list):
                diffs += ["  " + p for p in same_bytes(qdir, ddir, mutates)]
            if diffs:
                differing.append(cid)
            known = cid in KNOWN_DIFFERENT and not opts.show_known
            if diffs and not known:
                failures.append(f"DIFF {cid}\n" + "\n".join(diffs))
            elif not diffs and known:
                unexpected.append(f"MATCHES NOW (remove from KNOWN_DIFFERENT): {cid}")
            else:
                matched += not diffs
            if opts.v:
                print(("ok   " if not diffs else "diff ") + cid, flush=True)
            shutil.rmtree(qdir)
            shutil.rmtree(ddir)
        if opts.filter in "convert -r 1M" and not opts.list:
            failures += rate_check(alias, fixtures)
    finally:
        shutil.rmtree(tmp)
    if opts.update_known:
        with open(KNOWN_FILE, "w") as f:
            f.write("# img_corpus.py: command lines where duet-img still differs from qemu-img 7.2\n")
            for cid in sorted(set(differing) | (KNOWN_DIFFERENT - {c[0] for c in corpus})):
                f.write(cid + "\n")
        return
    for f in failures + unexpected:
        print(f)
    print(f"{len(corpus)} command lines: {matched} identical, "
          f"{len(corpus) - matched - len(failures) - len(unexpected)} known to differ, "
          f"{len(failures)} differing, {len(unexpected)} unexpectedly identical")
    sys.exit(1 if failures or unexpected else 0)


if __name__ == "__main__":
    main()
