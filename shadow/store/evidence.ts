/**
 * The evidence store as `strangler rollout`, `report` and `ramp` see it: traffic counters and
 * comparisons over a window, the percent changes of each route, and the rollout's verdicts. A small
 * interface so a PostgreSQL store can stand beside the SQLite one (sqlite-evidence.ts).
 */

/** Who changed a route's percent: a command, the rollout itself, or a hand edit it noticed. */
export type PercentAction = 'ramp' | 'kill' | 'unkill' | 'rollout' | 'rollback' | 'resume' | 'hand';

export interface PercentEvent {
  /** When the change took effect (ms since the epoch). */
  readonly at: number;
  readonly route: string;
  /** The effective percent before (a killed route is at 0); null when nothing was known. */
  readonly fromPercent: number | null;
  /** The effective percent after: kill → 0, unkill → the file's percent. */
  readonly toPercent: number;
  readonly action: PercentAction;
  /** The command line (and `$USER` when set) that made the change. */
  readonly who: string;
  readonly file: string | null;
}

/** One side's counters summed over a window. */
export interface SideTraffic {
  readonly requests: number;
  readonly failures: number;
  readonly fallbacks: number;
  /** Counts per bucket of LATENCY_BOUNDS_MS. */
  readonly latency: readonly number[];
}

/** What a window's diff rows say once counted (see scripts/rollout/comparisons.ts). */
export interface ShadowCounts {
  /** match + mismatch. */
  readonly comparisons: number;
  readonly mismatches: number;
  /** Reported, not compared. */
  readonly truncated: number;
  readonly errors: number;
}

/** The part of a diff row the counting needs. */
export interface ShadowRow {
  readonly at: number;
  readonly method: string;
  readonly outcome: 'match' | 'mismatch' | 'error' | 'truncated';
  readonly servedBy: 'legacy' | 'extracted';
  readonly paths: readonly string[];
  readonly noise: readonly string[];
}

export type VerdictKind = 'advance' | 'hold' | 'rollback' | 'complete' | 'resume' | 'rolled-back' | 'left-alone';

export interface StoredVerdict {
  readonly at: number;
  readonly route: string;
  readonly verdict: VerdictKind;
  readonly fromPercent: number | null;
  readonly toPercent: number | null;
  /** The gates, the counts and the one-line summary, as written by the rollout. */
  readonly evidence: { readonly summary?: string } & Record<string, unknown>;
}

export interface EvidenceStore {
  /** Where it is, for messages (a file path; never a password). */
  readonly location: string;
  lastPercentEvent(route: string): PercentEvent | null;
  /**
   * When the route was rolled back, if it still is: a rollback with no later `resume` and no later
   * change to a percent above 0.
   */
  rolledBackAt(route: string): number | null;
  recordPercentEvent(event: PercentEvent): void;
  /** Counters of the minutes from the one holding `since` up to `until`, per side. */
  traffic(route: string, since: number, until: number): { readonly legacy: SideTraffic; readonly extracted: SideTraffic };
  /** The route's diff rows with `since <= at <= until`, oldest first. */
  shadowRows(route: string, since: number, until: number): Iterable<ShadowRow>;
  recordVerdict(verdict: StoredVerdict): void;
  lastVerdict(route: string): StoredVerdict | null;
  close(): void;
}

/** The store cannot be used: missing, unreadable, locked, or from another version. One clear line. */
export class EvidenceStoreError extends Error {}
