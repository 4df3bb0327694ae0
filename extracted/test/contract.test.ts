import Database from 'better-sqlite3';
import { CHECKOUT_BODY } from '../../legacy-monolith/test/shop-fixture';
import { jsonBody, request, type SimpleResponse } from '../../scripts/testing/http-client';
import { startShopProcesses, type ShopProcesses } from '../../scripts/testing/shop-processes';
import { openWs, refusedWs, type WsClient } from '../../scripts/testing/websockets';

/**
 * The contract suite: the same requests to the monolith and to the extracted service that replaces
 * those routes give the same answers, apart from the noise every legacy answer carries.
 */
let shop: ShopProcesses;
/** Real SKUs with plenty of stock, read from the seeded database: [apparel, books, home]. */
let SKUS: string[] = [];
/** Electronics products (5 % off, stackable) with a SKU in stock: their yen discounts are not whole tens on their own. */
let ELECTRONICS: Array<{ id: number; sku: string }> = [];
beforeAll(async () => {
  shop = await startShopProcesses(['legacy', 'catalog', 'pricing', 'checkout']);
  const db = new Database(shop.dbFile, { readonly: true });
  SKUS = ['apparel', 'books', 'home'].map((category) => (db.prepare(`SELECT v.sku FROM variants v JOIN products p ON p.id = v.product_id
    JOIN categories c ON c.id = p.category_id WHERE c.slug = ? AND v.stock >= 20 ORDER BY v.sku LIMIT 1`).get(category) as { sku: string }).sku);
  ELECTRONICS = db.prepare(`SELECT p.id, MIN(v.sku) AS sku FROM products p JOIN categories c ON c.id = p.category_id JOIN variants v ON v.product_id = p.id
    WHERE c.slug = 'electronics' AND v.stock >= 5 GROUP BY p.id ORDER BY p.id LIMIT 8`).all() as Array<{ id: number; sku: string }>;
  db.close();
}, 30000);
afterAll(async () => { await shop.stop(); });

const NOISE = new Set(['generatedAt', 'requestId']);
function withoutNoise(value: unknown, extra: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutNoise(v, extra));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !NOISE.has(k) && !extra.has(k)).map(([k, v]) => [k, withoutNoise(v, extra)]));
  }
  return value;
}

function expectSameAnswer(legacy: SimpleResponse, extracted: SimpleResponse, extra: ReadonlySet<string> = new Set()): void {
  expect(extracted.status).toBe(legacy.status);
  expect(extracted.headers['content-type']).toBe(legacy.headers['content-type']);
  expect(withoutNoise(extracted.json(), extra)).toEqual(withoutNoise(legacy.json(), extra));
}

type Case = { path: string; method?: string; body?: unknown; headers?: Record<string, string> };
const CASES: Record<'catalog' | 'pricing', Case[]> = {
  catalog: [
    { path: '/api/categories' },
    { path: '/api/products' },
    { path: '/api/products?category=footwear&sort=price_desc&page=2&pageSize=7' },
    { path: '/api/products?q=mug&inStock=true', headers: { 'x-region': 'eu' } },
    { path: '/api/products?minPrice=1000&maxPrice=5000&colour=black', headers: { cookie: 'region=apac' } },
    { path: '/api/products/17' },
    { path: '/api/products/400', headers: { 'x-region': 'apac' } },
    { path: '/api/products/999999' },
    { path: '/api/products/x1' },
    { path: '/api/products?page=-1&sort=nope' },
    { path: '/api/products?category=nope' },
  ],
  pricing: [
    { path: '/api/promotions' },
    { path: '/api/pricing/products/1' },
    { path: '/api/pricing/products/130', headers: { 'x-region': 'eu' } },
    { path: '/api/pricing/products/999999' },
    { path: '/api/pricing/products/abc' },
    { path: '/api/pricing/quote', method: 'POST', body: { lines: [{ sku: '$0', quantity: 3 }, { sku: '$1', quantity: 3 }], coupon: 'WELCOME10' } },
    { path: '/api/pricing/quote', method: 'POST', body: { lines: [{ sku: '$2', quantity: 1 }], coupon: 'SAVE15' }, headers: { 'x-region': 'apac' } },
    { path: '/api/pricing/quote', method: 'POST', body: { lines: [{ sku: 'NOPE', quantity: 1 }, { sku: '$0', quantity: 0 }] } },
    { path: '/api/pricing/quote', method: 'POST', body: { lines: [] } },
  ],
};

