import type { ShadowOutcome } from '../mirror';
import type { NoisePicture } from '../noise-probes';
import type { DiffStoreOptions } from '../store/diff-store';
import type { GuardWindow } from '../store/guard-window';
import type { ShopperMark } from '../store/shoppers';
import type { TrafficDelta } from '../store/traffic';
import { NO_COUNTERS, spawnGeneration, type Generation } from './generation';
import { workerScript } from './locate';
import { replicaName } from '../store/location';
import { LaterAnswer } from './later-answer';
import type { CapturedAnswer, CapturedShadowJob, FromWorker, LastVerdict, StoreCounters, StoreHealth, ToWorker, Traced, WireJob, WireServed } from './protocol';
import { StatCounts } from './stat-counts';
import { transferable } from './transfer';

export type { CapturedAnswer, CapturedShadowJob, LastVerdict, Traced } from './protocol';

export interface ShadowWorkerOptions {
  /** A SQLite file or a PostgreSQL URL. */
  readonly diffDb: string;
  /** How this process names itself in the store (STRANGLER_REPLICA); default hostname:pid. */
  readonly replica?: string;
  readonly storeOptions?: DiffStoreOptions;
  readonly shadowTimeoutMs: number;
  readonly captureBytes: number;
  readonly maxInFlight: number;
  /** On the main thread, in batches (about every 100 ms): `count` more jobs of `route` ended with `outcome`. */
  readonly onOutcome?: (route: string, outcome: ShadowOutcome, count: number) => void;
  /** The worker died, or a restart failed; it is restarted at most once a second, jobs are dropped meanwhile. */
  readonly onError?: (error: Error) => void;
}

const RESTART_EVERY_MS = 1000;
/** Jobs are posted together at most this long after the first of them was offered... */
const BATCH_EVERY_MS = 5;
/** ...or as soon as this many are waiting. */
const BATCH_MAX = 32;
const SHIP_COUNTS_EVERY_MS = 100;
/** /stats reads the conversion guard's counts from the store at most this often... */
const CONVERSIONS_EVERY_MS = 5000;
/** ...and waits at least this many times the last read's duration before the next (a read takes at most ~5 % of the worker's time). */
const READ_COST_SHARE = 20;
/** How long stop() waits, past the grace period, for the worker to close the store before terminating it. */
const CLOSE_STORE_MS = 5000;

/**
 * Shadow comparison in a worker thread. The main thread only counts and posts: `offer` never
 * awaits and never throws, and the served body's bytes are moved, not copied, when they can be.
 */
export class ShadowWorker {
  private current: Generation | null = null;
  private started = false;
  private stopping: Promise<void> | null = null;
  private nextId = 1;
  private lastSpawn = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly shipTimer: NodeJS.Timeout;
  /** shadow_stats counts of jobs dropped here, shipped to the worker's store in batches. */
  private readonly stats = new StatCounts();
  private readonly outcomes = new Map<string, number>();
  /** Store counters of workers that have died, so the totals never go down. */
  private past: StoreCounters = NO_COUNTERS;
  /** Each route's latest rollout verdict in the store, read by the worker every 2 s. */
  lastVerdicts: ReadonlyMap<string, LastVerdict> = new Map();
  /** Guarded routes' conversion counts as the store last had them (guard-window.ts), for /stats. */
  private guardWindows: ReadonlyMap<string, GuardWindow> = new Map();
  /** No store read for /stats before this (ms since the epoch): see conversions(). */
  private nextConversionRead = 0;
  /** Each route's noise probe picture, as the worker last sent it (at most once a second). */
  noisePictures: ReadonlyMap<string, NoisePicture> = new Map();
  /** Attempts to start a new worker after one died (at most one a second). */
  restarts = 0;
  /** Jobs offered and not yet posted, with the buffers the post will move. */
  private batch: Array<{ id: number; job: WireJob }> = [];
  /** Served answers (null: nothing to compare) of jobs already offered, posted with the next batch. */
  private answers: Array<{ id: number; served: WireServed | null }> = [];
  private transfers = new Set<ArrayBuffer>();
  private batchTimer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  private constructor(private readonly options: ShadowWorkerOptions, private readonly script: string) {
    this.shipTimer = setInterval(() => this.shipCounts(), SHIP_COUNTS_EVERY_MS).unref();
  }

