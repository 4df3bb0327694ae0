import { judgeWindowAsync, type WindowVerdict } from '../compare/window-verdict';
import { DIFFY_THRESHOLDS, type NoiseThresholds } from '../compare/window-noise';
import type { StoreReader } from './store';

/** A route's comparisons over [since, until), judged with the window's noise: what the report and the rollout gate read. */
export interface RouteWindow extends WindowVerdict {
  readonly route: string;
  readonly since: number;
  readonly until: number;
  /** `mismatchPaths`, each with the id of the newest diffs row that shows it (for an example). */
  readonly topPaths: ReadonlyArray<{ readonly path: string; readonly rows: number; readonly exampleId: number }>;
  /** Per hour (start, Unix ms) with a comparison: compared and mismatched rows; reads compared and those probed (legacy asked twice). */
  readonly hourly: ReadonlyArray<{ readonly hour: number; readonly compared: number; readonly mismatched: number; readonly reads: number; readonly probed: number }>;
  /** The window's first and last probed read (Unix ms); null: none. */
  readonly probedFrom: number | null;
  readonly probedTo: number | null;
}

const HOUR_MS = 3_600_000;

/**
 * Reads a route's rows of [since, until) from the diff store, whichever it is, and judges them
 * (window-verdict.ts). The rows are read twice, one at a time, never all held in memory.
 */
export async function readRouteWindow(store: StoreReader, route: string, since: number, until: number, thresholds: NoiseThresholds = DIFFY_THRESHOLDS): Promise<RouteWindow> {
  const examples = new Map<string, number>();
  const hours = new Map<number, { hour: number; compared: number; mismatched: number; reads: number; probed: number }>();
  let probedFrom: number | null = null;
  let probedTo: number | null = null;
  const verdict = await judgeWindowAsync(() => store.comparisons(route, since, until), thresholds, (row, judged) => {
    if (judged.outcome !== 'match' && judged.outcome !== 'mismatch') return;
    const hour = Math.floor(row.at / HOUR_MS) * HOUR_MS;
    let bucket = hours.get(hour);
    if (!bucket) { bucket = { hour, compared: 0, mismatched: 0, reads: 0, probed: 0 }; hours.set(hour, bucket); }
    bucket.compared++;
    if (judged.outcome === 'mismatch') bucket.mismatched++;
    if (row.method === 'GET' || row.method === 'HEAD') {
      bucket.reads++;
      if (row.noise !== null) { bucket.probed++; probedFrom ??= row.at; probedTo = row.at; }
    }
    for (const path of judged.mismatches) examples.set(path, row.id); // rows come oldest first: the newest stays
  });
  return {
    ...verdict, route, since, until,
    topPaths: verdict.mismatchPaths.map((p) => ({ ...p, exampleId: examples.get(p.path)! })),
    hourly: [...hours.values()].sort((a, b) => a.hour - b.hour), probedFrom, probedTo,
  };
}
