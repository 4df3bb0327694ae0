/**
 * A fast reading of a well-formed HTML page into the same element tree parse5 builds, or null when
 * the page needs the HTML standard's repairs and parse5 must read it. It builds the tree only for
 * pages it can prove need none: `<html>`, `<head>`, `<body>` written out, every element closed by
 * its own end tag in order (or left open at the end of the page), no `<p>` left open where a block
 * would close it, no tables without their `<tbody>`, no `<svg>`/`<math>`/`<template>`, no
 * character reference beyond the common ones. Anything else returns null: never a different tree.
 *
 * Nodes have parse5's shape (nodeName, tagName, attrs, childNodes, value), so html-tree.ts reduces
 * both the same way, and each element keeps where its source starts and ends, so that two pages
 * can skip the elements whose source they share (html-fast-diff.ts).
 */

export interface FastText { readonly nodeName: '#text'; readonly value: string }
export interface FastElement {
  readonly nodeName: string;
  readonly tagName: string;
  readonly attrs: Array<{ name: string; value: string }>;
  readonly childNodes: Array<FastElement | FastText>;
  /** Source offsets: from `<` of the start tag to after the end tag (or to the end of the page). */
  readonly start: number;
  end: number;
  /** Where its content starts (after the start tag, and the line feed a `<pre>` drops); -1 for void and raw-text elements. */
  inner: number;
  /** Where its end tag starts (`<`) when one closed it in the body; -1 otherwise. */
  close: number;
  /** The same element (attributes, offsets) with other child nodes. */
  copy(childNodes: Array<FastElement | FastText>): FastElement;
}
export interface FastDocument { readonly doctype: string | null; readonly root: FastElement; readonly text: string }

const VOID = new Set(['area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Raw text up to the matching end tag (parse5 runs with scripting on, so `<noscript>` too). */
const RAWTEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
/** Text up to the matching end tag, character references decoded. */
const RCDATA = new Set(['title', 'textarea']);
/** A line feed straight after the start tag is dropped. */
const SKIP_FIRST_LF = new Set(['pre', 'listing', 'textarea']);
/** Start tags the standard handles with more than an insertion (closing, reopening, renaming, other modes): parse5 reads the page. */
const REPAIRED = new Set([
  'plaintext', 'template', 'svg', 'math', 'image', 'frameset', 'frame', 'html', 'body', 'head', 'rb', 'rp', 'rt', 'rtc', 'isindex', 'menuitem',
]);
/** Start tags that close an open `<p>` (the HTML standard's "in body" rules). */
const CLOSES_P = new Set([
  'address', 'article', 'aside', 'blockquote', 'center', 'details', 'dialog', 'dir', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer',
  'header', 'hgroup', 'main', 'menu', 'nav', 'ol', 'p', 'search', 'section', 'summary', 'ul', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre',
  'listing', 'form', 'table', 'hr', 'xmp', 'li', 'dd', 'dt', 'plaintext',
]);
// The tables by name are Maps, not objects: a tag or reference named `constructor` or `valueOf` is none of theirs.
/** Start tags that close an open element of their own kind (or a sibling kind) when one is open. */
const CLOSES_OWN = new Map<string, readonly string[]>(Object.entries({
  option: ['option'], optgroup: ['option', 'optgroup'], a: ['a'], nobr: ['nobr'], button: ['button'],
  form: ['form'], h1: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], h2: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], h3: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  h4: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], h5: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], h6: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
}));
/** Table structure: each may only be written straight inside its parent here, as its own end tag closes it. */
const TABLE_PARENT = new Map<string, readonly string[]>(Object.entries({
  caption: ['table'], colgroup: ['table'], thead: ['table'], tbody: ['table'], tfoot: ['table'], col: ['colgroup'], tr: ['thead', 'tbody', 'tfoot'],
  td: ['tr'], th: ['tr'],
}));
/** Inside these only the table structure above (and whitespace) may be written. */
const TABLE_CONTEXT = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'colgroup']);
/** Items a new one closes (the standard's walk up the open elements, which stops at a special element other than these three). */
const CLOSES_ITEM = new Map<string, readonly string[]>([['li', ['li']], ['dd', ['dd', 'dt']], ['dt', ['dd', 'dt']]]);
const WALK_PAST = new Set(['address', 'div', 'p']);
/** The standard's special elements. */
const SPECIAL = new Set([
  'address', 'applet', 'area', 'article', 'aside', 'base', 'basefont', 'bgsound', 'blockquote', 'body', 'br', 'button', 'caption', 'center', 'col',
  'colgroup', 'dd', 'details', 'dir', 'div', 'dl', 'dt', 'embed', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'frame', 'frameset', 'h1',
  'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup', 'hr', 'html', 'iframe', 'img', 'input', 'keygen', 'li', 'link', 'listing', 'main',
  'marquee', 'menu', 'meta', 'nav', 'noembed', 'noframes', 'noscript', 'object', 'ol', 'p', 'param', 'plaintext', 'pre', 'script', 'search',
  'section', 'select', 'source', 'style', 'summary', 'table', 'tbody', 'td', 'template', 'textarea', 'tfoot', 'th', 'thead', 'title', 'tr',
  'track', 'ul', 'wbr', 'xmp',
]);
const IN_HEAD = new Set(['meta', 'link', 'base', 'basefont', 'bgsound', 'title', 'style', 'script', 'noscript', 'noframes']);
const NAMED = new Map([['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', '\''], ['nbsp', '\u00a0']]);
const WHITESPACE_ONLY = /^[ \t\n\f]*$/;

