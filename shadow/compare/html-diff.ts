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
  diffElement(a.root, b.root, 'html', out);
  return out;
}

function hint(el: HtmlElement): string {
  const id = el.attrs.get('id');
  if (id) return `(#${id})`;
  const classes = el.attrs.get('class');
  return classes ? `(.${classes.split(' ').slice(0, MAX_HINT_CLASSES).join('.')})` : '';
}

function byTag(children: readonly HtmlElement[]): Map<string, HtmlElement[]> {
  const groups = new Map<string, HtmlElement[]>();
  for (const child of children) {
    const group = groups.get(child.tag);
    if (group) group.push(child); else groups.set(child.tag, [child]);
  }
  return groups;
}

function diffElement(a: HtmlElement, b: HtmlElement, path: string, out: string[]): void {
  for (const name of [...new Set([...a.attrs.keys(), ...b.attrs.keys()])].sort()) {
    if (a.attrs.get(name) !== b.attrs.get(name)) out.push(`${path}: @${name}`);
  }
  if (a.text !== b.text) out.push(`${path}: text`);
  const left = byTag(a.children);
  const right = byTag(b.children);
  for (const tag of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(tag) ?? [];
    const r = right.get(tag) ?? [];
    const indexed = l.length > 1 || r.length > 1;
    for (let i = 0; i < Math.max(l.length, r.length); i++) {
      const step = `${path}.${tag}${indexed ? `[${i}]` : ''}${hint(l[i] ?? r[i])}`;
      if (i >= l.length || i >= r.length) out.push(step);
      else diffElement(l[i], r[i], step, out);
    }
  }
}
