#!/usr/bin/env python3
"""Opens the page of scripts/compare-io-paths --html in a real browser
(headless Chromium) and checks that it rendered: every timeline the page's
data holds is drawn with its lanes and boxes (the counts in the DOM after
the page's script ran equal the data's), no JavaScript error or console
message, nothing fetched from the network; a screenshot is kept in
--out-dir (io-paths-page*.png) and shows the timelines' colours.

    test-io-paths-page.py SCRIPT --duet BIN (--kernel GUEST | --linux ARCH --build DIR)
        --out-dir DIR [--kinds k,k] [--name NAME]
Exit status: 0 pass, 1 fail, 77 skipped (why printed).
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

BROWSERS = ["chromium", "chromium-browser", "google-chrome"]
# Root's sandbox needs --no-sandbox; no GPU in a container.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--allow-file-access-from-files"]
# The device layer's boxes (io-paths-page.js), drawn opaque for the
# request's own frames; the legend's swatch alone is 12x12 pixels.
DEVICE_COLOR = (0x1b, 0x9e, 0x77)
LEGEND_PIXELS = 144


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Dom(html.parser.HTMLParser):
    """Counts lanes and boxes per timeline SVG; the root's attributes."""

    def __init__(self):
        super().__init__()
        self.svgs, self.cur, self.root, self.external = {}, None, {}, []
        # Per section: the chain table's rows (class, text) and the layer
        # table's rows (text).
        self.kind, self.table, self.row = None, None, None
        self.chains, self.layers = {}, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if tag in ("script", "img", "iframe") and a.get("src") or \
                tag == "link" and a.get("href"):
            self.external.append("<%s %s>" % (tag, a))
        if tag == "section" and a.get("data-kind"):
            self.kind = a["data-kind"]
        if tag == "table" and self.kind:
            self.table = a.get("class")
        if tag == "tr" and self.table in ("chain", "layers"):
            self.row = [a.get("class", ""), ""]
            (self.chains if self.table == "chain" else self.layers).setdefault(
                self.kind, []).append(self.row)
        if tag == "svg" and "timeline" in a.get("class", ""):
            self.cur = (a.get("data-kind"), a.get("data-accel"))
            self.svgs[self.cur] = {"lanes": 0, "boxes": 0, "attrs": a}
        elif self.cur and tag == "g" and a.get("class") == "lane":
            self.svgs[self.cur]["lanes"] += 1
        elif self.cur and tag == "rect" and a.get("class") == "box":
            self.svgs[self.cur]["boxes"] += 1

    def handle_data(self, text):
        if self.row is not None:
            self.row[1] += text + " "

    def handle_endtag(self, tag):
        if tag == "svg":
            self.cur = None
        elif tag == "table":
            self.table, self.row = None, None
        elif tag == "tr":
            self.row = None


