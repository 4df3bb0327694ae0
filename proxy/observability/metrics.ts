import client from 'prom-client';
import type { BreakerStatus } from '../breaker/route-breaker';
import { noOutcomes, type ShadowOutcome } from '../../shadow/outcomes';
import type { Backend } from '../forward/transforms/response-headers';
import { LocalHistogram, type HistogramCell } from './local-histogram';

/** Requests that matched no route are labelled with this, never with their raw path. */
export const UNMATCHED_ROUTE = '(unmatched)';

const BREAKER_STATE_VALUE = { closed: 0, open: 1, 'half-open': 2 } as const;

const BACKENDS: readonly Backend[] = ['legacy', 'extracted', 'legacy-fallback'];

/**
 * Per route: plain counters the request path increments (no prom-client call per request);
 * prom-client reads them at scrape time. `served` is the observed split for /status.
 */
export class RouteStats {
  readonly served: Record<Backend, number> = { legacy: 0, extracted: 0, 'legacy-fallback': 0 };
  private readonly durations: Record<Backend, HistogramCell>;
  /** Requests answered, per backend, per status code. */
  readonly answered: Record<Backend, Map<number, number>> = { legacy: new Map(), extracted: new Map(), 'legacy-fallback': new Map() };
  /** Sampled requests by shadow outcome since start, as the shadow worker reports them (in batches, not per request). */
  readonly shadow: Record<ShadowOutcome, number> = noOutcomes();

  constructor(durations: LocalHistogram, readonly route: string) {
    this.durations = Object.fromEntries(BACKENDS.map((b) => [b, durations.cell(`${route}\n${b}`, { route, backend: b })])) as Record<Backend, HistogramCell>;
  }

