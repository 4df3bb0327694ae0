/**
 * The shop's live stock feed through the proxy, on the real monolith and extracted/catalog
 * processes over one database: the route moves like any route, and a stock change made by another
 * process reaches the shopper on whichever side serves them.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { expectNoCrash } from '../../../scripts/testing/proxy-health';
import { startShopProcesses, type ShopProcesses } from '../../../scripts/testing/shop-processes';
import { startTestProxy, type TestProxy } from '../../../scripts/testing/upstreams';
import { openWs, refusedWs } from '../../../scripts/testing/websockets';

const TOKEN = 'ws-shop-test-token';
let shop: ShopProcesses;
let proxy: TestProxy;

beforeAll(async () => {
  shop = await startShopProcesses(['legacy', 'catalog'], { STOCK_POLL_MS: '100' });
  // The shipped rules, pointed at this test's shop processes.
  const shipped = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'routing-rules.yaml'), 'utf8');
  proxy = await startTestProxy(shipped, { LEGACY_PORT: String(shop.ports.legacy), CATALOG_PORT: String(shop.ports.catalog), STRANGLER_OVERRIDE_TOKEN: TOKEN });
}, 30000);
afterAll(async () => {
  const code = await proxy.stop();
  await shop.stop();
  expect(code).toBe(0);
});
afterEach(() => expectNoCrash(proxy));

test.each([['legacy', {}], ['extracted', { 'x-strangler-force': 'extracted', 'x-strangler-token': TOKEN }]] as const)(
  'served by %s: the stock on connect, then the change another process makes', async (backend, force) => {
    const client = await openWs(proxy.port, '/ws/stock/12', { 'x-user-id': `stock-${backend}`, ...force });
    expect(client.upgrade.headers['x-strangler-route']).toBe('stock-live');
    expect(client.upgrade.headers['x-strangler-backend']).toBe(backend);
    const first = JSON.parse(String(await client.next())) as { productId: number; variants: Array<{ sku: string; stock: number }> };
    expect(first.productId).toBe(12);
    const { sku, stock } = first.variants[0];
    const db = new Database(shop.dbFile);
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE variants SET stock = ? WHERE sku = ?').run(stock + 1, sku);
    db.close();
    const changed = JSON.parse(String(await client.next())) as { variants: Array<{ sku: string; stock: number }> };
    expect(changed.variants.find((v) => v.sku === sku)?.stock).toBe(stock + 1);
    client.ws.close();
    await client.closed;
  });

test('an unknown product is the side\'s own 404, relayed with the proxy\'s marks', async () => {
  const refused = await refusedWs(proxy.port, '/ws/stock/999999', { 'x-user-id': 'stock-404' });
  expect(refused.status).toBe(404);
  expect(refused.headers['x-strangler-route']).toBe('stock-live');
  expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'not_found', message: 'Product 999999 not found' } });
});
