import type { IncomingHttpHeaders } from 'node:http';
import type { StickySource } from '../rules/types';

export const ANON_COOKIE = 'strangler_id';

/** The value of one cookie, scanning the header without building an object of all cookies. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      let keyStart = start;
      while (header.charCodeAt(keyStart) === 32) keyStart++;
      if (eq - keyStart === name.length && header.startsWith(name, keyStart)) {
        const value = header.slice(eq + 1, end).trim();
        return value === '' ? null : value;
      }
    }
    start = end + 1;
  }
  return null;
}

/** One `cookie:NAME` / `header:NAME` source's non-empty value on a request, or null. */
export function sourceValue(source: StickySource, headers: IncomingHttpHeaders): string | null {
  if (source.kind === 'cookie') return cookieValue(headers.cookie, source.name);
  const raw = headers[source.name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value !== undefined && value !== '' ? value : null;
}

export interface Identity { readonly value: string; readonly source: string }

/**
 * The first of the route's sticky sources present on the request; then the proxy's own anonymous
 * cookie even when the route does not list it (a shopper keeps one identity across routes).
 */
export function identityOf(sources: readonly StickySource[], headers: IncomingHttpHeaders): Identity | null {
  for (const source of sources) {
    const value = sourceValue(source, headers);
    if (value !== null) return { value, source: source.label };
  }
  const anon = cookieValue(headers.cookie, ANON_COOKIE);
  return anon === null ? null : { value: anon, source: `cookie:${ANON_COOKIE}` };
}
