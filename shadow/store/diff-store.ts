import { redactLocation, redactSecrets, replicaName, storeKind, type StoreKind } from './location';
import { readGuardWindow, type GuardWindow } from './guard-window';
import { openStore } from './open-store';
import type { DiffRow, LastVerdict, ShadowStatDelta, Store } from './store';
import { addMark, type ShopperMark, type ShopperSpan } from './shoppers';
import { addDelta, type TrafficDelta } from './traffic';

export type { DiffRow } from './store';

export const DAY_MS = 24 * 3600 * 1000;

export interface DiffStoreOptions {
  /** Rows waiting to be written; beyond this, rows are dropped and counted, never blocking a request. */
  maxBuffered: number;
  flushEveryMs: number;
  retainMs: number;
  /** Rows per transaction; a bigger backlog (after an outage) goes in several, one after the other. */
  maxBatchRows?: number;
}

export const DEFAULT_STORE_OPTIONS: DiffStoreOptions = { maxBuffered: 10_000, flushEveryMs: 250, retainMs: 30 * DAY_MS };

/** Counter keys ((minute, route) and (minute, route, backend)) waiting at most: past it, new keys are dropped and counted. */
const MAX_COUNTER_KEYS = 50_000;
const DEFAULT_BATCH_ROWS = 5000;
/**
 * The conversion guard's shopper spans waiting at most (one per route, side, kind and shopper of
 * the day): about 100 bytes each, so 10 MB past which new shoppers are dropped and counted. The
 * proxy ships each shopper once a minute, so this is reached only by a long store outage.
 */
const MAX_SHOPPER_KEYS = 100_000;
/** After a failed connect or write, the periodic flush waits this long, doubling up to the maximum. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;

/** What /status shows of the store (`diffStore`), for SQLite and PostgreSQL alike. */
export interface DiffStoreStatus {
  readonly kind: StoreKind;
  /** The file, or the URL with its password redacted. */
  readonly location: string;
  /** The last connect or write succeeded (false until the first connection). */
  readonly ok: boolean;
  /** The last failure's message (password redacted), kept after a recovery; null when none. */
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  /** Rows waiting to be written. */
  readonly buffered: number;
  /** Rows dropped since start: the buffer was full, the store refused the batch, or it was unreachable at shutdown. */
  readonly dropped: number;
  readonly written: number;
  readonly failedFlushes: number;
}

/**
 * A failure that writing the same batch again cannot cure: a value the database refuses
 * (PostgreSQL SQLSTATE class 22 or 23; SQLite's constraint and type errors). The batch is dropped
 * and counted instead of blocking every later one.
 */
export function isPoisonBatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^2[23][0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}

/**
 * The diff store's writer, whichever store is behind it: rows and counters are buffered (bounded)
 * and written in one transaction per flush. A store that cannot be reached (PostgreSQL down, slow,
 * refusing the password; SQLite locked past busy_timeout) keeps the batch buffered for the next
 * flush, retried with a backoff, so rows are never silently lost: past the bound they are dropped
 * and counted. The store is connected on first use and reconnected after a failure.
 */
export class DiffStore {
  readonly kind: StoreKind;
  /** The file, or the URL with its password redacted. */
  readonly location: string;
  private store: Store | null = null;
  private connecting: Promise<Store> | null = null;
  private flushing: Promise<void> | null = null;
  private buffer: DiffRow[] = [];
  private stats = new Map<string, ShadowStatDelta>();
  /** Traffic counters waiting to be written, one entry per (minute, route, backend). */
  private traffic = new Map<string, TrafficDelta>();
  /** The conversion guard's shoppers waiting to be written, coalesced per key (shoppers.ts). */
  private shoppers = new Map<string, ShopperSpan>();
  private timer: NodeJS.Timeout | null = null;
  private failuresInARow = 0;
  private nextAttemptAt = 0;
  /** start() asks for rows past the retention to be pruned once the store is reached. */
  private pruneWhenOpen = false;
  private closed = false;
  ok = false;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  droppedRows = 0;
  droppedCounters = 0;
  /** Shopper marks dropped because MAX_SHOPPER_KEYS were waiting. */
  droppedShoppers = 0;
  failedFlushes = 0;
  writtenRows = 0;

