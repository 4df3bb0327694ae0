import { conditionsOf } from './conditions';
import { parseDuration } from './duration';
import { compilePathPattern } from './path-pattern';
import { buildRouteMatcher } from './route-index';
import type { BreakerConfig, CompiledRoute, ContextSource, CompiledRules, ConversionGoal, ConversionGuard, RawGoal, RawGuard, RateLimitConfig, RawBreaker, RawOverload, RawRateLimit, RawRollout, RawRules, RolloutPlan, RoutePriority, StickySource, Upstream } from './types';

export const DEFAULT_STICKY_BY = ['cookie:strangler_id', 'header:x-user-id'];
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_FALLBACK_ON: readonly number[] = [502, 503, 504];
/** DESIGN "Overload": admission control is on unless the file says `overload: false`. */
export const DEFAULT_MAX_QUEUE_MS = 1000;
const PRIORITY: Record<string, RoutePriority> = { critical: 0, normal: 1, low: 2 };

function stickySources(list: readonly string[]): StickySource[] {
  return list.map((entry) => {
    const colon = entry.indexOf(':');
    const kind = entry.slice(0, colon) as 'cookie' | 'header';
    const name = entry.slice(colon + 1);
    return Object.freeze({ kind, name: kind === 'header' ? name.toLowerCase() : name, label: entry });
  });
}

/** What a breaker uses for a key neither the route nor `defaults.breaker` sets. */
export const BREAKER_DEFAULTS: BreakerConfig = Object.freeze({ failureRate: 0.5, minRequests: 20, windowMs: 10_000, openForMs: 30_000, probes: 5 });

/** A route's breaker: its own keys over `defaults.breaker` over BREAKER_DEFAULTS; none when neither is set or the route says false. */
function breakerOf(own: RawBreaker | false | undefined, defaults: RawBreaker | false | undefined): BreakerConfig | null {
  if (own === false || (own === undefined && (defaults === undefined || defaults === false))) return null;
  const raw = { ...(defaults || {}), ...(own ?? {}) };
  const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : parseDuration(text) ?? fallback);
  return Object.freeze({
    failureRate: raw.failure_rate ?? BREAKER_DEFAULTS.failureRate,
    minRequests: raw.min_requests ?? BREAKER_DEFAULTS.minRequests,
    windowMs: ms(raw.window, BREAKER_DEFAULTS.windowMs),
    openForMs: ms(raw.open_for, BREAKER_DEFAULTS.openForMs),
    probes: raw.probes ?? BREAKER_DEFAULTS.probes,
  });
}

/** DESIGN "Conversion guard": the defaults of a guard's keys. */
export const GUARD_DEFAULTS = Object.freeze({ maxDrop: 0.05, minShoppers: 500, confidence: 0.95 });

function guardOf(raw: RawGuard | undefined): ConversionGuard | null {
  if (raw === undefined) return null;
  return Object.freeze({
    goal: raw.goal,
    maxDrop: raw.max_drop ?? GUARD_DEFAULTS.maxDrop,
    minShoppers: raw.min_shoppers ?? GUARD_DEFAULTS.minShoppers,
    confidence: raw.confidence ?? GUARD_DEFAULTS.confidence,
  });
}

function goalsOf(raw: Record<string, RawGoal> | undefined): readonly ConversionGoal[] {
  return Object.freeze(Object.entries(raw ?? {}).map(([name, goal]) => Object.freeze({ name, route: goal.route, statusClass: Number((goal.status ?? '2xx')[0]) })));
}

function rolloutOf(raw: RawRollout | undefined, shadowBudget: number | undefined): RolloutPlan | null {
  if (raw === undefined) return null;
  const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : parseDuration(text) ?? fallback);
  return Object.freeze({
    steps: Object.freeze([...raw.steps]),
    minDurationMs: ms(raw.min_duration, 3_600_000),
    minRequests: raw.min_requests ?? 200,
    maxErrorRate: raw.max_error_rate ?? 0.01,
    maxMismatchRate: raw.max_mismatch_rate ?? shadowBudget ?? 0.01,
    maxLatencyRatio: raw.max_latency_ratio ?? null,
    retireAfterMs: ms(raw.retire_after, 30 * 86_400_000),
    guard: guardOf(raw.guard),
  });
}

/** max_queue in ms: the route's own `overload` over the defaults'; null when either turns it off. */
function maxQueueOf(own: RawOverload | false | undefined, defaults: number | null): number | null {
  if (own === false) return null;
  if (own === undefined || own.max_queue === undefined) return own === undefined ? defaults : (defaults ?? DEFAULT_MAX_QUEUE_MS);
  return parseDuration(own.max_queue) ?? DEFAULT_MAX_QUEUE_MS;
}

