/**
 * diffJson (json-diff.ts) on the two texts themselves, without building either value: the two are
 * read side by side, and only where they differ are values made. Same paths, same order, same
 * verdict on invalid JSON; about the cost of reading one of the two.
 *
 * - Text both answers share at the start (before the first character that differs) and at the end
 *   (after the last) is read on one side only: a value that lies wholly in it is the same value on
 *   both sides, checked for syntax once.
 * - Objects are read key by key while the two have the same keys in the same order. Where they do
 *   not (keys reordered, added, removed, written with different escapes), and where a difference
 *   lies in an object with a repeated key or an integer-like key (whose order or value JSON.parse
 *   treats differently), that object is parsed on both sides and given to diffJson.
 * - Arrays the route pairs by a key (`arrayKeys`) are given to diffJson whenever their texts differ.
 */
import { sharedText } from './common-text';
import { diffJson, type JsonDiffOptions } from './json-diff';
import { JsonNumber, JsonSyntaxError, parseJsonValueAt, sameNumber } from './json-lossless';
import { MAX_DEPTH, fail, space, stringEnd, valueEnd } from './json-scan';
import { genericPath } from './paths';

/** Every path at which the two JSON texts differ, as diffJson gives them; null when either is not JSON. */
export function diffJsonText(a: string, b: string, options: JsonDiffOptions): string[] | null {
  try {
    return new SideBySide(a, b, options).run();
  } catch (error) {
    if (error instanceof JsonSyntaxError) return null;
    throw error;
  }
}

const enum Kind { String, Number, Object, Array, Literal, Invalid }

function kindAt(c: number): Kind {
  if (c === 34) return Kind.String;
  if (c === 123) return Kind.Object;
  if (c === 91) return Kind.Array;
  if (c === 45 || (c >= 48 && c <= 57)) return Kind.Number;
  if (c === 116 || c === 102 || c === 110) return Kind.Literal;
  return Kind.Invalid;
}

