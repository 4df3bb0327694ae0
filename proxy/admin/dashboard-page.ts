import crypto from 'node:crypto';

/**
 * GET /dashboard: one self-contained page that polls GET /stats every second and draws each
 * upstream's admission control (learned limit, in flight, queued), each route's figures (shed
 * requests included, and a guarded route's conversion per side) and a requests/s chart (inline SVG). Nothing leaves the admin origin: no CDN,
 * no font, no image; the Content-Security-Policy allows exactly this page's own script and style
 * (by hash) and fetches to 'self'. The page holds no URL at all (the SVG namespace is taken from
 * an <svg> the HTML parser made). Every figure and name is set as text, never as markup.
 *
 * The script is plain ES2020 in a string (the proxy's tsconfig has no DOM types); it avoids
 * template literals so this file needs no escaping. One file for the page on purpose: it is the
 * unit the CSP hashes cover.
 */

const STYLE = `
:root{--fg:#222;--muted:#666;--line:#ddd;--legacy:#888;--extracted:#337ab7;--ok:#3c763d;--ok-bg:#dff0d8;--bad:#a94442;--bad-bg:#fde2e2;--warn:#8a6d3b;--warn-bg:#fcf8e3}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:1.5rem;color:var(--fg);background:#fff}
h1{margin:0 0 .25rem;font-size:1.6rem}
h2{margin:0;font-size:1.2rem}
.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.5rem;margin-bottom:.75rem}
.summary{color:var(--muted)}
.conn{margin:.5rem 0 1rem;padding:.45rem .75rem;border-radius:4px;border:1px solid var(--line)}
.conn.live{color:var(--ok);background:var(--ok-bg);border-color:#c7e3bd}
.conn.down{color:var(--bad);background:var(--bad-bg);border-color:#ebccd1;font-weight:600}
.conn.wait{color:var(--muted)}
.conn.rejected{color:var(--bad);background:var(--bad-bg);border-color:#ebccd1}
[hidden]{display:none!important}
.rules-rejected{margin:.5rem 0 1rem;padding:.6rem .9rem;border:2px solid #d9534f;border-radius:4px;background:var(--bad-bg);color:var(--bad)}
.rules-rejected strong{display:block;font-size:1.05rem}
.rules-rejected pre{margin:.4rem 0 0;white-space:pre-wrap;font-size:.9rem;color:var(--fg)}
main.stale .route{opacity:.6}
.note{color:var(--muted);font-size:.9rem;margin:.25rem 0 1rem}
.route{border:1px solid var(--line);border-left:6px solid #cfd8e3;border-radius:4px;padding:.75rem 1rem;margin:0 0 1rem}
.route.open{border-left-color:#d9534f;background:#fff8f8}
.route.half-open{border-left-color:#f0ad4e}
.route header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.4rem .9rem;margin-bottom:.5rem}
.svc{color:var(--muted)}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:4px;font-weight:600;font-size:.9rem;border:1px solid transparent}
.badge.percent{background:#e8f0f8;color:#1f4e79}
.badge.closed{background:var(--ok-bg);color:var(--ok)}
.badge.open{background:#d9534f;color:#fff}
.badge.half-open{background:var(--warn-bg);color:var(--warn);border-color:#f0ad4e}
.badge.none{background:#f3f3f3;color:var(--muted);font-weight:400}
.rollout{font-size:.92rem}
.rollout .step{font-weight:700}
.verdict-rollback{color:var(--bad);font-weight:600}
.verdict-advance,.verdict-complete{color:var(--ok)}
.muted{color:var(--muted)}
.conversion{font-size:.92rem;margin:0 0 .5rem}
.conversion .side{font-weight:600}
.guard-pass{color:var(--ok);font-weight:600}
.guard-rollback{color:var(--bad);font-weight:600}
.guard-hold,.guard-not-judged{color:var(--warn)}
.body{display:flex;flex-wrap:wrap;gap:1rem 1.5rem;align-items:flex-start}
.body table{flex:none}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{padding:.22rem .5rem;text-align:right;border-bottom:1px solid var(--line);white-space:nowrap}
thead th{font-weight:600;color:var(--muted);font-size:.85rem}
thead tr:first-child th{color:var(--fg);text-align:center;border-bottom:1px solid #bbb}
tbody th{text-align:left}
th.gap,td.gap{border-left:1px solid var(--line)}
td .label{color:var(--muted);margin-left:.3em}
.na{color:#999}
.bad{color:var(--bad);font-weight:600}
figure{margin:0;flex:1 1 280px;min-width:280px;max-width:560px}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:.85rem;display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 .5rem}
.legend{white-space:nowrap}
.swatch{display:inline-block;width:1.4em;height:0;vertical-align:middle;margin:0 .3em 0 .6em;border-top:3px solid var(--extracted)}
.swatch.legacy{border-top:3px dashed var(--legacy)}
.upstreams{margin:0 0 1rem}
.upstreams caption{text-align:left;font-weight:600;padding:0 0 .25rem;white-space:nowrap}
tr.shed th{font-weight:400;color:var(--muted)}
tr.queued td[data-f=queued]{color:var(--warn);font-weight:600}
svg text{font-size:10px;fill:#666}
`;

