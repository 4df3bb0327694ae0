import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from './schema';
import { addDelta, LATENCY_BOUNDS_MS, type TrafficDelta } from './traffic';

/** One compared request, already redacted. */
export interface DiffRow {
  at: number;
  route: string;
  method: string;
  target: string;
  servedBy: 'legacy' | 'extracted';
  legacyStatus: number | null;
  extractedStatus: number | null;
  legacyMs: number | null;
  extractedMs: number | null;
  outcome: 'match' | 'mismatch' | 'error' | 'truncated';
  paths: readonly string[];
  noise: readonly string[];
  legacySample: string | null;
  extractedSample: string | null;
  requestHeaders: Readonly<Record<string, string>>;
  source: 'live' | 'replay';
}

function summaryOf(evidence: string): string | null {
  try {
    const parsed = JSON.parse(evidence) as { summary?: unknown };
    return typeof parsed.summary === 'string' ? parsed.summary : null;
  } catch {
    return null;
  }
}

export function defaultDiffDbPath(): string {
  return process.env.STRANGLER_DIFF_DB ?? path.resolve('data', 'diffs.sqlite');
}

export const DAY_MS = 24 * 3600 * 1000;

export interface DiffStoreOptions {
  /** Rows waiting to be written; beyond this, rows are dropped and counted, never blocking a request. */
  maxBuffered: number;
  flushEveryMs: number;
  retainMs: number;
}

export const DEFAULT_STORE_OPTIONS: DiffStoreOptions = { maxBuffered: 10_000, flushEveryMs: 250, retainMs: 30 * DAY_MS };

/**
 * The diff store (better-sqlite3, WAL). Rows are buffered and written in one transaction per
 * flush; when a write fails (another process holding the lock past busy_timeout), the batch stays
 * buffered for the next flush and the failure is counted, so rows are retried, never silently lost.
 */
export class DiffStore {
  readonly db: Database.Database;
  private buffer: DiffRow[] = [];
  private stats = new Map<string, { minute: number; route: string; sampled: number; dropped: number; errors: number }>();
  /** Traffic counters waiting to be written, one entry per (minute, route, backend). */
  private traffic = new Map<string, TrafficDelta>();
  private timer: NodeJS.Timeout | null = null;
  private readonly insertRow;
  private readonly upsertStats;
  private readonly upsertTraffic;
  private readonly upsertLatency;
  droppedRows = 0;
  failedFlushes = 0;
  writtenRows = 0;

