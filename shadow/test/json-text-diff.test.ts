/**
 * The side-by-side JSON comparison (json-text-diff.ts) must say exactly what diffJson says on the
 * two parsed values: the same paths in the same order, and `null` where either text is not JSON.
 * Pairs written by hand for each of its shortcuts, then pairs made by a seeded generator.
 */
import { diffJson } from '../compare/json-diff';
import { parseJsonLossless } from '../compare/json-lossless';
import { diffJsonText } from '../compare/json-text-diff';
import { prng as random } from '../../legacy-monolith/src/db/prng';

type Keys = Record<string, string>;

function reference(a: string, b: string, arrayKeys: Keys): string[] | null {
  let left; let right;
  try { left = parseJsonLossless(a); right = parseJsonLossless(b); } catch { return null; }
  return diffJson(left, right, { arrayKeys });
}

const pairs: Array<[string, string, Keys?]> = [
  ['{"a":1,"b":[1,2,3],"c":{"d":"x"}}', '{"a":1,"b":[1,2,4],"c":{"d":"x"}}'],
  ['{"a":1,"b":2}', '{"b":2,"a":1}'],
  ['{"a":1,"b":2}', '{"b":3,"a":1}'],
  ['{"a":1,"a":2}', '{"a":2,"a":2}'],
  ['{"b":1,"2":1,"a":1}', '{"b":2,"2":3,"a":1}'],
  ['{"x":[1,2]}', '{"x":[1,2,3,4]}'],
  ['{"x":[1,2,3,4]}', '{"x":[1]}'],
  ['{"x":[]}', '{"x":[1]}'],
  ['{"x":{}}', '{"x":{"y":1}}'],
  ['{"x":{"y":1}}', '{"x":{}}'],
  ['{"s":"caf\\u00e9"}', '{"s":"café"}'],
  ['{"caf\\u00e9":1}', '{"café":2}'],
  ['{"s":"a\\"b"}', '{"s":"a\\"c"}'],
  ['{"n":100}', '{"n":1e2}'],
  ['{"n":129.90000000000001}', '{"n":129.9}'],
  ['{"n":9007199254740993}', '{"n":9007199254740992}'],
  ['{"t":true,"f":false,"n":null}', '{"t":false,"f":null,"n":0}'],
  ['{"o":{"p":1}}', '{"o":[1]}'],
  ['[1,2,3]', '[1,2,3] '],
  ['  {"a":1}', '{"a":2}  '],
  ['{"a":1}', '{"a":1} x'],
  ['{"a":1,}', '{"a":2}'],
  ['{"a":01}', '{"a":1}'],
  ['{"a":"\\x"}', '{"a":"b"}'],
  ['{"a":"\u0001"}', '{"a":"b"}'],
  ['{"a":1', '{"a":2'],
  ['{"a":[1,2,3],"z":"same tail, long enough"}', '{"a":[1,2,4],"z":"same tail, long enough"}'],
  ['{"id":12,"v":1}', '{"id":123,"v":1}'],
  ['{"v":1.5}', '{"v":1.50}'],
  ['{"items":[{"sku":"A","q":1},{"sku":"B","q":2}]}', '{"items":[{"sku":"B","q":2},{"sku":"A","q":3}]}', { 'body.items': 'sku' }],
  ['{"o":[{"items":[{"sku":"A"}]},{"items":[{"sku":"B"}]}]}', '{"o":[{"items":[{"sku":"A"}]},{"items":[{"sku":"C"}]}]}', { 'body.o[].items': 'sku' }],
  ['[]', '{}'], ['"x"', '"y"'], ['1', '2'], ['', ''], ['{"a":1}', ''],
  [`${'['.repeat(1001)}${']'.repeat(1001)}`, `${'['.repeat(1001)}1${']'.repeat(1001)}`],
  [`${'['.repeat(999)}${']'.repeat(999)}`, `${'['.repeat(999)}1${']'.repeat(999)}`],
];

test.each(pairs)('%s against %s', (a, b, keys = {}) => {
  expect(diffJsonText(a, b, { arrayKeys: keys })).toEqual(reference(a, b, keys));
  expect(diffJsonText(b, a, { arrayKeys: keys })).toEqual(reference(b, a, keys));
});


const ATOMS = ['1', '1.0', '2', '-0', '1e2', '100', '"a"', '"b"', '"\\u0061"', 'true', 'false', 'null', '129.9', '129.90000000000001', '9007199254740993'];
const KEYS = ['a', 'b', 'c', 'sku', '1', 'caf\\u00e9'];

function generate(next: () => number, depth: number): string {
  const r = next();
  if (depth > 3 || r < 0.4) return ATOMS[Math.floor(next() * ATOMS.length)];
  const n = Math.floor(next() * 4);
  if (r < 0.7) return `[${Array.from({ length: n }, () => generate(next, depth + 1)).join(',')}]`;
  return `{${Array.from({ length: n }, () => `"${KEYS[Math.floor(next() * KEYS.length)]}":${generate(next, depth + 1)}`).join(', ')}}`;
}

/** A copy of `text` with one small change: a character replaced, removed or repeated, or one atom swapped for another. */
function mutate(text: string, next: () => number): string {
  const at = Math.floor(next() * text.length);
  const r = next();
  if (r < 0.4) {
    const atom = ATOMS.find((x) => text.startsWith(x, at));
    if (atom) return text.slice(0, at) + ATOMS[Math.floor(next() * ATOMS.length)] + text.slice(at + atom.length);
  }
  if (r < 0.6) return text.slice(0, at) + text.slice(at + 1);
  if (r < 0.8) return text.slice(0, at) + text[at] + text.slice(at);
  return text.slice(0, at) + '0a[]{},"'[Math.floor(next() * 8)] + text.slice(at + 1);
}

test('3,000 generated pairs: the same paths as diffJson on the parsed values', () => {
  const disagreements: string[] = [];
  const seen = { differ: 0, equal: 0, invalid: 0 };
  for (let seed = 1; seed <= 3000; seed++) {
    const next = random(seed);
    const a = generate(next, 0);
    let b = mutate(a, next);
    if (next() < 0.3) b = mutate(b, next);
    const keys: Keys = next() < 0.3 ? { body: 'sku' } : {};
    const expected = reference(a, b, keys);
    if (JSON.stringify(diffJsonText(a, b, { arrayKeys: keys })) !== JSON.stringify(expected)) disagreements.push(`seed ${seed}: ${a} | ${b}`);
    seen[expected === null ? 'invalid' : expected.length === 0 ? 'equal' : 'differ']++;
  }
  expect(disagreements).toEqual([]);
  // The generator makes every kind of pair.
  for (const count of Object.values(seen)) expect(count).toBeGreaterThan(100);
});
