import { effectivePercent } from '../decide/decide';
import { flagWarnings } from '../flags/feature-to-flag';
import type { FlagSource } from '../flags/flag-state';
import type { UpstreamPools } from '../forward/pools';
import { noOutcomes } from '../../shadow/outcomes';
import type { ProxyMetrics } from '../observability/metrics';
import { formatIssue } from '../rules/load';
import { routeSettings } from '../rules/plan';
import type { RulesStore } from '../rules/store';

/** The JSON behind GET /status: what is active, how the last reload went, and each route's split. */
export function statusReport(store: RulesStore, flags: FlagSource, metrics: ProxyMetrics, pools: UpstreamPools): Record<string, unknown> {
  const active = store.current();
  const last = store.lastReload();
  const snapshot = flags.current();
  const flagInfo = flags.info();
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
    upstreams: Object.fromEntries([...active.table.upstreams].map(([name, u]) => [name, u.url])),
    unleash: flagInfo,
    routes: active.table.routes.map((route) => {
      const { percent, source } = effectivePercent(route, snapshot);
      const flagState = route.flag !== null ? snapshot.get(route.flag) ?? null : null;
      const served = metrics.routeStats(route.name)?.served ?? { legacy: 0, extracted: 0, 'legacy-fallback': 0 };
      const total = served.legacy + served.extracted + served['legacy-fallback'];
      return {
        name: route.name,
        match: { methods: route.methods ? [...route.methods] : null, path: route.path },
        extracted: route.extracted.name,
        group: route.group,
        percent,
        percentSource: source,
        yamlPercent: route.percent,
        killed: route.killed,
        flag: route.flag,
        // source 'flag' only when Unleash is configured and the flag's state is known (live or
        // from the backup file); otherwise the YAML percent applies.
        flagState: flagState === null ? null : { ...flagState, fetchedAt: flagInfo.lastFetchAt ?? null, stateFrom: flagInfo.stateFrom ?? null },
        flagWarnings: flagState === null ? [] : flagWarnings(route.group, flagState),
        // outcomes: since the process started; `truncated` ones were past the capture cap, not compared.
        shadow: route.shadow ? { percent: route.shadow.percent, budget: route.shadow.budget, outcomes: { ...(metrics.routeStats(route.name)?.shadow ?? noOutcomes()) } } : null,
        // What `strangler plan` compares against a rules file (match, upstream, fallback, timeout, …).
        settings: routeSettings(route),
        observed: {
          legacy: served.legacy, extracted: served.extracted, legacyFallback: served['legacy-fallback'], total,
          extractedShare: total === 0 ? null : Math.round((served.extracted / total) * 10000) / 10000,
        },
      };
    }),
    sockets: pools.socketCounts(),
  };
}