/** The value of a string token `text[start, end)`, quotes included. */
function stringValue(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

class SideBySide {
  private readonly out: string[] = [];
  /** The path below `body`, a step (`.key`, `[3]`) per level. */
  private readonly steps: string[] = [];
  /** a[0, prefix) === b[0, prefix). */
  private readonly prefix: number;
  /** a[suffixA, end) === b[suffixA + delta, end). */
  private readonly suffixA: number;
  private readonly delta: number;
  private readonly keyed: boolean;
  /** Where the last value read ended, on each side. */
  private endA = 0;
  private endB = 0;

  constructor(private readonly a: string, private readonly b: string, private readonly options: JsonDiffOptions) {
    ({ prefix: this.prefix, suffixA: this.suffixA, delta: this.delta } = sharedText(a, b));
    this.keyed = Object.keys(options.arrayKeys).length > 0;
  }

  run(): string[] {
    const { a, b } = this;
    this.value(space(a, 0), space(b, 0), 0);
    if (space(a, this.endA) < a.length) fail('unexpected text after the JSON value', this.endA);
    if (space(b, this.endB) < b.length) fail('unexpected text after the JSON value', this.endB);
    return this.out;
  }

  private path(): string {
    return this.steps.length === 0 ? 'body' : `body${this.steps.join('')}`;
  }

  /** True when the text from `pa` in a on is the text from `pb` in b on. */
  private inSuffix(pa: number, pb: number): boolean {
    return pa >= this.suffixA && pb - pa === this.delta;
  }

  private value(pa: number, pb: number, depth: number): void {
    const { a, b } = this;
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`, pa);
    if (this.inSuffix(pa, pb)) {
      this.endA = valueEnd(a, pa, depth);
      this.endB = this.endA + this.delta;
      return;
    }
    const ka = kindAt(a.charCodeAt(pa));
    const kb = kindAt(b.charCodeAt(pb));
    if (pa === pb && pa < this.prefix) {
      // Read on one side; the same on the other when it ends (with the character that ends it) before the first difference.
      const end = valueEnd(a, pa, depth);
      if (end < this.prefix) { this.endA = this.endB = end; return; }
    }
    if (ka === Kind.Object && kb === Kind.Object) return this.object(pa, pb, depth);
    if (ka === Kind.Array && kb === Kind.Array) return this.array(pa, pb, depth);
    const ea = valueEnd(a, pa, depth);
    const eb = valueEnd(b, pb, depth);
    this.endA = ea;
    this.endB = eb;
    if (ka !== kb) { this.out.push(this.path()); return; }
    const rawA = a.slice(pa, ea);
    const rawB = b.slice(pb, eb);
    if (rawA === rawB) return;
    const same = ka === Kind.Number ? sameNumber(new JsonNumber(rawA), new JsonNumber(rawB))
      : ka === Kind.String ? stringValue(a, pa, ea) === stringValue(b, pb, eb)
        : false; // two different literals
    if (!same) this.out.push(this.path());
  }

  private object(oa: number, ob: number, depth: number): void {
    const { a, b, out } = this;
    const start = out.length;
    const keys: string[] = [];
    let pa = space(a, oa + 1);
    let pb = space(b, ob + 1);
    const emptyA = a.charCodeAt(pa) === 125;
    const emptyB = b.charCodeAt(pb) === 125;
    if (emptyA && emptyB) { this.endA = pa + 1; this.endB = pb + 1; return; }
    if (emptyA || emptyB) return this.parsed(oa, ob, depth, start);
    for (;;) {
      if (a.charCodeAt(pa) !== 34) fail('expected a string key in object', pa);
      if (b.charCodeAt(pb) !== 34) fail('expected a string key in object', pb);
      const ka = stringEnd(a, pa);
      const kb = stringEnd(b, pb);
      const key = stringValue(a, pa, ka);
      // Keys written differently (another key, or the same with other escapes): not read side by side.
      if (!((pa === pb && ka < this.prefix) || this.inSuffix(pa, pb) || a.slice(pa, ka) === b.slice(pb, kb))) return this.parsed(oa, ob, depth, start);
      keys.push(key);
      pa = space(a, ka);
      pb = space(b, kb);
      if (a.charCodeAt(pa) !== 58) fail('expected : after key', pa);
      if (b.charCodeAt(pb) !== 58) fail('expected : after key', pb);
      this.steps.push(`.${key}`);
      this.value(space(a, pa + 1), space(b, pb + 1), depth + 1);
      this.steps.pop();
      pa = space(a, this.endA);
      pb = space(b, this.endB);
      const ca = a.charCodeAt(pa);
      const cb = b.charCodeAt(pb);
      if (ca !== 44 && ca !== 125) fail('expected , or } in object', pa);
      if (cb !== 44 && cb !== 125) fail('expected , or } in object', pb);
      if (ca !== cb) return this.parsed(oa, ob, depth, start);
      if (ca === 125) break;
      pa = space(a, pa + 1);
      pb = space(b, pb + 1);
    }
    this.endA = pa + 1;
    this.endB = pb + 1;
    // Only an object with a difference in it needs this: the paths read side by side would not be diffJson's.
    if (out.length > start && (new Set(keys).size !== keys.length || keys.some((k) => /^\d/.test(k)))) this.parsed(oa, ob, depth, start);
  }

  private array(oa: number, ob: number, depth: number): void {
    const { a, b, out } = this;
    if (this.keyed) {
      const path = this.path();
      if ((this.options.arrayKeys[genericPath(path)] ?? this.options.arrayKeys[path]) !== undefined) {
        const ea = valueEnd(a, oa, depth);
        const eb = valueEnd(b, ob, depth);
        if (a.slice(oa, ea) === b.slice(ob, eb)) { this.endA = ea; this.endB = eb; return; }
        return this.parsed(oa, ob, depth, out.length);
      }
    }
    let pa = space(a, oa + 1);
    let pb = space(b, ob + 1);
    let moreA = a.charCodeAt(pa) !== 93;
    let moreB = b.charCodeAt(pb) !== 93;
    for (let i = 0; moreA || moreB; i++) {
      if (moreA && moreB) {
        this.steps.push(`[${i}]`);
        this.value(pa, pb, depth + 1);
        this.steps.pop();
        pa = this.endA;
        pb = this.endB;
      } else {
        // Past the end of the shorter array: the item is on one side only.
        this.steps.push(`[${i}]`);
        out.push(this.path());
        this.steps.pop();
        if (moreA) pa = valueEnd(a, pa, depth + 1); else pb = valueEnd(b, pb, depth + 1);
      }
      if (moreA) [pa, moreA] = this.next(a, pa);
      if (moreB) [pb, moreB] = this.next(b, pb);
    }
    this.endA = pa + 1;
    this.endB = pb + 1;
  }

  /** After an array item: the index of the next item (true) or of the closing `]` (false). */
  private next(text: string, at: number): [number, boolean] {
    at = space(text, at);
    const c = text.charCodeAt(at);
    if (c === 93) return [at, false];
    if (c !== 44) fail('expected , or ] in array', at);
    return [space(text, at + 1), true];
  }

  /** The values at oa and ob parsed and given to diffJson; paths written since `start` are dropped first. */
  private parsed(oa: number, ob: number, depth: number, start: number): void {
    this.out.length = start;
    const left = parseJsonValueAt(this.a, oa, depth);
    const right = parseJsonValueAt(this.b, ob, depth);
    this.endA = left.end;
    this.endB = right.end;
    diffJson(left.value, right.value, this.options, this.path(), this.out);
  }
}
