import type { IncomingHttpHeaders } from 'node:http';
import { cookieValue } from '../decide/identity';
import type { MatchCondition } from './types';

/** `{ x-region: [eu, uk] }` or `{ region: eu }` (a single value is a list of one) to conditions. */
export function conditionsOf(kind: 'header' | 'cookie', raw: Record<string, string | string[]> | undefined): MatchCondition[] {
  if (raw === undefined) return [];
  return Object.entries(raw).map(([name, value]) => Object.freeze({
    kind, name: kind === 'header' ? name.toLowerCase() : name, values: Object.freeze(Array.isArray(value) ? [...value] : [value]),
  }));
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  return Array.isArray(raw) ? raw[0] : raw;
}

/** Every condition holds (AND across keys; a missing header or cookie never matches). Exact values. */
export function conditionsHold(conditions: readonly MatchCondition[], headers: IncomingHttpHeaders): boolean {
  for (const condition of conditions) {
    const value = condition.kind === 'header' ? headerValue(headers, condition.name) : cookieValue(headers.cookie, condition.name);
    if (value === undefined || value === null || !condition.values.includes(value)) return false;
  }
  return true;
}

/**
 * True when every request meeting `later`'s conditions also meets `earlier`'s: each of the earlier
 * route's keys is in the later one with no value the earlier one lacks. No conditions at all: true.
 */
export function conditionsImply(later: readonly MatchCondition[], earlier: readonly MatchCondition[]): boolean {
  return earlier.every((e) => later.some((l) => l.kind === e.kind && l.name === e.name && l.values.every((v) => e.values.includes(v))));
}

/** `header x-region in [eu]`, for plan and status. */
export function describeConditions(conditions: readonly MatchCondition[]): string {
  return conditions.map((c) => `${c.kind} ${c.name} ${c.values.length === 1 ? `= ${c.values[0]}` : `in [${c.values.join(', ')}]`}`).join(' and ');
}
