import { describeConditions } from './conditions';
import { effectivePercent } from '../decide/decide';
import { NO_FLAGS } from '../flags/flag-state';
import { formatDuration } from './duration';
import type { CompiledRoute, CompiledRules, ConversionGoal, ConversionGuard, RateLimitConfig } from './types';

/** What the plan needs to know of one route, from a rules file or from a running proxy's /status. */
export interface PlanRoute {
  readonly name: string;
  readonly group: string;
  /** The percent in force (0 when killed). */
  readonly percent: number;
  readonly killed: boolean;
  readonly shadowPercent: number;
  readonly extracted: string;
  /**
   * Everything else that affects routing, as display strings (match, upstream, fallback,
   * timeout, identity, flag, shadow settings). Empty from a proxy too old to report it.
   */
  readonly settings: Readonly<Record<string, string>>;
}

/** One setting that differs between the old and the new route. */
export interface SettingChange { readonly key: string; readonly old: string; readonly new: string }

export interface PlanRow {
  readonly route: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly old: PlanRoute | null;
  readonly new: PlanRoute | null;
  /** Share of shoppers (0..1) moving from legacy to extracted, and back. */
  readonly toExtracted: number;
  readonly toLegacy: number;
  /** True when the shares are exact (same group: the bucket line moved); false when they are expected values. */
  readonly exact: boolean;
  readonly note: string;
  /** Settings besides percent, group and kill switch that changed. */
  readonly settingChanges: readonly SettingChange[];
}

/** The routing settings of a compiled route, as plan compares them (also reported by /status). */
export function routeSettings(route: CompiledRoute, goals: readonly ConversionGoal[] = []): Record<string, string> {
  const shadow = route.shadow;
  const guard = route.rollout?.guard ?? null;
  return {
    match: `${route.methods ? [...route.methods].sort().join(',') : '*'} ${route.path}${route.conditions.length ? ` when ${describeConditions(route.conditions)}` : ''}`,
    upstream: `${route.extracted.name} (${route.extracted.url})`,
    fallback: route.fallback ? `${route.fallback.name} on ${[...route.fallbackOn].sort((a, b) => a - b).join(',')}` : 'none',
    timeout_ms: String(route.timeoutMs),
    sticky_by: route.stickyBy.map((s) => s.label).join(','),
    flag: route.flag ?? 'none',
    websocket: String(route.websocket),
    priority: ['critical', 'normal', 'low'][route.priority],
    overload: route.maxQueueMs === null ? 'off' : `max_queue ${formatDuration(route.maxQueueMs)}`,
    rate_limit: route.rateLimit === null ? 'none' : rateLimitText(route.rateLimit),
    guard: guard === null ? 'none' : guardText(guard, goals),
    shadow: shadow ? `ignore ${shadow.ignore.join(',') || '-'}; budget ${shadow.budget}; array_keys ${JSON.stringify(shadow.arrayKeys)}; normalisers ${shadow.normalisers.join(',') || '-'}` : 'none',
  };
}

/** `order (checkout 2xx): max_drop 0.05, min_shoppers 500, confidence 0.95`: the goal's definition too, so a changed goal shows. */
function guardText(guard: ConversionGuard, goals: readonly ConversionGoal[]): string {
  const goal = goals.find((g) => g.name === guard.goal);
  return `${guard.goal}${goal ? ` (${goal.route} ${goal.statusClass}xx)` : ''}: max_drop ${guard.maxDrop}, min_shoppers ${guard.minShoppers}, confidence ${guard.confidence}`;
}

function rateLimitText(limit: RateLimitConfig): string {
  const by = limit.by === 'header' ? `header:${limit.header}` : limit.by;
  return `${limit.quota}/${limit.windowSeconds === 60 ? 'm' : 's'} by ${by}, burst ${limit.burst}`;
}

function settingChanges(a: PlanRoute, b: PlanRoute): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const key of Object.keys(b.settings)) {
    const old = a.settings[key];
    if (old !== undefined && old !== b.settings[key]) changes.push({ key, old, new: b.settings[key] });
  }
  return changes;
}

export function planRoutesOf(rules: CompiledRules): PlanRoute[] {
  return rules.routes.map((route) => ({
    name: route.name, group: route.group, percent: effectivePercent(route, NO_FLAGS).percent, killed: route.killed,
    shadowPercent: route.shadow ? route.shadow.percent : 0, extracted: route.extracted.name, settings: routeSettings(route, rules.goals),
  }));
}

