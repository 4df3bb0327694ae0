import type { IncomingHttpHeaders } from 'node:http';

/** One problem found in a rules file, with where it is and what would fix it. */
export interface RuleIssue {
  readonly level: 'error' | 'warning';
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly route?: string;
  readonly hint?: string;
}

export interface Upstream {
  readonly name: string;
  /** The origin (`http://host:port`) requests are sent to; one connection pool each. */
  readonly url: string;
}

export type StickySource = { readonly kind: 'cookie' | 'header'; readonly name: string; readonly label: string };

/** One `match.headers` / `match.cookies` entry: the request's value must be one of `values`. */
export interface MatchCondition {
  readonly kind: 'header' | 'cookie';
  /** Header names lower-case (as Node gives them); cookie names as written. */
  readonly name: string;
  readonly values: readonly string[];
}

export interface ShadowConfig {
  readonly percent: number;
  readonly ignore: readonly string[];
  readonly budget: number;
  readonly arrayKeys: Readonly<Record<string, string>>;
  readonly normalisers: readonly string[];
}

/** DESIGN "Circuit breaker per route"; durations in ms. */
export interface BreakerConfig {
  readonly failureRate: number;
  readonly minRequests: number;
  readonly windowMs: number;
  readonly openForMs: number;
  readonly probes: number;
}

/** DESIGN "Conversion guard": a named goal is a route plus a status class. */
export interface ConversionGoal {
  readonly name: string;
  readonly route: string;
  /** The status class that counts: 2 for 2xx. */
  readonly statusClass: number;
}

/** A route's conversion guard: judged by `strangler rollout` with a sequential test (shadow/stats/conversion-test.ts). */
export interface ConversionGuard {
  readonly goal: string;
  /** Largest relative drop of extracted's rate against legacy's that is tolerated (0.05: 5 % fewer). */
  readonly maxDrop: number;
  readonly minShoppers: number;
  readonly confidence: number;
}

/** A route's ramp plan, judged by `strangler rollout`; durations in ms. */
export interface RolloutPlan {
  readonly steps: readonly number[];
  readonly minDurationMs: number;
  readonly minRequests: number;
  readonly maxErrorRate: number;
  readonly maxMismatchRate: number;
  /** Extracted p95 / legacy p95; null: not judged. */
  readonly maxLatencyRatio: number | null;
  readonly retireAfterMs: number;
  /** The conversion guard; null: not judged. */
  readonly guard: ConversionGuard | null;
}

/** DESIGN "Overload": a token bucket per key; `rate` tokens a second, at most `burst` saved up. */
export interface RateLimitConfig {
  readonly by: 'identity' | 'ip' | 'header';
  /** The header read when `by` is header (lower case); null otherwise. */
  readonly header: string | null;
  readonly perSecond: number;
  readonly burst: number;
  /** As written (`20/s`), for the RateLimit-Policy header and plan: count and window in seconds. */
  readonly quota: number;
  readonly windowSeconds: number;
}

/** 0 critical, 1 normal, 2 low: who gets a free upstream slot first. */
export type RoutePriority = 0 | 1 | 2;

/** One Unleash context field and where it is read from (first present wins). */
export interface ContextSource {
  readonly field: string;
  readonly sources: readonly StickySource[];
}

export interface CompiledRoute {
  readonly index: number;
  readonly name: string;
  /** Upper-case methods, or null for every method. */
  readonly methods: ReadonlySet<string> | null;
  readonly path: string;
  readonly pattern: RegExp;
  /** `match.headers` then `match.cookies`: all must hold. Empty: method and path decide alone. */
  readonly conditions: readonly MatchCondition[];
  readonly extracted: Upstream;
  readonly percent: number;
  readonly percentSource: 'yaml' | 'default';
  readonly group: string;
  readonly fallback: Upstream | null;
  readonly fallbackOn: ReadonlySet<number>;
  readonly killed: boolean;
  readonly flag: string | null;
  readonly stickyBy: readonly StickySource[];
  readonly timeoutMs: number;
  readonly shadow: ShadowConfig | null;
  readonly breaker: BreakerConfig | null;
  readonly rollout: RolloutPlan | null;
  /** The Unleash context fields a flagged route's evaluation gets besides userId and remoteAddress. */
  readonly context: readonly ContextSource[];
  /** `Upgrade: websocket` handshakes are proxied (else every upgrade on the route gets 501). */
  readonly websocket: boolean;
  /** Longest wait for an upstream slot before the request is shed; null: admission control off for the route. */
  readonly maxQueueMs: number | null;
  readonly priority: RoutePriority;
  readonly rateLimit: RateLimitConfig | null;
}

/** The immutable route table: built whole or not at all, swapped whole on reload. */
export interface CompiledRules {
  readonly file: string;
  readonly hash: string;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly legacy: Upstream;
  readonly routes: readonly CompiledRoute[];
  readonly defaults: { readonly stickyBy: readonly StickySource[]; readonly timeoutMs: number; readonly maxQueueMs: number | null };
  /** The top-level `goals`, in file order. */
  readonly goals: readonly ConversionGoal[];
  /** First route (in file order) matching method, raw path and conditions on the headers, or null. */
  readonly match: (method: string, path: string, headers: IncomingHttpHeaders) => CompiledRoute | null;
}

export type LoadResult =
  | { readonly ok: true; readonly rules: CompiledRules; readonly warnings: readonly RuleIssue[] }
  | { readonly ok: false; readonly errors: readonly RuleIssue[]; readonly warnings: readonly RuleIssue[] };

/** The rules file as written (after schema validation). */
export interface RawRules {
  version: 1;
  upstreams: Record<string, string>;
  defaults?: { sticky_by?: string[]; timeout_ms?: number; breaker?: RawBreaker | false; context?: Record<string, string[]>; overload?: RawOverload | false };
  goals?: Record<string, RawGoal>;
  routes: RawRoute[];
}

export interface RawGoal { route: string; status?: string }
export interface RawGuard { goal: string; max_drop?: number; min_shoppers?: number; confidence?: number }

export interface RawRoute {
  name: string;
  match: { methods?: string[]; path: string; headers?: Record<string, string | string[]>; cookies?: Record<string, string | string[]> };
  extracted: string;
  percent?: number;
  group?: string;
  fallback?: string;
  fallback_on?: number[];
  killed?: boolean;
  websocket?: boolean;
  flag?: string;
  sticky_by?: string[];
  timeout_ms?: number;
  breaker?: RawBreaker | false;
  rollout?: RawRollout;
  context?: Record<string, string[]>;
  shadow?: { percent?: number; ignore?: string[]; budget?: number; array_keys?: Record<string, string>; normalisers?: string[] };
  overload?: RawOverload | false;
  priority?: 'critical' | 'normal' | 'low';
  rate_limit?: RawRateLimit;
}

export interface RawOverload { max_queue?: string }
export interface RawRateLimit { by?: string; rate: string; burst?: number }

export interface RawBreaker { failure_rate?: number; min_requests?: number; window?: string; open_for?: string; probes?: number }

export interface RawRollout {
  steps: number[];
  min_duration?: string;
  min_requests?: number;
  max_error_rate?: number;
  max_mismatch_rate?: number;
  max_latency_ratio?: number;
  retire_after?: string;
  guard?: RawGuard;
}
