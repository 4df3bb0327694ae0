import type Database from 'better-sqlite3';

/**
 * SQLite's migrations (postgres-schema.ts has PostgreSQL's, version for version the same tables), applied in order; PRAGMA user_version records how many ran. A store written by an
 * older version is upgraded in place; one from a newer version is refused rather than misread.
 */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => db.exec(`
    CREATE TABLE diffs (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      route TEXT NOT NULL,
      method TEXT NOT NULL,
      target TEXT NOT NULL,
      served_by TEXT NOT NULL,
      legacy_status INTEGER,
      extracted_status INTEGER,
      legacy_ms REAL,
      extracted_ms REAL,
      outcome TEXT NOT NULL CHECK (outcome IN ('match', 'mismatch', 'error')),
      paths TEXT NOT NULL,
      noise TEXT NOT NULL,
      legacy_sample TEXT,
      extracted_sample TEXT,
      request_headers TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('live', 'replay'))
    );
    CREATE INDEX diffs_route_at ON diffs (route, at);
    CREATE INDEX diffs_at ON diffs (at);
    CREATE TABLE shadow_stats (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      sampled INTEGER NOT NULL DEFAULT 0,
      dropped INTEGER NOT NULL DEFAULT 0,
      errors INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route)
    );
  `),
  // 2: the evidence store. Per-minute traffic counters (written by every proxy process, summed on
  // conflict so workers and replicas add up), percent changes, rollout verdicts; and diffs may be
  // 'truncated' (an answer past the capture cap: not compared, never a match).
  (db) => db.exec(`
    CREATE TABLE traffic (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      backend TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      fallbacks INTEGER NOT NULL DEFAULT 0,
      latency_ms_sum REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route, backend)
    );
    CREATE TABLE traffic_latency (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      backend TEXT NOT NULL,
      le_ms REAL NOT NULL,
      count INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route, backend, le_ms)
    );
    CREATE TABLE percent_events (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      route TEXT NOT NULL,
      from_percent INTEGER,
      to_percent INTEGER NOT NULL,
      action TEXT NOT NULL,
      who TEXT NOT NULL,
      file TEXT
    );
    CREATE INDEX percent_events_route_at ON percent_events (route, at);
    CREATE TABLE rollout_verdicts (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      route TEXT NOT NULL,
      verdict TEXT NOT NULL,
      from_percent INTEGER,
      to_percent INTEGER,
      evidence TEXT NOT NULL
    );
    CREATE INDEX rollout_verdicts_route_at ON rollout_verdicts (route, at);
    CREATE TABLE diffs_v2 (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      route TEXT NOT NULL,
      method TEXT NOT NULL,
      target TEXT NOT NULL,
      served_by TEXT NOT NULL,
      legacy_status INTEGER,
      extracted_status INTEGER,
      legacy_ms REAL,
      extracted_ms REAL,
      outcome TEXT NOT NULL CHECK (outcome IN ('match', 'mismatch', 'error', 'truncated')),
      paths TEXT NOT NULL,
      noise TEXT NOT NULL,
      legacy_sample TEXT,
      extracted_sample TEXT,
      request_headers TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('live', 'replay'))
    );
    INSERT INTO diffs_v2 SELECT * FROM diffs;
    DROP TABLE diffs;
    ALTER TABLE diffs_v2 RENAME TO diffs;
    CREATE INDEX diffs_route_at ON diffs (route, at);
    CREATE INDEX diffs_at ON diffs (at);
  `),
  // 3: replicas. Every row and counter names the proxy process that wrote it (STRANGLER_REPLICA,
  // default hostname:pid); rows from before are named ''. The counters' keys take the replica, so
  // each writer adds to its own rows and readers sum over replicas.
  (db) => db.exec(`
    ALTER TABLE diffs ADD COLUMN replica TEXT NOT NULL DEFAULT '';
    CREATE TABLE shadow_stats_v3 (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      replica TEXT NOT NULL DEFAULT '',
      sampled INTEGER NOT NULL DEFAULT 0,
      dropped INTEGER NOT NULL DEFAULT 0,
      errors INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route, replica)
    );
    INSERT INTO shadow_stats_v3 (minute, route, sampled, dropped, errors) SELECT minute, route, sampled, dropped, errors FROM shadow_stats;
    DROP TABLE shadow_stats;
    ALTER TABLE shadow_stats_v3 RENAME TO shadow_stats;
    CREATE TABLE traffic_v3 (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      backend TEXT NOT NULL,
      replica TEXT NOT NULL DEFAULT '',
      requests INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0,
      fallbacks INTEGER NOT NULL DEFAULT 0,
      latency_ms_sum REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route, backend, replica)
    );
    INSERT INTO traffic_v3 (minute, route, backend, requests, failures, fallbacks, latency_ms_sum)
      SELECT minute, route, backend, requests, failures, fallbacks, latency_ms_sum FROM traffic;
    DROP TABLE traffic;
    ALTER TABLE traffic_v3 RENAME TO traffic;
    CREATE TABLE traffic_latency_v3 (
      minute INTEGER NOT NULL,
      route TEXT NOT NULL,
      backend TEXT NOT NULL,
      replica TEXT NOT NULL DEFAULT '',
      le_ms REAL NOT NULL,
      count INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, route, backend, replica, le_ms)
    );
    INSERT INTO traffic_latency_v3 (minute, route, backend, le_ms, count) SELECT minute, route, backend, le_ms, count FROM traffic_latency;
    DROP TABLE traffic_latency;
    ALTER TABLE traffic_latency_v3 RENAME TO traffic_latency;
  `),
  // 4: the conversion guard. A shopper (a hash of the sticky identity) exposed on a guarded route,
  // and one who reached its goal, one row per (route, day, shopper, side): keyed by the shopper,
  // not the replica, so every writer's marks of one shopper meet on one row (first and last minute
  // widened on conflict). WITHOUT ROWID: the key is the row (docs/rollout.md sizes it).
  (db) => db.exec(`
    CREATE TABLE guard_exposures (
      route TEXT NOT NULL,
      day INTEGER NOT NULL,
      shopper INTEGER NOT NULL,
      side TEXT NOT NULL,
      first_minute INTEGER NOT NULL,
      last_minute INTEGER NOT NULL,
      PRIMARY KEY (route, day, shopper, side)
    ) WITHOUT ROWID;
    CREATE TABLE guard_conversions (
      route TEXT NOT NULL,
      day INTEGER NOT NULL,
      shopper INTEGER NOT NULL,
      side TEXT NOT NULL,
      first_minute INTEGER NOT NULL,
      last_minute INTEGER NOT NULL,
      PRIMARY KEY (route, day, shopper, side)
    ) WITHOUT ROWID;
  `),
  // 5: from evidence to trace. A row keeps the shopper request's W3C trace id (32 hex), so an
  // engineer can open both sides' traces of that request; null on rows from before, and on
  // rows whose request had none (replay).
  (db) => db.exec(`
    ALTER TABLE diffs ADD COLUMN trace_id TEXT;
  `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;
/** The schema version that has the evidence tables (traffic, percent_events, rollout_verdicts). */
export const EVIDENCE_SCHEMA = 2;
/** The first that names replicas. */
export const REPLICA_SCHEMA = 3;
/** The first with the conversion guard's shopper tables. */
export const GUARD_SCHEMA = 4;
/** The first whose diff rows keep the shopper request's trace id. */
export const TRACE_SCHEMA = 5;

/** The message for a store written by a newer strangler, the same for both stores. */
export function newerSchemaMessage(current: number): string {
  return `the diff store has schema version ${current}, newer than this strangler understands (${SCHEMA_VERSION})`;
}

/**
 * Applies the missing migrations, one immediate transaction each. The version is read inside the
 * transaction: with workers, several processes open one file at once, and a version read before
 * taking the lock would make the second run a migration the first has just applied ("table
 * already exists").
 */
export function migrate(db: Database.Database): void {
  const step = db.transaction((): boolean => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) throw new Error(newerSchemaMessage(current));
    if (current === SCHEMA_VERSION) return true;
    MIGRATIONS[current](db);
    db.pragma(`user_version = ${current + 1}`);
    return false;
  });
  while (!step.immediate()) { /* the next migration */ }
}
