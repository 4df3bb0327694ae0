/**
 * The evidence store as `strangler rollout`, `report` and `ramp` see it: traffic counters and
 * comparisons over a window, the percent changes of each route, and the rollout's verdicts. Part of
 * the store interface (store.ts) that the SQLite and the PostgreSQL stores implement.
 */

import type { WindowShoppers } from './shoppers';

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

/** What a window's diff rows say once counted (see scripts/cli/rollout/comparisons.ts). */
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
  readonly noise: readonly string[] | null;
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

/**
 * The rollout's reads and writes. Asynchronous: the SQLite store answers at once underneath, the
 * PostgreSQL one over the network (store.ts has the whole store interface).
 */
export interface EvidenceStore {
  /** Where it is, for messages: a file path, or a PostgreSQL URL with its password redacted. */
  readonly location: string;
  lastPercentEvent(route: string): Promise<PercentEvent | null>;
  /**
   * When the route was rolled back, if it still is: a rollback with no later `resume` and no later
   * change to a percent above 0.
   */
  rolledBackAt(route: string): Promise<number | null>;
  recordPercentEvent(event: PercentEvent): Promise<void>;
  /** Counters of the minutes from the one holding `since` up to `until`, per side, summed over every replica. */
  traffic(route: string, since: number, until: number): Promise<{ readonly legacy: SideTraffic; readonly extracted: SideTraffic }>;
  /** The route's diff rows with `since <= at <= until`, in the order they were written; each call reads afresh. */
  shadowRows(route: string, since: number, until: number): AsyncIterable<ShadowRow>;
  /**
   * The conversion guard's counts: distinct shoppers exposed on the route per side in the minutes
   * from the one holding `since` up to `until`, and how many of them reached the goal on that
   * side at or after their first exposure (shoppers.ts). Zero from a store older than the tables.
   */
  conversions(route: string, since: number, until: number): Promise<WindowShoppers>;
  recordVerdict(verdict: StoredVerdict): Promise<void>;
  lastVerdict(route: string): Promise<StoredVerdict | null>;
  close(): Promise<void>;
}

/** The store cannot be used: missing, unreadable, locked, or from another version. One clear line. */
export class EvidenceStoreError extends Error {}