  constructor(private readonly target: string, private readonly options: DiffStoreOptions = DEFAULT_STORE_OPTIONS, readonly replica: string = replicaName(),
    private readonly connect: (target: string) => Promise<Store> = (t) => openStore(t, { create: true })) {
    this.kind = storeKind(target);
    this.location = redactLocation(target);
  }

  /** Starts periodic flushing, and connecting (which prunes rows past the retention once). */
  start(): this {
    this.timer = setInterval(() => { if (Date.now() >= this.nextAttemptAt) void this.flush(); }, this.options.flushEveryMs);
    this.timer.unref();
    this.pruneWhenOpen = true;
    void this.open().catch(() => undefined);
    return this;
  }

  /** The store, connected (and migrated) now if it is not yet; rejects with the failure, which is also recorded. */
  open(): Promise<Store> {
    if (this.store) return Promise.resolve(this.store);
    this.connecting ??= this.connect(this.target).then(async (store) => {
      this.store = store;
      this.succeeded();
      if (this.pruneWhenOpen) {
        this.pruneWhenOpen = false;
        await store.prune(Date.now() - this.options.retainMs).catch((error: unknown) => this.failed(error));
      }
      return store;
    }, (error: unknown) => {
      this.failed(error);
      throw error;
    }).finally(() => { this.connecting = null; });
    return this.connecting;
  }

  /** Queues a row; never blocks. Returns false when the buffer is full and the row was dropped. */
  add(row: DiffRow): boolean {
    if (this.buffer.length >= this.options.maxBuffered) { this.droppedRows++; return false; }
    this.buffer.push(row);
    return true;
  }

  count(route: string, at: number, field: 'sampled' | 'dropped' | 'errors'): void {
    const minute = Math.floor(at / 60000) * 60000;
    const key = `${minute}\u0000${route}`;
    let entry = this.stats.get(key);
    if (!entry) {
      if (this.stats.size >= MAX_COUNTER_KEYS) { this.droppedCounters++; return; }
      entry = { minute, route, sampled: 0, dropped: 0, errors: 0 };
      this.stats.set(key, entry);
    }
    entry[field]++;
  }

  /** Queues traffic counters (the proxy's evidence); summed with what is waiting and what is stored. */
  addTraffic(deltas: readonly TrafficDelta[]): void {
    for (const delta of deltas) {
      const key = `${delta.minute}\u0000${delta.route}\u0000${delta.backend}`;
      const waiting = this.traffic.get(key);
      if (waiting) addDelta(waiting, delta);
      else if (this.traffic.size >= MAX_COUNTER_KEYS) this.droppedCounters++;
      else this.traffic.set(key, { ...delta, latency: [...delta.latency] });
    }
  }

  /** Queues the conversion guard's exposed and converted shoppers; one shopper's marks of a day meet in one span. */
  addShoppers(marks: readonly ShopperMark[]): void {
    for (const mark of marks) if (!addMark(this.shoppers, mark, MAX_SHOPPER_KEYS)) this.droppedShoppers++;
  }

  /** Rows waiting to be written. */
  get buffered(): number {
    return this.buffer.length;
  }

  status(): DiffStoreStatus {
    return {
      kind: this.kind, location: this.location, ok: this.ok, lastError: this.lastError, lastErrorAt: this.lastErrorAt,
      buffered: this.buffer.length, dropped: this.droppedRows, written: this.writtenRows, failedFlushes: this.failedFlushes,
    };
  }

  /**
   * Writes everything waiting, a transaction per `maxBatchRows` rows; on failure keeps the rest
   * for the next flush. One flush runs at a time: a call during one waits for it.
   */
  flush(): Promise<void> {
    this.flushing ??= this.flushNow().finally(() => { this.flushing = null; });
    return this.flushing;
  }

