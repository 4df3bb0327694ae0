import type { ShadowOutcome } from '../shadow/outcomes';
import type { GuardWindow } from '../shadow/store/guard-window';
import type { NoisePicture } from '../shadow/noise-probes';
import { redactLocation, redactSecrets, storeKind, type StoreKind } from '../shadow/store/location';
import { ShadowWorker, type CapturedShadowJob, type LastVerdict } from '../shadow/worker/shadow-worker';
import type { ProxyConfig } from './config';
import type { Logger } from './observability/logger';
import type { ProxyMetrics } from './observability/metrics';
import type { ShopperMarks } from './observability/shopper-marks';
import type { TrafficCounters } from './observability/traffic-counters';
import type { TrafficWindows } from './observability/traffic-windows';
import { lastMinuteSampling, type SamplingView } from './shadow-sampling';

const NO_WINDOWS: ReadonlyMap<string, GuardWindow> = new Map();

/** How often the evidence counters go to the store: it is at most about this far behind the proxy. */
const SHIP_TRAFFIC_EVERY_MS = 1000;
/** How often the store's health is looked at for the log (a change of ok is one line). */
const WATCH_STORE_EVERY_MS = 1000;

/** GET /status `diffStore`: the same for SQLite and PostgreSQL. */
export interface DiffStoreView {
  readonly kind: StoreKind;
  /** The file, or the URL with its password redacted. */
  readonly location: string;
  /** False when no route shadows or has a rollout plan: nothing is written, nothing can fail. */
  readonly open: boolean;
  /** Rows and counters are being written (or nothing needs writing); false while the store cannot be reached or the worker could not start. */
  readonly ok: boolean;
  /** The last failure (password redacted), kept after a recovery so it can be read; null when none. */
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** Rows waiting in the shadow worker for the store. */
  readonly buffered: number;
  /** Rows dropped since the proxy started: buffer full, refused by the store, or lost with a worker. */
  readonly dropped: number;
}

/**
 * The proxy's side of shadow traffic: a worker thread (shadow/worker/) that mirrors, compares,
 * redacts and writes the diff store, so none of that runs on the thread serving shoppers. The
 * thread is started when the first route with shadow or a rollout plan appears (at start or on a
 * reload): a proxy without either pays no thread, no store driver and no second undici. Until it is up,
 * sampled jobs are dropped and counted like any job the budget cannot take. The evidence counters
 * (requests, failures, latency per route and side) are shipped to the same store every second.
 */
export class ShadowSide {
  private worker: ShadowWorker | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  private readonly trafficTimer: NodeJS.Timeout;
  private readonly storeTimer: NodeJS.Timeout;
  /** Why the worker could not start (password redacted), until it does. */
  private startError: { message: string; at: number } | null = null;
  private loggedOk: boolean | null = null;

  constructor(private readonly config: ProxyConfig, private readonly metrics: ProxyMetrics, private readonly log: Logger, private readonly traffic: TrafficCounters, private readonly windows: TrafficWindows | null = null,
    private readonly shoppers: ShopperMarks | null = null) {
    // Counted always; kept only while a store is open (a proxy without shadow or rollout routes has none).
    this.trafficTimer = setInterval(() => this.shipTraffic(), SHIP_TRAFFIC_EVERY_MS).unref();
    this.storeTimer = setInterval(() => this.logStoreChange(), WATCH_STORE_EVERY_MS).unref();
  }

  private get location(): string {
    return redactLocation(this.config.diffDb);
  }

  /** What /status shows as `diffStore`, and what `strangler_diff_store_up` is made of. */
  diffStore(): DiffStoreView {
    const base = { kind: storeKind(this.config.diffDb), location: this.location };
    const w = this.worker;
    const dropped = w ? w.droppedRows : 0;
    if (this.startError !== null && w === null) {
      return { ...base, open: true, ok: false, lastError: this.startError.message, lastErrorAt: new Date(this.startError.at).toISOString(), buffered: 0, dropped };
    }
    if (w === null && this.starting === null) return { ...base, open: false, ok: true, lastError: null, lastErrorAt: null, buffered: 0, dropped };
    const health = w?.storeHealth() ?? null;
    if (health === null) {
      // Starting, or between a worker that died and its replacement.
      return { ...base, open: true, ok: false, lastError: w === null ? null : 'the shadow worker is restarting', lastErrorAt: null, buffered: 0, dropped };
    }
    return { ...base, open: true, ok: health.ok, lastError: health.lastError, lastErrorAt: health.lastErrorAt === null ? null : new Date(health.lastErrorAt).toISOString(), buffered: health.buffered, dropped };
  }

