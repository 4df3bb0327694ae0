/** Where two texts start and stop differing: the comparisons read what both share only once. */

/** Compared a block at a time (V8 compares two flat strings' slices natively), then a character at a time. */
const BLOCK = 1024;

/** How many characters a and b share at the start. */
export function commonPrefix(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  let p = 0;
  while (p + BLOCK <= shorter && a.substring(p, p + BLOCK) === b.substring(p, p + BLOCK)) p += BLOCK;
  while (p < shorter && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** How many characters a and b share at the end, at most `limit`. */
export function commonSuffix(a: string, b: string, limit: number): number {
  let s = 0;
  while (s + BLOCK <= limit && a.substring(a.length - s - BLOCK, a.length - s) === b.substring(b.length - s - BLOCK, b.length - s)) s += BLOCK;
  while (s < limit && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return s;
}

/** The text two strings share: a[0, prefix) = b[0, prefix), and a[suffixA, end) = b[suffixA + delta, end). */
export interface SharedText { readonly prefix: number; readonly suffixA: number; readonly delta: number }

export function sharedText(a: string, b: string): SharedText {
  const prefix = commonPrefix(a, b);
  return { prefix, suffixA: a.length - commonSuffix(a, b, Math.min(a.length, b.length) - prefix), delta: b.length - a.length };
}
