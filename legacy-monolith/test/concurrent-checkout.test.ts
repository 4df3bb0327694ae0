import Database from 'better-sqlite3';
import { CHECKOUT_BODY } from './shop-fixture';
import { jsonBody, request } from '../../scripts/testing/http-client';
import { startShopProcesses, type ShopProcesses } from '../../scripts/testing/shop-processes';

let shop: ShopProcesses;
beforeAll(async () => { shop = await startShopProcesses(['legacy', 'checkout']); }, 30000);
afterAll(async () => { await shop.stop(); });

test('20 concurrent checkouts for the last 5 units, across legacy and extracted, sell exactly 5', async () => {
  const db = new Database(shop.dbFile);
  const sku = (db.prepare('SELECT sku FROM variants WHERE stock > 0 ORDER BY sku LIMIT 1').get() as { sku: string }).sku;
  db.prepare('UPDATE variants SET stock = 5 WHERE sku = ?').run(sku);
  const cookies: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await request({ port: shop.ports.legacy, path: '/api/cart/items', method: 'POST', ...jsonBody({ sku, quantity: 1 }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    cookies.push(String(res.headers['set-cookie']![0]).split(';')[0]);
  }
  const results = await Promise.all(cookies.map((cookie, i) => request({
    port: i % 2 === 0 ? shop.ports.legacy : shop.ports.checkout, path: '/api/checkout', method: 'POST', ...jsonBody(CHECKOUT_BODY),
    headers: { 'content-type': 'application/json', cookie },
  })));
  const statuses = results.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(5);
  expect(statuses.filter((s) => s === 409)).toHaveLength(15);
  expect(results.filter((r) => r.status === 409).every((r) => r.json<{ error: { code: string } }>().error.code === 'out_of_stock')).toBe(true);
  expect((db.prepare('SELECT stock FROM variants WHERE sku = ?').get(sku) as { stock: number }).stock).toBe(0);
  expect((db.prepare('SELECT COALESCE(SUM(quantity), 0) AS sold FROM order_lines WHERE sku = ?').get(sku) as { sold: number }).sold).toBe(5);
  db.close();
}, 30000);
