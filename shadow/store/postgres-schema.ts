import type { PoolClient } from 'pg';
import { newerSchemaMessage, SCHEMA_VERSION } from './schema';

/**
 * PostgreSQL's migrations: version for version the same tables and columns as SQLite's
 * (schema.ts), in PostgreSQL's types: times as bigint milliseconds, latencies as double
 * precision, path lists, request headers and verdict evidence as jsonb. `schema_version` holds
 * one row, the number of migrations applied; a database written by a newer strangler is refused.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE diffs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    route text NOT NULL,
    method text NOT NULL,
    target text NOT NULL,
    served_by text NOT NULL,
    legacy_status integer,
    extracted_status integer,
    legacy_ms double precision,
    extracted_ms double precision,
    outcome text NOT NULL CHECK (outcome IN ('match', 'mismatch', 'error')),
    paths jsonb NOT NULL,
    noise jsonb NOT NULL,
    legacy_sample text,
    extracted_sample text,
    request_headers jsonb NOT NULL,
    source text NOT NULL CHECK (source IN ('live', 'replay'))
  );
  CREATE INDEX diffs_route_at ON diffs (route, at);
  CREATE INDEX diffs_at ON diffs (at);
  CREATE TABLE shadow_stats (
    minute bigint NOT NULL,
    route text NOT NULL,
    sampled bigint NOT NULL DEFAULT 0,
    dropped bigint NOT NULL DEFAULT 0,
    errors bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, route)
  );
  `,
  // 2: the evidence tables; diffs may be 'truncated'.
  `
  CREATE TABLE traffic (
    minute bigint NOT NULL,
    route text NOT NULL,
    backend text NOT NULL,
    requests bigint NOT NULL DEFAULT 0,
    failures bigint NOT NULL DEFAULT 0,
    fallbacks bigint NOT NULL DEFAULT 0,
    latency_ms_sum double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, route, backend)
  );
  CREATE TABLE traffic_latency (
    minute bigint NOT NULL,
    route text NOT NULL,
    backend text NOT NULL,
    le_ms double precision NOT NULL,
    count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, route, backend, le_ms)
  );
  CREATE TABLE percent_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    route text NOT NULL,
    from_percent integer,
    to_percent integer NOT NULL,
    action text NOT NULL,
    who text NOT NULL,
    file text
  );
  CREATE INDEX percent_events_route_at ON percent_events (route, at);
  CREATE TABLE rollout_verdicts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    route text NOT NULL,
    verdict text NOT NULL,
    from_percent integer,
    to_percent integer,
    evidence jsonb NOT NULL
  );
  CREATE INDEX rollout_verdicts_route_at ON rollout_verdicts (route, at);
  ALTER TABLE diffs DROP CONSTRAINT diffs_outcome_check;
  ALTER TABLE diffs ADD CONSTRAINT diffs_outcome_check CHECK (outcome IN ('match', 'mismatch', 'error', 'truncated'));
  `,
  // 3: replicas. The counters' keys take the replica, so each replica adds to its own rows: no
  // two replicas ever wait on one another's row locks.
  `
  ALTER TABLE diffs ADD COLUMN replica text NOT NULL DEFAULT '';
  ALTER TABLE shadow_stats ADD COLUMN replica text NOT NULL DEFAULT '';
  ALTER TABLE shadow_stats DROP CONSTRAINT shadow_stats_pkey, ADD PRIMARY KEY (minute, route, replica);
  ALTER TABLE traffic ADD COLUMN replica text NOT NULL DEFAULT '';
  ALTER TABLE traffic DROP CONSTRAINT traffic_pkey, ADD PRIMARY KEY (minute, route, backend, replica);
  ALTER TABLE traffic_latency ADD COLUMN replica text NOT NULL DEFAULT '';
  ALTER TABLE traffic_latency DROP CONSTRAINT traffic_latency_pkey, ADD PRIMARY KEY (minute, route, backend, replica, le_ms);
  CREATE INDEX shadow_stats_minute ON shadow_stats (minute);
  CREATE INDEX traffic_minute ON traffic (minute);
  CREATE INDEX traffic_latency_minute ON traffic_latency (minute);
  `,
  // 4: the conversion guard's shoppers, keyed by the shopper (not the replica) so every replica's
  // marks of one shopper meet on one row. Rows are sized in docs/rollout.md.
  `
  CREATE TABLE guard_exposures (
    route text NOT NULL,
    day bigint NOT NULL,
    shopper bigint NOT NULL,
    side text NOT NULL,
    first_minute bigint NOT NULL,
    last_minute bigint NOT NULL,
    PRIMARY KEY (route, day, shopper, side)
  );
  CREATE TABLE guard_conversions (
    route text NOT NULL,
    day bigint NOT NULL,
    shopper bigint NOT NULL,
    side text NOT NULL,
    first_minute bigint NOT NULL,
    last_minute bigint NOT NULL,
    PRIMARY KEY (route, day, shopper, side)
  );
  `,
  // 5: the shopper request's trace id on each diff row (null before, and for replays).
  `
  ALTER TABLE diffs ADD COLUMN trace_id text;
  `,
];

if (MIGRATIONS.length !== SCHEMA_VERSION) throw new Error(`PostgreSQL has ${MIGRATIONS.length} migrations, SQLite ${SCHEMA_VERSION}: they must move together`);

/** Any number from any advisory lock key space: two replicas starting at once migrate one after the other. */
const MIGRATION_LOCK = 0x5354524e; // 'STRN'

export async function schemaVersion(client: PoolClient): Promise<number | null> {
  const table = await client.query<{ exists: boolean }>(`SELECT to_regclass('schema_version') IS NOT NULL AS exists`);
  if (!table.rows[0].exists) return null;
  const row = await client.query<{ version: number }>('SELECT version FROM schema_version');
  return row.rows[0]?.version ?? 0;
}

/** Brings the database to SCHEMA_VERSION in one transaction; returns the version it found. */
export async function migratePostgres(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    let current = await schemaVersion(client);
    if (current === null) {
      await client.query('CREATE TABLE schema_version (version integer NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())');
      await client.query('INSERT INTO schema_version (version) VALUES (0)');
      current = 0;
    }
    if (current > SCHEMA_VERSION) throw new Error(newerSchemaMessage(current));
    for (let version = current; version < SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version]);
    if (current < SCHEMA_VERSION) await client.query('UPDATE schema_version SET version = $1, migrated_at = now()', [SCHEMA_VERSION]);
    await client.query('COMMIT');
    return current;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
