/**
 * The shared store: PostgreSQL through `pg`, one database for every replica. A flush is one
 * transaction of a few statements whatever its size: each table's rows go in as arrays expanded
 * by unnest() (one multi-row INSERT per table, no parameter limit), counters summed by
 * INSERT … ON CONFLICT DO UPDATE. Windows are read through a server-side cursor, a page at a time.
 *
 * Every error that leaves this module has the URL's password taken out (location.ts).
 */
import pg from 'pg';
import { EvidenceStoreError, type PercentEvent, type ShadowRow, type SideTraffic, type StoredVerdict } from './evidence';
import { redactLocation, redactSecrets } from './location';
import { migratePostgres, schemaVersion } from './postgres-schema';
import { EVIDENCE_SCHEMA, GUARD_SCHEMA, SCHEMA_VERSION, TRACE_SCHEMA } from './schema';
import { DAY_MS, dayOf, NO_SHOPPERS, sidesOf, type WindowShoppers } from './shoppers';
import { clean, cleanJson, diffColumns, INSERT_DIFFS, UPSERT_LATENCY, UPSERT_STATS, UPSERT_TRAFFIC } from './postgres-batch';
import { noiseList, pathList, summaryOf, type CapturedRead, type DiffExample, type LastVerdict, type OpenOptions, type ReplicaRows, type Store, type StoredDiff, type WriteBatch } from './store';
import { emptySide, LATENCY_BOUNDS_MS } from './traffic';

const MINUTE_MS = 60_000;
/** Rows fetched from a window's cursor at a time. */
const PAGE_ROWS = 2000;

export interface PostgresTimeouts {
  /** Giving up on a connection attempt (a host that does not answer). */
  readonly connectMs: number;
  /** Giving up on one statement (a server that answers too slowly); the flush is retried later. */
  readonly statementMs: number;
}

export const DEFAULT_TIMEOUTS: PostgresTimeouts = { connectMs: 5000, statementMs: 15_000 };

