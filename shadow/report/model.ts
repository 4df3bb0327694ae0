import type Database from 'better-sqlite3';

export interface LatencySummary { p50: number | null; p95: number | null; p99: number | null; samples: number }
export interface PathCount {
  path: string;
  count: number;
  example: { target: string; legacy: string | null; extracted: string | null; legacyStatus: number | null; extractedStatus: number | null } | null;
}
export interface TrendPoint { hour: string; compared: number; mismatches: number; rate: number | null }

export interface RouteReport {
  route: string;
  sampled: number;
  /** Requests whose answers were compared (match or mismatch). */
  compared: number;
  /** Requests not compared because an answer was past the capture cap: neither a match nor a mismatch. */
  truncated: number;
  dropped: number;
  errors: number;
  mismatches: number;
  mismatchRate: number | null;
  budget: number;
  overBudget: boolean;
  topPaths: PathCount[];
  latency: { legacy: LatencySummary; extracted: LatencySummary };
  trend: TrendPoint[];
}

export interface DiffReport {
  generatedAt: string;
  since: string;
  until: string;
  store: string;
  ok: boolean;
  routes: RouteReport[];
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}

function latency(values: number[]): LatencySummary {
  const sorted = values.filter((v) => v !== null).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), samples: sorted.length };
}

/**
 * Reads the diff store for [since, until) into the report every renderer draws from. Budgets come
 * from the rules file (`shadow.budget`); a route in the store but not in the rules gets `defaultBudget`.
 */
export function buildReport(db: Database.Database, storeFile: string, since: number, until: number, budgets: ReadonlyMap<string, number>, defaultBudget = 0.01): DiffReport {
  const routeNames = new Set<string>([
    ...(db.prepare('SELECT DISTINCT route FROM diffs WHERE at >= ? AND at < ?').all(since, until) as Array<{ route: string }>).map((r) => r.route),
    ...(db.prepare('SELECT DISTINCT route FROM shadow_stats WHERE minute >= ? AND minute < ?').all(Math.floor(since / 60000) * 60000, until) as Array<{ route: string }>).map((r) => r.route),
  ]);
  const routes = [...routeNames].sort().map((route): RouteReport => {
    const counts = db.prepare(`SELECT SUM(outcome IN ('match', 'mismatch')) AS compared, SUM(outcome = 'mismatch') AS mismatches, SUM(outcome = 'truncated') AS truncated
      FROM diffs WHERE route = ? AND at >= ? AND at < ?`).get(route, since, until) as { compared: number | null; mismatches: number | null; truncated: number | null };
    const compared = counts.compared ?? 0;
    const stats = db.prepare('SELECT COALESCE(SUM(sampled), 0) AS sampled, COALESCE(SUM(dropped), 0) AS dropped, COALESCE(SUM(errors), 0) AS errors FROM shadow_stats WHERE route = ? AND minute >= ? AND minute < ?')
      .get(route, Math.floor(since / 60000) * 60000, until) as { sampled: number; dropped: number; errors: number };
    const mismatches = counts.mismatches ?? 0;
    const mismatchRate = compared === 0 ? null : mismatches / compared;
    const budget = budgets.get(route) ?? defaultBudget;
    const top = db.prepare(`SELECT j.value AS path, COUNT(*) AS count FROM diffs, json_each(diffs.paths) AS j
      WHERE diffs.route = ? AND diffs.at >= ? AND diffs.at < ? AND diffs.outcome = 'mismatch' GROUP BY j.value ORDER BY count DESC, path LIMIT 10`)
      .all(route, since, until) as Array<{ path: string; count: number }>;
    const exampleOf = db.prepare(`SELECT target, legacy_sample AS legacy, extracted_sample AS extracted, legacy_status AS legacyStatus, extracted_status AS extractedStatus
      FROM diffs, json_each(diffs.paths) AS j WHERE diffs.route = ? AND diffs.at >= ? AND diffs.at < ? AND j.value = ? ORDER BY diffs.at DESC LIMIT 1`);
    const times = db.prepare(`SELECT legacy_ms AS legacy, extracted_ms AS extracted FROM diffs WHERE route = ? AND at >= ? AND at < ? AND outcome != 'error'`)
      .all(route, since, until) as Array<{ legacy: number; extracted: number }>;
    const trend = (db.prepare(`SELECT (at / 3600000) * 3600000 AS hour, COUNT(*) AS compared, SUM(outcome = 'mismatch') AS mismatches
      FROM diffs WHERE route = ? AND at >= ? AND at < ? AND outcome IN ('match', 'mismatch') GROUP BY hour ORDER BY hour`).all(route, since, until) as Array<{ hour: number; compared: number; mismatches: number }>)
      .map((t) => ({ hour: new Date(t.hour).toISOString(), compared: t.compared, mismatches: t.mismatches, rate: t.compared ? t.mismatches / t.compared : null }));
    return {
      route, sampled: stats.sampled, compared, truncated: counts.truncated ?? 0, dropped: stats.dropped, errors: stats.errors, mismatches, mismatchRate, budget,
      overBudget: mismatchRate !== null && mismatchRate > budget,
      topPaths: top.map((t) => ({ ...t, example: (exampleOf.get(route, since, until, t.path) as PathCount['example']) ?? null })),
      latency: { legacy: latency(times.map((t) => t.legacy)), extracted: latency(times.map((t) => t.extracted)) },
      trend,
    };
  });
  return {
    generatedAt: new Date().toISOString(), since: new Date(since).toISOString(), until: new Date(until).toISOString(), store: storeFile,
    ok: routes.every((r) => !r.overBudget), routes,
  };
}
