/**
 * The conversion guard's counting: exposure on the side the decision gave, conversion credited to
 * every guarded route watching the goal on the side recomputed from the identity, once a minute.
 */
import type http from 'node:http';
import { bucketOf } from '../decide/bucket';
import { decide, NO_BREAKERS } from '../decide/decide';
import { shopperKey } from '../decide/shopper-key';
import { NO_FLAGS } from '../flags/flag-state';
import { loadRules } from '../rules/load';
import type { CompiledRules } from '../rules/types';
import { ShopperMarks } from '../observability/shopper-marks';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

function rules(percent: number, extra = ''): CompiledRules {
  const result = loadRules(`version: 1
upstreams: { legacy: "http://127.0.0.1:3001", catalog: "http://127.0.0.1:3101" }
goals:
  order: { route: checkout, status: 2xx }
routes:
  - name: product-detail
    match: { methods: [GET], path: /api/products/:id }
    extracted: catalog
    percent: ${percent}
    group: catalog
    rollout: { steps: [5, 50, 100], guard: { goal: order } }
  - name: product-list
    match: { methods: [GET], path: /api/products }
    extracted: catalog
    percent: ${percent}
    group: catalog
    rollout: { steps: [5, 50, 100], guard: { goal: order } }
  - name: search
    match: { methods: [GET], path: /api/search }
    extracted: catalog
    percent: 50
    sticky_by: [header:x-session]
    rollout: { steps: [5, 50, 100], guard: { goal: order } }
  - name: checkout
    match: { methods: [POST], path: /api/checkout }
    extracted: catalog
${extra}`, 'marks.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rules;
}

/** A request as the handler has it once answered: the decision and the parts of the message the counting reads. */
function seen(marks: ShopperMarks, table: CompiledRules, method: string, path: string, headers: http.IncomingHttpHeaders, status: number, now: number): void {
  const req = { method, url: path, headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
  const decision = decide(table, { method, path, headers }, NO_FLAGS, { overrideDigest: null, newAnonymousId: () => 'new' });
  marks.observe(table, decision, req, status, NO_FLAGS, NO_BREAKERS, now);
}

/** Identities whose bucket in group `catalog` is at or under / over 50. */
const onSide = (side: 'legacy' | 'extracted', count: number): string[] => {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if ((bucketOf('catalog', `u${i}`) <= 50) === (side === 'extracted')) out.push(`u${i}`);
  return out;
};

test('a shopper is exposed on the side the decision gave, once a minute however often they come', () => {
  const marks = new ShopperMarks();
  const table = rules(50);
  const [ext] = onSide('extracted', 1);
  const [leg] = onSide('legacy', 1);
  for (let i = 0; i < 5; i++) seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': ext }, 200, T0 + i * 1000);
  seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': leg }, 500, T0);
  expect(marks.take()).toEqual([
    { kind: 'exposed', route: 'product-detail', side: 'extracted', shopper: shopperKey(ext), minute: T0 },
    { kind: 'exposed', route: 'product-detail', side: 'legacy', shopper: shopperKey(leg), minute: T0 },
  ]);
  seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': ext }, 200, T0 + 30_000);
  expect(marks.take()).toEqual([]); // already shipped this minute
  seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': ext }, 200, T0 + MINUTE);
  expect(marks.take()).toEqual([{ kind: 'exposed', route: 'product-detail', side: 'extracted', shopper: shopperKey(ext), minute: T0 + MINUTE }]);
});

test('a goal reached credits every guarded route watching it, each on the side its decision gives the identity (group-coherent routes agree)', () => {
  const marks = new ShopperMarks();
  const table = rules(50);
  const [ext] = onSide('extracted', 1);
  seen(marks, table, 'POST', '/api/checkout', { 'x-user-id': ext, 'x-session': 's-1' }, 201, T0);
  const sessionSide = bucketOf('search', 's-1') <= 50 ? 'extracted' : 'legacy';
  expect(marks.take()).toEqual([
    { kind: 'converted', route: 'product-detail', side: 'extracted', shopper: shopperKey(ext), minute: T0 },
    { kind: 'converted', route: 'product-list', side: 'extracted', shopper: shopperKey(ext), minute: T0 },
    // search is sticky by its own header: that identity, and its side.
    { kind: 'converted', route: 'search', side: sessionSide, shopper: shopperKey('s-1'), minute: T0 },
  ]);
});

test('a goal answered outside its status class, a request on no guarded route and a tester\'s forced side count nothing', () => {
  const marks = new ShopperMarks();
  const table = rules(50);
  seen(marks, table, 'POST', '/api/checkout', { 'x-user-id': 'u1' }, 402, T0);
  seen(marks, table, 'GET', '/other', { 'x-user-id': 'u1' }, 200, T0);
  const req = { method: 'GET', url: '/api/products/1', headers: { 'x-user-id': 'u1' }, socket: {} } as unknown as http.IncomingMessage;
  const forced = { ...decide(table, { method: 'GET', path: '/api/products/1', headers: { 'x-user-id': 'u1' } }, NO_FLAGS, { overrideDigest: null, newAnonymousId: () => 'n' }), reason: 'override' as const };
  marks.observe(table, forced, req, 200, NO_FLAGS, NO_BREAKERS, T0);
  expect(marks.take()).toEqual([]);
});

test('after a ramp the conversion goes to the side the shopper is on at the goal', () => {
  const marks = new ShopperMarks();
  // A shopper in buckets 6..50 is on legacy at 5 % and on extracted at 50 %.
  const moved = onSide('extracted', 40).find((id) => bucketOf('catalog', id) > 5)!;
  seen(marks, rules(5), 'GET', '/api/products/1', { 'x-user-id': moved }, 200, T0);
  seen(marks, rules(50), 'POST', '/api/checkout', { 'x-user-id': moved }, 200, T0 + 10_000);
  expect(marks.take().map((m) => [m.kind, m.route, m.side])).toEqual([
    ['exposed', 'product-detail', 'legacy'], ['converted', 'product-detail', 'extracted'], ['converted', 'product-list', 'extracted'], // search: no x-session, no identity of its own
  ]);
});

test('memory is bounded: past the minute\'s cap new shoppers are dropped and counted, and the next minute starts empty', () => {
  const marks = new ShopperMarks(3);
  const table = rules(50);
  for (let i = 0; i < 10; i++) seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': `u${i}` }, 200, T0);
  expect(marks.take()).toHaveLength(3);
  expect(marks.dropped).toBe(7);
  seen(marks, table, 'GET', '/api/products/1', { 'x-user-id': 'u9' }, 200, T0 + MINUTE);
  expect(marks.take()).toHaveLength(1);
});

test('rules without a guard cost one comparison and count nothing', () => {
  const marks = new ShopperMarks();
  const table = loadRules('version: 1\nupstreams: { legacy: "http://127.0.0.1:3001" }\nroutes: []\n', 'none.yaml');
  if (!table.ok) throw new Error('bad rules');
  seen(marks, table.rules, 'GET', '/api/products/1', { 'x-user-id': 'u1' }, 200, T0);
  expect(marks.take()).toEqual([]);
});
