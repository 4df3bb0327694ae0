import Database from 'better-sqlite3';
import type http from 'node:http';
import { request } from '../../../scripts/testing/http-client';
import { until } from '../../../scripts/testing/wait';
import { startTestProxy, startUpstream, type TestProxy, type TestUpstream } from '../../../scripts/testing/upstreams';

/**
 * A quote whose answer depends on the shopper's cart, and a checkout that empties it right after
 * the quote was answered (issue #28 bug 2). Mirrored after the shopper's answer, extracted's dry-run
 * quote would see the empty cart: a state move counted as a mismatch. The mirror is asked at the
 * same moment as the served side, so both quote the same cart; a real difference still counts.
 */

/** How long legacy holds a quote for its mirror: a bound, reached only when the mirror is sent late. */
const HOLD_MS = 3000; // under the proxy's default upstream timeout (5 s)

let legacy: TestUpstream;
let svc: TestUpstream;
let proxy: TestProxy;
/** The shared state both sides read (the shop's one database): each shopper's cart. */
const carts = new Map<string, string[]>();
/** Shoppers whose dry-run quote extracted has answered, and legacy quotes waiting for one. */
const mirrored = new Set<string>();
const holding = new Map<string, () => void>();

function quote(shopper: string, extra: number): string {
  const lines = carts.get(shopper) ?? [];
  return JSON.stringify({ quote: { lines, total: lines.length * 500 + extra } });
}

function answer(res: http.ServerResponse, status: number, payload: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

beforeAll(async () => {
  legacy = await startUpstream('legacy');
  svc = await startUpstream('svc');
  legacy.handle((req, res, body) => {
    const shopper = String(req.headers['x-user-id']);
    if (req.url === '/api/cart/items') { carts.set(shopper, [...(carts.get(shopper) ?? []), JSON.parse(body).sku]); answer(res, 201, '{}'); return; }
    if (req.url === '/api/checkout') { carts.set(shopper, []); answer(res, 201, '{"order":{"id":1}}'); return; }
    // The quote: legacy answers only once extracted has answered its mirror (or after HOLD_MS), which
    // makes the order of the two asks certain without a sleep. Asked at the same moment, the mirror
    // arrives while legacy holds; asked after the shopper's answer, it cannot, and the wait runs out.
    const reply = (): void => { holding.delete(shopper); answer(res, 200, quote(shopper, 0)); };
    if (mirrored.has(shopper)) { reply(); return; }
    const timer = setTimeout(reply, HOLD_MS).unref();
    holding.set(shopper, () => { clearTimeout(timer); reply(); });
  });
  svc.handle((req, res) => {
    const shopper = String(req.headers['x-user-id']);
    // A real difference: for this shopper extracted's total is off by one cent.
    answer(res, 200, quote(shopper, shopper === 'differs' ? 1 : 0));
    if (req.headers['x-strangler-shadow'] === '1') { mirrored.add(shopper); holding.get(shopper)?.(); }
  });
  proxy = await startTestProxy(`version: 1
upstreams:
  legacy: ${legacy.url}
  svc: ${svc.url}
routes:
  - name: checkout-quote
    match: { methods: [POST], path: /api/checkout/quote }
    extracted: svc
    percent: 0
    shadow: { percent: 100, budget: 0.01 }
`);
}, 20000);
afterAll(async () => {
  await proxy.stop();
  await Promise.all([legacy.close(), svc.close()]);
});

/** Adds to the cart, asks for a quote, and checks out the moment the quote is in. */
async function shop(shopper: string): Promise<unknown> {
  const headers = { 'content-type': 'application/json', 'x-user-id': shopper };
  expect((await request({ port: proxy.port, method: 'POST', path: '/api/cart/items', headers, body: '{"sku":"MUG-1"}' })).status).toBe(201);
  const quoted = await request({ port: proxy.port, method: 'POST', path: `/api/checkout/quote?shopper=${shopper}`, headers, body: '{}' });
  expect((await request({ port: proxy.port, method: 'POST', path: '/api/checkout', headers, body: '{}' })).status).toBe(201);
  return quoted.json();
}

test("a mirror sees the state the shopper's answer was made from: a checkout right after the quote is no mismatch; a real difference still is", async () => {
  expect(await shop('same')).toEqual({ quote: { lines: ['MUG-1'], total: 500 } });
  expect(await shop('differs')).toEqual({ quote: { lines: ['MUG-1'], total: 500 } });
  // The dry runs reached extracted, and no write was ever mirrored to legacy.
  await until('both dry runs to reach extracted', () => svc.seen.filter((s) => s.headers['x-strangler-shadow'] === '1').length === 2);
  expect(legacy.seen.filter((s) => s.url.startsWith('/api/checkout/quote'))).toHaveLength(2);
  await proxy.stop(); // the mirrors in flight finish and the store is flushed

  const db = new Database(proxy.diffDb, { readonly: true });
  const rows = db.prepare("SELECT target, outcome, paths FROM diffs WHERE route = 'checkout-quote' ORDER BY target").all() as Array<{ target: string; outcome: string; paths: string }>;
  db.close();
  expect(rows).toEqual([
    { target: '/api/checkout/quote?shopper=differs', outcome: 'mismatch', paths: '["body.quote.total"]' },
    { target: '/api/checkout/quote?shopper=same', outcome: 'match', paths: '[]' },
  ]);
}, 60000);
