import type { WireAnswer } from '../decode-answer';
import type { ShadowJob, ShadowOutcome } from '../mirror';
import type { NoisePicture } from '../noise-probes';
import type { DiffStoreOptions } from '../store/diff-store';
import type { GuardWindow } from '../store/guard-window';
import type { LastVerdict } from '../store/store';
import type { ShopperMark } from '../store/shoppers';
import type { TrafficDelta } from '../store/traffic';
import type { LaterAnswer } from './later-answer';

export type { LastVerdict } from '../store/store';

/** The served answer as the proxy's tap captured it: the raw teed bytes (capped), Content-Encoding still applied. */
export type CapturedAnswer = WireAnswer;

/**
 * A ShadowJob as the proxy hands it to the worker: the served body stays bytes, so decoding,
 * parsing and comparing all happen off the main thread. Headers must be plain objects of strings
 * or string arrays (they are structured-cloned).
 */
export interface CapturedShadowJob extends Omit<ShadowJob, 'served'> {
  /** A LaterAnswer when the job is offered with the shopper's request (the other side is asked at once). */
  readonly served: CapturedAnswer | LaterAnswer;
}

/** Told a traced job's outcome (null: nothing was compared), on the main thread: it ends the mirror's span. */
export type Traced = (outcome: ShadowOutcome | null) => void;

/** A served answer once posted: structured clone turns Buffers into plain Uint8Arrays. */
export type WireServed = Omit<WireAnswer, 'body'> & { readonly body: Uint8Array };

/** What a job looks like once posted; `served` null: it follows in a later `answers` entry. */
export interface WireJob extends Omit<CapturedShadowJob, 'body' | 'served'> {
  readonly body: Uint8Array | null;
  readonly served: WireServed | null;
  /** Its outcome is reported by id (`traced` in the report): the main thread ends the mirror's span with it. */
  readonly traced?: true;
}

export interface WorkerSetup {
  /** A SQLite file or a PostgreSQL URL (with its password: it never leaves the process). */
  readonly diffDb: string;
  /** How this process names itself in the store's rows (STRANGLER_REPLICA, default hostname:pid). */
  readonly replica: string;
  readonly storeOptions: DiffStoreOptions | undefined;
  readonly shadowTimeoutMs: number;
  readonly captureBytes: number;
  /** One Int32: jobs posted and not finished. The main thread adds, the worker subtracts. */
  readonly inFlight: SharedArrayBuffer;
}

/** shadow_stats increments for one (minute, route), counted on the main thread (jobs it dropped). */
export interface StatCount {
  readonly route: string;
  readonly at: number;
  sampled: number;
  dropped: number;
  errors: number;
}

export interface StoreCounters {
  readonly droppedRows: number;
  readonly failedFlushes: number;
  readonly writtenRows: number;
  /** Conversion-guard marks past the store's bound on shoppers kept between flushes. */
  readonly droppedShoppers: number;
}

/** How the worker's store is doing now (DiffStoreStatus, without what the main thread already knows). */
export interface StoreHealth {
  /** The last connect or write succeeded. */
  readonly ok: boolean;
  /** Password redacted. */
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly buffered: number;
}

export type ToWorker =
  /**
   * Jobs posted together (one wake-up of the worker for many jobs), in the order offered, then the
   * served answers of jobs posted earlier or in this message (null: nothing to compare, the job ends).
   */
  | { readonly type: 'jobs'; readonly jobs: ReadonlyArray<{ readonly id: number; readonly job: WireJob }>;
    readonly answers: ReadonlyArray<{ readonly id: number; readonly served: WireServed | null }> }
  | { readonly type: 'counts'; readonly counts: readonly StatCount[] }
  /** The proxy's evidence counters since the last message, added to the store's. */
  | { readonly type: 'traffic'; readonly deltas: readonly TrafficDelta[]; readonly shoppers?: readonly ShopperMark[] }
  /** Read these guarded routes' conversion counts from the store (for /stats); answered by `conversions`. */
  | { readonly type: 'read-conversions'; readonly routes: readonly string[] }
  | { readonly type: 'stop'; readonly graceMs: number };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  /** Since the last report: outcomes as [route, outcome, count], ids of finished jobs; store counters are totals. */
  | { readonly type: 'report'; readonly outcomes: ReadonlyArray<readonly [string, ShadowOutcome, number]>; readonly done: readonly number[]; readonly store: StoreCounters; readonly health: StoreHealth;
    /** Traced jobs among `done`, with their outcome (null: not compared); absent when none. */
    readonly traced?: ReadonlyArray<readonly [number, ShadowOutcome | null]> }
  | { readonly type: 'verdicts'; readonly verdicts: readonly LastVerdict[] }
  /** The counts asked for (none while the store cannot be read), and how long reading them took. */
  | { readonly type: 'conversions'; readonly windows: readonly GuardWindow[]; readonly tookMs: number }
  /** Each route's noise probe picture (noise-probes.ts), sent when it changed, at most once a second. */
  | { readonly type: 'noise'; readonly pictures: readonly NoisePicture[] }
  | { readonly type: 'stopped' };