  /** Resolves once the worker has opened the store; rejects with its error when it cannot. */
  static async start(options: ShadowWorkerOptions): Promise<ShadowWorker> {
    const shadow = new ShadowWorker(options, workerScript());
    try {
      await shadow.spawn();
    } catch (error) {
      await shadow.stop(0);
      throw error;
    }
    shadow.started = true;
    return shadow;
  }

  /**
   * Hands a job to the worker, which takes over its body Buffers (they may be detached). A job
   * whose served answer is a LaterAnswer is posted at once, so the other side is asked while the
   * served side answers the shopper; the answer follows when the handler settles it.
   */
  offer(job: CapturedShadowJob, done: (() => void) | null = null, traced: Traced | null = null): boolean {
    const gen = this.current;
    if (this.stopping || !gen?.ready || Atomics.load(gen.inFlight, 0) >= this.options.maxInFlight) { done?.(); this.told(traced, 'dropped'); return this.drop(job); }
    const id = this.nextId++;
    // Counted before posting: the worker may finish (and subtract) before postMessage returns.
    Atomics.add(gen.inFlight, 0, 1);
    gen.pending.set(id, { route: job.route, at: job.at, done, traced });
    const body = job.body ? transferable(job.body, this.transfers) : null;
    // Only a traced job has its outcome reported by id (most are counted per route only).
    const mark = traced === null ? {} : { traced: true as const };
    if (job.served instanceof LaterAnswer) {
      this.batch.push({ id, job: { ...job, body, served: null, ...mark } });
      // Asked at the same moment as the served side, or the shopper's next request may have moved
      // the state the other side reads (DESIGN "Shadow traffic and diffs"): no batching delay, only
      // to the end of this turn of the event loop, so that the jobs a busy turn offers (and the
      // answers waiting) go in one message: one wake-up of the worker thread, not one per job.
      this.postSoon();
      job.served.onSettled((answer) => this.answer(gen, id, answer));
      return true;
    }
    this.batch.push({ id, job: { ...job, body, served: this.wireServed(job.served), ...mark } });
    this.schedule();
    return true;
  }

  /** The served answer of job `id`, offered earlier; ignored when its worker has died since (counted there). */
  private answer(gen: Generation, id: number, answer: CapturedAnswer | null): void {
    if (gen !== this.current) return;
    this.answers.push({ id, served: answer === null ? null : this.wireServed(answer) });
    this.schedule();
  }

  private wireServed(answer: CapturedAnswer): WireServed {
    return { ...answer, body: transferable(answer.body, this.transfers) };
  }

  private schedule(): void {
    // One postMessage wakes the worker thread: on a busy proxy that wake-up, not the copy, was the
    // cost (13 µs a request at 10 % sampling, one message per job). Jobs go together, every few ms.
    if (this.batch.length + this.answers.length >= BATCH_MAX) this.postBatch();
    else this.batchTimer ??= setTimeout(() => this.postBatch(), BATCH_EVERY_MS);
  }

  private postSoon(): void {
    this.immediate ??= setImmediate(() => this.postBatch());
  }

  /** Posts the jobs offered since the last batch to the current worker. */
  private postBatch(): void {
    if (this.batchTimer !== null) { clearTimeout(this.batchTimer); this.batchTimer = null; }
    if (this.immediate !== null) { clearImmediate(this.immediate); this.immediate = null; }
    const gen = this.current;
    const jobs = this.batch;
    const answers = this.answers;
    const transfers = this.transfers;
    this.batch = [];
    this.answers = [];
    this.transfers = new Set();
    if (gen === null || jobs.length + answers.length === 0) return;
    try {
      gen.worker.postMessage({ type: 'jobs', jobs, answers } satisfies ToWorker, [...transfers]);
    } catch {
      // An answer that could not be posted leaves its job waiting in the worker, which ends it after
      // a while (worker-main.ts); the jobs are counted here.
      // A value that cannot be cloned: those jobs are dropped and counted, never a throw.
      for (const { id, job } of jobs) {
        Atomics.sub(gen.inFlight, 0, 1);
        gen.pending.get(id)?.done?.();
        this.told(gen.pending.get(id)?.traced, 'dropped');
        gen.pending.delete(id);
        this.stats.add(job.route, job.at, 'dropped');
        this.count(job.route, 'dropped', 1);
      }
    }
  }