def png_pixels(path):
    """RGB(A) 8-bit non-interlaced PNG -> (width, height, bytes per pixel, rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                fail("screenshot PNG format not handled (depth %d type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(w * bpp), w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("script")
    ap.add_argument("--duet", required=True)
    ap.add_argument("--kernel")
    ap.add_argument("--linux", help="compare-io-paths --linux ARCH (the tests/linux guest)")
    ap.add_argument("--build", help="the build directory (--linux: its linux-cache)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--name", default="io-paths-page")
    ap.add_argument("--kinds", default="pio-write,dma-read,dma-write,flush,status-poll",
                    help="kinds of request the page must draw")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()

    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if not browser:
        print("SKIP: no Chromium installed (scripts/setup installs Debian's chromium)")
        return 77
    os.makedirs(args.out_dir, exist_ok=True)
    page = os.path.join(args.out_dir, args.name + ".html")
    cmd = [sys.executable, args.script, "--duet", args.duet,
           "--html", page, "--json", "--timeout", str(args.timeout)]
    for opt, val in (("--kernel", args.kernel), ("--linux", args.linux), ("--build", args.build)):
        if val:
            cmd += [opt, val]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout * 4)
    took = time.monotonic() - start
    if r.returncode == 77:
        print("SKIP: " + (r.stdout + r.stderr).strip())
        return 77
    if r.returncode != 0:
        fail("compare-io-paths --html exited %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    report = json.loads(r.stdout)
    text = open(page).read()
    m = re.search(r"<script type='application/json' id='duet-data'>(.*?)</script>", text, re.S)
    if not m:
        fail("no data in the page")
    data = json.loads(m.group(1).replace("<\\/", "</"))
    ran = report["accels"]
    for why in report["missing"].values():
        if why not in text.replace("&quot;", '"').replace("&#x27;", "'"):
            fail("the page does not say why an accelerator is missing: %s" % why)
    kinds = {k["kind"]: k for k in data["kinds"]}
    for k in args.kinds.split(","):
        if k not in kinds:
            fail("the page has no %s section (has %s)" % (k, sorted(kinds)))
        if sorted(kinds[k]["timelines"]) != sorted(ran):
            fail("%s: timelines for %s, accelerators that ran: %s"
                 % (k, sorted(kinds[k]["timelines"]), ran))
    if re.search(r"\b(src|href)=['\"]?(https?:)?//|@import|url\(", text):
        fail("the page refers to something outside itself")

    t0 = time.monotonic()
    d = subprocess.run([browser] + FLAGS + ["--dump-dom", "file://" + os.path.abspath(page)],
                       capture_output=True, text=True, timeout=120)
    dom_s = time.monotonic() - t0
    if d.returncode != 0 or "<html" not in d.stdout:
        fail("chromium --dump-dom exited %d\n%s" % (d.returncode, d.stderr[-2000:]))
    console = [l for l in d.stderr.splitlines() if ":CONSOLE" in l]
    if console:
        fail("console messages:\n" + "\n".join(console))
    dom = Dom()
    dom.feed(d.stdout)
    if dom.external:
        fail("the page loads from elsewhere: %s" % dom.external)
    if dom.root.get("data-js-errors"):
        fail("JavaScript errors: %s" % dom.root["data-js-errors"])
    want = sum(len(k["timelines"]) for k in data["kinds"])
    if dom.root.get("data-timelines-drawn") != str(want):
        fail("the page's script drew %s timelines, the data has %d"
             % (dom.root.get("data-timelines-drawn"), want))
    counts = []
    for k in data["kinds"]:
        for accel, t in sorted(k["timelines"].items()):
            got = dom.svgs.get((k["kind"], accel))
            if not got:
                fail("no SVG for %s under %s" % (k["kind"], accel))
            if got["lanes"] != len(t["lanes"]) or got["boxes"] != len(t["frames"]):
                fail("%s/%s: %d lanes, %d boxes drawn; the data has %d lanes, %d frames"
                     % (k["kind"], accel, got["lanes"], got["boxes"], len(t["lanes"]),
                        len(t["frames"])))
            if got["boxes"] < 3 or not any(f[2] == "accelerator" for f in t["frames"]):
                fail("%s/%s: %d boxes, no accelerator frame" % (k["kind"], accel, got["boxes"]))
            counts.append("%s/%s %d lanes %d boxes" % (k["kind"], accel, got["lanes"],
                                                       got["boxes"]))
    # The tables: the accelerator row says DIFFERS when both ran; the gdb
    # chains (when gdb ran) end in the thread's start on both sides, and the
    # highlighted rows are the accelerators' own frames.
    for k in data["kinds"]:
        rows = dom.layers.get(k["kind"], [])
        acc = [t for c, t in rows if t.startswith("accelerator ")]
        if not acc:
            fail("%s: no accelerator row in the layer table" % k["kind"])
        if len(ran) == 2 and "DIFFERS" not in acc[0]:
            fail("%s: accelerator row %r" % (k["kind"], acc[0]))
        chain = dom.chains.get(k["kind"], [])
        if not shutil.which("gdb") or not chain:
            continue
        same = " ".join(t for c, t in chain if c == "same")
        differs = " ".join(t for c, t in chain if c == "differs")
        if "qemu_thread_start" not in same or "memory_region_dispatch" not in same:
            fail("%s: chain rows in common lack the thread start or the memory API: %s"
                 % (k["kind"], same))
        if len(ran) == 2 and not ("kvm_cpu_exec" in differs and "cpu_tb_exec" in differs):
            fail("%s: highlighted chain rows lack the accelerators' frames: %s"
                 % (k["kind"], differs))
        counts.append("%s chain %d rows (%d highlighted)"
                      % (k["kind"], len(chain) - 1, sum(1 for c, _ in chain if c == "differs")))
    missing = [a for a in ("tcg", "kvm") if a not in ran]
    for a in missing:
        if "missing-accel' data-accel='%s'" % a not in text:
            fail("no note for the missing %s" % a)

    shot = os.path.join(args.out_dir, args.name + ".png")
    if os.path.exists(shot):
        os.unlink(shot)
    t0 = time.monotonic()
    s = subprocess.run([browser] + FLAGS + ["--screenshot=" + shot, "--window-size=1400,1800",
                                            "file://" + os.path.abspath(page)],
                       capture_output=True, text=True, timeout=120)
    shot_s = time.monotonic() - t0
    if s.returncode != 0 or not os.path.exists(shot):
        fail("chromium --screenshot exited %d\n%s" % (s.returncode, s.stderr[-2000:]))
    w, h, bpp, rows = png_pixels(shot)
    hits = sum(1 for row in rows for i in range(0, w * bpp, bpp)
               if abs(row[i] - DEVICE_COLOR[0]) + abs(row[i + 1] - DEVICE_COLOR[1]) +
               abs(row[i + 2] - DEVICE_COLOR[2]) < 24)
    if hits < 4 * LEGEND_PIXELS:
        fail("the screenshot %s shows no device-layer boxes (%d pixels of their colour)"
             % (shot, hits))
    print("page %s: %d bytes, made in %.1f s; DOM (%.1f s): %s; missing: %s"
          % (page, len(text.encode()), took, dom_s, "; ".join(counts),
             report["missing"] or "none"))
    print("screenshot %s: %dx%d, %d pixels of the device layer's colour (%.1f s)"
          % (shot, w, h, hits, shot_s))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
