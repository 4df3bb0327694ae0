/**
 * The evidence counters' shape, shared by the proxy (which counts), the store (which sums them per
 * minute) and the readers (rollout, report, dashboard). Pure: no I/O, safe on the shoppers' thread.
 */

/**
 * Upper bounds (ms) of the latency histogram's buckets. Fine at the low end, where loopback and
 * in-datacenter answers live, so a p95 ratio between two fast sides still means something. The
 * last bucket takes everything slower.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500,
  750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 30_000, 60_000, 3_600_000,
]);

/** Index of the bucket a latency falls in. */
export function latencyBucket(ms: number): number {
  const bounds = LATENCY_BOUNDS_MS;
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= bounds[mid]) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/**
 * The q-quantile (0..1) of a histogram given as counts per bucket of LATENCY_BOUNDS_MS, linearly
 * interpolated inside its bucket (as Prometheus' histogram_quantile does); null with no samples.
 */
export function quantileMs(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      const upper = LATENCY_BOUNDS_MS[i];
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

/** Which side a counted request went to; `extracted` counts every request decided for extracted. */
export type TrafficBackend = 'legacy' | 'extracted';

/** Increments for one (minute, route, backend): added to what the store already has. */
export interface TrafficDelta {
  /** Start of the minute (ms since the epoch, a multiple of 60 000). */
  readonly minute: number;
  readonly route: string;
  readonly backend: TrafficBackend;
  requests: number;
  /** As the breaker counts them: refused, reset, timeout, malformed, a fallback_on status, any 5xx. */
  failures: number;
  /** Requests of this backend that were answered by the fallback instead. */
  fallbacks: number;
  latencyMsSum: number;
  /** Counts per bucket of LATENCY_BOUNDS_MS (same length). */
  readonly latency: number[];
}

export function emptyDelta(minute: number, route: string, backend: TrafficBackend): TrafficDelta {
  return { minute, route, backend, requests: 0, failures: 0, fallbacks: 0, latencyMsSum: 0, latency: new Array<number>(LATENCY_BOUNDS_MS.length).fill(0) };
}

/** Adds `from` into `into` (same minute, route and backend). */
export function addDelta(into: TrafficDelta, from: TrafficDelta): void {
  into.requests += from.requests;
  into.failures += from.failures;
  into.fallbacks += from.fallbacks;
  into.latencyMsSum += from.latencyMsSum;
  for (let i = 0; i < into.latency.length; i++) into.latency[i] += from.latency[i] ?? 0;
}

/** One side's counters with nothing counted yet. */
export function emptySide(): { requests: number; failures: number; fallbacks: number; latency: number[] } {
  return { requests: 0, failures: 0, fallbacks: 0, latency: new Array<number>(LATENCY_BOUNDS_MS.length).fill(0) };
}
