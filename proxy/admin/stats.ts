import { conversionView, type ConversionView } from '../../shadow/stats/conversion-verdict';
import type { GuardWindow } from '../../shadow/store/guard-window';
import { effectivePercent } from '../decide/decide';
import type { FlagSource } from '../flags/flag-state';
import { SLOT_MS, WINDOWS, type TrafficWindows, type WindowName } from '../observability/traffic-windows';
import { formatIssue } from '../rules/load';
import type { RulesStore } from '../rules/store';
import type { CompiledRoute } from '../rules/types';
import { rolloutStatus, upstreamsNow, type LoopState } from './status';

const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];

/** How the rules file stands, for the dashboard: a rejected edit (a ramp is one) must show at once. */
export interface RulesHealth {
  /** The epoch served. */
  readonly epoch: number;
  /** The last reload was refused (the file is invalid): the proxy serves the last good rules. */
  readonly servingLastGood: boolean;
  /** Why, one issue a line (`file:line:col: error: message (hint)`); null when the last reload was good. */
  readonly error: string | null;
  /** When the last reload was tried (ISO). */
  readonly lastReloadAt: string;
}

export function rulesHealth(store: RulesStore): RulesHealth {
  const last = store.lastReload();
  const refused = last.result === 'failure';
  return { epoch: store.current().epoch, servingLastGood: refused, error: refused ? last.errors.map(formatIssue).join('\n') : null, lastReloadAt: last.at };
}

/** /stats `routes[].conversion`: the report's block (conversion-verdict.ts) over the current step, and when the store was read. */
export type StatsConversion = ConversionView & { readonly since: string; readonly until: string };

/**
 * A guarded route's conversion per side with its interval and verdict, from the store's counts (which
 * every worker and replica add to); null for a route without a guard, or before the first read.
 */
export function statsConversion(route: CompiledRoute, percent: number, read: GuardWindow | undefined): StatsConversion | null {
  const guard = route.rollout?.guard;
  if (!guard || read === undefined) return null;
  return { ...conversionView(guard, read, percent), since: new Date(read.since).toISOString(), until: new Date(read.until).toISOString() };
}

/**
 * The JSON behind GET /stats, which the dashboard polls every second: per route, in file order,
 * its percent and source, breaker and rollout (as /status has them), and for the last minute and
 * the last 15 minutes per backend the requests, requests/s, failure rate and p50/p95, the shadow
 * comparisons, the requests the proxy shed itself (overload 503s and rate-limit 429s, per
 * second), and requests/s by backend in 10-second slots. Figures without a sample are null.
 * `upstreams` has each upstream's admission control now: learned limit, in flight, waiting.
 * `rules` says whether the last edit of the rules file was refused; `workers`, how many processes
 * serve shoppers (1 here; a cluster's primary puts its count of serving workers). A route with a
 * conversion guard has `conversion`: the store's counts over the current step, read every few seconds.
 */
export function statsReport(store: RulesStore, flags: FlagSource, loop: LoopState, windows: TrafficWindows, now: number, withRaw = false): Record<string, unknown> {
  const active = store.current();
  const snapshot = flags.current();
  const guarded = active.table.routes.filter((r) => r.rollout?.guard).map((r) => r.name);
  const conversions = guarded.length > 0 ? loop.conversions?.(guarded, now) : undefined;
  return {
    at: new Date(now).toISOString(),
    epoch: active.epoch,
    rules: rulesHealth(store),
    workers: 1,
    since: new Date(windows.since).toISOString(),
    slotSeconds: SLOT_MS / 1000,
    upstreams: upstreamsNow([...active.table.upstreams].map(([name, u]) => ({ name, url: u.url })), loop.admission?.view() ?? new Map()),
    routes: active.table.routes.map((route) => {
      const { percent, source } = effectivePercent(route, snapshot);
      const byWindow = Object.fromEntries(WINDOW_NAMES.map((name) => [name, windows.window(route.name, name, now)]));
      const quarter = byWindow['15m'];
      return {
        name: route.name,
        extracted: route.extracted.name,
        percent,
        percentSource: source,
        breaker: loop.breakers.status(route.name),
        rollout: rolloutStatus(route, percent, loop.lastVerdict(route.name)),
        conversion: statsConversion(route, percent, conversions?.get(route.name)),
        windows: Object.fromEntries(WINDOW_NAMES.map((name) => {
          const w = byWindow[name];
          return [name, { seconds: w.seconds, legacy: w.legacy, extracted: w.extracted, shed: w.shed }];
        })),
        // Over the last 15 minutes; `windows` has the same per window.
        shadow: {
          percent: route.shadow?.percent ?? null,
          budget: route.shadow?.budget ?? null,
          ...quarter.shadow,
          windows: Object.fromEntries(WINDOW_NAMES.map((name) => [name, byWindow[name].shadow])),
        },
        series: windows.series(route.name, now),
        // A cluster worker adds its counts, which its primary sums over workers (cluster/merge.ts).
        ...(withRaw ? { raw: Object.fromEntries(WINDOW_NAMES.map((name) => [name, windows.raw(route.name, name, now)])) } : {}),
      };
    }),
  };
}