  /** One warn line when the store stops taking rows, one info line when it takes them again. */
  private logStoreChange(): void {
    const view = this.diffStore();
    if (!view.open || view.ok === this.loggedOk) return;
    // The first report of a store that is fine is not news.
    if (this.loggedOk === null && view.ok) { this.loggedOk = true; return; }
    if (!view.ok && view.lastError === null) return; // still connecting: wait for the outcome
    this.loggedOk = view.ok;
    if (view.ok) this.log.info({ diffStore: view.location, kind: view.kind, buffered: view.buffered }, 'diff store reachable again; buffered rows are being written');
    else this.log.warn({ diffStore: view.location, kind: view.kind, error: view.lastError, buffered: view.buffered, dropped: view.dropped }, 'diff store unreachable; rows are buffered and retried (dropped and counted past the buffer)');
  }

  private shipTraffic(): void {
    const deltas = this.traffic.take();
    // Taken whether or not a worker runs: marks with nowhere to go are dropped and counted, never
    // kept (a worker that failed to start would otherwise let them pile up minute after minute).
    const marks = this.shoppers?.take() ?? [];
    if (this.worker !== null) this.worker.addTraffic(deltas, marks);
    else this.shoppers?.lost(marks.length);
  }

  /** Starts the worker once; resolves when it is ready (or has failed, which is logged, never thrown). */
  ensureStarted(): Promise<void> {
    this.starting ??= ShadowWorker.start({
      // No store options: the worker uses the store's defaults, and this thread never loads better-sqlite3.
      diffDb: this.config.diffDb, replica: this.config.replica, shadowTimeoutMs: this.config.shadowTimeoutMs,
      captureBytes: this.config.shadowCaptureBytes, maxInFlight: this.config.shadowMaxInFlight,
      onOutcome: (route, outcome, count) => this.counted(route, outcome, count),
      onError: (error) => this.log.error({ error: redactSecrets(error.message, this.config.diffDb) }, 'shadow worker died; starting a new one (sampled requests are dropped meanwhile)'),
    }).then(async (worker) => {
      if (this.stopped) { await worker.stop(0); return; }
      this.worker = worker;
      this.startError = null;
      this.log.info({ diffDb: this.location, replica: this.config.replica }, 'shadow worker started');
    }, (error: Error) => {
      const message = redactSecrets(error.message, this.config.diffDb);
      this.startError = { message, at: Date.now() };
      this.log.error({ diffDb: this.location, error: message }, 'shadow worker could not start; sampled requests are dropped and counted');
      this.starting = null; // the next reload with a shadow route tries again
    });
    return this.starting;
  }

  /** `done` is called once the mirror is over (or was dropped): it frees what the proxy held for it; `traced` is told its outcome. */
  offer(job: CapturedShadowJob, done: (() => void) | null = null, traced: ((outcome: ShadowOutcome | null) => void) | null = null): void {
    if (this.worker !== null) { this.worker.offer(job, done, traced); return; }
    done?.();
    traced?.('dropped');
    this.counted(job.route, 'dropped', 1);
  }

  /** A sampled request not mirrored because its upstreams were busy with shoppers: dropped, counted. */
  yielded(job: CapturedShadowJob): void {
    if (this.worker !== null) this.worker.yielded(job);
    else this.counted(job.route, 'dropped', 1);
  }

  /** A route's latest `strangler rollout` verdict as the store has it (null: none, or no store open). */
  lastVerdict(route: string): LastVerdict | null {
    return this.worker?.lastVerdicts.get(route) ?? null;
  }

  /** Guarded routes' conversion counts as last read from the store, asking for a fresh read when due (none without a store). */
  conversions(routes: readonly string[], now: number): ReadonlyMap<string, GuardWindow> {
    return this.worker?.conversions(routes, now) ?? NO_WINDOWS;
  }

  /** Whether the route's evidence is being sampled down (mirrors dropped) over the last minute. */
  lastMinute(route: string, percent: number): SamplingView {
    return lastMinuteSampling(this.windows, route, percent);
  }

  /** A route's noise probe picture (which fields are known noise, how they were learned); null: no read mirrored yet. */
  noisePicture(route: string): NoisePicture | null {
    return this.worker?.noisePictures.get(route) ?? null;
  }

  /** Figures /metrics reads at scrape time. */
  sample(): { inFlight: number; droppedRows: number; failedFlushes: number; droppedShoppers: number } {
    const w = this.worker;
    return { inFlight: w ? w.busy() : 0, droppedRows: w ? w.droppedRows : 0, failedFlushes: w ? w.failedFlushes : 0, droppedShoppers: w ? w.droppedShoppers : 0 };
  }

  /** Mirrors in flight get `graceMs` to finish so their rows are stored; then the store is closed. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.trafficTimer);
    clearInterval(this.storeTimer);
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
