// Draws each request's swim lanes from the data inlined in the page
// (scripts/lib/io_paths_page.py): one lane per thread, one box per frame,
// stacked by call depth; time runs left to right.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("duet-data").textContent);
  var COLORS = ["#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#e6ab02",
                "#a6761d", "#1f78b4", "#b2df8a", "#fb9a99", "#cccccc", "#999999"];
  var color = {};
  data.layers.forEach(function (l, i) { color[l] = COLORS[i % COLORS.length]; });
  var ROW = 14, LANE_PAD = 8, LABEL = 90, AXIS = 22, WIDTH = 640;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function tip(e, text) { el("title", {}, e).textContent = text; }
  function fmt(us) { return us >= 1000 ? (us / 1000).toFixed(2) + " ms" : us.toFixed(1) + " \u00b5s"; }

  function draw(svg, t) {
    var span = t.end - t.start, plot = WIDTH - LABEL - 10;
    var x = function (us) { return LABEL + us / span * plot; };
    var depth = {};
    t.frames.forEach(function (f) { depth[f[0]] = Math.max(depth[f[0]] || 0, f[3] + 1); });
    var y = AXIS, top = {};
    t.lanes.forEach(function (lane) {
      var rows = Math.max(depth[lane.tid] || 0, 1);
      var g = el("g", {"class": "lane", "data-thread": lane.name}, svg);
      el("rect", {"x": 0, "y": y, "width": WIDTH, "height": rows * ROW + LANE_PAD,
                  "fill": t.lanes.indexOf(lane) % 2 ? "#f2f2f2" : "#fcfcfc"}, g);
      el("text", {"x": 4, "y": y + 12}, g).textContent = lane.name;
      top[lane.tid] = {y: y + 3, g: g};
      y += rows * ROW + LANE_PAD;
    });
    t.frames.forEach(function (f) {
      var lane = top[f[0]];
      var own = f[2] === "guest" || !t.req || f[6] === t.req;
      var r = el("rect", {"class": "box", "data-layer": f[2], "x": x(f[4]).toFixed(2),
                          "y": lane.y + f[3] * ROW, "height": ROW - 2,
                          "width": Math.max(f[5] / span * plot, 0.5).toFixed(2),
                          "fill": color[f[2]] || "#999",
                          "fill-opacity": f[2] === "guest" ? 0.25 : own ? 1 : 0.3}, lane.g);
      tip(r, f[1] + " (" + f[2] + ") " + fmt(f[5]) + (f[6] ? " req=" + f[6] : "") +
          (f[7] ? "\n" + f[7] : ""));
      // A label only where it fits (about 6 px a character at 11 px).
      var chars = Math.floor((f[5] / span * plot - 4) / 6);
      if (chars >= 6) {
        el("text", {"x": x(f[4]) + 2, "y": lane.y + f[3] * ROW + 10, "fill": "#fff",
                    "pointer-events": "none"}, lane.g).textContent =
          f[1].length > chars ? f[1].slice(0, chars - 1) + "\u2026" : f[1];
      }
    });
    t.instants.forEach(function (i) {
      var lane = top[i[0]];
      var m = el("rect", {"class": "instant", "x": x(i[2]).toFixed(2), "y": lane.y - 3,
                          "width": 1, "height": 5, "fill": "#000"}, lane.g);
      tip(m, i[1] + (i[4] ? " " + i[4] : ""));
    });
    // The time axis: five ticks across the window.
    var axis = el("g", {"class": "axis"}, svg);
    for (var k = 0; k <= 4; k++) {
      var us = span * k / 4;
      el("line", {"x1": x(us), "x2": x(us), "y1": AXIS - 4, "y2": y, "stroke": "#bbb"}, axis);
      el("text", {"x": x(us) - (k === 4 ? 40 : 0), "y": 12}, axis).textContent = fmt(us);
    }
    svg.setAttribute("viewBox", "0 0 " + WIDTH + " " + y);
    svg.setAttribute("data-lanes", t.lanes.length);
    svg.setAttribute("data-boxes", t.frames.length);
  }

  var drawn = 0;
  data.kinds.forEach(function (k) {
    Object.keys(k.timelines).forEach(function (accel) {
      var svg = document.querySelector("svg.timeline[data-kind='" + k.kind + "'][data-accel='" +
                                        accel + "']");
      draw(svg, k.timelines[accel]);
      drawn++;
    });
  });
  var legend = document.getElementById("legend");
  data.layers.forEach(function (l) {
    var s = document.createElement("span");
    s.innerHTML = "<i style='background:" + color[l] + "'></i>";
    s.appendChild(document.createTextNode(l));
    legend.appendChild(s);
  });
  document.documentElement.setAttribute("data-timelines-drawn", drawn);
})();
