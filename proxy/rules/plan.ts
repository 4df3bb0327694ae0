import { effectivePercent } from '../decide/decide';
import { NO_FLAGS } from '../flags/flag-state';
import type { CompiledRules } from './types';

/** What the plan needs to know of one route, from a rules file or from a running proxy's /status. */
export interface PlanRoute {
  readonly name: string;
  readonly group: string;
  /** The percent in force (0 when killed). */
  readonly percent: number;
  readonly killed: boolean;
  readonly shadowPercent: number;
  readonly extracted: string;
}

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
}

export function planRoutesOf(rules: CompiledRules): PlanRoute[] {
  return rules.routes.map((route) => ({
    name: route.name, group: route.group, percent: effectivePercent(route, NO_FLAGS).percent, killed: route.killed,
    shadowPercent: route.shadow ? route.shadow.percent : 0, extracted: route.extracted.name,
  }));
}

function same(a: PlanRoute, b: PlanRoute): boolean {
  return a.group === b.group && a.percent === b.percent && a.killed === b.killed && a.shadowPercent === b.shadowPercent && a.extracted === b.extracted;
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
      rows.push({ route: next.name, change: 'added', old: null, new: next, toExtracted: next.percent / 100, toLegacy: 0, exact: true,
        note: next.percent > 0 ? `new route: buckets 1..${next.percent} go to ${next.extracted}` : 'new route at 0%: everyone stays on legacy' });
      continue;
    }
    if (prev.group !== next.group) {
      const a = prev.percent / 100;
      const b = next.percent / 100;
      rows.push({ route: next.name, change: 'changed', old: prev, new: next, toExtracted: b * (1 - a), toLegacy: a * (1 - b), exact: false,
        note: `group ${prev.group} → ${next.group} rehashes every shopper: shares are expected, not exact` });
      continue;
    }
    const delta = next.percent - prev.percent;
    const note = delta > 0 ? `buckets ${prev.percent + 1}..${next.percent} move to extracted; nobody moves back`
      : delta < 0 ? `buckets ${next.percent + 1}..${prev.percent} move back to legacy; the rest stay`
      : same(prev, next) ? 'no change' : 'no shopper moves';
    rows.push({ route: next.name, change: same(prev, next) ? 'unchanged' : 'changed', old: prev, new: next,
      toExtracted: Math.max(0, delta) / 100, toLegacy: Math.max(0, -delta) / 100, exact: true, note });
  }
  for (const prev of before) {
    if (!newNames.has(prev.name)) {
      rows.push({ route: prev.name, change: 'removed', old: prev, new: null, toExtracted: 0, toLegacy: prev.percent / 100, exact: true,
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
  if (changed.length === 0) return 'No changes: every route keeps its percent, group and shadow.';
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
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n');
}
