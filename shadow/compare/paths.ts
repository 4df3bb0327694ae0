/**
 * What a difference's path means, shared by the comparison (per request) and the window judgement
 * (over stored rows): generic forms, ignore entries, and which noise explains which path.
 */

/** A body past the capture cap on either side: not compared. Never noise, never a match. */
export const TRUNCATED_BODY = 'body(truncated)';
/** A body that could not be decoded (a corrupt gzip stream, an unknown Content-Encoding). */
export const UNDECODABLE_BODY = 'body(undecodable)';

/**
 * Generic form of a path, the field it names whatever the item: for ignore lists, array keys and
 * noise learned or judged across requests. Indexes and keys become `[]`; an HTML path also loses
 * its hints (`(#id)`, `(.class)`), which are there for the reader: an element whose classes
 * changed is still the same field.
 */
export function genericPath(path: string): string {
  const generic = path.replace(/\[[^\]]*\]/g, '[]');
  return generic.startsWith('html') ? generic.replace(/\((?:#|\.)[^)]*\)/g, '') : generic;
}

/** Characters that end a step: an ignore entry covers the paths that continue with one of them. */
const STEP_ENDS = ['.', '[', '(', ':'];

/**
 * An ignore entry covers a path, its generic form and everything below it: `body.items` covers
 * `body.items[2].price`; `html.body.footer` covers `html.body.footer(.site): @class`.
 */
export function isIgnored(path: string, ignore: readonly string[]): boolean {
  if (ignore.length === 0) return false;
  const generic = genericPath(path);
  return ignore.some((i) => [path, generic].some((p) => p === i || (p.startsWith(i) && STEP_ENDS.includes(p[i.length]))));
}

/**
 * Noise indexed for `explains`: `exact` paths explain only themselves (where legacy disagreed with
 * itself on this very request); `fields` (generic paths: what earlier requests showed) explain
 * that field at any index.
 */
export function noiseIndex(exact: Iterable<string>, fields: Iterable<string> = []): Set<string> {
  const index = new Set<string>();
  for (const path of exact) if (path !== TRUNCATED_BODY) index.add(path);
  for (const field of fields) if (field !== TRUNCATED_BODY) index.add(genericPath(field));
  return index;
}

/** True when `path` is noise by `index`: the same path, or a field the index holds. */
export function explains(index: ReadonlySet<string>, path: string): boolean {
  return path !== TRUNCATED_BODY && (index.has(path) || index.has(genericPath(path)));
}
