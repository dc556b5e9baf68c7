"""The page of scripts/compare-io-paths --html: one self-contained HTML file
(no network) with, per kind of request, one request under each accelerator
as swim-lane timelines, the per-layer table and the gdb call chains.

The timelines are drawn in the browser by io-paths-page.js (inlined) from
the data inlined as JSON; this module picks the requests and cuts their
frames out of the JSON traces (-trace format=json, docs/tracing.md).
"""
import bisect
import html
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = [("pio-write", "PIO write"), ("dma-read", "DMA read"), ("dma-write", "DMA write"),
         ("flush", "flush"), ("status-poll", "status poll")]
# ATA command -> kind (ATA8-ACS command codes; the EXT and MULTIPLE forms too).
COMMANDS = {0x30: "pio-write", 0x31: "pio-write", 0x34: "pio-write", 0x39: "pio-write",
            0xC5: "pio-write", 0xC8: "dma-read", 0xC9: "dma-read", 0x25: "dma-read",
            0xCA: "dma-write", 0xCB: "dma-write", 0x35: "dma-write",
            0xE7: "flush", 0xEA: "flush"}
ACCEL_TOP = ("tcg_helper_", "kvm_handle_")
MAX_FRAMES = 4000    # per timeline: beyond this the narrowest frames are left out
MAX_INSTANTS = 1500


def build_frames(records):
    """Every B/E pair as a frame {tid, name, depth, ts, end, req, args,
    resumed}, by the per-track nesting the trace guarantees."""
    stacks, frames = {}, []
    for r in records:
        ph = r["ph"]
        if ph == "B":
            st = stacks.setdefault(r["tid"], [])
            a = r.get("args", {})
            st.append({"tid": r["tid"], "name": r["name"], "depth": len(st), "ts": r["ts"],
                       "end": None, "req": a.get("req", 0),
                       "args": " ".join("%s=%s" % (k, v) for k, v in a.items()
                                        if k not in ("req", "msg")),
                       "resumed": a.get("msg") == "resumed"})
        elif ph == "E":
            st = stacks.get(r["tid"])
            if st:
                f = st.pop()
                f["end"] = r["ts"]
                f["suspended"] = r.get("args", {}).get("msg") == "suspended"
                frames.append(f)
    frames.sort(key=lambda f: (f["ts"], f["depth"]))
    return frames


def is_vcpu(name):
    return name.startswith("CPU ")


def phase_ranges(result):
    """{phase number: (first ts, last ts)} in us."""
    out = {}
    for n, events in result["phases"].items():
        if events:
            out[n] = (events[0]["rec"]["ts"], events[-1]["rec"]["ts"])
    return out


def find_requests(result, frames, kind, phase_no):
    """The requests of @kind, in order: (start, end, req, label) windows."""
    ranges = phase_ranges(result)
    lo, hi = ranges.get(phase_no, (None, None)) if phase_no else (None, None)

    def inside(ts):
        if lo is None:
            return any(a <= ts <= b for a, b in ranges.values())
        return lo <= ts <= hi
    tops = {}
    for f in frames:
        if f["depth"] == 0 and f["name"].startswith(ACCEL_TOP):
            tops.setdefault(f["tid"], []).append(f)
    out, starts = [], {}
    if kind == "status-poll":
        for r in result["records"]:
            a = r.get("args", {})
            if r["name"] == "ide_ioport_read" and a.get("reg") == "7" and inside(r["ts"]) \
                    and not a.get("req"):
                lane = tops.get(r["tid"], [])
                i = bisect.bisect_right(starts.setdefault(r["tid"], [t["ts"] for t in lane]),
                                        r["ts"]) - 1
                if i >= 0 and r["ts"] <= lane[i]["end"]:
                    top = lane[i]
                    prev = lane[i - 1]["end"] if i else top["ts"]
                    out.append((prev, top["end"], 0, "status read, val=%s" % a.get("val", "?")))
        return out
    by_req = {}
    for f in frames:
        if f["req"]:
            s = by_req.setdefault(f["req"], [f["ts"], f["end"]])
            s[0], s[1] = min(s[0], f["ts"]), max(s[1], f["end"])
    for f in frames:
        if f["name"] != "ide_exec_cmd" or not inside(f["ts"]):
            continue
        try:
            cmd = int(f["args"].split("cmd=")[1].split()[0], 16)
        except (IndexError, ValueError):
            continue
        if COMMANDS.get(cmd) != kind:
            continue
        start = f["ts"]
        for top in tops.get(f["tid"], []):
            if top["ts"] <= f["ts"] <= top["end"]:
                start = top["ts"]
                break
        end = by_req.get(f["req"], [start, f["end"]])[1]
        out.append((start, end, f["req"], "ATA command 0x%02X, request id %d" % (cmd, f["req"])))
    return out


