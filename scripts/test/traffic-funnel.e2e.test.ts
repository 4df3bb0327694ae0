/**
 * `strangler traffic`'s shoppers and `--degrade` on the real shop (legacy and the three extracted
 * services) behind the real proxy with the shipped rules, whose product-detail route has a
 * conversion guard. Short runs; counts are checked, never timing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli } from '../testing/processes';
import { startShopProcesses, type ShopProcesses } from '../testing/shop-processes';
import { startTestProxy, type TestProxy } from '../testing/upstreams';
import { until } from '../testing/wait';

let shop: ShopProcesses;
let proxy: TestProxy;

const SHIPPED = fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8');
const PERCENT_LINE = '    percent: 25                 # 0..100, share of identities sent to extracted';

beforeAll(async () => {
  expect(SHIPPED).toContain(PERCENT_LINE);
  shop = await startShopProcesses(['legacy', 'catalog', 'pricing', 'checkout']);
  // product-detail at 50 %, so both sides have shoppers in a short run.
  proxy = await startTestProxy(SHIPPED.replace(PERCENT_LINE, PERCENT_LINE.replace('25 ', '50 ')), {
    LEGACY_PORT: String(shop.ports.legacy), CATALOG_PORT: String(shop.ports.catalog), PRICING_PORT: String(shop.ports.pricing), CHECKOUT_PORT: String(shop.ports.checkout),
  });
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await shop?.stop();
});

const traffic = (...args: string[]) => runCli(['traffic', '--url', `http://127.0.0.1:${proxy.port}`, '--admin', `http://127.0.0.1:${proxy.adminPort}`, ...args], { timeoutMs: 40_000 });

interface SideConversion { shoppers: number; bought: number; rate: number | null }
interface RouteConversion { route: string; legacy: SideConversion; extracted: SideConversion; degraded: Array<{ side: string; factor: number }> }

test('--degrade R:extracted:0: the shoppers served extracted\'s product page never buy, legacy\'s do, and the proxy counts the same', async () => {
  // Every visit adds to the cart and checks out, so legacy's shoppers surely buy in a short run.
  const { code, stdout, stderr } = await traffic('--duration', '6', '--shoppers', '4', '--cart-rate', '1', '--checkout-rate', '1', '--degrade', 'product-detail:extracted:0', '--json');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const doc = JSON.parse(stdout) as { conversion: RouteConversion[]; checkouts: { ok: number }; funnel: unknown; routes: Array<{ route: string; ok: number }> };
  expect(doc.funnel).toEqual({ cartRate: 1, checkoutRate: 1, degrades: [{ route: 'product-detail', side: 'extracted', factor: 0 }] });
  // The guarded route, from the proxy's /status, with the --degrade on it.
  expect(doc.conversion.map((c) => c.route)).toEqual(['product-detail']);
  const [detail] = doc.conversion;
  expect(detail.degraded).toEqual([{ side: 'extracted', factor: 0 }]);
  expect(detail.extracted.shoppers).toBeGreaterThan(0);
  expect(detail.extracted.bought).toBe(0);
  expect(detail.legacy.bought).toBeGreaterThan(0);
  expect(detail.legacy.bought).toBeLessThanOrEqual(detail.legacy.shoppers);
  // A purchase is a real order through the proxy's goal route, answered 2xx.
  expect(doc.checkouts.ok).toBeGreaterThanOrEqual(detail.legacy.bought);
  expect(doc.routes.find((r) => r.route === 'checkout')?.ok).toBe(doc.checkouts.ok);
  // The proxy's guard saw the same: no extracted shopper converted (its marks reach the store within a second or so).
  const gate = await until('the proxy\'s shoppers in its store', async () => {
    const run = await runCli(['rollout', 'product-detail', '--file', proxy.rulesFile, '--db', proxy.diffDb, '--dry-run', '--json']);
    const route = (JSON.parse(run.stdout) as { routes: Array<{ gates: Array<{ gate: string; text: string }> }> }).routes[0];
    const text = route.gates.find((g) => g.gate === 'conversion')?.text ?? '';
    const m = /legacy \S+ \((\d+)\/(\d+) shoppers\), extracted \S+ \((\d+)\/(\d+)\)/.exec(text);
    return m !== null && Number(m[2]) >= detail.legacy.shoppers && Number(m[4]) >= detail.extracted.shoppers && m.slice(1).map(Number);
  }, 20_000);
  const [legacyConverted, , extractedConverted] = gate;
  expect(extractedConverted).toBe(0);
  expect(legacyConverted).toBeGreaterThan(0);
}, 90_000);

test('text output: the conversion table of the guarded route, at the shop\'s own rates', async () => {
  const { code, stdout } = await traffic('--duration', '2', '--shoppers', '2');
  expect(code).toBe(0);
  expect(stdout).toContain('conversion as the shoppers saw it (shoppers served each side of the route, and how many of them then bought):');
  expect(stdout).toMatch(/^route +side +shoppers +bought +rate$/m);
  expect(stdout).toMatch(/^product-detail +legacy +\d+ +\d+ +(\d+\.\d%|-)$/m);
  expect(stdout).toMatch(/^product-detail +extracted +\d+ +\d+ +(\d+\.\d%|-)$/m);
}, 60_000);

test('a --degrade naming a route the proxy does not have is refused, with the closest name', async () => {
  const unknown = await traffic('--duration', '1', '--degrade', 'product-detial:extracted:0.5');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/^strangler: unknown route "product-detial" in the running proxy \(.*\) \(did you mean "product-detail"\?\)/);
}, 30_000);

test('bad --degrade and rates are usage errors naming what was wrong', async () => {
  const usage = async (...args: string[]) => (await runCli(['traffic', ...args])).stderr;
  expect(await usage('--degrade', 'product-detail:extracted')).toBe('strangler: --degrade takes ROUTE:SIDE:FACTOR, e.g. product-detail:extracted:0.5, got "product-detail:extracted" (see `strangler traffic --help`)\n');
  expect(await usage('--degrade', 'product-detail:catalog:0.5')).toBe('strangler: --degrade product-detail:catalog:0.5: the side must be legacy or extracted, got "catalog" (see `strangler traffic --help`)\n');
  expect(await usage('--degrade', 'product-detail:extracted:2')).toMatch(/^strangler: --degrade product-detail:extracted:2: the factor must be a number from 0 to 1 .*, got "2" \(see/);
  expect(await usage('--checkout-rate', '40%')).toBe('strangler: --checkout-rate must be a share from 0 to 1, got "40%" (see `strangler traffic --help`)\n');
  expect((await runCli(['traffic', '--cart-rate', '2'])).code).toBe(2);
}, 30_000);
