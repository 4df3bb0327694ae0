import type http from 'node:http';
import type { ForwardOutcome } from '../forward/upstream-response';
import type { Upstream } from '../rules/types';
import type { ShadowOutcome } from '../../shadow/outcomes';

/**
 * What the request path sees of tracing: only these interfaces, so with tracing off (the tracer
 * dep is null) the handler runs no tracing code and the OpenTelemetry SDK is never loaded.
 */
export interface ProxyTracer {
  /**
   * The sampler's decision for one shopper request, a child of the caller's traceparent when valid.
   * Sampled: its server span. Not sampled: only the traceparent (flag 00) to send upstream; the
   * request then runs the untraced path, with no span object and no further tracing code.
   */
  startRequest(req: http.IncomingMessage): RequestTrace | string;
  status(): TracingStatus;
  /** Exports what is batched, bounded in time (a collector that is away never holds up a stop). */
  shutdown(): Promise<void>;
}

export type AttemptKind = 'first' | 'retry' | 'fallback';

/** The facts a finished request's server span carries (the access line's, redacted the same way). */
export interface RequestEnd {
  readonly method: string;
  /** The request target as received; only its path, redacted, becomes `url.path`. */
  readonly target: string;
  /** The matched route's path pattern (`http.route`), null when no route matched. */
  readonly routePath: string | null;
  readonly route: string;
  readonly backend: string;
  readonly reason: string;
  readonly status: number;
  readonly code: string | null;
}

export interface RequestTrace {
  /** Starts a client span for one upstream attempt (ending the previous one); returns the traceparent that names it. */
  beginAttempt(upstream: Upstream, kind: AttemptKind): string;
  /** A queued attempt left the line: admitted after `waitedMs`, or shed. */
  queued(waitedMs: number, admitted: boolean): void;
  /** What the attempt got: a failure ends its span now; an answer's span ends with the request. */
  attemptOutcome(outcome: ForwardOutcome): void;
  /** Ends the open client span and the server span. */
  finish(end: RequestEnd): void;
  /** Starts the trace of this request's mirror: its own trace, linked to this request's server span (mirror-trace.ts). */
  startMirror(start: MirrorStart): MirrorTrace;
}

/** What the mirror span says of the request it mirrors (redacted as the server span's). */
export interface MirrorStart {
  readonly method: string;
  readonly target: string;
  readonly route: string;
  readonly routePath: string | null;
  readonly servedBy: 'legacy' | 'extracted';
}

/**
 * `strangler.shadow.outcome`: the comparison's outcome (shadow/outcomes.ts); `not_compared` when
 * the shopper got nothing to compare (a failure, a fallback, a shopper who left); `unknown` when
 * no outcome came within MIRROR_SPAN_MAX_MS.
 */
export type MirrorEnd = ShadowOutcome | 'not_compared' | 'unknown';

/** One mirror's trace, started on the shoppers' thread; the worker's outcome ends it. */
export interface MirrorTrace {
  /** The shopper request's trace id (its server span's), kept with the diff row. */
  readonly shopperTraceId: string;
  /** The traceparent the mirror's requests carry: it names the mirror's span (recorded, as its shopper's request is). */
  readonly traceparent: string;
  /** Ends the span with the comparison's outcome (null: not compared); later calls are ignored. */
  ended(outcome: ShadowOutcome | null): void;
}

/** GET /status `tracing`. */
export interface TracingStatus {
  readonly enabled: boolean;
  readonly endpoint: string | null;
  readonly sampler: string | null;
  /** Spans the collector accepted. */
  readonly exported: number;
  /** Spans lost: the export queue was full, or the collector could not be reached or refused them. */
  readonly dropped: number;
}

export const TRACING_OFF: TracingStatus = Object.freeze({ enabled: false, endpoint: null, sampler: null, exported: 0, dropped: 0 });
