/**
 * A window of stored comparisons judged again with the noise the whole window shows
 * (window-noise.ts): what the report and the rollout gate count. Pure: rows in, verdict out.
 *
 * A stored row (the diffs table) has `paths`, every path at which legacy and extracted differed,
 * and `noise`, every path at which legacy's two answers differed, or null when legacy was asked
 * once: a read the noise probe skipped (shadow/noise-probe.ts), or a write (never asked of legacy
 * at all). A row is a mismatch when one of its paths is explained neither by its own `noise` (that
 * very path) nor by a field the window judges to be noise; truncated when all that is left is a
 * body past the capture cap; a match otherwise. A row without `noise` is explained by the window's
 * noise alone, which its probed neighbours taught.
 *
 * The rates behind that judgement have their own denominators: legacy's self-disagreement over the
 * reads probed, legacy ≠ extracted over every read compared. A field that flaps on a fraction of
 * the answers (a cache HIT/MISS) flaps at the same rate in both, however few reads were probed.
 */
import { genericPath, explains, noiseIndex, TRUNCATED_BODY } from './paths';
import { DIFFY_THRESHOLDS, judgeFieldNoise, type FieldCounts, type FieldNoise, type NoiseThresholds, type WindowRequests } from './window-noise';

export type StoredOutcome = 'match' | 'mismatch' | 'truncated' | 'error';

/** What the window judgement needs of one diffs row. */
export interface StoredComparison {
  readonly method: string;
  /** The row's own verdict, as written: only `error` rows are taken as they are. */
  readonly outcome: StoredOutcome;
  readonly paths: readonly string[];
  /** null: legacy was asked once (not probed). Rows stored before the probe was sampled hold [] for writes. */
  readonly noise: readonly string[] | null;
}

export interface RowVerdict {
  readonly outcome: StoredOutcome;
  /** The paths left unexplained (empty unless `mismatch`). */
  readonly mismatches: readonly string[];
}

export interface WindowVerdict {
  /** Rows compared: matched + mismatched. */
  readonly compared: number;
  readonly matched: number;
  readonly mismatched: number;
  /** Rows not compared because an answer was past the capture cap; in neither figure above. */
  readonly truncated: number;
  readonly errors: number;
  /** mismatched / compared; null with nothing compared. */
  readonly mismatchRate: number | null;
  /** Reads compared with legacy asked twice (probed): what legacy's self-disagreement rates are over. */
  readonly noiseRequests: number;
  /** Reads compared, probed or not: what the legacy ≠ extracted rates are over. */
  readonly readsCompared: number;
  /** Every field legacy disagreed with itself on in the window, with its rates and whether it is noise. */
  readonly noiseFields: readonly FieldNoise[];
  /** Unexplained paths over the mismatched rows: how many rows each, most first. */
  readonly mismatchPaths: ReadonlyArray<{ readonly path: string; readonly rows: number }>;
}

function isRead(row: StoredComparison): boolean {
  return row.method === 'GET' || row.method === 'HEAD';
}

/** A read whose row says where legacy disagreed with itself: legacy was asked twice (a write's [] is no evidence). */
export function askedLegacyTwice(row: StoredComparison): boolean {
  return isRead(row) && row.noise !== null;
}

/** What pass one counts: the window's denominators and each field's counts. */
export interface WindowFields extends WindowRequests {
  readonly fields: FieldCounts[];
}

/** Pass one, a row at a time: per field, how often legacy differed from extracted (reads compared) and from itself (reads probed). */
export class FieldTally {
  private readonly counts = new Map<string, { extractedDiffers: number; legacyDiffers: number }>();
  private compared = 0;
  private probed = 0;

  add(row: StoredComparison): void {
    // A truncated row's body was not compared: its fields would be counted as agreeing.
    if (!isRead(row) || (row.outcome !== 'match' && row.outcome !== 'mismatch') || row.paths.includes(TRUNCATED_BODY)) return;
    this.compared++;
    // Once per request per field, however many items of an array differed at it.
    for (const field of new Set(row.paths.map(genericPath))) this.count(field, 'extractedDiffers');
    if (row.noise === null) return;
    this.probed++;
    for (const field of new Set(row.noise.map(genericPath))) this.count(field, 'legacyDiffers');
  }

  result(): WindowFields {
    return { compared: this.compared, probed: this.probed, fields: [...this.counts].map(([field, c]) => ({ field, ...c })) };
  }