/** Case bodies name SKUs as $0..$2, filled in once the database is seeded. */
function withSkus(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body).replace(/"\$(\d)"/g, (_m, i: string) => JSON.stringify(SKUS[Number(i)])));
}

async function send(port: number, c: Case): Promise<SimpleResponse> {
  const payload: { body?: string; headers?: Record<string, string> } = c.body === undefined ? {} : jsonBody(withSkus(c.body));
  return request({ port, path: c.path, method: c.method ?? 'GET', body: payload.body, headers: { ...payload.headers, ...c.headers } });
}

describe.each(['catalog', 'pricing'] as const)('extracted/%s answers as the monolith does', (service) => {
  test.each(CASES[service].map((c) => [`${c.method ?? 'GET'} ${c.path}`, c] as const))('%s', async (_name, c) => {
    expectSameAnswer(await send(shop.ports.legacy, c), await send(shop.ports[service], c));
  });
});

describe('the live stock feed (WebSocket) is the same on extracted/catalog as on the monolith', () => {
  test.each(['/ws/stock/17', '/ws/stock/400'])('%s: the same first message, the same answer to get and to an unknown message', async (path) => {
    const [onLegacy, onCatalog] = await Promise.all([openWs(shop.ports.legacy, path), openWs(shop.ports.catalog, path)]);
    const exchange = async (client: WsClient): Promise<unknown[]> => {
      const first = JSON.parse(String(await client.next()));
      client.ws.send('{"type":"get"}');
      const again = JSON.parse(String(await client.next()));
      client.ws.send('{"type":"nope"}');
      const error = JSON.parse(String(await client.next()));
      client.ws.close();
      await client.closed;
      return [first, again, error];
    };
    expect(await exchange(onCatalog)).toEqual(await exchange(onLegacy));
  });
  test.each(['/ws/stock/999999', '/ws/stock/x1', '/ws/nope'])('%s is refused the same way before the upgrade', async (path) => {
    const [legacy, catalog] = await Promise.all([refusedWs(shop.ports.legacy, path), refusedWs(shop.ports.catalog, path)]);
    expect(catalog.status).toBe(legacy.status);
    expect(withoutNoise(JSON.parse(catalog.body))).toEqual(withoutNoise(JSON.parse(legacy.body)));
  });
});

describe('a product id that is no number is a 404 on both sides, as an unknown product is', () => {
  test.each([['catalog', '/api/products/x1'], ['pricing', '/api/pricing/products/abc']] as const)('%s: %s', async (service, path) => {
    const answer = await send(shop.ports[service], { path });
    expect(answer.status).toBe(404);
    expect(answer.json<{ error: unknown }>().error).toEqual({ code: 'not_found', message: `Product ${path.split('/').pop()} not found`, fields: [] });
  });
  test('the live stock feed', async () => {
    expect((await refusedWs(shop.ports.catalog, '/ws/stock/x1')).status).toBe(404);
  });
});

test.each(['catalog', 'pricing', 'checkout'] as const)('/favicon.ico on extracted/%s is the monolith\'s cached 204', async (service) => {
  const [legacy, extracted] = [await send(shop.ports.legacy, { path: '/favicon.ico' }), await send(shop.ports[service], { path: '/favicon.ico' })];
  expect([extracted.status, extracted.headers['cache-control']]).toEqual([204, 'public, max-age=604800']);
  expect([legacy.status, legacy.headers['cache-control']]).toEqual([204, 'public, max-age=604800']);
});

