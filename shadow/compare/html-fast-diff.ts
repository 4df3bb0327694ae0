/**
 * diffHtml on two pages html-fast-tree.ts could read, with the same paths in the same order, at a
 * fraction of the cost: elements are reduced only when looked at, and a pair of elements whose
 * source is the same text (both before the first character at which the pages differ, or both after
 * the last), or that is one object in both (html-fast-region.ts), is not looked into at all. The fast reader takes an element's subtree from its source
 * alone (it refuses every page where the standard would repair across elements), so the same
 * source is the same subtree.
 */
import { sharedText } from './common-text';
import { diffTrees, type TreeReader } from './html-diff';
import type { FastDocument, FastElement } from './html-fast-tree';
import { reduceElement, type ReducedElement } from './html-tree';

export function diffFastHtml(a: FastDocument, b: FastDocument, normalisers: readonly string[]): string[] {
  const { prefix, suffixA, delta } = sharedText(a.text, b.text);
  const reduced = new Map<FastElement, ReducedElement<FastElement>>();
  const reader: TreeReader<FastElement> = {
    view(el, preserveAbove) {
      let view = reduced.get(el);
      if (view === undefined) { view = reduceElement(el, el.childNodes, preserveAbove, normalisers); reduced.set(el, view); }
      return view;
    },
    tag: (el) => el.tagName,
    same: (x, y) => x === y || (x.start === y.start && x.end <= prefix) || (x.start >= suffixA && y.start - x.start === delta),
  };
  const out: string[] = [];
  if (a.doctype !== b.doctype) out.push('doctype');
  diffTrees(a.root, b.root, reader, out);
  return out;
}
