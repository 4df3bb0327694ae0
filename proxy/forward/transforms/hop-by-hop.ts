/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) plus the ones no upstream should act on: they describe
 * this connection, not the message, so a proxy must not forward them in either direction.
 * Transfer-Encoding is framing of this hop too: the body is re-framed on each side (undici chunks a
 * request body of unknown length; Node frames the shopper's response by Content-Length, chunked
 * for HTTP/1.1, or close for HTTP/1.0). Content-Length is kept: it is the body's length either way.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'upgrade', 'http2-settings', 'expect', 'transfer-encoding',
]);

/** True when a header must not cross the proxy: hop-by-hop, named in `Connection`, or internal (`x-strangler-*`). */
export function isHopOrInternal(name: string, named: ReadonlySet<string> | null): boolean {
  return HOP_BY_HOP.has(name) || (named !== null && named.has(name)) || name.startsWith('x-strangler-');
}

const SELF_NAMED: ReadonlySet<string> = new Set(['keep-alive', 'close']);

/** Header names listed in `Connection`, lower-cased (RFC 9110 §7.6.1: also hop-by-hop). */
export function connectionNamed(connection: string | string[] | undefined): ReadonlySet<string> | null {
  if (connection === undefined) return null;
  // Nearly every message says only `keep-alive` or `close`, both hop-by-hop already: no set to build.
  if (typeof connection === 'string' && SELF_NAMED.has(connection.toLowerCase())) return null;
  const value = Array.isArray(connection) ? connection.join(',') : connection;
  const names = new Set<string>();
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '') names.add(name);
  }
  return names;
}

/** A header list as undici and `writeHead` take it: name, value, name, value… (names lower-case). */
export type FlatHeaders = string[];

/** A flat list as an object (repeated names become arrays), for the shadow side's comparison. */
export function flatToObject(headers: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}
