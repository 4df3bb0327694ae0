import type http from 'node:http';
import { LaterAnswer } from '../../shadow/worker/later-answer';
import type { CapturedAnswer, CapturedShadowJob } from '../../shadow/worker/shadow-worker';
import { flatToObject } from '../forward/transforms/hop-by-hop';
import type { CompiledRoute, CompiledRules, Upstream } from '../rules/types';
import type { RequestTrace } from '../tracing/types';
import type { ShadowOutcome } from '../../shadow/outcomes';
import { traceIdOf } from './request-ids';

/** What the handler needs of the shadow side: a sampling coin and a non-blocking offer. */
export interface ShadowHook {
  /** True for a share `percent` of calls; randomness stays at the edge, out of decide(). */
  sample(percent: number): boolean;
  /**
   * Takes over the job's body Buffers (they may be moved to the worker thread, leaving them empty).
   * A job whose `served` is a LaterAnswer has its other side asked at once; never awaits.
   */
  offer(job: CapturedShadowJob, done?: (() => void) | null, traced?: ((outcome: ShadowOutcome | null) => void) | null): void;
  /** Counts a sampled request that was not mirrored (admission control: shoppers come first). */
  yielded(job: CapturedShadowJob): void;
  /**
   * Admission control for mirrors: slots on the upstreams the mirror will ask, or null when a
   * shopper waits for one of them (mirrors yield). The returned function frees them.
   */
  mirrorSlots(upstreams: readonly Upstream[]): (() => void) | null;
  readonly captureCap: number;
}

/**
 * Keeps the served response's body chunks (up to the cap) as they stream to the shopper, without
 * changing a byte of what they get; the copy is handed to the mirror once the response has ended.
 */
export class ResponseTap {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    if (this.truncated) return;
    if (this.size + chunk.length > this.cap) {
      const part = chunk.subarray(0, this.cap - this.size);
      this.chunks.push(part);
      this.size += part.length;
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The captured bytes, undecoded: decoding and parsing happen on the worker thread. */
  answer(status: number, headers: readonly string[], ms: number): CapturedAnswer {
    return { status, headers: flatToObject(headers), body: ownedCopy(this.chunks, this.size), truncated: this.truncated, ms };
  }
}

/**
 * The chunks copied into one Buffer that owns its ArrayBuffer, so the post to the worker thread
 * moves it instead of copying it again (Buffer.concat takes small results from Node's shared pool,
 * which cannot be moved). A copy either way: the chunks themselves may still be in the shopper's
 * socket's write queue, so they are never moved.
 */
function ownedCopy(chunks: readonly Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(out, at);
  return out;
}

/**
 * The handler's end of a mirror started with the shopper's request (Diffy's order: the other side
 * is asked at the same moment, so both see the same state): it tees the served answer's bytes and
 * hands them over once the shopper has them all, or tells the mirror there is nothing to compare.
 */
export class StartedShadow {
  private readonly tap: ResponseTap;

  constructor(cap: number, private readonly later: LaterAnswer) {
    this.tap = new ResponseTap(cap);
  }

  add(chunk: Buffer): void {
    this.tap.add(chunk);
  }

  /** The shopper has the whole answer: it is compared with the other side's. */
  served(status: number, headers: readonly string[], ms: number): void {
    this.later.settle(this.tap.answer(status, headers, ms));
  }

  /** Failed, fell back or abandoned: nothing to compare. A no-op once served. */
  cancel(): void {
    this.later.settle(null);
  }
}

/**
 * Offers a sampled request's mirror before the request is forwarded, its served answer to follow.
 * `body` is the buffered request body; `servedBy` the side the decision chose; `trace` the
 * request's spans (null: tracing is off), of which the mirror starts its own linked trace.
 */
export function startShadow(hook: ShadowHook, rules: CompiledRules, route: CompiledRoute, req: http.IncomingMessage, headers: readonly string[],
  body: Buffer | null, servedBy: 'legacy' | 'extracted', at: number, trace: RequestTrace | null = null): StartedShadow | null {
  const shadow = route.shadow;
  if (shadow === null) return null;
  const later = new LaterAnswer();
  const mirrorHeaders = flatToObject(headers);
  const mirror = trace === null ? null : trace.startMirror({ method: req.method ?? 'GET', target: req.url ?? '/', route: route.name, routePath: route.path, servedBy });
  // The mirror's requests name the mirror's span, so the services' spans nest under it, not under the shopper's.
  if (mirror !== null) mirrorHeaders.traceparent = mirror.traceparent;
  const job: CapturedShadowJob = {
    at, route: route.name, config: { ignore: shadow.ignore, arrayKeys: shadow.arrayKeys, normalisers: shadow.normalisers },
    legacyOrigin: rules.legacy.url, extractedOrigin: route.extracted.url, method: req.method ?? 'GET', target: req.url ?? '/',
    // A copy of the body: the offer may move its bytes to the worker thread, and the shopper's request still needs them.
    headers: mirrorHeaders, body: body === null ? null : Buffer.from(body), servedBy, served: later, source: 'live',
    // New rules start the route's noise probing afresh (shadow/noise-probe.ts).
    rules: rules.hash,
    // The diff row keeps the shopper request's trace id: its server span's, or (tracing off) the traceparent sent upstream.
    traceId: mirror !== null ? mirror.shopperTraceId : traceIdOf(mirrorHeaders.traceparent),
  };
  const traced = mirror === null ? null : (outcome: ShadowOutcome | null): void => mirror.ended(outcome);
  // Mirrors count towards each upstream's limit and yield to shoppers: a read asks the other side
  // and legacy again (noise), a write only extracted (as a dry run).
  if (route.maxQueueMs !== null) {
    const read = job.method === 'GET' || job.method === 'HEAD';
    const other = servedBy === 'legacy' ? route.extracted : rules.legacy;
    const release = hook.mirrorSlots(read ? [other, rules.legacy] : [route.extracted]);
    if (release === null) { hook.yielded(job); traced?.('dropped'); return null; }
    hook.offer(job, release, traced);
  } else {
    hook.offer(job, null, traced);
  }
  return new StartedShadow(hook.captureCap, later);
}