describe('APAC discounted prices are whole tens of yen, like its shelf prices, on both sides', () => {
  const apac = { 'x-region': 'apac' };
  test('sale prices after automatic promotions', async () => {
    expect(ELECTRONICS.length).toBeGreaterThan(0);
    for (const { id } of ELECTRONICS) {
      const c: Case = { path: `/api/pricing/products/${id}`, headers: apac };
      const [legacy, extracted] = [await send(shop.ports.legacy, c), await send(shop.ports.pricing, c)];
      expectSameAnswer(legacy, extracted);
      const { listPrice, salePrice } = extracted.json<{ listPrice: { amount: number }; salePrice: { amount: number } }>();
      expect(salePrice.amount).toBeLessThan(listPrice.amount);
      expect({ id, yen: salePrice.amount % 10 }).toEqual({ id, yen: 0 });
    }
  });
  // WELCOME10 takes 10 % of what the automatic promotions left; SAVE15 (exclusive, so on a cart
  // with no automatic promotion) spreads 2,250 yen over the lines.
  const electronicsAndApparel = (): unknown[] => [...ELECTRONICS.slice(0, 3).map(({ sku }) => ({ sku, quantity: 1 })), { sku: '$0', quantity: 3 }];
  test.each([['WELCOME10', electronicsAndApparel], ['SAVE15', () => [{ sku: '$2', quantity: 3 }, { sku: '$1', quantity: 2 }]]])('quotes with coupon %s', async (coupon, lines) => {
    const c: Case = { path: '/api/pricing/quote', method: 'POST', headers: apac, body: { lines: lines(), coupon } };
    const [legacy, extracted] = [await send(shop.ports.legacy, c), await send(shop.ports.pricing, c)];
    expectSameAnswer(legacy, extracted);
    const quote = extracted.json<{ total: number; coupon: { status: string }; lines: Array<{ sku: string; total: number }> }>();
    expect(quote.coupon.status).toBe('applied');
    expect(quote.lines.map((l) => [l.sku, l.total % 10])).toEqual(quote.lines.map((l) => [l.sku, 0]));
    expect(quote.total % 10).toBe(0);
  });
});

