import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const FORCE_HEADER = 'x-strangler-force';
export const TOKEN_HEADER = 'x-strangler-token';

/** The tester override secret, kept as a digest so comparisons are constant-time and length-blind. */
export function overrideTokenDigest(secret: string | undefined): Buffer | null {
  return secret ? crypto.createHash('sha256').update(secret).digest() : null;
}

/**
 * `x-strangler-force: legacy|extracted`, honoured only with a valid `x-strangler-token`
 * (compared in constant time); otherwise null and the request is routed as usual.
 */
export function authorisedOverride(headers: IncomingHttpHeaders, digest: Buffer | null): 'legacy' | 'extracted' | null {
  const force = headers[FORCE_HEADER];
  if (force === undefined || digest === null) return null;
  if (force !== 'legacy' && force !== 'extracted') return null;
  const token = headers[TOKEN_HEADER];
  if (typeof token !== 'string') return null;
  const given = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(given, digest) ? force : null;
}
