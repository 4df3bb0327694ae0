import client from 'prom-client';
import type { RulesHealth } from '../admin/stats';
import { formatRouteWindow, sumRawWindows, type RawRouteWindow } from '../observability/traffic-windows';
import { effectivePercent } from '../shadow-sampling';

/**
 * How a cluster's primary turns its workers' answers into one: /status, /stats and /metrics
 * read as if one process had served every request. Pure functions of what the workers sent.
 */

/** What /status says of each worker. */
export interface WorkerInfo {
  readonly id: number;
  readonly pid: number;
  /** The rules epoch the worker serves (null until its first table). */
  readonly epoch: number | null;
  readonly ready: boolean;
}

type Json = Record<string, unknown>;

/** Breaker states from best to worst: a route is shown in the worst state any worker has it in. */
const BREAKER_RANK: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2 };

function worstBreaker(statuses: readonly unknown[]): unknown {
  let worst: Json | null = null;
  for (const status of statuses) {
    if (status === null || typeof status !== 'object') continue;
    const s = status as Json;
    if (worst === null || (BREAKER_RANK[String(s.state)] ?? 0) > (BREAKER_RANK[String(worst.state)] ?? 0)) worst = s;
  }
  if (worst === null) return null;
  // Trips add up: each worker's breaker opened on its own.
  const trips = statuses.reduce<number>((n, s) => n + (typeof (s as Json | null)?.trips === 'number' ? (s as Json).trips as number : 0), 0);
  return { ...worst, trips };
}

