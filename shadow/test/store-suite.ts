/**
 * One suite of store tests, run against every implementation of the store interface (store.ts):
 * sqlite-store.test.ts runs it on SQLite files (npm test), postgres/postgres-store.test.ts on a
 * real PostgreSQL (npm run test:postgres). Hono's shared router cases, for stores.
 */
import { diff, MINUTE_MS, traffic } from '../../scripts/testing/evidence-seed';
import { countComparisons } from '../../scripts/cli/rollout/comparisons';
import { DiffStore, type DiffRow } from '../store/diff-store';
import { EvidenceStoreError, type PercentEvent } from '../store/evidence';
import { openStore } from '../store/open-store';
import { readRouteWindow } from '../store/route-window';
import { SCHEMA_VERSION } from '../store/schema';
import type { Store } from '../store/store';
import type { ShopperKind, ShopperMark } from '../store/shoppers';
import { LATENCY_BOUNDS_MS, latencyBucket, type TrafficBackend } from '../store/traffic';

export interface StoreFixture {
  readonly kind: 'sqlite' | 'postgres';
  /** A location no store has used yet. */
  fresh(): Promise<string>;
  /** Writes a schema version into the store as a newer strangler would. */
  setSchemaVersion(location: string, version: number): Promise<void>;
  /** The tables the store has. */
  tables(location: string): Promise<string[]>;
  /** Runs SQL on the store as an older strangler would have (to build an old schema). */
  exec(location: string, sql: string): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const DAY = 86_400_000;

const row = (at: number, route: string, overrides: Partial<DiffRow> = {}): DiffRow => ({ ...diff(at, route, 'match'), ...overrides });

async function written(location: string, replica: string, fill: (store: DiffStore) => void, options: Partial<ConstructorParameters<typeof DiffStore>[1]> = {}): Promise<DiffStore> {
  const store = new DiffStore(location, { maxBuffered: 50_000, flushEveryMs: 1_000_000, retainMs: 3650 * DAY, ...options }, replica);
  await store.open();
  fill(store);
  await store.flush();
  await store.close();
  return store;
}

async function all<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

export function storeSuite(fixture: StoreFixture): void {
  let open: Store[] = [];
  const opened = async (location: string, options: Parameters<typeof openStore>[1] = { create: true }): Promise<Store> => {
    const store = await openStore(location, options);
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open) await store.close().catch(() => undefined);
    open = [];
  });

  describe(`${fixture.kind} store: migrations`, () => {
    test('an empty store is migrated to the current version with every table; opening it again changes nothing', async () => {
      const location = await fixture.fresh();
      const store = await opened(location);
      expect(store.kind).toBe(fixture.kind);
      expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      expect(await fixture.tables(location)).toEqual(expect.arrayContaining(['diffs', 'shadow_stats', 'traffic', 'traffic_latency', 'percent_events', 'rollout_verdicts', 'guard_exposures', 'guard_conversions']));
      await store.write({ replica: 'r1', rows: [row(T0, 'r')], stats: [], traffic: [] });
      const again = await opened(location);
      expect(again.schemaVersion).toBe(SCHEMA_VERSION);
      expect(await all(again.comparisons('r', T0, T0 + 1))).toHaveLength(1);
    });

    test('migration 5: a store at version 4 opens and gains trace_id; its old rows have none, new rows keep theirs', async () => {
      const location = await fixture.fresh();
      await (await opened(location)).close();
      open = [];
      // Version 4 as an older strangler left it: no trace_id column, one row.
      await fixture.exec(location, 'ALTER TABLE diffs DROP COLUMN trace_id');
      await fixture.setSchemaVersion(location, 4);
      const before = await openStore(location, { readonly: true });
      expect(before.schemaVersion).toBe(4);
      await before.close();
      await fixture.exec(location, `INSERT INTO diffs (at, route, method, target, served_by, outcome, paths, noise, request_headers, source)
        VALUES (${T0}, 'r', 'GET', '/old', 'legacy', 'mismatch', '[]', '[]', '{}', 'live')`);
      const store = await opened(location);
      expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      await store.write({ replica: 'r1', rows: [row(T0 + 1, 'r', { target: '/new', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })], stats: [], traffic: [] });
      const [old, fresh] = await all(store.comparisons('r', T0, T0 + 10));
      expect(await store.example(old.id)).toMatchObject({ target: '/old', traceId: null });
      expect(await store.example(fresh.id)).toMatchObject({ target: '/new', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    });

    test('a store written by a newer strangler is refused, read only or not, with one clear line', async () => {
      const location = await fixture.fresh();
      await (await opened(location)).close();
      open = [];
      await fixture.setSchemaVersion(location, SCHEMA_VERSION + 1);
      const refusal = new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this strangler understands \\(${SCHEMA_VERSION}\\)`);
      await expect(openStore(location)).rejects.toThrow(refusal);
      await expect(openStore(location, { readonly: true })).rejects.toThrow(refusal);
      await expect(openStore(location)).rejects.toBeInstanceOf(EvidenceStoreError);
    });
  });

  describe(`${fixture.kind} store: rows, counters and events written and read back`, () => {
    test('diff rows: every column, in the order written, each named by its replica', async () => {
      const location = await fixture.fresh();
      const headers = { accept: 'application/json', 'x-region': 'eu' };
      await written(location, 'host-a:1', (s) => {
        s.add(row(T0, 'product', { target: '/api/products/1?x=1', legacyMs: 4.5, extractedMs: 3.25, requestHeaders: headers }));
        s.add(row(T0 + 1, 'product', { traceId: '0af7651916cd43dd8448eb211c80319c', outcome: 'mismatch', paths: ['body.price', 'body.items[2].sku'], noise: ['body.generatedAt'], legacySample: '{"price":1299}', extractedSample: '{"price":1300}', servedBy: 'extracted', extractedStatus: 500 }));
        s.add(row(T0 + 2, 'product', { outcome: 'error', legacyMs: null, extractedMs: null, extractedStatus: null }));
        s.add(row(T0 + 3, 'product', { outcome: 'truncated', paths: ['body(truncated)'], method: 'HEAD' }));
        s.add(row(T0 + 4, 'cart', { method: 'POST', source: 'replay' }));
      });
      await written(location, 'host-b:2', (s) => { s.add(row(T0 + 5, 'product', { target: '/api/products/1?x=1', requestHeaders: headers })); });
      const store = await opened(location);
      expect(await store.routesWithData(T0, T0 + 10)).toEqual(['cart', 'product']);
      expect(await store.routesWithData(T0 + 4, T0 + 5)).toEqual(['cart']);
      const rows = await all(store.comparisons('product', T0, T0 + 10));
      expect(rows.map((r) => [r.at, r.outcome, r.method, r.servedBy])).toEqual([
        [T0, 'match', 'GET', 'legacy'], [T0 + 1, 'mismatch', 'GET', 'extracted'], [T0 + 2, 'error', 'GET', 'legacy'], [T0 + 3, 'truncated', 'HEAD', 'legacy'], [T0 + 5, 'match', 'GET', 'legacy'],
      ]);
      expect(rows[1]).toMatchObject({ paths: ['body.price', 'body.items[2].sku'], noise: ['body.generatedAt'] });
      expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
      // [since, until): the row at `until` is not in it.
      expect(await all(store.comparisons('product', T0 + 1, T0 + 3))).toHaveLength(2);
      expect(await store.example(rows[1].id)).toEqual({ target: '/api/products/1', legacy: '{"price":1299}', extracted: '{"price":1300}', legacyStatus: 200, extractedStatus: 500, traceId: '0af7651916cd43dd8448eb211c80319c' });
      expect((await store.example(rows[0].id))?.traceId).toBeNull();
      expect(await store.example(999_999)).toBeNull();
      expect(await store.latencies('product', T0, T0 + 1)).toEqual([{ legacy: 4.5, extracted: 3.25 }]);
      expect(await store.latencies('product', T0, T0 + 10)).toHaveLength(4); // not the error
      expect(await store.capturedReads(T0, null)).toEqual([
        { route: 'product', method: 'GET', target: '/api/products/1?x=1', headers },
        { route: 'product', method: 'GET', target: '/api/products/1', headers: {} },
        { route: 'product', method: 'HEAD', target: '/api/products/1', headers: {} },
      ]);
      expect(await store.capturedReads(T0, 'cart')).toEqual([]);
      expect(await store.replicas(T0, T0 + 10)).toEqual([{ replica: 'host-a:1', rows: 5, compared: 3 }, { replica: 'host-b:2', rows: 1, compared: 1 }]);
      expect((await all(store.shadowRows('product', T0, T0 + 1))).map((r) => r.at)).toEqual([T0, T0 + 1]); // until included
      expect(await countComparisons(() => store.shadowRows('product', T0, T0 + 10))).toEqual({ comparisons: 3, mismatches: 1, truncated: 1, errors: 1 });
    });

    test('the window judgement reads through the store: noise judged over the window, examples by id', async () => {
      const location = await fixture.fresh();
      await written(location, 'r1', (s) => {
        for (let i = 0; i < 100; i++) {
          const differs = i < 31 ? ['body.cache'] : i < 34 ? ['body.price'] : [];
          const selfDiffers = i >= 1 && i < 31 ? ['body.cache'] : [];
          s.add(row(T0 + i, 'r', { outcome: differs.length > selfDiffers.length ? 'mismatch' : 'match', paths: differs, noise: selfDiffers }));
        }
      });
      const store = await opened(location);
      const window = await readRouteWindow(store, 'r', T0, T0 + 1000);
      expect(window).toMatchObject({ compared: 100, mismatched: 3, mismatchRate: 0.03, noiseRequests: 100 });
      expect(window.noiseFields.map((f) => [f.field, f.noise])).toEqual([['body.cache', true]]);
      expect(window.topPaths).toEqual([{ path: 'body.price', rows: 3, exampleId: expect.any(Number) }]);
      expect((await store.example(window.topPaths[0].exampleId))?.target).toBe('/api/products/1');
    });

    test('a read not probed stores noise as JSON null (no column added) and is read back as null, beside rows with lists', async () => {
      const location = await fixture.fresh();
      await written(location, 'r1', (s) => {
        s.add(row(T0, 'r', { outcome: 'match', paths: ['body.cache'], noise: ['body.cache'] }));
        s.add(row(T0 + 1, 'r', { outcome: 'match', paths: ['body.cache'], noise: null }));
        s.add(row(T0 + 2, 'r', { outcome: 'mismatch', paths: ['body.price'], noise: null }));
      });
      const store = await opened(location);
      expect((await all(store.comparisons('r', T0, T0 + 10))).map((r) => r.noise)).toEqual([['body.cache'], null, null]);
      expect((await all(store.shadowRows('r', T0, T0 + 10))).map((r) => r.noise)).toEqual([['body.cache'], null, null]);
      expect(await readRouteWindow(store, 'r', T0, T0 + 10)).toMatchObject({ compared: 3, mismatched: 1, noiseRequests: 1, readsCompared: 3 });
    });

    test('shadow and traffic counters: summed per minute across flushes and across replicas, per side, with the latency histogram', async () => {
      const location = await fixture.fresh();
      const counts = (s: DiffStore): void => {
        s.count('r', T0 + 5, 'sampled');
        s.count('r', T0 + 6, 'sampled');
        s.count('r', T0 + 7, 'dropped');
        s.count('r', T0 + MINUTE_MS, 'errors');
      };
      await written(location, 'r1', (s) => { counts(s); s.addTraffic([traffic(T0, 'r', 'extracted', 7, 7), traffic(T0 + MINUTE_MS, 'r', 'extracted', 10, 1, 8)]); });
      // Another flush of the same replica, and another replica, in the same minutes: they add up.
      await written(location, 'r1', (s) => { counts(s); s.addTraffic([traffic(T0 + MINUTE_MS + 5000, 'r', 'extracted', 20, 2, 40)]); });
      await written(location, 'r2', (s) => { s.addTraffic([traffic(T0 + 2 * MINUTE_MS, 'r', 'legacy', 30, 0, 4), traffic(T0 + MINUTE_MS, 'other', 'extracted', 99)]); });
      const store = await opened(location);
      expect(await store.shadowStats('r', T0, T0 + MINUTE_MS)).toEqual({ sampled: 4, dropped: 2, errors: 0 });
      expect(await store.shadowStats('r', T0 + 30_000, T0 + 2 * MINUTE_MS)).toEqual({ sampled: 4, dropped: 2, errors: 2 }); // from the minute holding `since`
      expect(await store.shadowStats('none', T0, T0 + DAY)).toEqual({ sampled: 0, dropped: 0, errors: 0 });
      const window = await store.traffic('r', T0 + MINUTE_MS + 30_000, T0 + 2 * MINUTE_MS + 10_000);
      expect(window.extracted).toMatchObject({ requests: 30, failures: 3, fallbacks: 0 });
      expect(window.legacy).toMatchObject({ requests: 30, failures: 0 });
      expect(window.extracted.latency).toHaveLength(LATENCY_BOUNDS_MS.length);
      expect(window.extracted.latency[latencyBucket(8)]).toBe(10);
      expect(window.extracted.latency[latencyBucket(40)]).toBe(20);
      expect(window.legacy.latency[latencyBucket(4)]).toBe(30);
      expect((await store.traffic('r', T0, T0 + 10)).extracted).toMatchObject({ requests: 7, failures: 7 });
      expect(await store.routesWithData(T0, T0 + 1)).toEqual(['r']); // counters alone put a route in the report
    });

    test('conversion guard: shoppers deduplicated across flushes, replicas and days; converted only after an exposure on the same side, in the window', async () => {
      const location = await fixture.fresh();
      const mark = (kind: ShopperKind, side: TrafficBackend, shopper: number, at: number, route = 'pd'): ShopperMark => ({ kind, route, side, shopper, minute: Math.floor(at / MINUTE_MS) * MINUTE_MS });
      const M = MINUTE_MS;
      await written(location, 'r1', (s) => s.addShoppers([
        mark('exposed', 'legacy', 1, T0), mark('exposed', 'legacy', 2, T0), mark('exposed', 'extracted', 3, T0 + M), mark('exposed', 'extracted', 4, T0 + 2 * M),
        mark('converted', 'legacy', 1, T0 + 3 * M), mark('converted', 'extracted', 3, T0 + M),
        // A shopper moved by a ramp in the step's first minute: exposed on both sides, bought on the new one.
        mark('exposed', 'legacy', 7, T0), mark('exposed', 'extracted', 7, T0 + M), mark('converted', 'extracted', 7, T0 + 2 * M),
        mark('exposed', 'extracted', 9, T0, 'other'), mark('converted', 'extracted', 9, T0, 'other'),
      ]));
      await written(location, 'r2', (s) => s.addShoppers([
        mark('exposed', 'legacy', 1, T0 + 5 * M), // seen again, by another replica: still one shopper
        mark('converted', 'legacy', 2, T0 - M), // bought before this exposure: not credited to it
        mark('exposed', 'legacy', 5, T0 - 10 * M), mark('converted', 'legacy', 5, T0 + 4 * M),
        mark('converted', 'legacy', 6, T0 + 4 * M), // never exposed: not a shopper of the route
        mark('exposed', 'extracted', 3, T0 - DAY + 5 * M), // the day before
      ]));
      const store = await opened(location);
      expect(await store.conversions('pd', T0 + 10_000, T0 + 10 * M)).toEqual({ legacy: { shoppers: 3, converted: 1 }, extracted: { shoppers: 3, converted: 2 } });
      expect(await store.conversions('pd', T0 + 2 * M, T0 + 10 * M)).toEqual({ legacy: { shoppers: 1, converted: 1 }, extracted: { shoppers: 1, converted: 0 } });
      expect(await store.conversions('pd', T0 - DAY, T0 + 10 * M)).toEqual({ legacy: { shoppers: 4, converted: 2 }, extracted: { shoppers: 3, converted: 2 } });
      expect(await store.conversions('none', T0 - DAY, T0 + DAY)).toEqual({ legacy: { shoppers: 0, converted: 0 }, extracted: { shoppers: 0, converted: 0 } });
      expect(await store.prune(T0 + 40 * DAY)).toBe(0);
      expect(await store.conversions('pd', T0 - DAY, T0 + 10 * M)).toEqual({ legacy: { shoppers: 0, converted: 0 }, extracted: { shoppers: 0, converted: 0 } });
    });

    test('percent events: the last one is the latest; a rollback holds until a resume or a change to a percent above 0', async () => {
      const store = await opened(await fixture.fresh());
      const event = (at: number, action: PercentEvent['action'], fromPercent: number | null, toPercent: number): PercentEvent => ({ at, route: 'r', fromPercent, toPercent, action, who: 'strangler ramp r 5 (alice)', file: '/rules.yaml' });
      expect(await store.lastPercentEvent('r')).toBeNull();
      expect(await store.rolledBackAt('r')).toBeNull();
      await store.recordPercentEvent(event(T0, 'ramp', 0, 5));
      await store.recordPercentEvent(event(T0 + 10, 'rollback', 5, 0));
      expect(await store.lastPercentEvent('r')).toEqual(event(T0 + 10, 'rollback', 5, 0));
      expect(await store.rolledBackAt('r')).toBe(T0 + 10);
      await store.recordPercentEvent(event(T0 + 20, 'kill', 0, 0));
      await store.recordPercentEvent({ ...event(T0 + 30, 'unkill', 0, 0), fromPercent: null, file: null });
      expect(await store.rolledBackAt('r')).toBe(T0 + 10);
      expect(await store.lastPercentEvent('r')).toMatchObject({ fromPercent: null, file: null });
      await store.recordPercentEvent(event(T0 + 40, 'resume', 0, 5));
      expect(await store.rolledBackAt('r')).toBeNull();
      await store.recordPercentEvent(event(T0 + 50, 'rollback', 5, 0));
      expect(await store.rolledBackAt('r')).toBe(T0 + 50);
      await store.recordPercentEvent(event(T0 + 60, 'hand', 0, 25));
      expect(await store.rolledBackAt('r')).toBeNull();
      expect(await store.lastPercentEvent('other')).toBeNull();
    });

    test('verdicts keep their evidence; the latest of each route is what the proxy shows', async () => {
      const store = await opened(await fixture.fresh());
      await store.recordVerdict({ at: T0, route: 'r', verdict: 'hold', fromPercent: 5, toPercent: 5, evidence: { summary: 'old' } });
      await store.recordVerdict({ at: T0 + 1, route: 'r', verdict: 'advance', fromPercent: 5, toPercent: 25, evidence: { summary: '5% → 25%', gates: [{ gate: 'time', ok: true, ratio: 1.25 }] } });
      await store.recordVerdict({ at: T0 + 2, route: 'q', verdict: 'rollback', fromPercent: 25, toPercent: 0, evidence: {} });
      expect(await store.lastVerdict('r')).toEqual({ at: T0 + 1, route: 'r', verdict: 'advance', fromPercent: 5, toPercent: 25, evidence: { summary: '5% → 25%', gates: [{ gate: 'time', ok: true, ratio: 1.25 }] } });
      expect(await store.lastVerdict('none')).toBeNull();
      expect((await store.lastVerdicts()).sort((a, b) => a.route.localeCompare(b.route))).toEqual([
        { route: 'q', verdict: 'rollback', at: T0 + 2, fromPercent: 25, toPercent: 0, summary: null },
        { route: 'r', verdict: 'advance', at: T0 + 1, fromPercent: 5, toPercent: 25, summary: '5% → 25%' },
      ]);
    });

    test('a store opened read only reads, and refuses every write', async () => {
      const location = await fixture.fresh();
      await written(location, 'r1', (s) => { s.add(row(T0, 'r')); });
      const store = await opened(location, { readonly: true });
      expect(await all(store.comparisons('r', T0, T0 + 1))).toHaveLength(1);
      await expect(store.recordVerdict({ at: T0, route: 'r', verdict: 'hold', fromPercent: 5, toPercent: 5, evidence: {} })).rejects.toThrow(/opened read only/);
      await expect(store.write({ replica: 'x', rows: [row(T0, 'r')], stats: [], traffic: [] })).rejects.toThrow(/opened read only/);
    });
  });

  describe(`${fixture.kind} store: batching and retention`, () => {
    test('a big backlog goes in transactions of maxBatchRows; a batch the store refuses is rolled back whole, dropped and counted, and the next batch still goes in', async () => {
      const location = await fixture.fresh();
      const writes: number[] = [];
      const store = new DiffStore(location, { maxBuffered: 50_000, flushEveryMs: 1_000_000, retainMs: 3650 * DAY, maxBatchRows: 5000 }, 'r1', async (target) => {
        const real = await openStore(target, { create: true });
        return Object.assign(Object.create(real) as Store, { write: (batch: Parameters<Store['write']>[0]) => { writes.push(batch.rows.length); return real.write(batch); }, close: () => real.close() });
      });
      await store.open();
      for (let i = 0; i < 10_000; i++) store.add(row(T0 + i, 'big', { target: `/row/${i}` }));
      // The third batch holds one row the schema does not allow (an unknown outcome): all of it is refused.
      store.add(row(T0, 'lost', { outcome: 'bogus' as DiffRow['outcome'] }));
      for (let i = 1; i < 5000; i++) store.add(row(T0 + i, 'lost'));
      for (let i = 0; i < 10; i++) store.add(row(T0 + 20_000 + i, 'after'));
      await store.flush();
      expect(writes).toEqual([5000, 5000, 5000, 10]);
      expect(store.status()).toMatchObject({ written: 10_010, dropped: 5000, buffered: 0, ok: true, lastError: expect.stringMatching(/check|constraint/i) });
      await store.close();
      const reader = await opened(location);
      expect(await all(reader.comparisons('big', T0, T0 + 30_000))).toHaveLength(10_000);
      expect(await all(reader.comparisons('lost', T0, T0 + 30_000))).toHaveLength(0);
      expect(await all(reader.comparisons('after', T0, T0 + 30_000))).toHaveLength(10);
    }, 60_000);

    test('text PostgreSQL cannot hold (U+0000) and JSON-looking strings are stored as given or made storable, never refused', async () => {
      const location = await fixture.fresh();
      const store = await written(location, 'r1', (s) => { s.add(row(T0, 'r', { legacySample: 'a\u0000b', paths: ['body["x\\"y"]'], requestHeaders: { 'x-q': '{"a":[1,2]}' } })); });
      expect(store.status()).toMatchObject({ written: 1, dropped: 0 });
      const reader = await opened(location);
      const [stored] = await all(reader.comparisons('r', T0, T0 + 1));
      expect(stored.paths).toEqual(['body["x\\"y"]']);
      expect((await reader.example(stored.id))?.legacy).toMatch(/^a.b$/);
      expect((await reader.capturedReads(T0, 'r'))[0].headers).toEqual({ 'x-q': '{"a":[1,2]}' });
    });

    test('retention: diff rows and counters older than the cutoff are deleted, events and verdicts kept', async () => {
      const location = await fixture.fresh();
      const now = T0 + 40 * DAY;
      await written(location, 'r1', (s) => {
        s.add(row(T0, 'r'));
        s.add(row(now - DAY, 'r'));
        s.count('r', T0, 'sampled');
        s.count('r', now - DAY, 'sampled');
        s.addTraffic([traffic(T0, 'r', 'extracted', 5), traffic(now - DAY, 'r', 'extracted', 6)]);
      });
      const store = await opened(location);
      await store.recordVerdict({ at: T0, route: 'r', verdict: 'hold', fromPercent: 5, toPercent: 5, evidence: {} });
      expect(await store.prune(now - 30 * DAY)).toBe(1);
      expect(await all(store.comparisons('r', 0, now))).toHaveLength(1);
      expect(await store.shadowStats('r', 0, now)).toMatchObject({ sampled: 1 });
      expect((await store.traffic('r', 0, now)).extracted.requests).toBe(6);
      expect((await store.traffic('r', 0, now)).extracted.latency.reduce((a, b) => a + b, 0)).toBe(6);
      expect(await store.lastVerdict('r')).not.toBeNull();
      expect(await store.prune(now - 30 * DAY)).toBe(0);
    });

    test('the writer prunes past its retention once it reaches the store', async () => {
      const location = await fixture.fresh();
      await written(location, 'r1', (s) => { s.add(row(Date.now() - 10 * DAY, 'old')); s.add(row(Date.now(), 'new')); });
      const store = new DiffStore(location, { maxBuffered: 10, flushEveryMs: 1_000_000, retainMs: DAY }, 'r1').start();
      await store.open();
      const reader = await opened(location);
      for (let i = 0; i < 100 && (await reader.routesWithData(0, Date.now() + 1)).length > 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await reader.routesWithData(0, Date.now() + 1)).toEqual(['new']);
      await store.close();
    });
  });
}
