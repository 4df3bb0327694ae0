/**
 * The second page of a pair read only where it differs from the first. Two answers to the same
 * request are almost the same text; the reader (html-fast-tree.ts) reads left to right with no
 * state but its position and the open elements. So when the first page's element E opens before
 * the first character at which the pages differ and its end tag starts after the last one, the
 * second page reads exactly like the first up to E's content, and, once E is closed at the same
 * place (counted from the end), exactly like the first after it. Only E's content is read on the
 * second page; every other element is the first page's own object, and E's ancestors are copies
 * that hold the new E.
 */
import type { SharedText } from './common-text';
import { dropsFirstLineFeed, readElementContent, type FastDocument, type FastElement } from './html-fast-tree';

/**
 * The second page's document (`text`), read beside `first`, the same tree as parseFastHtml(text)
 * gives, or null when no element of the body encloses all the differences, or that element's
 * content does not read the same way (then read the page whole).
 */
export function parseFastHtmlBeside(first: FastDocument, text: string, shared: SharedText): FastDocument | null {
  const { prefix, suffixA, delta } = shared;
  const body = first.root.childNodes.find((n): n is FastElement => n.nodeName === 'body');
  if (body === undefined) return null;
  // The innermost element whose content holds [prefix, suffixA): the reader has read no further than
  // its content's start when it gets there (one character further for <pre>, whose first line feed is dropped).
  const ancestors: FastElement[] = [first.root, body];
  let enclosing: FastElement | null = null;
  for (let parent = body; ;) {
    const child = parent.childNodes.find((n): n is FastElement => n.nodeName !== '#text'
      && (n as FastElement).close >= suffixA && (n as FastElement).inner >= 0
      && ((n as FastElement).inner < prefix || ((n as FastElement).inner === prefix && !dropsFirstLineFeed(n.nodeName))));
    if (child === undefined) break;
    if (enclosing !== null) ancestors.push(enclosing);
    enclosing = child;
    parent = child;
  }
  if (enclosing === null) return null;
  // The first page has neither; the second may have them only where it differs.
  const changed = text.slice(prefix, suffixA + delta);
  if (changed.includes('\0') || changed.includes('\r')) return null;
  const copy = enclosing.copy([]);
  copy.end = -1;
  copy.close = -1;
  if (!readElementContent(text, copy, ancestors) || copy.close !== enclosing.close + delta || copy.end !== enclosing.end + delta) return null;
  // E's ancestors, copied from the innermost out, each holding the new child where the old one was.
  let replaced = copy;
  let old = enclosing;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i];
    const child = replaced;
    const was = old;
    replaced = parent.copy(parent.childNodes.map((n) => (n === was ? child : n)));
    old = parent;
  }
  return { doctype: first.doctype, root: replaced, text };
}
