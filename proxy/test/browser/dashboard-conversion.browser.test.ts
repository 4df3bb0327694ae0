import { openLivePage, type LivePage } from '../../../scripts/testing/chromium';
import { request } from '../../../scripts/testing/http-client';
import { answerAsShop, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';
import { until } from '../../../scripts/testing/wait';

/**
 * The dashboard's conversion line in a real headless Chromium against a real proxy and its SQLite
 * store: a guarded route shows each side's rate with the shoppers behind it, the drop with its
 * interval and the verdict, as /stats has them; a route without a guard shows none.
 */
jest.setTimeout(90_000);

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
let page: LivePage;

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  answerAsShop(legacy, svc);
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "${legacy.url}", svc: "${svc.url}" }
goals:
  order: { route: checkout, status: 2xx }
routes:
  - name: product
    match: { methods: [GET], path: /api/products/:id }
    extracted: svc
    percent: 50
    rollout: { steps: [50, 100], guard: { goal: order, min_shoppers: 500 } }
  - name: checkout
    match: { methods: [POST], path: /api/checkout }
    extracted: svc
    percent: 0
`);
  page = await openLivePage(`http://127.0.0.1:${proxy.adminPort}/dashboard`, { width: 1280, height: 800 });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([page?.close(), proxy?.stop()]);
  await Promise.allSettled([legacy?.close(), svc?.close()]);
});

interface Line { route: string; hidden: boolean; text: string; legacy: string | null; extracted: string | null; drop: string | null; verdict: string | null; verdictClass: string | null }

const readLines = (): Promise<Line[]> => page.evaluate<Line[]>(`Array.from(document.querySelectorAll('section.route')).map(function (s) {
  var p = s.querySelector('p.conversion');
  function f(name) { var e = p && p.querySelector('[data-f="conversion.' + name + '"]'); return e ? e.textContent : null; }
  var v = p && p.querySelector('[data-f="conversion.verdict"]');
  return { route: s.getAttribute('data-route'), hidden: !p || p.hidden, text: p ? p.textContent : '', legacy: f('legacy'), extracted: f('extracted'), drop: f('drop'), verdict: f('verdict'), verdictClass: v ? v.className : null };
})`);

test('a guarded route\'s card shows both sides\' conversion, the shoppers behind them, the drop with its interval and the verdict; others show none', async () => {
  for (let i = 0; i < 40; i++) {
    const headers = { 'x-user-id': `shopper-${i}` };
    await request({ port: proxy.port, path: '/api/products/1', headers });
    if (i % 3 === 0) await request({ port: proxy.port, path: '/api/checkout', method: 'POST', headers });
  }
  const line = await until('every shopper in the conversion line', async () => {
    const product = (await readLines()).find((l) => l.route === 'product');
    const count = (cell: string | null): number => Number(/\((\d+)\/(\d+) shoppers\)/.exec(cell ?? '')?.[2] ?? 0);
    return product && !product.hidden && count(product.legacy) + count(product.extracted) === 40 && product;
  }, 30_000);
  const stats = JSON.parse((await request({ port: proxy.adminPort, path: '/stats' })).body) as { routes: Array<{ name: string; conversion: Record<string, { shoppers: number; converted: number; rate: number }> & { interval: [number, number] } }> };
  const shown = stats.routes.find((r) => r.name === 'product')!.conversion;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  expect(line.legacy).toBe(`${pct(shown.legacy.rate)} (${shown.legacy.converted}/${shown.legacy.shoppers} shoppers)`);
  expect(line.extracted).toBe(`${pct(shown.extracted.rate)} (${shown.extracted.converted}/${shown.extracted.shoppers} shoppers)`);
  expect(line.drop).toMatch(/^drop -?\d+\.\d% \[-?\d+\.\d% \.\. \d+\.\d%\] at 95% \(max 5\.0%\)$/);
  expect(line.drop).toContain(`[${pct(shown.interval[0])} .. ${pct(shown.interval[1])}]`);
  // 40 shoppers against min_shoppers 500: the guard holds, and says how many of how many.
  expect(line.verdict).toMatch(/^hold: \d+\/500 shoppers a side$/);
  expect(line.verdictClass).toBe('guard-hold');
  expect(line.text).toMatch(/^conversion to order since \d\d:\d\d:\d\d: legacy /);
  expect((await readLines()).find((l) => l.route === 'checkout')!.hidden).toBe(true);
  expect(page.messages.filter((m) => /Content Security Policy|Refused/.test(m))).toEqual([]);
});
