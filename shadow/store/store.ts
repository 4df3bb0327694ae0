/**
 * The diff store's interface: what the shadow worker writes, what the report, replay, ramp's gate
 * and the rollout read. Two implementations keep their SQL to themselves: SQLite (sqlite-store.ts,
 * embedded, synchronous underneath and wrapped in promises) and PostgreSQL (postgres-store.ts,
 * shared by every replica). One suite of tests runs against both (shadow/test/store-suite.ts).
 *
 * Nothing here loads a driver: open-store.ts does, lazily, on the thread that opens a store.
 */
import type { EvidenceStore } from './evidence';
import type { StoreKind } from './location';
import type { ShopperSpan } from './shoppers';
import type { TrafficDelta } from './traffic';
import type { StoredComparison, StoredOutcome } from '../compare/window-verdict';

/** One compared request, already redacted. */
export interface DiffRow {
  at: number;
  route: string;
  method: string;
  target: string;
  servedBy: 'legacy' | 'extracted';
  legacyStatus: number | null;
  extractedStatus: number | null;
  legacyMs: number | null;
  extractedMs: number | null;
  outcome: 'match' | 'mismatch' | 'error' | 'truncated';
  paths: readonly string[];
  /** Where legacy's two answers differed; null: legacy was asked once (a read not probed, a write). */
  noise: readonly string[] | null;
  legacySample: string | null;
  extractedSample: string | null;
  requestHeaders: Readonly<Record<string, string>>;
  source: 'live' | 'replay';
  /** The shopper request's W3C trace id (32 lowercase hex): its server span's when tracing is on, else its traceparent's; null for a replay. */
  traceId?: string | null;
}

/** shadow_stats increments for one (minute, route). */
export interface ShadowStatDelta {
  readonly minute: number;
  readonly route: string;
  sampled: number;
  dropped: number;
  errors: number;
}

/** What one flush writes, in one transaction: every row and counter is named by the replica that wrote it. */
export interface WriteBatch {
  readonly replica: string;
  readonly rows: readonly DiffRow[];
  readonly stats: readonly ShadowStatDelta[];
  readonly traffic: readonly TrafficDelta[];
  /** The conversion guard's exposed and converted shoppers (shoppers.ts); absent: none. */
  readonly shoppers?: readonly ShopperSpan[];
}

/** A stored comparison as the window judgement reads it (route-window.ts). */
export interface StoredDiff extends StoredComparison {
  readonly id: number;
  readonly at: number;
  readonly outcome: StoredOutcome;
  readonly servedBy: 'legacy' | 'extracted';
}

/** What the report shows as an example of a differing path. */
export interface DiffExample {
  readonly target: string;
  readonly legacy: string | null;
  readonly extracted: string | null;
  readonly legacyStatus: number | null;
  readonly extractedStatus: number | null;
  /** The shopper request's trace id; null when the row has none (written before schema 5, or a replay). */
  readonly traceId: string | null;
}

/** A captured safe request replay can send again. */
export interface CapturedRead {
  readonly route: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string>;
}

/** A replica's diff rows over a window. */
export interface ReplicaRows {
  /** The writer's STRANGLER_REPLICA (`hostname:pid` by default); empty for rows written before stores named replicas. */
  readonly replica: string;
  readonly rows: number;
  /** Rows stored as compared (match or mismatch). */
  readonly compared: number;
}

/** A route's latest `strangler rollout` verdict (for /stats and the dashboard). */
export interface LastVerdict {
  readonly route: string;
  readonly verdict: string;
  readonly at: number;
  readonly fromPercent: number | null;
  readonly toPercent: number | null;
  /** The verdict's one-line summary when the rollout recorded one. */
  readonly summary: string | null;
}

export interface StoreWriter {
  /** Everything in one transaction: all of it is stored, or none of it. */
  write(batch: WriteBatch): Promise<void>;
  /** Deletes diff rows and counters older than `cutoff` (ms since the epoch); returns the diff rows removed. */
  prune(cutoff: number): Promise<number>;
}

/** The queries behind the report, replay and ramp's gate; windows are [since, until). */
export interface StoreReader {
  /** Routes with diff rows or shadow counters in the window, sorted. */
  routesWithData(since: number, until: number): Promise<string[]>;
  shadowStats(route: string, since: number, until: number): Promise<{ sampled: number; dropped: number; errors: number }>;
  /** The route's rows in the window in the order they were written (by id); each call reads afresh, a row at a time. */
  comparisons(route: string, since: number, until: number): AsyncIterable<StoredDiff>;
  example(id: number): Promise<DiffExample | null>;
  /** Both sides' latencies of the rows that were not errors. */
  latencies(route: string, since: number, until: number): Promise<Array<{ legacy: number | null; extracted: number | null }>>;
  /** Distinct live GET/HEAD requests since `since` (of `route` when given), oldest first. */
  capturedReads(since: number, route: string | null): Promise<CapturedRead[]>;
  replicas(since: number, until: number): Promise<ReplicaRows[]>;
  lastVerdicts(): Promise<LastVerdict[]>;
}

export interface Store extends StoreWriter, StoreReader, EvidenceStore {
  readonly kind: StoreKind;
  /** The file, or the URL with its password redacted. */
  readonly location: string;
  readonly schemaVersion: number;
}

export interface OpenOptions {
  /** Read only (`--dry-run`, `report`): no migration, no write. */
  readonly readonly?: boolean;
  /** SQLite: create the file (and its directory) when missing; otherwise a missing store is an error. */
  readonly create?: boolean;
}

/** Checks a stored JSON list of paths (diffs.paths / diffs.noise), whichever store it came from. */
export function pathList(value: unknown, column: string, id: number): string[] {
  let parsed = value;
  if (typeof value === 'string') {
    try { parsed = JSON.parse(value); } catch { parsed = undefined; }
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new Error(`diffs row ${id}: ${column} is not a JSON list of paths: ${String(typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 80)}`);
  }
  return parsed as string[];
}

/**
 * diffs.noise as stored: a JSON list of paths, or JSON null for a row whose legacy was asked once
 * (no column was added for it: older rows all hold lists).
 */
export function noiseList(value: unknown, id: number): string[] | null {
  return value === null || value === 'null' ? null : pathList(value, 'noise', id);
}

/** The one-line summary a stored verdict's evidence holds, if any. */
export function summaryOf(evidence: unknown): string | null {
  let parsed = evidence;
  if (typeof evidence === 'string') {
    try { parsed = JSON.parse(evidence); } catch { return null; }
  }
  const summary = (parsed as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' ? summary : null;
}
