/**
 * `strangler traffic --flood` on the real shop (legacy and the three extracted services) behind the
 * real proxy with the shipped rules: one route flooded open-loop while the shoppers browse and
 * check out. Short runs; the figures are checked for consistency, never for timing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli } from '../testing/processes';
import { startShopProcesses, type ShopProcesses } from '../testing/shop-processes';
import { startTestProxy, type TestProxy } from '../testing/upstreams';
import { classify } from '../cli/traffic-stats';

let shop: ShopProcesses;
let proxy: TestProxy;

beforeAll(async () => {
  shop = await startShopProcesses(['legacy', 'catalog', 'pricing', 'checkout']);
  proxy = await startTestProxy(fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8'), {
    LEGACY_PORT: String(shop.ports.legacy), CATALOG_PORT: String(shop.ports.catalog), PRICING_PORT: String(shop.ports.pricing), CHECKOUT_PORT: String(shop.ports.checkout),
  });
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await shop?.stop();
});

const flood = (...args: string[]) => runCli(['traffic', '--url', `http://127.0.0.1:${proxy.port}`, '--admin', `http://127.0.0.1:${proxy.adminPort}`, ...args], { timeoutMs: 40_000 });

interface Row { route: string; requests: number; ok: number; shed: number; rateLimited: number; otherError: number; noAnswer: number; p50Ms: number | null; p99Ms: number | null }

test('--flood ROUTE --rps N --json: the route\'s path filled from the shop, every request sent counted once, the shoppers beside it', async () => {
  const { code, stdout, stderr } = await flood('--duration', '3', '--shoppers', '3', '--flood', 'product-detail', '--rps', '40', '--json');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const doc = JSON.parse(stdout) as { flood: { route: string; method: string; path: string; rps: number; sent: number; notSent: number; answers: Row }; routes: Row[]; checkouts: { ok: number; failed: number; p50Ms: number | null; p99Ms: number | null } };
  expect(doc.flood).toMatchObject({ route: 'product-detail', method: 'GET', rps: 40 });
  // `:id` is a real product id: the shop answers 200, not 404.
  expect(doc.flood.path).toMatch(/^\/api\/products\/\d+$/);
  expect(doc.flood.sent).toBeGreaterThan(0);
  // Open loop, bounded by the duration: never more than N a second were due.
  expect(doc.flood.sent + doc.flood.notSent).toBeLessThanOrEqual(40 * 3);
  const a = doc.flood.answers;
  expect(a.route).toBe('product-detail (flood)');
  expect(a.ok + a.shed + a.rateLimited + a.otherError + a.noAnswer).toBe(doc.flood.sent);
  expect(a.ok).toBeGreaterThan(0);
  expect(a.p50Ms).toEqual(expect.any(Number));
  // The shoppers' own requests are counted per route apart from the flood's.
  expect(doc.routes.map((r) => r.route)).toContain('categories');
  expect(doc.routes.every((r) => r.requests === r.ok + r.shed + r.rateLimited + r.otherError + r.noAnswer)).toBe(true);
  const checkedOut = doc.checkouts.ok + doc.checkouts.failed > 0;
  expect(doc.checkouts).toEqual({ ok: expect.any(Number), failed: expect.any(Number), p50Ms: checkedOut ? expect.any(Number) : null, p99Ms: checkedOut ? expect.any(Number) : null });
}, 60_000);

test('text output: the flood line, the per-route table and the checkouts; a route the proxy does not have names the closest', async () => {
  const { code, stdout } = await flood('--duration', '2', '--shoppers', '2', '--flood', 'pricing', '--rps', '20', '--max-in-flight', '8');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^flood: GET \/api\/pricing\/products\/\d+ \(route pricing\) at 20\/s for 2 s: \d+ sent, \d+ not sent \(8 already in flight\)$/m);
  expect(stdout).toMatch(/^route +requests +2xx +503 shed +429 +other errors +no answer +p50 ms +p99 ms$/m);
  expect(stdout).toMatch(/^pricing \(flood\) +\d+/m);
  expect(stdout).toMatch(/^checkouts by the shoppers: \d+ ok, \d+ failed, p50 (\d+|-) ms, p99 (\d+|-) ms$/m);
  const unknown = await flood('--duration', '1', '--flood', 'product-detial', '--rps', '5');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/^strangler: unknown route "product-detial" in the running proxy \(.*\) \(did you mean "product-detail"\?\)/);
  const usage = await runCli(['traffic', '--flood', 'pricing']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toBe('strangler: --flood needs --rps N, a whole number from 1 to 10000 (see `strangler traffic --help`)\n');
}, 60_000);

test('answers are classified by status and the proxy\'s error code', () => {
  expect(classify(200, null)).toBe('ok');
  expect(classify(503, 'STRANGLER_ERR_OVERLOADED')).toBe('shed');
  expect(classify(503, 'STRANGLER_ERR_UPSTREAM_UNAVAILABLE')).toBe('otherError');
  expect(classify(429, 'STRANGLER_ERR_RATE_LIMITED')).toBe('rateLimited');
  expect(classify(404, null)).toBe('otherError');
});
