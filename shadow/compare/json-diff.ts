/**
 * Field-level JSON comparison with paths: `body.product.price.amount`, arrays by index
 * (`body.items[3].name`) or, where the route names a key, by that key (`body.items[sku=P1].qty`).
 */
export interface JsonDiffOptions {
  /** JSON path of an array (as written in the rules, e.g. `body.items`) -> the field to pair items by. */
  readonly arrayKeys: Readonly<Record<string, string>>;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Generic form of a path for ignore lists and array keys: indexes and keys become `[]`. */
export function genericPath(path: string): string {
  return path.replace(/\[[^\]]*\]/g, '[]');
}

export function diffJson(a: unknown, b: unknown, options: JsonDiffOptions, path = 'body', out: string[] = []): string[] {
  const ka = kind(a);
  if (ka !== kind(b)) { out.push(path); return out; }
  if (ka === 'array') {
    const left = a as unknown[];
    const right = b as unknown[];
    const key = options.arrayKeys[genericPath(path)] ?? options.arrayKeys[path];
    if (key !== undefined) {
      const index = (items: unknown[]): Map<string, unknown> => new Map(items.map((item, i) => [String((item as Record<string, unknown>)?.[key] ?? `#${i}`), item]));
      const l = index(left);
      const r = index(right);
      for (const id of new Set([...l.keys(), ...r.keys()])) {
        if (!l.has(id) || !r.has(id)) out.push(`${path}[${key}=${id}]`);
        else diffJson(l.get(id), r.get(id), options, `${path}[${key}=${id}]`, out);
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
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    for (const field of new Set([...Object.keys(left), ...Object.keys(right)])) {
      if (!(field in left) || !(field in right)) out.push(`${path}.${field}`);
      else diffJson(left[field], right[field], options, `${path}.${field}`, out);
    }
    return out;
  }
  if (a !== b) out.push(path);
  return out;
}