def timeline(result, frames, window, accel):
    """The frames, instants and lanes of one window, for the page's script."""
    start, end, req, label = window
    pad = max((end - start) * 0.04, 1.0)
    ws, we = start - pad, end + pad
    names = result["threads"]
    sel = [f for f in frames if f["end"] >= ws and f["ts"] <= we]
    # The vCPU between two accelerator frames: the guest runs (tcg:
    # interpreted; kvm: in KVM_RUN).
    guest = "guest code (interpreted)" if accel == "tcg" else "guest runs (KVM_RUN)"
    extra = []
    for tid in {f["tid"] for f in sel if is_vcpu(names.get(f["tid"], ""))}:
        tops = sorted((f for f in sel if f["tid"] == tid and f["depth"] == 0),
                      key=lambda f: f["ts"])
        edges = [ws] + [x for f in tops for x in (f["ts"], f["end"])] + [we]
        for a, b in zip(edges[0::2], edges[1::2]):
            if b > a:
                extra.append({"tid": tid, "name": guest, "depth": 0, "ts": a, "end": b,
                              "req": 0, "args": "", "layer": "guest"})
    if len(sel) > MAX_FRAMES:
        sel.sort(key=lambda f: f["end"] - f["ts"], reverse=True)
        dropped = len(sel) - MAX_FRAMES
        sel = sel[:MAX_FRAMES]
    else:
        dropped = 0
    inst = [r for r in result["records"] if r["ph"] == "i" and ws <= r["ts"] <= we]
    inst = inst[:MAX_INSTANTS]
    tids = sorted({f["tid"] for f in sel + extra} | {r["tid"] for r in inst},
                  key=lambda t: (not is_vcpu(names.get(t, "")), names.get(t, "") != "main", t))
    seen, lanes = {}, []
    for t in tids:
        n = names.get(t, str(t))
        seen[n] = seen.get(n, 0) + 1
        lanes.append({"tid": t, "name": n if seen[n] == 1 else "%s #%d" % (n, seen[n])})
    return {"start": ws, "end": we, "req": req, "label": label, "lanes": lanes,
            "dropped": dropped,
            "frames": [[f["tid"], f["name"], f.get("layer") or layer_of(f["name"]), f["depth"],
                        round(max(f["ts"], ws) - ws, 3), round(min(f["end"], we) - max(f["ts"], ws), 3),
                        f["req"], f["args"]] for f in extra + sel],
            "instants": [[r["tid"], r["name"], round(r["ts"] - ws, 3), r.get("args", {}).get("req", 0),
                          " ".join("%s=%s" % kv for kv in r.get("args", {}).items())]
                         for r in inst],
            "span_us": round(end - start, 1)}


LAYERS = []


def layer_of(name):
    for layer, prefixes in LAYERS:
        if name.startswith(prefixes):
            return layer
    return "other"


