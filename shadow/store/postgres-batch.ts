/**
 * The PostgreSQL store's writes, one statement per table whatever the batch's size: each column
 * sent as one array parameter and expanded by unnest(), so a flush of 5,000 rows is one INSERT
 * (no 65,535-parameter limit, one round trip), and counters are added to what is stored with
 * INSERT … ON CONFLICT DO UPDATE.
 */
import type { DiffRow } from './store';

/** PostgreSQL cannot store U+0000 in text or jsonb: a redacted body holding one is kept with U+FFFD in its place. */
export const clean = (text: string | null): string | null => (text === null || !text.includes('\u0000') ? text : text.split('\u0000').join('\ufffd'));
export const cleanJson = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? clean(v) : v));

export const INSERT_DIFFS = `INSERT INTO diffs (at, route, method, target, served_by, legacy_status, extracted_status, legacy_ms, extracted_ms, outcome,
    paths, noise, legacy_sample, extracted_sample, request_headers, source, replica, trace_id)
  SELECT at, route, method, target, served_by, legacy_status, extracted_status, legacy_ms, extracted_ms, outcome,
    paths::jsonb, noise::jsonb, legacy_sample, extracted_sample, request_headers::jsonb, source, $17, trace_id
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::integer[], $8::float8[], $9::float8[], $10::text[],
    $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $18::text[])
    AS r(at, route, method, target, served_by, legacy_status, extracted_status, legacy_ms, extracted_ms, outcome,
      paths, noise, legacy_sample, extracted_sample, request_headers, source, trace_id)`;

export function diffColumns(rows: readonly DiffRow[], replica: string): unknown[] {
  const column = <T>(pick: (row: DiffRow) => T): T[] => rows.map(pick);
  return [
    column((r) => r.at), column((r) => clean(r.route)), column((r) => r.method), column((r) => clean(r.target)), column((r) => r.servedBy),
    column((r) => r.legacyStatus), column((r) => r.extractedStatus), column((r) => r.legacyMs), column((r) => r.extractedMs), column((r) => r.outcome),
    column((r) => cleanJson(r.paths)), column((r) => cleanJson(r.noise)), column((r) => clean(r.legacySample)), column((r) => clean(r.extractedSample)),
    column((r) => cleanJson(r.requestHeaders)), column((r) => r.source), clean(replica), column((r) => r.traceId ?? null),
  ];
}

export const UPSERT_STATS = `INSERT INTO shadow_stats (minute, route, replica, sampled, dropped, errors)
  SELECT minute, route, $1, sampled, dropped, errors FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS s(minute, route, sampled, dropped, errors)
  ON CONFLICT (minute, route, replica) DO UPDATE SET sampled = shadow_stats.sampled + EXCLUDED.sampled,
    dropped = shadow_stats.dropped + EXCLUDED.dropped, errors = shadow_stats.errors + EXCLUDED.errors`;

export const UPSERT_TRAFFIC = `INSERT INTO traffic (minute, route, backend, replica, requests, failures, fallbacks, latency_ms_sum)
  SELECT minute, route, backend, $1, requests, failures, fallbacks, latency_ms_sum
  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::float8[]) AS t(minute, route, backend, requests, failures, fallbacks, latency_ms_sum)
  ON CONFLICT (minute, route, backend, replica) DO UPDATE SET requests = traffic.requests + EXCLUDED.requests, failures = traffic.failures + EXCLUDED.failures,
    fallbacks = traffic.fallbacks + EXCLUDED.fallbacks, latency_ms_sum = traffic.latency_ms_sum + EXCLUDED.latency_ms_sum`;

export const UPSERT_LATENCY = `INSERT INTO traffic_latency (minute, route, backend, replica, le_ms, count)
  SELECT minute, route, backend, $1, le_ms, count FROM unnest($2::bigint[], $3::text[], $4::text[], $5::float8[], $6::bigint[]) AS l(minute, route, backend, le_ms, count)
  ON CONFLICT (minute, route, backend, replica, le_ms) DO UPDATE SET count = traffic_latency.count + EXCLUDED.count`;
