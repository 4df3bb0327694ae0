/**
 * An HTML answer as a document (parse5, the HTML standard's parsing algorithm), reduced to what a
 * shopper sees, so that two renderings of the same page compare equal:
 * - markup syntax is gone: attribute order and quoting, `<br>` / `<br/>`, `&amp;` / `&#38;`, case;
 * - comments are dropped;
 * - `class` is a set of tokens (`"a b"` = `"b a"` = `"a  b a"`); a boolean attribute (`disabled`,
 *   `checked`, …) counts by its presence, not its value;
 * - text outside `<pre>`, `<textarea>`, `<listing>`, `<plaintext>` has runs of whitespace collapsed
 *   to one space, and whitespace next to a block element (or at the edge of one) removed, as CSS
 *   renders it, and next to a form control or embedded object (see BOX); inside those four, text
 *   is kept exactly;
 * - `nonce` attributes, and the `value`/`content` of CSRF token fields, are left out;
 * - the route's text normalisers (`uuid`, `timestamp`) apply to text and attribute values.
 */
import { parse, type DefaultTreeAdapterTypes } from 'parse5';
import { applyTextNormalisers } from './normalise';

type Node = DefaultTreeAdapterTypes.ChildNode;
type Element = DefaultTreeAdapterTypes.Element;

export interface HtmlElement {
  readonly tag: string;
  /** Attribute name -> normalised value (see above). */
  readonly attrs: ReadonlyMap<string, string>;
  /**
   * The element's own text: each run of text with the number of child elements before it, so
   * `a<b>x</b>c` and `ac<b>x</b>` differ although their runs concatenate the same.
   */
  readonly text: string;
  readonly children: readonly HtmlElement[];
}

export interface HtmlDocument {
  readonly doctype: string | null;
  readonly root: HtmlElement;
}

/** Elements a browser lays out as blocks (or does not render): whitespace beside them does not show. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'br', 'caption', 'col', 'colgroup', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup', 'hr', 'html',
  'legend', 'li', 'link', 'main', 'menu', 'meta', 'nav', 'noscript', 'ol', 'optgroup', 'option', 'p', 'pre', 'script', 'search', 'section',
  'style', 'summary', 'table', 'tbody', 'td', 'template', 'tfoot', 'th', 'thead', 'title', 'tr', 'ul',
]);
/**
 * Form controls and embedded content: whitespace beside one is a gap between boxes, not a break
 * between words, and template indentation puts it there (`<input>\n  <button>`), so it does not
 * count either. Between two words (`<b>a</b> <i>b</i>`) it still does.
 */
const BOX = new Set(['audio', 'button', 'canvas', 'embed', 'iframe', 'img', 'input', 'meter', 'object', 'picture', 'progress', 'select', 'svg', 'textarea', 'video']);
/** Whitespace inside these is what the shopper sees. */
const PRESERVE = new Set(['pre', 'textarea', 'listing', 'plaintext']);
/** HTML's boolean attributes: present means true, whatever the value. */
const BOOLEAN = new Set([
  'allowfullscreen', 'async', 'autofocus', 'autoplay', 'checked', 'controls', 'default', 'defer', 'disabled', 'formnovalidate', 'hidden',
  'inert', 'ismap', 'itemscope', 'loop', 'multiple', 'muted', 'nomodule', 'novalidate', 'open', 'playsinline', 'readonly', 'required',
  'reversed', 'selected',
]);
/** Field names that carry a per-render anti-forgery token. */
const CSRF_NAME = /^(?:csrf.*|_csrf|authenticity_token|idempotencyKey|__RequestVerificationToken)$/i;
const ASCII_WHITESPACE = /[ \t\n\r\f]+/g;

