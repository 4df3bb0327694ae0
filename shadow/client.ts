// The package index, not the Pool alone: `request` is added to Pool's prototype by undici's index.
import { Pool } from 'undici';
import type { ShadowAnswer } from './compare/compare';
import { decodeAnswer } from './decode-answer';

/** Headers that describe the proxy's own connection or that undici sets itself. */
const NOT_MIRRORED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'expect', 'te', 'trailer', 'upgrade']);

export interface MirrorRequest {
  readonly origin: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer | null;
  readonly dryRun: boolean;
}

/** undici Pools per upstream for mirrored requests: separate from the shoppers' sockets. */
export class ShadowClient {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly timeoutMs: number, private readonly captureCap: number) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 32, keepAliveTimeout: 4000, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * Sends one mirrored request; the answer's body is captured up to the cap (as sent, compressed or
   * not) and decoded. Rejects on failure or timeout.
   */
  async send(request: MirrorRequest): Promise<ShadowAnswer> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) if (!NOT_MIRRORED.has(name)) headers[name] = value;
    // Every mirrored request says so, so a service can tell it from a shopper's (leave it out of
    // analytics, say); a write is also a dry run (x-strangler-shadow), which extracted honours.
    headers['x-strangler-mirror'] = '1';
    if (request.dryRun) headers['x-strangler-shadow'] = '1';
    const started = performance.now();
    const response = await this.pool(request.origin).request({
      // The Pool's headersTimeout and bodyTimeout (both the shadow timeout) bound each mirror:
      // no per-request timer needed on top.
      path: request.target, method: request.method as 'GET', headers, body: request.body ?? undefined,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > this.captureCap) {
        truncated = true;
        chunks.push(buf.subarray(0, this.captureCap - size));
        response.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    return decodeAnswer({
      status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>,
      body: Buffer.concat(chunks), truncated, ms: performance.now() - started,
    }, this.captureCap);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
  }
}