  private waiting(): boolean {
    return this.buffer.length > 0 || this.stats.size > 0 || this.traffic.size > 0 || this.shoppers.size > 0;
  }

  private async flushNow(): Promise<void> {
    // Not connected yet: try again even with nothing to write, so the status (and the verdicts
    // the dashboard reads) come back as soon as the store does.
    if (!this.waiting() && this.store !== null) return;
    let store: Store;
    try {
      store = await this.open();
    } catch {
      if (this.waiting()) this.failedFlushes++;
      return;
    }
    while (this.waiting()) {
      const rows = this.buffer.slice(0, this.options.maxBatchRows ?? DEFAULT_BATCH_ROWS);
      const stats = this.stats;
      const traffic = this.traffic;
      const shoppers = this.shoppers;
      this.stats = new Map();
      this.traffic = new Map();
      this.shoppers = new Map();
      try {
        await store.write({ replica: this.replica, rows, stats: [...stats.values()], traffic: [...traffic.values()], shoppers: [...shoppers.values()] });
        this.buffer.splice(0, rows.length);
        this.writtenRows += rows.length;
        this.succeeded();
      } catch (error) {
        this.failed(error);
        if (isPoisonBatch(error)) {
          // Written again it would fail again, and hold up everything behind it.
          this.buffer.splice(0, rows.length);
          this.droppedRows += rows.length;
          continue;
        }
        this.failedFlushes++;
        this.restore(stats, traffic, shoppers);
        return;
      }
    }
  }

  /** Puts counters of a failed write back, summed with any counted since. */
  private restore(stats: Map<string, ShadowStatDelta>, traffic: Map<string, TrafficDelta>, shoppers: Map<string, ShopperSpan>): void {
    for (const [key, s] of this.stats) {
      const old = stats.get(key);
      if (old) { old.sampled += s.sampled; old.dropped += s.dropped; old.errors += s.errors; } else stats.set(key, s);
    }
    this.stats = stats;
    const newer = this.traffic;
    this.traffic = traffic;
    this.addTraffic([...newer.values()]);
    const newerShoppers = this.shoppers;
    this.shoppers = shoppers;
    for (const span of newerShoppers.values()) {
      this.addShoppers([{ ...span, minute: span.firstMinute }]);
      if (span.lastMinute !== span.firstMinute) this.addShoppers([{ ...span, minute: span.lastMinute }]);
    }
  }

  private succeeded(): void {
    this.ok = true;
    this.failuresInARow = 0;
    this.nextAttemptAt = 0;
  }

  private failed(error: unknown): void {
    this.ok = false;
    this.lastError = redactSecrets(error instanceof Error ? error.message : String(error), this.target);
    this.lastErrorAt = Date.now();
    this.failuresInARow++;
    this.nextAttemptAt = Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.failuresInARow - 1));
  }

  /** Each route's latest rollout verdict (the rollout command writes them; the proxy shows them); none before the store is reached. */
  async lastVerdicts(): Promise<LastVerdict[]> {
    return this.store ? this.store.lastVerdicts() : [];
  }

  /** Guarded routes' conversion counts over their current step (guard-window.ts), one route after another; none before the store is reached. */
  async guardWindows(routes: readonly string[], now: number): Promise<GuardWindow[]> {
    const store = this.store;
    if (store === null) return [];
    const windows: GuardWindow[] = [];
    for (const route of routes) windows.push(await readGuardWindow(store, route, now));
    return windows;
  }

  async prune(now: number): Promise<number> {
    return (await this.open()).prune(now - this.options.retainMs);
  }

  /** Stops flushing, writes what is waiting (rows the store cannot take now are counted as dropped), closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    if (this.waiting()) await this.flush();
    if (this.buffer.length > 0) { this.droppedRows += this.buffer.length; this.buffer = []; }
    await this.connecting?.catch(() => undefined);
    await this.store?.close();
    this.store = null;
  }
}