export function parseHtmlDocument(html: string, normalisers: readonly string[]): HtmlDocument {
  const document = parse(html);
  let doctype: string | null = null;
  let root: Element | null = null;
  for (const node of document.childNodes) {
    if (node.nodeName === '#documentType') doctype = (node as DefaultTreeAdapterTypes.DocumentType).name.toLowerCase();
    else if (node.nodeName === 'html') root = node as Element;
  }
  // parse5 always makes an <html> element; a fragment gets one around it.
  if (root === null) throw new Error('parse5 returned a document without <html>');
  return { doctype, root: element(root, false, normalisers) };
}

/** What the reduction reads of an element: parse5's nodes, and html-fast-tree.ts's of the same shape. */
export interface SourceElement {
  readonly nodeName: string;
  readonly tagName: string;
  readonly attrs: ReadonlyArray<{ readonly name: string; readonly value: string; readonly prefix?: string }>;
}

/** One element reduced (see the top of this file), its child elements not yet: they follow in `elements`. */
export interface ReducedElement<E> {
  readonly tag: string;
  readonly attrs: Map<string, string>;
  readonly text: string;
  /** Whether whitespace is kept inside it (a <pre> here or above): its children's `preserveAbove`. */
  readonly preserve: boolean;
  readonly elements: E[];
}

/**
 * One element reduced on its own: its attributes, its own text runs, its child elements in order.
 * `nodes` are its child nodes; an element among them is anything whose nodeName does not start with `#`.
 */
export function reduceElement<E extends SourceElement>(el: E, nodes: readonly { readonly nodeName: string }[], preserveAbove: boolean,
  normalisers: readonly string[]): ReducedElement<E> {
  const preserve = preserveAbove || PRESERVE.has(el.tagName);
  // Comments dropped first, so the text on either side of one is one run.
  const items: Array<string | E> = [];
  for (const node of nodes) {
    if (node.nodeName === '#text') {
      const value = (node as unknown as { value: string }).value;
      if (typeof items[items.length - 1] === 'string') items[items.length - 1] += value;
      else items.push(value);
    } else if (!node.nodeName.startsWith('#')) items.push(node as E);
  }
  const block = BLOCK.has(el.tagName);
  // Whitespace beside a neighbour for which it does not show (or at the edge of a block) is dropped.
  const isBlock = (item: string | E | undefined): boolean => (item === undefined ? block : typeof item !== 'string' && (BLOCK.has(item.tagName) || BOX.has(item.tagName)));
  const elements: E[] = [];
  const runs: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== 'string') { elements.push(item); continue; }
    let text = item;
    if (!preserve) {
      text = text.replace(ASCII_WHITESPACE, ' ');
      if (isBlock(items[i - 1])) text = text.trimStart();
      if (isBlock(items[i + 1])) text = text.trimEnd();
    }
    if (text !== '') runs.push(`${elements.length}:${applyTextNormalisers(text, normalisers)}`);
  }
  return { tag: el.tagName, attrs: attributes(el, normalisers), text: runs.join('\u0000'), preserve, elements };
}

function childNodes(el: Element): Node[] {
  return el.nodeName === 'template' ? (el as DefaultTreeAdapterTypes.Template).content.childNodes : el.childNodes;
}

function element(el: Element, preserveAbove: boolean, normalisers: readonly string[]): HtmlElement {
  const own = reduceElement(el, childNodes(el), preserveAbove, normalisers);
  return { tag: own.tag, attrs: own.attrs, text: own.text, children: own.elements.map((child) => element(child, own.preserve, normalisers)) };
}

function attributes(el: SourceElement, normalisers: readonly string[]): Map<string, string> {
  const attrs = new Map<string, string>();
  const csrf = el.attrs.some((a) => a.name === 'name' && CSRF_NAME.test(a.value));
  for (const attr of el.attrs) {
    const name = attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name;
    if (name === 'nonce' || (csrf && (name === 'value' || name === 'content'))) continue;
    let value = attr.value;
    if (BOOLEAN.has(name)) value = '';
    else if (name === 'class') value = [...new Set(value.split(ASCII_WHITESPACE).filter(Boolean))].sort().join(' ');
    attrs.set(name, applyTextNormalisers(value, normalisers));
  }
  return attrs;
}
