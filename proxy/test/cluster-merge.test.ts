import os from 'node:os';
import client from 'prom-client';
import { workersFrom } from '../config';
import { mergeMetrics, mergeStats, mergeStatus, PRIMARY_METRICS } from '../cluster/merge';
import { LineBatch } from '../observability/line-batch';
import { createLogger } from '../observability/logger';
import { ProxyMetrics } from '../observability/metrics';
import { recordReload } from '../rules/reload-record';
import type { ActiveRules, ReloadReport } from '../rules/store';
import { TrafficWindows } from '../observability/traffic-windows';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the merged JSON is read field by field
type Loose = Record<string, any>;

/** How a cluster's primary merges its workers' answers (cluster/merge.ts), and STRANGLER_WORKERS. */

const T0 = 1_800_000_000_000;

test('the latency percentiles of /stats are those of every request, not an average of the workers\' percentiles', () => {
  const fast = new TrafficWindows(() => T0);
  const slow = new TrafficWindows(() => T0);
  for (let i = 0; i < 90; i++) fast.observe('r', 'legacy', false, false, 1, T0 + 1000);
  for (let i = 0; i < 10; i++) slow.observe('r', 'legacy', i < 5, false, 400, T0 + 1000);
  const report = (w: TrafficWindows): Record<string, unknown> => ({
    since: new Date(T0).toISOString(),
    routes: [{ name: 'r', percent: 0, breaker: null, shadow: { percent: null, budget: null }, series: w.series('r', T0 + 2000), raw: { '1m': w.raw('r', '1m', T0 + 2000), '15m': w.raw('r', '15m', T0 + 2000) } }],
  });
  // The primary refused the last edit; its workers, which only ever get good tables, do not know.
  const rules = { epoch: 4, servingLastGood: true, error: 'rules.yaml:3:5: error: bad', lastReloadAt: new Date(T0).toISOString() };
  const merged = mergeStats(rules, 2, [{ ...report(fast), rules: { epoch: 4, servingLastGood: false }, workers: 1 }, report(slow)]) as { epoch: number; routes: Loose[] } & Loose;
  const legacy = merged.routes[0].windows['1m'].legacy;
  expect(merged.epoch).toBe(4);
  expect(merged.rules).toEqual(rules);
  expect(merged.workers).toBe(2);
  expect(legacy.requests).toBe(100);
  expect(legacy.failures).toBe(5);
  expect(legacy.failureRate).toBeCloseTo(0.05);
  // 90 of 100 requests took 1 ms: the median is fast, the 95th percentile is in the slow worker's bucket.
  expect(legacy.p50Ms).toBeLessThan(2);
  expect(legacy.p95Ms).toBeGreaterThan(200);
  expect(merged.routes[0]).not.toHaveProperty('raw');
  expect(merged.routes[0].series.legacy.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(100 / 2, 0);
});

test('/stats of a cluster: shed requests per reason and each upstream\'s limit, in flight and queued add up over workers', () => {
  const one = new TrafficWindows(() => T0);
  const two = new TrafficWindows(() => T0);
  for (let i = 0; i < 30; i++) one.shed('r', 'overload', T0 + 1000);
  for (let i = 0; i < 10; i++) two.shed('r', 'overload', T0 + 1000);
  for (let i = 0; i < 4; i++) two.shed('r', 'rate_limit', T0 + 1000);
  const report = (w: TrafficWindows, upstreams: unknown[]): Record<string, unknown> => ({
    since: new Date(T0).toISOString(), upstreams,
    routes: [{ name: 'r', percent: 0, breaker: null, shadow: { percent: null, budget: null }, series: w.series('r', T0 + 2000), raw: { '1m': w.raw('r', '1m', T0 + 2000), '15m': w.raw('r', '15m', T0 + 2000) } }],
  });
  const legacy = { name: 'legacy', url: 'http://legacy' };
  const rules = { epoch: 1, servingLastGood: false, error: null, lastReloadAt: new Date(T0).toISOString() };
  const merged = mergeStats(rules, 2, [
    report(one, [{ ...legacy, limit: 3, inFlight: 3, queued: 5, minRttMs: 25 }, { name: 'svc', url: 'http://svc', limit: null, inFlight: 0, queued: 0, minRttMs: null }]),
    report(two, [{ ...legacy, limit: 2, inFlight: 1, queued: 0, minRttMs: 24 }, { name: 'svc', url: 'http://svc', limit: null, inFlight: 0, queued: 0, minRttMs: null }]),
  ]) as Loose;
  // T0 + 2 s after counting began at T0: the window has run 2 s.
  expect(merged.routes[0].windows['1m'].shed).toEqual({ overload: { requests: 40, rps: 20 }, rateLimit: { requests: 4, rps: 2 } });
  expect(merged.routes[0].windows['15m'].shed.overload.requests).toBe(40);
  expect(merged.upstreams).toEqual([
    expect.objectContaining({ name: 'legacy', url: 'http://legacy', limit: 5, inFlight: 4, queued: 5, minRttMs: 24 }),
    expect.objectContaining({ name: 'svc', limit: null, inFlight: 0, queued: 0 }),
  ]);
});

test('/status sums the observed split and shadow outcomes, and shows each breaker in its worst worker\'s state', () => {
  const worker = (legacy: number, extracted: number, breaker: string, trips: number): Record<string, unknown> => ({
    epoch: 9, unleash: { configured: false },
    routes: [{ name: 'r', percent: 25, observed: { legacy, extracted, legacyFallback: 0, total: legacy + extracted, extractedShare: 0 },
      shadow: { percent: 10, outcomes: { match: legacy, mismatch: 1 } }, breaker: { state: breaker, trips, since: 'x', failureRate: null, requests: 0 } }],
    sockets: { 'http://a': { busy: 1, idle: 2, queued: 0 } },
    websockets: { open: 1, routes: { r: { legacy: 1 } } },
    diffStore: { kind: 'sqlite', open: true, ok: legacy > 10, lastError: legacy > 10 ? null : 'locked', lastErrorAt: null, buffered: 3, dropped: legacy },
  });
  const workers = [{ id: 1, pid: 11, epoch: 3, ready: true }, { id: 2, pid: 12, epoch: 3, ready: true }];
  const merged = mergeStatus({ epoch: 3 }, [worker(30, 10, 'half-open', 1), worker(6, 2, 'open', 2), worker(3, 1, 'closed', 0)], workers) as Loose;
  expect(merged.epoch).toBe(3);
  expect(merged.workers).toEqual(workers);
  expect(merged.routes[0].observed).toEqual({ legacy: 39, extracted: 13, legacyFallback: 0, total: 52, extractedShare: 0.25 });
  expect(merged.routes[0].shadow.outcomes).toEqual({ match: 39, mismatch: 3 });
  expect(merged.routes[0].breaker).toMatchObject({ state: 'open', trips: 3 });
  expect(merged.sockets).toEqual({ 'http://a': { busy: 3, idle: 6, queued: 0 } });
  expect(merged.websockets).toEqual({ open: 3, routes: { r: { legacy: 3 } } });
  expect(merged.diffStore).toMatchObject({ ok: false, lastError: 'locked', buffered: 9, dropped: 39 });
});

test('/metrics sums counters over workers, keeps the lowest rules-valid flag and the worst breaker state', async () => {
  const worker = (requests: number, breaker: 'closed' | 'open' | 'half-open', valid: number): ProxyMetrics => {
    const m = new ProxyMetrics(false);
    for (let i = 0; i < requests; i++) m.route('r').observe('legacy', 200, 0.003);
    m.breakers = () => [['r', { state: breaker, since: '', failureRate: null, requests: 0, trips: 1 }]];
    m.rulesValid.set(valid);
    m.rulesEpoch.set(5);
    return m;
  };
  const parts = await Promise.all([worker(7, 'open', 1), worker(5, 'half-open', 0), worker(1, 'closed', 1)].map((m) => m.registry.getMetricsAsJSON()));
  const { body } = await mergeMetrics(parts);
  expect(body).toMatch(/^strangler_requests_total\{route="r",backend="legacy",code="200"\} 13$/m);
  expect(body).toMatch(/^strangler_request_duration_seconds_count\{route="r",backend="legacy"\} 13$/m);
  expect(body).toMatch(/^strangler_breaker_state\{route="r"\} 1$/m);
  expect(body).toMatch(/^strangler_breaker_trips_total\{route="r"\} 3$/m);
  expect(body).toMatch(/^strangler_rules_last_reload_success 0$/m);
  expect(body).toMatch(/^strangler_rules_epoch 5$/m);
  // Half-open beats closed too.
  const { body: trial } = await mergeMetrics(await Promise.all([worker(1, 'closed', 1), worker(1, 'half-open', 1)].map((m) => m.registry.getMetricsAsJSON())));
  expect(trial).toMatch(/^strangler_breaker_state\{route="r"\} 2$/m);
  expect(client.register.getMetricsAsArray()).toEqual([]);
});

/** A cluster's primary as it runs: its registry has every metric, and it has recorded reloads only. */
function primaryAfter(result: 'success' | 'failure', epoch: number): ProxyMetrics {
  const primary = new ProxyMetrics(false);
  const report: ReloadReport = { at: '', trigger: 'start', result, epoch, errors: [], warnings: [] };
  const active = { epoch, loadedAt: '', table: { hash: 'h', routes: [] } } as unknown as ActiveRules;
  recordReload(report, active, primary, createLogger('silent', { write: () => undefined }));
  return primary;
}

/** The value of an unlabelled sample, or of the one with `labels`, in a Prometheus text body. */
function valueIn(body: string, name: string, labels = ''): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Every gauge a worker sets, as two workers set it, and what one process serving all their
 * requests would show. The primary never sets these (only PRIMARY_METRICS): it must not count.
 */
const GAUGES: ReadonlyArray<{ name: string; labels?: string; set(m: ProxyMetrics, worker: number): void; merged: number }> = [
  // The bug of issue 28: the primary's unset 0 made a healthy store read as down.
  { name: 'strangler_diff_store_up', set: (m) => m.diffStoreUp.set(1), merged: 1 },
  { name: 'strangler_flag_last_fetch_timestamp_seconds', set: (m, w) => m.flagLastFetch.set(1_800_000_000 + w), merged: 1_800_000_000 },
  { name: 'strangler_route_percent', labels: '{route="r"}', set: (m) => m.routePercent.labels('r').set(25), merged: 25 },
  { name: 'strangler_shadow_in_flight', set: (m, w) => m.shadowInFlight.set(w + 1), merged: 3 },
  { name: 'strangler_diff_store_dropped_rows', set: (m, w) => m.diffRowsDropped.set(w + 4), merged: 9 },
  { name: 'strangler_diff_store_buffered_rows', set: (m, w) => m.diffRowsBuffered.set(w + 2), merged: 5 },
  { name: 'strangler_diff_store_failed_flushes', set: (m, w) => m.diffFlushFailures.set(w + 1), merged: 3 },
  { name: 'strangler_websocket_connections', labels: '{route="r",backend="extracted"}', set: (m, w) => { m.websockets = () => [['r', 'extracted', w + 1]]; }, merged: 3 },
  { name: 'strangler_breaker_state', labels: '{route="r"}', set: (m) => { m.breakers = () => [['r', { state: 'closed', since: '', failureRate: null, requests: 0, trips: 0 }]]; }, merged: 0 },
];

test.each(GAUGES)('/metrics of a cluster: $name is the workers\' value, whatever the primary\'s unset gauge reads', async ({ name, labels, set, merged }) => {
  const workers = [0, 1].map((w) => { const m = new ProxyMetrics(false); set(m, w); return m; });
  const parts = await Promise.all(workers.map((m) => m.registry.getMetricsAsJSON()));
  const { body } = await mergeMetrics(parts, await primaryAfter('success', 3).registry.getMetricsAsJSON());
  expect(valueIn(body, name, labels)).toBe(merged);
});

test('/metrics of a cluster: every worker gauge (those not listed above too) reads as without the primary', async () => {
  const workers = [0, 1].map((w) => { const m = new ProxyMetrics(false); for (const g of GAUGES) g.set(m, w); return m; });
  const parts = await Promise.all(workers.map((m) => m.registry.getMetricsAsJSON()));
  const primary = await primaryAfter('success', 3).registry.getMetricsAsJSON();
  const gauges = primary.filter((m) => String(m.type) === 'gauge' && !PRIMARY_METRICS.has(m.name)).map((m) => m.name);
  expect(gauges).toEqual(expect.arrayContaining(GAUGES.map((g) => g.name)));
  const samples = (body: string): string[] => body.split('\n').filter((l) => gauges.some((g) => l.startsWith(`${g} `) || l.startsWith(`${g}{`)));
  expect(samples((await mergeMetrics(parts, primary)).body)).toEqual(samples((await mergeMetrics(parts)).body));
});

test('/metrics of a cluster: the rules gauges are the primary\'s, which alone reads the file; PRIMARY_METRICS are exactly what it records', async () => {
  const worker = (): ProxyMetrics => { const m = new ProxyMetrics(false); m.rulesEpoch.set(3); m.rulesValid.set(1); return m; };
  const parts = await Promise.all([worker(), worker()].map((m) => m.registry.getMetricsAsJSON()));
  const refused = (await mergeMetrics(parts, await primaryAfter('failure', 3).registry.getMetricsAsJSON())).body;
  expect(valueIn(refused, 'strangler_rules_last_reload_success')).toBe(0);
  expect(valueIn(refused, 'strangler_rules_epoch')).toBe(3);
  expect(valueIn(refused, 'strangler_config_reloads_total', '{result="failure"}')).toBe(1);
  const fine = (await mergeMetrics(parts, await primaryAfter('success', 4).registry.getMetricsAsJSON())).body;
  expect(valueIn(fine, 'strangler_rules_last_reload_success')).toBe(1);
  expect(valueIn(fine, 'strangler_rules_epoch')).toBe(4);
  // What recordReload changes in a registry is what the merge takes from the primary.
  const untouched = await new ProxyMetrics(false).registry.getMetricsAsJSON();
  const recorded = await primaryAfter('success', 4).registry.getMetricsAsJSON();
  const changed = recorded.filter((m, i) => JSON.stringify(m) !== JSON.stringify(untouched[i])).map((m) => m.name);
  expect(new Set(changed)).toEqual(PRIMARY_METRICS);
});

test('STRANGLER_WORKERS: unset is 1, a whole number is taken, auto is the cores, anything else is refused with what was wrong', () => {
  expect(workersFrom({})).toBe(1);
  expect(workersFrom({ STRANGLER_WORKERS: '4' })).toBe(4);
  expect(workersFrom({ STRANGLER_WORKERS: 'auto' })).toBe(os.availableParallelism());
  for (const bad of ['0', '-1', '1.5', 'two', '257', '3 workers']) {
    expect(() => workersFrom({ STRANGLER_WORKERS: bad })).toThrow(`STRANGLER_WORKERS must be a whole number from 1 to 256 or "auto" (one per core), got "${bad}"`);
  }
});

test('a worker\'s log batch never passes its bound, so processes sharing one pipe never split each other\'s lines', () => {
  const writes: string[] = [];
  const batch = new LineBatch({ write: (data: string) => writes.push(data) }, 3584, 4096);
  const line = `${'x'.repeat(299)}\n`;
  for (let i = 0; i < 100; i++) batch.write(line);
  batch.drain();
  expect(writes.join('')).toBe(line.repeat(100));
  expect(Math.max(...writes.map((w) => w.length))).toBeLessThanOrEqual(4096);
  expect(writes.every((w) => w.endsWith('\n'))).toBe(true);
});

test('/stats of a cluster: a guarded route\'s conversion is read from the shared store by each worker, so the freshest read is shown, never a sum', () => {
  const conversion = (until: number, legacy: number, extracted: number): Loose => ({
    goal: 'order', legacy: { shoppers: legacy, converted: 3, rate: 3 / legacy }, extracted: { shoppers: extracted, converted: 1, rate: 1 / extracted },
    since: new Date(T0).toISOString(), until: new Date(until).toISOString(),
  });
  const w = new TrafficWindows(() => T0);
  const route = (name: string, c: Loose | null): Loose => ({ name, percent: 50, breaker: null, shadow: { percent: null, budget: null }, series: w.series(name, T0), raw: { '1m': w.raw(name, '1m', T0) }, conversion: c });
  const report = (c: Loose | null): Record<string, unknown> => ({ since: new Date(T0).toISOString(), routes: [route('r', c), route('plain', null)] });
  const rules = { epoch: 1, servingLastGood: false, error: null, lastReloadAt: new Date(T0).toISOString() };
  const fresher = conversion(T0 + 10_000, 12, 11);
  for (const order of [[conversion(T0 + 5000, 10, 10), fresher, null], [null, fresher, conversion(T0 + 5000, 10, 10)]]) {
    const merged = mergeStats(rules, 3, order.map(report)) as Loose;
    expect(merged.routes[0].conversion).toEqual(fresher);
    expect(merged.routes[1].conversion).toBeNull();
  }
  // Before any worker has read the store.
  expect((mergeStats(rules, 2, [report(null), report(null)]) as Loose).routes[0].conversion).toBeNull();
});
