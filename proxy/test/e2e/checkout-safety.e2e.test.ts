import Database from 'better-sqlite3';
import { CHECKOUT_BODY } from '../../../legacy-monolith/test/shop-fixture';
import { startFaultProxy, type FaultProxy } from '../../../scripts/testing/fault-proxy';
import { jsonBody, request, type SimpleResponse } from '../../../scripts/testing/http-client';
import { startShopProcesses, type ShopProcesses } from '../../../scripts/testing/shop-processes';
import { startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';

/**
 * Checkout safety on the real shop: the monolith and the extracted checkout as real processes over
 * one database, our proxy in front, and a fault proxy that delays extracted's answers.
 */
let shop: ShopProcesses;
let fault: FaultProxy;
let proxy: TestProxy;
let db: Database.Database;
let sku = '';

beforeAll(async () => {
  shop = await startShopProcesses(['legacy', 'checkout'], { PAYMENT_LATENCY_MS: '300' });
  fault = await startFaultProxy(shop.ports.checkout);
  proxy = await startTestProxy(`version: 1
upstreams: { legacy: "http://127.0.0.1:${shop.ports.legacy}", checkout: "http://127.0.0.1:${fault.port}" }
routes:
  - { name: checkout, match: { methods: [POST], path: /api/checkout }, extracted: checkout, percent: 100, timeout_ms: 1500 }
`);
  db = new Database(shop.dbFile, { readonly: true });
  sku = (db.prepare('SELECT sku FROM variants WHERE stock > 50 ORDER BY sku LIMIT 1').get() as { sku: string } | undefined)?.sku
    ?? (db.prepare('SELECT sku FROM variants ORDER BY stock DESC LIMIT 1').get() as { sku: string }).sku;
}, 30000);
afterAll(async () => {
  db.close();
  await proxy.stop();
  await fault.close();
  await shop.stop();
});

afterEach(() => expectNoCrash(proxy));

const orders = (): number => (db.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n;

async function cartCookie(): Promise<string> {
  const res = await request({ port: shop.ports.legacy, path: '/api/cart/items', method: 'POST', ...jsonBody({ sku, quantity: 1 }), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(201);
  return String(res.headers['set-cookie']![0]).split(';')[0];
}

const checkout = (cookie: string, headers: Record<string, string> = {}): Promise<SimpleResponse> =>
  request({ port: proxy.port, path: '/api/checkout', method: 'POST', ...jsonBody(CHECKOUT_BODY), headers: { 'content-type': 'application/json', cookie, 'x-user-id': 'u', ...headers } });

test('a shopper who sends x-strangler-shadow: 1 gets a real checkout (the header never reaches the service)', async () => {
  fault.toxic = { kind: 'none' };
  const before = orders();
  const res = await checkout(await cartCookie(), { 'x-strangler-shadow': '1' });
  expect(res.status).toBe(201);
  expect(res.headers['x-strangler-backend']).toBe('extracted');
  expect(orders()).toBe(before + 1);
});

test('extracted commits the order, then answers too late: without a key 504 and exactly one order', async () => {
  fault.toxic = { kind: 'latency', ms: 2500 };
  const before = orders();
  const res = await checkout(await cartCookie());
  expect(res.status).toBe(504);
  expect(res.json<{ error: { code: string } }>().error.code).toBe('STRANGLER_ERR_UPSTREAM_TIMEOUT');
  await new Promise((r) => setTimeout(r, 300));
  expect(orders()).toBe(before + 1); // committed once by extracted, never replayed on legacy
});

test('the same with an Idempotency-Key: the legacy retry returns the order extracted made, still one order', async () => {
  fault.toxic = { kind: 'latency', ms: 2500 };
  const before = orders();
  const res = await checkout(await cartCookie(), { 'idempotency-key': 'safety-key-1' });
  expect(res.status).toBe(201);
  expect(res.headers['x-strangler-backend']).toBe('legacy-fallback');
  expect(res.headers['idempotent-replayed']).toBe('true');
  expect(orders()).toBe(before + 1);
  const key = db.prepare("SELECT order_id FROM idempotency_keys WHERE key = 'safety-key-1'").get() as { order_id: number };
  expect(res.json<{ order: { id: number } }>().order.id).toBe(key.order_id);
});

test('two concurrent identical keyed checkouts: one order, the other told 409 (in progress)', async () => {
  fault.toxic = { kind: 'none' };
  const before = orders();
  const cookie = await cartCookie();
  const [a, b] = await Promise.all([checkout(cookie, { 'idempotency-key': 'race-1' }), checkout(cookie, { 'idempotency-key': 'race-1' })]);
  expect([a.status, b.status].sort()).toEqual([201, 409]);
  expect(orders()).toBe(before + 1);
});
