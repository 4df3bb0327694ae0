import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// W3C Trace Context §3.2: version 00, 32-hex trace id and 16-hex parent id, neither all zeros.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The client's x-request-id when it is a sane token, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Random bytes drawn 24 at a time from a pooled 4 KiB block: one syscall per 170 new traces, not one each. */
const pool = Buffer.alloc(4080);
let offset = pool.length;

function randomHex24(): string {
  if (offset === pool.length) { crypto.randomFillSync(pool); offset = 0; }
  const hex = pool.toString('hex', offset, offset + 24);
  offset += 24;
  return hex;
}

/** The client's traceparent when valid, else a new sampled trace. */
export function traceparentOf(headers: IncomingHttpHeaders): string {
  const given = headers.traceparent;
  if (typeof given === 'string' && TRACEPARENT.test(given)) return given;
  const hex = randomHex24();
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-01`;
}

/** The trace id of a traceparent the proxy sends (always valid: traceparentOf's), null without one. */
export function traceIdOf(traceparent: string | string[] | undefined): string | null {
  return typeof traceparent === 'string' && traceparent.length >= 35 ? traceparent.slice(3, 35) : null;
}