  observe(backend: Backend, status: number, seconds: number): void {
    this.served[backend]++;
    this.durations[backend].observe(seconds);
    const counts = this.answered[backend];
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
}

/** Every metric the proxy exposes, on its own registry, named in Prometheus style. */
export class ProxyMetrics {
  readonly registry = new client.Registry();
  private readonly routes = new Map<string, RouteStats>();
  readonly requests = new client.Counter({
    name: 'strangler_requests_total', help: 'Requests answered by a backend (or failed towards one), by route, backend and status code; requests the proxy shed or rate-limited are in strangler_shed_total', labelNames: ['route', 'backend', 'code'], registers: [this.registry],
    // Totals are kept in RouteStats; the counter takes them at each scrape.
    collect: () => {
      this.requests.reset();
      for (const stats of this.routes.values()) {
        for (const backend of BACKENDS) {
          for (const [code, n] of stats.answered[backend]) this.requests.labels(stats.route, backend, String(code)).inc(n);
        }
      }
    },
  });
  readonly duration = new LocalHistogram('strangler_request_duration_seconds', 'Time from request to the end of the response, by route and backend',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly fallbacks = new client.Counter({ name: 'strangler_fallbacks_total', help: 'Requests retried on the fallback upstream, by route and reason', labelNames: ['route', 'reason'], registers: [this.registry] });
  readonly upstreamFailures = new client.Counter({ name: 'strangler_upstream_failures_total', help: 'Upstream exchanges that failed before a response, by route, upstream and reason', labelNames: ['route', 'upstream', 'reason'], registers: [this.registry] });
  readonly rejected = new client.Counter({ name: 'strangler_rejected_requests_total', help: 'Requests the proxy refused itself, by error code', labelNames: ['code'], registers: [this.registry] });
  readonly routePercent = new client.Gauge({ name: 'strangler_route_percent', help: 'Configured percent of shoppers sent to extracted, per route (after kill switch and flags)', labelNames: ['route'], registers: [this.registry], aggregator: 'first' });
  readonly reloads = new client.Counter({ name: 'strangler_config_reloads_total', help: 'Rules reloads by result', labelNames: ['result'], registers: [this.registry] });
  readonly rulesEpoch = new client.Gauge({ name: 'strangler_rules_epoch', help: 'Epoch of the active rules (increments on each successful reload)', registers: [this.registry], aggregator: 'max' });
  readonly rulesValid = new client.Gauge({ name: 'strangler_rules_last_reload_success', help: '1 when the last reload attempt succeeded, 0 when the proxy is serving older rules because the file is invalid', registers: [this.registry], aggregator: 'min' });
  readonly shadowOutcomes = new client.Counter({ name: 'strangler_shadow_requests_total', help: 'Sampled requests by shadow outcome (match, mismatch, truncated: past the capture cap so not compared, error, dropped, skipped)', labelNames: ['route', 'outcome'], registers: [this.registry] });
  readonly mismatches = new client.Counter({ name: 'strangler_mismatches_total', help: 'Shadow comparisons where extracted answered differently from legacy (noise and ignored fields excluded)', labelNames: ['route'], registers: [this.registry] });
  readonly shadowInFlight = new client.Gauge({ name: 'strangler_shadow_in_flight', help: 'Mirrored requests running now', registers: [this.registry] });
  readonly conversionMarksDropped = new client.Gauge({ name: 'strangler_conversion_marks_dropped', help: 'Conversion-guard shopper marks dropped since start: past the most one minute keeps, with no shadow worker to ship them to the store, or past the store\'s bound between flushes', registers: [this.registry] });
  readonly diffRowsDropped = new client.Gauge({ name: 'strangler_diff_store_dropped_rows', help: 'Diff rows dropped because the write buffer was full, since start', registers: [this.registry] });
  // 'min': with node:cluster workers summed into one /metrics, one worker whose store is down makes it 0.
  readonly diffStoreUp = new client.Gauge({ name: 'strangler_diff_store_up', help: '1 when the diff store takes rows (or no route needs it), 0 when it cannot be reached or refuses them (rows are buffered, then dropped)', registers: [this.registry], aggregator: 'min' });
  readonly diffRowsBuffered = new client.Gauge({ name: 'strangler_diff_store_buffered_rows', help: 'Diff rows waiting in the shadow worker to be written to the store', registers: [this.registry] });
  readonly diffFlushFailures = new client.Gauge({ name: 'strangler_diff_store_failed_flushes', help: 'Diff store flushes that failed and were retried, since start', registers: [this.registry] });
  readonly flagFetchFailures = new client.Counter({ name: 'strangler_flag_fetch_failures_total', help: 'Unleash flag fetches that failed (unreachable, refused, bad answer); routes keep the last known flag state', registers: [this.registry] });
  readonly flagLastFetch = new client.Gauge({ name: 'strangler_flag_last_fetch_timestamp_seconds', help: 'Unix time of the last successful Unleash flag fetch (0 = never)', registers: [this.registry], aggregator: 'min' });
  /** Set by the proxy: each route's breaker, read at scrape time. */
  breakers: () => Array<[string, BreakerStatus]> = () => [];
  readonly breakerState = new client.Gauge({
    name: 'strangler_breaker_state', help: 'Circuit breaker state per route: 0 closed, 1 open, 2 half-open', labelNames: ['route'], registers: [this.registry],
    collect: () => {
      this.breakerState.reset();
      for (const [route, status] of this.breakers()) this.breakerState.labels(route).set(BREAKER_STATE_VALUE[status.state]);
    },
  });
  readonly breakerTrips = new client.Counter({
    name: 'strangler_breaker_trips_total', help: 'Times the route\'s breaker opened (closed or half-open to open), since the proxy started', labelNames: ['route'], registers: [this.registry],
    collect: () => {
      this.breakerTrips.reset();
      for (const [route, status] of this.breakers()) this.breakerTrips.labels(route).inc(status.trips);
    },
  });
  /** Set by the proxy: WebSocket tunnels open now, as [route, backend, count], read at scrape time. */
  websockets: () => Array<[string, string, number]> = () => [];
  readonly websocketConnections = new client.Gauge({
    name: 'strangler_websocket_connections', help: 'WebSocket connections open now (upgraded, not yet closed), by route and backend', labelNames: ['route', 'backend'], registers: [this.registry],
    collect: () => {
      this.websocketConnections.reset();
      for (const [route, backend, open] of this.websockets()) this.websocketConnections.labels(route, backend).set(open);
    },
  });
  readonly websocketUpgrades = new client.Counter({
    name: 'strangler_websocket_upgrades_total',
    help: 'WebSocket handshakes on websocket routes, by route, backend and result (ok, declined, refused, timeout, failed, rejected, shed, abandoned, shutdown)',
    labelNames: ['route', 'backend', 'result'], registers: [this.registry],
  });
  readonly shed = new client.Counter({ name: 'strangler_shed_total', help: 'Requests answered by the proxy without being sent upstream, by route and reason: overload (503, admission control) or rate_limit (429)', labelNames: ['route', 'reason'], registers: [this.registry] });
  /** Set by the proxy: each upstream's admission figures, read at scrape time. */
  upstreamGates: () => Array<[string, { limit: number; inFlight: number; queued: number }]> = () => [];
  readonly upstreamLimit = new client.Gauge({
    name: 'strangler_upstream_concurrency_limit', help: 'Requests the proxy lets go to the upstream at once, as admission control has learned it (per process; summed across workers)', labelNames: ['upstream'], registers: [this.registry],
    collect: () => {
      this.upstreamLimit.reset();
      for (const [upstream, gate] of this.upstreamGates()) this.upstreamLimit.labels(upstream).set(gate.limit);
    },
  });
  readonly upstreamQueued = new client.Gauge({
    name: 'strangler_upstream_queued', help: 'Requests waiting now for a free slot to the upstream', labelNames: ['upstream'], registers: [this.registry],
    collect: () => {
      this.upstreamQueued.reset();
      for (const [upstream, gate] of this.upstreamGates()) this.upstreamQueued.labels(upstream).set(gate.queued);
    },
  });
  readonly upstreamInFlight = new client.Gauge({
    name: 'strangler_upstream_in_flight', help: 'Shoppers\' requests sent to the upstream and not finished, as admission control counts them (mirrors are apart, in /status)', labelNames: ['upstream'], registers: [this.registry],
    collect: () => {
      this.upstreamInFlight.reset();
      for (const [upstream, gate] of this.upstreamGates()) this.upstreamInFlight.labels(upstream).set(gate.inFlight);
    },
  });
  readonly queueWait = new client.Histogram({
    name: 'strangler_queue_wait_seconds', help: 'How long requests that found their upstream at its limit waited for a slot, by upstream, priority and result (sent or shed)', labelNames: ['upstream', 'priority', 'result'], registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly anonymousIds = new client.Counter({ name: 'strangler_anonymous_ids_issued_total', help: 'Anonymous strangler_id cookies issued', registers: [this.registry] });

  constructor(collectDefaults = true) {
    this.duration.registerIn(this.registry);
    if (collectDefaults) client.collectDefaultMetrics({ register: this.registry });
    this.reloads.labels('success').inc(0);
    this.reloads.labels('failure').inc(0);
  }

  route(name: string): RouteStats {
    let stats = this.routes.get(name);
    if (stats === undefined) {
      stats = new RouteStats(this.duration, name);
      this.routes.set(name, stats);
    }
    return stats;
  }

  routeStats(name: string): RouteStats | undefined {
    return this.routes.get(name);
  }
}