  constructor(readonly file: string, private readonly options: DiffStoreOptions = DEFAULT_STORE_OPTIONS, readonly: boolean = false) {
    if (!readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file, { readonly, fileMustExist: readonly });
    if (!readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('busy_timeout = 2000');
    if (!readonly) migrate(this.db);
    this.insertRow = readonly ? null : this.db.prepare(`INSERT INTO diffs (at, route, method, target, served_by, legacy_status, extracted_status,
      legacy_ms, extracted_ms, outcome, paths, noise, legacy_sample, extracted_sample, request_headers, source)
      VALUES (@at, @route, @method, @target, @servedBy, @legacyStatus, @extractedStatus, @legacyMs, @extractedMs, @outcome, @paths, @noise,
      @legacySample, @extractedSample, @requestHeaders, @source)`);
    this.upsertStats = readonly ? null : this.db.prepare(`INSERT INTO shadow_stats (minute, route, sampled, dropped, errors) VALUES (@minute, @route, @sampled, @dropped, @errors)
      ON CONFLICT (minute, route) DO UPDATE SET sampled = sampled + excluded.sampled, dropped = dropped + excluded.dropped, errors = errors + excluded.errors`);
    this.upsertTraffic = readonly ? null : this.db.prepare(`INSERT INTO traffic (minute, route, backend, requests, failures, fallbacks, latency_ms_sum)
      VALUES (@minute, @route, @backend, @requests, @failures, @fallbacks, @latencyMsSum)
      ON CONFLICT (minute, route, backend) DO UPDATE SET requests = requests + excluded.requests, failures = failures + excluded.failures,
      fallbacks = fallbacks + excluded.fallbacks, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`);
    this.upsertLatency = readonly ? null : this.db.prepare(`INSERT INTO traffic_latency (minute, route, backend, le_ms, count) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (minute, route, backend, le_ms) DO UPDATE SET count = count + excluded.count`);
  }

  /** Starts periodic flushing and prunes rows past the retention. */
  start(): this {
    this.prune(Date.now());
    this.timer = setInterval(() => this.flush(), this.options.flushEveryMs);
    this.timer.unref();
    return this;
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
    if (!entry) { entry = { minute, route, sampled: 0, dropped: 0, errors: 0 }; this.stats.set(key, entry); }
    entry[field]++;
  }

  /** Queues traffic counters (the proxy's evidence); summed with what is waiting and what is stored. */
  addTraffic(deltas: readonly TrafficDelta[]): void {
    for (const delta of deltas) {
      const key = `${delta.minute}\u0000${delta.route}\u0000${delta.backend}`;
      const waiting = this.traffic.get(key);
      if (waiting) addDelta(waiting, delta);
      else this.traffic.set(key, { ...delta, latency: [...delta.latency] });
    }
  }

  /** Writes everything buffered in one transaction; on failure keeps it for the next flush. */
  flush(): void {
    if ((this.buffer.length === 0 && this.stats.size === 0 && this.traffic.size === 0) || !this.insertRow || !this.upsertStats) return;
    const rows = this.buffer;
    const stats = [...this.stats.values()];
    const traffic = this.traffic;
    const insertRow = this.insertRow;
    const upsertStats = this.upsertStats;
    const upsertTraffic = this.upsertTraffic!;
    const upsertLatency = this.upsertLatency!;
    try {
      this.db.transaction(() => {
        for (const row of rows) {
          insertRow.run({ ...row, paths: JSON.stringify(row.paths), noise: JSON.stringify(row.noise), requestHeaders: JSON.stringify(row.requestHeaders) });
        }
        for (const s of stats) upsertStats.run(s);
        for (const t of traffic.values()) {
          upsertTraffic.run(t);
          for (let i = 0; i < t.latency.length; i++) {
            if (t.latency[i] > 0) upsertLatency.run(t.minute, t.route, t.backend, LATENCY_BOUNDS_MS[i], t.latency[i]);
          }
        }
      }).immediate();
      this.buffer = this.buffer.slice(rows.length);
      for (const s of stats) this.stats.delete(`${s.minute}\u0000${s.route}`);
      this.traffic = new Map();
      this.writtenRows += rows.length;
    } catch {
      this.failedFlushes++;
    }
  }

  /** Each route's latest rollout verdict (the rollout command writes them; the proxy shows them). */
  lastVerdicts(): Array<{ route: string; verdict: string; at: number; fromPercent: number | null; toPercent: number | null; summary: string | null }> {
    const rows = this.db.prepare(`SELECT route, verdict, at, from_percent AS fromPercent, to_percent AS toPercent, evidence FROM rollout_verdicts
      WHERE id IN (SELECT MAX(id) FROM rollout_verdicts GROUP BY route)`).all() as Array<{ route: string; verdict: string; at: number; fromPercent: number | null; toPercent: number | null; evidence: string }>;
    return rows.map(({ evidence, ...row }) => ({ ...row, summary: summaryOf(evidence) }));
  }

  prune(now: number): number {
    if (!this.insertRow) return 0;
    const cutoff = now - this.options.retainMs;
    const removed = this.db.prepare('DELETE FROM diffs WHERE at < ?').run(cutoff).changes;
    this.db.prepare('DELETE FROM shadow_stats WHERE minute < ?').run(cutoff);
    this.db.prepare('DELETE FROM traffic WHERE minute < ?').run(cutoff);
    this.db.prepare('DELETE FROM traffic_latency WHERE minute < ?').run(cutoff);
    return removed;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.db.close();
  }
}