  /** Hands the proxy's evidence counters (and the conversion guard's shoppers) to the worker's store; false (and nothing sent) when no worker is up. */
  addTraffic(deltas: readonly TrafficDelta[], shoppers: readonly ShopperMark[] = []): boolean {
    const gen = this.current;
    if (this.stopping || !gen?.ready || deltas.length + shoppers.length === 0) return false;
    gen.worker.postMessage({ type: 'traffic', deltas, ...(shoppers.length > 0 ? { shoppers } : {}) } satisfies ToWorker);
    return true;
  }

  /**
   * The conversion counts last read for these routes, and a new read asked for when one is due.
   * /stats is polled every second (by each worker of a cluster), and the read is a query over the
   * step's shoppers that grows with them, so it runs at most every CONVERSIONS_EVERY_MS and never
   * more often than READ_COST_SHARE times its own last duration: on a store of a million shoppers
   * a day, a slow read reads less often instead of occupying the worker thread. Nobody polling, no read.
   */
  conversions(routes: readonly string[], now: number): ReadonlyMap<string, GuardWindow> {
    const gen = this.current;
    if (routes.length > 0 && now >= this.nextConversionRead && !this.stopping && gen?.ready) {
      this.nextConversionRead = now + CONVERSIONS_EVERY_MS;
      gen.worker.postMessage({ type: 'read-conversions', routes } satisfies ToWorker);
    }
    return this.guardWindows;
  }

  private conversionsRead(message: Extract<FromWorker, { type: 'conversions' }>): void {
    if (message.windows.length > 0) this.guardWindows = new Map(message.windows.map((w) => [w.route, w]));
    this.nextConversionRead = Math.max(this.nextConversionRead, Date.now() + READ_COST_SHARE * message.tookMs);
  }

  /** Jobs handed to the worker and not finished. */
  busy(): number {
    return this.current ? Atomics.load(this.current.inFlight, 0) : 0;
  }

  /** True while a worker is up and taking jobs. */
  get running(): boolean {
    return !this.stopping && this.current?.ready === true;
  }

  outcomeCount(route: string, outcome: ShadowOutcome): number {
    return this.outcomes.get(`${route}\u0000${outcome}`) ?? 0;
  }

  /** The running worker's store, as of its last report (every 100 ms when something changed); null while no worker runs. */
  storeHealth(): StoreHealth | null {
    return this.current?.ready ? this.current.health : null;
  }

  get droppedRows(): number { return this.past.droppedRows + (this.current?.store.droppedRows ?? 0); }
  get failedFlushes(): number { return this.past.failedFlushes + (this.current?.store.failedFlushes ?? 0); }
  get writtenRows(): number { return this.past.writtenRows + (this.current?.store.writtenRows ?? 0); }
  get droppedShoppers(): number { return this.past.droppedShoppers + (this.current?.store.droppedShoppers ?? 0); }

  /** In-flight mirrors get `graceMs` to finish; then the worker flushes and closes the store and is terminated. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.shipTimer);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.postBatch();
      const gen = this.current;
      if (!gen) return;
      if (gen.ready) {
        this.shipCounts();
        gen.worker.postMessage({ type: 'stop', graceMs } satisfies ToWorker);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gen.stopped, gen.exited, new Promise((resolve) => { timer = setTimeout(resolve, graceMs + CLOSE_STORE_MS); })]);
        clearTimeout(timer);
      }
      await gen.worker.terminate();
      await gen.exited;
    })();
    return this.stopping;
  }

  /** For tests: ends the worker thread as a crash would. */
  async crashForTest(): Promise<void> {
    await this.current?.worker.terminate();
  }

