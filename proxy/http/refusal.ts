import type http from 'node:http';
import type { StranglerErrorCode } from '../errors';
import { unsafePath } from './path-safety';
import { MAX_HEADER_FIELDS } from './server';

/**
 * Why the proxy refuses a request before routing it (bad path, too many or repeated header
 * fields, ambiguous framing), or null. The same checks come first for HTTP requests and for
 * upgrade handshakes.
 */
export function requestRefusal(req: http.IncomingMessage): StranglerErrorCode | null {
  if (unsafePath(req.url ?? '') !== null) return 'STRANGLER_ERR_BAD_PATH';
  // Node keeps at most MAX_HEADER_FIELDS and drops the rest silently; a request that reaches the
  // limit may have lost headers, so it is refused rather than forwarded incomplete.
  const raw = req.rawHeaders;
  if (raw.length > 2 * MAX_HEADER_FIELDS) return 'STRANGLER_ERR_TOO_MANY_HEADERS';
  // RFC 9112 §3.2: more than one Host is a 400 (Node would quietly keep the first).
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return 'STRANGLER_ERR_AMBIGUOUS_REQUEST';
  // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request is faulty framing; never forward it.
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) return 'STRANGLER_ERR_AMBIGUOUS_REQUEST';
  return null;
}