const SCRIPT = `
(function () {
  'use strict';
  var REFRESH_MS = 1000, RETRY_MS = 2000, TIMEOUT_MS = 2500;
  var WINDOWS = [['1m', 'last minute'], ['15m', 'last 15 minutes']];
  var BACKENDS = ['legacy', 'extracted'];
  // Requests the proxy answered itself: a 503 of admission control, a 429 of a rate limit.
  var SHEDS = [['shedOverload', 'overload', 'shed: overload'], ['shedRateLimit', 'rateLimit', 'shed: rate limit']];
  var upstreamRows = document.getElementById('upstream-rows');
  var upstreamRowByName = new Map();
  var SVG_NS = document.getElementById('chart-template').content.firstElementChild.namespaceURI;
  var main = document.getElementById('routes');
  var conn = document.getElementById('conn');
  var summary = document.getElementById('summary');
  var rulesBox = document.getElementById('rules');
  var rulesHead = document.getElementById('rules-head');
  var rulesError = document.getElementById('rules-error');
  var note = document.getElementById('note');
  var cards = new Map();
  var lastOk = null, downSince = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function clock(iso) { var d = new Date(iso); return isNaN(d.getTime()) ? String(iso) : d.toTimeString().slice(0, 8); }
  function fmtRps(v) {
    if (v === null || v === undefined) return 'n/a';
    if (v === 0) return '0';
    if (v < 0.01) return v.toFixed(3);
    if (v < 10) return v.toFixed(2);
    if (v < 100) return v.toFixed(1);
    return String(Math.round(v));
  }
  function fmtRate(v) {
    if (v === null || v === undefined) return 'n/a';
    if (v === 0) return '0%';
    if (v === 1) return '100%';
    return (v * 100).toFixed(2) + '%';
  }
  function fmtMs(v) {
    if (v === null || v === undefined) return 'n/a';
    return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));
  }
  function put(cell, text, extra) {
    if (cell.textContent !== text) cell.textContent = text;
    cell.className = (text === 'n/a' ? 'na' : '') + (extra ? ' ' + extra : '');
  }

  function makeCard(name) {
    var card = { fields: {} };
    var section = el('section', 'route');
    section.setAttribute('data-route', name);
    var header = el('header');
    header.appendChild(el('h2', null, name));
    card.svc = header.appendChild(el('span', 'svc'));
    card.percent = header.appendChild(el('span', 'badge percent'));
    card.percent.setAttribute('data-f', 'percent');
    card.breaker = header.appendChild(el('span', 'badge'));
    card.breaker.setAttribute('data-f', 'breaker');
    card.rollout = header.appendChild(el('span', 'rollout'));
    card.rollout.setAttribute('data-f', 'rollout');
    section.appendChild(header);
    // A guarded route's conversion per side (hidden for the others).
    card.conversion = section.appendChild(el('p', 'conversion'));
    card.conversion.hidden = true;

    var body = section.appendChild(el('div', 'body'));
    var table = body.appendChild(el('table', 'figures'));
    var head = table.appendChild(el('thead'));
    var r1 = head.appendChild(el('tr')), r2 = head.appendChild(el('tr'));
    r1.appendChild(el('th')); r2.appendChild(el('th'));
    var cols = ['requests', 'req/s', 'failed', 'p50 ms', 'p95 ms'];
    WINDOWS.forEach(function (w) {
      var th = r1.appendChild(el('th', 'gap', w[1]));
      th.colSpan = cols.length;
      cols.forEach(function (c, i) { r2.appendChild(el('th', i === 0 ? 'gap' : null, c)); });
    });
    var tbody = table.appendChild(el('tbody'));
    BACKENDS.forEach(function (b) {
      var tr = tbody.appendChild(el('tr'));
      tr.appendChild(el('th', null, b));
      WINDOWS.forEach(function (w) {
        ['requests', 'rps', 'failureRate', 'p50Ms', 'p95Ms'].forEach(function (f, i) {
          var td = tr.appendChild(el('td', i === 0 ? 'gap' : null));
          td.setAttribute('data-f', w[0] + '.' + b + '.' + f);
          card.fields[w[0] + '.' + b + '.' + f] = td;
        });
      });
    });
    // The shadow row: requests compared under "requests", the share that differed under "failed",
    // each value with its label in its own cell (one cell per column, as in the rows above).
    var tr = tbody.appendChild(el('tr', 'shadow'));
    tr.appendChild(el('th', null, 'shadow'));
    WINDOWS.forEach(function (w) {
      [['compared', 'compared'], null, ['mismatchRate', 'mismatched'], null, null].forEach(function (f, i) {
        var td = tr.appendChild(el('td', i === 0 ? 'gap' : null));
        if (f === null) return;
        var value = td.appendChild(el('span'));
        value.setAttribute('data-f', w[0] + '.shadow.' + f[0]);
        card.fields[w[0] + '.shadow.' + f[0]] = value;
        td.appendChild(el('span', 'label', f[1]));
      });
    });

    // Shed requests: how many and how many a second, under "requests" and "req/s".
    SHEDS.forEach(function (s) {
      var row = tbody.appendChild(el('tr', 'shed'));
      row.appendChild(el('th', null, s[2]));
      WINDOWS.forEach(function (w) {
        ['requests', 'rps', null, null, null].forEach(function (f, i) {
          var td = row.appendChild(el('td', i === 0 ? 'gap' : null));
          if (f === null) return;
          td.setAttribute('data-f', w[0] + '.' + s[0] + '.' + f);
          card.fields[w[0] + '.' + s[0] + '.' + f] = td;
        });
      });
    });

    var figure = body.appendChild(el('figure'));
    card.chart = figure.appendChild(document.getElementById('chart-template').content.firstElementChild.cloneNode(true));
    card.chart.setAttribute('aria-label', 'requests per second by backend over the last 15 minutes for ' + name);
    var cap = figure.appendChild(el('figcaption', null, 'requests/s over the last 15 minutes'));
    var legend = cap.appendChild(el('span', 'legend'));
    legend.appendChild(el('span', 'swatch legacy'));
    legend.appendChild(document.createTextNode('legacy'));
    legend.appendChild(el('span', 'swatch'));
    legend.appendChild(document.createTextNode('extracted'));
    card.section = section;
    return card;
  }

  function niceCeil(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (v <= steps[i] * p) return steps[i] * p;
    return 10 * p;
  }

  function drawChart(card, series) {
    // Redrawn only when a point changed (a page of many quiet routes stays cheap).
    var key = series.at[0] + ':' + series.legacy.join(',') + '|' + series.extracted.join(',');
    if (card.drawn === key) return;
    card.drawn = key;
    var root = card.chart;
    var W = 340, H = 130, L = 34, R = 6, T = 8, B = 20;
    var n = series.at.length;
    var max = niceCeil(Math.max.apply(null, series.legacy.concat(series.extracted, [0])));
    var x = function (i) { return L + (n > 1 ? i * (W - L - R) / (n - 1) : 0); };
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var parts = [];
    [0, max / 2, max].forEach(function (v) {
      parts.push(svg('line', { x1: L, x2: W - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1), stroke: v === 0 ? '#999' : '#e5e5e5' }));
      var t = svg('text', { x: L - 4, y: (y(v) + 3).toFixed(1), 'text-anchor': 'end' });
      t.textContent = v === Math.round(v) ? String(v) : fmtRps(v);
      parts.push(t);
    });
    [[0, '-15 min'], [Math.round((n - 1) / 3), '-10'], [Math.round(2 * (n - 1) / 3), '-5'], [n - 1, 'now']].forEach(function (p) {
      var t = svg('text', { x: x(p[0]).toFixed(1), y: H - 6, 'text-anchor': p[0] === 0 ? 'start' : p[0] === n - 1 ? 'end' : 'middle' });
      t.textContent = p[1];
      parts.push(t);
    });
    [['legacy', '#888', '4 3', 1.5], ['extracted', '#337ab7', '', 2]].forEach(function (s) {
      var pts = series[s[0]].map(function (v, i) { return x(i).toFixed(1) + ',' + y(v).toFixed(1); }).join(' ');
      var line = svg('polyline', { fill: 'none', stroke: s[1], 'stroke-width': s[3], points: pts, 'data-backend': s[0] });
      if (s[2]) line.setAttribute('stroke-dasharray', s[2]);
      parts.push(line);
    });
    root.replaceChildren.apply(root, parts);
  }

  function breakerText(b) {
    if (b === null || b === undefined) return ['no breaker', 'none'];
    if (b.state === 'open') {
      return ['BREAKER OPEN since ' + clock(b.since) + ' \\u00b7 ' + fmtRate(b.failureRate) + ' of ' + b.requests + ' failed \\u00b7 shoppers sent to legacy', 'open'];
    }
    if (b.state === 'half-open') return ['breaker half-open since ' + clock(b.since) + ' \\u00b7 trial requests to extracted', 'half-open'];
    return ['breaker closed' + (b.trips ? ' \\u00b7 ' + b.trips + ' trips' : ''), 'closed'];
  }

  function rolloutNodes(target, r) {
    var nodes = [];
    if (r === null || r === undefined) {
      nodes.push(el('span', 'muted', 'no rollout plan'));
    } else {
      nodes.push(document.createTextNode('rollout step '));
      nodes.push(el('span', 'step', r.step + ' of ' + r.steps.length));
      nodes.push(document.createTextNode(' (' + r.steps.map(function (s) { return s + '%'; }).join(' \\u2192 ') + ')'));
      var v = r.lastVerdict;
      if (v === null || v === undefined) {
        nodes.push(el('span', 'muted', ' \\u00b7 no verdict yet'));
      } else {
        nodes.push(document.createTextNode(' \\u00b7 last verdict '));
        nodes.push(el('span', 'verdict-' + String(v.verdict).replace(/[^a-z-]/g, ''), v.verdict));
        var moved = v.fromPercent !== null && v.toPercent !== null && v.fromPercent !== v.toPercent ? ' ' + v.fromPercent + '% \\u2192 ' + v.toPercent + '%' : '';
        nodes.push(document.createTextNode(moved + ' at ' + clock(v.at) + (v.summary ? ': ' + v.summary : '')));
      }
    }
    target.replaceChildren.apply(target, nodes);
  }

  function fmtConv(v) { return v === null || v === undefined ? 'n/a' : (v * 100).toFixed(1) + '%'; }
  var GUARD_WORDS = { pass: 'pass', hold: 'hold', rollback: 'ROLLBACK', 'not-judged': 'not judged at ' };

  // The conversion guard over the current step, as the store counts it: each side's rate with the
  // shoppers behind it, the drop with its always-valid interval, and the verdict rollout would give.
  function conversionNodes(target, c, percent) {
    target.hidden = c === null || c === undefined;
    if (target.hidden) return;
    var key = JSON.stringify(c) + percent;
    if (target.getAttribute('data-drawn') === key) return;
    target.setAttribute('data-drawn', key);
    var nodes = [document.createTextNode('conversion to ' + c.goal + ' since ' + clock(c.since) + ': ')];
    BACKENDS.forEach(function (b, i) {
      if (i > 0) nodes.push(document.createTextNode(' \u00b7 '));
      nodes.push(document.createTextNode(b + ' '));
      var v = el('span', 'side', fmtConv(c[b].rate) + ' (' + c[b].converted + '/' + c[b].shoppers + ' shoppers)');
      v.setAttribute('data-f', 'conversion.' + b);
      nodes.push(v);
    });
    var drop = 'drop ' + fmtConv(c.drop) + (c.interval ? ' [' + fmtConv(c.interval[0]) + ' .. ' + fmtConv(c.interval[1]) + '] at ' + Math.round(c.confidence * 100) + '%' : '') + ' (max ' + fmtConv(c.maxDrop) + ')';
    var d = el('span', null, drop);
    d.setAttribute('data-f', 'conversion.drop');
    nodes.push(document.createTextNode(' \u00b7 '), d, document.createTextNode(' \u00b7 '));
    var word = c.verdict === 'not-judged' ? GUARD_WORDS[c.verdict] + percent + '%' : c.verdict === 'hold' ? 'hold: ' + Math.min(c.legacy.shoppers, c.extracted.shoppers) + '/' + c.minShoppers + ' shoppers a side' : (GUARD_WORDS[c.verdict] || c.verdict);
    var w = el('span', 'guard-' + String(c.verdict).replace(/[^a-z-]/g, ''), word);
    w.setAttribute('data-f', 'conversion.verdict');
    nodes.push(w);
    target.replaceChildren.apply(target, nodes);
  }

  function update(card, route) {
    card.svc.textContent = '\\u2192 ' + route.extracted;
    card.percent.textContent = route.percent + '% to extracted (' + route.percentSource + ')';
    var b = breakerText(route.breaker);
    card.breaker.textContent = b[0];
    card.breaker.className = 'badge ' + b[1];
    card.breaker.setAttribute('data-state', b[1]);
    card.section.className = 'route' + (b[1] === 'open' || b[1] === 'half-open' ? ' ' + b[1] : '');
    rolloutNodes(card.rollout, route.rollout);
    conversionNodes(card.conversion, route.conversion, route.percent);
    WINDOWS.forEach(function (w) {
      var win = route.windows[w[0]];
      BACKENDS.forEach(function (be) {
        var f = win[be], key = w[0] + '.' + be + '.';
        put(card.fields[key + 'requests'], String(f.requests));
        put(card.fields[key + 'rps'], fmtRps(f.rps));
        put(card.fields[key + 'failureRate'], fmtRate(f.failureRate), f.failureRate > 0 ? 'bad' : '');
        put(card.fields[key + 'p50Ms'], fmtMs(f.p50Ms));
        put(card.fields[key + 'p95Ms'], fmtMs(f.p95Ms));
      });
      var s = route.shadow.windows[w[0]];
      put(card.fields[w[0] + '.shadow.compared'], String(s.compared));
      put(card.fields[w[0] + '.shadow.mismatchRate'], fmtRate(s.mismatchRate), s.mismatchRate > 0 ? 'bad' : '');
      SHEDS.forEach(function (sh) {
        var f = win.shed ? win.shed[sh[1]] : { requests: 0, rps: 0 };
        put(card.fields[w[0] + '.' + sh[0] + '.requests'], String(f.requests), f.requests > 0 ? 'bad' : '');
        put(card.fields[w[0] + '.' + sh[0] + '.rps'], fmtRps(f.rps), f.rps > 0 ? 'bad' : '');
      });
    });
    drawChart(card, route.series);
  }

  // One row per upstream: the limit admission control learned, requests in flight and waiting now.
  function renderUpstreams(upstreams) {
    var rows = (upstreams || []).map(function (u) {
      var tr = upstreamRowByName.get(u.name);
      if (!tr) {
        tr = el('tr');
        upstreamRowByName.set(u.name, tr);
        tr.setAttribute('data-upstream', u.name);
        tr.appendChild(el('th', null, u.name));
        ['limit', 'inFlight', 'queued', 'minRttMs'].forEach(function (f) { tr.appendChild(el('td')).setAttribute('data-f', f); });
      }
      var cells = tr.querySelectorAll('td');
      put(cells[0], u.limit === null ? 'n/a' : String(u.limit));
      put(cells[1], String(u.inFlight));
      put(cells[2], String(u.queued));
      put(cells[3], fmtMs(u.minRttMs));
      tr.className = u.queued > 0 ? 'queued' : '';
      return tr;
    });
    upstreamRows.replaceChildren.apply(upstreamRows, rows);
  }

  function render(stats) {
    renderUpstreams(stats.upstreams);
    var seen = new Set();
    var open = 0, rolling = 0;
    stats.routes.forEach(function (route, i) {
      seen.add(route.name);
      var card = cards.get(route.name);
      if (!card) { card = makeCard(route.name); cards.set(route.name, card); }
      if (main.children[i] !== card.section) main.insertBefore(card.section, main.children[i] || null);
      update(card, route);
      if (route.breaker && route.breaker.state === 'open') open++;
      if (route.rollout) rolling++;
    });
    cards.forEach(function (card, name) { if (!seen.has(name)) { card.section.remove(); cards.delete(name); } });
    if (stats.routes.length === 0 && !main.querySelector('.empty')) main.appendChild(el('p', 'empty muted', 'No routes in the active rules.'));
    if (stats.routes.length > 0) { var empty = main.querySelector('.empty'); if (empty) empty.remove(); }
    renderRules(stats.rules);
    var workers = stats.workers === undefined ? null : stats.workers === 1 ? 'served by 1 process' : 'served by ' + stats.workers + ' workers';
    summary.textContent = 'rules epoch ' + stats.epoch + (workers ? ' \\u00b7 ' + workers : '') + ' \\u00b7 ' + stats.routes.length + ' routes \\u00b7 ' + open + (open === 1 ? ' breaker open' : ' breakers open') + ' \\u00b7 ' + rolling + ' with a rollout plan';
    var young = new Date(stats.at).getTime() - new Date(stats.since).getTime();
    note.textContent = young < 15 * 60000 ? 'Counting since ' + clock(stats.since) + ' (the proxy started then): the 15-minute figures cover ' + Math.floor(young / 60000) + ' min ' + Math.floor(young / 1000) % 60 + ' s so far.' : '';
  }

  // A rejected edit of the rules file (a ramp is one): said at once, with every error, until a good reload.
  function renderRules(rules) {
    var rejected = !!(rules && rules.servingLastGood);
    if (!rejected) { if (!rulesBox.hidden) rulesBox.hidden = true; return; }
    rulesHead.textContent = 'Rules edit rejected' + (rules.lastReloadAt ? ' at ' + clock(rules.lastReloadAt) : '') +
      ': the proxy still serves the last good rules (epoch ' + rules.epoch + '). Fix the file and save it again.';
    rulesError.textContent = rules.error || '';
    rulesBox.hidden = false;
  }

  function setConn(state, text) { conn.className = 'conn ' + state; conn.textContent = text; }

  function tick() {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, TIMEOUT_MS);
    fetch('/stats', { cache: 'no-store', signal: ctl.signal, headers: { accept: 'application/json' } })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (stats) {
        render(stats);
        lastOk = stats.at; downSince = null;
        main.classList.remove('stale');
        var rejected = !!(stats.rules && stats.rules.servingLastGood);
        setConn(rejected ? 'rejected' : 'live', 'Live \\u00b7 updated ' + clock(stats.at) + ' \\u00b7 refreshing every second' + (rejected ? ' \\u00b7 serving the LAST GOOD rules: the last edit was rejected' : ''));
        setTimeout(tick, REFRESH_MS);
      })
      .catch(function (error) {
        if (downSince === null) downSince = new Date().toISOString();
        main.classList.add('stale');
        setConn('down', 'Cannot reach /stats since ' + clock(downSince) + ' (' + (error && error.name === 'AbortError' ? 'no answer' : String(error && error.message || error)) + '): is the proxy stopped? ' +
          (lastOk ? 'Showing the last figures, from ' + clock(lastOk) + '.' : 'No figures yet.') + ' Retrying every 2 s.');
        setTimeout(tick, RETRY_MS);
      })
      .finally(function () { clearTimeout(timer); });
  }
  tick();
})();
`;

const hash = (text: string): string => `'sha256-${crypto.createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strangler dashboard</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head>
<body>
<div class="top"><h1>Strangler dashboard</h1><span id="summary" class="summary"></span></div>
<div id="rules" class="rules-rejected" role="alert" hidden><strong id="rules-head"></strong><pre id="rules-error"></pre></div>
<p id="conn" class="conn wait" role="status" aria-live="polite">Loading figures from /stats…</p>
<p id="note" class="note"></p>
<table id="upstreams" class="upstreams"><caption>Upstreams: admission control now (limit n/a until the first request)</caption>
<thead><tr><th>upstream</th><th>limit</th><th>in flight</th><th>queued</th><th>min RTT ms</th></tr></thead><tbody id="upstream-rows"></tbody></table>
<main id="routes"></main>
<template id="chart-template"><svg class="chart" role="img" width="340" height="130" viewBox="0 0 340 130"></svg></template>
<script>${SCRIPT}</script>
</body></html>
`;

/** Headers of the page: only its own script and style run, it fetches only its own origin, nobody frames it. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'none'", `script-src ${hash(SCRIPT)}`, `style-src ${hash(STYLE)}`, "connect-src 'self'", "img-src 'self' data:",
    "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});
