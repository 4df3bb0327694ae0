import type { DiffReport, RouteReport } from '../report/model';
import { renderHtml } from '../report/render-html';

function route(name: string, mismatchRate: number, budget: number, legacyP50: number): RouteReport {
  return {
    route: name, sampled: 100, compared: 100, truncated: 0, dropped: 0, errors: 0, mismatches: Math.round(mismatchRate * 100), mismatchRate, budget, overBudget: mismatchRate > budget,
    topPaths: [], trend: [{ hour: '2026-12-02T04', compared: 100, mismatches: Math.round(mismatchRate * 100), rate: mismatchRate }],
    latency: { legacy: { p50: legacyP50, p95: 12.5, p99: 40, samples: 100 }, extracted: { p50: 3.25, p95: 9, p99: 31, samples: 100 } },
  };
}

const report: DiffReport = {
  generatedAt: '2026-12-02T05:00:00Z', since: '2026-12-01T05:00:00Z', until: '2026-12-02T05:00:00Z', store: 'd.sqlite', ok: false,
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
