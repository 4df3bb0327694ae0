import type Database from 'better-sqlite3';

/**
 * Migrations, applied in order; PRAGMA user_version records how many ran. A store written by an
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`the diff store has schema version ${current}, newer than this strangler understands (${SCHEMA_VERSION})`);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      MIGRATIONS[version](db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