/** A session with the same cart on legacy (cart is legacy's), returning its cookie. */
async function sessionWithCart(lines: Array<{ sku: string; quantity: number }>, coupon?: string): Promise<string> {
  let cookie = '';
  for (const line of lines) {
    const res = await request({ port: shop.ports.legacy, path: '/api/cart/items', method: 'POST', ...jsonBody(line), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    expect(res.status).toBe(201);
    if (!cookie) cookie = String(res.headers['set-cookie']![0]).split(';')[0];
  }
  if (coupon) await request({ port: shop.ports.legacy, path: '/api/cart/coupon', method: 'POST', ...jsonBody({ code: coupon }), headers: { 'content-type': 'application/json', cookie } });
  return cookie;
}

describe('extracted/checkout answers as the monolith does', () => {
  const cart = (): Array<{ sku: string; quantity: number }> => [{ sku: SKUS[0], quantity: 2 }, { sku: SKUS[1], quantity: 1 }];
  const post = (port: number, path: string, cookie: string, body: unknown, headers: Record<string, string> = {}): Promise<SimpleResponse> =>
    request({ port, path, method: 'POST', ...jsonBody(body), headers: { 'content-type': 'application/json', cookie, ...headers } });

  test('quote: tax, shipping and totals agree in every region', async () => {
    const cookie = await sessionWithCart(cart(), 'WELCOME10');
    for (const region of ['us', 'eu', 'apac']) {
      const headers = { 'x-region': region };
      expectSameAnswer(await post(shop.ports.legacy, '/api/checkout/quote', cookie, {}, headers), await post(shop.ports.checkout, '/api/checkout/quote', cookie, {}, headers));
    }
  });
  test('orders placed on either side look the same, apart from their own ids', async () => {
    const onLegacy = await post(shop.ports.legacy, '/api/checkout', await sessionWithCart(cart()), CHECKOUT_BODY);
    const onExtracted = await post(shop.ports.checkout, '/api/checkout', await sessionWithCart(cart()), CHECKOUT_BODY);
    expect(onLegacy.status).toBe(201);
    expectSameAnswer(onLegacy, onExtracted, new Set(['id', 'createdAt', 'authCode']));
  });
  test('errors agree: empty cart, declined card, bad fields, unknown order', async () => {
    const empty = 'sid=none';
    expectSameAnswer(await post(shop.ports.legacy, '/api/checkout', empty, CHECKOUT_BODY), await post(shop.ports.checkout, '/api/checkout', empty, CHECKOUT_BODY));
    const declined = { ...CHECKOUT_BODY, card: { ...CHECKOUT_BODY.card, number: '4000 0000 0000 0002' } };
    expectSameAnswer(await post(shop.ports.legacy, '/api/checkout', await sessionWithCart(cart()), declined), await post(shop.ports.checkout, '/api/checkout', await sessionWithCart(cart()), declined));
    const bad = { email: 'x', shipTo: {}, card: { number: '1' } };
    expectSameAnswer(await post(shop.ports.legacy, '/api/checkout', empty, bad), await post(shop.ports.checkout, '/api/checkout', empty, bad));
    expectSameAnswer(await request({ port: shop.ports.legacy, path: '/api/orders/99999' }), await request({ port: shop.ports.checkout, path: '/api/orders/99999' }));
  });
  test('a keyed order placed on extracted is returned, not repeated, by a retry on legacy', async () => {
    const cookie = await sessionWithCart(cart());
    const first = await post(shop.ports.checkout, '/api/checkout', cookie, CHECKOUT_BODY, { 'idempotency-key': 'cross-side-1' });
    const retry = await post(shop.ports.legacy, '/api/checkout', cookie, CHECKOUT_BODY, { 'idempotency-key': 'cross-side-1' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.json<{ order: { id: number } }>().order.id).toBe(first.json<{ order: { id: number } }>().order.id);
  });
});

describe('x-strangler-shadow: 1 is a dry run on extracted services', () => {
  test('checkout answers what it would have answered and writes nothing', async () => {
    const cookie = await sessionWithCart([{ sku: SKUS[2], quantity: 1 }]);
    const db = new Database(shop.dbFile, { readonly: true });
    const count = (): Record<string, unknown> => db.prepare(`SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM payment_authorisations) AS auths,
      (SELECT COUNT(*) FROM idempotency_keys) AS keys, (SELECT SUM(stock) FROM variants) AS stock,
      (SELECT COUNT(*) FROM cart_items) AS cartLines`).get() as Record<string, unknown>;
    const before = count();
    const dry = await request({ port: shop.ports.checkout, path: '/api/checkout', method: 'POST', ...jsonBody(CHECKOUT_BODY), headers: { 'content-type': 'application/json', cookie, 'x-strangler-shadow': '1', 'idempotency-key': 'dry-1' } });
    expect(dry.status).toBe(201);
    expect(dry.json<{ order: { lines: unknown[]; payment: { last4: string } } }>().order.lines).toHaveLength(1);
    expect(count()).toEqual(before);
    const declined = await request({ port: shop.ports.checkout, path: '/api/checkout', method: 'POST', ...jsonBody({ ...CHECKOUT_BODY, card: { ...CHECKOUT_BODY.card, number: '4000000000000002' } }), headers: { 'content-type': 'application/json', cookie, 'x-strangler-shadow': '1' } });
    expect(declined.status).toBe(402);
    const real = await request({ port: shop.ports.checkout, path: '/api/checkout', method: 'POST', ...jsonBody(CHECKOUT_BODY), headers: { 'content-type': 'application/json', cookie, 'idempotency-key': 'dry-1' } });
    expect(real.status).toBe(201);
    expect(count()).not.toEqual(before);
    db.close();
  });
});