function sumNumbers(parts: readonly unknown[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const part of parts) {
    if (part === null || typeof part !== 'object') continue;
    for (const [key, value] of Object.entries(part as Json)) if (typeof value === 'number') sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}

/** Routes of several reports, by name, in the first report's order. */
function byName(reports: readonly Json[]): Array<{ route: Json; all: Json[] }> {
  const [first] = reports;
  const routes = (first?.routes ?? []) as Json[];
  const maps = reports.map((r) => new Map(((r.routes ?? []) as Json[]).map((route) => [route.name as string, route])));
  return routes.map((route) => ({ route, all: maps.map((m) => m.get(route.name as string)).filter((r): r is Json => r !== undefined) }));
}

function sumObserved(parts: readonly Json[]): Json {
  const sum = sumNumbers(parts.map((p) => p.observed));
  const legacy = sum.legacy ?? 0;
  const extracted = sum.extracted ?? 0;
  const legacyFallback = sum.legacyFallback ?? 0;
  const total = legacy + extracted + legacyFallback;
  return { legacy, extracted, legacyFallback, total, extractedShare: total === 0 ? null : Math.round((extracted / total) * 10000) / 10000 };
}

function mergeDiffStore(parts: readonly unknown[]): unknown {
  const views = parts.filter((p): p is Json => p !== null && typeof p === 'object');
  const [first] = views;
  if (first === undefined) return null;
  const failing = views.find((v) => v.lastError !== null && v.lastError !== undefined);
  return {
    ...first,
    open: views.some((v) => v.open === true),
    ok: views.every((v) => v.ok === true),
    lastError: failing?.lastError ?? null,
    lastErrorAt: failing?.lastErrorAt ?? null,
    buffered: views.reduce((n, v) => n + (Number(v.buffered) || 0), 0),
    dropped: views.reduce((n, v) => n + (Number(v.dropped) || 0), 0),
  };
}

function mergeWebsockets(parts: readonly unknown[]): Json {
  const routes: Record<string, Record<string, number>> = {};
  let open = 0;
  for (const part of parts) {
    const w = part as { open?: number; routes?: Record<string, Record<string, number>> } | null;
    open += w?.open ?? 0;
    for (const [route, backends] of Object.entries(w?.routes ?? {})) {
      const into = (routes[route] ??= {});
      for (const [backend, n] of Object.entries(backends)) into[backend] = (into[backend] ?? 0) + n;
    }
  }
  return { open, routes };
}

function mergeSockets(parts: readonly unknown[]): Json {
  const sockets: Record<string, Record<string, number>> = {};
  for (const part of parts) {
    for (const [upstream, counts] of Object.entries((part ?? {}) as Record<string, Record<string, number>>)) {
      const into = (sockets[upstream] ??= {});
      for (const [key, n] of Object.entries(counts)) into[key] = (into[key] ?? 0) + n;
    }
  }
  return sockets;
}

/** The workers' last minute of mirrors summed, and the share mirrored recomputed from the sums. */
function sumLastMinute(shadow: Json, all: readonly Json[]): Json | null {
  if (shadow.lastMinute === null || shadow.lastMinute === undefined) return null;
  const sum = sumNumbers(all.map((r) => (r.shadow as Json | null)?.lastMinute));
  const [sampled, dropped] = [sum.sampled ?? 0, sum.dropped ?? 0];
  return { sampled, dropped, effectivePercent: effectivePercent(Number(shadow.percent), sampled, dropped) };
}

/**
 * GET /status of a cluster: the rules part (epoch, hash, last reload) is the primary's, which owns
 * the file; the routes are the first worker's, with the observed split and shadow outcomes summed
 * over workers and each breaker in the worst state a worker has it in; `workers` lists them all.
 */
export function mergeStatus(rulesPart: Json, workerReports: readonly Json[], workers: readonly WorkerInfo[]): Json {
  const [first] = workerReports;
  const routes = byName(workerReports).map(({ route, all }) => {
    const shadow = route.shadow as Json | null;
    return {
      ...route,
      shadow: shadow === null ? null : { ...shadow, outcomes: sumNumbers(all.map((r) => (r.shadow as Json | null)?.outcomes)), lastMinute: sumLastMinute(shadow, all) },
      breaker: worstBreaker(all.map((r) => r.breaker)),
      observed: sumObserved(all),
    };
  });
  return {
    ...(first ?? {}),
    ...rulesPart,
    upstreams: mergeUpstreams(rulesPart.upstreams, workerReports.map((r) => r.upstreams)),
    routes,
    sockets: mergeSockets(workerReports.map((r) => r.sockets)),
    websockets: mergeWebsockets(workerReports.map((r) => r.websockets)),
    diffStore: mergeDiffStore(workerReports.map((r) => r.diffStore)),
    tracing: mergeTracing(workerReports.map((r) => r.tracing)),
    workers,
  };
}

/**
 * Admission control per upstream: each worker learns its own limit, so the upstream sees their
 * sum; in flight and waiting add up too. `limit` stays null until some worker has a gate for it.
 */
function mergeUpstreams(primary: unknown, parts: readonly unknown[]): unknown {
  if (!Array.isArray(primary)) return primary;
  return (primary as Json[]).map((upstream) => {
    const mine = parts.flatMap((p) => (Array.isArray(p) ? (p as Json[]).filter((u) => u.name === upstream.name) : []));
    const limits = mine.map((u) => u.limit).filter((n): n is number => typeof n === 'number');
    const rtts = mine.map((u) => u.minRttMs).filter((n): n is number => typeof n === 'number' && n > 0);
    const sum = (key: string): number => mine.reduce((n, u) => n + (typeof u[key] === 'number' ? u[key] as number : 0), 0);
    return {
      ...upstream,
      limit: limits.length === 0 ? null : limits.reduce((a, b) => a + b, 0),
      inFlight: sum('inFlight'),
      queued: sum('queued'),
      mirrors: sum('mirrors'),
      minRttMs: rtts.length === 0 ? null : Math.min(...rtts),
      workers: mine.map((u) => ({ limit: u.limit ?? null, inFlight: u.inFlight ?? 0, queued: u.queued ?? 0 })),
    };
  });
}

function sumSeries(parts: readonly Json[]): unknown {
  const [first] = parts as Array<{ at: number[]; legacy: number[]; extracted: number[]; slotSeconds: number } | undefined>;
  if (first === undefined) return null;
  const add = (key: 'legacy' | 'extracted'): number[] => first[key].map((_, i) => Math.round(parts.reduce((n, p) => n + (((p as Json)[key] as number[] | undefined)?.[i] ?? 0), 0) * 1000) / 1000);
  return { slotSeconds: first.slotSeconds, at: first.at, legacy: add('legacy'), extracted: add('extracted') };
}

/**
 * A guarded route's conversion is read from the store every worker writes to, so each worker's
 * reading already counts every worker's shoppers: they are never summed; the latest read is shown.
 */
function freshestConversion(parts: readonly unknown[]): unknown {
  let freshest: Json | null = null;
  for (const part of parts) {
    if (part === null || typeof part !== 'object') continue;
    const c = part as Json;
    if (freshest === null || String(c.until) > String(freshest.until)) freshest = c;
  }
  return freshest;
}

/**
 * GET /stats of a cluster: each worker sends its windows' counts (`raw`); the sums are formatted
 * as one process would (latency histograms add, so p50/p95 are of every request, not averages;
 * shed requests add). Each upstream's limit, in flight and waiting are the workers' sums.
 * The rules' health is the primary's, which reads the file; `workers` counts those serving.
 * A guarded route's conversion is the latest any worker read from the shared store (not a sum).
 */
export function mergeStats(rules: RulesHealth, workers: number, workerReports: readonly Json[]): Json {
  const [first] = workerReports;
  const routes = byName(workerReports).map(({ route, all }) => {
    const raws = all.map((r) => r.raw as Record<string, RawRouteWindow> | undefined).filter((r): r is Record<string, RawRouteWindow> => r !== undefined);
    const names = Object.keys(raws[0] ?? {});
    const windows = Object.fromEntries(names.map((name) => [name, formatRouteWindow(sumRawWindows(raws.map((r) => r[name])))]));
    const shadow = route.shadow as Json;
    const { raw: _raw, ...rest } = route;
    return {
      ...rest,
      breaker: worstBreaker(all.map((r) => r.breaker)),
      windows: Object.fromEntries(names.map((name) => [name, { seconds: windows[name].seconds, legacy: windows[name].legacy, extracted: windows[name].extracted, shed: windows[name].shed }])),
      shadow: {
        percent: shadow?.percent ?? null,
        budget: shadow?.budget ?? null,
        ...(windows['15m']?.shadow ?? {}),
        windows: Object.fromEntries(names.map((name) => [name, windows[name].shadow])),
      },
      series: sumSeries(all.map((r) => r.series as Json)),
      conversion: freshestConversion(all.map((r) => r.conversion)),
    };
  });
  const since = workerReports.map((r) => String(r.since)).sort()[0] ?? null;
  // Every worker lists every upstream of the same rules; their figures add up as in /status.
  const upstreams = mergeUpstreams(first?.upstreams ?? [], workerReports.map((r) => r.upstreams));
  return { ...(first ?? {}), epoch: rules.epoch, rules, workers, since, upstreams, routes };
}

const BREAKER_STATE = 'strangler_breaker_state';
/** strangler_breaker_state's values (0 closed, 1 open, 2 half-open) ranked best to worst. */
const BREAKER_VALUE_RANK: Readonly<Record<number, number>> = { 0: 0, 2: 1, 1: 2 };

type MetricJson = client.MetricObjectWithValues<client.MetricValue<string>>;

/**
 * The proxy's metrics a cluster's primary records itself: each reload, the active epoch and
 * whether the last reload was valid (rules/reload-record.ts). Its registry has every other
 * strangler_* metric too, never set: an unset gauge reads 0, and under a 'min' aggregator
 * (strangler_diff_store_up, strangler_flag_last_fetch_timestamp_seconds) that 0 would outvote
 * every worker. So the primary adds only these, and its process's default metrics.
 */
export const PRIMARY_METRICS: ReadonlySet<string> = new Set(['strangler_config_reloads_total', 'strangler_rules_epoch', 'strangler_rules_last_reload_success']);

const measuredByPrimary = (metric: MetricJson): boolean => !metric.name.startsWith('strangler_') || PRIMARY_METRICS.has(metric.name);

/**
 * GET /metrics of a cluster: what the primary measures itself (PRIMARY_METRICS, its process) and
 * every worker's registry, merged by prom-client's cluster aggregation: counters and histograms
 * sum, gauges by the aggregator each declares. The breaker state gauge has no fitting aggregator
 * (open must win over half-open, whose number is higher), so it is merged here by rank.
 */
export async function mergeMetrics(workers: readonly MetricJson[][], primary: readonly MetricJson[] = []): Promise<{ contentType: string; body: string }> {
  const breakerValues = new Map<string, client.MetricValue<string>>();
  let breakerMetric: MetricJson | undefined;
  const rest = [primary.filter(measuredByPrimary), ...workers].map((metrics) => metrics.filter((metric) => {
    if (metric.name !== BREAKER_STATE) return true;
    breakerMetric ??= metric;
    for (const value of metric.values) {
      const key = JSON.stringify(value.labels);
      const seen = breakerValues.get(key);
      if (seen === undefined || (BREAKER_VALUE_RANK[value.value] ?? 0) > (BREAKER_VALUE_RANK[seen.value] ?? 0)) breakerValues.set(key, value);
    }
    return false;
  }));
  if (breakerMetric !== undefined) rest.push([{ ...breakerMetric, aggregator: 'first', values: [...breakerValues.values()] }]);
  const registry = client.AggregatorRegistry.aggregate(rest);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** Each worker exports its own spans: the settings are the first's, the counts summed. */
function mergeTracing(parts: readonly unknown[]): unknown {
  const [first] = parts;
  if (first === null || typeof first !== 'object') return first;
  const sum = (key: string): number => parts.reduce<number>((n, p) => n + (typeof (p as Json | null)?.[key] === 'number' ? (p as Json)[key] as number : 0), 0);
  return { ...(first as Json), exported: sum('exported'), dropped: sum('dropped') };
}
