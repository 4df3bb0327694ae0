/**
 * JSON (RFC 8259) parsed without losing numbers: JSON.parse turns `9007199254740993` into the
 * double 9007199254740992, so two different order ids of that size would compare equal. Here a
 * number keeps the text it was written as. Two numbers are equal when their decimal values are
 * (`100`, `1e2` and `100.0`; `-0` and `0`) or when they are the same double (`129.9` and
 * `129.90000000000001`), except integers past 2^53, compared exactly: two ids a digit apart never are.
 * Strings are unescaped by JSON.parse itself (one call per string that has a backslash).
 */

/** A JSON number as written in the answer. */
export class JsonNumber {
  constructor(readonly source: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject { [key: string]: JsonValue }

/** Past this depth the answer is refused (as invalid JSON) rather than risk the stack. */
const MAX_DEPTH = 1000;

export class JsonSyntaxError extends Error {}

/** Parses `text` as one JSON value; throws JsonSyntaxError saying where it is not JSON. Duplicate keys: the last wins, as in JSON.parse. */
export function parseJsonLossless(text: string): JsonValue {
  const parser = new Parser(text);
  parser.skipSpace();
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.at < text.length) parser.fail('unexpected text after the JSON value');
  return value;
}

/** The value that starts at `at` (no whitespace before it), `depth` levels down, and the index after it. */
export function parseJsonValueAt(text: string, at: number, depth: number): { value: JsonValue; end: number } {
  const parser = new Parser(text);
  parser.at = at;
  const value = parser.value(depth);
  return { value, end: parser.at };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  at = 0;
  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new JsonSyntaxError(`${message} at position ${this.at}`);
  }

  skipSpace(): void {
    const text = this.text;
    let at = this.at;
    for (let c = text.charCodeAt(at); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++at));
    this.at = at;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    const c = this.text.charCodeAt(this.at);
    if (c === 34) return this.string();
    if (c === 123) return this.object(depth);
    if (c === 91) return this.array(depth);
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith('true', this.at)) { this.at += 4; return true; }
    if (this.text.startsWith('false', this.at)) { this.at += 5; return false; }
    if (this.text.startsWith('null', this.at)) { this.at += 4; return null; }
    return this.fail(this.at >= this.text.length ? 'unexpected end of JSON' : 'unexpected character');
  }

  private number(): JsonNumber {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('malformed number');
    this.at += match[0].length;
    return new JsonNumber(match[0]);
  }

  private string(): string {
    const text = this.text;
    const start = this.at + 1;
    let escaped = false;
    let at = start;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 34) break;
      if (c === 92) { escaped = true; at += 2; continue; }
      if (c < 32 || Number.isNaN(c)) { this.at = at; this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string'); }
      at++;
    }
    this.at = at + 1;
    if (!escaped) return text.slice(start, at);
    try {
      return JSON.parse(text.slice(start - 1, at + 1)) as string;
    } catch {
      this.at = start;
      return this.fail('malformed escape in string');
    }
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.at++;
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 93) { this.at++; return out; }
    for (;;) {
      this.skipSpace();
      out.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text.charCodeAt(this.at++);
      if (c === 93) return out;
      if (c !== 44) { this.at--; this.fail('expected , or ] in array'); }
    }
  }

  private object(depth: number): JsonObject {
    // No prototype: a key named __proto__ is a plain field, as JSON.parse makes it.
    const out = Object.create(null) as JsonObject;
    this.at++;
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 125) { this.at++; return out; }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.at) !== 34) this.fail('expected a string key in object');
      const key = this.string();
      this.skipSpace();
      if (this.text.charCodeAt(this.at++) !== 58) { this.at--; this.fail('expected : after key'); }
      this.skipSpace();
      out[key] = this.value(depth + 1);
      this.skipSpace();
      const c = this.text.charCodeAt(this.at++);
      if (c === 125) return out;
      if (c !== 44) { this.at--; this.fail('expected , or } in object'); }
    }
  }
}

/** A number's value as sign, significant digits and exponent: `-1.50e3` → `-15e2`; every zero → `0`. */
export function canonicalNumber(source: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(source);
  if (match === null) throw new Error(`not a JSON number: ${source}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  // BigInt: an exponent of any length is compared exactly.
  const power = BigInt(exponent) - BigInt(fraction.length) + BigInt(trailing);
  return `${sign}${digits}e${power}`;
}

/** 2^53: past it, not every integer is a double, so two different ids can read as one. */
const EXACT_INTEGERS = 2 ** 53;

/**
 * Two numbers are equal when a JSON reader sees one value: the same IEEE double (`129.9` and
 * `129.90000000000001`, `1e-400` and `0`). Integers past 2^53 are compared exactly instead: two
 * order ids a unit apart are two orders, although they read as one double.
 */
export function sameNumber(a: JsonNumber, b: JsonNumber): boolean {
  if (a.source === b.source) return true;
  const ca = canonicalNumber(a.source);
  const cb = canonicalNumber(b.source);
  if (ca === cb) return true;
  const x = Number(a.source);
  if (x !== Number(b.source)) return false;
  return !isBigInteger(ca, x) && !isBigInteger(cb, x);
}

/** True for an integer (a canonical form with no negative exponent) past 2^53 in size; `value` is its double. */
function isBigInteger(canonical: string, value: number): boolean {
  return !canonical.includes('e-') && Math.abs(value) >= EXACT_INTEGERS;
}

/** JSON text of a parsed value, numbers exactly as they were written. */
export function stringifyJson(value: JsonValue): string {
  if (value instanceof JsonNumber) return value.source;
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${stringifyJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}
