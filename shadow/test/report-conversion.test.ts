/**
 * The report's conversion block (routes[].conversion): read from a real SQLite store over the
 * report's window, judged by the same verdict as `strangler rollout`'s conversion gate, and shown
 * in the Markdown and the HTML.
 */
import path from 'node:path';
import type { ConversionGuard } from '../../proxy/rules/types';
import { conversionGate } from '../../scripts/cli/rollout/conversion-gate';
import { tempDir } from '../../scripts/testing/processes';
import { buildReport, type GuardInForce } from '../report/model';
import { renderHtml } from '../report/render-html';
import { renderMarkdown } from '../report/render-md';
import { DiffStore } from '../store/diff-store';
import type { ShopperKind, ShopperMark } from '../store/shoppers';
import type { TrafficBackend } from '../store/traffic';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const guard: ConversionGuard = { goal: 'order', maxDrop: 0.05, minShoppers: 50, confidence: 0.95 };

/** `shoppers` shoppers exposed on `side` of `route`, the first `converted` of whom reached the goal a minute later. */
function marks(route: string, side: TrafficBackend, shoppers: number, converted: number, first: number): ShopperMark[] {
  const mark = (kind: ShopperKind, shopper: number, minute: number): ShopperMark => ({ kind, route, side, shopper, minute });
  return Array.from({ length: shoppers }, (_, i) => [
    mark('exposed', first + i, T0 + (i % 5) * MINUTE),
    ...(i < converted ? [mark('converted', first + i, T0 + ((i % 5) + 1) * MINUTE)] : []),
  ]).flat();
}

async function reportOf(guards: ReadonlyMap<string, GuardInForce>) {
  const file = path.join(tempDir('report-conversion'), 'diffs.sqlite');
  const store = new DiffStore(file);
  const reader = await store.open();
  store.addShoppers([
    ...marks('drops', 'legacy', 300, 90, 0), ...marks('drops', 'extracted', 300, 15, 1000),
    ...marks('equal', 'legacy', 200, 60, 2000), ...marks('equal', 'extracted', 200, 60, 3000),
    ...marks('full', 'extracted', 80, 20, 4000),
    // Outside the window: not counted.
    ...marks('drops', 'legacy', 50, 50, 5000).map((m) => ({ ...m, minute: m.minute - 3 * 3600_000 })),
  ]);
  await store.flush();
  const report = await buildReport(reader, file, T0 - 3600_000, T0 + 3600_000, new Map(), undefined, undefined, undefined, guards);
  await store.close();
  return report;
}

test('a guarded route has both rates, the shoppers behind them, the drop, its interval and the rollout gate\'s verdict; an unguarded one has null', async () => {
  const guards = new Map<string, GuardInForce>([['drops', { guard, percent: 50 }], ['equal', { guard, percent: 50 }], ['few', { guard: { ...guard, minShoppers: 500 }, percent: 25 }], ['full', { guard, percent: 100 }]]);
  const report = await reportOf(guards);
  const by = new Map(report.routes.map((r) => [r.route, r]));
  // A guarded route is in the report even with no comparisons and no shoppers yet.
  expect([...by.keys()]).toEqual(['drops', 'equal', 'few', 'full']);
  const drops = by.get('drops')!.conversion!;
  expect(drops).toMatchObject({
    goal: 'order', legacy: { shoppers: 300, converted: 90, rate: 0.3 }, extracted: { shoppers: 300, converted: 15, rate: 0.05 }, verdict: 'rollback',
    maxDrop: 0.05, minShoppers: 50, confidence: 0.95,
  });
  expect(drops.drop).toBeCloseTo(5 / 6, 10);
  // The same judgement as the rollout's gate on the same counts, interval and all.
  const gate = conversionGate(guard, { legacy: { shoppers: 300, converted: 90 }, extracted: { shoppers: 300, converted: 15 } }, 50);
  expect(gate.status).toBe('failed');
  expect(drops.interval).toEqual(gate.judgement.interval);
  expect(drops.interval![0]).toBeGreaterThan(0.05);

  expect(by.get('equal')!.conversion).toMatchObject({ legacy: { shoppers: 200, converted: 60, rate: 0.3 }, extracted: { shoppers: 200, converted: 60, rate: 0.3 }, drop: 0, verdict: 'pass' });
  expect(by.get('few')!.conversion).toMatchObject({ legacy: { shoppers: 0, converted: 0, rate: null }, extracted: { shoppers: 0, converted: 0, rate: null }, drop: null, interval: null, verdict: 'hold' });
  expect(by.get('full')!.conversion).toMatchObject({ extracted: { shoppers: 80, converted: 20, rate: 0.25 }, verdict: 'not-judged' });
  // The conversion verdict is the rollout's business: the report's exit status stays about budgets.
  expect(report.ok).toBe(true);

  const unguarded = await reportOf(new Map([['equal', { guard, percent: 50 }]]));
  expect(unguarded.routes.map((r) => [r.route, r.conversion === null])).toEqual([['equal', false]]);
});

test('the Markdown and the HTML show, per guarded route, both rates with their shoppers, the drop, its interval and the verdict', async () => {
  const report = await reportOf(new Map([['drops', { guard, percent: 50 }], ['equal', { guard, percent: 50 }]]));
  const interval = report.routes[0].conversion!.interval!;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const markdown = renderMarkdown(report);
  expect(markdown).toContain('## Conversion guard');
  expect(markdown).toContain(`| drops | order | 30.0% (90/300) | 5.0% (15/300) | 83.3% | ${pct(interval[0])} .. ${pct(interval[1])} at 95% | 5.0% | ❌ rollback |`);
  expect(markdown).toMatch(/\| equal \| order \| 30\.0% \(60\/200\) \| 30\.0% \(60\/200\) \| 0\.0% \| -?\d+\.\d% \.\. \d+\.\d% at 95% \| 5\.0% \| ✅ pass \|/);
  const html = renderHtml(report);
  expect(html).toContain('<h2>Conversion guard</h2>');
  expect(html).toContain(`<tr class="rollback"><td>drops</td><td>order</td><td>30.0% (90/300)</td><td>5.0% (15/300)</td><td>83.3%</td><td>${pct(interval[0])} .. ${pct(interval[1])} at 95%</td><td>5.0%</td><td><span class="badge bad">rollback</span></td></tr>`);
  expect(html).toMatch(/<tr class="pass"><td>equal<\/td><td>order<\/td><td>30\.0% \(60\/200\)<\/td><td>30\.0% \(60\/200\)<\/td>/);
  // No guard, no section.
  const bare = { ...report, routes: report.routes.map((r) => ({ ...r, conversion: null })) };
  expect(renderMarkdown(bare)).not.toContain('Conversion guard');
  expect(renderHtml(bare)).not.toContain('Conversion guard');
});
