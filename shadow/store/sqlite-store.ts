/**
 * The embedded store: one SQLite file (better-sqlite3, WAL). Synchronous underneath: each method
 * does its work before it returns, and its promise only carries the result, so a flush still
 * blocks the shadow worker's thread (never the shoppers') for at most busy_timeout.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { EvidenceStoreError, type PercentEvent, type ShadowRow, type SideTraffic, type StoredVerdict } from './evidence';
import { EVIDENCE_SCHEMA, GUARD_SCHEMA, migrate, REPLICA_SCHEMA, SCHEMA_VERSION, TRACE_SCHEMA } from './schema';
import { DAY_MS, dayOf, NO_SHOPPERS, sidesOf, type WindowShoppers } from './shoppers';
import { noiseList, pathList, summaryOf, type CapturedRead, type DiffExample, type LastVerdict, type OpenOptions, type ReplicaRows, type Store, type StoredDiff, type WriteBatch } from './store';
import { emptySide, LATENCY_BOUNDS_MS } from './traffic';

const MINUTE_MS = 60_000;

/** Opens the SQLite store at `file`, migrating it unless read only. */
export function openSqliteStore(file: string, options: OpenOptions = {}): SqliteStore {
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
      if (version > SCHEMA_VERSION) throw new Error(`the diff store has schema version ${version}, newer than this strangler understands (${SCHEMA_VERSION})`);
    } else {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    return new SqliteStore(db, file);
  } catch (error) {
    db.close();
    throw new EvidenceStoreError(`cannot use the evidence store ${file}: ${(error as Error).message}`);
  }
}

