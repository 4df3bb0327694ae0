/**
 * Element-level comparison of two HTML documents (html-tree.ts), with paths that name the element:
 *
 *   html.body.main(#cart).ul.li[2](.line).span(.amount): text
 *
 * - a path starts at `html`; each `.step` is a child element's tag name;
 * - `[n]` is the element's position (from 0) among its parent's children of the same tag, written
 *   only when the parent has more than one of them on either side; elements are paired by it;
 * - `(#id)` or `(.class…)` is a hint for the reader, from legacy's element: its id, else its
 *   classes in sorted order (at most three); hints never decide the pairing;
 * - the end says what differs: `: text` (the element's own text), `: @name` (one attribute), or
 *   nothing when the element is on one side only; `doctype` when the doctypes differ.
 * Ignore entries and noise work on these paths like on JSON ones (`[]` for any index).
 */
import type { HtmlDocument, HtmlElement } from './html-tree';

const MAX_HINT_CLASSES = 3;

export function diffHtml(a: HtmlDocument, b: HtmlDocument): string[] {
  const out: string[] = [];
  if (a.doctype !== b.doctype) out.push('doctype');
  diffTrees<HtmlElement>(a.root, b.root, { view: (el) => ({ ...el, preserve: false, elements: el.children }), tag: (el) => el.tag }, out);
  return out;
}

/** How diffTrees reads the elements of a tree: reduced (html-tree.ts), or reduced only when looked at (html-fast-diff.ts). */
export interface TreeReader<E> {
  /** The element reduced: own attributes and text, child elements; `preserveAbove` is its parent's `preserve`. */
  view(el: E, preserveAbove: boolean): { readonly attrs: ReadonlyMap<string, string>; readonly text: string; readonly preserve: boolean; readonly elements: readonly E[] };
  tag(el: E): string;
  /** True when the two are known to reduce alike (their source is the same text): not looked into. */
  same?(a: E, b: E): boolean;
}

/** A path built only when a difference is reported: its parent, and this step's tag, index and the element that gives the hint. */
interface Step<E> { readonly parent: Step<E> | null; readonly text: string; readonly el: E | null; readonly preserveAbove: boolean }

function hint(attrs: ReadonlyMap<string, string>): string {
  const id = attrs.get('id');
  if (id) return `(#${id})`;
  const classes = attrs.get('class');
  return classes ? `(.${classes.split(' ').slice(0, MAX_HINT_CLASSES).join('.')})` : '';
}

/** Every difference between two element trees, in diffElement's order, appended to `out`. */
export function diffTrees<E>(a: E, b: E, reader: TreeReader<E>, out: string[]): void {
  diffElement(a, b, { parent: null, text: 'html', el: null, preserveAbove: false }, false, reader, out);
}

function pathOf<E>(step: Step<E>, reader: TreeReader<E>): string {
  const parts: string[] = [];
  for (let s: Step<E> | null = step; s !== null; s = s.parent) parts.push(s.el === null ? s.text : s.text + hint(reader.view(s.el, s.preserveAbove).attrs));
  return parts.reverse().join('.');
}

function byTag<E>(children: readonly E[], reader: TreeReader<E>): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  for (const child of children) {
    const tag = reader.tag(child);
    const group = groups.get(tag);
    if (group) group.push(child); else groups.set(tag, [child]);
  }
  return groups;
}

function diffElement<E>(a: E, b: E, step: Step<E>, preserveAbove: boolean, reader: TreeReader<E>, out: string[]): void {
  const va = reader.view(a, preserveAbove);
  const vb = reader.view(b, preserveAbove);
  let path: string | null = null;
  const here = (): string => (path ??= pathOf(step, reader));
  for (const name of [...new Set([...va.attrs.keys(), ...vb.attrs.keys()])].sort()) {
    if (va.attrs.get(name) !== vb.attrs.get(name)) out.push(`${here()}: @${name}`);
  }
  if (va.text !== vb.text) out.push(`${here()}: text`);
  const left = byTag(va.elements, reader);
  const right = byTag(vb.elements, reader);
  for (const tag of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(tag) ?? [];
    const r = right.get(tag) ?? [];
    const indexed = l.length > 1 || r.length > 1;
    for (let i = 0; i < Math.max(l.length, r.length); i++) {
      if (i < l.length && i < r.length && reader.same?.(l[i], r[i])) continue;
      const child: Step<E> = { parent: step, text: `${tag}${indexed ? `[${i}]` : ''}`, el: l[i] ?? r[i], preserveAbove: va.preserve };
      if (i >= l.length || i >= r.length) out.push(pathOf(child, reader));
      else diffElement(l[i], r[i], child, va.preserve, reader, out);
    }
  }
}