class Irregular extends Error {}
const irregular = (): never => { throw new Irregular(); };

/** `text` with its character references decoded, or Irregular for one beyond the common few. */
function decode(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;\s&<>"'=`]*)(;?)/g, (whole, name: string, semi: string) => {
    if (name === '') return whole;
    if (semi === '' || name.length > 8) return irregular();
    const named = NAMED.get(name);
    if (named !== undefined) return named;
    const numeric = /^#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}))$/.exec(name);
    if (numeric === null) return irregular();
    const code = numeric[1] !== undefined ? Number(numeric[1]) : parseInt(numeric[2], 16);
    // Zero, surrogates, past Unicode and the C1 range (read as windows-1252) are remapped by the standard.
    if (code === 0 || (code >= 0x80 && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff || code === 0x0d) return irregular();
    return String.fromCodePoint(code);
  });
}

const endTagPatterns = new Map<string, RegExp>();
function endTagOf(tag: string): RegExp {
  let pattern = endTagPatterns.get(tag);
  if (!pattern) { pattern = new RegExp(`</${tag}[\\t\\n\\f />]`, 'ig'); endTagPatterns.set(tag, pattern); }
  return pattern;
}

const TAG = /<(\/?)([a-zA-Z][^\t\n\f />]*)/y;
const ATTR_NAME = /[^\t\n\f />=]+/y;
const UNQUOTED = /[^\t\n\f >]*/y;
const SPACE = /[\t\n\f ]*/y;

/** The page read as parse5 would, or null when it needs repairs parse5 makes (see above). */
export function parseFastHtml(source: string): FastDocument | null {
  if (source.includes('\0') || source.includes('\r')) return null;
  try {
    return new Reader(source).read();
  } catch (error) {
    if (error instanceof Irregular) return null;
    throw error;
  }
}

/**
 * Reads the content of `el` (a copy of an element of another page, with no children yet) from
 * `source`, at `el.inner`, as the page's reading would with `ancestors` open (from `<html>`, in the
 * body), up to and including `el`'s end tag. False when that reading needs repairs or the page
 * ends first. The page's other text must have been read regular elsewhere: this reads only this part.
 */
export function readElementContent(source: string, el: FastElement, ancestors: readonly FastElement[]): boolean {
  const reader = new Reader(source);
  try {
    return reader.readInside(el, ancestors);
  } catch (error) {
    if (error instanceof Irregular) return false;
    throw error;
  }
}

/** Tags whose content starts after a line feed the reader may drop: where it starts depends on the character after the start tag. */
export function dropsFirstLineFeed(tag: string): boolean {
  return SKIP_FIRST_LF.has(tag);
}

type Attribute = { name: string; value: string };

/**
 * The attributes of the start tag whose name ends at `at`, into `out`; returns where the tag ends.
 * With `out` null it only checks them, and returns minus where the tag ends when a value holds a
 * `&` (read it with `out` to know whether the reference is one the reader takes).
 */