interface EventRow { id: number; at: number; route: string; from_percent: number | null; to_percent: number; action: PercentEvent['action']; who: string; file: string | null }

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly schemaVersion: number;
  private readonly hasReplica: boolean;

  constructor(readonly db: Database.Database, readonly location: string) {
    this.schemaVersion = db.pragma('user_version', { simple: true }) as number;
    this.hasReplica = this.schemaVersion >= REPLICA_SCHEMA;
  }

  // Rows are inserted by one prepared statement each, inside one transaction: in SQLite that is
  // the batched write (a multi-row VALUES saves nothing once the statement is prepared).
  async write(batch: WriteBatch): Promise<void> {
    const db = this.writable();
    const replica = batch.replica;
    const insertRow = db.prepare(`INSERT INTO diffs (at, route, method, target, served_by, legacy_status, extracted_status,
      legacy_ms, extracted_ms, outcome, paths, noise, legacy_sample, extracted_sample, request_headers, source, replica, trace_id)
      VALUES (@at, @route, @method, @target, @servedBy, @legacyStatus, @extractedStatus, @legacyMs, @extractedMs, @outcome, @paths, @noise,
      @legacySample, @extractedSample, @requestHeaders, @source, @replica, @traceId)`);
    const upsertStats = db.prepare(`INSERT INTO shadow_stats (minute, route, replica, sampled, dropped, errors) VALUES (@minute, @route, @replica, @sampled, @dropped, @errors)
      ON CONFLICT (minute, route, replica) DO UPDATE SET sampled = sampled + excluded.sampled, dropped = dropped + excluded.dropped, errors = errors + excluded.errors`);
    const upsertTraffic = db.prepare(`INSERT INTO traffic (minute, route, backend, replica, requests, failures, fallbacks, latency_ms_sum)
      VALUES (@minute, @route, @backend, @replica, @requests, @failures, @fallbacks, @latencyMsSum)
      ON CONFLICT (minute, route, backend, replica) DO UPDATE SET requests = requests + excluded.requests, failures = failures + excluded.failures,
      fallbacks = fallbacks + excluded.fallbacks, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`);
    const upsertShoppers = {
      exposed: db.prepare(SHOPPER_UPSERT('guard_exposures')),
      converted: db.prepare(SHOPPER_UPSERT('guard_conversions')),
    };
    const upsertLatency = db.prepare(`INSERT INTO traffic_latency (minute, route, backend, replica, le_ms, count) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (minute, route, backend, replica, le_ms) DO UPDATE SET count = count + excluded.count`);
    db.transaction(() => {
      for (const row of batch.rows) {
        insertRow.run({ ...row, replica, traceId: row.traceId ?? null, paths: JSON.stringify(row.paths), noise: JSON.stringify(row.noise), requestHeaders: JSON.stringify(row.requestHeaders) });
      }
      for (const s of batch.stats) upsertStats.run({ ...s, replica });
      for (const t of batch.traffic) {
        upsertTraffic.run({ minute: t.minute, route: t.route, backend: t.backend, replica, requests: t.requests, failures: t.failures, fallbacks: t.fallbacks, latencyMsSum: t.latencyMsSum });
        for (let i = 0; i < t.latency.length; i++) {
          if (t.latency[i] > 0) upsertLatency.run(t.minute, t.route, t.backend, replica, LATENCY_BOUNDS_MS[i], t.latency[i]);
        }
      }
      for (const s of batch.shoppers ?? []) upsertShoppers[s.kind].run(s.route, s.day, s.shopper, s.side, s.firstMinute, s.lastMinute);
    }).immediate();
  }

  async prune(cutoff: number): Promise<number> {
    const db = this.writable();
    return db.transaction(() => {
      const removed = db.prepare('DELETE FROM diffs WHERE at < ?').run(cutoff).changes;
      for (const table of ['shadow_stats', 'traffic', 'traffic_latency']) db.prepare(`DELETE FROM ${table} WHERE minute < ?`).run(cutoff);
      // A day's shopper rows go once the whole day is past the retention.
      for (const table of ['guard_exposures', 'guard_conversions']) db.prepare(`DELETE FROM ${table} WHERE day < ?`).run(dayOf(cutoff) - DAY_MS);
      return removed;
    }).immediate();
  }

  async routesWithData(since: number, until: number): Promise<string[]> {
    const rows = this.db.prepare(`SELECT route FROM diffs WHERE at >= ? AND at < ? UNION SELECT route FROM shadow_stats WHERE minute >= ? AND minute < ? ORDER BY route`)
      .all(since, until, minuteOf(since), until) as Array<{ route: string }>;
    return rows.map((r) => r.route);
  }

  async shadowStats(route: string, since: number, until: number): Promise<{ sampled: number; dropped: number; errors: number }> {
    return this.db.prepare(`SELECT COALESCE(SUM(sampled), 0) AS sampled, COALESCE(SUM(dropped), 0) AS dropped, COALESCE(SUM(errors), 0) AS errors
      FROM shadow_stats WHERE route = ? AND minute >= ? AND minute < ?`).get(route, minuteOf(since), until) as { sampled: number; dropped: number; errors: number };
  }

  // The statement's iterator stays open between rows: nothing else may use this connection until
  // the loop ends (the report and the rollout read one window at a time).
  async *comparisons(route: string, since: number, until: number): AsyncIterable<StoredDiff> {
    const select = this.db.prepare('SELECT id, at, method, outcome, served_by AS servedBy, paths, noise FROM diffs WHERE route = ? AND at >= ? AND at < ? ORDER BY id');
    for (const r of select.iterate(route, since, until) as Iterable<{ id: number; at: number; method: string; outcome: StoredDiff['outcome']; servedBy: StoredDiff['servedBy']; paths: string; noise: string }>) {
      yield { id: r.id, at: r.at, method: r.method, outcome: r.outcome, servedBy: r.servedBy, paths: pathList(r.paths, 'paths', r.id), noise: noiseList(r.noise, r.id) };
    }
  }

  async example(id: number): Promise<DiffExample | null> {
    // A store opened read only may predate trace ids (schema 5): its examples have none.
    const traceId = this.schemaVersion >= TRACE_SCHEMA ? 'trace_id' : 'NULL';
    return (this.db.prepare(`SELECT target, legacy_sample AS legacy, extracted_sample AS extracted, legacy_status AS legacyStatus, extracted_status AS extractedStatus,
      ${traceId} AS traceId FROM diffs WHERE id = ?`).get(id) as DiffExample | undefined) ?? null;
  }

  async latencies(route: string, since: number, until: number): Promise<Array<{ legacy: number | null; extracted: number | null }>> {
    return this.db.prepare(`SELECT legacy_ms AS legacy, extracted_ms AS extracted FROM diffs WHERE route = ? AND at >= ? AND at < ? AND outcome != 'error'`)
      .all(route, since, until) as Array<{ legacy: number | null; extracted: number | null }>;
  }

  async capturedReads(since: number, route: string | null): Promise<CapturedRead[]> {
    const rows = this.db.prepare(`SELECT route, method, target, request_headers AS headers FROM diffs
      WHERE source = 'live' AND method IN ('GET', 'HEAD') AND at >= ? ${route !== null ? 'AND route = ?' : ''}
      GROUP BY route, method, target, request_headers ORDER BY MIN(at)`).all(...(route !== null ? [since, route] : [since])) as Array<{ route: string; method: string; target: string; headers: string }>;
    return rows.map((r) => ({ ...r, headers: JSON.parse(r.headers) as Record<string, string> }));
  }

  async replicas(since: number, until: number): Promise<ReplicaRows[]> {
    if (!this.hasReplica) return [];
    return this.db.prepare(`SELECT replica, COUNT(*) AS rows, SUM(outcome IN ('match', 'mismatch')) AS compared FROM diffs
      WHERE at >= ? AND at < ? GROUP BY replica ORDER BY replica`).all(since, until) as ReplicaRows[];
  }

  async lastVerdicts(): Promise<LastVerdict[]> {
    const rows = this.db.prepare(`SELECT route, verdict, at, from_percent AS fromPercent, to_percent AS toPercent, evidence FROM rollout_verdicts
      WHERE id IN (SELECT MAX(id) FROM rollout_verdicts GROUP BY route)`).all() as Array<Omit<LastVerdict, 'summary'> & { evidence: string }>;
    return rows.map(({ evidence, ...row }) => ({ ...row, summary: summaryOf(evidence) }));
  }

  async lastPercentEvent(route: string): Promise<PercentEvent | null> {
    const row = this.db.prepare('SELECT * FROM percent_events WHERE route = ? ORDER BY at DESC, id DESC LIMIT 1').get(route) as EventRow | undefined;
    return row ? { at: row.at, route: row.route, fromPercent: row.from_percent, toPercent: row.to_percent, action: row.action, who: row.who, file: row.file } : null;
  }

  async rolledBackAt(route: string): Promise<number | null> {
    const rollback = this.db.prepare(`SELECT id, at FROM percent_events WHERE route = ? AND action = 'rollback' ORDER BY at DESC, id DESC LIMIT 1`).get(route) as { id: number; at: number } | undefined;
    if (!rollback) return null;
    const cleared = this.db.prepare(`SELECT 1 FROM percent_events WHERE route = ? AND (at > ? OR (at = ? AND id > ?)) AND (action = 'resume' OR to_percent > 0) LIMIT 1`)
      .get(route, rollback.at, rollback.at, rollback.id);
    return cleared ? null : rollback.at;
  }

  async recordPercentEvent(event: PercentEvent): Promise<void> {
    this.writable().prepare(`INSERT INTO percent_events (at, route, from_percent, to_percent, action, who, file)
      VALUES (@at, @route, @fromPercent, @toPercent, @action, @who, @file)`).run({ ...event });
  }

  async traffic(route: string, since: number, until: number): Promise<{ legacy: SideTraffic; extracted: SideTraffic }> {
    const from = minuteOf(since);
    const result = { legacy: emptySide(), extracted: emptySide() };
    const sides = this.db.prepare(`SELECT backend, SUM(requests) AS requests, SUM(failures) AS failures, SUM(fallbacks) AS fallbacks FROM traffic
      WHERE route = ? AND minute >= ? AND minute <= ? GROUP BY backend`).all(route, from, until) as Array<{ backend: string; requests: number; failures: number; fallbacks: number }>;
    for (const row of sides) {
      if (row.backend !== 'legacy' && row.backend !== 'extracted') continue;
      Object.assign(result[row.backend], { requests: row.requests, failures: row.failures, fallbacks: row.fallbacks });
    }
    const buckets = this.db.prepare('SELECT backend, le_ms AS le, SUM(count) AS count FROM traffic_latency WHERE route = ? AND minute >= ? AND minute <= ? GROUP BY backend, le_ms')
      .all(route, from, until) as Array<{ backend: string; le: number; count: number }>;
    for (const row of buckets) {
      const index = LATENCY_BOUNDS_MS.indexOf(row.le);
      if ((row.backend === 'legacy' || row.backend === 'extracted') && index >= 0) result[row.backend].latency[index] += row.count;
    }
    return result;
  }

  async conversions(route: string, since: number, until: number): Promise<WindowShoppers> {
    if (this.schemaVersion < GUARD_SCHEMA) return NO_SHOPPERS;
    const from = minuteOf(since);
    const rows = this.db.prepare(CONVERSIONS_SQL).all({ route, from, fromDay: dayOf(from), until }) as Array<{ side: string; shoppers: number; converted: number }>;
    return sidesOf(rows);
  }

  async *shadowRows(route: string, since: number, until: number): AsyncIterable<ShadowRow> {
    for await (const { id: _id, ...row } of this.comparisons(route, since, until + 1)) yield row;
  }

  async recordVerdict(verdict: StoredVerdict): Promise<void> {
    this.writable().prepare(`INSERT INTO rollout_verdicts (at, route, verdict, from_percent, to_percent, evidence)
      VALUES (@at, @route, @verdict, @fromPercent, @toPercent, @evidence)`).run({ ...verdict, evidence: JSON.stringify(verdict.evidence) });
  }

  async lastVerdict(route: string): Promise<StoredVerdict | null> {
    const row = this.db.prepare('SELECT * FROM rollout_verdicts WHERE route = ? ORDER BY at DESC, id DESC LIMIT 1').get(route) as
      { at: number; route: string; verdict: StoredVerdict['verdict']; from_percent: number | null; to_percent: number | null; evidence: string } | undefined;
    return row ? { at: row.at, route: row.route, verdict: row.verdict, fromPercent: row.from_percent, toPercent: row.to_percent, evidence: JSON.parse(row.evidence) as StoredVerdict['evidence'] } : null;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private writable(): Database.Database {
    if (this.db.readonly) throw new EvidenceStoreError(`the evidence store ${this.location} was opened read only`);
    return this.db;
  }
}

const SHOPPER_UPSERT = (table: string): string => `INSERT INTO ${table} (route, day, shopper, side, first_minute, last_minute) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (route, day, shopper, side) DO UPDATE SET first_minute = MIN(first_minute, excluded.first_minute), last_minute = MAX(last_minute, excluded.last_minute)`;

/** Exposed shoppers per side in the window, and those of them who reached the goal on that side at or after their first exposure. */
const CONVERSIONS_SQL = `WITH exposed AS (
    SELECT side, shopper, MIN(first_minute) AS first FROM guard_exposures
    WHERE route = @route AND day >= @fromDay AND day <= @until AND last_minute >= @from AND first_minute <= @until GROUP BY side, shopper
  ), converted AS (
    SELECT side, shopper, MAX(last_minute) AS last FROM guard_conversions
    WHERE route = @route AND day >= @fromDay AND day <= @until AND last_minute >= @from AND first_minute <= @until GROUP BY side, shopper
  )
  SELECT e.side AS side, COUNT(*) AS shoppers, COUNT(c.shopper) AS converted
  FROM exposed e LEFT JOIN converted c ON c.side = e.side AND c.shopper = e.shopper AND c.last >= e.first
  GROUP BY e.side`;


function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}
