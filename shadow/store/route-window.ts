import type Database from 'better-sqlite3';
import { judgeWindow, type StoredComparison, type StoredOutcome, type WindowVerdict } from '../compare/window-verdict';
import { DIFFY_THRESHOLDS, type NoiseThresholds } from '../compare/window-noise';

/** A route's comparisons over [since, until), judged with the window's noise: what the report and the rollout gate read. */
export interface RouteWindow extends WindowVerdict {
  readonly route: string;
  readonly since: number;
  readonly until: number;
  /** `mismatchPaths`, each with the id of the newest diffs row that shows it (for an example). */
  readonly topPaths: ReadonlyArray<{ readonly path: string; readonly rows: number; readonly exampleId: number }>;
  /** Per hour (start, Unix ms) with a comparison: compared and mismatched rows. */
  readonly hourly: ReadonlyArray<{ readonly hour: number; readonly compared: number; readonly mismatched: number }>;
}

interface StoredRow extends StoredComparison { readonly id: number; readonly at: number }

const HOUR_MS = 3_600_000;

function list(text: string, column: string, id: number): string[] {
  const value = JSON.parse(text) as unknown;
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string')) throw new Error(`diffs row ${id}: ${column} is not a JSON list of paths: ${text.slice(0, 80)}`);
  return value as string[];
}

/**
 * Reads a route's rows of [since, until) from the diff store and judges them (window-verdict.ts).
 * The rows are read twice, one at a time, never all held in memory.
 */
export function readRouteWindow(db: Database.Database, route: string, since: number, until: number, thresholds: NoiseThresholds = DIFFY_THRESHOLDS): RouteWindow {
  const select = db.prepare('SELECT id, at, method, outcome, paths, noise FROM diffs WHERE route = ? AND at >= ? AND at < ? ORDER BY id');
  const rows: Iterable<StoredRow> = {
    *[Symbol.iterator]() {
      for (const r of select.iterate(route, since, until) as Iterable<{ id: number; at: number; method: string; outcome: StoredOutcome; paths: string; noise: string }>) {
        yield { id: r.id, at: r.at, method: r.method, outcome: r.outcome, paths: list(r.paths, 'paths', r.id), noise: list(r.noise, 'noise', r.id) };
      }
    },
  };
  const examples = new Map<string, number>();
  const hours = new Map<number, { hour: number; compared: number; mismatched: number }>();
  const verdict = judgeWindow(rows, thresholds, (row, judged) => {
    if (judged.outcome !== 'match' && judged.outcome !== 'mismatch') return;
    const hour = Math.floor(row.at / HOUR_MS) * HOUR_MS;
    let bucket = hours.get(hour);
    if (!bucket) { bucket = { hour, compared: 0, mismatched: 0 }; hours.set(hour, bucket); }
    bucket.compared++;
    if (judged.outcome === 'mismatch') bucket.mismatched++;
    for (const path of judged.mismatches) examples.set(path, row.id); // rows come oldest first: the newest stays
  });
  return {
    ...verdict, route, since, until,
    topPaths: verdict.mismatchPaths.map((p) => ({ ...p, exampleId: examples.get(p.path)! })),
    hourly: [...hours.values()].sort((a, b) => a.hour - b.hour),
  };
}
