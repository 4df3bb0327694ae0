/**
 * JSON read without building values: where a value, a string or a number ends, validating as it
 * goes (RFC 8259, the grammar parseJsonLossless accepts). The text comparison (json-text-diff.ts)
 * uses it to step over what it does not need to look into.
 */
import { JsonSyntaxError } from './json-lossless';

/** Past this depth the answer is refused (as invalid JSON) rather than risk the stack, as parseJsonLossless does. */
export const MAX_DEPTH = 1000;

export function fail(message: string, at: number): never {
  throw new JsonSyntaxError(`${message} at position ${at}`);
}

/** The index of the first character at or after `at` that is not JSON whitespace. */
export function space(text: string, at: number): number {
  for (let c = text.charCodeAt(at); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++at));
  return at;
}

/** A run of string characters that need no second look: not a quote, a backslash or a control character. */
// eslint-disable-next-line no-control-regex -- control characters are what JSON forbids in a string
const PLAIN = /[^"\\\u0000-\u001f]*/y;

/** `at` is a `"`: the index after the closing quote. Escapes are checked as JSON.parse would. */
export function stringEnd(text: string, at: number): number {
  for (at++; ;) {
    PLAIN.lastIndex = at;
    PLAIN.test(text);
    at = PLAIN.lastIndex;
    const c = text.charCodeAt(at);
    if (c === 34) return at + 1;
    if (c === 92) {
      const e = text.charCodeAt(at + 1);
      if (e === 117) { // \uXXXX
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) fail('malformed escape in string', at);
        at += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) at += 2;
      else fail('malformed escape in string', at);
      continue;
    }
    fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string', at);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** `at` is a `-` or a digit: the index after the number. */
export function numberEnd(text: string, at: number): number {
  NUMBER.lastIndex = at;
  if (NUMBER.exec(text) === null) fail('malformed number', at);
  return NUMBER.lastIndex;
}

/** The index after the value that starts at `at` (no whitespace before it), checked all through. */
export function valueEnd(text: string, at: number, depth: number): number {
  if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`, at);
  const c = text.charCodeAt(at);
  if (c === 34) return stringEnd(text, at);
  if (c === 45 || (c >= 48 && c <= 57)) return numberEnd(text, at);
  if (c === 123 || c === 91) {
    const close = c === 123 ? 125 : 93;
    at = space(text, at + 1);
    if (text.charCodeAt(at) === close) return at + 1;
    for (;;) {
      if (c === 123) {
        if (text.charCodeAt(at) !== 34) fail('expected a string key in object', at);
        at = space(text, stringEnd(text, at));
        if (text.charCodeAt(at) !== 58) fail('expected : after key', at);
        at = space(text, at + 1);
      }
      at = space(text, valueEnd(text, at, depth + 1));
      const next = text.charCodeAt(at);
      if (next === close) return at + 1;
      if (next !== 44) fail(c === 123 ? 'expected , or } in object' : 'expected , or ] in array', at);
      at = space(text, at + 1);
    }
  }
  if (text.startsWith('true', at)) return at + 4;
  if (text.startsWith('false', at)) return at + 5;
  if (text.startsWith('null', at)) return at + 4;
  return fail(at >= text.length ? 'unexpected end of JSON' : 'unexpected character', at);
}
