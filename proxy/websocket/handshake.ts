import type { IncomingHttpHeaders } from 'node:http';

/** What is wrong with a WebSocket opening handshake, by error code; null when nothing is. */
export interface HandshakeRefusal {
  readonly code: 'STRANGLER_ERR_BAD_HANDSHAKE' | 'STRANGLER_ERR_WEBSOCKET_VERSION';
  /** Said in the log line and the error body, never matched on. */
  readonly detail: string;
}

export interface HandshakeFacts {
  readonly method?: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly headers: IncomingHttpHeaders;
}

/** RFC 6455 §4.1: the key is 16 random bytes, base64-encoded: 22 characters and `==` (the check ws itself makes). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** True when `Upgrade` asks for WebSocket and nothing else (RFC 6455 §4.2.1 item 3, case-insensitive). */
export function asksForWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
}

/**
 * Checks an opening handshake (RFC 6455 §4.2.1) before any upstream is asked, so a malformed one
 * never reaches a side. Node has already checked `Connection: upgrade`, or this would not be an
 * upgrade. Pure; tested with plain objects.
 */
export function handshakeRefusal(req: HandshakeFacts): HandshakeRefusal | null {
  const h = req.headers;
  if (req.method !== 'GET') return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: `method ${req.method}; a handshake is a GET` };
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: `HTTP/${req.httpVersionMajor}.${req.httpVersionMinor}; a handshake needs HTTP/1.1` };
  if (h.host === undefined || h.host === '') return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: 'no Host' };
  const key = h['sec-websocket-key'];
  // Node joins a repeated Sec-WebSocket-Key with ", ", which then fails the pattern.
  if (key === undefined) return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: 'no Sec-WebSocket-Key' };
  if (!KEY.test(key)) return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: 'Sec-WebSocket-Key is not 16 bytes in base64' };
  // §4.2.2: a version the server does not speak gets 426 with the versions it does.
  if (h['sec-websocket-version'] !== '13') return { code: 'STRANGLER_ERR_WEBSOCKET_VERSION', detail: `Sec-WebSocket-Version ${h['sec-websocket-version'] ?? 'missing'}` };
  // A body on a handshake could be read by an upstream that declines the upgrade as a second request.
  if (h['transfer-encoding'] !== undefined) return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: 'Transfer-Encoding on a handshake' };
  if (h['content-length'] !== undefined && h['content-length'] !== '0') return { code: 'STRANGLER_ERR_BAD_HANDSHAKE', detail: 'a body on a handshake' };
  return null;
}
