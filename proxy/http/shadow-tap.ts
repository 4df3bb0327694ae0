import type http from 'node:http';
import type { CapturedAnswer, CapturedShadowJob } from '../../shadow/worker/shadow-worker';
import { flatToObject } from '../forward/transforms/hop-by-hop';
import type { CompiledRoute, CompiledRules } from '../rules/types';

/** What the handler needs of the shadow side: a sampling coin and a non-blocking offer. */
export interface ShadowHook {
  /** True for a share `percent` of calls; randomness stays at the edge, out of decide(). */
  sample(percent: number): boolean;
  /** Takes over the job's body Buffers (they may be moved to the worker thread, leaving them empty). */
  offer(job: CapturedShadowJob): void;
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
      this.chunks.push(chunk.subarray(0, this.cap - this.size));
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The captured bytes, undecoded: decoding and parsing happen on the worker thread. */
  answer(status: number, headers: readonly string[], ms: number): CapturedAnswer {
    return { status, headers: flatToObject(headers), body: Buffer.concat(this.chunks), truncated: this.truncated, ms };
  }
}

export function shadowJob(rules: CompiledRules, route: CompiledRoute, req: http.IncomingMessage, headers: readonly string[], body: Buffer | null,
  servedBy: 'legacy' | 'extracted', served: CapturedAnswer, at: number): CapturedShadowJob | null {
  const shadow = route.shadow;
  if (shadow === null) return null;
  return {
    at, route: route.name, config: { ignore: shadow.ignore, arrayKeys: shadow.arrayKeys, normalisers: shadow.normalisers },
    legacyOrigin: rules.legacy.url, extractedOrigin: route.extracted.url, method: req.method ?? 'GET', target: req.url ?? '/',
    headers: flatToObject(headers), body, servedBy, served, source: 'live',
  };
}
