import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stockFeed, type StockMessage, type UpgradeHandler } from '../src/http/live/stock-feed';
import { openWs, refusedWs, type WsClient } from '../../scripts/testing/websockets';
import { seededShop } from './shop-fixture';

let fixture: ReturnType<typeof seededShop>;
let feed: UpgradeHandler;
let server: http.Server;
let port: number;

beforeAll(async () => {
  fixture = seededShop();
  feed = stockFeed(fixture.shop, { pollMs: 50 });
  server = http.createServer(fixture.app);
  server.on('upgrade', (req, socket, head) => feed.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  feed.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fixture.close();
});

const stockInDb = (productId: number): Array<{ sku: string; stock: number }> =>
  fixture.db.prepare('SELECT sku, stock FROM variants WHERE product_id = ? ORDER BY sku').all(productId) as Array<{ sku: string; stock: number }>;
const message = async (client: WsClient): Promise<Record<string, unknown>> => JSON.parse(String(await client.next())) as Record<string, unknown>;

test('on connect: the product\'s stock now, per variant', async () => {
  const client = await openWs(port, '/ws/stock/17');
  const first = await message(client) as unknown as StockMessage;
  expect(first).toEqual({
    type: 'stock', productId: 17, inStock: stockInDb(17).some((v) => v.stock > 0),
    variants: stockInDb(17).map((v) => ({ ...v, inStock: v.stock > 0 })),
  });
  client.ws.close();
  await client.closed;
});

test('when stock changes (any process writing the database), every watcher gets the new stock; nothing is sent while it stays the same', async () => {
  const [a, b] = await Promise.all([openWs(port, '/ws/stock/3'), openWs(port, '/ws/stock/3')]);
  await Promise.all([message(a), message(b)]);
  const { sku, stock } = stockInDb(3)[0];
  fixture.db.prepare('UPDATE variants SET stock = ? WHERE sku = ?').run(stock + 5, sku);
  for (const client of [a, b]) {
    const changed = await message(client) as unknown as StockMessage;
    expect(changed.variants.find((v) => v.sku === sku)).toEqual({ sku, stock: stock + 5, inStock: true });
  }
  // The next message is the answer to this ping: no stock message came in between.
  a.ws.send('{"type":"ping"}');
  expect(await message(a)).toEqual({ type: 'pong' });
  for (const client of [a, b]) client.ws.close();
  await Promise.all([a.closed, b.closed]);
});

test('the small protocol: get answers the stock now; anything else is an error message, and the connection stays', async () => {
  const client = await openWs(port, '/ws/stock/5');
  const first = await message(client);
  client.ws.send('{"type":"get"}');
  expect(await message(client)).toEqual(first);
  client.ws.send('not json');
  expect(await message(client)).toEqual({ type: 'error', code: 'unknown_message' });
  client.ws.send('{"type":"ping"}');
  expect(await message(client)).toEqual({ type: 'pong' });
  client.ws.close();
  await client.closed;
});

test('an unknown product, or an id that is no number, is a 404 before the upgrade, in the shop\'s JSON error shape', async () => {
  const missing = await refusedWs(port, '/ws/stock/999999');
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'not_found', message: 'Product 999999 not found' } });
  const bad = await refusedWs(port, '/ws/stock/x1');
  expect(bad.status).toBe(404);
  expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'not_found', message: 'Product x1 not found', fields: [] } });
  expect((await refusedWs(port, '/ws/other')).status).toBe(404);
});

test('close() sends close code 1001 to every connection', async () => {
  const own = stockFeed(fixture.shop, { pollMs: 50 });
  const other = http.createServer(fixture.app);
  other.on('upgrade', (req, socket, head) => own.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
  const client = await openWs((other.address() as AddressInfo).port, '/ws/stock/1');
  await message(client);
  own.close();
  expect(await client.closed).toEqual({ code: 1001, reason: 'shop shutting down' });
  await new Promise((resolve) => other.close(resolve));
});
