import { GANTT_FIELDS, GANTT_STRIDE } from './reportData.ts'

// The report's script, inlined into the page: it draws the timeline on a
// canvas from the embedded JSON (a rect a node would make a run of 100,000
// attempts a page the browser cannot lay out), shows an attempt on hover,
// zooms on a drag, and sorts tables by a click on a header. Everything it
// puts on the page goes in as text (textContent), never as markup.

const field = (name: (typeof GANTT_FIELDS)[number]): number => GANTT_FIELDS.indexOf(name)

export const REPORT_SCRIPT = `
'use strict';
(function () {
  function fmt(ms) {
    var a = Math.abs(ms), sign = ms < 0 ? '-' : '';
    if (a < 1000) return sign + Math.round(a) + ' ms';
    if (a < 60000) return sign + (a / 1000).toFixed(a < 10000 ? 2 : 1) + ' s';
    var s = Math.round(a / 1000);
    if (s < 3600) return sign + Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return sign + Math.floor(s / 3600) + 'h ' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
  }

  // Sorting: a click on a header with data-col sorts by that column's data-v (numbers) or text.
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.querySelectorAll('th[data-col]');
    heads.forEach(function (th) {
      th.addEventListener('click', function () {
        var col = Number(th.getAttribute('data-col'));
        var dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var vx = x.getAttribute('data-v'), vy = y.getAttribute('data-v');
          if (vx !== null && vy !== null) return dir * (Number(vx) - Number(vy));
          return dir * x.textContent.localeCompare(y.textContent);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  var canvas = document.getElementById('gantt');
  var source = document.getElementById('gantt-data');
  if (!canvas || !source) return;
  var data = JSON.parse(source.textContent);
  var S = ${GANTT_STRIDE};
  var F = { job: ${field('job')}, attempt: ${field('attempt')}, name: ${field('name')}, outcome: ${field('outcome')}, lane: ${field('lane')},
    critical: ${field('critical')}, ready: ${field('ready')}, issued: ${field('issued')}, start: ${field('start')}, end: ${field('end')} };
  var A = data.attempts;
  var n = A.length / S;
  var COLORS = ['#3f9a5c', '#d64541', '#a0a4ab', '#e8a33d'];
  var WORDS = ['succeeded', 'failed', 'abandoned by a stopping leader', data.live ? 'still running' : 'still out when the log ends'];
  var AXIS = 24;
  var laneH = Math.max(3, Math.min(20, Math.floor(440 / Math.max(1, data.lanes))));
  var full = [0, Math.max(1, data.end - data.t0)];
  var view = full.slice();
  var tip = document.getElementById('gantt-tip');
  var sel = document.getElementById('gantt-sel');
  var reset = document.getElementById('gantt-reset');

  // Each lane's attempts by start: within a lane they never overlap, so a hover is a binary search.
  var byLane = [];
  for (var i = 0; i < n; i++) {
    var l = A[i * S + F.lane];
    (byLane[l] || (byLane[l] = [])).push(i);
  }
  byLane.forEach(function (list) { list.sort(function (a, b) { return A[a * S + F.start] - A[b * S + F.start]; }); });

  function width() { return canvas.parentElement.clientWidth; }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    var steps = [1, 2, 5, 10];
    for (var k = 0; k < steps.length; k++) if (steps[k] * p >= raw) return steps[k] * p;
    return 10 * p;
  }

  function draw() {
    var w = width(), h = AXIS + data.lanes * laneH + 2;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.height = h + 'px';
    canvas.setAttribute('data-lane-height', String(laneH));
    var g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    for (var l = 0; l < data.lanes; l++) {
      g.fillStyle = l % 2 === 0 ? '#f3f4f6' : '#fafafa';
      g.fillRect(0, AXIS + l * laneH, w, laneH);
    }
    var span = view[1] - view[0];
    var step = niceStep(span / Math.max(2, Math.floor(w / 120)));
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
      var x = Math.round(((t - view[0]) / span) * w) + 0.5;
      g.fillStyle = '#d1d5db';
      g.fillRect(x, AXIS - 6, 1, h - AXIS + 6);
      g.fillStyle = '#4b5563';
      var label = t === 0 ? '0' : '+' + fmt(t);
      var tw = g.measureText(label).width;
      g.fillText(label, Math.min(Math.max(x - tw / 2, 0), w - tw), AXIS / 2 - 2);
    }
    // Where a new leader took the run up (a restart): a dashed line, named.
    g.setLineDash([4, 3]);
    g.strokeStyle = '#1e3a8a';
    g.lineWidth = 1;
    data.restarts.forEach(function (r) {
      if (r < view[0] || r > view[1]) return;
      var x = Math.round(((r - view[0]) / span) * w) + 0.5;
      g.beginPath();
      g.moveTo(x, AXIS - 4);
      g.lineTo(x, h);
      g.stroke();
    });
    g.setLineDash([]);
    var gap = laneH >= 6 ? 1 : 0;
    for (var pass = 0; pass < 2; pass++) {
      for (var i = 0; i < n; i++) {
        var o = i * S;
        if (A[o + F.critical] !== pass) continue;
        var x0 = ((A[o + F.start] - view[0]) / span) * w;
        var x1 = ((A[o + F.end] - view[0]) / span) * w;
        if (x1 < 0 || x0 > w) continue;
        // Whole pixels: a short attempt is at least one pixel of its own colour, not a blur of it.
        x0 = Math.floor(x0);
        var y = AXIS + A[o + F.lane] * laneH + gap;
        var bw = Math.max(1, Math.round(x1) - x0), bh = Math.max(1, laneH - 2 * gap);
        g.fillStyle = COLORS[A[o + F.outcome]];
        g.fillRect(x0, y, bw, bh);
        if (pass === 1) {
          g.strokeStyle = '#111827';
          g.lineWidth = 1.5;
          g.strokeRect(x0 + 0.75, y + 0.75, Math.max(0.5, bw - 1.5), Math.max(0.5, bh - 1.5));
        }
      }
    }
    reset.style.visibility = view[0] === full[0] && view[1] === full[1] ? 'hidden' : 'visible';
  }

  function at(ev) {
    var r = canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }
  function timeAt(x) { return view[0] + (x / width()) * (view[1] - view[0]); }

  function hit(p) {
    var lane = Math.floor((p.y - AXIS) / laneH);
    var list = byLane[lane];
    if (p.y < AXIS || !list) return -1;
    var t = timeAt(p.x), tol = (3 * (view[1] - view[0])) / width();
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (A[list[mid] * S + F.start] <= t + tol) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (var k = found; k >= 0 && k > found - 3; k--) {
      var i = list[k];
      if (A[i * S + F.end] >= t - tol) return i;
    }
    return -1;
  }

  function describe(i) {
    var o = i * S;
    var start = A[o + F.start], end = A[o + F.end], ready = A[o + F.ready];
    var lines = [
      'job ' + A[o + F.job] + ' \\u00b7 ' + data.names[A[o + F.name]],
      'attempt ' + A[o + F.attempt] + ': ' + WORDS[A[o + F.outcome]],
      'started +' + fmt(start) + '  (' + new Date(data.t0 + start).toISOString() + ')',
      (A[o + F.outcome] === 3 ? 'so far ' : 'ended +' + fmt(end) + ', ') + 'ran ' + fmt(end - start),
    ];
    if (ready >= 0) lines.push('waited ' + fmt(Math.max(0, start - ready)) + ' to start');
    if (A[o + F.critical] === 1) lines.push('on the critical path');
    return lines.join('\\n');
  }

  var down = null;
  canvas.addEventListener('mousedown', function (ev) { down = at(ev).x; });
  window.addEventListener('mouseup', function (ev) {
    if (down === null) return;
    var x = at(ev).x, from = Math.min(down, x), to = Math.max(down, x);
    down = null;
    sel.style.display = 'none';
    if (to - from < 5) return;
    var a = timeAt(Math.max(0, from)), b = timeAt(Math.min(width(), to));
    if (b - a >= 1) { view = [a, b]; draw(); }
  });
  canvas.addEventListener('mousemove', function (ev) {
    var p = at(ev);
    if (down !== null && Math.abs(p.x - down) >= 5) {
      sel.style.display = 'block';
      sel.style.left = Math.min(down, p.x) + 'px';
      sel.style.width = Math.abs(p.x - down) + 'px';
    }
    var i = hit(p);
    if (i < 0) { tip.style.display = 'none'; return; }
    tip.textContent = describe(i);
    tip.style.display = 'block';
    var left = p.x + 14;
    if (left + tip.offsetWidth > width()) left = Math.max(0, p.x - tip.offsetWidth - 14);
    tip.style.left = left + 'px';
    tip.style.top = p.y + 14 + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  canvas.addEventListener('dblclick', function () { view = full.slice(); draw(); });
  reset.addEventListener('click', function () { view = full.slice(); draw(); });
  window.addEventListener('resize', draw);
  draw();
})();
`