def lcs_rows(a, b):
    """The two chains aligned on their longest common subsequence of
    function names: rows (left frame or None, right frame or None)."""
    n, m = len(a), len(b)
    L = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            L[i][j] = L[i + 1][j + 1] + 1 if a[i][0] == b[j][0] else max(L[i + 1][j], L[i][j + 1])
    rows, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m and a[i][0] == b[j][0]:
            rows.append((a[i], b[j]))
            i, j = i + 1, j + 1
        elif j >= m or (i < n and L[i + 1][j] >= L[i][j + 1]):
            rows.append((a[i], None))
            i += 1
        else:
            rows.append((None, b[j]))
            j += 1
    return rows


def esc(s):
    return html.escape(str(s), quote=True)


def table_html(entry, accels):
    if entry is None:
        return "<p>No phase table for this kind.</p>"
    r = entry["requests"]
    head = "".join("<th colspan=3>%s</th>" % a for a in accels)
    sub = "".join("<th>events/req</th><th>&micro;s/req</th><th>threads</th>" for _ in accels)
    rows = []
    for layer in entry["layer_order"]:
        cells = []
        for a in accels:
            l = {x["layer"]: x for x in entry["accels"][a]["layers"]}.get(layer)
            if l is None:
                cells.append("<td>-</td><td>-</td><td>-</td>")
            else:
                cells.append("<td>%g</td><td>%.1f</td><td>%s</td>" % (
                    l["per_request"], l["time_us_per_request"], esc(", ".join(l["threads"]))))
        m = (entry["mark"] or {}).get(layer, "")
        cls = {"DIFFERS": "differs", "same, threads differ": "threads"}.get(m, "same")
        rows.append("<tr class='%s'><td>%s</td>%s<td class='verdict'>%s</td></tr>"
                    % (cls, esc(layer), "".join(cells), esc(m)))
    return ("<table class='layers'><caption>Per layer, phase <b>%s</b> (%d requests): "
            "events and time charged per request</caption><tr><th>layer</th>%s<th>verdict</th>"
            "</tr><tr><th></th>%s<th></th></tr>%s</table><p class='verdict-line'>&rarr; %s</p>"
            % (esc(entry["phase"]), r, head, sub, "".join(rows), esc(entry["verdict"])))


def chains_html(chains, accels):
    if not chains:
        return "<p class='note'>No gdb call chains (--no-gdb, or none were taken).</p>"
    got = [a for a in accels if isinstance(chains.get(a), list)]
    notes = "".join("<p class='note'>%s: %s</p>" % (esc(a), esc(chains[a]))
                    for a in accels if isinstance(chains.get(a), str))
    if not got:
        return notes
    if len(got) == 2:
        rows = lcs_rows(chains[got[0]], chains[got[1]])
    else:
        rows = [(f,) for f in chains[got[0]]]
    out = []
    for row in rows:
        differs = len(row) == 2 and (row[0] is None or row[1] is None)
        cells = "".join("<td>%s</td>" % ("" if f is None else "<code>%s</code> <span class='loc'>%s"
                                         "</span>" % (esc(f[0]), esc(f[1]))) for f in row)
        out.append("<tr class='%s'>%s</tr>" % ("differs" if differs else "same", cells))
    return ("%s<table class='chain'><caption>Call chain at the breakpoint (gdb "
            "<code>bt</code>, innermost first; highlighted: frames only one side has)"
            "</caption><tr>%s</tr>%s</table>"
            % (notes, "".join("<th>%s</th>" % esc(a) for a in got), "".join(out)))