function same(a: PlanRoute, b: PlanRoute): boolean {
  return a.group === b.group && a.percent === b.percent && a.killed === b.killed && a.shadowPercent === b.shadowPercent && a.extracted === b.extracted
    && settingChanges(a, b).length === 0;
}

/**
 * Exactly who moves: with the same group a shopper's bucket does not change, so raising a → b moves
 * buckets a+1..b to extracted and nobody back; lowering moves b+1..a back. A changed group rehashes
 * every shopper, so the shares are expected values, not exact.
 */
export function planChange(before: readonly PlanRoute[], after: readonly PlanRoute[]): PlanRow[] {
  const rows: PlanRow[] = [];
  const oldByName = new Map(before.map((r) => [r.name, r]));
  const newNames = new Set(after.map((r) => r.name));
  for (const next of after) {
    const prev = oldByName.get(next.name) ?? null;
    if (prev === null) {
      rows.push({ route: next.name, change: 'added', old: null, new: next, toExtracted: next.percent / 100, toLegacy: 0, exact: true, settingChanges: [],
        note: next.percent > 0 ? `new route: buckets 1..${next.percent} go to ${next.extracted}` : 'new route at 0%: everyone stays on legacy' });
      continue;
    }
    const changes = settingChanges(prev, next);
    if (prev.group !== next.group) {
      const a = prev.percent / 100;
      const b = next.percent / 100;
      rows.push({ route: next.name, change: 'changed', old: prev, new: next, toExtracted: b * (1 - a), toLegacy: a * (1 - b), exact: false, settingChanges: changes,
        note: `group ${prev.group} → ${next.group} rehashes every shopper: shares are expected, not exact` });
      continue;
    }
    // A new match moves whoever now requests (or no longer requests) those paths: the shares cannot be known from the files.
    const matchMoved = changes.some((c) => c.key === 'match');
    const delta = next.percent - prev.percent;
    const note = matchMoved ? 'the match changed: requests that now match (or no longer match) this route move; how many cannot be known from the files'
      : delta > 0 ? `buckets ${prev.percent + 1}..${next.percent} move to extracted; nobody moves back`
      : delta < 0 ? `buckets ${next.percent + 1}..${prev.percent} move back to legacy; the rest stay`
      : same(prev, next) ? 'no change' : 'no shopper changes side';
    rows.push({ route: next.name, change: same(prev, next) ? 'unchanged' : 'changed', old: prev, new: next,
      toExtracted: matchMoved ? 0 : Math.max(0, delta) / 100, toLegacy: matchMoved ? 0 : Math.max(0, -delta) / 100, exact: !matchMoved, note, settingChanges: changes });
  }
  for (const prev of before) {
    if (!newNames.has(prev.name)) {
      rows.push({ route: prev.name, change: 'removed', old: prev, new: null, toExtracted: 0, toLegacy: prev.percent / 100, exact: true, settingChanges: [],
        note: 'route removed: its requests go to legacy (or to a later matching route)' });
    }
  }
  return rows;
}

function describe(route: PlanRoute | null): string {
  if (route === null) return '-';
  return route.killed ? 'killed (0%)' : `${route.percent}%`;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The human table `strangler plan` and `ramp` print. */
export function formatPlan(rows: readonly PlanRow[]): string {
  const changed = rows.filter((r) => r.change !== 'unchanged');
  if (changed.length === 0) return 'No changes: every route keeps its match, sides, percent, group, fallback, timeout and shadow.';
  const table = changed.map((r) => [
    r.route,
    `${describe(r.old)} → ${describe(r.new)}`,
    `${r.old ? r.old.shadowPercent : '-'} → ${r.new ? r.new.shadowPercent : '-'}`,
    r.toExtracted > 0 ? `${r.exact ? '' : '~'}${pct(r.toExtracted)} legacy→extracted` : '',
    r.toLegacy > 0 ? `${r.exact ? '' : '~'}${pct(r.toLegacy)} extracted→legacy` : '',
    r.note,
  ]);
  const header = ['route', 'extracted share', 'shadow %', 'moving in', 'moving out', 'who'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const settings = changed.flatMap((r) => r.settingChanges.map((c) => `  ${r.route}: ${c.key} ${c.old} → ${c.new}`));
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line), ...(settings.length ? ['', 'Other changes that affect routing:', ...settings] : [])].join('\n');
}
