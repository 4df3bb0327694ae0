import type { ShadowOutcome } from '../shadow/outcomes';
import { ShadowWorker, type CapturedShadowJob, type LastVerdict } from '../shadow/worker/shadow-worker';
import type { ProxyConfig } from './config';
import type { Logger } from './observability/logger';
import type { ProxyMetrics } from './observability/metrics';
import type { TrafficCounters } from './observability/traffic-counters';
import type { TrafficWindows } from './observability/traffic-windows';

/** How often the evidence counters go to the store: it is at most about this far behind the proxy. */
const SHIP_TRAFFIC_EVERY_MS = 1000;

/**
 * The proxy's side of shadow traffic: a worker thread (shadow/worker/) that mirrors, compares,
 * redacts and writes the diff store, so none of that runs on the thread serving shoppers. The
 * thread is started when the first route with shadow or a rollout plan appears (at start or on a
 * reload): a proxy without either pays no thread, no SQLite and no second undici. Until it is up,
 * sampled jobs are dropped and counted like any job the budget cannot take. The evidence counters
 * (requests, failures, latency per route and side) are shipped to the same store every second.
 */
export class ShadowSide {
  private worker: ShadowWorker | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  private readonly trafficTimer: NodeJS.Timeout;

  constructor(private readonly config: ProxyConfig, private readonly metrics: ProxyMetrics, private readonly log: Logger, private readonly traffic: TrafficCounters, private readonly windows: TrafficWindows | null = null) {
    // Counted always; kept only while a store is open (a proxy without shadow or rollout routes has none).
    this.trafficTimer = setInterval(() => this.shipTraffic(), SHIP_TRAFFIC_EVERY_MS).unref();
  }

  private shipTraffic(): void {
    const deltas = this.traffic.take();
    this.worker?.addTraffic(deltas);
  }

  /** Starts the worker once; resolves when it is ready (or has failed, which is logged, never thrown). */
  ensureStarted(): Promise<void> {
    this.starting ??= ShadowWorker.start({
      // No store options: the worker uses the store's defaults, and this thread never loads better-sqlite3.
      diffDb: this.config.diffDb, shadowTimeoutMs: this.config.shadowTimeoutMs,
      captureBytes: this.config.shadowCaptureBytes, maxInFlight: this.config.shadowMaxInFlight,
      onOutcome: (route, outcome, count) => this.counted(route, outcome, count),
      onError: (error) => this.log.error({ error: error.message }, 'shadow worker died; starting a new one (sampled requests are dropped meanwhile)'),
    }).then(async (worker) => {
      if (this.stopped) { await worker.stop(0); return; }
      this.worker = worker;
      this.log.info({ diffDb: this.config.diffDb }, 'shadow worker started');
    }, (error: Error) => {
      this.log.error({ diffDb: this.config.diffDb, error: error.message }, 'shadow worker could not start; sampled requests are dropped and counted');
      this.starting = null; // the next reload with a shadow route tries again
    });
    return this.starting;
  }

  offer(job: CapturedShadowJob): void {
    if (this.worker !== null) { this.worker.offer(job); return; }
    this.counted(job.route, 'dropped', 1);
  }

  /** A route's latest `strangler rollout` verdict as the store has it (null: none, or no store open). */
  lastVerdict(route: string): LastVerdict | null {
    return this.worker?.lastVerdicts.get(route) ?? null;
  }

  /** Figures /metrics reads at scrape time. */
  sample(): { inFlight: number; droppedRows: number; failedFlushes: number } {
    const w = this.worker;
    return { inFlight: w ? w.busy() : 0, droppedRows: w ? w.droppedRows : 0, failedFlushes: w ? w.failedFlushes : 0 };
  }

  /** Mirrors in flight get `graceMs` to finish so their rows are stored; then the store is closed. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.trafficTimer);
    await this.starting;
    this.shipTraffic(); // the last second's counters go in with the final flush
    await this.worker?.stop(graceMs);
  }

  private counted(route: string, outcome: ShadowOutcome, count: number): void {
    this.metrics.shadowOutcomes.labels(route, outcome).inc(count);
    this.metrics.route(route).shadow[outcome] += count;
    if (outcome === 'mismatch') this.metrics.mismatches.labels(route).inc(count);
    this.windows?.shadowOutcome(route, outcome, count);
  }
}
