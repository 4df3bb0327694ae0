import type { IncomingMessage } from 'node:http';

/**
 * RFC 9110 §9.2.2 and DESIGN: only these may be sent twice. A request with an Idempotency-Key is
 * safe to retry because legacy and extracted record keys in one table, in the order's transaction.
 * RFC 9112 §9.3.1: a proxy must not retry a non-idempotent request.
 */
export function isRetryable(req: IncomingMessage): boolean {
  const method = req.method;
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || req.headers['idempotency-key'] !== undefined;
}

export type BodyPlan =
  | { kind: 'none' }          // no body: a retry sends an empty body
  | { kind: 'buffer' }        // retryable and small: read it first, send the copy each attempt
  | { kind: 'stream' };       // stream it once; no retry possible

export function bodyPlan(req: IncomingMessage, retryable: boolean, limitBytes: number): BodyPlan {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) return { kind: 'none' };
  if (!retryable || chunked) return { kind: 'stream' };
  return Number(length) <= limitBytes ? { kind: 'buffer' } : { kind: 'stream' };
}

export const EMPTY_BODY = Buffer.alloc(0);

/** Reads a body whose declared length is within the limit; null if the client goes away first. */
export function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve(null));
    req.once('close', () => { if (!req.complete) resolve(null); });
  });
}