def write(path, report, results, missing, chains, guest, layers):
    LAYERS[:] = layers
    accels = [a for a in ("tcg", "kvm") if a in results]
    frames = {a: build_frames(results[a]["records"]) for a in accels}
    phases = {e["phase"]: e for e in report}
    for e in report:
        e["mark"] = {l: ("DIFFERS" if l in e["differing_layers"] else "same, threads differ"
                         if l in e["thread_differing_layers"] else
                         "same" if e["same_below_accelerator"] is not None else "")
                     for l in e["layer_order"]}
        e["verdict"] = (("only the accelerator layer differs" if e["same_below_accelerator"]
                         else "layers below the accelerator differ: " + ", ".join(
                             l for l in e["differing_layers"] if l != "accelerator"))
                        if e["same_below_accelerator"] is not None
                        else "one accelerator only: no comparison")
    data = {"kinds": [], "layers": [l for l, _ in layers] + ["guest", "other"]}
    sections = []
    for kind, title in KINDS:
        entry = phases.get(kind)
        phase_no = entry["number"] if entry else None
        found = {a: find_requests(results[a], frames[a], kind, phase_no) for a in accels}
        if not any(found.values()):
            continue
        n = min(len(v) for v in found.values() if v)
        pick = n // 2
        kd = {"kind": kind, "title": title, "timelines": {}}
        for a in accels:
            if found[a]:
                w = found[a][min(pick, len(found[a]) - 1)]
                kd["timelines"][a] = timeline(results[a], frames[a], w, a)
                kd["timelines"][a]["ordinal"] = "%d of %d" % (min(pick, len(found[a]) - 1) + 1,
                                                              len(found[a]))
        if entry is None:
            # The phase that holds the requests (a guest without phases: whole-run).
            entry = report[0] if len(report) == 1 else None
        data["kinds"].append(kd)
        boxes = []
        for a in ("tcg", "kvm"):
            if a in kd["timelines"]:
                t = kd["timelines"][a]
                boxes.append("<div class='tl' data-accel='%s'><h3>%s: %s, request %s, span "
                             "%.1f &micro;s</h3><svg class='timeline' data-accel='%s' "
                             "data-kind='%s'></svg></div>"
                             % (a, a, esc(t["label"]), t["ordinal"], t["span_us"], a, kind))
            else:
                boxes.append("<div class='tl missing' data-accel='%s'><h3>%s: not shown</h3>"
                             "<p class='note'>%s</p></div>" % (a, a, esc(missing.get(
                                 a, "no %s request under %s" % (title, a)))))
        sections.append("<section class='kind' id='kind-%s' data-kind='%s'><h2>%s</h2>"
                        "<div class='pair'>%s</div>%s%s</section>"
                        % (kind, kind, esc(title), "".join(boxes), table_html(entry, accels),
                           chains_html(chains.get(kind, {}), accels)))
    notes = "".join("<p class='note missing-accel' data-accel='%s'><b>%s is missing:</b> %s</p>"
                    % (a, a, esc(why)) for a, why in missing.items())
    runs = "".join("<li>%s: run %.2f s, trace %d bytes</li>" % (a, results[a]["seconds"],
                                                                results[a]["size"])
                   for a in accels)
    with open(os.path.join(HERE, "io-paths-page.css")) as f:
        css = f.read()
    with open(os.path.join(HERE, "io-paths-page.js")) as f:
        js = f.read()
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>duet: the I/O paths under tcg and kvm</title><style>%s</style>"
            "<script>window.addEventListener('error',function(e){var d=document.documentElement;"
            "d.setAttribute('data-js-errors',(d.getAttribute('data-js-errors')||'')+e.message+"
            "'\\n');});</script></head><body>"
            "<h1>One guest request, under tcg and under kvm</h1>"
            "<p>Guest <code>%s</code>%s. Each timeline is one request: a lane per thread, a "
            "box per layer's frame (nested by call depth, coloured by layer; the request's "
            "own frames solid, other work faded), ticks for instant events. Hover for names "
            "and arguments. Time axes are per timeline.</p><ul>%s</ul>%s"
            "<nav>%s</nav><div id='legend'></div>%s"
            "<script type='application/json' id='duet-data'>%s</script>"
            "<script>%s</script></body></html>\n"
            % (css, esc(os.path.basename(guest["kernel"])),
               esc(" with -append \"%s\"" % guest["append"]) if guest.get("append") else "",
               runs, notes, " ".join("<a href='#kind-%s'>%s</a>" % (k["kind"], esc(k["title"]))
                                     for k in data["kinds"]),
               "".join(sections), blob, js))
    with open(path, "w") as f:
        f.write(page)
    return len(page.encode())