  private spawn(): Promise<void> {
    this.lastSpawn = Date.now();
    const { diffDb, storeOptions, shadowTimeoutMs, captureBytes } = this.options;
    const replica = this.options.replica ?? replicaName();
    const { gen, ready } = spawnGeneration(this.script, { diffDb, replica, storeOptions, shadowTimeoutMs, captureBytes }, {
      report: (g, message) => this.report(g, message),
      verdicts: (message) => { this.lastVerdicts = new Map(message.verdicts.map((v) => [v.route, v])); },
      conversions: (message) => this.conversionsRead(message),
      noise: (message) => { this.noisePictures = new Map(message.pictures.map((p) => [p.route, p])); },
      exit: (g, error, wasReady) => this.died(g, error, wasReady),
    });
    this.current = gen;
    return ready;
  }

  private report(gen: Generation, message: Extract<FromWorker, { type: 'report' }>): void {
    gen.store = message.store;
    gen.health = message.health;
    for (const [id, outcome] of message.traced ?? []) this.told(gen.pending.get(id)?.traced, outcome);
    for (const id of message.done) {
      gen.pending.get(id)?.done?.();
      gen.pending.delete(id);
    }
    for (const [route, outcome, count] of message.outcomes) this.count(route, outcome, count);
  }

  private died(gen: Generation, error: Error, wasReady: boolean): void {
    if (gen !== this.current) return;
    this.current = null;
    // Jobs not yet posted belong to the dead worker too (they are in its pending list, counted below).
    this.batch = [];
    this.answers = [];
    this.transfers = new Set();
    this.past = { droppedRows: this.past.droppedRows + gen.store.droppedRows, failedFlushes: this.past.failedFlushes + gen.store.failedFlushes,
      writtenRows: this.past.writtenRows + gen.store.writtenRows, droppedShoppers: this.past.droppedShoppers + gen.store.droppedShoppers };
    // Their rows (if any) were in the dead worker's buffer: counted as errors so none goes unaccounted.
    for (const job of gen.pending.values()) { job.done?.(); this.told(job.traced, 'error'); this.stats.add(job.route, job.at, 'errors'); this.count(job.route, 'error', 1); }
    gen.pending.clear();
    if (this.stopping || !this.started) return;
    if (wasReady) this.hook(() => this.options.onError?.(error));
    this.restartLater();
  }

  private restartLater(): void {
    const wait = Math.max(0, this.lastSpawn + RESTART_EVERY_MS - Date.now());
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      // A failed start has already scheduled the next attempt (through died); here it is only reported.
      try {
        this.spawn().catch((error: Error) => this.hook(() => this.options.onError?.(error)));
      } catch (error) {
        this.hook(() => this.options.onError?.(error as Error));
        this.restartLater();
      }
    }, wait).unref();
  }

  /** A sampled request the proxy did not mirror (its upstreams had shoppers waiting): counted as dropped. */
  yielded(job: CapturedShadowJob): void {
    this.drop(job);
  }

  private drop(job: CapturedShadowJob): false {
    this.stats.add(job.route, job.at, 'sampled');
    this.stats.add(job.route, job.at, 'dropped');
    this.count(job.route, 'dropped', 1);
    return false;
  }

  private count(route: string, outcome: ShadowOutcome, n: number): void {
    const key = `${route}\u0000${outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + n);
    this.hook(() => this.options.onOutcome?.(route, outcome, n));
  }

  /** Tells a traced job's outcome (its mirror span ends), never a throw. */
  private told(traced: Traced | null | undefined, outcome: ShadowOutcome | null): void {
    if (traced) this.hook(() => traced(outcome));
  }

  /** The caller's hooks must not break offer's promise never to throw. */
  private hook(call: () => void): void {
    try { call(); } catch { /* the caller's own bug; shoppers must not see it */ }
  }

  private shipCounts(): void {
    const gen = this.current;
    if (!gen?.ready || this.stats.size === 0) return;
    gen.worker.postMessage({ type: 'counts', counts: this.stats.take() } satisfies ToWorker);
  }
}