function readAttributes(text: string, from: number, out: Attribute[] | null): number {
  let at = from;
  let reference = false;
  for (;;) {
    SPACE.lastIndex = at;
    SPACE.test(text);
    at = SPACE.lastIndex;
    const c = text.charCodeAt(at);
    if (c === 62) { at++; break; } // >
    if (c === 47) { at++; continue; } // a / not before > is read as space
    if (Number.isNaN(c) || c === 61) irregular(); // the end of the page in a tag, or a name that starts with =
    ATTR_NAME.lastIndex = at;
    ATTR_NAME.test(text);
    const nameEnd = ATTR_NAME.lastIndex;
    const nameStart = at;
    at = nameEnd;
    SPACE.lastIndex = at;
    SPACE.test(text);
    let valueStart = at;
    let valueEnd = at;
    if (text.charCodeAt(SPACE.lastIndex) === 61) {
      at = SPACE.lastIndex + 1;
      SPACE.lastIndex = at;
      SPACE.test(text);
      at = SPACE.lastIndex;
      const q = text.charCodeAt(at);
      if (q === 34 || q === 39) {
        const close = text.indexOf(q === 34 ? '"' : '\'', at + 1);
        if (close < 0) irregular();
        valueStart = at + 1;
        valueEnd = close;
        at = close + 1;
      } else {
        UNQUOTED.lastIndex = at;
        UNQUOTED.test(text);
        valueStart = at;
        valueEnd = UNQUOTED.lastIndex;
        at = UNQUOTED.lastIndex;
      }
    }
    if (out === null) {
      if (!reference) { const amp = text.indexOf('&', valueStart); reference = amp >= 0 && amp < valueEnd; }
      continue;
    }
    const name = text.slice(nameStart, nameEnd).toLowerCase();
    if (!out.some((a) => a.name === name)) out.push({ name, value: decode(text.slice(valueStart, valueEnd)) });
  }
  return reference ? -at : at;
}

/** A run of text with no character reference: taken from the page when first looked at. */
class SourceText implements FastText {
  readonly nodeName = '#text' as const;
  constructor(private readonly source: string, private readonly from: number, private readonly to: number) {}
  get value(): string { return this.source.slice(this.from, this.to); }
}

/** An element as parse5 shapes it; its attributes read from its source when first looked at. */
class LazyElement implements FastElement {
  readonly nodeName: string;
  childNodes: Array<FastElement | FastText> = [];
  end = -1;
  inner = -1;
  close = -1;
  private read: Attribute[] | null = null;

  constructor(readonly tagName: string, readonly start: number, private readonly source: string, private readonly attrsAt: number) {
    this.nodeName = tagName;
  }

  get attrs(): Attribute[] {
    return this.readAttributes();
  }

  readAttributes(): Attribute[] {
    if (this.read === null) { this.read = []; readAttributes(this.source, this.attrsAt, this.read); }
    return this.read;
  }

  copy(childNodes: Array<FastElement | FastText>): FastElement {
    const el = new LazyElement(this.tagName, this.start, this.source, this.attrsAt);
    Object.assign(el, { childNodes, end: this.end, inner: this.inner, close: this.close, read: this.read });
    return el;
  }
}

class Reader {
  private at = 0;
  private readonly stack: FastElement[] = [];
  /** How many elements of each tag are open (on the stack). */
  private readonly open = new Map<string, number>();
  /** The first `&` at or after some position already read: where text must be decoded. */
  private amp = -1;
  constructor(private readonly text: string) {}

  read(): FastDocument {
    const { text } = this;
    this.skipSpaceAndComments();
    let doctype: string | null = null;
    const dt = /^<!doctype[\t\n\f ]+([a-zA-Z]+)[\t\n\f ]*>/i.exec(text.slice(this.at, this.at + 64));
    if (dt) { doctype = dt[1].toLowerCase(); this.at += dt[0].length; } else if (text.startsWith('<!', this.at) && !text.startsWith('<!--', this.at)) irregular();
    this.skipSpaceAndComments();
    const html = this.startTag('html');
    this.push(html);
    this.skipSpaceAndComments();
    const head = this.startTag('head');
    html.childNodes.push(head);
    this.push(head);
    this.content('head');
    // After </head>: whitespace goes to <html>, then <body>.
    this.whitespaceInto(html);
    const body = this.startTag('body');
    html.childNodes.push(body);
    this.push(body);
    this.content('body');
    // After </body> (and </html>), whitespace still goes to <body>; nothing else may follow.
    this.whitespaceInto(body);
    if (text.startsWith('</html', this.at)) { this.endTag(); this.whitespaceInto(body); }
    if (this.at < text.length) irregular();
    // What is still open, and <html> and <body> (which take whitespace after their end tags), end with the page.
    for (const el of [...this.stack, html, body]) el.end = text.length;
    return { doctype, root: html, text };
  }

