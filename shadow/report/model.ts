import { DIFFY_THRESHOLDS, type FieldNoise, type NoiseThresholds } from '../compare/window-noise';
import type { ConversionGuard } from '../../proxy/rules/types';
import { conversionView, type ConversionView } from '../stats/conversion-verdict';
import type { EvidenceStore } from '../store/evidence';
import { noiseLearning, type NoiseLearning } from './noise-learning';
import { readRouteWindow } from '../store/route-window';
import type { ReplicaRows, StoreReader } from '../store/store';

export interface LatencySummary { p50: number | null; p95: number | null; p99: number | null; samples: number }
export interface PathCount {
  path: string;
  count: number;
  /** `traceId`: the shopper request's trace id, to open both sides' traces of it (null when the row has none). */
  example: { target: string; legacy: string | null; extracted: string | null; legacyStatus: number | null; extractedStatus: number | null; traceId: string | null } | null;
}
export interface TrendPoint { hour: string; compared: number; mismatches: number; rate: number | null }

/** A route's place in its ramp plan and, at 100 %, whether legacy's side can be retired. */
export interface RouteRollout {
  /** The steps at or below the percent: 0 before the first step. */
  step: number;
  steps: number[];
  /** The percent in force in the rules file (0 when killed). */
  percent: number;
  lastVerdict: { verdict: string; at: string; summary: string } | null;
  /** When the route reached 100 % (null below); the comparisons since then are reverse shadow: legacy asked while extracted serves. */
  atFullSince: string | null;
  comparisonsSinceFull: number | null;
  mismatchRateSinceFull: number | null;
  /** At 100 % for retire_after, with at least one comparison and the mismatch rate within max_mismatch_rate. */
  ready: boolean;
}

/**
 * One route over the report's window. The comparison figures are the window's judgement
 * (shadow/store/route-window.ts): each stored comparison judged again with the fields the whole
 * window shows to be noise, which is also what the rollout gate reads.
 */
export interface RouteReport {
  route: string;
  sampled: number;
  /** Requests whose answers were compared: matched + mismatches. */
  compared: number;
  matched: number;
  /** Requests not compared because an answer was past the capture cap: neither a match nor a mismatch. */
  truncated: number;
  dropped: number;
  errors: number;
  mismatches: number;
  /** mismatches / compared; null with nothing compared. */
  mismatchRate: number | null;
  /** Reads compared with legacy asked twice: what the noise rates are over. */
  noiseRequests: number;
  /** Fields legacy disagreed with itself on, each with both rates and whether that makes it noise. */
  noiseFields: FieldNoise[];
  /** Which fields are known noise and how they were learned: reads probed, probe rate, since when. */
  noiseProbe?: NoiseLearning;
  budget: number;
  overBudget: boolean;
  topPaths: PathCount[];
  latency: { legacy: LatencySummary; extracted: LatencySummary };
  trend: TrendPoint[];
  /** Null for a route without a rollout block. */
  rollout: RouteRollout | null;
  /**
   * The conversion guard over the report's window, judged as `strangler rollout` judges it at the
   * route's percent in the rules file; null for a route without a guard.
   */
  conversion: ConversionView | null;
}

/** A guarded route's guard and the percent in force in the rules file (the guard is not judged at 0 % or 100 %). */
export interface GuardInForce {
  readonly guard: ConversionGuard;
  readonly percent: number;
}

export interface DiffReport {
  generatedAt: string;
  since: string;
  until: string;
  /** The store read: a file, or a PostgreSQL URL with its password redacted. */
  store: string;
  /** Which proxy processes wrote the window's diff rows (STRANGLER_REPLICA), with how many rows each. */
  replicas: ReplicaRows[];
  ok: boolean;
  /** The thresholds noise was judged with (Diffy's, in percent). */
  noiseThresholds: NoiseThresholds;
  routes: RouteReport[];
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}

function latency(values: Array<number | null>): LatencySummary {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), samples: sorted.length };
}

/** The guard's counts over the window (the store's minutes holding since … until − 1: the window is half-open) and its verdict. */
async function conversionOf(store: Pick<EvidenceStore, 'conversions'>, route: string, since: number, until: number, guarded: GuardInForce | undefined): Promise<ConversionView | null> {
  if (guarded === undefined) return null;
  return conversionView(guarded.guard, await store.conversions(route, since, until - 1), guarded.percent);
}

/**
 * Reads the diff store for [since, until) into the report every renderer draws from. Budgets come
 * from the rules file (`shadow.budget`); a route in the store but not in the rules gets `defaultBudget`.
 * Routes with a rollout plan (`rollouts`) or a conversion guard (`guards`) are in the report even
 * without comparisons. `location` names the store in the report and must already be redacted
 * (store.location is).
 */
export async function buildReport(store: StoreReader & Pick<EvidenceStore, 'conversions'>, location: string, since: number, until: number, budgets: ReadonlyMap<string, number>,
  defaultBudget = 0.01, rollouts: ReadonlyMap<string, RouteRollout> = new Map(), thresholds: NoiseThresholds = DIFFY_THRESHOLDS,
  guards: ReadonlyMap<string, GuardInForce> = new Map()): Promise<DiffReport> {
  const routeNames = new Set<string>([...rollouts.keys(), ...guards.keys(), ...await store.routesWithData(since, until)]);
  const routes: RouteReport[] = [];
  for (const route of [...routeNames].sort()) {
    const window = await readRouteWindow(store, route, since, until, thresholds);
    const stats = await store.shadowStats(route, since, until);
    const mismatchRate = window.mismatchRate;
    const budget = budgets.get(route) ?? defaultBudget;
    const times = await store.latencies(route, since, until);
    const trend = window.hourly.map((t) => ({ hour: new Date(t.hour).toISOString(), compared: t.compared, mismatches: t.mismatched, rate: t.compared ? t.mismatched / t.compared : null }));
    const topPaths: PathCount[] = [];
    for (const t of window.topPaths.slice(0, 10)) topPaths.push({ path: t.path, count: t.rows, example: await store.example(t.exampleId) });
    routes.push({
      route, sampled: stats.sampled, compared: window.compared, matched: window.matched, truncated: window.truncated, dropped: stats.dropped, errors: stats.errors,
      mismatches: window.mismatched, mismatchRate, noiseRequests: window.noiseRequests, noiseFields: [...window.noiseFields], noiseProbe: noiseLearning(window), budget,
      overBudget: mismatchRate !== null && mismatchRate > budget,
      topPaths,
      latency: { legacy: latency(times.map((t) => t.legacy)), extracted: latency(times.map((t) => t.extracted)) },
      trend,
      rollout: rollouts.get(route) ?? null,
      conversion: await conversionOf(store, route, since, until, guards.get(route)),
    });
  }
  return {
    generatedAt: new Date().toISOString(), since: new Date(since).toISOString(), until: new Date(until).toISOString(), store: location,
    replicas: await store.replicas(since, until), ok: routes.every((r) => !r.overBudget), noiseThresholds: thresholds, routes,
  };
}
