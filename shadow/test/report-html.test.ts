import { DIFFY_THRESHOLDS } from '../compare/window-noise';
import type { DiffReport, RouteReport } from '../report/model';
import { renderHtml } from '../report/render-html';
import { renderMarkdown } from '../report/render-md';

function route(name: string, mismatchRate: number, budget: number, legacyP50: number): RouteReport {
  return {
    route: name, sampled: 100, compared: 100, matched: 100 - Math.round(mismatchRate * 100), truncated: 0, dropped: 0, noiseRequests: 100, noiseFields: [], errors: 0, mismatches: Math.round(mismatchRate * 100), mismatchRate, budget, overBudget: mismatchRate > budget,
    topPaths: [], trend: [{ hour: '2026-12-02T04', compared: 100, mismatches: Math.round(mismatchRate * 100), rate: mismatchRate }],
    latency: { legacy: { p50: legacyP50, p95: 12.5, p99: 40, samples: 100 }, extracted: { p50: 3.25, p95: 9, p99: 31, samples: 100 } },
    rollout: null,
    conversion: null,
  };
}

const report: DiffReport = {
  generatedAt: '2026-12-02T05:00:00Z', since: '2026-12-01T05:00:00Z', until: '2026-12-02T05:00:00Z', store: 'd.sqlite', replicas: [], ok: false, noiseThresholds: DIFFY_THRESHOLDS,
  routes: [route('categories', 0, 0.01, 4.5), route('pricing', 0.002, 0.01, 6), route('product-detail', 0.2, 0.05, 5)],
};

test('routes over budget come first, in the table and the sections', () => {
  const html = renderHtml(report);
  const order = (needle: (name: string) => string): number[] => ['product-detail', 'pricing', 'categories'].map((n) => html.indexOf(needle(n)));
  const table = order((n) => `<tr class="${n === 'product-detail' ? 'over' : 'ok'}"><td>${n}</td>`);
  const sections = order((n) => `<h2>${n}</h2>`);
  for (const positions of [table, sections]) {
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  }
});

test('latency bars print their values, and the overview chart labels each budget line', () => {
  const html = renderHtml(report);
  for (const value of ['4.5', '12.5', '40.0', '3.3', '9.0', '31.0']) expect(html).toMatch(new RegExp(`<text class="value"[^>]*>${value.replace('.', '\\.')}</text>`));
  expect((html.match(/<text class="budget"[^>]*>budget 5\.00%<\/text>/g) ?? []).length).toBe(1);
  expect((html.match(/<text class="budget"[^>]*>budget 1\.00%<\/text>/g) ?? []).length).toBe(2);
});

test('routes with a rollout plan: step, last verdict and, at 100 %, whether legacy can be retired (HTML and Markdown)', () => {
  const ramped: DiffReport = {
    ...report,
    routes: [
      { ...route('categories', 0, 0.01, 4.5), rollout: { step: 2, steps: [5, 25, 50, 100], percent: 25, lastVerdict: { verdict: 'hold', at: '2026-12-02T04:00:00.000Z', summary: '120/200 requests, 18m/1h' }, atFullSince: null, comparisonsSinceFull: null, mismatchRateSinceFull: null, ready: false } },
      { ...route('pricing', 0.002, 0.01, 6), rollout: { step: 4, steps: [5, 25, 50, 100], percent: 100, lastVerdict: null, atFullSince: '2026-10-01T00:00:00.000Z', comparisonsSinceFull: 4000, mismatchRateSinceFull: 0.002, ready: true } },
      route('product-detail', 0.2, 0.05, 5),
    ],
  };
  const html = renderHtml(ramped);
  expect(html).toContain('<tr><td>categories</td><td>25%</td><td>2 of 4</td><td>hold (2026-12-02T04:00:00.000Z): 120/200 requests, 18m/1h</td><td>–</td><td>–</td><td>–</td><td>–</td></tr>');
  expect(html).toContain('<tr><td>pricing</td><td>100%</td><td>4 of 4</td><td>none yet</td><td>2026-10-01T00:00:00.000Z</td><td>4000</td><td>0.20%</td><td><span class="badge good">ready</span></td></tr>');
  expect(html).not.toMatch(/<tr><td>product-detail<\/td><td>\d+%<\/td>/);
  const markdown = renderMarkdown(ramped);
  expect(markdown).toContain('| categories | 25% | 2 of 4 | hold (2026-12-02T04:00:00.000Z): 120/200 requests, 18m/1h | – | – | – | – |');
  expect(markdown).toContain('| pricing | 100% | 4 of 4 | none yet | 2026-10-01T00:00:00.000Z | 4000 | 0.20% | ✅ ready |');
  expect(renderMarkdown(report)).not.toContain('## Rollout');
  expect(renderHtml(report)).not.toContain('<h2>Rollout</h2>');
});

test('each route shows matched and truncated, and every field legacy disagreed with itself on with the rates behind its noise call', () => {
  const pricing: RouteReport = {
    ...route('pricing', 0.002, 0.01, 6), truncated: 7,
    noiseFields: [
      { field: 'body.cache', extractedDiffers: 31, legacyDiffers: 30, extractedRate: 0.31, legacyRate: 0.3, relativePercent: 1.6, absolutePercent: 1, noise: true },
      { field: 'body.eta', extractedDiffers: 40, legacyDiffers: 2, extractedRate: 0.4, legacyRate: 0.02, relativePercent: 90.5, absolutePercent: 38, noise: false },
    ],
  };
  const html = renderHtml({ ...report, routes: [pricing] });
  expect(html).toContain('<tr class="ok"><td>pricing</td><td>100</td><td>100</td><td>100</td><td>7</td>');
  expect(html).toContain('<h3>Noise over 100 reads (legacy asked twice)</h3>');
  expect(html).toContain('<tr><td><code>body.cache</code></td><td>30.00% (30)</td><td>31.00% (31)</td><td>1.6%</td><td>1.00 pts</td><td><span class="badge good">noise</span></td></tr>');
  expect(html).toContain('<tr><td><code>body.eta</code></td><td>2.00% (2)</td><td>40.00% (40)</td><td>90.5%</td><td>38.00 pts</td><td><span class="badge bad">real</span></td></tr>');
  expect(html).toContain('more than 20% relative and 0.03 points absolute');
  const md = renderMarkdown({ ...report, routes: [pricing] });
  expect(md).toContain('| pricing | 100 | 100 | 100 | 7 | 0 | 0 | 0 | 0.20% |');
  expect(md).toContain('## pricing: noise over 100 reads (legacy asked twice)');
  expect(md).toContain('| `body.cache` | 30.00% (30) | 31.00% (31) | 1.6% | 1.00 pts | noise |');
  expect(md).toContain('| `body.eta` | 2.00% (2) | 40.00% (40) | 90.5% | 38.00 pts | real |');
});