  readInside(el: FastElement, ancestors: readonly FastElement[]): boolean {
    for (const open of [...ancestors, el]) this.push(open);
    this.at = el.inner;
    this.content('body', ancestors.length);
    return el.close >= 0;
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      SPACE.lastIndex = this.at;
      SPACE.test(this.text);
      this.at = SPACE.lastIndex;
      if (!this.text.startsWith('<!--', this.at)) return;
      this.comment();
    }
  }

  private whitespaceInto(parent: FastElement): void {
    for (;;) {
      const before = this.at;
      SPACE.lastIndex = this.at;
      SPACE.test(this.text);
      this.at = SPACE.lastIndex;
      if (this.at > before) this.appendText(parent, { nodeName: '#text', value: this.text.slice(before, this.at) });
      if (!this.text.startsWith('<!--', this.at)) return;
      this.comment();
    }
  }

  private comment(): void {
    const { text } = this;
    if (text.startsWith('<!-->', this.at) || text.startsWith('<!--->', this.at)) irregular();
    const end = text.indexOf('-->', this.at + 4);
    const bang = text.indexOf('--!>', this.at + 4);
    if (end < 0 || (bang >= 0 && bang < end)) irregular();
    this.at = end + 3;
  }

  /**
   * A start tag of `expected` (any when null) at `at`: its element. Its attributes are only checked
   * here, and read (decoded, the first of a repeated one kept) when first looked at, unless one has
   * a character reference, which must be read now to know whether the page is regular.
   */
  private startTag(expected: string | null): FastElement {
    const { text } = this;
    TAG.lastIndex = this.at;
    const m = TAG.exec(text);
    if (m === null || m[1] === '/') return irregular();
    const tag = m[2].toLowerCase();
    if (expected !== null && tag !== expected) irregular();
    const el = new LazyElement(tag, this.at, text, TAG.lastIndex);
    const end = readAttributes(text, TAG.lastIndex, null);
    if (end < 0) el.readAttributes();
    this.at = end < 0 ? -end : end;
    return el;
  }

  private endTag(): string {
    TAG.lastIndex = this.at;
    const m = TAG.exec(this.text);
    if (m === null || m[1] !== '/') return irregular();
    const close = this.text.indexOf('>', TAG.lastIndex);
    if (close < 0) irregular();
    this.at = close + 1;
    return m[2].toLowerCase();
  }

  private push(el: FastElement): void {
    this.stack.push(el);
    this.open.set(el.tagName, (this.open.get(el.tagName) ?? 0) + 1);
  }

  private pop(): void {
    const el = this.stack.pop() as FastElement;
    this.open.set(el.tagName, (this.open.get(el.tagName) as number) - 1);
  }

  private isOpen(tag: string): boolean {
    return (this.open.get(tag) ?? 0) > 0;
  }

  private appendText(parent: FastElement, node: FastText): void {
    const nodes = parent.childNodes;
    const last = nodes[nodes.length - 1];
    if (last !== undefined && last.nodeName === '#text') nodes[nodes.length - 1] = { nodeName: '#text', value: (last as FastText).value + node.value };
    else nodes.push(node);
  }

  /** The text from `from` to `to`, decoded now when it has a reference (which may make the page irregular), else when first looked at. */
  private textNode(from: number, to: number): FastText {
    if (this.amp < from) {
      const amp = this.text.indexOf('&', from);
      this.amp = amp < 0 ? Infinity : amp;
    }
    return this.amp < to ? { nodeName: '#text', value: decode(this.text.slice(from, to)) } : new SourceText(this.text, from, to);
  }

  /**
   * Reads until `</until>` closes it (head, body), or the end of the page (body only), or, with
   * `depth`, until the element at that depth of the stack is closed.
   */
  private content(until: 'head' | 'body', depth = -1): void {
    const { text, stack } = this;
    for (;;) {
      const current = stack[stack.length - 1];
      const lt = text.indexOf('<', this.at);
      const textEnd = lt < 0 ? text.length : lt;
      if (textEnd > this.at) {
        // Text in the head or in table structure is moved by the standard (to the body, before the table).
        if ((until === 'head' || TABLE_CONTEXT.has(current.tagName)) && !WHITESPACE_ONLY.test(text.slice(this.at, textEnd))) irregular();
        this.appendText(current, this.textNode(this.at, textEnd));
        this.at = textEnd;
      }
      if (lt < 0) {
        if (until === 'head') irregular();
        return;
      }
      const next = text.charCodeAt(lt + 1);
      if (text.startsWith('<!--', lt)) { this.comment(); continue; }
      if (next === 47) { // </
        const tag = this.endTag();
        if (tag !== current.tagName) irregular();
        current.end = this.at;
        if (until === 'body') current.close = lt;
        this.pop();
        if (tag === until || stack.length === depth) return;
        continue;
      }
      if (!((next >= 65 && next <= 90) || (next >= 97 && next <= 122))) irregular(); // `<` as text, `<!x>`, `<?x>`: left to parse5
      const el = this.startTag(null);
      const tag = el.tagName;
      if (REPAIRED.has(tag)) irregular();
      if (until === 'head' && !IN_HEAD.has(tag)) irregular();
      this.checkOpen(tag, current);
      current.childNodes.push(el);
      if (VOID.has(tag)) { el.end = this.at; continue; }
      if (RAWTEXT.has(tag) || RCDATA.has(tag)) { this.rawText(el, RCDATA.has(tag)); continue; }
      if (SKIP_FIRST_LF.has(tag)) {
        if (text.charCodeAt(this.at) === 10) this.at++;
        else if (text.charCodeAt(this.at) === 38) irregular(); // a reference that may be a line feed
      }
      el.inner = this.at;
      this.push(el);
    }
  }

  /** Throws Irregular when opening `tag` here would make the standard close or move something. */
  private checkOpen(tag: string, current: FastElement): void {
    const { stack } = this;
    const parents = TABLE_PARENT.get(tag);
    if (parents !== undefined) { if (!parents.includes(current.tagName)) irregular(); return; }
    if (TABLE_CONTEXT.has(current.tagName)) irregular();
    if (current.tagName === 'select' || current.tagName === 'optgroup' || current.tagName === 'option') {
      if (tag !== 'option' && tag !== 'optgroup' && tag !== 'hr') irregular();
    }
    if (tag === 'select' && this.isOpen('select')) irregular();
    if ((tag === 'option' || tag === 'optgroup' || tag === 'hr') && this.isOpen('option')) irregular();
    if (CLOSES_P.has(tag) && this.isOpen('p')) irregular();
    const own = CLOSES_OWN.get(tag);
    if (own !== undefined && own.some((t) => this.isOpen(t))) irregular();
    const items = CLOSES_ITEM.get(tag);
    if (items !== undefined) {
      for (let i = stack.length - 1; i >= 0; i--) {
        const open = stack[i].tagName;
        if (items.includes(open)) irregular();
        if (SPECIAL.has(open) && !WALK_PAST.has(open)) break;
      }
    }
    if ((tag === 'input' || tag === 'textarea' || tag === 'keygen') && this.isOpen('select')) irregular();
  }

  private rawText(el: FastElement, references: boolean): void {
    const pattern = endTagOf(el.tagName);
    pattern.lastIndex = this.at;
    const m = pattern.exec(this.text);
    if (m === null) return irregular();
    let run = this.text.slice(this.at, m.index);
    // Script data has escape states (`<!--` ... `<script>`) that change where it ends.
    if (el.tagName === 'script' && run.includes('<!--')) irregular();
    if (el.tagName === 'textarea' && run.charCodeAt(0) === 10) run = run.slice(1);
    if (run !== '') el.childNodes.push({ nodeName: '#text', value: references ? decode(run) : run });
    this.at = m.index;
    const tag = this.endTag();
    if (tag !== el.tagName) irregular();
    el.end = this.at;
  }
}
