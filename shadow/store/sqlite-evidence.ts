import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { EvidenceStoreError, type EvidenceStore, type PercentEvent, type ShadowRow, type SideTraffic, type StoredVerdict } from './evidence';
import { migrate } from './schema';
import { LATENCY_BOUNDS_MS } from './traffic';

/** The schema version that has the evidence tables (traffic, percent_events, rollout_verdicts). */
const EVIDENCE_SCHEMA = 2;

export interface OpenOptions {
  /** Read only (`--dry-run`, `report`): no migration, no write. */
  readonly readonly?: boolean;
  /** Create the file when it does not exist (ramp, kill, unkill); otherwise a missing store is an error. */
  readonly create?: boolean;
}

function emptySide(): { requests: number; failures: number; fallbacks: number; latency: number[] } {
  return { requests: 0, failures: 0, fallbacks: 0, latency: new Array<number>(LATENCY_BOUNDS_MS.length).fill(0) };
}

/** Opens the SQLite evidence store (the diff store's file), migrating it unless read only. */
export function openSqliteEvidence(file: string, options: OpenOptions = {}): EvidenceStore {
  if (!options.create && !fs.existsSync(file)) {
    throw new EvidenceStoreError(`no evidence store at ${file}: the proxy writes its counters and comparisons there (set STRANGLER_DIFF_DB or --db)`);
  }
  let db: Database.Database;
  try {
    if (options.create) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file, { readonly: Boolean(options.readonly), fileMustExist: !options.create });
  } catch (error) {
    throw new EvidenceStoreError(`cannot open the evidence store ${file}: ${(error as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 2000');
    if (options.readonly) {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version < EVIDENCE_SCHEMA) {
        throw new Error(`its schema version is ${version}, older than the evidence tables (${EVIDENCE_SCHEMA}); start the proxy on it or run once without --dry-run to upgrade it`);
      }
    } else {
      db.pragma('journal_mode = WAL');
      migrate(db);
    }
    return new SqliteEvidence(db, file);
  } catch (error) {
    db.close();
    throw new EvidenceStoreError(`cannot use the evidence store ${file}: ${(error as Error).message}`);
  }
}

interface EventRow { id: number; at: number; route: string; from_percent: number | null; to_percent: number; action: PercentEvent['action']; who: string; file: string | null }

class SqliteEvidence implements EvidenceStore {
  private readonly lastEvent;
  private readonly lastRollback;
  private readonly clearedAfter;
  private readonly insertEvent;
  private readonly sides;
  private readonly buckets;
  private readonly rows;
  private readonly insertVerdict;
  private readonly latestVerdict;

  constructor(private readonly db: Database.Database, readonly location: string) {
    this.lastEvent = db.prepare('SELECT * FROM percent_events WHERE route = ? ORDER BY at DESC, id DESC LIMIT 1');
    this.lastRollback = db.prepare(`SELECT id, at FROM percent_events WHERE route = ? AND action = 'rollback' ORDER BY at DESC, id DESC LIMIT 1`);
    this.clearedAfter = db.prepare(`SELECT 1 FROM percent_events WHERE route = ? AND (at > ? OR (at = ? AND id > ?)) AND (action = 'resume' OR to_percent > 0) LIMIT 1`);
    this.insertEvent = db.readonly ? null : db.prepare(`INSERT INTO percent_events (at, route, from_percent, to_percent, action, who, file)
      VALUES (@at, @route, @fromPercent, @toPercent, @action, @who, @file)`);
    this.sides = db.prepare(`SELECT backend, SUM(requests) AS requests, SUM(failures) AS failures, SUM(fallbacks) AS fallbacks FROM traffic
      WHERE route = ? AND minute >= ? AND minute <= ? GROUP BY backend`);
    this.buckets = db.prepare('SELECT backend, le_ms AS le, SUM(count) AS count FROM traffic_latency WHERE route = ? AND minute >= ? AND minute <= ? GROUP BY backend, le_ms');
    this.rows = db.prepare('SELECT at, method, outcome, served_by AS servedBy, paths, noise FROM diffs WHERE route = ? AND at >= ? AND at <= ? ORDER BY at');
    this.insertVerdict = db.readonly ? null : db.prepare(`INSERT INTO rollout_verdicts (at, route, verdict, from_percent, to_percent, evidence)
      VALUES (@at, @route, @verdict, @fromPercent, @toPercent, @evidence)`);
    this.latestVerdict = db.prepare('SELECT * FROM rollout_verdicts WHERE route = ? ORDER BY at DESC, id DESC LIMIT 1');
  }

  lastPercentEvent(route: string): PercentEvent | null {
    const row = this.lastEvent.get(route) as EventRow | undefined;
    return row ? { at: row.at, route: row.route, fromPercent: row.from_percent, toPercent: row.to_percent, action: row.action, who: row.who, file: row.file } : null;
  }

  rolledBackAt(route: string): number | null {
    const rollback = this.lastRollback.get(route) as { id: number; at: number } | undefined;
    if (!rollback) return null;
    return this.clearedAfter.get(route, rollback.at, rollback.at, rollback.id) ? null : rollback.at;
  }

  recordPercentEvent(event: PercentEvent): void {
    this.writable(this.insertEvent).run({ ...event });
  }

  traffic(route: string, since: number, until: number): { legacy: SideTraffic; extracted: SideTraffic } {
    const from = Math.floor(since / 60_000) * 60_000;
    const result = { legacy: emptySide(), extracted: emptySide() };
    for (const row of this.sides.all(route, from, until) as Array<{ backend: string; requests: number; failures: number; fallbacks: number }>) {
      if (row.backend !== 'legacy' && row.backend !== 'extracted') continue;
      Object.assign(result[row.backend], { requests: row.requests, failures: row.failures, fallbacks: row.fallbacks });
    }
    for (const row of this.buckets.all(route, from, until) as Array<{ backend: string; le: number; count: number }>) {
      const index = LATENCY_BOUNDS_MS.indexOf(row.le);
      if ((row.backend === 'legacy' || row.backend === 'extracted') && index >= 0) result[row.backend].latency[index] += row.count;
    }
    return result;
  }

  *shadowRows(route: string, since: number, until: number): Iterable<ShadowRow> {
    for (const row of this.rows.iterate(route, since, until) as Iterable<{ at: number; method: string; outcome: ShadowRow['outcome']; servedBy: ShadowRow['servedBy']; paths: string; noise: string }>) {
      yield { at: row.at, method: row.method, outcome: row.outcome, servedBy: row.servedBy, paths: JSON.parse(row.paths) as string[], noise: JSON.parse(row.noise) as string[] };
    }
  }

  recordVerdict(verdict: StoredVerdict): void {
    this.writable(this.insertVerdict).run({ ...verdict, evidence: JSON.stringify(verdict.evidence) });
  }

  lastVerdict(route: string): StoredVerdict | null {
    const row = this.latestVerdict.get(route) as { at: number; route: string; verdict: StoredVerdict['verdict']; from_percent: number | null; to_percent: number | null; evidence: string } | undefined;
    return row ? { at: row.at, route: row.route, verdict: row.verdict, fromPercent: row.from_percent, toPercent: row.to_percent, evidence: JSON.parse(row.evidence) as StoredVerdict['evidence'] } : null;
  }

  close(): void {
    this.db.close();
  }

  private writable<T>(statement: T | null): T {
    if (statement === null) throw new EvidenceStoreError(`the evidence store ${this.location} was opened read only`);
    return statement;
  }
}
