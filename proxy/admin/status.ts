import type { GuardWindow } from '../../shadow/store/guard-window';
import type { LastVerdict } from '../../shadow/worker/protocol';
import type { DiffStoreView } from '../shadow-side';
import type { SamplingView } from '../shadow-sampling';
import type { BreakerBoard } from '../breaker/breaker-board';
import { effectivePercent } from '../decide/decide';
import { flagWarnings } from '../flags/feature-to-flag';
import type { FlagSource } from '../flags/flag-state';
import type { UpstreamPools } from '../forward/pools';
import type { Admission, GateView } from '../overload/admission';
import { noOutcomes } from '../../shadow/outcomes';
import type { ProxyMetrics } from '../observability/metrics';
import { formatIssue } from '../rules/load';
import { routeSettings } from '../rules/plan';
import type { RulesStore } from '../rules/store';
import type { CompiledRoute } from '../rules/types';
import { TRACING_OFF, type TracingStatus } from '../tracing/types';

/** The JSON behind GET /status: what is active, how the last reload went, and each route's split. */
/** What the proxy knows of the migration loop besides the rules: breakers, and the store's verdicts. */
export interface LoopState {
  readonly breakers: BreakerBoard;
  lastVerdict(route: string): LastVerdict | null;
  /** Guarded routes' conversion counts from the store, as last read (a fresh read is asked for when due). */
  conversions?(routes: readonly string[], now: number): ReadonlyMap<string, GuardWindow>;
  /** WebSocket connections open now, in all and per route and backend. */
  websockets(): { open: number; routes: Record<string, Record<string, number>> };
  /** The diff store's health (shadow-side.ts): kind, redacted location, ok, lastError, buffered, dropped. */
  diffStore?(): DiffStoreView;
  /** The last minute's sampled and dropped mirrors of a route, and the share actually mirrored (shadow-sampling.ts). */
  shadowLastMinute?(route: string, percent: number): SamplingView;
  /** Admission control's gates, per upstream origin. */
  readonly admission?: Admission;
  /** The OpenTelemetry exporter's settings and counts (tracing/). */
  tracing?(): TracingStatus;
}

/** The rules part of GET /status: what is active and how the last reload went (a cluster's primary owns it). */
export function rulesReport(store: RulesStore): Record<string, unknown> {
  const active = store.current();
  const last = store.lastReload();
  return {
    epoch: active.epoch,
    file: store.file,
    hash: active.table.hash,
    loadedAt: active.loadedAt,
    lastReload: {
      at: last.at, trigger: last.trigger, result: last.result,
      error: last.errors.length ? last.errors.map(formatIssue).join('\n') : null,
      errors: last.errors, warnings: last.warnings.map(formatIssue),
    },
    servingLastGood: last.result === 'failure',
    // Each upstream as the rules resolved it (`${VAR:-default}` expanded); the overload figures join it per process.
    upstreams: [...active.table.upstreams].map(([name, u]) => ({ name, url: u.url })),
  };
}

export function statusReport(store: RulesStore, flags: FlagSource, metrics: ProxyMetrics, pools: UpstreamPools, loop: LoopState): Record<string, unknown> {
  const active = store.current();
  const snapshot = flags.current();
  const flagInfo = flags.info();
  const rules = rulesReport(store);
  const gates = loop.admission?.view() ?? new Map<string, GateView>();
  return {
    ...rules,
    upstreams: upstreamsNow(rules.upstreams as Array<{ name: string; url: string }>, gates),
    unleash: flagInfo,
    routes: active.table.routes.map((route) => {
      const { percent, source } = effectivePercent(route, snapshot);
      const flagState = route.flag !== null ? snapshot.get(route.flag) ?? null : null;
      const served = metrics.routeStats(route.name)?.served ?? { legacy: 0, extracted: 0, 'legacy-fallback': 0 };
      const total = served.legacy + served.extracted + served['legacy-fallback'];
      return {
        name: route.name,
        match: {
          methods: route.methods ? [...route.methods] : null, path: route.path,
          headers: conditionsAsMap(route, 'header'), cookies: conditionsAsMap(route, 'cookie'),
        },
        extracted: route.extracted.name,
        group: route.group,
        percent,
        percentSource: source,
        yamlPercent: route.percent,
        killed: route.killed,
        // true: Upgrade: websocket handshakes on this route are proxied (else 501).
        websocket: route.websocket,
        flag: route.flag,
        // source 'flag' only when Unleash is configured and the flag's state is known (live or
        // from the backup file); otherwise the YAML percent applies.
        flagState: flagState === null ? null : { ...flagState, fetchedAt: flagInfo.lastFetchAt ?? null, stateFrom: flagInfo.stateFrom ?? null },
        flagWarnings: flagState === null ? [] : flagWarnings(route.group, flagState),
        // outcomes: since the process started; `truncated` ones were past the capture cap, not compared.
        // lastMinute: mirrors dropped past the evidence pipeline's capacity mean the evidence is sampled down.
        shadow: route.shadow ? { percent: route.shadow.percent, budget: route.shadow.budget, outcomes: { ...(metrics.routeStats(route.name)?.shadow ?? noOutcomes()) },
          lastMinute: loop.shadowLastMinute?.(route.name, route.shadow.percent) ?? null } : null,
        // null: the route has no breaker. Its state is this process's own.
        breaker: loop.breakers.status(route.name),
        rollout: rolloutStatus(route, percent, loop.lastVerdict(route.name)),
        // What `strangler plan` compares against a rules file (match, upstream, fallback, timeout, …).
        settings: routeSettings(route, active.table.goals),
        observed: {
          legacy: served.legacy, extracted: served.extracted, legacyFallback: served['legacy-fallback'], total,
          extractedShare: total === 0 ? null : Math.round((served.extracted / total) * 10000) / 10000,
        },
      };
    }),
    sockets: pools.socketCounts(),
    websockets: loop.websockets(),
    diffStore: loop.diffStore?.() ?? null,
    tracing: loop.tracing?.() ?? TRACING_OFF,
  };
}

/**
 * Each upstream with its admission figures now (GET /status and GET /stats): `limit` is null
 * until the first request to it was admitted; two names of one origin share one gate.
 */
export function upstreamsNow(upstreams: ReadonlyArray<{ name: string; url: string }>, gates: ReadonlyMap<string, GateView>): Array<Record<string, unknown>> {
  return upstreams.map((u) => {
    const gate = gates.get(u.url);
    return { ...u, limit: gate?.limit ?? null, inFlight: gate?.inFlight ?? 0, queued: gate?.queued ?? 0, mirrors: gate?.mirrors ?? 0, minRttMs: gate?.minRttMs ?? null };
  });
}

/** The route's place in its ramp plan (step 0 = before the first step) and the last verdict the store has. */
export function rolloutStatus(route: CompiledRoute, percent: number, last: LastVerdict | null): Record<string, unknown> | null {
  if (route.rollout === null) return null;
  const steps = route.rollout.steps;
  return {
    steps,
    step: steps.filter((s) => s <= percent).length,
    lastVerdict: last === null ? null : { verdict: last.verdict, at: new Date(last.at).toISOString(), fromPercent: last.fromPercent, toPercent: last.toPercent, summary: last.summary },
  };
}

/** `match.headers` / `match.cookies` as written (values as lists; header names lower-case), or null. */
function conditionsAsMap(route: CompiledRoute, kind: 'header' | 'cookie'): Record<string, readonly string[]> | null {
  const of = route.conditions.filter((c) => c.kind === kind);
  return of.length === 0 ? null : Object.fromEntries(of.map((c) => [c.name, c.values]));
}
