/**
 * Requests the proxy will not route by a guess (DESIGN "Forwarding and failure"): the target must
 * be origin-form (RFC 9112 §3.2.1) and its path free of anything two parsers could read two ways.
 * Returns why a target is refused, or null when it is safe. Pure; tested with plain strings.
 */
export type UnsafeReason =
  | 'not-origin-form' | 'backslash' | 'encoded-slash' | 'encoded-backslash' | 'encoded-nul'
  | 'double-encoding' | 'bad-percent-encoding' | 'dot-segment' | 'empty-segment' | 'control-character';

const HEX = /^[0-9A-Fa-f]{2}$/;
// Control characters are what these patterns look for, so the lint rule against them does not apply.
// eslint-disable-next-line no-control-regex
const NEEDS_A_LOOK = /[%\\.]|\/\/|[\x00-\x20\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x20\x7f]/;

export function unsafePath(target: string): UnsafeReason | null {
  if (target.length === 0 || target.charCodeAt(0) !== 47 /* / */) return 'not-origin-form';
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  // Fast path: most paths have nothing that needs a closer look.
  if (!NEEDS_A_LOOK.test(path)) return null;
  if (path.includes('\\')) return 'backslash';
  if (CONTROL.test(path)) return 'control-character';
  if (path.startsWith('//') || path.includes('//')) return 'empty-segment';
  let decodedDots = path;
  if (path.includes('%')) {
    for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
      const hex = path.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return 'bad-percent-encoding';
      const code = parseInt(hex, 16);
      if (code === 0x2f) return 'encoded-slash';
      if (code === 0x5c) return 'encoded-backslash';
      if (code === 0x00) return 'encoded-nul';
      // %25 followed by an encoded dot, slash, backslash or NUL is a second layer waiting for a second decoder.
      if (code === 0x25 && /^(2e|2f|5c|00)$/i.test(path.slice(i + 3, i + 5))) return 'double-encoding';
    }
    decodedDots = path.replace(/%2e/gi, '.');
  }
  for (const segment of decodedDots.split('/')) {
    if (segment === '.' || segment === '..') return 'dot-segment';
  }
  return null;
}
