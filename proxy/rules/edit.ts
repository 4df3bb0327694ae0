import { isMap, isPair, isScalar, isSeq, parseDocument, type Pair, type YAMLMap } from 'yaml';

export type EditResult = { ok: true; text: string; previous: string | null } | { ok: false; message: string };

function routeMap(text: string, routeName: string): { map: YAMLMap } | { error: string } {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) return { error: `the rules file does not parse: ${doc.errors[0].message.split('\n')[0]}` };
  const routes = isMap(doc.contents) ? doc.contents.get('routes', true) : null;
  if (!isSeq(routes)) return { error: 'the rules file has no routes list' };
  for (const item of routes.items) {
    if (isMap(item) && item.get('name') === routeName) return { map: item };
  }
  return { error: `unknown route "${routeName}"` };
}

/** Route names in file order (for "did you mean" on an unknown route). */
export function routeNames(text: string): string[] {
  const doc = parseDocument(text);
  const routes = isMap(doc.contents) ? doc.contents.get('routes', true) : null;
  if (!isSeq(routes)) return [];
  return routes.items.flatMap((item) => (isMap(item) && typeof item.get('name') === 'string' ? [item.get('name') as string] : []));
}

/**
 * Sets one scalar key of one route by editing the text at the value's own position, so every
 * comment, blank line and layout choice elsewhere stays byte-for-byte. A missing key is added
 * after the route's last key, in the map's own style (block or flow).
 */
export function setRouteKey(text: string, routeName: string, key: string, value: string): EditResult {
  const found = routeMap(text, routeName);
  if ('error' in found) return { ok: false, message: found.error };
  const { map } = found;
  const pair = map.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && p.key.value === key);
  if (pair && isScalar(pair.value) && pair.value.range) {
    const [start, end] = pair.value.range;
    const previous = text.slice(start, end);
    // Keep an aligned trailing comment in its column when the value changes width.
    const after = text.slice(end).replace(/^( {2,})#/, (_m, spaces: string) => `${' '.repeat(Math.max(1, spaces.length - (value.length - previous.length)))}#`);
    return { ok: true, text: text.slice(0, start) + value + after, previous };
  }
  if (pair) return { ok: false, message: `route "${routeName}" has a ${key} that is not a plain value` };
  if (map.flow) {
    const close = text.lastIndexOf('}', map.range![1]);
    const before = text.slice(0, close).replace(/\s*$/, '');
    return { ok: true, text: `${before}, ${key}: ${value} ${text.slice(close)}`, previous: null };
  }
  const firstKey = map.items[0] as Pair;
  const keyStart = isScalar(firstKey.key) && firstKey.key.range ? firstKey.key.range[0] : 0;
  const column = keyStart - text.lastIndexOf('\n', keyStart - 1) - 1;
  // A block collection's range runs to the start of the next line (the next route!), so the new key
  // goes after the line holding the route's last scalar or flow collection, found by descending.
  const lastEnd = lastContentEnd(map);
  const lineEnd = text.indexOf('\n', lastEnd);
  const at = lineEnd === -1 ? text.length : lineEnd;
  const insertion = `\n${' '.repeat(column)}${key}: ${value}`;
  return { ok: true, text: text.slice(0, at) + insertion + text.slice(at), previous: null };
}

/** Where the last scalar or flow collection inside a node ends (never the block's trailing newline). */
function lastContentEnd(node: unknown): number {
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    return lastContentEnd(isPair(last) ? (last.value ?? last.key) : last);
  }
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[1] : 0;
}