  private count(field: string, side: 'extractedDiffers' | 'legacyDiffers'): void {
    let entry = this.counts.get(field);
    if (!entry) { entry = { extractedDiffers: 0, legacyDiffers: 0 }; this.counts.set(field, entry); }
    entry[side]++;
  }
}

export function countFields(rows: Iterable<StoredComparison>): WindowFields {
  const tally = new FieldTally();
  for (const row of rows) tally.add(row);
  return tally.result();
}

/** The generic paths a window's judgement calls noise. */
export function noisyFields(judged: readonly FieldNoise[]): Set<string> {
  return new Set(judged.filter((f) => f.noise).map((f) => f.field));
}

/** Pass two: one row judged with its own noise and the fields the window calls noise. */
export function rejudgeRow(row: StoredComparison, windowNoise: ReadonlySet<string>): RowVerdict {
  if (row.outcome === 'error') return { outcome: 'error', mismatches: [] };
  const index = noiseIndex(row.noise ?? [], windowNoise);
  const mismatches = row.paths.filter((p) => p !== TRUNCATED_BODY && !explains(index, p));
  if (mismatches.length > 0) return { outcome: 'mismatch', mismatches };
  return { outcome: row.outcome === 'truncated' || row.paths.includes(TRUNCATED_BODY) ? 'truncated' : 'match', mismatches: [] };
}

/** Pass two, a row at a time, once pass one's fields are judged: the verdict of each row and of the window. */
export class VerdictTally {
  private readonly noiseFields: FieldNoise[];
  private readonly noise: ReadonlySet<string>;
  private readonly tally = { match: 0, mismatch: 0, truncated: 0, error: 0 };
  private readonly paths = new Map<string, number>();

  constructor(private readonly fields: WindowFields, thresholds: NoiseThresholds) {
    // Only fields legacy disagreed with itself on can be noise; the rest need no judgement.
    this.noiseFields = judgeFieldNoise(fields, fields.fields.filter((f) => f.legacyDiffers > 0), thresholds)
      .sort((a, b) => b.legacyDiffers - a.legacyDiffers || a.field.localeCompare(b.field));
    this.noise = noisyFields(this.noiseFields);
  }

  add(row: StoredComparison): RowVerdict {
    const verdict = rejudgeRow(row, this.noise);
    this.tally[verdict.outcome]++;
    for (const path of verdict.mismatches) this.paths.set(path, (this.paths.get(path) ?? 0) + 1);
    return verdict;
  }

  result(): WindowVerdict {
    const { tally } = this;
    const compared = tally.match + tally.mismatch;
    return {
      compared, matched: tally.match, mismatched: tally.mismatch, truncated: tally.truncated, errors: tally.error,
      mismatchRate: compared === 0 ? null : tally.mismatch / compared, noiseRequests: this.fields.probed, readsCompared: this.fields.compared, noiseFields: this.noiseFields,
      mismatchPaths: [...this.paths].map(([path, n]) => ({ path, rows: n })).sort((a, b) => b.rows - a.rows || a.path.localeCompare(b.path)),
    };
  }
}

/**
 * Judges a route's rows over a window. `rows` is read twice (an array, or an iterable that starts
 * afresh each time); `onRow` sees each row with its verdict, in the second pass.
 */
export function judgeWindow<R extends StoredComparison>(rows: Iterable<R>, thresholds: NoiseThresholds = DIFFY_THRESHOLDS,
  onRow?: (row: R, verdict: RowVerdict) => void): WindowVerdict {
  const verdicts = new VerdictTally(countFields(rows), thresholds);
  for (const row of rows) {
    const verdict = verdicts.add(row);
    onRow?.(row, verdict);
  }
  return verdicts.result();
}

/**
 * judgeWindow over rows a store reads asynchronously (a PostgreSQL cursor, a SQLite iterator):
 * `rows()` is called once per pass and read a row at a time, so a window is never held in memory.
 */
export async function judgeWindowAsync<R extends StoredComparison>(rows: () => AsyncIterable<R>, thresholds: NoiseThresholds = DIFFY_THRESHOLDS,
  onRow?: (row: R, verdict: RowVerdict) => void): Promise<WindowVerdict> {
  const fields = new FieldTally();
  for await (const row of rows()) fields.add(row);
  const verdicts = new VerdictTally(fields.result(), thresholds);
  for await (const row of rows()) {
    const verdict = verdicts.add(row);
    onRow?.(row, verdict);
  }
  return verdicts.result();
}
