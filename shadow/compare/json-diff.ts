/**
 * Field-level JSON comparison with paths: `body.product.price.amount`, arrays by index
 * (`body.items[3].name`) or, where the route names a key, by that key (`body.items[sku=P1].qty`).
 * Values come from parseJsonLossless: numbers compare as sameNumber says (the same double; integers past 2^53 exactly).
 */
import { JsonNumber, sameNumber, type JsonObject, type JsonValue } from './json-lossless';
import { genericPath } from './paths';

export interface JsonDiffOptions {
  /** JSON path of an array (as written in the rules, e.g. `body.items`) -> the field to pair items by. */
  readonly arrayKeys: Readonly<Record<string, string>>;
}

function kind(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof JsonNumber) return 'number';
  return typeof value;
}

/** How an array item is named by its key field: a string as is, a number as written. */
function keyText(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof JsonNumber) return value.source;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function diffJson(a: JsonValue, b: JsonValue, options: JsonDiffOptions, path = 'body', out: string[] = []): string[] {
  const ka = kind(a);
  if (ka !== kind(b)) { out.push(path); return out; }
  if (ka === 'array') {
    const left = a as JsonValue[];
    const right = b as JsonValue[];
    const key = options.arrayKeys[genericPath(path)] ?? options.arrayKeys[path];
    if (key !== undefined) {
      const index = (items: JsonValue[]): Map<string, JsonValue> => new Map(items.map((item, i) => [keyText(kind(item) === 'object' ? (item as JsonObject)[key] : undefined) ?? `#${i}`, item]));
      const l = index(left);
      const r = index(right);
      for (const id of new Set([...l.keys(), ...r.keys()])) {
        if (!l.has(id) || !r.has(id)) out.push(`${path}[${key}=${id}]`);
        else diffJson(l.get(id)!, r.get(id)!, options, `${path}[${key}=${id}]`, out);
      }
      return out;
    }
    const n = Math.max(left.length, right.length);
    for (let i = 0; i < n; i++) {
      if (i >= left.length || i >= right.length) out.push(`${path}[${i}]`);
      else diffJson(left[i], right[i], options, `${path}[${i}]`, out);
    }
    return out;
  }
  if (ka === 'object') {
    const left = a as JsonObject;
    const right = b as JsonObject;
    for (const field of new Set([...Object.keys(left), ...Object.keys(right)])) {
      if (!(field in left) || !(field in right)) out.push(`${path}.${field}`);
      else diffJson(left[field], right[field], options, `${path}.${field}`, out);
    }
    return out;
  }
  if (ka === 'number' ? !sameNumber(a as JsonNumber, b as JsonNumber) : a !== b) out.push(path);
  return out;
}