// bigint (int8) and numeric (what SUM over bigint gives) as numbers: times are milliseconds since
// the epoch and counts are far below 2^53.
const INT8 = 20;
const NUMERIC = 1700;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => (oid === INT8 || oid === NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openPostgresStore(url: string, options: OpenOptions = {}, timeouts: PostgresTimeouts = DEFAULT_TIMEOUTS): Promise<PostgresStore> {
  const location = redactLocation(url);
  const pool = new pg.Pool({
    connectionString: url, max: 3, types, application_name: 'strangler',
    connectionTimeoutMillis: timeouts.connectMs, statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs + 1000,
    idleTimeoutMillis: 10_000, allowExitOnIdle: true,
    ...(options.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection the server closes (a restart, a failover) is an 'error' on the pool: the
  // pool drops it and the next query connects again. Unhandled, it would end the process.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      let version: number;
      if (options.readonly) {
        const found = await schemaVersion(client);
        if (found === null) throw new Error('it has no strangler tables yet (no schema_version table); start a proxy on it, or run once without --dry-run');
        if (found < EVIDENCE_SCHEMA) throw new Error(`its schema version is ${found}, older than the evidence tables (${EVIDENCE_SCHEMA}); start the proxy on it or run once without --dry-run to upgrade it`);
        if (found > SCHEMA_VERSION) throw new Error(`the diff store has schema version ${found}, newer than this strangler understands (${SCHEMA_VERSION})`);
        version = found;
      } else {
        await migratePostgres(client);
        version = SCHEMA_VERSION;
      }
      return new PostgresStore(pool, url, location, Boolean(options.readonly), version);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new EvidenceStoreError(`cannot use the evidence store ${location}: ${redactSecrets(messageOf(error), url)}`);
  }
}

/** pg's errors: the message, and the SQLSTATE or socket code when there is one. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  const { message, code } = error as { message?: string; code?: string };
  const text = message || String(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

type Row = Record<string, unknown>;

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  constructor(private readonly pool: pg.Pool, private readonly url: string, readonly location: string, private readonly readonly: boolean, readonly schemaVersion: number) {}

  async write(batch: WriteBatch): Promise<void> {
    this.writable();
    await this.transaction(async (client) => {
      if (batch.rows.length > 0) await client.query(INSERT_DIFFS, diffColumns(batch.rows, batch.replica));
      // Counters in key order, so two writers sharing a replica name take row locks in the same order.
      const stats = [...batch.stats].sort((a, b) => a.minute - b.minute || a.route.localeCompare(b.route));
      if (stats.length > 0) {
        await client.query(UPSERT_STATS, [batch.replica, stats.map((s) => s.minute), stats.map((s) => s.route), stats.map((s) => s.sampled), stats.map((s) => s.dropped), stats.map((s) => s.errors)]);
      }
      const traffic = [...batch.traffic].sort((a, b) => a.minute - b.minute || a.route.localeCompare(b.route) || a.backend.localeCompare(b.backend));
      if (traffic.length > 0) {
        await client.query(UPSERT_TRAFFIC, [batch.replica, traffic.map((t) => t.minute), traffic.map((t) => t.route), traffic.map((t) => t.backend),
          traffic.map((t) => t.requests), traffic.map((t) => t.failures), traffic.map((t) => t.fallbacks), traffic.map((t) => t.latencyMsSum)]);
        const buckets = traffic.flatMap((t) => t.latency.flatMap((count, i) => (count > 0 ? [{ t, le: LATENCY_BOUNDS_MS[i], count }] : [])));
        if (buckets.length > 0) {
          await client.query(UPSERT_LATENCY, [batch.replica, buckets.map((b) => b.t.minute), buckets.map((b) => b.t.route), buckets.map((b) => b.t.backend),
            buckets.map((b) => b.le), buckets.map((b) => b.count)]);
        }
      }
      // Spans arrive coalesced per key (DiffStore), so no statement touches a row twice; in key order, as above.
      const shoppers = [...(batch.shoppers ?? [])].sort((a, b) => a.route.localeCompare(b.route) || a.day - b.day || a.shopper - b.shopper || a.side.localeCompare(b.side));
      for (const kind of ['exposed', 'converted'] as const) {
        const spans = shoppers.filter((s) => s.kind === kind);
        if (spans.length === 0) continue;
        await client.query(SHOPPER_UPSERT(kind === 'exposed' ? 'guard_exposures' : 'guard_conversions'), [spans.map((s) => s.route), spans.map((s) => s.day),
          spans.map((s) => s.shopper), spans.map((s) => s.side), spans.map((s) => s.firstMinute), spans.map((s) => s.lastMinute)]);
      }
    });
  }

  async prune(cutoff: number): Promise<number> {
    this.writable();
    return this.transaction(async (client) => {
      const removed = await client.query('DELETE FROM diffs WHERE at < $1', [cutoff]);
      for (const table of ['shadow_stats', 'traffic', 'traffic_latency']) await client.query(`DELETE FROM ${table} WHERE minute < $1`, [cutoff]);
      // A day's shopper rows go once the whole day is past the retention.
      for (const table of ['guard_exposures', 'guard_conversions']) await client.query(`DELETE FROM ${table} WHERE day < $1`, [dayOf(cutoff) - DAY_MS]);
      return removed.rowCount ?? 0;
    });
  }

  async routesWithData(since: number, until: number): Promise<string[]> {
    const rows = await this.rows(`SELECT route FROM diffs WHERE at >= $1 AND at < $2 UNION SELECT route FROM shadow_stats WHERE minute >= $3 AND minute < $2 ORDER BY route`,
      [since, until, minuteOf(since)]);
    return rows.map((r) => r.route as string);
  }

  async shadowStats(route: string, since: number, until: number): Promise<{ sampled: number; dropped: number; errors: number }> {
    const [row] = await this.rows(`SELECT COALESCE(SUM(sampled), 0) AS sampled, COALESCE(SUM(dropped), 0) AS dropped, COALESCE(SUM(errors), 0) AS errors
      FROM shadow_stats WHERE route = $1 AND minute >= $2 AND minute < $3`, [route, minuteOf(since), until]);
    return row as { sampled: number; dropped: number; errors: number };
  }

  async *comparisons(route: string, since: number, until: number): AsyncIterable<StoredDiff> {
    const client = await this.connect();
    let broken: Error | undefined;
    let open = false;
    try {
      await client.query('BEGIN READ ONLY');
      open = true;
      await client.query(`DECLARE window_rows NO SCROLL CURSOR FOR SELECT id, at, method, outcome, served_by, paths, noise FROM diffs
        WHERE route = $1 AND at >= $2 AND at < $3 ORDER BY id`, [route, since, until]);
      for (;;) {
        const page = await client.query(`FETCH ${PAGE_ROWS} FROM window_rows`);
        for (const r of page.rows as Row[]) {
          const id = r.id as number;
          yield { id, at: r.at as number, method: r.method as string, outcome: r.outcome as StoredDiff['outcome'], servedBy: r.served_by as StoredDiff['servedBy'],
            paths: pathList(r.paths, 'paths', id), noise: noiseList(r.noise, id) };
        }
        if (page.rows.length < PAGE_ROWS) break;
      }
      await client.query('COMMIT');
      open = false;
    } catch (error) {
      broken = error as Error;
      throw this.wrapped(error);
    } finally {
      // Left early (the reader stopped): the transaction, and the cursor with it, goes.
      if (open && !broken) await client.query('ROLLBACK').catch((error: Error) => { broken = error; });
      client.release(broken);
    }
  }

  async example(id: number): Promise<DiffExample | null> {
    // A database opened read only may predate trace ids (schema 5): its examples have none.
    const traceId = this.schemaVersion >= TRACE_SCHEMA ? 'trace_id' : 'NULL::text';
    const [row] = await this.rows(`SELECT target, legacy_sample AS legacy, extracted_sample AS extracted, legacy_status AS "legacyStatus", extracted_status AS "extractedStatus",
      ${traceId} AS "traceId" FROM diffs WHERE id = $1`, [id]);
    return (row as unknown as DiffExample | undefined) ?? null;
  }

  async latencies(route: string, since: number, until: number): Promise<Array<{ legacy: number | null; extracted: number | null }>> {
    return await this.rows(`SELECT legacy_ms AS legacy, extracted_ms AS extracted FROM diffs WHERE route = $1 AND at >= $2 AND at < $3 AND outcome <> 'error'`,
      [route, since, until]) as Array<{ legacy: number | null; extracted: number | null }>;
  }

  async capturedReads(since: number, route: string | null): Promise<CapturedRead[]> {
    const rows = await this.rows(`SELECT route, method, target, request_headers AS headers FROM diffs
      WHERE source = 'live' AND method IN ('GET', 'HEAD') AND at >= $1 AND ($2::text IS NULL OR route = $2)
      GROUP BY route, method, target, request_headers ORDER BY MIN(at)`, [since, route]);
    return rows as unknown as CapturedRead[];
  }

  async replicas(since: number, until: number): Promise<ReplicaRows[]> {
    return await this.rows(`SELECT replica, COUNT(*) AS rows, COUNT(*) FILTER (WHERE outcome IN ('match', 'mismatch')) AS compared FROM diffs
      WHERE at >= $1 AND at < $2 GROUP BY replica ORDER BY replica`, [since, until]) as unknown as ReplicaRows[];
  }

  async lastVerdicts(): Promise<LastVerdict[]> {
    const rows = await this.rows(`SELECT route, verdict, at, from_percent AS "fromPercent", to_percent AS "toPercent", evidence FROM rollout_verdicts
      WHERE id IN (SELECT MAX(id) FROM rollout_verdicts GROUP BY route)`);
    return rows.map(({ evidence, ...row }) => ({ ...(row as Omit<LastVerdict, 'summary'>), summary: summaryOf(evidence) }));
  }

  async lastPercentEvent(route: string): Promise<PercentEvent | null> {
    const [row] = await this.rows('SELECT * FROM percent_events WHERE route = $1 ORDER BY at DESC, id DESC LIMIT 1', [route]);
    return row ? { at: row.at as number, route: row.route as string, fromPercent: row.from_percent as number | null, toPercent: row.to_percent as number,
      action: row.action as PercentEvent['action'], who: row.who as string, file: row.file as string | null } : null;
  }

  async rolledBackAt(route: string): Promise<number | null> {
    const [rollback] = await this.rows(`SELECT id, at FROM percent_events WHERE route = $1 AND action = 'rollback' ORDER BY at DESC, id DESC LIMIT 1`, [route]);
    if (!rollback) return null;
    const cleared = await this.rows(`SELECT 1 FROM percent_events WHERE route = $1 AND (at > $2 OR (at = $2 AND id > $3)) AND (action = 'resume' OR to_percent > 0) LIMIT 1`,
      [route, rollback.at, rollback.id]);
    return cleared.length > 0 ? null : rollback.at as number;
  }

  async recordPercentEvent(event: PercentEvent): Promise<void> {
    this.writable();
    await this.rows('INSERT INTO percent_events (at, route, from_percent, to_percent, action, who, file) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [event.at, event.route, event.fromPercent, event.toPercent, event.action, clean(event.who), clean(event.file)]);
  }

  async traffic(route: string, since: number, until: number): Promise<{ legacy: SideTraffic; extracted: SideTraffic }> {
    const from = minuteOf(since);
    const result = { legacy: emptySide(), extracted: emptySide() };
    const sides = await this.rows(`SELECT backend, SUM(requests) AS requests, SUM(failures) AS failures, SUM(fallbacks) AS fallbacks FROM traffic
      WHERE route = $1 AND minute >= $2 AND minute <= $3 GROUP BY backend`, [route, from, until]);
    for (const row of sides) {
      if (row.backend !== 'legacy' && row.backend !== 'extracted') continue;
      Object.assign(result[row.backend], { requests: row.requests, failures: row.failures, fallbacks: row.fallbacks });
    }
    const buckets = await this.rows('SELECT backend, le_ms AS le, SUM(count) AS count FROM traffic_latency WHERE route = $1 AND minute >= $2 AND minute <= $3 GROUP BY backend, le_ms',
      [route, from, until]);
    for (const row of buckets) {
      const index = LATENCY_BOUNDS_MS.indexOf(row.le as number);
      if ((row.backend === 'legacy' || row.backend === 'extracted') && index >= 0) result[row.backend].latency[index] += row.count as number;
    }
    return result;
  }

  async conversions(route: string, since: number, until: number): Promise<WindowShoppers> {
    if (this.schemaVersion < GUARD_SCHEMA) return NO_SHOPPERS;
    const from = minuteOf(since);
    const rows = await this.rows(CONVERSIONS_SQL, [route, from, dayOf(from), until]);
    return sidesOf(rows as Array<{ side: string; shoppers: number; converted: number }>);
  }

  async *shadowRows(route: string, since: number, until: number): AsyncIterable<ShadowRow> {
    for await (const { id: _id, ...row } of this.comparisons(route, since, until + 1)) yield row;
  }

  async recordVerdict(verdict: StoredVerdict): Promise<void> {
    this.writable();
    await this.rows('INSERT INTO rollout_verdicts (at, route, verdict, from_percent, to_percent, evidence) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
      [verdict.at, verdict.route, verdict.verdict, verdict.fromPercent, verdict.toPercent, cleanJson(verdict.evidence)]);
  }

  async lastVerdict(route: string): Promise<StoredVerdict | null> {
    const [row] = await this.rows('SELECT * FROM rollout_verdicts WHERE route = $1 ORDER BY at DESC, id DESC LIMIT 1', [route]);
    return row ? { at: row.at as number, route: row.route as string, verdict: row.verdict as StoredVerdict['verdict'], fromPercent: row.from_percent as number | null,
      toPercent: row.to_percent as number | null, evidence: row.evidence as StoredVerdict['evidence'] } : null;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.wrapped(error);
    }
  }

  private async rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(sql, values)).rows as Row[];
    } catch (error) {
      throw this.wrapped(error);
    }
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => { broken = rollback; });
      throw this.wrapped(error);
    } finally {
      client.release(broken);
    }
  }

  /** The error with the password taken out of its message; its SQLSTATE kept (isPoisonBatch reads it). */
  private wrapped(error: unknown): Error {
    if (error instanceof EvidenceStoreError) return error;
    const wrapped = new EvidenceStoreError(redactSecrets(messageOf(error), this.url));
    (wrapped as Error & { code?: unknown }).code = (error as { code?: unknown }).code;
    return wrapped;
  }

  private writable(): void {
    if (this.readonly) throw new EvidenceStoreError(`the evidence store ${this.location} was opened read only`);
  }
}

function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

const SHOPPER_UPSERT = (table: string): string => `INSERT INTO ${table} (route, day, shopper, side, first_minute, last_minute)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])
  ON CONFLICT (route, day, shopper, side) DO UPDATE SET first_minute = LEAST(${table}.first_minute, EXCLUDED.first_minute),
    last_minute = GREATEST(${table}.last_minute, EXCLUDED.last_minute)`;

/** As SQLite's (sqlite-store.ts): exposed shoppers per side in the window, and those who then reached the goal on that side. */
const CONVERSIONS_SQL = `WITH exposed AS (
    SELECT side, shopper, MIN(first_minute) AS first FROM guard_exposures
    WHERE route = $1 AND day >= $3 AND day <= $4 AND last_minute >= $2 AND first_minute <= $4 GROUP BY side, shopper
  ), converted AS (
    SELECT side, shopper, MAX(last_minute) AS last FROM guard_conversions
    WHERE route = $1 AND day >= $3 AND day <= $4 AND last_minute >= $2 AND first_minute <= $4 GROUP BY side, shopper
  )
  SELECT e.side AS side, COUNT(*) AS shoppers, COUNT(c.shopper) AS converted
  FROM exposed e LEFT JOIN converted c ON c.side = e.side AND c.shopper = e.shopper AND c.last >= e.first
  GROUP BY e.side`;
