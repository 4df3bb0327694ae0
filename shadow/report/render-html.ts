import type { NoiseThresholds } from '../compare/window-noise';
import type { DiffReport, RouteReport } from './model';
import { CONVERSION_HEADERS, CONVERSION_NOTE, conversionCells } from './conversion-text';
import { noiseLearningLine } from './noise-learning';
import { rolloutCells } from './rollout-text';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const ms = (value: number | null | undefined): string => (value === null || value === undefined ? 'n/a' : value < 100 ? value.toFixed(1) : String(Math.round(value)));
const pct = (rate: number | null): string => (rate === null ? 'n/a' : `${(rate * 100).toFixed(2)}%`);

/** Mismatch rate per route as horizontal bars, with each route's budget as a red tick. */
function ratesChart(routes: RouteReport[]): string {
  const width = 720;
  const row = 34;
  const labelW = 170;
  const max = Math.max(0.02, ...routes.map((r) => Math.max(r.mismatchRate ?? 0, r.budget))) * 1.1;
  const x = (rate: number): number => labelW + (rate / max) * (width - labelW - 70);
  const bars = routes.map((r, i) => {
    const y = 14 + i * row;
    const rate = r.mismatchRate ?? 0;
    return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(r.route)}</text>
<rect class="bar" x="${labelW}" y="${y}" width="${Math.max(1, x(rate) - labelW).toFixed(1)}" height="20" fill="${r.overBudget ? '#d9534f' : '#5cb85c'}"><title>${esc(r.route)}: ${pct(r.mismatchRate)}</title></rect>
<line x1="${x(r.budget).toFixed(1)}" x2="${x(r.budget).toFixed(1)}" y1="${y - 3}" y2="${y + 23}" stroke="#a00" stroke-width="2"><title>budget ${pct(r.budget)}</title></line>
<text class="budget" x="${(x(r.budget) + 3).toFixed(1)}" y="${y - 1}" fill="#a00">budget ${pct(r.budget)}</text>
<text x="${(x(rate) + 6).toFixed(1)}" y="${y + 15}">${pct(r.mismatchRate)}</text>`;
  }).join('\n');
  const height = 20 + routes.length * row;
  return `<svg class="chart" role="img" aria-label="Mismatch rate per route against budget (red line: the route's budget)" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}</svg>`;
}

/** Mismatch rate by hour for one route. */
function trendChart(route: RouteReport): string {
  const points = route.trend.filter((t) => t.rate !== null);
  const width = 320;
  const height = 80;
  if (points.length === 0) return '<p class="muted">no comparisons</p>';
  const max = Math.max(route.budget, ...points.map((p) => p.rate ?? 0)) * 1.2 || 1;
  const step = points.length > 1 ? (width - 20) / (points.length - 1) : 0;
  const coords = points.map((p, i) => `${(10 + i * step).toFixed(1)},${(height - 10 - ((p.rate ?? 0) / max) * (height - 20)).toFixed(1)}`);
  const budgetY = (height - 10 - (route.budget / max) * (height - 20)).toFixed(1);
  return `<svg class="chart" role="img" aria-label="Trend for ${esc(route.route)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<line x1="10" x2="${width - 10}" y1="${budgetY}" y2="${budgetY}" stroke="#a00" stroke-dasharray="4 3"/>
<polyline fill="none" stroke="#337ab7" stroke-width="2" points="${coords.join(' ')}"/>
${points.map((p, i) => `<circle cx="${coords[i].split(',')[0]}" cy="${coords[i].split(',')[1]}" r="3" fill="#337ab7"><title>${esc(p.hour)}: ${pct(p.rate)} of ${p.compared}</title></circle>`).join('')}</svg>`;
}

/** Legacy vs extracted p50/p95/p99 as grouped bars. */
function latencyChart(route: RouteReport): string {
  const keys = ['p50', 'p95', 'p99'] as const;
  const values = keys.flatMap((k) => [route.latency.legacy[k] ?? 0, route.latency.extracted[k] ?? 0]);
  const max = Math.max(1, ...values);
  const height = 104;
  const bars = keys.map((k, i) => {
    const legacy = route.latency.legacy[k] ?? 0;
    const extracted = route.latency.extracted[k] ?? 0;
    const x = 10 + i * 100;
    const h = (v: number): number => Math.max(1, (v / max) * (height - 40));
    return `<rect class="bar" x="${x}" y="${height - 18 - h(legacy)}" width="30" height="${h(legacy)}" fill="#999"><title>legacy ${k}: ${legacy} ms</title></rect>
<rect class="bar" x="${x + 34}" y="${height - 18 - h(extracted)}" width="30" height="${h(extracted)}" fill="#337ab7"><title>extracted ${k}: ${extracted} ms</title></rect>
<text class="value" x="${x + 15}" y="${height - 21 - h(legacy)}" text-anchor="middle">${ms(route.latency.legacy[k])}</text>
<text class="value" x="${x + 49}" y="${height - 21 - h(extracted)}" text-anchor="middle">${ms(route.latency.extracted[k])}</text>
<text x="${x + 32}" y="${height - 4}" text-anchor="middle">${k}</text>`;
  }).join('\n');
  return `<svg class="chart" role="img" aria-label="Latency for ${esc(route.route)}" width="320" height="${height}" viewBox="0 0 320 ${height}">${bars}</svg>`;
}

/** Each rollout route's step, last verdict and retirement readiness. */
function rolloutTable(routes: RouteReport[]): string {
  const ramped = routes.filter((r) => r.rollout !== null);
  if (ramped.length === 0) return '';
  const rows = ramped.map((r) => {
    const c = rolloutCells(r.rollout!);
    const retire = r.rollout!.ready ? '<span class="badge good">ready</span>' : esc(c.retire);
    return `<tr><td>${esc(r.route)}</td><td>${c.percent}</td><td>${esc(c.step)}</td><td>${esc(c.verdict)}</td><td>${esc(c.atFullSince)}</td><td>${c.comparisons}</td><td>${c.mismatchRate}</td><td>${retire}</td></tr>`;
  }).join('\n');
  return `<h2>Rollout</h2><p class="muted">At 100 % the comparisons are reverse shadow (legacy asked while extracted serves); legacy can be retired once the route has been at 100 % for its retire_after within budget.</p>
<table class="rollout"><tr><th>route</th><th>percent</th><th>step</th><th>last verdict</th><th>at 100 % since</th><th>comparisons since</th><th>mismatch rate since</th><th>retire legacy</th></tr>${rows}</table>`;
}

/** Each guarded route's conversion per side, the drop with its interval, and the guard's verdict. */
function conversionTable(routes: RouteReport[]): string {
  const guarded = routes.filter((r) => r.conversion !== null);
  if (guarded.length === 0) return '';
  const badge = { pass: 'good', hold: 'wait', rollback: 'bad', 'not-judged': 'wait' } as const;
  const rows = guarded.map((r) => {
    const { cells, verdict } = conversionCells(r.route, r.conversion!);
    const last = cells.length - 1;
    return `<tr class="${verdict}">${cells.map((c, i) => `<td>${i === last ? `<span class="badge ${badge[verdict]}">${esc(c)}</span>` : esc(c)}</td>`).join('')}</tr>`;
  }).join('\n');
  return `<h2>Conversion guard</h2><p class="muted">${esc(CONVERSION_NOTE)}</p>
<table class="conversion"><tr>${CONVERSION_HEADERS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows}</table>`;
}

/** The fields legacy disagreed with itself on, each with the two rates behind its noise call. */
function noiseTable(route: RouteReport, thresholds: NoiseThresholds): string {
  if (route.noiseFields.length === 0) return '';
  const rows = route.noiseFields.map((f) => `<tr><td><code>${esc(f.field)}</code></td><td>${pct(f.legacyRate)} (${f.legacyDiffers})</td><td>${pct(f.extractedRate)} (${f.extractedDiffers})</td>`
    + `<td>${f.relativePercent.toFixed(1)}%</td><td>${f.absolutePercent.toFixed(2)} pts</td><td><span class="badge ${f.noise ? 'good' : 'bad'}">${f.noise ? 'noise' : 'real'}</span></td></tr>`).join('');
  return `<h3>Noise over ${route.noiseRequests} reads (legacy asked twice)</h3>
<table class="noise"><tr><th>field</th><th>legacy ≠ legacy</th><th>legacy ≠ extracted</th><th>relative</th><th>absolute</th><th></th></tr>${rows}</table>
<p class="muted">A field is real when legacy ≠ extracted more often than legacy ≠ legacy, by more than ${thresholds.relativePercent}% relative and ${thresholds.absolutePercent} points absolute; otherwise noise, and its differences are no mismatch.</p>`;
}

/** One self-contained HTML file: no script, no network at view time. */
export function renderHtml(report: DiffReport): string {
  // Routes over budget first (the ones a reader came for), then by mismatch rate, highest first.
  const routes = [...report.routes].sort((a, b) => Number(b.overBudget) - Number(a.overBudget) || (b.mismatchRate ?? -1) - (a.mismatchRate ?? -1));
  const rows = routes.map((r) => `<tr class="${r.overBudget ? 'over' : 'ok'}"><td>${esc(r.route)}</td><td>${r.sampled}</td><td>${r.compared}</td><td>${r.matched}</td><td>${r.truncated}</td><td>${r.dropped}</td><td>${r.errors}</td><td>${r.mismatches}</td><td>${pct(r.mismatchRate)}</td><td>${pct(r.budget)}</td><td><span class="badge ${r.overBudget ? 'bad' : 'good'}">${r.overBudget ? 'over budget' : 'ok'}</span></td></tr>`).join('\n');
  const details = routes.map((r) => `<section><h2>${esc(r.route)}</h2>
<div class="charts"><figure>${trendChart(r)}<figcaption>mismatch rate by hour (dashed: budget)</figcaption></figure>
<figure>${latencyChart(r)}<figcaption>latency in ms: legacy (grey) vs extracted (blue)</figcaption></figure></div>
${r.topPaths.length === 0 ? '<p>No differing fields.</p>' : `<table><tr><th>differing field</th><th>count</th><th>example request</th><th>trace id</th></tr>${r.topPaths.map((p) => `<tr><td><code>${esc(p.path)}</code></td><td>${p.count}</td><td><code>${esc(p.example?.target ?? '')}</code></td><td>${traceCell(p.example?.traceId ?? null)}</td></tr>`).join('')}</table>
${r.topPaths[0].example && r.topPaths[0].example.legacy !== null ? `<div class="side"><div><h3>legacy (${r.topPaths[0].example.legacyStatus})</h3><pre>${esc(r.topPaths[0].example.legacy ?? '')}</pre></div><div><h3>extracted (${r.topPaths[0].example.extractedStatus})</h3><pre>${esc(r.topPaths[0].example.extracted ?? '')}</pre></div></div>` : ''}`}
${noiseTable(r, report.noiseThresholds)}
${r.noiseProbe && r.noiseProbe.readsCompared > 0 ? `<p class="muted noise-probe">${esc(noiseLearningLine(r.noiseProbe, (f) => f))}</p>` : ''}
</section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strangler diff report</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}
tr.over td{background:#fde2e2}.verdict{font-size:1.3rem}.charts{display:flex;gap:2rem;flex-wrap:wrap}figure{margin:0}figcaption{color:#666;font-size:.85rem}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}pre{background:#f6f6f6;padding:.5rem;white-space:pre-wrap;word-break:break-all;max-height:20rem;overflow:auto}svg text{font-size:12px}.muted{color:#777}
.badge{display:inline-block;padding:.15rem .5rem;border-radius:4px;color:#fff;font-weight:600}.badge.good{background:#5cb85c}.badge.bad{background:#d9534f}.badge.wait{background:#6c757d}</style></head>
<body><h1>Strangler diff report</h1><p class="verdict"><span class="badge ${report.ok ? 'good' : 'bad'}">${report.ok ? 'PASS' : 'FAIL'}</span> ${report.ok ? 'every route within budget' : 'at least one route over budget'}</p>
<p>${esc(report.since)} → ${esc(report.until)} · store <code>${esc(report.store)}</code> · generated ${esc(report.generatedAt)}</p>
${routes.length === 0 ? '<p>No shadow comparisons in this period.</p>' : `${ratesChart(routes)}
<table><tr><th>route</th><th>sampled</th><th>compared</th><th>matched</th><th title="past the capture cap: not compared">truncated</th><th>dropped</th><th>errors</th><th>mismatches</th><th>rate</th><th>budget</th><th></th></tr>${rows}</table>`}
${rolloutTable(routes)}
${conversionTable(routes)}
${replicasTable(report)}
${details}</body></html>\n`;
}

/** Which proxy processes wrote the window's rows: with a shared store, every replica should be there. */
function replicasTable(report: DiffReport): string {
  if (report.replicas.length === 0) return '';
  return `<h2>Replicas</h2><p class="muted">Diff rows in this period by the proxy process that wrote them (STRANGLER_REPLICA).</p>
<table><tr><th>replica</th><th>rows</th><th>compared</th></tr>${report.replicas.map((r) => `<tr><td><code>${esc(r.replica || '(unnamed: written before replicas were recorded)')}</code></td><td>${r.rows}</td><td>${r.compared}</td></tr>`).join('')}</table>`;
}

/** The example request's trace id, to look up in Jaeger, Tempo...: both sides' spans of that request are in it. */
function traceCell(traceId: string | null): string {
  return traceId === null ? '' : `<code class="trace">${esc(traceId)}</code>`;
}
