/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) plus the ones no upstream should act on: they describe
 * this connection, not the message, so a proxy must not forward them in either direction.
 * Transfer-Encoding and Content-Length are message framing: Node re-frames the body it forwards,
 * so they are kept and handled by Node.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'upgrade', 'http2-settings', 'expect',
]);

/**
 * Copies the end-to-end headers of one side into the object for the other: drops hop-by-hop
 * ones, those named in `Connection`, and every `x-strangler-*` (internal headers are the proxy's
 * alone, in both directions).
 */
export function copyEndToEndHeaders(from: Readonly<Record<string, string | string[] | undefined>>, to: Record<string, string | string[] | number>): void {
  const named = connectionNamed(from.connection);
  for (const name in from) {
    if (HOP_BY_HOP.has(name) || (named !== null && named.has(name)) || name.startsWith('x-strangler-')) continue;
    const value = from[name];
    if (value !== undefined) to[name] = value;
  }
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