/** "20/s" or "600/m" (validated by the schema) as a bucket: tokens a second and how many can be saved up. */
export function rateLimitOf(raw: RawRateLimit | undefined): RateLimitConfig | null {
  if (raw === undefined) return null;
  const [count, unit] = raw.rate.split('/');
  const quota = Number(count);
  const windowSeconds = unit === 'm' ? 60 : 1;
  const by = raw.by ?? 'identity';
  const header = by.startsWith('header:') ? by.slice('header:'.length).toLowerCase() : null;
  return Object.freeze({
    by: header !== null ? 'header' as const : by as 'identity' | 'ip',
    header,
    perSecond: quota / windowSeconds,
    burst: raw.burst ?? Math.max(1, Math.ceil(quota)),
    quota,
    windowSeconds,
  });
}

/** A route's Unleash context fields: its own `context` merged over `defaults.context`, field by field. */
function contextOf(own: Record<string, string[]> | undefined, defaults: Record<string, string[]> | undefined): readonly ContextSource[] {
  const merged = { ...(defaults ?? {}), ...(own ?? {}) };
  return Object.freeze(Object.entries(merged).map(([field, sources]) => Object.freeze({ field, sources: Object.freeze(stickySources(sources)) })));
}

function upstreamOf(name: string, url: string): Upstream {
  const parsed = new URL(url);
  return Object.freeze({ name, url: `http://${parsed.host}` });
}

/** Turns a validated file into the frozen route table. Only called on input that passed validation. */
export function compileRules(raw: RawRules, file: string, hash: string): CompiledRules {
  const upstreams = new Map<string, Upstream>();
  for (const [name, url] of Object.entries(raw.upstreams)) upstreams.set(name, upstreamOf(name, url));
  const legacy = upstreams.get('legacy') as Upstream;
  const defaultOverload = raw.defaults?.overload;
  const defaults = Object.freeze({
    stickyBy: Object.freeze(stickySources(raw.defaults?.sticky_by ?? DEFAULT_STICKY_BY)),
    timeoutMs: raw.defaults?.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    maxQueueMs: defaultOverload === false ? null : (defaultOverload?.max_queue !== undefined ? parseDuration(defaultOverload.max_queue) ?? DEFAULT_MAX_QUEUE_MS : DEFAULT_MAX_QUEUE_MS),
  });
  const routes: CompiledRoute[] = raw.routes.map((r, index) => Object.freeze({
    index,
    name: r.name,
    methods: r.match.methods ? new Set(r.match.methods) : null,
    path: r.match.path,
    pattern: compilePathPattern(r.match.path),
    conditions: Object.freeze([...conditionsOf('header', r.match.headers), ...conditionsOf('cookie', r.match.cookies)]),
    extracted: upstreams.get(r.extracted) as Upstream,
    percent: r.percent ?? 0,
    percentSource: r.percent === undefined ? 'default' as const : 'yaml' as const,
    group: r.group ?? r.name,
    fallback: r.fallback === 'none' ? null : (upstreams.get(r.fallback ?? 'legacy') as Upstream),
    fallbackOn: new Set(r.fallback_on ?? DEFAULT_FALLBACK_ON),
    killed: r.killed ?? false,
    flag: r.flag ?? null,
    stickyBy: r.sticky_by ? Object.freeze(stickySources(r.sticky_by)) : defaults.stickyBy,
    timeoutMs: r.timeout_ms ?? defaults.timeoutMs,
    shadow: r.shadow && (r.shadow.percent ?? 0) > 0 ? Object.freeze({
      percent: r.shadow.percent ?? 0,
      ignore: Object.freeze([...(r.shadow.ignore ?? [])]),
      budget: r.shadow.budget ?? 0.01,
      arrayKeys: Object.freeze({ ...(r.shadow.array_keys ?? {}) }),
      normalisers: Object.freeze([...(r.shadow.normalisers ?? [])]),
    }) : null,
    breaker: breakerOf(r.breaker, raw.defaults?.breaker),
    rollout: rolloutOf(r.rollout, r.shadow?.budget),
    context: contextOf(r.context, raw.defaults?.context),
    websocket: r.websocket ?? false,
    maxQueueMs: maxQueueOf(r.overload, defaults.maxQueueMs),
    priority: PRIORITY[r.priority ?? 'normal'],
    rateLimit: rateLimitOf(r.rate_limit),
  }));
  Object.freeze(routes);
  return Object.freeze({ file, hash, upstreams, legacy, routes, defaults, goals: goalsOf(raw.goals), match: buildRouteMatcher(routes) });
}
