/**
 * The conversion guard shown (DESIGN "Conversion guard"): a real proxy with two workers writing a
 * real SQLite store, shoppers who look at a product and some of whom check out, then /stats and
 * `strangler report` (JSON, Markdown and HTML) showing both sides' rates, the shoppers behind them,
 * the drop with its interval and the verdict. With two workers, /stats must count every shopper
 * once, whichever worker served them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { request } from '../../testing/http-client';
import { runCli, tempDir } from '../../testing/processes';
import { answerAsShop, startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../testing/upstreams';
import { until } from '../../testing/wait';

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;

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
    rollout: { steps: [50, 100], guard: { goal: order, min_shoppers: 60 } }
  - name: checkout
    match: { methods: [POST], path: /api/checkout }
    extracted: svc
    percent: 0
`, { STRANGLER_WORKERS: '2' });
  await until('the proxy to open its store', () => fs.existsSync(proxy.diffDb), 10_000);
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([legacy?.close(), svc?.close()]);
});

interface Side { shoppers: number; converted: number; rate: number | null }
interface Conversion { goal: string; legacy: Side; extracted: Side; drop: number | null; interval: [number, number] | null; verdict: string; since?: string; until?: string }
interface StatsRoute { name: string; conversion: Conversion | null }

const statsRoutes = async (): Promise<StatsRoute[]> => (JSON.parse((await request({ port: proxy.adminPort, path: '/stats' })).body) as { routes: StatsRoute[] }).routes;

test('/stats and the report (JSON, Markdown, HTML) show both rates, the shoppers behind them, the drop, its interval and the verdict', async () => {
  // 3 in 10 shoppers buy on legacy, 1 in 20 on extracted; each request is its own connection, so both workers serve shoppers.
  const served = { legacy: 0, extracted: 0 };
  const bought = { legacy: 0, extracted: 0 };
  for (let i = 0; i < 300; i++) {
    const headers = { 'x-user-id': `shopper-${i}` };
    const page = await request({ port: proxy.port, path: '/api/products/1', headers });
    const side = page.headers['x-strangler-backend'] as 'legacy' | 'extracted';
    const n = served[side]++;
    if (side === 'legacy' ? n % 10 < 3 : n % 20 === 0) {
      expect((await request({ port: proxy.port, path: '/api/checkout', method: 'POST', headers })).status).toBe(201);
      bought[side]++;
    }
  }
  expect(Math.min(served.legacy, served.extracted)).toBeGreaterThan(60);

  // The workers ship their shoppers to the store every second; /stats reads the store every few.
  const shown = await until('/stats to count every shopper and buyer', async () => {
    const route = (await statsRoutes()).find((r) => r.name === 'product');
    const c = route?.conversion;
    return c && c.legacy.shoppers === served.legacy && c.extracted.shoppers === served.extracted
      && c.legacy.converted === bought.legacy && c.extracted.converted === bought.extracted && c;
  }, 30_000);
  expect(shown).toMatchObject({ goal: 'order', verdict: 'rollback', legacy: { rate: bought.legacy / served.legacy }, extracted: { rate: bought.extracted / served.extracted } });
  expect(shown.drop).toBeCloseTo(1 - (bought.extracted / served.extracted) / (bought.legacy / served.legacy), 10);
  expect(shown.interval![0]).toBeGreaterThan(0.05);
  expect(shown.interval![1]).toBeGreaterThanOrEqual(shown.interval![0]);
  expect(Date.parse(shown.until!)).toBeGreaterThan(Date.parse(shown.since!));
  expect((await statsRoutes()).find((r) => r.name === 'checkout')!.conversion).toBeNull();

  const out = tempDir('conversion-report');
  const run = await runCli(['report', '--db', proxy.diffDb, '--rules', proxy.rulesFile, '--out', out, '--since', '1h']);
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.code).toBe(0); // the conversion verdict is the rollout's to act on; the report's exit is about budgets
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { routes: Array<{ route: string; conversion: Conversion | null }> };
  const product = report.routes.find((r) => r.route === 'product')!.conversion!;
  // The same counts and the same judgement as /stats (one window holds every shopper here).
  expect(product).toEqual({ ...shown, since: undefined, until: undefined, maxDrop: 0.05, minShoppers: 60, confidence: 0.95 } as unknown as Conversion);
  expect(report.routes.find((r) => r.route === 'checkout')?.conversion ?? null).toBeNull();

  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const legacyCell = `${pct(bought.legacy / served.legacy)} (${bought.legacy}/${served.legacy})`;
  const extractedCell = `${pct(bought.extracted / served.extracted)} (${bought.extracted}/${served.extracted})`;
  const intervalCell = `${pct(product.interval![0])} .. ${pct(product.interval![1])} at 95%`;
  const markdown = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  expect(markdown).toContain('## Conversion guard');
  expect(markdown).toContain(`| product | order | ${legacyCell} | ${extractedCell} | ${pct(product.drop!)} | ${intervalCell} | 5.0% | ❌ rollback |`);
  // What the command prints is the Markdown the nightly workflow puts in the job summary.
  expect(run.stdout).toContain(`| product | order | ${legacyCell} | ${extractedCell} |`);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  expect(html).toContain(`<tr class="rollback"><td>product</td><td>order</td><td>${legacyCell}</td><td>${extractedCell}</td><td>${pct(product.drop!)}</td><td>${intervalCell}</td><td>5.0%</td><td><span class="badge bad">rollback</span></td></tr>`);
}, 120_000);
